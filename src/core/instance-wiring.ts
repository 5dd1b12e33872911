// From the typed config model to what the VRRP runtime needs on this host: interface index and
// MAC, our source address, the multicast group, and each VIP/eVIP/route as a kernel spec.
// Problems that make an instance impossible to run here are returned, not thrown.
import { IpAddress, ipOf, LENIENT, LENIENT_V4 } from '../lib/ip.js';
import type { KeepalivedConfig, RouteEntry, VipEntry, VrrpInstance } from '../config/model.js';
import type { AddressSpec, Kernel, LinkInfo, RouteSpec, RouteType } from '../kernel/kernel.js';
import { instanceConfigFromModel } from '../vrrp/model-adapter.js';
import type { RuntimeInstanceSpec } from '../vrrp/runtime/vrrp-runtime.js';
import { VRRP_GROUP4, VRRP_GROUP6 } from '../net/packet-io.js';
import type { Diagnostic } from '../lib/diagnostics.js';
import { VRRP_START_FATAL } from '../config/keywords/complete-vrrp.js';
import type { VirtualLinkRequest, VmacProvider, VmacResult } from '../vrrp/runtime/vmac.js';

/**
 * The config error that stops the daemon before it touches the host, as keepalived's VRRP
 * process stops (exit 2, "permanent error CONFIG") when vrrp_complete_init() fails: an instance
 * without a valid VRID or interface, a VRRPv3/strict instance without VIPs, or two instances
 * with the same VRID on one interface and family (they would both become master and send
 * adverts for one VRID with two address lists). undefined when there is none.
 */
export function startRefusal(diagnostics: readonly Diagnostic[]): Diagnostic | undefined {
  return diagnostics.find((d) => d.severity === 'error' && VRRP_START_FATAL.has(d.code));
}

export interface WiringProblem {
  readonly instance: string;
  readonly message: string;
  /** `no-interface` makes the daemon exit (keepalived: cannot run). */
  readonly code: 'no-interface' | 'no-source-address' | 'invalid-instance' | 'unsupported';
}

function vipSpec(v: VipEntry, defaultDev: string, ifindexOf: (n: string) => number | undefined): (AddressSpec & { ifindex: number }) | undefined {
  const dev = v.dev ?? defaultDev;
  const ifindex = ifindexOf(dev);
  if (ifindex === undefined) return undefined;
  return {
    address: v.ip.address.text,
    prefixLength: v.ip.prefixLen,
    dev,
    ifindex,
    ...(v.brd !== undefined ? { broadcast: v.brd } : {}),
    ...(v.scope !== undefined ? { scope: v.scope } : {}),
    ...(v.label !== undefined ? { label: v.label } : {}),
    ...(v.peer !== undefined ? { peer: v.peer.text } : {}),
    // keepalived adds IPv6 VIPs with IFA_F_NODAD unless the line says `-nodad`.
    ...(v.ip.family === 'inet6' && !v.dad ? { noDad: true } : {}),
    ...(v.home ? { home: true } : {}),
    ...(v.mngtmpaddr ? { mngtmpaddr: true } : {}),
    ...(v.noPrefixRoute ? { noPrefixRoute: true } : {}),
    ...(v.autojoin ? { autojoin: true } : {}),
    ...(v.preferredLft !== undefined ? { preferredLft: v.preferredLft } : {}),
  };
}

const KERNEL_ROUTE_TYPES: ReadonlySet<string> = new Set<RouteType>(['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw']);

/** What of a parsed route this daemon does not carry out (empty: all of it is applied). */
export function routeNotApplied(r: RouteEntry): string[] {
  return [...r.unsupported, ...(r.onlink ? ['onlink'] : []), ...(r.type !== undefined && !KERNEL_ROUTE_TYPES.has(r.type) ? [`type ${r.type}`] : [])];
}

/** A parsed virtual/static route -> the kernel's RouteSpec; a unicast route without via/dev goes on `defaultDev`. */
export function routeSpec(r: RouteEntry, defaultDev: string): RouteSpec {
  const type = r.type !== undefined && KERNEL_ROUTE_TYPES.has(r.type) ? (r.type as RouteType) : undefined;
  const dev = r.dev ?? (r.via === undefined && (type === undefined || type === 'unicast') ? defaultDev : undefined);
  return {
    ...(r.dst === 'default' ? { dst: 'default', family: r.family } : { dst: r.dst.address.text, prefixLength: r.dst.prefixLen }),
    ...(type !== undefined ? { type } : {}),
    ...(r.via !== undefined ? { via: r.via.text } : {}),
    ...(dev !== undefined ? { dev } : {}),
    ...(r.src !== undefined ? { src: r.src.text } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
    ...(r.table !== undefined ? { table: r.table } : {}),
    ...(r.scope !== undefined ? { scope: r.scope } : {}),
    ...(r.protocol !== undefined ? { protocol: r.protocol } : {}),
    ...(r.tos !== undefined ? { tos: r.tos } : {}),
  };
}

export interface WiredConfig {
  readonly specs: RuntimeInstanceSpec[];
  readonly problems: WiringProblem[];
  /** The kernel's links as read for this wiring (the daemon checks configured interfaces against them). */
  readonly links: readonly LinkInfo[];
  /** Instances keepalived holds in FAULT for a config error (use_ipvlan without a usable address). */
  readonly configFaults: readonly string[];
}

/**
 * `vmacs` creates the VMAC interfaces of use_vmac instances (the daemon's VmacSet); without it
 * (dry wirings) such instances run on their interface with its own MAC, with a warning.
 */
export async function wireInstances(model: KeepalivedConfig, kernel: Kernel, vmacs?: VmacProvider): Promise<WiredConfig> {
  const links = await kernel.listLinks();
  const byName = new Map(links.map((l) => [l.name, l]));
  const ifindexOf = (n: string) => byName.get(n)?.ifindex;
  const specs: RuntimeInstanceSpec[] = [];
  const problems: WiringProblem[] = [];
  const configFaults: string[] = [];
  const g = model.globalDefs;
  for (const vi of model.vrrpInstances) {
    if (vi.virtualRouterId === undefined) {
      problems.push({ instance: vi.name, code: 'invalid-instance', message: `(${vi.name}) has no virtual_router_id: not started` });
      continue;
    }
    const ifname = vi.interface;
    const link = ifname ? byName.get(ifname) : undefined;
    if (!ifname || !link) {
      problems.push({ instance: vi.name, code: 'no-interface', message: `(${vi.name}) interface ${ifname ?? '(none)'} does not exist` });
      continue;
    }
    // Configured behaviour this daemon does not carry out yet: say so instead of running
    // silently without it (the instance still runs).
    if ((vi.useVmac || vi.useIpvlan) && !vmacs) {
      problems.push({ instance: vi.name, code: 'unsupported', message: `(${vi.name}) use_vmac is not applied in this wiring: the VIPs go on ${ifname} with its own MAC` });
    }
    const cfg = instanceConfigFromModel(model, vi);
    const allVips = [...cfg.vips, ...cfg.evips].map((a) => a.text);
    // use_ipvlan ADDR is the source address too unless one is configured (keepalived).
    const ipvlanAddr = vi.useIpvlan?.address;
    const configured = cfg.srcIp ?? (ipvlanAddr && ipvlanAddr.family === cfg.family ? ipvlanAddr.address : undefined);
    // The interface's primary address comes from the kernel as text: parsed once here.
    const primary = configured ? undefined : await kernel.primaryAddress(link.ifindex, cfg.family, allVips);
    const src = configured ?? (primary === undefined ? undefined : IpAddress.parse(primary, LENIENT));
    if (!src) {
      problems.push({ instance: vi.name, code: 'no-source-address', message: `(${vi.name}) interface ${ifname} has no ${cfg.family === 'inet' ? 'IPv4' : 'IPv6 link-local'} address to send from` });
      continue;
    }
    // use_vmac: the VIPs go on the VMAC; adverts go from it too unless vmac_xmit_base.
    let vmac: LinkInfo | undefined;
    const xmitBase = vi.vmacXmitBase;
    // What a VMAC and an ipvlan request share, and what becomes of either's result.
    const virtualLink: VirtualLinkRequest = { instance: vi.name, vrid: vi.virtualRouterId, family: cfg.family, base: link, otherFamilyEvips: cfg.evips.some((a) => a.family !== cfg.family) };
    const tookVirtualLink = (r: VmacResult, fallback: string): void => {
      if ('problem' in r) problems.push({ instance: vi.name, code: 'unsupported', message: `${r.problem}: ${fallback}` });
      else {
        vmac = r.link;
        byName.set(vmac.name, vmac);
      }
    };
    if (vi.useVmac && vmacs) {
      // (unicast peers without vmac_xmit_base were given it by the config's completion, as keepalived does)
      const mac = vi.useVmac.mac;
      const r = await vmacs.bringUp({
        ...virtualLink,
        ...(vi.useVmac.name !== undefined ? { name: vi.useVmac.name } : {}),
        // A five-octet MAC takes the VRID as its sixth (keepalived).
        ...(mac !== undefined ? { mac: mac.split(':').length === 5 ? `${mac}:${vi.virtualRouterId.toString(16).padStart(2, '0')}` : mac } : {}),
        xmitBase,
        src: src.text,
      });
      tookVirtualLink(r, `the VIPs go on ${ifname} with its own MAC`);
    }
    // keepalived's vrrp_complete_instance: an IPv4 ipvlan without an address, or an address of the
    // other family, leaves the instance in FAULT (the ipvlan is made all the same).
    if (vi.useIpvlan && (cfg.family === 'inet' ? !ipvlanAddr : ipvlanAddr !== undefined && ipvlanAddr.family !== cfg.family)) configFaults.push(vi.name);
    if (vi.useIpvlan && vmacs) {
      const r = await vmacs.bringUpIpvlan({
        ...virtualLink,
        ...(vi.useIpvlan.name !== undefined ? { name: vi.useIpvlan.name } : {}),
        ...(ipvlanAddr && ipvlanAddr.family === cfg.family ? { address: { text: ipvlanAddr.address.text, prefixLength: ipvlanAddr.prefixLen } } : {}),
        mode: vi.useIpvlan.type,
      });
      tookVirtualLink(r, `the VIPs go on ${ifname}`);
    }
    const sockLink = vmac && !xmitBase ? vmac : link;
    const addresses = new Map<string, AddressSpec & { ifindex: number }>();
    // VIPs without a dev go on a VMAC; with use_ipvlan keepalived 2.2.7 leaves them on the
    // configured interface (only its own address goes on the ipvlan).
    const vipDev = vmac && !vi.useIpvlan ? vmac.name : ifname;
    for (const v of [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded]) {
      const s = vipSpec(v, vipDev, ifindexOf);
      if (s) addresses.set(v.ip.address.text, s);
      else problems.push({ instance: vi.name, code: 'no-interface', message: `(${vi.name}) VIP ${v.ip.address}: interface ${v.dev} does not exist` });
    }
    for (const v of [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded]) {
      if (v.useVmac) problems.push({ instance: vi.name, code: 'unsupported', message: `(${vi.name}) VIP ${v.ip.address}: use_vmac is not supported yet: the address goes on ${v.dev ?? ifname}` });
    }
    for (const r of vi.virtualRoutes) {
      const skipped = routeNotApplied(r);
      if (skipped.length > 0) problems.push({ instance: vi.name, code: 'unsupported', message: `(${vi.name}) virtual route at line ${r.loc.line}: ${skipped.join(', ')} not supported yet: the route is added without ${skipped.length > 1 ? 'them' : 'it'}` });
    }
    if (vi.virtualRules.length > 0) {
      problems.push({ instance: vi.name, code: 'unsupported', message: `(${vi.name}) virtual_rules are not supported yet: ${vi.virtualRules.length} rule(s) not added` });
    }
    const routes = vi.virtualRoutes.map((r) => routeSpec(r, ifname));
    const group = vi.mcastDstIp ?? ipOf(cfg.family === 'inet' ? g.vrrpMcastGroup4 || VRRP_GROUP4 : g.vrrpMcastGroup6 || VRRP_GROUP6, LENIENT_V4);
    // The VMAC is tracked like the instance's own interface: deleted or down, the instance is FAULT.
    const trackers = vmac ? [...cfg.trackers, { type: 'interface' as const, name: vmac.name, weight: 0, reverse: false }] : cfg.trackers;
    specs.push({
      cfg: { ...cfg, srcIp: cfg.srcIp ?? src, trackers },
      ifname: sockLink.name,
      ifindex: sockLink.ifindex,
      mac: vmac?.mac ?? link.mac,
      wire: {
        cfg: { ...cfg, srcIp: cfg.srcIp ?? src, trackers },
        src,
        group,
        ...(vi.unicastTtl !== undefined ? { unicastTtl: vi.unicastTtl } : {}),
      },
      addresses,
      routes,
      ...(vi.unicastSrcIp ? { bindAddress: vi.unicastSrcIp.text } : {}),
      ...(configured || vmac ? {} : { srcFromInterface: true }),
    });
  }
  // Host-wide addresses, routes and rules: parsed and checked by the config, not added yet.
  const statics = ([['static_ipaddress', model.staticIpaddress.length], ['static_routes', model.staticRoutes.length], ['static_rules', model.staticRules.length]] as const).filter(([, n]) => n > 0);
  if (statics.length > 0) {
    problems.push({ instance: '', code: 'unsupported', message: `${statics.map(([k, n]) => `${k} (${n})`).join(', ')} not supported yet: not added to the host` });
  }
  return { specs, problems, links, configFaults };
}

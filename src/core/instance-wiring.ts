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
  const opts = new Set(v.options);
  const pl = v.options.indexOf('preferred_lft');
  return {
    address: v.ip.address.text,
    prefixLength: v.ip.prefixLen,
    dev,
    ifindex,
    ...(v.brd !== undefined ? { broadcast: v.brd } : {}),
    ...(v.scope !== undefined ? { scope: v.scope as AddressSpec['scope'] } : {}),
    ...(v.label !== undefined ? { label: v.label } : {}),
    ...(v.peer !== undefined ? { peer: v.peer } : {}),
    // keepalived adds IPv6 VIPs with IFA_F_NODAD unless told otherwise; `-nodad` is the keyword.
    ...(v.ip.family === 'inet6' ? { noDad: true } : {}),
    ...(opts.has('home') ? { home: true } : {}),
    ...(opts.has('mngtmpaddr') ? { mngtmpaddr: true } : {}),
    ...(opts.has('noprefixroute') ? { noPrefixRoute: true } : {}),
    ...(opts.has('autojoin') ? { autojoin: true } : {}),
    ...(pl >= 0 && v.options[pl + 1] !== undefined
      ? { preferredLft: v.options[pl + 1] === 'forever' ? 'forever' : Number(v.options[pl + 1]) }
      : {}),
  };
}

const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw']);

/** `ip route` words (the subset keepalived's virtual_routes use) -> RouteSpec. */
export function routeSpec(r: RouteEntry, defaultDev: string): RouteSpec | undefined {
  const w = [...r.words];
  let type: RouteType | undefined;
  if (w[0] !== undefined && ROUTE_TYPES.has(w[0])) type = w.shift() as RouteType;
  if (w[0] === 'to') w.shift();
  const dstWord = w.shift();
  if (!dstWord) return undefined;
  const [dst, len] = dstWord.split('/');
  const spec: { -readonly [K in keyof RouteSpec]: RouteSpec[K] } = { dst, ...(len !== undefined ? { prefixLength: Number(len) } : {}) };
  if (type) spec.type = type;
  for (let i = 0; i < w.length; i++) {
    const k = w[i];
    const v = w[i + 1];
    switch (k) {
      case 'via':
      case 'gw':
        spec.via = v;
        i++;
        break;
      case 'dev':
      case 'oif':
        spec.dev = v;
        i++;
        break;
      case 'src':
        spec.src = v;
        i++;
        break;
      case 'metric':
      case 'preference':
        spec.metric = Number(v);
        i++;
        break;
      case 'table':
        spec.table = v === 'main' ? 254 : v === 'local' ? 255 : Number(v);
        i++;
        break;
      case 'scope':
        spec.scope = v as RouteSpec['scope'];
        i++;
        break;
      default:
        break; // options we do not model yet (no_track, onlink ...): ignored
    }
  }
  if (spec.dev === undefined && spec.via === undefined && (type === undefined || type === 'unicast')) spec.dev = defaultDev;
  return spec;
}

export interface WiredConfig {
  readonly specs: RuntimeInstanceSpec[];
  readonly problems: WiringProblem[];
  /** The kernel's links as read for this wiring (the daemon checks configured interfaces against them). */
  readonly links: readonly LinkInfo[];
}

export async function wireInstances(model: KeepalivedConfig, kernel: Kernel): Promise<WiredConfig> {
  const links = await kernel.listLinks();
  const byName = new Map(links.map((l) => [l.name, l]));
  const ifindexOf = (n: string) => byName.get(n)?.ifindex;
  const specs: RuntimeInstanceSpec[] = [];
  const problems: WiringProblem[] = [];
  const g = model.globalDefs;
  for (const vi of model.vrrpInstances as VrrpInstance[]) {
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
    if (vi.useVmac) {
      problems.push({ instance: vi.name, code: 'unsupported', message: `(${vi.name}) use_vmac is not supported yet: the VIPs go on ${ifname} with its own MAC` });
    }
    if (!vi.accept && vi.priority !== 255) {
      problems.push({ instance: vi.name, code: 'unsupported', message: `(${vi.name}) no_accept (explicit or from strict mode) is not enforced yet: no firewall rules drop traffic to the VIPs` });
    }
    const cfg = instanceConfigFromModel(model, vi);
    const allVips = [...cfg.vips, ...cfg.evips].map((a) => a.text);
    const configured = cfg.srcIp;
    // The interface's primary address comes from the kernel as text: parsed once here.
    const primary = configured ? undefined : await kernel.primaryAddress(link.ifindex, cfg.family, allVips);
    const src = configured ?? (primary === undefined ? undefined : IpAddress.parse(primary, LENIENT));
    if (!src) {
      problems.push({ instance: vi.name, code: 'no-source-address', message: `(${vi.name}) interface ${ifname} has no ${cfg.family === 'inet' ? 'IPv4' : 'IPv6 link-local'} address to send from` });
      continue;
    }
    const addresses = new Map<string, AddressSpec & { ifindex: number }>();
    for (const v of [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded]) {
      const s = vipSpec(v, ifname, ifindexOf);
      if (s) addresses.set(v.ip.address.text, s);
      else problems.push({ instance: vi.name, code: 'no-interface', message: `(${vi.name}) VIP ${v.ip.address}: interface ${v.dev} does not exist` });
    }
    const routes = vi.virtualRoutes.map((r) => routeSpec(r, ifname)).filter((r): r is RouteSpec => r !== undefined);
    const group = vi.mcastDstIp ?? ipOf(cfg.family === 'inet' ? g.vrrpMcastGroup4 || VRRP_GROUP4 : g.vrrpMcastGroup6 || VRRP_GROUP6, LENIENT_V4);
    specs.push({
      cfg: { ...cfg, srcIp: cfg.srcIp ?? src },
      ifname,
      ifindex: link.ifindex,
      mac: link.mac,
      wire: {
        cfg: { ...cfg, srcIp: cfg.srcIp ?? src },
        src,
        group,
        // v3_checksum_as_v2 is a keepalived 2.3 keyword that 2.2.7 (and our config) refuses.
        checksumAsV2: false,
        ...(vi.unicastTtl !== undefined ? { unicastTtl: vi.unicastTtl } : {}),
      },
      addresses,
      routes,
      ...(vi.unicastSrcIp ? { bindAddress: vi.unicastSrcIp.text } : {}),
      ...(configured ? {} : { srcFromInterface: true }),
    });
  }
  return { specs, problems, links };
}

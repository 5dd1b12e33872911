// VMAC interfaces (use_vmac): per instance a macvlan in private mode over the instance's
// interface, carrying the virtual MAC (RFC 5798 7.3: 00:00:5e:00:01:VRID, IPv6 00:00:5e:00:02:VRID)
// so that the switches see the MAC move on failover instead of hosts re-learning an ARP entry.
// What is set up, as keepalived 2.2.7 does it (vrrp_vmac.c, vrrp_if_config.c; ADR 0023):
//  * the name: the configured one, else `vrrp.VRID`, and when that is taken vrrp1.VRID,
//    vrrp2.VRID ... (IPv6 tries vrrp6.VRID first); a private macvlan over the same interface with
//    the right MAC that already exists is adopted whatever its name ("Found matching interface");
//    one with the name that does not match is deleted and created again; a configured name that
//    belongs to some other kind of interface is ignored;
//  * IPv4: on the macvlan arp_ignore=1, accept_local=1, rp_filter=0, promote_secondaries=1; on
//    the base interface arp_ignore=1 and arp_filter=1 (the old values put back at stop);
//  * IPv6 off on an IPv4 VMAC (disable_ipv6=1), address generation mode none (no EUI-64
//    link-local from the virtual MAC, RFC 5798 7.4), then the link set up; an IPv6 VMAC that
//    sends (no vmac_xmit_base) gets the instance's link-local source address as /64;
//  * at stop the macvlan is deleted (not with --dont-release-vrrp, which leaves the VIPs on it);
//  * a VMAC deleted behind our back is created again while its base interface exists.
// use_ipvlan (keepalived's netlink_link_add_ipvlan) goes through the same set: an ipvlan in L2
// mode with the configured flag (bridge: none, private, vepa) over the interface, created up; the
// name as for a VMAC (the configured one, else vrrp.VRID ...); an L2 ipvlan over the same
// interface with the same flag (and name and address when configured) is adopted; the configured
// address goes on it (it is the adverts' source too; the VIPs stay on the configured interface,
// as keepalived 2.2.7 places them: only a VMAC takes them); IPv6 off on an IPv4 one unless eVIPs of the
// other family; no ARP sysctls (keepalived sets none for an ipvlan); deleted at stop.
import type { Kernel, LinkDetails, LinkInfo } from '../../kernel/kernel.js';
import { KernelError } from '../../kernel/errors.js';
import type { Family } from '../../lib/ip.js';
import type { Logger } from '../../lib/log.js';
import type { KernelEventWatch } from '../../kernel/kernel.js';

/** What a VMAC and an ipvlan request have in common. */
export interface VirtualLinkRequest {
  readonly instance: string;
  readonly vrid: number;
  readonly family: Family;
  readonly base: LinkInfo;
  /** use_vmac NAME / use_ipvlan NAME. */
  readonly name?: string;
  /** The instance has eVIPs of the other family: IPv6 stays on for an IPv4 VMAC or ipvlan. */
  readonly otherFamilyEvips: boolean;
}

/** What one instance asks for. */
export interface VmacRequest extends VirtualLinkRequest {
  /** use_vmac MAC (a MAC of the user's instead of the RFC 5798 one). */
  readonly mac?: string;
  /** vmac_xmit_base: adverts go from the base interface; an IPv6 VMAC then gets no link-local. */
  readonly xmitBase: boolean;
  /** The instance's source address (IPv6: put on the VMAC as /64 when it sends). */
  readonly src: string;
}

/** What one use_ipvlan instance asks for. */
export interface IpvlanRequest extends VirtualLinkRequest {
  /** use_ipvlan ADDR[/LEN]: put on the ipvlan (keepalived adds it with the prefix given, else /32 or /128). */
  readonly address?: { readonly text: string; readonly prefixLength: number };
  readonly mode: 'bridge' | 'private' | 'vepa';
}

export type VmacResult = { readonly link: LinkInfo } | { readonly problem: string };

/** The wiring's view: bring up the VMAC of one instance. */
export interface VmacProvider {
  bringUp(req: VmacRequest): Promise<VmacResult>;
  /** use_ipvlan: bring up the ipvlan of one instance. */
  bringUpIpvlan(req: IpvlanRequest): Promise<VmacResult>;
}

/** RFC 5798 7.3: the virtual router MAC address of `vrid` for `family`. */
export function virtualMac(vrid: number, family: Family): string {
  return `00:00:5e:00:${family === 'inet6' ? '02' : '01'}:${(vrid & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * keepalived's default names for the VMAC of `vrid`, in the order it tries them: vrrp.VRID, then
 * for IPv6 vrrp6.VRID, vrrp1.VRID ... (skipping 6), for IPv4 vrrp1.VRID, vrrp2.VRID ...
 */
export function* vmacNames(vrid: number, family: Family, prefix = 'vrrp'): Generator<string> {
  const fit = (p: string, suffix: string) => (p.length + suffix.length > 15 ? p.slice(0, 15 - suffix.length) : p) + suffix;
  yield fit(prefix, `.${vrid}`);
  const order = family === 'inet6' ? [6, 1, 2, 3, 4, 5] : [1, 2, 3, 4, 5, 6];
  for (let n = 7; n < 100; n++) order.push(n);
  for (const n of order) yield fit(`${prefix}${n}`, `.${vrid}`);
}

const VMAC_IPV4_CONF = { arp_ignore: 1, accept_local: 1, rp_filter: 0, promote_secondaries: 1 } as const;
const BASE_IPV4_CONF = { arp_ignore: 1, arp_filter: 1 } as const;
const ADDR_GEN_MODE_NONE = 1;

/** What differs between a VMAC (macvlan) and an ipvlan in the naming and its messages. */
interface LinkKind {
  /** Whether an existing link of the configured name is this kind (else the name is ignored). */
  readonly sameKind: (d: LinkDetails) => boolean;
  readonly described: string;
  readonly keyword: string;
  readonly logName: string;
  readonly article: string;
  readonly noun: string;
}

const MACVLAN: LinkKind = { sameKind: (d) => d.kind === 'macvlan', described: 'a private macvlan', keyword: 'vmac', logName: 'macvlan', article: 'a', noun: 'VMAC' };
const IPVLAN: LinkKind = { sameKind: (d) => d.kind === 'ipvlan' && d.ipvlanMode === 0, described: 'an l2 ipvlan', keyword: 'ipvlan', logName: 'IPVLAN', article: 'an', noun: 'ipvlan' };

interface Ours {
  req: VmacRequest | (IpvlanRequest & { readonly ipvlan: true });
  name: string;
  ifindex: number;
}

/** The first of keepalived's default names for this VRID that no link has and we do not use. */
function freeName(vrid: number, family: 'inet' | 'inet6', links: readonly LinkInfo[], taken: ReadonlySet<string>): string | undefined {
  const names = new Set(links.map((l) => l.name));
  for (const n of vmacNames(vrid, family)) if (!names.has(n) && !taken.has(n)) return n;
  return undefined;
}

export class VmacSet implements VmacProvider {
  private readonly ours = new Map<string, Ours>();
  /** Base interfaces whose arp_ignore/arp_filter we changed: the old values and how many VMACs need them. */
  private readonly bases = new Map<number, { saved: { arp_ignore: number; arp_filter: number }; refs: number }>();
  private watch: KernelEventWatch | undefined;
  private stopping = false;
  private readonly recreating = new Set<string>();

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
  ) {}

  /** The VMACs this daemon owns, by instance. */
  get links(): ReadonlyMap<string, { name: string; ifindex: number }> {
    return new Map([...this.ours].map(([k, v]) => [k, { name: v.name, ifindex: v.ifindex }]));
  }

  async bringUp(req: VmacRequest): Promise<VmacResult> {
    const mac = req.mac ?? virtualMac(req.vrid, req.family);
    const taken = new Set([...this.ours.values()].map((o) => o.name));
    const links = await this.kernel.listLinks();
    let adopt: LinkInfo | undefined;
    // An existing private macvlan over the base with our MAC is ours to use, whatever its name.
    for (const l of links) {
      if (l.mac !== mac || taken.has(l.name)) continue;
      const d = await this.kernel.linkDetails(l.ifindex);
      if (d?.kind === 'macvlan' && d.macvlanMode === 'private' && d.parent === req.base.ifindex) {
        adopt = l;
        break;
      }
    }
    return this.bringUpAs(MACVLAN, req, links, taken, adopt, (name) => this.setUp(req, name, mac, adopt), req);
  }

  async bringUpIpvlan(req: IpvlanRequest): Promise<VmacResult> {
    const taken = new Set([...this.ours.values()].map((o) => o.name));
    const links = await this.kernel.listLinks();
    let adopt: LinkInfo | undefined;
    // keepalived adopts an L2 ipvlan over the same interface with the same flag, and the same
    // name and address when these are configured (not an IPv6 one with neither configured).
    if (!(req.family === 'inet6' && req.name === undefined && req.address === undefined)) {
      for (const l of links) {
        if (taken.has(l.name) || (req.name !== undefined && req.name !== l.name)) continue;
        const d = await this.kernel.linkDetails(l.ifindex);
        if (d?.kind !== 'ipvlan' || d.ipvlanMode !== 0 || d.ipvlanFlags !== req.mode || d.parent !== req.base.ifindex) continue;
        if (req.address !== undefined) {
          const have = await this.kernel.listAddresses(l.ifindex, req.family);
          if (!have.some((a) => a.address === req.address!.text)) continue;
        }
        adopt = l;
        break;
      }
    }
    return this.bringUpAs(IPVLAN, req, links, taken, adopt, (name) => this.setUpIpvlan(req, name, adopt), { ...req, ipvlan: true });
  }

  /**
   * The part both kinds share once the search for a link to adopt is over: the name (the adopted
   * link's; else the configured one, deleting a link of that name and kind to make it again and
   * ignoring the name when a link of another kind has it; else the first free default), then
   * the set-up, and the link remembered as ours.
   */
  private async bringUpAs(
    kind: LinkKind,
    req: VirtualLinkRequest,
    links: readonly LinkInfo[],
    taken: ReadonlySet<string>,
    adopt: LinkInfo | undefined,
    setUp: (name: string) => Promise<LinkInfo>,
    remember: Ours['req'],
  ): Promise<VmacResult> {
    let name: string;
    if (adopt) {
      this.log.info({ instance: req.instance, ifname: adopt.name }, `(${req.instance}) Found matching interface ${adopt.name}`);
      if (req.name !== undefined && req.name !== adopt.name) this.log.info(`(${req.instance}) vmac name mismatch ${req.name} <=> ${adopt.name}. changing to ${adopt.name}.`);
      name = adopt.name;
    } else {
      let configured = req.name;
      if (configured !== undefined) {
        const d = await this.kernel.linkDetails(configured);
        if (d && !kind.sameKind(d)) {
          this.log.warn({ instance: req.instance }, `(${req.instance}) interface ${configured} already exists and is not ${kind.described}; ignoring ${kind.keyword} if_name`);
          configured = undefined;
        } else if (d) {
          this.log.info({ instance: req.instance }, `(${req.instance}) ${kind.logName} ${configured} already exists but is incompatible. It will be deleted/updated`);
          await this.kernel.deleteLink(d.ifindex);
        }
      }
      if (configured !== undefined) name = configured;
      else {
        const pick = freeName(req.vrid, req.family, links, taken);
        if (pick === undefined) return { problem: `(${req.instance}) no free name for ${kind.article} ${kind.noun} interface` };
        name = pick;
      }
    }
    try {
      const link = await setUp(name);
      this.ours.set(req.instance, { req: remember, name, ifindex: link.ifindex });
      return { link };
    } catch (e) {
      const code = e instanceof KernelError ? e.code : String(e);
      return { problem: `(${req.instance}): Unable to create ${kind.noun} interface ${name} (${code})` };
    }
  }

  private async setUpIpvlan(req: IpvlanRequest, name: string, adopted: LinkInfo | undefined): Promise<LinkInfo> {
    const created = adopted ?? (await this.kernel.createVirtualLink({ kind: 'ipvlan', name, parent: req.base.ifindex, mode: req.mode }));
    const ifindex = created.ifindex;
    await this.kernel.configureLink(ifindex, { up: true });
    await this.kernel.configureLink(ifindex, { disableIpv6: req.family === 'inet' && !req.otherFamilyEvips });
    if (req.address !== undefined) {
      await this.kernel.addAddress({ address: req.address.text, prefixLength: req.address.prefixLength, dev: ifindex, ...(req.family === 'inet6' ? { noDad: true } : {}) });
    }
    return (await this.kernel.getLink(ifindex)) ?? created;
  }

  private async setUp(req: VmacRequest, name: string, mac: string, adopted: LinkInfo | undefined): Promise<LinkInfo> {
    const created = adopted ?? (await this.kernel.createVirtualLink({ kind: 'macvlan', name, parent: req.base.ifindex, mac, mode: 'private' }));
    const ifindex = created.ifindex;
    if (req.family === 'inet' && !adopted) {
      await this.kernel.configureLink(ifindex, { ipv4Conf: VMAC_IPV4_CONF });
      await this.holdBase(req.base.ifindex);
    }
    await this.kernel.configureLink(ifindex, { disableIpv6: req.family === 'inet' && !req.otherFamilyEvips });
    // The generation mode before the link goes up: else the kernel adds an EUI-64 link-local first.
    await this.kernel.configureLink(ifindex, { addrGenMode: ADDR_GEN_MODE_NONE });
    await this.kernel.configureLink(ifindex, { up: true });
    if (req.family === 'inet6' && !req.xmitBase) {
      await this.kernel.addAddress({ address: req.src, prefixLength: 64, dev: ifindex, noDad: true, scope: 'link' });
    }
    return (await this.kernel.getLink(ifindex)) ?? created;
  }

  private async holdBase(ifindex: number): Promise<void> {
    const held = this.bases.get(ifindex);
    if (held) {
      held.refs++;
      return;
    }
    const d = await this.kernel.linkDetails(ifindex);
    const saved = { arp_ignore: d?.ipv4Conf?.arp_ignore ?? 0, arp_filter: d?.ipv4Conf?.arp_filter ?? 0 };
    if (saved.arp_ignore === 1 && saved.arp_filter === 1) return;
    await this.kernel.configureLink(ifindex, { ipv4Conf: BASE_IPV4_CONF });
    this.bases.set(ifindex, { saved, refs: 1 });
  }

  /** Follows link deletions: a VMAC of ours deleted by someone else is created again. */
  watchDeletions(): void {
    if (this.watch || this.ours.size === 0) return;
    this.watch = this.kernel.watchEvents({
      onEvents: (events) => {
        for (const e of events) {
          if (e.kind !== 'link' || e.action !== 'delete' || this.stopping) continue;
          for (const [instance, o] of this.ours) {
            if (o.ifindex !== e.ifindex || this.recreating.has(instance)) continue;
            this.recreating.add(instance);
            void this.recreate(instance, o).finally(() => this.recreating.delete(instance));
          }
        }
      },
    });
  }

  private async recreate(instance: string, o: Ours): Promise<void> {
    try {
      const base = await this.kernel.getLink(o.req.base.ifindex);
      if (!base || this.stopping) return;
      this.log.info({ instance, ifname: o.name }, `(${instance}) VMAC interface ${o.name} was deleted: creating it again`);
      // The base's settings stay as we set them; only the macvlan's own are made again.
      const bases = this.bases.get(o.req.base.ifindex);
      if (bases) bases.refs--;
      const link =
        'ipvlan' in o.req
          ? await this.setUpIpvlan({ ...o.req, base }, o.name, undefined)
          : await this.setUp({ ...o.req, base }, o.name, o.req.mac ?? virtualMac(o.req.vrid, o.req.family), undefined);
      o.ifindex = link.ifindex;
    } catch (e) {
      this.log.error({ instance, ifname: o.name, err: String(e) }, `(${instance}) cannot create VMAC interface ${o.name} again`);
    }
  }

  /** Deletes every VMAC of ours and puts the base interfaces' ARP settings back. */
  async removeAll(): Promise<void> {
    this.stopping = true;
    this.watch?.close();
    this.watch = undefined;
    for (const [instance, o] of this.ours) {
      try {
        await this.kernel.deleteLink(o.ifindex);
      } catch (e) {
        if (!(e instanceof KernelError && e.code === 'ENODEV')) this.log.warn({ instance, err: String(e) }, `(${instance}) Error removing VMAC interface ${o.name}`);
      }
    }
    this.ours.clear();
    for (const [ifindex, b] of this.bases) {
      try {
        await this.kernel.configureLink(ifindex, { ipv4Conf: b.saved });
      } catch (e) {
        if (!(e instanceof KernelError && e.code === 'ENODEV')) this.log.warn({ ifindex, err: String(e) }, 'cannot restore arp_ignore/arp_filter');
      }
    }
    this.bases.clear();
  }

  /** --dont-release-vrrp: the VMACs stay (the VIPs are on them); only the watch ends. */
  release(): void {
    this.stopping = true;
    this.watch?.close();
    this.watch = undefined;
  }
}

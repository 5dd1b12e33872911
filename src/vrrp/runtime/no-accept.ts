// Accept mode (RFC 5798 6.1 Accept_Mode; RFC 3768 has no accept mode, a master never accepts
// traffic for addresses it does not own). An instance with no_accept (or strict mode, which
// implies it) that is not the address owner drops traffic to and from its VIPs and eVIPs while it
// holds them, as keepalived 2.2.7 does: the addresses go into our nftables sets just before the
// VIPs are added on becoming master, and leave them just after the VIPs are removed.
import type { Logger } from '../../lib/log.js';
import { isIpv6LinkLocal, parseIpv6 } from '../../lib/ip.js';
import type { DropAddress } from '../../kernel/nft-ruleset.js';
import type { NftFirewall } from '../../kernel/nft-firewall.js';
import type { AcceptModeHook, RuntimeInstanceSpec } from './vrrp-runtime.js';

export interface NoAcceptInstance {
  readonly spec: RuntimeInstanceSpec;
  /**
   * dont_track_primary: keepalived keys the instance's own link-local VIPs by interface name
   * rather than index (unless nftables_ifindex).
   */
  readonly linkByName: boolean;
}

export class NoAcceptFirewall implements AcceptModeHook {
  private readonly byInstance = new Map<string, Map<string, DropAddress>>();

  constructor(
    private readonly firewall: NftFirewall,
    instances: readonly NoAcceptInstance[],
    private readonly log: Logger,
  ) {
    for (const { spec, linkByName } of instances) {
      const m = new Map<string, DropAddress>();
      for (const [text, a] of spec.addresses) {
        const v6bytes = text.includes(':') ? parseIpv6(text) : undefined;
        const v6 = text.includes(':');
        const dev = typeof a.dev === 'string' ? a.dev : spec.ifname;
        m.set(text, {
          address: text,
          family: v6 ? 'ip6' : 'ip',
          ...(v6bytes && isIpv6LinkLocal(v6bytes) ? { link: { ifname: dev, ifindex: a.ifindex, byName: linkByName && dev === spec.ifname } } : {}),
        });
      }
      this.byInstance.set(spec.cfg.name, m);
    }
  }

  /** True when `instance` drops traffic to its VIPs while master. */
  concerns(instance: string): boolean {
    return this.byInstance.has(instance);
  }

  async beforeAdd(instance: string, addresses: readonly string[]): Promise<void> {
    const addrs = this.pick(instance, addresses);
    if (addrs.length === 0) return;
    this.log.debug({ instance }, `(${instance}) setting firewall drop rule`);
    await this.firewall.drop(addrs).catch((e: unknown) => this.log.error({ instance, err: String(e) }, 'nftables: cannot set the drop rule'));
  }

  async afterRemove(instance: string, addresses: readonly string[]): Promise<void> {
    const addrs = this.pick(instance, addresses);
    if (addrs.length === 0) return;
    this.log.debug({ instance }, `(${instance}) removing firewall drop rule`);
    await this.firewall.allow(addrs).catch((e: unknown) => this.log.error({ instance, err: String(e) }, 'nftables: cannot remove the drop rule'));
  }

  private pick(instance: string, addresses: readonly string[]): DropAddress[] {
    const m = this.byInstance.get(instance);
    if (!m) return [];
    return addresses.map((a) => m.get(a)).filter((a): a is DropAddress => a !== undefined);
  }
}

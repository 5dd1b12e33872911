// The FSM's normalised view of one vrrp_instance: every default resolved, every interval in a
// unit type. Built from the typed config model by instanceConfigFromModel (src/vrrp/model-adapter.ts)
// or directly by tests through makeInstanceConfig.
import { ipOf, type IpAddress } from '../../lib/ip.js';
import type { Centiseconds, Ms } from '../../lib/units.js';
import { cs, ms } from '../../lib/units.js';
import type { AuthType, Family, VrrpVersion } from '../packet/types.js';
import type { TrackerConfig } from '../tracking.js';

export interface UnicastPeer {
  readonly address: IpAddress;
  /** unicast_peer min_ttl / max_ttl: presence turns on the source check for this peer. */
  readonly minTtl?: number;
  readonly maxTtl?: number;
}

export interface GarpConfig {
  /** garp_master_delay: second burst after becoming master (0 = none). Default 5 s. */
  readonly masterDelay: Ms;
  /** garp_master_repeat: GARPs per address per burst. Default 5. */
  readonly masterRepeat: number;
  /** garp_master_refresh: periodic GARP while master (0 = off). */
  readonly masterRefresh: Ms;
  /** garp_master_refresh_repeat. Default 1. */
  readonly masterRefreshRepeat: number;
  /** garp_lower_prio_delay (default = masterDelay). */
  readonly lowerPrioDelay: Ms;
  /** garp_lower_prio_repeat (default = masterRepeat). */
  readonly lowerPrioRepeat: number;
}

export interface NotifyConfig {
  readonly master?: string;
  readonly backup?: string;
  readonly fault?: string;
  readonly stop?: string;
  readonly deleted?: string;
  /** Generic `notify`: gets INSTANCE name STATE priority appended. */
  readonly generic?: string;
  readonly masterRxLowerPri?: string;
  /** A notify_fifo / vrrp_notify_fifo is configured: emit FIFO lines. */
  readonly fifo: boolean;
}

export interface InstanceConfig {
  readonly name: string;
  readonly vrid: number;
  readonly version: VrrpVersion;
  readonly family: Family;
  /** Base priority 1..255 (255 = address owner). */
  readonly priority: number;
  /** advert_int; v2 values are whole seconds (x100). */
  readonly advertInt: Centiseconds;
  /** false with nopreempt. */
  readonly preempt: boolean;
  /** preempt_delay (0 = none). */
  readonly preemptDelay: Ms;
  /** virtual_ipaddress, in config order (these are advertised). */
  readonly vips: readonly IpAddress[];
  /** virtual_ipaddress_excluded: installed and GARPed, never advertised. */
  readonly evips: readonly IpAddress[];
  readonly unicastPeers: readonly UnicastPeer[];
  /** Our source address (unicast_src_ip / mcast_src_ip / interface primary) for equal-priority compare. */
  readonly srcIp?: IpAddress;
  readonly checkUnicastSrc: boolean;
  readonly authType: AuthType;
  /** auth_pass, at most 8 bytes, as configured. */
  readonly authPass?: string;
  readonly garp: GarpConfig;
  /** down_timer_adverts 1..100, default 3. */
  readonly downTimerAdverts: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly ownerIgnoreAdverts: boolean;
  readonly skipCheckAdvAddr: boolean;
  /** Trackers in evaluation order, including the implicit own-interface tracker. */
  readonly trackers: readonly TrackerConfig[];
  readonly notify: NotifyConfig;
  /** Name of the vrrp_sync_group this instance belongs to. */
  readonly syncGroup?: string;
  /**
   * `state` as configured (keepalived's default follows priority: 255 -> MASTER). Only an
   * owner that does not say `state BACKUP` skips the start-up Master_Down wait (3.6).
   */
  readonly initialState?: 'MASTER' | 'BACKUP';
}

export const DEFAULT_GARP: GarpConfig = {
  masterDelay: ms(5000),
  masterRepeat: 5,
  masterRefresh: ms(0),
  masterRefreshRepeat: 1,
  lowerPrioDelay: ms(5000),
  lowerPrioRepeat: 5,
};

/** An address as a value, or as text that must parse (fixtures, benchmarks). */
export type IpLike = IpAddress | string;

/** What makeInstanceConfig takes: any InstanceConfig fields, addresses as values or text. */
export type InstanceConfigInput = Partial<Omit<InstanceConfig, 'vips' | 'evips' | 'srcIp' | 'unicastPeers'>> & {
  readonly vrid: number;
  readonly vips?: readonly IpLike[];
  readonly evips?: readonly IpLike[];
  readonly srcIp?: IpLike;
  readonly unicastPeers?: readonly (Omit<UnicastPeer, 'address'> & { readonly address: IpLike })[];
};

const ipValue = (a: IpLike): IpAddress => (typeof a === 'string' ? ipOf(a) : a);

/**
 * A complete InstanceConfig from a few fields, with keepalived's defaults for the rest. Address
 * text is parsed here (inet_pton rules) and a bad literal throws a TypeError.
 */
export function makeInstanceConfig(input: InstanceConfigInput): InstanceConfig {
  const vips = (input.vips ?? []).map(ipValue);
  const p = {
    ...input,
    vips,
    evips: (input.evips ?? []).map(ipValue),
    srcIp: input.srcIp === undefined ? undefined : ipValue(input.srcIp),
    unicastPeers: (input.unicastPeers ?? []).map((u) => ({ ...u, address: ipValue(u.address) })),
  };
  const family = p.family ?? (vips[0]?.family === 'inet6' ? 'inet6' : 'inet');
  return {
    name: p.name ?? `VI_${p.vrid}`,
    vrid: p.vrid,
    version: p.version ?? (family === 'inet6' ? 3 : 2),
    family,
    priority: p.priority ?? 100,
    advertInt: p.advertInt ?? cs(100),
    preempt: p.preempt ?? true,
    preemptDelay: p.preemptDelay ?? ms(0),
    vips: p.vips ?? [],
    evips: p.evips ?? [],
    unicastPeers: p.unicastPeers ?? [],
    srcIp: p.srcIp,
    checkUnicastSrc: p.checkUnicastSrc ?? false,
    authType: p.authType ?? 0,
    authPass: p.authPass,
    garp: p.garp ?? DEFAULT_GARP,
    downTimerAdverts: p.downTimerAdverts ?? 3,
    lowerPrioNoAdvert: p.lowerPrioNoAdvert ?? false,
    higherPrioSendAdvert: p.higherPrioSendAdvert ?? false,
    ownerIgnoreAdverts: p.ownerIgnoreAdverts ?? false,
    skipCheckAdvAddr: p.skipCheckAdvAddr ?? false,
    trackers: p.trackers ?? [],
    notify: p.notify ?? { fifo: false },
    syncGroup: p.syncGroup,
    initialState: p.initialState,
  };
}

export function isOwner(cfg: InstanceConfig): boolean {
  return cfg.priority === 255;
}

export function isUnicast(cfg: InstanceConfig): boolean {
  return cfg.unicastPeers.length > 0;
}

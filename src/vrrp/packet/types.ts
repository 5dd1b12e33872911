// Decoded VRRP advertisement: the value the codec produces and the FSM consumes.
import type { Centiseconds } from '../../lib/units.js';

export type VrrpVersion = 2 | 3;
import type { Family, IpAddress } from '../../lib/ip.js';

export type { Family };

/** RFC 3768 5.3.6 auth types (VRRPv2 only): 0 none, 1 simple text password, 2 IP AH. */
export type AuthType = 0 | 1 | 2;

export interface VrrpAdvert {
  readonly version: VrrpVersion;
  readonly family: Family;
  /** Virtual Router ID, 1..255. */
  readonly vrid: number;
  /** 0 = master is leaving; 255 = address owner. */
  readonly priority: number;
  /**
   * Advertisement interval. v2 carries whole seconds on the wire (converted x100 here); v3
   * carries 12 bits of centiseconds.
   */
  readonly advertInt: Centiseconds;
  /** v2 only; 0 for v3. */
  readonly authType: AuthType;
  /** v2 PASS: the 8 auth bytes as sent (zero padded). Absent otherwise. */
  readonly authData?: Uint8Array;
  /** The address list, in packet order. */
  readonly addresses: readonly IpAddress[];
}

/** Where an advert came from, as the socket layer reports it. */
export interface AdvertMeta {
  /** IPv4 / IPv6 source address. */
  readonly src: IpAddress;
  /** IPv4 / IPv6 destination address: the multicast group or our unicast address. */
  readonly dst: IpAddress;
  /** IPv4 TTL or IPv6 hop limit as received. */
  readonly ttl: number;
  readonly ifindex: number;
}

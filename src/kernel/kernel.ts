// The Kernel interface for links, addresses and routes (DESIGN.md seam 2). Two implementations:
// NetlinkKernel (rtnetlink requests and events over src/net/netlink-socket.ts) and RecordingKernel (an
// in-memory model that logs every op, for tests and dry runs). IPVS lives elsewhere.
//
// Value types are plain, JSON-serialisable objects. Addresses are canonical text (see
// lib/ip.ts), so results from either implementation compare with `===`.

import type { Family } from '../lib/ip.js';
import type { KernelEvent } from './link-events.js';
import { canonicalIp, isIpv6LinkLocal, LENIENT, parseIp } from '../lib/ip.js';

export type { Family } from '../lib/ip.js';

/** An interface as the daemon needs it (RTM_NEWLINK / ifinfomsg + IFLA_*). */
export interface LinkInfo {
  readonly ifindex: number;
  readonly name: string;
  /** IFF_UP: administratively up. */
  readonly up: boolean;
  /** IFF_RUNNING: operationally up (carrier present and admin up); keepalived's IF_ISUP uses UP && RUNNING. */
  readonly carrier: boolean;
  readonly mtu: number;
  /** Hardware address, lower-case `aa:bb:..`; `''` when the link has none. */
  readonly mac: string;
  /** Raw IFF_* flags. */
  readonly flags: number;
  /** IFLA_OPERSTATE name (`up`, `down`, `unknown`, ...), when the kernel sent it. */
  readonly operstate?: string;
}

/** rt_scope names as iproute2 spells them, or a raw number. */
export type ScopeName = 'global' | 'site' | 'link' | 'host' | 'nowhere';
export type Scope = ScopeName | number;

/**
 * One virtual/static address, as in a `virtual_ipaddress` line:
 * `ADDR[/len] [brd X|+|-] [dev IF] [scope S] [label L] [peer P] [home] [-nodad] [mngtmpaddr]
 * [noprefixroute] [autojoin] [preferred_lft N|forever]`.
 */
export interface AddressSpec {
  /** IPv4 or IPv6 literal (the family follows from it). */
  readonly address: string;
  /** Default: 32 for IPv4, 128 for IPv6 (keepalived's VIP default). */
  readonly prefixLength?: number;
  /** Interface name or ifindex. */
  readonly dev: string | number;
  /** IPv4 only: explicit broadcast, `+` (host bits set) or `-` / absent (none). */
  readonly broadcast?: string;
  readonly scope?: Scope;
  /** IPv4 only (IFA_LABEL). */
  readonly label?: string;
  /** Point-to-point peer (becomes IFA_ADDRESS, the address itself IFA_LOCAL). */
  readonly peer?: string;
  /** Peer prefix length when `peer` carries one. */
  readonly peerPrefixLength?: number;
  /** IPv6: IFA_F_NODAD, skip duplicate address detection (keepalived `-nodad`). */
  readonly noDad?: boolean;
  readonly home?: boolean;
  readonly mngtmpaddr?: boolean;
  readonly noPrefixRoute?: boolean;
  readonly autojoin?: boolean;
  /** Preferred lifetime in seconds; `forever` (default) or 0 to deprecate. */
  readonly preferredLft?: number | 'forever';
}

/** An address present on an interface (RTM_NEWADDR). */
export interface AddressInfo {
  readonly ifindex: number;
  readonly family: Family;
  /** IFA_LOCAL (IFA_ADDRESS when there is no local). */
  readonly address: string;
  readonly prefixLength: number;
  /** IFA_ADDRESS when it differs from IFA_LOCAL (point-to-point). */
  readonly peer?: string;
  readonly broadcast?: string;
  readonly label?: string;
  /** rt_scope number (0 global, 200 site, 253 link, 254 host). */
  readonly scope: number;
  /** IFA_F_* (the 32-bit IFA_FLAGS attribute when present). */
  readonly flags: number;
}

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

/** One `virtual_routes` / `static_routes` entry (the `ip route` subset keepalived uses most). */
export interface RouteSpec {
  /** Destination literal, or `default`. */
  readonly dst: string;
  /** Default: host route (32/128), 0 for `default`. */
  readonly prefixLength?: number;
  /** Needed when dst is `default` and there is no via/src to infer it from. */
  readonly family?: Family;
  /** Gateway (RTA_GATEWAY), same family as dst. */
  readonly via?: string;
  /** Output interface (RTA_OIF), name or ifindex. */
  readonly dev?: string | number;
  /** Preferred source (RTA_PREFSRC). */
  readonly src?: string;
  /** RTA_PRIORITY. */
  readonly metric?: number;
  /** Routing table id; default 254 (main). */
  readonly table?: number;
  /** Default like iproute2: link for a unicast route without gateway, host for local, else global. */
  readonly scope?: Scope;
  /** Default unicast. */
  readonly type?: RouteType;
  /** rtm_protocol; default 3 (boot), as `ip route add` does. */
  readonly protocol?: number;
  readonly tos?: number;
}

/** A route read back from the kernel (RTM_NEWROUTE). */
export interface RouteInfo {
  readonly family: Family;
  /** Canonical destination; `default` for a zero-length prefix. */
  readonly dst: string;
  readonly prefixLength: number;
  readonly via?: string;
  readonly ifindex?: number;
  readonly src?: string;
  readonly metric?: number;
  readonly table: number;
  readonly scope: number;
  readonly type: RouteType | number;
  readonly protocol: number;
  readonly tos: number;
}

/** What addAddress/addRoute did. `alreadyPresent` (EEXIST) means adopted: do not remove on stop. */
export interface AddResult {
  readonly alreadyPresent: boolean;
}

export interface KernelOptions {
  /** Milliseconds to wait for an rtnetlink answer. */
  readonly timeoutMs?: number;
}

/** Receivers of kernel events (watchEvents). */
export interface KernelEventHandlers {
  /** Decoded link/address changes, in kernel order. */
  onEvents(events: readonly KernelEvent[]): void;
  /** The kernel dropped events (netlink ENOBUFS): re-read the state you track. */
  onOverflow?(): void;
  /** Undecodable messages or a socket error; events keep flowing. */
  onError?(e: { code: string; detail?: string }): void;
}

export interface KernelEventWatch {
  close(): void;
}

/**
 * A virtual link over another (keepalived's use_vmac: a macvlan, use_ipvlan: an ipvlan in L2
 * mode), created with RTM_NEWLINK + IFLA_LINKINFO. See vmac-encode.ts for the message.
 */
export interface VirtualLinkSpec {
  readonly kind: 'macvlan' | 'ipvlan';
  readonly name: string;
  /** ifindex of the lower (base) interface (IFLA_LINK). */
  readonly parent: number;
  /** macvlan only: IFLA_ADDRESS, lower-case `aa:bb:..`. */
  readonly mac?: string;
  /** macvlan: private (keepalived's only mode) | vepa | bridge; ipvlan: bridge (no flag) | private | vepa. */
  readonly mode: 'private' | 'vepa' | 'bridge';
}

/** The parts of a link that RTM_GETLINK reports beyond LinkInfo (IFLA_LINK, IFLA_LINKINFO, IFLA_AF_SPEC). */
export interface LinkDetails {
  readonly ifindex: number;
  readonly name: string;
  /** IFLA_INFO_KIND (`macvlan`, `ipvlan`, `veth`, `bridge`, ...); undefined for a plain device. */
  readonly kind?: string;
  /** IFLA_LINK: the lower interface of a macvlan/ipvlan/veth. */
  readonly parent?: number;
  /** IFLA_MACVLAN_MODE name for a macvlan (private, vepa, bridge, passthru, source). */
  readonly macvlanMode?: string;
  /** IFLA_IPVLAN_MODE for an ipvlan (0 l2, 1 l3, 2 l3s). */
  readonly ipvlanMode?: number;
  /** IFLA_IPVLAN_FLAGS for an ipvlan, by keepalived's word: bridge (no flag), private, vepa. */
  readonly ipvlanFlags?: string;
  /** IPv4 devconf values by sysctl name (arp_ignore, arp_filter, accept_local, rp_filter, promote_secondaries). */
  readonly ipv4Conf?: Readonly<Record<string, number>>;
  /** IFLA_INET6_ADDR_GEN_MODE: 0 eui64, 1 none, 2 stable_privacy, 3 random. */
  readonly addrGenMode?: number;
}

/** Settings changed on an existing link (RTM_NEWLINK on its ifindex; disable_ipv6 through its sysctl). */
export interface LinkChange {
  readonly up?: boolean;
  /** IPv4 devconf by sysctl name (the names of LinkDetails.ipv4Conf), via IFLA_AF_SPEC/AF_INET/IFLA_INET_CONF. */
  readonly ipv4Conf?: Readonly<Record<string, number>>;
  /** IFLA_AF_SPEC/AF_INET6/IFLA_INET6_ADDR_GEN_MODE (1: none, no EUI-64 link-local). */
  readonly addrGenMode?: number;
  /** net.ipv6.conf.IF.disable_ipv6 (keepalived sets it through the sysctl: no netlink attribute exists). */
  readonly disableIpv6?: boolean;
}

/**
 * Everything the VRRP side asks of the kernel's addresses, routes and links.
 * Every method rejects only with a KernelError (errors.ts).
 */
export interface Kernel {
  listLinks(): Promise<LinkInfo[]>;
  /** Undefined when there is no such interface. */
  getLink(nameOrIndex: string | number): Promise<LinkInfo | undefined>;
  listAddresses(ifindex?: number, family?: Family): Promise<AddressInfo[]>;
  /** Adds with NLM_F_CREATE|NLM_F_EXCL; EEXIST is not an error but `{alreadyPresent: true}`. */
  addAddress(spec: AddressSpec): Promise<AddResult>;
  /** Rejects with EADDRNOTAVAIL when the address is not there, ENODEV without the interface. */
  deleteAddress(spec: AddressSpec): Promise<void>;
  listRoutes(family?: Family, table?: number): Promise<RouteInfo[]>;
  /** Adds with NLM_F_CREATE|NLM_F_EXCL; EEXIST gives `{alreadyPresent: true}`. */
  addRoute(spec: RouteSpec): Promise<AddResult>;
  /** Rejects with ESRCH (or ENOENT) when no such route exists. */
  deleteRoute(spec: RouteSpec): Promise<void>;
  /**
   * The address keepalived would use as the interface's own source: for IPv4 the first IPv4
   * address in the kernel's order (the primary), for IPv6 the first address with link scope.
   * Addresses in `exclude` (our own VIPs) are skipped, as keepalived skips its VIPs/eVIPs.
   */
  primaryAddress(ifindex: number, family: Family, exclude?: readonly string[]): Promise<string | undefined>;
  /**
   * Link events (RTM_NEWLINK/DELLINK), and address events too when `addresses` is set, until the
   * watch is closed (or the kernel interface is).
   */
  watchEvents(handlers: KernelEventHandlers, opts?: { readonly addresses?: boolean }): KernelEventWatch;
  /** Creates a macvlan/ipvlan (NLM_F_CREATE|NLM_F_EXCL: EEXIST when the name is taken); resolves with the new link. */
  createVirtualLink(spec: VirtualLinkSpec): Promise<LinkInfo>;
  /** RTM_DELLINK; ENODEV when there is no such link. */
  deleteLink(ifindex: number): Promise<void>;
  configureLink(ifindex: number, change: LinkChange): Promise<void>;
  /** undefined when there is no such link. */
  linkDetails(nameOrIndex: string | number): Promise<LinkDetails | undefined>;
  close(): Promise<void>;
}

export const SCOPES: Readonly<Record<ScopeName, number>> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

export function scopeNumber(s: Scope): number {
  return typeof s === 'number' ? s : SCOPES[s];
}

export const ROUTE_TYPES: Readonly<Record<RouteType, number>> = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
};

export function routeTypeName(n: number): RouteType | number {
  for (const [k, v] of Object.entries(ROUTE_TYPES)) if (v === n) return k as RouteType;
  return n;
}

/** IFA_F_* bits (linux/if_addr.h). */
export const IFA_F = {
  SECONDARY: 0x01,
  NODAD: 0x02,
  OPTIMISTIC: 0x04,
  DADFAILED: 0x08,
  HOMEADDRESS: 0x10,
  DEPRECATED: 0x20,
  TENTATIVE: 0x40,
  PERMANENT: 0x80,
  MANAGETEMPADDR: 0x100,
  NOPREFIXROUTE: 0x200,
  MCAUTOJOIN: 0x400,
} as const;

/** IFF_* bits used here (linux/if.h). */
export const IFF = { UP: 0x1, LOOPBACK: 0x8, RUNNING: 0x40, LOWER_UP: 0x10000 } as const;

export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;

/**
 * keepalived's choice of an interface's own address (keepalived_netlink.c, address filter):
 * the first IPv4 address reported, or the first IPv6 address of link scope, skipping the
 * instance's own VIPs. Shared by both Kernel implementations.
 */
export function pickPrimary(addrs: readonly AddressInfo[], family: Family, exclude: readonly string[] = []): string | undefined {
  const skip = new Set(exclude.map((x) => canonicalIp(x, LENIENT) ?? x));
  for (const a of addrs) {
    if (a.family !== family || skip.has(a.address)) continue;
    if (family === 'inet6') {
      const p = parseIp(a.address, LENIENT);
      // RT_SCOPE_LINK (253); fe80::/10 always has it, the byte check guards odd kernels.
      if (a.scope !== 253 && !(p && isIpv6LinkLocal(p.bytes))) continue;
    }
    return a.address;
  }
  return undefined;
}

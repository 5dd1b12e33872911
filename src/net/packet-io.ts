// PacketIo (DESIGN.md seam 4): how the VRRP runtime puts adverts, gratuitous ARPs and
// unsolicited neighbour advertisements on the wire and hears adverts back. Two
// implementations: NativePacketIo (raw sockets through the addon) and MemoryLan (an
// in-process Ethernet segment for multi-router tests without privileges).

import type { Family } from '../lib/ip.js';

export type IpFamily = Family;
export { ALL_NODES6, IPPROTO_AH, IPPROTO_VRRP, VRRP_GROUP4, VRRP_GROUP6 } from '../lib/protocol.js';

/** One VRRP socket: one family, one interface, multicast (a group) or unicast. */
export interface VrrpSocketSpec {
  readonly family: IpFamily;
  /** Interface name (SO_BINDTODEVICE). */
  readonly ifname: string;
  readonly ifindex: number;
  /** Multicast group joined on `ifindex`; absent for a unicast socket. */
  readonly group?: string;
  /**
   * Local address bound to the socket (keepalived binds unicast sockets to unicast_src_ip).
   * A bound raw socket only receives datagrams addressed to this address.
   */
  readonly bindAddress?: string;
  /** IPv6 only: source of sent adverts (IPV6_PKTINFO): the link-local or unicast_src_ip. */
  readonly source6?: string;
  /** 112 (default) or 51 for VRRPv2 with an IPsec AH. */
  readonly protocol?: number;
  /** IPv6 only: hop limit of unicast sends (`unicast_ttl`); kernel default when absent. */
  readonly unicastHops?: number;
}

/** One received datagram. */
export interface ReceivedPacket {
  /** Source address (text). */
  readonly src: string;
  /** Destination address (text): the multicast group or our unicast address. */
  readonly dst: string;
  /** IPv4 TTL or IPv6 hop limit as received. */
  readonly ttl: number;
  /** Interface the datagram arrived on. */
  readonly ifindex: number;
  readonly family: IpFamily;
  readonly protocol: number;
  /**
   * IPv4: the whole datagram, IPv4 header included (raw IPv4 sockets deliver it, and the
   * codec needs it for AH and the v3 pseudo-header). IPv6: the payload after the IPv6
   * header (the kernel strips it and has verified the checksum).
   */
  readonly bytes: Uint8Array;
}

/** A receive error that did not close the socket. */
export interface PacketIoError {
  readonly code: string;
  readonly errno?: number;
  readonly message: string;
}

export interface VrrpSocket {
  readonly spec: VrrpSocketSpec;
  /**
   * Sends one advert to `dst` (the group, or one unicast peer).
   * IPv4: `bytes` is a complete datagram whose header the caller built (TOS 0xc0, TTL, ID;
   * the kernel fills in total length and header checksum). IPv6: `bytes` is the VRRP packet;
   * the kernel builds the header and computes the checksum.
   * Throws a NativeError-like object (code, errno) when the kernel refuses.
   */
  send(dst: string, bytes: Uint8Array): void;
  /** Sets the receive handler (one per socket; a later call replaces it). */
  onPacket(handler: (packet: ReceivedPacket) => void): void;
  onError(handler: (error: PacketIoError) => void): void;
  close(): void;
}

export interface PacketIo {
  openVrrp(spec: VrrpSocketSpec): VrrpSocket;
  /**
   * Sends a prebuilt Ethernet frame (gratuitous ARP: broadcast ARP request "who-has VIP tell
   * VIP", keepalived-behaviour.md 3.13) out of `ifindex`.
   */
  sendGratuitousArp(ifindex: number, frame: Uint8Array): void;
  /**
   * Sends a prebuilt ICMPv6 neighbour advertisement (checksum left to the kernel) from `src`
   * out of `ifindex` with hop limit 255 to `dst` (default ff02::1).
   */
  sendUnsolicitedNa(ifindex: number, src: string, icmp: Uint8Array, dst?: string): void;
  /**
   * Receives what other hosts announce on `ifindex`: ARP frames (kind 'arp', the whole Ethernet
   * frame) and ICMPv6 neighbour advertisements (kind 'na', the ICMPv6 message). Our own
   * outgoing frames are not delivered. Returns a function that stops watching.
   */
  watchAnnouncements(ifindex: number, handler: (a: HeardAnnouncement) => void): () => void;
  /** Closes every socket this PacketIo opened. */
  close(): void;
}

/** An ARP frame or a neighbour advertisement heard on a link (PacketIo.watchAnnouncements). */
export interface HeardAnnouncement {
  readonly kind: 'arp' | 'na';
  readonly ifindex: number;
  readonly bytes: Uint8Array;
}

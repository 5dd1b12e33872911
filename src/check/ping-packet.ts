// PING_CHECK echo messages (pure). keepalived 2.2.7 check_ping.c sends an ICMP echo request
// (RFC 792) or ICMPv6 echo request (RFC 4443 4.1) with 128 octets of data filled like
// check_udp.c set_buf, and takes an echo reply as success.
//
//   0                   1                   2                   3
//  +-------+-------+---------------+-------------------------------+
//  |  type |  code |          checksum                             |
//  +---------------+---------------+-------------------------------+
//  |          identifier           |        sequence number        |
//  +-------------------------------+-------------------------------+
//  |  data ...                                                     |
//
// ICMPv4: type 8 request, 0 reply; the checksum is ours. ICMPv6: type 128 request, 129 reply;
// the kernel fills the checksum of a raw ICMPv6 socket (RFC 3542 3.1).
import { defaultUdpPayload } from './udp-check.js';

export const ICMP_ECHO_DATA_LEN = 128;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;
export const ICMP6_DEST_UNREACH = 1;

/** RFC 1071 Internet checksum. */
export function internetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2 === 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function buildEchoRequest(family: 4 | 6, id: number, seq: number): Buffer {
  const b = Buffer.alloc(8 + ICMP_ECHO_DATA_LEN);
  b[0] = family === 4 ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
  b.writeUInt16BE(id & 0xffff, 4);
  b.writeUInt16BE(seq & 0xffff, 6);
  defaultUdpPayload(ICMP_ECHO_DATA_LEN).copy(b, 8);
  if (family === 4) b.writeUInt16BE(internetChecksum(b), 2);
  return b;
}

/** What a received ICMP message says about our echo requests. */
export type EchoEvent =
  | { readonly kind: 'reply'; readonly id: number; readonly seq: number }
  /** An error quoting our echo request (the request's id and sequence). */
  | { readonly kind: 'unreachable'; readonly id: number; readonly seq: number }
  | { readonly kind: 'other' };

/**
 * Reads one ICMP message. `icmp` starts at the ICMP header: for IPv4 raw sockets the caller
 * strips the IP header (ipPayload).
 */
export function parseIcmp(family: 4 | 6, icmp: Uint8Array): EchoEvent {
  if (icmp.length < 8) return { kind: 'other' };
  const type = icmp[0]!;
  const rd16 = (o: number) => (icmp[o]! << 8) | icmp[o + 1]!;
  if (type === (family === 4 ? ICMP_ECHO_REPLY : ICMP6_ECHO_REPLY)) return { kind: 'reply', id: rd16(4), seq: rd16(6) };
  if (type === (family === 4 ? ICMP_DEST_UNREACH : ICMP6_DEST_UNREACH)) {
    // The quoted datagram: IPv4 header (IHL) or the 40-octet IPv6 header, then our request.
    const inner = 8 + (family === 4 ? ((icmp[8] ?? 0) & 0x0f) * 4 : 40);
    if (icmp.length < inner + 8 || icmp[inner] !== (family === 4 ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST)) return { kind: 'other' };
    return { kind: 'unreachable', id: rd16(inner + 4), seq: rd16(inner + 6) };
  }
  return { kind: 'other' };
}

/** The payload of an IPv4 datagram as a raw socket delivers it (header included). */
export function ipPayload(datagram: Uint8Array): Uint8Array {
  if (datagram.length < 20) return new Uint8Array(0);
  const ihl = (datagram[0]! & 0x0f) * 4;
  return datagram.subarray(ihl);
}

/** The source address of an IPv4 datagram as text. */
export function ipv4Source(datagram: Uint8Array): string {
  return datagram.length < 20 ? '' : `${datagram[12]}.${datagram[13]}.${datagram[14]}.${datagram[15]}`;
}

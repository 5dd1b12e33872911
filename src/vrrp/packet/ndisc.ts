// Unsolicited Neighbour Advertisement, the IPv6 counterpart of the gratuitous ARP (RFC 4861
// 7.2.6, RFC 5798 8.2.2), as keepalived 2.2.7 builds it on an AF_PACKET socket: IPv6 source =
// the VIP itself, destination ff02::1 (all nodes, Ethernet 33:33:00:00:00:01), hop limit 255,
// Override set, Solicited clear, Router set when the interface forwards, and a Target
// Link-Layer Address option. Confirmed against test/vectors/keepalived-2.2.7.json.
//
//   Ethernet (14): dst 33:33:00:00:00:01 | src MAC | type 0x86dd
//   IPv6 (40):     ver 6, tc 0, flow 0 | payload length 32 | next header 58 | hop limit 255
//                  | src VIP (16) | dst ff02::1 (16)
//   ICMPv6 NA (24, RFC 4861 4.4):
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   Type = 136  |   Code = 0    |          Checksum             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |R|S|O|                     Reserved                            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       Target Address (16)                     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   Option (8, RFC 4861 4.6.1): type 2 (target link-layer) | length 1 (x8 bytes) | MAC (6)
//   Checksum: RFC 4443 2.3, over the IPv6 pseudo-header (next header 58) + ICMPv6 message.
import { formatIpv6, formatMac, macOf, type IpAddress } from '../../lib/ip.js';
import { finishChecksum, pseudoHeaderSum6, sum16 } from './checksum.js';

export const ETHERTYPE_IPV6 = 0x86dd;
export const IPPROTO_ICMPV6 = 58;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_OPT_TARGET_LINKADDR = 2;
export const NA_ICMP_LEN = 24 + 8;
export const NA_FRAME_LEN = 14 + 40 + NA_ICMP_LEN;
const ALL_NODES = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const ALL_NODES_MAC = new Uint8Array([0x33, 0x33, 0, 0, 0, 1]);

export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;

export interface UnsolicitedNaInput {
  /** Interface MAC (or VMAC 00:00:5e:00:02:VRID): Ethernet source and option value. */
  readonly mac: string | Uint8Array;
  /** The virtual IPv6 address announced; also the IPv6 source, as keepalived sends it. */
  readonly target: IpAddress | Uint8Array;
  /** Router flag: keepalived sets it when IPv6 forwarding is enabled on the interface. */
  readonly router: boolean;
}

/** Builds the ICMPv6 NA message (with the target link-layer option) and its checksum. */
export function buildNaMessage(input: UnsolicitedNaInput, src: Uint8Array, dst: Uint8Array = ALL_NODES): Buffer {
  const mac = typeof input.mac === 'string' ? macOf(input.mac) : input.mac;
  const target = input.target instanceof Uint8Array ? input.target : input.target.bytes;
  if (mac.length !== 6 || target.length !== 16) throw new RangeError('NA needs a 6-byte MAC and a 16-byte IPv6 address');
  const m = Buffer.alloc(NA_ICMP_LEN);
  m[0] = ND_NEIGHBOR_ADVERT;
  m[1] = 0;
  // RFC 4861 7.2.6: unsolicited advertisements set Override and clear Solicited.
  m[4] = NA_FLAG_OVERRIDE | (input.router ? NA_FLAG_ROUTER : 0);
  m.set(target, 8);
  m[24] = ND_OPT_TARGET_LINKADDR;
  m[25] = 1;
  m.set(mac, 26);
  m.writeUInt16BE(finishChecksum(sum16(m, 0, NA_ICMP_LEN, pseudoHeaderSum6(src, dst, IPPROTO_ICMPV6, NA_ICMP_LEN))), 2);
  return m;
}

/** Builds the full 86-byte Ethernet + IPv6 + ICMPv6 unsolicited NA frame. */
export function buildUnsolicitedNa(input: UnsolicitedNaInput): Buffer {
  const mac = typeof input.mac === 'string' ? macOf(input.mac) : input.mac;
  const target = input.target instanceof Uint8Array ? input.target : input.target.bytes;
  const f = Buffer.alloc(NA_FRAME_LEN);
  f.set(ALL_NODES_MAC, 0);
  f.set(mac, 6);
  f.writeUInt16BE(ETHERTYPE_IPV6, 12);
  f[14] = 0x60; // version 6, traffic class 0, flow label 0
  f.writeUInt16BE(NA_ICMP_LEN, 18);
  f[20] = IPPROTO_ICMPV6;
  f[21] = 255; // RFC 4861 7.1.2: receivers drop ND with a hop limit other than 255
  f.set(target, 22);
  f.set(ALL_NODES, 38);
  f.set(buildNaMessage({ mac, target, router: input.router }, target), 54);
  return f;
}

export interface NaFrame {
  readonly ethSrc: string;
  readonly ethDst: string;
  readonly src: string;
  readonly dst: string;
  readonly hopLimit: number;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly target: string;
  readonly targetMac?: string;
  readonly checksumOk: boolean;
}

/**
 * Decodes an ICMPv6 neighbour advertisement message (what a raw ICMPv6 socket reads: no IPv6
 * header): its target and, when present, the target link-layer address option. Undefined if it
 * is not an NA. The checksum was checked by the kernel.
 */
export function decodeNaMessage(m: Uint8Array): { target: string; targetMac?: string; override: boolean } | undefined {
  if (m.length < 24 || m[0] !== ND_NEIGHBOR_ADVERT || m[1] !== 0) return undefined;
  let targetMac: string | undefined;
  for (let off = 24; off + 2 <= m.length; ) {
    const olen = m[off + 1] * 8;
    if (olen === 0 || off + olen > m.length) break;
    if (m[off] === ND_OPT_TARGET_LINKADDR && olen >= 8) targetMac = formatMac(m, off + 2, 6);
    off += olen;
  }
  return { target: formatIpv6(m, 8), ...(targetMac !== undefined ? { targetMac } : {}), override: (m[4] & NA_FLAG_OVERRIDE) !== 0 };
}

/** Decodes an Ethernet/IPv6 neighbour advertisement frame; undefined if it is not one. */
export function decodeNaFrame(f: Uint8Array): NaFrame | undefined {
  if (f.length < 14 + 40 + 24) return undefined;
  if (((f[12] << 8) | f[13]) !== ETHERTYPE_IPV6 || f[14] >> 4 !== 6 || f[20] !== IPPROTO_ICMPV6) return undefined;
  const plen = (f[18] << 8) | f[19];
  if (plen < 24 || 54 + plen > f.length || f[54] !== ND_NEIGHBOR_ADVERT) return undefined;
  const src = f.subarray(22, 38);
  const dst = f.subarray(38, 54);
  const sum = sum16(f, 54, plen, pseudoHeaderSum6(src, dst, IPPROTO_ICMPV6, plen));
  let targetMac: string | undefined;
  // Walk the options for a target link-layer address.
  for (let off = 54 + 24; off + 2 <= 54 + plen; ) {
    const olen = f[off + 1] * 8;
    if (olen === 0 || off + olen > 54 + plen) break;
    if (f[off] === ND_OPT_TARGET_LINKADDR && olen >= 8) targetMac = formatMac(f, off + 2, 6);
    off += olen;
  }
  return {
    ethDst: formatMac(f, 0, 6),
    ethSrc: formatMac(f, 6, 6),
    src: formatIpv6(f, 22),
    dst: formatIpv6(f, 38),
    hopLimit: f[21],
    router: (f[58] & NA_FLAG_ROUTER) !== 0,
    solicited: (f[58] & NA_FLAG_SOLICITED) !== 0,
    override: (f[58] & NA_FLAG_OVERRIDE) !== 0,
    target: formatIpv6(f, 62),
    targetMac,
    checksumOk: finishChecksum(sum) === 0,
  };
}

// The IPv4 header keepalived writes itself (IP_HDRINCL) and the whole-packet decoder for what a
// raw IPv4 socket delivers (header + optional AH + VRRP).
//
// RFC 791 3.1:
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version|  IHL  |Type of Service|          Total Length         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Identification        |Flags|      Fragment Offset    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Time to Live |    Protocol   |         Header Checksum       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                       Source Address                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Destination Address                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                    Options (IHL > 5)                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// keepalived's adverts (keepalived-behaviour.md 3.1, confirmed by capture): IHL 5, TOS 0xc0
// (precedence "internetwork control"), ID counting up from 1 per instance, no flags (DF clear),
// TTL 255 (RFC 3768 5.2.3 / RFC 5798 5.1.1.3), protocol 112 (51 with AH).
//
// With auth_type AH an RFC 2402 Authentication Header sits between IP and VRRP:
//   | Next Header | Payload Len | RESERVED (16) | SPI (32) | Sequence (32) | ICV (96 for MD5-96) |
// Payload Len counts 32-bit words minus 2, so the header is (PayloadLen + 2) * 4 bytes.
import { VRRP_TTL } from '../../lib/protocol.js';
import { IpAddress } from '../../lib/ip.js';
import { checksumVerifies, internetChecksum } from './checksum.js';
import {
  IPPROTO_AH,
  IPPROTO_VRRP,
  decodeAdvert,
  type ChecksumMatch,
  type DecodeReason,
  type IpInput,
} from './vrrp.js';
import type { VrrpAdvert } from './types.js';

export const IPV4_HEADER_LEN = 20;
/** keepalived's TOS for adverts: IPTOS_PREC_INTERNETCONTROL. */
export const VRRP_TOS = 0xc0;
export { VRRP_TTL };
/** Largest IP packet that fits a minimum Ethernet frame (60 - 14 header bytes): shorter
 * packets may arrive padded with zeros when read below IP (AF_PACKET). */
export const ETH_MIN_PAYLOAD = 46;

export interface Ipv4HeaderInput {
  readonly src: IpInput;
  readonly dst: IpInput;
  /** Identification; keepalived increments it per packet starting at 1. */
  readonly id: number;
  readonly payloadLength: number;
  readonly ttl?: number;
  readonly tos?: number;
  readonly protocol?: number;
}

export interface Ipv4Header {
  readonly ihl: number;
  readonly tos: number;
  readonly totalLength: number;
  readonly id: number;
  /** The 3 flag bits (bit 1 = DF, bit 0 = MF). */
  readonly flags: number;
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly src: IpAddress;
  readonly dst: IpAddress;
}

/** Thrown for header inputs that cannot be encoded. */
export class Ipv4EncodeError extends Error {
  readonly code = 'ipv4-encode';
  constructor(message: string) {
    super(message);
    this.name = 'Ipv4EncodeError';
  }
}

/** Writes an IPv4 address into the header at `off`. */
function putV4(b: Uint8Array, off: number, a: IpInput, what: string): void {
  if (a instanceof Uint8Array ? a.length !== 4 : a.family !== 'inet') throw new Ipv4EncodeError(`${what} '${String(a)}' is not an IPv4 address`);
  if (a instanceof Uint8Array) b.set(a, off);
  else a.writeTo(b, off);
}

/** Encodes the 20-byte header keepalived builds for IP_HDRINCL sends, checksum included. */
export function encodeIpv4Header(h: Ipv4HeaderInput): Buffer {
  const b = Buffer.alloc(IPV4_HEADER_LEN);
  writeIpv4Header(b, h, h.payloadLength);
  return b;
}

function writeIpv4Header(b: Buffer, h: Omit<Ipv4HeaderInput, 'payloadLength'>, payloadLength: number): void {
  const total = IPV4_HEADER_LEN + payloadLength;
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || total > 0xffff) {
    throw new Ipv4EncodeError(`payload length ${payloadLength}`);
  }
  b[0] = 0x45;
  b[1] = h.tos ?? VRRP_TOS;
  b.writeUInt16BE(total, 2);
  b.writeUInt16BE(h.id & 0xffff, 4);
  // Flags/fragment offset 0: keepalived does not set DF.
  b[6] = 0;
  b[7] = 0;
  b[8] = h.ttl ?? VRRP_TTL;
  b[9] = h.protocol ?? IPPROTO_VRRP;
  b[10] = 0;
  b[11] = 0;
  putV4(b, 12, h.src, 'source');
  putV4(b, 16, h.dst, 'destination');
  b.writeUInt16BE(internetChecksum(b, 0, IPV4_HEADER_LEN), 10);
}

/** Header + payload in one buffer. */
export function encodeIpv4Packet(h: Omit<Ipv4HeaderInput, 'payloadLength'>, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(IPV4_HEADER_LEN + payload.length);
  writeIpv4Header(b, h, payload.length);
  b.set(payload, IPV4_HEADER_LEN);
  return b;
}

export type Ipv4DecodeReason = 'bad-ip-version' | 'bad-ip-header' | 'bad-ip-checksum' | 'fragmented' | 'bad-ah';

export interface AuthHeader {
  readonly nextHeader: number;
  readonly length: number;
  readonly spi: number;
  readonly seq: number;
  readonly icv: Uint8Array;
}

export type Ipv4DecodeResult =
  | { readonly ok: true; readonly header: Ipv4Header; readonly payload: Uint8Array; readonly padding: number }
  | { readonly ok: false; readonly reason: Ipv4DecodeReason | 'too-short' | 'too-long'; readonly detail: string };

/**
 * Decodes an IPv4 header and returns the payload as a view of `bytes`. The payload ends at
 * Total Length; trailing bytes are tolerated only as Ethernet minimum-frame padding (the whole
 * buffer no longer than 46 bytes), as keepalived tolerates them. Never throws.
 */
export function decodeIpv4(bytes: Uint8Array, verifyChecksum = true): Ipv4DecodeResult {
  const len = bytes.length;
  if (len < IPV4_HEADER_LEN) return { ok: false, reason: 'too-short', detail: `${len} bytes, no IPv4 header` };
  const version = bytes[0] >> 4;
  if (version !== 4) return { ok: false, reason: 'bad-ip-version', detail: `IP version ${version}` };
  const ihl = (bytes[0] & 0x0f) * 4;
  if (ihl < IPV4_HEADER_LEN) return { ok: false, reason: 'bad-ip-header', detail: `IHL ${ihl} bytes` };
  if (len < ihl) return { ok: false, reason: 'too-short', detail: `${len} bytes, IHL ${ihl}` };
  const totalLength = (bytes[2] << 8) | bytes[3];
  if (totalLength < ihl) return { ok: false, reason: 'bad-ip-header', detail: `total length ${totalLength} < IHL ${ihl}` };
  if (len < totalLength) return { ok: false, reason: 'too-short', detail: `${len} bytes, total length ${totalLength}` };
  if (len > totalLength && len > ETH_MIN_PAYLOAD) {
    return { ok: false, reason: 'too-long', detail: `${len} bytes, total length ${totalLength}` };
  }
  if (verifyChecksum && !checksumVerifies(bytes, 0, ihl)) {
    return { ok: false, reason: 'bad-ip-checksum', detail: 'IPv4 header checksum does not verify' };
  }
  const flags = bytes[6] >> 5;
  const fragmentOffset = ((bytes[6] & 0x1f) << 8) | bytes[7];
  if ((flags & 1) !== 0 || fragmentOffset !== 0) {
    return { ok: false, reason: 'fragmented', detail: `MF ${flags & 1}, offset ${fragmentOffset}` };
  }
  const header: Ipv4Header = {
    ihl,
    tos: bytes[1],
    totalLength,
    id: (bytes[4] << 8) | bytes[5],
    flags,
    fragmentOffset,
    ttl: bytes[8],
    protocol: bytes[9],
    checksum: (bytes[10] << 8) | bytes[11],
    src: IpAddress.fromBytes(bytes, 12, 'inet'),
    dst: IpAddress.fromBytes(bytes, 16, 'inet'),
  };
  return { ok: true, header, payload: bytes.subarray(ihl, totalLength), padding: len - totalLength };
}

/** Decodes an RFC 2402 AH header at the start of `b`; undefined if malformed. */
export function decodeAuthHeader(b: Uint8Array): AuthHeader | undefined {
  if (b.length < 12) return undefined;
  const length = (b[1] + 2) * 4;
  if (length < 12 || length > b.length) return undefined;
  return {
    nextHeader: b[0],
    length,
    spi: ((b[4] << 24) >>> 0) + ((b[5] << 16) | (b[6] << 8) | b[7]),
    seq: ((b[8] << 24) >>> 0) + ((b[9] << 16) | (b[10] << 8) | b[11]),
    icv: new Uint8Array(b.subarray(12, length)),
  };
}

export interface VrrpPacketContext {
  /** Verify the IPv4 header checksum (the kernel already has for raw IP sockets). Default true. */
  readonly verifyIpChecksum?: boolean;
  /** v3 checksum mode, see DecodeContext. */
  readonly checksum?: 'pseudo-header' | 'as-v2';
  /** v3: alternative pseudo-header destination (keepalived old_unicast_checksum). */
  readonly altDst?: IpInput;
  /** Skip the VRRP checksum check (either version). */
  readonly skipChecksum?: boolean;
}

export type VrrpPacketResult =
  | {
      readonly ok: true;
      readonly advert: VrrpAdvert;
      readonly checksum: ChecksumMatch;
      readonly ip: Ipv4Header;
      /** Present when the advert came behind an IPsec AH header (v2 auth_type AH). */
      readonly ah?: AuthHeader;
      /** Bytes of Ethernet padding that followed the IP packet. */
      readonly padding: number;
    }
  | {
      readonly ok: false;
      readonly reason: DecodeReason | Ipv4DecodeReason | 'bad-protocol';
      readonly detail: string;
      /** The IP header, when it decoded (so a caller can still log the source). */
      readonly ip?: Ipv4Header;
      /** With 'bad-checksum': the advert fields as read, not verified (see DecodeResult). */
      readonly unverified?: VrrpAdvert;
      /** The AH header when one preceded the failing VRRP message. */
      readonly ah?: AuthHeader;
    };

/**
 * Decodes a whole IPv4 VRRP packet as a raw IPv4 socket delivers it: IP header, optional AH
 * (protocol 51, next header 112), VRRP message. Reports TTL/source/destination/protocol for the
 * caller's TTL-255 and AH-iff-auth-AH checks (keepalived-behaviour.md 3.3 steps 1-3). The AH
 * ICV is returned, not verified. Never throws.
 */
export function decodeVrrpIpv4Packet(bytes: Uint8Array, ctx: VrrpPacketContext = {}): VrrpPacketResult {
  const ip = decodeIpv4(bytes, ctx.verifyIpChecksum ?? true);
  if (!ip.ok) return ip;
  const { header } = ip;
  let body = ip.payload;
  let ah: AuthHeader | undefined;
  if (header.protocol === IPPROTO_AH) {
    ah = decodeAuthHeader(body);
    if (!ah) return { ok: false, reason: 'bad-ah', detail: 'malformed authentication header', ip: header };
    if (ah.nextHeader !== IPPROTO_VRRP) {
      return { ok: false, reason: 'bad-protocol', detail: `AH next header ${ah.nextHeader}`, ip: header };
    }
    body = body.subarray(ah.length);
  } else if (header.protocol !== IPPROTO_VRRP) {
    return { ok: false, reason: 'bad-protocol', detail: `protocol ${header.protocol}`, ip: header };
  }
  const r = decodeAdvert(body, {
    family: 'inet',
    src: bytes.subarray(12, 16),
    dst: bytes.subarray(16, 20),
    checksum: ctx.checksum ?? 'pseudo-header',
    altDst: ctx.altDst,
    skipChecksum: ctx.skipChecksum,
  });
  if (!r.ok) return ah ? { ...r, ip: header, ah } : { ...r, ip: header };
  return ah
    ? { ok: true, advert: r.advert, checksum: r.checksum, ip: header, ah, padding: ip.padding }
    : { ok: true, advert: r.advert, checksum: r.checksum, ip: header, padding: ip.padding };
}

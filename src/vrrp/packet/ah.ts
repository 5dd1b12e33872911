// VRRPv2 `auth_type AH` (RFC 3768 5.3.6.3 -> RFC 2402 AH with HMAC-MD5-96, RFC 2403), as
// keepalived 2.2.7 builds it. Deprecated by RFC 3768 and rejected by strict mode, but still
// found in old configs, so a drop-in replacement must speak it.
//
//   IPv4 header (20, protocol 51)
//   +---------------+---------------+-------------------------------+
//   | Next Hdr=112  | Payload Len=4 |          Reserved = 0         |
//   +---------------+---------------+-------------------------------+
//   |      Security Parameters Index (keepalived: the IPv4 source)  |
//   +---------------------------------------------------------------+
//   |      Sequence Number (keepalived: 1, 2, 3 ... per instance)   |
//   +---------------------------------------------------------------+
//   |      ICV: first 96 bits of HMAC-MD5(key = auth_pass, ...)     |
//   |                          (12 bytes)                           |
//   +---------------------------------------------------------------+
//   VRRPv2 message (auth type 2, auth data zero, v2 checksum)
//
// ICV input, found by reproducing captured keepalived 2.2.7 packets
// (test/vectors/keepalived-2.2.7.json, VRID 59): the whole IP packet with TOS, flags/fragment
// offset and header checksum zeroed and the ICV field zeroed. Unlike RFC 2402 3.3.3.1.1.1,
// keepalived does NOT zero the TTL, so the TTL (always 255 for multicast) is authenticated.
import type * as Crypto from 'node:crypto';
import type { IpAddress } from '../../lib/ip.js';
import { encodeIpv4Packet, type Ipv4HeaderInput } from './ipv4.js';
import { encodeAdvert, IPPROTO_AH, IPPROTO_VRRP, VrrpEncodeError } from './vrrp.js';
import type { VrrpAdvert } from './types.js';

export const AH_LEN = 24;
export const AH_ICV_LEN = 12;
/** Offset of the ICV in an IPv4 packet with a 20-byte header. */
const ICV_OFF = 20 + 12;

// node:crypto is fetched at the first AH packet, not imported: loading it costs a daemon start a
// few tens of ms of CPU (docs/BENCHMARKS.md, "Start-up"), and only auth_type AH needs it.
let crypto: typeof Crypto | undefined;
function nodeCrypto(): typeof Crypto {
  return (crypto ??= process.getBuiltinModule('node:crypto'));
}

/** keepalived's AH key: auth_pass truncated/zero-padded to 8 bytes (HMAC pads it anyway). */
export function ahKey(authPass: string): Uint8Array {
  const k = new Uint8Array(8);
  k.set(new TextEncoder().encode(authPass).subarray(0, 8));
  return k;
}

/** HMAC-MD5-96 over the packet with keepalived's mutable-field rules; `ip` is the IP packet. */
export function computeAhIcv(ip: Uint8Array, key: Uint8Array): Uint8Array {
  const ihl = (ip[0] & 0x0f) * 4;
  const copy = Buffer.from(ip);
  copy[1] = 0; // TOS
  copy[6] = 0; // flags + fragment offset
  copy[7] = 0;
  copy[10] = 0; // header checksum
  copy[11] = 0;
  copy.fill(0, ihl + 12, ihl + 12 + AH_ICV_LEN);
  return new Uint8Array(nodeCrypto().createHmac('md5', key).update(copy).digest().subarray(0, AH_ICV_LEN));
}

/** Constant-time check of the ICV carried by an AH-protected IPv4 VRRP packet. */
export function verifyAhIcv(ip: Uint8Array, key: Uint8Array): boolean {
  const ihl = (ip[0] & 0x0f) * 4;
  if (ip.length < ihl + AH_LEN || ip[9] !== IPPROTO_AH) return false;
  const want = computeAhIcv(ip, key);
  return nodeCrypto().timingSafeEqual(want, ip.subarray(ihl + 12, ihl + 12 + AH_ICV_LEN));
}

export interface AhPacketInput extends Omit<Ipv4HeaderInput, 'payloadLength' | 'protocol'> {
  /** AH sequence number (keepalived counts from 1 per instance). */
  readonly seq: number;
  /** Defaults to the IPv4 source read as a 32-bit number, as keepalived sets it. */
  readonly spi?: number;
  readonly key: Uint8Array;
}

/** Builds the whole IPv4 + AH + VRRPv2 packet keepalived sends for `auth_type AH`. */
export function encodeAhVrrpPacket(advert: VrrpAdvert, h: AhPacketInput): Buffer {
  if (advert.version !== 2 || advert.authType !== 2) throw new VrrpEncodeError('AH is VRRPv2 auth type 2 only');
  const vrrp = encodeAdvert({ ...advert, authData: undefined });
  const src = h.src instanceof Uint8Array ? h.src : h.src.family === 'inet' ? h.src.bytes : undefined;
  if (!src || src.length !== 4) throw new VrrpEncodeError(`AH source '${String(h.src)}' is not IPv4`);
  const ah = Buffer.alloc(AH_LEN);
  ah[0] = IPPROTO_VRRP;
  ah[1] = AH_LEN / 4 - 2; // RFC 2402 2.2: length in 32-bit words minus 2
  ah.writeUInt32BE(h.spi ?? (((src[0] << 24) >>> 0) + ((src[1] << 16) | (src[2] << 8) | src[3])), 4);
  ah.writeUInt32BE(h.seq >>> 0, 8);
  const pkt = encodeIpv4Packet({ ...h, protocol: IPPROTO_AH }, Buffer.concat([ah, vrrp]));
  pkt.set(computeAhIcv(pkt, h.key), ICV_OFF);
  return pkt;
}

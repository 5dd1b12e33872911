// VRRP advertisement codec: VRRPv2 (RFC 3768) over IPv4, VRRPv3 (RFC 5798) over IPv4 and IPv6.
// Pure: bytes in, values out. `decodeAdvert` never throws; encoders throw a typed
// `VrrpEncodeError` only when handed an advert that cannot be put on the wire (a caller bug).
//
// VRRPv2 (RFC 3768 5.1), carried in IPv4 protocol 112:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   Auth Type   |   Adver Int   |          Checksum             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         IP Address (1)                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                            .......                            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                     Authentication Data (1)                   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                     Authentication Data (2)                   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   Adver Int: whole seconds. Checksum: RFC 1071 over the VRRP message alone (auth data
//   included, no pseudo-header).
//
// VRRPv3 (RFC 5798 5.1), IPv4 protocol 112 / IPv6 next header 112:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |(rsvd) |     Max Adver Int     |          Checksum             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |          IPvX Address(es): Count x 4 (IPv4) or x 16 (IPv6)    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   Max Adver Int: 12 bits of centiseconds. Checksum: RFC 1071 over the IPv4/IPv6
//   pseudo-header (src, dst, protocol 112, VRRP length) plus the VRRP message (RFC 5798 5.2.8),
//   or, with keepalived's `v3_checksum_as_v2` (RFC 9568 interop), the message alone.
import { cs, type Centiseconds } from '../../lib/units.js';
import { IpAddress } from '../../lib/ip.js';
import {
  checksumVerifies,
  finishChecksum,
  incrementalUpdate16,
  pseudoHeaderSum4,
  pseudoHeaderSum6,
  sum16,
} from './checksum.js';
import type { AuthType, Family, VrrpAdvert, VrrpVersion } from './types.js';

import { IPPROTO_AH, IPPROTO_VRRP } from '../../lib/protocol.js';

export { IPPROTO_AH, IPPROTO_VRRP };
/** RFC 3768 5.3.2 / RFC 5798 5.2.2: the only defined type. */
export const VRRP_TYPE_ADVERTISEMENT = 1;
export const VRRP_HEADER_LEN = 8;
/** VRRPv2 authentication data, always present on the wire (RFC 3768 5.3.10). */
export const VRRP_AUTH_LEN = 8;
export { VRRP_GROUP4 as VRRP_MCAST_INET, VRRP_GROUP6 as VRRP_MCAST_INET6 } from '../../lib/protocol.js';
/** RFC 5798 5.2.4: 12-bit field. */
export const VRRP_V3_MAX_ADVER_INT = 0xfff as Centiseconds;

export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
export const AUTH_AH = 2;

/** How the checksum of a VRRPv3 message is formed (v2 always covers the message alone). */
export type ChecksumMode =
  /** RFC 5798 5.2.8: pseudo-header + message. */
  | 'pseudo-header'
  /** keepalived `v3_checksum_as_v2` / RFC 9568: message alone. */
  | 'as-v2'
  /** Leave 0 on encode (the IPv6 kernel fills it via IPV6_CHECKSUM); skip on decode. */
  | 'kernel';

/** An address as a value or as its raw 4/16 bytes (a received header; nothing to convert). */
export type IpInput = IpAddress | Uint8Array;

export interface EncodeContext {
  /** IP source the advert will carry (needed for the v3 pseudo-header). */
  readonly src?: IpInput;
  /** IP destination: the multicast group or the unicast peer (v3 pseudo-header). */
  readonly dst?: IpInput;
  /** v3 only; default 'pseudo-header'. Ignored for v2. */
  readonly checksum?: ChecksumMode;
}

export interface DecodeContext {
  /** Family of the socket the bytes came from; decides the address size. */
  readonly family: Family;
  /** IP source and destination as received (v3 pseudo-header check). */
  readonly src?: IpInput;
  readonly dst?: IpInput;
  /** v3 only; default 'pseudo-header'. */
  readonly checksum?: ChecksumMode;
  /** Skip checksum verification for either version (e.g. to read the fields of a bad packet). */
  readonly skipChecksum?: boolean;
  /**
   * v3 only: a second pseudo-header destination to try when the first does not verify.
   * keepalived before 1.3.6 used the multicast group even for unicast adverts; 2.x detects it
   * (`old_unicast_checksum`), which this makes possible.
   */
  readonly altDst?: IpInput;
}

/** How the checksum of a decoded advert was verified. */
export type ChecksumMatch = 'v2' | 'pseudo-header' | 'pseudo-header-alt-dst' | 'as-v2' | 'unchecked';

/** Stable reasons a buffer is not a usable advert. */
export type DecodeReason =
  | 'too-short'
  | 'too-long'
  | 'bad-version'
  | 'bad-type'
  | 'bad-vrid'
  | 'count-mismatch'
  | 'bad-auth-type'
  | 'bad-checksum'
  | 'missing-addressing';

export type DecodeResult =
  | { readonly ok: true; readonly advert: VrrpAdvert; readonly checksum: ChecksumMatch }
  | {
      readonly ok: false;
      readonly reason: DecodeReason;
      readonly detail: string;
      /**
       * Only with reason 'bad-checksum': the fields as read, NOT verified. keepalived checks
       * version, auth and interval before the checksum (keepalived-behaviour.md 3.3), so a
       * caller reproducing its counters needs them without decoding twice.
       */
      readonly unverified?: VrrpAdvert;
    };

/** Thrown by encoders for adverts that cannot be represented on the wire. */
export class VrrpEncodeError extends Error {
  readonly code = 'vrrp-encode';
  constructor(message: string) {
    super(message);
    this.name = 'VrrpEncodeError';
  }
}

const addrLen = (family: Family): number => (family === 'inet' ? 4 : 16);

/** Length in bytes of a VRRP message (no IP header). */
export function advertLength(version: VrrpVersion, family: Family, count: number): number {
  return VRRP_HEADER_LEN + count * addrLen(family) + (version === 2 ? VRRP_AUTH_LEN : 0);
}

// Pseudo-header scratch: an IpAddress is written here rather than into a new array per advert.
const srcScratch = new Uint8Array(16);
const dstScratch = new Uint8Array(16);

/** The bytes of `a` when it is an address of `family` (an IpAddress is written into `scratch`). */
function ipBytes(a: IpInput | undefined, family: Family, scratch: Uint8Array): Uint8Array | undefined {
  if (a === undefined) return undefined;
  // Bytes are told apart from a value with the builtin, which is one class in every realm.
  if (a instanceof Uint8Array) return a.length === addrLen(family) ? a : undefined;
  if (a.family !== family) return undefined;
  a.writeTo(scratch, 0);
  return family === 'inet' ? scratch.subarray(0, 4) : scratch;
}

function pseudoSum(family: Family, src: Uint8Array, dst: Uint8Array, length: number): number {
  return family === 'inet'
    ? pseudoHeaderSum4(src, dst, IPPROTO_VRRP, length)
    : pseudoHeaderSum6(src, dst, IPPROTO_VRRP, length);
}

const fail = (reason: DecodeReason, detail: string): DecodeResult => ({ ok: false, reason, detail });

/**
 * Decodes a VRRP message (the IP payload). Checks, in order: fixed header length, version,
 * type, VRID, count against length, v2 auth type, checksum. Never throws.
 * Instance-level checks (TTL 255, version/auth/interval/VIP list equal to ours) belong to the
 * caller: see keepalived-behaviour.md 3.3.
 */
export function decodeAdvert(bytes: Uint8Array, ctx: DecodeContext): DecodeResult {
  const family = ctx.family;
  const len = bytes.length;
  if (len < VRRP_HEADER_LEN) return fail('too-short', `${len} bytes, header needs ${VRRP_HEADER_LEN}`);
  const version = bytes[0] >> 4;
  // RFC 3768 is IPv4 only; keepalived forces version 3 for IPv6 instances.
  if (version !== 3 && !(version === 2 && family === 'inet')) {
    return fail('bad-version', `version ${version} over ${family}`);
  }
  const type = bytes[0] & 0x0f;
  if (type !== VRRP_TYPE_ADVERTISEMENT) return fail('bad-type', `type ${type}`);
  const vrid = bytes[1];
  // RFC 3768 5.3.3 / RFC 5798 5.2.3: VRID is 1..255.
  if (vrid === 0) return fail('bad-vrid', 'vrid 0');
  const count = bytes[3];
  const alen = addrLen(family);
  const fixed = VRRP_HEADER_LEN + (version === 2 ? VRRP_AUTH_LEN : 0);
  if (len < fixed) return fail('too-short', `${len} bytes, v${version} needs at least ${fixed}`);
  const max = fixed + 255 * alen;
  if (len > max) return fail('too-long', `${len} bytes, v${version} holds at most ${max}`);
  const expected = fixed + count * alen;
  if (len !== expected) return fail('count-mismatch', `count ${count} needs ${expected} bytes, got ${len}`);

  let authType: AuthType = 0;
  let advertInt: Centiseconds;
  if (version === 2) {
    const at = bytes[4];
    // RFC 3768 5.3.6: 0 none, 1 simple text password, 2 IP Authentication Header.
    if (at > AUTH_AH) return fail('bad-auth-type', `auth type ${at}`);
    authType = at as AuthType;
    advertInt = cs(bytes[5] * 100);
  } else {
    // RFC 5798 5.2.4: the 4 reserved bits are ignored on receive.
    advertInt = cs(((bytes[4] & 0x0f) << 8) | bytes[5]);
  }

  let checksum: ChecksumMatch | undefined;
  let checksumDetail = '';
  const mode = ctx.skipChecksum ? 'kernel' : version === 2 ? 'v2' : (ctx.checksum ?? 'pseudo-header');
  if (mode === 'v2' || mode === 'as-v2') {
    if (checksumVerifies(bytes, 0, len)) checksum = mode;
    else checksumDetail = `${mode} checksum does not verify`;
  } else if (mode === 'kernel') {
    checksum = 'unchecked';
  } else {
    const src = ipBytes(ctx.src, family, srcScratch);
    const dst = ipBytes(ctx.dst, family, dstScratch);
    if (!src || !dst) return fail('missing-addressing', 'v3 pseudo-header needs valid src and dst');
    const body = sum16(bytes, 0, len);
    if (checksumVerifies(bytes, 0, 0, body + pseudoSum(family, src, dst, len))) {
      checksum = 'pseudo-header';
    } else {
      const alt = ipBytes(ctx.altDst, family, dstScratch);
      if (alt && checksumVerifies(bytes, 0, 0, body + pseudoSum(family, src, alt, len))) {
        checksum = 'pseudo-header-alt-dst';
      } else {
        checksumDetail = 'v3 pseudo-header checksum does not verify';
      }
    }
  }

  const addresses: IpAddress[] = new Array<IpAddress>(count);
  for (let i = 0, off = VRRP_HEADER_LEN; i < count; i++, off += alen) addresses[i] = IpAddress.fromBytes(bytes, off, family);

  const advert: VrrpAdvert =
    version === 2 && authType === AUTH_PASS
      ? {
          version,
          family,
          vrid,
          priority: bytes[2],
          advertInt,
          authType,
          authData: new Uint8Array(bytes.subarray(len - VRRP_AUTH_LEN, len)),
          addresses,
        }
      : { version: version as VrrpVersion, family, vrid, priority: bytes[2], advertInt, authType, addresses };
  if (checksum === undefined) return { ok: false, reason: 'bad-checksum', detail: checksumDetail, unverified: advert };
  return { ok: true, advert, checksum };
}

/**
 * Encodes an advert. For v3 the checksum needs `ctx.src`/`ctx.dst` (the IP addresses the
 * packet will carry) unless `ctx.checksum` is 'as-v2' or 'kernel'.
 */
export function encodeAdvert(advert: VrrpAdvert, ctx: EncodeContext = {}): Buffer {
  const { version, family } = advert;
  if (version !== 2 && version !== 3) throw new VrrpEncodeError(`version ${String(version)}`);
  if (family !== 'inet' && family !== 'inet6') throw new VrrpEncodeError(`family ${String(family)}`);
  if (version === 2 && family !== 'inet') throw new VrrpEncodeError('VRRPv2 is IPv4 only (RFC 3768)');
  if (!Number.isInteger(advert.vrid) || advert.vrid < 1 || advert.vrid > 255) {
    throw new VrrpEncodeError(`vrid ${advert.vrid} outside 1..255`);
  }
  if (!Number.isInteger(advert.priority) || advert.priority < 0 || advert.priority > 255) {
    throw new VrrpEncodeError(`priority ${advert.priority} outside 0..255`);
  }
  const count = advert.addresses.length;
  if (count > 255) throw new VrrpEncodeError(`${count} addresses; the count field holds 255`);
  const alen = addrLen(family);
  const len = advertLength(version, family, count);
  const b = Buffer.alloc(len);
  b[0] = (version << 4) | VRRP_TYPE_ADVERTISEMENT;
  b[1] = advert.vrid;
  b[2] = advert.priority;
  b[3] = count;
  const int = advert.advertInt as number;
  if (version === 2) {
    // RFC 3768 5.3.7: whole seconds, 1..255 (keepalived rounds the configured value).
    if (!Number.isInteger(int) || int % 100 !== 0 || int < 100 || int > 25500) {
      throw new VrrpEncodeError(`v2 advert interval ${int} cs is not 1..255 whole seconds`);
    }
    const at = advert.authType;
    if (at !== 0 && at !== 1 && at !== 2) throw new VrrpEncodeError(`auth type ${String(at)}`);
    b[4] = at;
    b[5] = int / 100;
  } else {
    if (!Number.isInteger(int) || int < 0 || int > VRRP_V3_MAX_ADVER_INT) {
      throw new VrrpEncodeError(`v3 advert interval ${int} cs outside the 12-bit field`);
    }
    if (advert.authType !== 0) throw new VrrpEncodeError('VRRPv3 has no authentication (RFC 5798 9)');
    b[4] = int >> 8;
    b[5] = int & 0xff;
  }
  for (let i = 0, off = VRRP_HEADER_LEN; i < count; i++, off += alen) {
    const a = advert.addresses[i];
    if (a.family !== family) throw new VrrpEncodeError(`address '${a.text}' is not ${family}`);
    a.writeTo(b, off);
  }
  if (version === 2 && advert.authData) {
    // RFC 3768 5.3.10: PASS data is up to 8 bytes, zero padded.
    if (advert.authData.length > VRRP_AUTH_LEN) throw new VrrpEncodeError('auth data longer than 8 bytes');
    b.set(advert.authData, len - VRRP_AUTH_LEN);
  }
  let initial = 0;
  const mode = version === 2 ? 'as-v2' : (ctx.checksum ?? 'pseudo-header');
  if (mode === 'kernel') return b;
  if (mode === 'pseudo-header') {
    const src = ipBytes(ctx.src, family, srcScratch);
    const dst = ipBytes(ctx.dst, family, dstScratch);
    if (!src || !dst) throw new VrrpEncodeError('v3 pseudo-header checksum needs src and dst of the family');
    initial = pseudoSum(family, src, dst, len);
  }
  b.writeUInt16BE(finishChecksum(sum16(b, 0, len, initial)), 6);
  return b;
}

/**
 * Rewrites the priority of an encoded advert in place and patches the checksum incrementally
 * (RFC 1624), as keepalived does when a tracker changes the priority of a stored packet. Valid
 * for every checksum variant: the pseudo-header does not contain the priority. Pass 'kernel'
 * for a message whose checksum field is left to the kernel.
 */
export function setAdvertPriority(packet: Uint8Array, priority: number, checksum: ChecksumMode = 'pseudo-header'): void {
  if (!Number.isInteger(priority) || priority < 0 || priority > 255) {
    throw new VrrpEncodeError(`priority ${priority} outside 0..255`);
  }
  if (packet.length < VRRP_HEADER_LEN) throw new VrrpEncodeError('not a VRRP message');
  const oldWord = (packet[2] << 8) | packet[3];
  const newWord = (priority << 8) | packet[3];
  const old = (packet[6] << 8) | packet[7];
  // A checksum left to the kernel (IPv6 IPV6_CHECKSUM) stays 0.
  if (checksum === 'kernel') {
    packet[2] = priority;
    return;
  }
  const updated = incrementalUpdate16(old, oldWord, newWord);
  packet[2] = priority;
  packet[6] = updated >> 8;
  packet[7] = updated & 0xff;
}

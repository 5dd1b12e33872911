// The one IP address module: text <-> network-order bytes for IPv4 and IPv6, RFC 5952 text,
// numeric comparison, multicast and link-local tests, and MAC text. Every folder (config, the
// packet codec, the FSM, the kernel layer, the in-memory LAN) parses and formats through here.
//
// Parsing follows inet_pton: IPv4 is exactly four dot-separated decimal parts of 1-3 digits,
// each at most 255; IPv6 is RFC 4291 2.2 text (`::` once, an optional dotted-quad tail as the
// last 32 bits). Two relaxations are opt-in per edge (see IpTextRules): leading zeros in an IPv4
// part ("010.0.0.1", which the config accepts and canonicalises, as keepalived does) and an
// IPv6 zone suffix ("fe80::1%eth0", dropped). Parsers return undefined on bad text, never throw.
//
// Formatting is canonical: dotted quad; IPv6 lower case with the longest run of two or more zero
// groups written `::` (the first on a tie), no special form for IPv4-mapped addresses. This is
// what iproute2 prints and what the rest of the daemon compares on.

export type Family = 'inet' | 'inet6';

/** Linux address family numbers (sys/socket.h). */
export const AF_INET = 2;
export const AF_INET6 = 10;

export function familyNumber(f: Family): number {
  return f === 'inet' ? AF_INET : AF_INET6;
}

export function familyFromNumber(n: number): Family | undefined {
  return n === AF_INET ? 'inet' : n === AF_INET6 ? 'inet6' : undefined;
}

/** Host prefix length of a family: 32 or 128. */
export function maxPrefix(f: Family): number {
  return f === 'inet' ? 32 : 128;
}

/** Which relaxations of inet_pton text an edge accepts. Both default to false (inet_pton). */
export interface IpTextRules {
  /** IPv4 parts may carry leading zeros ("010"); still at most three digits. */
  readonly leadingZeros?: boolean;
  /** IPv6 text may end in `%zone`, which is not part of the address and is dropped. */
  readonly zone?: boolean;
}

/** The config's and kernel layer's rules (leading zeros accepted). */
export const LENIENT_V4: IpTextRules = { leadingZeros: true };
/** Runtime text from the kernel or a peer: leading zeros and a zone suffix accepted. */
export const LENIENT: IpTextRules = { leadingZeros: true, zone: true };

const STRICT: IpTextRules = {};

/**
 * Parses text[from, to) as a dotted quad into out[at..at+3]. Hand-written: it runs for every
 * address of a large config and on the packet encode path.
 */
function scanIpv4(text: string, from: number, to: number, out: Uint8Array, at: number, leadingZeros: boolean): boolean {
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[at + part++] = value;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 3) return false;
      if (digits > 0 && value === 0 && !leadingZeros) return false;
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Dotted-quad IPv4 text to 4 bytes; undefined if malformed. */
export function parseIpv4(text: string, rules: IpTextRules = STRICT): Uint8Array | undefined {
  const out = new Uint8Array(4);
  return scanIpv4(text, 0, text.length, out, 0, rules.leadingZeros === true) ? out : undefined;
}

const hexVal = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;

// Scratch space for the IPv6 scanner: the groups as read and a dotted-quad tail. The scanner
// never yields, so one module-wide copy is safe and parsing allocates only its result.
const groupScratch = new Uint16Array(8);
const quadScratch = new Uint8Array(4);

/**
 * Scans IPv6 text (with `::` and an optional dotted-quad tail) into out[0..15]; false if
 * malformed. Only the result is allocated.
 */
function scanIpv6(text: string, rules: IpTextRules, out: Uint8Array): boolean {
  let n = text.length;
  if (rules.zone === true) {
    const pct = text.indexOf('%');
    if (pct >= 0) n = pct;
  }
  if (n < 2 || n > 45) return false;
  const groups = groupScratch;
  let count = 0;
  let gap = -1; // index in `groups` where '::' stands
  let i = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    if (count === 8) return false;
    let j = i;
    let isV4 = false;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x3a) break;
      if (c === 0x2e) isV4 = true;
      j++;
    }
    if (isV4) {
      // A dotted quad only as the last 32 bits.
      if (j !== n || count > 6) return false;
      if (!scanIpv4(text, i, j, quadScratch, 0, rules.leadingZeros === true)) return false;
      groups[count++] = (quadScratch[0] << 8) | quadScratch[1];
      groups[count++] = (quadScratch[2] << 8) | quadScratch[3];
      break;
    }
    const len = j - i;
    if (len < 1 || len > 4) return false;
    let value = 0;
    for (let k = i; k < j; k++) {
      const h = hexVal(text.charCodeAt(k));
      if (h < 0) return false;
      value = (value << 4) | h;
    }
    groups[count++] = value;
    if (j === n) break;
    // j is at ':'; a second one marks the gap.
    if (j + 1 < n && text.charCodeAt(j + 1) === 0x3a) {
      if (gap !== -1) return false;
      gap = count;
      i = j + 2;
    } else {
      if (j + 1 === n) return false; // trailing single ':'
      i = j + 1;
    }
  }
  if (gap === -1 ? count !== 8 : count > 7) return false;
  out.fill(0);
  const fill = gap === -1 ? 0 : 8 - count;
  for (let g = 0, w = 0; g < count; g++, w++) {
    if (g === gap) w += fill;
    out[2 * w] = groups[g] >> 8;
    out[2 * w + 1] = groups[g] & 0xff;
  }
  return true;
}

/** IPv6 text (with `::` and an optional dotted-quad tail) to 16 bytes; undefined if malformed. */
export function parseIpv6(text: string, rules: IpTextRules = STRICT): Uint8Array | undefined {
  const out = new Uint8Array(16);
  return scanIpv6(text, rules, out) ? out : undefined;
}

export interface ParsedIp {
  readonly family: Family;
  /** 4 or 16 network-order bytes. */
  readonly bytes: Uint8Array;
}

/** An IPv4 or IPv6 literal (IPv6 when the text has a ':'); undefined when it is neither. */
export function parseIp(text: string, rules: IpTextRules = STRICT): ParsedIp | undefined {
  if (text.includes(':')) {
    const b = parseIpv6(text, rules);
    return b ? { family: 'inet6', bytes: b } : undefined;
  }
  const b = parseIpv4(text, rules);
  return b ? { family: 'inet', bytes: b } : undefined;
}

/** Formats 4 bytes at `off` as a dotted quad. */
export function formatIpv4(b: ArrayLike<number>, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Formats 16 bytes at `off` as RFC 5952 text (4.2.2/4.2.3: longest zero run of 2+, first on a tie). */
export function formatIpv6(b: ArrayLike<number>, off = 0): string {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (b[off + 2 * i] === 0 && b[off + 2 * i + 1] === 0) {
      if (runStart === -1) runStart = i;
      if (i - runStart + 1 > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && s.charCodeAt(s.length - 1) !== 0x3a) s += ':';
    s += ((b[off + 2 * i] << 8) | b[off + 2 * i + 1]).toString(16);
  }
  return s;
}

/** Canonical text of 4 or 16 network-order bytes; undefined for any other length. */
export function formatIp(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return formatIpv4(bytes);
  if (bytes.length === 16) return formatIpv6(bytes);
  return undefined;
}

/** Canonical text of an address literal, or undefined when it does not parse. */
export function canonicalIp(text: string, rules: IpTextRules = STRICT): string | undefined {
  const p = parseIp(text, rules);
  return p ? formatIp(p.bytes) : undefined;
}

/** 4 or 16 bytes as an unsigned bigint (the numeric order of RFC 5798 6.4.3). */
export function bytesToBigInt(bytes: ArrayLike<number>): bigint {
  let v = 0n;
  for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/**
 * Dotted-quad IPv4 text to its 32-bit value without allocating (every received advert is
 * compared, a flood included); -1 when `addr` is not four decimal parts of 1-3 digits <= 255.
 */
function ipv4ToNumber(addr: string): number {
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < addr.length; i++) {
    const c = addr.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + octet;
}

/** 224.0.0.0/4 or ff00::/8, from bytes. */
export function isMulticastBytes(bytes: ArrayLike<number>): boolean {
  return bytes.length === 4 ? (bytes[0] & 0xf0) === 0xe0 : bytes.length === 16 && bytes[0] === 0xff;
}

/**
 * 224.0.0.0/4 or ff00::/8, from address text (IPv4: false when malformed; IPv6 text is taken as
 * well-formed and its first group decides). It runs on the destination of every received
 * advert, so it reads characters and allocates nothing.
 */
export function isMulticast(addr: string): boolean {
  const colon = addr.indexOf(':');
  if (colon < 0) {
    const v = ipv4ToNumber(addr);
    return v >= 0xe0000000 && v <= 0xefffffff;
  }
  // IPv6: the first group alone decides (ffXX: four hex digits, the first two f).
  return colon === 4 && (addr.charCodeAt(0) | 0x20) === 0x66 && (addr.charCodeAt(1) | 0x20) === 0x66 && hexVal(addr.charCodeAt(2)) >= 0 && hexVal(addr.charCodeAt(3)) >= 0;
}

/** fe80::/10, from bytes. */
export function isIpv6LinkLocal(bytes: ArrayLike<number>): boolean {
  return bytes.length === 16 && bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80;
}

/** IPv4 broadcast for `brd +`: host bits all ones. */
export function ipv4Broadcast(addr: Uint8Array, prefixLength: number): Uint8Array {
  const n = ((addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3]) >>> 0;
  const hostMask = prefixLength >= 32 ? 0 : (0xffffffff >>> prefixLength) >>> 0;
  const b = (n | hostMask) >>> 0;
  return Uint8Array.of(b >>> 24, (b >>> 16) & 0xff, (b >>> 8) & 0xff, b & 0xff);
}

/** Parses `aa:bb:cc:dd:ee:ff` (or `-` separated) into 6 bytes. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(parts[i])) return undefined;
    out[i] = parseInt(parts[i], 16);
  }
  return out;
}

/** Parses a MAC that is known to be valid (configured, or a VMAC); throws a TypeError otherwise. */
export function macOf(text: string): Uint8Array {
  const b = parseMac(text);
  if (b === undefined) throw new TypeError(`'${text}' is not a MAC address`);
  return b;
}

/** Formats a hardware address (`length` bytes at `off`, all by default) as lower-case colon-separated hex. */
export function formatMac(b: Uint8Array, off = 0, length = b.length - off): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    if (i > 0) s += ':';
    s += b[off + i].toString(16).padStart(2, '0');
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// IpAddress: the value addresses travel as inside the daemon (docs/adr/0014-ip-address-values.md).

/** Reads four bytes at `off` as an unsigned big-endian 32-bit number. */
const word = (b: ArrayLike<number>, off: number): number => ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;

// Parse scratch: text is scanned into it and read out as words, so a parse allocates only the
// value itself.
const parseScratch = new Uint8Array(16);

/**
 * One IPv4 or IPv6 address as an immutable value. It is made only by parsing text
 * (IpAddress.parse, at the config and socket edges) or from network-order bytes
 * (IpAddress.fromBytes, in the codecs and the netlink layer); after that it is compared,
 * ordered and written as bytes without any text. Its canonical text (dotted quad, RFC 5952) is
 * formatted once, when first asked for, and kept: logs, notify arguments, JSON and the Kernel
 * interface read it with String(a) / a.text.
 *
 * The bytes are held as four unsigned 32-bit words (IPv4 in the first, the rest 0), so equality
 * and ordering are a few number compares and nothing is shared that a caller could mutate.
 */
export class IpAddress {
  // An ES private field: not an own enumerable property, so two equal values compare equal
  // structurally (test toEqual) whether or not one of them has been formatted yet.
  #text: string | undefined;

  private constructor(
    readonly family: Family,
    private readonly w0: number,
    private readonly w1: number,
    private readonly w2: number,
    private readonly w3: number,
  ) {
    this.#text = undefined;
  }

  /** Address text of either family under `rules` (inet_pton by default); undefined when malformed. */
  static parse(text: string, rules: IpTextRules = STRICT): IpAddress | undefined {
    const b = parseScratch;
    if (text.includes(':')) {
      if (!scanIpv6(text, rules, b)) return undefined;
      return new IpAddress('inet6', word(b, 0), word(b, 4), word(b, 8), word(b, 12));
    }
    if (!scanIpv4(text, 0, text.length, b, 0, rules.leadingZeros === true)) return undefined;
    return new IpAddress('inet', word(b, 0), 0, 0, 0);
  }

  /**
   * The address in `b` at `off`: 4 bytes for 'inet', 16 for 'inet6'. Without a family the
   * length of `b` decides (4 or 16). Throws a RangeError when the bytes are not there.
   */
  static fromBytes(b: ArrayLike<number>, off = 0, family?: Family): IpAddress {
    const f = family ?? (b.length === 4 ? 'inet' : b.length === 16 ? 'inet6' : undefined);
    if (f === undefined) throw new RangeError(`an IP address is 4 or 16 bytes, not ${b.length}`);
    const n = f === 'inet' ? 4 : 16;
    if (off < 0 || off + n > b.length) throw new RangeError(`${n} address bytes at ${off} do not fit in ${b.length}`);
    return f === 'inet' ? new IpAddress('inet', word(b, off), 0, 0, 0) : new IpAddress('inet6', word(b, off), word(b, off + 4), word(b, off + 8), word(b, off + 12));
  }

  /** 4 or 16. */
  get byteLength(): number {
    return this.family === 'inet' ? 4 : 16;
  }

  /** A fresh copy of the network-order bytes. */
  get bytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.writeTo(out, 0);
    return out;
  }

  /** Writes the network-order bytes into `out` at `off` (4 or 16 of them). */
  writeTo(out: Uint8Array, off: number): void {
    putWord(out, off, this.w0);
    if (this.family === 'inet') return;
    putWord(out, off + 4, this.w1);
    putWord(out, off + 8, this.w2);
    putWord(out, off + 12, this.w3);
  }

  /** Same family and bytes. */
  equals(o: IpAddress): boolean {
    return this === o || (this.w0 === o.w0 && this.w1 === o.w1 && this.w2 === o.w2 && this.w3 === o.w3 && this.family === o.family);
  }

  /** -1, 0, 1: IPv4 before IPv6, then the numeric order of the bytes (RFC 5798 6.4.3). */
  compare(o: IpAddress): number {
    if (this.family !== o.family) return this.family === 'inet' ? -1 : 1;
    if (this.w0 !== o.w0) return this.w0 < o.w0 ? -1 : 1;
    if (this.w1 !== o.w1) return this.w1 < o.w1 ? -1 : 1;
    if (this.w2 !== o.w2) return this.w2 < o.w2 ? -1 : 1;
    if (this.w3 !== o.w3) return this.w3 < o.w3 ? -1 : 1;
    return 0;
  }

  /** The address as an unsigned number (range expansion, arithmetic on addresses). */
  toBigInt(): bigint {
    if (this.family === 'inet') return BigInt(this.w0);
    return (BigInt(this.w0) << 96n) | (BigInt(this.w1) << 64n) | (BigInt(this.w2) << 32n) | BigInt(this.w3);
  }

  /** 224.0.0.0/4 or ff00::/8. */
  isMulticast(): boolean {
    return this.family === 'inet' ? this.w0 >>> 28 === 0xe : this.w0 >>> 24 === 0xff;
  }

  /** fe80::/10. */
  isLinkLocal(): boolean {
    return this.family === 'inet6' && this.w0 >>> 22 === 0xfe80 >>> 6;
  }

  /** Canonical text: dotted quad, or RFC 5952 IPv6. Formatted on first use, then kept. */
  get text(): string {
    if (this.#text === undefined) this.#text = this.family === 'inet' ? formatIpv4(this.bytes) : formatIpv6(this.bytes);
    return this.#text;
  }

  toString(): string {
    return this.text;
  }

  /** JSON (state dumps, conformance output) writes the canonical text. */
  toJSON(): string {
    return this.text;
  }
}

function putWord(out: Uint8Array, off: number, w: number): void {
  out[off] = w >>> 24;
  out[off + 1] = (w >>> 16) & 0xff;
  out[off + 2] = (w >>> 8) & 0xff;
  out[off + 3] = w & 0xff;
}

/** Parses address text that is known to be valid (constants, test fixtures); throws otherwise. */
export function ipOf(text: string, rules: IpTextRules = STRICT): IpAddress {
  const a = IpAddress.parse(text, rules);
  if (a === undefined) throw new TypeError(`'${text}' is not an IP address`);
  return a;
}

/** Same address list, in any order (each side is a list without repeats). */
export function sameAddresses(a: readonly IpAddress[], b: readonly IpAddress[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) {
    // Fast path: the same order.
    if (a[i].equals(b[i])) continue;
    let found = false;
    for (let j = 0; j < a.length && !found; j++) found = a[j].equals(b[i]);
    if (!found) return false;
  }
  return true;
}

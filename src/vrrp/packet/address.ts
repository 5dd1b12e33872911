// Address helpers for the packet codec: text <-> bytes for IPv4, IPv6 and MAC addresses.
// Pure and allocation-light. Parsers return undefined on malformed text (never throw); the
// formatters produce the canonical forms the rest of the daemon compares on: dotted quad for
// IPv4, RFC 5952 for IPv6 (lower case, longest zero run of 2+ groups compressed, first one on a
// tie, no IPv4-mapped special form), lower-case colon-separated MACs.

/** Parses a dotted-quad IPv4 address into 4 bytes; undefined if malformed. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  return parseIpv4Into(text, 0, text.length, out, 0) ? out : undefined;
}

/**
 * Parses text[from, to) as a dotted quad into out[at..at+3]. Decimal only, no leading zeros
 * (inet_pton semantics: "010" is rejected). Hand-rolled: this is on the encode path.
 */
function parseIpv4Into(text: string, from: number, to: number, out: Uint8Array, at: number): boolean {
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
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Formats 4 bytes at `off` as a dotted quad. */
export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

const hexVal = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;

/** Parses IPv6 text (with `::` compression and an optional embedded IPv4 tail) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const n = text.length;
  if (n < 2 || n > 45) return undefined;
  const groups = new Array<number>(8);
  let count = 0;
  let gap = -1; // index in `groups` where '::' was seen
  let i = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return undefined;
    gap = 0;
    i = 2;
    if (i === n) return new Uint8Array(16);
  }
  let v4tail: Uint8Array | undefined;
  while (i < n) {
    if (count === 8) return undefined;
    // Find the end of this group.
    let j = i;
    let value = 0;
    let isV4 = false;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x3a) break;
      if (c === 0x2e) isV4 = true;
      j++;
    }
    if (isV4) {
      // Embedded IPv4: only as the last 32 bits.
      if (j !== n || count > 6) return undefined;
      v4tail = new Uint8Array(4);
      if (!parseIpv4Into(text, i, j, v4tail, 0)) return undefined;
      groups[count++] = (v4tail[0] << 8) | v4tail[1];
      groups[count++] = (v4tail[2] << 8) | v4tail[3];
      i = j;
      break;
    }
    const len = j - i;
    if (len < 1 || len > 4) return undefined;
    for (let k = i; k < j; k++) {
      const h = hexVal(text.charCodeAt(k));
      if (h < 0) return undefined;
      value = (value << 4) | h;
    }
    groups[count++] = value;
    if (j === n) {
      i = j;
      break;
    }
    // j is at ':'; '::' marks the gap.
    if (j + 1 < n && text.charCodeAt(j + 1) === 0x3a) {
      if (gap !== -1) return undefined;
      gap = count;
      i = j + 2;
    } else {
      if (j + 1 === n) return undefined; // trailing single ':'
      i = j + 1;
    }
  }
  const out = new Uint8Array(16);
  if (gap === -1) {
    if (count !== 8) return undefined;
  } else if (count > 7) {
    return undefined;
  }
  const fill = gap === -1 ? 0 : 8 - count;
  for (let g = 0, w = 0; g < count; g++, w++) {
    if (g === gap) w += fill;
    out[2 * w] = groups[g] >> 8;
    out[2 * w + 1] = groups[g] & 0xff;
  }
  return out;
}

/** Formats 16 bytes at `off` as RFC 5952 canonical IPv6 text. */
export function formatIpv6(b: Uint8Array, off = 0): string {
  // RFC 5952 4.2.2/4.2.3: compress the longest run of >= 2 zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const zero = b[off + 2 * i] === 0 && b[off + 2 * i + 1] === 0;
    if (zero) {
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

/** Canonical text of an address of either family, or undefined if it is neither. */
export function canonicalIp(text: string): string | undefined {
  const v4 = parseIpv4(text);
  if (v4) return formatIpv4(v4);
  const v6 = parseIpv6(text);
  return v6 ? formatIpv6(v6) : undefined;
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

/** Formats 6 bytes at `off` as a lower-case colon-separated MAC. */
export function formatMac(b: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i].toString(16).padStart(2, '0'));
  return out.join(':');
}

/** Thrown by encoders given an address that is not valid for the family (a programming error). */
export class AddressError extends Error {
  readonly code = 'bad-address';
  constructor(readonly text: string, readonly family: 'inet' | 'inet6' | 'mac') {
    super(`invalid ${family} address '${text}'`);
    this.name = 'AddressError';
  }
}

export function ipv4Bytes(text: string): Uint8Array {
  const b = parseIpv4(text);
  if (!b) throw new AddressError(text, 'inet');
  return b;
}

export function ipv6Bytes(text: string): Uint8Array {
  const b = parseIpv6(text);
  if (!b) throw new AddressError(text, 'inet6');
  return b;
}

export function macBytes(text: string): Uint8Array {
  const b = parseMac(text);
  if (!b) throw new AddressError(text, 'mac');
  return b;
}

/**
 * RFC 5798 7.3 virtual router MAC: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for
 * IPv6 (keepalived's use_vmac address unless a MAC is configured).
 */
export function vmacFor(vrid: number, family: 'inet' | 'inet6'): string {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`vrid ${vrid} outside 1..255`);
  return `00:00:5e:00:0${family === 'inet' ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}

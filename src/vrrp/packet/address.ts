// Address helpers for the packet codec: text <-> bytes for IPv4, IPv6 and MAC addresses.
// Pure and allocation-light. Parsers return undefined on malformed text (never throw); the
// formatters produce the canonical forms the rest of the daemon compares on: dotted quad for
// IPv4, RFC 5952 for IPv6 (lower case, longest zero run of 2+ groups compressed, first one on a
// tie, no IPv4-mapped special form), lower-case colon-separated MACs.

/** Parses a dotted-quad IPv4 address into 4 bytes; undefined if malformed. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    // Decimal only, no leading zeros (inet_pton semantics: "010" is rejected).
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Formats 4 bytes at `off` as a dotted quad. */
export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Parses IPv6 text (with `::` compression and an optional embedded IPv4 tail) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl !== -1) {
    if (text.indexOf('::', dbl + 1) !== -1) return undefined;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return undefined;
  // An embedded IPv4 tail is only legal at the very end.
  if (dbl !== -1 && head.includes('.')) return undefined;
  let all: number[];
  if (dbl === -1) {
    if (h.length !== 8) return undefined;
    all = h;
  } else {
    const fill = 8 - h.length - t.length;
    if (fill < 1) return undefined;
    all = [...h, ...new Array<number>(fill).fill(0), ...t];
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >> 8;
    out[2 * i + 1] = all[i] & 0xff;
  }
  return out;
}

/** Formats 16 bytes at `off` as RFC 5952 canonical IPv6 text. */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const g: number[] = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (b[off + 2 * i] << 8) | b[off + 2 * i + 1];
  // RFC 5952 4.2.2/4.2.3: compress the longest run of >= 2 zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (x: number): string => x.toString(16);
  if (bestStart === -1) return g.map(hex).join(':');
  const left = g.slice(0, bestStart).map(hex).join(':');
  const right = g.slice(bestStart + bestLen).map(hex).join(':');
  return `${left}::${right}`;
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

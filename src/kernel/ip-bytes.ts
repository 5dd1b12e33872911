// IP address text <-> network-order bytes, for rtnetlink attributes. Pure.
// Output text is canonical: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, longest run of
// two or more zero groups shortened to `::`, first run on a tie), which is what iproute2 prints.

export type Family = 'inet' | 'inet6';

export const AF_INET = 2;
export const AF_INET6 = 10;

export function familyNumber(f: Family): number {
  return f === 'inet' ? AF_INET : AF_INET6;
}

export function familyFromNumber(n: number): Family | undefined {
  return n === AF_INET ? 'inet' : n === AF_INET6 ? 'inet6' : undefined;
}

export function maxPrefix(f: Family): number {
  return f === 'inet' ? 32 : 128;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  let s = text;
  const pct = s.indexOf('%'); // zone id is not part of the address
  if (pct >= 0) s = s.slice(0, pct);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is rewritten as two hex groups.
  if (s.includes('.')) {
    const lastColon = s.lastIndexOf(':');
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4 || lastColon < 0) return undefined;
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const gs = h.split(':');
    const out: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]);
  if (!head) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const rest = parseGroups(halves[1]);
    if (!rest) return undefined;
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    groups = head;
    if (groups.length !== 8) return undefined;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Parses an IPv4 or IPv6 literal; undefined when it is neither. */
export function parseIp(text: string): { family: Family; bytes: Uint8Array } | undefined {
  if (text.includes(':')) {
    const b = parseV6(text);
    return b ? { family: 'inet6', bytes: b } : undefined;
  }
  const b = parseV4(text);
  return b ? { family: 'inet', bytes: b } : undefined;
}

/** Canonical text of 4 or 16 network-order bytes; undefined for any other length. */
export function formatIp(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) return undefined;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  // RFC 5952 4.2.2/4.2.3: longest run of >= 2 zero groups, first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number): string => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(':');
  const left = groups.slice(0, bestStart).map(hex).join(':');
  const right = groups.slice(bestStart + bestLen).map(hex).join(':');
  return `${left}::${right}`;
}

/** Canonical form of an address literal, or undefined when it does not parse. */
export function canonicalIp(text: string): string | undefined {
  const p = parseIp(text);
  return p ? formatIp(p.bytes) : undefined;
}

/** IPv4 broadcast for `brd +`: host bits all ones. */
export function ipv4Broadcast(addr: Uint8Array, prefixLength: number): Uint8Array {
  const n = ((addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3]) >>> 0;
  const hostMask = prefixLength >= 32 ? 0 : (0xffffffff >>> prefixLength) >>> 0;
  const b = (n | hostMask) >>> 0;
  return Uint8Array.of(b >>> 24, (b >>> 16) & 0xff, (b >>> 8) & 0xff, b & 0xff);
}

/** True for fe80::/10. */
export function isIpv6LinkLocal(bytes: Uint8Array): boolean {
  return bytes.length === 16 && bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80;
}

/** Formats a hardware address as lower-case colon-separated hex (`""` for none). */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

// Minimal address helpers the FSM needs: numeric comparison (RFC 5798 6.4.3: equal priority is
// resolved by the larger primary IP address) and multicast detection.

/** IPv4 or IPv6 text to a bigint (IPv4 in the low 32 bits). NaN-free: malformed text -> -1n. */
export function ipToBigInt(addr: string): bigint {
  if (!addr.includes(':')) {
    const parts = addr.split('.');
    if (parts.length !== 4) return -1n;
    let v = 0n;
    for (const p of parts) {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 0 || n > 255 || p === '') return -1n;
      v = (v << 8n) | BigInt(n);
    }
    return v;
  }
  let text = addr;
  const pct = text.indexOf('%');
  if (pct >= 0) text = text.slice(0, pct);
  // An embedded dotted quad (::ffff:1.2.3.4) becomes its two 16-bit groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = ipToBigInt(quad[1]);
    if (v4 < 0n) return -1n;
    text = `${text.slice(0, quad.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return -1n;
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return -1n;
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return -1n;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else groups = head;
  if (groups.length !== 8) return -1n;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/**
 * Dotted-quad IPv4 text to its 32-bit value without allocating (every received advert is
 * compared, a flood included); -1 when `addr` is not exactly four decimal octets.
 */
export function ipv4ToNumber(addr: string): number {
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

/** -1, 0, 1 as a numeric compare of two addresses of the same family. */
export function compareIp(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.includes(':') && !b.includes(':')) {
    const p = ipv4ToNumber(a);
    const q = ipv4ToNumber(b);
    return p < q ? -1 : p > q ? 1 : 0;
  }
  const x = ipToBigInt(a);
  const y = ipToBigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isMulticast(addr: string): boolean {
  if (addr.includes(':')) return /^ff/i.test(addr);
  const v = ipv4ToNumber(addr);
  return v >= 0xe0000000 && v <= 0xefffffff;
}

/** Same address regardless of textual form. */
export function sameIp(a: string, b: string): boolean {
  return a === b || (ipToBigInt(a) === ipToBigInt(b) && ipToBigInt(a) >= 0n);
}

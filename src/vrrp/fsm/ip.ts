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

/** -1, 0, 1 as a numeric compare of two addresses of the same family. */
export function compareIp(a: string, b: string): number {
  if (a === b) return 0;
  const x = ipToBigInt(a);
  const y = ipToBigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isMulticast(addr: string): boolean {
  if (addr.includes(':')) return /^ff/i.test(addr);
  const first = Number(addr.split('.', 1)[0]);
  return first >= 224 && first <= 239;
}

/** Same address regardless of textual form. */
export function sameIp(a: string, b: string): boolean {
  return a === b || (ipToBigInt(a) === ipToBigInt(b) && ipToBigInt(a) >= 0n);
}

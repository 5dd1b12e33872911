// keepalived's hex strings (UDP_CHECK payload and require_reply), read by the config checks at
// -t time and by the UDP probe alike.
/** Octets and a wildcard mask (set bits match anything) read from keepalived's hex string. */
export interface HexPattern {
  readonly data: Uint8Array;
  readonly mask?: Uint8Array;
}

function nibble(c: string, wildcard: boolean): number | 'x' | undefined {
  const v = parseInt(c, 16);
  if (/^[0-9a-fA-F]$/.test(c)) return v;
  if (wildcard && (c === 'x' || c === 'X')) return 'x';
  return undefined;
}

/**
 * keepalived's read_hex_str (lib/parser.c): the arguments joined by spaces; each run of hex
 * digits gives octets two digits at a time, a lone digit before a blank is one octet; `x`
 * nibbles are wildcards when `wildcard`. Undefined for an invalid or empty string.
 */
export function parseHexPattern(text: string, wildcard: boolean): HexPattern | undefined {
  const data: number[] = [];
  const mask: number[] = [];
  let usesMask = false;
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    const hi = nibble(text[i++]!, wildcard);
    if (hi === undefined) return undefined;
    let val = hi === 'x' ? 0 : hi;
    let m = hi === 'x' ? 0x0f : 0;
    if (i < text.length && text[i] !== ' ') {
      const lo = nibble(text[i++]!, wildcard);
      if (lo === undefined) return undefined;
      val = (val << 4) | (lo === 'x' ? 0 : lo);
      m = (m << 4) | (lo === 'x' ? 0x0f : 0);
    }
    if (hi === 'x' || m !== 0) usesMask = true;
    data.push(val);
    mask.push(m);
  }
  if (data.length === 0) return undefined;
  return { data: Uint8Array.from(data), ...(usesMask ? { mask: Uint8Array.from(mask) } : {}) };
}


// Value parsers for keyword arguments, following keepalived 2.2.7's rules (lib/parser.c):
// integers are plain decimal, `<BOOL>` is on|true|yes / off|false|no, `<TIMER>` is decimal
// seconds with microsecond resolution. Every parser returns `undefined` on failure and reports
// through the sink with the statement's location, worded like keepalived.
import type { DiagnosticSink, SourceLoc } from '../lib/diagnostics.js';
import { ms, type Ms } from '../lib/units.js';

export interface ValueCtx {
  readonly sink: DiagnosticSink;
  readonly loc: SourceLoc;
}

const INT_RE = /^[+-]?\d+$/;
const DEC_RE = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** Integer in [min, max]; reports `invalid number` or `value-out-of-range` and returns undefined. */
export function parseInteger(text: string, min: number, max: number, c: ValueCtx): number | undefined {
  if (!INT_RE.test(text)) {
    c.sink.error('invalid-number', `invalid number '${text}'`, c.loc, { text });
    return undefined;
  }
  const n = Number(text);
  if (n < 0 && min >= 0) {
    // keepalived's unsigned readers word it this way.
    c.sink.error('value-out-of-range', `negative number '${text}'`, c.loc, { text });
    return undefined;
  }
  if (n < min || n > max) {
    c.sink.error('value-out-of-range', `number '${text}' outside range [${min}, ${max}]`, c.loc, { text });
    return undefined;
  }
  return n;
}

/** Decimal number in [min, max] (keepalived read_double_strvec). */
export function parseDecimal(text: string, min: number, max: number, c: ValueCtx): number | undefined {
  if (!DEC_RE.test(text)) {
    c.sink.error('invalid-number', `invalid number '${text}'`, c.loc, { text });
    return undefined;
  }
  const n = Number(text);
  if (n < 0 && min >= 0) {
    c.sink.error('value-out-of-range', `negative number '${text}'`, c.loc, { text });
    return undefined;
  }
  if (n < min || n > max) {
    // keepalived prints a decimal range with six places: "[0.010000, 255.000000]".
    c.sink.error('value-out-of-range', `number '${text}' outside range [${min.toFixed(6)}, ${max.toFixed(6)}]`, c.loc, { text });
    return undefined;
  }
  return n;
}

/** keepalived's largest timer: UINT_MAX microseconds, in seconds (its range reads [.., 4294.967295]). */
export const TIMER_MAX_SECONDS = 4294.967295;

/**
 * `<TIMER>`: decimal seconds, microsecond resolution, returned in milliseconds (fractions of a
 * millisecond are kept as a fractional Ms value). `maxSeconds` is keepalived's per-keyword cap.
 */
export function parseTimer(text: string, c: ValueCtx, minSeconds = 0, maxSeconds = TIMER_MAX_SECONDS): Ms | undefined {
  const s = parseDecimal(text, minSeconds, maxSeconds, c);
  if (s === undefined) return undefined;
  return ms(Math.round(s * 1_000_000) / 1000);
}

const TRUE_WORDS = new Set(['on', 'true', 'yes']);
const FALSE_WORDS = new Set(['off', 'false', 'no']);

/** `<BOOL>`; an absent word means true (keepalived's optional-bool flags). */
export function parseBool(text: string | undefined, c: ValueCtx): boolean | undefined {
  if (text === undefined) return true;
  const w = text.toLowerCase();
  if (TRUE_WORDS.has(w)) return true;
  if (FALSE_WORDS.has(w)) return false;
  c.sink.error('invalid-value', `invalid boolean '${text}' (use on|true|yes or off|false|no)`, c.loc, { text });
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// IP addresses (inet_pton rules: IPv4 is exactly four decimal octets; IPv6 per RFC 4291 2.2).

export type IpFamily = 'inet' | 'inet6';

export interface IpAddr {
  readonly family: IpFamily;
  /** Canonical text (IPv4 dotted quad, IPv6 RFC 5952 lower-case compressed). */
  readonly address: string;
}

export interface IpPrefix extends IpAddr {
  /** Prefix length; /32 or /128 when not written. */
  readonly prefixLen: number;
  readonly prefixWritten: boolean;
}

export function parseIpv4(text: string): number[] | undefined {
  const out = [0, 0, 0, 0];
  return scanIpv4(text, out) === IPV4_BAD ? undefined : out;
}

const IPV4_BAD = 0;
const IPV4_CANONICAL = 1;
const IPV4_LEADING_ZERO = 2;

/**
 * Four dot-separated decimal parts of 1-3 digits, each at most 255, written into `out`.
 * Returns IPV4_BAD, or whether the text is already canonical (no part with a leading zero),
 * so that the common case needs no new string. Hand-written: it runs for every address of a
 * config with tens of thousands of them.
 */
function scanIpv4(text: string, out: number[]): number {
  const n = text.length;
  if (n < 7 || n > 15) return IPV4_BAD;
  let part = 0;
  let digits = 0;
  let v = 0;
  let result = IPV4_CANONICAL;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (digits === 0 || part === 3 || v > 255) return IPV4_BAD;
      out[part++] = v;
      v = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 3) return IPV4_BAD;
      if (digits === 1 && v === 0) result = IPV4_LEADING_ZERO;
      v = v * 10 + (c - 0x30);
      digits++;
    } else return IPV4_BAD;
  }
  if (part !== 3 || digits === 0 || v > 255) return IPV4_BAD;
  out[3] = v;
  return result;
}

/** Eight 16-bit groups, or undefined. Accepts an embedded IPv4 tail. */
export function parseIpv6(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let s = text;
  if (s.includes('.')) {
    // Embedded IPv4 tail (::ffff:1.2.3.4): rewrite it as two hex groups.
    const lastColon = s.lastIndexOf(':');
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (!v4 || lastColon < 0) return undefined;
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]);
  if (!head) return undefined;
  if (halves.length === 1) {
    return head.length === 8 ? head : undefined;
  }
  const rest = parseGroups(halves[1]);
  if (!rest) return undefined;
  const known = head.length + rest.length;
  if (known > 7) return undefined;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest];
}

export function formatIpv6(groups: readonly number[]): string {
  // RFC 5952: compress the longest run (>= 2) of zero groups, first one on ties.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** A bare address (no prefix). */
export function parseIp(text: string): IpAddr | undefined {
  const v4 = [0, 0, 0, 0];
  const r = scanIpv4(text, v4);
  if (r === IPV4_CANONICAL) return { family: 'inet', address: text };
  if (r === IPV4_LEADING_ZERO) return { family: 'inet', address: v4.join('.') };
  const v6 = parseIpv6(text);
  if (v6) return { family: 'inet6', address: formatIpv6(v6) };
  return undefined;
}

/**
 * ADDR[/LEN]. An out-of-range prefix length is reported and replaced by the host length, as
 * keepalived does ("Invalid address prefix len 33 ... - using 32").
 */
export function parseIpPrefix(text: string, c?: ValueCtx): IpPrefix | undefined {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip) return undefined;
  const max = ip.family === 'inet' ? 32 : 128;
  if (slash < 0) return { ...ip, prefixLen: max, prefixWritten: false };
  const lenText = text.slice(slash + 1);
  if (!/^\d+$/.test(lenText) || Number(lenText) > max) {
    c?.sink.warning(
      'value-out-of-range',
      `Invalid address prefix len ${lenText} for address ${text} - using ${max}`,
      c.loc,
      { text },
    );
    return { ...ip, prefixLen: max, prefixWritten: false };
  }
  return { ...ip, prefixLen: Number(lenText), prefixWritten: true };
}

export function isIpv6LinkLocal(address: string): boolean {
  const g = parseIpv6(address);
  return g !== undefined && (g[0] & 0xffc0) === 0xfe80;
}

export function isMulticast(ip: IpAddr): boolean {
  if (ip.family === 'inet') {
    const first = Number(ip.address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  const g = parseIpv6(ip.address);
  return g !== undefined && (g[0] & 0xff00) === 0xff00;
}

/** Numeric comparison key for IPs of one family (used for range expansion and sorting). */
export function ipToBigInt(ip: IpAddr): bigint {
  if (ip.family === 'inet') {
    return (parseIpv4(ip.address) ?? []).reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
  }
  return (parseIpv6(ip.address) ?? []).reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** snake_case keyword to the camelCase model field name (DESIGN.md style 11). */
export function camel(keyword: string): string {
  return keyword.replace(/[-_]+([a-zA-Z0-9])/g, (_m, ch: string) => ch.toUpperCase());
}

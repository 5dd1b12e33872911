// Value parsers for keyword arguments, following keepalived 2.2.7's rules (lib/parser.c):
// integers are plain decimal, `<BOOL>` is on|true|yes / off|false|no, `<TIMER>` is decimal
// seconds with microsecond resolution. Every parser returns `undefined` on failure and reports
// through the sink with the statement's location, worded like keepalived.
import type { DiagnosticSink, SourceLoc } from '../lib/diagnostics.js';
import { IpAddress, LENIENT_V4, maxPrefix, type Family } from '../lib/ip.js';
import { ms, type Ms } from '../lib/units.js';

export interface ValueCtx {
  readonly sink: DiagnosticSink;
  readonly loc: SourceLoc;
}

const INT_RE = /^[+-]?\d+$/;
const DEC_RE = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/**
 * A number read from `text` checked against [min, max] with keepalived's wording: `negative
 * number` from its unsigned readers, else `outside range`, the bounds as `show` prints them.
 */
function checkRange(n: number, text: string, min: number, max: number, c: ValueCtx, show: (x: number) => string): number | undefined {
  if (n < 0 && min >= 0) {
    // keepalived's unsigned readers word it this way.
    c.sink.error('value-out-of-range', `negative number '${text}'`, c.loc, { text });
    return undefined;
  }
  if (n < min || n > max) {
    c.sink.error('value-out-of-range', `number '${text}' outside range [${show(min)}, ${show(max)}]`, c.loc, { text });
    return undefined;
  }
  return n;
}

/** Integer in [min, max]; reports `invalid number` or `value-out-of-range` and returns undefined. */
export function parseInteger(text: string, min: number, max: number, c: ValueCtx): number | undefined {
  if (!INT_RE.test(text)) {
    c.sink.error('invalid-number', `invalid number '${text}'`, c.loc, { text });
    return undefined;
  }
  return checkRange(Number(text), text, min, max, c, String);
}

/** Decimal number in [min, max] (keepalived read_double_strvec). */
export function parseDecimal(text: string, min: number, max: number, c: ValueCtx): number | undefined {
  if (!DEC_RE.test(text)) {
    c.sink.error('invalid-number', `invalid number '${text}'`, c.loc, { text });
    return undefined;
  }
  // keepalived prints a decimal range with six places: "[0.010000, 255.000000]".
  return checkRange(Number(text), text, min, max, c, (x) => x.toFixed(6));
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
// IP addresses, parsed by src/lib/ip.ts with inet_pton rules plus leading zeros in IPv4 parts
// (accepted and canonicalised, as keepalived does); no IPv6 zone suffix.

export type IpFamily = Family;

/** A config address is the daemon's one address value (docs/adr/0014-ip-address-values.md). */
export type IpAddr = IpAddress;

export interface IpPrefix {
  readonly family: IpFamily;
  readonly address: IpAddress;
  /** Prefix length; /32 or /128 when not written. */
  readonly prefixLen: number;
  readonly prefixWritten: boolean;
}

/** A bare address (no prefix). */
export function parseIp(text: string): IpAddr | undefined {
  return IpAddress.parse(text, LENIENT_V4);
}

/**
 * ADDR[/LEN]. An out-of-range prefix length is reported and replaced by the host length, as
 * keepalived does ("Invalid address prefix len 33 ... - using 32").
 */
export function parseIpPrefix(text: string, c?: ValueCtx): IpPrefix | undefined {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const address = parseIp(addrText);
  if (!address) return undefined;
  const ip = { family: address.family, address };
  const max = maxPrefix(ip.family);
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

/** snake_case keyword to the camelCase model field name (DESIGN.md style 11). */
export function camel(keyword: string): string {
  return keyword.replace(/[-_]+([a-zA-Z0-9])/g, (_m, ch: string) => ch.toUpperCase());
}

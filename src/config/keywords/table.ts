// The declarative keyword-table machinery: one table per block maps a keyword to its arity,
// whether it opens a block, and a handler that writes into the model object. `applyBlock`
// walks a block's statements against a table and reports unknown keywords (with a
// did-you-mean from that table), missing parameters and deprecated aliases.
import type { Statement } from '../ast.js';
import type { DiagnosticSink } from '../../lib/diagnostics.js';
import { ms, type Ms } from '../../lib/units.js';
import { didYouMean } from '../suggest.js';
import { parseBool, parseInteger, parseTimer, TIMER_MAX_SECONDS, type ValueCtx } from '../values.js';
import type { OtherKeywords } from '../model.js';

export interface BuildOptions {
  /** Reserved: version whose keyword set is the target. Only '2.2.7' for now. */
  readonly keepalivedVersion?: '2.2.7';
}

export interface BuildCtx {
  readonly sink: DiagnosticSink;
  readonly options: BuildOptions;
}

export type Handler<T> = (s: Statement, target: T, ctx: BuildCtx) => void;

export interface KeywordDef<T> {
  /** Arguments required; fewer is keepalived's fatal "missing a parameter" (we skip the line). */
  readonly minArgs: number;
  /** 'required': the keyword must open a `{}` block; 'optional': may. */
  readonly block?: 'required' | 'optional';
  readonly handle: Handler<T>;
  /** Set for old spellings keepalived still accepts: the warning text. */
  readonly deprecated?: string;
}

export type KeywordTable<T> = Readonly<Record<string, KeywordDef<T>>>;

/** include variants are expanded by the preprocessor; any left over are accepted silently. */
const INCLUDES = ['include', 'includea', 'includer', 'includew'];

/**
 * Words that keepalived 2.2.7 does not recognise but that operators copy from old or newer
 * documentation. They are still reported `unknown keyword` (keepalived does so too), as a
 * warning, with a hint that says what happened to them.
 */
export const LEGACY_HINTS: Readonly<Record<string, string>> = {
  nat_mask: "'nat_mask' is obsolete (removed from keepalived); it has no effect",
  nb_get_retry: "did you mean 'retry'? ('nb_get_retry' is only accepted in HTTP_GET/SSL_GET)",
  thread_timer_expired: 'keepalived 2.3+ keyword (timer_expired_backup); not recognised by 2.2.7',
  timer_expired_backup: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  no_virtual_ipaddress: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  owner_ignore_adverts: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  vrrp_owner_ignore_adverts: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  v3_checksum_as_v2: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  tls_compliant: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  sni_name: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  auth_hmac: 'keepalived 2.4+ block; not recognised by 2.2.7',
  json_version: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  state_dump_file: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  stats_dump_file: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  json_dump_file: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  vrrp_delay_after_boot: 'keepalived 2.3+ keyword; not recognised by 2.2.7',
  vrrp_ipsets: "keepalived built without ipset support (Debian 2.2.7) does not recognise it; no_accept uses global_defs 'nftables'",
  dynamic: "FILE_CHECK 'dynamic' is a keepalived 2.3+ keyword; not recognised by 2.2.7",
  vrrp_garp_lower_prio_no_advert: "did you mean 'vrrp_lower_prio_no_advert'?",
  lvs_sync_daemon_interface: "use global_defs 'lvs_sync_daemon'",
};

/** True for a keyword `applyBlock` reports as unknown (not an include, not a legacy word). */
export function isPlainUnknown(keyword: string, defs: ReadonlyMap<string, unknown>): boolean {
  return !defs.has(keyword) && !INCLUDES.includes(keyword) && !Object.prototype.hasOwnProperty.call(LEGACY_HINTS, keyword);
}

export function valueCtx(s: Statement, ctx: BuildCtx): ValueCtx {
  return { sink: ctx.sink, loc: s.args[0]?.loc ?? s.loc };
}

/** Reports an unknown keyword, as keepalived words it, with a hint. */
export function reportUnknown(s: Statement, known: Iterable<string>, ctx: BuildCtx): void {
  const legacy = Object.prototype.hasOwnProperty.call(LEGACY_HINTS, s.keyword) ? LEGACY_HINTS[s.keyword] : undefined;
  // Past the sink's cap the diagnostic is only counted: skip the did-you-mean search.
  let hint = legacy ?? (ctx.sink.full('unknown-keyword', s.loc.file) ? undefined : didYouMean(s.keyword, known));
  if (s.block) hint = hint ? `${hint}; block skipped` : 'block skipped';
  const msg = `Unknown keyword '${s.keyword}'`;
  const extra = { text: s.keyword, ...(hint ? { hint } : {}) };
  if (legacy) ctx.sink.warning('unknown-keyword', msg, s.loc, extra);
  else ctx.sink.error('unknown-keyword', msg, s.loc, extra);
}

/**
 * Each table as a Map, built on first use: one hashed lookup per statement instead of a keyed
 * property load that sees every table and keyword at the same site (a config has tens of
 * thousands of statements).
 */
const TABLE_MAPS = new WeakMap<object, ReadonlyMap<string, KeywordDef<never>>>();

export function tableMap<T>(table: KeywordTable<T>): ReadonlyMap<string, KeywordDef<T>> {
  let m = TABLE_MAPS.get(table) as ReadonlyMap<string, KeywordDef<T>> | undefined;
  if (m === undefined) {
    m = new Map(Object.entries(table));
    TABLE_MAPS.set(table, m as ReadonlyMap<string, KeywordDef<never>>);
  }
  return m;
}

/**
 * keepalived's own sentence for a rejected value of a keyword: `value` is the first argument as
 * written, `owner` the name of the block's instance/script when it has one.
 */
export type ValueMessage = (value: string, owner: string) => string;

const VALUE_MESSAGES = new WeakMap<object, Readonly<Record<string, ValueMessage>>>();

/**
 * Registers keepalived's wording for rejected values of `table`'s keywords. keepalived prints
 * two lines for such a value: the generic one of its number reader ("number '0' outside range
 * [1, 255]", which is ours too) and the keyword's own sentence. A value diagnostic
 * (`invalid-number`, `value-out-of-range`, `invalid-value`) on such a statement's line is then
 * followed by an `info` line (code `keepalived-wording`) with that sentence: the same problem,
 * counted once.
 */
export function keepalivedValueMessages(table: object, messages: Readonly<Record<string, ValueMessage>>): void {
  VALUE_MESSAGES.set(table, { ...VALUE_MESSAGES.get(table), ...messages });
}

const VALUE_CODES = new Set(['invalid-number', 'value-out-of-range', 'invalid-value']);

/**
 * The code of an `info` line that only repeats, in keepalived's words, the diagnostic just
 * before it (keepalived prints two lines for some problems; we count the problem once).
 */
export const KEEPALIVED_WORDING = 'keepalived-wording';

function addKeepalivedSentence(s: Statement, from: number, msg: ValueMessage, target: unknown, ctx: BuildCtx): void {
  const items = ctx.sink.items;
  const owner = typeof (target as { name?: unknown }).name === 'string' ? (target as { name: string }).name : '';
  for (let i = from; i < items.length; i++) {
    const d = items[i];
    if (d.severity === 'info' || !VALUE_CODES.has(d.code) || d.loc.file !== s.loc.file || d.loc.line !== s.loc.line) continue;
    items.splice(i + 1, 0, { severity: 'info', code: KEEPALIVED_WORDING, message: msg(s.args[0]?.text ?? '', owner), loc: d.loc, ...(d.text !== undefined ? { text: d.text } : {}) });
    i++;
  }
}

/** Applies `table` to each statement of a block. */
export function applyBlock<T>(table: KeywordTable<T>, stmts: readonly Statement[], target: T, ctx: BuildCtx): void {
  const defs = tableMap(table);
  const messages = VALUE_MESSAGES.get(table);
  for (const s of stmts) {
    const def = defs.get(s.keyword);
    if (!def) {
      if (INCLUDES.includes(s.keyword)) continue;
      reportUnknown(s, Object.keys(table), ctx);
      continue;
    }
    if (def.deprecated) {
      ctx.sink.warning('deprecated-keyword', def.deprecated, s.loc, { text: s.keyword });
    }
    if (def.block === 'required' && !s.block) {
      ctx.sink.error('missing-block', `'${s.keyword}' must be followed by a '{ ... }' block`, s.loc, {
        text: s.keyword,
      });
      continue;
    }
    if (s.args.length < def.minArgs) {
      ctx.sink.error(
        'missing-parameter',
        `Configuration line starting '${s.keyword}' is missing a parameter`,
        s.loc,
        { text: s.keyword },
      );
      continue;
    }
    if (s.block && !def.block) {
      ctx.sink.warning('unexpected-block', `'${s.keyword}' does not take a block; block ignored`, s.loc, {
        text: s.keyword,
      });
    }
    const before = ctx.sink.items.length;
    def.handle(s, target, ctx);
    const msg = messages?.[s.keyword];
    if (msg && ctx.sink.items.length > before) addKeepalivedSentence(s, before, msg, target, ctx);
  }
}

// ------------------------------------------------------------------------------ helpers

/** True when property `K` of `T` is `readonly` (the two mapped types differ only in that modifier). */
type IsReadonly<T, K extends keyof T> =
  (<G>() => G extends { [P in K]: T[K] } ? 1 : 2) extends <G>() => G extends { -readonly [P in K]: T[K] } ? 1 : 2 ? false : true;

/**
 * The writable fields of `T` that accept a value of type `V`: the only field names the helpers
 * below take, so a misspelt field, a read-only one or one of another type does not compile.
 */
export type FieldOf<T, V> = {
  [K in keyof T]-?: [V] extends [T[K]] ? (IsReadonly<T, K> extends true ? never : K) : never;
}[keyof T] &
  string;

/** Writes `v` into `t[field]`; `FieldOf` has checked that the field exists and takes a `V`. */
function setField<T, V>(t: T, field: FieldOf<T, V>, v: V): void {
  (t as { [K in FieldOf<T, V>]: V })[field] = v;
}

/** Stores the keyword's args verbatim in `target.other` (recognised, not interpreted). */
export function stored<T extends { other: OtherKeywords }>(minArgs = 0, block?: 'required' | 'optional'): KeywordDef<T> {
  return {
    minArgs,
    ...(block ? { block } : {}),
    handle: (s, t) => {
      (t.other[s.keyword] ??= []).push(s.args.map((a) => a.text));
    },
  };
}

/** Optional-BOOL flag (`nopreempt`, `smtp_alert [BOOL]`): bare means true. */
export function flag<T>(field: FieldOf<T, boolean>): KeywordDef<T> {
  return {
    minArgs: 0,
    handle: (s, t, ctx) => {
      const b = parseBool(s.args[0]?.text, valueCtx(s, ctx));
      if (b !== undefined) setField(t, field, b);
    },
  };
}

/** An optional-BOOL flag stored negated (`preempt` -> `nopreempt`, `no_accept` -> `accept`). */
export function negatedFlag<T>(field: FieldOf<T, boolean>): KeywordDef<T> {
  return {
    minArgs: 0,
    handle: (s, t, ctx) => {
      const b = parseBool(s.args[0]?.text, valueCtx(s, ctx));
      if (b !== undefined) setField(t, field, !b);
    },
  };
}

/** Integer in [min, max]; out-of-range values are ignored (keepalived keeps the default). */
export function int<T>(field: FieldOf<T, number>, min: number, max: number): KeywordDef<T> {
  return {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const n = parseInteger(s.args[0].text, min, max, valueCtx(s, ctx));
      if (n !== undefined) setField(t, field, n);
    },
  };
}

/** A VRRP version, 2 or 3 (`vrrp_version`, `version`). */
export function vrrpVersion<T>(field: FieldOf<T, 2 | 3>): KeywordDef<T> {
  return {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const n = parseInteger(s.args[0].text, 2, 3, valueCtx(s, ctx));
      if (n === 2 || n === 3) setField(t, field, n);
    },
  };
}

/** `<TIMER>` in seconds stored as Ms. */
export function timer<T>(field: FieldOf<T, Ms>, minSeconds = 0, maxSeconds = TIMER_MAX_SECONDS): KeywordDef<T> {
  return {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const v: Ms | undefined = parseTimer(s.args[0].text, valueCtx(s, ctx), minSeconds, maxSeconds);
      if (v !== undefined) setField(t, field, v);
    },
  };
}

/** Whole seconds (keepalived read_unsigned: `1.5` is an invalid number) stored as Ms. */
export function wholeSeconds<T>(field: FieldOf<T, Ms>, min = 0, max = 4294): KeywordDef<T> {
  return {
    minArgs: 1,
    handle: (s, t, ctx) => {
      const n = parseInteger(s.args[0].text, min, max, valueCtx(s, ctx));
      if (n !== undefined) setField(t, field, ms(n * 1000));
    },
  };
}

/** One word stored as a string. */
export function str<T>(field: FieldOf<T, string>): KeywordDef<T> {
  return {
    minArgs: 1,
    handle: (s, t) => {
      setField(t, field, s.args[0].text);
    },
  };
}

/** An alias that behaves like `def` and warns as deprecated. */
export function alias<T>(def: KeywordDef<T>, message: string): KeywordDef<T> {
  return { ...def, deprecated: message };
}

/** Adds the keys of a `{ WORD ... }` list block: every statement's keyword + args is one item. */
export function listItems(s: Statement): { words: string[]; stmt: Statement }[] {
  return (s.block ?? []).map((b) => ({ words: [b.keyword, ...b.args.map((a) => a.text)], stmt: b }));
}

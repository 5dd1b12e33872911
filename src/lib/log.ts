// Structured logging: records are pino's (level number, time in ms, pid, the fields, msg); the
// daemon sends them to syslog, the console and the -g file (core/daemon-logger.ts), as text or
// JSON lines. Components take a Logger so tests can capture lines.
//
// pino does the JSON; Logger is the small interface the components see, with methods that can be
// passed around detached. Writes are synchronous on the given stream (pino with a plain stream
// destination), so a line is out before the next protocol step.
import pino from 'pino';

export type LevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type LevelWithSilent = LevelName | 'silent';

/** One level's method: `log.info('msg')`, `log.info({ k: v }, 'msg')`, `log.info({ k: v })`; extra args format `%s`/`%d`/`%j`/`%o` in msg. */
export interface LogFn {
  (msg: string, ...args: unknown[]): void;
  (obj: object, msg?: string, ...args: unknown[]): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** The current threshold; lines below it are dropped. */
  level: LevelWithSilent;
  isLevelEnabled(level: LevelName): boolean;
}

export interface LogOptions {
  level?: LevelWithSilent;
  /** Human-readable text instead of JSON. */
  pretty?: boolean;
  /** Where lines go; default stderr. */
  destination?: NodeJS.WritableStream;
}

/** pino's level numbers (kept so JSON consumers see the same values). */
export const LEVELS: Readonly<Record<LevelWithSilent, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const NAMES: readonly LevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** A log record before it is written: pino's fields in pino's order (msg last). */
export type LogRecord = Record<string, unknown> & { level: number; time: number; msg?: string };

/** An Error in the fields becomes { type, message, stack } like pino's err serializer. */
function plain(v: unknown): unknown {
  return v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v;
}

/**
 * The message and its fields as one line of text: `msg key=value ...` (what syslog gets; the
 * `ident` tag is where the line goes, not part of it).
 */
export function messageText(rec: LogRecord): string {
  const { level: _l, time: _t, msg, pid: _pid, hostname: _h, ident: _i, ...rest } = rec;
  let extra = '';
  for (const k in rest) {
    const v = rest[k];
    if (v === undefined) continue;
    extra += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  }
  return `${msg ?? ''}${extra}`;
}

/**
 * What syslog gets: the message alone, worded as keepalived's line is, so the lines people grep
 * and alert on match exactly (the fields are in the JSON lines, --log-format json). An error's
 * message is added when the text does not carry it; a record with no message gives its fields.
 */
export function syslogText(rec: LogRecord): string {
  if (typeof rec.msg !== 'string' || rec.msg === '') return messageText(rec).trimStart();
  const err = rec.err as { message?: unknown } | undefined;
  const em = typeof err?.message === 'string' ? err.message : undefined;
  return em !== undefined && !rec.msg.includes(em) ? `${rec.msg}: ${em}` : rec.msg;
}

/** `HH:MM:SS.mmm LEVEL msg key=value ...` (UTC, like the JSON time). */
export function prettyLine(rec: LogRecord): string {
  const ts = new Date(rec.time).toISOString().slice(11, 23);
  return `${ts} ${LEVEL_NAMES[rec.level] ?? rec.level} ${messageText(rec)}\n`;
}

/** Fields as given, with Error values made plain (pino's err serializer only looks at `err`). */
function fields(a: unknown): unknown {
  if (typeof a !== 'object' || a === null || a instanceof Error) return a;
  let out: Record<string, unknown> | undefined;
  for (const k in a) {
    const v = (a as Record<string, unknown>)[k];
    if (v instanceof Error) (out ??= { ...(a as Record<string, unknown>) })[k] = plain(v);
  }
  return out ?? a;
}

/** Our Logger over a pino instance: methods are own closures, so detached `log.info` works. */
class PinoLogger implements Logger {
  readonly trace: LogFn;
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly fatal: LogFn;
  constructor(private readonly p: PinoInstance) {
    const fn = (n: LevelName): LogFn =>
      ((a: unknown, ...rest: unknown[]) => {
        if (p.isLevelEnabled(n)) (p[n] as (...args: unknown[]) => void)(fields(a), ...rest);
      }) as LogFn;
    [this.trace, this.debug, this.info, this.warn, this.error, this.fatal] = NAMES.map(fn) as [LogFn, LogFn, LogFn, LogFn, LogFn, LogFn];
  }
  get level(): LevelWithSilent {
    return this.p.level as LevelWithSilent;
  }
  set level(l: LevelWithSilent) {
    this.p.level = l;
  }
  isLevelEnabled(l: LevelName): boolean {
    return this.p.isLevelEnabled(l);
  }
}

type PinoInstance = ReturnType<typeof pino>;

/**
 * A logger whose every line carries `ident` (keepalived's syslog ident of the process that would
 * have logged it: "Keepalived_vrrp", "Keepalived_healthcheckers"). Fields given win over it.
 */
export function withIdent(log: Logger, ident: string): Logger {
  const tag = (fn: LogFn): LogFn =>
    ((a: unknown, ...rest: unknown[]) => {
      if (typeof a === 'object' && a !== null && !(a instanceof Error)) fn({ ident, ...(a as object) }, ...(rest as [string?]));
      else if (a instanceof Error) fn({ ident, err: a }, (rest[0] as string | undefined) ?? a.message, ...rest.slice(1));
      else fn({ ident }, a as string, ...rest);
    }) as LogFn;
  return {
    trace: tag(log.trace),
    debug: tag(log.debug),
    info: tag(log.info),
    warn: tag(log.warn),
    error: tag(log.error),
    fatal: tag(log.fatal),
    get level() {
      return log.level;
    },
    set level(l: LevelWithSilent) {
      log.level = l;
    },
    isLevelEnabled: (l: LevelName) => log.isLevelEnabled(l),
  };
}

/** A pino destination that hands each JSON line to `f` parsed. */
function recordSink(f: (rec: LogRecord) => void): { write(line: string): void } {
  return { write: (line: string) => f(JSON.parse(line) as LogRecord) };
}

export function createLogger(opts: LogOptions = {}): Logger {
  const out = opts.destination ?? process.stderr;
  const pretty = opts.pretty ?? Boolean((out as { isTTY?: boolean }).isTTY);
  // pino writes each line synchronously to a plain stream destination; pretty text re-reads it.
  const dest = pretty ? recordSink((r) => void out.write(prettyLine(r))) : out;
  return new PinoLogger(pino({ level: opts.level ?? 'info', base: { pid: process.pid } }, dest as pino.DestinationStream));
}

/** A logger that keeps records in memory (tests), parsed back from pino's JSON lines. */
export function memoryLogger(level: LevelWithSilent = 'trace'): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  return { log: new PinoLogger(pino({ level, base: null }, recordSink((r) => records.push(r)))), records };
}

/**
 * Counts events per key and lets one log line through per `intervalMs` per key, carrying the
 * number suppressed since the last line (bad packets must be counted and rate-limited).
 */
export class RateLimitedCounter {
  private readonly counts = new Map<string, { total: number; sinceLog: number; lastLog: number }>();
  constructor(private readonly intervalMs: number) {}
  /** Returns the number to report when a line should be logged now, else undefined. */
  hit(key: string, now: number): { total: number; suppressed: number } | undefined {
    let c = this.counts.get(key);
    if (!c) {
      c = { total: 0, sinceLog: 0, lastLog: -Infinity };
      this.counts.set(key, c);
    }
    c.total++;
    if (now - c.lastLog >= this.intervalMs) {
      const suppressed = c.sinceLog;
      c.sinceLog = 0;
      c.lastLog = now;
      return { total: c.total, suppressed };
    }
    c.sinceLog++;
    return undefined;
  }
  total(key: string): number {
    return this.counts.get(key)?.total ?? 0;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].map(([k, v]) => [k, v.total]));
  }
}

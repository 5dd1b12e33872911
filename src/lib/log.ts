// Structured logging: JSON lines by default (pino's line format: level number, time in ms, pid,
// the fields, msg), readable one-line text when asked (-l) or on a terminal. Components take a
// Logger so tests can capture lines.
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

/** `HH:MM:SS.mmm LEVEL msg key=value ...` (UTC, like the JSON time). */
export function prettyLine(rec: LogRecord): string {
  const { level, time, msg, pid: _pid, hostname: _h, ...rest } = rec;
  const ts = new Date(time).toISOString().slice(11, 23);
  let extra = '';
  for (const k in rest) {
    const v = rest[k];
    if (v === undefined) continue;
    extra += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  }
  return `${ts} ${LEVEL_NAMES[level] ?? level} ${msg ?? ''}${extra}\n`;
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

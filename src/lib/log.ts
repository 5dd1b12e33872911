// Structured logging: JSON lines by default (pino's line format: level number, time in ms, pid,
// the fields, msg), readable one-line text when asked (-l) or on a terminal. Components take a
// Logger so tests can capture lines.
//
// Not pino itself: the daemon's start-up is dominated by module loading, and pino with its
// helpers (sonic-boom, thread-stream, redaction, safe-stable-stringify) cost ~23 ms of CPU per
// start for features we do not use (transports, child loggers, redaction, async writes). Writes
// are synchronous on the given stream, as pino's were with a plain stream destination.
import { format } from 'node:util';

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

function makeRecord(level: number, base: Record<string, unknown>, a: unknown, rest: unknown[]): LogRecord {
  const rec: LogRecord = { level, time: Date.now(), ...base };
  let msg: unknown;
  if (typeof a === 'object' && a !== null) {
    if (a instanceof Error) {
      rec.err = plain(a);
      msg = rest.length > 0 ? rest.shift() : a.message;
    } else {
      for (const [k, v] of Object.entries(a)) rec[k] = plain(v);
      msg = rest.shift();
    }
  } else {
    msg = a;
  }
  if (msg !== undefined) rec.msg = rest.length > 0 && typeof msg === 'string' ? format(msg, ...rest) : String(msg);
  return rec;
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

class LineLogger implements Logger {
  private threshold: number;
  readonly trace: LogFn;
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly fatal: LogFn;
  constructor(
    level: LevelWithSilent,
    private readonly base: Record<string, unknown>,
    private readonly emit: (rec: LogRecord) => void,
  ) {
    this.threshold = LEVELS[level];
    // Own properties (not prototype methods) so `log.warn.bind(log)` and passing `log.info`
    // around keep working.
    const fn = (n: number): LogFn =>
      ((a: unknown, ...rest: unknown[]) => {
        if (n >= this.threshold) this.emit(makeRecord(n, this.base, a, rest));
      }) as LogFn;
    [this.trace, this.debug, this.info, this.warn, this.error, this.fatal] = NAMES.map((l) => fn(LEVELS[l])) as [LogFn, LogFn, LogFn, LogFn, LogFn, LogFn];
  }
  get level(): LevelWithSilent {
    return (Object.keys(LEVELS) as LevelWithSilent[]).find((k) => LEVELS[k] === this.threshold) ?? 'info';
  }
  set level(l: LevelWithSilent) {
    this.threshold = LEVELS[l];
  }
  isLevelEnabled(l: LevelName): boolean {
    return LEVELS[l] >= this.threshold;
  }
}

export function createLogger(opts: LogOptions = {}): Logger {
  const out = opts.destination ?? process.stderr;
  const pretty = opts.pretty ?? Boolean((out as { isTTY?: boolean }).isTTY);
  const emit = pretty ? (r: LogRecord) => void out.write(prettyLine(r)) : (r: LogRecord) => void out.write(JSON.stringify(r) + '\n');
  return new LineLogger(opts.level ?? 'info', { pid: process.pid }, emit);
}

/** A logger that keeps records in memory (tests), as they would be parsed back from the JSON lines. */
export function memoryLogger(level: LevelWithSilent = 'trace'): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  return { log: new LineLogger(level, {}, (r) => records.push(JSON.parse(JSON.stringify(r)) as Record<string, unknown>)), records };
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

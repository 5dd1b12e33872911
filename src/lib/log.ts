// Structured logging: pino JSON lines by default; readable one-line text when asked (-l) or on
// a terminal. Components take a Logger so tests can capture lines.
import pino from 'pino';
import { Writable } from 'node:stream';

export type Logger = pino.Logger;

export interface LogOptions {
  level?: pino.LevelWithSilent;
  /** Human-readable text instead of JSON. */
  pretty?: boolean;
  /** Where lines go; default stderr. */
  destination?: NodeJS.WritableStream;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Turns pino's JSON lines into `HH:MM:SS.mmm LEVEL msg key=value ...`. */
function prettyStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const { level, time, msg, pid: _pid, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
          const ts = new Date(Number(time)).toISOString().slice(11, 23);
          const extra = Object.entries(rest)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          out.write(`${ts} ${LEVEL_NAMES[Number(level)] ?? level} ${String(msg ?? '')}${extra ? ' ' + extra : ''}\n`);
        } catch {
          out.write(line + '\n');
        }
      }
      cb();
    },
  });
}

export function createLogger(opts: LogOptions = {}): Logger {
  const out = opts.destination ?? process.stderr;
  const pretty = opts.pretty ?? Boolean((out as { isTTY?: boolean }).isTTY);
  const stream = pretty ? prettyStream(out) : out;
  return pino({ level: opts.level ?? 'info', base: { pid: process.pid } }, stream as pino.DestinationStream);
}

/** A logger that keeps parsed records in memory (tests). */
export function memoryLogger(level: pino.LevelWithSilent = 'trace'): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level }, sink as unknown as pino.DestinationStream), records };
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

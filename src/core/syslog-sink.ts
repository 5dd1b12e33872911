// Lines to the local syslog socket (/dev/log), as keepalived sends them through glibc's syslog():
// one datagram per line, `<PRI>Mmm dd hh:mm:ss IDENT[PID]: msg` (src/lib/syslog.ts). On systemd
// hosts /dev/log is journald's, so the journal gets the same lines with keepalived's
// SYSLOG_IDENTIFIER values. The socket is non-blocking: when the logger's queue is full the line
// is dropped and counted (a stalled syslog daemon must not delay an advert); a logger that went
// away (ECONNREFUSED, ENOTCONN) is reconnected once per line, like glibc does.
import { UnixDgramClient, UnixDgramError } from '../net/unix-dgram.js';
import { RateLimitedCounter } from '../lib/log.js';
import { syslogLine, type LogFacility } from '../lib/syslog.js';

export const DEFAULT_SYSLOG_SOCKET = '/dev/log';

export interface SyslogSinkOptions {
  readonly path: string;
  readonly facility: LogFacility;
  /** Where the rate-limited "lines lost" reports go (the console). */
  readonly report: (line: string) => void;
  readonly pid?: number;
}

export class SyslogSink {
  private client: UnixDgramClient | undefined;
  private readonly lost = new RateLimitedCounter(60_000);

  private constructor(
    private readonly o: SyslogSinkOptions,
    client: UnixDgramClient,
  ) {
    this.client = client;
  }

  /** Connects now; the error code (ENOENT: no syslog socket) when that fails. */
  static open(o: SyslogSinkOptions): SyslogSink | { error: string } {
    try {
      return new SyslogSink(o, UnixDgramClient.connect(o.path));
    } catch (e) {
      return { error: e instanceof UnixDgramError ? e.code : String(e) };
    }
  }

  /** Sends `msg` (one datagram per line of it) under `ident` at pino level `level`. */
  write(level: number, ident: string, msg: string, time = new Date()): void {
    for (const line of msg.split('\n')) {
      const text = syslogLine({ facility: this.o.facility, level, time, ident, pid: this.o.pid ?? process.pid, msg: line });
      const err = this.sendOnce(text);
      if (err !== undefined) this.countLost(err);
    }
  }

  private sendOnce(text: string): string | undefined {
    let err = this.client ? this.client.send(text) : 'ENOTCONN';
    if (err === 'ECONNREFUSED' || err === 'ENOTCONN' || err === 'ECONNRESET' || err === 'EBADF') {
      // The syslog daemon restarted (its socket is a new one): reconnect and retry once.
      this.client?.close();
      this.client = undefined;
      try {
        this.client = UnixDgramClient.connect(this.o.path);
        err = this.client.send(text);
      } catch (e) {
        err = e instanceof UnixDgramError ? e.code : String(e);
      }
    }
    return err;
  }

  private countLost(code: string): void {
    const hit = this.lost.hit(code, Date.now());
    if (hit) this.o.report(`keepalived-ts: syslog ${this.o.path}: ${hit.total} log line(s) lost so far (${code}; ${hit.suppressed} since the last report)`);
  }

  /** Lines that could not be sent, by errno name. */
  lostCounts(): Record<string, number> {
    return this.lost.snapshot();
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

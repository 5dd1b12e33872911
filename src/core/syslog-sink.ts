// Lines to the local syslog socket (/dev/log), as keepalived sends them through glibc's syslog():
// one datagram per line, `<PRI>Mmm dd hh:mm:ss IDENT[PID]: msg` (src/lib/syslog.ts). On systemd
// hosts /dev/log is journald's, so the journal gets the same lines with keepalived's
// SYSLOG_IDENTIFIER values. The socket is non-blocking, so a slow syslog daemon never delays an
// advert: when its queue is full (EAGAIN; a unix datagram socket queues only
// net.unix.max_dgram_qlen, 10 by default, datagrams) lines wait in ours, in order, and are
// retried every RETRY_MS; only beyond MAX_QUEUED lines are they dropped and counted. At exit
// what is still queued gets up to EXIT_DRAIN_MS. A logger that went away (ECONNREFUSED,
// ENOTCONN) is reconnected once per line, like glibc does.
import { UnixDgramClient, UnixDgramError } from '../net/unix-dgram.js';
import { RateLimitedCounter } from '../lib/log.js';
import { syslogLine, type LogFacility } from '../lib/syslog.js';

export const DEFAULT_SYSLOG_SOCKET = '/dev/log';
const RETRY_MS = 10;
const MAX_QUEUED = 10_000;
const EXIT_DRAIN_MS = 1000;

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
  private readonly queue: string[] = [];
  private retry: NodeJS.Timeout | undefined;
  private readonly onExit = (): void => this.drain(EXIT_DRAIN_MS);

  private constructor(
    private readonly o: SyslogSinkOptions,
    client: UnixDgramClient,
  ) {
    this.client = client;
    process.once('exit', this.onExit);
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
      if (this.queue.length > 0) this.enqueue(text);
      else {
        const err = this.sendOnce(text);
        if (err === 'EAGAIN') this.enqueue(text);
        else if (err !== undefined) this.countLost(err);
      }
    }
  }

  /** Lines waiting for room in the syslog daemon's queue. */
  get queued(): number {
    return this.queue.length;
  }

  private enqueue(text: string): void {
    if (this.queue.length >= MAX_QUEUED) this.countLost('EAGAIN');
    else this.queue.push(text);
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      this.flush();
    }, RETRY_MS).unref();
  }

  /** Sends what is queued, in order, until the receiver is full again; true when empty. */
  private flush(): boolean {
    while (this.queue.length > 0) {
      const err = this.sendOnce(this.queue[0]!);
      if (err === 'EAGAIN') {
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.flush();
        }, RETRY_MS).unref();
        return false;
      }
      this.queue.shift();
      if (err !== undefined) this.countLost(err);
    }
    return true;
  }

  /** At exit: keep trying for up to `ms` (synchronously: the event loop is gone). */
  drain(ms: number): void {
    const until = Date.now() + ms;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (!this.flush() && Date.now() < until) Atomics.wait(nap, 0, 0, 2);
    if (this.queue.length > 0) this.countLost(`EAGAIN (${this.queue.length} at exit)`);
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
    process.removeListener('exit', this.onExit);
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.client?.close();
    this.client = undefined;
  }
}

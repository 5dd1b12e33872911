// notify_fifo writer (keepalived-behaviour.md 4.3).
//
// The daemon must never block on a FIFO: it is opened O_WRONLY|O_NONBLOCK (which fails with
// ENXIO while nobody reads) and written with non-blocking writes (EAGAIN when the pipe is
// full, EPIPE when the reader went away). Lines that cannot be written yet wait in a bounded
// buffer and are retried on the next write and on a retry timer; when the buffer is full the
// OLDEST lines are dropped (the newest state matters most) and counted.
//
// keepalived creates the FIFO when it does not exist (mode 0600, owned by the optional user
// and group) and removes it at exit only if it created it; we do the same. Node has no
// mkfifo(), so creation uses mkfifo(1) through the ProcessRunner.
import { closeSync, constants, lstatSync, openSync, unlinkSync, writeSync, chownSync } from 'node:fs';
import type { Logger } from '../lib/log.js';
import type { Ms } from '../lib/units.js';
import type { ProcessRunner, RunningProcess, RunSpec } from './process-runner.js';
import type { TimerHandle, Timers } from '../lib/timers.js';

export interface FifoWriterOptions {
  readonly path: string;
  /** Owner for a FIFO we create. */
  readonly uid?: number;
  readonly gid?: number;
  /** Bytes kept while the FIFO cannot take them; default 64 KiB. */
  readonly maxBufferedBytes?: number;
  /** Retry period while lines are waiting; default 1000 ms. */
  readonly retryMs?: number;
  /**
   * `*_fifo_script`: started once the FIFO exists, with the FIFO path appended as its last
   * argument; terminated at close().
   */
  readonly script?: RunSpec;
  readonly log?: Logger;
}

export interface FifoStats {
  /** Lines fully written. */
  written: number;
  /** Lines dropped because the buffer was full. */
  dropped: number;
  /** Bytes waiting. */
  bufferedBytes: number;
  /** Successful opens (1 + reconnections). */
  opens: number;
  /** Last errno seen from open/write, if any. */
  lastError: string | undefined;
}

export class FifoWriter {
  readonly stats: FifoStats = { written: 0, dropped: 0, bufferedBytes: 0, opens: 0, lastError: undefined };
  private fd: number | undefined;
  private readonly queue: Buffer[] = [];
  /** Bytes of queue[0] already written (partial write). */
  private headOffset = 0;
  private retry: TimerHandle | undefined;
  private createdByUs = false;
  private scriptProc: RunningProcess | undefined;
  private closed = false;
  private readonly maxBytes: number;
  private readonly retryMs: number;

  constructor(
    private readonly opts: FifoWriterOptions,
    private readonly runner: ProcessRunner,
    private readonly timers: Timers,
  ) {
    this.maxBytes = opts.maxBufferedBytes ?? 64 * 1024;
    this.retryMs = opts.retryMs ?? 1000;
  }

  get path(): string {
    return this.opts.path;
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** Creates the FIFO if missing, starts the fifo_script, tries a first open. */
  async start(): Promise<void> {
    const st = statOrUndefined(this.opts.path);
    if (st === undefined) {
      const r = await this.runner.start({ argv: ['mkfifo', '-m', '0600', '--', this.opts.path], label: 'mkfifo' }).result;
      if (r.kind === 'exited' && r.code === 0) {
        this.createdByUs = true;
        if (this.opts.uid !== undefined || this.opts.gid !== undefined) {
          try {
            chownSync(this.opts.path, this.opts.uid ?? -1, this.opts.gid ?? -1);
          } catch (e) {
            this.note('chown', e);
          }
        }
      } else {
        this.opts.log?.error({ fifo: this.opts.path, result: r }, 'Unable to create notify FIFO');
      }
    } else if (!st.isFIFO()) {
      this.opts.log?.warn({ fifo: this.opts.path }, 'notify FIFO path exists and is not a FIFO');
    }
    if (this.opts.script) {
      const s = this.opts.script;
      this.scriptProc = this.runner.start({ ...s, argv: [...s.argv, this.opts.path], label: s.label ?? 'fifo_script' });
      void this.scriptProc.result.then((r) => {
        if (!this.closed) this.opts.log?.warn({ fifo: this.opts.path, result: r }, 'notify FIFO script ended');
      });
    }
    this.tryOpen();
    this.flush();
  }

  /** Queues one line (already formatted, newline and any NUL included) and writes what it can. */
  write(line: string | Buffer): void {
    if (this.closed) return;
    const buf = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
    if (buf.length > this.maxBytes) {
      this.stats.dropped++;
      return;
    }
    this.queue.push(buf);
    this.stats.bufferedBytes += buf.length;
    while (this.stats.bufferedBytes > this.maxBytes) this.dropOldest();
    this.flush();
  }

  /** Stops the retry timer, closes the FIFO, terminates the fifo_script, removes a FIFO we created. */
  async close(scriptGraceMs: Ms = 1000 as Ms): Promise<void> {
    this.closed = true;
    if (this.retry) this.timers.clearTimeout(this.retry);
    this.retry = undefined;
    this.closeFd();
    if (this.scriptProc?.running) {
      this.scriptProc.terminate(scriptGraceMs);
      await this.scriptProc.result;
    }
    if (this.createdByUs) {
      try {
        unlinkSync(this.opts.path);
      } catch (e) {
        this.note('unlink', e);
      }
    }
  }

  private dropOldest(): void {
    const head = this.queue.shift();
    if (!head) return;
    // A partly written head line is dropped too: the reader already has its start, but
    // keeping line boundaries for later lines matters more. (Pipe writes of a line are atomic
    // up to PIPE_BUF, so partial writes do not happen for normal lines.)
    this.stats.bufferedBytes -= head.length - this.headOffset;
    this.headOffset = 0;
    this.stats.dropped++;
  }

  private tryOpen(): boolean {
    if (this.fd !== undefined) return true;
    try {
      this.fd = openSync(this.opts.path, constants.O_WRONLY | constants.O_NONBLOCK);
      this.stats.opens++;
      return true;
    } catch (e) {
      // ENXIO: FIFO without reader. ENOENT: not (yet) created. Both: retry later.
      this.note('open', e);
      return false;
    }
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // nothing useful to do
    }
    this.fd = undefined;
  }

  private flush(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      if (!this.tryOpen()) break;
      const head = this.queue[0]!;
      let n: number;
      try {
        n = writeSync(this.fd!, head, this.headOffset, head.length - this.headOffset);
      } catch (e) {
        this.note('write', e);
        // EPIPE: the reader closed; reopen later (Node ignores SIGPIPE). EAGAIN: pipe full.
        if (errno(e) !== 'EAGAIN') this.closeFd();
        break;
      }
      this.headOffset += n;
      this.stats.bufferedBytes -= n;
      if (this.headOffset >= head.length) {
        this.queue.shift();
        this.headOffset = 0;
        this.stats.written++;
      }
    }
    this.armRetry();
  }

  private armRetry(): void {
    if (this.queue.length === 0 || this.retry || this.closed) return;
    this.retry = this.timers.setTimeout(() => {
      this.retry = undefined;
      this.flush();
    }, this.retryMs);
  }

  private note(op: string, e: unknown): void {
    const code = errno(e);
    if (code !== this.stats.lastError) this.opts.log?.debug({ fifo: this.opts.path, op, code }, 'notify FIFO not writable');
    this.stats.lastError = code;
  }
}

function errno(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EUNKNOWN';
}

function statOrUndefined(p: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

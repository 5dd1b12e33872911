// The control socket (docs/adr/0021-control-socket-protocol.md): a unix stream socket, mode 0600
// (the daemon runs as root, so only root may connect), one JSON request per line, one JSON answer
// per line, in order. What it costs a misbehaving client is bounded: a request line longer than
// MAX_REQUEST_BYTES, too many bad lines, or an idle connection closes it; at most `maxClients`
// at once; a connection reads its next request only after the answer to the last one was
// written out (a client that sends and never reads stalls itself, not the daemon). Bad requests
// are answered with an error and counted in a rate-limited log line.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { RateLimitedCounter, type Logger } from '../lib/log.js';
import { errorResponse, MAX_REQUEST_BYTES, parseRequest, PROTOCOL_VERSION, type ControlRequest, type ControlResponse, type ReloadResult } from './control-protocol.js';

export interface ControlHandlers {
  /** The status document (control-status.ts). */
  status(): unknown;
  /** The daemon's reload; one runs at a time. */
  reload(): Promise<ReloadResult>;
}

export interface ControlServerOptions {
  readonly path: string;
  readonly handlers: ControlHandlers;
  readonly log: Logger;
  /** Connections served at once; more are answered `busy` and closed. Default 16. */
  readonly maxClients?: number;
  /** A connection with no request for this long is closed (ms). Default 30 s. */
  readonly idleMs?: number;
  /** Bad request lines one connection may send before it is closed. Default 8. */
  readonly maxBadLines?: number;
  /** A status document is reused for this long (ms). Default 100. */
  readonly statusCacheMs?: number;
  /** Requests (of all connections together) are handled at most one per this many ms. Default 2. */
  readonly minGapMs?: number;
}

export class ControlSocketError extends Error {
  constructor(
    message: string,
    readonly code: 'IN-USE' | 'NOT-SOCKET' | 'LISTEN',
  ) {
    super(message);
  }
}

/** Does something answer on the unix socket at `path`? (A stale socket file refuses.) */
function answers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ path });
    const t = setTimeout(() => {
      s.destroy();
      resolve(true); // accepted but silent: something holds it
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/**
 * Ends a connection (after a last answer): its input is discarded so the client's close is seen,
 * and it is destroyed if the client has not closed within a second.
 */
function finish(s: Socket, last?: ControlResponse): void {
  if (s.destroyed) return;
  if (last) s.end(JSON.stringify(last) + '\n');
  else s.end();
  s.removeAllListeners('data');
  s.resume();
  setTimeout(() => s.destroy(), 1000).unref();
}

/** Resolves when the socket's write buffer drained or the socket closed (no listener left behind). */
function drained(s: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
  });
}

export class ControlServer {
  /** Connections being served (counted against maxClients). */
  private readonly clients = new Set<Socket>();
  /** Every open connection, also those being refused: all are destroyed at close. */
  private readonly all = new Set<Socket>();
  private readonly bad = new RateLimitedCounter(10_000);
  private reloading: Promise<ReloadResult> | undefined;
  private statusCache: { readonly at: number; readonly json: string; readonly line: string } | undefined;
  private nextSlot = 0;
  private closed = false;

  private constructor(
    private readonly o: ControlServerOptions,
    private readonly server: Server,
  ) {}

  /**
   * Listens on o.path. A stale socket file left by a daemon that died is replaced; a socket some
   * process still answers on, or a path that is not a socket, is refused (ControlSocketError).
   */
  static async open(o: ControlServerOptions): Promise<ControlServer> {
    let existing: ReturnType<typeof lstatSync> | undefined;
    try {
      existing = lstatSync(o.path);
    } catch {
      existing = undefined;
    }
    if (existing) {
      if (!existing.isSocket()) throw new ControlSocketError(`control socket ${o.path} exists and is not a socket; not replacing it (choose another with --control-socket)`, 'NOT-SOCKET');
      if (await answers(o.path)) throw new ControlSocketError(`control socket ${o.path} is in use by another process (another daemon with the same --control-socket?)`, 'IN-USE');
      unlinkSync(o.path);
    }
    mkdirSync(dirname(o.path), { recursive: true });
    const server = createServer({ allowHalfOpen: false });
    const cs = new ControlServer(o, server);
    server.on('connection', (s) => cs.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new ControlSocketError(`cannot listen on control socket ${o.path}: ${e.code ?? e.message}`, 'LISTEN')));
      // The socket is created by bind(2) inside listen(): under umask 0177 it is 0600 from its first moment.
      const old = process.umask(0o177);
      try {
        server.listen(o.path, () => resolve());
      } finally {
        process.umask(old);
      }
    });
    chmodSync(o.path, 0o600);
    server.on('error', (e) => o.log.error({ err: String(e) }, `control socket ${o.path}: ${String(e)}`));
    return cs;
  }

  get path(): string {
    return this.o.path;
  }

  /** Stops listening, closes every connection and removes the socket file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.all) c.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    try {
      unlinkSync(this.o.path);
    } catch {
      /* already gone */
    }
  }

  private accept(s: Socket): void {
    s.on('error', () => {
      /* the client went away: nothing to do */
    });
    if (this.clients.size >= (this.o.maxClients ?? 16)) {
      this.countBad('busy', 'too many control connections at once');
      this.all.add(s);
      s.on('close', () => this.all.delete(s));
      finish(s, errorResponse('busy', 'too many control connections at once; try again'));
      return;
    }
    this.clients.add(s);
    this.all.add(s);
    s.on('close', () => {
      this.clients.delete(s);
      this.all.delete(s);
    });
    s.setTimeout(this.o.idleMs ?? 30_000, () => s.destroy());
    let buf: Buffer = Buffer.alloc(0);
    let badLines = 0;
    let busy = false;
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          if (s.writableEnded || s.destroyed) return;
          const nl = buf.indexOf(0x0a);
          if (nl < 0) {
            if (buf.length > MAX_REQUEST_BYTES) {
              this.countBad('too-long', `request longer than ${MAX_REQUEST_BYTES} bytes`);
              finish(s, errorResponse('too-long', `request longer than ${MAX_REQUEST_BYTES} bytes; connection closed`));
              buf = Buffer.alloc(0);
            }
            return;
          }
          const line = buf.subarray(0, nl).toString('utf8').replace(/\r$/, '');
          buf = buf.subarray(nl + 1);
          if (line.trim() === '') continue;
          if (nl > MAX_REQUEST_BYTES) {
            this.countBad('too-long', `request longer than ${MAX_REQUEST_BYTES} bytes`);
            finish(s, errorResponse('too-long', `request longer than ${MAX_REQUEST_BYTES} bytes; connection closed`));
            return;
          }
          // Let timers (adverts) and other connections run between two requests of a flood.
          await this.turn();
          if (s.writableEnded || s.destroyed) return;
          const p = parseRequest(line);
          let answer: ControlResponse | string;
          if (!p.ok) {
            badLines++;
            this.countBad(p.code, p.message);
            answer = errorResponse(p.code, p.message, p.id);
          } else {
            answer = await this.handle(p.request);
          }
          if (s.writableEnded || s.destroyed) return;
          // Backpressure: no new request is read until this answer has left.
          s.pause();
          const flushed = s.write((typeof answer === 'string' ? answer : JSON.stringify(answer)) + '\n');
          if (!flushed) await drained(s);
          if (badLines >= (this.o.maxBadLines ?? 8)) {
            finish(s);
            return;
          }
          if (!s.destroyed) s.resume();
        }
      } finally {
        busy = false;
      }
    };
    s.on('data', (chunk: Buffer) => {
      // Bounded: at most one request line plus one chunk is held.
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (busy && buf.length > MAX_REQUEST_BYTES * 2) s.pause();
      void pump().then(() => {
        if (buf.indexOf(0x0a) >= 0 && !s.destroyed) void pump();
      });
    });
  }

  /**
   * The status answer as a JSON line. The document is built and serialised at most once per
   * statusCacheMs (a large one takes milliseconds): a flood of status requests costs writes.
   */
  private statusLine(id: string | number | undefined): string {
    const now = performance.now();
    if (!this.statusCache || now - this.statusCache.at >= (this.o.statusCacheMs ?? 100)) {
      const json = JSON.stringify(this.o.handlers.status());
      this.statusCache = { at: now, json, line: `{"ok":true,"v":${PROTOCOL_VERSION},"cmd":"status","status":${json}}` };
    }
    if (id === undefined) return this.statusCache.line;
    return `{"ok":true,"v":${PROTOCOL_VERSION},"id":${JSON.stringify(id)},"cmd":"status","status":${this.statusCache.json}}`;
  }

  /**
   * Paces the requests of all connections together: one is handled at most every minGapMs, and
   * never two in one turn of the event loop, so a flood cannot hold the VRRP timers back.
   */
  private async turn(): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + (this.o.minGapMs ?? 2);
    if (at > now) await new Promise<void>((r) => setTimeout(r, at - now));
    else await new Promise<void>((r) => setImmediate(r));
  }

  private async handle(r: ControlRequest): Promise<ControlResponse | string> {
    const id = r.id !== undefined ? { id: r.id } : {};
    try {
      switch (r.cmd) {
        case 'ping':
          return { ok: true, v: PROTOCOL_VERSION, ...id, cmd: 'ping', pid: process.pid };
        case 'status':
          return this.statusLine(r.id);
        case 'reload': {
          if (this.reloading) return errorResponse('busy', 'a reload is already in progress; try again when it has finished', r.id);
          this.o.log.info('reload requested on the control socket');
          this.reloading = this.o.handlers.reload();
          try {
            return { ok: true, v: PROTOCOL_VERSION, ...id, cmd: 'reload', reload: await this.reloading };
          } finally {
            this.reloading = undefined;
          }
        }
      }
    } catch (e) {
      this.o.log.error({ cmd: r.cmd, err: String(e) }, `control socket: ${r.cmd} failed: ${(e as Error).message}`);
      return errorResponse('internal', `${r.cmd} failed: ${(e as Error).message}`, r.id);
    }
  }

  private countBad(code: string, message: string): void {
    const n = this.bad.hit(code, performance.now());
    if (n) this.o.log.warn({ code, total: n.total, suppressed: n.suppressed }, `control socket: refused a request (${message}); ${n.total} refused so far for this reason`);
  }
}

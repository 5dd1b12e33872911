// How a probe ends, shared by the probes (probes.ts, smtp-probe.ts, udp-probe.ts, ping-probe.ts,
// tcp-native-probe.ts): once, with its timer cleared and its socket released, answering its
// result unless it was cancelled; a result known before any I/O is answered asynchronously like
// every other. PendingProbes is the same for probes that share one socket and are told apart by
// a key (PING_CHECK's sequence numbers, the addon's connect ids).
import type { TcpSocketConnectOpts } from 'node:net';
import type { ProbeResult } from './checker-state.js';
import type { ConnectAddress } from './connect-target.js';
import type { ProbeHandle } from './probes.js';

export interface ProbeEnd {
  /** Ends the probe: clears its timer, releases it and answers `r` (nothing for undefined). Only the first call counts. */
  finish(r: ProbeResult | undefined): void;
  /** (Re)starts the timer: when it fires, the probe ends with what `onTimeout` says then. */
  arm(ms: number, onTimeout: () => ProbeResult): void;
  /** Ends the probe with `r` from a microtask (a result known before any I/O). */
  later(r: ProbeResult): void;
  /** cancel() ends the probe without an answer. */
  readonly handle: ProbeHandle;
}

export function probeEnd(done: (r: ProbeResult) => void, release: () => void = () => undefined): ProbeEnd {
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = (r: ProbeResult | undefined): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    release();
    if (r) done(r);
  };
  return {
    finish,
    arm: (ms, onTimeout) => {
      clearTimeout(timer);
      if (!finished) timer = setTimeout(() => finish(onTimeout()), ms);
    },
    later: (r) => queueMicrotask(() => finish(r)),
    handle: {
      cancel: () => {
        finish(undefined);
        return Promise.resolve();
      },
    },
  };
}

/** A thrown error's errno name (EADDRNOTAVAIL ...), else its text. */
export function errorDetail(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/** node:net's connect options for a checker's target and local end. */
export function tcpConnectOptions(t: ConnectAddress): TcpSocketConnectOpts {
  return {
    host: t.host,
    port: t.port,
    family: t.family,
    ...(t.bindto !== undefined ? { localAddress: t.bindto } : {}),
    ...(t.bindPort !== undefined ? { localPort: t.bindPort } : {}),
  };
}

interface Pending {
  readonly done: (r: ProbeResult) => void;
  readonly timer: NodeJS.Timeout;
}

/** Probes in flight on a shared socket, by key; each ends once, as a ProbeEnd does. */
export class PendingProbes<K, X extends object = object> {
  private readonly pending = new Map<K, X & Pending>();

  /** `onIdle`: called whenever the last pending probe ends. */
  constructor(private readonly onIdle: () => void = () => undefined) {}

  get(key: K): X | undefined {
    return this.pending.get(key);
  }

  /**
   * Registers a probe that times out after `timeoutMs`. `abort` (if given) runs before a
   * timeout or a cancel ends it. Returns its handle.
   */
  add(key: K, extra: X, done: (r: ProbeResult) => void, timeoutMs: number, abort: () => void = () => undefined): ProbeHandle {
    const timer = setTimeout(() => {
      abort();
      this.settle(key, { kind: 'timeout' });
    }, timeoutMs);
    this.pending.set(key, { ...extra, done, timer });
    return {
      cancel: () => {
        abort();
        this.settle(key, undefined);
        return Promise.resolve();
      },
    };
  }

  /** Ends the probe under `key`, if still pending: answers `r` (nothing for undefined). */
  settle(key: K, r: ProbeResult | undefined): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    if (r) p.done(r);
    if (this.pending.size === 0) this.onIdle();
  }

  /** settle() from a microtask (a result known before any I/O). */
  later(key: K, r: ProbeResult): void {
    queueMicrotask(() => this.settle(key, r));
  }

  /** Ends every pending probe without an answer. */
  clear(): void {
    for (const key of [...this.pending.keys()]) this.settle(key, undefined);
  }
}

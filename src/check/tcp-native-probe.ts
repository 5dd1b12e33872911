// TCP_CHECK connects through the addon's ConnectProber (native/connect-probe.h): one
// non-blocking socket and one poll registration per probe, no node:net Socket, stream or
// handle wrap. At 10,000 checks a second the node:net path costs most of a core
// (bench/checkers.mjs); this one a fraction. Same results as tcpProbe in probes.ts: connected,
// the errno's name (ECONNREFUSED ...), a bind failure, or a timeout at connect_timeout.
import { constants as osConstants } from 'node:os';
import { loadNative, type NativeConnectProber } from '../net/native.js';
import type { ProbeResult } from './checker-state.js';
import type { TcpCheckerPlan } from './plan.js';
import type { ProbeHandle } from './probes.js';

const ERRNO_NAME = new Map<number, string>(Object.entries(osConstants.errno as Record<string, number>).map(([k, v]) => [v, k]));
const errnoName = (n: number): string => ERRNO_NAME.get(n) ?? `errno ${n}`;

interface Pending {
  readonly done: (r: ProbeResult) => void;
  readonly timer: NodeJS.Timeout;
}

export class NativeTcpProbes {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private constructor(private readonly native: NativeConnectProber) {}

  /** The native prober, or undefined when the addon is missing or predates it. */
  static create(): NativeTcpProbes | undefined {
    try {
      const addon = loadNative();
      if (!addon.ConnectProber) return undefined;
      let self: NativeTcpProbes | undefined;
      const native = new addon.ConnectProber((id, err) => self?.answer(id, err === 0 ? { kind: 'connected' } : { kind: 'connectFailed', detail: errnoName(err) }));
      self = new NativeTcpProbes(native);
      return self;
    } catch {
      return undefined;
    }
  }

  private answer(id: number, r: ProbeResult | undefined): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (r) p.done(r);
  }

  start(plan: TcpCheckerPlan, done: (r: ProbeResult) => void): ProbeHandle {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffff0 ? 1 : this.nextId + 1;
    const timer = setTimeout(() => {
      this.native.cancel(id);
      this.answer(id, { kind: 'timeout' });
    }, plan.connectTimeoutMs);
    this.pending.set(id, { done, timer });
    let now: number;
    try {
      now = this.native.connect(id, plan.host, plan.port, plan.bindto, plan.bindPort);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const r: ProbeResult = err.syscall === 'bind' ? { kind: 'bindFailed', detail: err.code ?? err.message } : { kind: 'connectFailed', detail: err.code ?? String(e) };
      queueMicrotask(() => this.answer(id, r));
      now = -1;
    }
    // Finished at once (loopback can): answered asynchronously like every other result.
    if (now >= 0) queueMicrotask(() => this.answer(id, now === 0 ? { kind: 'connected' } : { kind: 'connectFailed', detail: errnoName(now) }));
    return {
      cancel: () => {
        this.native.cancel(id);
        this.answer(id, undefined);
        return Promise.resolve();
      },
    };
  }

  close(): void {
    for (const id of [...this.pending.keys()]) this.answer(id, undefined);
    this.native.close();
  }
}

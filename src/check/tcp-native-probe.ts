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
import { errorDetail, PendingProbes } from './probe-end.js';

const ERRNO_NAME = new Map<number, string>(Object.entries(osConstants.errno as Record<string, number>).map(([k, v]) => [v, k]));
const errnoName = (n: number): string => ERRNO_NAME.get(n) ?? `errno ${n}`;

export class NativeTcpProbes {
  private readonly pending = new PendingProbes<number>();
  private nextId = 1;

  private constructor(private readonly native: NativeConnectProber) {}

  /** The native prober, or undefined when the addon is missing or predates it. */
  static create(): NativeTcpProbes | undefined {
    try {
      const addon = loadNative();
      if (!addon.ConnectProber) return undefined;
      let self: NativeTcpProbes | undefined;
      const native = new addon.ConnectProber((id, err) => self?.pending.settle(id, err === 0 ? { kind: 'connected' } : { kind: 'connectFailed', detail: errnoName(err) }));
      self = new NativeTcpProbes(native);
      return self;
    } catch {
      return undefined;
    }
  }

  start(plan: TcpCheckerPlan, done: (r: ProbeResult) => void): ProbeHandle {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xfffffff0 ? 1 : this.nextId + 1;
    const handle = this.pending.add(id, {}, done, plan.connectTimeoutMs, () => this.native.cancel(id));
    let now: number;
    try {
      now = this.native.connect(id, plan.host, plan.port, plan.bindto, plan.bindPort);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const r: ProbeResult = err.syscall === 'bind' ? { kind: 'bindFailed', detail: err.code ?? err.message } : { kind: 'connectFailed', detail: errorDetail(e) };
      this.pending.later(id, r);
      now = -1;
    }
    // Finished at once (loopback can): answered asynchronously like every other result.
    if (now >= 0) this.pending.later(id, now === 0 ? { kind: 'connected' } : { kind: 'connectFailed', detail: errnoName(now) });
    return handle;
  }

  close(): void {
    this.pending.clear();
    this.native.close();
  }
}

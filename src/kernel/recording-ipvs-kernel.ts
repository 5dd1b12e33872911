// RecordingIpvsKernel: the IpvsKernel interface over an in-memory IPVS table, logging every call,
// so tests can assert "a no-op pass issues zero kernel operations" (DESIGN.md seam 2). It answers
// like the kernel's generic netlink handler (net/netfilter/ipvs/ip_vs_ctl.c, ip_vs_genl_set_cmd):
//  * any command but NEW_SERVICE on a service that does not exist -> ESRCH
//    (the kernel looks the service up first and refuses with -ESRCH);
//  * NEW_SERVICE of an existing service, NEW_DEST of an existing dest -> EEXIST;
//  * SET_DEST / DEL_DEST of a dest the service does not have -> ENOENT;
//  * NEW_SERVICE / SET_SERVICE with a scheduler the kernel has no module for -> ENOENT;
//  * a dest of another family than its service needs tunnel forwarding -> EINVAL;
//  * DEL_SERVICE removes the service with all its dests.
// Tables list services and dests in insertion order (the kernel's hash order is not modelled).
// `external` changes the table without logging, as another program (ipvsadm) would "behind our
// back"; `present: false` models a kernel without IPVS (every call rejects with ENOENT, what
// resolving the generic netlink family "IPVS" answers when the module is absent).

import { KernelError } from './errors.js';
import type { KernelErrorCode } from './errors.js';
import type { IpvsDest, IpvsEntry, IpvsInfo, IpvsKernel, IpvsOp, IpvsOpResult, IpvsService, IpvsSyncDaemon, IpvsTimeouts } from './ipvs.js';
import { canonicalIpvsDest, canonicalIpvsService, destKeyText, serviceKeyText } from './ipvs.js';

/** Schedulers of a stock kernel (ip_vs_*.ko). */
export const KERNEL_SCHEDULERS: ReadonlySet<string> = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos']);

export type IpvsCallName = 'info' | 'dump' | 'apply' | 'getTimeouts' | 'setTimeouts' | 'startSyncDaemon' | 'stopSyncDaemon' | 'listSyncDaemons' | 'close';

export interface IpvsCall {
  readonly call: IpvsCallName;
  /** For apply: the ops passed. */
  readonly ops?: readonly IpvsOp[];
  /** For startSyncDaemon / stopSyncDaemon: the daemon or its state. */
  readonly daemon?: IpvsSyncDaemon | IpvsSyncDaemon['state'];
}

export interface RecordingIpvsOptions {
  /** false: a kernel without IPVS; every call rejects. Default true. */
  readonly present?: boolean;
  /** Seed table (not logged). */
  readonly entries?: readonly IpvsEntry[];
  readonly schedulers?: ReadonlySet<string>;
}

interface Slot {
  service: IpvsService;
  dests: Map<string, IpvsDest>;
}

export class RecordingIpvsKernel implements IpvsKernel {
  private readonly table = new Map<string, Slot>();
  private readonly calls: IpvsCall[] = [];
  private readonly applied: IpvsOp[] = [];
  private readonly failures: { op: IpvsOp['op']; code: KernelErrorCode }[] = [];
  private timeouts: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  private readonly daemons = new Map<IpvsSyncDaemon['state'], IpvsSyncDaemon>();
  private readonly present: boolean;
  private readonly schedulers: ReadonlySet<string>;
  private closed = false;

  constructor(opts: RecordingIpvsOptions = {}) {
    this.present = opts.present ?? true;
    this.schedulers = opts.schedulers ?? KERNEL_SCHEDULERS;
    for (const e of opts.entries ?? []) this.seed(e);
  }

  // ---- the table as another program changes it (not logged) -----------------------------

  /** Puts an entry in place (replacing one with the same key). */
  seed(e: IpvsEntry): void {
    this.table.set(serviceKeyText(e.service.key), { service: normalise(e.service), dests: new Map(e.dests.map((d) => [destKeyText(d), canonicalIpvsDest(d)])) });
  }

  /** Runs ops as someone else would (ipvsadm): same kernel rules, not in the op log. */
  external(ops: readonly IpvsOp[]): IpvsOpResult[] {
    return ops.map((op) => this.run(op));
  }

  /** The next op of this kind fails with `code` (once). */
  failNext(op: IpvsOp['op'], code: KernelErrorCode): void {
    this.failures.push({ op, code });
  }

  // ---- inspection -------------------------------------------------------------------------

  /** Every call, in order. */
  get log(): readonly IpvsCall[] {
    return this.calls;
  }

  /** Every op passed to apply(), in order (refused ones included). */
  get ops(): readonly IpvsOp[] {
    return this.applied;
  }

  clearLog(): void {
    this.calls.length = 0;
    this.applied.length = 0;
  }

  /** The connection timeouts now (s). */
  get currentTimeouts(): IpvsTimeouts {
    return { ...this.timeouts };
  }

  /** The table now, synchronously (what dump() would answer). */
  snapshot(): IpvsEntry[] {
    return [...this.table.values()].map((s) => ({ service: s.service, dests: [...s.dests.values()] }));
  }

  // ---- IpvsKernel -------------------------------------------------------------------------

  info(): Promise<IpvsInfo> {
    this.calls.push({ call: 'info' });
    const err = this.unavailable('info');
    if (err) return Promise.reject(err);
    return Promise.resolve({ version: '1.2.1', connTableSize: 4096 });
  }

  dump(): Promise<IpvsEntry[]> {
    this.calls.push({ call: 'dump' });
    const err = this.unavailable('dump');
    if (err) return Promise.reject(err);
    return Promise.resolve(this.snapshot());
  }

  apply(ops: readonly IpvsOp[]): Promise<IpvsOpResult[]> {
    this.calls.push({ call: 'apply', ops: [...ops] });
    const err = this.unavailable('apply');
    if (err) return Promise.reject(err);
    this.applied.push(...ops);
    return Promise.resolve(ops.map((op) => this.run(op)));
  }

  getTimeouts(): Promise<IpvsTimeouts> {
    this.calls.push({ call: 'getTimeouts' });
    const err = this.unavailable('getTimeouts');
    return err ? Promise.reject(err) : Promise.resolve({ ...this.timeouts });
  }

  setTimeouts(t: IpvsTimeouts): Promise<void> {
    this.calls.push({ call: 'setTimeouts' });
    const err = this.unavailable('setTimeouts');
    if (err) return Promise.reject(err);
    // 0 leaves a value unchanged (ip_vs_set_timeout).
    this.timeouts = { tcp: t.tcp || this.timeouts.tcp, tcpFin: t.tcpFin || this.timeouts.tcpFin, udp: t.udp || this.timeouts.udp };
    return Promise.resolve();
  }

  startSyncDaemon(d: IpvsSyncDaemon): Promise<void> {
    this.calls.push({ call: 'startSyncDaemon', daemon: d });
    const err = this.unavailable('ipvsStartDaemon');
    if (err) return Promise.reject(err);
    // ip_vs_sync.c: one daemon per state; a second start of a running state is EEXIST.
    if (this.daemons.has(d.state)) return Promise.reject(new KernelError('EEXIST', 'ipvsStartDaemon', `a ${d.state} sync daemon is already running`, { errno: 17 }));
    this.daemons.set(d.state, { ...d });
    return Promise.resolve();
  }

  stopSyncDaemon(state: IpvsSyncDaemon['state']): Promise<void> {
    this.calls.push({ call: 'stopSyncDaemon', daemon: state });
    const err = this.unavailable('ipvsStopDaemon');
    if (err) return Promise.reject(err);
    if (!this.daemons.delete(state)) return Promise.reject(new KernelError('ESRCH', 'ipvsStopDaemon', `no ${state} sync daemon is running`, { errno: 3 }));
    return Promise.resolve();
  }

  listSyncDaemons(): Promise<IpvsSyncDaemon[]> {
    this.calls.push({ call: 'listSyncDaemons' });
    const err = this.unavailable('ipvsGetDaemon');
    return err ? Promise.reject(err) : Promise.resolve([...this.daemons.values()]);
  }

  /** The sync daemons running now, by state. */
  get syncDaemons(): ReadonlyMap<IpvsSyncDaemon['state'], IpvsSyncDaemon> {
    return this.daemons;
  }

  close(): void {
    this.calls.push({ call: 'close' });
    this.closed = true;
  }

  // ---- the kernel's rules -----------------------------------------------------------------

  private unavailable(op: string): KernelError | undefined {
    if (this.closed) return new KernelError('ECLOSED', op, 'the IPVS socket is closed');
    if (!this.present) return new KernelError('ENOENT', op, 'generic netlink family IPVS not found (no IPVS in this kernel)', { errno: 2 });
    return undefined;
  }

  private run(op: IpvsOp): IpvsOpResult {
    const i = this.failures.findIndex((f) => f.op === op.op);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      return refuse(f.code, `${op.op}: injected failure`);
    }
    switch (op.op) {
      case 'addService': {
        const k = serviceKeyText(op.service.key);
        if (this.table.has(k)) return refuse('EEXIST', `service ${k} exists`);
        if (!this.schedulers.has(op.service.scheduler)) return refuse('ENOENT', `scheduler ${op.service.scheduler} not found`);
        this.table.set(k, { service: normalise(op.service), dests: new Map() });
        return OK;
      }
      case 'editService': {
        const k = serviceKeyText(op.service.key);
        const slot = this.table.get(k);
        if (!slot) return refuse('ESRCH', `no service ${k}`);
        if (!this.schedulers.has(op.service.scheduler)) return refuse('ENOENT', `scheduler ${op.service.scheduler} not found`);
        slot.service = normalise(op.service);
        return OK;
      }
      case 'deleteService': {
        const k = serviceKeyText(op.key);
        if (!this.table.delete(k)) return refuse('ESRCH', `no service ${k}`);
        return OK;
      }
      case 'addDest':
      case 'editDest': {
        const k = serviceKeyText(op.key);
        const slot = this.table.get(k);
        if (!slot) return refuse('ESRCH', `no service ${k}`);
        if (op.dest.family !== op.key.family && op.dest.forward !== 'tunnel') return refuse('EINVAL', 'a dest of another family needs tunnel forwarding');
        const dk = destKeyText(op.dest);
        const had = slot.dests.has(dk);
        if (op.op === 'addDest' && had) return refuse('EEXIST', `dest ${dk} exists in ${k}`);
        if (op.op === 'editDest' && !had) return refuse('ENOENT', `no dest ${dk} in ${k}`);
        slot.dests.set(dk, canonicalIpvsDest(op.dest));
        return OK;
      }
      case 'deleteDest': {
        const k = serviceKeyText(op.key);
        const slot = this.table.get(k);
        if (!slot) return refuse('ESRCH', `no service ${k}`);
        if (!slot.dests.delete(destKeyText(op.dest))) return refuse('ENOENT', `no dest ${destKeyText(op.dest)} in ${k}`);
        return OK;
      }
    }
  }
}

const OK: IpvsOpResult = { ok: true };

function refuse(code: KernelErrorCode, message: string): IpvsOpResult {
  return { ok: false, code, message };
}

/** The kernel keeps HASHED to itself; a dump never shows it in our value type. */
/** Stored and read back in the one spelling the generic netlink implementation's dump returns. */
function normalise(s: IpvsService): IpvsService {
  return canonicalIpvsService(s);
}

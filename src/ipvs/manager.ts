// The IPVS manager: runs desired() and reconcile() and applies the result through IpvsKernel.
// One pass = compute the table we want, log what changed in keepalived's words, start the
// quorum_up/quorum_down scripts, diff against the table the kernel has, apply. Passes run one at
// a time, and requests made while one waits share it (a burst of checker results costs one
// pass). A pass on a health or VRRP change diffs against the table we applied last (reading
// 11,000 entries back costs more than programming a change); the start, reload and periodic
// passes (every passIntervalMs, default 5 s, or ten times as long as the last dump took when that
// is longer: a 1,000 x 10 table under a slow CPU) dump the kernel's table, so an entry someone
// changed or deleted behind our back is put back within one period (keepalived does not do this:
// ADR 0016), and so does the first pass after a refused operation or a failed dump. A pass over a
// table that already matches issues no kernel operation (besides the periodic pass's dump).
// At stop the services we own are removed, unless told to keep them (-I, --dont-release-ipvs).
//
// What runs scripts is injected (ScriptLauncher); the LVS subsystem in src/core/ adapts the
// notify ProcessRunner to it, so this folder stays beside notify/ rather than on top of it.
import type { KeepalivedConfig, ScriptSpec, VirtualServer } from '../config/model.js';
import { virtualServerId } from '../config/lvs-ids.js';
import type { IpvsEntry, IpvsKernel, IpvsOp, IpvsOpResult, IpvsTimeouts } from '../kernel/ipvs.js';
import { serviceKeyText } from '../kernel/ipvs.js';
import { RateLimitedCounter, type Logger } from '../lib/log.js';
import type { TimerHandle, Timers } from '../lib/timers.js';
import { EMPTY_MEMORY, desired, type Desired, type DesiredMemory, type DesiredVirtual, type LvsEvent, type RsHealth } from './desired.js';
import { reconcile } from './reconcile.js';
import { eventLines, opText, removedLine, shutdownLine } from './wording.js';

/** Starts a configured script and forgets it (keepalived's notify_exec); `stopping` scripts get a short life. */
export interface ScriptLauncher {
  launch(script: ScriptSpec, why: string, stopping: boolean): void;
  /** Resolves when every script started so far has ended or been killed. */
  drain?(): Promise<void>;
}

export interface IpvsManagerOptions {
  readonly config: KeepalivedConfig;
  readonly kernel: IpvsKernel;
  readonly log: Logger;
  readonly timers: Timers;
  /** Current checker results (realServerKey -> health). */
  readonly health: () => ReadonlyMap<string, RsHealth>;
  /** Addresses this node holds (for ha_suspend); undefined when not known. */
  readonly heldAddresses?: () => ReadonlySet<string> | undefined;
  readonly scripts?: ScriptLauncher;
  /** Period of the repair pass in ms; default 5000. 0 = no periodic pass. */
  readonly passIntervalMs?: number;
  /** -I / --dont-release-ipvs: leave our services in the kernel at stop. */
  readonly dontRelease?: boolean;
  /** A virtual server's quorum went up or down (keepalived's do_vs_notifies: FIFO `VS ... UP|DOWN`). */
  readonly onQuorum?: (vs: VirtualServer, up: boolean) => void;
}

export type PassReason = 'start' | 'periodic' | 'health' | 'reload' | 'vrrp';

export interface PassResult {
  readonly reason: PassReason;
  readonly ops: readonly IpvsOp[];
  readonly refused: number;
  /** Ops that put back what changed outside us since the last pass. */
  readonly repaired: number;
}

export interface IpvsManagerStats {
  passes: number;
  opsApplied: number;
  opsRefused: number;
  repairs: number;
  /** Table dumps (start, reload, periodic repair passes, and the pass after an error). */
  dumps: number;
  dumpErrors: number;
}

/** Passes that read the kernel's table rather than trust the one we applied last. */
function readsKernel(reason: PassReason): boolean {
  return reason !== 'health' && reason !== 'vrrp';
}

/** Refusals the kernel gives for "already done" (keepalived treats them as success). */
function harmless(op: IpvsOp, r: IpvsOpResult): boolean {
  if (r.ok) return true;
  if (op.op === 'addService' || op.op === 'addDest') return r.code === 'EEXIST';
  if (op.op === 'deleteService' || op.op === 'deleteDest') return r.code === 'ENOENT' || r.code === 'ESRCH';
  return false;
}

/** The periodic pass waits at least this many times as long as the last dump took. */
const REPAIR_COST_FACTOR = 10;

/** The same refusal is logged at most once per this many ms, with the count of those left out. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

export class IpvsManager {
  private config: KeepalivedConfig;
  private memory: DesiredMemory = EMPTY_MEMORY;
  private owned = new Set<string>();
  /** The table as we last left it; a difference from it in the next dump is a change behind our back. */
  private applied: readonly IpvsEntry[] | undefined;
  private last: Desired | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<PassResult | undefined> | undefined;
  private queuedReason: PassReason = 'start';
  /** How long the last dump took (ms): the repair pass waits at least REPAIR_COST_FACTOR times that. */
  private lastDumpMs = 0;
  private timer: TimerHandle | undefined;
  private stopping = false;
  /** The kernel's connection timeouts before lvs_timeouts changed them (restored at stop). */
  private savedTimeouts: IpvsTimeouts | undefined;
  private readonly refusals = new RateLimitedCounter(REFUSAL_LOG_INTERVAL_MS);
  readonly stats: IpvsManagerStats = { passes: 0, opsApplied: 0, opsRefused: 0, repairs: 0, dumps: 0, dumpErrors: 0 };

  constructor(private readonly opts: IpvsManagerOptions) {
    this.config = opts.config;
  }

  /** lvs_flush, lvs_timeouts, then the first pass; starts the periodic one. */
  async start(): Promise<PassResult | undefined> {
    const g = this.config.globalDefs;
    // check_daemon.c start_check: "Remove any entries left over from previous invocation" -
    // everything, other programs' services included.
    if (g.lvsFlush) await this.flush('lvs_flush');
    await this.applyTimeouts();
    const r = await this.requestPass('start');
    this.schedule();
    return r;
  }

  /**
   * Queues a pass. Requests made while one is waiting share it, so a burst of health changes
   * costs one pass, not one each.
   */
  requestPass(reason: PassReason): Promise<PassResult | undefined> {
    if (this.stopping) return Promise.resolve(undefined);
    // A pass that reads the kernel (start, reload, periodic) absorbs a health pass, not the
    // other way round: the shared pass takes the reason that reads the kernel.
    if (this.queued) {
      if (readsKernel(reason)) this.queuedReason = reason;
      return this.queued;
    }
    this.queuedReason = reason;
    const p = this.chain.then(() => {
      this.queued = undefined;
      return this.stopping ? undefined : this.runPass(this.queuedReason);
    });
    this.queued = p;
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** A new model (reload): the next pass diffs against it; servers that left are removed. */
  async reload(next: KeepalivedConfig): Promise<PassResult | undefined> {
    await this.idle();
    const before = this.last?.virtuals ?? [];
    this.config = next;
    await this.applyTimeouts();
    const r = await this.requestPass('reload');
    // clear_diff_services: a real server (or a whole virtual server) gone from the config is
    // logged as removed, in keepalived's words, when it was in the table.
    const after = new Map((this.last?.virtuals ?? []).map((v) => [v.id, new Set(v.reals.map((x) => x.key))]));
    for (const v of before) {
      const kept = after.get(v.id);
      for (const x of v.reals) {
        if (x.pool !== 'absent' && !kept?.has(x.key)) this.opts.log.info(removedLine(x.label, v.label, x.pool === 'inhibited' && !x.alive));
      }
    }
    return r;
  }

  /** Resolves when no pass is running or queued. */
  async idle(): Promise<void> {
    while (this.queued) await this.queued.catch(() => undefined);
    await this.chain;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) this.opts.timers.clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
    const { log, kernel } = this.opts;
    if (this.opts.dontRelease) {
      log.info('Leaving IPVS virtual servers in place (--dont-release-ipvs)');
    } else {
      for (const v of this.last?.virtuals ?? []) {
        const vs = this.vsById(v.id);
        for (const r of v.reals) log.info(shutdownLine(r.label, v.label, r.pool === 'inhibited' && !r.alive));
        // clear_services -> update_vs_notifies(stopping): quorum_down and the FIFO line run at
        // stop only with omega.
        if (vs?.omega) {
          if (vs.quorumDown) this.opts.scripts?.launch(vs.quorumDown, `quorum_down ${v.label}`, true);
          this.opts.onQuorum?.(vs, false);
        }
      }
      if (this.config.globalDefs.lvsFlushOnStop === 'all') {
        await this.flush('lvs_flush_on_stop');
      } else {
        try {
          const observed = await kernel.dump();
          const ops = reconcile(observed, [], this.owned);
          if (ops.length > 0) await this.applyOps(ops);
        } catch (e) {
          log.error({ err: e }, `IPVS: cannot remove our virtual servers at stop: ${(e as Error).message}`);
        }
      }
      this.owned.clear();
    }
    // ipvs_stop: the timeouts go back to what they were, with or without -I.
    if (this.savedTimeouts) await this.setTimeouts(this.savedTimeouts);
    await this.opts.scripts?.drain?.();
  }

  status(): { virtualServers: readonly DesiredVirtual[]; owned: number; stats: IpvsManagerStats } {
    return { virtualServers: this.last?.virtuals ?? [], owned: this.owned.size, stats: { ...this.stats } };
  }

  /** The table the last pass wanted (tests, status). */
  get desiredEntries(): readonly IpvsEntry[] {
    return this.last?.entries ?? [];
  }

  // ---------------------------------------------------------------------------------------

  private schedule(): void {
    const base = this.opts.passIntervalMs ?? 5000;
    if (base <= 0 || this.stopping) return;
    // Reading a big table back is the costly part of a repair pass: keep it under a tenth of the time.
    const every = Math.max(base, REPAIR_COST_FACTOR * this.lastDumpMs);
    this.timer = this.opts.timers.setTimeout(() => {
      this.timer = undefined;
      // A fixed period; a pass still waiting absorbs the next request (requestPass).
      this.schedule();
      void this.requestPass('periodic');
    }, every);
  }

  private vsById(id: string): VirtualServer | undefined {
    return this.config.virtualServers.find((v) => virtualServerId(v) === id);
  }

  /** Deletes every service in the kernel, ours or not (lvs_flush, lvs_flush_on_stop). */
  private async flush(why: string): Promise<void> {
    try {
      const observed = await this.opts.kernel.dump();
      this.opts.log.info(`IPVS: ${why}: removing all ${observed.length} virtual service(s)`);
      if (observed.length > 0) await this.applyOps(observed.map((e) => ({ op: 'deleteService', key: e.service.key }) as const));
    } catch (e) {
      this.opts.log.error({ err: e }, `IPVS: ${why} failed: ${(e as Error).message}`);
    }
  }

  /** lvs_timeouts: set (remembering the kernel's values once); no longer configured: restore. */
  private async applyTimeouts(): Promise<void> {
    const t = this.config.globalDefs.lvsTimeouts;
    const want: IpvsTimeouts = { tcp: t?.tcp ?? 0, tcpFin: t?.tcpfin ?? 0, udp: t?.udp ?? 0 };
    if (want.tcp === 0 && want.tcpFin === 0 && want.udp === 0) {
      if (this.savedTimeouts) await this.setTimeouts(this.savedTimeouts);
      this.savedTimeouts = undefined;
      return;
    }
    if (!this.savedTimeouts) {
      try {
        this.savedTimeouts = await this.opts.kernel.getTimeouts();
      } catch (e) {
        this.opts.log.error({ err: e }, `IPVS: cannot read the connection timeouts: ${(e as Error).message}`);
      }
    }
    await this.setTimeouts(want);
  }

  private async setTimeouts(t: IpvsTimeouts): Promise<void> {
    try {
      await this.opts.kernel.setTimeouts(t);
    } catch (e) {
      // ipvswrapper.c ipvs_set_timeouts.
      this.opts.log.info({ err: e }, 'Failed to set ipvs timeouts');
    }
  }

  private async runPass(reason: PassReason): Promise<PassResult> {
    const { log, kernel } = this.opts;
    this.stats.passes++;
    const d = desired({
      virtualServers: this.config.virtualServers,
      groups: this.config.virtualServerGroups,
      health: this.opts.health(),
      heldAddresses: this.opts.heldAddresses?.(),
      memory: this.memory,
    });
    this.memory = d.memory;
    this.last = d;
    for (const e of d.events) this.announce(e);

    const want = new Set(d.entries.map((e) => serviceKeyText(e.service.key)));
    const owned = new Set([...this.owned, ...want]);
    // The table we left last time stands for the kernel's on a pass that only follows a health
    // or VRRP change; the kernel is read on the start, reload and periodic (repair) passes, and
    // on the first pass after anything went wrong (then `applied` is undefined).
    const trusted = this.applied !== undefined && !readsKernel(reason);
    let observed: readonly IpvsEntry[];
    if (trusted) {
      observed = this.applied as readonly IpvsEntry[];
    } else {
      try {
        const t0 = this.opts.timers.clock.now();
        observed = await kernel.dump();
        this.lastDumpMs = this.opts.timers.clock.now() - t0;
        this.stats.dumps++;
      } catch (e) {
        this.stats.dumpErrors++;
        this.applied = undefined;
        this.refusal(`dump:${(e as { code?: string }).code ?? ''}`, () => log.error({ err: e }, `IPVS: cannot read the table: ${(e as Error).message}`));
        return { reason, ops: [], refused: 0, repaired: 0 };
      }
    }
    const ops = reconcile(observed, d.entries, owned);

    // A difference between the kernel and what we left there last time is someone else's doing.
    // With no op to issue there is nothing to restore, and the second diff is skipped.
    let repaired = 0;
    if (!trusted && this.applied && ops.length > 0) {
      const drift = reconcile(observed, this.applied, owned);
      repaired = drift.length;
      if (repaired > 0) {
        this.stats.repairs += repaired;
        log.warn(
          { repairs: drift.map(opText) },
          `IPVS: ${repaired} change(s) to our virtual servers made outside keepalived-ts - restoring`,
        );
      }
    }

    let refused = 0;
    const failedDeletes = new Set<string>();
    if (ops.length > 0) {
      const results = await this.applyOps(ops);
      results.forEach((r, i) => {
        if (!r) {
          refused++;
          const op = ops[i];
          if (op.op === 'deleteService') failedDeletes.add(serviceKeyText(op.key));
        }
      });
    }
    this.owned = new Set([...want, ...failedDeletes]);
    // When something was refused, the kernel is not what we asked for: do not call that drift.
    this.applied = refused === 0 ? d.entries : undefined;
    return { reason, ops, refused, repaired };
  }

  /** Applies ops; true per op that took effect (or was already in place). */
  private async applyOps(ops: readonly IpvsOp[]): Promise<boolean[]> {
    const { log, kernel } = this.opts;
    let results: IpvsOpResult[];
    try {
      results = await kernel.apply(ops);
    } catch (e) {
      this.stats.opsRefused += ops.length;
      this.refusal(`apply:${(e as { code?: string }).code ?? ''}`, () => log.error({ err: e }, `IPVS: cannot apply ${ops.length} operation(s): ${(e as Error).message}`));
      return ops.map(() => false);
    }
    return ops.map((op, i) => {
      const r = results[i] ?? { ok: false, code: 'EUNKNOWN', message: 'no result' };
      if (harmless(op, r)) {
        this.stats.opsApplied++;
        return true;
      }
      this.stats.opsRefused++;
      const code = r.ok ? '' : r.code;
      const msg = r.ok ? '' : r.message;
      // ipvswrapper.c ipvs_talk: "IPVS cmd %s(%d) error: %s(%d)"; ours names the op and the code.
      this.refusal(`${opText(op)}:${code}`, (n) => log.error({ suppressed: n }, `IPVS cmd ${opText(op)} error: ${code} (${msg})`));
      return false;
    });
  }

  private refusal(key: string, write: (suppressed: number) => void): void {
    const hit = this.refusals.hit(key, this.opts.timers.clock.now());
    if (hit) write(hit.suppressed);
  }

  private announce(e: LvsEvent): void {
    for (const line of eventLines(e)) this.opts.log.info(line);
    if (e.kind !== 'quorumGained' && e.kind !== 'quorumLost') return;
    const vs = this.vsById(e.vsId);
    if (!vs) return;
    const script = e.kind === 'quorumGained' ? vs.quorumUp : vs.quorumDown;
    if (script) this.opts.scripts?.launch(script, `${e.kind === 'quorumGained' ? 'quorum_up' : 'quorum_down'} ${e.vs}`, false);
    this.opts.onQuorum?.(vs, e.kind === 'quorumGained');
  }
}

// State-change notifications (keepalived-behaviour.md 4.1, 4.2).
//
// For one instance (or sync group) state change, in this order:
//   1. the state-specific script (notify_master/backup/fault/stop/deleted) with exactly its
//      configured arguments, nothing appended;
//   2. the generic `notify` script + INSTANCE|GROUP, name, state, priority (0 for groups);
//   3. the FIFO line on every VRRP FIFO (notify_fifo, vrrp_notify_fifo).
// Scripts are fire-and-forget: started in that order, never awaited by the protocol, tracked so
// that stop/reload can kill them. Their completion order is not guaranteed (the FIFO is the
// ordered channel). A failing or hanging script is logged, never fatal; each has a timeout
// (keepalived has none for ordinary notifies; ours is configurable, default 120 s, so a
// hung script cannot accumulate forever). STOP scripts are killed after 1 s, like keepalived's.
import type { Logger } from '../lib/log.js';
import type { Ms } from '../lib/units.js';
import type { ProcessResult, ProcessRunner, RunningProcess, RunSpec } from './process-runner.js';
import { groupLine, instanceLine } from './fifo-format.js';

/** A script that passed the security check, ready to run (see script-security.ts). */
export type PreparedScript = Omit<RunSpec, 'timeoutMs' | 'killGraceMs' | 'label'>;

/** Where FIFO lines go: a FifoWriter in production, an array in tests. */
export interface LineSink {
  write(line: string): void;
}

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

export interface NotifyScripts {
  readonly notifyMaster?: PreparedScript;
  readonly notifyBackup?: PreparedScript;
  readonly notifyFault?: PreparedScript;
  readonly notifyStop?: PreparedScript;
  /**
   * `notify_deleted [SCRIPT]`: present (true or a script) = a removed instance reports DELETED;
   * absent = it reports FAULT (and runs notify_fault).
   */
  readonly notifyDeleted?: PreparedScript | true;
  readonly notifyMasterRxLowerPri?: PreparedScript;
  /** Generic `notify`: gets the four extra arguments. */
  readonly notify?: PreparedScript;
}

export interface NotifierOptions {
  readonly runner: ProcessRunner;
  readonly log?: Logger;
  /** VRRP FIFOs (notify_fifo and vrrp_notify_fifo when they differ). */
  readonly fifos?: readonly LineSink[];
  /** Timeout of ordinary notify scripts; 0 = none. Default 120 000 ms. */
  readonly timeoutMs?: Ms;
  /** STOP/DELETED-at-shutdown scripts: killed after this long. Default 1000 ms (keepalived). */
  readonly stopTimeoutMs?: Ms;
  /** Grace between SIGTERM and SIGKILL on timeout or killAll. Default 1000 ms. */
  readonly killGraceMs?: Ms;
}

export interface NotifyStats {
  started: number;
  ok: number;
  failed: number;
  timedOut: number;
  spawnErrors: number;
}

interface Tracked {
  readonly owner: string;
  readonly label: string;
  readonly proc: RunningProcess;
}

export class Notifier {
  readonly stats: NotifyStats = { started: 0, ok: 0, failed: 0, timedOut: 0, spawnErrors: 0 };
  private readonly running = new Set<Tracked>();
  private readonly timeoutMs: Ms;
  private readonly stopTimeoutMs: Ms;
  private readonly graceMs: Ms;

  constructor(private readonly opts: NotifierOptions) {
    this.timeoutMs = opts.timeoutMs ?? (120_000 as Ms);
    this.stopTimeoutMs = opts.stopTimeoutMs ?? (1000 as Ms);
    this.graceMs = opts.killGraceMs ?? (1000 as Ms);
  }

  /** An instance entered `state` with effective priority `priority`. */
  instanceState(name: string, state: NotifyState, priority: number, scripts: NotifyScripts): void {
    this.send('INSTANCE', name, state, priority, scripts);
  }

  /** A sync group entered `state` (priority is always reported as 0). */
  groupState(name: string, state: NotifyState, scripts: NotifyScripts): void {
    this.send('GROUP', name, state, 0, scripts);
  }

  /**
   * An instance was removed by a reload: DELETED when notify_deleted is configured, else
   * keepalived reports FAULT.
   */
  instanceDeleted(name: string, priority: number, scripts: NotifyScripts): void {
    this.send('INSTANCE', name, scripts.notifyDeleted ? 'DELETED' : 'FAULT', priority, scripts);
  }

  /** Master received a lower-priority advert: notify_master_rx_lower_pri, then the FIFO line. */
  masterRxLowerPri(name: string, priority: number, scripts: NotifyScripts): void {
    if (scripts.notifyMasterRxLowerPri) this.exec(name, 'notify_master_rx_lower_pri', scripts.notifyMasterRxLowerPri, [], this.timeoutMs);
    this.fifo(instanceLine(name, 'MASTER_RX_LOWER_PRI', priority));
  }

  /** vrrp_notify_priority_changes: FIFO only. */
  priorityChanged(name: string, state: 'MASTER' | 'BACKUP', priority: number): void {
    this.fifo(instanceLine(name, state === 'MASTER' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY', priority));
  }

  /** Scripts still running. */
  get runningCount(): number {
    return this.running.size;
  }

  runningFor(owner: string): number {
    let n = 0;
    for (const t of this.running) if (t.owner === owner) n++;
    return n;
  }

  /**
   * Reload/stop: SIGTERM every running notify script's process group, SIGKILL after the
   * grace; resolves once all have ended.
   */
  async killAll(graceMs: Ms = this.graceMs): Promise<void> {
    const all = [...this.running];
    for (const t of all) t.proc.terminate(graceMs);
    await Promise.all(all.map((t) => t.proc.result));
  }

  /** Resolves when every script started so far has ended (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running].map((t) => t.proc.result));
  }

  private send(kind: 'INSTANCE' | 'GROUP', name: string, state: NotifyState, priority: number, s: NotifyScripts): void {
    const stopLike = state === 'STOP';
    const timeout = stopLike ? this.stopTimeoutMs : this.timeoutMs;
    const specific = stateScript(state, s);
    if (specific) this.exec(name, `notify_${state.toLowerCase()}`, specific, [], timeout, stopLike);
    if (s.notify) this.exec(name, 'notify', s.notify, [kind, name, state, String(priority)], timeout, stopLike);
    this.fifo(kind === 'INSTANCE' ? instanceLine(name, state, priority) : groupLine(name, state));
  }

  private exec(owner: string, label: string, script: PreparedScript, extra: string[], timeoutMs: Ms, stopLike = false): void {
    const spec: RunSpec = {
      ...script,
      argv: [...script.argv, ...extra],
      timeoutMs,
      // keepalived SIGKILLs STOP scripts outright after 1 s; we send SIGTERM and SIGKILL together.
      killGraceMs: stopLike ? (0 as Ms) : this.graceMs,
      label: `${owner}:${label}`,
    };
    const proc = this.opts.runner.start(spec);
    this.stats.started++;
    const t: Tracked = { owner, label, proc };
    this.running.add(t);
    void proc.result.then((r) => {
      this.running.delete(t);
      this.account(owner, label, spec, r);
    });
  }

  private account(owner: string, label: string, spec: RunSpec, r: ProcessResult): void {
    const log = this.opts.log;
    const ctx = { instance: owner, script: label, argv: spec.argv, result: r };
    switch (r.kind) {
      case 'exited':
        if (r.code === 0) {
          this.stats.ok++;
          log?.debug(ctx, 'notify script finished');
        } else {
          this.stats.failed++;
          log?.info(ctx, `notify script ${label} for ${owner} exited with status ${r.code}`);
        }
        break;
      case 'signaled':
        this.stats.failed++;
        log?.info(ctx, `notify script ${label} for ${owner} killed by ${r.signal}`);
        break;
      case 'timeout':
        this.stats.timedOut++;
        log?.warn(ctx, `notify script ${label} for ${owner} timed out and was killed`);
        break;
      case 'spawnError':
        this.stats.spawnErrors++;
        log?.error(ctx, `notify script ${label} for ${owner} could not be started: ${r.code}`);
        break;
    }
  }

  private fifo(line: string): void {
    for (const f of this.opts.fifos ?? []) f.write(line);
  }
}

function stateScript(state: NotifyState, s: NotifyScripts): PreparedScript | undefined {
  switch (state) {
    case 'MASTER':
      return s.notifyMaster;
    case 'BACKUP':
      return s.notifyBackup;
    case 'FAULT':
      return s.notifyFault;
    case 'STOP':
      return s.notifyStop;
    case 'DELETED':
      return s.notifyDeleted === true ? undefined : s.notifyDeleted;
  }
}

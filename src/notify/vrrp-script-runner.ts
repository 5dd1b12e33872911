// vrrp_script scheduler (keepalived-behaviour.md 2.2).
//
// Each script runs at start-up and then every `interval`; the next run is scheduled from the
// planned start of the previous one, so a slow script does not make the period drift. A run
// is limited by `timeout` (default = interval): the process group gets SIGTERM, then SIGKILL
// 2 s later, and a timeout counts as a failure. If the previous run is still going when the
// next one is due, that run is skipped ("already running"). Results go out as events for the
// pure tracking code (src/vrrp/tracking.ts applies rise/fall/weight); this module only decides
// success (exit status 0) or failure (anything else).
import type { Logger } from '../lib/log.js';
import type { Ms } from '../lib/units.js';
import type { ProcessResult, ProcessRunner, RunningProcess } from './process-runner.js';
import type { PreparedScript } from './process-runner.js';
import type { TimerHandle, Timers } from '../lib/timers.js';

export interface VrrpScriptSpec {
  readonly name: string;
  readonly script: PreparedScript;
  /** `interval` (ms resolution; keepalived turns 0 into 1 s). */
  readonly intervalMs: Ms;
  /** `timeout`; default = interval. */
  readonly timeoutMs?: Ms;
}

export type VrrpScriptEvent =
  | {
      readonly kind: 'scriptResult';
      readonly name: string;
      readonly ok: boolean;
      readonly result: ProcessResult;
      /** Monotonic ms (Clock.now()) when the run started and ended. */
      readonly startedAt: Ms;
      readonly endedAt: Ms;
    }
  | { readonly kind: 'scriptSkipped'; readonly name: string; readonly at: Ms };

export interface VrrpScriptRunnerOptions {
  readonly runner: ProcessRunner;
  readonly timers: Timers;
  readonly onEvent: (e: VrrpScriptEvent) => void;
  readonly log?: Logger;
  /** SIGTERM -> SIGKILL grace after a timeout; keepalived: 2 s. */
  readonly killGraceMs?: Ms;
}

interface Slot {
  readonly spec: VrrpScriptSpec;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  timer: TimerHandle | undefined;
  /** Planned start of the next run (monotonic ms). */
  due: number;
  current: RunningProcess | undefined;
  runs: number;
  skips: number;
}

export interface VrrpScriptStats {
  readonly name: string;
  readonly runs: number;
  readonly skips: number;
  readonly running: boolean;
}

export class VrrpScriptRunner {
  private readonly slots = new Map<string, Slot>();
  private started = false;
  private stopped = false;

  constructor(private readonly opts: VrrpScriptRunnerOptions) {}

  /** Registers a script; runs it immediately when the runner is already started. */
  add(spec: VrrpScriptSpec): void {
    if (this.slots.has(spec.name)) throw new Error(`vrrp_script ${spec.name} added twice`);
    const intervalMs = spec.intervalMs > 0 ? spec.intervalMs : 1000;
    const slot: Slot = {
      spec,
      intervalMs,
      timeoutMs: spec.timeoutMs !== undefined && spec.timeoutMs > 0 ? spec.timeoutMs : intervalMs,
      timer: undefined,
      due: 0,
      current: undefined,
      runs: 0,
      skips: 0,
    };
    this.slots.set(spec.name, slot);
    if (this.started && !this.stopped) this.fire(slot);
  }

  /** Starts every registered script now. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const s of this.slots.values()) this.fire(s);
  }

  /** Stops scheduling a script and kills its current run (reload removed it). */
  async remove(name: string): Promise<void> {
    const s = this.slots.get(name);
    if (!s) return;
    this.slots.delete(name);
    if (s.timer) this.opts.timers.clearTimeout(s.timer);
    if (s.current?.running) {
      s.current.terminate(this.opts.killGraceMs ?? (2000 as Ms));
      await s.current.result;
    }
  }

  /** Stops every schedule and kills running scripts (SIGTERM, SIGKILL after the grace). */
  async stop(graceMs: Ms = 1000 as Ms): Promise<void> {
    this.stopped = true;
    const running: Promise<unknown>[] = [];
    for (const s of this.slots.values()) {
      if (s.timer) this.opts.timers.clearTimeout(s.timer);
      s.timer = undefined;
      if (s.current?.running) {
        s.current.terminate(graceMs);
        running.push(s.current.result);
      }
    }
    await Promise.all(running);
  }

  stats(): VrrpScriptStats[] {
    return [...this.slots.values()].map((s) => ({ name: s.spec.name, runs: s.runs, skips: s.skips, running: s.current?.running ?? false }));
  }

  private fire(slot: Slot): void {
    if (this.stopped || this.slots.get(slot.spec.name) !== slot) return;
    const now = this.opts.timers.clock.now();
    if (slot.runs === 0 && slot.skips === 0) slot.due = now;
    if (slot.current?.running) {
      slot.skips++;
      this.opts.log?.info({ script: slot.spec.name }, `Track script ${slot.spec.name} is already running, expect idle - skipping run`);
      this.opts.onEvent({ kind: 'scriptSkipped', name: slot.spec.name, at: now });
    } else {
      this.launch(slot, now);
    }
    // Next period from the planned start; if we fell behind (event-loop stall), skip the
    // missed periods instead of firing a burst.
    slot.due += slot.intervalMs;
    if (slot.due <= now) slot.due = now + slot.intervalMs - ((now - slot.due) % slot.intervalMs);
    slot.timer = this.opts.timers.setTimeout(() => {
      slot.timer = undefined;
      this.fire(slot);
    }, slot.due - now);
  }

  private launch(slot: Slot, now: Ms): void {
    slot.runs++;
    const proc = this.opts.runner.start({
      ...slot.spec.script,
      timeoutMs: slot.timeoutMs as Ms,
      killGraceMs: this.opts.killGraceMs ?? (2000 as Ms),
      label: `vrrp_script:${slot.spec.name}`,
    });
    slot.current = proc;
    void proc.result.then((result) => {
      if (slot.current === proc) slot.current = undefined;
      if (this.stopped || this.slots.get(slot.spec.name) !== slot) return;
      const ok = result.kind === 'exited' && result.code === 0;
      if (result.kind === 'timeout') this.opts.log?.info({ script: slot.spec.name }, `Process for script ${slot.spec.name} timed out`);
      if (result.kind === 'spawnError') this.opts.log?.error({ script: slot.spec.name, code: result.code }, `Script ${slot.spec.name} could not be started`);
      this.opts.onEvent({ kind: 'scriptResult', name: slot.spec.name, ok, result, startedAt: now, endedAt: this.opts.timers.clock.now() });
    });
  }
}

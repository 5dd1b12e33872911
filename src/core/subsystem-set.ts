// The daemon's subsystems as one: started in order, stopped in reverse order, asked for their
// status by name, and handed the old and the new model on a reload. A subsystem that fails to
// start stops the ones already started (reason 'failure') before the error goes on.
//
// A reload may add a subsystem the start did not create (`grow`: keepalived's parent starts its
// checker child on a SIGHUP when the new config has virtual servers and none ran): it is
// started after the running ones reloaded, then takes part in status, reloads and the stop.
import type { KeepalivedConfig } from '../config/model.js';
import type { Logger } from '../lib/log.js';
import type { ReloadOutcome, StopReason, Subsystem } from './subsystem.js';

/** The subsystems a reload adds, built from the new model; none when every side that should run does. */
export type SubsystemGrowth = (next: KeepalivedConfig, running: ReadonlySet<string>) => Promise<readonly Subsystem[]>;

export class SubsystemSet {
  private readonly started: Subsystem[] = [];
  private readonly all: Subsystem[];

  constructor(
    subsystems: readonly Subsystem[],
    private readonly log: Logger,
    private readonly grow?: SubsystemGrowth,
  ) {
    const names = new Set<string>();
    for (const s of subsystems) {
      if (names.has(s.name)) throw new Error(`two subsystems named ${s.name}`);
      names.add(s.name);
    }
    this.all = [...subsystems];
  }

  /** The subsystems, in start order (those a reload added last). */
  get subsystems(): readonly Subsystem[] {
    return this.all;
  }

  /** Starts each in order; on a failure stops those already started, in reverse, then rethrows. */
  async start(): Promise<void> {
    for (const s of this.all) {
      try {
        await s.start();
      } catch (e) {
        this.log.error({ subsystem: s.name, err: String(e) }, `${s.name}: start failed; stopping what was started`);
        // It may have brought up part of itself: it is stopped too.
        this.started.push(s);
        await this.stop('failure');
        throw e;
      }
      this.started.push(s);
    }
  }

  /** Stops the started ones in reverse order. A failing stop is logged; the others still stop. */
  async stop(reason: StopReason): Promise<void> {
    while (this.started.length > 0) {
      const s = this.started.pop()!;
      try {
        await s.stop(reason);
      } catch (e) {
        this.log.error({ subsystem: s.name, err: String(e) }, `${s.name}: stop failed`);
      }
    }
  }

  /** Each subsystem's status under its name. */
  status(): Record<string, unknown> {
    return Object.fromEntries(this.all.map((s) => [s.name, s.status()]));
  }

  /**
   * Hands each subsystem, in start order, the old and the new model; then starts those the new
   * model adds (`grow`). Their outcomes by name; one that fails to start is stopped and rejected.
   */
  async reload(old: KeepalivedConfig, next: KeepalivedConfig): Promise<Record<string, ReloadOutcome>> {
    const out: Record<string, ReloadOutcome> = {};
    for (const s of [...this.all]) {
      try {
        out[s.name] = await s.reload(old, next);
      } catch (e) {
        out[s.name] = { kind: 'rejected', reason: `reload failed: ${(e as Error).message}` };
      }
    }
    let added: readonly Subsystem[] = [];
    try {
      added = (await this.grow?.(next, new Set(this.all.map((s) => s.name)))) ?? [];
    } catch (e) {
      out.start = { kind: 'rejected', reason: `cannot build what the new configuration adds: ${(e as Error).message}` };
    }
    for (const s of added) {
      if (this.all.some((x) => x.name === s.name)) continue;
      try {
        await s.start();
      } catch (e) {
        this.log.error({ subsystem: s.name, err: String(e) }, `${s.name}: start on reload failed; stopping it`);
        await s.stop('failure').catch(() => undefined);
        out[s.name] = { kind: 'rejected', reason: `start failed: ${(e as Error).message}` };
        continue;
      }
      this.all.push(s);
      this.started.push(s);
      out[s.name] = { kind: 'applied', changes: 1, details: ['started'] };
    }
    return out;
  }
}

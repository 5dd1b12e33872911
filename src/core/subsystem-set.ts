// The daemon's subsystems as one: started in order, stopped in reverse order, asked for their
// status by name, and handed the old and the new model on a reload. A subsystem that fails to
// start stops the ones already started (reason 'failure') before the error goes on.
import type { KeepalivedConfig } from '../config/model.js';
import type { Logger } from '../lib/log.js';
import type { ReloadOutcome, StopReason, Subsystem } from './subsystem.js';

export class SubsystemSet {
  private readonly started: Subsystem[] = [];

  constructor(
    readonly subsystems: readonly Subsystem[],
    private readonly log: Logger,
  ) {
    const names = new Set<string>();
    for (const s of subsystems) {
      if (names.has(s.name)) throw new Error(`two subsystems named ${s.name}`);
      names.add(s.name);
    }
  }

  /** Starts each in order; on a failure stops those already started, in reverse, then rethrows. */
  async start(): Promise<void> {
    for (const s of this.subsystems) {
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
    return Object.fromEntries(this.subsystems.map((s) => [s.name, s.status()]));
  }

  /** Hands each subsystem, in start order, the old and the new model; their outcomes by name. */
  async reload(old: KeepalivedConfig, next: KeepalivedConfig): Promise<Record<string, ReloadOutcome>> {
    const out: Record<string, ReloadOutcome> = {};
    for (const s of this.subsystems) {
      try {
        out[s.name] = await s.reload(old, next);
      } catch (e) {
        out[s.name] = { kind: 'rejected', reason: `reload failed: ${(e as Error).message}` };
      }
    }
    return out;
  }
}

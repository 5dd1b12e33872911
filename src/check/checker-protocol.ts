// Messages between the daemon and its checker (a child process or a worker thread, ADR 0015;
// DESIGN.md seam 6): plain tagged objects, each one JSON line's worth of data.
import type { HealthReloadReport, RealServerHealth } from './health.js';
import type { CheckPlan } from './plan.js';

/** Set in the environment of the checker child so its entry knows to serve the IPC channel. */
export const CHECKER_CHILD_ENV = 'KEEPALIVED_TS_CHECKER_CHILD';

export interface CheckerEngineOptions {
  readonly maxTcp?: number;
  readonly maxScripts?: number;
  /**
   * Nice value of the checker's thread (and so of the scripts it starts), so the VRRP thread wins
   * the CPU when both want it (ADR 0015). Default 10; null leaves it as it is.
   */
  readonly niceness?: number | null;
}

export type ToChecker =
  | { readonly kind: 'start'; readonly plan: CheckPlan; readonly options: CheckerEngineOptions }
  /** A reload: the new plan (engine.ts reload); answered with `reloaded`. */
  | { readonly kind: 'reload'; readonly plan: CheckPlan }
  | { readonly kind: 'stop' };

export type FromChecker =
  /** The engine runs; the health of every real server as it starts. */
  | { readonly kind: 'started'; readonly health: readonly RealServerHealth[] }
  /** `change`: up/down or weight changed (HealthSource.onChange); otherwise a status update (last result). */
  | { readonly kind: 'health'; readonly health: RealServerHealth; readonly change: boolean }
  | { readonly kind: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly msg: string }
  /** A reload applied: what changed, and the health of every real server of the new plan. */
  | { readonly kind: 'reloaded'; readonly report: HealthReloadReport; readonly health: readonly RealServerHealth[] }
  /** An `RS ...` line for notify_fifo / lvs_notify_fifo. */
  | { readonly kind: 'fifo'; readonly line: string }
  /** Stopped; `probes`: how many it started in all. */
  | { readonly kind: 'stopped'; readonly probes: number };

// Messages between the daemon's main thread and the checker worker (DESIGN.md seam 6): plain
// tagged objects, each one JSON line's worth of data.
import type { RealServerHealth } from './health.js';
import type { CheckPlan } from './plan.js';

export interface WorkerEngineOptions {
  readonly maxTcp?: number;
  readonly maxScripts?: number;
}

export type ToWorker =
  | { readonly kind: 'start'; readonly plan: CheckPlan; readonly options: WorkerEngineOptions }
  | { readonly kind: 'stop' };

export type FromWorker =
  /** The engine runs; the health of every real server as it starts. */
  | { readonly kind: 'started'; readonly health: readonly RealServerHealth[] }
  /** `change`: up/down or weight changed (HealthSource.onChange); otherwise a status update (last result). */
  | { readonly kind: 'health'; readonly health: RealServerHealth; readonly change: boolean }
  | { readonly kind: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly msg: string }
  /** An `RS ...` line for notify_fifo / lvs_notify_fifo. */
  | { readonly kind: 'fifo'; readonly line: string }
  | { readonly kind: 'stopped' };

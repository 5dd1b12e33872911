// The contract every part of the daemon implements (VRRP now; the IPVS director and its checkers
// next). startDaemon reads the config once, builds the model, and composes subsystems: it starts
// them in order, stops them in reverse order, asks each for its status, and on a reload hands each
// the old and the new model.

import type { KeepalivedConfig } from '../config/model.js';

/** The outcome of one subsystem's reload. */
export type ReloadOutcome =
  | { readonly kind: 'applied'; readonly changes: number; readonly details?: readonly string[] }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'rejected'; readonly reason: string };

/** Why a subsystem is stopping: a normal stop, or the daemon giving up after a failure. */
export type StopReason = 'signal' | 'reload' | 'failure';

export interface Subsystem<Status = unknown> {
  /** Short name used in logs and status output: `vrrp`, `ipvs`, `checkers`. */
  readonly name: string;
  /** Brings the subsystem up from the model it was built with. Rejects with StartError to refuse. */
  start(): Promise<void>;
  /** Stops it; releases what it owns unless told otherwise at construction (-V, -I). */
  stop(reason: StopReason): Promise<void>;
  /** A JSON-serialisable snapshot for `status` and the signal dumps. */
  status(): Status;
  /** Applies a new model as a diff against the old one; keeps what did not change untouched. */
  reload(old: KeepalivedConfig, next: KeepalivedConfig): Promise<ReloadOutcome>;
}

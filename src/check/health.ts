// What the health checkers tell the rest of the daemon: per real server, up or down (and a weight
// when MISC_CHECK's misc_dynamic set one). The IPVS desired state consumes this shape; the LVS
// subsystem in src/core/ connects the two.
import type { CheckPlan } from './plan.js';

/** The health of one real server, keyed by realServerKey() from src/config/lvs-ids.ts. */
export interface RealServerHealth {
  /** realServerKey(rs, vs). */
  readonly key: string;
  /** All of its checkers report success (keepalived: a real server is up when every checker is). */
  readonly up: boolean;
  /** misc_dynamic: the weight the last MISC_CHECK exit code set (exit 2..255 -> weight code-2). */
  readonly weight?: number;
  /** Checkers reporting up / configured; a real server with no checker is always up. */
  readonly checkersUp: number;
  readonly checkers: number;
  /** The last result in words, for logs and status (`connect refused`, `exit 1`, `timeout`). */
  readonly lastResult?: string;
  /** Duration of the last probe in ms. */
  readonly lastLatencyMs?: number;
}

/** The checker engine as the LVS subsystem sees it. */
export interface HealthSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Current health of every real server that has checkers or was configured. */
  current(): ReadonlyMap<string, RealServerHealth>;
  /** Called on every change of a real server's up/down state or dynamic weight. */
  onChange(listener: (h: RealServerHealth) => void): void;
  /**
   * A reload: the checkers of the new model. Real servers are matched by key; unchanged ones keep
   * their health and timers (engine.ts reload). Resolves once current() is the new plan's.
   * A source without it keeps its checkers as they were.
   */
  reload?(plan: CheckPlan): Promise<HealthReloadReport>;
}

/** What a reload changed in the checkers (counts). */
export interface HealthReloadReport {
  readonly added: number;
  readonly removed: number;
  /** Checkers started again (new, or changed: a new target or new timing) on real servers that stayed. */
  readonly restarted: number;
  /** Real servers that stayed with every checker identical (state and timers untouched). */
  readonly unchanged: number;
}

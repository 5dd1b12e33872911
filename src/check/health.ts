// What the health checkers tell the rest of the daemon: per real server, up or down (and a weight
// when MISC_CHECK's misc_dynamic set one). The IPVS desired state consumes this shape; the LVS
// subsystem in src/core/ connects the two.

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
}

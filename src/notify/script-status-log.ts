// keepalived's per-script state lines: "VRRP_Script(NAME) succeeded" when a vrrp_script becomes
// OK and "VRRP_Script(NAME) failed" when it becomes failed, once per change of the script's own
// state (after rise/fall), whatever the number of instances tracking it. The counter is the one
// the trackers use (src/vrrp/tracking.ts applyScriptResult), kept here per script.
import type { Logger } from '../lib/log.js';
import { applyScriptResult, type ScriptStatus } from '../vrrp/tracking.js';

export class ScriptStatusLog {
  private readonly states = new Map<string, { status: ScriptStatus; result: number; rise: number; fall: number }>();
  constructor(private readonly log: Logger) {}

  /** Registers a script with its rise/fall (and init_fail: it starts failed, so no line until it succeeds). */
  add(name: string, cfg: { rise: number; fall: number; initFail?: boolean }): void {
    this.states.set(name, cfg.initFail ? { status: 'failed', result: 0, ...cfg } : { status: 'init', result: Math.max(0, cfg.rise - 1), ...cfg });
  }

  /**
   * One run's result; logs when the script's state changes. `exitCode`: the failing run's exit
   * status, which keepalived adds to the line ("failed (exited with status 1)").
   */
  result(name: string, ok: boolean, exitCode?: number): void {
    const st = this.states.get(name);
    if (!st) return;
    const next = applyScriptResult(st, st, ok);
    const changed = next.status !== st.status;
    st.status = next.status;
    st.result = next.result;
    if (!changed) return;
    if (next.status === 'ok') this.log.info({ script: name }, `VRRP_Script(${name}) succeeded`);
    else if (next.status === 'failed') this.log.info({ script: name }, `VRRP_Script(${name}) failed${exitCode !== undefined && exitCode !== 0 ? ` (exited with status ${exitCode})` : ''}`);
  }
}

// keepalived's per-script log lines for vrrp_script results (vrrp_scheduler.c, checked against
// 2.2.7's output):
//   Script `chk` now returning 1                  exit status differs from the previous run's
//   VRRP_Script(chk) succeeded                    the script became OK (rise reached)
//   VRRP_Script(chk) failed (exited with status 1)  the script became failed (fall reached, or
//   VRRP_Script(chk) failed (due to signal 9)       its first result was a failure)
//   VRRP_Script(chk) timed_out
// One counter per script, not per tracking instance, so each line is written once. The
// instances apply the same rise/fall on their own (src/vrrp/tracking.ts); this only reports.
import { constants } from 'node:os';
import type { Logger } from '../lib/log.js';
import type { ProcessResult } from '../notify/process-runner.js';
import { applyScriptResult, type ScriptStatus } from '../vrrp/tracking.js';

interface Entry {
  readonly rise: number;
  readonly fall: number;
  status: ScriptStatus;
  result: number;
  /** keepalived's last_status starts at 0, so a first success is not reported as a change. */
  lastExit: number;
}

export class ScriptStatusLog {
  private readonly scripts = new Map<string, Entry>();

  constructor(private readonly log: Logger) {}

  add(name: string, rise: number, fall: number): void {
    this.scripts.set(name, { rise, fall, status: 'init', result: Math.max(0, rise - 1), lastExit: 0 });
  }

  /** Logs what keepalived logs for one finished run (call before the instances see the result). */
  result(name: string, r: ProcessResult): void {
    const e = this.scripts.get(name);
    if (!e) return;
    if (r.kind === 'exited' && r.code !== e.lastExit) {
      this.log.info({ script: name, status: r.code }, `Script \`${name}\` now returning ${r.code}`);
      e.lastExit = r.code;
    }
    const ok = r.kind === 'exited' && r.code === 0;
    const next = applyScriptResult(e, e, ok);
    const changed = next.status !== e.status;
    e.status = next.status;
    e.result = next.result;
    if (!changed) return;
    if (ok) {
      this.log.info({ script: name, result: 'succeeded' }, `VRRP_Script(${name}) succeeded`);
      return;
    }
    let text: string;
    switch (r.kind) {
      case 'timeout':
        text = 'timed_out';
        break;
      case 'exited':
        text = `failed (exited with status ${r.code})`;
        break;
      case 'signaled':
        text = `failed (due to signal ${(constants.signals as Record<string, number>)[r.signal] ?? r.signal})`;
        break;
      case 'spawnError':
        text = `failed (could not be started: ${r.code})`;
        break;
      default:
        text = 'failed';
    }
    this.log.info({ script: name, result: r.kind === 'timeout' ? 'timed_out' : 'failed' }, `VRRP_Script(${name}) ${text}`);
  }
}

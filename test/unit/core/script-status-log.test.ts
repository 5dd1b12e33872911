// keepalived's per-script result lines (vrrp_scheduler.c), checked against 2.2.7's output in
// test/integration/daemon/tracker-startup.test.ts; here the rise/fall bookkeeping behind them.
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../src/lib/log.js';
import { ScriptStatusLog } from '../../../src/core/script-status-log.js';

function run(rise: number, fall: number, results: Parameters<ScriptStatusLog['result']>[1][]): string[] {
  const { log, records } = memoryLogger('info');
  const s = new ScriptStatusLog(log);
  s.add('chk', rise, fall);
  for (const r of results) s.result('chk', r);
  return records.map((r) => String(r.msg));
}
const ok = { kind: 'exited', code: 0 } as const;
const fail = (code = 1) => ({ kind: 'exited', code }) as const;

describe('vrrp_script result lines', () => {
  it('first success is reported once; repeated successes say nothing', () => {
    expect(run(1, 1, [ok, ok, ok])).toEqual(['VRRP_Script(chk) succeeded']);
  });
  it('first failure is reported with its exit status, and the status change before it', () => {
    expect(run(1, 1, [fail(), fail()])).toEqual(['Script `chk` now returning 1', 'VRRP_Script(chk) failed (exited with status 1)']);
  });
  it('rise 2 / fall 2: undecided starts one success short, then hysteresis', () => {
    expect(run(2, 2, [ok, fail(), fail(), ok, ok])).toEqual([
      'VRRP_Script(chk) succeeded',
      'Script `chk` now returning 1',
      'VRRP_Script(chk) failed (exited with status 1)',
      'Script `chk` now returning 0',
      'VRRP_Script(chk) succeeded',
    ]);
  });
  it('timeouts and signals', () => {
    expect(run(1, 1, [{ kind: 'timeout' }])).toEqual(['VRRP_Script(chk) timed_out']);
    expect(run(1, 1, [{ kind: 'signaled', signal: 'SIGKILL' }])).toEqual(['VRRP_Script(chk) failed (due to signal 9)']);
  });
  it('an exit status that changes while still failed is reported as a change only', () => {
    expect(run(1, 1, [fail(1), fail(2)])).toEqual(['Script `chk` now returning 1', 'VRRP_Script(chk) failed (exited with status 1)', 'Script `chk` now returning 2']);
  });
});

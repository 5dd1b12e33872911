// "VRRP_Script(NAME) succeeded/failed": one line per change of the script's own state after
// rise/fall (keepalived's vrrp_script result counter), whatever the number of runs.
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../src/lib/log.js';
import { ScriptStatusLog } from '../../../src/notify/script-status-log.js';

describe('ScriptStatusLog', () => {
  it('rise 2 / fall 2: a line only when the state changes, with the failing exit status', () => {
    const { log, records } = memoryLogger();
    const s = new ScriptStatusLog(log);
    s.add('chk', { rise: 2, fall: 2 });
    // Starts undecided at rise-1: the first success is enough (keepalived), the next changes nothing.
    for (const [ok, code] of [[true], [true], [false, 1], [false, 3], [false, 3], [true], [true]] as [boolean, number?][]) s.result('chk', ok, code);
    expect(records.map((r) => r.msg)).toEqual(['VRRP_Script(chk) succeeded', 'VRRP_Script(chk) failed (exited with status 3)', 'VRRP_Script(chk) succeeded']);
  });

  it('init_fail starts failed: no line until the first success; unknown scripts are ignored', () => {
    const { log, records } = memoryLogger();
    const s = new ScriptStatusLog(log);
    s.add('chk', { rise: 1, fall: 1, initFail: true });
    s.result('chk', false, 1);
    s.result('other', true);
    s.result('chk', true);
    expect(records.map((r) => r.msg)).toEqual(['VRRP_Script(chk) succeeded']);
  });
});

// vrrp_script scheduler with real processes and real timers.
import { describe, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeProcessRunner } from '../../../src/notify/process-runner.js';
import { RealTimers } from '../../../src/lib/timers.js';
import { VrrpScriptRunner, type VrrpScriptEvent } from '../../../src/notify/vrrp-script-runner.js';
import { systemClock } from '../../../src/lib/clock.js';
import type { Ms } from '../../../src/lib/units.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { alive, scriptDir } from '../../helpers/script-dir.js';

const tmp = scriptDir('kt-vscript-');

const script = tmp.script;

describe('VrrpScriptRunner with real scripts', () => {
  itWhen(isRoot)('reports exit status, kills a hanging script group at the timeout and skips overlapping runs', async () => {
    const flag = join(tmp.path, 'flag');
    writeFileSync(flag, '0');
    const chk = script('chk.sh', `exit "$(cat "${flag}")"\n`);
    const pids = join(tmp.path, 'hang.pids');
    const hang = script('hang.sh', `sleep 300 &\necho $! >> "${pids}"\nwait\n`);
    const events: VrrpScriptEvent[] = [];
    const r = new VrrpScriptRunner({
      runner: new NodeProcessRunner(),
      timers: new RealTimers(systemClock),
      onEvent: (e) => events.push(e),
      killGraceMs: 200 as Ms,
    });
    r.add({ name: 'chk', script: { argv: [chk] }, intervalMs: 100 as Ms });
    // interval 100 ms, timeout 250 ms: runs at 0, 100, 200 overlap -> 2 skips per run.
    r.add({ name: 'hang', script: { argv: [hang] }, intervalMs: 100 as Ms, timeoutMs: 250 as Ms });
    r.start();
    await new Promise((res) => setTimeout(res, 350));
    writeFileSync(flag, '1');
    await new Promise((res) => setTimeout(res, 350));
    await r.stop(200 as Ms);

    const chkOk = events.filter((e) => e.kind === 'scriptResult' && e.name === 'chk').map((e) => (e as { ok: boolean }).ok);
    expect(chkOk.length).toBeGreaterThanOrEqual(3); // ~7 on an idle machine
    expect(chkOk[0]).toBe(true);
    expect(chkOk.at(-1)).toBe(false);
    // Once it flips it stays failed: results come in order.
    expect(chkOk.indexOf(false)).toBeGreaterThan(0);
    expect(chkOk.slice(chkOk.indexOf(false)).every((x) => !x)).toBe(true);

    const hangResults = events.filter((e) => e.kind === 'scriptResult' && e.name === 'hang');
    expect(hangResults.length).toBeGreaterThanOrEqual(1);
    for (const e of hangResults) expect(e).toMatchObject({ ok: false, result: { kind: 'timeout' } });
    const first = hangResults[0] as { startedAt: number; endedAt: number };
    expect(first.endedAt - first.startedAt).toBeGreaterThanOrEqual(245);
    expect(first.endedAt - first.startedAt).toBeLessThan(1500); // SIGTERM at 250 ms; ~255 ms idle
    // Runs due at 100 and 200 ms find the first still running (a stalled loop may merge them).
    expect(events.filter((e) => e.kind === 'scriptSkipped' && e.name === 'hang').length).toBeGreaterThanOrEqual(1);
    // Every child the hanging script started is dead.
    const children = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    await new Promise((res) => setTimeout(res, 300));
    expect(children.filter(alive)).toEqual([]);
  });
});

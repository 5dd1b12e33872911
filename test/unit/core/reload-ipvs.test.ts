// A reload through the IPVS side, counted on a RecordingIpvsKernel: the Reloader reads the
// config file (in-process here; the worker path is covered by reload.test.ts), hands the old and
// the new model to the LVS subsystem, and the reconcile turns the difference into kernel
// operations. An unchanged config issues none and keeps the real servers' health; a changed
// weight in one of two services is exactly one editDest.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLvsSubsystem, type LvsSubsystem } from '../../../src/core/lvs-subsystem.js';
import { Reloader } from '../../../src/core/reload.js';
import { SubsystemSet } from '../../../src/core/subsystem-set.js';
import { RecordingIpvsKernel } from '../../../src/kernel/recording-ipvs-kernel.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { FakeProcessRunner } from '../../../src/notify/process-runner.js';
import { modelOf, ScriptedHealth } from '../ipvs/lvs-fixtures.js';

const vs = (addr: string, weight10: number) => `
virtual_server ${addr} 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.10 80 {
    weight ${weight10}
    TCP_CHECK { connect_timeout 3 }
  }
  real_server 192.0.2.11 80 {
    TCP_CHECK { connect_timeout 3 }
  }
}
`;
const conf = (w: number) => vs('192.0.2.1', 1) + vs('192.0.2.2', w);

let live: LvsSubsystem | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await live?.stop('signal');
  live = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('reload: the IPVS table through the reconcile', () => {
  it('unchanged config: zero kernel operations, health kept; a changed weight: one editDest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-reload-ipvs-'));
    dirs.push(dir);
    const file = join(dir, 'keepalived.conf');
    writeFileSync(file, conf(1));
    const kernel = new RecordingIpvsKernel({ present: true, entries: [] });
    const health = new ScriptedHealth();
    const vt = new VirtualTime();
    const { log, records } = memoryLogger('info');
    const model = modelOf(conf(1));
    const sub = createLvsSubsystem({ model, log, ipvs: kernel, health, runner: new FakeProcessRunner(), timers: vt, passIntervalMs: 5000 });
    live = sub;
    await sub.start();
    await sub.idle();
    // One real server is down before the reloads (the checkers said so).
    health.set('tcp|192.0.2.1|80#192.0.2.11|80', false);
    await sub.idle();
    const tableBefore = JSON.stringify(kernel.snapshot());
    const dests = (addr: string) => kernel.snapshot().find((e) => e.service.key.kind === 'addr' && e.service.key.address === addr)?.dests.map((d) => d.address);
    expect(dests('192.0.2.1')).toEqual(['192.0.2.10']);
    kernel.clearLog();

    const reloader = new Reloader({ configFile: file, configId: 'x', log, set: new SubsystemSet([sub], log), model, read: { inProcess: true } });
    const same = await reloader.reload();
    expect(same).toEqual({ outcome: 'unchanged', diagnostics: [], changes: [] });
    expect(kernel.ops).toEqual([]);
    expect(JSON.stringify(kernel.snapshot())).toBe(tableBefore);
    expect(dests('192.0.2.1')).toEqual(['192.0.2.10']);
    expect(sub.status().virtualServers[0].realServers.map((r) => [r.label, r.alive])).toEqual([
      ['[192.0.2.10]:tcp:80', true],
      ['[192.0.2.11]:tcp:80', false],
    ]);

    writeFileSync(file, conf(7));
    const changed = await reloader.reload();
    expect(changed.outcome).toBe('applied');
    expect(changed.changes).toEqual(['ipvs: 1 change(s)']);
    expect(kernel.ops.map((o) => o.op)).toEqual(['editDest']);
    expect(kernel.ops[0]).toMatchObject({ op: 'editDest', key: { address: '192.0.2.2', port: 80 }, dest: { address: '192.0.2.10', weight: 7 } });
    expect(records.map((r) => String(r.msg))).toContain('Reload complete');
  });
});

// The LVS subsystem's reload feeds the checkers first and the IPVS table second (lvs-subsystem.ts
// reload, keepalived's clear_diff_services then init_services): the real checker engine in
// virtual time, probes answered per address, the table on a RecordingIpvsKernel. A removed real
// server leaves the table, added ones enter it up (not alpha), and one whose TCP_CHECK fails
// leaves again after its first probe; the unchanged one issues no operation.
import { afterEach, describe, expect, it } from 'vitest';
import { HealthEngine } from '../../../src/check/engine.js';
import { buildCheckPlan } from '../../../src/check/plan.js';
import type { Prober } from '../../../src/check/probes.js';
import { createLvsSubsystem, type LvsSubsystem } from '../../../src/core/lvs-subsystem.js';
import { RecordingIpvsKernel } from '../../../src/kernel/recording-ipvs-kernel.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { FakeProcessRunner } from '../../../src/notify/process-runner.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { modelOf } from '../ipvs/lvs-fixtures.js';

const conf = (reals: number[]) => `
virtual_server 192.0.2.2 80 {
  delay_loop 10
  lb_algo rr
  lb_kind NAT
  protocol TCP
${reals.map((n) => `  real_server 192.0.2.${n} 80 {\n    TCP_CHECK {\n      connect_timeout 3\n      retry 0\n      warmup 0\n    }\n  }\n`).join('')}}
`;

let live: LvsSubsystem | undefined;
afterEach(async () => {
  await live?.stop('signal');
  live = undefined;
});

/** The LVS subsystem over the real engine in virtual time; probes to 192.0.2.13 are refused. */
function lvs(model: KeepalivedConfig) {
  const vt = new VirtualTime();
  const probes: string[] = [];
  const prober: Prober = {
    start: (p, done) => {
      if (p.kind === 'TCP_CHECK') probes.push(`${vt.now()} ${p.host}`);
      const id = vt.schedule(10, () => done(p.kind === 'TCP_CHECK' && p.host === '192.0.2.13' ? { kind: 'connectFailed', detail: 'ECONNREFUSED' } : { kind: 'connected' }));
      return {
        cancel: () => {
          vt.cancel(id);
          return Promise.resolve();
        },
      };
    },
  };
  const planOf = (m: KeepalivedConfig) => buildCheckPlan(m, { scripts: () => undefined });
  const health = new HealthEngine({ plan: planOf(model), prober, timers: vt, runner: new FakeProcessRunner(), random: () => 0 });
  const kernel = new RecordingIpvsKernel({ present: true, entries: [] });
  const { log, records } = memoryLogger('info');
  const sub = createLvsSubsystem({ model, log, ipvs: kernel, health, runner: new FakeProcessRunner(), timers: vt, passIntervalMs: 0, prepareReload: (next) => ({ plan: planOf(next) }) });
  live = sub;
  return { vt, probes, kernel, records, sub };
}

describe('LVS reload: checkers first, then the table', () => {
  it('removed real server leaves the table, added ones enter up; the one whose check fails leaves after its first probe', async () => {
    const model = modelOf(conf([10, 11]));
    const { vt, kernel, records, sub } = lvs(model);
    await sub.start();
    vt.advance(2000);
    await sub.idle();
    const dests = () => kernel.snapshot()[0]?.dests.map((d) => d.address).sort();
    expect(dests()).toEqual(['192.0.2.10', '192.0.2.11']);
    kernel.clearLog();

    const next = modelOf(conf([10, 12, 13]));
    const outcome = await sub.reload(model, next);
    expect(outcome).toEqual({ kind: 'applied', changes: 3, details: ['2 real server(s) added to the checkers', '1 real server(s) removed from the checkers', '3 change(s)'] });
    expect(kernel.ops.map((o) => `${o.op} ${'dest' in o ? o.dest.address : ''}`).sort()).toEqual(['addDest 192.0.2.12', 'addDest 192.0.2.13', 'deleteDest 192.0.2.11']);
    expect(dests()).toEqual(['192.0.2.10', '192.0.2.12', '192.0.2.13']);
    expect(records.map((r) => String(r.msg))).toContain('Removing service [192.0.2.11]:tcp:80 from VS [192.0.2.2]:tcp:80');
    kernel.clearLog();

    // The added ones are probed 1 s after the reload: .13 refuses (retry 0) and leaves the table.
    vt.advance(1500);
    await sub.idle();
    expect(dests()).toEqual(['192.0.2.10', '192.0.2.12']);
    expect(kernel.ops.map((o) => `${o.op} ${'dest' in o ? o.dest.address : ''}`)).toEqual(['deleteDest 192.0.2.13']);
    expect(sub.status().virtualServers[0]!.realServers.map((r) => [r.label, r.alive, r.lastResult])).toEqual([
      ['[192.0.2.10]:tcp:80', true, 'connected'],
      ['[192.0.2.12]:tcp:80', true, 'connected'],
      ['[192.0.2.13]:tcp:80', false, 'ECONNREFUSED'],
    ]);
  });

  it('started without a virtual server (--all): the reload that brings the first ones brings up the checkers and the table, as a start', async () => {
    const empty = modelOf('');
    const { vt, probes, kernel, sub } = lvs(empty);
    await sub.start();
    vt.advance(3000);
    expect(probes).toEqual([]);
    const outcome = await sub.reload(empty, modelOf(conf([10])));
    expect(outcome).toEqual({ kind: 'applied', changes: 1, details: ['started'] });
    await sub.idle();
    expect(kernel.snapshot()[0]?.dests.map((d) => d.address)).toEqual(['192.0.2.10']);
    vt.advance(1500);
    expect(probes).toEqual(['4000 192.0.2.10']);
  });
});

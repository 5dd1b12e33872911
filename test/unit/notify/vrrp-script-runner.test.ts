// vrrp_script scheduling with fake time and a fake runner.
import { describe, expect, it } from 'vitest';
import { FakeProcessRunner } from '../../../src/notify/process-runner.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { VrrpScriptRunner, type VrrpScriptEvent } from '../../../src/notify/vrrp-script-runner.js';
import { memoryLogger } from '../../../src/lib/log.js';
import type { Ms } from '../../../src/lib/units.js';

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function setup(runner: FakeProcessRunner) {
  const timers = new VirtualTime();
  const events: VrrpScriptEvent[] = [];
  const { log, records } = memoryLogger();
  const r = new VrrpScriptRunner({ runner, timers, onEvent: (e) => events.push(e), log });
  return { r, timers, events, records };
}

describe('VrrpScriptRunner', () => {
  it('runs at start and then every interval, reporting exit 0 as ok and others as failure', async () => {
    const runner = new FakeProcessRunner().enqueue(
      '/chk',
      { kind: 'exited', code: 0 },
      { kind: 'exited', code: 1 },
      { kind: 'signaled', signal: 'SIGSEGV' },
      { kind: 'spawnError', code: 'ENOENT' },
    );
    const { r, timers, events } = setup(runner);
    r.add({ name: 'chk', script: { argv: ['/chk', 'a'] }, intervalMs: 2000 as Ms });
    r.start();
    await flush();
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]!.spec).toMatchObject({ argv: ['/chk', 'a'], timeoutMs: 2000, killGraceMs: 2000 });
    timers.advance(1999);
    await flush();
    expect(runner.calls).toHaveLength(1);
    timers.advance(1);
    await flush();
    expect(runner.calls).toHaveLength(2);
    timers.advance(4000);
    await flush();
    expect(runner.calls).toHaveLength(4);
    expect(events.map((e) => (e.kind === 'scriptResult' ? e.ok : 'skip'))).toEqual([true, false, false, false]);
  });

  it('skips a run while the previous one is still going ("already running")', async () => {
    const runner = new FakeProcessRunner({ defaultResult: 'pending' });
    const { r, timers, events, records } = setup(runner);
    r.add({ name: 'slow', script: { argv: ['/slow'] }, intervalMs: 1000 as Ms, timeoutMs: 5000 as Ms });
    r.start();
    timers.advance(1000);
    timers.advance(1000);
    expect(runner.calls).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'scriptSkipped')).toHaveLength(2);
    expect(records.some((x) => x.msg === 'Track script slow is already running, expect idle - skipping run')).toBe(true);
    runner.calls[0]!.finish({ kind: 'exited', code: 0 });
    await flush();
    timers.advance(1000);
    expect(runner.calls).toHaveLength(2);
    expect(r.stats()).toEqual([{ name: 'slow', runs: 2, skips: 2, running: true }]);
  });

  it('timeout defaults to the interval and counts as failure', async () => {
    const runner = new FakeProcessRunner({ defaultResult: 'pending' });
    const { r, events } = setup(runner);
    r.add({ name: 't', script: { argv: ['/t'] }, intervalMs: 3000 as Ms });
    r.add({ name: 'z', script: { argv: ['/z'] }, intervalMs: 0 as Ms });
    r.start();
    expect(runner.calls.map((c) => c.spec.timeoutMs)).toEqual([3000, 1000]);
    runner.timeout(runner.calls[0]!);
    await flush();
    expect(events).toMatchObject([{ kind: 'scriptResult', name: 't', ok: false, result: { kind: 'timeout' } }]);
  });

  it('keeps the period from the planned start, not from completion', async () => {
    const runner = new FakeProcessRunner({ defaultResult: 'pending' });
    const { r, timers } = setup(runner);
    r.add({ name: 'p', script: { argv: ['/p'] }, intervalMs: 1000 as Ms });
    r.start();
    const starts: number[] = [];
    const orig = runner.start.bind(runner);
    runner.start = (spec) => {
      starts.push(timers.clock.now());
      return orig(spec);
    };
    for (let i = 0; i < 3; i++) {
      timers.advance(700);
      runner.pending.forEach((c) => c.finish({ kind: 'exited', code: 0 }));
      await flush();
      timers.advance(300);
    }
    expect(starts).toEqual([1000, 2000, 3000]);
  });

  it('stop() ends schedules and terminates running scripts; remove() drops one', async () => {
    const runner = new FakeProcessRunner({ defaultResult: 'pending' });
    const { r, timers, events } = setup(runner);
    r.add({ name: 'a', script: { argv: ['/a'] }, intervalMs: 1000 as Ms });
    r.add({ name: 'b', script: { argv: ['/b'] }, intervalMs: 1000 as Ms });
    r.start();
    await r.remove('a');
    expect(runner.calls[0]!.terminated).toBe(true);
    await r.stop();
    expect(runner.calls[1]!.terminated).toBe(true);
    timers.advance(10_000);
    expect(runner.calls).toHaveLength(2);
    expect(timers.pending).toBe(0);
    // Results of killed runs are not reported to tracking.
    expect(events.filter((e) => e.kind === 'scriptResult')).toHaveLength(0);
  });
});

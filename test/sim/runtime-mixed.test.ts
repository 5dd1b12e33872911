// The real VRRP runtime (src/vrrp/runtime/vrrp-runtime.ts: sockets, timer queue, VIP manager
// over a RecordingKernel), built by hand, on the simulated segment next to LanSim routers (which
// run runtimes of their own), in virtual time. Its clock and its TimerQueue's one-shot are the
// simulation's VirtualTime, so every node hits its deadlines to the microsecond.
import { describe, expect, it } from 'vitest';
import { cs } from '../../src/lib/units.js';
import { expectSingleMaster, mdi, router, simOf, skew, type Variant } from './build.js';
import { runFor as run, runtimeNode } from './runtime-node.js';

const v: Variant = { label: 'v3', version: 3, family: 'inet', advertInt: cs(10) };
const VIP = '192.0.2.100';
const rtNode = (sim: Parameters<typeof runtimeNode>[0], priority: number) => runtimeNode(sim, v, priority);
const hasVip = (n: ReturnType<typeof runtimeNode>) => n.hasVip(VIP);

/** A harness router r1 (priority `r1Priority`) and the runtime node (`rtPriority`), both started, after 2 s. */
async function mixed(r1Priority: number, rtPriority: number) {
  const sim = simOf([router(v, 1, r1Priority)]);
  const rt = rtNode(sim, rtPriority);
  await sim.start('r1');
  rt.runtime.start();
  await run(sim, 2000);
  return { sim, rt };
}

describe('the real runtime on the simulated LAN with harness routers (VRRPv3 0.1 s)', () => {
  it('runtime as the higher priority: elected at its Master_Down_Interval; its adverts keep the harness router backup', async () => {
    const { sim, rt } = await mixed(100, 150);
    const up = rt.transitions.find((t) => t.to === 'MASTER')!;
    // The runtime's timer fires on the first whole millisecond at or after the deadline.
    expect(up.at).toBeGreaterThanOrEqual(mdi(v, 150));
    expect(up.at).toBeLessThanOrEqual(mdi(v, 150) + 2000);
    expect(rt.transitions.filter((t) => t.to === 'MASTER')).toHaveLength(1);
    expect(sim.router('r1').stateOf(1)).toBe('BACKUP');
    expect(sim.masters(1)).toEqual([]);
    expect(hasVip(rt)).toBe(true);
    expect(sim.vipHolders(VIP)).toEqual([]);
    expect(sim.drops).toEqual([]);

    // SIGTERM: priority 0, VIP released, the harness router takes over after Skew_Time exactly.
    await run(sim, 37);
    const stopAt = sim.now;
    await rt.runtime.stop();
    await run(sim, 1000);
    expect(hasVip(rt)).toBe(false);
    expect(sim.firstTransition(1, 'MASTER', stopAt)).toMatchObject({ router: 'r1', at: stopAt + skew(v, 100) });
    expectSingleMaster(sim, 1, VIP, 'r1');
  });

  it('runtime as the backup: takes over one Master_Down_Interval after the harness master dies, and yields when it returns', async () => {
    const { sim, rt } = await mixed(200, 100);
    expectSingleMaster(sim, 1, VIP, 'r1');
    expect(rt.runtime.status()[0]).toMatchObject({ state: 'BACKUP', master: '192.0.2.1' });
    expect(hasVip(rt)).toBe(false);

    await run(sim, 43);
    const crashAt = sim.now;
    await sim.crash('r1');
    await run(sim, 1000);
    const last = sim.lastAdvertSent('r1', 1, crashAt)!;
    const up = rt.transitions.find((t) => t.to === 'MASTER' && t.at >= crashAt)!;
    expect(up.at).toBeGreaterThanOrEqual(last + mdi(v, 100));
    expect(up.at).toBeLessThanOrEqual(last + mdi(v, 100) + 2000);
    expect(hasVip(rt)).toBe(true);
    // GARPs for the VIP went out on the LAN from the runtime's host.
    expect(sim.lan.frames.some((f) => f.kind === 'arp' && f.from === 'rt' && f.at * 1000 >= up.at)).toBe(true);

    const backAt = sim.now;
    await sim.start('r1');
    await run(sim, 1000);
    // r1 starts BACKUP, discards the runtime's priority-100 adverts, times out, preempts.
    expect(sim.firstTransition(1, 'MASTER', backAt)).toMatchObject({ router: 'r1', at: backAt + mdi(v, 200) });
    expect(rt.transitions.at(-1)).toMatchObject({ from: 'MASTER', to: 'BACKUP' });
    expect(hasVip(rt)).toBe(false);
    expectSingleMaster(sim, 1, VIP, 'r1');
    await rt.runtime.stop();
  });
});

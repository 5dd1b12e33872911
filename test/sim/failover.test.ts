// Two-router failover scenarios on a simulated LAN (test/sim/lan-sim.ts): every router runs the
// real VrrpRuntime, so adverts are encoded by our encoder, carried by MemoryLan, decoded by our
// decoder and fed to the FSM by the runtime; every instant
// below is virtual time in microseconds and is checked against keepalived's formulas
// (fact sheet 3.5): Master_Down_Interval = 3 x advert_int + Skew_Time, where Skew_Time is
// (256 - prio)/256 s for v2 and (256 - prio) x advert_int / 256 for v3; after a priority-0
// advert a backup waits Skew_Time only.
import { describe, expect, it } from 'vitest';
import { VARIANTS, advertUs, expectSingleMaster, mdi, router, simOf, skew, vipFor } from './build.js';

describe.each(VARIANTS)('$label', (v) => {
  const VIP = vipFor(v);

  /** r1 (prio 150) and r2 (prio 100) started together; r1 is master at rest. */
  async function stablePair(r1Extra = {}) {
    const sim = simOf([router(v, 1, 150, r1Extra), router(v, 2, 100)]);
    await sim.startAll();
    await sim.runUntilQuiet(20 * advertUs(v) / 1000);
    return sim;
  }

  it('elects the higher priority exactly one Master_Down_Interval after a common start', async () => {
    const sim = await stablePair();
    // Both start BACKUP (3.6); the higher priority has the shorter skew, so its timer fires first.
    const t = sim.firstTransition(1, 'MASTER', 0);
    expect(t).toMatchObject({ router: 'r1', at: mdi(v, 150) });
    expect(sim.transitions.filter((x) => x.to === 'MASTER')).toHaveLength(1);
    expectSingleMaster(sim, 1, VIP, 'r1');
    // The new master sent its advert first, then garp_master_repeat (5) gratuitous ARPs / NAs.
    const first = sim.adverts.find((a) => a.router === 'r1')!;
    expect(first.at).toBe(mdi(v, 150));
    expect(sim.garps.filter((g) => g.router === 'r1' && g.reason === 'master' && g.at === mdi(v, 150))).toHaveLength(5);
    expect(sim.drops).toEqual([]);
  });

  it('master dies silently: the backup takes over Master_Down_Interval after the last advert', async () => {
    const sim = await stablePair();
    // Crash between two adverts (37% into an interval) so the measured outage is below MDI.
    await sim.run((advertUs(v) * 0.37) / 1000);
    const crashAt = sim.now;
    await sim.crash('r1');
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    const last = sim.lastAdvertSent('r1', 1, crashAt)!;
    const take = sim.firstTransition(1, 'MASTER', crashAt)!;
    expect(take.router).toBe('r2');
    expect(take.at).toBe(last + mdi(v, 100));
    const failover = take.at - crashAt;
    expect(failover).toBeLessThanOrEqual(mdi(v, 100));
    expect(failover).toBeGreaterThan(mdi(v, 100) - advertUs(v));
    expectSingleMaster(sim, 1, VIP, 'r2');
    expect(sim.garps.filter((g) => g.router === 'r2' && g.at === take.at)).toHaveLength(5);
  });

  it('priority-0 shutdown: the backup takes over after Skew_Time only', async () => {
    const sim = await stablePair();
    await sim.run((advertUs(v) * 0.37) / 1000);
    const stopAt = sim.now;
    await sim.shutdown('r1');
    // The leaving master said priority 0 on the wire, then dropped its VIP at once.
    expect(sim.adverts.at(-1)).toMatchObject({ router: 'r1', priority: 0, at: stopAt, sent: true });
    expect(sim.vipHolders(VIP)).toEqual([]);
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    const take = sim.firstTransition(1, 'MASTER', stopAt)!;
    expect(take).toMatchObject({ router: 'r2', at: stopAt + skew(v, 100) });
    expect(skew(v, 100)).toBeLessThan(mdi(v, 100) / 3);
    expectSingleMaster(sim, 1, VIP, 'r2');
  });

  it('preempt: the higher priority returns and takes over one Master_Down_Interval after its start', async () => {
    const sim = await stablePair();
    await sim.crash('r1');
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    expectSingleMaster(sim, 1, VIP, 'r2');
    await sim.run(123.456);
    const back = sim.now;
    await sim.start('r1');
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    // r1 starts BACKUP, discards r2's lower-priority adverts, and its down timer expires (3.7).
    const take = sim.firstTransition(1, 'MASTER', back)!;
    expect(take).toMatchObject({ router: 'r1', at: back + mdi(v, 150) });
    expect(sim.firstTransition(1, 'BACKUP', back, 'r2')).toMatchObject({ at: take.at, reason: 'higher-priority-advert' });
    expect(sim.drops).toEqual([]);
    expectSingleMaster(sim, 1, VIP, 'r1');
  });

  it('nopreempt: the returning higher priority stays backup and the VIP stays put', async () => {
    const sim = await stablePair({ preempt: false });
    expectSingleMaster(sim, 1, VIP, 'r1'); // nopreempt does not matter for the first election
    await sim.crash('r1');
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    const back = sim.now;
    await sim.start('r1');
    await sim.run((10 * mdi(v, 150)) / 1000);
    expect(sim.router('r1').stateOf(1)).toBe('BACKUP');
    expect(sim.firstTransition(1, 'MASTER', back)).toBeUndefined();
    expectSingleMaster(sim, 1, VIP, 'r2');
  });

  it('preempt_delay: the returning higher priority follows the lower master for the delay, then takes over one Master_Down_Interval later', async () => {
    const delayMs = 10 * advertUs(v) / 1000; // ten advert intervals
    const sim = simOf([router(v, 1, 150, { preemptDelayMs: delayMs }), router(v, 2, 100)]);
    await sim.startAll();
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    await sim.crash('r1');
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    const back = sim.now;
    await sim.start('r1');
    await sim.runUntilQuiet((40 * advertUs(v)) / 1000);
    // Fact sheet 3.8: adverts of the lower master are accepted until preempt_delay has elapsed
    // since the first one was seen; then the down timer runs out from the last accepted one.
    const r2Adverts = sim.adverts.filter((a) => a.router === 'r2' && a.at >= back).map((a) => a.at);
    const firstSeen = r2Adverts[0];
    const lastAccepted = r2Adverts.filter((t) => t < firstSeen + delayMs * 1000).at(-1)!;
    const take = sim.firstTransition(1, 'MASTER', back)!;
    expect(take).toMatchObject({ router: 'r1', at: lastAccepted + mdi(v, 150) });
    // Without the delay it would have been back + MDI.
    expect(take.at - back).toBeGreaterThan(delayMs * 1000);
    expectSingleMaster(sim, 1, VIP, 'r1');
  });

  it('track script failure (weight 0) moves the VIP after Skew_Time, recovery preempts back', async () => {
    const chk = { type: 'script' as const, name: 'chk', weight: 0, reverse: false, rise: 1, fall: 1, initFail: false };
    const sim = simOf([router(v, 1, 150, { trackers: [chk] }), router(v, 2, 100)]);
    await sim.startAll();
    // A weight-0 script still undecided holds the instance in INIT, silently, until its first
    // result (keepalived 2.2.7: no FAULT notify at start for a script that then succeeds).
    expect(sim.router('r1').stateOf(1)).toBe('INIT');
    expect(sim.transitions.filter((t) => t.router === 'r1')).toEqual([]);
    await sim.scriptResult('r1', 'chk', true);
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    expectSingleMaster(sim, 1, VIP, 'r1');
    await sim.run((advertUs(v) * 0.5) / 1000);
    const failAt = sim.now;
    await sim.scriptResult('r1', 'chk', false);
    // FAULT from MASTER sends priority 0 (3.15), so the backup waits only Skew_Time.
    expect(sim.router('r1').stateOf(1)).toBe('FAULT');
    expect(sim.adverts.at(-1)).toMatchObject({ router: 'r1', priority: 0 });
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    expect(sim.firstTransition(1, 'MASTER', failAt)).toMatchObject({ router: 'r2', at: failAt + skew(v, 100) });
    expectSingleMaster(sim, 1, VIP, 'r2');
    const okAt = sim.now;
    await sim.scriptResult('r1', 'chk', true);
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    expect(sim.firstTransition(1, 'MASTER', okAt)).toMatchObject({ router: 'r1', at: okAt + mdi(v, 150) });
    expectSingleMaster(sim, 1, VIP, 'r1');
  });

  it('weighted track script: the lowered master is replaced when the backup stops accepting it', async () => {
    const chk = { type: 'script' as const, name: 'chk', weight: -60, reverse: false, rise: 1, fall: 1, initFail: false };
    const sim = simOf([router(v, 1, 150, { trackers: [chk] }), router(v, 2, 100)]);
    await sim.startAll();
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    expectSingleMaster(sim, 1, VIP, 'r1');
    await sim.run((advertUs(v) * 0.5) / 1000);
    const failAt = sim.now;
    await sim.scriptResult('r1', 'chk', false); // 150 - 60 = 90 < 100
    expect(sim.router('r1').instance(1).state.effectivePriority).toBe(90);
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    // r2 discards priority-90 adverts (preemptive, 3.7): its timer runs out from the last
    // priority-150 advert it accepted.
    const lastHigh = sim.adverts.filter((a) => a.router === 'r1' && a.priority === 150 && a.at <= failAt).at(-1)!.at;
    const take = sim.firstTransition(1, 'MASTER', failAt)!;
    expect(take).toMatchObject({ router: 'r2', at: lastHigh + mdi(v, 100) });
    expect(sim.adverts.some((a) => a.router === 'r1' && a.priority === 90 && a.at < take.at)).toBe(true);
    expect(sim.firstTransition(1, 'BACKUP', failAt, 'r1')).toMatchObject({ at: take.at, reason: 'higher-priority-advert' });
    expectSingleMaster(sim, 1, VIP, 'r2');
  });

  it('link down on the master: FAULT, and the backup takes over after Master_Down_Interval', async () => {
    const sim = await stablePair();
    await sim.run((advertUs(v) * 0.37) / 1000);
    const downAt = sim.now;
    await sim.setLink('r1', false);
    // The priority-0 advert cannot leave a dead link, so the backup times out the long way.
    expect(sim.router('r1').stateOf(1)).toBe('FAULT');
    expect(sim.adverts.at(-1)).toMatchObject({ router: 'r1', priority: 0, sent: false });
    expect(sim.vipHolders(VIP)).toEqual([]);
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    const last = sim.lastAdvertSent('r1', 1, downAt)!;
    expect(sim.firstTransition(1, 'MASTER', downAt)).toMatchObject({ router: 'r2', at: last + mdi(v, 100) });
    expectSingleMaster(sim, 1, VIP, 'r2');
    const upAt = sim.now;
    await sim.setLink('r1', true);
    await sim.runUntilQuiet((20 * advertUs(v)) / 1000);
    expect(sim.firstTransition(1, 'MASTER', upAt)).toMatchObject({ router: 'r1', at: upAt + mdi(v, 150) });
    expectSingleMaster(sim, 1, VIP, 'r1');
  });
});

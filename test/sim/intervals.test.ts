// Advert intervals that differ between routers, and a LAN with delay and loss (test/sim).
// keepalived (fact sheet 3.3, 3.5): a VRRPv3 backup adopts the master's advertised interval for
// its Master_Down_Interval and skew, and only logs the mismatch; a VRRPv2 advert with another
// interval fails validation and is dropped, so the two routers never agree.
import { describe, expect, it } from 'vitest';
import { cs } from '../../src/lib/units.js';
import { masterDownUs } from '../../src/vrrp/fsm/index.js';
import { expectSingleMaster, instance, ipFor, simOf, type Variant } from './build.js';

const VIP = '192.0.2.100';
const v3: Variant = { label: 'v3', version: 3, family: 'inet', advertInt: cs(10) };
const v2: Variant = { label: 'v2', version: 2, family: 'inet', advertInt: cs(100) };
const spec = (v: Variant, n: number, priority: number, advertInt: number) => ({
  name: `r${n}`,
  ip: ipFor(n),
  instances: [instance({ ...v, advertInt: cs(advertInt) }, { priority })],
});

describe('advert interval mismatch', () => {
  it('VRRPv3: the backup times the master out with the master\'s interval (0.1 s), not its own (1 s)', async () => {
    const sim = simOf([spec(v3, 1, 150, 10), spec(v3, 2, 100, 100)]);
    await sim.startAll();
    await sim.run(5000);
    expectSingleMaster(sim, 1, VIP, 'r1');
    expect(sim.router('r2').instance(1).state.masterAdverInt).toBe(10);
    // The difference is logged, not dropped.
    expect(sim.drops).toEqual([]);
    await sim.run(37);
    const crashAt = sim.now;
    await sim.crash('r1');
    await sim.run(5000);
    const take = sim.firstTransition(1, 'MASTER', crashAt)!;
    expect(take).toMatchObject({ router: 'r2', at: sim.lastAdvertSent('r1', 1, crashAt)! + masterDownUs(3, 100, cs(10), 3) });
    // Its own 1 s interval would have meant 3.61 s; adopting 0.1 s gives 0.361 s.
    expect(masterDownUs(3, 100, cs(10), 3)).toBe(360_937);
    // As master it advertises at its own interval again (RFC 5798 6.4.2).
    const own = sim.adverts.filter((a) => a.router === 'r2' && a.at >= take.at).slice(0, 3).map((a) => a.at - take.at);
    expect(own).toEqual([0, 1_000_000, 2_000_000]);
  });

  it('VRRPv2: adverts with another interval are dropped, so both routers stay master', async () => {
    const sim = simOf([spec(v2, 1, 150, 100), spec(v2, 2, 100, 200)]);
    await sim.startAll();
    await sim.run(20_000);
    expect(sim.masters(1).sort()).toEqual(['r1', 'r2']);
    expect(new Set(sim.drops.map((d) => d.reason))).toEqual(new Set(['advert-interval']));
  });
});

describe('a LAN with delay and loss', () => {
  it('2 ms one-way delay and 30% loss: one master at rest once the loss stops', async () => {
    const sim = simOf([spec(v3, 1, 100, 10), spec(v3, 2, 100, 10), spec(v3, 3, 100, 10)], { delayMs: 2, seed: 7 });
    sim.setLoss(0.3);
    await sim.startAll();
    await sim.run(20_000);
    expect(sim.lan.stats.lost).toBeGreaterThan(0);
    sim.setLoss(0);
    await sim.runUntilQuiet(3000);
    expectSingleMaster(sim, 1, VIP, 'r3');
  });
});

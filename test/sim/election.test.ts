// Elections with more than two routers, equal priorities, split brain and sync groups on the
// simulated LAN (test/sim/lan-sim.ts). Instants are virtual microseconds, checked against
// keepalived's Master_Down_Interval / Skew_Time (fact sheet 3.5, 3.7, 3.14).
import { describe, expect, it } from 'vitest';
import type { LanSim } from './lan-sim.js';
import { VARIANTS, advertUs, expectSingleMaster, highestSource, instance, ipFor, mdi, router, simOf, skew, vipFor } from './build.js';

describe.each(VARIANTS)('$label', (v) => {
  const VIP = vipFor(v);
  const settle = (sim: LanSim) => sim.runUntilQuiet((20 * advertUs(v)) / 1000);

  describe.each([3, 4, 5])('%i routers with distinct priorities', (n) => {
    // Highest priority deliberately not first or last in start order.
    const prios = [90, 200, 120, 60, 180].slice(0, n);
    const ranked = prios.map((p, i) => ({ p, name: `r${i + 1}` })).sort((a, b) => b.p - a.p);

    it('elect the highest, and on its death the next highest, each at its Master_Down_Interval', async () => {
      const sim = simOf(prios.map((p, i) => router(v, i + 1, p)));
      await sim.startAll();
      await settle(sim);
      expect(sim.transitions.filter((t) => t.to === 'MASTER')).toEqual([expect.objectContaining({ router: ranked[0].name, at: mdi(v, ranked[0].p) })]);
      expectSingleMaster(sim, 1, VIP, ranked[0].name);
      await sim.run((advertUs(v) * 0.25) / 1000);
      const crashAt = sim.now;
      await sim.crash(ranked[0].name);
      await settle(sim);
      // Every backup's timer was reset by the same last advert; the highest priority has the
      // smallest skew, fires first, and its advert resets the others.
      const last = sim.lastAdvertSent(ranked[0].name, 1, crashAt)!;
      expect(sim.transitions.filter((t) => t.to === 'MASTER' && t.at >= crashAt)).toEqual([
        expect.objectContaining({ router: ranked[1].name, at: last + mdi(v, ranked[1].p) }),
      ]);
      expectSingleMaster(sim, 1, VIP, ranked[1].name);
    });
  });

  it('equal priorities started together: the highest primary address wins (RFC 5798 6.4.3)', async () => {
    // Start order r2, r3, r1 so the winner is neither the first started nor the first sender.
    const sim = simOf([router(v, 2, 100), router(v, 3, 100), router(v, 1, 100)]);
    await sim.startAll();
    await settle(sim);
    // All three down timers expire at the same instant; all become master, then the two lower
    // addresses hear a higher one and yield.
    const masters = sim.transitions.filter((t) => t.to === 'MASTER');
    expect(masters.every((t) => t.at === mdi(v, 100))).toBe(true);
    expect(sim.transitions.filter((t) => t.from === 'MASTER').every((t) => t.reason === 'equal-priority-higher-address')).toBe(true);
    const winner = highestSource(sim, ['r1', 'r2', 'r3']);
    if (v.family === 'inet') expect(winner).toBe('r3');
    expect(sim.transitions.filter((t) => t.from === 'MASTER').map((t) => t.router).sort()).toEqual(['r1', 'r2', 'r3'].filter((r) => r !== winner));
    expectSingleMaster(sim, 1, VIP, winner);
  });

  it('two address owners (255) started together: both yield (keepalived 2.2.7), then the pair re-elects at 254', async () => {
    // keepalived 2.2.7 vrrp_state_master_rx: an owner MASTER hearing another owner logs
    // "CONFIGURATION ERROR ... reducing local priority" and drops to 254 whatever the addresses
    // (later releases only drop on the lower address). Started together, both hear each other,
    // both drop and go BACKUP: no master for one Master_Down_Interval, then a normal
    // equal-priority election at 254 that the higher address wins.
    const sim = simOf([router(v, 1, 255), router(v, 2, 255)]);
    await sim.startAll();
    await settle(sim);
    const winner = highestSource(sim, ['r1', 'r2']);
    const ups = sim.transitions.filter((t) => t.to === 'MASTER');
    expect(ups.slice(0, 2).map((t) => t.at)).toEqual([1, 1]);
    expect(sim.transitions.filter((t) => t.from === 'MASTER' && t.at === 1).map((t) => t.router).sort()).toEqual(['r1', 'r2']);
    expect(ups.filter((t) => t.at > 1).every((t) => t.at === 1 + mdi(v, 254))).toBe(true);
    for (const r of ['r1', 'r2']) expect(sim.router(r).instance(1).state.effectivePriority).toBe(254);
    expectSingleMaster(sim, 1, VIP, winner);
  });

  it('equal priority joining later, even with a higher address, does not preempt (3.7)', async () => {
    const sim = simOf([router(v, 1, 100), router(v, 2, 100)]);
    await sim.start('r1');
    await settle(sim);
    expectSingleMaster(sim, 1, VIP, 'r1');
    await sim.start('r2');
    await sim.run((10 * mdi(v, 100)) / 1000);
    expect(sim.router('r2').stateOf(1)).toBe('BACKUP');
    expectSingleMaster(sim, 1, VIP, 'r1');
  });

  describe('split brain', () => {
    /** r1 (150) master, then the VRRP path is cut both ways until r2 is master too. */
    async function splitBrain(p1 = 150, p2 = 100) {
      const sim = simOf([router(v, 1, p1), router(v, 2, p2)]);
      await sim.startAll();
      await settle(sim);
      sim.partition('r1', 'r2');
      await settle(sim);
      expect(sim.masters(1).sort()).toEqual(['r1', 'r2']);
      expect(sim.vipHolders(VIP).sort()).toEqual(['r1', 'r2']);
      return sim;
    }
    const nextAdvert = (sim: LanSim, name: string) => sim.router(name).instance(1).state.timers.main!;
    /** Split brain healed 1 us after `name`'s advert: the other router's next advert is the first to cross. Settled. */
    async function healJustAfter(name: 'r1' | 'r2') {
      const other = name === 'r1' ? 'r2' : 'r1';
      const sim = await splitBrain();
      await sim.runUntilUs(nextAdvert(sim, name));
      const healAt = sim.now + 1;
      await sim.runUntilUs(healAt);
      sim.healAll();
      const crossing = nextAdvert(sim, other);
      expect(crossing).toBeLessThan(nextAdvert(sim, name));
      await settle(sim);
      return { sim, healAt, crossing };
    }

    it('heals with the loser advertising first: the winner re-asserts and re-sends GARP', async () => {
      // Heal just after r1's advert, so r2's advert is the first to cross (r1 hears a lower one).
      const { sim, healAt, crossing: loserAdvert } = await healJustAfter('r1');
      // r1 answers the lower-priority advert with its own advert and garp_lower_prio_repeat (5)
      // GARPs (3.7), which r2 hears and yields at the same instant.
      expect(sim.garps.filter((g) => g.router === 'r1' && g.reason === 'lower-prio' && g.at === loserAdvert)).toHaveLength(5);
      expect(sim.firstTransition(1, 'BACKUP', healAt, 'r2')).toMatchObject({ at: loserAdvert, reason: 'higher-priority-advert' });
      // ... and the second burst after garp_lower_prio_delay (5 s).
      await sim.run(6000);
      expect(sim.garps.filter((g) => g.router === 'r1' && g.reason === 'lower-prio-delay' && g.at === loserAdvert + 5_000_000)).toHaveLength(5);
      expectSingleMaster(sim, 1, VIP, 'r1');
    });

    it('heals with the winner advertising first: the loser yields at once (no re-GARP, as keepalived)', async () => {
      const { sim, healAt, crossing: winnerAdvert } = await healJustAfter('r2');
      expect(sim.firstTransition(1, 'BACKUP', healAt, 'r2')).toMatchObject({ at: winnerAdvert, reason: 'higher-priority-advert' });
      // keepalived 2.2.7 behaves the same: a master that never hears a lower-priority advert does
      // not GARP again, so hosts that learned the loser's MAC during the split keep it until
      // their ARP entry ages out (garp_master_refresh is the remedy).
      // (The only GARPs after the heal are r1's own garp_master_delay burst, due anyway.)
      expect(sim.garps.filter((g) => g.at >= healAt && g.reason !== 'master-delay')).toEqual([]);
      expectSingleMaster(sim, 1, VIP, 'r1');
    });

    it('equal priorities: the lower address yields when the split heals', async () => {
      const sim = await splitBrain(100, 100);
      const healAt = sim.now;
      sim.healAll();
      await settle(sim);
      const winner = highestSource(sim, ['r1', 'r2']);
      const loser = winner === 'r1' ? 'r2' : 'r1';
      expect(sim.firstTransition(1, 'BACKUP', healAt, loser)).toMatchObject({ reason: 'equal-priority-higher-address' });
      expect(sim.firstTransition(1, 'BACKUP', healAt, winner)).toBeUndefined();
      expectSingleMaster(sim, 1, VIP, winner);
    });

    it('a one-way cut (r1 cannot hear r2) still converges on r1', async () => {
      const sim = simOf([router(v, 1, 150), router(v, 2, 100)]);
      await sim.startAll();
      await settle(sim);
      sim.setPath('r2', 'r1', false);
      await sim.run((10 * mdi(v, 100)) / 1000);
      // r2 still hears r1 and stays backup: nothing r1 misses matters.
      expect(sim.transitions.filter((t) => t.to === 'MASTER')).toHaveLength(1);
      expectSingleMaster(sim, 1, VIP, 'r1');
      sim.setPath('r2', 'r1', true);
      sim.setPath('r1', 'r2', false);
      await sim.run((10 * mdi(v, 100)) / 1000);
      // Now r2 is deaf to r1: it takes over, and its lower-priority adverts make r1 re-assert
      // every time; both keep the VIP (a one-way failure VRRP cannot resolve).
      expect(sim.masters(1).sort()).toEqual(['r1', 'r2']);
      expect(sim.garps.some((g) => g.router === 'r1' && g.reason === 'lower-prio')).toBe(true);
      sim.setPath('r1', 'r2', true);
      await settle(sim);
      expectSingleMaster(sim, 1, VIP, 'r1');
    });
  });

  describe('sync group (2 instances on each of 2 routers)', () => {
    const chk = { type: 'script' as const, name: 'chk', weight: 0, reverse: false, rise: 1, fall: 1, initFail: false };
    const VIP2 = vipFor(v, 1);
    function groupRouter(n: number, prio: number, withScript: boolean) {
      return {
        name: `r${n}`,
        ip: ipFor(n),
        syncGroup: 'G',
        instances: [
          instance(v, { vrid: 1, priority: prio, vips: [VIP] }),
          instance(v, { vrid: 2, priority: prio, vips: [VIP2], trackers: withScript ? [chk] : [] }),
        ],
      };
    }

    it('a fault of one member moves both VIPs together, and recovery moves them back together', async () => {
      const sim = simOf([groupRouter(1, 150, true), groupRouter(2, 100, false)]);
      await sim.startAll();
      // VI_2's weight-0 script is undecided: the whole group waits in INIT with it (no notify,
      // nothing sent; keepalived sync->num_member_init, observed with 2.2.7).
      expect([sim.router('r1').stateOf(1), sim.router('r1').stateOf(2)]).toEqual(['INIT', 'INIT']);
      await sim.scriptResult('r1', 'chk', true, 2);
      const okAt = sim.now;
      await settle(sim);
      for (const [vrid, vip] of [[1, VIP], [2, VIP2]] as const) expectSingleMaster(sim, vrid, vip, 'r1');
      const up = sim.transitions.filter((t) => t.router === 'r1' && t.to === 'MASTER');
      expect(up.map((t) => t.vrid).sort()).toEqual([1, 2]);
      expect(up.every((t) => t.at === okAt + mdi(v, 150))).toBe(true);
      expect(sim.router('r1').groupState).toBe('MASTER');

      await sim.run((advertUs(v) * 0.4) / 1000);
      const failAt = sim.now;
      await sim.scriptResult('r1', 'chk', false, 2);
      // Both members enter FAULT and both send priority 0 (3.14, 3.15).
      expect([sim.router('r1').stateOf(1), sim.router('r1').stateOf(2)]).toEqual(['FAULT', 'FAULT']);
      expect(sim.adverts.filter((a) => a.router === 'r1' && a.at === failAt).map((a) => [a.vrid, a.priority]).sort()).toEqual([[1, 0], [2, 0]]);
      await settle(sim);
      const moved = sim.transitions.filter((t) => t.router === 'r2' && t.to === 'MASTER' && t.at >= failAt);
      expect(moved.map((t) => t.vrid).sort()).toEqual([1, 2]);
      expect(moved.every((t) => t.at === failAt + skew(v, 100))).toBe(true);
      for (const [vrid, vip] of [[1, VIP], [2, VIP2]] as const) expectSingleMaster(sim, vrid, vip, 'r2');
      expect(sim.router('r2').groupState).toBe('MASTER');
      expect(sim.router('r1').groupState).toBe('FAULT');

      const backAt = sim.now;
      await sim.scriptResult('r1', 'chk', true, 2);
      await settle(sim);
      const back = sim.transitions.filter((t) => t.router === 'r1' && t.to === 'MASTER' && t.at >= backAt);
      expect(back.map((t) => t.vrid).sort()).toEqual([1, 2]);
      expect(back.every((t) => t.at === backAt + mdi(v, 150))).toBe(true);
      for (const [vrid, vip] of [[1, VIP], [2, VIP2]] as const) expectSingleMaster(sim, vrid, vip, 'r1');
    });

    it('a crash of the group master moves both instances at the same instant', async () => {
      const sim = simOf([groupRouter(1, 150, false), groupRouter(2, 100, false)]);
      await sim.startAll();
      await settle(sim);
      for (const [vrid, vip] of [[1, VIP], [2, VIP2]] as const) expectSingleMaster(sim, vrid, vip, 'r1');
      await sim.run((advertUs(v) * 0.6) / 1000);
      const crashAt = sim.now;
      await sim.crash('r1');
      await settle(sim);
      const moved = sim.transitions.filter((t) => t.router === 'r2' && t.to === 'MASTER' && t.at >= crashAt);
      expect(moved.map((t) => t.vrid).sort()).toEqual([1, 2]);
      // The first member's down timer fires; the group takes the second with it at that instant.
      const first = Math.min(sim.lastAdvertSent('r1', 1, crashAt)!, sim.lastAdvertSent('r1', 2, crashAt)!) + mdi(v, 100);
      expect(moved.map((t) => t.at)).toEqual([first, first]);
      for (const [vrid, vip] of [[1, VIP], [2, VIP2]] as const) expectSingleMaster(sim, vrid, vip, 'r2');
    });
  });
});

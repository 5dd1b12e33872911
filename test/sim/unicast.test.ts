// Unicast VRRP (unicast_peer) on the simulated LAN: each advert is sent once per peer to the
// peer's address from a socket bound to our source address, and received only by that peer.
import { describe, expect, it } from 'vitest';
import { cs } from '../../src/lib/units.js';
import { expectSingleMaster, instance, ipFor, mdi, simOf, type Variant } from './build.js';
import { ipOf } from '../../src/lib/ip.js';

const VARIANTS: readonly Variant[] = [
  { label: 'VRRPv2 unicast, 1 s', version: 2, family: 'inet', advertInt: cs(100) },
  { label: 'VRRPv3 unicast, 0.1 s', version: 3, family: 'inet', advertInt: cs(10) },
];
const VIP = '192.0.2.100';

describe.each(VARIANTS)('$label', (v) => {
  const prios = [100, 200, 150];
  const peersOf = (n: number) => [1, 2, 3].filter((k) => k !== n).map((k) => ({ address: ipOf(ipFor(k)) }));
  const unicastSim = () =>
    simOf(prios.map((p, i) => ({ name: `r${i + 1}`, ip: ipFor(i + 1), instances: [{ ...instance(v, { priority: p }), unicastPeers: peersOf(i + 1) }] })));

  it('elects the highest priority, sends one advert per peer to its address, and fails over on a crash', async () => {
    const sim = unicastSim();
    await sim.startAll();
    await sim.runUntilQuiet(20 * v.advertInt * 10);
    expect(sim.firstTransition(1, 'MASTER', 0)).toMatchObject({ router: 'r2', at: mdi(v, 200) });
    expectSingleMaster(sim, 1, VIP, 'r2');
    expect(sim.drops).toEqual([]);
    // Every VRRP frame from the master is addressed to one of its two peers, TTL 255.
    const fromMaster = sim.lan.frames.filter((f) => f.kind === 'ip' && f.from === 'r2');
    const dsts = new Set(fromMaster.map((f) => (f.kind === 'ip' ? f.dst : '')));
    expect(dsts).toEqual(new Set([ipFor(1), ipFor(3)]));
    expect(fromMaster.every((f) => f.kind === 'ip' && f.ttl === 255 && f.src === ipFor(2))).toBe(true);
    expect(sim.adverts.filter((a) => a.router === 'r2').length * 2).toBe(fromMaster.length);

    await sim.run(v.advertInt * 10 * 0.5);
    const crashAt = sim.now;
    await sim.crash('r2');
    await sim.runUntilQuiet(20 * v.advertInt * 10);
    const last = sim.lastAdvertSent('r2', 1, crashAt)!;
    expect(sim.transitions.filter((t) => t.to === 'MASTER' && t.at >= crashAt)).toEqual([
      expect.objectContaining({ router: 'r3', at: last + mdi(v, 150) }),
    ]);
    expectSingleMaster(sim, 1, VIP, 'r3');
  });

  it('a router whose peer list omits the master never hears it and takes over too (the classic unicast misconfiguration)', async () => {
    const sim = simOf([
      { name: 'r1', ip: ipFor(1), instances: [{ ...instance(v, { priority: 200 }), unicastPeers: [{ address: ipOf(ipFor(2)) }] }] },
      { name: 'r2', ip: ipFor(2), instances: [{ ...instance(v, { priority: 100 }), unicastPeers: [{ address: ipOf(ipFor(1)) }, { address: ipOf(ipFor(3)) }] }] },
      { name: 'r3', ip: ipFor(3), instances: [{ ...instance(v, { priority: 50 }), unicastPeers: [{ address: ipOf(ipFor(2)) }] }] },
    ]);
    await sim.startAll();
    await sim.run(30 * v.advertInt * 10);
    // r3 never receives r1's adverts (r1 does not send to it); r2 keeps accepting r1, and r3's
    // adverts reach r2 only, which discards them as lower priority.
    expect(sim.masters(1).sort()).toEqual(['r1', 'r3']);
    expect(sim.router('r2').stateOf(1)).toBe('BACKUP');
  });
});

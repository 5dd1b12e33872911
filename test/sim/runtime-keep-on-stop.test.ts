// The runtime's stop with release: false (keepalived -V, --dont-release-vrrp) in virtual time,
// beside a harness router: no priority-0 advert, so the backup takes over only when its
// Master_Down_Interval runs out (not after Skew_Time as after a normal stop), and the VIP stays
// in the stopped node's kernel.
import { describe, expect, it } from 'vitest';
import { cs } from '../../src/lib/units.js';
import { mdi, router, simOf, skew, type Variant } from './build.js';
import { runFor as run, runtimeNode } from './runtime-node.js';

const v: Variant = { label: 'v3', version: 3, family: 'inet', advertInt: cs(10) };
const VIP = '192.0.2.100';

describe('runtime stop without releasing (-V)', () => {
  it('sends no priority 0 and keeps the VIP; the backup waits its whole Master_Down_Interval', async () => {
    const sim = simOf([router(v, 1, 100)]);
    const rt = runtimeNode(sim, v, 150);
    const sentPriorities: number[] = [];
    rt.runtime.observe(({ action }) => {
      if (action.kind === 'sendAdvert') sentPriorities.push(action.priority);
    });
    await sim.start('r1');
    rt.runtime.start();
    await run(sim, 2000);
    expect(rt.state()).toBe('MASTER');
    expect(rt.hasVip(VIP)).toBe(true);

    await run(sim, 37);
    const stopAt = sim.now;
    const before = sentPriorities.length;
    await rt.runtime.stop({ release: false });
    await run(sim, 1000);
    expect(sentPriorities.slice(before)).toEqual([]);
    expect(rt.hasVip(VIP)).toBe(true);
    const up = sim.firstTransition(1, 'MASTER', stopAt)!;
    expect(up.router).toBe('r1');
    // The last advert left at most one interval (100 ms) before the stop.
    expect(up.at).toBeGreaterThan(stopAt + skew(v, 100));
    expect(up.at).toBeGreaterThanOrEqual(stopAt + mdi(v, 100) - 100_000); // microseconds
    expect(up.at).toBeLessThanOrEqual(stopAt + mdi(v, 100));
  });
});

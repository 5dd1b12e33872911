// Many instances per daemon (real processes): 2 nodes x 50 VRIDs on one interface. Every VIP ends
// on the master with no spurious transitions at rest, a SIGTERM moves all 50 within about the
// skew time, and the idle CPU cost of a 50-instance master is measured.
import { describe, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { GLOBAL_DEFS, instanceConf, sleep, stateLines, waitUntil } from './daemon-lab.js';
import { netnsIt } from '../../helpers/netns-fixture.js';

const N = 50;
const vipOf = (i: number) => `198.51.100.${i + 1}`;

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100; // fields 14 and 15, USER_HZ = 100
}

describe('many instances (real processes)', () => {
  netnsIt('dsc')(`${N} VRIDs per node: all VIPs on the master, none moves at rest, SIGTERM moves all`, 120_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: ['192.0.2.11/24', '198.51.100.201/24'], b: ['192.0.2.12/24', '198.51.100.202/24'] });
    const conf = (prio: number) =>
      GLOBAL_DEFS + Array.from({ length: N }, (_, i) => instanceConf({ name: `VI_${i + 1}`, vrid: i + 1, priority: prio, vips: [`${vipOf(i)}/24`] })).join('');
    const a = f.daemon('a', conf(150));
    await a.waitFor(new RegExp(`\\(VI_${N}\\) Entering BACKUP STATE`), 20_000);
    const b = f.daemon('b', conf(100));
    await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
    const vipsOn = (h: string) => new Set(lab.addresses(h).map((x) => x.split('/')[0]).filter((x) => x.startsWith('198.51.100.') && Number(x.split('.')[3]) <= N));
    await waitUntil(`a holds all ${N} VIPs`, () => vipsOn('a').size === N && vipsOn('b').size === 0, 30_000, 100);
    await b.waitFor(new RegExp(`\\(VI_${N}\\) Entering BACKUP STATE`), 20_000);

    // At rest: measure the master's CPU and check nothing moves.
    const cpu0 = cpuSeconds(a.child.pid!);
    const w0 = performance.now();
    for (let k = 0; k < 10; k++) {
      expect(vipsOn('a').size).toBe(N);
      expect(vipsOn('b').size).toBe(0);
      await sleep(500);
    }
    const cpuPct = ((cpuSeconds(a.child.pid!) - cpu0) / ((performance.now() - w0) / 1000)) * 100;
    console.log(`[measure] ${N}-instance master at rest (advert_int 1): ${cpuPct.toFixed(1)} % of one CPU`);
    for (let i = 1; i <= N; i++) {
      expect(stateLines(a, `VI_${i}`)).toEqual(['BACKUP', 'MASTER']);
      expect(stateLines(b, `VI_${i}`)).toEqual(['BACKUP']);
    }

    const t0 = performance.now();
    a.signal('SIGTERM');
    const t1 = await waitUntil(`b holds all ${N} VIPs`, () => vipsOn('b').size === N, 15_000, 20);
    console.log(`[measure] ${N}-instance SIGTERM failover: all VIPs on the backup after ${(t1 - t0).toFixed(0)} ms`);
    expect(await a.exitCode()).toBe(0);
    expect(vipsOn('a').size).toBe(0);
    // Priority 0 for every instance: well under the 3.6 s down interval.
    expect(t1 - t0).toBeLessThan(2500);
  });
});

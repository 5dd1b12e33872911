// What our daemons put on the wire and how they settle disagreements, as real processes: the
// new master's advert comes before its gratuitous ARPs (two bursts of garp_master_repeat,
// garp_master_delay apart); a split brain (bridge ports isolated, links still up) heals to one
// master, by priority or, at equal priority, by the higher address; two VRIDs share an interface.
import { describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import { V4_PAIR, netnsIt } from '../../helpers/netns-fixture.js';
import { GLOBAL_DEFS, assertStableHolder, holders, instanceConf, sleep, stateLines, waitLastStates, waitSoleHolder, waitStates, waitUntil } from './daemon-lab.js';

const VIP = '192.0.2.100';
const conf = (priority: number) => GLOBAL_DEFS + instanceConf({ priority, vips: [`${VIP}/24`] });

function macOf(lab: Lab, host: string): string {
  const j = JSON.parse(lab.exec(host, ['ip', '-j', 'link', 'show', 'dev', 'eth0'])) as { address: string }[];
  return j[0].address;
}

function isolate(lab: Lab, hosts: string[], on: boolean): void {
  for (const h of hosts) lab.ns(lab.switchNs, ['bridge', 'link', 'set', 'dev', lab.switchPort(h), 'isolated', on ? 'on' : 'off']);
}

describe('VRRP on the wire between our daemons (real processes)', () => {
  netnsIt('dwi')('takeover: advert first, then 5 GARPs (who-has VIP tell VIP, own MAC, broadcast), a second burst ~5 s later', 90_000, async (f) => {
    const { lab } = f;
    f.hosts(V4_PAIR);
    const a = await f.backup('a', conf(150), {}, 15_000);
    const b = await f.backup('b', conf(100));
    await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
    await waitStates(b, 'VI_1', ['BACKUP']);
    // Frames coming from b only, with link-level headers.
    const cap = await f.capture('arp or ip proto 112', { port: 'b', args: ['-e', '-tt'] });

    a.signal('SIGTERM');
    await waitUntil('b master', () => holders(lab, ['b'], VIP).length === 1, 10_000);
    await sleep(6500); // past garp_master_delay (5 s)
    const lines = await cap.stop();

    const mac = macOf(lab, 'b');
    const frames = lines
      .map((l) => ({ t: Number(l.split(' ')[0]), l }))
      .filter((fr) => /VRRP|ARP/.test(fr.l));
    const garps = frames.filter((fr) => fr.l.includes('ARP'));
    const adverts = frames.filter((fr) => fr.l.includes('VRRP'));
    for (const g of garps) {
      expect(g.l).toContain(`${mac} > ff:ff:ff:ff:ff:ff`);
      // keepalived's GARP carries the broadcast address as target MAC too (tcpdump prints it).
      expect(g.l).toContain(`Request who-has ${VIP} (ff:ff:ff:ff:ff:ff) tell ${VIP}, length 28`);
    }
    expect(garps.length).toBe(10);
    // The first advert as master precedes the first GARP.
    expect(adverts.length).toBeGreaterThan(4);
    expect(adverts[0].t).toBeLessThanOrEqual(garps[0].t);
    expect(frames.indexOf(adverts[0])).toBeLessThan(frames.indexOf(garps[0]));
    const first = garps.slice(0, 5);
    const second = garps.slice(5);
    expect(first.at(-1)!.t - first[0].t).toBeLessThan(0.5);
    const gap = second[0].t - first[0].t;
    console.log(`[measure] GARP bursts: 5 + 5, second burst ${gap.toFixed(3)} s after the first; advert-to-GARP ${((garps[0].t - adverts[0].t) * 1000).toFixed(1)} ms`);
    expect(gap).toBeGreaterThan(4.8);
    expect(gap).toBeLessThan(5.8);
  });

  for (const equal of [false, true]) {
    const title = equal
      ? 'split brain at equal priority heals to the higher address (192.0.2.12)'
      : 'split brain heals: the lower-priority master yields once adverts flow again';
    netnsIt('dsb')(title, 90_000, async (f) => {
      const { lab } = f;
      const hosts = f.hosts(V4_PAIR);
      const a = await f.backup('a', conf(150), {}, 15_000);
      const b = await f.backup('b', conf(equal ? 150 : 100));
      // a started first: at equal priority b accepts a as master (a backup never preempts an equal).
      await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
      await assertStableHolder(lab, hosts, 'a', VIP, 1500);

      isolate(lab, hosts, true);
      await waitUntil('both masters', () => holders(lab, hosts, VIP).length === 2, 10_000);
      await sleep(1500);
      expect(holders(lab, hosts, VIP)).toEqual(['a', 'b']);

      const t0 = performance.now();
      isolate(lab, hosts, false);
      const winner = equal ? 'b' : 'a';
      const t1 = await waitSoleHolder(lab, hosts, winner, VIP, 10_000, 10);
      console.log(`[measure] split brain (${equal ? 'equal priority' : '150 vs 100'}) healed in ${(t1 - t0).toFixed(0)} ms, winner ${winner}`);
      expect(t1 - t0).toBeLessThan(2500);
      await assertStableHolder(lab, hosts, winner, VIP, 2500);
      const loser = winner === 'a' ? b : a;
      const loserLine = await loser.waitFor(/Entering BACKUP STATE.*reason=(higher-priority-advert|equal-priority-higher-address)/, 3000);
      expect(loserLine).toContain(equal ? 'equal-priority-higher-address' : 'higher-priority-advert');
    });
  }

  netnsIt('dvr')('two VRIDs on one interface: each node masters its own, adverts are told apart by VRID', 90_000, async (f) => {
    const { lab } = f;
    const hosts = f.hosts(V4_PAIR);
    const VIP2 = '192.0.2.200';
    const conf2 = (p1: number, p2: number) =>
      GLOBAL_DEFS +
      instanceConf({ name: 'VI_1', vrid: 51, priority: p1, vips: [`${VIP}/24`] }) +
      instanceConf({ name: 'VI_2', vrid: 52, priority: p2, vips: [`${VIP2}/24`] });
    const a = f.daemon('a', conf2(150, 100));
    const b = await f.backup('b', conf2(100, 150));
    await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
    await waitSoleHolder(lab, hosts, 'b', VIP2, 20_000);
    await sleep(1000);
    // Both hold, steadily, for several advert intervals.
    for (let i = 0; i < 10; i++) {
      expect(holders(lab, hosts, VIP)).toEqual(['a']);
      expect(holders(lab, hosts, VIP2)).toEqual(['b']);
      await sleep(300);
    }
    // a's VI_2 may have been master for a moment before b started (when b's start took longer
    // than a's Master_Down_Interval on a loaded machine): what matters is that it is BACKUP now.
    await waitLastStates(a, 'VI_2', ['BACKUP']);
    const vi2Before = stateLines(a, 'VI_2').length;
    // Killing b moves only VI_2.
    b.signal('SIGKILL');
    await b.exited();
    await waitUntil('a holds VIP2', () => holders(lab, ['a'], VIP2).length === 1, 10_000);
    await waitStates(a, 'VI_1', ['BACKUP', 'MASTER']);
    await waitUntil('a VI_2 MASTER logged', () => stateLines(a, 'VI_2').length > vi2Before, 3000);
    expect(stateLines(a, 'VI_2').slice(vi2Before)).toEqual(['MASTER']);
    expect(a.lines.some((l) => /advert dropped|advert warning/.test(l))).toBe(false);
  });
});

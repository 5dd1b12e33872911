// What our daemons put on the wire and how they settle disagreements, as real processes: the
// new master's advert comes before its gratuitous ARPs (two bursts of garp_master_repeat,
// garp_master_delay apart); a split brain (bridge ports isolated, links still up) heals to one
// master, by priority or, at equal priority, by the higher address; two VRIDs share an interface.
import { describe, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { Lab } from '../../../src/lab/lab.js';
import { watchProcess, type PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import {
  GLOBAL_DEFS,
  assertStableHolder,
  holders,
  instanceConf,
  sleep,
  startDaemonNode,
  waitSoleHolder,
  waitStates,
  waitUntil,
  type DaemonNode,
} from './daemon-lab.js';

const VIP = '192.0.2.100';

function macOf(lab: Lab, host: string): string {
  const j = JSON.parse(lab.exec(host, ['ip', '-j', 'link', 'show', 'dev', 'eth0'])) as { address: string }[];
  return j[0].address;
}

/** tcpdump on one switch port, frames coming from the host only, with link-level headers. */
function capturePort(lab: Lab, host: string, filter: string): PeerProcess {
  const port = lab.switchPort(host);
  return watchProcess(
    spawn('ip', ['netns', 'exec', lab.switchNs, 'tcpdump', '-i', port, '-Q', 'in', '-n', '-l', '-e', '-tt', filter], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}

function isolate(lab: Lab, hosts: string[], on: boolean): void {
  for (const h of hosts) lab.ns(lab.switchNs, ['bridge', 'link', 'set', 'dev', lab.switchPort(h), 'isolated', on ? 'on' : 'off']);
}

describe('VRRP on the wire between our daemons (real processes)', () => {
  itWhen(isRoot)('takeover: advert first, then 5 GARPs (who-has VIP tell VIP, own MAC, broadcast), a second burst ~5 s later', { timeout: 90_000 }, async () => {
    const lab = new Lab('dwi');
    const nodes: DaemonNode[] = [];
    const caps: PeerProcess[] = [];
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] }));
      nodes.push(a);
      await a.waitFor(/Entering BACKUP STATE/, 15_000);
      const b = startDaemonNode(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
      await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
      await waitStates(b, 'VI_1', ['BACKUP']);
      const cap = capturePort(lab, 'b', 'arp or ip proto 112');
      caps.push(cap);
      await cap.waitFor(/listening on/, 10_000);

      a.signal('SIGTERM');
      await waitUntil('b master', () => holders(lab, ['b'], VIP).length === 1, 10_000);
      await sleep(6500); // past garp_master_delay (5 s)
      cap.signal('SIGTERM');
      await cap.exited();

      const mac = macOf(lab, 'b');
      const frames = cap.lines
        .map((l) => ({ t: Number(l.split(' ')[0]), l }))
        .filter((f) => /VRRP|ARP/.test(f.l));
      const garps = frames.filter((f) => f.l.includes('ARP'));
      const adverts = frames.filter((f) => f.l.includes('VRRP'));
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
    } finally {
      for (const n of nodes) n.cleanup();
      for (const c of caps) c.signal('SIGKILL');
      lab.destroy();
    }
  });

  for (const equal of [false, true]) {
    const title = equal
      ? 'split brain at equal priority heals to the higher address (192.0.2.12)'
      : 'split brain heals: the lower-priority master yields once adverts flow again';
    itWhen(isRoot)(title, { timeout: 90_000 }, async () => {
      const lab = new Lab('dsb');
      const nodes: DaemonNode[] = [];
      try {
        lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
        lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
        const hosts = ['a', 'b'];
        const pa = 150;
        const pb = equal ? 150 : 100;
        const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: pa, vips: [`${VIP}/24`] }));
        nodes.push(a);
        await a.waitFor(/Entering BACKUP STATE/, 15_000);
        const b = startDaemonNode(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: pb, vips: [`${VIP}/24`] }));
        nodes.push(b);
        await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
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
      } finally {
        for (const n of nodes) n.cleanup();
        lab.destroy();
      }
    });
  }

  itWhen(isRoot)('two VRIDs on one interface: each node masters its own, adverts are told apart by VRID', { timeout: 90_000 }, async () => {
    const lab = new Lab('dvr');
    const nodes: DaemonNode[] = [];
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
      const VIP2 = '192.0.2.200';
      const conf = (p1: number, p2: number) =>
        GLOBAL_DEFS +
        instanceConf({ name: 'VI_1', vrid: 51, priority: p1, vips: [`${VIP}/24`] }) +
        instanceConf({ name: 'VI_2', vrid: 52, priority: p2, vips: [`${VIP2}/24`] });
      const a = startDaemonNode(lab, 'a', conf(150, 100));
      nodes.push(a);
      const b = startDaemonNode(lab, 'b', conf(100, 150));
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
      await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
      await waitSoleHolder(lab, ['a', 'b'], 'b', VIP2, 20_000);
      await sleep(1000);
      // Both hold, steadily, for several advert intervals.
      for (let i = 0; i < 10; i++) {
        expect(holders(lab, ['a', 'b'], VIP)).toEqual(['a']);
        expect(holders(lab, ['a', 'b'], VIP2)).toEqual(['b']);
        await sleep(300);
      }
      // Killing b moves only VI_2.
      b.signal('SIGKILL');
      await b.exited();
      await waitUntil('a holds VIP2', () => holders(lab, ['a'], VIP2).length === 1, 10_000);
      await waitStates(a, 'VI_1', ['BACKUP', 'MASTER']);
      await waitStates(a, 'VI_2', ['BACKUP', 'MASTER']);
      expect(a.lines.some((l) => /advert dropped|advert warning/.test(l))).toBe(false);
    } finally {
      for (const n of nodes) n.cleanup();
      lab.destroy();
    }
  });
});

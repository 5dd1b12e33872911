// unicast_src_ip + unicast_peer between two of our daemons: failover works, and tcpdump in the
// switch namespace (every bridge port) sees adverts only between the two unicast addresses,
// never one to the VRRP multicast group.
import { describe, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { Lab } from '../../../src/lab/lab.js';
import { watchProcess, type PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import {
  GLOBAL_DEFS,
  assertStableHolder,
  instanceConf,
  sleep,
  startDaemonNode,
  vrrpTimes,
  waitSoleHolder,
  waitStates,
  waitVip,
  type DaemonNode,
} from './daemon-lab.js';

const VIP = '192.0.2.100';

describe('unicast peers (real processes)', () => {
  itWhen(isRoot)('failover over unicast, and no advert goes to 224.0.0.18', { timeout: 90_000 }, async () => {
    const lab = new Lab('duc');
    const nodes: DaemonNode[] = [];
    const captures: PeerProcess[] = [];
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
      // Capture VRRP on every port of the switch: each frame shows once per port it crosses.
      const capture = watchProcess(
        spawn('ip', ['netns', 'exec', lab.switchNs, 'tcpdump', '-i', 'any', '-n', '-l', 'ip proto 112'], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      captures.push(capture);
      await capture.waitFor(/listening on/, 10_000);
      const uni = (src: string, peer: string) => [`unicast_src_ip ${src}`, 'unicast_peer {', `  ${peer}`, '}'];
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: uni('192.0.2.11', '192.0.2.12') }));
      nodes.push(a);
      // b starts once a runs, so a's down timer expires first (no transient master on b).
      await a.waitFor(/Entering BACKUP STATE/, 15_000);
      const b = startDaemonNode(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`], extra: uni('192.0.2.12', '192.0.2.11') }));
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
      await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
      await assertStableHolder(lab, ['a', 'b'], 'a', VIP, 2500);
      await waitStates(b, 'VI_1', ['BACKUP']);

      const t0 = performance.now();
      a.signal('SIGKILL');
      const t1 = await waitVip(lab, 'b', VIP, true, 15_000);
      console.log(`[measure] unicast kill -9 failover: ${(t1 - t0).toFixed(0)} ms (down interval ${vrrpTimes(2, 100, 1).downMs.toFixed(0)} ms)`);
      expect(t1 - t0).toBeLessThan(vrrpTimes(2, 100, 1).downMs + 1000);
      await sleep(1500); // b's adverts as master
      capture.signal('SIGTERM');
      await capture.exited();

      const adverts = capture.lines.filter((l) => /VRRP/.test(l));
      const pairs = new Set(adverts.map((l) => /IP (\S+) > (\S+?):/.exec(l)?.slice(1, 3).join(' > ')));
      console.log(`[measure] unicast capture: ${adverts.length} VRRP frames, flows ${[...pairs].join(', ')}`);
      expect(adverts.length).toBeGreaterThan(4);
      expect(adverts.some((l) => l.includes('224.0.0.18'))).toBe(false);
      expect([...pairs].sort()).toEqual(['192.0.2.11 > 192.0.2.12', '192.0.2.12 > 192.0.2.11']);
    } finally {
      for (const n of nodes) n.cleanup();
      for (const c of captures) c.signal('SIGKILL');
      lab.destroy();
    }
  });

  itWhen(isRoot)('IPv6 unicast peers (VRRPv3, 0.2 s): failover works and nothing goes to ff02::12', { timeout: 90_000 }, async () => {
    const lab = new Lab('duc');
    const nodes: DaemonNode[] = [];
    const captures: PeerProcess[] = [];
    const VIP6 = '2001:db8:5e::100';
    try {
      lab.addHost({ name: 'a', addresses: ['fd00:5e::11/64'] });
      lab.addHost({ name: 'b', addresses: ['fd00:5e::12/64'] });
      const capture = watchProcess(
        spawn('ip', ['netns', 'exec', lab.switchNs, 'tcpdump', '-i', 'any', '-n', '-l', 'ip6 proto 112'], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      captures.push(capture);
      await capture.waitFor(/listening on/, 10_000);
      const uni = (src: string, peer: string) => ['version 3', `unicast_src_ip ${src}`, 'unicast_peer {', `  ${peer}`, '}'];
      const conf = (prio: number, src: string, peer: string) =>
        GLOBAL_DEFS + instanceConf({ name: 'VI_6', vrid: 61, priority: prio, advertInt: 0.2, vips: [`${VIP6}/64`], extra: uni(src, peer) });
      const a = startDaemonNode(lab, 'a', conf(150, 'fd00:5e::11', 'fd00:5e::12'));
      nodes.push(a);
      await a.waitFor(/Entering BACKUP STATE/, 15_000);
      const b = startDaemonNode(lab, 'b', conf(100, 'fd00:5e::12', 'fd00:5e::11'));
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000);
      await waitSoleHolder(lab, ['a', 'b'], 'a', VIP6, 20_000);
      await assertStableHolder(lab, ['a', 'b'], 'a', VIP6, 1500);
      await waitStates(b, 'VI_6', ['BACKUP']);
      const t0 = performance.now();
      a.signal('SIGKILL');
      const t1 = await waitVip(lab, 'b', VIP6, true, 10_000, 5);
      console.log(`[measure] IPv6 unicast v3 0.2 s kill -9 failover: ${(t1 - t0).toFixed(0)} ms (down interval ${vrrpTimes(3, 100, 0.2).downMs.toFixed(0)} ms)`);
      expect(t1 - t0).toBeLessThan(vrrpTimes(3, 100, 0.2).downMs + 900);
      await sleep(600);
      capture.signal('SIGTERM');
      await capture.exited();
      const adverts = capture.lines.filter((l) => /VRRP/.test(l));
      const pairs = new Set(adverts.map((l) => /IP6 (\S+) > (\S+): /.exec(l)?.slice(1, 3).join(' > ')));
      expect(adverts.length).toBeGreaterThan(10);
      expect([...pairs].sort()).toEqual(['fd00:5e::11 > fd00:5e::12', 'fd00:5e::12 > fd00:5e::11']);
    } finally {
      for (const n of nodes) n.cleanup();
      for (const c of captures) c.signal('SIGKILL');
      lab.destroy();
    }
  });
});

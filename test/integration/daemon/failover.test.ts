// Our daemon as real processes in a lab of network namespaces: election, kill -9 failover within
// Master_Down_Interval, SIGTERM (priority 0) failover within about Skew_Time, clean stop.
import { describe, expect } from 'vitest';
import { Lab } from '../../../src/lab/lab.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import {
  GLOBAL_DEFS,
  assertStableHolder,
  instanceConf,
  notifyScript,
  nodeDir,
  startDaemonNode,
  stateLines,
  vrrpTimes,
  waitSoleHolder,
  waitVip,
  type DaemonNode,
} from './daemon-lab.js';

const VIP = '192.0.2.100';

function report(label: string, ms: number): void {
  console.log(`[measure] ${label}: ${ms.toFixed(0)} ms`);
}

describe('daemon failover (2 nodes, real processes)', () => {
  itWhen(isRoot)('higher priority is the sole master; kill -9 -> backup within Master_Down_Interval', { timeout: 60_000 }, async () => {
    const lab = new Lab('dfo');
    const nodes: DaemonNode[] = [];
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
      const hosts = ['a', 'b'];
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] }));
      nodes.push(a);
      const b = startDaemonNode(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
      await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
      await assertStableHolder(lab, hosts, 'a', VIP, 3000);
      expect(stateLines(a, 'VI_1').at(-1)).toBe('MASTER');
      expect(stateLines(b, 'VI_1').at(-1)).toBe('BACKUP');

      // kill -9: no priority-0 advert, the backup waits for Master_Down_Interval.
      const t0 = performance.now();
      a.signal('SIGKILL');
      const t1 = await waitVip(lab, 'b', VIP, true, 15_000);
      const { downMs } = vrrpTimes(2, 100, 1);
      report('kill -9 failover (v2, advert_int 1, backup prio 100)', t1 - t0);
      // The backup's last advert arrived up to one advert_int before the kill.
      expect(t1 - t0).toBeGreaterThan(downMs - 1000 - 100);
      expect(t1 - t0).toBeLessThan(downMs + 1000);
      await b.waitFor(/\(VI_1\) Entering MASTER STATE/, 1000);
    } finally {
      for (const n of nodes) n.cleanup();
      lab.destroy();
    }
  });

  itWhen(isRoot)('SIGTERM of the master: priority 0, takeover within about Skew_Time, VIP removed, STOP notify, exit 0', { timeout: 60_000 }, async () => {
    const lab = new Lab('dfo');
    const nodes: DaemonNode[] = [];
    try {
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
      const hosts = ['a', 'b'];
      const dirA = nodeDir('a');
      const ns = notifyScript(dirA, 'ns');
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: [`notify_stop ${ns}`] }), { dir: dirA });
      nodes.push(a);
      const b = startDaemonNode(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
      await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
      await assertStableHolder(lab, hosts, 'a', VIP, 1500);
      // Pid files hold the daemon's pid.
      const { readFileSync, existsSync } = await import('node:fs');
      expect(readFileSync(a.pidFile, 'utf8').trim()).toBe(String(a.child.pid));
      expect(readFileSync(a.vrrpPidFile, 'utf8').trim()).toBe(String(a.child.pid));

      const t0 = performance.now();
      a.signal('SIGTERM');
      const t1 = await waitVip(lab, 'b', VIP, true, 10_000, 5);
      const { skewMs, downMs } = vrrpTimes(2, 100, 1);
      report('SIGTERM failover (v2, backup prio 100, skew 609 ms)', t1 - t0);
      expect(t1 - t0).toBeLessThan(skewMs + 700);
      expect(t1 - t0).toBeLessThan(downMs - 1000);
      expect(await a.exitCode()).toBe(0);
      expect(a.lines.some((l) => /Entering MASTER STATE/.test(l))).toBe(true);
      // Our VIP is gone from the stopped master, pid files removed, STOP notify ran.
      expect(lab.addresses('a').filter((x) => !x.includes(':'))).toEqual(['192.0.2.11/24']);
      expect(existsSync(a.pidFile)).toBe(false);
      expect(existsSync(a.vrrpPidFile)).toBe(false);
      expect(a.notifications()).toEqual(['ns']);
      await assertStableHolder(lab, hosts, 'b', VIP, 1000);
    } finally {
      for (const n of nodes) n.cleanup();
      lab.destroy();
    }
  });
});

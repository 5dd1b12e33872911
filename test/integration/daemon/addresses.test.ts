// What a master installs and advertises, with our daemons as real processes: VIPs and excluded
// VIPs and virtual routes on the master only (and moved on failover); adverts list only the
// VIPs (not virtual_ipaddress_excluded) and carry the PASS password; a wrong password is dropped,
// so the two nodes cannot see each other and both become master.
import { describe, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { Lab } from '../../../src/lab/lab.js';
import { watchProcess, type PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { GLOBAL_DEFS, assertStableHolder, holders, instanceConf, sleep, startDaemonNode, stateLines, waitSoleHolder, waitStates, waitUntil, type DaemonNode } from './daemon-lab.js';

const VIP = '192.0.2.100';
const EVIP = '192.0.2.150';
const ROUTE = '198.51.100.0/25';

function routes(lab: Lab, host: string): string[] {
  return (JSON.parse(lab.exec(host, ['ip', '-j', 'route', 'show'])) as { dst: string; gateway?: string }[]).map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}`);
}

const extra = (pass: string) => [
  'authentication {',
  '  auth_type PASS',
  `  auth_pass ${pass}`,
  '}',
  'virtual_ipaddress_excluded {',
  `  ${EVIP}/24`,
  '}',
  'virtual_routes {',
  `  ${ROUTE} via 192.0.2.1`,
  '}',
];

describe('addresses, routes and authentication (real processes)', () => {
  itWhen(isRoot)('VIP, excluded VIP and virtual route follow the master; adverts list only the VIP and carry the password', { timeout: 90_000 }, async () => {
    const lab = new Lab('dad');
    const nodes: DaemonNode[] = [];
    const caps: PeerProcess[] = [];
    try {
      const hosts = ['a', 'b'];
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: extra('secret1') }));
      nodes.push(a);
      await a.waitFor(/Entering BACKUP STATE/, 15_000);
      const b = startDaemonNode(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`], extra: extra('secret1') }));
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
      await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
      await waitSoleHolder(lab, hosts, 'a', EVIP, 3000);
      await waitUntil('route on a', () => routes(lab, 'a').includes(`${ROUTE} via 192.0.2.1`), 3000);
      expect(routes(lab, 'b')).not.toContain(`${ROUTE} via 192.0.2.1`);

      const cap = watchProcess(
        spawn('ip', ['netns', 'exec', lab.switchNs, 'tcpdump', '-i', lab.switchPort('a'), '-Q', 'in', '-n', '-l', '-v', 'ip proto 112'], { stdio: ['ignore', 'pipe', 'pipe'] }),
      );
      caps.push(cap);
      await cap.waitFor(/listening on/, 10_000);
      await sleep(2500);
      cap.signal('SIGTERM');
      await cap.exited();
      const text = cap.lines.join('\n');
      expect(text).toMatch(/vrid 51, prio 150, authtype simple, intvl 1s, length 20, addrs: 192\.0\.2\.100 auth "secret1"/);
      expect(text).not.toContain(EVIP);

      a.signal('SIGTERM');
      expect(await a.exitCode()).toBe(0);
      await waitSoleHolder(lab, hosts, 'b', VIP, 5000);
      await waitSoleHolder(lab, hosts, 'b', EVIP, 3000);
      await waitUntil('route on b', () => routes(lab, 'b').includes(`${ROUTE} via 192.0.2.1`), 3000);
      expect(routes(lab, 'a')).not.toContain(`${ROUTE} via 192.0.2.1`);
    } finally {
      for (const n of nodes) n.cleanup();
      for (const c of caps) c.signal('SIGKILL');
      lab.destroy();
    }
  });

  itWhen(isRoot)('a wrong auth_pass is dropped: both nodes become master and count the error', { timeout: 90_000 }, async () => {
    const lab = new Lab('dad');
    const nodes: DaemonNode[] = [];
    try {
      const hosts = ['a', 'b'];
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: extra('secret1') }));
      nodes.push(a);
      await a.waitFor(/Entering BACKUP STATE/, 15_000);
      const b = startDaemonNode(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`], extra: extra('other') }));
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
      await waitUntil('both hold the VIP', () => holders(lab, hosts, VIP).length === 2, 20_000);
      await waitStates(b, 'VI_1', ['BACKUP', 'MASTER']);
      await b.waitFor(/\(VI_1\) advert dropped: .*auth/i, 3000);
      await sleep(1500);
      expect(stateLines(a, 'VI_1')).toEqual(['BACKUP', 'MASTER']);
    } finally {
      for (const n of nodes) n.cleanup();
      lab.destroy();
    }
  });

  itWhen(isRoot)('a VIP deleted behind the master\'s back is restored at once (keepalived re-elects; we re-add without a flap)', { timeout: 90_000 }, async () => {
    const lab = new Lab('dad');
    const nodes: DaemonNode[] = [];
    try {
      const hosts = ['a', 'b'];
      lab.addHost({ name: 'a', addresses: ['192.0.2.11/24'] });
      lab.addHost({ name: 'b', addresses: ['192.0.2.12/24'] });
      const a = startDaemonNode(lab, 'a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: ['virtual_ipaddress_excluded {', '  2001:db8:5e::100/64', '}'] }));
      nodes.push(a);
      await a.waitFor(/Entering BACKUP STATE/, 15_000);
      const b = startDaemonNode(lab, 'b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`], extra: ['virtual_ipaddress_excluded {', '  2001:db8:5e::100/64', '}'] }));
      nodes.push(b);
      await b.waitFor(/Entering BACKUP STATE/, 20_000); // b runs before the test acts
      await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
      await waitSoleHolder(lab, hosts, 'a', '2001:db8:5e::100', 3000);

      for (const [addr, plen] of [[VIP, 24], ['2001:db8:5e::100', 64]] as const) {
        const t0 = performance.now();
        lab.exec('a', ['ip', 'addr', 'del', `${addr}/${plen}`, 'dev', 'eth0']);
        const t1 = await waitSoleHolder(lab, hosts, 'a', addr, 3000, 10);
        console.log(`[measure] externally deleted VIP ${addr} restored after ${(t1 - t0).toFixed(0)} ms`);
      }
      await assertStableHolder(lab, hosts, 'a', VIP, 2000);
      expect(stateLines(a, 'VI_1')).toEqual(['BACKUP', 'MASTER']);
      expect(stateLines(b, 'VI_1')).toEqual(['BACKUP']);
      // Our own removal (stop) is not undone.
      a.signal('SIGTERM');
      expect(await a.exitCode()).toBe(0);
      await waitSoleHolder(lab, hosts, 'b', VIP, 5000);
      expect(holders(lab, ['a'], VIP)).toEqual([]);
    } finally {
      for (const n of nodes) n.cleanup();
      lab.destroy();
    }
  });
});

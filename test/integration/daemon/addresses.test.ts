// What a master installs and advertises, with our daemons as real processes: VIPs and excluded
// VIPs and virtual routes on the master only (and moved on failover); adverts list only the
// VIPs (not virtual_ipaddress_excluded) and carry the PASS password; a wrong password is dropped,
// so the two nodes cannot see each other and both become master.
import { describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import { V4_PAIR, netnsIt, type NetnsFixture } from '../../helpers/netns-fixture.js';
import { GLOBAL_DEFS, assertStableHolder, holders, instanceConf, sleep, stateLines, waitSoleHolder, waitStates, waitUntil } from './daemon-lab.js';

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

/** a (150) and b (100) with `extra` lines each, started in that order, each running before the next step. */
async function startPair(f: NetnsFixture, extraA: string[], extraB: string[]) {
  const hosts = f.hosts(V4_PAIR);
  const a = await f.backup('a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: extraA }), {}, 15_000);
  const b = await f.backup('b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`], extra: extraB }));
  return { hosts, a, b };
}

const labIt = netnsIt('dad');

describe('addresses, routes and authentication (real processes)', () => {
  labIt('VIP, excluded VIP and virtual route follow the master; adverts list only the VIP and carry the password', 90_000, async (f) => {
    const { lab } = f;
    const { hosts, a } = await startPair(f, extra('secret1'), extra('secret1'));
    await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
    await waitSoleHolder(lab, hosts, 'a', EVIP, 3000);
    await waitUntil('route on a', () => routes(lab, 'a').includes(`${ROUTE} via 192.0.2.1`), 3000);
    expect(routes(lab, 'b')).not.toContain(`${ROUTE} via 192.0.2.1`);

    const cap = await f.capture('ip proto 112', { port: 'a', args: ['-v'] });
    await sleep(2500);
    const text = (await cap.stop()).join('\n');
    expect(text).toMatch(/vrid 51, prio 150, authtype simple, intvl 1s, length 20, addrs: 192\.0\.2\.100 auth "secret1"/);
    expect(text).not.toContain(EVIP);

    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    await waitSoleHolder(lab, hosts, 'b', VIP, 5000);
    await waitSoleHolder(lab, hosts, 'b', EVIP, 3000);
    await waitUntil('route on b', () => routes(lab, 'b').includes(`${ROUTE} via 192.0.2.1`), 3000);
    expect(routes(lab, 'a')).not.toContain(`${ROUTE} via 192.0.2.1`);
  });

  labIt('a wrong auth_pass is dropped: both nodes become master and count the error', 90_000, async (f) => {
    const { hosts, a, b } = await startPair(f, extra('secret1'), extra('other'));
    await waitUntil('both hold the VIP', () => holders(f.lab, hosts, VIP).length === 2, 20_000);
    await waitStates(b, 'VI_1', ['BACKUP', 'MASTER']);
    await b.waitFor(/\(VI_1\) advert dropped: .*auth/i, 3000);
    await sleep(1500);
    expect(stateLines(a, 'VI_1')).toEqual(['BACKUP', 'MASTER']);
  });

  labIt('a VIP deleted behind the master\'s back is restored at once (keepalived re-elects; we re-add without a flap)', 90_000, async (f) => {
    const { lab } = f;
    const excluded = ['virtual_ipaddress_excluded {', '  2001:db8:5e::100/64', '}'];
    const { hosts, a, b } = await startPair(f, excluded, excluded);
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
  });
});

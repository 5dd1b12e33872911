// VIP and route options reach the kernel as keepalived puts them there: keepalived 2.2.7 and our
// daemon run the same instance, each alone in its own lab, and once each is master the kernel's
// view of the VIPs (prefix, broadcast, peer, label, scope, flags, preferred lifetime: keepalived
// deprecates an IPv6 /128 written without preferred_lft) and of
// the virtual routes (table, metric, gateway, source, scope, type, protocol, TOS) must be the
// same on both hosts. The values come parsed from config/ (route-rule.ts, vrrp-lists.ts).
import { describe, expect } from 'vitest';
import { Lab } from '../../../src/lab/lab.js';
import { startKeepalived, type PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { hasKeepalived } from '../../acceptance/lib/keepalived.js';
import { isRoot, itWhen } from '../../helpers/require.js';
import { GLOBAL_DEFS, instanceConf, sleep, startDaemonNode, waitUntil } from './daemon-lab.js';

const VIPS = ['192.0.2.100/24 brd + label eth0:v1', '192.0.2.101 peer 192.0.2.201', '192.0.2.102/25 noprefixroute preferred_lft 600'];
const EXTRA = [
  'virtual_ipaddress_excluded {',
  '  2001:db8:5e::1/64 home mngtmpaddr preferred_lft 0',
  '  2001:db8:5e::2/64 -nodad',
  '  2001:db8:5e::3/64 noprefixroute',
  '  2001:db8:5e::4/128',
  '}',
  'virtual_routes {',
  '  198.51.100.0/25 via 192.0.2.1 metric 7 table 100 dev eth0',
  '  198.51.100.128/25 dev eth0 src 192.0.2.100 scope link protocol 99 no_track',
  '  blackhole 203.0.113.0/24',
  '  203.0.113.128/25 via 192.0.2.1 tos 0x10 no_track',
  '  unreachable 198.51.100.64/27 table 100 metric 3',
  '  2001:db8:77::/48 via 2001:db8:5e::fe dev eth0 metric 9',
  '}',
];
const CONF = GLOBAL_DEFS + instanceConf({ state: 'MASTER', priority: 150, vips: VIPS, extra: EXTRA });
const OUR_ADDRS = new Set(['192.0.2.100', '192.0.2.101', '192.0.2.102', '2001:db8:5e::1', '2001:db8:5e::2', '2001:db8:5e::3', '2001:db8:5e::4']);
const OUR_ROUTES = new Set(['198.51.100.0/25', '198.51.100.128/25', '203.0.113.0/24', '203.0.113.128/25', '198.51.100.64/27', '2001:db8:77::/48']);

type Json = Record<string, unknown>;

/** The VIPs as the kernel reports them, without the counting-down lifetimes. */
function vipView(lab: Lab, host: string): Json[] {
  const links = JSON.parse(lab.exec(host, ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])) as { addr_info: Json[] }[];
  const lifetime = (v: unknown) => (v === 4294967295 ? 'forever' : v === 0 ? 0 : 'finite');
  return links
    .flatMap((l) => l.addr_info)
    .filter((a) => OUR_ADDRS.has(a.local as string))
    .map(({ valid_life_time, preferred_life_time, ...a }): Json => ({ ...a, valid: lifetime(valid_life_time), preferred: lifetime(preferred_life_time) }))
    .sort((x, y) => String(x.local).localeCompare(String(y.local)));
}

function routeView(lab: Lab, host: string): Json[] {
  const all = [...(JSON.parse(lab.exec(host, ['ip', '-j', '-d', '-4', 'route', 'show', 'table', 'all'])) as Json[]), ...(JSON.parse(lab.exec(host, ['ip', '-j', '-d', '-6', 'route', 'show', 'table', 'all'])) as Json[])];
  return all.filter((r) => OUR_ROUTES.has(r.dst as string)).sort((x, y) => String(x.dst).localeCompare(String(y.dst)));
}

async function settled(lab: Lab, host: string, proc: PeerProcess): Promise<void> {
  try {
    await waitUntil(`${host}: all VIPs and routes`, () => vipView(lab, host).length === OUR_ADDRS.size && routeView(lab, host).length === OUR_ROUTES.size, 20_000, 100);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${JSON.stringify({ vips: vipView(lab, host), routes: routeView(lab, host) })}\n${proc.lines.join('\n')}`);
  }
  // IPv6 duplicate address detection (the -nodad line asks for it) takes about a second.
  await waitUntil(`${host}: DAD done`, () => vipView(lab, host).every((a) => a.tentative !== true), 10_000, 100);
  await sleep(500);
}

describe('VIP and route options in the kernel: keepalived and ours side by side', () => {
  itWhen(isRoot, hasKeepalived)('the same addresses and routes on both hosts', { timeout: 90_000 }, async () => {
    const labs = [new Lab('rtk'), new Lab('rto')];
    const procs: { cleanup(): void }[] = [];
    try {
      labs[0].addHost({ name: 'k', addresses: ['192.0.2.11/24'] });
      labs[1].addHost({ name: 'o', addresses: ['192.0.2.11/24'] });
      const ka: PeerProcess & { cleanup(): void } = startKeepalived(labs[0], 'k', CONF);
      procs.push(ka);
      const ours = startDaemonNode(labs[1], 'o', CONF);
      procs.push(ours);
      await Promise.all([settled(labs[0], 'k', ka), settled(labs[1], 'o', ours)]);
      const theirs = { vips: vipView(labs[0], 'k'), routes: routeView(labs[0], 'k') };
      const mine = { vips: vipView(labs[1], 'o'), routes: routeView(labs[1], 'o') };
      // The comparison is only worth something if the options took effect on keepalived's host.
      expect(theirs.vips.find((a) => a.local === '192.0.2.100')).toMatchObject({ broadcast: '192.0.2.255', label: 'eth0:v1' });
      expect(theirs.routes.find((r) => r.dst === '198.51.100.0/25')).toMatchObject({ table: '100', metric: 7, gateway: '192.0.2.1' });
      expect(mine).toEqual(theirs);
    } finally {
      for (const p of procs) p.cleanup();
      for (const l of labs) l.destroy();
    }
  });
});

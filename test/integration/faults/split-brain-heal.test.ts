// After a split brain exactly one master remains and every host on the segment points at it.
// Three of our daemons' hosts on one bridge: a (priority 150, the winner), b (100) and c, an
// observer whose neighbour entry for the VIP is checked after each kind of heal:
//   * one-way VRRP loss removed in two steps (a->b first: b hears a and steps down while a never
//     hears b; the quiet heal keepalived 2.2.7 leaves with the hosts on b's MAC);
//   * a stopped (SIGSTOP) while b takes over, then resumed;
//   * VRRP dropped both ways, then restored at once.
// VRRP is dropped by an nftables bridge table in the switch namespace (one chain per
// direction); ARP and neighbour discovery still pass, so a hears b's announcements.
import { describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import { netnsIt, sleep, waitUntil, type NetnsFixture } from '../../helpers/netns-fixture.js';
import { runs } from '../../helpers/require.js';
import { GLOBAL_DEFS, holders, instanceConf, waitSoleHolder } from '../daemon/daemon-lab.js';

const hasNft = runs('nft', ['--version'], 'nft not installed (apt-get install nftables)');

interface Fam {
  label: string;
  vip: string;
  prefix: number;
  hosts: Record<'a' | 'b' | 'c', string[]>;
  extra: string[];
}

const FAMS: Fam[] = [
  { label: 'IPv4', vip: '192.0.2.100', prefix: 24, hosts: { a: ['192.0.2.11/24'], b: ['192.0.2.12/24'], c: ['192.0.2.13/24'] }, extra: [] },
  {
    label: 'IPv6',
    vip: '2001:db8::100',
    prefix: 64,
    hosts: { a: ['2001:db8::11/64'], b: ['2001:db8::12/64'], c: ['2001:db8::13/64'] },
    extra: ['version 3'],
  },
];

function macOf(lab: Lab, host: string): string {
  return (JSON.parse(lab.exec(host, ['ip', '-j', 'link', 'show', 'dev', 'eth0'])) as { address: string }[])[0].address;
}

/** The MAC c's neighbour table holds for `vip` (undefined: no entry, or an incomplete one). */
function neighMac(lab: Lab, vip: string): string | undefined {
  const j = JSON.parse(lab.exec('c', ['ip', '-j', 'neigh', 'show', 'to', vip, 'dev', 'eth0'])) as { lladdr?: string }[];
  return j[0]?.lladdr;
}

/** Drops VRRP from `from`'s switch port to `to`'s in the bridge (one chain per direction). */
function block(f: NetnsFixture, from: string, to: string): void {
  const rules = `table bridge ktheal {
  chain ${from}_to_${to} {
    type filter hook forward priority 0; policy accept;
    iifname "${f.lab.switchPort(from)}" oifname "${f.lab.switchPort(to)}" ip protocol 112 drop
    iifname "${f.lab.switchPort(from)}" oifname "${f.lab.switchPort(to)}" ip6 nexthdr 112 drop
  }
}
`;
  f.lab.ns(f.lab.switchNs, ['nft', '-f', '-'], rules);
}

function unblock(f: NetnsFixture, from: string, to: string): void {
  f.lab.ns(f.lab.switchNs, ['nft', 'delete', 'chain', 'bridge', 'ktheal', `${from}_to_${to}`]);
}

describe.each(FAMS)('split brain heals with a fresh announcement ($label)', (fam) => {
  const it = netnsIt('shl', hasNft);
  const conf = (priority: number) => GLOBAL_DEFS + instanceConf({ priority, vips: [`${fam.vip}/${fam.prefix}`], extra: fam.extra });

  /** a master, b backup, c with a neighbour entry for the VIP at a's MAC. */
  async function start(f: NetnsFixture) {
    const { lab } = f;
    f.hosts(fam.hosts);
    const a = await f.backup('a', conf(150));
    await waitSoleHolder(lab, ['a', 'b'], 'a', fam.vip, 20_000);
    const b = await f.backup('b', conf(100));
    const macA = macOf(lab, 'a');
    const macB = macOf(lab, 'b');
    lab.exec('c', ['ping', '-c', '1', '-W', '2', fam.vip]);
    expect(neighMac(lab, fam.vip)).toBe(macA);
    return { a, b, macA, macB };
  }

  /** After the heal: a alone holds the VIP and c's entry is a's MAC once any re-announcement is out. */
  async function expectHealed(f: NetnsFixture, a: { readonly lines: readonly string[] }, macA: string, macB: string): Promise<void> {
    await waitUntil('b released the VIP', () => holders(f.lab, ['b'], fam.vip).length === 0, 15_000);
    // Past the re-announcement's quiet time (1 s) and minimum gap (5 s).
    await sleep(7000);
    expect(holders(f.lab, ['a', 'b'], fam.vip)).toEqual(['a']);
    const seen = neighMac(f.lab, fam.vip);
    console.log(`[measure] ${fam.label}: c's entry for the VIP after the heal: ${seen === macA ? 'a (winner)' : seen === macB ? 'b (loser)' : String(seen)}; a logged ${a.lines.filter((l) => l.includes('re-announcing')).length} re-announcement line(s)`);
    expect(seen).toBe(macA);
  }

  it('one-way VRRP loss removed in two steps: the winner re-announces after the loser steps down silently', 120_000, async (f) => {
    const { a, b, macA, macB } = await start(f);
    block(f, 'a', 'b');
    block(f, 'b', 'a');
    await b.waitFor(/Entering MASTER STATE/, 15_000);
    await sleep(5500); // b's second announcement burst (garp_master_delay 5 s)
    unblock(f, 'a', 'b'); // b hears a and steps down; a still hears nothing from b
    await waitUntil('b released the VIP', () => holders(f.lab, ['b'], fam.vip).length === 0, 15_000);
    await sleep(1500);
    unblock(f, 'b', 'a');
    await expectHealed(f, a, macA, macB);
    expect(a.lines.some((l) => l.includes(`${macB} announced our VIP ${fam.vip}`))).toBe(true);
    expect(a.lines.filter((l) => /Entering (BACKUP|MASTER) STATE/.test(l)).length).toBe(2); // BACKUP (init), MASTER: never left
  });

  it('the master stopped (SIGSTOP) while the backup takes over, then resumed', 120_000, async (f) => {
    const { a, b, macA, macB } = await start(f);
    a.signal('SIGSTOP');
    try {
      await b.waitFor(/Entering MASTER STATE/, 15_000);
      await sleep(5500);
    } finally {
      a.signal('SIGCONT');
    }
    await expectHealed(f, a, macA, macB);
  });

  it('VRRP dropped both ways, then restored at once', 120_000, async (f) => {
    const { a, b, macA, macB } = await start(f);
    block(f, 'a', 'b');
    block(f, 'b', 'a');
    await b.waitFor(/Entering MASTER STATE/, 15_000);
    await sleep(5500);
    unblock(f, 'a', 'b');
    unblock(f, 'b', 'a');
    await expectHealed(f, a, macA, macB);
  });
});

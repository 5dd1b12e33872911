// no_accept with nftables, keepalived 2.2.7 and ours on the same host one after the other in one
// test run: the same config, a foreign nftables table put there first, a peer namespace that
// pings the VIPs, and a third node (ours, priority 200, accept) that takes the VIPs over.
// Compared: the ruleset (`nft -j list ruleset`, handles dropped) while master, after falling back
// to backup and after the stop; which VIPs answer pings while master.
import { execFileSync } from 'node:child_process';
import { describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import { hasKeepalived, runs } from '../../helpers/require.js';
import { hasVip, netnsIt, sleep, waitUntil, type NetnsFixture } from '../../helpers/netns-fixture.js';
import type { PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { GLOBAL_DEFS, instanceConf } from './daemon-lab.js';

const hasNft = runs('nft', ['--version'], 'nftables not installed (apt-get install nftables)');
const labIt = netnsIt('nfa', hasKeepalived, hasNft);

const V4_DROP = '192.0.2.100';
const V4_OPEN = '192.0.2.110';
const V6_DROP = '2001:db8::100';
const V6_LL = 'fe80::100';

/** Table options (global_defs) and how the IPv6 instance keys its link-local VIP. */
interface Variant {
  readonly table: string;
  readonly globals: string[];
  /** dont_track_primary on the IPv6 instance: its link-local VIP is keyed by interface name. */
  readonly byName: boolean;
}
const DEFAULT: Variant = { table: 'keepalived', globals: [], byName: false };
/** keepalived without iptables support (Debian's) reads vrrp_iptables as table "keepalived", over an earlier nftables name. */
const IPTABLES: Variant = { table: 'keepalived', globals: ['nftables mine', 'vrrp_iptables IN_CHAIN OUT_CHAIN'], byName: false };
const TUNED: Variant = { table: 'vrrp_fw', globals: ['nftables vrrp_fw', 'nftables_priority -150', 'nftables_counters'], byName: true };

/** Three instances: v2 IPv4 with no_accept, v2 IPv4 with accept, v3 IPv6 (global + link-local) with no_accept. */
function config(priority: number, accept: boolean, v: Variant = DEFAULT): string {
  const mode = accept ? 'accept' : 'no_accept';
  return (
    GLOBAL_DEFS.replace('}', v.globals.map((g) => `  ${g}\n`).join('') + '}') +
    instanceConf({ name: 'V4_DROP', vrid: 51, priority, vips: [`${V4_DROP}/24`, '192.0.2.101/24'], extra: [mode] }) +
    instanceConf({ name: 'V4_OPEN', vrid: 52, priority, vips: [`${V4_OPEN}/24`], extra: ['accept'] }) +
    instanceConf({ name: 'V6_DROP', vrid: 53, priority, vips: [`${V6_DROP}/64`, `${V6_LL}/64`], extra: ['version 3', mode, ...(v.byName ? ['dont_track_primary'] : [])] })
  );
}

const FOREIGN = [
  'table inet foreign {',
  '  set blocked {',
  '    type ipv4_addr',
  '    elements = { 198.51.100.7 }',
  '  }',
  '  chain input {',
  '    type filter hook input priority 0; policy accept;',
  '    ip saddr @blocked drop',
  '  }',
  '}',
  'table ip keepalived_not {',
  '  chain c {',
  '    counter',
  '  }',
  '}',
  '',
].join('\n');

type Json = Record<string, unknown>;

/** The ruleset as JSON objects without metainfo, handles and counter values, sorted. */
function ruleset(lab: Lab, host: string): string[] {
  const out = JSON.parse(lab.exec(host, ['nft', '-j', 'list', 'ruleset'])) as { nftables: Json[] };
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const o: Json = {};
      for (const [k, x] of Object.entries(v as Json)) {
        if (k === 'handle') continue;
        o[k] = k === 'counter' ? {} : strip(x);
      }
      return o;
    }
    return v;
  };
  return out.nftables
    .filter((o) => !('metainfo' in o))
    .map((o) => JSON.stringify(strip(o)))
    .sort();
}

const ours = (r: readonly string[], table: string) => r.filter((o) => o.includes(`"table":"${table}"`) || o.includes(`"name":"${table}"`));
const setElems = (r: readonly string[], family: string, set: string, table = 'keepalived'): unknown[] => {
  const o = r.map((x) => JSON.parse(x) as Json).find((x) => {
    const s = x.set as Json | undefined;
    return s && s.family === family && s.name === set && s.table === table;
  });
  return ((o?.set as Json | undefined)?.elem as unknown[] | undefined) ?? [];
};

function pings(lab: Lab, from: string, addr: string): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', lab.host(from).netns, 'ping', '-n', '-c', '2', '-i', '0.3', '-W', '1', addr], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Phases {
  master: string[];
  pingDrop: boolean;
  pingOpen: boolean;
  ping6Drop: boolean;
  backup: string[];
  stopped: string[];
}

/** One daemon (keepalived or ours) on host a through master, backup (a priority-200 node on h) and stop. */
async function run(f: NetnsFixture, start: (host: string, conf: string) => PeerProcess, v: Variant = DEFAULT): Promise<Phases> {
  const { lab } = f;
  const ll = v.byName ? 'vips_link_local_name' : 'vips_link_local';
  const d = start('a', config(100, false, v));
  for (const i of ['V4_DROP', 'V4_OPEN', 'V6_DROP']) await d.waitFor(new RegExp(`\\(${i}\\) Entering MASTER STATE`), 20_000);
  // The set elements follow the state change (a separate transaction): wait for them.
  await waitUntil('drop set filled', () => setElems(ruleset(lab, 'a'), 'ip', 'vips', v.table).length === 2 && setElems(ruleset(lab, 'a'), 'ip6', ll, v.table).length === 1, 5000, 50);
  await sleep(500);
  const master = ruleset(lab, 'a');
  const pingDrop = pings(lab, 'p', V4_DROP);
  const pingOpen = pings(lab, 'p', V4_OPEN);
  const ping6Drop = pings(lab, 'p', V6_DROP);

  const h = f.daemon('h', config(200, true, v));
  // h preempts (priority 200): every instance on a falls back to backup and drops its VIPs.
  await waitUntil('VIPs moved to h', () => [V4_DROP, V4_OPEN, V6_DROP].every((v) => hasVip(lab, 'h', v) && !hasVip(lab, 'a', v)), 20_000, 50);
  await waitUntil('drop sets emptied', () => {
    const r = ruleset(lab, 'a');
    return setElems(r, 'ip', 'vips', v.table).length === 0 && setElems(r, 'ip6', 'vips', v.table).length === 0 && setElems(r, 'ip6', ll, v.table).length === 0;
  }, 5000, 50);
  await sleep(500);
  const backup = ruleset(lab, 'a');

  d.signal('SIGTERM');
  await d.exited();
  const stopped = ruleset(lab, 'a');
  h.signal('SIGTERM');
  await h.exited();
  return { master, pingDrop, pingOpen, ping6Drop, backup, stopped };
}

describe('no_accept: nftables drop rules beside keepalived 2.2.7', () => {
  labIt('same table, sets and elements as keepalived while master, after backup, after stop; foreign tables untouched', 150_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: ['192.0.2.11/24', '2001:db8::11/64'], h: ['192.0.2.12/24', '2001:db8::12/64'], p: ['192.0.2.9/24', '2001:db8::9/64'] });
    lab.exec('a', ['nft', '-f', '-'], FOREIGN);
    const foreign = ruleset(lab, 'a');
    expect(foreign.length).toBeGreaterThan(0);

    const k = await run(f, (host, conf) => f.keepalived(host, conf));
    expect(ruleset(lab, 'a')).toEqual(foreign);
    const o = await run(f, (host, conf) => f.daemon(host, conf));

    // keepalived's behaviour, as this test relies on it (it fails here if keepalived changed):
    // the master with no_accept does not answer for its VIPs, the one with accept does.
    expect(k.pingDrop).toBe(false);
    expect(k.pingOpen).toBe(true);
    expect(k.ping6Drop).toBe(false);
    expect(setElems(k.master, 'ip', 'vips')).toHaveLength(2);
    expect(setElems(k.backup, 'ip', 'vips')).toHaveLength(0);
    // Ours: the same answers and the same ruleset at every step.
    expect({ drop: o.pingDrop, open: o.pingOpen, drop6: o.ping6Drop }).toEqual({ drop: k.pingDrop, open: k.pingOpen, drop6: k.ping6Drop });
    expect(o.master).toEqual(k.master);
    expect(o.backup).toEqual(k.backup);
    expect(o.stopped).toEqual(k.stopped);
    // Only our table came and went: the foreign ones are as the test left them.
    expect(o.stopped).toEqual(foreign);
    for (const r of [o.master, o.backup]) expect(r.filter((x) => !ours([x], 'keepalived').length)).toEqual(foreign);
  });

  labIt('nftables NAME, nftables_priority, nftables_counters, dont_track_primary (link-local by name): same ruleset as keepalived', 150_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: ['192.0.2.11/24', '2001:db8::11/64'], h: ['192.0.2.12/24', '2001:db8::12/64'], p: ['192.0.2.9/24', '2001:db8::9/64'] });
    const k = await run(f, (host, conf) => f.keepalived(host, conf), TUNED);
    const o = await run(f, (host, conf) => f.daemon(host, conf), TUNED);
    expect(setElems(k.master, 'ip6', 'vips_link_local_name', 'vrrp_fw')).toHaveLength(1);
    expect(k.master.some((x) => x.includes('"prio":-150'))).toBe(true);
    expect(k.master.some((x) => x.includes('"counter"'))).toBe(true);
    expect(o.master).toEqual(k.master);
    expect(o.backup).toEqual(k.backup);
    expect(o.stopped).toEqual([]);
    expect(k.stopped).toEqual([]);
    expect({ drop: o.pingDrop, open: o.pingOpen, drop6: o.ping6Drop }).toEqual({ drop: k.pingDrop, open: k.pingOpen, drop6: k.ping6Drop });
  });

  labIt("vrrp_iptables (chains named): keepalived's one start-up line, and the same nftables table 'keepalived' ruleset", 150_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: ['192.0.2.11/24', '2001:db8::11/64'], h: ['192.0.2.12/24', '2001:db8::12/64'], p: ['192.0.2.9/24', '2001:db8::9/64'] });
    const started: PeerProcess[] = [];
    const k = await run(f, (host, conf) => (started.push(f.keepalived(host, conf)), started.at(-1)!), IPTABLES);
    const o = await run(f, (host, conf) => (started.push(f.daemon(host, conf)), started.at(-1)!), IPTABLES);
    const [ka, oa] = [started[0]!, started[1]!];
    const said = (n: PeerProcess, re: RegExp) => n.lines.map((l) => re.exec(l)?.[0]).filter((l) => l !== undefined);
    // Our text log line carries its fields after the words (code=...): the words are compared.
    const IPT = /iptables not supported.*?config option/;
    console.log(`[measure] start-up lines: keepalived ${JSON.stringify(ka.lines.find((l) => IPT.test(l)))}, ours ${JSON.stringify(oa.lines.find((l) => IPT.test(l)))}`);
    expect(said(ka, IPT)).toEqual(["iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option"]);
    expect(said(oa, IPT)).toEqual(said(ka, IPT));
    // Both name the config line (line 4: after GLOBAL_DEFS' script_user and nftables mine).
    expect(said(ka, /\(Line \d+\) iptables/)).toEqual(['(Line 4) iptables']);
    expect(said(oa, /\.conf:\d+:\d+: warning\[invalid-value\]: iptables/)).toEqual(['.conf:4:3: warning[invalid-value]: iptables']);
    // A table is named, so neither says "no firewall configured".
    for (const n of [ka, oa]) expect(said(n, /no firewall configured/)).toEqual([]);
    expect(setElems(k.master, 'ip', 'vips')).toHaveLength(2);
    expect(k.master.some((x) => x.includes('"mine"'))).toBe(false);
    expect(o.master).toEqual(k.master);
    expect(o.backup).toEqual(k.backup);
    expect(o.stopped).toEqual(k.stopped);
    expect({ drop: o.pingDrop, open: o.pingOpen, drop6: o.ping6Drop }).toEqual({ drop: k.pingDrop, open: k.pingOpen, drop6: k.ping6Drop });
  });
});

// The accept-mode firewall's transactions (src/kernel/nft-firewall.ts, nft-ruleset.ts) over a
// recording runner: which commands each change sends, that the tables are built once and only
// ours are deleted, and what a failed transaction leaves. The real `nft` applying them, beside
// keepalived's own table, is test/integration/daemon/no-accept.test.ts.
import { describe, expect, it } from 'vitest';
import { NftFirewall, RecordingNftRunner } from '../../../src/kernel/nft-firewall.js';
import type { DropAddress } from '../../../src/kernel/nft-ruleset.js';
import { elementKey } from '../../../src/kernel/nft-netlink.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { build } from '../config/model-helpers.js';

const V4: DropAddress[] = [
  { address: '192.0.2.100', family: 'ip' },
  { address: '192.0.2.101', family: 'ip' },
];
const V6: DropAddress = { address: '2001:db8::100', family: 'ip6' };
const LL: DropAddress = { address: 'fe80::100', family: 'ip6', link: { ifname: 'eth0', byName: false } };
const LL_NAME: DropAddress = { address: 'fe80::200', family: 'ip6', link: { ifname: 'eth0', byName: true } };

function setup(o: { counters?: boolean; table?: string; priority?: number } = {}) {
  const runner = new RecordingNftRunner();
  const { log, records } = memoryLogger('debug');
  const fw = new NftFirewall({ table: o.table ?? 'keepalived', priority: o.priority ?? -1, counters: o.counters ?? false }, runner, log);
  const lines = () => runner.scripts.map((s) => s.trim().split('\n'));
  return { runner, fw, records, lines };
}

describe('NftFirewall', () => {
  it('builds the ip table on the first IPv4 drop (replacing a stale one), then only adds and deletes elements', async () => {
    const { fw, lines } = setup();
    await fw.drop(V4);
    await fw.allow(V4);
    await fw.drop(V4);
    const [first, add, second, third] = lines();
    expect(first).toEqual([
      'add table ip keepalived',
      'delete table ip keepalived',
      'add table ip keepalived',
      'add chain ip keepalived out { type filter hook output priority -1; policy accept; }',
      'add chain ip keepalived in { type filter hook input priority -1; policy accept; }',
      'add set ip keepalived vips { type ipv4_addr; }',
      'add rule ip keepalived in ip daddr @vips drop',
      'add rule ip keepalived out ip saddr @vips drop',
    ]);
    expect(add).toEqual(['add element ip keepalived vips { 192.0.2.100, 192.0.2.101 }']);
    expect(second).toEqual(['delete element ip keepalived vips { 192.0.2.100, 192.0.2.101 }']);
    expect(third).toEqual(['add element ip keepalived vips { 192.0.2.100, 192.0.2.101 }']);
    expect(fw.status()).toMatchObject({ families: ['ip'], dropped: ['192.0.2.100', '192.0.2.101'], transactions: 4, failures: 0 });
  });

  it('IPv6: neighbour discovery accepted, link-local VIPs keyed by interface index or name in their own sets', async () => {
    const { fw, lines } = setup({ priority: 5 });
    await fw.drop([V6, LL]);
    await fw.drop([LL_NAME]);
    const [first, elems, second, elems2] = lines();
    expect(first).toContain('add chain ip6 keepalived in { type filter hook input priority 5; policy accept; }');
    expect(first).toContain('add rule ip6 keepalived in icmpv6 type @neighbor-discovery accept');
    expect(first).toContain('add rule ip6 keepalived in ip6 daddr fe80::/10 goto in_link_local');
    expect(first).toContain('add set ip6 keepalived vips_link_local { type ipv6_addr . iface_index; }');
    expect(first).toContain('add rule ip6 keepalived in_link_local ip6 daddr . iif @vips_link_local drop');
    expect(elems).toEqual([
      'add element ip6 keepalived vips { 2001:db8::100 }',
      'add element ip6 keepalived vips_link_local { fe80::100 . "eth0" }',
    ]);
    // The table exists: only the name-keyed set and its rules are new.
    expect(second).toEqual([
      'add set ip6 keepalived vips_link_local_name { type ipv6_addr . ifname; }',
      'add rule ip6 keepalived in_link_local ip6 daddr . iifname @vips_link_local_name drop',
      'add rule ip6 keepalived out_link_local ip6 saddr . oifname @vips_link_local_name drop',
    ]);
    expect(elems2).toEqual(['add element ip6 keepalived vips_link_local_name { fe80::200 . "eth0" }']);
  });

  it('nftables_counters puts a counter before every verdict', async () => {
    const { fw, lines } = setup({ counters: true });
    await fw.drop([V4[0], V6]);
    const rules = lines()[0].filter((l) => l.startsWith('add rule'));
    expect(rules.length).toBe(8);
    for (const r of rules) expect(r).toMatch(/ counter (drop|accept|goto \w+)$/);
  });

  it('a drop or allow that changes nothing sends nothing; close deletes only the tables it built', async () => {
    const { fw, runner, lines } = setup({ table: 'vrrp' });
    await fw.allow(V4);
    await fw.drop(V4);
    await fw.drop(V4);
    await fw.close();
    await fw.drop(V4);
    expect(runner.scripts).toHaveLength(3);
    expect(lines()[2]).toEqual(['delete table ip vrrp']);
    const empty = setup();
    await empty.fw.close();
    expect(empty.runner.scripts).toEqual([]);
  });

  it('a failed transaction is logged with a count and leaves the addresses out of our books', async () => {
    const { fw, runner, records } = setup();
    runner.failNext = 'Error: Could not process rule: Operation not supported';
    await fw.drop(V4);
    expect(fw.status()).toMatchObject({ families: [], dropped: [], failures: 1 });
    expect(records.some((r) => r.level === 50 && String(r.msg).includes('Operation not supported'))).toBe(true);
    // The next drop tries the whole thing again, table included.
    await fw.drop(V4);
    expect(runner.scripts[1]).toBe(runner.scripts[0]);
    expect(fw.status()).toMatchObject({ families: ['ip'], dropped: ['192.0.2.100', '192.0.2.101'], failures: 1 });
    // A failed element change: the table stays, the elements are not counted as dropped.
    await fw.allow(V4);
    runner.failNext = 'netlink request failed: errno 2';
    await fw.drop(V4);
    expect(fw.status()).toMatchObject({ families: ['ip'], dropped: [], failures: 2 });
  });

  it('element keys: address bytes, then the interface index (u32, host order) or the name (16 bytes)', () => {
    expect([...elementKey(V4[0])]).toEqual([192, 0, 2, 100]);
    const byIndex = elementKey({ address: 'fe80::100', family: 'ip6', link: { ifname: 'eth0', ifindex: 0x0102, byName: false } });
    expect(Buffer.from(byIndex).toString('hex')).toBe('fe800000000000000000000000000100' + '02010000');
    const byName = elementKey(LL_NAME);
    expect(Buffer.from(byName).toString('hex')).toBe('fe800000000000000000000000000200' + Buffer.from('eth0').toString('hex') + '00'.repeat(12));
  });

  it('a table name nft could not read as an identifier is a logged failure, nothing is sent', async () => {
    const { fw, runner, records } = setup({ table: 'bad name' });
    await fw.drop(V4);
    expect(runner.scripts).toEqual([]);
    expect(fw.status()).toMatchObject({ failures: 1, dropped: [] });
    expect(records.some((r) => r.level === 50 && String(r.msg).includes('not an nft identifier'))).toBe(true);
  });
});

describe('global_defs nftables keywords (keepalived 2.2.7 global_parser.c)', () => {
  it('defaults: no table named, priority -1, no ifindex, no counters', () => {
    const g = build('global_defs {\n router_id x\n}\n').model.globalDefs;
    expect([g.nftables, g.nftablesPriority, g.nftablesIfindex, g.nftablesCounters]).toEqual([undefined, -1, false, false]);
  });
  it('nftables alone names "keepalived"; a name, priority, ifindex and counters are read', () => {
    expect(build('global_defs {\n nftables\n}\n').model.globalDefs.nftables).toBe('keepalived');
    const g = build('global_defs {\n nftables vrrp_fw\n nftables_priority -10\n nftables_ifindex\n nftables_counters\n}\n').model.globalDefs;
    expect([g.nftables, g.nftablesPriority, g.nftablesIfindex, g.nftablesCounters]).toEqual(['vrrp_fw', -10, true, true]);
  });
  it("keepalived's words for a second nftables, a name too long and a bad priority", () => {
    const b = build(`global_defs {\n nftables a\n nftables b\n nftables ${'x'.repeat(256)}\n nftables_priority 1.5\n}\n`);
    expect(b.model.globalDefs.nftables).toBe('a');
    expect(b.diags.map((d) => [d.message, d.loc.line])).toEqual([
      ['nftables already specified - ignoring', 3],
      ['nftables already specified - ignoring', 4],
      ["invalid nftables chain priority '1.5'", 5],
    ]);
  });
  it("vrrp_iptables: keepalived's one line, the chains ignored, table 'keepalived' used (replacing an earlier nftables name)", () => {
    const line = "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option";
    const alone = build('global_defs {\n vrrp_iptables IN_CHAIN OUT_CHAIN\n}\n');
    expect([alone.model.globalDefs.nftables, alone.model.globalDefs.nftablesPriority]).toEqual(['keepalived', -1]);
    expect(alone.diags.map((d) => [d.severity, d.message, d.loc.line])).toEqual([['warning', line, 2]]);
    const before = build('global_defs {\n nftables mine\n nftables_priority -5\n vrrp_iptables\n}\n');
    expect([before.model.globalDefs.nftables, before.model.globalDefs.nftablesPriority]).toEqual(['keepalived', -1]);
    const after = build('global_defs {\n vrrp_iptables\n nftables mine\n}\n');
    expect(after.model.globalDefs.nftables).toBe('keepalived');
    expect(after.diags.map((d) => [d.message, d.loc.line])).toEqual([[line, 2], ['nftables already specified - ignoring', 3]]);
  });
  it('vrrp_ipsets is refused as unknown (keepalived without ipset support), pointing at nftables', () => {
    const b = build('global_defs {\n vrrp_ipsets A B\n}\n');
    expect(b.model.globalDefs.nftables).toBeUndefined();
    expect(b.diags.map((d) => [d.code, d.loc.line])).toEqual([['unknown-keyword', 2]]);
    expect(b.diags[0]!.hint).toContain("'nftables'");
  });
  it('a name too long is refused when it is the first', () => {
    const b = build(`global_defs {\n nftables ${'x'.repeat(256)}\n}\n`);
    expect(b.model.globalDefs.nftables).toBeUndefined();
    expect(b.diags.map((d) => d.message)).toEqual(['nftables table name too long - ignoring']);
  });
});

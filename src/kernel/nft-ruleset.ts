// The nftables commands of the accept-mode firewall (no_accept, strict mode), as text for
// `nft -f -`. Pure: the caller runs them (nft-firewall.ts). The layout is the one keepalived
// 2.2.7 builds (vrrp_nftables.c, checked by dumping its table with `nft -j list ruleset`):
//
//   table ip  TABLE                          table ip6 TABLE
//     set vips { ipv4_addr }                   set vips { ipv6_addr }
//     chain out  output hook, priority P        set neighbor-discovery { icmpv6_type, constant:
//       ip saddr @vips drop                         nd-neighbor-solicit, nd-neighbor-advert }
//     chain in   input hook,  priority P        chain out / in (output / input hook, priority P)
//       ip daddr @vips drop                       icmpv6 type @neighbor-discovery accept
//                                                 ip6 [sd]addr fe80::/10 goto out|in_link_local
//                                                 ip6 [sd]addr @vips drop
//                                               chain in_link_local / out_link_local
//                                                 ip6 daddr . iif  @vips_link_local drop
//                                                 (or . iifname @vips_link_local_name)
//
// A family's table is built the first time one of its addresses is dropped; a table of the
// same name left behind (a crash) is replaced in the same transaction. Link-local VIPs are
// keyed by (address, interface): by index, or by name when the instance does not track its
// primary interface and nftables_ifindex is not set (keepalived's rule).

export interface NftOptions {
  /** `nftables [TABLE]`; keepalived's default is "keepalived". */
  readonly table: string;
  /** `nftables_priority`: the base chains' hook priority (keepalived's default -1). */
  readonly priority: number;
  /** `nftables_counters`: a counter in every rule. */
  readonly counters: boolean;
}

export type NftFamily = 'ip' | 'ip6';
/** The parts of the tables built on first use. */
export type NftPart = NftFamily | 'll-index' | 'll-name';

/** One address whose traffic is dropped. */
export interface DropAddress {
  /** Canonical address text (lib/ip.ts). */
  readonly address: string;
  readonly family: NftFamily;
  /** IPv6 link-local only: the interface the address lives on, and how the set keys it. */
  readonly link?: { readonly ifname: string; readonly ifindex?: number; readonly byName: boolean };
}

/** The set an address goes in. */
export function setOf(a: DropAddress): { part: NftPart; set: string } {
  if (a.family === 'ip') return { part: 'ip', set: 'vips' };
  if (!a.link) return { part: 'ip6', set: 'vips' };
  return a.link.byName ? { part: 'll-name', set: 'vips_link_local_name' } : { part: 'll-index', set: 'vips_link_local' };
}

/** The element as nft writes it: `ADDR` or `ADDR . "IF"`. */
export function elementOf(a: DropAddress): string {
  return a.link ? `${a.address} . ${quote(a.link.ifname)}` : a.address;
}

/** A quoted nft string (interface names cannot hold quotes or whitespace; refused all the same). */
function quote(s: string): string {
  if (!/^[^\s"\\]+$/.test(s)) throw new Error(`nftables: interface name ${JSON.stringify(s)} cannot be written`);
  return `"${s}"`;
}

/** The table name checked once (nft identifiers: letters, digits, `_`, `-`, `.`, `/`). */
function table(o: NftOptions): string {
  if (!/^[A-Za-z_][A-Za-z0-9_./-]*$/.test(o.table)) throw new Error(`nftables: table name ${JSON.stringify(o.table)} is not an nft identifier`);
  return o.table;
}

const verdict = (o: NftOptions, v: string) => (o.counters ? `counter ${v}` : v);

/** Commands that build one part (a family's table, or one of the IPv6 link-local sets). */
export function setupCommands(o: NftOptions, part: NftPart): string[] {
  const t = table(o);
  // add + delete + add: a table of that name left from an earlier run goes, atomically.
  const tableAndBaseChains = (fam: NftFamily) => [
    `add table ${fam} ${t}`,
    `delete table ${fam} ${t}`,
    `add table ${fam} ${t}`,
    `add chain ${fam} ${t} out { type filter hook output priority ${o.priority}; policy accept; }`,
    `add chain ${fam} ${t} in { type filter hook input priority ${o.priority}; policy accept; }`,
  ];
  const vipDrops = (fam: NftFamily) => [`add rule ${fam} ${t} in ${fam} daddr @vips ${verdict(o, 'drop')}`, `add rule ${fam} ${t} out ${fam} saddr @vips ${verdict(o, 'drop')}`];
  switch (part) {
    case 'ip':
      return [...tableAndBaseChains('ip'), `add set ip ${t} vips { type ipv4_addr; }`, ...vipDrops('ip')];
    case 'ip6':
      return [
        ...tableAndBaseChains('ip6'),
        `add chain ip6 ${t} in_link_local`,
        `add chain ip6 ${t} out_link_local`,
        `add set ip6 ${t} vips { type ipv6_addr; }`,
        // Neighbour discovery for the VIPs still flows (RFC 4861): the peer must resolve them.
        `add set ip6 ${t} neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }`,
        `add rule ip6 ${t} in icmpv6 type @neighbor-discovery ${verdict(o, 'accept')}`,
        `add rule ip6 ${t} in ip6 daddr fe80::/10 ${verdict(o, 'goto in_link_local')}`,
        `add rule ip6 ${t} out icmpv6 type @neighbor-discovery ${verdict(o, 'accept')}`,
        `add rule ip6 ${t} out ip6 saddr fe80::/10 ${verdict(o, 'goto out_link_local')}`,
        ...vipDrops('ip6'),
      ];
    case 'll-index':
    case 'll-name': {
      const byName = part === 'll-name';
      const set = byName ? 'vips_link_local_name' : 'vips_link_local';
      return [
        `add set ip6 ${t} ${set} { type ipv6_addr . ${byName ? 'ifname' : 'iface_index'}; }`,
        `add rule ip6 ${t} in_link_local ip6 daddr . ${byName ? 'iifname' : 'iif'} @${set} ${verdict(o, 'drop')}`,
        `add rule ip6 ${t} out_link_local ip6 saddr . ${byName ? 'oifname' : 'oif'} @${set} ${verdict(o, 'drop')}`,
      ];
    }
  }
}

/** `add element` / `delete element` commands, one per set touched. */
export function elementCommands(o: NftOptions, op: 'add' | 'delete', addrs: readonly DropAddress[]): string[] {
  const t = table(o);
  const bySet = new Map<string, { family: NftFamily; set: string; elems: string[] }>();
  for (const a of addrs) {
    const { set } = setOf(a);
    const key = `${a.family} ${set}`;
    let e = bySet.get(key);
    if (!e) bySet.set(key, (e = { family: a.family, set, elems: [] }));
    e.elems.push(elementOf(a));
  }
  return [...bySet.values()].map((e) => `${op} element ${e.family} ${t} ${e.set} { ${e.elems.join(', ')} }`);
}

/** Removes the tables built (at stop). */
export function teardownCommands(o: NftOptions, families: Iterable<NftFamily>): string[] {
  const t = table(o);
  return [...families].map((f) => `delete table ${f} ${t}`);
}

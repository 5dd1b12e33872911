// Smaller blocks: SSL, bfd_instance, garp_group and virtual_server_group entries.
import type { Statement } from '../ast.js';
import type { BfdInstance, GarpGroup, SslConfig, VirtualServerGroup, VirtualServerGroupEntry } from '../model.js';
import { ipToBigInt, parseInteger, parseIp, parseIpPrefix, parseIpv4, parseIpv6, formatIpv6 } from '../values.js';
import { stored, str, timer, type BuildCtx, type KeywordTable } from './table.js';

export const sslTable: KeywordTable<SslConfig> = {
  password: str('password'),
  ca: str('ca'),
  certificate: str('certificate'),
  key: str('key'),
};

type B = BfdInstance;
const bfdIp = (field: 'neighborIp' | 'sourceIp') => ({
  minArgs: 1,
  handle: (s: Statement, b: B, ctx: BuildCtx) => {
    const ip = parseIp(s.args[0].text);
    if (ip) b[field] = ip;
    else ctx.sink.error('invalid-address', `(${b.name}) invalid ${s.keyword} '${s.args[0].text}'`, s.loc, { text: s.args[0].text });
  },
});

export const bfdInstanceTable: KeywordTable<B> = {
  neighbor_ip: bfdIp('neighborIp'),
  neighbour_ip: bfdIp('neighborIp'),
  source_ip: bfdIp('sourceIp'),
  min_rx: stored(1),
  min_tx: stored(1),
  idle_tx: stored(1),
  multiplier: stored(1),
  passive: stored(),
  ttl: stored(1),
  hoplimit: stored(1),
  max_hops: stored(1),
  vrrp: stored(),
  checker: stored(),
  weight: stored(1),
};

export const garpGroupTable: KeywordTable<GarpGroup> = {
  garp_interval: timer('garpInterval', 0, 4294),
  gna_interval: timer('gnaInterval', 0, 4294),
  interface: { minArgs: 1, handle: (s, g) => g.interfaces.push(s.args[0].text) },
  interfaces: {
    minArgs: 0,
    block: 'required',
    handle: (s, g) => {
      for (const l of s.block ?? []) g.interfaces.push(l.keyword);
    },
  },
};

/**
 * One virtual_server_group line: `IP [PORT]`, `IP-LASTOCTET [PORT]` (IPv6: last group),
 * `IP1-IP2 [PORT]` (2.2.7 accepts only a last-part range), `CIDR [PORT]`, `fwmark N`.
 */
export function parseVsgEntry(line: Statement, ctx: BuildCtx): VirtualServerGroupEntry | undefined {
  const words = [line.keyword, ...line.args.map((a) => a.text)];
  const bad = (why: string) => {
    ctx.sink.error('invalid-address', `virtual_server_group entry '${words.join(' ')}': ${why}`, line.loc, { text: words[0] });
    return undefined;
  };
  if (words[0] === 'fwmark') {
    const n = words[1] === undefined ? undefined : parseInteger(words[1], 1, 4294967295, { sink: ctx.sink, loc: line.loc });
    if (n === undefined) return words[1] === undefined ? bad('fwmark without a value') : undefined;
    const fam = words[2] === 'inet' || words[2] === 'inet6' ? words[2] : undefined;
    return { kind: 'fwmark', fwmark: n, ...(fam ? { family: fam } : {}), loc: line.loc };
  }
  let port: number | undefined;
  if (words[1] !== undefined) {
    port = parseInteger(words[1], 0, 65535, { sink: ctx.sink, loc: line.loc });
    if (port === undefined) return undefined;
  }
  const text = words[0];
  const dash = text.indexOf('-');
  if (dash > 0) {
    const first = parseIp(text.slice(0, dash));
    if (!first) return bad('invalid address');
    const lastPart = text.slice(dash + 1);
    let last;
    // IP1-IP2 with the end written in full (keepalived 2.2.7 takes it, same family), else the
    // last octet (IPv4) or last group (IPv6).
    const full = lastPart.includes('.') || lastPart.includes(':') ? parseIp(lastPart) : undefined;
    if (full) {
      if (full.family !== first.family) return bad('invalid range end');
      last = full;
    } else if (first.family === 'inet') {
      const o = parseIpv4(first.address) as number[];
      const n = /^\d{1,3}$/.test(lastPart) ? Number(lastPart) : NaN;
      if (!(n >= o[3] && n <= 255)) return bad('invalid range end');
      last = { family: 'inet' as const, address: [o[0], o[1], o[2], n].join('.') };
    } else {
      const g = parseIpv6(first.address) as number[];
      const n = /^[0-9a-fA-F]{1,4}$/.test(lastPart) ? parseInt(lastPart, 16) : NaN;
      if (!(n >= g[7])) return bad('invalid range end');
      last = { family: 'inet6' as const, address: formatIpv6([...g.slice(0, 7), n]) };
    }
    if (ipToBigInt(last) < ipToBigInt(first)) return bad('range end before start');
    return { kind: 'range', ip: first, last, ...(port !== undefined ? { port } : {}), loc: line.loc };
  }
  const pfx = parseIpPrefix(text);
  if (!pfx) return bad('invalid address');
  if (pfx.prefixWritten) {
    const bits = pfx.family === 'inet' ? 32 : 128;
    const host = (1n << BigInt(bits - pfx.prefixLen)) - 1n;
    const base = ipToBigInt(pfx) & ~host;
    const toIp = (v: bigint) =>
      pfx.family === 'inet'
        ? { family: 'inet' as const, address: [24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 255n)).join('.') }
        : { family: 'inet6' as const, address: formatIpv6([...Array(8).keys()].map((i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn))) };
    return { kind: 'range', ip: toIp(base), last: toIp(base | host), ...(port !== undefined ? { port } : {}), loc: line.loc };
  }
  return { kind: 'address', ip: { family: pfx.family, address: pfx.address }, ...(port !== undefined ? { port } : {}), loc: line.loc };
}

export function parseVsg(name: string, s: Statement, ctx: BuildCtx): VirtualServerGroup {
  const g: VirtualServerGroup = { name, loc: s.loc, entries: [] };
  for (const line of s.block ?? []) {
    const e = parseVsgEntry(line, ctx);
    if (e) g.entries.push(e);
  }
  return g;
}

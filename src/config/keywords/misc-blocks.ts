// Smaller blocks: SSL, bfd_instance, garp_group and virtual_server_group entries.
import type { Statement } from '../ast.js';
import type { BfdInstance, GarpGroup, SslConfig, VirtualServerGroup, VirtualServerGroupEntry } from '../model.js';
import { IpAddress, LENIENT_V4, parseIp as parseIpBytes, type Family } from '../../lib/ip.js';
import { parseInteger, parseIp, parseIpPrefix } from '../values.js';

/** `v` as an address of `family` (the bounds of a prefix). */
function addressOf(v: bigint, family: Family): IpAddress {
  const b = new Uint8Array(family === 'inet' ? 4 : 16);
  for (let i = b.length - 1; i >= 0; i--, v >>= 8n) b[i] = Number(v & 255n);
  return IpAddress.fromBytes(b);
}
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
    const start = parseIpBytes(text.slice(0, dash), LENIENT_V4);
    if (!start) return bad('invalid address');
    const first = IpAddress.fromBytes(start.bytes);
    const lastPart = text.slice(dash + 1);
    // IP1-IP2 with the end written in full (keepalived 2.2.7 takes it, same family), else the
    // range end replaces the last part: the last octet (IPv4) or the last group (IPv6).
    const full = lastPart.includes('.') || lastPart.includes(':') ? parseIpBytes(lastPart, LENIENT_V4) : undefined;
    const end = Uint8Array.from(start.bytes);
    if (full) {
      if (full.family !== start.family) return bad('invalid range end');
      end.set(full.bytes);
    } else if (start.family === 'inet') {
      const n = /^\d{1,3}$/.test(lastPart) ? Number(lastPart) : NaN;
      if (!(n >= end[3] && n <= 255)) return bad('invalid range end');
      end[3] = n;
    } else {
      const n = /^[0-9a-fA-F]{1,4}$/.test(lastPart) ? parseInt(lastPart, 16) : NaN;
      if (!(n >= ((end[14] << 8) | end[15]))) return bad('invalid range end');
      end[14] = n >> 8;
      end[15] = n & 0xff;
    }
    const last = IpAddress.fromBytes(end);
    if (last.compare(first) < 0) return bad('range end before start');
    return { kind: 'range', ip: first, last, ...(port !== undefined ? { port } : {}), loc: line.loc };
  }
  const pfx = parseIpPrefix(text);
  if (!pfx) return bad('invalid address');
  if (pfx.prefixWritten) {
    const bits = pfx.family === 'inet' ? 32 : 128;
    const host = (1n << BigInt(bits - pfx.prefixLen)) - 1n;
    const base = pfx.address.toBigInt() & ~host;
    const toIp = (v: bigint) => addressOf(v, pfx.family);
    return { kind: 'range', ip: toIp(base), last: toIp(base | host), ...(port !== undefined ? { port } : {}), loc: line.loc };
  }
  return { kind: 'address', ip: pfx.address, ...(port !== undefined ? { port } : {}), loc: line.loc };
}

export function parseVsg(name: string, s: Statement, ctx: BuildCtx): VirtualServerGroup {
  const g: VirtualServerGroup = { name, loc: s.loc, entries: [] };
  for (const line of s.block ?? []) {
    const e = parseVsgEntry(line, ctx);
    if (e) g.entries.push(e);
  }
  return g;
}

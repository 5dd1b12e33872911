// The list blocks of VRRP configuration: virtual_ipaddress / static_ipaddress entries,
// virtual_routes / virtual_rules / static_routes / static_rules lines, unicast_peer, and the
// `track_* { NAME [weight W [reverse|noreverse]] }` lists. In these blocks each line is data,
// not a keyword, so the parser's `keyword` is the first word of the entry.
import type { Statement } from '../ast.js';
import type { RouteEntry, TrackRef, UnicastPeer, VipEntry } from '../model.js';
import { parseInteger, parseIp, parseIpPrefix } from '../values.js';
import type { BuildCtx } from './table.js';

const VIP_VALUE_OPTS = new Set(['brd', 'broadcast', 'dev', 'scope', 'label', 'peer', 'preferred_lft']);
const VIP_FLAG_OPTS = new Set([
  'home',
  '-nodad',
  'nodad',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'no_track',
  'use_vmac',
]);

/** One VIP line: ADDR[/LEN] [brd X] [dev IF] [scope S] [label L] [peer P] [flags...]. */
export function parseVip(line: Statement, ctx: BuildCtx, what = 'VRRP'): VipEntry | undefined {
  const words = [line.keyword, ...line.args.map((a) => a.text)];
  const ip = parseIpPrefix(words[0], { sink: ctx.sink, loc: line.loc });
  if (!ip) {
    ctx.sink.error('invalid-address', `${what} parsed invalid IP ${words[0]}. skipping IP...`, line.loc, {
      text: words[0],
    });
    return undefined;
  }
  const vip: { -readonly [K in keyof VipEntry]: VipEntry[K] } = { ip, noTrack: false, options: [], loc: line.loc };
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (VIP_VALUE_OPTS.has(w)) {
      const v = words[i + 1];
      if (v === undefined) {
        ctx.sink.error('missing-parameter', `address option '${w}' is missing a value`, line.loc, { text: w });
        break;
      }
      i++;
      if (w === 'dev') vip.dev = v;
      else if (w === 'brd' || w === 'broadcast') vip.brd = v;
      else if (w === 'scope') vip.scope = v;
      else if (w === 'label') vip.label = v;
      else if (w === 'peer') vip.peer = v;
      else vip.options = [...vip.options, w, v];
    } else if (VIP_FLAG_OPTS.has(w)) {
      if (w === 'no_track') vip.noTrack = true;
      else vip.options = [...vip.options, w];
    } else {
      ctx.sink.error('invalid-value', `Unknown configuration entry '${w}' for ip address - ignoring`, line.loc, {
        text: w,
      });
    }
  }
  return vip;
}

export function parseVipBlock(s: Statement, ctx: BuildCtx, what = 'VRRP'): VipEntry[] {
  const out: VipEntry[] = [];
  for (const line of s.block ?? []) {
    const v = parseVip(line, ctx, what);
    if (v) out.push(v);
  }
  return out;
}

/** Route / rule lines are kept as words; the kernel layer interprets `ip route` syntax. */
export function parseRouteBlock(s: Statement): RouteEntry[] {
  return (s.block ?? []).map((l) => ({ words: [l.keyword, ...l.args.map((a) => a.text)], loc: l.loc }));
}

/** unicast_peer { IP [min_ttl N] [max_ttl N] ... } */
export function parseUnicastPeers(s: Statement, ctx: BuildCtx): UnicastPeer[] {
  const out: UnicastPeer[] = [];
  for (const line of s.block ?? []) {
    const ip = parseIp(line.keyword);
    if (!ip) {
      ctx.sink.error('invalid-address', `Invalid unicast peer address '${line.keyword}' - ignoring`, line.loc, {
        text: line.keyword,
      });
      continue;
    }
    const peer: { -readonly [K in keyof UnicastPeer]: UnicastPeer[K] } = { ip, loc: line.loc };
    const a = line.args;
    for (let i = 0; i < a.length; i++) {
      const w = a[i].text;
      if ((w === 'min_ttl' || w === 'max_ttl') && a[i + 1]) {
        const n = parseInteger(a[i + 1].text, 0, 255, { sink: ctx.sink, loc: a[i + 1].loc });
        if (n !== undefined) {
          if (w === 'min_ttl') peer.minTtl = n;
          else peer.maxTtl = n;
        }
        i++;
      } else {
        ctx.sink.error('invalid-value', `Unknown unicast_peer option '${w}' - ignoring`, a[i].loc, { text: w });
      }
    }
    out.push(peer);
  }
  return out;
}

/** track_script/track_interface/track_file/track_process/track_bfd list entries. */
export function parseTrackList(s: Statement, ctx: BuildCtx, min: number, max: number): TrackRef[] {
  const out: TrackRef[] = [];
  for (const line of s.block ?? []) {
    const a = line.args;
    let weight: number | undefined;
    let reverse = false;
    let ok = true;
    for (let i = 0; i < a.length; i++) {
      const w = a[i].text;
      if (w === 'weight') {
        const v = a[i + 1];
        if (!v) {
          ctx.sink.error('missing-parameter', `${s.keyword} ${line.keyword}: weight without a value`, line.loc);
          ok = false;
          break;
        }
        const n = parseInteger(v.text, min, max, { sink: ctx.sink, loc: v.loc });
        if (n === undefined) {
          ok = false;
          break;
        }
        weight = n;
        i++;
      } else if (w === 'reverse') reverse = true;
      else if (w === 'noreverse') reverse = false;
      else {
        ctx.sink.error('invalid-value', `${s.keyword} ${line.keyword}: unknown option '${w}'`, a[i].loc, { text: w });
      }
    }
    if (!ok) continue;
    out.push({ name: line.keyword, ...(weight !== undefined ? { weight } : {}), reverse, loc: line.loc });
  }
  return out;
}

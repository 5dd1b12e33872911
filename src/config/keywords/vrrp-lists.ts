// The list blocks of VRRP configuration: virtual_ipaddress / static_ipaddress entries,
// virtual_routes / virtual_rules / static_routes / static_rules lines, unicast_peer, and the
// `track_* { NAME [weight W [reverse|noreverse]] }` lists. In these blocks each line is data,
// not a keyword, so the parser's `keyword` is the first word of the entry.
import type { Statement } from '../ast.js';
import type { RouteEntry, TrackRef, UnicastPeer, VipEntry } from '../model.js';
import { parseInteger, parseIp, parseIpPrefix } from '../values.js';
import { KEEPALIVED_WORDING, type BuildCtx } from './table.js';

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
export function parseRouteBlock(s: Statement, ctx?: BuildCtx): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const l of s.block ?? []) {
    const words = [l.keyword, ...l.args.map((a) => a.text)];
    if (ctx && !checkRoute(words, l, ctx)) continue;
    out.push({ words, loc: l.loc });
  }
  return out;
}

const ROUTE_TYPES = new Set(['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'multicast', 'anycast', 'nat']);

/** The destination must be an address; `gw`/`or` are old spellings keepalived warns about. */
function checkRoute(words: string[], l: Statement, ctx: BuildCtx): boolean {
  let i = 0;
  if (words[i] === 'src') i += 2;
  if (ROUTE_TYPES.has(words[i])) i++;
  const dest = words[i];
  if (dest === undefined || (dest !== 'default' && !parseIpPrefix(dest))) {
    ctx.sink.error('invalid-address', `VRRP parsed invalid IP ${dest ?? ''}. skipping IP...`, l.loc, { text: dest ?? '' });
    return false;
  }
  if (words.includes('or')) {
    ctx.sink.warning('deprecated-keyword', '"or" for routes is deprecated. Please use "nexthop"', l.loc, { text: 'or' });
  }
  if (words.includes('gw')) {
    ctx.sink.warning('deprecated-keyword', '"gw" for routes is deprecated. Please use "via"', l.loc, { text: 'gw' });
  }
  return true;
}

const RULE_PREFERENCES = new WeakMap<object, number>();

/** The preference keepalived gives the next rule written without one: 16384, 16383, ... per config. */
function nextDefaultRulePreference(ctx: BuildCtx): number {
  const n = RULE_PREFERENCES.get(ctx.sink) ?? 0x4000;
  RULE_PREFERENCES.set(ctx.sink, n - 1);
  return n;
}

/** Rule lines: `from`/`to` addresses must parse; a rule without a preference gets a warning. */
export function parseRuleBlock(s: Statement, ctx: BuildCtx): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const l of s.block ?? []) {
    const words = [l.keyword, ...l.args.map((a) => a.text)];
    let ok = true;
    for (let i = 0; i < words.length; i++) {
      if ((words[i] === 'from' || words[i] === 'to') && words[i + 1] !== undefined && words[i + 1] !== 'all') {
        if (!parseIpPrefix(words[i + 1])) {
          ctx.sink.error('invalid-address', `Invalid rule ${words[i]} address ${words[i + 1]}`, l.loc, { text: words[i + 1] });
          // keepalived follows with its generic address line; kept so greps for it still match.
          ctx.sink.info(KEEPALIVED_WORDING, `VRRP parsed invalid IP ${words[i + 1]}. skipping IP...`, l.loc, { text: words[i + 1] });
          ok = false;
        }
        i++;
      }
    }
    if (!ok) continue;
    if (!words.some((w) => w === 'preference' || w === 'priority' || w === 'order' || w === 'pref' || w === 'prio')) {
      // keepalived numbers such rules from 16384 down, across the whole config, in file order.
      const pref = nextDefaultRulePreference(ctx);
      ctx.sink.warning('rule-no-preference', `Rule has no preference specified - setting to ${pref}. This is probably not what you want.`, l.loc);
    }
    out.push({ words, loc: l.loc });
  }
  return out;
}

/** unicast_peer { IP [min_ttl N] [max_ttl N] ... } */
export function parseUnicastPeers(s: Statement, ctx: BuildCtx, instance = ''): UnicastPeer[] {
  const out: UnicastPeer[] = [];
  for (const line of s.block ?? []) {
    const ip = parseIp(line.keyword);
    if (!ip) {
      ctx.sink.error('invalid-address', `Configuration error: VRRP instance[${instance}] malformed unicast peer address[${line.keyword}]. Skipping...`, line.loc, {
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

/**
 * track_script/track_interface/track_file/track_process/track_bfd list entries. keepalived reads
 * weights in [-254, 254]; where the limit is 253, +/-254 is clamped (`clamp`: scripts, bfd) or the
 * entry ignored (`ignore`: interfaces).
 */
/** keepalived's own sentence after the generic range line, per tracker block (observed with keepalived -t). */
const TRACK_WEIGHT_WORDING: Readonly<Record<string, (owner: string, name: string, weight: string) => string>> = {
  track_script: (o, n) => `(${o}) track script ${n}: weight must be between [-253..253] inclusive, ignoring...`,
  track_interface: (o, n, w) => `(${o}) weight ${w} for ${n} must be between [-253..253] inclusive. Ignoring...`,
  track_process: (o, n) => `(${o}) weight for track process ${n} must be in [-254..254] inclusive. Ignoring...`,
};

/** `owner`: the vrrp_instance or sync group the block is in, for keepalived's sentences. */
export function parseTrackList(s: Statement, ctx: BuildCtx, over: 'clamp' | 'ignore' | 'allow254' = 'allow254', owner = ''): TrackRef[] {
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
        const before = ctx.sink.items.length;
        let n = parseInteger(v.text, -254, 254, { sink: ctx.sink, loc: v.loc });
        const wording = TRACK_WEIGHT_WORDING[s.keyword];
        if (n === undefined && wording && ctx.sink.items.slice(before).some((d) => d.code === 'value-out-of-range')) {
          ctx.sink.info(KEEPALIVED_WORDING, wording(owner, line.keyword, v.text), v.loc, { text: v.text });
        }
        if (n !== undefined && Math.abs(n) === 254 && over === 'clamp') {
          ctx.sink.warning('value-out-of-range', `weight for ${line.keyword} cannot be +/-254. Setting to +/-253`, v.loc, { text: v.text });
          n = Math.sign(n) * 253;
        } else if (n !== undefined && Math.abs(n) === 254 && over === 'ignore') {
          ctx.sink.error('value-out-of-range', `${owner ? `(${owner}) ` : ''}weight ${n} for ${line.keyword} must be between [-253..253] inclusive. Ignoring...`, v.loc, { text: v.text });
          n = undefined;
        }
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

// The list blocks of VRRP configuration: virtual_ipaddress / static_ipaddress entries,
// unicast_peer, and the `track_* { NAME [weight W [reverse|noreverse]] }` lists. In these blocks each line is data,
// not a keyword, so the parser's `keyword` is the first word of the entry.
import type { Statement } from '../ast.js';
import type { TrackRef, UnicastPeer, VipEntry } from '../model.js';
import { rtScope } from '../rt-names.js';
import { parseInteger, parseIp, parseIpPrefix, type IpFamily } from '../values.js';
import { LENIENT_V4, parseIpv4 } from '../../lib/ip.js';
import { KEEPALIVED_WORDING, type BuildCtx } from './table.js';

/** VIP options that take a value (a missing value drops the address, as in keepalived). */
const VIP_VALUE_OPTS = new Set(['dev', 'scope', 'broadcast', 'brd', 'label', 'peer', 'preferred_lft', 'track_group']);
/** IFNAMSIZ - 1. */
const MAX_LABEL = 15;

type Draft<T> = { -readonly [K in keyof T]: T[K] };

/**
 * One VIP line: ADDR[/LEN] [dev IF] [scope S] [brd X|+|-] [label L] [peer P] [flags...], with
 * keepalived's checks and sentences (vrrp_ipaddress.c alloc_ipaddress): a problem that makes
 * keepalived drop the address is an error and drops it here; one it ignores is a warning.
 * `kind`: static_ipaddress takes track_group, virtual addresses take use_vmac.
 */
export function parseVip(line: Statement, ctx: BuildCtx, what = 'VRRP', kind: 'virtual' | 'static' = 'virtual'): VipEntry | undefined {
  const words = [line.keyword, ...line.args.map((a) => a.text)];
  const at = (i: number) => (i === 0 ? line.loc : (line.args[i - 1]?.loc ?? line.loc));
  const addr = words[0];
  const ip = parseIpPrefix(addr, { sink: ctx.sink, loc: line.loc });
  if (!ip) {
    ctx.sink.error('invalid-address', `${what} parsed invalid IP ${addr}. skipping IP...`, line.loc, { text: addr });
    return undefined;
  }
  const vip: Draft<VipEntry> = {
    ip, noTrack: false, dad: false, home: false, mngtmpaddr: false, noPrefixRoute: false, autojoin: false, useVmac: false, loc: line.loc,
  };
  const drop = (msg: string, i: number, code = 'invalid-value'): undefined => {
    ctx.sink.error(code, msg, at(i), { text: words[i] ?? '' });
    return undefined;
  };
  let brdWritten = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (VIP_VALUE_OPTS.has(w) && i + 1 >= words.length) {
      return drop(`No ${w} parameter specified for ${addr}`, i, 'missing-parameter');
    }
    const v = words[i + 1];
    switch (w) {
      case 'dev':
        if (vip.dev !== undefined) return drop(`Cannot specify ipaddress device more than once for ${addr}`, i);
        vip.dev = v;
        i++;
        break;
      case 'scope': {
        i++;
        const sc = rtScope(v);
        if (sc === undefined) ctx.sink.warning('invalid-value', `Invalid scope '${v}' specified for ${addr} - ignoring`, at(i), { text: v });
        else vip.scope = sc;
        break;
      }
      case 'broadcast':
      case 'brd':
        if (ip.family === 'inet6') {
          return drop(`VRRP is trying to assign a broadcast ${w} to the IPv6 address ${addr} !!?? WTF... skipping VIP...`, i);
        }
        i++;
        if (v !== '+' && v !== '-' && !parseIpv4(v, LENIENT_V4)) return drop(`VRRP is trying to assign invalid broadcast ${v}. skipping VIP...`, i, 'invalid-address');
        brdWritten = true;
        vip.brd = v;
        break;
      case 'label':
        i++;
        if (v.length > MAX_LABEL) return drop(`Address label ${v} is longer than maximum length ${MAX_LABEL} - removing address`, i);
        vip.label = v;
        break;
      case 'peer': {
        i++;
        if (vip.peer) {
          ctx.sink.warning('invalid-value', `Peer ${v} - another peer has already been specified`, at(i), { text: v });
          break;
        }
        const peer = parseIp(v);
        if (!peer) {
          ctx.sink.error('invalid-address', `Invalid peer address ${v}`, at(i), { text: v });
          ctx.sink.info(KEEPALIVED_WORDING, `VRRP parsed invalid IP ${v}. skipping IP...`, at(i), { text: v });
        } else if (peer.family !== ip.family) {
          ctx.sink.error('family-mismatch', `Peer address ${v} does not match address family`, at(i), { text: v });
        } else {
          if (ip.prefixLen !== maxPrefixOf(ip.family)) {
            ctx.sink.warning('invalid-value', 'Cannot specify address prefix when specifying peer address - ignoring', at(i), { text: v });
          }
          // keepalived gives the address the peer's (host) prefix length.
          vip.ip = { ...ip, prefixLen: maxPrefixOf(ip.family), prefixWritten: false };
          vip.peer = peer;
        }
        break;
      }
      case 'home':
        vip.home = true;
        break;
      case '-nodad':
        vip.dad = true;
        break;
      case 'mngtmpaddr':
        vip.mngtmpaddr = true;
        break;
      case 'noprefixroute':
        vip.noPrefixRoute = true;
        break;
      case 'autojoin':
        vip.autojoin = true;
        break;
      case 'no_track':
        vip.noTrack = true;
        break;
      case 'preferred_lft': {
        i++;
        if (v === 'forever') vip.preferredLft = 'forever';
        else {
          const n = parseInteger(v, 0, 4294967295, { sink: ctx.sink, loc: at(i) });
          if (n === undefined) ctx.sink.info(KEEPALIVED_WORDING, `preferred_lft ${v} is invalid`, at(i), { text: v });
          else vip.preferredLft = n;
        }
        break;
      }
      default:
        if (kind === 'static' && w === 'track_group') {
          i++;
          if (vip.trackGroup !== undefined) {
            ctx.sink.error('invalid-value', `track_group ${v} is a duplicate`, at(i), { text: v });
            i = words.length;
          } else vip.trackGroup = v;
        } else if (kind === 'virtual' && w === 'use_vmac') {
          vip.useVmac = true;
        } else {
          ctx.sink.error('invalid-value', `Unknown configuration entry '${w}' for ip address - ignoring`, at(i), { text: w });
        }
    }
  }
  if (brdWritten && vip.peer) {
    ctx.sink.warning('invalid-value', 'Cannot specify broadcast and peer addresses - ignoring broadcast address', line.loc, { text: vip.brd ?? '' });
    delete vip.brd;
  } else if ((vip.brd === '+' || vip.brd === '-') && vip.ip.prefixLen > 30) {
    ctx.sink.warning('invalid-value', `Address prefix length ${vip.ip.prefixLen} too long for broadcast`, line.loc, { text: vip.brd });
    delete vip.brd;
  }
  if (ip.family === 'inet6') {
    if (vip.scope !== undefined) {
      ctx.sink.warning('invalid-value', `Cannot specify scope for IPv6 addresses (${addr}) - ignoring scope`, line.loc, { text: addr });
      delete vip.scope;
    }
    if (vip.label !== undefined) {
      ctx.sink.warning('invalid-value', `Cannot specify label for IPv6 addresses (${addr}) - ignoring label`, line.loc, { text: addr });
      delete vip.label;
    }
    // keepalived's IPv6 default: a /128 is added deprecated (preferred lifetime 0), others forever.
    vip.preferredLft ??= vip.ip.prefixLen === 128 ? 0 : 'forever';
  }
  return vip;
}

const maxPrefixOf = (f: IpFamily): number => (f === 'inet' ? 32 : 128);

export function parseVipBlock(s: Statement, ctx: BuildCtx, what = 'VRRP', kind: 'virtual' | 'static' = 'virtual'): VipEntry[] {
  const out: VipEntry[] = [];
  for (const line of s.block ?? []) {
    const v = parseVip(line, ctx, what, kind);
    if (v) out.push(v);
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

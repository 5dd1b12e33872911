// virtual_routes / static_routes and virtual_rules / static_rules lines, parsed into typed
// values with keepalived 2.2.7's checks and sentences (vrrp_iproute.c alloc_route,
// vrrp_iprule.c alloc_rule). A line keepalived drops (its `goto err`) is an error and is dropped
// here too; a line it keeps with a complaint is a warning. Options keepalived accepts that this
// daemon does not carry out are kept in `unsupported` and named on an info line, so `-t` shows
// them and the daemon can refuse them by name.
import type { Statement } from '../ast.js';
import type { SourceLoc } from '../../lib/diagnostics.js';
import type { RouteEntry, RuleAction, RuleEntry } from '../model.js';
import { cNumber, rtDsfield, rtProtocol, rtScope, rtTable, rtType } from '../rt-names.js';
import { parseInteger, parseIp, parseIpPrefix, type IpAddr, type IpFamily, type IpPrefix } from '../values.js';
import { KEEPALIVED_WORDING, type BuildCtx } from './table.js';

type Draft<T> = { -readonly [K in keyof T]: T[K] };

/** The words of one list line with the location of each. */
class Line {
  readonly words: string[];
  constructor(readonly stmt: Statement) {
    this.words = [stmt.keyword, ...stmt.args.map((a) => a.text)];
  }
  loc(i: number): SourceLoc {
    return i === 0 ? this.stmt.loc : (this.stmt.args[i - 1]?.loc ?? this.stmt.loc);
  }
}

/** Thrown inside a line parser: the line is dropped (the diagnostic is already out). */
class Dropped extends Error {}

function fail(ctx: BuildCtx, l: Line, i: number, message: string, code = 'invalid-value', generic?: string): never {
  const loc = l.loc(Math.min(i, l.words.length - 1));
  const text = l.words[i] ?? '';
  ctx.sink.error(code, message, loc, { text });
  if (generic !== undefined) ctx.sink.info(KEEPALIVED_WORDING, generic, loc, { text });
  throw new Dropped();
}

/** The value after option `i`; a missing one drops the line. */
function valueOf(ctx: BuildCtx, l: Line, i: number, what: 'route' | 'rule'): string {
  const v = l.words[i + 1];
  if (v === undefined) fail(ctx, l, i, `${what} option '${l.words[i]}' is missing a value`, 'missing-parameter');
  return v;
}

/** `default` / `any` / `all` (family-neutral), `default6`, or ADDR[/LEN] (keepalived parse_route). */
function routeTarget(text: string, ctx: BuildCtx, loc: SourceLoc): { prefix: IpPrefix | 'default'; family?: IpFamily } | undefined {
  if (text === 'default' || text === 'any' || text === 'all') return { prefix: 'default' };
  if (text === 'default6') {
    ctx.sink.info('deprecated-keyword', "'default6' is deprecated - please replace with 'inet6 default'", loc, { text });
    return { prefix: 'default', family: 'inet6' };
  }
  const p = parseIpPrefix(text, { sink: ctx.sink, loc });
  return p ? { prefix: p, family: p.family } : undefined;
}

/** Route options keepalived accepts and this daemon does not apply: the number of values each takes. */
const ROUTE_UNSUPPORTED: Readonly<Record<string, number>> = {
  from: 1, expires: 1, mtu: 1, hoplimit: 1, advmss: 1, rtt: 1, rttvar: 1, reordering: 1, window: 1, cwnd: 1, ssthresh: 1,
  realms: 1, rto_min: 1, initcwnd: 1, initrwnd: 1, features: 1, quickack: 1, congctl: 1, pref: 1, 'ttl-propagate': 1,
  fastopen_no_cookie: 1, add: 0, prepend: 0, append: 0, vrf: 1,
};
/** Of those, the ones that may be followed by `lock` before the value. */
const LOCKABLE = new Set(['mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'cwnd', 'ssthresh', 'rto_min', 'initcwnd', 'initrwnd', 'congctl', 'window']);

/** rtm_protocol of the routes keepalived tracks (RTPROT_KEEPALIVED). */
const RTPROT_KEEPALIVED = 18;

const MIX = 'Cannot mix IPv4 and IPv6 addresses for route';

/** One route line; undefined when keepalived would drop it. */
export function parseRoute(stmt: Statement, ctx: BuildCtx, kind: 'virtual' | 'static' = 'virtual'): RouteEntry | undefined {
  const l = new Line(stmt);
  try {
    return routeOf(l, ctx, kind);
  } catch (e) {
    if (e instanceof Dropped) return undefined;
    throw e;
  }
}

function routeOf(l: Line, ctx: BuildCtx, kind: 'virtual' | 'static'): RouteEntry {
  const w = l.words;
  const r: Draft<Omit<RouteEntry, 'family' | 'dst'>> = { onlink: false, noTrack: false, unsupported: [], loc: l.stmt.loc };
  const unsupported: string[] = [];
  let family: IpFamily | undefined;
  let dst: IpPrefix | 'default' | undefined;
  let dstText = '';
  const setFamily = (f: IpFamily | undefined, i: number, msg = MIX): void => {
    if (f === undefined) return;
    if (family === undefined) family = f;
    else if (family !== f) fail(ctx, l, i, msg, 'family-mismatch');
  };
  const address = (i: number, what: string): IpAddr => {
    const ip = parseIp(w[i]);
    if (!ip) fail(ctx, l, i, `invalid route ${what} address ${w[i]}`, 'invalid-address', `VRRP parsed invalid IP ${w[i]}. skipping IP...`);
    return ip;
  };
  for (let i = 0; i < w.length; i++) {
    const o = w[i];
    switch (o) {
      case 'inet':
      case 'inet6':
        setFamily(o, i, `${o} specified for ${o === 'inet' ? 'IPv6' : 'IPv4'} route`);
        // keepalived steps over the word after `inet`/`inet6` too (`inet6 PREFIX` loses PREFIX).
        i++;
        break;
      case 'src':
        valueOf(ctx, l, i, 'route');
        r.src = address(++i, 'src');
        setFamily(r.src.family, i);
        break;
      case 'via':
      case 'gw': {
        if (o === 'gw') ctx.sink.warning('deprecated-keyword', '"gw" for routes is deprecated. Please use "via"', l.loc(i), { text: o });
        valueOf(ctx, l, i, 'route');
        i++;
        if (w[i] === 'inet' || w[i] === 'inet6') {
          setFamily(w[i] as IpFamily, i);
          valueOf(ctx, l, i, 'route');
          i++;
        }
        r.via = address(i, 'via');
        setFamily(r.via.family, i);
        break;
      }
      case 'tos':
      case 'dsfield': {
        const v = valueOf(ctx, l, i++, 'route');
        const n = rtDsfield(v);
        if (n === undefined) fail(ctx, l, i, `TOS value ${v} is invalid`);
        r.tos = n;
        break;
      }
      case 'table': {
        const v = valueOf(ctx, l, i++, 'route');
        const n = rtTable(v);
        if (n === undefined) fail(ctx, l, i, `Routing table ${v} not found for route`);
        r.table = n;
        break;
      }
      case 'protocol': {
        const v = valueOf(ctx, l, i++, 'route');
        const n = rtProtocol(v);
        if (n === undefined) fail(ctx, l, i, `Protocol ${v} not found or invalid for route`);
        r.protocol = n;
        break;
      }
      case 'scope': {
        const v = valueOf(ctx, l, i++, 'route');
        const sc = rtScope(v);
        if (sc === undefined) fail(ctx, l, i, `Scope ${v} not found or invalid for route`);
        r.scope = sc;
        break;
      }
      case 'metric':
      case 'priority':
      case 'preference': {
        const v = valueOf(ctx, l, i++, 'route');
        const n = parseInteger(v, 0, 4294967295, { sink: ctx.sink, loc: l.loc(i) });
        if (n === undefined) {
          ctx.sink.info(KEEPALIVED_WORDING, `Invalid metric ${v} specified for route`, l.loc(i), { text: v });
          throw new Dropped();
        }
        r.metric = n;
        break;
      }
      case 'dev':
      case 'oif':
        r.dev = valueOf(ctx, l, i++, 'route');
        break;
      case 'onlink':
        r.onlink = true;
        break;
      case 'no_track':
        r.noTrack = true;
        break;
      case 'as': {
        valueOf(ctx, l, i++, 'route');
        if (w[i] === 'to') i++;
        ctx.sink.warning('invalid-value', '"as to" for MPLS only - ignoring', l.loc(i), { text: o });
        break;
      }
      case 'or': {
        ctx.sink.warning('deprecated-keyword', '"or" for routes is deprecated. Please use "nexthop"', l.loc(i), { text: o });
        valueOf(ctx, l, i++, 'route');
        if (!parseIp(w[i])) fail(ctx, l, i, `Invalid "or" address ${w[i]}`, 'invalid-address', `VRRP parsed invalid IP ${w[i]}. skipping IP...`);
        unsupported.push('or');
        break;
      }
      case 'nexthop':
      case 'encap':
        // Multipath and encapsulation take the rest of the line (keepalived parses it further).
        unsupported.push(o);
        i = w.length;
        break;
      default: {
        if (kind === 'static' && o === 'track_group') {
          r.trackGroup = valueOf(ctx, l, i++, 'route');
          break;
        }
        if (Object.prototype.hasOwnProperty.call(ROUTE_UNSUPPORTED, o)) {
          const n = ROUTE_UNSUPPORTED[o];
          if (n > 0) {
            valueOf(ctx, l, i, 'route');
            if (LOCKABLE.has(o) && w[i + 1] === 'lock') {
              i++;
              valueOf(ctx, l, i, 'route');
            }
            i += n;
          }
          unsupported.push(o);
          break;
        }
        // The destination: [to] [TYPE] PREFIX. keepalived tests the type on the word before
        // skipping `to`, so `to blackhole X` reads `blackhole` as the destination.
        if (o === 'to') i++;
        const t = rtType(o);
        if (t !== undefined) {
          if (typeof t === 'number') unsupported.push(`type ${t}`);
          else r.type = t;
          i++;
        }
        const text = w[i];
        if (text === undefined) fail(ctx, l, i - 1, 'Route must have a destination');
        const target = routeTarget(text, ctx, l.loc(i));
        if (!target) fail(ctx, l, i, `unknown route keyword ${text}`, 'invalid-address', `VRRP parsed invalid IP ${text}. skipping IP...`);
        dst = target.prefix;
        dstText = text;
        setFamily(target.family, i, `${MIX} (${text})`);
      }
    }
  }
  if (dst === undefined) fail(ctx, l, 0, 'Route must have a destination');
  // keepalived adds its routes with its own protocol number unless the line names another (and
  // a tracked route always gets its own: that is how it recognises them).
  if (!r.noTrack) {
    if (r.protocol !== undefined && r.protocol !== RTPROT_KEEPALIVED) {
      ctx.sink.warning('invalid-value', `Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(${RTPROT_KEEPALIVED}), resetting protocol`, l.stmt.loc, { text: 'protocol' });
    }
    r.protocol = RTPROT_KEEPALIVED;
    // keepalived follows a route's interface; without `dev` it has none to follow.
    if (r.dev === undefined) {
      ctx.sink.warning('route-not-tracked', `Warning - cannot track route ${dstText} with no interface specified, not tracking`, l.stmt.loc, { text: dstText });
    }
  }
  r.protocol ??= RTPROT_KEEPALIVED;
  if (unsupported.length > 0) {
    ctx.sink.info('unsupported-option', `route option(s) ${unsupported.join(', ')} accepted but not applied by this daemon`, l.stmt.loc, { text: unsupported[0] });
  }
  return { ...r, family: family ?? 'inet', dst, unsupported };
}

export function parseRouteBlock(s: Statement, ctx: BuildCtx, kind: 'virtual' | 'static' = 'virtual'): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const line of s.block ?? []) {
    const r = parseRoute(line, ctx, kind);
    if (r) out.push(r);
  }
  return out;
}

// ------------------------------------------------------------------------------ rules

/** Rule options keepalived accepts and this daemon does not apply: the number of values each takes. */
const RULE_UNSUPPORTED: Readonly<Record<string, number>> = {
  realms: 1, suppress_prefixlength: 1, sup_pl: 1, suppress_ifgroup: 1, sup_group: 1, 'tunnel-id': 1, uidrange: 1,
  l3mdev: 0, protocol: 1, ipproto: 1, sport: 1, dport: 1,
};

const NEXT_PREFERENCE = new WeakMap<object, { inet: number; inet6: number }>();

/** The preference keepalived gives the next rule of `family` written without one: 16384, 16383, ... */
function nextDefaultPreference(ctx: BuildCtx, family: IpFamily): number {
  let n = NEXT_PREFERENCE.get(ctx.sink);
  if (!n) NEXT_PREFERENCE.set(ctx.sink, (n = { inet: 0x4000, inet6: 0x4000 }));
  return n[family]--;
}

/** `N[/MASK]`, each C strtoul base 0 within 32 bits. */
function fwmarkOf(text: string): { value: number; mask?: number } | undefined {
  const [v, m, extra] = text.split('/');
  const value = cNumber(v);
  if (value === undefined || value > 0xffffffff || extra !== undefined) return undefined;
  if (m === undefined) return { value };
  const mask = cNumber(m);
  return mask === undefined || mask > 0xffffffff ? undefined : { value, mask };
}

/** One rule line; undefined when keepalived would drop it. */
export function parseRule(stmt: Statement, ctx: BuildCtx, kind: 'virtual' | 'static' = 'virtual'): RuleEntry | undefined {
  const l = new Line(stmt);
  try {
    return ruleOf(l, ctx, kind);
  } catch (e) {
    if (e instanceof Dropped) return undefined;
    throw e;
  }
}

const MORE_THAN_ONE = 'Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule';

function ruleOf(l: Line, ctx: BuildCtx, kind: 'virtual' | 'static'): RuleEntry {
  const w = l.words;
  const r: Draft<Omit<RuleEntry, 'family' | 'preference' | 'preferenceWritten'>> = { not: false, noTrack: false, unsupported: [], loc: l.stmt.loc };
  const unsupported: string[] = [];
  let family: IpFamily | undefined;
  let preference: number | undefined;
  const setFamily = (f: IpFamily | undefined, i: number, msg: string): void => {
    if (f === undefined) return;
    if (family === undefined) family = f;
    else if (family !== f) fail(ctx, l, i, msg, 'family-mismatch');
  };
  const setAction = (a: RuleAction, i: number, msg = MORE_THAN_ONE): void => {
    if (r.action !== undefined || r.table !== undefined) fail(ctx, l, i, msg);
    r.action = a;
  };
  for (let i = 0; i < w.length; i++) {
    const o = w[i];
    switch (o) {
      case 'inet':
      case 'inet6':
        setFamily(o, i, `${o} specified for ${o === 'inet' ? 'IPv6' : 'IPv4'} rule`);
        // keepalived steps over the word after `inet`/`inet6` too.
        i++;
        break;
      case 'from':
      case 'to': {
        const v = valueOf(ctx, l, i++, 'rule');
        const t = routeTarget(v, ctx, l.loc(i));
        if (!t) fail(ctx, l, i, `Invalid rule ${o} address ${v}`, 'invalid-address', `VRRP parsed invalid IP ${v}. skipping IP...`);
        r[o] = t.prefix === 'default' ? 'all' : t.prefix;
        setFamily(t.family, i, 'rule specification has mixed IPv4 and IPv6');
        break;
      }
      case 'table':
      case 'lookup': {
        const v = valueOf(ctx, l, i++, 'rule');
        const n = rtTable(v);
        if (n === undefined) fail(ctx, l, i, `Routing table ${v} not found for rule`);
        if (n === 0) fail(ctx, l, i, 'Table 0 is not valid');
        if (r.action !== undefined || r.table !== undefined) fail(ctx, l, i, MORE_THAN_ONE);
        r.table = n;
        break;
      }
      case 'not':
        r.not = true;
        break;
      case 'preference':
      case 'order':
      case 'priority': {
        const v = valueOf(ctx, l, i++, 'rule');
        const n = cNumber(v);
        if (n === undefined || n > 0xffffffff) {
          // keepalived's number reader speaks first, then the rule parser (naming the keyword).
          const range = n === undefined ? ['invalid-number', `invalid number '${v}'`] : ['value-out-of-range', `number '${v}' outside range [0, 4294967295]`];
          fail(ctx, l, i, range[1], range[0], `Invalid rule preference ${o} specified`);
        }
        preference = n;
        break;
      }
      case 'tos':
      case 'dsfield': {
        const v = valueOf(ctx, l, i++, 'rule');
        const n = rtDsfield(v);
        if (n === undefined) fail(ctx, l, i, `TOS value ${v} is invalid`);
        r.tos = n;
        break;
      }
      case 'fwmark': {
        const v = valueOf(ctx, l, i++, 'rule');
        const f = fwmarkOf(v);
        if (!f) fail(ctx, l, i, `Invalid rule fwmark ${v} specified`);
        r.fwmark = f;
        break;
      }
      case 'dev':
      case 'iif':
        r.iif = valueOf(ctx, l, i++, 'rule');
        break;
      case 'oif':
        r.oif = valueOf(ctx, l, i++, 'rule');
        break;
      case 'no_track':
        r.noTrack = true;
        break;
      default: {
        if (kind === 'static' && o === 'track_group') {
          r.trackGroup = valueOf(ctx, l, i++, 'rule');
          break;
        }
        if (Object.prototype.hasOwnProperty.call(RULE_UNSUPPORTED, o)) {
          const n = RULE_UNSUPPORTED[o];
          if (n > 0) valueOf(ctx, l, i, 'rule');
          i += n;
          if (o === 'l3mdev') setAction('l3mdev', i, `${MORE_THAN_ONE.replace(' for rule', '/l3mdev for rule')}`);
          unsupported.push(o);
          break;
        }
        let a = o;
        if (a === 'type') a = valueOf(ctx, l, i++, 'rule');
        if (a === 'goto') {
          const v = valueOf(ctx, l, i++, 'rule');
          const n = parseInteger(v, 0, 4294967295, { sink: ctx.sink, loc: l.loc(i) });
          if (n === undefined) {
            ctx.sink.info(KEEPALIVED_WORDING, `Invalid target ${a} specified`, l.loc(i), { text: v });
            throw new Dropped();
          }
          r.gotoTarget = n;
          setAction('goto', i, `${MORE_THAN_ONE.replace(' for rule', '/l3mdev for rule')}`);
        } else if (a === 'nop') {
          setAction('nop', i, `${MORE_THAN_ONE.replace(' for rule', '/l3mdev for rule')}`);
        } else {
          const t = rtType(a);
          if (t === undefined) fail(ctx, l, i, `Unknown rule option ${a}`);
          if (t !== 'blackhole' && t !== 'unreachable' && t !== 'prohibit') fail(ctx, l, i, `Invalid rule action ${a}`);
          setAction(t, i, `${MORE_THAN_ONE.replace(' for rule', '/l3mdev for rule')}`);
        }
      }
    }
  }
  if (r.action === 'goto') {
    if (preference === undefined) fail(ctx, l, 0, `Invalid rule - goto target ${r.gotoTarget} specified without preference`);
    if (preference >= (r.gotoTarget ?? 0)) fail(ctx, l, 0, `Invalid rule - preference ${preference} >= goto target ${r.gotoTarget}`);
  }
  if (r.action === undefined && r.table === undefined) fail(ctx, l, 0, 'No action specified for rule - ignoring');
  const fam = family ?? 'inet';
  const written = preference !== undefined;
  if (preference === undefined) {
    preference = nextDefaultPreference(ctx, fam);
    ctx.sink.warning('rule-no-preference', `Rule has no preference specified - setting to ${preference}. This is probably not what you want.`, l.stmt.loc);
  }
  if (unsupported.length > 0) {
    ctx.sink.info('unsupported-option', `rule option(s) ${unsupported.join(', ')} accepted but not applied by this daemon`, l.stmt.loc, { text: unsupported[0] });
  }
  return { ...r, family: fam, preference, preferenceWritten: written, unsupported };
}

export function parseRuleBlock(s: Statement, ctx: BuildCtx, kind: 'virtual' | 'static' = 'virtual'): RuleEntry[] {
  const out: RuleEntry[] = [];
  for (const line of s.block ?? []) {
    const r = parseRule(line, ctx, kind);
    if (r) out.push(r);
  }
  return out;
}

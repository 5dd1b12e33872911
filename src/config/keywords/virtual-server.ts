// virtual_server IP [PORT] | fwmark N [inet|inet6] | group NAME, and real_server IP [PORT]
// (keepalived check/check_parser.c; defaults check_data.c:alloc_vs / alloc_rs).
import type { Statement } from '../ast.js';
import { seconds } from '../../lib/units.js';
import type { CheckTiming, LbKind, RealServer, VirtualServer, VsTarget } from '../model.js';
import { parseInteger, parseIp, parseTimer } from '../values.js';
import { checkerTables, newChecker } from './checkers.js';
import { scriptFrom } from './script.js';
import { applyBlock, flag, int, stored, str, valueCtx, type BuildCtx, type KeywordDef, type KeywordTable } from './table.js';

export interface VsDraft extends VirtualServer {
  written: Set<string>;
}

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'];

/** Parses the virtual_server header; reports and returns undefined when it is unusable. */
export function parseVsTarget(s: Statement, ctx: BuildCtx): VsTarget | undefined {
  const a = s.args.map((x) => x.text);
  if (a[0] === 'fwmark') {
    const n = a[1] === undefined ? undefined : parseInteger(a[1], 1, 4294967295, valueCtx(s, ctx));
    if (n === undefined) {
      if (a[1] === undefined) ctx.sink.error('missing-parameter', 'virtual_server fwmark is missing its mark', s.loc);
      return undefined;
    }
    const fam = a[2] === 'inet' || a[2] === 'inet6' ? a[2] : undefined;
    return { kind: 'fwmark', fwmark: n, ...(fam ? { family: fam } : {}) };
  }
  if (a[0] === 'group') {
    if (a[1] === undefined) {
      ctx.sink.error('missing-parameter', 'virtual_server group is missing its name', s.loc);
      return undefined;
    }
    return { kind: 'group', group: a[1] };
  }
  const ip = parseIp(a[0]);
  if (!ip) {
    ctx.sink.error('invalid-address', `Invalid virtual server IP address '${a[0]}' - skipping`, s.loc, { text: a[0] });
    return undefined;
  }
  let port = 0;
  if (a[1] !== undefined) {
    const p = parseInteger(a[1], 0, 65535, { sink: ctx.sink, loc: s.args[1].loc });
    if (p === undefined) return undefined;
    port = p;
  }
  return { kind: 'address', ip, port };
}

export function newVirtualServer(target: VsTarget, loc: Statement['loc']): VsDraft {
  return {
    loc,
    target,
    lbAlgo: 'wlc',
    lbKind: 'NAT',
    protocol: 'UDP',
    persistenceTimeout: seconds(0),
    inhibitOnFailure: false,
    omega: false,
    quorum: 1,
    hysteresis: 0,
    sorryServerInhibit: false,
    weight: 1,
    haSuspend: false,
    ops: false,
    schedFlags: [],
    realServers: [],
    other: {},
    written: new Set(),
  };
}

function lbKindOf(s: Statement, ctx: BuildCtx): LbKind | undefined {
  const v = s.args[0].text;
  if (v === 'NAT' || v === 'DR' || v === 'TUN') return v;
  ctx.sink.error('invalid-value', `Invalid lvs_method ${v} - ignoring`, s.args[0].loc, { text: v });
  return undefined;
}

/** delay_loop / connect_timeout / retry / delay_before_retry / warmup / alpha: shared by VS, RS, checkers. */
export function timingKeywords<T extends CheckTiming>(): KeywordTable<T> {
  const t = (field: 'delayLoop' | 'connectTimeout' | 'delayBeforeRetry' | 'warmup', min = 0): KeywordDef<T> => ({
    minArgs: 1,
    handle: (s, x, ctx) => {
      const v = parseTimer(s.args[0].text, valueCtx(s, ctx), min, field === 'connectTimeout' ? 4294.967295 : 18446744073709);
      if (v !== undefined) x[field] = v;
    },
  });
  return {
    delay_loop: t('delayLoop', 0.000001),
    connect_timeout: t('connectTimeout', 0.000001),
    delay_before_retry: t('delayBeforeRetry'),
    warmup: t('warmup'),
    retry: {
      minArgs: 1,
      handle: (s, x, ctx) => {
        const n = parseInteger(s.args[0].text, 1, 4294967295, valueCtx(s, ctx));
        if (n !== undefined) x.retry = n;
      },
    },
    alpha: flag<CheckTiming>('alpha'),
  };
}

const lbAlgo: KeywordDef<VsDraft> = {
  minArgs: 1,
  handle: (s, v, ctx) => {
    const n = s.args[0].text;
    if (!SCHEDULERS.includes(n)) {
      ctx.sink.warning('invalid-value', `unknown IPVS scheduler '${n}' (kernel module ip_vs_${n} must exist)`, s.args[0].loc, { text: n });
    }
    v.lbAlgo = n;
    v.written.add('lb_algo');
  },
};

const lbKind: KeywordDef<VsDraft> = {
  minArgs: 1,
  handle: (s, v, ctx) => {
    const k = lbKindOf(s, ctx);
    if (!k) return;
    v.lbKind = k;
    if (k === 'TUN' && s.args.length > 1) v.tunnel = s.args.slice(1).map((a) => a.text);
    v.written.add('lb_kind');
  },
};

const quorumScript = (field: 'quorumUp' | 'quorumDown'): KeywordDef<VsDraft> => ({
  minArgs: 1,
  handle: (s, v, ctx) => {
    const sc = scriptFrom(s, ctx);
    if (sc) v[field] = sc;
  },
});

const schedFlag: KeywordDef<VsDraft> = { minArgs: 0, handle: (s, v) => v.schedFlags.push(s.keyword) };

export const virtualServerTable: KeywordTable<VsDraft> = {
  ...timingKeywords<VsDraft>(),
  lb_algo: lbAlgo,
  lvs_sched: lbAlgo,
  lb_kind: lbKind,
  lvs_method: lbKind,
  protocol: {
    minArgs: 1,
    handle: (s, v, ctx) => {
      const p = s.args[0].text.toUpperCase();
      if (p === 'TCP' || p === 'UDP' || p === 'SCTP') {
        v.protocol = p;
        v.written.add('protocol');
      } else ctx.sink.error('invalid-value', `unknown protocol ${s.args[0].text} - ignoring`, s.args[0].loc, { text: s.args[0].text });
    },
  },
  persistence_timeout: {
    minArgs: 0,
    handle: (s, v, ctx) => {
      if (!s.args[0]) {
        v.persistenceTimeout = seconds(360); // bare keyword: IPVS default 6 minutes
        return;
      }
      const n = parseInteger(s.args[0].text, 1, 2678400, valueCtx(s, ctx));
      if (n !== undefined) v.persistenceTimeout = seconds(n);
    },
  },
  persistence_granularity: str('persistenceGranularity'),
  persistence_engine: str('persistenceEngine'),
  inhibit_on_failure: flag('inhibitOnFailure'),
  omega: flag('omega'),
  // keepalived: "Quorum 0 must be in [1, 4294967295]. Setting to 1." (1 is also the default)
  quorum: int('quorum', 1, 4294967295),
  hysteresis: int('hysteresis', 0, 4294967295),
  quorum_up: quorumScript('quorumUp'),
  quorum_down: quorumScript('quorumDown'),
  sorry_server: {
    minArgs: 1,
    handle: (s, v, ctx) => {
      const ip = parseIp(s.args[0].text);
      if (!ip) {
        ctx.sink.error('invalid-address', `Invalid sorry_server address '${s.args[0].text}'`, s.loc, { text: s.args[0].text });
        return;
      }
      const port = s.args[1] ? parseInteger(s.args[1].text, 0, 65535, { sink: ctx.sink, loc: s.args[1].loc }) : undefined;
      v.sorryServer = { ip, ...(port !== undefined ? { port } : {}), loc: s.loc };
    },
  },
  sorry_server_inhibit: flag('sorryServerInhibit'),
  sorry_server_lvs_method: {
    minArgs: 1,
    handle: (s, v, ctx) => {
      const k = lbKindOf(s, ctx);
      if (k) v.sorryServerLvsMethod = k;
    },
  },
  weight: int('weight', -2147483648, 2147483647),
  ha_suspend: flag('haSuspend'),
  ip_family: {
    minArgs: 1,
    handle: (s, v, ctx) => {
      const f = s.args[0].text;
      if (f === 'inet' || f === 'inet6') v.ipFamily = f;
      else ctx.sink.error('invalid-value', `unknown ip_family '${f}'`, s.args[0].loc, { text: f });
    },
  },
  smtp_alert: flag('smtpAlert'),
  virtualhost: str('virtualhost'),
  snmp_name: str('snmpName'),
  ops: flag('ops'),
  hashed: stored(),
  'flag-1': schedFlag,
  'flag-2': schedFlag,
  'flag-3': schedFlag,
  'sh-port': schedFlag,
  'sh-fallback': schedFlag,
  'mh-port': schedFlag,
  'mh-fallback': schedFlag,
  real_server: {
    minArgs: 1,
    block: 'required',
    handle: (s, v, ctx) => {
      const ip = parseIp(s.args[0].text);
      if (!ip) {
        ctx.sink.error('invalid-address', `Invalid real server ip address '${s.args[0].text}' - skipping`, s.loc, {
          text: s.args[0].text,
        });
        return;
      }
      const rs: RealServer = { loc: s.loc, ip, weight: v.weight, uthreshold: 0, lthreshold: 0, checkers: [], other: {} };
      if (s.args[1]) {
        // Port 0 is accepted, as keepalived 2.2.7 does (a real server of a port-0 persistent service).
        const p = parseInteger(s.args[1].text, 0, 65535, { sink: ctx.sink, loc: s.args[1].loc });
        // keepalived: "Invalid real server ip address/port ... - skipping" (block not read).
        if (p === undefined) return;
        rs.port = p;
      }
      applyBlock(realServerTable, s.block ?? [], rs, ctx);
      v.realServers.push(rs);
    },
  },
};

const rsNotify = (field: 'notifyUp' | 'notifyDown'): KeywordDef<RealServer> => ({
  minArgs: 1,
  handle: (s, r, ctx) => {
    const sc = scriptFrom(s, ctx);
    if (sc) r[field] = sc;
  },
});

const checkerBlocks: KeywordTable<RealServer> = Object.fromEntries(
  Object.keys(checkerTables).map((kind) => [
    kind,
    {
      minArgs: 0,
      block: 'required',
      handle: (s: Statement, r: RealServer, ctx: BuildCtx) => {
        const c = newChecker(kind as keyof typeof checkerTables, s.loc);
        applyBlock(checkerTables[kind as keyof typeof checkerTables] as KeywordTable<typeof c>, s.block ?? [], c, ctx);
        r.checkers.push(c);
      },
    } satisfies KeywordDef<RealServer>,
  ]),
);

export const realServerTable: KeywordTable<RealServer> = {
  ...timingKeywords<RealServer>(),
  weight: int('weight', 0, 2147483647),
  lvs_method: {
    minArgs: 1,
    handle: (s, r, ctx) => {
      const k = lbKindOf(s, ctx);
      if (!k) return;
      r.lvsMethod = k;
      // A real server's own method replaces the service's, tunnel options included.
      if (k === 'TUN' && s.args.length > 1) r.tunnel = s.args.slice(1).map((a) => a.text);
    },
  },
  notify_up: rsNotify('notifyUp'),
  notify_down: rsNotify('notifyDown'),
  uthreshold: int('uthreshold', 0, 4294967295),
  lthreshold: int('lthreshold', 0, 4294967295),
  inhibit_on_failure: flag('inhibitOnFailure'),
  smtp_alert: flag('smtpAlert'),
  virtualhost: str('virtualhost'),
  snmp_name: str('snmpName'),
  ...checkerBlocks,
};

// Checker blocks inside real_server (keepalived check/check_*.c; common keywords from
// check_api.c). Keyword sets per checker are those keepalived 2.2.7 accepts: e.g.
// `nb_get_retry` is an HTTP_GET/SSL_GET alias of `retry` only (TCP_CHECK reports it unknown).
import type { SourceLoc } from '../../lib/diagnostics.js';
import { parseHexPattern } from '../../lib/hex-pattern.js';
import { ms } from '../../lib/units.js';
import type {
  BfdCheck,
  CheckTiming,
  Checker,
  CheckerKind,
  ConnectOptions,
  DnsCheck,
  FileCheck,
  HttpCheck,
  HttpUrl,
  MiscCheck,
  SmtpCheck,
  TcpCheck,
  UdpCheck,
} from '../model.js';
import { parseInteger, parseIp, parseTimer, TIMER_MAX_SECONDS } from '../values.js';
import { scriptFrom, userGroup } from './script.js';
import { applyBlock, flag, int, str, valueCtx, type KeywordDef, type KeywordTable } from './table.js';

/** Timing keywords written in a checker go to `written`, resolved later by build-model. */
function timingInto<T extends { written: CheckTiming }>(): KeywordTable<T> {
  const t = (field: 'delayLoop' | 'connectTimeout' | 'delayBeforeRetry' | 'warmup', min = 0): KeywordDef<T> => ({
    minArgs: 1,
    handle: (s, x, ctx) => {
      const v = parseTimer(s.args[0].text, valueCtx(s, ctx), min, field === 'connectTimeout' ? 4294.967295 : 18446744073709);
      if (v !== undefined) x.written[field] = v;
    },
  });
  const retry: KeywordDef<T> = {
    minArgs: 1,
    handle: (s, x, ctx) => {
      const n = parseInteger(s.args[0].text, 0, 2147483647, valueCtx(s, ctx));
      if (n !== undefined) x.written.retry = n;
    },
  };
  return {
    delay_loop: t('delayLoop', 0.000001),
    delay_before_retry: t('delayBeforeRetry'),
    warmup: t('warmup'),
    retry,
    alpha: {
      minArgs: 0,
      handle: (s, x, ctx) => {
        const inner = flag<{ v?: boolean }>('v');
        const box: { v?: boolean } = {};
        inner.handle(s, box, ctx);
        if (box.v !== undefined) x.written.alpha = box.v;
      },
    },
  };
}

function connectInto<T extends ConnectOptions & { written: CheckTiming }>(): KeywordTable<T> {
  const ip = (field: 'connectIp' | 'bindto'): KeywordDef<T> => ({
    minArgs: 1,
    handle: (s, x, ctx) => {
      const a = parseIp(s.args[0].text);
      if (a) x[field] = a;
      else ctx.sink.error('invalid-address', `invalid ${s.keyword} address '${s.args[0].text}'`, s.loc, { text: s.args[0].text });
    },
  });
  return {
    connect_ip: ip('connectIp'),
    connect_port: int<ConnectOptions>('connectPort', 1, 65535),
    bindto: ip('bindto'),
    bind_port: int<ConnectOptions>('bindPort', 1, 65535),
    bind_if: str<ConnectOptions>('bindIf'),
    fwmark: int<ConnectOptions>('fwmark', 0, 4294967295),
    connect_timeout: {
      minArgs: 1,
      handle: (s, x, ctx) => {
        const v = parseTimer(s.args[0].text, valueCtx(s, ctx), 0.000001, TIMER_MAX_SECONDS);
        if (v !== undefined) x.written.connectTimeout = v;
      },
    },
  };
}

function common<T extends Checker>(withConnect: boolean): KeywordTable<T> {
  return {
    ...timingInto<T>(),
    ...(withConnect ? (connectInto<T & ConnectOptions>() as KeywordTable<T>) : {}),
    log_all_failures: flag<Checker>('logAllFailures'),
  };
}

function newUrl(loc: SourceLoc): HttpUrl {
  return { loc, statusCode: [], regexNoMatch: false, regexOptions: [] };
}

export const urlTable: KeywordTable<HttpUrl> = {
  path: str('path'),
  digest: {
    minArgs: 1,
    handle: (s, u, ctx) => {
      const d = s.args[0].text;
      if (!/^[0-9a-fA-F]{32}$/.test(d)) {
        ctx.sink.error('invalid-value', `digest '${d}' is not an MD5 digest (32 hex digits)`, s.args[0].loc, { text: d });
        return;
      }
      u.digest = d.toLowerCase();
    },
  },
  status_code: {
    minArgs: 1,
    handle: (s, u, ctx) => {
      for (const a of s.args) {
        // keepalived reads each bound with strtoul: a leading '+' is accepted.
        const m = /^\+?(\d+)(?:-\+?(\d+))?$/.exec(a.text);
        const lo = m ? Number(m[1]) : NaN;
        const hi = m ? Number(m[2] ?? m[1]) : NaN;
        if (!m || lo < 100 || hi > 599 || lo > hi) {
          ctx.sink.error('invalid-value', `Invalid HTTP_GET status code '${a.text}'`, a.loc, { text: a.text });
          continue;
        }
        u.statusCode.push([lo, hi]);
      }
    },
  },
  virtualhost: str('virtualhost'),
  regex: { minArgs: 1, handle: (s, u) => (u.regex = s.args.map((a) => a.text).join(' ')) },
  regex_no_match: flag('regexNoMatch'),
  regex_options: { minArgs: 1, handle: (s, u) => u.regexOptions.push(...s.args.map((a) => a.text)) },
  regex_stack: int('regexStack', 0, 2147483647),
  regex_min_offset: int('regexMinOffset', 0, 2147483647),
  regex_max_offset: int('regexMaxOffset', 0, 2147483647),
};

const httpTable: KeywordTable<HttpCheck> = {
  ...common<HttpCheck>(true),
  url: {
    minArgs: 0,
    block: 'required',
    handle: (s, c, ctx) => {
      const u = newUrl(s.loc);
      applyBlock(urlTable, s.block ?? [], u, ctx);
      // check_http.c url_check: no status_code means 200-299, with or without a digest.
      if (u.statusCode.length === 0) u.statusCode.push([200, 299]);
      c.url.push(u);
    },
  },
  nb_get_retry: {
    minArgs: 1,
    deprecated: "nb_get_retry is deprecated - please use 'retry'",
    handle: (s, c, ctx) => {
      const n = parseInteger(s.args[0].text, 0, 2147483647, valueCtx(s, ctx));
      if (n !== undefined) c.written.retry = n;
    },
  },
  http_protocol: {
    minArgs: 1,
    handle: (s, c, ctx) => {
      const p = s.args[0].text;
      if (p === '1.0' || p === '1.0C' || p === '1.1') c.httpProtocol = p;
      else if (p === '1.0c') c.httpProtocol = '1.0C';
      else ctx.sink.error('invalid-value', `Invalid http_protocol '${p}'`, s.args[0].loc, { text: p });
    },
  },
  virtualhost: str('virtualhost'),
  fast_recovery: flag('fastRecovery'),
  enable_sni: flag('enableSni'),
};

export const smtpHostTable: KeywordTable<SmtpCheck['host'][number]> = {
  ...(connectInto<SmtpCheck['host'][number]>()),
  ...(timingInto<SmtpCheck['host'][number]>()),
  log_all_failures: { minArgs: 0, handle: () => undefined },
};

const smtpTable: KeywordTable<SmtpCheck> = {
  ...common<SmtpCheck>(true),
  helo_name: str('heloName'),
  host: {
    minArgs: 0,
    block: 'required',
    handle: (s, c, ctx) => {
      const h: SmtpCheck['host'][number] = { loc: s.loc, written: {} };
      applyBlock(smtpHostTable, s.block ?? [], h, ctx);
      c.host.push(h);
    },
  },
};

const DNS_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'] as const;
const dnsTable: KeywordTable<DnsCheck> = {
  ...common<DnsCheck>(true),
  type: {
    minArgs: 1,
    handle: (s, c, ctx) => {
      const t = s.args[0].text.toUpperCase() as DnsCheck['type'];
      if ((DNS_TYPES as readonly string[]).includes(t)) c.type = t;
      else ctx.sink.error('invalid-value', `DNS_CHECK: unknown type '${s.args[0].text}'`, s.args[0].loc, { text: s.args[0].text });
    },
  },
  name: str('name'),
};

const miscTable: KeywordTable<MiscCheck> = {
  ...common<MiscCheck>(false),
  misc_path: {
    minArgs: 1,
    handle: (s, c, ctx) => {
      const sc = scriptFrom(s, ctx);
      if (sc) c.miscPath = sc;
    },
  },
  misc_timeout: {
    minArgs: 1,
    handle: (s, c, ctx) => {
      const n = parseInteger(s.args[0].text, 0, 4294967295, valueCtx(s, ctx));
      if (n !== undefined) c.miscTimeout = ms(n * 1000);
    },
  },
  misc_dynamic: flag('miscDynamic'),
  user: { minArgs: 1, handle: (s, c) => (c.user = userGroup(s.args.map((a) => a.text))) },
};

const udpTable: KeywordTable<UdpCheck> = {
  ...common<UdpCheck>(true),
  // lib/parser.c read_hex_str over the arguments joined by spaces.
  payload: {
    minArgs: 1,
    handle: (s, c, ctx) => {
      const text = s.args.map((a) => a.text).join(' ');
      if (parseHexPattern(text, false)) c.payload = text;
      else ctx.sink.error('invalid-value', 'Invalid hex string for UDP_CHECK payload', s.args[0].loc, { text });
    },
  },
  require_reply: {
    minArgs: 0,
    handle: (s, c, ctx) => {
      const text = s.args.map((a) => a.text).join(' ');
      c.requireReply = '';
      if (text === '') return;
      if (parseHexPattern(text, true)) c.requireReply = text;
      else ctx.sink.error('invalid-value', 'Invalid hex string for UDP_CHECK reply', s.args[0]!.loc, { text });
    },
  },
  min_reply_length: int('minReplyLength', 0, 65535),
  max_reply_length: int('maxReplyLength', 0, 65535),
};

const fileTable: KeywordTable<FileCheck> = {
  track_file: { minArgs: 1, handle: (s, c) => (c.trackFile = s.args[0].text) },
  weight: {
    minArgs: 1,
    handle: (s, c, ctx) => {
      const n = parseInteger(s.args[0].text, -2147483648, 2147483647, valueCtx(s, ctx));
      if (n === undefined) return;
      c.weight = n;
      c.weightReverse = s.args[1]?.text === 'reverse';
    },
  },
};

const bfdTable: KeywordTable<BfdCheck> = {
  name: str('name'),
  alpha: timingInto<BfdCheck>().alpha,
};

const tcpTable: KeywordTable<TcpCheck> = common<TcpCheck>(true);

export const checkerTables = {
  TCP_CHECK: tcpTable,
  HTTP_GET: httpTable,
  SSL_GET: httpTable,
  SMTP_CHECK: smtpTable,
  DNS_CHECK: dnsTable,
  MISC_CHECK: miscTable,
  UDP_CHECK: udpTable,
  PING_CHECK: tcpTable,
  FILE_CHECK: fileTable,
  BFD_CHECK: bfdTable,
} satisfies Record<CheckerKind, unknown>;

const ZERO = { delayLoop: ms(0), connectTimeout: ms(0), retry: 0, delayBeforeRetry: ms(0), warmup: ms(0), alpha: false };

export function newChecker(kind: CheckerKind, loc: SourceLoc): Checker {
  const base = { loc, written: {}, timing: { ...ZERO }, logAllFailures: false, other: {} };
  switch (kind) {
    case 'TCP_CHECK':
    case 'PING_CHECK':
      return { kind, ...base };
    case 'HTTP_GET':
    case 'SSL_GET':
      return { kind, ...base, url: [], httpProtocol: '1.0', fastRecovery: false, enableSni: false };
    case 'SMTP_CHECK':
      return { kind, ...base, heloName: 'smtpchecker.keepalived.org', host: [] };
    case 'DNS_CHECK':
      return { kind, ...base, type: 'SOA', name: '.' };
    case 'MISC_CHECK':
      return { kind, ...base, miscDynamic: false };
    case 'UDP_CHECK':
      return { kind, ...base, minReplyLength: 0, maxReplyLength: 255 };
    case 'FILE_CHECK':
      return { kind, ...base, weightReverse: false };
    case 'BFD_CHECK':
      return { kind, ...base };
  }
}

/** keepalived's per-checker defaults for retry and delay_before_retry (fact sheet 2.9). */
export function checkerDefaults(kind: CheckerKind, delayLoop: number): { retry: number; delayBeforeRetry: number } {
  switch (kind) {
    case 'HTTP_GET':
    case 'SSL_GET':
      return { retry: 1, delayBeforeRetry: 3000 };
    case 'DNS_CHECK':
      return { retry: 3, delayBeforeRetry: delayLoop };
    case 'MISC_CHECK':
    case 'FILE_CHECK':
    case 'BFD_CHECK':
      return { retry: 0, delayBeforeRetry: 1000 };
    default:
      return { retry: 1, delayBeforeRetry: 1000 };
  }
}

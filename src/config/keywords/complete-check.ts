// Checker/IPVS completion done by keepalived at -t time (check/check_data.c:
// validate_check_config, check_parser.c end handlers): defaults that depend on other
// keywords, inheritance checker -> real server -> virtual server, and cross references.
import { ms } from '../../lib/units.js';
import type { Checker, KeepalivedConfig, RealServer } from '../model.js';
import type { BuildCtx } from './table.js';
import { checkerDefaults } from './checkers.js';
import type { VsDraft } from './virtual-server.js';

interface CheckDraft extends KeepalivedConfig {
  virtualServers: VsDraft[];
}

/** keepalived's VS naming in messages: `[10.0.0.1]:tcp:80`, `FWM 1`, `[GROUP]:0`. */
export function vsName(vs: VsDraft): string {
  const t = vs.target;
  if (t.kind === 'fwmark') return `FWM ${t.fwmark}`;
  const proto = vs.written.has('protocol') ? vs.protocol.toLowerCase() : 'none';
  if (t.kind === 'group') return `[${t.group}]:${proto}:0`;
  return `[${t.ip.text}]:${proto}:${t.port}`;
}

export function completeCheck(m: CheckDraft, ctx: BuildCtx): void {
  const groups = new Set(m.virtualServerGroups.map((g) => g.name));
  m.virtualServers = m.virtualServers.filter((vs) => {
    const warn = (code: string, msg: string) => ctx.sink.warning(code, msg, vs.loc, { text: vsName(vs) });
    const t = vs.target;
    if (t.kind === 'group' && !groups.has(t.group)) {
      ctx.sink.error('unknown-reference', `Virtual server group ${t.group} specified but not configured - ignoring virtual server ${vsName(vs)}`, vs.loc, {
        text: t.group,
      });
      return false;
    }
    if (t.kind === 'fwmark' && vs.written.has('protocol')) {
      warn('protocol-ignored', `Warning: Virtual server ${vsName(vs)}: protocol specified for fwmark - protocol will be ignored`);
    }
    if (t.kind !== 'fwmark' && !vs.written.has('protocol')) {
      warn('default-protocol', `Virtual server ${vsName(vs)}: no protocol set - defaulting to UDP`);
    }
    if (!vs.written.has('lb_kind')) warn('default-lb-kind', `Virtual server ${vsName(vs)}: no forwarding method set, setting default NAT`);
    if (!vs.written.has('lb_algo')) warn('default-lb-algo', `Virtual server ${vsName(vs)}: no scheduler set, setting default 'wlc'`);
    // IPVS: a port-0 (all ports) service must be persistent.
    if (t.kind === 'address' && t.port === 0 && vs.persistenceTimeout === 0) vs.persistenceTimeout = 360 as typeof vs.persistenceTimeout;

    completeRealServers(vs, m, ctx);
    if (vs.realServers.length === 0) {
      // keepalived drops it, even with a sorry_server.
      ctx.sink.error('no-real-servers', `Virtual server ${vsName(vs)} has no real servers - ignoring`, vs.loc, { text: vsName(vs) });
      return false;
    }

    const total = vs.realServers.reduce((acc, r) => acc + Math.max(0, r.weight), 0);
    if (vs.realServers.length > 0 && vs.quorum > total) {
      warn('quorum-reduced', `Warning - quorum ${vs.quorum} for ${vsName(vs)} exceeds total weight of real servers ${total}, reducing quorum to ${total}`);
      vs.quorum = Math.max(1, total);
    }
    if (vs.hysteresis >= vs.quorum && vs.hysteresis > 0) {
      warn('hysteresis-reduced', `Warning - hysteresis ${vs.hysteresis} for ${vsName(vs)} >= quorum, reducing to ${vs.quorum - 1}`);
      vs.hysteresis = vs.quorum - 1;
    }
    return true;
  });
}

function completeRealServers(vs: VsDraft, m: CheckDraft, ctx: BuildCtx): void {
  const t = vs.target;
  const seen = new Set<string>();
  const smtpDefault = m.globalDefs.smtpAlertChecker ?? m.globalDefs.smtpAlert;
  vs.realServers = vs.realServers.filter((rs) => {
    if (rs.port === undefined) rs.port = t.kind === 'address' ? t.port : 0;
    const method = rs.lvsMethod ?? vs.lbKind;
    if ((method === 'DR' || method === 'TUN') && t.kind === 'address' && rs.port !== t.port && rs.port !== 0) {
      ctx.sink.warning('rs-port-reset', `Virtual server ${vsName(vs)}: real server [${rs.ip.text}]:${rs.port} port must match VS for ${method} - resetting to ${t.port}`, rs.loc);
      rs.port = t.port;
    }
    const key = `${rs.ip.text}|${rs.port}`;
    if (seen.has(key)) {
      ctx.sink.error('duplicate-real-server', `Virtual server ${vsName(vs)}: duplicate real server [${rs.ip.text}]:${rs.port} - removing`, rs.loc);
      return false;
    }
    seen.add(key);
    // Fact sheet 2.8: real-server smtp_alert defaults to true unless set globally.
    rs.smtpAlert ??= smtpDefault ?? true;
    rs.checkers = rs.checkers.filter((c) => resolveChecker(c, rs, vs, m, ctx));
    return true;
  });
}

function resolveChecker(c: Checker, rs: RealServer, vs: VsDraft, m: CheckDraft, ctx: BuildCtx): boolean {
  const delayLoop = c.written.delayLoop ?? rs.delayLoop ?? vs.delayLoop ?? ms(60_000);
  const d = checkerDefaults(c.kind, delayLoop);
  c.timing = {
    delayLoop,
    connectTimeout: c.written.connectTimeout ?? rs.connectTimeout ?? vs.connectTimeout ?? ms(5000),
    retry: c.written.retry ?? rs.retry ?? vs.retry ?? d.retry,
    delayBeforeRetry: c.written.delayBeforeRetry ?? rs.delayBeforeRetry ?? vs.delayBeforeRetry ?? ms(d.delayBeforeRetry),
    warmup: c.written.warmup ?? rs.warmup ?? vs.warmup ?? delayLoop,
    alpha: c.written.alpha ?? rs.alpha ?? vs.alpha ?? false,
  };
  if (c.kind === 'MISC_CHECK') {
    if (!c.miscPath) {
      ctx.sink.error('missing-script', 'MISC_CHECK with no misc_path - ignoring', c.loc);
      return false;
    }
    // check_misc.c misc_check_thread: no (or a zero) misc_timeout means the virtual server's
    // delay_loop, not the checker's own.
    if (c.miscTimeout === undefined || c.miscTimeout === 0) c.miscTimeout = vs.delayLoop ?? ms(60_000);
  }
  if ((c.kind === 'HTTP_GET' || c.kind === 'SSL_GET') && c.url.length === 0) {
    ctx.sink.error('missing-url', `${c.kind} with no url specified - ignoring`, c.loc);
    return false;
  }
  if (c.kind === 'UDP_CHECK' && c.minReplyLength > c.maxReplyLength) {
    // check_udp.c udp_check_end_handler: reported, the checker is kept.
    ctx.sink.warning('udp-reply-length', `UDP_CHECK min_reply length ${c.minReplyLength} > max_reply_length ${c.maxReplyLength} - will always fail`, c.loc);
  }
  if (c.kind === 'FILE_CHECK' && c.trackFile === undefined) {
    ctx.sink.error('missing-parameter', 'FILE_CHECK with no track_file - ignoring', c.loc);
    return false;
  }
  if (c.kind === 'FILE_CHECK' && !m.trackFiles.some((f) => f.name === c.trackFile && f.file !== undefined)) {
    // check_file.c track_file_handler: the name must be a global track_file block with a file.
    ctx.sink.error('unknown-reference', `track_file ${c.trackFile} not found`, c.loc, { text: c.trackFile });
    return false;
  }
  return true;
}

// What the checker engine runs, built once from the model: per real server its texts (as
// keepalived prints them), its notify scripts and its runnable checkers with resolved timing and
// targets. Plain data, so it crosses to the checker worker as one message (worker.ts).
//
// Checkers this project does not run yet (BFD_CHECK) and options it cannot honour (fwmark =
// SO_MARK, bind_if = SO_BINDTODEVICE on HTTP_GET, SSL_GET, UDP_CHECK, DNS_CHECK, SMTP_CHECK and
// PING_CHECK; TCP_CHECK has both through the addon; a PCRE2 regex option with no JavaScript
// equivalent) are not silently dropped: `notRunWarnings` gives one line per kind, logged at
// start, and such a checker counts as up (it does not hold its real server down, as if it were
// not configured; the server's other checkers still decide). See ADR 0015, ADR 0018 and ADR 0019.
import type { Checker, ConnectOptions, DnsCheck, FileCheck, KeepalivedConfig, RealServer, SmtpCheck, TcpCheck, UdpCheck, ScriptSpec, VirtualServer } from '../config/model.js';
import { keepalivedRsPort, realServerKey } from '../config/lvs-ids.js';
import type { SourceLoc } from '../lib/diagnostics.js';
import { ms, type Ms } from '../lib/units.js';
import type { LvsEndpoint, LvsProtocol } from '../notify/fifo-format.js';
import { endpointText } from '../notify/fifo-format.js';
import type { PreparedScript } from '../notify/process-runner.js';
import type { CheckerParams } from './checker-state.js';
import { httpCheckerPlan, httpNotRunReason, type HttpCheckerPlan } from './http-plan.js';
import { connectAddress, type ConnectTarget } from './connect-target.js';

export type { HttpCheckerPlan } from './http-plan.js';

export interface TcpCheckerPlan extends ConnectTarget {
  readonly kind: 'TCP_CHECK';
  /** fwmark: SO_MARK on the probe's socket. */
  readonly fwmark?: number;
  /** bind_if: SO_BINDTODEVICE on the probe's socket. */
  readonly bindIf?: string;
}

export interface MiscCheckerPlan {
  readonly kind: 'MISC_CHECK';
  readonly id: string;
  readonly params: CheckerParams;
  readonly script: PreparedScript;
  /** misc_timeout, else the virtual server's delay_loop (check_misc.c misc_check_thread). */
  readonly timeoutMs: Ms;
}

export interface UdpCheckerPlan extends ConnectTarget {
  readonly kind: 'UDP_CHECK';
  /** payload as hex (keepalived's string); absent: 32 octets of "keepalived check - ". */
  readonly payloadHex?: string;
  readonly requireReply: boolean;
  /** require_reply data (hex, `x` nibbles are wildcards). */
  readonly replyHex?: string;
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
}

export interface DnsCheckerPlan extends ConnectTarget {
  readonly kind: 'DNS_CHECK';
  readonly type: 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
  readonly name: string;
}

export interface SmtpCheckerPlan extends ConnectTarget {
  readonly kind: 'SMTP_CHECK';
  readonly heloName: string;
}

export interface PingCheckerPlan extends ConnectTarget {
  readonly kind: 'PING_CHECK';
}

export interface FileCheckerPlan {
  readonly kind: 'FILE_CHECK';
  readonly id: string;
  readonly params: CheckerParams;
  /** The global track_file block's name and file. */
  readonly trackFile: string;
  readonly path: string;
  readonly weight: number;
  readonly reverse: boolean;
}

export type CheckerPlan = TcpCheckerPlan | MiscCheckerPlan | HttpCheckerPlan | UdpCheckerPlan | DnsCheckerPlan | SmtpCheckerPlan | PingCheckerPlan | FileCheckerPlan;

export interface RealServerPlan {
  /** realServerKey() (src/config/lvs-ids.ts). */
  readonly key: string;
  readonly rs: LvsEndpoint;
  readonly vs: LvsEndpoint;
  /** Configured weight (keepalived's iweight). */
  readonly weight: number;
  readonly notifyUp?: PreparedScript;
  readonly notifyDown?: PreparedScript;
  readonly checkers: readonly CheckerPlan[];
  /** Configured checkers that are not run (they count as up). */
  readonly notRun: number;
  /** The virtual server's omega: at shutdown an alive server gets its notify_down and FIFO DOWN line. */
  readonly omega?: boolean;
}

export interface CheckPlan {
  readonly realServers: readonly RealServerPlan[];
  /** global_defs rs_init_notifies: servers that start alive get their notify_up and FIFO UP line at start. */
  readonly rsInitNotifies?: boolean;
}

/** How a configured script becomes runnable: the start-up security check's result, or undefined when disabled. */
export type ScriptResolver = (spec: ScriptSpec) => PreparedScript | undefined;

/** A stable key for a script by where it is configured. */
export function scriptLocKey(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

const protocolOf = (vs: VirtualServer): LvsProtocol => (vs.target.kind === 'fwmark' ? 'none' : (vs.protocol.toLowerCase() as LvsProtocol));

/** keepalived's FMT_VS as an LVS FIFO endpoint. */
export function vsEndpoint(vs: VirtualServer): LvsEndpoint {
  switch (vs.target.kind) {
    case 'address':
      return { kind: 'addr', ip: vs.target.ip.text, protocol: protocolOf(vs), port: vs.target.port };
    case 'fwmark':
      return { kind: 'fwmark', mark: vs.target.fwmark };
    case 'group':
      // format_vs prints the group's port, 0 for `virtual_server group NAME`.
      return { kind: 'group', name: vs.target.group, port: 0 };
  }
}

/** keepalived's FMT_RS: the real server's address and (corrected) port with the virtual server's protocol. */
export function rsEndpoint(rs: RealServer, vs: VirtualServer): LvsEndpoint {
  return { kind: 'addr', ip: rs.ip.text, protocol: protocolOf(vs), port: keepalivedRsPort(rs, vs) };
}

/** Why a configured checker is not run, or undefined when it runs. */
export function notRunReason(c: Checker): string | undefined {
  if (c.kind === 'TCP_CHECK' || c.kind === 'MISC_CHECK' || c.kind === 'FILE_CHECK') return undefined;
  if (c.kind === 'HTTP_GET' || c.kind === 'SSL_GET') return httpNotRunReason(c);
  if (c.kind === 'UDP_CHECK' || c.kind === 'DNS_CHECK' || c.kind === 'SMTP_CHECK' || c.kind === 'PING_CHECK') {
    if (c.fwmark !== undefined) return 'fwmark (SO_MARK) is not available to its sockets';
    if (c.bindIf !== undefined) return 'bind_if (SO_BINDTODEVICE) is not available to its sockets';
    return undefined;
  }
  return 'this checker kind is not implemented yet';
}

/**
 * One warning per checker kind that is configured but not run (plus one per TCP_CHECK option
 * that stops a TCP_CHECK from running), naming the first real server it is on. Logged at start.
 */
export function notRunWarnings(model: KeepalivedConfig): string[] {
  const byKind = new Map<string, { first: string; count: number; reason: string }>();
  for (const vs of model.virtualServers) {
    for (const rs of vs.realServers) {
      for (const c of rs.checkers) {
        const reason = notRunReason(c);
        if (reason === undefined) continue;
        const optionOnly =
          c.kind === 'TCP_CHECK' || c.kind === 'UDP_CHECK' || c.kind === 'DNS_CHECK' || c.kind === 'SMTP_CHECK' || c.kind === 'PING_CHECK' || ((c.kind === 'HTTP_GET' || c.kind === 'SSL_GET') && !reason.startsWith('this'));
        const label = optionOnly ? `${c.kind} with ${reason.split(' ')[0]}` : c.kind;
        const seen = byKind.get(label);
        if (seen) seen.count++;
        else byKind.set(label, { first: endpointText(rsEndpoint(rs, vs)), count: 1, reason });
      }
    }
  }
  const out: string[] = [];
  for (const [label, { first, count, reason }] of byKind) {
    const more = count > 1 ? ` (and ${count - 1} more)` : '';
    out.push(
      `${label} on ${first}${more} is not run yet by keepalived-ts (${reason}): the real server is treated as up by this checker, as if it were not configured; its other checkers still decide`,
    );
  }
  return out;
}

export interface PlanOptions {
  readonly scripts: ScriptResolver;
}

/** Builds the plan; misc checkers whose script was disabled are dropped (keepalived frees them). */
export function buildCheckPlan(model: KeepalivedConfig, opts: PlanOptions): CheckPlan {
  const g = model.globalDefs;
  const realServers: RealServerPlan[] = [];
  for (const vs of model.virtualServers) {
    const vsE = vsEndpoint(vs);
    const vsText = endpointText(vsE);
    for (const rs of vs.realServers) {
      const rsE = rsEndpoint(rs, vs);
      const rsText = endpointText(rsE);
      const key = realServerKey(rs, vs);
      const checkers: CheckerPlan[] = [];
      let notRun = 0;
      rs.checkers.forEach((c, i) => {
        if (notRunReason(c) !== undefined) {
          notRun++;
          return;
        }
        const t = c.timing;
        const base = {
          rsText,
          vsText,
          retry: t.retry,
          delayLoop: t.delayLoop,
          delayBeforeRetry: t.delayBeforeRetry,
          warmup: t.warmup,
          alpha: t.alpha,
          logAllFailures: c.logAllFailures || g.checkerLogAllFailures,
        };
        const id = `${key}/${i}`;
        if (c.kind === 'TCP_CHECK') {
          checkers.push({
            kind: 'TCP_CHECK',
            id,
            params: { kind: 'TCP_CHECK', ...base },
            // The port as written: keepalived's checker keeps it when the label's is corrected.
            ...connectAddress(c, rs.ip, rs.port ?? (vs.target.kind === 'address' ? vs.target.port : 0), t.connectTimeout),
            ...(c.fwmark !== undefined ? { fwmark: c.fwmark } : {}),
            ...(c.bindIf !== undefined ? { bindIf: c.bindIf } : {}),
          });
        } else if (c.kind === 'HTTP_GET' || c.kind === 'SSL_GET') {
          checkers.push(httpCheckerPlan({ check: c, rs, vs, id, base, port: rsE.kind === 'addr' ? rsE.port : 0, ...(model.ssl ? { ssl: model.ssl } : {}) }));
        } else if (c.kind === 'UDP_CHECK' || c.kind === 'DNS_CHECK' || c.kind === 'SMTP_CHECK' || c.kind === 'PING_CHECK' || c.kind === 'FILE_CHECK') {
          checkers.push(...datagramPlans(c, id, base, rs, rsE, model));
        } else if (c.kind === 'MISC_CHECK' && c.miscPath) {
          const script = opts.scripts(c.miscPath);
          if (!script) return;
          const written = c.miscTimeout;
          checkers.push({
            kind: 'MISC_CHECK',
            id,
            // keepalived logs the script by its path after the start-up check resolved it
            // (lib/notify.c check_script_secure replaces args[0]); a `</path` test as written.
            params: { kind: 'MISC_CHECK', ...base, script: (script.mode === 'shellRaw' ? c.miscPath.argv[0] : script.argv[0]) ?? c.miscPath.cmd, dynamic: c.miscDynamic },
            script,
            timeoutMs: written !== undefined && written > 0 ? written : (vs.delayLoop ?? ms(60_000)),
          });
        }
      });
      const up = rs.notifyUp ? opts.scripts(rs.notifyUp) : undefined;
      const down = rs.notifyDown ? opts.scripts(rs.notifyDown) : undefined;
      realServers.push({
        key,
        rs: rsE,
        vs: vsE,
        weight: rs.weight,
        ...(up ? { notifyUp: up } : {}),
        ...(down ? { notifyDown: down } : {}),
        checkers,
        notRun,
        ...(vs.omega ? { omega: true } : {}),
      });
    }
  }
  return { realServers, ...(g.rsInitNotifies ? { rsInitNotifies: true } : {}) };
}

type Base = Omit<CheckerParams, 'kind'>;

/** UDP_CHECK, DNS_CHECK, SMTP_CHECK (one checker per legacy `host` block), PING_CHECK, FILE_CHECK. */
function datagramPlans(
  c: UdpCheck | DnsCheck | SmtpCheck | TcpCheck | FileCheck,
  id: string,
  base: Base,
  rs: RealServer,
  rsE: LvsEndpoint,
  model: KeepalivedConfig,
): CheckerPlan[] {
  const rsPort = rsE.kind === 'addr' ? rsE.port : 0;
  const target = (o: ConnectOptions, timeout: Ms) => connectAddress(o, rs.ip, rsPort, timeout);
  const t = c.timing;
  switch (c.kind) {
    case 'UDP_CHECK':
      return [
        {
          kind: 'UDP_CHECK',
          id,
          params: { kind: 'UDP_CHECK', ...base },
          ...target(c, t.connectTimeout),
          ...(c.payload !== undefined ? { payloadHex: c.payload } : {}),
          requireReply: c.requireReply !== undefined,
          ...(c.requireReply ? { replyHex: c.requireReply } : {}),
          minReplyLength: c.minReplyLength,
          maxReplyLength: c.maxReplyLength,
        },
      ];
    case 'DNS_CHECK':
      return [{ kind: 'DNS_CHECK', id, params: { kind: 'DNS_CHECK', ...base }, ...target(c, t.connectTimeout), type: c.type, name: c.name }];
    case 'TCP_CHECK':
      return [];
    case 'PING_CHECK':
      return [{ kind: 'PING_CHECK', id, params: { kind: 'PING_CHECK', ...base }, ...target(c, t.connectTimeout) }];
    case 'SMTP_CHECK': {
      // check_smtp.c smtp_check_end_handler: the checker's own connection options are used when
      // any is set or there is no host block; otherwise the first host replaces them. Every
      // other host block is a checker of its own.
      const own = c.connectIp !== undefined || c.connectPort !== undefined || c.bindto !== undefined || c.bindPort !== undefined || c.written.connectTimeout !== undefined;
      const targets: ConnectOptions[] = own || c.host.length === 0 ? [c, ...c.host] : c.host;
      return targets.map((o, i) => ({
        kind: 'SMTP_CHECK' as const,
        id: i === 0 ? id : `${id}.${i}`,
        params: { kind: 'SMTP_CHECK' as const, ...base },
        ...target(o, (o as { written?: { connectTimeout?: Ms } }).written?.connectTimeout ?? t.connectTimeout),
        heloName: c.heloName,
      }));
    }
    case 'FILE_CHECK': {
      const tf = model.trackFiles.find((f) => f.name === c.trackFile);
      if (!tf?.file) return [];
      return [
        {
          kind: 'FILE_CHECK',
          id,
          params: { kind: 'FILE_CHECK', ...base, alpha: false },
          trackFile: tf.name,
          path: tf.file,
          weight: c.weight ?? tf.weight,
          reverse: c.weight !== undefined ? c.weightReverse : tf.weightReverse,
        },
      ];
    }
  }
}

// HTTP_GET / SSL_GET as the checker engine runs them (keepalived check_http.c, check_ssl.c):
// what each url is checked for and what the request carries, resolved once from the model.
//
//  * Host header and SNI: the url's virtualhost, else the checker's, else (Host only) the real
//    server's, else the virtual server's; with none the Host header is the target address and
//    port (`[addr]:port` for IPv6, RFC 2732) and no SNI is sent. SNI is sent only with
//    enable_sni (check_ssl.c ssl_connect does not look at the real server's virtualhost).
//  * status_code: inclusive ranges; a url with neither status_code nor digest accepts 200-299
//    (url_check; the keyword table fills that default).
//  * regex: keepalived is built with PCRE2 (Debian's 2.2.7 lists REGEX in its config options).
//    We run the pattern as a JavaScript RegExp; regex_options with a JavaScript equivalent become
//    flags (caseless i, multiline m, dotall s, utf/ucp u), the rest stop the checker from running
//    with one start-up line (notRunWarnings) rather than being ignored.
//  * Certificates: the global `SSL { ca certificate key password }` block. keepalived loads
//    them into the one client context and never verifies the server (no SSL_CTX_set_verify), so
//    neither do we; the CA file is read, as keepalived reads it, so a missing one is reported.
import type { HttpCheck, RealServer, SslConfig, VirtualServer } from '../config/model.js';
import type { Ms } from '../lib/units.js';
import type { CheckerParams } from './checker-state.js';
import { connectAddress, type ConnectTarget } from './connect-target.js';

export interface HttpRegexPlan {
  readonly source: string;
  /** JavaScript flags from regex_options. */
  readonly flags: string;
  /** regex_no_match: the check passes when the pattern is NOT found. */
  readonly noMatch: boolean;
  /** Body offset the search starts at (regex_min_offset). */
  readonly minOffset: number;
  /** Last body offset a match may start at (regex_max_offset), when set. */
  readonly maxOffset?: number;
}

export interface HttpUrlPlan {
  readonly path: string;
  /** Lower-case hex MD5 of the body as keepalived computes it. */
  readonly digest?: string;
  /** Accepted status codes, inclusive ranges. */
  readonly status: readonly (readonly [number, number])[];
  /** The Host header's name when a virtualhost applies (no port is added then). */
  readonly vhost?: string;
  /** The TLS server name (enable_sni with a virtualhost). */
  readonly sni?: string;
  readonly regex?: HttpRegexPlan;
}

export interface HttpTlsPlan {
  readonly ca?: string;
  readonly certificate?: string;
  readonly key?: string;
  readonly password?: string;
}

/** connectTimeoutMs bounds the TLS handshake too. */
export interface HttpCheckerPlan extends ConnectTarget {
  readonly kind: 'HTTP_GET' | 'SSL_GET';
  readonly protocol: '1.0' | '1.0C' | '1.1';
  readonly urls: readonly HttpUrlPlan[];
  /** SSL_GET only: the global SSL block's files. */
  readonly tls?: HttpTlsPlan;
}

/** PCRE2 option names (check_http.c regex_options) that have a JavaScript RegExp flag. */
const REGEX_FLAGS: Readonly<Record<string, string>> = { caseless: 'i', multiline: 'm', dotall: 's', utf: 'u', ucp: 'u' };

/** Why an HTTP_GET / SSL_GET cannot be run as configured, or undefined. */
export function httpNotRunReason(c: HttpCheck): string | undefined {
  if (c.fwmark !== undefined) return 'fwmark (SO_MARK) is not available to its sockets';
  if (c.bindIf !== undefined) return 'bind_if (SO_BINDTODEVICE) is not available to its sockets';
  for (const u of c.url) {
    if (u.regex === undefined) continue;
    const bad = u.regexOptions.find((o) => REGEX_FLAGS[o] === undefined);
    if (bad !== undefined) return `regex_options ${bad} has no equivalent in the JavaScript regular expressions this checker uses`;
    try {
      new RegExp(u.regex, regexFlags(u.regexOptions));
    } catch (e) {
      return `regex '${u.regex}' is not a valid regular expression here: ${(e as Error).message}`;
    }
  }
  return undefined;
}

function regexFlags(options: readonly string[]): string {
  const set = new Set(options.map((o) => REGEX_FLAGS[o] ?? ''));
  return [...set].join('');
}

export interface HttpPlanInput {
  readonly check: HttpCheck;
  readonly rs: RealServer;
  readonly vs: VirtualServer;
  readonly id: string;
  readonly base: Omit<CheckerParams, 'kind'>;
  /** The real server's port (the virtual server's when the real server has none). */
  readonly port: number;
  readonly ssl?: SslConfig;
}

export function httpCheckerPlan(i: HttpPlanInput): HttpCheckerPlan {
  const c = i.check;
  const urls = c.url
    .filter((u) => u.path !== undefined)
    .map((u): HttpUrlPlan => {
      const vhost = u.virtualhost ?? c.virtualhost ?? i.rs.virtualhost ?? i.vs.virtualhost;
      const sni = c.enableSni ? (u.virtualhost ?? c.virtualhost ?? i.vs.virtualhost) : undefined;
      // url_check: regex_max_offset must be beyond regex_min_offset, else both are dropped.
      const offsetsOk = u.regexMaxOffset === undefined || (u.regexMinOffset ?? 0) <= u.regexMaxOffset;
      return {
        path: u.path!,
        ...(u.digest !== undefined ? { digest: u.digest.toLowerCase() } : {}),
        // url_check: with no status_code the url accepts 200-299, digest or not.
        status: u.statusCode.length > 0 ? u.statusCode.map(([lo, hi]) => [lo, hi] as const) : [[200, 299] as const],
        ...(vhost !== undefined ? { vhost } : {}),
        ...(sni !== undefined ? { sni } : {}),
        ...(u.regex !== undefined
          ? {
              regex: {
                source: u.regex,
                flags: regexFlags(u.regexOptions),
                noMatch: u.regexNoMatch,
                minOffset: offsetsOk ? (u.regexMinOffset ?? 0) : 0,
                ...(offsetsOk && u.regexMaxOffset !== undefined ? { maxOffset: u.regexMaxOffset } : {}),
              },
            }
          : {}),
      };
    });
  return {
    kind: c.kind,
    id: i.id,
    params: { kind: c.kind, ...i.base, urls: urls.map((u) => u.path), urlVhosts: c.url.filter((u) => u.path !== undefined).map((u) => u.virtualhost ?? ''), fastRecovery: c.fastRecovery },
    ...connectAddress(c, i.rs.ip, i.port, c.timing.connectTimeout),
    protocol: c.httpProtocol,
    urls,
    ...(c.kind === 'SSL_GET' ? { tls: { ...(i.ssl?.ca !== undefined ? { ca: i.ssl.ca } : {}), ...(i.ssl?.certificate !== undefined ? { certificate: i.ssl.certificate } : {}), ...(i.ssl?.key !== undefined ? { key: i.ssl.key } : {}), ...(i.ssl?.password !== undefined ? { password: i.ssl.password } : {}) } } : {}),
  };
}

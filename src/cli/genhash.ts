// `keepalived-ts genhash` (also `keepalived-ts -T ...` / `--genhash ...`): fetch one url the way
// the HTTP_GET / SSL_GET checker does and print the MD5 digest to put in its `digest`, with the
// options and the output of keepalived 2.2.7's genhash (check_genhash.c):
//
//   -s ADDR -p PORT -u PATH [-S] [-I] [-V VHOST] [-P 1.0|1.0c|1.1] [-t SECONDS] [-v]
//
//  * stdout: the digest in lower-case hex and a newline. A request that fails prints the
//    checker's reason (`Connection failed`, `Timeout WEB read` ...) on stdout instead; an answer
//    with no complete header prints `no data received from remote webserver` on stderr. All
//    three exit 0, as genhash does; bad options print the complaint and the usage on stderr and
//    exit 1. The status code is not looked at.
//  * -v adds genhash's dumps: the header as hex and as text, the hashed body bytes as hex (one
//    dump per read), the digest as hex, and the response time in microseconds.
//  * No -t: no time limit (genhash's default).
//  * -m (fwmark, SO_MARK) is refused with one line: node sockets cannot set the mark.
import { httpFetch, type HttpTarget } from '../check/http-fetch.js';
import { parseIp } from '../config/values.js';

export interface GenhashIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

interface GenhashArgs {
  server?: { host: string; family: 4 | 6 };
  port?: number;
  path?: string;
  vhost?: string;
  ssl: boolean;
  sni: boolean;
  verbose: boolean;
  protocol: '1.0' | '1.0C' | '1.1';
  timeoutMs: number;
}

const LONG: Readonly<Record<string, string>> = {
  help: 'h',
  verbose: 'v',
  'use-ssl': 'S',
  'use-sni': 'I',
  server: 's',
  'use-virtualhost': 'V',
  port: 'p',
  url: 'u',
  fwmark: 'm',
  protocol: 'P',
  timeout: 't',
};
const WITH_ARG = new Set(['s', 'V', 'p', 'u', 'm', 'P', 't']);
/** Options that switch a setting on, and options whose value is kept as written. */
const FLAGS: Readonly<Record<string, 'verbose' | 'ssl' | 'sni'>> = { v: 'verbose', S: 'ssl', I: 'sni' };
const TEXTS: Readonly<Record<string, 'vhost' | 'path'>> = { V: 'vhost', u: 'path' };

/** The usage text (our words; the same commands and options as keepalived's genhash). */
export function genhashUsage(prog: string): string {
  return [
    `Usage: ${prog} COMMAND [OPTIONS]`,
    'Commands:',
    '   -s server-address -p port -u url',
    '   -S -s server-address -p port -u url',
    '   -h',
    '',
    'Options (long or short form):',
    '   --use-ssl         -S       Connect with TLS.',
    '   --use-sni         -I       Send the virtualhost (-V) as the TLS server name (SNI).',
    '   --server          -s       The server address (an IP address).',
    '   --port            -p       The server port.',
    '   --url             -u       The path to fetch.',
    '   --use-virtualhost -V       The Host header to send.',
    '   --verbose         -v       Dump the header, the hashed body and the digest.',
    '   --help            -h       Print this help.',
    '   --fwmark          -m       Mark the connection (not supported by keepalived-ts).',
    "   --protocol        -P       HTTP protocol: '1.0', '1.0c' or '1.1'.",
    "                                1.0c is 1.0 with 'Connection: close'",
    '   --timeout         -t       Time limit in seconds for each step.',
    '',
  ].join('\n');
}

type Parsed = { ok: true; args: GenhashArgs } | { ok: false; message?: string };

/** getopt_long over genhash's options: permuted operands, unique long prefixes, `--opt=value`. */
export function parseGenhashArgs(argv: readonly string[]): Parsed {
  const a: GenhashArgs = { ssl: false, sni: false, verbose: false, protocol: '1.0', timeoutMs: 0 };
  const errors: string[] = [];
  const operands: string[] = [];
  let bad = false;
  let i = 0;
  /** Applies one option; a complaint ends the parse. */
  const take = (opt: string, value: string, label: string): string | undefined => {
    const flag = FLAGS[opt];
    const text = TEXTS[opt];
    if (flag) a[flag] = true;
    else if (text) a[text] = value;
    else
      switch (opt) {
        case 'h':
          bad = true;
          break;
        case 's': {
          const ip = parseIp(value);
          if (!ip) return `server should be an IP, not ${value}`;
          a.server = { host: ip.text, family: ip.family === 'inet6' ? 6 : 4 };
          break;
        }
        case 'p': {
          const n = /^[+-]?\d+$/.test(value) ? Number(value) : NaN;
          if (!(n > 0 && n <= 65535)) return `invalid port number '${value}'`;
          a.port = n;
          break;
        }
        case 'm':
          return 'keepalived-ts genhash: -m/--fwmark is not supported (node sockets cannot set SO_MARK)';
        case 'P':
          if (value === '1.0') a.protocol = '1.0';
          else if (value === '1.0c' || value === '1.0C') a.protocol = '1.0C';
          else if (value === '1.1') a.protocol = '1.1';
          else return `invalid HTTP protocol version '${value}'`;
          break;
        case 't': {
          const v = value.replace(/^[ \t]+/, '');
          if (!/^\d+$/.test(v)) return `invalid timeout '${value}'`;
          a.timeoutMs = Number(v) * 1000;
          break;
        }
        default:
          return `Unknown option ${label}`;
      }
    return undefined;
  };
  // genhash answers with the usage alone when it is given next to nothing.
  if (argv.length <= 1) return { ok: false };
  while (i < argv.length) {
    const w = argv[i++]!;
    if (w === '--') {
      operands.push(...argv.slice(i));
      break;
    }
    if (!w.startsWith('-') || w === '-') {
      operands.push(w);
      continue;
    }
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = w.slice(2, eq < 0 ? undefined : eq);
      const hits = Object.keys(LONG).filter((k) => k === name || k.startsWith(name));
      const key = Object.keys(LONG).includes(name) ? name : hits.length === 1 ? hits[0] : undefined;
      if (key === undefined) {
        errors.push(`Unknown option ${w}`);
        bad = true;
        continue;
      }
      const opt = LONG[key]!;
      let value = '';
      if (WITH_ARG.has(opt)) {
        if (eq >= 0) value = w.slice(eq + 1);
        else if (i < argv.length) value = argv[i++]!;
        else {
          errors.push(`Missing parameter for option --${key}`);
          bad = true;
          continue;
        }
      }
      const err = take(opt, value, w);
      if (err) return { ok: false, message: [...errors, err].join('\n') };
      continue;
    }
    for (let j = 1; j < w.length; j++) {
      const ch = w[j]!;
      if (!Object.values(LONG).includes(ch)) {
        errors.push(`Unknown option -${ch}`);
        bad = true;
        continue;
      }
      let value = '';
      if (WITH_ARG.has(ch)) {
        if (j + 1 < w.length) value = w.slice(j + 1);
        else if (i < argv.length) value = argv[i++]!;
        else {
          errors.push(`Missing parameter for option -${ch}`);
          bad = true;
          break;
        }
        const err = take(ch, value, `-${ch}`);
        if (err) return { ok: false, message: [...errors, err].join('\n') };
        break;
      }
      const err = take(ch, value, `-${ch}`);
      if (err) return { ok: false, message: [...errors, err].join('\n') };
    }
  }
  if (bad) return errors.length > 0 ? { ok: false, message: errors.join('\n') } : { ok: false };
  if (operands.length > 0) return { ok: false, message: `Unexpected argument(s): ${operands.join(' ')}` };
  if (!a.server || a.port === undefined || a.path === undefined) return { ok: false };
  return { ok: true, args: a };
}

/** genhash's hex dump: offset, 16 bytes as hex in two groups of 8, then the printable bytes. */
export function hexDump(b: Buffer): string {
  let out = '';
  const rows = Math.ceil(b.length / 16);
  for (let r = 0; r < rows; r++) {
    const row = b.subarray(r * 16, r * 16 + 16);
    let hex = '';
    let text = '';
    for (let k = 0; k < 16; k++) {
      hex += k < row.length ? ` ${row[k]!.toString(16).padStart(2, '0')}` : '   ';
      if (k === 7) hex += ' -';
      const c = row[k];
      text += c === undefined ? ' ' : c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '.';
    }
    out += `${((r * 16) & 0xffff).toString().padStart(4, '0')} ${hex}   ${text}\n`;
  }
  return out;
}

const banner = (title: string) => `-----------------------[${title}]-----------------------\n`;

/** Runs genhash with the words after `genhash` / `-T`; resolves to the exit code. */
export function runGenhash(argv: readonly string[], io: GenhashIo, prog: string): Promise<number> {
  const parsed = parseGenhashArgs(argv);
  if (!parsed.ok) {
    if (parsed.message !== undefined) io.stderr(parsed.message + '\n');
    io.stderr(genhashUsage(prog));
    return Promise.resolve(1);
  }
  const a = parsed.args;
  const target: HttpTarget = {
    host: a.server!.host,
    family: a.server!.family,
    port: a.port!,
    timeoutMs: a.timeoutMs,
    ...(a.ssl ? { tls: a.sni && a.vhost !== undefined ? { servername: a.vhost } : {} } : {}),
  };
  const started = process.hrtime.bigint();
  const v = a.verbose;
  return new Promise((resolve) => {
    httpFetch(
      target,
      { path: a.path!, protocol: a.protocol, ...(a.vhost !== undefined ? { vhost: a.vhost } : {}), digest: true },
      (o) => {
        if (o.kind === 'response') {
          if (!o.extracted) io.stderr('no data received from remote webserver\n');
          else io.stdout(`${o.digest ?? ''}\n`);
        } else if (o.kind === 'failed') {
          io.stdout(`${o.reason}\n`);
        } else {
          io.stdout(`WEB socket bind failed (${o.detail})\n`);
        }
        if (v) io.stdout(`\nGlobal response time for [${a.path!}] = ${(process.hrtime.bigint() - started) / 1000n} usecs\n`);
        resolve(0);
      },
      v
        ? {
            onHeaderRead: () => io.stdout(banner('    HTTP Header Buffer    ')),
            onHeader: (h) => io.stdout(hexDump(h) + banner(' HTTP Header Ascii Buffer ') + h.toString('latin1') + '\n'),
            onHashed: (b, first) => io.stdout((first ? banner('        HTML Buffer        ') : '') + hexDump(b)),
            onDigest: (d) => io.stdout('\n' + banner('    HTML hash resulting    ') + hexDump(d) + banner(' HTML hash final resulting ')),
          }
        : {},
    );
  });
}

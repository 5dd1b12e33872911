// keepalived's command line (keepalived/core/main.c `long_options`, man keepalived(8)), parsed by
// a pure function so every flag combination is a unit test. The grammar follows getopt_long as
// keepalived uses it: short flags may be bundled (`-nlD`), a required argument may be attached
// (`-f/etc/x`) or the next word, an optional argument must be attached (`-tLOG`,
// `--config-test=LOG`), long options may be abbreviated to any unique prefix, and operands may
// appear anywhere (keepalived only warns about them). `--` ends the options.

export const DEFAULT_CONFIG_FILE = '/etc/keepalived/keepalived.conf';

import { SIGNUMS } from '../lib/signums.js';
import { parseListenAddress } from '../core/metrics-address.js';

export { SIGNUMS };

export interface CliOptions {
  /** -f/--use-file; keepalived's default when absent. */
  readonly configFile: string;
  readonly configFileGiven: boolean;
  /** -t/--config-test[=LOG_FILE]. */
  readonly configTest: boolean;
  readonly configTestLog?: string;
  /** -i/--config-id, else the host name up to its first '.'. */
  readonly configId: string;
  /** Ours: print the resolved model as JSON. */
  readonly dumpConfig: boolean;
  /** -d/--dump-conf: keepalived dumps its parsed config to the log. */
  readonly dumpConf: boolean;
  readonly version: boolean;
  readonly help: boolean;
  /** --signum=NAME: print the signal number and exit. */
  readonly signum?: string;
  readonly dontFork: boolean;
  readonly logConsole: boolean;
  readonly logDetail: boolean;
  /** Numeric syslog facility: 0-7 = local0-7, 8 = user, 9 = daemon (default). */
  readonly logFacility: LogFacility;
  /** -S was given (even with an invalid value). */
  readonly logFacilitySet: boolean;
  readonly noSyslog: boolean;
  readonly logFile?: string;
  /** --log-format=text|json (ours): the console's and the -g file's line format. */
  readonly logFormat: 'text' | 'json';
  /** --syslog-socket=PATH (ours): where syslog lines go instead of /dev/log. */
  readonly syslogSocket?: string;
  readonly flushLogFile: boolean;
  readonly vrrpOnly: boolean;
  readonly checkOnly: boolean;
  readonly noBfd: boolean;
  readonly all: boolean;
  readonly pidFile?: string;
  readonly vrrpPidFile?: string;
  readonly checkersPidFile?: string;
  readonly bfdPidFile?: string;
  readonly releaseVips: boolean;
  readonly dontReleaseVrrp: boolean;
  readonly dontReleaseIpvs: boolean;
  readonly dontRespawn: boolean;
  readonly addressMonitoring: boolean;
  /** --watch-config (keepalived-ts only): reload when the config or an included file changes. */
  readonly watchConfig: boolean;
  readonly allConfig: boolean;
  readonly namespace?: string;
  readonly umask?: number;
  readonly snmp: boolean;
  readonly snmpAgentSocket?: string;
  readonly coreDump: boolean;
  readonly coreDumpPattern?: string;
  /** Ours, --json: `status` prints the JSON document instead of the table. */
  readonly json: boolean;
  /** Ours, --control-socket: the daemon's control socket (daemon and client); default beside the pid file. */
  readonly controlSocket?: string;
  /** Ours, --metrics ADDR:PORT: serve Prometheus metrics there (off by default). */
  readonly metrics?: string;
  /** Words that are not options; keepalived prints "Unexpected argument(s)" and carries on. */
  readonly operands: readonly string[];
  /**
   * -T / --genhash: genhash mode (src/cli/genhash.ts) with the words after it; `ignored` names the
   * option when options came before it (keepalived warns that they are ignored).
   */
  readonly genhash?: { readonly args: readonly string[]; readonly ignored?: string };
  /** Non-fatal complaints (keepalived prints them and continues; -t then exits 5). */
  readonly warnings: readonly string[];
}

import type { LogFacility } from '../lib/syslog.js';

export type { LogFacility };

export type ArgvResult =
  | { readonly ok: true; readonly options: CliOptions }
  | { readonly ok: false; readonly message: string; readonly exitCode: number };

type ArgKind = 'none' | 'required' | 'optional';

/** The CliOptions fields that are flags (given or not), and those that carry a parsed value as is. */
type FlagField = { [K in keyof CliOptions]-?: CliOptions[K] extends boolean ? K : never }[keyof CliOptions];
type ValueField =
  | 'configTestLog'
  | 'signum'
  | 'logFile'
  | 'syslogSocket'
  | 'pidFile'
  | 'vrrpPidFile'
  | 'checkersPidFile'
  | 'bfdPidFile'
  | 'namespace'
  | 'umask'
  | 'snmpAgentSocket'
  | 'coreDumpPattern'
  | 'controlSocket'
  | 'metrics';

export interface OptionSpec {
  readonly long: string;
  readonly short?: string;
  readonly arg: ArgKind;
  /** Name of the CliOptions field it sets. */
  readonly key: string;
}

/**
 * keepalived 2.2.7's getopt_long table, one word per option, `long/s=field` (`long/=field` when
 * there is no short letter), by argument kind: `field` is the CliOptions field it sets.
 */
const OPTION_WORDS: Readonly<Record<ArgKind, string>> = {
  none:
    'vrrp/P=vrrpOnly check/C=checkOnly no_bfd/B=noBfd all/=all log-console/l=logConsole log-detail/D=logDetail ' +
    'flush-log-file/=flushLogFile no-syslog/G=noSyslog release-vips/X=releaseVips dont-release-vrrp/V=dontReleaseVrrp ' +
    'dont-release-ipvs/I=dontReleaseIpvs dont-respawn/R=dontRespawn dont-fork/n=dontFork dump-conf/d=dumpConf dump-config/=dumpConfig ' +
    'address-monitoring/a=addressMonitoring snmp/x=snmp core-dump/m=coreDump all-config/e=allConfig watch-config/=watchConfig genhash/T=genhash version/v=version help/h=help ' +
    'json/=json',
  required:
    'use-file/f=configFile log-facility/S=logFacility umask/u=umask pid/p=pidFile vrrp_pid/r=vrrpPidFile checkers_pid/c=checkersPidFile ' +
    'bfd_pid/b=bfdPidFile snmp-agent-socket/A=snmpAgentSocket namespace/s=namespace config-id/i=configId signum/=signum ' +
    'control-socket/=controlSocket metrics/=metrics log-format/=logFormat syslog-socket/=syslogSocket',
  optional: 'log-file/g=logFile core-dump-pattern/M=coreDumpPattern config-test/t=configTest',
};

/** Every option argv accepts (the documentation tests read it). */
export const SPECS: readonly OptionSpec[] = (Object.entries(OPTION_WORDS) as [ArgKind, string][]).flatMap(([arg, words]) =>
  words.split(' ').map((w): OptionSpec => {
    const [, long, short, key] = /^([^/]+)\/(\w?)=(\w+)$/.exec(w) ?? [];
    if (long === undefined || key === undefined) throw new Error(`bad option word ${w}`);
    return short ? { long, short, arg, key } : { long, arg, key };
  }),
);

const BY_SHORT = new Map(SPECS.filter((s) => s.short).map((s) => [s.short as string, s]));

/** The short host name keepalived uses as the default config id (uname nodename up to '.'). */
export function defaultConfigId(hostname: string): string {
  const dot = hostname.indexOf('.');
  return dot < 0 ? hostname : hostname.slice(0, dot);
}

/** getopt_long's lookup: an exact name wins, else a unique prefix; ambiguity is unknown. */
function findLong(name: string): OptionSpec | undefined {
  const exact = SPECS.find((s) => s.long === name);
  if (exact) return exact;
  const candidates = SPECS.filter((s) => s.long.startsWith(name));
  return candidates.length === 1 ? candidates[0] : undefined;
}

function parseFacility(v: string): LogFacility | undefined {
  if (/^[0-7]$/.test(v)) return `local${v}` as LogFacility;
  if (/^local[0-7]$/.test(v) || v === 'user' || v === 'daemon') return v as LogFacility;
  return undefined;
}

/**
 * Parses argv (without the node and script words). `hostname` feeds the default config id.
 * Never throws: a usage error is `{ ok: false, message, exitCode: 1 }` worded like keepalived's.
 */
export function parseArgv(argv: readonly string[], hostname: string): ArgvResult {
  const o: Record<string, unknown> = {};
  const operands: string[] = [];
  const warnings: string[] = [];

  const apply = (spec: OptionSpec, value: string | undefined): string | undefined => {
    switch (spec.key) {
      case 'configFile':
        o.configFile = value;
        o.configFileGiven = true;
        return undefined;
      case 'configTest':
        o.configTest = true;
        if (value !== undefined) o.configTestLog = value;
        return undefined;
      case 'logFacility': {
        o.logFacilitySet = true;
        const f = parseFacility(value as string);
        if (f) o.logFacility = f;
        else warnings.push(`Invalid log facility '${value}'`);
        return undefined;
      }
      case 'umask': {
        // keepalived reads it with strtoul(.., 0): 022, 0x12 and 18 are all accepted.
        const v = value as string;
        const n = /^0[0-7]*$/.test(v) ? parseInt(v, 8) : /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^[1-9][0-9]*$/.test(v) ? parseInt(v, 10) : NaN;
        if (!Number.isFinite(n) || n > 0o777) return `Invalid --umask ${v}`;
        o.umask = n;
        return undefined;
      }
      case 'logFile':
        o.logFile = value ?? '/tmp/keepalived.log';
        return undefined;
      case 'logFormat':
        if (value !== 'text' && value !== 'json') return `Invalid --log-format ${String(value)} (text or json)`;
        o.logFormat = value;
        return undefined;
      case 'coreDumpPattern':
        o.coreDump = true;
        o.coreDumpPattern = value ?? 'core';
        return undefined;
      case 'metrics':
        if (!parseListenAddress(value as string)) return `Invalid --metrics ${value}: expected ADDR:PORT (127.0.0.1:9650, [::1]:9650, :9650)`;
        o.metrics = value;
        return undefined;
      case 'controlSocket':
        if (value === '') return 'Invalid --control-socket: empty path';
        o.controlSocket = value;
        return undefined;
      default:
        o[spec.key] = spec.arg === 'none' ? true : value;
        return undefined;
    }
  };

  let i = 0;
  let optionsEnded = false;
  let genhash: CliOptions['genhash'];
  while (i < argv.length && genhash === undefined) {
    const word = argv[i++];
    if (optionsEnded || word === '-' || !word.startsWith('-')) {
      operands.push(word);
      continue;
    }
    if (word === '--') {
      optionsEnded = true;
      continue;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const spec = findLong(name);
      if (!spec) return { ok: false, message: `Unknown option ${word}`, exitCode: 1 };
      if (spec.key === 'genhash') {
        // main.c case 'T': the rest of the command line is genhash's.
        genhash = { args: argv.slice(i), ...(i > 1 ? { ignored: spec.long } : {}) };
        break;
      }
      let value: string | undefined;
      if (eq >= 0) {
        if (spec.arg === 'none') return { ok: false, message: `Unknown option ${word}`, exitCode: 1 };
        value = word.slice(eq + 1);
      } else if (spec.arg === 'required') {
        if (i >= argv.length) return { ok: false, message: `Missing parameter for option --${spec.long}`, exitCode: 1 };
        value = argv[i++];
      }
      const err = apply(spec, value);
      if (err) return { ok: false, message: err, exitCode: 1 };
      continue;
    }
    // A bundle of short options: -nlD, -f FILE, -fFILE, -tLOG.
    for (let j = 1; j < word.length; j++) {
      const ch = word[j];
      const spec = BY_SHORT.get(ch);
      if (!spec) return { ok: false, message: `Unknown option -${ch}`, exitCode: 1 };
      if (spec.key === 'genhash') {
        genhash = { args: argv.slice(i), ...(i > 1 || j > 1 ? { ignored: '-T' } : {}) };
        break;
      }
      let value: string | undefined;
      const rest = word.slice(j + 1);
      if (spec.arg === 'required') {
        if (rest.length > 0) value = rest;
        else if (i < argv.length) value = argv[i++];
        else return { ok: false, message: `Missing parameter for option -${ch}`, exitCode: 1 };
      } else if (spec.arg === 'optional' && rest.length > 0) {
        value = rest;
      }
      const err = apply(spec, value);
      if (err) return { ok: false, message: err, exitCode: 1 };
      if (value !== undefined && spec.arg !== 'none') break; // the rest of the word was the value
    }
  }

  if (typeof o.signum === 'string' && !(o.signum in SIGNUMS)) {
    return { ok: false, message: `Unknown sigfunc ${o.signum}`, exitCode: 1 };
  }

  // Flags are booleans (given or not); values pass through as parsed (undefined when absent).
  const flags = [...SPECS.filter((s) => s.arg === 'none' && s.key !== 'genhash').map((s) => s.key), 'configFileGiven', 'configTest', 'logFacilitySet'];
  const values: readonly ValueField[] = ['configTestLog', 'signum', 'logFile', 'syslogSocket', 'pidFile', 'vrrpPidFile', 'checkersPidFile', 'bfdPidFile', 'namespace', 'umask', 'snmpAgentSocket', 'coreDumpPattern', 'controlSocket', 'metrics'];
  const options: CliOptions = {
    ...(Object.fromEntries(flags.map((k) => [k, o[k] === true])) as Record<FlagField, boolean>),
    ...(Object.fromEntries(values.map((k) => [k, o[k]])) as Pick<CliOptions, ValueField>),
    configFile: (o.configFile as string | undefined) ?? DEFAULT_CONFIG_FILE,
    configId: (o.configId as string | undefined) ?? defaultConfigId(hostname),
    logFacility: (o.logFacility as LogFacility | undefined) ?? 'daemon',
    logFormat: (o.logFormat as 'text' | 'json' | undefined) ?? 'text',
    operands,
    warnings,
    ...(genhash ? { genhash } : {}),
  };
  // main.c case 't': a config test never forks, never respawns and logs to stderr.
  if (options.configTest) {
    return { ok: true, options: { ...options, dontFork: true, dontRespawn: true, noSyslog: true } };
  }
  return { ok: true, options };
}

/**
 * Daemon-mode flags keepalived-ts does not implement yet, with why and what to do instead. Each
 * one present refuses the start (exit 4, see refusedFlagsLine) instead of being silently ignored;
 * `-t` and the other one-shot commands ignore them, as keepalived -t ignores daemon-only flags.
 */
const REFUSED: readonly { readonly flag: string; readonly given: (o: CliOptions) => boolean; readonly why: string }[] = [
  { flag: '-X/--release-vips', given: (o) => o.releaseVips, why: 'not implemented' },
  { flag: '-s/--namespace', given: (o) => o.namespace !== undefined, why: 'run the daemon under "ip netns exec NAME" instead' },
  { flag: '-x/--snmp', given: (o) => o.snmp, why: 'there is no SNMP agent' },
  { flag: '-A/--snmp-agent-socket', given: (o) => o.snmpAgentSocket !== undefined, why: 'there is no SNMP agent' },
  { flag: '-m/--core-dump', given: (o) => o.coreDump && o.coreDumpPattern === undefined, why: 'set LimitCORE= in the service unit instead' },
  { flag: '--json', given: (o) => o.json, why: 'it only applies to the status command (keepalived-ts status --json)' },
  { flag: '-M/--core-dump-pattern', given: (o) => o.coreDumpPattern !== undefined, why: 'set kernel.core_pattern with sysctl instead' },
];

/** Exit code of a start refused for an unsupported flag. */
export const EXIT_UNSUPPORTED_FLAG = 4;

/** The one line that refuses a daemon start, or undefined when every flag given is supported. */
export function refusedFlagsLine(o: CliOptions): string | undefined {
  const hit = REFUSED.filter((r) => r.given(o));
  if (hit.length === 0) return undefined;
  return `keepalived-ts: not supported yet, refusing to start: ${hit.map((r) => `${r.flag} (${r.why})`).join('; ')}`;
}

/** The control commands (`keepalived-ts status`, `keepalived-ts reload`): the first operand. */
export const CONTROL_COMMANDS = ['status', 'reload'] as const;
export type ControlCommandName = (typeof CONTROL_COMMANDS)[number];

/** The control command the operands name, if any (then no daemon starts). */
export function controlCommand(o: CliOptions): ControlCommandName | undefined {
  const w = o.operands[0];
  return (CONTROL_COMMANDS as readonly string[]).includes(w ?? '') ? (w as ControlCommandName) : undefined;
}

/** The --help text: keepalived's options, plus ours. */
export function usageText(prog = 'keepalived-ts'): string {
  return [
    `Usage: ${prog} [OPTION...]`,
    `  -f, --use-file=FILE          Use the specified configuration file`,
    `                                default '${DEFAULT_CONFIG_FILE}'`,
    `  -P, --vrrp                   Only run with VRRP subsystem`,
    `  -C, --check                  Only run with Health-checker subsystem (IPVS and checkers)`,
    `                                (neither: both run, in one process; -P with -C: nothing runs)`,
    `  -B, --no_bfd                 Don't run BFD subsystem (there is none: no effect)`,
    `      --all                    Force all child processes to run, even if have no configuration`,
    `                                (here: run VRRP and the checkers, and write their pid files,`,
    `                                 even with no vrrp_instance or virtual_server)`,
    `  -l, --log-console            Log messages to local console`,
    `  -D, --log-detail             Detailed log messages`,
    `  -S, --log-facility=([0-7]|local[0-7]|user|daemon)`,
    `                               Set syslog facility (default daemon)`,
    `  -g, --log-file[=FILE]        Also log to FILE (default /tmp/keepalived.log)`,
    `      --flush-log-file         Flush the log file after each line (always the case here)`,
    `  -G, --no-syslog              Don't log via syslog`,
    `      --syslog-socket=PATH     Send syslog lines to PATH (default /dev/log; '@NAME' is abstract)`,
    `                                no socket there: the lines go to the console instead`,
    `      --log-format=text|json   Console and log file lines as text (default) or JSON lines`,
    `  -X, --release-vips           Drop VIP on transition from signal [not supported yet]`,
    `  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop`,
    `  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop`,
    `  -R, --dont-respawn           Don't respawn child processes (there are none: no effect)`,
    `  -n, --dont-fork              Don't fork the daemon process (never forks: always in the foreground)`,
    `  -d, --dump-conf              Dump the configuration data`,
    `      --dump-config            Print the resolved configuration model as JSON and exit`,
    `  -p, --pid=FILE               Use specified pidfile for parent process`,
    `  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process`,
    `  -T, --genhash                Genhash mode (the first option; the rest are genhash's: -T -h lists them)`,
    `  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process`,
    `                                default '/run/checkers.pid'; written when virtual servers run`,
    `  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process (none runs: not written)`,
    `  -a, --address-monitoring     Report all address additions/deletions notified via netlink`,
    `  -s, --namespace=NAME         Run in network namespace NAME (overrides config) [not supported yet]`,
    `  -e, --all-config             Error if any configuration file missing`,
    `      --watch-config           Reload (as on SIGHUP) when the config or an included file`,
    `                                changes (keepalived-ts only)`,
    `  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id`,
    `                                or any lines beginning @^ that do match.`,
    `                                The config-id defaults to the node name if option not used`,
    `  -x, --snmp                   Enable SNMP subsystem [not supported yet]`,
    `  -A, --snmp-agent-socket=FILE Use the specified socket for master agent [not supported yet]`,
    `  -u, --umask=MASK             umask for file creation (in numeric form)`,
    `  -m, --core-dump              Produce core dump if terminate abnormally [not supported yet]`,
    `  -M, --core-dump-pattern=PATN Also set /proc/sys/kernel/core_pattern to PATN [not supported yet]`,
    `      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON`,
    `  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to`,
    `                                stderr by default`,
    `      --control-socket=PATH    The daemon's control socket (daemon and status/reload)`,
    `                                default: beside the pid file, /run/keepalived.pid -> /run/keepalived-ts.ctl`,
    `      --metrics=ADDR:PORT      Serve Prometheus metrics at http://ADDR:PORT/metrics (default off)`,
    `      --json                   With status: print the JSON document (docs/control-socket.md)`,
    `  -v, --version                Display the version number`,
    `  -h, --help                   Display this help message`,
    ``,
    `Commands (to a running daemon, over its control socket; -p or --control-socket finds it):`,
    `  ${prog} status [--json]     Instances, priorities and why, VIPs, counters; virtual servers`,
    `  ${prog} reload              Re-read the configuration; exit 0 applied/unchanged, 1 rejected`,
    `Options marked [not supported yet] refuse to start the daemon (exit ${EXIT_UNSUPPORTED_FLAG}); -t ignores them.`,
  ].join('\n');
}

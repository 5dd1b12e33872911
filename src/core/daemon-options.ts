// What the daemon is started with: keepalived's flags as main.ts parsed them, and the seams tests
// replace (kernel, packet io, timers, process runner, clock, logger, signals).
import type { NftRunner } from '../kernel/nft-firewall.js';
import type { Clock } from '../lib/clock.js';
import type { OneShotFactory } from '../lib/timer-queue.js';
import type { Logger } from '../lib/log.js';
import type { LogFacility } from '../lib/syslog.js';
import type { Kernel } from '../kernel/kernel.js';
import type { PacketIo } from '../net/packet-io.js';
import type { ProcessRunner } from '../notify/process-runner.js';
import type { EarlySignals, RawSignalWatcher } from './signals.js';
import type { LvsParts } from './lvs-parts.js';
import type { ReloadResult } from './control-protocol.js';

export interface DaemonOptions {
  readonly configFile: string;
  readonly configId: string;
  /** -p / --pid and -r / --vrrp_pid; undefined = none. */
  readonly pidFile?: string;
  readonly vrrpPidFile?: string;
  /** -c / --checkers_pid; written when the LVS side runs. */
  readonly checkersPidFile?: string;
  /** -P / --vrrp: only the VRRP side. */
  readonly vrrpOnly?: boolean;
  /** -C / --check: only the LVS side (IPVS and checkers). */
  readonly checkOnly?: boolean;
  /** -I / --dont-release-ipvs: leave our IPVS services in the kernel at stop. */
  readonly dontReleaseIpvs?: boolean;
  /** The checkers and the IPVS table; default the checker process and generic netlink. */
  readonly lvsParts?: LvsParts;
  /** -l: log lines on the console (stderr) too. */
  readonly logConsole?: boolean;
  /** -G / --no-syslog: nothing to syslog. */
  readonly noSyslog?: boolean;
  /** -S / --log-facility (default daemon). */
  readonly logFacility?: LogFacility;
  /** --syslog-socket (ours): the syslog socket, default /dev/log. */
  readonly syslogSocket?: string;
  /** --log-format (ours): text lines (default) or JSON lines on the console and in the -g file. */
  readonly logFormat?: 'text' | 'json';
  /** NOTIFY_SOCKET (systemd Type=notify); default from the environment. */
  readonly notifySocket?: string;
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** -g / --log-file: every log line is also appended (as text) to this file. */
  readonly logFile?: string;
  /** Seams for tests; production opens the real ones. */
  readonly kernel?: Kernel;
  readonly io?: PacketIo;
  /** The VRRP deadline timer; default the native timerfd when the native io is used, else setTimeout. */
  readonly oneShot?: OneShotFactory;
  /** nftables transactions (no_accept); default: `nft` on a real host, recorded when `kernel` is given. */
  readonly nft?: NftRunner;
  readonly runner?: ProcessRunner;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Install the signal handlers (TERM, INT, HUP, USR1, USR2, STATS_CLEAR, JSON; default true). */
  readonly signals?: boolean;
  /** Watches the realtime signals; default the native addon's. */
  readonly rawSignals?: RawSignalWatcher;
  /** Handlers main.ts installed before start-up: their signals are replayed once ours are in place. */
  readonly earlySignals?: EarlySignals;
  /** -V / --dont-release-vrrp: leave VIPs in place at stop and send no priority-0 advert. */
  readonly dontReleaseVrrp?: boolean;
  /** -d / --dump-conf: log the parsed configuration at start. */
  readonly dumpConf?: boolean;
  /** -a / --address-monitoring: log every address added or removed on any interface. */
  readonly addressMonitoring?: boolean;
  /** --watch-config: reload when the config or an included file changes (keepalived-ts only). */
  readonly watchConfig?: boolean;
  /** Reload tuning: read the new config on the event loop instead of a worker thread (benchmark); the watch's debounce. */
  readonly reloadOptions?: { readonly inProcess?: boolean; readonly watchDebounceMs?: number };
  /** -u / --umask as given (the dump files' modes follow it, as keepalived's do); main.ts sets the process umask. */
  readonly umask?: number;
  /** -e / --all-config: a missing or unreadable included file stops the start (exit 6), as in keepalived. */
  readonly allConfig?: boolean;
  /** --all: run the VRRP side (and write its pid file) even with no vrrp_instance configured. */
  readonly all?: boolean;
  /** --control-socket: the control socket's path, or false for none; default beside pidFile (control-plane.ts). */
  readonly controlSocket?: string | false;
  /** --metrics ADDR:PORT: serve Prometheus metrics there; default off. */
  readonly metrics?: string;
  /** What `keepalived-ts reload` on the control socket runs; default: answers rejected (not implemented). */
  readonly onReload?: () => Promise<ReloadResult>;
  /** Where the signal dumps go (default keepalived's /tmp files). */
  readonly dumpFiles?: { readonly data: string; readonly stats: string; readonly json: string; readonly checkData?: string };
}

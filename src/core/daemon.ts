// The VRRP daemon: config -> kernel/socket wiring -> VrrpRuntime, plus scripts, notify, link
// events, pid files and signals. keepalived's process split (parent, VRRP child, checker child)
// is one Node process here for the VRRP side; everything blocking runs in other processes.
import { existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { DiagnosticSink, formatDiagnostic } from '../lib/diagnostics.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { OneShotFactory } from '../lib/timer-queue.js';
import { createLogger, prettyLine, type LogRecord, type Logger } from '../lib/log.js';
import type { Ms } from '../lib/units.js';
import { parseConfigFile } from '../config/parse.js';
import { buildModel, modelRetain } from '../config/build-model.js';
import { inFileOrder, interfaceDiagnostics } from '../config/host-checks.js';
import { COMPAT_VERSION, packageVersion } from '../lib/version.js';
import type { KeepalivedConfig } from '../config/model.js';
import type { Kernel } from '../kernel/kernel.js';
import type { PacketIo } from '../net/packet-io.js';
import { scriptKey, syncGroupConfigFromModel } from '../vrrp/model-adapter.js';
import { VrrpRuntime } from '../vrrp/runtime/vrrp-runtime.js';
import { NodeProcessRunner, type PreparedScript, type ProcessRunner } from '../notify/process-runner.js';
import { configuredScripts, nodeSecurityFs, parseUserDb, prepareConfiguredScript, type ConfiguredScript, type UserDb } from '../notify/script-security.js';
import { VrrpScriptRunner } from '../notify/vrrp-script-runner.js';
import { RealTimers } from '../lib/timers.js';
import { FifoWriter } from '../notify/fifo.js';
import { ScriptNotifySink } from './notify-sink.js';
import { startRefusal, wireInstances } from './instance-wiring.js';
import { acquirePidFile, PidFileError } from './pid-file.js';
import { LinkWatcher } from './link-watch.js';
import { TrackFileWatcher } from './track-file-watch.js';
import { dispatchSignal, installSignalHandlers, nativeSignalWatcher, type EarlySignals, type RawSignalWatcher } from './signals.js';
import { VrrpStats } from './vrrp-stats.js';
import { daemonSignalActions } from './signal-actions.js';
import { ScriptStatusLog } from './script-status-log.js';

/** keepalived's exit codes (lib/scheduler.h). */
export const EXIT = { OK: 0, FATAL: 1, CONFIG: 2, PERMISSION: 4, NO_CONFIG: 6 } as const;

export interface DaemonOptions {
  readonly configFile: string;
  readonly configId: string;
  /** -p / --pid and -r / --vrrp_pid; undefined = none. */
  readonly pidFile?: string;
  readonly vrrpPidFile?: string;
  /** -l: readable log lines instead of JSON. */
  readonly logConsole?: boolean;
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** -g / --log-file: every log line is also appended (as text) to this file. */
  readonly logFile?: string;
  /** Seams for tests; production opens the real ones. */
  readonly kernel?: Kernel;
  readonly io?: PacketIo;
  /** The VRRP deadline timer; default the native timerfd when the native io is used, else setTimeout. */
  readonly oneShot?: OneShotFactory;
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
  /** -u / --umask as given (the dump files' modes follow it, as keepalived's do); main.ts sets the process umask. */
  readonly umask?: number;
  /** -e / --all-config: a missing or unreadable included file stops the start (exit 6), as in keepalived. */
  readonly allConfig?: boolean;
  /** --all: run the VRRP side (and write its pid file) even with no vrrp_instance configured. */
  readonly all?: boolean;
  /** Where the signal dumps go (default keepalived's /tmp files). */
  readonly dumpFiles?: { readonly data: string; readonly stats: string; readonly json: string };
}

export interface RunningDaemon {
  readonly runtime: VrrpRuntime;
  /** Resolves with the exit code once stopped. */
  readonly done: Promise<number>;
  stop(): Promise<number>;
}

/** A start-up failure with the one line to print and keepalived's exit code. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * /etc/passwd and /etc/group, read at the first lookup and then kept for this start-up (the
 * notify/security code looks users and groups up several times per script: reading both files
 * each time made start-up time grow with the number of scripts times the size of the files).
 */
function userDbOnce(passwdPath = '/etc/passwd', groupPath = '/etc/group'): UserDb {
  let db: UserDb | undefined;
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  const get = () => (db ??= parseUserDb(read(passwdPath), read(groupPath)));
  return { userByName: (n) => get().userByName(n), groupByName: (n) => get().groupByName(n), groupsOf: (n) => get().groupsOf(n) };
}

/**
 * The start-up check of one configured script (the one `-t` runs too: notify/script-security.ts),
 * its findings logged; the script ready to run, or undefined when disabled.
 */
function prepare(
  model: KeepalivedConfig,
  db: UserDb,
  s: ConfiguredScript,
  log: Logger,
  onDisabled?: (reason: 'not-found' | 'not-executable' | 'insecure' | 'no-user') => void,
): PreparedScript | undefined {
  const verdict = prepareConfiguredScript(s, model.globalDefs, { db, fs: nodeSecurityFs, path: process.env.PATH });
  for (const f of verdict.findings) (f.severity === 'error' ? log.error.bind(log) : log.warn.bind(log))({ script: s.name, code: f.code }, f.message);
  if (!verdict.ok) {
    onDisabled?.(verdict.reason);
    return undefined;
  }
  return verdict.script;
}

/** The daemon's logger: stderr (JSON, or text with -l), plus a text copy in the -g file. */
function daemonLogger(o: DaemonOptions): Logger {
  const level = o.logLevel ?? 'info';
  if (o.logFile === undefined) return createLogger({ pretty: o.logConsole, level });
  let fd: number;
  try {
    fd = openSync(o.logFile, 'a', 0o644);
  } catch (e) {
    throw new StartError(`keepalived-ts: cannot open log file ${o.logFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT.FATAL);
  }
  const pretty = o.logConsole ?? false;
  const tee = {
    write(line: string): void {
      const text = prettyLine(JSON.parse(line) as LogRecord);
      process.stderr.write(pretty ? text : line);
      try {
        writeSync(fd, text); // synchronous: --flush-log-file holds for every line
      } catch {
        /* a full disk must not stop the daemon */
      }
    },
  };
  return createLogger({ pretty: false, level, destination: tee as unknown as NodeJS.WritableStream });
}

/** Loads the config, wires the host and starts the runtime. Throws StartError on failure. */
export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const log = o.log ?? daemonLogger(o);
  const clock = o.clock ?? systemClock;
  if (!o.kernel && process.getuid?.() !== 0) {
    throw new StartError('keepalived-ts: must run as root (raw sockets and address changes need CAP_NET_RAW/CAP_NET_ADMIN)', EXIT.PERMISSION);
  }
  if (!existsSync(o.configFile)) throw new StartError(`keepalived-ts: configuration file ${o.configFile} not found`, EXIT.NO_CONFIG);

  // keepalived's start-up banner, in its words (people grep for them), our version added.
  log.info(`Starting Keepalived v${COMPAT_VERSION} (keepalived-ts v${packageVersion()})`);
  // keepalived prints "Opening file" only with -D (detail), "Configuration file" always.
  log.debug(`Opening file '${o.configFile}'.`);
  log.info(`Configuration file ${o.configFile}`);
  const sink = new DiagnosticSink();
  const tree = parseConfigFile(o.configFile, { configId: o.configId, retain: modelRetain(sink) }, sink);
  const model = buildModel(tree, sink);
  for (const d of inFileOrder(sink.items, tree)) {
    const line = formatDiagnostic(d);
    if (d.severity === 'error') log.error({ code: d.code }, line);
    else if (d.severity === 'warning') log.warn({ code: d.code }, line);
    else log.debug({ code: d.code }, line);
  }
  if (o.allConfig) {
    // keepalived 2.2.7 -e: "Config files missing" for an include, then exit 6 (observed).
    const missing = sink.items.filter((d) => d.code === 'include-not-found' || d.code === 'include-unreadable');
    if (missing.length > 0) throw new StartError(`keepalived-ts: -e/--all-config: ${missing.map((d) => formatDiagnostic(d)).join('; ')}`, EXIT.NO_CONFIG);
  }
  const refusal = startRefusal(sink.items);
  if (refusal) throw new StartError(`keepalived-ts: ${formatDiagnostic(refusal)}`, EXIT.CONFIG);
  if (o.dumpConf) {
    // -d: the parsed configuration, one log line per line of the JSON model.
    const { modelToJson } = await import('../config/model-json.js');
    log.info(`------< configuration of ${o.configFile} >------`);
    for (const line of modelToJson(model).split('\n')) log.info(line);
  }
  // keepalived 2.2.7 with nothing configured logs "no configuration to run" and stays up waiting
  // for a reload (exiting would make systemd restart it in a loop). Reload is not implemented
  // yet, so the line says only that we stay up.
  const empty = model.vrrpInstances.length === 0;
  if (empty) log.warn({ configFile: o.configFile }, `no vrrp_instance in ${o.configFile}: nothing to run; staying up, idle, until stopped`);

  let kernel = o.kernel;
  let io = o.io;
  let oneShot = o.oneShot;
  try {
    if (!kernel) kernel = (await import('../kernel/netlink-kernel.js')).NetlinkKernel.open();
    if (!io) {
      io = new (await import('../net/native-packet-io.js')).NativePacketIo();
      // The addon is loaded now: protocol deadlines on its timerfd (see src/net/native-timer.ts).
      oneShot ??= (await import('../net/native-timer.js')).nativeOneShot;
    }
  } catch (e) {
    throw new StartError(`keepalived-ts: cannot open kernel interfaces: ${(e as Error).message}`, EXIT.FATAL);
  }

  const wired = await wireInstances(model, kernel);
  const missingIf = wired.problems.filter((p) => p.code === 'no-interface');
  // The same check `-t` runs, against the kernel's links: each missing interface (an instance's,
  // a tracked one, a VIP's or a route's dev) with its file:line:col and keepalived's wording,
  // then keepalived's summary line. keepalived's VRRP process stops on any of them.
  const hostIfs = interfaceDiagnostics(tree, { interfaces: new Set(wired.links.map((l) => l.name)) });
  if (hostIfs.length > 0 || missingIf.length > 0 || (wired.specs.length === 0 && !empty)) {
    await kernel.close();
    io.close();
    // The lines go on stderr (the StartError), not twice through the logger too.
    // keepalived 2.2.7 exits 2 ("permanent error CONFIG") for a non-existent interface.
    const why =
      hostIfs.length > 0
        ? hostIfs.map(formatDiagnostic)
        : (missingIf.length > 0 ? missingIf : wired.problems).map((p) => `keepalived-ts: ${p.message}`);
    throw new StartError(why.join('\n') || 'keepalived-ts: no runnable vrrp_instance', EXIT.CONFIG);
  }
  for (const p of wired.problems) {
    // The instance's file:line:col rides along as a field; the message stays greppable as is.
    const loc = model.vrrpInstances.find((v) => v.name === p.instance)?.loc;
    const at = loc ? { at: `${loc.file}:${loc.line}:${loc.column}` } : {};
    (p.code === 'unsupported' ? log.warn.bind(log) : log.error.bind(log))({ instance: p.instance, code: p.code, ...at }, p.message);
  }

  const releasers: (() => void)[] = [];
  try {
    if (o.pidFile) releasers.push(acquirePidFile(o.pidFile));
    // keepalived starts no VRRP child (and writes no VRRP pid file) with nothing configured, unless --all.
    if (o.vrrpPidFile && (!empty || o.all)) releasers.push(acquirePidFile(o.vrrpPidFile));
  } catch (e) {
    for (const r of releasers) r();
    await kernel.close();
    io.close();
    if (e instanceof PidFileError) throw new StartError(`keepalived-ts: ${e.message}`, EXIT.FATAL);
    throw e;
  }

  const runner = o.runner ?? new NodeProcessRunner();
  const timers = new RealTimers(clock);
  const userDb = userDbOnce();
  const prepared = new Map<string, PreparedScript>();
  // Notify scripts are checked before the runtime starts: its first transitions notify them.
  const scripts = configuredScripts(model);
  for (const sc of scripts) {
    if (sc.checker || sc.vrrpScript !== undefined) continue;
    const p = prepare(model, userDb, sc, log);
    if (p) prepared.set(scriptKey(sc.spec), p);
  }
  const g = model.globalDefs;
  const fifos: FifoWriter[] = [];
  for (const f of [g.notifyFifo, g.vrrpNotifyFifo]) {
    if (!f || fifos.some((x) => x.path === f.path)) continue;
    const w = new FifoWriter({ path: f.path, log }, runner, timers);
    fifos.push(w);
    await w.start().catch((e: unknown) => log.error({ fifo: f.path, err: String(e) }, 'cannot open notify FIFO'));
  }
  const notify = new ScriptNotifySink(runner, prepared, fifos, log);
  const groups = model.vrrpSyncGroups.map((sg) => syncGroupConfigFromModel(model, sg));

  // vrrp_script security checks come before the instances are set up, as keepalived's
  // check_vrrp_script_security does before tracking is initialised: a script that is missing,
  // not executable, insecure (with enable_script_security) or has no `script` line is disabled
  // and removed from every instance that tracks it, so it neither faults the instance nor holds
  // its start-up (observed with 2.2.7: "Disabling track script chk since not found/accessible",
  // then "Entering BACKUP STATE (init)" and normal elections).
  const tracked = new Set(wired.specs.flatMap((s) => s.cfg.trackers.filter((t) => t.type === 'script').map((t) => t.name)));
  const runnable: { name: string; script: PreparedScript; intervalMs: Ms; timeoutMs: Ms; rise: number; fall: number }[] = [];
  const disabledScripts = new Set<string>();
  for (const vs of model.vrrpScripts) {
    if (!tracked.has(vs.name)) continue;
    if (!vs.script) {
      log.error({ script: vs.name, code: 'script-missing' }, `Disabling track script ${vs.name} since it has no script command`);
      disabledScripts.add(vs.name);
      continue;
    }
    const sc = scripts.find((x) => x.vrrpScript === vs.name);
    if (!sc) continue;
    const p = prepare(model, userDb, sc, log, (reason) => {
      // keepalived adds this line for a missing or insecure script (not for "not executable").
      if (reason === 'not-found') log.error({ script: vs.name, code: 'track-script-disabled' }, `Disabling track script ${vs.name} since not found/accessible`);
      else if (reason === 'insecure') log.error({ script: vs.name, code: 'track-script-disabled' }, `Disabling track script ${vs.name} due to insecure`);
    });
    if (!p) {
      disabledScripts.add(vs.name);
      continue;
    }
    runnable.push({ name: vs.name, script: p, intervalMs: vs.interval, timeoutMs: vs.timeout, rise: vs.rise, fall: vs.fall });
  }
  const specs =
    disabledScripts.size === 0
      ? wired.specs
      : wired.specs.map((s) => ({ ...s, cfg: { ...s.cfg, trackers: s.cfg.trackers.filter((t) => !(t.type === 'script' && disabledScripts.has(t.name))) } }));
  // keepalived's parent prints this as it forks the VRRP child; here VRRP runs in this process.
  log.info(`Starting VRRP child process, pid=${process.pid}`);
  const runtime = new VrrpRuntime({ io, kernel, clock, log, notify, ...(oneShot ? { oneShot } : {}) }, specs, groups);
  const stats = VrrpStats.attach(runtime);

  // vrrp_script: results feed the trackers of every instance that tracks the script; the
  // script's own result lines are logged first, as keepalived does.
  const scriptStatus = new ScriptStatusLog(log);
  const scriptRunner = new VrrpScriptRunner({
    runner,
    timers,
    log,
    onEvent: (e) => {
      if (e.kind !== 'scriptResult') return;
      scriptStatus.result(e.name, e.result);
      runtime.trackerResult({ type: 'script', name: e.name }, { ok: e.ok });
    },
  });
  for (const r of runnable) {
    scriptStatus.add(r.name, r.rise, r.fall);
    scriptRunner.add({ name: r.name, script: r.script, intervalMs: r.intervalMs, timeoutMs: r.timeoutMs });
  }
  // vrrp_track_process has no monitor here yet. Nothing would ever report, and a weight-0
  // tracker would hold its instance in the silent start-up wait for good: say so once, and count
  // the process as not running (keepalived's verdict for an absent process).
  const processes = new Set(specs.flatMap((s) => s.cfg.trackers.filter((t) => t.type === 'process').map((t) => t.name)));
  for (const name of processes) {
    log.warn({ trackProcess: name, code: 'unsupported' }, `track_process ${name}: process tracking is not implemented; the process counts as not running`);
    runtime.trackerResult({ type: 'process', name }, { ok: false });
  }

  // track_file: values read before the instances start (keepalived sets the effective priority
  // before "Entering BACKUP STATE (init)"), then followed through inotify.
  const trackedFiles = new Set(wired.specs.flatMap((s) => s.cfg.trackers.filter((t) => t.type === 'file').map((t) => t.name)));
  const fileWatcher = new TrackFileWatcher(
    model.trackFiles
      .filter((tf) => trackedFiles.has(tf.name) && tf.file !== undefined)
      .map((tf) => ({ name: tf.name, path: tf.file!, ...(tf.initFile ? { initFile: tf.initFile } : {}) })),
    log,
    (name, value) => runtime.trackerResult({ type: 'file', name }, { value }),
  );
  fileWatcher.start();

  const watcher = new LinkWatcher(
    kernel,
    log,
    (ifname, up, ifindex) => runtime.interfaceChanged(ifname, up, ifindex),
    (ifindex, address) => runtime.addressRemoved(ifindex, address),
    o.addressMonitoring ?? false,
  );
  try {
    await watcher.start();
  } catch (e) {
    log.warn({ err: String(e) }, 'link events unavailable: interface tracking limited to start-up state');
  }
  // Interfaces already down at start-up.
  for (const l of await kernel.listLinks()) if (!(l.up && l.carrier)) runtime.interfaceChanged(l.name, false);

  runtime.start();
  scriptRunner.start();
  // keepalived's word for it; the pid is already in every JSON line (pino's base field).
  log.info({ instances: wired.specs.map((s) => s.cfg.name) }, 'Startup complete');

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  // The event loop may hold nothing else (no instance configured): the daemon lives until stopped.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let uninstallSignals: (() => void) | undefined;
  let stopping: Promise<number> | undefined;
  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      log.info('Stopping');
      await scriptRunner.stop(1000 as Ms);
      // -V: keepalived 2.2.7 then sends no priority-0 advert and leaves the VIPs (observed).
      await runtime.stop({ release: !o.dontReleaseVrrp });
      if (o.dontReleaseVrrp) log.info('--dont-release-vrrp: virtual addresses left in place');
      // keepalived gives STOP scripts one second, then kills their process groups.
      await notify.drain(1000);
      await Promise.all(fifos.map((f) => f.close()));
      watcher.stop();
      fileWatcher.stop();
      io!.close();
      await kernel!.close();
      for (const r of releasers) r();
      clearInterval(keepAlive);
      // Handlers stay until here: a USR2 or JSON signal during the stop must not kill the process.
      uninstallSignals?.();
      log.info(`Stopped Keepalived v${COMPAT_VERSION} (keepalived-ts v${packageVersion()})`);
      resolveDone(EXIT.OK);
      return EXIT.OK;
    })();
    return stopping;
  };

  if (o.signals !== false) {
    const actions = daemonSignalActions({ runtime, stats, specs: wired.specs, log, stop, options: o });
    const rawSignals = o.rawSignals ?? (await nativeSignalWatcher().catch(() => undefined));
    uninstallSignals = installSignalHandlers(actions, log, rawSignals);
    for (const sig of o.earlySignals?.handOver() ?? []) {
      log.info({ signal: sig }, `${sig} arrived during start-up: handled now`);
      dispatchSignal(actions, sig);
    }
  }
  return { runtime, done, stop };
}

/** CLI entry: runs until SIGTERM/SIGINT; returns the exit code. Never throws. */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  try {
    const d = await startDaemon(o);
    return await d.done;
  } catch (e) {
    if (e instanceof StartError) {
      process.stderr.write(e.message + '\n');
      return e.exitCode;
    }
    process.stderr.write(`keepalived-ts: ${(e as Error).message}\n`);
    return 70;
  }
}

// The VRRP daemon: config -> kernel/socket wiring -> VrrpRuntime, plus scripts, notify, link
// events, pid files and signals. keepalived's process split (parent, VRRP child, checker child)
// is one Node process here for the VRRP side; everything blocking runs in other processes.
import { existsSync, readFileSync } from 'node:fs';
import { DiagnosticSink, formatDiagnostic } from '../lib/diagnostics.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { OneShotFactory } from '../vrrp/runtime/timer-queue.js';
import { createLogger, type Logger } from '../lib/log.js';
import type { Ms } from '../lib/units.js';
import { parseConfigFile } from '../config/parse.js';
import { buildModel } from '../config/build-model.js';
import type { KeepalivedConfig, ScriptSpec } from '../config/model.js';
import type { Kernel } from '../kernel/kernel.js';
import type { PacketIo } from '../net/packet-io.js';
import { syncGroupConfigFromModel } from '../vrrp/fsm/model-adapter.js';
import { VrrpRuntime } from '../vrrp/runtime/vrrp-runtime.js';
import { NodeProcessRunner, type ProcessRunner } from '../notify/process-runner.js';
import { checkScript, nodeSecurityFs, parseUserDb, resolveScriptUser, type UserDb } from '../notify/script-security.js';
import type { PreparedScript } from '../notify/notifier.js';
import { VrrpScriptRunner } from '../notify/vrrp-script-runner.js';
import { RealTimers } from '../notify/timers.js';
import { FifoWriter } from '../notify/fifo.js';
import { ScriptNotifySink } from './notify-sink.js';
import { wireInstances } from './instance-wiring.js';
import { acquirePidFile, PidFileError } from './pid-file.js';
import { LinkWatcher } from './link-watch.js';
import { TrackFileWatcher } from './track-file-watch.js';

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
  /** Seams for tests; production opens the real ones. */
  readonly kernel?: Kernel;
  readonly io?: PacketIo;
  /** The VRRP deadline timer; default the native timerfd when the native io is used, else setTimeout. */
  readonly oneShot?: OneShotFactory;
  readonly runner?: ProcessRunner;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Install SIGTERM/SIGINT/SIGUSR1 handlers (default true). */
  readonly signals?: boolean;
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

function scriptsOf(model: KeepalivedConfig): { name: string; spec: ScriptSpec }[] {
  const out: { name: string; spec: ScriptSpec }[] = [];
  const add = (name: string, s: ScriptSpec | undefined) => s && out.push({ name, spec: s });
  for (const vi of model.vrrpInstances) {
    add(`${vi.name} notify_master`, vi.notifyMaster);
    add(`${vi.name} notify_backup`, vi.notifyBackup);
    add(`${vi.name} notify_fault`, vi.notifyFault);
    add(`${vi.name} notify_stop`, vi.notifyStop);
    add(`${vi.name} notify_deleted`, vi.notifyDeleted);
    add(`${vi.name} notify_master_rx_lower_pri`, vi.notifyMasterRxLowerPri);
    add(`${vi.name} notify`, vi.notify);
  }
  for (const sg of model.vrrpSyncGroups) {
    add(`${sg.name} notify_master`, sg.notifyMaster);
    add(`${sg.name} notify_backup`, sg.notifyBackup);
    add(`${sg.name} notify_fault`, sg.notifyFault);
    add(`${sg.name} notify_stop`, sg.notifyStop);
    add(`${sg.name} notify`, (sg as { notify?: ScriptSpec }).notify);
  }
  return out;
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

/** Security-checks a script and returns it ready to run, or undefined (reported) when disabled. */
function prepare(
  model: KeepalivedConfig,
  db: UserDb,
  name: string,
  spec: ScriptSpec,
  log: Logger,
  userOverride?: { user: string; group?: string },
): PreparedScript | undefined {
  const g = model.globalDefs;
  const who = resolveScriptUser(
    userOverride ?? (spec.user ? { user: spec.user, ...(spec.group ? { group: spec.group } : {}) } : undefined),
    { ...(g.scriptUser ? { scriptUser: g.scriptUser } : {}), enableScriptSecurity: g.enableScriptSecurity },
    db,
    { script: name },
  );
  if (!who.ok) {
    for (const f of who.findings) log.error({ script: name, code: f.code }, f.message);
    return undefined;
  }
  const verdict = checkScript(
    { name, command: spec.argv, user: who.user },
    { enableScriptSecurity: g.enableScriptSecurity, useSymlinkPaths: Boolean((g as { useSymlinkPaths?: boolean }).useSymlinkPaths), path: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    nodeSecurityFs,
  );
  for (const f of verdict.findings) (f.severity === 'error' ? log.error.bind(log) : log.warn.bind(log))({ script: name, code: f.code }, f.message);
  return verdict.status === 'disabled' ? undefined : verdict.script;
}

/** Loads the config, wires the host and starts the runtime. Throws StartError on failure. */
export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const log = o.log ?? createLogger({ pretty: o.logConsole, level: o.logLevel ?? 'info' });
  const clock = o.clock ?? systemClock;
  if (!o.kernel && process.getuid?.() !== 0) {
    throw new StartError('keepalived-ts: must run as root (raw sockets and address changes need CAP_NET_RAW/CAP_NET_ADMIN)', EXIT.PERMISSION);
  }
  if (!existsSync(o.configFile)) throw new StartError(`keepalived-ts: configuration file ${o.configFile} not found`, EXIT.NO_CONFIG);

  const sink = new DiagnosticSink();
  const tree = parseConfigFile(o.configFile, { configId: o.configId }, sink);
  const model = buildModel(tree, sink);
  for (const d of sink.items) {
    const line = formatDiagnostic(d);
    if (d.severity === 'error') log.error({ code: d.code }, line);
    else if (d.severity === 'warning') log.warn({ code: d.code }, line);
    else log.debug({ code: d.code }, line);
  }
  if (model.vrrpInstances.length === 0) throw new StartError(`keepalived-ts: no vrrp_instance in ${o.configFile}: nothing to run`, EXIT.NO_CONFIG);

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
  if (missingIf.length > 0 || wired.specs.length === 0) {
    await kernel.close();
    io.close();
    // One line on stderr (the StartError), not the same text twice through the logger too.
    // keepalived 2.2.7 exits 2 ("permanent error CONFIG") for a non-existent interface.
    const why = missingIf.length > 0 ? missingIf : wired.problems;
    throw new StartError(`keepalived-ts: ${why.map((p) => p.message).join('; ') || 'no runnable vrrp_instance'}`, EXIT.CONFIG);
  }
  for (const p of wired.problems) (p.code === 'unsupported' ? log.warn.bind(log) : log.error.bind(log))({ instance: p.instance, code: p.code }, p.message);

  const releasers: (() => void)[] = [];
  try {
    if (o.pidFile) releasers.push(acquirePidFile(o.pidFile));
    if (o.vrrpPidFile) releasers.push(acquirePidFile(o.vrrpPidFile));
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
  for (const { name, spec } of scriptsOf(model)) {
    const p = prepare(model, userDb, name, spec, log);
    if (p) prepared.set(spec.cmd, p);
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
  const runtime = new VrrpRuntime({ io, kernel, clock, log, notify, ...(oneShot ? { oneShot } : {}) }, wired.specs, groups);

  // vrrp_script: results feed the trackers of every instance that tracks the script.
  const scriptRunner = new VrrpScriptRunner({
    runner,
    timers,
    log,
    onEvent: (e) => {
      if (e.kind === 'scriptResult') runtime.trackerResult({ type: 'script', name: e.name }, { ok: e.ok });
    },
  });

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
  );
  try {
    await watcher.start();
  } catch (e) {
    log.warn({ err: String(e) }, 'link events unavailable: interface tracking limited to start-up state');
  }
  // Interfaces already down at start-up.
  for (const l of await kernel.listLinks()) if (!(l.up && l.carrier)) runtime.interfaceChanged(l.name, false);

  runtime.start();
  // vrrp_script security checks (a stat per path component per script) come after the first
  // adverts: no check script runs before scriptRunner.start() below, and until its first result
  // an instance that tracks it stays where the runtime put it at start (the FSM's tracker init
  // state), exactly as when the checks ran first.
  const tracked = new Set(wired.specs.flatMap((s) => s.cfg.trackers.filter((t) => t.type === 'script').map((t) => t.name)));
  for (const vs of model.vrrpScripts) {
    if (!tracked.has(vs.name) || !vs.script) continue;
    const p = prepare(model, userDb, `vrrp_script ${vs.name}`, vs.script, log, vs.user);
    if (!p) continue;
    scriptRunner.add({ name: vs.name, script: p, intervalMs: vs.interval, timeoutMs: vs.timeout });
  }
  scriptRunner.start();
  log.info({ instances: wired.specs.map((s) => s.cfg.name), pid: process.pid }, 'keepalived-ts VRRP started');

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let stopping: Promise<number> | undefined;
  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      log.info('stopping');
      await scriptRunner.stop(1000 as Ms);
      await runtime.stop();
      // keepalived gives STOP scripts one second, then kills their process groups.
      await notify.drain(1000);
      await Promise.all(fifos.map((f) => f.close()));
      watcher.stop();
      fileWatcher.stop();
      io!.close();
      await kernel!.close();
      for (const r of releasers) r();
      log.info('stopped');
      resolveDone(EXIT.OK);
      return EXIT.OK;
    })();
    return stopping;
  };

  if (o.signals !== false) {
    // `on`, not `once`: with no listener left a second TERM/INT (systemd, a double Ctrl-C) would
    // kill the process mid-stop, leaving VIPs and pid files behind. stop() runs only once.
    const onStop = () => void stop();
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', () => log.warn('SIGHUP: configuration reload is not implemented yet; configuration unchanged'));
    process.on('SIGUSR1', () => log.info({ status: runtime.status(), lag: runtime.lag }, 'status'));
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

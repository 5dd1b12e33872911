// The daemon: the config read once through the one pipeline (config/pipeline.ts), the parts every
// subsystem shares (logger, kernel and packet io, pid files, signals), and the subsystems composed
// on them: started in order, stopped in reverse order. keepalived's process split (parent, VRRP
// child, checker child) is one Node process here; everything blocking runs in other processes.
//
// Adding a subsystem (the IPVS director, its checkers) is one line in createSubsystems() below:
// it implements Subsystem (subsystem.ts) and is built from the same SubsystemContext.
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { COMPAT_VERSION, packageVersion } from '../lib/version.js';
import type { VrrpRuntime } from '../vrrp/runtime/vrrp-runtime.js';
import { NodeProcessRunner } from '../notify/process-runner.js';
import type { Subsystem } from './subsystem.js';
import { SubsystemSet } from './subsystem-set.js';
import { VrrpSubsystem } from './vrrp-subsystem.js';
import type { SubsystemContext } from './subsystem-context.js';
import { daemonMainFiles, loadDaemonConfig, type DaemonConfig } from './daemon-config.js';
import { daemonLogger } from './daemon-logger.js';
import { openHostIo, type HostIo } from './host-io.js';
import { acquirePidFile, PidFileError } from './pid-file.js';
import { dispatchSignal, installSignalHandlers, nativeSignalWatcher, type SignalActions } from './signals.js';
import { daemonSignalActions } from './signal-actions.js';
import type { DaemonOptions } from './daemon-options.js';
import { EXIT, StartError } from './start-error.js';

export { EXIT, StartError } from './start-error.js';
export type { DaemonOptions } from './daemon-options.js';

export interface RunningDaemon {
  readonly runtime: VrrpRuntime;
  /** Resolves with the exit code once stopped. */
  readonly done: Promise<number>;
  stop(): Promise<number>;
  /** Each subsystem's status under its name (`vrrp`: the instances' state). */
  status(): Record<string, unknown>;
}

/** The daemon's subsystems, in start order (they stop in reverse). Throws StartError to refuse. */
async function createSubsystems(ctx: SubsystemContext): Promise<{ vrrp: VrrpSubsystem; subsystems: Subsystem[] }> {
  const vrrp = await VrrpSubsystem.create(ctx);
  // The IPVS director joins this list after VRRP: `[vrrp, await LvsSubsystem.create(ctx)]`.
  return { vrrp, subsystems: [vrrp] };
}

/** Loads the config, wires the host and starts the subsystems. Throws StartError on failure. */
export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const log = o.log ?? daemonLogger(o);
  const clock = o.clock ?? systemClock;
  if (!o.kernel && process.getuid?.() !== 0) {
    throw new StartError('keepalived-ts: must run as root (raw sockets and address changes need CAP_NET_RAW/CAP_NET_ADMIN)', EXIT.PERMISSION);
  }
  const config = await loadDaemonConfig(o, daemonMainFiles(o), log);
  const host = await openHostIo(o);
  let created: { vrrp: VrrpSubsystem; subsystems: Subsystem[] };
  let releasePids: () => void;
  try {
    created = await createSubsystems(subsystemContext(o, config, host, clock, log));
    releasePids = acquirePidFiles(o, config);
  } catch (e) {
    await host.close();
    throw e;
  }
  const set = new SubsystemSet(created.subsystems, log);
  try {
    await set.start();
  } catch (e) {
    await host.close();
    releasePids();
    throw e;
  }
  // keepalived's word for it; the pid is already in every JSON line (pino's base field).
  log.info({ instances: created.vrrp.specs.map((s) => s.cfg.name) }, 'Startup complete');
  return supervise(o, { log, host, set, vrrp: created.vrrp, releasePids });
}

function subsystemContext(o: DaemonOptions, config: DaemonConfig, host: HostIo, clock: Clock, log: Logger): SubsystemContext {
  return {
    model: config.model,
    tree: config.tree,
    empty: config.empty,
    host,
    clock,
    log,
    runner: o.runner ?? new NodeProcessRunner(),
    options: o,
  };
}

/** -p and -r; returns the release of both. Throws StartError (exit 1) when one is held or cannot be written. */
function acquirePidFiles(o: DaemonOptions, config: DaemonConfig): () => void {
  const releasers: (() => void)[] = [];
  try {
    if (o.pidFile) releasers.push(acquirePidFile(o.pidFile));
    // keepalived starts no VRRP child (and writes no VRRP pid file) with nothing configured, unless --all.
    if (o.vrrpPidFile && (!config.empty || o.all)) releasers.push(acquirePidFile(o.vrrpPidFile));
  } catch (e) {
    for (const r of releasers) r();
    if (e instanceof PidFileError) throw new StartError(`keepalived-ts: ${e.message}`, EXIT.FATAL);
    throw e;
  }
  return () => {
    for (const r of releasers) r();
  };
}

interface Started {
  readonly log: Logger;
  readonly host: HostIo;
  readonly set: SubsystemSet;
  readonly vrrp: VrrpSubsystem;
  readonly releasePids: () => void;
}

/** Runs until stopped (a signal, or stop()): the subsystems in reverse, then the shared parts. */
async function supervise(o: DaemonOptions, s: Started): Promise<RunningDaemon> {
  const { log, host, set, vrrp } = s;
  // Read before any signal is handed over: a TERM that arrived during start-up stops at once.
  const runtime = vrrp.runtime;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  // The event loop may hold nothing else (no instance configured): the daemon lives until stopped.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let uninstallSignals: (() => void) | undefined;
  let stopping: Promise<number> | undefined;
  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      log.info('Stopping');
      await set.stop('signal');
      await host.close();
      s.releasePids();
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
    const actions = daemonSignalActions({ runtime, stats: vrrp.stats, specs: vrrp.specs, log, stop, options: o });
    const rawSignals = o.rawSignals ?? (await nativeSignalWatcher().catch(() => undefined));
    uninstallSignals = installSignalHandlers(actions, log, rawSignals);
    handOverEarlySignals(o, actions, log);
  }
  return { runtime, done, stop, status: () => set.status() };
}

/** Signals that arrived while starting (main.ts held them): handled now, in arrival order. */
function handOverEarlySignals(o: DaemonOptions, actions: SignalActions, log: Logger): void {
  for (const sig of o.earlySignals?.handOver() ?? []) {
    log.info({ signal: sig }, `${sig} arrived during start-up: handled now`);
    dispatchSignal(actions, sig);
  }
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

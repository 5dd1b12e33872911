// The daemon: the config read once through the one pipeline (config/pipeline.ts), the parts every
// subsystem shares (logger, kernel and packet io, pid files, signals), and the subsystems composed
// on them: started in order, stopped in reverse order. keepalived's process split (parent, VRRP
// child, checker child) is one Node process here; everything blocking runs in other processes.
//
// createSubsystems() below composes them: VRRP, then the LVS director (IPVS table and checkers,
// lvs-parts.ts), each built from the same SubsystemContext, as the process flags (-P, -C) and
// the config say. The notify FIFOs are shared: one writer per path for both sides.
import { systemClock, type Clock } from '../lib/clock.js';
import { withIdent, type Logger } from '../lib/log.js';
import { COMPAT_VERSION, packageVersion } from '../lib/version.js';
import type { VrrpRuntime } from '../vrrp/runtime/vrrp-runtime.js';
import { NodeProcessRunner, type ProcessRunner } from '../notify/process-runner.js';
import { RealTimers } from '../lib/timers.js';
import { composeLvs, type LvsContext } from './lvs-parts.js';
import type { LvsSubsystem } from './lvs-subsystem.js';
import { SharedFifos } from './shared-fifos.js';
import type { Subsystem } from './subsystem.js';
import { SubsystemSet, type SubsystemGrowth } from './subsystem-set.js';
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
import { ControlPlane, reloadNotImplemented } from './control-plane.js';
import { SdNotifier } from './sd-notify.js';
import { IDENTS } from '../lib/syslog.js';
import { Reloader, type ReloadResult } from './reload.js';
import { ConfigWatcher } from './reload-watch.js';

export { EXIT, StartError } from './start-error.js';
export type { DaemonOptions } from './daemon-options.js';

export interface RunningDaemon {
  /** The VRRP side's runtime; throws when it does not run (-C). */
  readonly runtime: VrrpRuntime;
  /** Resolves with the exit code once stopped. */
  readonly done: Promise<number>;
  stop(): Promise<number>;
  /** Each subsystem's status under its name (`vrrp`: the instances' state; `ipvs`: the virtual servers). */
  status(): Record<string, unknown>;
  /** Reads the config again (off the event loop) and applies the difference, as SIGHUP does (core/reload.ts). */
  reload(): Promise<ReloadResult>;
}

interface Created {
  /** Set at start, or by the reload that first brings a vrrp_instance to an LVS-only daemon (growVrrp). */
  vrrp?: VrrpSubsystem;
  /** Set at start, or by the reload that first brings virtual servers (growLvs). */
  lvs?: LvsSubsystem;
  readonly subsystems: Subsystem[];
}

/**
 * Which sides run, as keepalived starts its children: VRRP unless -C, when an instance is
 * configured (or --all, or nothing at all is: then it stays up idle, as before); the LVS side
 * unless -P, when a virtual server is configured (or --all).
 */
export function sidesToRun(o: Pick<DaemonOptions, 'checkOnly' | 'vrrpOnly' | 'all'>, model: { vrrpInstances: readonly unknown[]; virtualServers: readonly unknown[] }): { vrrp: boolean; lvs: boolean } {
  const hasVrrp = model.vrrpInstances.length > 0;
  const hasLvs = model.virtualServers.length > 0;
  // keepalived 2.2.7: -P leaves out the checkers, -C leaves out VRRP; both together leave out
  // both ("no configuration to run", observed), and the daemon stays up idle.
  if (o.checkOnly && o.vrrpOnly) return { vrrp: false, lvs: false };
  return {
    vrrp: !o.checkOnly && (hasVrrp || o.all === true || !hasLvs),
    lvs: !o.vrrpOnly && (hasLvs || o.all === true),
  };
}

/** The daemon's subsystems, in start order (they stop in reverse). Throws StartError to refuse. */
async function createSubsystems(ctx: SubsystemContext, sides: { vrrp: boolean; lvs: boolean }): Promise<Created> {
  // Each side's lines carry keepalived's syslog ident for that process (daemon-logger.ts).
  const vrrp = sides.vrrp ? await VrrpSubsystem.create({ ...ctx, log: withIdent(ctx.log, IDENTS.vrrp) }) : undefined;
  const lvs = sides.lvs ? await createLvs(ctx, vrrp) : undefined;
  return { ...(vrrp ? { vrrp } : {}), ...(lvs ? { lvs } : {}), subsystems: [vrrp, lvs].filter((x): x is VrrpSubsystem | LvsSubsystem => x !== undefined) };
}

/** The LVS side (IPVS table and checkers), wired to the VRRP side's held addresses for ha_suspend. */
async function createLvs(ctx: LvsContext, vrrp: VrrpSubsystem | undefined): Promise<LvsSubsystem> {
  const parts = ctx.options.lvsParts ?? (await import('./lvs-default-parts.js')).defaultLvsParts();
  const lvs = await composeLvs({ ...ctx, log: withIdent(ctx.log, IDENTS.check) }, parts, vrrp ? { heldAddresses: () => vrrp.heldAddresses() } : {});
  vrrp?.onHeldAddressesChanged(() => lvs.heldAddressesChanged());
  return lvs;
}

/** A side a reload starts writes its pid file then; one held elsewhere is logged, not fatal. */
function latePidFile(path: string | undefined, log: Logger, pids: (() => void)[]): void {
  if (!path) return;
  try {
    pids.push(acquirePidFile(path));
  } catch (e) {
    log.error(`keepalived-ts: ${(e as Error).message}`);
  }
}

/**
 * A reload whose config has virtual servers when no LVS side runs (none at start): keepalived's
 * parent starts its checker child then (main.c propagate_signal: running_checker ->
 * start_check_child); ours is created here then, unless -P. It keeps running, idle, when a later
 * reload removes every virtual server, as keepalived's checker child does.
 */
function growLvs(o: DaemonOptions, ctx: SubsystemContext, created: Created, fifos: SharedFifos, pids: (() => void)[]): SubsystemGrowth {
  return async (next, running) => {
    if (running.has('ipvs') || !sidesToRun(o, next).lvs) return [];
    const lvs = await createLvs({ ...ctx, model: next, fifos: { lvs: await fifos.addSide(next, 'lvs') } }, created.vrrp);
    created.lvs = lvs;
    latePidFile(o.checkersPidFile, ctx.log, pids);
    return [lvs];
  };
}

/**
 * The mirror case: a reload whose config has a vrrp_instance when no VRRP side runs (started with
 * virtual servers only): keepalived 2.2.7's parent starts its VRRP child then, as it starts its
 * checker child; ours is created here then, never with -C. Its VRRP pid file (-r) is written then.
 */
function growVrrp(o: DaemonOptions, ctx: SubsystemContext, created: Created, fifos: SharedFifos, pids: (() => void)[]): SubsystemGrowth {
  return async (next, running) => {
    if (running.has('vrrp') || next.vrrpInstances.length === 0 || !sidesToRun(o, next).vrrp) return [];
    const vrrp = await VrrpSubsystem.create({ ...ctx, model: next, fifos: { vrrp: await fifos.addSide(next, 'vrrp'), lvs: [] }, log: withIdent(ctx.log, IDENTS.vrrp) });
    created.vrrp = vrrp;
    latePidFile(o.vrrpPidFile, ctx.log, pids);
    return [vrrp];
  };
}

/** Both growths, in start order: the VRRP side first, then the LVS side. */
function growSides(...gs: SubsystemGrowth[]): SubsystemGrowth {
  return async (next, running) => {
    const out: Subsystem[] = [];
    for (const g of gs) out.push(...(await g(next, new Set([...running, ...out.map((s) => s.name)]))));
    return out;
  };
}

/** Loads the config, wires the host and starts the subsystems. Throws StartError on failure. */
export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const log = o.log ?? daemonLogger(o);
  // Read (and removed from the environment) before anything copies it for scripts.
  const sd = SdNotifier.fromEnv(log, process.env, o.notifySocket);
  const clock = o.clock ?? systemClock;
  if (!o.kernel && process.getuid?.() !== 0) {
    throw new StartError('keepalived-ts: must run as root (raw sockets and address changes need CAP_NET_RAW/CAP_NET_ADMIN)', EXIT.PERMISSION);
  }
  const readAt = Date.now();
  const config = await loadDaemonConfig(o, daemonMainFiles(o), log);
  const sides = sidesToRun(o, config.model);
  if (!sides.vrrp && !sides.lvs) log.warn('-P/--vrrp and -C/--check together: nothing to run (as keepalived 2.2.7); staying up, idle, until stopped');
  const host = await openHostIo(o);
  const runner = o.runner ?? new NodeProcessRunner();
  const fifos = new SharedFifos(config.model, log, runner, new RealTimers(clock), sides);
  let created: Created;
  let releasePids: () => void;
  let grow: SubsystemGrowth;
  const ctx = subsystemContext(o, config, host, clock, log, runner, fifos);
  try {
    created = await createSubsystems(ctx, sides);
    const startPids = acquirePidFiles(o, config, created);
    const latePids: (() => void)[] = [];
    releasePids = () => {
      startPids();
      for (const r of latePids.splice(0)) r();
    };
    grow = growSides(growVrrp(o, ctx, created, fifos, latePids), growLvs(o, ctx, created, fifos, latePids));
  } catch (e) {
    await host.close();
    throw e;
  }
  const set = new SubsystemSet(created.subsystems, log, grow);
  let control: ControlPlane | undefined;
  const reloadRef: { fn?: () => Promise<ReloadResult> } = {};
  try {
    // The control socket and metrics (control-plane.ts); a socket another daemon holds refuses the start.
    control = await ControlPlane.open({ options: o, log, status: () => set.status(), onReload: o.onReload ?? (() => (reloadRef.fn ? reloadRef.fn() : reloadNotImplemented())) });
    await fifos.open();
    await set.start();
  } catch (e) {
    await control?.close();
    await fifos.close();
    await host.close();
    releasePids();
    throw e;
  }
  // keepalived's word for it; the pid is already in every JSON line (pino's base field).
  log.info({ instances: created.vrrp?.specs.map((s) => s.cfg.name) ?? [], virtualServers: config.model.virtualServers.length }, 'Startup complete');
  return supervise(o, { log, host, set, fifos, created, releasePids, control, sd, config, readAt, reloadRef });
}

function subsystemContext(o: DaemonOptions, config: DaemonConfig, host: HostIo, clock: Clock, log: Logger, runner: ProcessRunner, fifos: SharedFifos): SubsystemContext {
  return {
    fifos,
    model: config.model,
    tree: config.tree,
    empty: config.empty,
    host,
    clock,
    log,
    runner,
    options: o,
  };
}

/** -p, -r and -c; returns the release of all. Throws StartError (exit 1) when one is held or cannot be written. */
function acquirePidFiles(o: DaemonOptions, config: DaemonConfig, created: Created): () => void {
  const releasers: (() => void)[] = [];
  try {
    if (o.pidFile) releasers.push(acquirePidFile(o.pidFile));
    // keepalived starts no VRRP child (and writes no VRRP pid file) with nothing configured, unless --all.
    if (o.vrrpPidFile && created.vrrp && (!config.empty || o.all)) releasers.push(acquirePidFile(o.vrrpPidFile));
    // The checkers' pid file: written when the LVS side runs (its checkers run in one child process here too).
    if (o.checkersPidFile && created.lvs) releasers.push(acquirePidFile(o.checkersPidFile));
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
  readonly fifos: SharedFifos;
  readonly created: Created;
  readonly releasePids: () => void;
  readonly control: ControlPlane;
  readonly sd: SdNotifier;
  readonly config: DaemonConfig;
  readonly readAt: number;
  /** Where the control socket's `reload` goes once supervise() has the reloader. */
  readonly reloadRef: { fn?: () => Promise<ReloadResult> };
}

/** Runs until stopped (a signal, or stop()): the subsystems in reverse, then the shared parts. */
async function supervise(o: DaemonOptions, s: Started): Promise<RunningDaemon> {
  const { log, host, set } = s;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  // The event loop may hold nothing else (no instance configured): the daemon lives until stopped.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let uninstallSignals: (() => void) | undefined;
  let stopping: Promise<number> | undefined;
  const { sd } = s;
  // The notify FIFOs follow the new config first (as keepalived's children reopen theirs), then the subsystems.
  const reloadSet: Pick<SubsystemSet, 'reload'> = {
    reload: async (old, next) => {
      const fifo = await s.fifos.reload(next);
      const out = await set.reload(old, next);
      return fifo.length > 0 ? { fifo: { kind: 'applied', changes: fifo.length, details: fifo }, ...out } : out;
    },
  };
  const reloader = new Reloader({ configFile: o.configFile, configId: o.configId, log, set: reloadSet, model: s.config.model, readAt: s.readAt, ...(o.reloadOptions ? { read: o.reloadOptions } : {}) });
  // SIGHUP and file changes go through the control plane too, so every reload is counted (metrics).
  const watcher = o.watchConfig ? new ConfigWatcher(() => void s.control.reload(), log, o.reloadOptions?.watchDebounceMs) : undefined;
  const readyText = (): string => `Running ${s.created.vrrp?.specs.length ?? 0} VRRP instance(s), ${s.created.lvs ? 'the virtual servers' : 'no virtual servers'}`;
  const reloadAndWatch = async (): Promise<ReloadResult> => {
    // systemd Type=notify: RELOADING=1 while the new config is read and applied, READY=1 after.
    sd.reloading();
    try {
      const r = await reloader.reload();
      if (reloader.files) watcher?.setFiles(reloader.files);
      return r;
    } finally {
      if (!stopping) sd.ready(readyText());
    }
  };
  s.reloadRef.fn = reloadAndWatch;
  watcher?.setFiles(s.config.tree.files);
  // The config reader thread starts a few seconds after the start (a stop during the start must
  // not wait for a thread still loading its modules); a reload before that starts it itself.
  const readerStart = setTimeout(() => void reloader.start(), 5000);
  readerStart.unref();
  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      sd.stopping();
      log.info('Stopping');
      await s.control.close();
      watcher?.close();
      clearTimeout(readerStart);
      await reloader.close();
      await set.stop('signal');
      await s.fifos.close();
      await host.close();
      s.releasePids();
      clearInterval(keepAlive);
      // Handlers stay until here: a USR2 or JSON signal during the stop must not kill the process.
      uninstallSignals?.();
      log.info(`Stopped Keepalived v${COMPAT_VERSION} (keepalived-ts v${packageVersion()})`);
      sd.close();
      resolveDone(EXIT.OK);
      return EXIT.OK;
    })();
    return stopping;
  };
  if (o.signals !== false) {
    const actions = daemonSignalActions({
      // Read at each signal: a reload may have started the VRRP side since (LVS-only start).
      get vrrp() {
        const v = s.created.vrrp;
        return v
          ? {
              runtime: v.runtime,
              stats: v.stats,
              get specs() {
                return v.specs;
              },
            }
          : undefined;
      },
      reload: () => void s.control.reload(),
      // Read at each signal: a reload may have started the LVS side since.
      get lvs() {
        const l = s.created.lvs;
        return l ? () => l.status() : undefined;
      },
      log,
      stop,
      options: o,
      controlSocket: () => s.control.socketPath,
    });
    const rawSignals = o.rawSignals ?? (await nativeSignalWatcher().catch(() => undefined));
    uninstallSignals = installSignalHandlers(actions, log, rawSignals);
    handOverEarlySignals(o, actions, log);
  }
  // systemd Type=notify: ready once the instances run and the signal handlers are in place.
  if (!stopping) sd.ready(readyText());
  return {
    get runtime(): VrrpRuntime {
      const runtime = s.created.vrrp?.runtime;
      if (!runtime) throw new Error('the VRRP side does not run in this daemon (-C, or no vrrp_instance with virtual servers configured)');
      return runtime;
    },
    done,
    stop,
    status: () => set.status(),
    reload: reloadAndWatch,
  };
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

// The VRRP subsystem: the instances of the model wired to this host (instance-wiring.ts), one
// VrrpRuntime, and around it the notify scripts and FIFOs, the vrrp_scripts, track files, the
// link watcher and the counters the signal dumps read. keepalived runs this as its VRRP child
// process; here it is one subsystem of the daemon's one process (see docs/architecture.md).
//
// Two phases, as the daemon composes them: create() wires the instances against the host's links
// and refuses a config this host cannot run (nothing is changed on the host yet, no pid file is
// written); start() then brings everything up. stop() undoes start() in reverse.
import { IDENTS } from '../lib/syslog.js';
import { logAdvertLines } from './advert-lines.js';
import { formatDiagnostic } from '../lib/diagnostics.js';
import type { Logger } from '../lib/log.js';
import type { Ms } from '../lib/units.js';
import { RealTimers } from '../lib/timers.js';
import type { KeepalivedConfig } from '../config/model.js';
import { interfaceDiagnostics } from '../config/host-checks.js';
import { syncGroupConfigFromModel } from '../vrrp/model-adapter.js';
import { VrrpRuntime, type Regrouping, type RuntimeInstanceSpec } from '../vrrp/runtime/vrrp-runtime.js';
import { VrrpScriptRunner } from '../notify/vrrp-script-runner.js';
import type { ReloadOutcome, StopReason, Subsystem } from './subsystem.js';
import type { SubsystemContext } from './subsystem-context.js';
import { wireInstances, type WiredConfig } from './instance-wiring.js';
import { VmacSet } from '../vrrp/runtime/vmac.js';
import { reloadPlan } from './reload-plan.js';
import { ScriptNotifySink } from './notify-sink.js';
import { LinkWatcher } from './link-watch.js';
import { TrackFileWatcher } from './track-file-watch.js';
import { VrrpStats } from './vrrp-stats.js';
import { instanceReports, type InstanceReport } from './vrrp-status.js';
import { ScriptStatusLog } from './script-status-log.js';
import { prepareNotifyScripts, prepareTrackScripts, userDbOnce, type RunnableScript } from './vrrp-scripts.js';
import { EXIT, StartError } from './start-error.js';
import { acceptModeFirewall } from './accept-mode.js';
import type { NftFirewall, NftFirewallStatus } from '../kernel/nft-firewall.js';
import { LvsSyncDaemon } from './lvs-sync-daemon.js';

export interface VrrpStatus {
  readonly instances: readonly InstanceReport[];
  /** The accept-mode firewall (no_accept), when an instance needs it. */
  readonly nftables?: NftFirewallStatus;
}

/** The parts start() brings up, released by stop() in reverse. */
interface Running {
  readonly runtime: VrrpRuntime;
  readonly stats: VrrpStats;
  readonly notify: ScriptNotifySink;
  readonly scriptRunner: VrrpScriptRunner;
  /** Replaced by a reload that changes the tracked files. */
  fileWatcher: TrackFileWatcher;
  readonly linkWatcher: LinkWatcher;
  readonly firewall?: NftFirewall;
  readonly syncd: LvsSyncDaemon | undefined;
  readonly scriptStatus: ScriptStatusLog;
  /** The vrrp_scripts running now, by name (a reload diffs against them). */
  readonly runnable: Map<string, RunnableScript>;
  /** The model the instances run with now (the start's, then each applied reload's). */
  model: KeepalivedConfig;
}

export class VrrpSubsystem implements Subsystem<VrrpStatus> {
  readonly name = 'vrrp';
  private running: Running | undefined;
  private stopped = false;
  private readonly heldListeners: (() => void)[] = [];

  private constructor(
    private readonly ctx: SubsystemContext,
    private wired: WiredConfig,
    private readonly vmacs: VmacSet,
  ) {}

  /**
   * Wires the model's instances to this host's links. Throws StartError (exit 2, keepalived's
   * "permanent error CONFIG") when an interface the config names is missing or no instance can
   * run; logs the problems that only disable one instance.
   */
  static async create(ctx: SubsystemContext): Promise<VrrpSubsystem> {
    const { model, host, log } = ctx;
    // use_vmac: the VMAC interfaces are made while wiring (their index and MAC go in the specs).
    const vmacs = new VmacSet(host.kernel, log);
    let wired: WiredConfig;
    try {
      wired = await VrrpSubsystem.checked(ctx, await wireInstances(model, host.kernel, vmacs));
    } catch (e) {
      await vmacs.removeAll();
      throw e;
    }
    return new VrrpSubsystem(ctx, wired, vmacs);
  }

  private static async checked(ctx: SubsystemContext, wired: WiredConfig): Promise<WiredConfig> {
    const { model, tree, log } = ctx;
    const missingIf = wired.problems.filter((p) => p.code === 'no-interface');
    // The same check `-t` runs, against the kernel's links: each missing interface (an instance's,
    // a tracked one, a VIP's or a route's dev) with its file:line:col and keepalived's wording,
    // then keepalived's summary line. keepalived's VRRP process stops on any of them.
    const hostIfs = interfaceDiagnostics(tree, { interfaces: new Set(wired.links.map((l) => l.name)) });
    if (hostIfs.length > 0 || missingIf.length > 0 || (wired.specs.length === 0 && !ctx.empty)) {
      // The lines go on stderr (the StartError), not twice through the logger too.
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
    return wired;
  }

  /** The instances as wired (before disabled track scripts are taken out): what the dumps describe. */
  get specs(): readonly RuntimeInstanceSpec[] {
    return this.wired.specs;
  }

  get runtime(): VrrpRuntime {
    return this.started().runtime;
  }

  get stats(): VrrpStats {
    return this.started().stats;
  }

  /** Brings up scripts, notify, the runtime, trackers and link events; the instances start last. */
  async start(): Promise<void> {
    const { model, host, clock, log, runner } = this.ctx;
    const timers = new RealTimers(clock);
    const userDb = userDbOnce();
    // Notify scripts are checked before the runtime starts: its first transitions notify them.
    const prepared = prepareNotifyScripts(model, userDb, log);
    // The FIFOs are the daemon's (shared with the LVS side): opened before this start, closed after the stop.
    const notify = new ScriptNotifySink(runner, prepared, this.ctx.fifos.vrrp, log);
    const groups = model.vrrpSyncGroups.map((sg) => syncGroupConfigFromModel(model, sg));
    const { runnable, specs } = prepareTrackScripts(model, userDb, this.wired.specs, log);
    // keepalived's parent prints this as it forks the VRRP child; here VRRP runs in this process.
    log.info({ ident: IDENTS.main }, `Starting VRRP child process, pid=${process.pid}`);
    const accept = acceptModeFirewall(model, specs, host.nft, log);
    const runtime = new VrrpRuntime(
      { io: host.io, kernel: host.kernel, clock, log, notify, ...(host.oneShot ? { oneShot: host.oneShot } : {}), ...(accept ? { acceptMode: accept.hook } : {}) },
      specs,
      groups,
    );
    const stats = VrrpStats.attach(runtime);
    logAdvertLines(runtime, specs, log);
    // ha_suspend: a transition changes which VIPs this node holds.
    runtime.observe(({ action }) => {
      if (action.kind === 'transition' && (action.from === 'MASTER' || action.to === 'MASTER')) for (const l of this.heldListeners) l();
    });
    const syncd = this.syncDaemon(runtime);
    const scriptStatus = new ScriptStatusLog(log);
    const scriptRunner = this.trackScripts(runtime, runnable, timers, scriptStatus);
    this.trackProcesses(runtime, specs);
    const fileWatcher = this.trackFiles(runtime, model, this.wired.specs);
    const linkWatcher = new LinkWatcher(
      host.kernel,
      log,
      (ifname, up, ifindex) => runtime.interfaceChanged(ifname, up, ifindex),
      (ifindex, address) => runtime.addressRemoved(ifindex, address),
      this.ctx.options.addressMonitoring ?? false,
    );
    this.running = { runtime, stats, notify, scriptRunner, fileWatcher, linkWatcher, syncd, scriptStatus, runnable: new Map(runnable.map((r) => [r.name, r])), model, ...(accept ? { firewall: accept.firewall } : {}) };
    try {
      await linkWatcher.start();
    } catch (e) {
      log.warn({ err: String(e) }, 'link events unavailable: interface tracking limited to start-up state');
    }
    // Interfaces already down at start-up.
    for (const l of await host.kernel.listLinks()) if (!(l.up && l.carrier)) runtime.interfaceChanged(l.name, false);
    for (const name of this.wired.configFaults) runtime.faultChanged(name, 'config', true);
    runtime.start();
    this.vmacs.watchDeletions();
    scriptRunner.start();
  }

  /** Scripts first (no new results), then the instances (priority-0 adverts, VIPs), then notify and watchers. */
  async stop(_reason: StopReason): Promise<void> {
    const r = this.running;
    if (!r && !this.stopped && this.vmacs.links.size > 0) {
      // Made by create(), never started: the VMACs go all the same.
      this.stopped = true;
      await this.vmacs.removeAll();
    }
    if (!r || this.stopped) return;
    // The parts stay readable (runtime, stats, status) after the stop; only a second stop is a no-op.
    this.stopped = true;
    const { log } = this.ctx;
    const dontReleaseVrrp = this.ctx.options.dontReleaseVrrp ?? false;
    await r.scriptRunner.stop(1000 as Ms);
    // -V: keepalived 2.2.7 then sends no priority-0 advert and leaves the VIPs (observed).
    await r.runtime.stop({ release: !dontReleaseVrrp });
    if (dontReleaseVrrp) log.info('--dont-release-vrrp: virtual addresses left in place');
    // Our nftables tables go at stop, as keepalived's do (nft_end).
    await r.firewall?.close();
    await r.syncd?.stop();
    // keepalived deletes its VMACs at stop, except with --dont-release-vrrp (the VIPs are on them).
    if (dontReleaseVrrp) this.vmacs.release();
    else await this.vmacs.removeAll();
    // keepalived gives STOP scripts one second, then kills their process groups.
    await r.notify.drain(1000);
    r.linkWatcher.stop();
    r.fileWatcher.stop();
  }

  /**
   * lvs_sync_daemon with a VRRP instance: the VRRP side runs the kernel's sync daemon as master
   * while that instance is MASTER and as backup otherwise (keepalived 2.2.7's VRRP process does).
   * Without an instance the LVS side runs both (lvs-subsystem.ts).
   */
  private syncDaemon(runtime: VrrpRuntime): LvsSyncDaemon | undefined {
    const { model, log, options } = this.ctx;
    const cfg = model.globalDefs.lvsSyncDaemon;
    if (!cfg) return undefined;
    if (cfg.vrrpInstance === undefined) {
      if (model.virtualServers.length === 0) log.warn(`lvs_sync_daemon ${cfg.interface} names no VRRP instance and there is no virtual_server: the sync daemons are not started`);
      return undefined;
    }
    const spec = this.wired.specs.find((sp) => sp.cfg.name === cfg.vrrpInstance);
    if (!spec) {
      log.error(`Unable to find vrrp instance ${cfg.vrrpInstance} for lvs_syncd - clearing lvs_syncd config`);
      return undefined;
    }
    const open = options.lvsParts?.openIpvs ?? (async () => (await import('../kernel/genl-ipvs-kernel.js')).GenlIpvsKernel.open());
    const d = new LvsSyncDaemon(cfg, spec.cfg.vrid, open, log);
    runtime.observe(({ instance, action }) => {
      if (instance === cfg.vrrpInstance && action.kind === 'transition') void d.follow(action.to);
    });
    return d;
  }

  /** The VIPs of the instances in MASTER state (the addresses ha_suspend virtual servers wait for). */
  heldAddresses(): ReadonlySet<string> {
    const held = new Set<string>();
    const specs = new Map(this.wired.specs.map((sp) => [sp.cfg.name, sp]));
    for (const st of this.running?.runtime.status() ?? []) {
      if (st.state !== 'MASTER') continue;
      for (const a of specs.get(st.name)?.cfg.vips ?? []) held.add(a.text);
    }
    return held;
  }

  /** Called after each transition into or out of MASTER. */
  onHeldAddressesChanged(listener: () => void): void {
    this.heldListeners.push(listener);
  }

  status(): VrrpStatus {
    const r = this.running;
    const fw = r?.firewall?.status();
    return { instances: r ? instanceReports(this.wired.specs, r.runtime.status(), r.stats) : [], ...(fw ? { nftables: fw } : {}) };
  }

  /**
   * Applies a new model as a diff (core/reload.ts calls it through the SubsystemSet), the way
   * keepalived's clear_diff_vrrp does: instances are matched by VRID, family, interface and
   * addressing (multicast group, or unicast with its source address), not by name. A matched
   * instance with an identical config is not touched at all; a changed one keeps its state and
   * takes the new config in place (VrrpRuntime.updateInstance); one that is gone stops cleanly
   * (priority 0 if master, VIPs removed, DELETED/FAULT notify); a new one starts. A renamed
   * instance (same identity, new name) is removed and added again.
   *
   * Sync groups (ADR 0020, "Sync groups on reload"): a group formed or whose members changed
   * takes keepalived's state after a reload (VrrpRuntime.setGroups / settleGroups); a group
   * with the same members keeps its state and takes its new notify scripts.
   *
   * Refused, with nothing changed: a missing interface (as at start).
   */
  async reload(_old: KeepalivedConfig, next: KeepalivedConfig): Promise<ReloadOutcome> {
    const r = this.running;
    if (!r) return { kind: 'rejected', reason: 'the VRRP subsystem is not running: nothing to reload' };
    if (this.stopped) return { kind: 'rejected', reason: 'the VRRP side is stopping' };
    const { host, log } = this.ctx;
    const wired = await wireInstances(next, host.kernel);
    const missing = wired.problems.filter((p) => p.code === 'no-interface');
    if (missing.length > 0) return { kind: 'rejected', reason: missing.map((p) => p.message).join('; ') };
    const userDb = userDbOnce();
    const prepared = prepareNotifyScripts(next, userDb, log);
    const { runnable, specs } = prepareTrackScripts(next, userDb, wired.specs, log);
    const oldSpecs = new Map(this.wired.specs.map((sp) => [sp.cfg.name, r.runtime.specOf(sp.cfg.name) ?? sp]));
    const plan = reloadPlan(this.wiredRunning(oldSpecs), specs);
    for (const p of wired.problems) log.warn({ instance: p.instance, code: p.code }, p.message);

    const details: string[] = [];
    r.notify.replaceScripts(prepared);
    // vrrp_scripts: a new or changed one (re)starts, one no longer tracked stops.
    const nextRunnable = new Map(runnable.map((x) => [x.name, x]));
    for (const [name, cur] of r.runnable) {
      const nx = nextRunnable.get(name);
      if (nx && sameScript(cur, nx)) continue;
      await r.scriptRunner.remove(name);
      r.runnable.delete(name);
      if (!nx) details.push(`vrrp_script ${name} stopped`);
    }
    for (const [name, nx] of nextRunnable) {
      if (r.runnable.has(name)) continue;
      r.scriptStatus.add(name, nx.rise, nx.fall);
      r.scriptRunner.add({ name, script: nx.script, intervalMs: nx.intervalMs, timeoutMs: nx.timeoutMs });
      r.runnable.set(name, nx);
      details.push(`vrrp_script ${name} started`);
    }
    for (const sp of plan.removed) {
      await r.runtime.removeInstance(sp.cfg.name);
      details.push(`instance ${sp.cfg.name} removed`);
    }
    // New instances wait until the sync groups are settled: a new member starts in its group's state.
    for (const sp of plan.added) r.runtime.addInstance(sp, { start: false });
    const groups = next.vrrpSyncGroups.map((sg) => syncGroupConfigFromModel(next, sg));
    const regrouping = r.runtime.setGroups(groups);
    for (const sp of plan.changed) {
      await r.runtime.updateInstance(sp);
      details.push(`instance ${sp.cfg.name} changed`);
    }
    r.runtime.settleGroups(regrouping);
    for (const sp of plan.added) details.push(`instance ${sp.cfg.name} added`);
    details.push(...groupChanges(r.model, next, regrouping));
    // track_file: the watcher is rebuilt when the tracked files changed.
    if (JSON.stringify(trackedFileList(r.model, this.wired.specs)) !== JSON.stringify(trackedFileList(next, wired.specs))) {
      r.fileWatcher.stop();
      r.fileWatcher = this.trackFiles(r.runtime, next, wired.specs);
      details.push('track_file watches renewed');
    }
    this.wired = wired;
    r.model = next;
    return details.length > 0 ? { kind: 'applied', changes: details.length, details } : { kind: 'unchanged' };
  }

  /** The running instances' specs in wiring order. */
  private wiredRunning(byName: ReadonlyMap<string, RuntimeInstanceSpec>): RuntimeInstanceSpec[] {
    return [...byName.values()].filter((sp) => this.running?.runtime.specOf(sp.cfg.name) !== undefined);
  }

  private started(): Running {
    if (!this.running) throw new Error('the VRRP subsystem is not running');
    return this.running;
  }

  /** vrrp_script: results feed the trackers of every instance that tracks the script; its own result lines are logged first, as keepalived does. */
  private trackScripts(runtime: VrrpRuntime, runnable: readonly RunnableScript[], timers: RealTimers, scriptStatus: ScriptStatusLog): VrrpScriptRunner {
    const { log, runner } = this.ctx;
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
    return scriptRunner;
  }

  /**
   * vrrp_track_process has no monitor here yet. Nothing would ever report, and a weight-0
   * tracker would hold its instance in the silent start-up wait for good: say so once, and count
   * the process as not running (keepalived's verdict for an absent process).
   */
  private trackProcesses(runtime: VrrpRuntime, specs: readonly RuntimeInstanceSpec[]): void {
    const processes = new Set(specs.flatMap((s) => s.cfg.trackers.filter((t) => t.type === 'process').map((t) => t.name)));
    for (const name of processes) {
      this.ctx.log.warn({ trackProcess: name, code: 'unsupported' }, `track_process ${name}: process tracking is not implemented; the process counts as not running`);
      runtime.trackerResult({ type: 'process', name }, { ok: false });
    }
  }

  /**
   * track_file: values read before the instances start (keepalived sets the effective priority
   * before "Entering BACKUP STATE (init)"), then followed through inotify.
   */
  private trackFiles(runtime: VrrpRuntime, model: KeepalivedConfig, specs: readonly RuntimeInstanceSpec[]): TrackFileWatcher {
    const fileWatcher = new TrackFileWatcher(
      trackedFileList(model, specs),
      this.ctx.log,
      (name, value) => runtime.trackerResult({ type: 'file', name }, { value }),
    );
    fileWatcher.start();
    return fileWatcher;
  }
}

/** The track_files the instances track, as the watcher takes them. */
function trackedFileList(model: KeepalivedConfig, specs: readonly RuntimeInstanceSpec[]): { name: string; path: string; initFile?: NonNullable<KeepalivedConfig['trackFiles'][number]['initFile']> }[] {
  const tracked = new Set(specs.flatMap((s) => s.cfg.trackers.filter((t) => t.type === 'file').map((t) => t.name)));
  return model.trackFiles
    .filter((tf) => tracked.has(tf.name) && tf.file !== undefined)
    .map((tf) => ({ name: tf.name, path: tf.file!, ...(tf.initFile ? { initFile: tf.initFile } : {}) }));
}

/** The reload's sync group changes, in words: groups formed, with other members, changed in place, removed. */
function groupChanges(old: KeepalivedConfig, next: KeepalivedConfig, regrouping: Regrouping): string[] {
  const before = new Map(old.vrrpSyncGroups.map((sg) => [sg.name, JSON.stringify(syncGroupConfigFromModel(old, sg))]));
  const regrouped = new Set(regrouping.groups.map((g) => g.group));
  const out: string[] = [];
  for (const sg of next.vrrpSyncGroups) {
    const was = before.get(sg.name);
    if (was === undefined) out.push(`sync group ${sg.name} added`);
    else if (regrouped.has(sg.name)) out.push(`sync group ${sg.name} members changed`);
    else if (was !== JSON.stringify(syncGroupConfigFromModel(next, sg))) out.push(`sync group ${sg.name} changed`);
  }
  for (const name of before.keys()) if (!next.vrrpSyncGroups.some((sg) => sg.name === name)) out.push(`sync group ${name} removed`);
  return out;
}

function sameScript(a: RunnableScript, b: RunnableScript): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

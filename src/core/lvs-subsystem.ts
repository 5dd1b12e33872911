// The LVS director as one Subsystem: the checkers (a HealthSource, injected) feed the IPVS
// manager, which keeps the kernel's table as the config and the checkers say.
//
// Without IPVS in the kernel (no ip_vs module, as on the development machine) keepalived logs
// "IPVS: Can't initialize ipvs: ..." and carries on; so do we, with one error line at start: VRRP
// is not affected, and the checkers still run and report (their logs, notify_up/notify_down) with
// no manager behind them.
//
// createLvsSubsystem() is the one call the daemon composition makes.
import { getSystemErrorMap } from 'node:util';
import type { KeepalivedConfig, ScriptSpec, VirtualServer } from '../config/model.js';
import { vsLine, type LvsEndpoint, type LvsProtocol } from '../notify/fifo-format.js';
import type { HealthSource, RealServerHealth } from '../check/health.js';
import type { CheckPlan } from '../check/plan.js';
import type { IpvsKernel } from '../kernel/ipvs.js';
import type { Logger } from '../lib/log.js';
import type { TimerHandle, Timers } from '../lib/timers.js';
import type { Ms } from '../lib/units.js';
import { IpvsManager, type IpvsManagerStats, type ScriptLauncher } from '../ipvs/manager.js';
import { EMPTY_MEMORY, desired, type DesiredVirtual } from '../ipvs/desired.js';
import type { PreparedScript, ProcessRunner, RunningProcess } from '../notify/process-runner.js';
import { scriptKey } from '../vrrp/model-adapter.js';
import type { ReloadOutcome, StopReason, Subsystem } from './subsystem.js';
import { LvsSyncDaemon } from './lvs-sync-daemon.js';

export interface LvsSubsystemOptions {
  readonly model: KeepalivedConfig;
  readonly log: Logger;
  /** The kernel's IPVS table; absent when it could not be opened (then: no IPVS). */
  readonly ipvs?: IpvsKernel;
  /** Why it could not be opened (logged once at start, in keepalived's words). */
  readonly ipvsOpenError?: unknown;
  readonly health: HealthSource;
  readonly runner: ProcessRunner;
  /** Scripts that passed the security check, by scriptKey; absent = run every script as written. */
  readonly prepared?: ReadonlyMap<string, PreparedScript>;
  readonly timers: Timers;
  /** -I / --dont-release-ipvs. */
  readonly dontReleaseIpvs?: boolean;
  /** Addresses this node holds (VIPs of MASTER instances), for ha_suspend. */
  readonly heldAddresses?: () => ReadonlySet<string> | undefined;
  /** Period of the repair pass (ms); default 5000. */
  readonly passIntervalMs?: number;
  /** Kill a quorum script after this long; default 120 s (ADR 0002). */
  readonly scriptTimeoutMs?: Ms;
  /** notify_fifo / lvs_notify_fifo writers: `VS [192.0.2.1]:tcp:80 UP` lines on quorum changes. */
  readonly fifos?: readonly LineWriter[];
  /**
   * A reload: the checkers' plan and the quorum scripts of the new model, through the same
   * security checks as at start (lvs-parts.ts). Absent: the checkers keep their plan.
   */
  readonly prepareReload?: (next: KeepalivedConfig) => ReloadPreparation;
  /** Append the NUL keepalived before 2.0.17 wrote after each LVS FIFO line (fifo-format.ts, ADR 0003); default off, as 2.2.7. */
  readonly lvsTrailingNul?: boolean;
}

export interface ReloadPreparation {
  readonly plan?: CheckPlan;
  readonly prepared?: ReadonlyMap<string, PreparedScript>;
}

export interface LineWriter {
  write(line: string): void;
}

/** How keepalived names a virtual server in FIFO lines (check_data.c format_vs). */
export function vsEndpoint(vs: VirtualServer): LvsEndpoint {
  const t = vs.target;
  switch (t.kind) {
    case 'address':
      return { kind: 'addr', ip: t.ip.text, protocol: vs.protocol.toLowerCase() as LvsProtocol, port: t.port };
    case 'fwmark':
      return { kind: 'fwmark', mark: t.fwmark };
    case 'group':
      return { kind: 'group', name: t.group, port: 0 };
  }
}

export type IpvsAvailability = 'active' | 'unavailable' | 'stopped' | 'idle';

export interface LvsStatus {
  readonly ipvs: IpvsAvailability;
  readonly error?: string;
  readonly virtualServers: readonly (DesiredVirtual & { readonly realServers: readonly LvsRealStatus[] })[];
  readonly stats?: IpvsManagerStats;
}

export interface LvsRealStatus {
  readonly key: string;
  readonly label: string;
  readonly alive: boolean;
  readonly weight: number;
  readonly pool: string;
  readonly lastResult?: string;
  /** Duration of the last probe (ms). */
  readonly lastLatencyMs?: number;
  readonly checkersUp?: number;
  readonly checkers?: number;
}

export function createLvsSubsystem(o: LvsSubsystemOptions): LvsSubsystem {
  return new LvsSubsystem(o);
}

/** Quorum scripts through the notify ProcessRunner, fire-and-forget like keepalived's notify_exec. */
class RunnerLauncher implements ScriptLauncher {
  private readonly running = new Set<RunningProcess>();
  constructor(
    private readonly o: LvsSubsystemOptions,
    /** The quorum scripts that passed the security check (the last reload's), by scriptKey. */
    private readonly allowed: () => ReadonlyMap<string, PreparedScript> | undefined,
  ) {}

  launch(script: ScriptSpec, why: string, stopping: boolean): void {
    const allowed = this.allowed();
    const prepared = allowed ? allowed.get(scriptKey(script)) : { argv: script.argv };
    if (!prepared) {
      this.o.log.warn(`${why}: script '${script.cmd}' is disabled (failed the script security check) - not run`);
      return;
    }
    // keepalived kills scripts started at shutdown after one second (system_call_script, TIMER_HZ).
    const p = this.o.runner.start({ ...prepared, timeoutMs: stopping ? (1000 as Ms) : (this.o.scriptTimeoutMs ?? (120_000 as Ms)), label: why });
    this.running.add(p);
    void p.result.then((r) => {
      this.running.delete(p);
      if (r.kind !== 'exited' || r.code !== 0) this.o.log.debug({ result: r }, `${why}: script '${script.cmd}' ended: ${JSON.stringify(r)}`);
    });
  }

  /** keepalived at stop: running scripts get one second, then their process groups are killed. */
  async drain(): Promise<void> {
    const all = [...this.running];
    if (all.length === 0) return;
    let timer: TimerHandle | undefined;
    const late = new Promise<void>((r) => (timer = this.o.timers.setTimeout(r, 1000)));
    await Promise.race([Promise.all(all.map((p) => p.result)), late]);
    if (timer) this.o.timers.clearTimeout(timer);
    for (const p of this.running) p.terminate(500 as Ms);
    await Promise.all([...this.running].map((p) => p.result));
  }
}

export class LvsSubsystem implements Subsystem<LvsStatus> {
  readonly name = 'ipvs';
  private manager: IpvsManager | undefined;
  private availability: IpvsAvailability = 'idle';
  private error: string | undefined;
  private model: KeepalivedConfig;
  /** lvs_sync_daemon without a VRRP instance: both daemons for the LVS side's lifetime. */
  private syncd: LvsSyncDaemon | undefined;
  private prepared: ReadonlyMap<string, PreparedScript> | undefined;
  /** A reload hands the checkers their new plan: the health changes it causes wait for the reload's own pass. */
  private reloading = false;
  /** Started (a subsystem with no virtual server at start waits for a reload that brings some: --all). */
  private running = false;
  /** The checkers and the table have been brought up. */
  private up = false;

  constructor(private readonly o: LvsSubsystemOptions) {
    this.model = o.model;
    this.prepared = o.prepared;
  }

  async start(): Promise<void> {
    this.running = true;
    if (this.model.virtualServers.length === 0) return;
    await this.bringUp();
  }

  /**
   * The checkers are started first (keepalived's parent forks its checker child, which opens
   * IPVS and sets the services up before its first check, 1 s later), then the IPVS table; then
   * this waits for the checkers to report they run.
   */
  private async bringUp(): Promise<void> {
    const { log, ipvs, health } = this.o;
    this.up = true;
    health.onChange(() => {
      if (!this.reloading) void this.manager?.requestPass('health');
    });
    const checkers = health.start();
    checkers.catch(() => undefined);
    // keepalived's checker child, as it opens the IPVS interface (check_daemon.c start_check).
    log.info('Initializing ipvs');
    if (!ipvs) {
      this.unavailable(this.o.ipvsOpenError !== undefined ? errnoText(this.o.ipvsOpenError) : 'no IPVS interface');
    } else {
      try {
        await ipvs.info();
        this.manager = new IpvsManager({
          config: this.model,
          kernel: ipvs,
          log,
          timers: this.o.timers,
          health: () => health.current(),
          ...(this.o.heldAddresses ? { heldAddresses: this.o.heldAddresses } : {}),
          scripts: new RunnerLauncher(this.o, () => this.prepared),
          ...(this.o.passIntervalMs !== undefined ? { passIntervalMs: this.o.passIntervalMs } : {}),
          dontRelease: this.o.dontReleaseIpvs ?? false,
          onQuorum: (vs, up) => {
            const line = vsLine(vsEndpoint(vs), up, { lvsTrailingNul: this.o.lvsTrailingNul ?? false });
            for (const f of this.o.fifos ?? []) f.write(line);
          },
        });
        this.availability = 'active';
      } catch (e) {
        this.unavailable(errnoText(e));
      }
    }
    // keepalived sets the services up (init_services) before the first check runs.
    await this.manager?.start();
    const sync = this.model.globalDefs.lvsSyncDaemon;
    if (this.manager && ipvs && sync && sync.vrrpInstance === undefined) {
      this.syncd = new LvsSyncDaemon(sync, 0, () => Promise.resolve(ipvs), log, false);
      await this.syncd.startBoth();
    }
    await checkers;
  }

  async stop(_reason: StopReason): Promise<void> {
    await this.o.health.stop();
    await this.syncd?.stop();
    await this.manager?.stop();
    this.o.ipvs?.close();
    if (this.availability === 'active') this.availability = 'stopped';
  }

  status(): LvsStatus {
    const health = this.o.health.current();
    // Without a manager (no IPVS) the view is what the table would be, from the checkers' results.
    const virtuals =
      this.manager?.status().virtualServers ??
      desired({ virtualServers: this.model.virtualServers, groups: this.model.virtualServerGroups, health, memory: EMPTY_MEMORY }).virtuals;
    return {
      ipvs: this.availability,
      ...(this.error ? { error: this.error } : {}),
      virtualServers: virtuals.map((v) => ({
        ...v,
        realServers: v.reals.map((r) => withHealth(r, health.get(r.key))),
      })),
      ...(this.manager ? { stats: this.manager.status().stats } : {}),
    };
  }

  /**
   * keepalived's order (check_daemon.c reload_check_thread: clear_diff_services, then
   * init_services): the checkers first (state carried over, added real servers with their
   * initial health, removed ones stopped), then the IPVS table from the new model and that
   * health, so a removed real server leaves the table and an added one enters it as its checkers
   * say (up unless alpha; a failing check takes it out after its first probe).
   */
  async reload(_old: KeepalivedConfig, next: KeepalivedConfig): Promise<ReloadOutcome> {
    const prep = this.o.prepareReload?.(next);
    if (prep?.prepared) this.prepared = prep.prepared;
    if (this.running && !this.up && next.virtualServers.length > 0) {
      // Started without a virtual server (--all): the first ones come now, as at a start.
      if (prep?.plan) await this.o.health.reload?.(prep.plan);
      this.model = next;
      await this.bringUp();
      return { kind: 'applied', changes: 1, details: ['started'] };
    }
    const details: string[] = [];
    if (prep?.plan && this.o.health.reload) {
      this.reloading = true;
      try {
        const r = await this.o.health.reload(prep.plan);
        if (r.added > 0) details.push(`${r.added} real server(s) added to the checkers`);
        if (r.removed > 0) details.push(`${r.removed} real server(s) removed from the checkers`);
        if (r.restarted > 0) details.push(`${r.restarted} checker(s) restarted`);
      } finally {
        this.reloading = false;
      }
    }
    this.model = next;
    const ops = this.manager ? ((await this.manager.reload(next))?.ops.length ?? 0) : 0;
    if (details.length === 0) return ops > 0 ? { kind: 'applied', changes: ops } : { kind: 'unchanged' };
    if (ops > 0) details.push(`${ops} change(s)`);
    return { kind: 'applied', changes: details.length, details };
  }

  /**
   * The addresses this node holds changed (a VRRP instance became MASTER or left it): ha_suspend
   * virtual servers follow on the next pass, which this starts.
   */
  heldAddressesChanged(): void {
    void this.manager?.requestPass('vrrp');
  }

  /** Resolves when the manager has no pass running or queued (tests). */
  async idle(): Promise<void> {
    await this.manager?.idle();
  }

  private unavailable(why: string): void {
    this.availability = 'unavailable';
    this.error = why;
    // keepalived: "IPVS: Can't initialize ipvs: <strerror>" (ipvswrapper.c ipvs_start).
    this.o.log.error(`IPVS: Can't initialize ipvs: ${why} - virtual servers are not set up; health checks still run`);
  }
}

/**
 * The reason in keepalived's words: strerror(errno) ("No such file or directory" when the
 * kernel has no IPVS family), then our detail.
 */
function errnoText(e: unknown): string {
  const errno = (e as { errno?: unknown }).errno;
  const sys = typeof errno === 'number' ? getSystemErrorMap().get(-errno) : undefined;
  const detail = e instanceof Error ? e.message : String(e);
  if (!sys) return detail;
  return `${sys[1].charAt(0).toUpperCase()}${sys[1].slice(1)} (${detail})`;
}

function withHealth(r: DesiredVirtual['reals'][number], h: RealServerHealth | undefined): LvsRealStatus {
  return {
    key: r.key,
    label: r.label,
    alive: r.alive,
    weight: r.weight,
    pool: r.pool,
    ...(h?.lastResult !== undefined ? { lastResult: h.lastResult } : {}),
    ...(h?.lastLatencyMs !== undefined ? { lastLatencyMs: h.lastLatencyMs } : {}),
    ...(h ? { checkersUp: h.checkersUp, checkers: h.checkers } : {}),
  };
}

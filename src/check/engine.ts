// The checker engine: runs every checker of a CheckPlan on its own deadline (checker-state.ts
// decides), with bounded concurrency, combines a real server's checkers (up when every one is
// up, keepalived's num_failed_checkers == 0), and on each change of a real server runs its
// notify_up / notify_down script and writes the `RS ...` FIFO line (ipwrapper.c
// do_rs_notifies). Implements HealthSource for the LVS subsystem.
//
// Time comes from the injected Timers (RealTimers in the checker worker, VirtualTime in tests);
// probes from the injected Prober. It runs inside the checker worker (worker.ts) in the daemon,
// so nothing here can delay a VRRP advertisement; tests run it in-thread.
import type { Logger } from '../lib/log.js';
import type { TimerHandle, Timers } from '../lib/timers.js';
import { ms, type Ms } from '../lib/units.js';
import { endpointText, rsLine } from '../notify/fifo-format.js';
import type { ProcessRunner, RunningProcess } from '../notify/process-runner.js';
import type { HealthReloadReport, HealthSource, RealServerHealth } from './health.js';
import { activatingLine, firstDeadline, initialState, onProbeResult, type CheckerState, type ProbeResult } from './checker-state.js';
import { fileStatus } from './file-check.js';
import type { CheckerPlan, CheckPlan, RealServerPlan } from './plan.js';
import type { ProbeHandle, Prober } from './probes.js';
import { checkerDigest, checkerTarget, migratedState, reloadedState, settleReloaded, type ReloadedChecker } from './checker-reload.js';
import { httpResultWords } from './http-state.js';

/** The log lines the engine writes (keepalived logs them at LOG_INFO). */
export type EngineLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface HealthEngineOptions {
  readonly plan: CheckPlan;
  readonly prober: Prober;
  readonly timers: Timers;
  /** Runs notify_up / notify_down. */
  readonly runner: ProcessRunner;
  readonly log?: EngineLog;
  /** Each `RS ...` line for notify_fifo / lvs_notify_fifo (keepalived's bytes). */
  readonly onFifoLine?: (line: string) => void;
  /** Source of the warmup spread, [0, 1); default Math.random. */
  readonly random?: () => number;
  /**
   * Socket probes in flight at once (default 2048). A probe waiting for a silent target holds its
   * slot for connect_timeout: 256 let 1,000 such targets starve 9,000 healthy ones (bench/checkers.mjs).
   */
  readonly maxTcp?: number;
  /** Scripts running at once (default 16). */
  readonly maxScripts?: number;
}

interface CheckerSlot {
  plan: CheckerPlan;
  readonly rs: RsSlot;
  state: CheckerState;
  timer: TimerHandle | undefined;
  probe: ProbeHandle | undefined;
  queued: boolean;
}

interface RsSlot {
  plan: RealServerPlan;
  readonly rsText: string;
  readonly vsText: string;
  readonly checkers: CheckerSlot[];
  alive: boolean;
  weight: number;
  lastResult: string | undefined;
  lastLatencyMs: number | undefined;
}

export class HealthEngine implements HealthSource {
  private servers: RsSlot[] = [];
  private plan: CheckPlan;
  private readonly listeners: ((h: RealServerHealth) => void)[] = [];
  private readonly statusListeners: ((h: RealServerHealth) => void)[] = [];
  private readonly waiting: { tcp: CheckerSlot[]; misc: CheckerSlot[] } = { tcp: [], misc: [] };
  private readonly active = { tcp: 0, misc: 0 };
  private readonly scripts = new Set<RunningProcess>();
  /** Checkers whose probe runs now (each holds one slot of `active`). */
  private readonly inFlight = new Set<CheckerSlot>();
  private readonly maxTcp: number;
  private readonly maxScripts: number;
  private running = false;
  /** Probes started so far (status, benchmarks). */
  probes = 0;

  constructor(private readonly opts: HealthEngineOptions) {
    this.maxTcp = Math.max(1, opts.maxTcp ?? 2048);
    this.maxScripts = Math.max(1, opts.maxScripts ?? 16);
    this.plan = opts.plan;
    for (const plan of opts.plan.realServers) this.servers.push(this.newServer(plan));
  }

  private newServer(plan: RealServerPlan): RsSlot {
    const rs: RsSlot = {
      plan,
      rsText: endpointText(plan.rs),
      vsText: endpointText(plan.vs),
      checkers: [],
      alive: true,
      weight: plan.weight,
      lastResult: undefined,
      lastLatencyMs: undefined,
    };
    for (const c of plan.checkers) rs.checkers.push({ plan: c, rs, state: initialState(c.params), timer: undefined, probe: undefined, queued: false });
    // Alpha checkers start failed, so their real server starts down (check_data.c).
    rs.alive = rs.checkers.every((c) => c.state.up);
    return rs;
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    const now = this.opts.timers.clock.now();
    const random = this.opts.random ?? Math.random;
    for (const rs of this.servers) this.watchFiles(rs, rs.checkers);
    // ipwrapper.c init_service_rs: with rs_init_notifies, a server that starts alive is notified.
    if (this.plan.rsInitNotifies) for (const rs of this.servers) if (rs.alive) this.notifies(rs);
    for (const rs of this.servers) this.activate(rs.checkers, now, random);
    return Promise.resolve();
  }

  /** keepalived's register_checkers_thread for these checkers: the line, then the first probe at 1 s + warmup. */
  private activate(checkers: readonly CheckerSlot[], now: Ms, random: () => number): void {
    for (const c of checkers) {
      if (c.plan.kind === 'FILE_CHECK') continue;
      this.opts.log?.info(activatingLine(c.plan.params));
      this.arm(c, firstDeadline(c.plan.params, now, random()));
    }
  }

  /**
   * A reload (checker-reload.ts has keepalived's rules): real servers matched by key; one whose
   * checkers are all identical is left untouched (state, retry counters, timers, a probe in
   * flight); changed checkers start again with the state keepalived migrates; added real servers
   * start as at a reload in keepalived (alpha down, otherwise up, retry counter 0, with their
   * warmup; rs_init_notifies as at start); removed ones stop, and one that was up gets its
   * notify_down and FIFO DOWN line (clear_service_rs). Health changes go to onChange listeners.
   */
  async reload(plan: CheckPlan): Promise<HealthReloadReport> {
    const now = this.opts.timers.clock.now();
    const random = this.opts.random ?? Math.random;
    const before = new Map(this.servers.map((rs) => [rs.plan.key, rs]));
    const next: RsSlot[] = [];
    const retired: CheckerSlot[] = [];
    const added: RsSlot[] = [];
    const started: CheckerSlot[] = [];
    let unchanged = 0;
    const changedServers: RsSlot[] = [];
    for (const p of plan.realServers) {
      const rs = before.get(p.key);
      if (!rs) {
        const n = this.newServer(p);
        // check_new_rs_state: only alpha checkers start down; the counter starts at 0 on a reload.
        for (const c of n.checkers) c.state = { ...reloadedState(), up: !c.plan.params.alpha };
        next.push(n);
        added.push(n);
        continue;
      }
      before.delete(p.key);
      next.push(rs);
      const r = this.migrate(rs, p);
      retired.push(...r.retired);
      started.push(...r.started);
      if (r.started.length === 0 && r.retired.length === 0) unchanged++;
      if (r.changed) changedServers.push(rs);
    }
    for (const rs of before.values()) retired.push(...rs.checkers);
    const cancelled = retired.map((c) => this.retire(c));
    this.servers = next;
    this.plan = plan;
    // Removed servers that were up: notify_down and the FIFO DOWN line (clear_service_rs).
    for (const rs of before.values()) {
      if (!rs.alive) continue;
      rs.alive = false;
      this.notifies(rs);
    }
    if (this.running) {
      for (const rs of added) this.watchFiles(rs, rs.checkers);
      if (plan.rsInitNotifies) for (const rs of added) if (rs.alive) this.notifies(rs);
      for (const rs of added) this.activate(rs.checkers, now, random);
      this.activate(started, now, random);
    }
    for (const rs of changedServers) {
      const h = this.health(rs);
      for (const l of this.listeners) l(h);
    }
    await Promise.all(cancelled);
    for (const kind of ['tcp', 'misc'] as const) this.pump(kind);
    return { added: added.length, removed: before.size, restarted: started.length, unchanged };
  }

  /** One real server that stays: its checkers matched, migrated or new; its state settled. */
  private migrate(rs: RsSlot, p: RealServerPlan): { retired: CheckerSlot[]; started: CheckerSlot[]; changed: boolean } {
    const old = rs.checkers;
    const taken = new Set<CheckerSlot>();
    const pick = (f: (o: CheckerSlot) => boolean): CheckerSlot | undefined => old.find((o) => !taken.has(o) && f(o));
    const slots: CheckerSlot[] = [];
    const started: CheckerSlot[] = [];
    const retired: CheckerSlot[] = [];
    const kept = new Set<CheckerSlot>();
    for (const cp of p.checkers) {
      const digest = checkerDigest(cp);
      const same = pick((o) => checkerDigest(o.plan) === digest);
      if (same) {
        taken.add(same);
        kept.add(same);
        same.plan = cp;
        slots.push(same);
        continue;
      }
      const target = checkerTarget(cp);
      const like = pick((o) => o.plan.kind === cp.kind && checkerTarget(o.plan) === target);
      if (like) taken.add(like);
      const slot: CheckerSlot = { plan: cp, rs, state: like ? migratedState(like.state, cp.params.retry) : reloadedState(), timer: undefined, probe: undefined, queued: false };
      slots.push(slot);
      started.push(slot);
    }
    for (const o of old) if (!slots.includes(o)) retired.push(o);
    const weightBefore = rs.weight;
    rs.plan = p;
    rs.checkers.splice(0, rs.checkers.length, ...slots);
    if (started.length === 0 && retired.length === 0) {
      // Its checkers are as they were; a new configured weight still moves a misc_dynamic one.
      rs.weight = this.weightOf(rs);
      return { retired, started, changed: rs.weight !== weightBefore };
    }
    const wasAlive = rs.alive;
    // A new FILE_CHECK reads its file first (its value is its state, as at start).
    if (this.running) this.watchFiles(rs, started);
    const views: ReloadedChecker[] = slots.map((c) => ({ state: c.state, kept: kept.has(c), retry: c.plan.params.retry, alpha: c.plan.params.alpha }));
    const { alive, cameUp } = settleReloaded(wasAlive, views);
    slots.forEach((c, i) => (c.state = views[i]!.state));
    rs.alive = alive;
    rs.weight = this.weightOf(rs);
    // perform_svr_state(true): the server comes up with its notifies; going down here is silent.
    if (cameUp) this.notifies(rs);
    return { retired, started, changed: alive !== wasAlive || rs.weight !== weightBefore };
  }

  /** A checker a reload removed: its timer and probe are cancelled; a probe in flight gives back its slot. */
  private retire(c: CheckerSlot): Promise<void> {
    if (c.timer) this.opts.timers.clearTimeout(c.timer);
    c.timer = undefined;
    c.queued = false;
    const probe = c.probe;
    c.probe = undefined;
    if (!probe) return Promise.resolve();
    if (c.plan.kind !== 'FILE_CHECK' && this.inFlight.delete(c)) this.active[c.plan.kind === 'MISC_CHECK' ? 'misc' : 'tcp']--;
    return probe.cancel();
  }

  async stop(): Promise<void> {
    this.running = false;
    const cancelled: Promise<void>[] = [];
    for (const rs of this.servers) {
      for (const c of rs.checkers) {
        if (c.timer) this.opts.timers.clearTimeout(c.timer);
        c.timer = undefined;
        if (c.probe) cancelled.push(c.probe.cancel());
        c.probe = undefined;
        c.queued = false;
      }
    }
    this.opts.prober.close?.();
    this.waiting.tcp.length = 0;
    this.waiting.misc.length = 0;
    this.active.tcp = 0;
    this.active.misc = 0;
    this.inFlight.clear();
    // keepalived's script_killall at stop: SIGTERM, SIGKILL after 1 s.
    const left = [...this.scripts];
    for (const p of left) p.terminate(1000 as Ms);
    // ipwrapper.c clear_service_rs at shutdown: with omega, each alive server goes down with its
    // notifies; its notify_down is killed if it runs longer than 1 s.
    for (const rs of this.servers) {
      if (!rs.plan.omega || !rs.alive) continue;
      rs.alive = false;
      const p = this.notifies(rs, 1000 as Ms);
      if (p) left.push(p);
    }
    // Scripts still running (misc checks, notifies) are gone before the checker reports stopped.
    await Promise.all([...left.map((p) => p.result), ...cancelled]);
  }

  current(): ReadonlyMap<string, RealServerHealth> {
    const out = new Map<string, RealServerHealth>();
    for (const rs of this.servers) out.set(rs.plan.key, this.health(rs));
    return out;
  }

  onChange(listener: (h: RealServerHealth) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Called when anything but the latency of a real server's report changes (its last result in
   * words, checkers up), besides the changes onChange sees: the worker forwards these so the
   * main thread's status view stays current without a message per probe.
   */
  onStatus(listener: (h: RealServerHealth) => void): void {
    this.statusListeners.push(listener);
  }

  private health(rs: RsSlot): RealServerHealth {
    const up = rs.checkers.filter((c) => c.state.up).length + rs.plan.notRun;
    const dynamic = rs.checkers.some((c) => c.state.dynamicWeight !== undefined);
    return {
      key: rs.plan.key,
      up: rs.alive,
      ...(dynamic ? { weight: rs.weight } : {}),
      checkersUp: up,
      checkers: rs.checkers.length + rs.plan.notRun,
      ...(rs.lastResult !== undefined ? { lastResult: rs.lastResult } : {}),
      ...(rs.lastLatencyMs !== undefined ? { lastLatencyMs: rs.lastLatencyMs } : {}),
    };
  }

  private arm(c: CheckerSlot, at: Ms): void {
    if (!this.running) return;
    const delay = Math.max(0, at - this.opts.timers.clock.now());
    c.timer = this.opts.timers.setTimeout(() => {
      c.timer = undefined;
      this.due(c);
    }, delay);
  }

  /**
   * FILE_CHECK (file-check.ts): the value read at start sets the checker's state and weight
   * without notifies (keepalived applies it before its checkers start); every later value is a
   * result like a probe's.
   */
  private watchFiles(rs: RsSlot, checkers: readonly CheckerSlot[]): void {
    const watch = this.opts.prober.watchFile?.bind(this.opts.prober);
    if (!watch) return;
    let initial = true;
    let any = false;
    for (const c of checkers) {
      const plan = c.plan;
      if (plan.kind !== 'FILE_CHECK') continue;
      any = true;
      c.probe = watch(plan, (value) => {
        const st = fileStatus(value, plan.weight, plan.reverse);
        const dynamicWeight = st.up ? rs.plan.weight + st.offset : undefined;
        const before = c.state;
        c.state = { ...before, up: st.up, hasRun: true, dynamicWeight };
        if (initial) return;
        if (before.up && st.up) {
          // track_file.c: a new weight while up is update_svr_wgt (logged, IPVS edited).
          if (this.reweigh(rs)) {
            const h = this.health(rs);
            for (const l of this.listeners) l(h);
          }
          return;
        }
        // Entering or leaving FAULT moves the effective weight silently, then the state.
        rs.weight = this.weightOf(rs);
        this.settleServer(rs);
      });
    }
    initial = false;
    if (!any) return;
    rs.alive = rs.checkers.every((x) => x.state.up);
    rs.weight = this.weightOf(rs);
  }

  /** A checker changed state outside a probe: the real server follows, with its notifies. */
  private settleServer(rs: RsSlot): void {
    const alive = rs.checkers.every((x) => x.state.up);
    if (alive === rs.alive) return;
    rs.alive = alive;
    this.notifies(rs);
    const h = this.health(rs);
    for (const l of this.listeners) l(h);
  }

  private due(c: CheckerSlot): void {
    if (!this.running) return;
    const kind = c.plan.kind === 'MISC_CHECK' ? 'misc' : 'tcp';
    c.queued = true;
    this.waiting[kind].push(c);
    this.pump(kind);
  }

  private pump(kind: 'tcp' | 'misc'): void {
    const max = kind === 'tcp' ? this.maxTcp : this.maxScripts;
    const q = this.waiting[kind];
    while (this.running && this.active[kind] < max && q.length > 0) {
      const c = q.shift()!;
      if (!c.queued) continue;
      c.queued = false;
      this.launch(c, kind);
    }
  }

  private launch(c: CheckerSlot, kind: 'tcp' | 'misc'): void {
    this.active[kind]++;
    this.inFlight.add(c);
    this.probes++;
    const startedAt = this.opts.timers.clock.now();
    let settled = false;
    c.probe = this.opts.prober.start(c.plan, (r) => {
      if (settled) return;
      settled = true;
      c.probe = undefined;
      if (!this.running || !this.inFlight.delete(c)) return;
      this.active[kind]--;
      this.result(c, r, startedAt);
      this.pump(kind);
    }, c.state.urlIt);
  }

  private result(c: CheckerSlot, r: ProbeResult, startedAt: Ms): void {
    const endedAt = this.opts.timers.clock.now();
    const rs = c.rs;
    const words = resultWords(r);
    const upBefore = c.state.up;
    const wordsChanged = words !== rs.lastResult;
    rs.lastResult = words;
    rs.lastLatencyMs = ms(endedAt - startedAt);
    const out = onProbeResult(c.plan.params, c.state, r, startedAt, endedAt);
    c.state = out.state;
    for (const line of out.logs) this.opts.log?.info(line);
    let changed = false;
    if (out.weight !== undefined) changed = this.reweigh(rs) || changed;
    if (out.change !== undefined) {
      const alive = rs.checkers.every((x) => x.state.up);
      if (alive !== rs.alive) {
        rs.alive = alive;
        this.notifies(rs);
        changed = true;
      }
    } else if (out.initialNotify) {
      this.notifies(rs);
    }
    if (changed) {
      const h = this.health(rs);
      for (const l of this.listeners) l(h);
    } else if (wordsChanged || upBefore !== c.state.up) {
      const h = this.health(rs);
      for (const l of this.statusListeners) l(h);
    }
    this.arm(c, out.next);
  }

  /** misc_dynamic: configured weight plus each dynamic checker's offset (ipwrapper.c update_svr_wgt). */
  private reweigh(rs: RsSlot): boolean {
    const w = this.weightOf(rs);
    if (w === rs.weight) return false;
    this.opts.log?.info(`Changing weight from ${rs.weight} to ${w} for ${rs.alive ? '' : 'in'}active service ${rs.rsText} of VS ${rs.vsText}`);
    rs.weight = w;
    return true;
  }

  private weightOf(rs: RsSlot): number {
    let w = rs.plan.weight;
    for (const c of rs.checkers) if (c.state.dynamicWeight !== undefined) w += c.state.dynamicWeight - rs.plan.weight;
    return Math.min(Math.max(w, 0), 0x7fffffff);
  }

  /** ipwrapper.c do_rs_notifies: the script for the state the server is in, then the FIFO line. */
  private notifies(rs: RsSlot, timeoutMs?: Ms): RunningProcess | undefined {
    const script = rs.alive ? rs.plan.notifyUp : rs.plan.notifyDown;
    let started: RunningProcess | undefined;
    if (script) {
      const p = this.opts.runner.start({ ...script, label: rs.alive ? 'notify_up' : 'notify_down', ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      started = p;
      this.scripts.add(p);
      void p.result.then((res) => {
        this.scripts.delete(p);
        if (res.kind === 'spawnError') this.opts.log?.error(`Failed to exec notify script ${script.argv[0] ?? ''} (${res.code})`);
      });
    }
    this.opts.onFifoLine?.(rsLine(rs.plan.rs, rs.plan.vs, rs.alive));
    return started;
  }
}

/** The last result in words for status (`connected`, `timeout`, `ECONNREFUSED`, `exit 1`, `signal 9`). */
export function resultWords(r: ProbeResult): string {
  switch (r.kind) {
    case 'connected':
      return 'connected';
    case 'timeout':
      return 'timeout';
    case 'connectFailed':
      return r.detail;
    case 'bindFailed':
      return `bind ${r.detail}`;
    case 'exited':
      return `exit ${r.code}`;
    case 'signaled':
      return `signal ${r.signal}`;
    case 'http':
      return httpResultWords(r);
    case 'failed':
      return r.detail;
  }
}

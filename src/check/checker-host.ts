// The checkers as the daemon's main thread sees them: a HealthSource whose engine runs off the
// VRRP thread (ADR 0015), by default in a child process (`transport: 'process'`), optionally in
// a worker thread (`'thread'`). The checker reports health changes, log lines and `RS ...` FIFO
// lines as tagged messages (checker-protocol.ts); the FIFO lines are written here, through the
// main thread's FIFO writers, so notify_fifo keeps one writer and one order.
//
// Why a process by default: a MISC_CHECK or notify script started from any thread of the
// daemon forks the daemon's whole address space, and the VRRP thread stalls while the kernel
// copies its page tables (bench/checker-isolation.mjs: ~10 ms median timer lateness with 2,000
// checkers in a worker thread, none measurable from a child process).
//
// If the checker dies, the last health stays as it was, the death is logged, and a new one is
// started after restartDelayMs (its checkers start over, as keepalived's parent restarts its
// checker child).
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../lib/log.js';
import type { HealthReloadReport, HealthSource, RealServerHealth } from './health.js';
import type { CheckPlan } from './plan.js';
import { CHECKER_CHILD_ENV, type CheckerEngineOptions, type FromChecker, type ToChecker } from './checker-protocol.js';

export type CheckerTransport = 'process' | 'thread';

export interface CheckerHostOptions extends CheckerEngineOptions {
  readonly plan: CheckPlan;
  /** Default 'process'. */
  readonly transport?: CheckerTransport;
  readonly log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Each `RS ...` line (write it to notify_fifo / lvs_notify_fifo). */
  readonly onFifoLine?: (line: string) => void;
  /** The checker's entry module; default: found beside this module (checkerEntry). */
  readonly entry?: string;
  /** Delay before a dead checker is replaced (ms); default 1000. */
  readonly restartDelayMs?: number;
  /** Told the pid of each checker child started (keepalived's parent logs "Starting Healthcheck child process"). */
  readonly onChildStarted?: (pid: number) => void;
}

/**
 * Where the checker's code is: `checker-main.js` beside this module when compiled
 * (dist/src/check/), `checker-main.mjs` beside the bundle's entry or its chunks (dist/bin/), or
 * `checker-main.ts` when this module runs from TypeScript source (tsx, vitest).
 */
export function checkerEntry(here: string = import.meta.url): string {
  if (here.endsWith('.ts')) return fileURLToPath(new URL('./checker-main.ts', here));
  for (const rel of ['./checker-main.js', './checker-main.mjs', '../checker-main.mjs']) {
    const p = fileURLToPath(new URL(rel, here));
    if (existsSync(p)) return p;
  }
  throw new Error(`checker entry not found beside ${here}`);
}

/** tsx's files, for a checker started from TypeScript source: `loader` for --import, `api` to register it by hand. */
function tsx(here: string): { loader: string; api: string } {
  const pkgPath = createRequire(here).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: { '.': string; './esm/api': { import: { default: string } } } };
  const at = (rel: string): string => pathToFileURL(join(dirname(pkgPath), rel)).href;
  return { loader: at(pkg.exports['.']), api: at(pkg.exports['./esm/api'].import.default) };
}

/** The two transports behind one small surface. */
interface Link {
  readonly id: number | undefined;
  post(m: ToChecker): void;
  onMessage(f: (m: FromChecker) => void): void;
  onExit(f: (code: number | null) => void): void;
  onError(f: (e: Error) => void): void;
  kill(): void;
}

function startLink(transport: CheckerTransport, entry: string): Link {
  const ts = entry.endsWith('.ts');
  if (transport === 'thread') {
    // A worker cannot take --import: a .ts entry is reached through a data: module that
    // registers tsx's loader first.
    const url = ts
      ? new URL(
          `data:text/javascript,${encodeURIComponent(`const { register } = await import(${JSON.stringify(tsx(import.meta.url).api)}); register(); await import(${JSON.stringify(pathToFileURL(entry).href)});`)}`,
        )
      : pathToFileURL(entry);
    const w = new Worker(url, { name: 'keepalived-ts checkers' });
    return {
      id: w.threadId,
      post: (m) => w.postMessage(m),
      onMessage: (f) => w.on('message', f),
      onExit: (f) => w.once('exit', f),
      onError: (f) => w.on('error', f),
      kill: () => void w.terminate(),
    };
  }
  const child: ChildProcess = fork(entry, [], {
    execArgv: ts ? ['--import', tsx(import.meta.url).loader] : [],
    env: { ...process.env, [CHECKER_CHILD_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return {
    id: child.pid,
    post: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (f) => child.on('message', (m) => f(m as FromChecker)),
    onExit: (f) => child.once('exit', (code) => f(code)),
    onError: (f) => child.on('error', f),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export class CheckerHost implements HealthSource {
  private link: Link | undefined;
  private readonly health = new Map<string, RealServerHealth>();
  private readonly listeners: ((h: RealServerHealth) => void)[] = [];
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Checkers started (1 + restarts). */
  starts = 0;
  /** Probes the last stopped checker had started (from its `stopped` report). */
  probes = 0;
  /** The plan the checker runs (the start's, then each reload's); a restarted checker gets it. */
  private plan: CheckPlan;
  /** The answer to the reload in flight. */
  private awaitingReload: ((m: { report: HealthReloadReport; health: readonly RealServerHealth[] } | undefined) => void) | undefined;
  private reloading: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: CheckerHostOptions) {
    this.plan = opts.plan;
    for (const h of initialHealth(opts.plan)) this.health.set(h.key, h);
  }

  /**
   * Hands the checker a new plan (engine.ts reload: unchanged real servers keep their health and
   * timers) and takes the health it answers with. Without a running checker (stopped, or between
   * a death and its restart) the plan is kept for the next one, and real servers it did not
   * have start with keepalived's initial health.
   */
  reload(plan: CheckPlan): Promise<HealthReloadReport> {
    const run = this.reloading.then(() => this.reloadNow(plan));
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(plan: CheckPlan): Promise<HealthReloadReport> {
    this.plan = plan;
    const link = this.link;
    const answer = link
      ? await new Promise<{ report: HealthReloadReport; health: readonly RealServerHealth[] } | undefined>((resolve) => {
          this.awaitingReload = resolve;
          link.post({ kind: 'reload', plan });
        })
      : undefined;
    this.awaitingReload = undefined;
    if (answer) {
      this.health.clear();
      for (const h of answer.health) this.health.set(h.key, h);
      return answer.report;
    }
    // No checker to ask: known real servers keep their last health until the next one reports.
    const keys = new Set(plan.realServers.map((r) => r.key));
    let removed = 0;
    for (const k of [...this.health.keys()]) if (!keys.has(k) && this.health.delete(k)) removed++;
    let added = 0;
    for (const h of initialHealth(plan)) {
      if (this.health.has(h.key)) continue;
      this.health.set(h.key, h);
      added++;
    }
    return { added, removed, restarted: 0, unchanged: plan.realServers.length - added };
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    await new Promise<void>((resolve) => {
      link.onExit(() => {
        this.awaitingReload?.(undefined);
        resolve();
      });
      link.onMessage((m) => {
        if (m.kind === 'stopped') this.probes = m.probes;
      });
      link.post({ kind: 'stop' });
      // A checker that has not gone within 10 s (a busy one answers late) is killed.
      setTimeout(() => link.kill(), 10_000).unref();
    });
  }

  current(): ReadonlyMap<string, RealServerHealth> {
    return this.health;
  }

  onChange(listener: (h: RealServerHealth) => void): void {
    this.listeners.push(listener);
  }

  /** The checker's pid (process) or thread id (thread) while it runs. */
  get checkerId(): number | undefined {
    return this.link?.id;
  }

  private spawn(): Promise<void> {
    this.starts++;
    const transport = this.opts.transport ?? 'process';
    const link = startLink(transport, this.opts.entry ?? checkerEntry());
    this.link = link;
    if (transport === 'process' && link.id !== undefined) this.opts.onChildStarted?.(link.id);
    return new Promise<void>((resolve, reject) => {
      let started = false;
      // Messages are handled after stop() too: an omega shutdown sends its FIFO lines and logs then.
      link.onMessage((m) => {
        switch (m.kind) {
          case 'started':
            for (const h of m.health) this.set(h, false);
            started = true;
            resolve();
            return;
          case 'health':
            this.set(m.health, m.change);
            return;
          case 'log':
            this.opts.log?.[m.level](m.msg);
            return;
          case 'fifo':
            this.opts.onFifoLine?.(m.line);
            return;
          case 'reloaded':
            this.awaitingReload?.(m);
            return;
          case 'stopped':
            this.probes = m.probes;
            return;
        }
      });
      link.onError((e) => {
        this.opts.log?.error(`Checker ${transport} failed: ${e.message}`);
        if (!started) reject(e);
      });
      link.onExit((code) => {
        if (this.link !== link) return;
        this.link = undefined;
        // A reload it did not answer: the plan stays for the next checker.
        this.awaitingReload?.(undefined);
        if (!started) {
          reject(new Error(`checker ${transport} exited with code ${code} before it started`));
          return;
        }
        if (this.stopping) return;
        this.opts.log?.error(`Checker ${transport} exited with code ${code} - restarting`);
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          if (!this.stopping) void this.spawn().catch((e: unknown) => this.opts.log?.error(`Checker restart failed: ${String(e)}`));
        }, this.opts.restartDelayMs ?? 1000);
      });
      link.post({
        kind: 'start',
        plan: this.plan,
        options: {
          ...(this.opts.maxTcp !== undefined ? { maxTcp: this.opts.maxTcp } : {}),
          ...(this.opts.maxScripts !== undefined ? { maxScripts: this.opts.maxScripts } : {}),
          ...(this.opts.niceness !== undefined ? { niceness: this.opts.niceness } : {}),
        },
      });
    });
  }

  private set(h: RealServerHealth, notify: boolean): void {
    const before = this.health.get(h.key);
    this.health.set(h.key, h);
    if (notify || (before !== undefined && (before.up !== h.up || before.weight !== h.weight))) for (const l of this.listeners) l(h);
  }
}

/** Before the checker reports: alpha real servers down, the others up (keepalived's start). */
function initialHealth(plan: CheckPlan): RealServerHealth[] {
  return plan.realServers.map((rs) => {
    const up = rs.checkers.filter((c) => !c.params.alpha).length;
    return { key: rs.key, up: up === rs.checkers.length, checkersUp: up + rs.notRun, checkers: rs.checkers.length + rs.notRun };
  });
}

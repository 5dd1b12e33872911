// The checkers as the daemon's main thread sees them: a HealthSource whose engine runs in a
// worker_threads Worker (ADR 0015), so no probe, script spawn or checker timer ever runs on the
// event loop that sends VRRP advertisements. The worker reports health changes, log lines and
// `RS ...` FIFO lines as tagged messages (worker-protocol.ts); the FIFO lines are written here,
// through the main thread's FIFO writers, so notify_fifo keeps one writer and one order.
//
// If the worker dies, the last health stays as it was, the death is logged, and a new worker is
// started (its checkers start over, like keepalived's checker child restarted by the parent).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../lib/log.js';
import type { HealthSource, RealServerHealth } from './health.js';
import type { CheckPlan } from './plan.js';
import type { FromWorker, ToWorker, WorkerEngineOptions } from './worker-protocol.js';

export interface WorkerHealthSourceOptions extends WorkerEngineOptions {
  readonly plan: CheckPlan;
  readonly log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Each `RS ...` line (write it to notify_fifo / lvs_notify_fifo). */
  readonly onFifoLine?: (line: string) => void;
  /** The worker's entry module; default: found beside this module (see workerEntry). */
  readonly entry?: URL;
  /** Delay before a dead worker is replaced (ms); default 1000. */
  readonly restartDelayMs?: number;
}

/**
 * Where the worker's code is: `worker.js` beside this module when compiled (dist/src/check/),
 * `check-worker.mjs` beside the bundle's entry or chunks (dist/bin/), or `worker.ts` when this
 * module itself runs from TypeScript source (tsx, vitest), booted through tsx's loader.
 */
export function workerEntry(here: string = import.meta.url): URL {
  if (here.endsWith('.ts')) return tsBoot(new URL('./worker.ts', here), here);
  for (const rel of ['./worker.js', './check-worker.mjs', '../check-worker.mjs']) {
    const u = new URL(rel, here);
    if (existsSync(fileURLToPath(u))) return u;
  }
  throw new Error(`checker worker entry not found beside ${here}`);
}

/** A data: module that registers tsx's ESM loader, then imports the TypeScript entry. */
function tsBoot(entry: URL, here: string): URL {
  const req = createRequire(here);
  const pkgPath = req.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api']!.import.default)).href;
  const code = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(entry.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export class WorkerHealthSource implements HealthSource {
  private worker: Worker | undefined;
  private readonly health = new Map<string, RealServerHealth>();
  private readonly listeners: ((h: RealServerHealth) => void)[] = [];
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Workers started (1 + restarts). */
  starts = 0;

  constructor(private readonly opts: WorkerHealthSourceOptions) {
    // Before the worker reports: alpha real servers down, the others up (keepalived's start).
    for (const rs of opts.plan.realServers) {
      const up = rs.checkers.filter((c) => !c.params.alpha).length;
      this.health.set(rs.key, { key: rs.key, up: up === rs.checkers.length, checkersUp: up + rs.notRun, checkers: rs.checkers.length + rs.notRun });
    }
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      w.once('exit', done);
      w.on('message', (m: FromWorker) => {
        if (m.kind === 'stopped') void w.terminate();
      });
      w.postMessage({ kind: 'stop' } satisfies ToWorker);
      // A worker that does not answer within 5 s is terminated.
      setTimeout(() => void w.terminate(), 5000).unref();
    });
  }

  current(): ReadonlyMap<string, RealServerHealth> {
    return this.health;
  }

  onChange(listener: (h: RealServerHealth) => void): void {
    this.listeners.push(listener);
  }

  /** The worker's thread id (tests, status). */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  private spawn(): Promise<void> {
    this.starts++;
    const w = new Worker(this.opts.entry ?? workerEntry(), { name: 'keepalived-ts checkers' });
    this.worker = w;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      w.on('message', (m: FromWorker) => {
        if (this.worker !== w && m.kind !== 'stopped') return;
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
          case 'stopped':
            return;
        }
      });
      w.once('error', (e) => {
        this.opts.log?.error(`Checker worker failed: ${e instanceof Error ? e.message : String(e)}`);
        if (!started) reject(e instanceof Error ? e : new Error(String(e)));
      });
      w.once('exit', (code) => {
        if (this.worker !== w) return;
        this.worker = undefined;
        if (!started) reject(new Error(`checker worker exited with code ${code} before it started`));
        if (this.stopping || !started) return;
        this.opts.log?.error(`Checker worker exited with code ${code} - restarting`);
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          if (!this.stopping) void this.spawn().catch((e: unknown) => this.opts.log?.error(`Checker worker restart failed: ${String(e)}`));
        }, this.opts.restartDelayMs ?? 1000);
      });
      w.postMessage({
        kind: 'start',
        plan: this.opts.plan,
        options: { ...(this.opts.maxTcp !== undefined ? { maxTcp: this.opts.maxTcp } : {}), ...(this.opts.maxScripts !== undefined ? { maxScripts: this.opts.maxScripts } : {}) },
      } satisfies ToWorker);
    });
  }

  private set(h: RealServerHealth, notify: boolean): void {
    const before = this.health.get(h.key);
    this.health.set(h.key, h);
    if (notify || (before !== undefined && (before.up !== h.up || before.weight !== h.weight))) for (const l of this.listeners) l(h);
  }
}

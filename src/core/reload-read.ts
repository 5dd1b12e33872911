// Reading the config for a reload: the same pipeline as the start (config/pipeline.ts), but in a
// worker thread (config-worker.ts) so the event loop keeps serving VRRP timers and packets
// while a large config is parsed (ADR 0020). `inProcess` reads on the calling thread instead
// (the benchmark's comparison, and the fallback when no worker can start).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DiagnosticSink, formatDiagnostic, type Severity } from '../lib/diagnostics.js';
import { IpAddress, LENIENT } from '../lib/ip.js';
import type { KeepalivedConfig } from '../config/model.js';
import { mainFiles, readConfig } from '../config/pipeline.js';

export interface ConfigRequest {
  readonly configFile: string;
  readonly configId: string;
}

/** One diagnostic as the reload reports it: formatted with file:line:col, and its severity. */
export interface ReloadDiagnostic {
  readonly severity: Severity;
  readonly code: string;
  readonly line: string;
}

export type ConfigAnswer =
  | { readonly kind: 'read'; readonly model: KeepalivedConfig; /** Every file read: the main files and their includes. */ readonly files: readonly string[]; readonly diagnostics: readonly ReloadDiagnostic[] }
  /** The main file is missing or unreadable (nothing was parsed). */
  | { readonly kind: 'no-config'; readonly message: string }
  | { readonly kind: 'failed'; readonly error: string };

/** How an IP address travels: the text under this key (structured clone drops class prototypes). */
const IP_TAG = '__ip';

/** The pipeline, with the model made plain for a postMessage. Runs in the worker (or in-process). */
export function readConfigPlain(req: ConfigRequest): ConfigAnswer {
  const main = mainFiles(req.configFile);
  if (main.problem) return { kind: 'no-config', message: `${req.configFile}: ${main.problem.message}` };
  const sink = new DiagnosticSink();
  const r = readConfig(main, { configId: req.configId }, sink);
  const diagnostics = r.diagnostics().map((d) => ({ severity: d.severity, code: d.code, line: formatDiagnostic(d) }));
  return { kind: 'read', model: toPlain(r.model) as KeepalivedConfig, files: r.tree.files, diagnostics };
}

/** IpAddress values -> `{ __ip: text }`; everything else as it is (plain objects, arrays, Maps, Sets). */
function toPlain(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof IpAddress) return { [IP_TAG]: v.text };
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, toPlain(x)]));
  if (v instanceof Set) return new Set([...v].map(toPlain));
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new Error(`config model holds a ${(v as object).constructor.name}: cannot cross to the daemon's thread`);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = toPlain((v as Record<string, unknown>)[k]);
  return out;
}

/** Per top-level list of the model, each element's JSON text (what the next answer is compared with). */
export type SharedLists = Record<string, string[]>;

const SAME_TAG = '__same';

/**
 * Worker side: the plain model with each top-level list element that has the same JSON text
 * (source locations aside) as an element of `previous` replaced by `{ __same: its index there }`.
 * A shared element keeps the locations of the read it came from.
 */
export function shareWithPrevious(model: KeepalivedConfig, previous: SharedLists | undefined): { model: KeepalivedConfig; lists: SharedLists } {
  const lists: SharedLists = {};
  const out: Record<string, unknown> = { ...(model as unknown as Record<string, unknown>) };
  for (const [k, v] of Object.entries(out)) {
    if (!Array.isArray(v)) continue;
    // Source locations left out: a line added above an element moves it without changing it.
    const texts = v.map((el) => JSON.stringify(el, (key, x: unknown) => (key === 'loc' ? undefined : x)));
    lists[k] = texts;
    const before = previous?.[k];
    if (!before) continue;
    const at = new Map<string, number>();
    before.forEach((t, i) => {
      if (!at.has(t)) at.set(t, i);
    });
    out[k] = v.map((el, i) => {
      const j = at.get(texts[i]);
      return j === undefined ? el : { [SAME_TAG]: j };
    });
  }
  return { model: out as unknown as KeepalivedConfig, lists };
}

/** Main side: `{ __same: i }` elements replaced by element i of the same list of `previous`. */
function resolveShared(model: KeepalivedConfig, previous: KeepalivedConfig | undefined): void {
  const m = model as unknown as Record<string, unknown>;
  const p = previous as unknown as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(m)) {
    if (!Array.isArray(v)) continue;
    const before = p?.[k] as unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const el = v[i] as Record<string, unknown> | null;
      const j = el !== null && typeof el === 'object' ? el[SAME_TAG] : undefined;
      if (typeof j !== 'number') continue;
      if (!before || j >= before.length) throw new Error(`config reader referred to element ${j} of ${k}, which this thread does not have`);
      v[i] = before[j];
    }
  }
}

/** The inverse of toPlain, in place: `{ __ip: text }` -> IpAddress. */
export function rehydrate<T>(v: T): T {
  return revive(v) as T;
}

function revive(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) v.set(k, revive(x));
    return v;
  }
  if (v instanceof Set) return new Set([...v].map(revive));
  if (v instanceof IpAddress) return v;
  const o = v as Record<string, unknown>;
  // A shared element: resolved after this walk (it is already made of IpAddress values).
  if (typeof o[SAME_TAG] === 'number') return o;
  const ip = o[IP_TAG];
  if (typeof ip === 'string') {
    const a = IpAddress.parse(ip, LENIENT);
    if (!a) throw new Error(`config worker sent a malformed address ${ip}`);
    return a;
  }
  for (const k of Object.keys(o)) o[k] = revive(o[k]);
  return o;
}

/**
 * Where the worker's code is: `config-worker.js` beside this module when compiled
 * (dist/src/core/), `config-worker.mjs` beside the bundle (dist/bin/), `config-worker.ts` from
 * TypeScript source (tsx, vitest).
 */
export function configWorkerEntry(here: string = import.meta.url): string {
  if (here.endsWith('.ts')) return fileURLToPath(new URL('./config-worker.ts', here));
  for (const rel of ['./config-worker.js', './config-worker.mjs', '../config-worker.mjs']) {
    const p = fileURLToPath(new URL(rel, here));
    if (existsSync(p)) return p;
  }
  throw new Error(`config worker entry not found beside ${here}`);
}

function workerUrl(entry: string): URL {
  if (!entry.endsWith('.ts')) return pathToFileURL(entry);
  // A worker cannot take --import: from TypeScript source the entry is reached through a data:
  // module that registers tsx's loader first.
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: { './esm/api': { import: { default: string } } } };
  const api = pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api'].import.default)).href;
  return new URL(`data:text/javascript,${encodeURIComponent(`const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(pathToFileURL(entry).href)});`)}`);
}

interface WorkerReply {
  readonly id: number;
  readonly answer?: ConfigAnswer;
  /** The warm read: true when the thread kept its read as the reference for the next one. */
  readonly warm?: boolean;
  /** The thread dropped its reference: nothing it sends next refers to an earlier answer. */
  readonly reset?: boolean;
}

export interface ReadOptions {
  /** Read on this thread (benchmark comparison; the fallback when the worker cannot start). */
  readonly inProcess?: boolean;
  /** The worker's entry module (default: configWorkerEntry()). */
  readonly entry?: string;
}

/**
 * The reload's config reader: one worker thread, started by start() (the daemon does so once it
 * runs) and kept, idle, between reloads; it does not keep the process alive. A reader that died
 * is started again by the next read.
 */
export class ConfigReader {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private next = 1;
  private readonly waiting = new Map<number, (m: WorkerReply) => void>();
  /** The model of the last answer (or the start's, after a warm read): what `{ __same }` refers to. */
  private previous: KeepalivedConfig | undefined;

  constructor(private readonly o: ReadOptions = {}) {}

  /** Starts the worker now (so its start-up cost is not paid during a reload). */
  start(): Promise<void> {
    if (this.o.inProcess) return Promise.resolve();
    this.ready ??= new Promise<void>((resolve) => {
      let w: Worker;
      try {
        w = new Worker(workerUrl(this.o.entry ?? configWorkerEntry()), { name: 'keepalived-ts config reader' });
      } catch (e) {
        this.ready = undefined;
        this.failAll(`cannot start the config reader: ${(e as Error).message}`);
        resolve();
        return;
      }
      w.unref();
      this.worker = w;
      // A new thread has no previous answer to refer to.
      this.previous = undefined;
      w.on('message', (m: WorkerReply & { ready?: boolean }) => {
        if (m.ready) return resolve();
        const done = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        done?.(m);
      });
      const gone = (why: string) => {
        if (this.worker === w) {
          this.worker = undefined;
          this.ready = undefined;
        }
        this.failAll(why);
        resolve();
      };
      w.once('error', (e) => gone(`config reader failed: ${e.message}`));
      w.once('exit', (code) => gone(`config reader exited with code ${code}`));
    });
    return this.ready;
  }

  /**
   * The first read after start: the thread reads the config and keeps it, sending nothing back;
   * `model` (what the daemon started with, read at `since`, epoch ms) stands for it here. When a
   * config file changed after `since` nothing is paired (the next read sends everything).
   */
  async warm(req: ConfigRequest, model: KeepalivedConfig, since: number): Promise<void> {
    if (this.o.inProcess) return;
    const m = await this.ask({ req, warmSince: since });
    this.previous = m?.warm === true ? model : undefined;
  }

  /** Reads the config; the model comes back with IpAddress values, as the start's. */
  async read(req: ConfigRequest): Promise<ConfigAnswer> {
    let answer: ConfigAnswer;
    if (this.o.inProcess) answer = readConfigPlain(req);
    else {
      const m = await this.ask({ req });
      if (!m) return { kind: 'failed', error: 'the config reader thread could not be started' };
      if (m.reset) this.previous = undefined;
      answer = m.answer ?? { kind: 'failed', error: 'the config reader answered nothing' };
    }
    if (answer.kind === 'read') {
      rehydrate(answer.model);
      if (!this.o.inProcess) {
        resolveShared(answer.model, this.previous);
        this.previous = answer.model;
      }
    }
    return answer;
  }

  private async ask(body: { req: ConfigRequest; warmSince?: number }): Promise<WorkerReply | undefined> {
    await this.start();
    const w = this.worker;
    if (!w) return undefined;
    const id = this.next++;
    return new Promise<WorkerReply>((resolve) => {
      this.waiting.set(id, resolve);
      w.postMessage({ id, ...body });
    });
  }

  /**
   * Ends the thread without waiting for it: a thread still loading its modules (the daemon
   * stopped right after its start) can take long to terminate, and an unref'd thread does not
   * hold the process.
   */
  close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    this.failAll('the config reader was closed');
    w?.terminate().catch(() => undefined);
    return Promise.resolve();
  }

  private failAll(why: string): void {
    for (const [id, done] of this.waiting) done({ id, answer: { kind: 'failed', error: why }, reset: true });
    this.waiting.clear();
    this.previous = undefined;
  }
}

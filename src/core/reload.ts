// The daemon's reload (SIGHUP, the control socket's `reload`, --watch-config): the config and
// its includes are read again off the event loop (reload-read.ts, a worker thread); a config
// with any error is rejected, every diagnostic logged with file:line:col, and nothing running is
// touched. Otherwise each subsystem gets the old and the new model (SubsystemSet.reload) and
// applies the difference (ADR 0020).
//
// keepalived 2.2.7's lines around a reload are kept ("Reloading ...", "Configuration file X",
// "Reloading", "Reload complete"; test/integration/daemon/reload.test.ts compares them with
// keepalived's in the same run); ours add the outcome and what changed.
import type { Logger } from '../lib/log.js';
import type { KeepalivedConfig } from '../config/model.js';
import type { SubsystemSet } from './subsystem-set.js';
import { ConfigReader, type ReadOptions } from './reload-read.js';

/** What one reload did: the answer of `daemon.reload()` (and of the control socket's `reload`). */
export interface ReloadResult {
  /** applied: the new config runs; rejected: the old one still runs, untouched; unchanged: nothing differed. */
  readonly outcome: 'applied' | 'rejected' | 'unchanged';
  /** Every diagnostic of the new config, formatted `file:line:col: severity[code]: message`, plus why a subsystem refused. */
  readonly diagnostics: readonly string[];
  /** What changed, one line each (`vrrp: instance VI_2 added`). */
  readonly changes: readonly string[];
}

export interface ReloaderDeps {
  readonly configFile: string;
  readonly configId: string;
  readonly log: Logger;
  readonly set: Pick<SubsystemSet, 'reload'>;
  /** The model running now (the start's). */
  readonly model: KeepalivedConfig;
  readonly read?: ReadOptions;
  /** When the start read the config (epoch ms): a file changed since is not paired with the start's model. */
  readonly readAt?: number;
}

export class Reloader {
  private model: KeepalivedConfig;
  private running: Promise<ReloadResult> | undefined;
  private closed = false;
  /** Every file the last read config came from (main files and includes); undefined before the first reload. */
  files: readonly string[] | undefined;
  private again: Promise<ReloadResult> | undefined;
  /** Reloads carried out (each applied, rejected or unchanged one). */
  count = 0;

  private readonly reader: ConfigReader;

  constructor(private readonly d: ReloaderDeps) {
    this.model = d.model;
    this.reader = new ConfigReader(d.read);
  }

  /**
   * Starts the config reader's thread now and has it read the config once (nothing is sent
   * back: the start's model stands for it), so that neither the thread's start nor its first
   * parse falls in a reload.
   */
  async start(): Promise<void> {
    await this.reader.start();
    await this.reader.warm({ configFile: this.d.configFile, configId: this.d.configId }, this.model, this.d.readAt ?? 0);
  }

  /** The model running now. */
  get current(): KeepalivedConfig {
    return this.model;
  }

  /**
   * Reads the config again and applies it. One reload runs at a time; requests that arrive
   * while one runs are served by one more reload after it (they all get its result), so the
   * last edit is always read.
   */
  reload(): Promise<ReloadResult> {
    if (this.closed) return Promise.resolve({ outcome: 'rejected', diagnostics: ['the daemon is stopping'], changes: [] });
    if (!this.running) {
      this.running = this.once().finally(() => (this.running = undefined));
      return this.running;
    }
    this.again ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.again = undefined;
        return this.reload();
      });
    return this.again;
  }

  /** No reload starts from now on; resolves when the one running (if any) has finished. */
  async close(): Promise<void> {
    this.closed = true;
    await this.again?.catch(() => undefined);
    await this.running?.catch(() => undefined);
    await this.reader.close();
  }

  private async once(): Promise<ReloadResult> {
    const { log, configFile } = this.d;
    const t0 = process.hrtime.bigint();
    this.count++;
    log.info('Reloading ...');
    log.debug(`Opening file '${configFile}'.`);
    log.info(`Configuration file ${configFile}`);
    const answer = await this.reader.read({ configFile, configId: this.d.configId });
    if (answer.kind !== 'read') {
      const why = answer.kind === 'no-config' ? answer.message : answer.error;
      log.error({ reload: 'rejected' }, `Reload rejected: ${why}; the running configuration is unchanged`);
      return { outcome: 'rejected', diagnostics: [why], changes: [] };
    }
    this.files = answer.files;
    const lines = answer.diagnostics.map((d) => d.line);
    for (const d of answer.diagnostics) {
      if (d.severity === 'error') log.error({ code: d.code }, d.line);
      else if (d.severity === 'warning') log.warn({ code: d.code }, d.line);
      else log.debug({ code: d.code }, d.line);
    }
    const errors = answer.diagnostics.filter((d) => d.severity === 'error').length;
    if (errors > 0) {
      log.error({ reload: 'rejected', errors }, `Reload rejected: ${errors} error(s) in ${configFile} (listed above); the running configuration is unchanged`);
      return { outcome: 'rejected', diagnostics: lines, changes: [] };
    }
    log.info('Reloading');
    const next = answer.model;
    if (this.closed) return { outcome: 'rejected', diagnostics: [...lines, 'the daemon is stopping'], changes: [] };
    const outcomes = await this.d.set.reload(this.model, next);
    const changes: string[] = [];
    const refusals: string[] = [];
    for (const [name, o] of Object.entries(outcomes)) {
      if (o.kind === 'applied') changes.push(...(o.details ?? [`${o.changes} change(s)`]).map((c) => `${name}: ${c}`));
      else if (o.kind === 'rejected') refusals.push(`${name}: ${o.reason}`);
    }
    const usec = Number((process.hrtime.bigint() - t0) / 1000n);
    if (refusals.length > 0) {
      for (const r of refusals) log.error({ reload: 'rejected' }, `Reload rejected by ${r}`);
      if (changes.length > 0) {
        // A subsystem that accepted has applied its part: the new model is what runs there.
        this.model = next;
        log.warn({ changes }, `Reload partly applied (${changes.join('; ')}); ${refusals.length} part(s) refused, see above`);
        return { outcome: 'applied', diagnostics: [...lines, ...refusals], changes };
      }
      return { outcome: 'rejected', diagnostics: [...lines, ...refusals], changes: [] };
    }
    this.model = next;
    log.info('Reload complete');
    const outcome = changes.length > 0 ? 'applied' : 'unchanged';
    log.info({ reload: outcome, changes, usec }, changes.length > 0 ? `Reload applied in ${usec} usec: ${changes.join('; ')}` : `Reload finished in ${usec} usec: configuration unchanged`);
    return { outcome, diagnostics: lines, changes };
  }
}

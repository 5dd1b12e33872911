// --watch-config (and global_defs `config_watch`, a keepalived-ts keyword): a change to the
// config or to a file it includes starts the same reload as SIGHUP, debounced. Each file's
// directory is watched, not the file: editors save by writing a new file and renaming it over
// the old one, which a watch on the old file's inode would miss. After each reload the set of
// files is renewed (an include may have been added or removed).
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../lib/log.js';

export const DEFAULT_WATCH_DEBOUNCE_MS = 500;

export class ConfigWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private names = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly onChange: (files: readonly string[]) => void,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
    private readonly debounceMs: number = DEFAULT_WATCH_DEBOUNCE_MS,
  ) {}

  /** Watches exactly these files from now on (the config's main files and includes). */
  setFiles(files: readonly string[]): void {
    if (this.closed) return;
    const names = new Map<string, Set<string>>();
    for (const f of files) {
      const p = resolve(f);
      const dir = dirname(p);
      if (!names.has(dir)) names.set(dir, new Set());
      names.get(dir)!.add(basename(p));
    }
    this.names = names;
    for (const [dir, w] of this.watchers) {
      if (names.has(dir)) continue;
      w.close();
      this.watchers.delete(dir);
    }
    for (const dir of names.keys()) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => this.changed(dir, name === null ? undefined : String(name)));
        w.on('error', (e) => this.log.warn({ dir, err: String(e) }, `config watch on ${dir} failed: ${e.message}; edits there need SIGHUP`));
        this.watchers.set(dir, w);
      } catch (e) {
        this.log.warn({ dir, err: String(e) }, `cannot watch ${dir} for config changes: ${(e as Error).message}; edits there need SIGHUP`);
      }
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private pending = new Set<string>();

  private changed(dir: string, name: string | undefined): void {
    if (this.closed) return;
    const watched = this.names.get(dir);
    // No name (some file systems): any change in the directory counts.
    if (!watched || (name !== undefined && !watched.has(name))) return;
    this.pending.add(name === undefined ? dir : resolve(dir, name));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const files = [...this.pending];
      this.pending = new Set();
      this.log.info({ files }, `configuration changed (${files.join(', ')}): reloading`);
      this.onChange(files);
    }, this.debounceMs);
  }
}

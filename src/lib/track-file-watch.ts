// Shared by the VRRP side (track_file in vrrp_instance) and the checker process (FILE_CHECK).
// track_file: the value of each tracked file, read at start-up and again whenever the file is
// written, replaced (rename into place) or deleted, as keepalived does with inotify on the
// file's directory. Observed in keepalived 2.2.7: the value is the first integer in the file
// (leading blanks allowed, anything after it ignored); a missing, unreadable or non-numeric file
// counts as 0. `init_file [VALUE] [overwrite]` creates the file (or overwrites it) at start.
import { existsSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from './log.js';

export interface WatchedFile {
  readonly name: string;
  readonly path: string;
  readonly initFile?: { readonly value: number; readonly overwrite: boolean };
}

export type TrackFileHandler = (name: string, value: number) => void;

/** The tracked value of a file's text (keepalived reads it like strtol). */
export function parseTrackFileValue(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  const v = Number(m[1]);
  return Number.isSafeInteger(v) ? v : Math.sign(v) * Number.MAX_SAFE_INTEGER;
}

export class TrackFileWatcher {
  private readonly watchers: FSWatcher[] = [];
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly last = new Map<string, number>();

  constructor(
    private readonly files: readonly WatchedFile[],
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
    private readonly onValue: TrackFileHandler,
    /**
     * Writes arrive as several inotify events (truncate, write ...); reading once they settle
     * avoids reporting the empty file in between (keepalived waits for IN_CLOSE_WRITE).
     */
    private readonly settleMs = 20,
  ) {}

  /** Creates init_file files, reports every file's current value, then starts watching. */
  start(): void {
    for (const f of this.files) {
      if (f.initFile && (f.initFile.overwrite || !existsSync(f.path))) {
        try {
          writeFileSync(f.path, `${f.initFile.value}\n`);
        } catch (e) {
          this.log.error({ trackFile: f.name, path: f.path, code: (e as NodeJS.ErrnoException).code }, `track_file ${f.name}: cannot create ${f.path}`);
        }
      }
      this.read(f, true);
    }
    const byDir = new Map<string, WatchedFile[]>();
    for (const f of this.files) {
      const d = dirname(f.path);
      byDir.set(d, [...(byDir.get(d) ?? []), f]);
    }
    for (const [dir, files] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, filename) => {
          for (const f of files) if (filename === null || filename === basename(f.path)) this.schedule(f);
        });
        w.on('error', (e) => this.log.warn({ dir, err: String(e) }, 'track_file watch error'));
        this.watchers.push(w);
      } catch (e) {
        this.log.warn({ dir, code: (e as NodeJS.ErrnoException).code }, `track_file: cannot watch ${dir}; values stay as read at start-up`);
      }
    }
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  private schedule(f: WatchedFile): void {
    clearTimeout(this.pending.get(f.name));
    this.pending.set(
      f.name,
      setTimeout(() => {
        this.pending.delete(f.name);
        this.read(f, false);
      }, this.settleMs),
    );
  }

  private read(f: WatchedFile, initial: boolean): void {
    let value = 0;
    try {
      value = parseTrackFileValue(readFileSync(f.path, 'utf8'));
    } catch {
      // Missing or unreadable: 0, as keepalived.
    }
    if (!initial && this.last.get(f.name) === value) return;
    this.last.set(f.name, value);
    this.log.info({ trackFile: f.name, value }, `track_file ${f.name} value ${value}`);
    this.onValue(f.name, value);
  }
}

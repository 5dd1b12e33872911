// Real scripts for the tests that run processes: one temp dir per test file (0755, so scripts
// run under other users too), created before the file's tests and removed after them; plus the
// process checks those tests share.
import { afterAll, beforeAll } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ScriptDir {
  /** The directory (set once the file's beforeAll has run). */
  readonly path: string;
  /** Writes `dir/name` with `#!/bin/sh` (unless `shebang` is false) and `body`, mode `mode`; returns its path. */
  script(name: string, body: string, mode?: number, shebang?: boolean): string;
}

/** Registers beforeAll/afterAll for a temp dir named `prefix` + random under /tmp. */
export function scriptDir(prefix: string): ScriptDir {
  let path = '';
  beforeAll(() => {
    path = mkdtempSync(`/tmp/${prefix}`);
    chmodSync(path, 0o755);
  });
  afterAll(() => rmSync(path, { recursive: true, force: true }));
  return {
    get path() {
      return path;
    },
    script(name, body, mode = 0o755, shebang = true) {
      const p = join(path, name);
      writeFileSync(p, (shebang ? '#!/bin/sh\n' : '') + body);
      chmodSync(p, mode);
      return p;
    },
  };
}

/** Alive = exists and is not a zombie waiting for init to reap it. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `cond` every `everyMs` for up to `ms`; resolves with its last value (no throw). */
export async function pollFor(cond: () => boolean, ms: number, everyMs = 10): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return cond();
}

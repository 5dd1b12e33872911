// ConfigFiles over node:fs. The only file I/O in the config front end lives here.
import { accessSync, constants, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ConfigFileStat, ConfigFiles } from './preprocess/config-files.js';

export type { ConfigFiles, ConfigFileStat } from './preprocess/config-files.js';

const WILDCARD = /[*?[]/;

/** Translates one path component of a glob(3) pattern to an anchored RegExp. */
function componentRegExp(part: string): RegExp {
  let re = '^';
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = part.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = part.slice(i + 1, close);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else if (c === '\\' && i + 1 < part.length) {
      re += part[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

export const nodeConfigFiles: ConfigFiles = {
  readFile(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },

  glob(pattern: string, cwd: string): string[] {
    const abs = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
    if (!WILDCARD.test(abs)) return exists(abs) ? [resolve(abs)] : [];
    const parts = abs.split('/').filter((p, i) => p !== '' || i === 0);
    let bases = ['/'];
    for (let i = 1; i < parts.length; i++) {
      const part = parts[i];
      const next: string[] = [];
      if (!WILDCARD.test(part)) {
        for (const b of bases) next.push(join(b, part));
      } else {
        const re = componentRegExp(part);
        const dotOk = part.startsWith('.');
        for (const b of bases) {
          for (const name of listDir(b).sort()) {
            if (name.startsWith('.') && !dotOk) continue;
            if (re.test(name)) next.push(join(b, name));
          }
        }
      }
      bases = next;
      if (bases.length === 0) return [];
    }
    return bases.filter(exists).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  },

  realpath(path: string): string {
    try {
      return realpathSync(path);
    } catch {
      return resolve(path);
    }
  },

  stat(path: string): ConfigFileStat | undefined {
    try {
      const st = statSync(path);
      return {
        kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other',
        executable: (st.mode & 0o111) !== 0,
      };
    } catch {
      return undefined;
    }
  },
};

/** Why the main config file cannot be read as one: `missing` tells "not there" from the rest. */
export interface MainFileProblem {
  readonly missing: boolean;
  /** keepalived's wording where it has one. */
  readonly message: string;
}

/** What is wrong with the main config file at `path`, or undefined when it is a readable regular file. */
export function mainFileCheck(path: string): MainFileProblem | undefined {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return { missing: false, message: `Configuration file '${path}' is a directory` };
    if (!st.isFile()) return { missing: false, message: `Configuration file '${path}' is not a regular file` };
    // keepalived refuses an executable config file ("not a regular non-executable file").
    if ((st.mode & 0o111) !== 0) return { missing: false, message: `Configuration file '${path}' is executable: keepalived will not read it` };
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true, message: `Config files missing '${path}'.` };
    if (code === 'EACCES') return { missing: false, message: `Configuration file '${path}' open problem (permission denied)` };
    return { missing: false, message: `Configuration file '${path}' open problem (${code ?? String(e)})` };
  }
}

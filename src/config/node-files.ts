// ConfigFiles over node:fs. The only file I/O in the config front end lives here.
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
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

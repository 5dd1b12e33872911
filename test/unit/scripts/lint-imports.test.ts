// scripts/lint-imports.mjs (npm run lint) on small source trees: it refuses every import that
// runs up the layers or sideways between folders of one layer, and passes this repository.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = new URL('../../../scripts/lint-imports.mjs', import.meta.url).pathname;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function lint(files: Record<string, string>, root?: string): { code: number | null; out: string } {
  let dir = root;
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), 'kt-lint-'));
    dirs.push(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  }
  const r = spawnSync(process.execPath, [script, ...(root === undefined ? ['--root', dir] : [])], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('lint-imports layering', () => {
  it('passes imports that run down the layers or stay in one folder', () => {
    const r = lint({
      'src/lib/a.ts': "export const a = 1;\n",
      'src/net/n.ts': "import { a } from '../lib/a.js';\nexport const n = a;\n",
      'src/vrrp/runtime/r.ts': "import { n } from '../../net/n.js';\nimport { f } from '../fsm/f.js';\nexport const r = n + f;\n",
      'src/vrrp/fsm/f.ts': "import { a } from '../../lib/a.js';\nexport const f = a;\n",
      'src/core/c.ts': "import { r } from '../vrrp/runtime/r.js';\nexport const c = r;\n",
      'src/cli/m.ts': "const core = () => import('../core/c.js');\nexport { core };\n",
    });
    expect(r.out).toMatch(/6 file\(s\) layered/);
    expect(r.code).toBe(0);
  });

  it.each([
    ['net/ into vrrp/', 'src/net/n.ts', "import type { X } from '../vrrp/packet/types.js';", /src\/net\/n\.ts:1: net\/ imports up from a lower layer to vrrp\//],
    ['kernel/ into vrrp/', 'src/kernel/k.ts', "import { Q } from '../vrrp/runtime/timer-queue.js';", /kernel\/ imports up from a lower layer to vrrp\//],
    ['lib/ into vrrp/', 'src/lib/l.ts', "export { step } from '../vrrp/fsm/step.js';", /lib\/ imports up from a lower layer to vrrp\//],
    ['core/ into cli/ (dynamic import)', 'src/core/d.ts', "const m = await import('../cli/run.js');", /core\/ imports up from a lower layer to cli\//],
    ['net/ up into kernel/', 'src/net/n.ts', "import { k } from '../kernel/k.js';", /net\/ imports up from a lower layer to kernel\//],
    ['config/ sideways into net/', 'src/config/c.ts', "import { n } from '../net/n.js';", /config\/ imports sideways, within one layer, to net\//],
    ['vrrp/fsm up to vrrp/runtime', 'src/vrrp/fsm/s.ts', "import type { R } from '../runtime/vrrp-runtime.js';", /vrrp\/fsm imports up to vrrp\/runtime/],
    ['a folder with no layer', 'src/extra/e.ts', "import { a } from '../lib/a.js';", /src\/extra\/ has no layer/],
  ])('refuses %s, naming file and line', (_label, path, line, message) => {
    const r = lint({ 'src/lib/a.ts': 'export const a = 1;\n', [path]: `${line}\n` });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(message);
  });

  it('passes this repository', () => {
    const r = lint({}, new URL('../../..', import.meta.url).pathname);
    expect(r.out).toMatch(/clean/);
    expect(r.code).toBe(0);
  });
});

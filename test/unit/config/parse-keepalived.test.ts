// Cross-check against the real keepalived 2.2.7: a fixture whose every surviving statement is an
// unknown top-level keyword, so `keepalived -t` names each one with its line. The VRRP/checker
// children's view (what the daemon uses) must equal our tree, keyword by keyword and line by line.
// keepalived runs in a private network namespace (unshare -n), never in the host namespace.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { Statement } from '../../../src/config/ast.js';
import { parseConfigFile } from '../../../src/config/parse.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { isRoot, itWhen, type Prereq } from '../../helpers/require.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/config/macros-probe.conf');
const hasKeepalived: Prereq = () =>
  spawnSync('keepalived', ['--version'], { encoding: 'utf8' }).error === undefined ? undefined : 'keepalived binary not installed';

function flatten(stmts: readonly Statement[], out: string[] = []): string[] {
  for (const s of stmts) {
    out.push(`${s.loc.line} ${s.keyword}`);
    flatten(s.block ?? [], out);
  }
  return out;
}

describe('keepalived 2.2.7 agrees with our preprocessor', () => {
  itWhen(isRoot, hasKeepalived)('same statements, same lines for macros, conditionals, ~SEQ/~LST, quotes', () => {
    expect(existsSync(FIXTURE)).toBe(true);
    const r = spawnSync('unshare', ['-n', 'keepalived', '-t', '-n', '-l', '-i', 'probe', '-f', FIXTURE], { encoding: 'utf8', timeout: 20_000 });
    expect(r.error).toBeUndefined();
    const prefix = `(${FIXTURE}: Line `;
    const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith(prefix));
    // Each child prints the whole list; keep the first copy.
    const end = lines.indexOf(lines[0], 1);
    const theirs = (end > 0 ? lines.slice(0, end) : lines)
      .map((l) => /^\(.*: Line (\d+)\) Unknown keyword '(.*)'$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && m[2] !== '}')
      .map((m) => `${m[1]} ${m[2]}`);
    expect(theirs.length).toBeGreaterThan(20);

    const sink = new DiagnosticSink();
    const tree = parseConfigFile(FIXTURE, { configId: 'probe' }, sink);
    expect(flatten(tree.statements)).toEqual(theirs);
  });
});

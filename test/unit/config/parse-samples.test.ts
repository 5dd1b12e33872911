// Every sample config shipped with keepalived (GPL; read at test time, never copied) and every
// field config parses with zero structural diagnostics, like keepalived 2.2.7 (`keepalived -t`
// reports no brace or quote errors for any of them).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { itWhen, pathsExist } from '../../helpers/require.js';
import type { Statement } from '../../../src/config/ast.js';
import { parseConfigFile } from '../../../src/config/parse.js';
import { DiagnosticSink, formatDiagnostic } from '../../../src/lib/diagnostics.js';
import { SAMPLE_DIRS } from '../../helpers/samples.js';

// ../shared beside the repository (test/helpers/samples.ts), samples first.
const DIRS = [...SAMPLE_DIRS].reverse();
const STRUCTURAL = new Set(['extra-close-brace', 'missing-close-brace', 'missing-open-brace', 'unexpected-open-brace', 'unmatched-quote', 'include-cycle', 'line-too-long']);

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

function count(stmts: readonly Statement[]): number {
  return stmts.reduce((n, s) => n + 1 + count(s.block ?? []), 0);
}

for (const dir of DIRS) {
  // Without ../shared (a plain clone) the check is skipped with a line naming the folder; in CI
  // it fails instead (test/helpers/require.ts).
  describe(`samples in ${dir}`, () => {
    const files = existsSync(dir) ? walk(dir) : [];
    itWhen(pathsExist(dir))('has sample files', () => {
      expect(files.length).toBeGreaterThan(0);
    });
    for (const file of files) {
      it(`${file.slice(dir.length + 1)} parses without structural diagnostics`, () => {
        const sink = new DiagnosticSink();
        const tree = parseConfigFile(file, { configId: 'kt-test' }, sink);
        const structural = sink.items.filter((d) => STRUCTURAL.has(d.code)).map(formatDiagnostic);
        expect(structural).toEqual([]);
        expect(count(tree.statements)).toBeGreaterThan(0);
        // Every top-level keyword of a keepalived config is a block or a known bare word.
        for (const s of tree.statements) expect(s.loc.file).toBe(file);
      });
    }
  });
}

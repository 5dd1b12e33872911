// Every sample config shipped with keepalived (GPL; read at test time, never copied) and every
// field config parses with zero structural diagnostics, like keepalived 2.2.7 (`keepalived -t`
// reports no brace or quote errors for any of them).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Statement } from '../../../src/config/ast.js';
import { parseConfigFile } from '../../../src/config/parse.js';
import { DiagnosticSink, formatDiagnostic } from '../../../src/lib/diagnostics.js';

const SHARED = join(import.meta.dirname, '../../../../shared');
const DIRS = ['keepalived-samples', 'field-configs'].map((d) => join(SHARED, d));
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
  describe.skipIf(!existsSync(dir))(`samples in ${dir}`, () => {
    const files = existsSync(dir) ? walk(dir) : [];
    it('has sample files', () => {
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

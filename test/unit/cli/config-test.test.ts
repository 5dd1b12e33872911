import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeFor, mainFileProblem, modelToJson } from '../../../src/cli/config-test.js';
import type { Diagnostic } from '../../../src/lib/diagnostics.js';

const d = (severity: Diagnostic['severity'], code: string): Diagnostic => ({ severity, code, message: code, loc: { file: 'f', line: 1, column: 1 } });

describe('exitCodeFor (keepalived -t precedence: the least severe class wins)', () => {
  it('0 for nothing or only info', () => {
    expect(exitCodeFor([])).toBe(0);
    expect(exitCodeFor([d('info', 'note')])).toBe(0);
  });
  it('5 for any error or warning', () => {
    expect(exitCodeFor([d('warning', 'deprecated-keyword')])).toBe(5);
    expect(exitCodeFor([d('error', 'unknown-keyword'), d('info', 'x')])).toBe(5);
  });
  it('4 for fatal only; a warning beside it makes 5 (keepalived: BAD_IF + warning exits 5)', () => {
    expect(exitCodeFor([d('error', 'file-not-found')])).toBe(4);
    expect(exitCodeFor([d('error', 'file-not-found'), d('warning', 'x')])).toBe(5);
  });
  it('6 for script security, whatever else is there', () => {
    expect(exitCodeFor([d('error', 'script-security')])).toBe(6);
    expect(exitCodeFor([d('warning', 'x'), d('error', 'script-security'), d('error', 'fatal')])).toBe(6);
  });
});

describe('mainFileProblem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kt-main-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('accepts a readable regular file', () => {
    const f = join(dir, 'ok.conf');
    writeFileSync(f, '');
    expect(mainFileProblem(f)).toBeUndefined();
  });
  it('names missing files, directories and executables', () => {
    expect(mainFileProblem(join(dir, 'nope'))).toBe(`Config files missing '${join(dir, 'nope')}'.`);
    expect(mainFileProblem(join(dir, 'nope', 'deeper'))).toMatch(/missing/);
    mkdirSync(join(dir, 'sub'));
    expect(mainFileProblem(join(dir, 'sub'))).toMatch(/is a directory/);
    const x = join(dir, 'x.conf');
    writeFileSync(x, '');
    chmodSync(x, 0o755);
    expect(mainFileProblem(x)).toMatch(/executable/);
    expect(mainFileProblem('/dev/null')).toMatch(/not a regular file/);
  });
});

describe('modelToJson', () => {
  it('serialises Maps, Sets and bigints', () => {
    const j = JSON.parse(modelToJson({ m: new Map([['a', 1]]), s: new Set([2, 3]), b: 10n }));
    expect(j).toEqual({ m: { a: 1 }, s: [2, 3], b: '10' });
  });
});

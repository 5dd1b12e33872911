// Conformance runner: every folder under test/conformance/vrrp/ is one case (see README.md
// there). Each case runs through the real VrrpRuntime in virtual time (case-runner.ts): the
// complete action stream it carries out is compared with expected.jsonl.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase, type InputLine, type OutLine } from './case-runner.js';

const CASES = join(import.meta.dirname, 'vrrp');

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => JSON.parse(l) as T);
}

const caseDirs = existsSync(CASES)
  ? readdirSync(CASES, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  : [];

describe('VRRP conformance cases', () => {
  it('has at least 40 cases', () => {
    expect(caseDirs.length).toBeGreaterThanOrEqual(40);
  });
  for (const name of caseDirs) {
    it(name, async () => {
      const dir = join(CASES, name);
      for (const f of ['keepalived.conf', 'input.jsonl', 'expected.jsonl', 'README.md']) expect(existsSync(join(dir, f)), `${name}/${f}`).toBe(true);
      expect(readFileSync(join(dir, 'README.md'), 'utf8').trim().length).toBeGreaterThan(80);
      const actual = await runCase(readFileSync(join(dir, 'keepalived.conf'), 'utf8'), readJsonl<InputLine>(join(dir, 'input.jsonl')));
      const expected = readJsonl<OutLine>(join(dir, 'expected.jsonl'));
      const show = (ls: OutLine[]) => ls.map((l) => JSON.stringify(l)).join('\n');
      // Compare as parsed objects (key order free), print as JSONL on failure.
      if (JSON.stringify(actual.map(norm)) !== JSON.stringify(expected.map(norm))) expect(show(actual)).toBe(show(expected));
    });
  }
});

function norm(l: OutLine): unknown {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)])) : v;
  return sortKeys(l);
}

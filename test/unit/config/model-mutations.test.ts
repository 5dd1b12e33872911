// Differential test against keepalived 2.2.7: every field config and sample is mutated by
// misspelling keywords (seeded, reproducible), then our unknown-keyword reports must equal the
// "Unknown keyword" lines of `keepalived -t` on the same text (run in a private netns).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { KEYWORDS_BY_BLOCK } from '../../../src/config/keywords/registry.js';
import { isRoot, itWhen, type Prereq } from '../../helpers/require.js';
import { build } from './model-helpers.js';
import { hasSamples, sampleFiles } from '../../helpers/samples.js';
import { prng } from '../../helpers/prng.js';

const files = sampleFiles;
const ALL = new Set(Object.values(KEYWORDS_BY_BLOCK).flat());

/** Swaps two adjacent letters, or doubles one, so the word is no keyword anywhere. */
function misspell(word: string, r: () => number): string | undefined {
  for (let tries = 0; tries < 10; tries++) {
    const i = Math.floor(r() * (word.length - 1));
    const w = r() < 0.5 ? word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2) : word.slice(0, i) + word[i] + word.slice(i);
    if (w !== word && !ALL.has(w)) return w;
  }
  return undefined;
}

/** Mutates up to `n` keyword lines (no braces) of the text; returns the new text. */
function mutate(text: string, seed: number, n: number): string {
  const r = prng(seed);
  const lines = text.split('\n');
  const candidates = lines
    .map((l, i) => ({ i, m: /^(\s*)([A-Za-z_][A-Za-z0-9_-]*)(\s|$)/.exec(l) }))
    .filter((c) => c.m && ALL.has(c.m[2]) && !lines[c.i].includes('{') && !lines[c.i].includes('}'));
  for (let k = 0; k < n && candidates.length > 0; k++) {
    const [c] = candidates.splice(Math.floor(r() * candidates.length), 1);
    const m = c.m as RegExpExecArray;
    const bad = misspell(m[2], r);
    if (bad) lines[c.i] = m[1] + bad + lines[c.i].slice(m[1].length + m[2].length);
  }
  return lines.join('\n');
}

const hasKeepalived: Prereq = () =>
  spawnSync('keepalived', ['--version']).error ? 'keepalived binary not installed' : undefined;

describe('misspelled keywords: same unknown-keyword reports as keepalived -t', () => {
  itWhen(isRoot, hasKeepalived, hasSamples)('over every sample, 4 seeds x 3 mutations', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktmut-'));
    let compared = 0;
    let crashed = 0;
    try {
      for (const file of files) {
        const original = readFileSync(file, 'utf8');
        for (let seed = 1; seed <= 4; seed++) {
          const text = mutate(original, seed * 7919 + file.length, 3);
          const path = join(dir, 'm.conf');
          writeFileSync(path, text);
          const r = spawnSync('unshare', ['-n', 'keepalived', '-t', '-f', path], { encoding: 'utf8', cwd: dir });
          // keepalived 2.2.7 itself crashes on some mutants (SIGSEGV with an HTTP_GET whose only
          // url lost its path); its output is then incomplete, so there is nothing to compare.
          if (r.signal !== null || r.status === 139) {
            crashed++;
            continue;
          }
          const out = `${r.stdout}${r.stderr}`;
          const theirs = [...out.matchAll(/Line (\d+)\) Unknown keyword '([^']*)'/g)].map((m) => `${m[1]}:${m[2]}`);
          const ours = build(text)
            .only('unknown-keyword')
            .map((d) => `${d.loc.line}:${d.text}`);
          expect([...new Set(ours)].sort(), `${file} seed ${seed}\n${text}`).toEqual([...new Set(theirs)].sort());
          compared++;
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(compared + crashed).toBe(files.length * 4);
    expect(crashed).toBeLessThan(compared / 10);
  });
});

const BAD_VALUES = ['-1', '0', '256', '70000', '99999999999', '1.5', 'abc', '255', '65536', '4295', '1001', '101'];
const VALUE_CODES = new Set(['value-out-of-range', 'invalid-number', 'invalid-value', 'invalid-address']);

describe('bad numeric values: flagged exactly when keepalived -t flags them', () => {
  itWhen(isRoot, hasKeepalived, hasSamples)('over every sample, 8 seeds, one value replaced per mutant', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ktval-'));
    const mismatches: string[] = [];
    let compared = 0;
    try {
      for (const file of files) {
        for (let seed = 1; seed <= 8; seed++) {
          const r = prng(seed * 31 + file.length);
          const lines = readFileSync(file, 'utf8').split('\n');
          const cands = lines
            .map((l, i) => ({ i, m: /^(\s*)([A-Za-z_][A-Za-z0-9_-]*)\s+(-?\d+(?:\.\d+)?)\s*$/.exec(l) }))
            .filter((c) => c.m && ALL.has(c.m[2]));
          if (cands.length === 0) continue;
          const c = cands[Math.floor(r() * cands.length)];
          const m = c.m as RegExpExecArray;
          const v = BAD_VALUES[Math.floor(r() * BAD_VALUES.length)];
          lines[c.i] = `${m[1]}${m[2]} ${v}`;
          const text = lines.join('\n');
          const path = join(dir, 'v.conf');
          writeFileSync(path, text);
          const p = spawnSync('unshare', ['-n', 'keepalived', '-t', '-f', path], { encoding: 'utf8', cwd: dir });
          if (p.signal !== null) continue;
          compared++;
          // Any keepalived message on that line, except environment ones (missing interfaces).
          const theirs = `${p.stdout}${p.stderr}`
            .split('\n')
            .some((l) => l.includes(`Line ${c.i + 1})`) && !/interface|doesn't exist|Unknown keyword/.test(l));
          const ours = build(text).diags.some((d) => VALUE_CODES.has(d.code) && d.loc.line === c.i + 1);
          if (theirs !== ours) mismatches.push(`${file}:${c.i + 1} ${m[2]} ${v}: keepalived=${theirs} ours=${ours}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(files.length * 4);
  });
});

// grammar/peggy-class-tables.mjs rewrites Peggy's character-class RegExps into lookup tables.
// The parser it produces must give exactly the same results as Peggy's own output: both are
// generated here from grammar/keepalived.peggy and run on the sample configs, on edge cases and
// on random text (ASCII, control characters, non-ASCII, quotes, braces, comment characters).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import peggy from 'peggy';
import { describe, expect, it } from 'vitest';
import classTables from '../../../grammar/peggy-class-tables.mjs';

const repo = join(import.meta.dirname, '../../..');
const grammar = readFileSync(join(repo, 'grammar/keepalived.peggy'), 'utf8');
type Parser = { parse(input: string, options: object): unknown };
const plain = peggy.generate(grammar, { output: 'parser' }) as unknown as Parser;
const tabled = peggy.generate(grammar, { output: 'parser', plugins: [classTables] }) as unknown as Parser;
const tabledSource = peggy.generate(grammar, { output: 'source', plugins: [classTables] }) as unknown as string;

const opts = () => ({ blockKeywords: new Set(['vrrp_instance', 'virtual_server', 'real_server', 'global_defs']), loc: (o: number) => o });
const same = (text: string) => expect(tabled.parse(text, opts())).toEqual(plain.parse(text, opts()));

const samplesDir = '/work/shared/keepalived-samples';
const samples = (() => {
  try {
    return readdirSync(samplesDir).map((f) => readFileSync(join(samplesDir, f), 'utf8'));
  } catch {
    return [];
  }
})();

describe('peggy-class-tables plugin', () => {
  it('replaces every character-class RegExp constant', () => {
    expect(tabledSource).not.toMatch(/const peg\$r\d+ = \/\^\[/);
    expect(tabledSource).toMatch(/const peg\$r0 = \(\(re\) =>/);
  });
  it('drops the unread per-character arrays of text-captured class runs (words, blanks, comments)', () => {
    const fn = (name: string) => tabledSource.slice(tabledSource.indexOf(`function peg$parse${name}()`), tabledSource.indexOf('\n  }\n', tabledSource.indexOf(`function peg$parse${name}()`)));
    for (const rule of ['Bare', 'Quoted', 'Hs', 'Comment']) {
      expect(fn(rule)).toContain('input.substring(');
      expect(fn(rule)).not.toContain('.push(');
      expect(fn(rule)).not.toContain('= [];');
    }
  });
  it('parses the keepalived sample configs exactly like the plain parser', () => {
    expect(samples.length).toBeGreaterThan(10);
    for (const s of samples) same(s);
  });
  it('agrees on edge cases', () => {
    for (const t of ['', '{', '}', '"', 'a"b c', 'kw "x\ny', 'a\u00a0b c\u2028d', 'k\tv\fw\vx\ry', '#c\n!d\nk v # c', 'é "ü" {ß}', '\u{1F600} x']) same(t);
  });
  it('agrees on random text', () => {
    const piece = fc.oneof(
      fc.constantFrom(' ', '\t', '\n', '\r', '\f', '\v', '"', '{', '}', '#', '!', 'kw', 'v1', '\u00a0', 'é', '\u{1F600}', '\0'),
      fc.string({ maxLength: 4 }),
      fc.string({ unit: 'binary', maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        same(parts.join(''));
      }),
      { numRuns: 3000 },
    );
  });
});

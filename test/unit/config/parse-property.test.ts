// Property: any tree of statements, printed in any of the layouts keepalived accepts ('{' on
// the keyword line or the next, whole blocks on one line, '}' sharing a line, comments, blank
// lines, quoted words), parses back to the same tree with no diagnostics, and every word's
// location points at that word in the printed text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Statement } from '../../../src/config/ast.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { memFiles } from '../../fixtures/config/mem-files.js';

interface Node {
  kw: string;
  args: { text: string; quoted: boolean }[];
  block?: Node[];
}

const bare = fc.stringMatching(/^[a-z_][a-z0-9_.\/:-]{0,8}$/);
const quotedText = fc.stringMatching(/^[a-z0-9 #!{}.$@~-]{0,8}$/);
const arg = fc.oneof(
  bare.map((text) => ({ text, quoted: false })),
  quotedText.map((text) => ({ text, quoted: true })),
);
const node: fc.Memo<Node> = fc.memo((depth) =>
  fc.record(
    {
      kw: bare.filter((k) => !k.startsWith('include')),
      args: fc.array(arg, { maxLength: 3 }),
      block: depth > 1 ? fc.array(node(depth - 1), { maxLength: 3 }) : fc.constant([] as Node[]),
    },
    { requiredKeys: ['kw', 'args'] },
  ),
);

type Layout = { braceNextLine: boolean; oneLine: boolean; indent: string; comment: boolean };
const layout = fc.record({ braceNextLine: fc.boolean(), oneLine: fc.boolean(), indent: fc.constantFrom('', ' ', '\t', '    '), comment: fc.boolean() });

function word(a: { text: string; quoted: boolean }): string {
  return a.quoted ? `"${a.text}"` : a.text;
}

/** Prints nodes; records where each word starts (line, column) in print order. */
function print(nodes: Node[], layouts: Layout[], locs: [number, number][]): string {
  const lines: string[] = [];
  let li = 0;
  const emit = (ns: Node[], depth: number): void => {
    for (const n of ns) {
      const l = layouts[li++ % layouts.length];
      const pad = l.indent.repeat(depth);
      const words = [n.kw, ...n.args.map(word)];
      let line = pad;
      const starts: number[] = [];
      for (const w of words) {
        starts.push(line.length + 1);
        line += `${w} `;
      }
      line = line.trimEnd();
      const simpleChildren = n.block !== undefined && n.block.every((c) => c.block === undefined);
      if (n.block !== undefined && l.oneLine && simpleChildren) {
        // whole block on one line: `kw args { c1 a ; ... }` is only valid for one child per line,
        // so put the first child on the keyword line and close on the last child's line.
        locs.push(...starts.map((c) => [lines.length + 1, c] as [number, number]));
        if (n.block.length === 0) {
          lines.push(`${line} {}`);
          continue;
        }
        n.block.forEach((c, i) => {
          const head = i === 0 ? `${line} { ` : `${pad}${l.indent}`;
          let text = head;
          for (const w of [c.kw, ...c.args.map(word)]) {
            locs.push([lines.length + 1, text.length + 1]);
            text += `${w} `;
          }
          text = text.trimEnd();
          if (i === n.block!.length - 1) text += ' }';
          lines.push(text);
        });
        continue;
      }
      locs.push(...starts.map((c) => [lines.length + 1, c] as [number, number]));
      if (n.block === undefined) {
        lines.push(l.comment ? `${line}   # trailing ${n.kw}` : line);
        continue;
      }
      if (l.braceNextLine) {
        lines.push(line);
        if (l.comment) lines.push(`${pad}! between`);
        lines.push(`${pad}{`);
      } else lines.push(`${line} {`);
      emit(n.block, depth + 1);
      lines.push(`${pad}}`);
      if (l.comment) lines.push('');
    }
  };
  emit(nodes, 0);
  return `${lines.join('\n')}\n`;
}

function strip(s: readonly Statement[]): Node[] {
  return s.map((x) => ({
    kw: x.keyword,
    args: x.args.map((a) => ({ text: a.text, quoted: a.quoted })),
    ...(x.block ? { block: strip(x.block) } : {}),
  }));
}

function normal(ns: Node[]): Node[] {
  return ns.map((n) => ({ kw: n.kw, args: n.args, ...(n.block !== undefined ? { block: normal(n.block) } : {}) }));
}

function collect(s: readonly Statement[], out: [number, number][] = []): [number, number][] {
  for (const x of s) {
    out.push([x.loc.line, x.loc.column]);
    for (const a of x.args) out.push([a.loc.line, a.loc.column]);
    if (x.block) collect(x.block, out);
  }
  return out;
}

describe('grammar round trip', () => {
  it('prints and parses back any tree, with exact word locations', () => {
    fc.assert(
      fc.property(fc.array(node(3), { minLength: 1, maxLength: 4 }), fc.array(layout, { minLength: 1, maxLength: 5 }), (nodes, layouts) => {
        const locs: [number, number][] = [];
        const text = print(nodes, layouts, locs);
        const sink = new DiagnosticSink();
        const tree = parseConfigText(text, '/t.conf', { files: memFiles({}), blockKeywords: new Set() }, sink);
        expect(sink.items).toEqual([]);
        expect(strip(tree.statements)).toEqual(normal(nodes));
        // Locations in parse order equal print order (words are printed depth-first too).
        expect(collect(tree.statements).sort()).toEqual(locs.sort());
      }),
      { numRuns: 300 },
    );
  });
});

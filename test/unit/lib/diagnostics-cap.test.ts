// The diagnostics cap: the first N of a code in a file are kept, the rest become one counted
// summary where the first one was left out, and counts, severities and exit codes stay exact.
// Also the parser side: statements buildModel would only count are not held in the tree.
import { describe, expect, it } from 'vitest';
import { DiagnosticSink, formatDiagnostic } from '../../../src/lib/diagnostics.js';
import { exitCodeFor } from '../../../src/cli/config-test.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { buildModel, modelRetain } from '../../../src/config/build-model.js';
import type { ConfigFiles } from '../../../src/config/parse.js';

const at = (file: string, line: number) => ({ file, line, column: 1 });
const noFiles: ConfigFiles = { readFile: () => undefined, glob: () => [] };

describe('DiagnosticSink cap', () => {
  it('keeps the first N of a code in a file and counts the rest in one line at the first one left out', () => {
    const sink = new DiagnosticSink(3);
    for (let i = 1; i <= 7; i++) sink.error('unknown-keyword', `unknown keyword 'k${i}'`, at('/a.conf', i));
    sink.error('value-out-of-range', 'x', at('/a.conf', 8));
    const text = sink.items.map(formatDiagnostic);
    expect(text).toEqual([
      "/a.conf:1:1: error[unknown-keyword]: unknown keyword 'k1'",
      "/a.conf:2:1: error[unknown-keyword]: unknown keyword 'k2'",
      "/a.conf:3:1: error[unknown-keyword]: unknown keyword 'k3'",
      '/a.conf:4:1: error[unknown-keyword]: 4 more diagnostics like this in /a.conf (not shown)',
      '/a.conf:8:1: error[value-out-of-range]: x',
    ]);
    expect(sink.errorCount).toBe(8);
  });

  it('counts per file and per code', () => {
    const sink = new DiagnosticSink(1);
    sink.error('c', 'm', at('/a', 1));
    sink.error('c', 'm', at('/b', 1));
    sink.warning('d', 'm', at('/a', 2));
    sink.error('c', 'm', at('/a', 3));
    expect(sink.items.map(formatDiagnostic)).toEqual([
      '/a:1:1: error[c]: m',
      '/b:1:1: error[c]: m',
      '/a:2:1: warning[d]: m',
      '/a:3:1: error[c]: 1 more diagnostic like this in /a (not shown)',
    ]);
    expect([sink.errorCount, sink.warningCount]).toEqual([3, 1]);
  });

  it('a summary takes the most severe severity it counts, so the exit code does not change', () => {
    const sink = new DiagnosticSink(1);
    sink.info('c', 'm', at('/a', 1));
    sink.info('c', 'm', at('/a', 2));
    expect(exitCodeFor(sink.items)).toBe(0);
    sink.warning('c', 'm', at('/a', 3));
    expect(sink.items[1]).toMatchObject({ severity: 'warning', message: '2 more diagnostics like this in /a (not shown)' });
    expect(exitCodeFor(sink.items)).toBe(5);
    // A script-security finding past the cap still makes -t exit 6.
    sink.error('script-security', 'm', at('/a', 4));
    sink.error('script-security', 'm', at('/a', 5));
    expect(exitCodeFor(sink.items)).toBe(6);
  });

  it('counts left with countSuppressed join the summary once N are kept, or at flush()', () => {
    const sink = new DiagnosticSink(2);
    sink.countSuppressed('c', 'error', at('/a', 10));
    sink.countSuppressed('c', 'error', at('/a', 11));
    expect(sink.items).toEqual([]);
    sink.error('c', 'first', at('/a', 1));
    sink.error('c', 'second', at('/a', 2));
    expect(sink.items.map(formatDiagnostic)).toEqual(['/a:1:1: error[c]: first', '/a:2:1: error[c]: second', '/a:10:1: error[c]: 2 more diagnostics like this in /a (not shown)']);
    const other = new DiagnosticSink(5);
    other.countSuppressed('c', 'warning', at('/b', 3), 4);
    other.flush();
    other.flush();
    expect(other.items.map(formatDiagnostic)).toEqual(['/b:3:1: warning[c]: 4 more diagnostics like this in /b (not shown)']);
    expect(other.warningCount).toBe(4);
  });
});

describe('modelRetain: the parser keeps only what buildModel uses', () => {
  const load = (text: string) => {
    const sink = new DiagnosticSink(10);
    const tree = parseConfigText(text, '/k.conf', { files: noFiles, retain: modelRetain(sink) }, sink);
    buildModel(tree, sink);
    return { tree, sink };
  };

  it('unknown keywords past the cap are counted, not held; the report equals the unfiltered one', () => {
    const text = `global_defs {\n  router_id r1\n${Array.from({ length: 50 }, (_, i) => `  bogus_${i} x\n`).join('')}}\n${Array.from({ length: 30 }, (_, i) => `top_${i}\n`).join('')}vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n`;
    const { tree, sink } = load(text);
    const gd = tree.statements.find((s) => s.keyword === 'global_defs');
    expect(gd?.block?.length).toBe(11); // router_id + the 10 unknown ones buildModel reports
    expect(tree.statements.map((s) => s.keyword)).toEqual(['global_defs', 'vrrp_instance']);
    // The same report as with every statement held (a sink with the same cap).
    const full = new DiagnosticSink(10);
    buildModel(parseConfigText(text, '/k.conf', { files: noFiles }, full), full);
    expect(sink.items.map(formatDiagnostic)).toEqual(full.items.map(formatDiagnostic));
    expect(sink.items.map(formatDiagnostic).filter((l) => /more diagnostics/.test(l))).toEqual(['/k.conf:13:3: error[unknown-keyword]: 70 more diagnostics like this in /k.conf (not shown)']);
    expect(sink.errorCount).toBe(80);
  });

  it('the content of an unknown block is not held; known blocks keep theirs', () => {
    const { tree } = load(`mystery {\n  a 1\n  b {\n    c 2\n  }\n}\nglobal_defs {\n  router_id r\n}\n`);
    expect(tree.statements.map((s) => [s.keyword, s.block?.length])).toEqual([
      ['mystery', 0],
      ['global_defs', 1],
    ]);
  });
});

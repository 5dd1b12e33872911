// A 50,000-line config goes through the whole front end (preprocess + grammar + tree) with the
// right shape: every statement, macro and nesting level kept. Its speed is measured by
// bench/config-parse.mjs and reported in docs/BENCHMARKS.md, not asserted here.
import { describe, expect, it } from 'vitest';
import type { Statement } from '../../../src/config/ast.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { DiagnosticSink } from '../../../src/lib/diagnostics.js';
import { memFiles } from '../../fixtures/config/mem-files.js';

function bigConfig(lines: number): string {
  const out: string[] = ['global_defs {', '  router_id LVS_BIG  # comment', '}', '$PORT=80'];
  let n = 0;
  while (out.length < lines) {
    n++;
    out.push(`virtual_server 10.${(n >> 8) & 255}.${n & 255}.1 $PORT {`, '    delay_loop 6', '    lb_algo wrr', '    lb_kind DR', '    protocol TCP', '');
    for (let r = 1; r <= 4; r++) {
      out.push(`    real_server 192.168.${n & 255}.${r} \${PORT} {`, '        weight 1', '        TCP_CHECK {', '            connect_timeout 3', '        }', `        notify_up "/usr/local/bin/up.sh ${r}"`, '    }');
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

function count(stmts: readonly Statement[]): number {
  return stmts.reduce((k, s) => k + 1 + count(s.block ?? []), 0);
}

describe('front end on a large file', () => {
  it('parses 50,000 lines into the expected tree, repeatably', () => {
    const text = bigConfig(50_000);
    const files = memFiles({});
    const run = () => {
      const sink = new DiagnosticSink();
      const c0 = process.cpuUsage();
      const tree = parseConfigText(text, '/etc/keepalived/big.conf', { files }, sink);
      const c = process.cpuUsage(c0);
      return { tree, sink, ms: (c.user + c.system) / 1000 };
    };
    run(); // warm-up (JIT)
    const results = [run(), run(), run()];
    const best = Math.min(...results.map((r) => r.ms));
    const { tree, sink } = results[0];
    // Repeated runs give the same tree (no state kept between parses).
    expect(JSON.stringify(results[2].tree.statements)).toBe(JSON.stringify(tree.statements));
    expect(sink.items).toEqual([]);
    const vs = tree.statements.filter((s) => s.keyword === 'virtual_server');
    expect(vs.length).toBeGreaterThan(1000);
    expect(vs[0].args.map((a) => a.text)).toEqual(['10.0.1.1', '80']);
    expect(vs[0].block!.filter((s) => s.keyword === 'real_server')[3].args[1].text).toBe('80');
    // global_defs + router_id, then per virtual server: itself, 4 settings, 4 x (real_server,
    // weight, TCP_CHECK, connect_timeout, notify_up).
    expect(count(tree.statements)).toBe(2 + 25 * vs.length);
    console.log(`front end: ${text.split('\n').length - 1} lines, best of 3: ${best.toFixed(0)} ms CPU`);
  });
});

// Random and mutated configs through the whole pipeline (preprocess + parse + model): it never
// throws, never hangs, and every problem is a Diagnostic whose location is a real place in the
// input. Seeds are the shared keepalived samples and field configs (read at test time, never
// copied) plus our conf-examples.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigFile, parseConfigText } from '../../src/config/parse.js';
import { buildModel } from '../../src/config/build-model.js';
import type { ConfigFiles } from '../../src/config/parse.js';
import { DiagnosticSink, type Diagnostic } from '../../src/lib/diagnostics.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = join(repo, '..', 'shared');
const FILE = '/fuzz/keepalived.conf';
/** Per-case time limit: a 200-line config must never take this long. */
const CASE_LIMIT_MS = 2_000;
const RUNS = Number(process.env.KT_FUZZ_RUNS ?? 300);

function readSeeds(): string[] {
  const dirs = [join(repo, 'conf-examples'), join(shared, 'keepalived-samples'), join(shared, 'field-configs')];
  const out: string[] = [];
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) out.push(readFileSync(join(d, f), 'utf8'));
  }
  return out;
}
const seeds = readSeeds();

/** Only the fuzzed file exists: an `include` produced by a mutation reads nothing real. */
function memoryFiles(text: string): ConfigFiles {
  return {
    readFile: (p) => (p === FILE ? text : undefined),
    glob: (pattern) => (pattern === FILE ? [FILE] : []),
    realpath: (p) => p,
    stat: (p) => (p === FILE ? { kind: 'file', executable: false } : undefined),
  };
}

interface Outcome {
  readonly diagnostics: readonly Diagnostic[];
  readonly ms: number;
}

function pipeline(text: string): Outcome {
  const sink = new DiagnosticSink();
  const t0 = performance.now();
  const tree = parseConfigText(text, FILE, { configId: 'fuzz', files: memoryFiles(text), random: () => 0.5 }, sink);
  buildModel(tree, sink);
  return { diagnostics: sink.items, ms: performance.now() - t0 };
}

/** The properties every run must have. */
function checkOutcome(text: string, o: Outcome): void {
  expect(o.ms).toBeLessThan(CASE_LIMIT_MS);
  const lines = text.split('\n');
  for (const d of o.diagnostics) {
    const where = `${JSON.stringify(d)} in:\n${text.slice(0, 2000)}`;
    expect(['error', 'warning', 'info'], where).toContain(d.severity);
    expect(d.code, where).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(typeof d.message === 'string' && d.message.length > 0, where).toBe(true);
    expect(d.loc.file, where).toBe(FILE);
    expect(Number.isInteger(d.loc.line) && d.loc.line >= 1 && d.loc.line <= lines.length, where).toBe(true);
    const lineText = lines[d.loc.line - 1];
    expect(Number.isInteger(d.loc.column) && d.loc.column >= 1 && d.loc.column <= lineText.length + 1, where).toBe(true);
  }
}

// ----------------------------------------------------------------------------- mutations

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'truncate'; at: number };

const JUNK = ['{', '}', '"', "'", '{ }', '} {', '"{', '\0', '\r', '\t', '\\', '#', '!', '$X', '${', '@', '~SEQ(i, 1, 3)', '\u00e9', '\ud83d\ude00', '\ufffd', 'include', '$A=', '\\\n'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...JUNK), fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 })),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function applyMutation(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const n = lines.length;
  switch (m.kind) {
    case 'delete':
      lines.splice(m.at % n, 1);
      return lines.join('\n');
    case 'duplicate':
      lines.splice(m.at % n, 0, lines[m.at % n]);
      return lines.join('\n');
    case 'swap': {
      const a = m.a % n;
      const b = m.b % n;
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join('\n');
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
  }
}

/** A random config built from keepalived-ish tokens. */
const WORDS = ['global_defs', 'vrrp_instance', 'VI_1', 'virtual_server', 'real_server', 'TCP_CHECK', 'vrrp_script', 'script', 'interface', 'eth0', 'priority', 'state', 'MASTER', 'virtual_router_id', '51', '300', '-1', 'virtual_ipaddress', '192.0.2.1/24', '2001:db8::1', 'track_script', 'weight', 'notify', '"/bin/x y"', 'include', 'vrrp_sync_group', 'group', 'lb_algo', 'rr', 'quorum_up', 'advert_int', '0.5', 'authentication', 'auth_type', 'PASS'];
const randomConfig: fc.Arbitrary<string> = fc
  .array(fc.array(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...WORDS) }, { weight: 2, arbitrary: fc.constantFrom('{', '}') }, { weight: 1, arbitrary: fc.constantFrom(...JUNK) }), { maxLength: 6 }), { maxLength: 80 })
  .map((lines) => lines.map((l) => l.join(' ')).join('\n'));

describe('config pipeline under random input', () => {
  it('has seed configs to mutate', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(5);
  });

  it('every seed goes through cleanly enough: no throw, valid locations', () => {
    for (const s of seeds) checkOutcome(s, pipeline(s));
  });

  it('mutated seeds: no throw, no hang, every diagnostic located in the input', { timeout: 240_000 }, () => {
    let cases = 0;
    let withDiagnostics = 0;
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, muts) => {
        const text = muts.reduce(applyMutation, seeds[i]);
        const o = pipeline(text);
        cases++;
        if (o.diagnostics.length > 0) withDiagnostics++;
        checkOutcome(text, o);
      }),
      { numRuns: RUNS, seed: process.env.KT_FUZZ_SEED ? Number(process.env.KT_FUZZ_SEED) : undefined },
    );
    // The location checks only mean something if mutations do produce diagnostics.
    expect(withDiagnostics / cases).toBeGreaterThan(0.3);
  });

  it('the checks themselves reject a diagnostic outside the input', () => {
    const text = 'global_defs {\n  rize 1\n}\n';
    const o = pipeline(text);
    expect(o.diagnostics.some((d) => d.loc.line === 2)).toBe(true);
    const shifted: Outcome = { ms: o.ms, diagnostics: o.diagnostics.map((d) => ({ ...d, loc: { ...d.loc, line: 99 } })) };
    expect(() => checkOutcome(text, shifted)).toThrow();
  });

  it('random token soup: no throw, no hang, valid locations', { timeout: 240_000 }, () => {
    fc.assert(
      fc.property(randomConfig, (text) => {
        checkOutcome(text, pipeline(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary strings: no throw, valid locations', { timeout: 240_000 }, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        checkOutcome(text, pipeline(text));
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated multi-file configs on disk: every location is a line of a file that exists', { timeout: 240_000 }, () => {
    const root = mkdtempSync(join(tmpdir(), 'kt-fuzz-'));
    let n = 0;
    try {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(seeds.length - 1), fc.array(mutation, { maxLength: 3 })), { minLength: 1, maxLength: 3 }),
          fc.constantFrom('include sub/*.conf', 'include sub/a0.conf', 'include sub/{a0,a1}.conf', 'include ../main.conf', 'include sub/missing.conf'),
          (parts, includeLine) => {
            const dir = join(root, String(n++));
            mkdirSync(join(dir, 'sub'), { recursive: true });
            const texts = parts.map(([i, muts]) => muts.reduce(applyMutation, seeds[i]));
            const main = join(dir, 'main.conf');
            writeFileSync(main, `${includeLine}\n${texts[0]}`);
            texts.slice(1).forEach((t, k) => writeFileSync(join(dir, 'sub', `a${k}.conf`), `include ../main.conf\n${t}`));
            const sink = new DiagnosticSink();
            const t0 = performance.now();
            buildModel(parseConfigFile(main, { configId: 'fuzz', random: () => 0.5 }, sink), sink);
            expect(performance.now() - t0).toBeLessThan(CASE_LIMIT_MS);
            for (const d of sink.items) {
              const where = JSON.stringify(d);
              expect(existsSync(d.loc.file), where).toBe(true);
              const lines = readFileSync(d.loc.file, 'utf8').split('\n');
              expect(d.loc.line >= 1 && d.loc.line <= lines.length, where).toBe(true);
              expect(d.loc.column >= 1 && d.loc.column <= lines[d.loc.line - 1].length + 1, where).toBe(true);
            }
          },
        ),
        { numRuns: Math.max(20, Math.floor(RUNS / 5)) },
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

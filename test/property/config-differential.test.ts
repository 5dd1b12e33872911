// Differential fuzzing against the real keepalived 2.2.7: mutate the shared samples and our
// examples at the keyword level (misspell a keyword, delete / duplicate / move a line that has
// no brace), run `keepalived -t` (in its own network namespace, -t only) and our pipeline on
// the same file, and require the same set of unknown keywords and the same -t exit code. Cases where keepalived's
// unknown-block cascade starts (an "Unexpected '{'") are the deliberate difference documented
// in keepalived-compat.test.ts and are not compared.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect } from 'vitest';
import { loadConfig } from '../../src/config/pipeline.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/lib/diagnostics.js';
import { isRoot, itWhen } from '../helpers/require.js';
import { ENVIRONMENTAL, hasKeepalived, hasUnshare, interfacesOf, keepalivedConfigTest, parseKeepalivedReport } from '../acceptance/lib/keepalived.js';
import { runConfigTest } from '../../src/cli/config-test.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = join(repo, '..', 'shared');
const seedFiles = [join(repo, 'conf-examples'), join(shared, 'keepalived-samples'), join(shared, 'field-configs')]
  .filter(existsSync)
  .flatMap((d) => readdirSync(d).sort().map((f) => join(d, f)));
const seeds = seedFiles.map((f) => readFileSync(f, 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'kt-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const RUNS = Number(process.env.KT_DIFF_RUNS ?? 100);

type Edit = { kind: 'typo' | 'delete' | 'duplicate' | 'move'; line: number; other: number; pos: number; ch: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('typo', 'delete', 'duplicate', 'move'),
  line: fc.nat(),
  other: fc.nat(),
  pos: fc.nat(),
  ch: fc.constantFrom('x', '_', 'e', '1', 's'),
});

/** Lines that can be edited without touching the block structure or the preprocessor. */
const editable = (l: string): boolean => /^\s*[A-Za-z_][\w-]*(\s|$)/.test(l) && !/[{}"'#!@$~\\]/.test(l) && !/^\s*include/.test(l);

function apply(text: string, e: Edit): string {
  const lines = text.split('\n');
  const idx = lines.map((l, i) => (editable(l) ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) return text;
  const i = idx[e.line % idx.length];
  switch (e.kind) {
    case 'typo': {
      const m = /^(\s*)(\S+)(.*)$/.exec(lines[i])!;
      const kw = m[2];
      const p = e.pos % (kw.length + 1);
      lines[i] = m[1] + kw.slice(0, p) + e.ch + kw.slice(p) + m[3];
      break;
    }
    case 'delete':
      lines.splice(i, 1);
      break;
    case 'duplicate':
      lines.splice(i, 0, lines[i]);
      break;
    case 'move': {
      const [l] = lines.splice(i, 1);
      const j = idx[e.other % idx.length];
      lines.splice(Math.min(j, lines.length), 0, l);
      break;
    }
  }
  return lines.join('\n');
}

/**
 * keepalived -t findings our model does not produce yet (gaps, found by this test; not
 * choices). A case where keepalived prints one of them is not compared on its exit code.
 * Remove an entry once the model reports it.
 */
const KNOWN_GAPS: readonly { message: RegExp; gap: string }[] = [
  { message: /empty notification_email block/, gap: 'global_defs notification_email {} with no address is not reported' },
  { message: /cannot exist in more than one sync group/, gap: 'an instance listed in two vrrp_sync_groups is not reported' },
  { message: /HTTP\/SSL_GET checker url has no path/, gap: 'an HTTP_GET/SSL_GET url without path is not reported' },
  { message: /Digest '.*' is a duplicate/, gap: 'a repeated digest in one url is not reported' },
  { message: /duplicate track_script .* - ignoring/, gap: 'a track_script listed twice in one instance is not reported' },
];

describe('differential: unknown keywords, keepalived -t vs keepalived-ts', () => {
  itWhen(isRoot, hasKeepalived, hasUnshare)('keyword-level mutations of the seeds', { timeout: 600_000 }, async () => {
    expect(seeds.length).toBeGreaterThan(0);
    let compared = 0;
    let crashed = 0;
    let exitCompared = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(seeds.length - 1), fc.array(edit, { minLength: 1, maxLength: 3 }), async (s, edits) => {
        const text = edits.reduce(apply, seeds[s]);
        const file = join(dir, `case-${n++}.conf`);
        writeFileSync(file, text);
        const ka = await keepalivedConfigTest(file, 'kt-diff', { interfaces: interfacesOf(text) });
        // keepalived 2.2.7 -t itself crashes (SIGSEGV) on some inputs, e.g. an HTTP_GET whose
        // urls all lack a path; such a case has no reference answer.
        if (ka.signal !== null || ka.status === null || ka.status > 128) {
          crashed++;
          return;
        }
        if (ka.lines.some((l) => /Unexpected '\{'|Missing '\{'|missing a parameter/.test(l))) return; // cascade or exit(2): not compared
        compared++;
        const kaUnknown = parseKeepalivedReport(ka.lines)
          .filter((f) => f.kind === 'unknown-keyword')
          .map((f) => `${f.line}:${f.keyword}`)
          .sort();
        const sink = new DiagnosticSink();
        loadConfig(file, { configId: 'kt-diff' }, sink);
        const ours = sink.items
          .filter((d) => d.code === 'unknown-keyword')
          .map((d) => `${d.loc.line}:${/Unknown keyword '([^']*)'/.exec(d.message)?.[1] ?? d.text}`)
          .sort();
        const context = `seed ${seedFiles[s]}, edits ${JSON.stringify(edits)}\nkeepalived (exit ${ka.status}):\n${ka.lines.join('\n')}\nours:\n${sink.items.map(formatDiagnostic).join('\n')}`;
        expect(ours, context).toEqual(kaUnknown);
        // Same -t exit code, unless keepalived printed a machine-dependent message or a known gap.
        const environmental = ka.lines.some((l) => ENVIRONMENTAL.some((re) => re.test(l)) && !l.includes('SECURITY VIOLATION'));
        const knownGap = ka.lines.some((l) => KNOWN_GAPS.some((g) => g.message.test(l)));
        if (!environmental && !knownGap) {
          exitCompared++;
          expect(runConfigTest(file, { configId: 'kt-diff', pathEnv: process.env.PATH }).exitCode, context).toBe(ka.status);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.KT_DIFF_SEED ?? 20261122) },
    );
    expect(compared, `${crashed} case(s) crashed keepalived`).toBeGreaterThan(RUNS / 2);
    expect(exitCompared).toBeGreaterThan(RUNS / 4);
  });
});

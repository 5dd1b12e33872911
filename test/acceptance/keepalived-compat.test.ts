// Our config check against the real keepalived 2.2.7 on every shared sample and field config:
// both read the same file, and every keyword keepalived calls unknown, and every line whose
// value it rejects, must be in our report too (and we must not call a keyword unknown that
// keepalived accepts). Differences we chose are listed below, each with its reason.
//
// keepalived runs `-t` only, inside a new network namespace, with its own pid files and process
// group (test/acceptance/lib/keepalived.ts); the shared configs are read where they lie.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, expect } from 'vitest';
import { loadConfig } from '../../src/cli/pipeline.js';
import { DiagnosticSink, formatDiagnostic, type Diagnostic } from '../../src/lib/diagnostics.js';
import { isRoot, itWhen } from '../helpers/require.js';
import { repoRoot } from './lib/cli.js';
import { hasKeepalived, hasUnshare, keepalivedConfigTest, parseKeepalivedReport, type KeepalivedFinding } from './lib/keepalived.js';

const shared = resolve(repoRoot, '..', 'shared');
const DIRS = ['field-configs', 'keepalived-samples'].map((d) => join(shared, d)).filter(existsSync);
const FILES = DIRS.flatMap((d) => readdirSync(d).sort().map((f) => join(d, f)));
/** Matches no `@id` line in the samples, so both programs see the same unconditional config. */
const CONFIG_ID = 'kt-acceptance';

interface Difference {
  /** Base name of the shared file. */
  readonly file: string;
  readonly line: number;
  /** `keepalived-only`: keepalived reports it, we do not. `ours-only`: the reverse. */
  readonly side: 'keepalived-only' | 'ours-only';
  /** The keyword (unknown-keyword findings) or a fragment of keepalived's message. */
  readonly what: string;
  readonly reason: string;
}

/** Deliberate differences, each with its reason. Nothing else may differ. */
const DIFFERENCES: readonly Difference[] = [];

/** Findings keepalived prints without a line number, which we do not report, with reasons. */
const LINELESS_DIFFERENCES: readonly { file: string; what: RegExp; reason: string }[] = [];

const isDifference = (file: string, line: number | undefined, side: Difference['side'], what: string): boolean =>
  DIFFERENCES.some((d) => d.file === basename(file) && d.line === line && d.side === side && what.includes(d.what));

/** Our diagnostic's unknown keyword name, if it is one. */
function unknownName(d: Diagnostic): string | undefined {
  if (d.code !== 'unknown-keyword') return undefined;
  return /unknown keyword '([^']*)'/i.exec(d.message)?.[1] ?? d.text;
}

/** keepalived names a file only when several are involved; otherwise it is the main file. */
const findingFile = (f: KeepalivedFinding, main: string): string => resolve(f.file ?? main);

describe.skipIf(FILES.length === 0)('keepalived -t vs keepalived-ts on the shared configs', () => {
  for (const file of FILES) {
    itWhen(isRoot, hasKeepalived, hasUnshare)(`${basename(join(file, '..'))}/${basename(file)}`, async () => {
      const ka = await keepalivedConfigTest(file, CONFIG_ID);
      expect(ka.signal, ka.lines.join('\n')).toBeNull();
      const findings = parseKeepalivedReport(ka.lines);

      const sink = new DiagnosticSink();
      loadConfig(file, { configId: CONFIG_ID }, sink);
      const ours = sink.items.filter((d) => d.severity !== 'info');
      const context = `keepalived said:\n${ka.lines.join('\n')}\nwe said:\n${sink.items.map(formatDiagnostic).join('\n')}`;

      // 1. keepalived's unknown keywords are ours, at the same place.
      for (const f of findings.filter((x) => x.kind === 'unknown-keyword')) {
        if (isDifference(file, f.line, 'keepalived-only', f.keyword!)) continue;
        const hit = ours.find((d) => unknownName(d) === f.keyword && d.loc.line === f.line && resolve(d.loc.file) === findingFile(f, file));
        expect(hit, `keepalived: line ${f.line} unknown keyword '${f.keyword}' — we did not report it\n${context}`).toBeDefined();
      }
      // 2. We call nothing unknown that keepalived accepts.
      for (const d of ours) {
        const name = unknownName(d);
        if (name === undefined || isDifference(file, d.loc.line, 'ours-only', name)) continue;
        const hit = findings.find((f) => f.kind === 'unknown-keyword' && f.keyword === name && f.line === d.loc.line);
        expect(hit, `we call '${name}' (line ${d.loc.line}) unknown, keepalived does not\n${context}`).toBeDefined();
      }
      // 3. Every line whose value keepalived rejects carries one of our errors or warnings.
      for (const f of findings.filter((x) => x.kind === 'invalid')) {
        if (f.line === undefined) {
          const allowed = LINELESS_DIFFERENCES.some((l) => l.file === basename(file) && l.what.test(f.message));
          expect(allowed, `keepalived (no line): ${f.message} — not listed as a difference\n${context}`).toBe(true);
          continue;
        }
        if (isDifference(file, f.line, 'keepalived-only', f.message)) continue;
        const hit = ours.find((d) => d.loc.line === f.line && resolve(d.loc.file) === findingFile(f, file));
        expect(hit, `keepalived: line ${f.line}: ${f.message} — we report nothing on that line\n${context}`).toBeDefined();
      }
    });
  }

  itWhen(isRoot, hasKeepalived, hasUnshare)('every listed difference still happens (no stale exceptions)', async () => {
    for (const d of DIFFERENCES) {
      const file = FILES.find((f) => basename(f) === d.file);
      expect(file, `difference for missing file ${d.file}`).toBeDefined();
      const ka = parseKeepalivedReport((await keepalivedConfigTest(file!, CONFIG_ID)).lines);
      const sink = new DiagnosticSink();
      loadConfig(file!, { configId: CONFIG_ID }, sink);
      const kaHas = ka.some((f) => f.line === d.line && (f.keyword ?? f.message).includes(d.what));
      const weHave = sink.items.some((x) => x.loc.line === d.line && (unknownName(x) ?? x.message).includes(d.what));
      if (d.side === 'keepalived-only') expect(kaHas && !weHave, JSON.stringify(d)).toBe(true);
      else expect(weHave && !kaHas, JSON.stringify(d)).toBe(true);
    }
  });
});

// virtual_ipaddress / virtual_routes / virtual_rules (and their static_* twins) option checks
// against the real keepalived 2.2.7: both run `-t` on the same two files, one with a bad option
// per line and one with only accepted options. Every line keepalived complains about must be a
// line we report (error or warning) with keepalived's own sentence among ours, we must not
// complain about other lines, and the exit codes must be equal.
//
// keepalived runs `-t` only, in a new network namespace that has the files' interfaces.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { runConfigTest } from '../../src/cli/config-test.js';
import { KEEPALIVED_WORDING } from '../../src/config/keywords/table.js';
import { isRoot, itWhen } from '../helpers/require.js';
import { repoRoot } from './lib/cli.js';
import { hasKeepalived, hasUnshare, interfacesOf, keepalivedConfigTest, parseKeepalivedReport } from './lib/keepalived.js';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'config');
const CONFIG_ID = 'kt-route-vip';

async function compare(name: string): Promise<{ ours: number; theirs: number | null; lines: number[] }> {
  const file = join(FIXTURES, name);
  const ka = await keepalivedConfigTest(file, CONFIG_ID, { interfaces: interfacesOf(readFileSync(file, 'utf8')) });
  const findings = parseKeepalivedReport(ka.lines);
  const ours = runConfigTest(file, { configId: CONFIG_ID });
  const flagged = (ds: readonly { severity: string; loc: { line: number } }[]) => [...new Set(ds.filter((d) => d.severity !== 'info').map((d) => d.loc.line))].sort((a, b) => a - b);
  const theirLines = [...new Set(findings.map((f) => f.line ?? 0))].sort((a, b) => a - b);
  // The same lines are reported ...
  expect(flagged(ours.diagnostics)).toEqual(theirLines);
  // ... and each of keepalived's sentences is one of ours on that line (ours may add an info line
  // such as "accepted but not applied"; KEEPALIVED_WORDING lines carry its second sentence).
  for (const f of findings) {
    const mine = ours.diagnostics.filter((d) => d.loc.line === f.line).map((d) => d.message);
    expect(mine, `line ${f.line}: ${f.message}`).toContain(f.message);
  }
  expect(ours.diagnostics.some((d) => d.code === KEEPALIVED_WORDING && d.severity !== 'info')).toBe(false);
  return { ours: ours.exitCode, theirs: ka.status, lines: theirLines };
}

describe('route, rule and VIP options: keepalived -t side by side', () => {
  itWhen(isRoot, hasKeepalived, hasUnshare)('a bad option on each line: the same lines, sentences and exit code', { timeout: 60_000 }, async () => {
    const r = await compare('routes-vips-bad.conf');
    expect(r.lines.length).toBeGreaterThan(40);
    expect(r.ours).toBe(r.theirs);
    expect(r.ours).toBe(5);
  });
  itWhen(isRoot, hasKeepalived, hasUnshare)('accepted options only: nothing reported, exit 0 from both', { timeout: 60_000 }, async () => {
    const r = await compare('routes-vips-good.conf');
    expect(r.lines).toEqual([]);
    expect(r.ours).toBe(r.theirs);
    expect(r.ours).toBe(0);
  });
});

// The README's table of old keywords is a claim: each one, where the table says, is accepted by
// keepalived 2.2.7 (`keepalived -t` does not call it unknown) and by us, with the meaning the
// table gives (checked in our model). And `nb_get_retry` outside HTTP_GET/SSL_GET is unknown to
// both, as the README says. The table is read from README.md, so it cannot drift from the test.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runConfigTest } from '../../src/cli/config-test.js';
import { isRoot, itWhen } from '../helpers/require.js';
import { repoRoot } from './lib/cli.js';
import { hasKeepalived, hasUnshare, keepalivedConfigTest } from './lib/keepalived.js';

const dir = mkdtempSync(join(tmpdir(), 'kt-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  readonly keyword: string;
  readonly where: string;
}

/** Rows of the README table headed `| old keyword | where | read as |`. */
function readmeRows(): Row[] {
  const lines = readFileSync(join(repoRoot, 'README.md'), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^\|\s*old keyword\s*\|\s*where\s*\|/.test(l));
  if (start < 0) return [];
  const rows: Row[] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    const cells = l.split('|').map((c) => c.trim());
    for (const where of cells[2].split(',').map((w) => w.trim())) rows.push({ keyword: cells[1].replace(/`/g, ''), where });
  }
  return rows;
}

type Model = NonNullable<ReturnType<typeof runConfigTest>['model']>;

/** For each claim: a config using the old keyword there, and what it must mean in our model. */
const CLAIMS: Readonly<Record<string, { config: string; meaning: (m: Model) => unknown; expected: unknown }>> = {
  'lvs_sched@virtual_server': {
    config: 'virtual_server 192.0.2.1 80 {\n  lvs_sched wlc\n  protocol TCP\n  real_server 192.0.2.2 80 {\n  }\n}\n',
    meaning: (m) => m.virtualServers[0]?.lbAlgo,
    expected: 'wlc',
  },
  'lvs_method@virtual_server': {
    config: 'virtual_server 192.0.2.1 80 {\n  lvs_method DR\n  protocol TCP\n  real_server 192.0.2.2 80 {\n  }\n}\n',
    meaning: (m) => m.virtualServers[0]?.lbKind,
    expected: 'DR',
  },
  'vrrp_track_file@top level': {
    config: 'vrrp_track_file tf {\n  file /tmp/kt-readme-tf\n}\n',
    meaning: (m) => [m.trackFiles[0]?.name, m.trackFiles[0]?.file],
    expected: ['tf', '/tmp/kt-readme-tf'],
  },
  ...Object.fromEntries(
    ['HTTP_GET', 'SSL_GET'].map((kind) => [
      `nb_get_retry@${kind}`,
      {
        config: `virtual_server 192.0.2.1 80 {\n  protocol TCP\n  real_server 192.0.2.2 80 {\n    ${kind} {\n      url {\n        path /\n        status_code 200\n      }\n      nb_get_retry 4\n    }\n  }\n}\n`,
        meaning: (m: Model) => (m.virtualServers[0]?.realServers[0]?.checkers[0] as { timing?: { retry?: number } } | undefined)?.timing?.retry,
        expected: 4,
      },
    ]),
  ),
};

const unknownIn = (lines: readonly string[], kw: string) => lines.some((l) => l.includes(`Unknown keyword '${kw}'`));

describe("README: old keywords are accepted exactly where keepalived accepts them", { timeout: 120_000 }, () => {
  const rows = readmeRows();

  it('the README has the table, and every row has a check here', () => {
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(Object.keys(CLAIMS), `no check for README row ${r.keyword} in ${r.where}`).toContain(`${r.keyword}@${r.where}`);
  });

  for (const r of rows) {
    const claim = CLAIMS[`${r.keyword}@${r.where}`];
    if (!claim) continue;
    itWhen(isRoot, hasUnshare, hasKeepalived)(`${r.keyword} in ${r.where}: keepalived -t and we accept it; it means what the README says`, async () => {
      const file = join(dir, `${r.keyword}-${r.where.replace(/\W/g, '_')}.conf`);
      writeFileSync(file, claim.config);
      const ka = await keepalivedConfigTest(file, 'kt-readme');
      expect(unknownIn(ka.lines, r.keyword), ka.lines.join('\n')).toBe(false);
      const ours = runConfigTest(file, { configId: 'kt-readme' });
      expect(ours.diagnostics.filter((d) => d.code === 'unknown-keyword')).toEqual([]);
      expect(ours.model && claim.meaning(ours.model)).toEqual(claim.expected);
    });
  }

  itWhen(isRoot, hasUnshare, hasKeepalived)('nb_get_retry in TCP_CHECK is an Unknown keyword to keepalived and to us', async () => {
    const file = join(dir, 'tcp-check.conf');
    writeFileSync(file, 'virtual_server 192.0.2.1 80 {\n  protocol TCP\n  real_server 192.0.2.2 80 {\n    TCP_CHECK {\n      nb_get_retry 3\n    }\n  }\n}\n');
    const ka = await keepalivedConfigTest(file, 'kt-readme');
    expect(unknownIn(ka.lines, 'nb_get_retry'), ka.lines.join('\n')).toBe(true);
    const ours = runConfigTest(file, { configId: 'kt-readme' });
    expect(ours.diagnostics.map((d) => [d.loc.line, d.message])).toContainEqual([5, "Unknown keyword 'nb_get_retry'"]);
  });
});

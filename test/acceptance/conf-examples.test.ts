// Every annotated example in conf-examples/ is a clean config: the whole pipeline reports
// nothing for each config id its `@` lines use, and `keepalived-ts -t` exits 0 on it unless a
// check script it names is not installed on this host.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/pipeline.js';
import { runConfigTest } from '../../src/cli/config-test.js';
import { programOf } from '../../src/notify/script-security.js';
import { DiagnosticSink, formatDiagnostic } from '../../src/lib/diagnostics.js';
import { repoRoot } from './lib/cli.js';

const dir = join(repoRoot, 'conf-examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.conf')).sort();

/** The `@id` prefixes used in a file, plus one id that matches none of them. */
function configIds(text: string): string[] {
  const ids = new Set<string>();
  for (const m of text.matchAll(/^@\^?(\S+)/gm)) ids.add(m[1]);
  return ids.size > 0 ? [...ids] : ['example'];
}

describe('conf-examples', () => {
  it('holds the five documented examples', () => {
    for (const f of ['mysql-dual-master.conf', 'lvs-dr-read-pool.conf', 'unicast-pair.conf', 'ipv6-vrrpv3-pair.conf', 'sync-group.conf']) {
      expect(files).toContain(f);
    }
  });

  for (const f of files) {
    it(`${f} produces zero diagnostics and a non-empty model`, () => {
      const path = join(dir, f);
      const text = readFileSync(path, 'utf8');
      for (const id of configIds(text)) {
        const sink = new DiagnosticSink();
        const { model } = loadConfig(path, { configId: id }, sink);
        expect(sink.items.map(formatDiagnostic), `config id ${id}`).toEqual([]);
        expect(model.vrrpInstances.length + model.virtualServers.length).toBeGreaterThan(0);
        // keepalived-ts -t adds host checks: a track script whose program is not installed on
        // this machine (mysqladmin on a test host) is reported, as keepalived -t does. That is
        // the only thing allowed here, and only when the program really is absent.
        const t = runConfigTest(path, { configId: id, pathEnv: process.env.PATH });
        const hostOnly = t.diagnostics.filter((d) => d.code === 'script-not-found');
        for (const d of hostOnly) expect(existsSync(programOf(d.text ?? '')), formatDiagnostic(d)).toBe(false);
        expect(t.diagnostics.filter((d) => !hostOnly.includes(d)).map(formatDiagnostic)).toEqual([]);
        expect(t.exitCode).toBe(hostOnly.length > 0 ? 5 : 0);
      }
    });

    it(`${f} uses only documentation or benchmark address ranges`, () => {
      const text = readFileSync(join(dir, f), 'utf8').replace(/#.*$/gm, '');
      const v4 = text.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? [];
      for (const a of v4) expect(a, `${f}: ${a}`).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$|^198\.1[89]\./);
      const v6 = text.match(/\b[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,7}\b/gi) ?? [];
      for (const a of v6) expect(a.toLowerCase(), `${f}: ${a}`).toMatch(/^2001:db8:/);
    });
  }
});

// The checker side's scripts through the shared start-up security check: a misc script that may
// not run is dropped with keepalived's line, one that may is handed out by its config location.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareCheckerScripts } from '../../../src/check/checker-scripts.js';
import { buildCheckPlan } from '../../../src/check/plan.js';
import { nodeSecurityFs, parseUserDb } from '../../../src/notify/script-security.js';
import { build } from '../config/model-helpers.js';

describe('checker scripts', () => {
  it('drops a misc checker whose script is missing, with keepalived\'s line; keeps the runnable one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-cs-'));
    try {
      const ok = join(dir, 'ok.sh');
      writeFileSync(ok, '#!/bin/sh\nexit 0\n');
      chmodSync(ok, 0o755);
      const missing = join(dir, 'missing.sh');
      const { model } = build(
        `virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n  MISC_CHECK {\n   misc_path "${missing} -x"\n  }\n  MISC_CHECK {\n   misc_path "${ok}"\n  }\n }\n}\n`,
      );
      const lines: string[] = [];
      const log = { info: (m: unknown) => lines.push(String(m)), warn: (_o: unknown, m?: unknown) => lines.push(`warn ${String(m)}`), error: (_o: unknown, m?: unknown) => lines.push(`error ${String(m)}`) };
      const db = parseUserDb('root:x:0:0:root:/root:/bin/sh\n', 'root:x:0:\n');
      const scripts = prepareCheckerScripts(model, { db, fs: nodeSecurityFs, path: '/usr/bin:/bin' }, log);
      expect(lines).toContain(`Disabling misc script ${missing} -x since not found/accessible`);
      expect(lines).toContain(`error Script MISC_CHECK misc_path cannot be accessed - No such file or directory`.replace('Script MISC_CHECK misc_path', `Script ${missing}`));
      const plan = buildCheckPlan(model, { scripts });
      expect(plan.realServers[0]!.checkers.map((c) => (c.kind === 'MISC_CHECK' ? c.script.argv[0] : c.kind))).toEqual([ok]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

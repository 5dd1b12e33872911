// A test whose inputs are missing is never skipped silently: outside CI it prints one line
// naming the missing inputs; in CI (CI=true) it fails. Played on parse-samples.test.ts with its
// ../shared folder pointed at a path that does not exist (a clone without ../shared).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './lib/cli.js';

const MISSING = '/nonexistent/kt-no-shared';

function runVitest(env: NodeJS.ProcessEnv): Promise<{ status: number | null; out: string }> {
  return new Promise((done, fail) => {
    const c = spawn(process.execPath, [join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', 'test/unit/config/parse-samples.test.ts'], {
      cwd: repoRoot,
      env: { ...env, KT_SHARED_DIR: MISSING, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 90_000);
    c.on('error', fail);
    c.on('close', (status) => {
      clearTimeout(t);
      done({ status, out });
    });
  });
}

describe('skips name what is missing', { timeout: 120_000 }, () => {
  it('outside CI: skipped, with one line naming each missing input folder', async () => {
    const { CI: _ci, ...env } = process.env;
    const r = await runVitest(env);
    expect(r.status, r.out).toBe(0);
    for (const d of ['keepalived-samples', 'field-configs']) {
      const notice = `[skipped] missing prerequisite: input not found: ${join(MISSING, d)}`;
      expect(r.out.split('\n').filter((l) => l.trim() === notice), r.out).toHaveLength(1);
    }
    expect(r.out).toMatch(/skipped/);
  });

  it('in CI: the same run fails, naming the missing input', async () => {
    const r = await runVitest({ ...process.env, CI: 'true' });
    expect(r.status, r.out).not.toBe(0);
    expect(r.out).toContain(`missing prerequisite in CI: input not found: ${join(MISSING, 'keepalived-samples')}`);
  });
});

// A namespace test whose body hangs until vitest times it out must not leave its namespaces or
// processes for the tests after it (test/helpers/netns-fixture.ts registers its clean-up with
// onTestFinished). Proven in a child vitest run of test/fixtures/netns-timeout/hang.fixture.ts:
// its first test starts a process inside a lab namespace and one outside, then hangs past its
// 4 s time-out; its second test, in the same worker (before any exit hook), records what is left.
// Here: the child run failed by that time-out, its second test found nothing left, and nothing
// is left after the run either.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { isRoot, itWhen } from '../helpers/require.js';

const repo = join(import.meta.dirname, '..', '..');

interface Left {
  namespaces: string[];
  pids: number[];
  leftNamespaces?: string[];
  leftPids?: number[];
}

describe('netns fixture: clean-up when a test times out', () => {
  itWhen(isRoot)('a hanging namespace test leaves no namespace and no process it started', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-hang-'));
    try {
      const out = join(dir, 'left.json');
      const run = spawnSync(join(repo, 'node_modules', '.bin', 'vitest'), ['run', '--config', 'test/fixtures/netns-timeout/vitest.config.ts', '--reporter', 'verbose'], {
        cwd: repo,
        env: { ...process.env, KT_HANG_OUT: out, CI: '', FORCE_COLOR: '0', NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 100_000,
      });
      const text = `${run.stdout}\n${run.stderr}`;
      // The child run failed, by the first test's time-out only.
      expect(run.status, text).toBe(1);
      expect(text).toMatch(/Test timed out in 4000ms/);
      expect(text).toMatch(/1 failed \| 1 passed|1 passed \| 1 failed/);
      const left = JSON.parse(readFileSync(out, 'utf8')) as Left;
      expect(left.namespaces).toHaveLength(2);
      expect(left.pids).toHaveLength(2);
      // Found by the child's second test, while its worker still ran.
      expect(left.leftNamespaces).toEqual([]);
      expect(left.leftPids).toEqual([]);
      // And after the run.
      const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]);
      expect(left.namespaces.filter((n) => list.includes(n))).toEqual([]);
      // (The child vitest has exited, so its killed children are reaped: the PIDs are gone.)
      for (const pid of left.pids) expect(() => process.kill(pid, 0), String(pid)).toThrow();
    } finally {
      // Should the fixture regress, what the child left is removed here (by the names and PIDs it recorded).
      try {
        const left = JSON.parse(readFileSync(join(dir, 'left.json'), 'utf8')) as Left;
        for (const pid of left.pids) {
          try {
            // Only the child's own `sleep 600` (a PID that is gone may have been reused).
            if (readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\x00600\x00') process.kill(pid, 'SIGKILL');
          } catch {
            /* gone, as it should be */
          }
        }
        for (const n of left.namespaces) spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      } catch {
        /* the child wrote nothing */
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// NodeProcessRunner against real processes: argv, exit/signal/timeout/spawn errors, process
// group kill, uid/gid/groups, environment filtering, shell modes, stdin, event-loop health.
import { describe, expect } from 'vitest';
import { chmodSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeProcessRunner, type ProcessResult } from '../../../src/notify/process-runner.js';
import type { Ms } from '../../../src/lib/units.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { scriptDir, alive, pollFor } from '../../helpers/script-dir.js';

const tmp = scriptDir('kt-notify-runner-');

const script = tmp.script;
/** Writes each argument on its own line, NUL-free, preceded by the count. */
const ARGV_DUMP = 'out="$OUT_FILE"; printf "%s\\n" "$#" > "$out"; for a in "$@"; do printf "[%s]\\n" "$a" >> "$out"; done\n';


const waitFor = (cond: () => boolean, ms: number) => pollFor(cond, ms);

describe('NodeProcessRunner', () => {
  itWhen()('passes argv exactly, spaces, quotes and empty args included', async () => {
    const out = join(tmp.path, 'argv1.out');
    const p = script('argv1.sh', ARGV_DUMP.replace('$OUT_FILE', out));
    const r = await new NodeProcessRunner().start({ argv: [p, 'a b', "it's", '', '$HOME', '*'] }).result;
    expect(r).toEqual({ kind: 'exited', code: 0 });
    expect(readFileSync(out, 'utf8')).toBe("5\n[a b]\n[it's]\n[]\n[$HOME]\n[*]\n");
  });

  itWhen()('a file without #! runs via /bin/sh with single-quoted args', async () => {
    const out = join(tmp.path, 'argv2.out');
    const p = script('noshebang.sh', ARGV_DUMP.replace('$OUT_FILE', out), 0o755, false);
    const r = await new NodeProcessRunner().start({ argv: [p, "it's", 'x y', '$(id)'], mode: 'shellQuoted' }).result;
    expect(r).toEqual({ kind: 'exited', code: 0 });
    expect(readFileSync(out, 'utf8')).toBe("3\n[it's]\n[x y]\n[$(id)]\n");
  });

  itWhen()('the </path file-test form runs through the shell verbatim', async () => {
    const runner = new NodeProcessRunner();
    const exists = script('exists.txt', 'x', 0o644, false);
    expect(await runner.start({ argv: [`</${exists.slice(1)}`], mode: 'shellRaw' }).result).toEqual({ kind: 'exited', code: 0 });
    const r = await runner.start({ argv: [`</nonexistent-kt/x`], mode: 'shellRaw' }).result;
    expect(r.kind).toBe('exited');
    expect((r as { code: number }).code).not.toBe(0);
  });

  itWhen()('reports exit codes, signals and spawn errors as values', async () => {
    const runner = new NodeProcessRunner();
    expect(await runner.start({ argv: [script('ex3.sh', 'exit 3\n')] }).result).toEqual({ kind: 'exited', code: 3 });
    expect(await runner.start({ argv: [script('sig.sh', 'kill -USR1 $$\nsleep 5\n')] }).result).toEqual({
      kind: 'signaled',
      signal: 'SIGUSR1',
    });
    expect(await runner.start({ argv: [join(tmp.path, 'missing.sh')] }).result).toEqual({ kind: 'spawnError', code: 'ENOENT' });
    expect(await runner.start({ argv: [script('noexec.sh', 'exit 0\n', 0o644)], uid: 65534, gid: 65534 }).result).toEqual({
      kind: 'spawnError',
      code: 'EACCES',
    });
    expect(await runner.start({ argv: [] }).result).toEqual({ kind: 'spawnError', code: 'EINVAL' });
  });

  itWhen()('stdin is /dev/null and no pipes or sockets leak into the child', async () => {
    const out = join(tmp.path, 'fds.out');
    const p = script('fds.sh', `for f in /proc/$$/fd/*; do readlink "$f" || true; done > "${out}"\n`);
    expect(await new NodeProcessRunner().start({ argv: [p] }).result).toEqual({ kind: 'exited', code: 0 });
    const links = readFileSync(out, 'utf8').trim().split('\n');
    expect(links[0]).toBe('/dev/null');
    expect(links.filter((l) => /^(pipe|socket):/.test(l))).toEqual([]);
  });

  itWhen()('filters IFS, LD_PRELOAD and LD_LIBRARY_PATH from the environment, keeps the rest', async () => {
    const out = join(tmp.path, 'env.out');
    const p = script('env.sh', `env > "${out}"\n`);
    const runner = new NodeProcessRunner({
      env: { PATH: '/usr/bin:/bin', KT_KEEP: 'yes', IFS: ' ', LD_PRELOAD: '', LD_LIBRARY_PATH: '/nonexistent' },
    });
    expect(await runner.start({ argv: [p] }).result).toEqual({ kind: 'exited', code: 0 });
    const vars = new Set(readFileSync(out, 'utf8').split('\n').map((l) => l.split('=')[0]));
    expect(vars.has('KT_KEEP')).toBe(true);
    expect(vars.has('PATH')).toBe(true);
    for (const v of ['IFS', 'LD_PRELOAD', 'LD_LIBRARY_PATH']) expect(vars.has(v)).toBe(false);
  });

  itWhen(isRoot)('a timeout kills the whole process group, children included', async () => {
    const pids = join(tmp.path, 'group.pids');
    // The script starts a background child, records both pids, then hangs.
    const p = script('hang.sh', `sleep 300 &\necho "$$ $!" > "${pids}"\nsleep 300\n`);
    const t0 = Date.now();
    const run = new NodeProcessRunner().start({ argv: [p], timeoutMs: 300 as Ms, killGraceMs: 2000 as Ms });
    const r = await run.result;
    const took = Date.now() - t0;
    expect(r).toEqual({ kind: 'timeout' });
    expect(took).toBeGreaterThanOrEqual(295);
    expect(took).toBeLessThan(1500);
    const [leader, child] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    expect(leader).toBe(run.pid);
    expect(await waitFor(() => !alive(child!), 1000)).toBe(true);
  });

  itWhen(isRoot)('a group that ignores SIGTERM is SIGKILLed after the grace', async () => {
    const pids = join(tmp.path, 'stubborn.pids');
    // `trap '' TERM` is inherited by the children as an ignored disposition.
    const p = script('stubborn.sh', `trap '' TERM\nsleep 300 &\necho "$!" > "${pids}"\nsleep 300\n`);
    const t0 = Date.now();
    const r = await new NodeProcessRunner().start({ argv: [p], timeoutMs: 200 as Ms, killGraceMs: 400 as Ms }).result;
    const took = Date.now() - t0;
    expect(r).toEqual({ kind: 'timeout' });
    expect(took).toBeGreaterThanOrEqual(590);
    expect(took).toBeLessThan(2000);
    const child = Number(readFileSync(pids, 'utf8').trim());
    expect(await waitFor(() => !alive(child), 1000)).toBe(true);
  });

  itWhen(isRoot)('terminate() kills a running script and its children', async () => {
    const pids = join(tmp.path, 'term.pids');
    const p = script('term.sh', `sleep 300 &\necho "$!" > "${pids}"\nwait\n`);
    const run = new NodeProcessRunner().start({ argv: [p] });
    expect(await waitFor(() => existsSync(pids) && readFileSync(pids, 'utf8').includes('\n'), 3000)).toBe(true);
    expect(run.running).toBe(true);
    run.terminate(500 as Ms);
    const r: ProcessResult = await run.result;
    expect(r).toEqual({ kind: 'signaled', signal: 'SIGTERM' });
    expect(await waitFor(() => !alive(Number(readFileSync(pids, 'utf8').trim())), 1000)).toBe(true);
  });

  itWhen(isRoot)('switches uid/gid; supplementary groups are cleared or set exactly', async () => {
    const out = join(tmp.path, 'id.out');
    const p = script('id.sh', `echo "$(id -u) $(id -g) $(id -G)" > "$1"\n`);
    chmodSync(tmp.path, 0o777);
    try {
      const runner = new NodeProcessRunner();
      expect(await runner.start({ argv: [p, out], uid: 65534, gid: 65534 }).result).toEqual({ kind: 'exited', code: 0 });
      expect(readFileSync(out, 'utf8').trim()).toBe('65534 65534 65534');
      rmSync(out);
      expect(await runner.start({ argv: [p, out], uid: 65534, gid: 65534, groups: [100, 4] }).result).toEqual({
        kind: 'exited',
        code: 0,
      });
      expect(readFileSync(out, 'utf8').trim()).toBe('65534 65534 65534 4 100');
    } finally {
      chmodSync(tmp.path, 0o755);
    }
  });

  itWhen()('starting many scripts does not stall the event loop', async () => {
    const p = script('short.sh', 'sleep 0.5\n');
    const runner = new NodeProcessRunner();
    const costs: number[] = [];
    const t0 = performance.now();
    const runs = Array.from({ length: 30 }, () => {
      const a = performance.now();
      const r = runner.start({ argv: [p] }).result;
      costs.push(performance.now() - a);
      return r;
    });
    // While the 30 scripts sleep, the loop keeps turning: a timer fires on time.
    let last = performance.now();
    let worst = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 10);
    const results = await Promise.all(runs);
    clearInterval(tick);
    const total = performance.now() - t0;
    costs.sort((a, b) => a - b);
    if (process.env.KT_DEBUG) console.log({ medianStartMs: costs[15], maxStartMs: costs[29], worstTickGapMs: worst, totalMs: total });
    expect(results.every((r) => r.kind === 'exited' && r.code === 0)).toBe(true);
    // A start() is one fork/exec in libuv (~1-3 ms here), never a wait for the child.
    expect(costs[15]).toBeLessThan(50);
    // Had start() waited for each 0.5 s script, 30 of them would take 15 s.
    expect(total).toBeLessThan(5000);
    expect(worst).toBeLessThan(400);
  });
});

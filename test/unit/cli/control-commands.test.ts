// The command line of the control commands and the new flags: `status` / `reload` as the first
// operand, --json only with status, --metrics checked as ADDR:PORT, and what the client and the
// daemon's control plane do when the socket cannot be had.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlCommand, parseArgv, refusedFlagsLine, type CliOptions } from '../../../src/cli/argv.js';
import { runControlCommand, socketFor } from '../../../src/cli/status.js';
import { ControlPlane } from '../../../src/core/control-plane.js';
import { StartError } from '../../../src/core/start-error.js';
import { memoryLogger } from '../../../src/lib/log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function opts(argv: string[]): CliOptions {
  const r = parseArgv(argv, 'host');
  if (!r.ok) throw new Error(r.message);
  return r.options;
}

describe('control commands on the command line', () => {
  it('status and reload are commands; other operands are not', () => {
    expect(controlCommand(opts(['status', '--json']))).toBe('status');
    expect(controlCommand(opts(['-p', '/run/x.pid', 'reload']))).toBe('reload');
    expect(controlCommand(opts(['statu']))).toBeUndefined();
    expect(controlCommand(opts([]))).toBeUndefined();
    expect(opts(['status', '--json']).json).toBe(true);
  });

  it('finds the socket as the daemon chose it: --control-socket, else beside -p, else beside /run/keepalived.pid', () => {
    expect(socketFor(opts(['status']))).toBe('/run/keepalived-ts.ctl');
    expect(socketFor(opts(['status', '-p', '/run/lb2.pid']))).toBe('/run/lb2-ts.ctl');
    expect(socketFor(opts(['status', '-p', '/run/lb2.pid', '--control-socket', '/tmp/x.ctl']))).toBe('/tmp/x.ctl');
    expect(socketFor(opts(['status', '--control-socket=/tmp/y.ctl']))).toBe('/tmp/y.ctl');
  });

  it('--metrics must be ADDR:PORT (exit 1 otherwise); --json refuses a daemon start', () => {
    expect(opts(['--metrics', '127.0.0.1:9650']).metrics).toBe('127.0.0.1:9650');
    expect(opts(['--metrics=[::1]:9650']).metrics).toBe('[::1]:9650');
    const bad = parseArgv(['--metrics', '9650'], 'h');
    expect(bad).toMatchObject({ ok: false, exitCode: 1 });
    expect(!bad.ok && bad.message).toMatch(/^Invalid --metrics 9650: expected ADDR:PORT/);
    expect(refusedFlagsLine(opts(['--json']))).toMatch(/--json \(it only applies to the status command/);
    expect(refusedFlagsLine(opts(['--metrics', ':9650', '--control-socket', '/tmp/c']))).toBeUndefined();
  });

  it('the client says where it looked when no daemon answers (exit 2), and refuses extra operands', async () => {
    const d = mkdtempSync(join(tmpdir(), 'kt-cli-'));
    dirs.push(d);
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    expect(await runControlCommand('status', opts(['status', '-p', join(d, 'k.pid')]), io)).toBe(2);
    expect(err.join('')).toContain(`cannot reach the daemon on ${join(d, 'k-ts.ctl')}: no daemon listens there (ENOENT)`);
    expect(await runControlCommand('reload', opts(['reload', 'now']), io)).toBe(2);
    expect(err.join('')).toContain('reload takes no argument (got: now)');
    expect(out).toEqual([]);
  });
});

describe('the daemon\'s control plane', () => {
  it('refuses the start (StartError, exit 1) when the socket is held by another daemon or --metrics is unusable', async () => {
    const d = mkdtempSync(join(tmpdir(), 'kt-cp-'));
    dirs.push(d);
    const { log } = memoryLogger('debug');
    const deps = (o: object) => ({ options: { configFile: 'k.conf', configId: 'a', pidFile: join(d, 'k.pid'), ...o }, log, status: () => ({}), onReload: () => Promise.reject(new Error('none')) });
    const first = await ControlPlane.open(deps({}));
    try {
      expect(first.socketPath).toBe(join(d, 'k-ts.ctl'));
      const second = ControlPlane.open(deps({}));
      await expect(second).rejects.toBeInstanceOf(StartError);
      await expect(second).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/control socket .*k-ts\.ctl is in use/) });
      // Another pid file, another socket: no conflict.
      const other = await ControlPlane.open(deps({ pidFile: join(d, 'other.pid') }));
      expect(other.socketPath).toBe(join(d, 'other-ts.ctl'));
      await other.close();
      await expect(ControlPlane.open(deps({ controlSocket: false, metrics: 'nope' }))).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/--metrics nope: expected ADDR:PORT/) });
      // A failing reload callback is a rejected reload, counted, never a crash.
      expect(await first.reload()).toEqual({ outcome: 'rejected', diagnostics: ['reload failed: none'], changes: [] });
    } finally {
      await first.close();
    }
  });
});

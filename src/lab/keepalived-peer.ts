// Runs the real keepalived (Debian's 2.2.7) inside a lab namespace as a VRRP peer: interop
// tests and the failover benchmark compare against it. Each peer gets its own temp dir for the
// config and pid files, so several can run at once without touching /run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Lab } from './lab.js';

export interface PeerProcess {
  readonly child: ChildProcess;
  /** All output lines so far. */
  readonly lines: string[];
  /** Resolves with the first output line matching `re` (rejects after `timeoutMs`). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal to the process (by PID). */
  signal(sig: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited(): Promise<void>;
}

/** Wraps a spawned child: line capture and waiting on output. */
export function watchProcess(child: ChildProcess): PeerProcess {
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let partial = '';
  const onData = (d: Buffer) => {
    partial += d.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].re.test(line)) {
          waiters[i].resolve(line);
          waiters.splice(i, 1);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    lines,
    waitFor(re, timeoutMs = 10_000) {
      const hit = lines.find((l) => re.test(l));
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${re} in:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
      });
    },
    signal(sig) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, sig);
    },
    exited: () => exit,
  };
}

export interface KeepalivedPeer extends PeerProcess {
  readonly dir: string;
  cleanup(): void;
}

/** Starts `keepalived --vrrp` in lab host `host` with the given config text (`allSides`: without --vrrp, so its checker child may run too). */
export function startKeepalived(lab: Lab, host: string, config: string, extraArgs: string[] = [], allSides = false): KeepalivedPeer {
  const dir = mkdtempSync(join(tmpdir(), 'kt-keepalived-'));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, config);
  const child = lab.spawn(host, [
    'keepalived', '-n', '-l', '-D', ...(allSides ? [] : ['--vrrp']), '-f', conf,
    '-p', join(dir, 'keepalived.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'checkers.pid'), '-b', join(dir, 'bfd.pid'),
    ...extraArgs,
  ]);
  const w = watchProcess(child);
  return {
    ...w,
    dir,
    cleanup() {
      w.signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

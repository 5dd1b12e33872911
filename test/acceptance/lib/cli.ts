// Spawns the keepalived-ts CLI from source (through tsx) exactly as a user would run it.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const mainTs = join(repoRoot, 'src/cli/main.ts');

export interface CliRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliSpawnOptions {
  /**
   * Run without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (util-linux setpriv), so even root
   * obeys file modes: how the tests make a file unreadable without another user account.
   */
  readonly noDacOverride?: boolean;
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /**
   * `-t` checks the interfaces of the host it runs on. When root, run in a fresh network
   * namespace holding exactly these interfaces (veth ends), so the answer does not depend on
   * the machine; otherwise on the host as it is.
   */
  readonly interfaces?: readonly string[];
}

/** `argv` wrapped to run in a new network namespace holding `interfaces` (names checked first). */
export function inNetns(argv: readonly string[], interfaces: readonly string[]): string[] {
  for (const name of interfaces) {
    if (!/^[A-Za-z][\w.-]{0,14}$/.test(name)) throw new Error(`not an interface name: ${JSON.stringify(name)}`);
  }
  const links = interfaces.map((name, i) => `ip link add ${name} type veth peer name ktp${i} || exit 90`).join('; ');
  return links ? ['unshare', '-n', 'sh', '-c', `${links}; exec "$@"`, 'sh', ...argv] : ['unshare', '-n', ...argv];
}

/** Runs `keepalived-ts ARGS`; kills it (by pid) if it outlives the time limit. */
export function runCli(args: readonly string[], o: CliSpawnOptions = {}): Promise<CliRun> {
  return new Promise((done, fail) => {
    const nodeArgv = [process.execPath, '--import', 'tsx', mainTs, ...args];
    const plain = o.noDacOverride ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--', ...nodeArgv] : nodeArgv;
    const argv = o.interfaces && process.getuid?.() === 0 ? inNetns(plain, o.interfaces) : plain;
    const child = spawn(argv[0], argv.slice(1), {
      cwd: o.cwd ?? repoRoot,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    collectRun(child, o.timeoutMs ?? 20_000, () => child.kill('SIGKILL')).then(done, fail);
  });
}

/** Collects a child's output until it closes; `kill` runs if it outlives `timeoutMs`. */
export function collectRun(child: ChildProcessByStdio<null, Readable, Readable>, timeoutMs: number, kill: () => void): Promise<CliRun> {
  return new Promise((done, fail) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(kill, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      done({ status, signal, stdout, stderr });
    });
  });
}

/** True when the text looks like a JavaScript stack trace or an uncaught-error dump. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[:(]\d+:\d+\)?$/m.test(text) || /Uncaught|node:internal|^\w*Error: /m.test(text);
}

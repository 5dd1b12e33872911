// Runs the real keepalived's config test (`keepalived -t`) safely and parses what it reports.
//
// Safety: keepalived only ever runs with -t (it validates and exits; it never starts VRRP) and
// always inside a fresh network namespace (`unshare -n`), so even a bug cannot put a packet on
// the host's network. It gets its own pid files in a temp dir (no clash with a running
// keepalived) and its own process group: keepalived 2.2.7 -t has been seen to SIGTERM its
// process group (with `script_user`), which must not reach the test runner.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Prereq } from '../../helpers/require.js';
import { collectRun } from './cli.js';

export const hasKeepalived: Prereq = () => {
  const r = spawnSync('keepalived', ['-v'], { encoding: 'utf8' });
  return r.status === 0 && /Keepalived v/.test(r.stderr) ? undefined : 'keepalived is not installed (apt-get install keepalived)';
};
export const hasUnshare: Prereq = () =>
  spawnSync('unshare', ['--version']).status === 0 ? undefined : 'unshare (util-linux) is not installed';

export interface KeepalivedReport {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Distinct output lines, in first-seen order (its processes repeat each other). */
  readonly lines: readonly string[];
}

export interface KeepalivedTestOptions {
  /** veth interfaces to create inside the namespace first (default none: only `lo`). */
  readonly interfaces?: readonly string[];
  readonly timeoutMs?: number;
}

export interface NamespaceRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `argv` in a new network namespace (`unshare -n`) in which exactly the given interfaces
 * exist (as veth ends, plus `lo`), in its own process group (killed by id after `timeoutMs`).
 */
export function runInNetns(argv: readonly string[], o: { interfaces?: readonly string[]; timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<NamespaceRun> {
  for (const name of o.interfaces ?? []) {
    if (!/^[A-Za-z][\w.-]{0,14}$/.test(name)) throw new Error(`not an interface name: ${JSON.stringify(name)}`);
  }
  const links = (o.interfaces ?? []).map((name, i) => `ip link add ${name} type veth peer name ktp${i} || { echo 'kt-test: cannot create veth ${name} in the namespace' >&2; exit 90; }`).join('; ');
  // Interface names are checked above before reaching the shell; the command goes through "$@".
  const args = links ? ['-n', 'sh', '-c', `${links}; exec "$@"`, 'sh', ...argv] : ['-n', ...argv];
  return new Promise((done, fail) => {
    const child = spawn('unshare', args, { cwd: o.cwd, env: o.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // On time-out: our own child's process group, by id.
    collectRun(child, o.timeoutMs ?? 20_000, () => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL')).then(done, fail);
  });
}

/**
 * `keepalived -t -n -l -i ID -f FILE` in a new network namespace, with a time limit. With
 * `interfaces`, those names exist in the namespace (as veth ends), so keepalived keeps the
 * instances that use them instead of dropping them as "doesn't exist".
 */
export async function keepalivedConfigTest(file: string, configId: string, o: KeepalivedTestOptions = {}): Promise<KeepalivedReport> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-ka-'));
  const pid = (n: string): string => join(dir, `${n}.pid`);
  const ka = ['keepalived', '-t', '-n', '-l', '-i', configId, '-f', resolve(file), '-p', pid('p'), '-r', pid('r'), '-c', pid('c'), '-b', pid('b')];
  try {
    const r = await runInNetns(ka, { cwd: dir, timeoutMs: o.timeoutMs ?? 20_000, ...(o.interfaces ? { interfaces: o.interfaces } : {}) });
    const lines = [...new Set((r.stdout + r.stderr).split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0))];
    return { status: r.status, signal: r.signal, lines };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface KeepalivedFinding {
  /** `unknown-keyword` or `invalid` (a value or line keepalived rejected). */
  readonly kind: 'unknown-keyword' | 'invalid';
  /** File named in the prefix, when keepalived printed one (`(file: Line N)`). */
  readonly file?: string;
  readonly line?: number;
  /** The unknown keyword's name. */
  readonly keyword?: string;
  readonly message: string;
}

/**
 * Messages that depend on this machine, not on the config: interfaces (the namespace has only
 * `lo`), script files on disk, users, and the summary lines that repeat other messages.
 */
export const ENVIRONMENTAL: readonly RegExp[] = [
  /interface \S+ for .* doesn't exist/,
  /tracked interface \S+ doesn't exist/,
  /Non-existent interface specified/,
  /cannot use a loopback interface/,
  /Unknown interface!/,
  /SECURITY VIOLATION/, // checked separately: it depends on which script files exist here
  /Unable to set default user/,
  /default user .* does not exist/,
  /Config files missing/,
];

/** Lines that are not findings of their own: continuation lines of a previous message. */
export const NOT_FINDINGS: readonly RegExp[] = [
  /^\s*Please use /,
];

const PREFIX = /^\((?:(.+?): )?Line (\d+)\) (.*)$/;

/** Findings in keepalived's -t output: unknown keywords and rejected values. */
export function parseKeepalivedReport(lines: readonly string[]): KeepalivedFinding[] {
  const out: KeepalivedFinding[] = [];
  const seen = new Set<string>();
  for (const raw of lines) {
    const m = PREFIX.exec(raw);
    const file = m?.[1];
    const line = m ? Number(m[2]) : undefined;
    const message = m ? m[3] : raw;
    if (ENVIRONMENTAL.some((re) => re.test(message)) || NOT_FINDINGS.some((re) => re.test(message))) continue;
    const key = `${file ?? ''}:${line ?? ''}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const unk = /^Unknown keyword '([^']*)'/.exec(message);
    if (unk) out.push({ kind: 'unknown-keyword', file, line, keyword: unk[1], message });
    else out.push({ kind: 'invalid', file, line, message });
  }
  return out;
}

/**
 * Interface names a config mentions (`interface X`, track_interface entries, `dev X`), so
 * keepalived's namespace has them and its validation goes past "interface doesn't exist".
 */
export function interfacesOf(text: string): string[] {
  const names = new Set<string>();
  const lines = text.split('\n').map((l) => l.replace(/[#!].*$/, '').trim());
  let inTrack = false;
  for (const l of lines) {
    const words = l.split(/\s+/);
    if (/^track_interface\b/.test(l)) inTrack = true;
    else if (inTrack && l.startsWith('}')) inTrack = false;
    else if (inTrack && words[0]) names.add(words[0]);
    if (words[0] === 'interface' && words[1]) names.add(words[1]);
    words.forEach((w, i) => {
      if (w === 'dev' && words[i + 1]) names.add(words[i + 1]);
    });
  }
  return [...names].filter((n) => /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(n));
}

// Helpers for the daemon integration tests: start our daemon (the real CLI, a real process) in a
// lab host with a config string, one temp dir per node (config, pid files, notify log), notify
// scripts that append "<epoch seconds> <argv>" lines, and polling waits on log lines and on the
// addresses the kernel reports (`ip -j addr`).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Lab } from '../../../src/lab/lab.js';
import { watchProcess, type PeerProcess } from '../../../src/lab/keepalived-peer.js';

export const REPO = resolve(import.meta.dirname, '../../..');
const CLI = join(REPO, 'src/cli/main.ts');
// KT_DAEMON_CLI=bundle runs these tests against the built executable (dist/bin/keepalived-ts.mjs,
// `npm run build:bundle`) instead of the TypeScript sources: the same behaviour from both.
const CLI_ARGV = process.env.KT_DAEMON_CLI === 'bundle' ? [join(REPO, 'dist/bin/keepalived-ts.mjs')] : ['--import', 'tsx', CLI];

export interface DaemonNode extends PeerProcess {
  readonly host: string;
  readonly dir: string;
  readonly conf: string;
  readonly pidFile: string;
  readonly vrrpPidFile: string;
  /** Path of the notify log every `notifyScript()` line appends to. */
  readonly notifyLog: string;
  /** Exit code (null when killed by a signal) once exited. */
  exitCode(): Promise<number | null>;
  /** Notify log lines without the timestamp: "<tag> <args...>". */
  notifications(): string[];
  /** Notify log entries with their timestamps (seconds, wall clock). */
  notifyEntries(): { t: number; text: string }[];
  cleanup(): void;
}

/** A fresh temp dir for one node, readable by scripts. */
export function nodeDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `kt-daemon-${tag}-`));
  chmodSync(d, 0o755);
  return d;
}

/**
 * Writes an executable notify script into `dir` that appends "$(date +%s.%N) TAG [arg1] [arg2]..."
 * to dir/notify.log; returns its path. TAG tells the scripts apart (nm, nb, nf, ns, N ...).
 */
export function notifyScript(dir: string, tag: string): string {
  const p = join(dir, `notify-${tag}.sh`);
  // Each argument bracketed, so the exact argv is visible ("nm [a] [two words]").
  writeFileSync(p, `#!/bin/sh\nl=; for a in "$@"; do l="$l [$a]"; done\necho "$(date +%s.%N) ${tag}$l" >> "${join(dir, 'notify.log')}"\n`);
  chmodSync(p, 0o755);
  return p;
}

/** The entries `notifyScript()` scripts appended to dir/notify.log so far, with their timestamps (seconds, wall clock). */
export function readNotifyLog(dir: string): { t: number; text: string }[] {
  const log = join(dir, 'notify.log');
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const sp = l.indexOf(' ');
          return { t: Number(l.slice(0, sp)), text: l.slice(sp + 1) };
        })
    : [];
}

/** Starts our daemon (`node --import tsx src/cli/main.ts -f CONF -l -p .. -r ..`, or the bundle: KT_DAEMON_CLI) in lab host `host`. */
export function startDaemonNode(lab: Lab, host: string, config: string, opts: { dir?: string; extraArgs?: string[]; env?: Record<string, string> } = {}): DaemonNode {
  const dir = opts.dir ?? nodeDir(host);
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, config);
  const pidFile = join(dir, 'keepalived.pid');
  const vrrpPidFile = join(dir, 'vrrp.pid');
  const child = lab.spawn(host, ['node', ...CLI_ARGV, '-f', conf, '-l', '-p', pidFile, '-r', vrrpPidFile, ...(opts.extraArgs ?? [])], {
    cwd: REPO,
    env: { ...process.env, FORCE_COLOR: '0', ...opts.env },
  });
  const w = watchProcess(child);
  if (process.env.KT_DEBUG) {
    child.stdout?.on('data', (d: Buffer) => process.stderr.write(`[${host}] ${d.toString()}`));
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${host}] ${d.toString()}`));
  }
  const exitCode = new Promise<number | null>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode);
    else child.once('exit', (code) => r(code));
  });
  const notifyLog = join(dir, 'notify.log');
  const notifyEntries = () => readNotifyLog(dir);
  return {
    ...w,
    host,
    dir,
    conf,
    pidFile,
    vrrpPidFile,
    notifyLog,
    exitCode: () => exitCode,
    notifyEntries,
    notifications: () => notifyEntries().map((e) => e.text),
    cleanup() {
      w.signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The address waits live with the namespace fixture (shared by the fault and interop tests).
export { assertStableHolder, hasVip, holders, sleep, vipCount, waitSoleHolder, waitUntil, waitVip } from '../../helpers/netns-fixture.js';
import { waitUntil } from '../../helpers/netns-fixture.js';

/**
 * Log lines "(NAME) Entering STATE STATE" so far (also keepalived's start-up form "(NAME) entering
 * FAULT state" when a tracker faults the instance at start).
 */
export function stateLines(node: PeerProcess, instance: string): string[] {
  const re = new RegExp(`\\(${instance}\\) [Ee]ntering (\\w+) (?:STATE|state)`);
  return node.lines.map((l) => re.exec(l)?.[1]?.toUpperCase()).filter((s): s is string => s !== undefined);
}

/** A VRRP instance config block (IPv4 by default), with optional extra lines. */
export function instanceConf(o: {
  name?: string;
  iface?: string;
  vrid?: number;
  priority: number;
  state?: 'MASTER' | 'BACKUP';
  advertInt?: string | number;
  vips: string[];
  extra?: string[];
}): string {
  return [
    `vrrp_instance ${o.name ?? 'VI_1'} {`,
    `  state ${o.state ?? 'BACKUP'}`,
    `  interface ${o.iface ?? 'eth0'}`,
    `  virtual_router_id ${o.vrid ?? 51}`,
    `  priority ${o.priority}`,
    `  advert_int ${o.advertInt ?? 1}`,
    ...(o.extra ?? []).map((l) => `  ${l}`),
    '  virtual_ipaddress {',
    ...o.vips.map((v) => `    ${v}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

export const GLOBAL_DEFS = 'global_defs {\n  script_user root\n}\n';

/** RFC 3768/5798 timers in ms for priority `prio` (v2: skew in seconds, v3: in advert intervals). */
/**
 * Added to a Master_Down_Interval when a test checks, by polling `ip addr` from outside, that a
 * failover came "after about one down interval": the poll, the process spawns and the loaded
 * 2-core CI machine add seconds of their own. The bound still fails a takeover that waits for a
 * second down interval (v2, priority 100: 3.6 s + 3.6 s > 3.6 s + 3 s). Exact figures come from
 * bench/failover.mjs, not from tests.
 */
export const FAILOVER_SLACK_MS = 3000;

export function vrrpTimes(version: 2 | 3, prio: number, advertIntS: number): { skewMs: number; downMs: number } {
  const skewMs = version === 2 ? ((256 - prio) / 256) * 1000 : ((256 - prio) * advertIntS * 1000) / 256;
  return { skewMs, downMs: 3 * advertIntS * 1000 + skewMs };
}

/** Waits until the node's state log lines equal `expected` (log output may trail the kernel). */
/** Waits until the instance's most recent state lines are `tail` (the log line can trail the VIP change a test waited on). */
export async function waitLastStates(node: PeerProcess, instance: string, tail: string[], timeoutMs = 3000): Promise<void> {
  const last = (): string[] => stateLines(node, instance).slice(-tail.length);
  try {
    await waitUntil(`last states ${tail.join(',')}`, () => JSON.stringify(last()) === JSON.stringify(tail), timeoutMs);
  } catch {
    // Fail with the comparison below.
  }
  const { expect } = await import('vitest');
  expect(last()).toEqual(tail);
}

export async function waitStates(node: PeerProcess, instance: string, expected: string[], timeoutMs = 3000): Promise<void> {
  try {
    await waitUntil(`states ${expected.join(',')}`, () => JSON.stringify(stateLines(node, instance)) === JSON.stringify(expected), timeoutMs);
  } catch {
    // Fail with the comparison (a readable diff), not a timeout.
  }
  const { expect } = await import('vitest');
  expect(stateLines(node, instance)).toEqual(expected);
}

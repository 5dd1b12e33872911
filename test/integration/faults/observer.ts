// The observer of the fault tests (issue 10): a third lab host that sends frames built by scapy
// (an encoder independent of ours) through a small paced AF_PACKET sender (flood.c, compiled once
// per run), and watches the routers: their adverts as tcpdump sees them on the observer, their
// transmitted frame counters and their CPU time. Everything runs inside the lab's namespaces.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../../src/lab/lab.js';
import { watchProcess, type PeerProcess } from '../../../src/lab/keepalived-peer.js';

const HERE = import.meta.dirname;
const PY = '/usr/bin/python3';

export { hasCc, hasKeepalived, hasScapy, hasTcpdump } from '../../helpers/require.js';

let workDir: string | undefined;
let floodBin: string | undefined;
function work(): string {
  workDir ??= mkdtempSync(join(tmpdir(), 'kt-faults-'));
  return workDir;
}

/** Removes the compiled sender and frame files (call in the test's finally). */
export function removeObserverFiles(): void {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
  floodBin = undefined;
}

/** flood.c compiled into this run's temp dir. */
export function floodBinary(): string {
  if (!floodBin) {
    const out = join(work(), 'flood');
    execFileSync('cc', ['-O2', '-o', out, join(HERE, 'flood.c')], { stdio: 'pipe' });
    floodBin = out;
  }
  return floodBin;
}

export type FrameKind = 'lower' | 'priority0' | 'invalid' | 'ttl64' | 'checksum' | 'truncated' | 'version' | 'naddr255' | 'naddr0' | 'short6';
export const INVALID_KINDS = ['ttl64', 'checksum', 'truncated', 'version', 'naddr255', 'naddr0', 'short6'] as const;

/** Builds the frames of `kind` with scapy in the observer's namespace; returns the hex file. */
export function buildFrames(lab: Lab, host: string, kind: FrameKind, o: { vrid: number; src: string; vip: string; priority: number }): string {
  const hex = lab.exec(host, [PY, join(HERE, 'frames.py'), kind, String(o.vrid), o.src, o.vip, String(o.priority)]);
  const file = join(work(), `frames-${kind}-${o.vrid}-${o.priority}.hex`);
  writeFileSync(file, hex);
  return file;
}

export interface Flood {
  /** Resolves with the number of frames the sender queued. */
  readonly done: Promise<number>;
}

/** Sends the frames of `file` in rotation from `host` at `rate` per second for `seconds`. */
export function startFlood(lab: Lab, host: string, file: string, rate: number, seconds: number): Flood {
  const child = lab.spawn(host, [floodBinary(), 'eth0', String(rate), String(seconds), file]);
  const w = watchProcess(child);
  const done = w.exited().then(() => {
    const m = w.lines.map((l) => /^sent (\d+) in/.exec(l)).find((x) => x !== null);
    if (!m || child.exitCode !== 0) throw new Error(`flood failed (exit ${child.exitCode}): ${w.lines.join('\n')}`);
    return Number(m[1]);
  });
  return { done };
}

export interface AdvertCapture {
  /** Adverts seen so far: wall time (s, kernel timestamp) and priority. */
  readonly adverts: { t: number; prio: number }[];
  stop(): Promise<void>;
}

/** tcpdump on the observer's eth0 for the VRRP adverts sent from `src` (filtered in the kernel). */
export async function captureAdverts(lab: Lab, host: string, src: string): Promise<AdvertCapture> {
  const child = lab.spawn(host, ['tcpdump', '-i', 'eth0', '-l', '-n', '-tt', '-s', '96', `ip proto 112 and src host ${src}`]);
  const w: PeerProcess = watchProcess(child);
  await w.waitFor(/listening on/, 10_000);
  const adverts: { t: number; prio: number }[] = [];
  let seen = 0;
  const collect = () => {
    for (; seen < w.lines.length; seen++) {
      // 1733430000.123456 IP 192.0.2.11 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, ...
      const m = /^(\d+\.\d+) IP .*prio (\d+)/.exec(w.lines[seen]);
      if (m) adverts.push({ t: Number(m[1]), prio: Number(m[2]) });
    }
  };
  child.stdout?.on('data', () => setImmediate(collect));
  return {
    adverts,
    async stop() {
      await new Promise((r) => setTimeout(r, 100));
      w.signal('SIGINT');
      await w.exited();
      collect();
    },
  };
}

/** Frames a host has transmitted on eth0 (kernel counter). */
export function txPackets(lab: Lab, host: string): number {
  return Number(lab.exec(host, ['cat', '/sys/class/net/eth0/statistics/tx_packets']).trim());
}

/**
 * Largest gap (ms) between consecutive adverts whose time is within [from, to] (wall s). With
 * `edges`, the stretches from `from` to the first advert and from the last one to `to` count too,
 * so a sender that is quiet for the whole window scores the window's length rather than 0.
 */
export function maxGapMs(adverts: readonly { t: number }[], from: number, to: number, edges = false): number {
  const inside = adverts.map((a) => a.t).filter((t) => t >= from && t <= to);
  const ts = edges ? [from, ...inside, to] : inside;
  let max = 0;
  for (let i = 1; i < ts.length; i++) max = Math.max(max, (ts[i] - ts[i - 1]) * 1000);
  return max;
}

/** Most adverts in any window of `windowMs` starting at an advert. */
export function maxInWindow(adverts: readonly { t: number }[], windowMs: number): number {
  const ts = adverts.map((a) => a.t);
  let best = 0;
  for (let i = 0; i < ts.length; i++) {
    let j = i;
    while (j < ts.length && (ts[j] - ts[i]) * 1000 < windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

/** utime + stime of a process in seconds (from /proc), or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Wall clock in seconds, comparable with tcpdump's -tt timestamps. */
export const wallS = (): number => Date.now() / 1000;

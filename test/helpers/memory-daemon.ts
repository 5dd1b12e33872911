// The whole daemon in-process, without privileges: startDaemon on a RecordingKernel and a
// MemoryLan host in one VirtualTime, with its config, pid files and control socket in a temporary
// folder that goes when the test ends. Each node is a host 192.0.2.<n>/24 on eth0 (ifindex 2).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { startDaemon, type DaemonOptions, type RunningDaemon } from '../../src/core/daemon.js';
import { RecordingKernel } from '../../src/kernel/recording-kernel.js';
import { memoryLogger } from '../../src/lib/log.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { MemoryLan, type MemoryHost } from '../../src/net/memory-lan.js';
import { stepVirtual } from './memory-router.js';

export interface DaemonNode {
  readonly name: string;
  readonly dir: string;
  /** The config file the daemon is started with. */
  readonly file: string;
  readonly host: MemoryHost;
  readonly kernel: RecordingKernel;
  readonly records: Record<string, unknown>[];
  readonly pidFile: string;
  readonly vrrpPidFile: string;
  /** The messages logged so far, in order. */
  msgs(): string[];
  /** The kernel holds `address` on some interface. */
  holds(address: string): boolean;
  /** Rewrites the config file. */
  write(text: string): void;
  /** startDaemon with this node's seams; `extra` adds or overrides options. */
  start(extra?: Partial<DaemonOptions>): Promise<RunningDaemon>;
}

export interface DaemonNodeOptions {
  /** Files written into the node's folder (name -> text); default none besides `config`. */
  readonly files?: Readonly<Record<string, string>>;
  /** The config file's name in the folder (default keepalived.conf). */
  readonly configName?: string;
}

export interface DaemonLan {
  readonly time: VirtualTime;
  readonly lan: MemoryLan;
  /** Moves virtual time on by `msTotal` in 10 ms steps. */
  run(msTotal: number): Promise<void>;
  /** A node whose config file holds `config` (undefined: only `o.files`). */
  node(name: string, n: number, config: string | undefined, o?: DaemonNodeOptions): DaemonNode;
  /** Starts `a` then `b` and runs 5 s: VI_1 is MASTER on `a` and BACKUP on `b`. */
  electPair(a: Startable, b: Startable): Promise<[RunningDaemon, RunningDaemon]>;
  /** Stops every daemon the nodes of this LAN started (stopDaemons). */
  stopAll(): Promise<void>;
}

export interface Startable {
  start(): Promise<RunningDaemon>;
}

export function daemonLan(): DaemonLan {
  const time = new VirtualTime();
  const lan = new MemoryLan({ scheduler: time });
  const run = (msTotal: number): Promise<void> => stepVirtual(time, msTotal);
  const started: RunningDaemon[] = [];
  const node = (name: string, n: number, config: string | undefined, o: DaemonNodeOptions = {}): DaemonNode => {
    const dir = mkdtempSync(join(tmpdir(), `kt-daemon-${name}-`));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, o.configName ?? 'keepalived.conf');
    if (config !== undefined) writeFileSync(file, config);
    for (const [f, text] of Object.entries(o.files ?? {})) writeFileSync(join(dir, f), text);
    const ip = `192.0.2.${n}`;
    const host = lan.addHost(name, { ifname: 'eth0', ifindex: 2, addresses: [ip] });
    const kernel = new RecordingKernel([
      { name: 'lo', ifindex: 1 },
      { name: 'eth0', ifindex: 2, mac: host.mac },
    ]);
    kernel.seedAddress({ address: ip, prefixLength: 24, dev: 'eth0' });
    const { log, records } = memoryLogger('debug');
    const pidFile = join(dir, 'keepalived.pid');
    const vrrpPidFile = join(dir, 'vrrp.pid');
    return {
      name,
      dir,
      file,
      host,
      kernel,
      records,
      pidFile,
      vrrpPidFile,
      msgs: () => records.map((r) => String(r.msg)),
      holds: (address) => kernel.snapshot().addresses.some((a) => a.address === address),
      write: (text) => writeFileSync(file, text),
      async start(extra = {}) {
        const d = await startDaemon({ configFile: file, configId: name, kernel, io: host, clock: time, oneShot: time.oneShot, log, signals: false, pidFile, vrrpPidFile, ...extra });
        started.push(d);
        return d;
      },
    };
  };
  const electPair = async (a: Startable, b: Startable): Promise<[RunningDaemon, RunningDaemon]> => {
    const da = await a.start();
    const db = await b.start();
    await run(5000);
    expect(da.status()).toMatchObject({ vrrp: { instances: [{ name: 'VI_1', state: 'MASTER' }] } });
    expect(db.status()).toMatchObject({ vrrp: { instances: [{ name: 'VI_1', state: 'BACKUP' }] } });
    return [da, db];
  };
  return { time, lan, run, node, electPair, stopAll: () => stopDaemons(run, ...started) };
}

/**
 * Stops the daemons (undefined: not started or already stopped; a second stop is the first one's)
 * while virtual time runs 2 s, so their priority-0 adverts and VIP removals happen; nothing when
 * none is given.
 */
export async function stopDaemons(run: (msTotal: number) => Promise<void>, ...daemons: (RunningDaemon | undefined)[]): Promise<void> {
  const stops = daemons.filter((d) => d !== undefined).map((d) => d.stop());
  if (stops.length === 0) return;
  await run(2000);
  await Promise.all(stops);
}

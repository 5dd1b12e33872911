// The shared fixture of the namespace tests: one Lab (src/lab/lab.ts: a switch namespace with a
// bridge, host namespaces plugged into it by veth pairs, all names under one unique prefix) per
// test, and everything the test starts in it (our daemons, keepalived peers, tcpdump captures,
// other processes) recorded so that one `finally` ends them by PID and deletes the namespaces.
// Inside a test the same clean-up is also registered with vitest's onTestFinished, so it runs
// when the test times out too (vitest then abandons the body: its `finally` would come late or
// never, and the namespaces and processes would stay behind for the next tests).
// Also the polling waits on the addresses the kernel reports (`ip -j addr`) that the daemon,
// fault and interop tests share.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import { startKeepalived, watchProcess, type KeepalivedPeer, type PeerProcess } from '../../src/lab/keepalived-peer.js';
import { startDaemonNode, type DaemonNode } from '../integration/daemon/daemon-lab.js';
import { isRoot, itWhen, type Prereq } from './require.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until true; returns the time it became true (ms, performance.now) or throws. */
export async function waitUntil(what: string, cond: () => boolean, timeoutMs: number, everyMs = 20): Promise<number> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (cond()) return performance.now();
    if (performance.now() > end) throw new Error(`timeout (${timeoutMs} ms) waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** True when `vip` (address without prefix) is on the host's eth0. */
export function hasVip(lab: Lab, host: string, vip: string): boolean {
  return lab.addresses(host).some((a) => a.split('/')[0] === vip);
}

/** How many times `vip` appears on the host's eth0 (catches duplicates). */
export function vipCount(lab: Lab, host: string, vip: string): number {
  return lab.addresses(host).filter((a) => a.split('/')[0] === vip).length;
}

/** Hosts among `hosts` holding `vip` right now. */
export function holders(lab: Lab, hosts: readonly string[], vip: string): string[] {
  return hosts.filter((h) => hasVip(lab, h, vip));
}

/** Waits until exactly `host` (and no other of `hosts`) holds `vip`; returns performance.now() then. */
export function waitSoleHolder(lab: Lab, hosts: readonly string[], host: string, vip: string, timeoutMs: number, everyMs = 20): Promise<number> {
  return waitUntil(`${host} sole holder of ${vip}`, () => {
    const h = holders(lab, hosts, vip);
    return h.length === 1 && h[0] === host;
  }, timeoutMs, everyMs);
}

/** Waits until `host` holds `vip` (others may still hold it), or no longer does; returns performance.now() then. */
export function waitVip(lab: Lab, host: string, vip: string, present: boolean, timeoutMs: number, everyMs = 10): Promise<number> {
  return waitUntil(`${vip} ${present ? 'on' : 'off'} ${host}`, () => hasVip(lab, host, vip) === present, timeoutMs, everyMs);
}

/**
 * Checks for `ms` that exactly one of `hosts` holds `vip` at every poll (every 100 ms), and that
 * it is `host`. Returns the number of polls.
 */
export async function assertStableHolder(lab: Lab, hosts: readonly string[], host: string, vip: string, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    const h = holders(lab, hosts, vip);
    if (h.length !== 1 || h[0] !== host) throw new Error(`expected only ${host} to hold ${vip}, holders: [${h.join(', ')}] after ${n} polls`);
    n++;
    await sleep(100);
  }
  return n;
}

/** The two-host IPv4 segment most tests use: a is 192.0.2.11, b is 192.0.2.12. */
export const V4_PAIR = { a: '192.0.2.11/24', b: '192.0.2.12/24' } as const;
/** Our daemon in host a beside keepalived in host k (the side-by-side tests). */
export const BESIDE_KEEPALIVED = { k: '192.0.2.21/24', a: '192.0.2.11/24' } as const;

/** A running tcpdump; `stop()` ends it (SIGTERM) and returns every line it printed. */
export interface Capture extends PeerProcess {
  stop(): Promise<string[]>;
}

export interface CaptureOptions {
  /** Capture on this host's switch port, frames coming from the host only (`-Q in`). */
  port?: string;
  /** Interface in the switch namespace otherwise (default `any`: every port, each frame once per port). */
  iface?: string;
  /** More tcpdump flags, before the filter (`-v`, `-e`, `-tt` ...). */
  args?: string[];
}

export class NetnsFixture {
  readonly lab: Lab;
  private readonly cleanups: (() => void)[] = [];
  private destroyed = false;

  constructor(tag: string) {
    this.lab = new Lab(tag);
  }

  /** Adds hosts by name with their eth0 addresses (none: link-local only); returns the names. */
  hosts(spec: Readonly<Record<string, string | readonly string[] | undefined>>): string[] {
    for (const [name, a] of Object.entries(spec)) this.lab.addHost({ name, addresses: a === undefined ? [] : typeof a === 'string' ? [a] : [...a] });
    return Object.keys(spec);
  }

  /**
   * Runs `fn` at clean-up (before the namespaces go), in the order registered. Once the fixture
   * is destroyed (a body still running after its test timed out), `fn` runs at once.
   */
  onCleanup(fn: () => void): void {
    if (!this.destroyed) {
      this.cleanups.push(fn);
      return;
    }
    try {
      fn();
    } catch {
      /* already gone */
    }
  }

  /** Our daemon (the real CLI) in `host`; see startDaemonNode. */
  daemon(host: string, config: string, opts: { dir?: string; extraArgs?: string[] } = {}): DaemonNode {
    const n = startDaemonNode(this.lab, host, config, opts);
    this.onCleanup(() => n.cleanup());
    return n;
  }

  /**
   * Our daemon in `host`, once it has logged its first "Entering BACKUP STATE" (it runs before the
   * test acts). The deadline covers a cold `node --import tsx` start on a loaded 2-core machine
   * (tens of seconds when other test files start daemons too); a daemon that exits first fails
   * at once with its output.
   */
  async backup(host: string, config: string, opts: { dir?: string; extraArgs?: string[] } = {}, timeoutMs = 90_000): Promise<DaemonNode> {
    const n = this.daemon(host, config, opts);
    const re = /Entering BACKUP STATE/;
    const seen = await Promise.race([n.waitFor(re, timeoutMs).then(() => true, (e: unknown) => e as Error), n.exited().then(() => false)]);
    if (seen instanceof Error) throw seen;
    if (!seen && !n.lines.some((l) => re.test(l))) throw new Error(`daemon ${host} exited before "Entering BACKUP STATE":\n${n.lines.slice(-20).join('\n')}`);
    return n;
  }

  /** keepalived 2.2.7 (`--vrrp -n -l -D`) in `host`. */
  keepalived(host: string, config: string, extraArgs: string[] = []): KeepalivedPeer {
    const k = startKeepalived(this.lab, host, config, extraArgs);
    this.onCleanup(() => k.cleanup());
    return k;
  }

  /** Watches a process the test spawned (outside the lab's hosts); it is killed at clean-up. */
  watch(child: ChildProcess): PeerProcess {
    const w = watchProcess(child);
    this.onCleanup(() => w.signal('SIGKILL'));
    return w;
  }

  /** tcpdump in the switch namespace (`-n -l`), once it is listening. */
  async capture(filter: string, o: CaptureOptions = {}): Promise<Capture> {
    const where = o.port !== undefined ? ['-i', this.lab.switchPort(o.port), '-Q', 'in'] : ['-i', o.iface ?? 'any'];
    const argv = ['netns', 'exec', this.lab.switchNs, 'tcpdump', ...where, '-n', '-l', ...(o.args ?? []), filter];
    const w = this.watch(spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
    await w.waitFor(/listening on/, 10_000);
    return {
      ...w,
      async stop() {
        w.signal('SIGTERM');
        await w.exited();
        return w.lines;
      },
    };
  }

  /** Ends everything started through the fixture, then deletes the namespaces (once; later calls do nothing). */
  destroy(): void {
    this.destroyed = true;
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        /* already gone */
      }
    }
    this.lab.destroy();
  }
}

/**
 * Registers `fn` to run when the current test ends, passed, failed or timed out. Outside a
 * running test (a hook, a script) there is nothing to register with: the caller's `finally` is
 * the clean-up then.
 */
function whenTestEnds(fn: () => void): void {
  try {
    onTestFinished(fn);
  } catch {
    /* not inside a test */
  }
}

/** Runs `body` with a fresh fixture (`tag`: a short marker in the namespace names) and destroys it afterwards. */
export async function withNetns<T>(tag: string, body: (f: NetnsFixture) => Promise<T>): Promise<T> {
  const f = new NetnsFixture(tag);
  whenTestEnds(() => f.destroy());
  try {
    return await body(f);
  } finally {
    f.destroy();
  }
}

/**
 * `it` for a namespace test: root (and `prereqs`) required through itWhen, so that a missing one
 * fails in CI and skips with one line elsewhere; each test runs in its own fixture.
 */
export function netnsIt(tag: string, ...prereqs: Prereq[]) {
  const t = itWhen(isRoot, ...prereqs);
  return (title: string, timeoutMs: number, body: (f: NetnsFixture) => Promise<void>): void => {
    t(title, { timeout: timeoutMs }, () => withNetns(tag, body));
  };
}

/**
 * One lab for all the tests of a describe block (created in beforeAll when running as root, so
 * the tests' itWhen(isRoot) decides; destroyed in afterAll). `ready` receives it once the hosts
 * are plugged in.
 */
export function sharedNetns(tag: string, hosts: Readonly<Record<string, string | readonly string[] | undefined>>, ready: (f: NetnsFixture) => void): void {
  let f: NetnsFixture | undefined;
  beforeAll(() => {
    if (isRoot() !== undefined) return;
    f = new NetnsFixture(tag);
    f.hosts(hosts);
    ready(f);
  });
  afterAll(() => f?.destroy());
}

/**
 * A lone namespace with a unique name (no switch): a veth pair v0/v1, both up, 192.0.2.1/24 on
 * v0, so that one keepalived has a link to run on. After `body`, whatever still runs in it is
 * killed and the namespace deleted.
 */
export async function withVethNs<T>(tag: string, body: (ns: string) => Promise<T>): Promise<T> {
  const ns = `kt${tag.slice(0, 4)}${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'ignore' });
  ip('netns', 'add', ns);
  let gone = false;
  const remove = (): void => {
    if (gone) return;
    gone = true;
    try {
      for (const p of execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      ip('netns', 'del', ns);
    } catch {
      /* already gone */
    }
  };
  whenTestEnds(remove);
  try {
    ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    ip('-n', ns, 'link', 'set', 'v0', 'up');
    ip('-n', ns, 'link', 'set', 'v1', 'up');
    ip('-n', ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'v0');
    return await body(ns);
  } finally {
    remove();
  }
}

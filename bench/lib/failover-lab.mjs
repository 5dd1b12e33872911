// Building blocks of the failover benchmark: daemons in lab hosts (ours from the compiled tree,
// keepalived 2.2.7), a tcpdump capture in an observer host decoded by tshark, an
// `ip -ts monitor address` watcher, /proc sampling, and a wall clock with microsecond
// resolution that matches the kernel's packet timestamps (CLOCK_REALTIME).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- wall clock ------------------------------------------------------------------------------
// performance.now() is monotonic; capture and `ip -ts` times are CLOCK_REALTIME. The offset is
// taken at a millisecond edge of Date.now() (so it is good to a few microseconds) and refreshed
// before each measurement, so clock slewing over a long run does not accumulate.
let offsetMs = 0;
export function syncWallClock() {
  const d0 = Date.now();
  let d;
  let p;
  do {
    p = performance.now();
    d = Date.now();
  } while (d === d0);
  offsetMs = d - p;
}
/** Wall-clock time in seconds (float, µs resolution). */
export const wallS = () => (offsetMs + performance.now()) / 1000;

// --- processes ---------------------------------------------------------------------------------

/** Line capture and waiting on output for a child process. */
export function watch(child, onLine) {
  const lines = [];
  const waiters = [];
  let partial = '';
  const onData = (d) => {
    partial += d.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      const t = wallS();
      lines.push({ t, line });
      onLine?.(line, t);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].re.test(line)) {
          waiters[i].resolve({ t, line });
          waiters.splice(i, 1);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
  return {
    child,
    lines,
    exited: () => exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    waitFor(re, timeoutMs = 15_000) {
      const hit = lines.find((l) => re.test(l.line));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const tm = setTimeout(() => reject(new Error(`timeout waiting for ${re}; last lines:\n${lines.slice(-10).map((l) => l.line).join('\n')}`)), timeoutMs);
        waiters.push({ re, resolve: (v) => (clearTimeout(tm), resolve(v)) });
      });
    },
    signal(sig) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, sig);
    },
  };
}

/** PIDs of every process in a namespace (all started by this benchmark). */
export function nsPids(netns) {
  const r = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter(Boolean).map(Number);
}

/** PIDs of the processes whose ancestor is `pid` (from /proc/PID/stat ppid). */
export function descendants(pid) {
  const parentOf = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      parentOf.set(Number(d), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited */
    }
  }
  const out = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    for (const [c, pp] of parentOf) if (pp === p) (out.push(c), todo.push(c));
  }
  return out;
}

/**
 * Starts a daemon in a lab host. impl 'ours' runs the compiled CLI (`node DIST/src/cli/main.js`),
 * 'keepalived' runs `keepalived --vrrp -n -l -D` with private pid files.
 */
/** Our executable: the esbuild bundle (DIST/bin, what the package's bin runs) when built, else tsc's main.js. */
export function ourCli(dist) {
  const bundle = join(dist, 'bin/keepalived-ts.mjs');
  return existsSync(bundle) ? bundle : join(dist, 'src/cli/main.js');
}

/** `cmd`, when given, is the argv prefix that runs ours (e.g. the launcher `DIST/bin/keepalived-ts`). */
export function startDaemon(lab, impl, host, config, dist, cmd = [process.execPath, ourCli(dist)]) {
  const dir = mkdtempSync(join(tmpdir(), `kt-bench-${impl}-`));
  chmodSync(dir, 0o755);
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, config);
  const argv =
    impl === 'ours'
      ? [...cmd, '-f', conf, '-l', '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid')]
      : ['keepalived', '-n', '-l', '-D', '--vrrp', '-f', conf, '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid'), '-c', join(dir, 'c.pid'), '-b', join(dir, 'b.pid')];
  const spawnedAt = wallS();
  // Without NODE_EXTRA_CA_CERTS: a developer or CI shell may set it, and Node then parses that CA
  // bundle at every start (~80 ms of CPU here) before any of our code runs; a daemon started by
  // systemd or an init script does not inherit it. keepalived ignores it either way.
  const { NODE_EXTRA_CA_CERTS: _ca, ...env } = process.env;
  const child = lab.spawn(host, argv, { env: { ...env, FORCE_COLOR: '0' } });
  const w = watch(child);
  return {
    ...w,
    impl,
    host,
    spawnedAt,
    netns: lab.host(host).netns,
    /** Every process of the daemon (keepalived: the parent, its VRRP child and any script). */
    pids() {
      return child.pid === undefined ? [] : [child.pid, ...descendants(child.pid)];
    },
    /** kill -9 of every process of the daemon (keepalived: children first). */
    kill9() {
      if (impl === 'keepalived' && child.pid !== undefined) {
        for (const p of descendants(child.pid)) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      w.signal('SIGKILL');
    },
    async stop() {
      w.signal('SIGTERM');
      const tm = setTimeout(() => this.kill9(), 5000);
      await w.exited();
      clearTimeout(tm);
      // keepalived's VRRP child exits after its parent has been told; wait for it.
      const rest = descendants(child.pid);
      for (let i = 0; i < 100 && rest.some((p) => existsSync(`/proc/${p}`)); i++) await sleep(20);
    },
    cleanup() {
      try {
        this.kill9();
      } catch {
        /* gone */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Ends daemon `d` for the next round: kill -9, every process of it gone, its files removed and
 * `vip` (address/len) taken off eth0 of its host if it is still there.
 */
export async function killForNextRound(lab, d, vip) {
  d.kill9();
  await d.exited();
  await waitUntil('daemon processes gone', () => nsPids(d.netns).length === 0, 5000, 10);
  d.cleanup();
  try {
    lab.exec(d.host, ['ip', 'addr', 'del', vip, 'dev', 'eth0']);
  } catch {
    /* not there */
  }
}

// --- address watcher ---------------------------------------------------------------------------

/** `ip -ts monitor address` in a host: records when an address appears/disappears. */
export function watchAddresses(lab, host) {
  const child = lab.spawn(host, ['ip', '-ts', 'monitor', 'address']);
  const events = [];
  // [2026-11-22T04:12:07.449344] 3: v0    inet 192.0.2.5/24 scope global v0
  const re = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\]\s+(Deleted\s+)?\d+:\s+\S+\s+inet6?\s+([0-9a-f.:]+)\//;
  const w = watch(child, (line, seenAt) => {
    const m = re.exec(line);
    if (!m) return;
    // ip prints local time without a zone; Date parses such a string as local time too.
    events.push({ t: new Date(m[1]).getTime() / 1000 + Number(`0.${m[2]}`), added: !m[3], addr: m[4], seenAt });
  });
  return {
    events,
    /** First time `addr` was added at or after `after` (s), or undefined. */
    firstAdd(addr, after) {
      return events.find((e) => e.added && e.addr === addr && e.t >= after)?.t;
    },
    stop: () => w.signal('SIGTERM'),
  };
}

// --- capture -----------------------------------------------------------------------------------

/** tcpdump in a host (the observer) writing a pcap; stop() ends it by PID. */
export async function startCapture(lab, host, filter = 'vrrp or arp or ip6 proto 112') {
  const dir = mkdtempSync(join(tmpdir(), 'kt-bench-cap-'));
  const file = join(dir, 'cap.pcap');
  const child = lab.spawn(host, ['tcpdump', '-i', 'eth0', '-U', '-n', '-s', '200', '-w', file, filter]);
  const w = watch(child);
  await w.waitFor(/listening on/, 10_000);
  return {
    file,
    async stop() {
      await sleep(100);
      w.signal('SIGINT');
      await w.exited();
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The packets of a pcap that match display filter `filter`: per packet, its `fields` as text, in order. */
function tsharkFields(file, filter, fields) {
  const r = spawnSync('tshark', ['-r', file, '-n', '-Y', filter, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`tshark: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
}

/** VRRP packets of a pcap: { t, src, ethSrc, prio, vrid }. */
export function decodeAdverts(file) {
  return tsharkFields(file, 'vrrp', ['frame.time_epoch', 'ip.src', 'ipv6.src', 'eth.src', 'vrrp.prio', 'vrrp.virt_rtr_id']).map((c) => ({
    t: Number(c[0]),
    src: c[1] || c[2],
    ethSrc: c[3],
    prio: Number(c[4]),
    vrid: Number(c[5]),
  }));
}

/** Gratuitous ARP requests (sender = target = an address): { t, ethSrc, ip }. */
export function decodeGarps(file) {
  return tsharkFields(file, 'arp.opcode == 1 && arp.src.proto_ipv4 == arp.dst.proto_ipv4', ['frame.time_epoch', 'eth.src', 'arp.src.proto_ipv4']).map((c) => ({ t: Number(c[0]), ethSrc: c[1], ip: c[2] }));
}

// --- /proc ---------------------------------------------------------------------------------------

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime+stime (seconds) and RSS (KiB) of a process, or undefined if gone. */
export function procSample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after ")": state(0) ... utime(11) stime(12)
    const cpuS = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuS, rssKiB };
  } catch {
    return undefined;
  }
}

/** The MAC of a lab host's eth0. */
export function macOf(lab, host) {
  return JSON.parse(lab.exec(host, ['ip', '-j', 'link', 'show', 'dev', 'eth0']))[0].address;
}

export function hasAddr(lab, host, addr) {
  return lab.addresses(host).some((a) => a.split('/')[0] === addr);
}

export async function waitUntil(what, cond, timeoutMs, everyMs = 20) {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (cond()) return;
    if (performance.now() > end) throw new Error(`timeout (${timeoutMs} ms) waiting for ${what}`);
    await sleep(everyMs);
  }
}

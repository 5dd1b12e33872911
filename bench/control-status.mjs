#!/usr/bin/env node
// What the control socket and the metrics cost, on a large status: 100 VRRP instances and 20
// virtual servers of 50 real servers each (1,000), served by the real ControlServer in this
// process over a unix socket in a temp dir (no network):
//   1. a `status` request's round trip (one client, requests one after another);
//   2. rendering the Prometheus text for the same document;
//   3. `keepalived-ts status --json` (the bundle) end to end, process start included;
//   4. how late a 10 ms timer (an advert timer's stand-in) fires on the daemon's thread, idle and
//      while 8 clients in another process flood the socket with pipelined status requests.
//
//   node bench/control-status.mjs [--requests 300] [--cli-runs 10] [--seconds 5] [--instances 100] [--vs 20] [--reals 50]
// Output: one JSON line per measurement (medians, p99, max in ms).
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDist } from './lib/dist.mjs';
import { optNumber as opt, repo } from './lib/cli.mjs';

const REQUESTS = opt('requests', 300);
const CLI_RUNS = opt('cli-runs', 10);
const SECONDS = opt('seconds', 5);
const NINST = opt('instances', 100);
const NVS = opt('vs', 20);
const NRS = opt('reals', 50);

const dist = benchDist(repo);
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { ControlServer } = await load('src/core/control-server.js');
const { renderMetrics } = await load('src/core/metrics.js');
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, level: 'silent', isLevelEnabled: () => false };

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const summary = (xs) => ({ n: xs.length, median: +quantile(xs, 0.5).toFixed(3), p99: +quantile(xs, 0.99).toFixed(3), max: +Math.max(...xs).toFixed(3) });

const doc = {
  schema: 1,
  daemon: { pid: process.pid, version: 'bench', compatVersion: '2.2.7', configFile: '/etc/keepalived/keepalived.conf', configId: 'bench', startedAt: new Date().toISOString(), uptimeSeconds: 1 },
  vrrp: {
    instances: Array.from({ length: NINST }, (_, i) => ({
      name: `VI_${i}`,
      state: i % 2 ? 'MASTER' : 'BACKUP',
      interface: 'eth0',
      vrid: i + 1,
      version: 2,
      family: 'inet',
      priority: { base: 150, effective: 90, faults: [], trackers: [{ type: 'interface', name: 'eth0', weight: 0, reverse: false, status: 'up', effect: 0 }, { type: 'script', name: 'chk', weight: -60, reverse: false, status: 'failed', effect: -60 }] },
      master: '192.0.2.12',
      vips: [{ address: `198.51.100.${i}/24`, installed: i % 2 === 1 }],
      lastTransition: { at: new Date().toISOString(), from: 'MASTER', to: 'BACKUP', reason: 'higher-priority-advert' },
      transitions: { BACKUP: 2, MASTER: 1 },
      counters: { advertsSent: 1000, advertsReceived: 5000, becameMaster: 1, releasedMaster: 1, priorityZeroSent: 0, priorityZeroReceived: 0 },
      drops: { ttl: 1 },
    })),
  },
  ipvs: {
    state: 'active',
    error: null,
    virtualServers: Array.from({ length: NVS }, (_, v) => ({
      name: `[192.0.2.${v + 1}]:tcp:80`,
      quorumUp: true,
      inTable: true,
      sorryServer: null,
      realServers: Array.from({ length: NRS }, (_, r) => ({ name: `[10.${v}.0.${r + 1}]:tcp:80`, up: r % 7 !== 0, weight: 1, pool: 'live', checkersUp: 1, checkers: 1, lastResult: 'connect success', lastLatencyMs: 0.4 })),
    })),
  },
};

const dir = mkdtempSync(join(tmpdir(), 'kt-bench-ctl-'));
const path = join(dir, 'k-ts.ctl');
const server = await ControlServer.open({ path, log: silent, handlers: { status: () => doc, reload: async () => ({ outcome: 'unchanged', diagnostics: [], changes: [] }) } });

// 1. Round trips on one connection.
{
  const c = createConnection({ path });
  await new Promise((r) => c.once('connect', r));
  let buf = '';
  let waiting;
  c.on('data', (d) => {
    buf += d;
    const nl = buf.indexOf('\n');
    if (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      waiting(line);
    }
  });
  const times = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const line = await new Promise((r) => {
      waiting = r;
      c.write('{"cmd":"status"}\n');
    });
    JSON.parse(line);
    times.push(performance.now() - t0);
    bytes = line.length;
  }
  c.destroy();
  console.log(JSON.stringify({ what: `status round trip over the socket (${NINST} instances, ${NVS * NRS} real servers)`, answerBytes: bytes, ms: summary(times) }));
}

// 2. Metrics rendering.
{
  const times = [];
  let size = 0;
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    size = renderMetrics({ status: doc, reloads: {}, loopLag: { p50: 0, p99: 0, max: 0 } }).length;
    times.push(performance.now() - t0);
  }
  console.log(JSON.stringify({ what: 'render the metrics text for the same document', bytes: size, ms: summary(times) }));
}

// 3. The CLI end to end. The server answers from this process, so it must keep running: the
// client is spawned asynchronously.
{
  const bin = join(dist, 'bin/keepalived-ts.mjs');
  const { spawn } = await import('node:child_process');
  const times = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const t0 = performance.now();
    const code = await new Promise((r) => {
      const p = spawn(process.execPath, [bin, 'status', '--json', '--control-socket', path], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('close', r);
    });
    if (code !== 0) throw new Error(`status exited ${code}`);
    times.push(performance.now() - t0);
  }
  console.log(JSON.stringify({ what: 'keepalived-ts status --json (bundle), process start to exit', ms: summary(times) }));
}

// 4. Timer lateness, idle and under a flood. The flooding clients run in another process, as
// they would: 8 connections, each keeping 20 status requests in flight and reading the answers.
const FLOODER = `
const { createConnection } = require('node:net');
for (let i = 0; i < 8; i++) {
  const c = createConnection({ path: process.argv[1] });
  let inFlight = 0, buf = 0;
  c.on('error', () => {});
  const top = () => { while (inFlight < 20) { inFlight++; c.write('{"cmd":"status"}\\n'); } };
  c.on('data', (d) => { for (const b of d) if (b === 10) inFlight--; top(); });
  c.on('connect', top);
}`;
async function lateness(seconds, flood) {
  const late = [];
  const { spawn } = await import('node:child_process');
  const flooder = flood ? spawn(process.execPath, ['-e', FLOODER, path], { stdio: 'ignore' }) : undefined;
  if (flooder) await new Promise((r) => setTimeout(r, 500));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = performance.now() + seconds * 1000;
  let due = performance.now() + 10;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      late.push(now - due);
      if (now > end) return resolve();
      due += 10;
      setTimeout(tick, Math.max(0, due - performance.now()));
    };
    setTimeout(tick, 10);
  });
  flooder?.kill('SIGKILL');
  const cpu = process.cpuUsage(cpu0);
  late.cpuShare = +((cpu.user + cpu.system) / 1000 / (performance.now() - t0)).toFixed(2);
  return late;
}
const idle = await lateness(SECONDS, false);
console.log(JSON.stringify({ what: '10 ms timer lateness, idle', cpuShare: idle.cpuShare, ms: summary(idle) }));
const flooded = await lateness(SECONDS, true);
console.log(JSON.stringify({ what: '10 ms timer lateness, 8 clients flooding status', cpuShare: flooded.cpuShare, ms: summary(flooded) }));

await server.close();
rmSync(dir, { recursive: true, force: true });

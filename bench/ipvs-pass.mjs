#!/usr/bin/env node
// IPVS manager passes over a large director: 1,000 virtual servers x 10 real servers (the
// generated config of the parse benchmark, DR, TCP_CHECK), against the in-memory
// RecordingIpvsKernel, so the figures are our own computation (desired + dump + reconcile),
// not the kernel's. Reports, medians of N runs:
//   * the first pass: operations issued (one per service and per real server) and its time;
//   * a pass over a table that already matches: operations issued (must be 0) and its time;
//   * a pass after one real server went down: operations issued (1) and its time;
//   * a pass after one real server was deleted behind our back: operations issued (1).
// Times are CPU time of the process (process.cpuUsage), which machine load disturbs less than wall time.
//   node bench/ipvs-pass.mjs [--runs N] [--no-write]
// Uses the compiled tree from bench/lib/dist.mjs (KT_DIST to reuse one).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { benchDist } from './lib/dist.mjs';
import { generateConfig } from './lib/gen-config.mjs';
import { median, minMax, fmtMs } from './lib/stats.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { args, optNumber, repo } from './lib/cli.mjs';

const RUNS = optNumber('--runs', 9);
const WRITE = !args.includes('--no-write');
const dist = benchDist(repo);
const load = (p) => import(pathToFileURL(join(dist, p)).href);

const { parseConfigText } = await load('src/config/parse.js');
const { buildModel } = await load('src/config/build-model.js');
const { DiagnosticSink } = await load('src/lib/diagnostics.js');
const { IpvsManager } = await load('src/ipvs/manager.js');
const { RecordingIpvsKernel } = await load('src/kernel/recording-ipvs-kernel.js');
const { VirtualTime } = await load('src/lib/virtual-time.js');
const { memoryLogger } = await load('src/lib/log.js');
const { realServerKey } = await load('src/config/lvs-ids.js');

const sink = new DiagnosticSink();
const model = buildModel(parseConfigText(generateConfig({ instances: 1, virtualServers: 1000, realServers: 10 }), 'bench.conf', {}, sink), sink);
const vs0 = model.virtualServers[0];
const rsKey = realServerKey(vs0.realServers[0], vs0);

/** CPU time (user + system) since `from`, in ms: steadier than wall time on a shared machine. */
const cpuMs = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};
const rows = { first: [], noop: [], down: [] };
const ops = { first: new Set(), noop: new Set(), down: new Set(), repair: new Set() };
for (let i = 0; i < RUNS; i++) {
  const kernel = new RecordingIpvsKernel();
  const health = new Map();
  const m = new IpvsManager({ config: model, kernel, log: memoryLogger('warn').log, timers: new VirtualTime(), health: () => health, passIntervalMs: 0 });
  let t = process.cpuUsage();
  let r = await m.start();
  rows.first.push(cpuMs(t));
  ops.first.add(r.ops.length);
  t = process.cpuUsage();
  r = await m.requestPass('periodic');
  rows.noop.push(cpuMs(t));
  ops.noop.add(r.ops.length);
  health.set(rsKey, { up: false });
  t = process.cpuUsage();
  r = await m.requestPass('health');
  rows.down.push(cpuMs(t));
  ops.down.add(r.ops.length);
  const key = kernel.snapshot()[1].service.key;
  const d = kernel.snapshot()[1].dests[0];
  kernel.external([{ op: 'deleteDest', key, dest: d }]);
  r = await m.requestPass('periodic');
  ops.repair.add(r.ops.length);
}

const fmt = (xs) => {
  const { min, max } = minMax(xs);
  return `${fmtMs(median(xs))} (${fmtMs(min)}-${fmtMs(max)})`;
};
const one = (s) => [...s].join('/');
const body = `## IPVS manager passes (src/ipvs/)

\`node bench/ipvs-pass.mjs --runs ${RUNS}\` (Node ${process.version}, 1-min load average ${loadavg()[0].toFixed(1)}): the
IPVS manager over the in-memory RecordingIpvsKernel, 1,000 virtual servers x 10 real servers
(bench/lib/gen-config.mjs). CPU time (user + system, garbage collection included) of one pass:
desired state, table dump, reconcile, apply to the in-memory table; median (min-max) of ${RUNS}
runs. Kernel time is not included (no IPVS on this machine).

| pass | kernel operations | CPU time |
|---|---|---|
| first (empty table) | ${one(ops.first)} | ${fmt(rows.first)} |
| table already matches | ${one(ops.noop)} | ${fmt(rows.noop)} |
| one real server down | ${one(ops.down)} | ${fmt(rows.down)} |
| one dest deleted behind our back | ${one(ops.repair)} | - |
`;
console.log(body);
if (WRITE) writeSection(join(repo, 'docs/BENCHMARKS.md'), 'ipvs-pass', body);

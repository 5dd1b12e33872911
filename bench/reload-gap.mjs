#!/usr/bin/env node
// Reload benchmark: how late an advert timer fires while a reload reads a large config, with
// the config read in the daemon's reader thread (src/core/config-worker.ts, what SIGHUP does)
// and on the event loop itself (`inProcess`, what it would cost without the thread).
//
//   node bench/reload-gap.mjs [--runs N] [--no-write]
//
// The config is the ~58,000-line file of bench/config-parse.mjs (200 vrrp_instances with VIPs,
// 1,000 virtual servers x 10 real servers). An advert timer is emulated by a setTimeout chain at
// advert_int 0.05 s (50 ms) on the same event loop as the reload; the figure is the largest
// lateness of that timer from the reload's start to the model being back on the main thread with
// its addresses re-hydrated (ConfigReader.read). Each reload reads the file with one virtual
// server's delay_loop changed from the read before. N reloads per mode, interleaved, medians and
// ranges; the idle row is the same timer over the same length of time with no reload at all (the
// machine's own scheduling noise). Needs the compiled tree (`npm run build:ts`).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateConfig } from './lib/gen-config.mjs';
import { median, minMax, fmtMs } from './lib/stats.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { args, optNumber, repo } from './lib/cli.mjs';

const RUNS = optNumber('--runs', 9);
const WRITE = !args.includes('--no-write');
const readerJs = join(repo, 'dist/src/core/reload-read.js');
if (!existsSync(readerJs)) {
  console.error(`reload-gap bench: ${readerJs} not found; run \`npm run build:ts\` first`);
  process.exit(2);
}
const { ConfigReader } = await import(pathToFileURL(readerJs).href);

const work = mkdtempSync(join(tmpdir(), 'kt-reload-bench-'));
const conf = join(work, 'bench.conf');
const text = generateConfig();
writeFileSync(conf, text);
const lines = text.split('\n').length - 1;
const INTERVAL = 50;

/** A 50 ms timer chain; returns a handle whose worst() is the largest lateness since reset(). */
function advertTimer() {
  let worst = 0;
  let due = performance.now() + INTERVAL;
  let t;
  const tick = () => {
    const now = performance.now();
    worst = Math.max(worst, now - due);
    due = now + INTERVAL;
    t = setTimeout(tick, INTERVAL);
  };
  t = setTimeout(tick, INTERVAL);
  return {
    reset() {
      worst = 0;
    },
    worst: () => worst,
    stop: () => clearTimeout(t),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const req = { configFile: conf, configId: 'bench' };
const worker = new ConfigReader({});
const inline = new ConfigReader({ inProcess: true });
// Warm-up: the thread started and one read on each path (the daemon has the thread read the
// config once at start, sending nothing back; a first read is the closest a bench gets to it).
await worker.start();
await worker.read(req);
await inline.read(req);
// The reloads alternate between two configs that differ in one virtual server's delay_loop, so
// each is a real change (one list element differs from the previous answer) and not a repeat.
const textB = text.replace('delay_loop 6', 'delay_loop 7');
if (textB === text) throw new Error('bench config: no delay_loop to change');
let flip = false;
const nextReq = () => {
  writeFileSync(conf, (flip = !flip) ? textB : text);
  return req;
};

const timer = advertTimer();
const rows = { worker: { late: [], ms: [] }, inProcess: { late: [], ms: [] }, idle: { late: [], ms: [] } };
try {
  for (let i = 0; i < RUNS; i++) {
    for (const [name, reader] of [
      ['worker', worker],
      ['inProcess', inline],
    ]) {
      await sleep(200);
      timer.reset();
      const t0 = performance.now();
      const a = await reader.read(nextReq());
      const ms = performance.now() - t0;
      // The timer's next tick after the read shows a block that ended just before it.
      await sleep(INTERVAL + 5);
      if (a.kind !== 'read') throw new Error(`${name}: ${JSON.stringify(a).slice(0, 300)}`);
      rows[name].late.push(timer.worst());
      rows[name].ms.push(ms);
      // Idle over the same length of time.
      await sleep(200);
      timer.reset();
      await sleep(ms + INTERVAL + 5);
      rows.idle.late.push(timer.worst());
      rows.idle.ms.push(ms);
    }
  }
} finally {
  timer.stop();
  await worker.close();
  rmSync(work, { recursive: true, force: true });
}

const fmt = (xs) => {
  const { min, max } = minMax(xs);
  return `${fmtMs(median(xs))} (${min.toFixed(1)}-${max.toFixed(1)})`;
};
const table = [
  '| reading the config | largest advert-timer lateness, median (range) | read time, median (range) |',
  '|---|---|---|',
  `| in the reader thread (SIGHUP's path) | ${fmt(rows.worker.late)} | ${fmt(rows.worker.ms)} |`,
  `| on the event loop (inProcess) | ${fmt(rows.inProcess.late)} | ${fmt(rows.inProcess.ms)} |`,
  `| no reload (idle, same lengths) | ${fmt(rows.idle.late)} | - |`,
].join('\n');
console.log(table);

const body = [
  '## Reload: advert timer lateness while a large config is read',
  '',
  `\`node bench/reload-gap.mjs\` (${RUNS} reloads per mode, interleaved, medians; ${new Date().toISOString().slice(0, 10)}, ` +
    `${cpus().length} CPUs shared with other work, load average ${loadavg()[0].toFixed(1)} at the end). The config: ${lines.toLocaleString('en-US')} lines ` +
    '(bench/lib/gen-config.mjs: 200 vrrp_instances, 1,000 virtual servers x 10 real servers). A 50 ms timer (advert_int 0.05) runs on the ' +
    "daemon's event loop; the figure is its largest lateness from the reload's start until the new model is back on the main thread with its " +
    'addresses re-hydrated (src/core/reload-read.ts ConfigReader.read). The apply step after it (the diff against the running instances and ' +
    'virtual servers) is not in these figures.',
  '',
  table,
  '',
  'In the reader thread the event loop only receives what changed since the previous read (here one virtual server; the rest are references to its own objects) and re-hydrates its addresses; on the event loop the ' +
    'whole read, preprocess, parse and check runs between two timer ticks. The idle row is the machine: on this shared 2-core host ' +
    'timers are late by several milliseconds now and then with no reload at all.',
].join('\n');
if (WRITE) {
  writeSection(join(repo, 'docs/BENCHMARKS.md'), 'reload-gap', body);
  console.log('written to docs/BENCHMARKS.md');
}

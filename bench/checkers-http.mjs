#!/usr/bin/env node
// Health checkers at scale: CPU and memory of the checker process (the daemon's checker child,
// CheckerHost with its default 'process' transport, ADR 0015) while it runs N checks against a
// local server, delay_loop 1 s. Sections (one per checker family; run one with --section):
//
//   http  N HTTP_GET checks (default 1,000), one url each with a status_code and a digest, against
//         one HTTP server on 127.0.0.1 in another process (a raw server: 200, a 1 kB body,
//         Content-Length, close), so the server's work is not counted.
//
//   node bench/checkers-http.mjs [--section http] [--checks 1000] [--seconds 10] [--rounds 3] [--warm 5]
//
// Per round: the checker child's CPU (utime + stime from /proc/PID/stat over the window, as a
// share of one core), its RSS at the end of the window (VmRSS), the daemon side's CPU and RSS
// (this process: it receives the child's messages), and the requests the server answered in the
// window (probes per second) with the child's CPU per probe.
// One JSON line per round, then one with the medians and the probes per second over the run.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDist } from './lib/dist.mjs';
import { optText as opt, repo } from './lib/cli.mjs';

const SECTION = opt('section', 'http');
const N = Number(opt('checks', 1000));
const SECONDS = Number(opt('seconds', 10));
const ROUNDS = Number(opt('rounds', 3));
const WARM = Number(opt('warm', 5));

const dist = benchDist(repo);
const mod = (p) => import(pathToFileURL(join(dist, 'src', p)).href);

const TICK = 100; // USER_HZ: /proc/PID/stat counts CPU in 1/100 s
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime
}
function rssKb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function httpSection() {
  const { buildModel } = await mod('config/build-model.js');
  const { parseConfigText } = await mod('config/parse.js');
  const { DiagnosticSink } = await mod('lib/diagnostics.js');
  const { buildCheckPlan } = await mod('check/plan.js');
  const { CheckerHost } = await mod('check/checker-host.js');

  const body = 'x'.repeat(1024);
  const server = spawn(
    process.execPath,
    [
      '-e',
      // Answers every request; prints how many it has answered every 250 ms (the probes done).
      `const b=${JSON.stringify(body)};let n=0;const s=require('net').createServer(c=>{c.on('error',()=>{});c.once('data',()=>{n++;c.end('HTTP/1.0 200 OK\\r\\nContent-Length: '+b.length+'\\r\\n\\r\\n'+b)})});s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);setInterval(()=>console.log('n '+n),250)})`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise((r) => server.stdout.once('data', (d) => r(Number(String(d).trim().split('\n')[0]))));
  let answered = 0;
  server.stdout.on('data', (d) => {
    const m = /n (\d+)\s*$/.exec(String(d));
    if (m) answered = Number(m[1]);
  });
  const digest = createHash('md5').update(body).digest('hex');
  const rs = [];
  for (let i = 0; i < N; i++) {
    rs.push(
      `  real_server 127.0.0.1 ${10000 + i} {\n    HTTP_GET {\n      connect_ip 127.0.0.1\n      connect_port ${port}\n      connect_timeout 3\n      url {\n        path /page${i}\n        status_code 200\n        digest ${digest}\n      }\n    }\n  }`,
    );
  }
  const text = `virtual_server 192.0.2.1 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs.join('\n')}\n}\n`;
  const sink = new DiagnosticSink();
  const model = buildModel(parseConfigText(text, 'bench.conf', {}, sink), sink);
  const errors = sink.items.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors[0].message);
  const plan = buildCheckPlan(model, { scripts: () => undefined });
  let lines = 0;
  const host = new CheckerHost({ plan, log: { info: () => lines++, warn: () => lines++, error: () => lines++, debug: () => undefined }, onFifoLine: () => undefined });
  const started = performance.now();
  await host.start();
  const pid = host.checkerId;
  const rows = [];
  try {
    await sleep(WARM * 1000);
    for (let r = 0; r < ROUNDS; r++) {
      const a0 = answered;
      const c0 = cpuTicks(pid);
      const m0 = process.cpuUsage();
      const t0 = performance.now();
      await sleep(SECONDS * 1000);
      const secs = (performance.now() - t0) / 1000;
      const childCpu = (cpuTicks(pid) - c0) / TICK / secs;
      const m = process.cpuUsage(m0);
      const mainCpu = (m.user + m.system) / 1e6 / secs;
      const up = [...host.current().values()].filter((h) => h.up).length;
      const perSecond = (answered - a0) / secs;
      const row = { section: 'http', round: r + 1, checks: N, seconds: Number(secs.toFixed(1)), childCpuCore: Number(childCpu.toFixed(3)), childRssMb: Number((rssKb(pid) / 1024).toFixed(1)), mainCpuCore: Number(mainCpu.toFixed(3)), mainRssMb: Number((process.memoryUsage().rss / 1048576).toFixed(1)), probesPerSecond: Math.round(perSecond), childCpuMsPerProbe: Number(((childCpu * 1000) / perSecond).toFixed(3)), up };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    await host.stop();
    server.kill('SIGKILL');
  }
  const elapsed = (performance.now() - started) / 1000;
  const probes = host.probes;
  console.log(
    JSON.stringify({
      section: 'http',
      summary: 'median',
      checks: N,
      childCpuCore: median(rows.map((r) => r.childCpuCore)),
      childRssMb: median(rows.map((r) => r.childRssMb)),
      mainCpuCore: median(rows.map((r) => r.mainCpuCore)),
      mainRssMb: median(rows.map((r) => r.mainRssMb)),
      windowProbesPerSecond: median(rows.map((r) => r.probesPerSecond)),
      childCpuMsPerProbe: median(rows.map((r) => r.childCpuMsPerProbe)),
      probesTotal: probes,
      // Over the whole run, start-up (1 s bootstrap, warmup spread) included.
      probesPerSecond: Number((probes / elapsed).toFixed(1)),
      logLines: lines,
    }),
  );
}

const sections = { http: httpSection };
if (!sections[SECTION]) {
  console.error(`unknown section ${SECTION} (known: ${Object.keys(sections).join(', ')})`);
  process.exit(2);
}
await sections[SECTION]();

#!/usr/bin/env node
// Do health checks delay VRRP adverts? A VrrpRuntime-like timer (one TimerQueue on the addon's
// timerfd, as the daemon's VRRP runtime uses, with 20 "instances" each due every 100 ms) runs
// on the main thread and records how late each firing is, while 2,000 checkers run:
//   1. idle: no checkers (the baseline);
//   2. thread: the checkers in a worker thread (CheckerHost transport 'thread');
//   3. process: the checkers in a child process (CheckerHost transport 'process', the default);
//   4. main: the same engine on the main thread (HealthEngine in-thread), for contrast.
// The checkers: 1,000 TCP_CHECKs connecting to a loopback listener in another process and
// 1,000 MISC_CHECKs running /bin/true, delay_loop 5 s, warmup 5 s (so ~400 probes a second).
//
//   node bench/checker-isolation.mjs [--seconds 10] [--rounds 3] [--tcp 1000] [--misc 1000] [--delay-loop 5]
// Output: one JSON line per mode with the lateness of the timer firings (ms): median, p99, max,
// the number of firings, and per round the real servers that had a result by the end.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDist } from './lib/dist.mjs';
import { optNumber as opt, repo } from './lib/cli.mjs';

const SECONDS = opt('seconds', 10);
const NTCP = opt('tcp', 1000);
const NMISC = opt('misc', 1000);
const DELAY_LOOP_MS = opt('delay-loop', 5) * 1000;

const dist = benchDist(repo);
const mod = (p) => import(pathToFileURL(join(dist, 'src', p)).href);
const { TimerQueue } = await mod('lib/timer-queue.js');
const { systemClock } = await mod('lib/clock.js');
const { nativeOneShot } = await mod('net/native-timer.js');
const { RealTimers } = await mod('lib/timers.js');
const { HealthEngine } = await mod('check/engine.js');
const { NodeProber } = await mod('check/probes.js');
const { CheckerHost } = await mod('check/checker-host.js');
const { NodeProcessRunner } = await mod('notify/process-runner.js');

// The TCP listener lives in another process, so accepting costs the measured thread nothing.
const listener = spawn(process.execPath, ['-e', "const s=require('net').createServer(c=>c.destroy());s.listen(0,'127.0.0.1',()=>console.log(s.address().port))"], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise((r) => listener.stdout.once('data', (d) => r(Number(String(d).trim()))));

function plan() {
  const vs = { kind: 'addr', ip: '192.0.2.1', protocol: 'tcp', port: 80 };
  const params = (kind, i) => ({
    kind,
    rsText: `[rs${i}]`,
    vsText: '[192.0.2.1]:tcp:80',
    retry: kind === 'MISC_CHECK' ? 0 : 1,
    delayLoop: DELAY_LOOP_MS,
    delayBeforeRetry: 1000,
    warmup: DELAY_LOOP_MS,
    alpha: false,
    logAllFailures: false,
    ...(kind === 'MISC_CHECK' ? { script: '/bin/true', dynamic: false } : {}),
  });
  const realServers = [];
  for (let i = 0; i < NTCP + NMISC; i++) {
    const tcp = i < NTCP;
    const c = tcp
      ? { kind: 'TCP_CHECK', id: `c${i}`, params: params('TCP_CHECK', i), host: '127.0.0.1', family: 4, port, connectTimeoutMs: 5000 }
      : { kind: 'MISC_CHECK', id: `c${i}`, params: params('MISC_CHECK', i), script: { argv: ['/bin/true'] }, timeoutMs: 5000 };
    realServers.push({ key: `k${i}`, rs: { kind: 'addr', ip: `10.${i >> 8}.${i & 255}.1`, protocol: 'tcp', port: 80 }, vs, weight: 1, checkers: [c], notRun: 0 });
  }
  return { realServers };
}

/** Runs the advert-like timer for SECONDS and returns the lateness of each firing (ms). */
async function measure() {
  const late = [];
  const PERIOD = 100;
  const q = new TimerQueue(
    systemClock,
    (key, at, now) => {
      late.push(now - at);
      q.set(key, at + PERIOD);
    },
    undefined,
    Infinity,
    nativeOneShot,
  );
  const t0 = systemClock.now();
  for (let k = 0; k < 20; k++) q.set(k, t0 + 50 + k * 5);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  q.stop();
  return late;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const summary = (mode, late) => ({
  mode,
  firings: late.length,
  medianMs: Number(pct(late, 50).toFixed(3)),
  p99Ms: Number(pct(late, 99).toFixed(3)),
  maxMs: Number(late.reduce((a, b) => Math.max(a, b), 0).toFixed(3)),
});

const noLog = { info() {}, warn() {}, error() {} };

/** One mode for SECONDS: its timer lateness and how many servers got a result. */
async function runMode(mode) {
  if (mode === 'idle') return { late: await measure(), served: 0 };
  if (mode === 'main') {
    const runner = new NodeProcessRunner();
    const engine = new HealthEngine({ plan: plan(), prober: new NodeProber(runner), timers: new RealTimers(systemClock), runner, log: noLog });
    await engine.start();
    const late = await measure();
    const served = [...engine.current().values()].filter((h) => h.lastResult !== undefined).length;
    await engine.stop();
    return { late, served };
  }
  const host = new CheckerHost({ plan: plan(), log: noLog, transport: mode });
  await host.start();
  const late = await measure();
  // Counted once at the end: a message per probe would itself cost the measured thread.
  const served = [...host.current().values()].filter((h) => h.lastResult !== undefined).length;
  await host.stop();
  return { late, served };
}

// The machine's load drifts, so the modes are interleaved over ROUNDS rounds and each mode's
// firings pooled; the in-thread engine (which starves the timer for seconds) runs once, last.
const ROUNDS = opt('rounds', 3);
const pooled = { idle: [], thread: [], process: [] };
const served = { idle: [], thread: [], process: [] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of ['idle', 'thread', 'process']) {
      const res = await runMode(mode);
      pooled[mode].push(...res.late);
      served[mode].push(res.served);
      console.error(`round ${r + 1} ${mode}: median ${pct(res.late, 50).toFixed(3)} ms`);
    }
  }
  for (const mode of ['idle', 'thread', 'process']) console.log(JSON.stringify({ ...summary(mode, pooled[mode]), serversWithResult: served[mode] }));
  const m = await runMode('main');
  console.log(JSON.stringify({ ...summary('main', m.late), serversWithResult: [m.served] }));
} finally {
  listener.kill('SIGKILL');
}

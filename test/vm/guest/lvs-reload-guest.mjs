// Runs inside the test VM for test/vm/lvs-reload.test.ts (plain Node, no dependencies): one
// director (keepalived or ours, with -C) through a plan of reloads. Real servers are TCP listeners
// on the VM's dummy addresses (those the plan names in `listening`; the others refuse). Each step
// puts its config in place (written beside, then renamed over the running file), marks the wall
// time (the capture on nlmon0 is cut into steps by these marks), asks for the reload (SIGHUP, or
// `keepalived-ts reload` over the control socket for ours; keepalived has no socket and gets
// SIGHUP), waits for our daemon's outcome line or answer, lets the checkers run (settleMs), waits
// (at most stepLimitMs) for the table the plan expects to stand still for quietMs, and takes
// `ipvsadm -Sn`. For ours it also reads the status document's ipvs.stats over the socket
// after each step. Writes reload.WHO.json.
//   node lvs-reload-guest.mjs WHO PLAN_JSON COMMAND...
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const [who, planFile, ...cmd] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
const ours = who === 'ours';
const DIR = `/run/lvs-reload-${who}`;
const CONF = `${DIR}/keepalived.conf`;
const PID = `${DIR}/keepalived.pid`;
const SOCKET = `${DIR}/keepalived-ts.ctl`;
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });

const sn = () => spawnSync('ipvsadm', ['-Sn'], { encoding: 'utf8' }).stdout;
const mono = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Polls the table until it has not changed for quietMs (and, when given, `ready(table)` holds),
 * at most limitMs; the last table and whether it settled.
 */
async function settled(quietMs, limitMs, ready = () => true) {
  const t0 = mono();
  let table = sn();
  let since = mono();
  while (mono() - t0 < limitMs) {
    await sleep(200);
    const next = sn();
    if (next !== table) {
      table = next;
      since = mono();
    } else if (mono() - since >= quietMs && ready(table)) return { table, settled: true, ms: Math.round(mono() - t0) };
  }
  return { table, settled: false, ms: Math.round(mono() - t0) };
}
const sortedLines = (t) => t.split('\n').map((l) => l.trim()).filter((l) => l !== '').sort().join('\n');

/** One request line on our control socket, the answer parsed (docs/control-socket.md). */
function ask(req) {
  return new Promise((resolve) => {
    const s = createConnection({ path: SOCKET });
    let buf = '';
    const timer = setTimeout(() => s.destroy(new Error('no answer in 20 s')), 20_000);
    s.once('connect', () => s.write(`${JSON.stringify(req)}\n`));
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (!buf.includes('\n')) return;
      clearTimeout(timer);
      s.destroy();
      resolve(JSON.parse(buf.slice(0, buf.indexOf('\n'))));
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: { code: 'client', message: e.message } });
    });
  });
}
// The socket reuses a status document for 100 ms: wait that long before each read.
const ipvsStats = async () => (await sleep(150), (await ask({ cmd: 'status' })).status?.ipvs?.stats ?? null);

/** `keepalived-ts ARGS...` as an operator runs it: exit code and output (the event loop keeps reading the daemon's log). */
function client(...args) {
  return new Promise((resolve) => {
    const c = spawn(cmd[0], [...cmd.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (x) => (stdout += x));
    c.stderr.setEncoding('utf8').on('data', (x) => (stderr += x));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function place(name) {
  copyFileSync(name, `${CONF}.new`);
  renameSync(`${CONF}.new`, CONF);
}

// Real servers that accept; the others refuse (nothing listens on their address).
for (const addr of plan.listening) {
  await new Promise((resolve, reject) => createServer((c) => c.destroy()).once('error', reject).listen(8080, addr, resolve));
}

place(plan.start);
const startedAt = Date.now();
const d = spawn(cmd[0], [...cmd.slice(1), '-C', '-n', '-l', '-f', CONF, '-p', PID, '-c', `${DIR}/check.pid`], { stdio: ['ignore', 'pipe', 'pipe'] });
// The log also goes to the share as it comes, so a run cut short still shows how far it got.
let log = '';
const keep = (x) => {
  log += x;
  appendFileSync(`reload.${who}.log`, x);
};
d.stdout.setEncoding('utf8').on('data', keep);
d.stderr.setEncoding('utf8').on('data', keep);
const exited = new Promise((resolve) => d.on('exit', (code, signal) => resolve({ code, signal })));
// Our outcome lines (src/core/reload.ts): one per reload, whatever asked for it.
const outcomes = () => (log.match(/Reload (finished|applied|rejected|partly)/g) ?? []).length;

// The start is over once the table is the one the plan expects (D is out after its first check).
const start = await settled(plan.quietMs, plan.startLimitMs, (t) => sortedLines(t) === plan.startTable.join('\n'));
const result = { who, startedAt, start: { ...start, stats: ours ? await ipvsStats() : null }, steps: [] };

for (const [i, step] of plan.steps.entries()) {
  place(step.conf);
  const via = ours ? step.via : 'hup';
  const t0 = Date.now();
  let answer = null;
  if (via === 'hup') {
    d.kill('SIGHUP');
  } else {
    answer = await client('reload', '-p', PID);
  }
  let outcomeSeen = null;
  if (ours) {
    const t = mono();
    while (outcomes() < i + 1 && mono() - t < 30_000) await sleep(50);
    outcomeSeen = outcomes() >= i + 1;
  }
  // From the request to our outcome (line or answer); for keepalived only the signal.
  const reloadMs = Date.now() - t0;
  // Let every checker run at least once more after the reload before the table is read.
  await sleep(plan.settleMs);
  // Then wait for the table the step should leave (a new real server that refuses goes out only
  // after its first check) and for it to stay so: what comes later would fall in the next step.
  const after = await settled(plan.quietMs, plan.stepLimitMs, (t) => sortedLines(t) === step.table.join('\n'));
  result.steps.push({ name: step.name, via, conf: step.conf, t0, reloadMs, answer, outcomeSeen, ...after, stats: ours ? await ipvsStats() : null });
  writeFileSync(`reload.${who}.partial.json`, JSON.stringify(result));
}

const stopAt = Date.now();
d.kill('SIGTERM');
const killer = setTimeout(() => d.kill('SIGKILL'), 20_000);
const exit = await exited;
clearTimeout(killer);
writeFileSync(`reload.${who}.json`, JSON.stringify({ ...result, stopAt, exit, after: sn(), log }));
spawnSync('ipvsadm', ['-C']);
process.exit(0);

// Runs inside the test VM for test/vm/lvs-notify.test.ts (plain Node, no dependencies): one
// director (keepalived or ours, with -C) with a notify_fifo, an lvs_notify_fifo and per real
// server notify_up / notify_down scripts that append their argv to a file. Real server A's
// listener of the TCP virtual server stops and starts again, then its listener of the fwmark
// virtual server (another port, so the events come one at a time, in a fixed order), then SIGTERM. Records every byte each
// FIFO carried (read by `cat` from before the director starts until it exits) and the scripts'
// argv, in lvs-notify.WHO.json.
//   node lvs-notify-guest.mjs WHO COMMAND...
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const [who, ...cmd] = process.argv.slice(2);
const DIR = '/tmp/lvs-notify';
const A = '198.51.100.11';
const B = '198.51.100.12';
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sn = () => spawnSync('ipvsadm', ['-Sn'], { encoding: 'utf8' }).stdout;
// A in the TCP virtual server (port 8080), or in the fwmark one (8081; keepalived names and
// programs a non-NAT real server of a fwmark service with port 0).
const has = (port) => (port === 8080 ? sn().includes(`-a -t 192.0.2.1:80 -r ${A}:8080`) : sn().includes(`-a -f 7 -r ${A}:0`));

// The same paths for both directors: the config is one file, written once.
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
writeFileSync(`${DIR}/record.sh`, `#!/bin/sh\nline=$(printf '%s|' "$0" "$@")\necho "$line" >> ${DIR}/argv\n`);
chmodSync(`${DIR}/record.sh`, 0o755);
const rs = (addr, port = 8080, tag = '') => `    real_server ${addr} ${port} {
        weight 1
        notify_up "${DIR}/record.sh ${tag}up ${addr}"
        notify_down "${DIR}/record.sh ${tag}down ${addr}"
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }`;
writeFileSync(
  `${DIR}/keepalived.conf`,
  `global_defs {
    notify_fifo ${DIR}/notify.fifo
    lvs_notify_fifo ${DIR}/lvs.fifo
}
virtual_server 192.0.2.1 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 2
${rs(A)}
${rs(B)}
}
virtual_server fwmark 7 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
${rs(A, 8081, 'fwm-')}
}
`,
);

const servers = new Map();
const listen = (addr, port = 8080) =>
  new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(port, addr, () => {
      servers.set(`${addr}:${port}`, s);
      resolve();
    });
  });
const close = (key) => new Promise((resolve) => servers.get(key).close(() => resolve(servers.delete(key))));
const steps = [];
async function waitFor(name, cond, limitMs) {
  const t0 = now();
  while (!cond()) {
    if (now() - t0 > limitMs) {
      steps.push({ name, ok: false, ms: now() - t0 });
      return;
    }
    await sleep(100);
  }
  steps.push({ name, ok: true, ms: now() - t0 });
}

// FIFOs made here, read by cat from before the director opens them until every writer is gone.
const readers = ['notify', 'lvs'].map((name) => {
  const path = `${DIR}/${name}.fifo`;
  execFileSync('mkfifo', [path]);
  const c = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks = [];
  c.stdout.on('data', (b) => chunks.push(b));
  return { name, c, done: new Promise((r) => c.on('exit', () => r(Buffer.concat(chunks)))) };
});

for (const a of [A, B]) await listen(a);
await listen(A, 8081);
const d = spawn(cmd[0], [...cmd.slice(1), '-C', '-n', '-l', '-f', `${DIR}/keepalived.conf`, '-p', `/run/notify-${who}.pid`, '-c', `/run/notify-${who}-check.pid`], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let log = '';
d.stdout.setEncoding('utf8').on('data', (x) => (log += x));
d.stderr.setEncoding('utf8').on('data', (x) => (log += x));
const exited = new Promise((resolve) => d.on('exit', (code, signal) => resolve({ code, signal })));
const argvLines = () => (existsSync(`${DIR}/argv`) ? readFileSync(`${DIR}/argv`, 'utf8').split('\n').filter((l) => l !== '') : []);

await waitFor('start: A in both virtual servers', () => has(8080) && has(8081), 30_000);
// Every checker has run with its listener up (and any start-up notification is out).
await sleep(4000);
for (const port of [8080, 8081]) {
  const before = argvLines().length;
  await close(`${A}:${port}`);
  await waitFor(`listener ${A}:${port} stopped: out of the table`, () => !has(port), 15_000);
  await waitFor(`listener ${A}:${port} stopped: its notify_down ran`, () => argvLines().length > before, 10_000);
  await sleep(2000);
  const middle = argvLines().length;
  await listen(A, port);
  await waitFor(`listener ${A}:${port} restarted: back in the table`, () => has(port), 15_000);
  await waitFor(`listener ${A}:${port} restarted: its notify_up ran`, () => argvLines().length > middle, 10_000);
  await sleep(2000);
}

d.kill('SIGTERM');
const killer = setTimeout(() => d.kill('SIGKILL'), 15_000);
const exit = await exited;
clearTimeout(killer);
// The FIFOs' writers are gone with the director; cat sees the end. A reader still waiting
// (nothing ever opened its FIFO) is ended by opening the FIFO for writing once.
await sleep(1000);
for (const r of readers) if (r.c.exitCode === null) writeFileSync(`${DIR}/${r.name}.fifo`, '');
const fifos = {};
for (const r of readers) fifos[r.name] = (await r.done).toString('base64');
for (const k of [...servers.keys()]) await close(k);
spawnSync('ipvsadm', ['-C']);
writeFileSync(`lvs-notify.${who}.json`, JSON.stringify({ who, steps, exit, fifos, argv: argvLines(), log }));

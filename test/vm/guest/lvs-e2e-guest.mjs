// Runs inside the test VM for test/vm/lvs-e2e.test.ts (plain Node, no dependencies): one
// director (keepalived or ours, with -C) against real TCP listeners on the VM's dummy addresses,
// through a fixed list of steps. Each step waits (polling ipvsadm -Sn every 100 ms, up to a
// generous limit) for the table to show what should follow and records whether it did and how
// long it took. Writes e2e.WHO.json.
//   node lvs-e2e-guest.mjs WHO CONFIG COMMAND...
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const [who, conf, ...cmd] = process.argv.slice(2);
const VS = '-t 192.0.2.1:80';
const FOREIGN = '-t 192.0.2.99:80';
const sn = () => spawnSync('ipvsadm', ['-Sn'], { encoding: 'utf8' }).stdout;
const ipvsadm = (...a) => spawnSync('ipvsadm', a, { encoding: 'utf8' });
const dest = (rs) => new RegExp(`^-a ${VS} -r ${rs.replace(/\./g, '\\.')}:8080 -m -w (\\d+)\\s*$`, 'm');
/** The weight of RS in our service, or undefined when it has no entry. */
const weight = (rs, table = sn()) => {
  const m = dest(rs).exec(table);
  return m ? Number(m[1]) : undefined;
};
const steps = [];
const now = () => Number(process.hrtime.bigint()) / 1e6;
async function waitFor(name, cond, limitMs) {
  const t0 = now();
  let table = sn();
  while (!cond(table)) {
    if (now() - t0 > limitMs) {
      steps.push({ name, ok: false, ms: now() - t0, table });
      return false;
    }
    await sleep(100);
    table = sn();
  }
  steps.push({ name, ok: true, ms: now() - t0, table });
  return true;
}

const servers = new Map();
const listen = (addr) =>
  new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(8080, addr, () => {
      servers.set(addr, s);
      resolve();
    });
  });
const close = (addr) => new Promise((resolve) => servers.get(addr).close(() => resolve(servers.delete(addr))));

const A = '198.51.100.11';
const B = '198.51.100.12'; // inhibit_on_failure
const C = '198.51.100.13';
const SORRY = '198.51.100.200';
// Bound for "the table follows": delay_loop 1 + connect_timeout 1 (retry 0), with room for TCG.
const FOLLOW = 12_000;

// A service that is not in the config: the director must leave it alone.
ipvsadm('-A', ...FOREIGN.split(' '), '-s', 'rr');
ipvsadm('-a', ...FOREIGN.split(' '), '-r', '198.51.100.50:80', '-m', '-w', '3');
const foreign = sn();
for (const a of [A, B, C]) await listen(a);

const d = spawn(cmd[0], [...cmd.slice(1), '-C', '-n', '-l', '-f', conf, '-p', `/run/e2e-${who}.pid`, '-c', `/run/e2e-${who}-check.pid`], { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
d.stdout.setEncoding('utf8').on('data', (x) => (log += x));
d.stderr.setEncoding('utf8').on('data', (x) => (log += x));
const exited = new Promise((resolve) => d.on('exit', (code, signal) => resolve({ code, signal })));

await waitFor('start: every real server in, weight 1', (t) => [A, B, C].every((r) => weight(r, t) === 1), 30_000);
// Let every checker run once with its listener up before the first stop.
await sleep(3000);
await close(A);
await waitFor('listener A stopped: its entry is removed', (t) => weight(A, t) === undefined && weight(C, t) === 1, FOLLOW);
await listen(A);
await waitFor('listener A restarted: its entry is back', (t) => weight(A, t) === 1, FOLLOW);
await close(B);
await waitFor('listener B (inhibit_on_failure) stopped: weight 0, entry kept', (t) => weight(B, t) === 0, FOLLOW);
await listen(B);
await waitFor('listener B restarted: weight 1 again', (t) => weight(B, t) === 1, FOLLOW);
ipvsadm('-d', ...VS.split(' '), '-r', `${C}:8080`);
await waitFor('entry C deleted with ipvsadm: put back', (t) => weight(C, t) === 1, FOLLOW);
for (const a of [A, B, C]) if (servers.has(a)) await close(a);
await waitFor('every listener stopped: quorum lost, sorry server in', (t) => weight(SORRY, t) === 1 && weight(A, t) === undefined && weight(C, t) === undefined, FOLLOW * 2);
for (const a of [A, B, C]) await listen(a);
await waitFor('listeners restarted: quorum back, sorry server out', (t) => weight(SORRY, t) === undefined && [A, B, C].every((r) => weight(r, t) === 1), FOLLOW * 2);
await waitFor('the foreign service is untouched while running', (t) => t.includes(foreign.trim()), 0);

d.kill('SIGTERM');
const killer = setTimeout(() => d.kill('SIGKILL'), 15_000);
const exit = await exited;
clearTimeout(killer);
const after = sn();
steps.push({ name: 'after SIGTERM: only the foreign service is left', ok: after.trim() === foreign.trim(), ms: 0, table: after });
for (const a of [...servers.keys()]) await close(a);
ipvsadm('-C');
writeFileSync(`e2e.${who}.json`, JSON.stringify({ who, steps, exit, log }));

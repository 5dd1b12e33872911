// Runs inside the test VM for bench/lvs-director.mjs (plain Node, no dependencies). Writes
// director-bench.json to the current directory. Each director runs with -C (checker only).
//   node lvs-director-guest.mjs RUNS SERVICES DESTS OURS_CMD|-
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const [runs, nServices, nDests] = process.argv.slice(2, 5).map(Number);
const oursCmd = process.argv[5] === '-' ? undefined : process.argv[5].split(' ');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const ipvsadmSn = () => spawnSync('ipvsadm', ['-Sn'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
const flush = () => spawnSync('ipvsadm', ['-C']);
const result = { runs, services: nServices, dests: nDests, table: { keepalived: [], manager: [], ours: [] }, noop: [], down: { keepalived: [], ours: [] }, notes: [] };

function start(who, conf) {
  const args = ['-C', '-n', '-f', conf, '-p', `/run/bench-${who}.pid`, '-c', `/run/bench-${who}-check.pid`];
  // 'manager': our IPVS part alone (lvs-manager.mjs, bundled from test/vm/guest/lvs-manager-guest.ts).
  const [cmd, ...rest] = who === 'keepalived' ? ['keepalived', ...args] : who === 'manager' ? ['node', 'lvs-manager.mjs', conf] : [...oursCmd, ...args];
  const child = spawn(cmd, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  return { child, exited, stderr: () => stderr };
}
async function stop(d) {
  d.child.kill('SIGTERM');
  const t = setTimeout(() => d.child.kill('SIGKILL'), 20_000);
  await d.exited;
  clearTimeout(t);
  flush();
}

// 1. Start to a complete table: SERVICES x DESTS, all healthy (real servers without checkers).
const vs = [];
for (let i = 0; i < nServices; i++) {
  const addr = `192.0.2.${1 + (i % 250)}`;
  const port = 80 + Math.floor(i / 250);
  const rs = [];
  for (let j = 0; j < nDests; j++) rs.push(`    real_server 198.51.100.${11 + j} 8080 { weight ${1 + (j % 3)} }`);
  vs.push(`virtual_server ${addr} ${port} {\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n${rs.join('\n')}\n}`);
}
writeFileSync('/tmp/table.conf', vs.join('\n') + '\n');
const expectedLines = nServices * (1 + nDests);
const directors = ['keepalived', ...(oursCmd ? ['ours'] : [])];
for (let r = 0; r < runs; r++) {
  // Interleaved: keepalived then ours in each round, so drift in the VM hits both alike.
  for (const who of ['keepalived', 'manager', ...(oursCmd ? ['ours'] : [])]) {
    flush();
    const t0 = now();
    const d = start(who, '/tmp/table.conf');
    let t;
    while (now() - t0 < 600_000) {
      const lines = ipvsadmSn().split('\n').filter((l) => l !== '').length;
      if (lines >= expectedLines) {
        t = now() - t0;
        break;
      }
      if (d.child.exitCode !== null) break;
      await sleep(20);
    }
    if (who === 'manager' && t !== undefined) {
      // Its second pass, over the table it has just made, is written once the first is done.
      for (let i = 0; i < 500 && !existsSync('noop-ops.json'); i++) await sleep(20);
      if (existsSync('noop-ops.json')) result.noop.push(JSON.parse(readFileSync('noop-ops.json', 'utf8')));
      rmSync('noop-ops.json', { force: true });
    }
    await stop(d);
    if (t === undefined) result.notes.push(`${who}: no complete table (run ${r}): ${d.stderr().slice(-500)}`);
    else result.table[who].push(t);
  }
}

// 2. A real server going down: its listener closes; time until its entry leaves the table.
// Same config for both: delay_loop 1, connect_timeout 1, the default retry 1 and
// delay_before_retry 1 (so down after the second failed connect, about 1-3 s after the close).
const RS = '198.51.100.12';
writeFileSync(
  '/tmp/down.conf',
  `virtual_server 192.0.2.250 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
${['198.51.100.11', RS, '198.51.100.13']
  .map((a) => `    real_server ${a} 8080 {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 1\n        }\n    }`)
  .join('\n')}
}
`,
);
const listen = (addr) =>
  new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(8080, addr, () => resolve(s));
  });
const hasRs = () => ipvsadmSn().includes(`-r ${RS}:8080`);
const others = [await listen('198.51.100.11'), await listen('198.51.100.13')];
for (let r = 0; r < runs; r++) {
  for (const who of directors) {
    flush();
    let s = await listen(RS);
    const d = start(who, '/tmp/down.conf');
    // Let every checker pass at least once (first check within 1 s + warmup of up to delay_loop).
    await sleep(4000);
    if (!hasRs()) {
      result.notes.push(`${who}: ${RS} not in the table before its listener closed (run ${r})`);
      await stop(d);
      s.close();
      continue;
    }
    const t0 = now();
    await new Promise((resolve) => s.close(resolve));
    let t;
    while (now() - t0 < 30_000) {
      if (!hasRs()) {
        t = now() - t0;
        break;
      }
      await sleep(10);
    }
    await stop(d);
    if (t === undefined) result.notes.push(`${who}: ${RS} still in the table 30 s after its listener closed (run ${r})`);
    else result.down[who].push(t);
  }
}
for (const s of others) s.close();
writeFileSync('director-bench.json', JSON.stringify(result));

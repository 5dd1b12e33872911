// Runs inside the test VM for bench/checkers-vm.mjs (plain Node, no dependencies); writes
// checkers-vm.json to the current directory. keepalived and ours run in turn on the same configs
// against the same targets (listeners of this process on dummy0's addresses, set up by the
// launcher's script):
//   tcp   1,000 TCP_CHECK, delay_loop 1: 100 virtual servers x 10 real servers 198.51.100.11-20,
//         nine on port 8080 (accepts, then closes) and one on 8081 (nothing listens: refused);
//   http  1,000 HTTP_GET, delay_loop 1: the same layout, all on port 8090 (a raw HTTP server:
//         200, a 1 kB body, close), one url each with status_code 200 and the body's digest;
//   gaps  (optional) the tcp load plus a VRRPv3 instance at advert_int 0.05 on a veth whose peer
//         end is in a namespace where tcpdump captures the adverts (daemon without -C).
// Per daemon and load: start with -C, WARM s of warm-up, then WINDOWS windows of WINDOW s: CPU of
// each process of the daemon's tree (utime+stime from /proc/PID/stat, share of one core), RSS at
// the window's end, and the connections the servers accepted in the window.
//   node checkers-vm-guest.mjs OURS_CMD WARM WINDOW WINDOWS GAP_SECONDS(0: no gaps part)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const oursCmd = process.argv[2].split(' ');
const [WARM, WINDOW, WINDOWS, GAP_SECONDS] = process.argv.slice(3, 7).map(Number);
const result = { warm: WARM, window: WINDOW, windows: WINDOWS, runs: [], gaps: [], notes: [], loadavg: [] };
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// Targets. Accepted connections are counted per port.
const served = { 8080: 0, 8090: 0 };
const body = Buffer.alloc(1024, 'k');
const digest = createHash('md5').update(body).digest('hex');
const response = Buffer.concat([Buffer.from(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]);
const tcpServer = createServer((c) => {
  served[8080]++;
  c.on('error', () => {});
  c.destroy();
});
const httpServer = createServer((c) => {
  served[8090]++;
  c.on('error', () => {});
  let got = '';
  c.on('data', (d) => {
    got += d.toString('latin1');
    if (got.includes('\r\n\r\n')) c.end(response);
  });
});
// One listener per real server address and port (8081 has none: refused).
const listeners = [];
for (let j = 11; j <= 20; j++) {
  const s = createServer((c) => tcpServer.emit('connection', c));
  await new Promise((r) => s.listen(8080, `198.51.100.${j}`, 4096, r));
  listeners.push(s);
  const h = createServer((c) => httpServer.emit('connection', c));
  await new Promise((r) => h.listen(8090, `198.51.100.${j}`, 4096, r));
  listeners.push(h);
}

function vsBlock(kind) {
  const out = [];
  for (let v = 0; v < 100; v++) {
    const rs = [];
    for (let j = 0; j < 10; j++) {
      const addr = `198.51.100.${11 + j}`;
      if (kind === 'http') {
        rs.push(`    real_server ${addr} 8090 {\n        weight 1\n        HTTP_GET {\n            connect_timeout 3\n            url {\n                path /page${v * 10 + j}\n                status_code 200\n                digest ${digest}\n            }\n        }\n    }`);
      } else {
        const port = j < 9 ? 8080 : 8081;
        rs.push(`    real_server ${addr} ${port} {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 2\n        }\n    }`);
      }
    }
    out.push(`virtual_server 192.0.2.${1 + v} ${kind === 'http' ? 8000 : 80} {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n${rs.join('\n')}\n}`);
  }
  return out.join('\n') + '\n';
}
writeFileSync('/tmp/tcp.conf', vsBlock('tcp'));
writeFileSync('/tmp/http.conf', vsBlock('http'));
writeFileSync(
  '/tmp/gaps.conf',
  `vrrp_instance VI_1 {
    state MASTER
    interface vk0
    virtual_router_id 51
    priority 200
    advert_int 0.05
    version 3
    virtual_ipaddress {
        192.0.2.250/32
    }
}
` + vsBlock('tcp'),
);

function start(who, conf, checkerOnly) {
  const args = [...(checkerOnly ? ['-C'] : []), '-n', '-f', conf, '-p', `/run/b-${who}.pid`, '-r', `/run/b-${who}-vrrp.pid`, '-c', `/run/b-${who}-check.pid`];
  for (const f of [`/run/b-${who}.pid`, `/run/b-${who}-vrrp.pid`, `/run/b-${who}-check.pid`]) rmSync(f, { force: true });
  const [cmd, ...rest] = who === 'keepalived' ? ['keepalived', ...args] : [...oursCmd, ...args];
  const child = spawn(cmd, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  return { child, exited, stderr: () => stderr };
}
async function stop(d) {
  d.child.kill('SIGTERM');
  const t = setTimeout(() => d.child.kill('SIGKILL'), 20_000);
  await d.exited;
  clearTimeout(t);
  spawnSync('ipvsadm', ['-C']);
}

// /proc: the tree under PID, CPU ticks (USER_HZ 100) and RSS of each.
function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), rssKb: rss ? Number(rss[1]) : 0, cmd };
  } catch {
    return undefined;
  }
}
function tree(root) {
  const all = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map((n) => stat(Number(n))).filter(Boolean);
  const out = [];
  const want = new Set([root]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of all) if (!want.has(p.pid) && want.has(p.ppid)) (want.add(p.pid), (changed = true));
  }
  for (const p of all) if (want.has(p.pid)) out.push(p);
  return out;
}
const checkerPid = (who, root) => {
  // keepalived -C: the checker is the child named in -c's pid file. Ours: the daemon's tree.
  const f = `/run/b-${who}-check.pid`;
  if (who === 'keepalived' && existsSync(f)) return Number(readFileSync(f, 'utf8').trim());
  return root;
};

async function measure(who, kind) {
  spawnSync('ipvsadm', ['-C']);
  const d = start(who, `/tmp/${kind}.conf`, true);
  await sleep(WARM * 1000);
  const run = { who, kind, windows: [], procs: [] };
  if (d.child.exitCode !== null) {
    result.notes.push(`${who} ${kind}: exited early ${d.child.exitCode}: ${d.stderr()}`);
    return;
  }
  for (let w = 0; w < WINDOWS; w++) {
    const before = new Map(tree(d.child.pid).map((p) => [p.pid, p]));
    const port = kind === 'http' ? 8090 : 8080;
    const served0 = served[port];
    const own0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await sleep(WINDOW * 1000);
    const after = tree(d.child.pid);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const ck = checkerPid(who, d.child.pid);
    const procs = after.map((p) => ({
      pid: p.pid,
      cmd: p.cmd.slice(0, 80),
      cpu: before.has(p.pid) ? (p.ticks - before.get(p.pid).ticks) / 100 / secs : NaN,
      rssKb: p.rssKb,
      checker: p.pid === ck,
    }));
    const sum = (f) => procs.reduce((a, p) => a + f(p), 0);
    run.windows.push({
      secs,
      treeCpu: sum((p) => (Number.isNaN(p.cpu) ? 0 : p.cpu)),
      treeRssKb: sum((p) => p.rssKb),
      checkerCpu: procs.find((p) => p.checker)?.cpu ?? NaN,
      checkerRssKb: procs.find((p) => p.checker)?.rssKb ?? NaN,
      accepted: (served[port] - served0) / secs,
      // This process (the targets): its CPU share in the window.
      targetsCpu: (() => {
        const u = process.cpuUsage(own0);
        return (u.user + u.system) / 1e6 / secs;
      })(),
      ipvsLines: spawnSync('ipvsadm', ['-Sn'], { encoding: 'utf8', maxBuffer: 16 << 20 }).stdout.split('\n').filter((l) => l.startsWith('-a')).length,
      loadavg: loadavg(),
    });
    run.procs = procs;
  }
  await stop(d);
  result.runs.push(run);
}

// pcap: 24-byte header, then per record 16 bytes (sec, usec, caplen, len) and the bytes.
function pcapTimes(file) {
  const b = readFileSync(file);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const t = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const cap = u32(o + 8);
    t.push(u32(o) * 1000 + u32(o + 4) / 1000);
    o += 16 + cap;
  }
  return t;
}
async function gaps(who) {
  spawnSync('ipvsadm', ['-C']);
  const d = start(who, '/tmp/gaps.conf', false);
  await sleep(WARM * 1000);
  const pcap = `/tmp/gaps-${who}.pcap`;
  rmSync(pcap, { force: true });
  const cap = spawn('ip', ['netns', 'exec', 'peer', 'tcpdump', '-Z', 'root', '-U', '-n', '-i', 'vp0', '-w', pcap, 'ip proto 112'], { stdio: 'ignore' });
  const load0 = served[8080];
  const t0 = Date.now();
  await sleep(GAP_SECONDS * 1000);
  const accepted = (served[8080] - load0) / ((Date.now() - t0) / 1000);
  cap.kill('SIGINT');
  await new Promise((r) => cap.on('exit', r));
  const alive = d.child.exitCode === null;
  await stop(d);
  if (!alive || !existsSync(pcap)) {
    result.notes.push(`${who} gaps: no capture (daemon alive ${alive}): ${d.stderr()}`);
    return;
  }
  const t = pcapTimes(pcap);
  const g = [];
  for (let i = 1; i < t.length; i++) g.push(t[i] - t[i - 1]);
  result.gaps.push({ who, adverts: t.length, gapsMs: g, accepted, loadavg: loadavg() });
}

for (const kind of ['tcp', 'http']) for (const who of ['keepalived', 'ours']) await measure(who, kind);
if (GAP_SECONDS > 0) for (const who of ['keepalived', 'ours']) await gaps(who);
writeFileSync('checkers-vm.json', JSON.stringify(result));
process.exit(0);

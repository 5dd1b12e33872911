#!/usr/bin/env node
// Health checkers at scale, in a lab namespace (root; keepalived, tcpdump and tshark for the
// advert part). Section "TCP_CHECK at scale" (this file's first part):
//
//  1. CPU and RSS of N TCP_CHECKs (default 1,000 and 10,000), delay_loop 1 s, in our daemon
//     (the compiled bundle, one `-f` config with only virtual servers). The targets are loopback
//     addresses 127.x.y.z of the daemon's namespace: 80 % connect to port 8001 (a listener in
//     another process that accepts and closes), 10 % to port 8002 (nothing listens: refused),
//     10 % to port 8003 (SYNs dropped by an nftables rule: they time out at connect_timeout 2 s).
//     After a 6 s warm-up, /proc is sampled every second for --seconds: CPU % of one core per
//     second (utime+stime delta) of the checker child and of the daemon's main process, their
//     RSS, and the TCP sockets in SYN-SENT at that instant (ss); medians and maxima. The kernel's
//     counters of the namespace (nstat: active opens, passive opens) say how many checks really
//     ran: at full rate about N x 0.8 handshakes a second plus the failing ones.
//  2. Advert gaps: the same daemon also runs a VRRPv3 instance at advert_int 0.05 s as master on
//     eth0; a peer namespace runs keepalived 2.2.7 (--vrrp) as its backup and captures the
//     adverts with tcpdump. Gaps between consecutive adverts over --gap-seconds, with 0 and with
//     10,000 TCP_CHECKs, and keepalived as the master (no checks: its checker process needs
//     IPVS, which this kernel lacks) for reference. The peer's transitions are counted from its
//     log ("Entering MASTER STATE" after it settled as backup).
//
//   node bench/checkers.mjs [--seconds 20] [--counts 1000,10000] [--gap-seconds 30] [--write]
// --write puts the figures into docs/BENCHMARKS.md (section "checkers-tcp-scale").
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDist } from './lib/dist.mjs';
import { decodeAdverts, descendants, procSample, sleep, startCapture, startDaemon, watch } from './lib/failover-lab.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { median } from './lib/stats.mjs';
import { args, optText as opt, repo } from './lib/cli.mjs';

const SECONDS = Number(opt('seconds', '20'));
const COUNTS = String(opt('counts', '1000,10000')).split(',').map(Number);
const GAP_SECONDS = Number(opt('gap-seconds', '30'));
const WRITE = args.includes('--write');

const dist = benchDist(repo);
const { Lab } = await import(pathToFileURL(join(dist, 'src/lab/lab.js')).href);

const lab = new Lab('ckb');
const cleanups = [];
const cleanup = () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      c();
    } catch {
      /* best effort */
    }
  }
  lab.destroy();
};
process.on('SIGINT', () => (cleanup(), process.exit(130)));

/** The i-th target address: 127.A.B.C with C in 1..250. */
const target = (i) => `127.${1 + Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;

function checksConfig(n) {
  const out = [];
  const perVs = 1000;
  for (let v = 0; v * perVs < n; v++) {
    out.push(`virtual_server 192.0.2.200 ${10000 + v} {`, '  protocol TCP', '  lb_algo rr', '  lb_kind NAT', '  delay_loop 1');
    for (let i = v * perVs; i < Math.min(n, (v + 1) * perVs); i++) {
      const kind = i % 10;
      const port = kind < 8 ? 8001 : kind === 8 ? 8002 : 8003;
      out.push(`  real_server ${target(i)} 80 {`, '    TCP_CHECK {', `      connect_port ${port}`, '      connect_timeout 2', '    }', '  }');
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

function vrrpConfig(prio, state) {
  return `vrrp_instance VI_1 {\n  state ${state}\n  interface eth0\n  virtual_router_id 77\n  priority ${prio}\n  advert_int 0.05\n  version 3\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;
}

const cpuPct = (a, b, dt) => (a && b ? ((b.cpuS - a.cpuS) / dt) * 100 : NaN);
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const quant = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
};

/** The daemon's checker child: the descendant running checker-main. */
function checkerPid(d) {
  const main = d.child.pid;
  for (const p of descendants(main)) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'latin1');
      if (cmd.includes('checker')) return p;
    } catch {
      /* gone */
    }
  }
  // The child is a fork of the same script; take the only node descendant.
  return descendants(main)[0];
}

/** Kernel TCP counters of the daemon's namespace (nstat): connects started, accept queue overflows. */
function tcpCounters() {
  const out = lab.exec('dir', ['nstat', '-az', '--json']);
  const j = JSON.parse(out);
  const k = j.kernel ?? j;
  return { opens: Number(k.TcpActiveOpens ?? 0), accepted: Number(k.TcpPassiveOpens ?? 0), overflows: Number(k.TcpExtListenOverflows ?? 0), fails: Number(k.TcpAttemptFails ?? 0) };
}

async function synSent() {
  const out = lab.exec('dir', ['ss', '-Htn', 'state', 'syn-sent']);
  return out.split('\n').filter(Boolean).length;
}

try {
  lab.addHost({ name: 'dir', addresses: ['192.0.2.1/24'] });
  lab.addHost({ name: 'peer', addresses: ['192.0.2.2/24'] });
  // Port 8003: SYNs vanish (time out); 8002: refused (no listener); 8001: accepted.
  lab.exec('dir', ['nft', '-f', '-'], 'table inet ktbench {\n chain in {\n  type filter hook input priority 0;\n  tcp dport 8003 drop\n }\n}\n');
  const listener = lab.spawn('dir', [
    process.execPath,
    '-e',
    "const s=require('net').createServer(c=>c.destroy());s.listen({port:8001,host:'0.0.0.0',backlog:4096},()=>console.log('ready'))",
  ]);
  const lw = watch(listener);
  await lw.waitFor(/ready/);
  cleanups.push(() => lw.signal('SIGKILL'));

  // ---- 1. CPU and RSS --------------------------------------------------------------------------
  const scale = [];
  for (const n of COUNTS) {
    const d = startDaemon(lab, 'ours', 'dir', checksConfig(n), dist);
    cleanups.push(() => d.cleanup());
    await d.waitFor(/Activating healthchecker/, 60_000);
    await sleep(6000);
    const cpid = checkerPid(d);
    const mpid = d.child.pid;
    const rows = [];
    let prevC = procSample(cpid);
    let prevM = procSample(mpid);
    let prevT = performance.now();
    const k0 = tcpCounters();
    const t0 = performance.now();
    for (let s = 0; s < SECONDS; s++) {
      await sleep(1000);
      const c = procSample(cpid);
      const m = procSample(mpid);
      const t = performance.now();
      const dt = (t - prevT) / 1000;
      rows.push({ checker: cpuPct(prevC, c, dt), main: cpuPct(prevM, m, dt), rssC: (c?.rssKiB ?? NaN) / 1024, rssM: (m?.rssKiB ?? NaN) / 1024, syn: await synSent() });
      prevC = c;
      prevM = m;
      prevT = t;
    }
    const k1 = tcpCounters();
    const span = (performance.now() - t0) / 1000;
    await d.stop();
    d.cleanup();
    const col = (k) => rows.map((r) => r[k]).filter(Number.isFinite);
    const r = {
      n,
      checkerCpu: median(col('checker')),
      checkerCpuMax: Math.max(...col('checker')),
      mainCpu: median(col('main')),
      rssChecker: median(col('rssC')),
      rssCheckerMax: Math.max(...col('rssC')),
      rssMain: median(col('rssM')),
      synMedian: median(col('syn')),
      synMax: Math.max(...col('syn')),
      acceptedPerS: (k1.accepted - k0.accepted) / span,
      expectedUpPerS: n * 0.8,
      connectsPerS: (k1.opens - k0.opens) / span,
      failedPerS: (k1.fails - k0.fails) / span,
      overflowsPerS: (k1.overflows - k0.overflows) / span,
    };
    scale.push(r);
    console.log(JSON.stringify({ part: 'scale', ...r }));
  }

  // ---- 2. advert gaps --------------------------------------------------------------------------
  const gaps = [];
  const runGap = async (label, masterImpl, n) => {
    const peer = startDaemon(lab, 'keepalived', 'peer', vrrpConfig(100, 'BACKUP'), dist);
    cleanups.push(() => peer.cleanup());
    const master = startDaemon(lab, masterImpl, 'dir', vrrpConfig(200, 'MASTER') + (n > 0 ? checksConfig(n) : ''), dist);
    cleanups.push(() => master.cleanup());
    await peer.waitFor(/Entering BACKUP STATE/, 30_000);
    if (n > 0) await master.waitFor(/Activating healthchecker/, 60_000);
    await sleep(6000);
    const settled = peer.lines.length;
    const cap = await startCapture(lab, 'peer', 'ip proto 112');
    await sleep(GAP_SECONDS * 1000);
    await cap.stop();
    const transitions = peer.lines.slice(settled).filter((l) => /Entering MASTER STATE/.test(l.line)).length;
    const adverts = decodeAdverts(cap.file).filter((p) => p.src === '192.0.2.1');
    cap.remove();
    const g = [];
    for (let i = 1; i < adverts.length; i++) g.push((adverts[i].t - adverts[i - 1].t) * 1000);
    await master.stop();
    await peer.stop();
    master.cleanup();
    peer.cleanup();
    const r = { label, master: masterImpl, checks: n, adverts: adverts.length, p50: quant(g, 0.5), p99: quant(g, 0.99), max: Math.max(...g), transitions };
    gaps.push(r);
    console.log(JSON.stringify({ part: 'gap', ...r }));
  };
  if (GAP_SECONDS > 0) {
    await runGap('keepalived 2.2.7 master, no checks', 'keepalived', 0);
    await runGap('ours master, no checks', 'ours', 0);
    await runGap('ours master, 10,000 TCP_CHECKs in the same daemon', 'ours', 10000);
  }

  if (WRITE) {
    let md = `## Health checkers at scale: TCP_CHECK CPU, RSS and advert gaps\n\n`;
    md += `\`node bench/checkers.mjs --seconds ${SECONDS} --counts ${COUNTS.join(',')} --gap-seconds ${GAP_SECONDS} --write\` (Node ${process.version}, 2 shared cores, 1-min load average ${loadavg()[0].toFixed(1)} at the end). Our daemon from the bundle in a lab namespace; TCP_CHECKs with delay_loop 1 s, connect_timeout 2 s against loopback targets of the namespace: 80 % accepted (listener in another process), 10 % refused, 10 % dropped (time out). Per-second samples over ${SECONDS} s after a 6 s warm-up; medians (max).\n\n`;
    md += '| TCP_CHECKs | checker child CPU % of one core | daemon main CPU % | checker RSS MiB | daemon main RSS MiB | SYN-SENT sockets at a sample | connects started/s (kernel) | handshakes completed/s (kernel, the 80 % that accept: N x 0.8 at full rate) | accept-queue overflows/s |\n|---|---|---|---|---|---|---|---|---|\n';
    for (const r of scale) md += `| ${r.n.toLocaleString('en')} | ${fmt(r.checkerCpu)} (${fmt(r.checkerCpuMax)}) | ${fmt(r.mainCpu)} | ${fmt(r.rssChecker)} (${fmt(r.rssCheckerMax)}) | ${fmt(r.rssMain)} | ${fmt(r.synMedian, 0)} (${fmt(r.synMax, 0)}) | ${fmt(r.connectsPerS, 0)} | ${fmt(r.acceptedPerS, 0)} | ${fmt(r.overflowsPerS, 0)} |\n`;
    if (gaps.length > 0) {
      md += `\nAdvert gaps: VRRPv3, advert_int 0.05 s (50 ms), master in namespace dir, keepalived 2.2.7 \`--vrrp\` backup in namespace peer capturing with tcpdump for ${GAP_SECONDS} s after a 6 s settle. Target with the checks: p99 within 2 ms of 50 ms, max within 5 ms, no transition on the peer.\n\n`;
      md += '| master | adverts | gap p50 ms | gap p99 ms | gap max ms | peer transitions |\n|---|---|---|---|---|---|\n';
      for (const r of gaps) md += `| ${r.label} | ${r.adverts} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 2)} | ${r.transitions} |\n`;
    }
    writeSection(join(repo, 'docs/BENCHMARKS.md'), 'checkers-tcp-scale', md);
  }
} finally {
  cleanup();
}

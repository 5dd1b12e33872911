#!/usr/bin/env node
// Fault benchmark (issue 10 items 2 and 8): keepalived-ts against keepalived 2.2.7 under hostile
// input from an observer, in a lab of network namespaces (switch + master "a" at priority 150 +
// backup "b" at priority 100 + observer "c"). Both routers run the same implementation; the
// implementations alternate within each repetition so load changes hit both.
//
//   node bench/faults.mjs [--reps N] [--flood-s S] [--invalid-s S] [--only flood,invalid] [--no-write]
//
// * flood: valid VRRPv2 adverts at priority 50 for the VRID in use, 2,000/s and 20,000/s for S
//   seconds. Measured on the master: frames it transmitted (its eth0 tx_packets counter) and the
//   CPU time of all its processes (utime+stime from /proc), as % of one core over the flood.
// * invalid: 50 invalid packets/s of one kind (TTL 64, bad checksum, truncated, wrong version,
//   address count 255, address count 0, 6-byte body) for S seconds. Measured: the largest gap
//   between the master's adverts as tcpdump on the observer sees them (kernel timestamps), minus
//   the 1 s advert interval, and whether the backup took over.
// Frames are built by scapy (test/integration/faults/frames.py) and sent by a paced AF_PACKET
// loop in C (test/integration/faults/flood.c), so the sender costs about one sendto() a frame.
// Needs root, keepalived, tcpdump, tshark, cc, python3-scapy. Builds the TypeScript tree and the
// bundle into bench/out/dist first (KT_DIST=DIR uses another build).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, minMax } from './lib/stats.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { decodeAdverts, procSample, sleep, startCapture, startDaemon, waitUntil, hasAddr, watch } from './lib/failover-lab.mjs';
import { benchDist } from './lib/dist.mjs';
import { args, optText as opt, repo, requireCommands, requireRoot } from './lib/cli.mjs';

const REPS = Number(opt('--reps', '3'));
const FLOOD_S = Number(opt('--flood-s', '10'));
const INVALID_S = Number(opt('--invalid-s', '6'));
const ONLY = new Set(opt('--only', 'flood,invalid').split(','));
const WRITE = !args.includes('--no-write');
const DOC = join(repo, 'docs/BENCHMARKS.md');
const FAULTS = join(repo, 'test/integration/faults');

requireRoot('faults');
requireCommands('faults', [['keepalived', ['-v']], ['tcpdump', ['--version']], ['tshark', ['-v']], ['cc', ['--version']], ['/usr/bin/python3', ['-c', 'import scapy.layers.vrrp']]], (cmd, a) => `${cmd} ${a.join(' ')} failed`);

const dist = benchDist(repo);
const { Lab } = await import(pathToFileURL(join(dist, 'src/lab/lab.js')).href);

const work = mkdtempSync(join(tmpdir(), 'kt-bench-faults-'));
const FLOOD = join(work, 'flood');
execFileSync('cc', ['-O2', '-o', FLOOD, join(FAULTS, 'flood.c')]);

const IMPLS = ['ours', 'keepalived'];
const VIP = '192.0.2.100';
const ADDR = { a: '192.0.2.11', b: '192.0.2.12', c: '192.0.2.13' };
const KINDS = ['ttl64', 'checksum', 'truncated', 'version', 'naddr255', 'naddr0', 'short6'];

const conf = (prio) =>
  ['global_defs {', '  script_user root', '}', 'vrrp_instance VI_1 {', '  state BACKUP', '  interface eth0', '  virtual_router_id 51', `  priority ${prio}`, '  advert_int 1', '  virtual_ipaddress {', `    ${VIP}/24`, '  }', '}', ''].join('\n');

function frames(lab, kind, priority) {
  const hex = lab.exec('c', ['/usr/bin/python3', join(FAULTS, 'frames.py'), kind, '51', ADDR.c, VIP, String(priority)]);
  const file = join(work, `${kind}-${priority}.hex`);
  writeFileSync(file, hex);
  return file;
}

async function flood(lab, file, rate, seconds) {
  const child = lab.spawn('c', [FLOOD, 'eth0', String(rate), String(seconds), file]);
  const w = watch(child);
  await w.exited();
  const m = w.lines.map((l) => /^sent (\d+) in ([\d.]+) s/.exec(l.line)).find(Boolean);
  if (!m) throw new Error(`flood failed: ${w.lines.map((l) => l.line).join('\n')}`);
  return { sent: Number(m[1]), seconds: Number(m[2]) };
}

const txPackets = (lab, host) => Number(lab.exec(host, ['cat', '/sys/class/net/eth0/statistics/tx_packets']).trim());
const cpuOf = (d) => d.pids().reduce((s, p) => s + (procSample(p)?.cpuS ?? 0), 0);

/** A fresh lab with `impl` on both routers, a the sole VIP holder. */
async function pair(impl) {
  const lab = new Lab('bft');
  lab.addHost({ name: 'a', addresses: [`${ADDR.a}/24`] });
  lab.addHost({ name: 'b', addresses: [`${ADDR.b}/24`] });
  lab.addHost({ name: 'c', addresses: [`${ADDR.c}/24`] });
  const a = startDaemon(lab, impl, 'a', conf(150), dist);
  const b = startDaemon(lab, impl, 'b', conf(100), dist);
  try {
    await waitUntil('a holds the VIP alone', () => hasAddr(lab, 'a', VIP) && !hasAddr(lab, 'b', VIP), 40_000);
  } catch (e) {
    for (const d of [a, b]) d.cleanup();
    lab.destroy();
    throw e;
  }
  return {
    lab,
    a,
    b,
    async close() {
      for (const d of [a, b]) d.cleanup();
      lab.destroy();
    },
  };
}

const results = { flood: [], invalid: [] };
const load = () => loadavg()[0].toFixed(2);

if (ONLY.has('flood')) {
  for (const rate of [2000, 20000]) {
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? IMPLS : [...IMPLS].reverse();
      for (const impl of order) {
        const p = await pair(impl).catch(() => pair(impl));
        try {
          await sleep(5500); // past the new master's GARP bursts (garp_master_delay 5 s)
          const f = frames(p.lab, 'lower', 50);
          const tx0 = txPackets(p.lab, 'a');
          const c0 = cpuOf(p.a);
          const r = await flood(p.lab, f, rate, FLOOD_S);
          const c1 = cpuOf(p.a);
          const tx1 = txPackets(p.lab, 'a');
          const stillMaster = hasAddr(p.lab, 'a', VIP) && !hasAddr(p.lab, 'b', VIP);
          const row = { rate, impl, rep, frames: tx1 - tx0, cpuPct: ((c1 - c0) / r.seconds) * 100, sent: r.sent, seconds: r.seconds, stillMaster, load: load() };
          results.flood.push(row);
          console.error(JSON.stringify(row));
        } finally {
          await p.close();
        }
      }
    }
  }
}

if (ONLY.has('invalid')) {
  for (const kind of KINDS) {
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? IMPLS : [...IMPLS].reverse();
      for (const impl of order) {
        const p = await pair(impl).catch(() => pair(impl));
        try {
          await sleep(1000);
          const f = frames(p.lab, kind, 254);
          const cap = await startCapture(p.lab, 'c', `ip proto 112 and src host ${ADDR.a}`);
          const bLines = p.b.lines.length;
          const from = Date.now() / 1000;
          await flood(p.lab, f, 50, INVALID_S);
          const to = Date.now() / 1000;
          await cap.stop();
          const ts = decodeAdverts(cap.file).map((x) => x.t).filter((t) => t >= from && t <= to);
          cap.remove();
          let gap = 0;
          for (let i = 1; i < ts.length; i++) gap = Math.max(gap, (ts[i] - ts[i - 1]) * 1000);
          if (ts.length < 2) gap = (to - from) * 1000;
          const takeovers = p.b.lines.slice(bLines).filter((l) => /Entering MASTER STATE/.test(l.line)).length;
          const row = { kind, impl, rep, adverts: ts.length, maxGapMs: gap, overMs: gap - 1000, takeovers, load: load() };
          results.invalid.push(row);
          console.error(JSON.stringify(row));
        } finally {
          await p.close();
        }
      }
    }
  }
}
rmSync(work, { recursive: true, force: true });

// --- report --------------------------------------------------------------------------------------
const f1 = (x) => x.toFixed(1);
// Two marked sections (flood, invalid) so that `--only` re-runs rewrite just their own figures.
const intro = (what) =>
  `${what} measured by \`bench/faults.mjs\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores shared with other work, load ${load()} at the end; ${REPS} repetitions, medians, [min-max]). ` +
  'Lab: bridge + master `a` (priority 150) + backup `b` (priority 100) + observer `c`, one VIP, advert_int 1, VRRPv2; both routers run the same implementation (keepalived-ts: the esbuild bundle, `node dist/bin/keepalived-ts.mjs`; keepalived 2.2.7), alternating within each repetition. ' +
  'The observer sends scapy-built frames through a paced AF_PACKET loop in C (test/integration/faults/flood.c).\n\n';
if (results.flood.length > 0) {
  let md = '## Faults: floods and invalid packets\n\n';
  md += `### Lower-priority advert flood (${FLOOD_S} s, priority 50, valid)\n\n`;
  md += intro('Flood figures');
  md += '| rate | impl | master frames sent | frames/s | master CPU (% of one core) | still master |\n|---|---|---|---|---|---|\n';
  for (const rate of [2000, 20000]) {
    for (const impl of IMPLS) {
      const rs = results.flood.filter((r) => r.rate === rate && r.impl === impl);
      if (rs.length === 0) continue;
      const fr = rs.map((r) => r.frames);
      const cpu = rs.map((r) => r.cpuPct);
      const mm = minMax(fr);
      const mc = minMax(cpu);
      md += `| ${rate}/s | ${impl} | ${median(fr)} [${mm.min}-${mm.max}] | ${f1(median(fr) / FLOOD_S)} | ${f1(median(cpu))} [${f1(mc.min)}-${f1(mc.max)}] | ${rs.filter((r) => r.stillMaster).length}/${rs.length} |\n`;
    }
  }
  md += "\nFrames: the master's eth0 tx_packets over the flood (adverts, GARPs, anything else it sent). CPU: utime+stime of all the daemon's processes over the flood, divided by the flood's duration.\n";
  console.log(md);
  if (WRITE) writeSection(DOC, 'faults-flood', md);
}
if (results.invalid.length > 0) {
  let md = `### 50 invalid packets/s (${INVALID_S} s, priority 254, each kind alone)\n\n`;
  md += intro('Invalid-packet figures');
  md += '| kind | impl | master adverts | largest advert gap - 1 s interval (ms) | backup takeovers |\n|---|---|---|---|---|\n';
  for (const kind of KINDS) {
    for (const impl of IMPLS) {
      const rs = results.invalid.filter((r) => r.kind === kind && r.impl === impl);
      if (rs.length === 0) continue;
      const over = rs.map((r) => r.overMs);
      const mm = minMax(over);
      md += `| ${kind} | ${impl} | ${median(rs.map((r) => r.adverts))} | ${f1(median(over))} [${f1(mm.min)}-${f1(mm.max)}] | ${rs.map((r) => r.takeovers).join(', ')} |\n`;
    }
  }
  md += "\nAdvert gaps from tcpdump on the observer (kernel receive timestamps, filtered to the master's address). A gap far above the interval means the master went quiet; with fewer than two adverts in the window the gap is the whole window. A takeover is a backup \"Entering MASTER STATE\" line during the packets.\n";
  console.log(md);
  if (WRITE) writeSection(DOC, 'faults-invalid', md);
}

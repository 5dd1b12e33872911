#!/usr/bin/env node
// Failover benchmark: keepalived-ts against keepalived 2.2.7 as the BACKUP of the same VRID, in a
// lab of network namespaces (switch + master "m" + backup "b" + observer "o"). The master is
// always keepalived 2.2.7 (priority 150); only the backup (priority 100) changes, and the two
// backups alternate within each repetition so changes in machine load hit both.
//
//   node bench/failover.mjs [--reps N] [--window S] [--only failover,start,footprint] [--no-write]
//
// For VRRPv2 advert_int 1 and VRRPv3 advert_int 0.1 and each way of killing the master
// (kill -9 of all its processes, its eth0 set down, SIGTERM), N repetitions each:
//   * master death -> VIP on the backup: `ip -ts monitor address` in the backup's namespace
//     (netlink notification time, µs);
//   * master death -> first gratuitous ARP for the VIP from the backup's MAC, seen by tcpdump in
//     the observer namespace (kernel receive timestamp);
//   * last master advert -> first backup advert, both from the observer's capture (the
//     protocol figure: Master_Down_Interval after a silent death, Skew_Time after priority 0).
// Also: process spawn -> first advert on the wire (priority 255 owner, which advertises at once),
// and steady-state RSS and CPU over a window for 1 and 50 instances (keepalived: sum of its
// processes).
// "Master death" is the instant just before kill(2) for the signals, and the return of
// `ip link set eth0 down` for the link. Wall clock everywhere (CLOCK_REALTIME, like packet
// timestamps). Needs root, keepalived, tcpdump, tshark. Builds the TypeScript tree into
// bench/out/dist first (KT_DIST=DIR uses another build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, minMax } from './lib/stats.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { benchDist } from './lib/dist.mjs';
import {
  decodeAdverts,
  decodeGarps,
  hasAddr,
  killForNextRound,
  macOf,
  nsPids,
  procSample,
  sleep,
  startCapture,
  startDaemon,
  syncWallClock,
  wallS,
  waitUntil,
  watchAddresses,
} from './lib/failover-lab.mjs';
import { args, optText as opt, repo, requireCommands, requireRoot } from './lib/cli.mjs';

const REPS = Number(opt('--reps', '10'));
const WINDOW_S = Number(opt('--window', '20'));
const ONLY = new Set(opt('--only', 'failover,start,startcost,footprint').split(','));
const WRITE = !args.includes('--no-write');
const DOC = join(repo, 'docs/BENCHMARKS.md');

requireRoot('failover');
requireCommands('failover', [['keepalived', ['-v']], ['tcpdump', ['--version']], ['tshark', ['-v']]]);

const dist = benchDist(repo);
const { Lab } = await import(pathToFileURL(join(dist, 'src/lab/lab.js')).href);

const IMPLS = ['ours', 'keepalived'];
const ADDR = { m: '192.0.2.11', b: '192.0.2.12', o: '192.0.2.13', s: '192.0.2.21' };
const VIP = '192.0.2.100';

function instance({ name = 'VI_1', vrid = 51, prio, version, adv, vips = [VIP], state = 'BACKUP' }) {
  return [
    `vrrp_instance ${name} {`,
    `  state ${state}`,
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    `  priority ${prio}`,
    `  advert_int ${adv}`,
    ...(version === 3 ? ['  version 3'] : []),
    '  virtual_ipaddress {',
    ...vips.map((v) => `    ${v}/24`),
    '  }',
    '}',
    '',
  ].join('\n');
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const stat = (xs) => {
  const v = xs.filter(Number.isFinite);
  if (v.length === 0) return { med: NaN, min: NaN, max: NaN, n: 0 };
  const { min, max } = minMax(v);
  return { med: median(v), min, max, n: v.length };
};

/** Waits until `node` printed a line matching `re` after line index `from`. */
async function waitLineAfter(node, from, re, timeoutMs) {
  await waitUntil(`${node.impl}@${node.host} ${re}`, () => node.lines.slice(from).some((l) => re.test(l.line)), timeoutMs, 10);
}

// --- failover ------------------------------------------------------------------------------------

const MODES = ['kill9', 'linkdown', 'sigterm'];
const MODE_LABEL = { kill9: 'kill -9', linkdown: 'link down', sigterm: 'SIGTERM' };

async function failoverCase(c) {
  const lab = new Lab('bfo');
  const records = [];
  let master;
  let backup;
  let cap;
  let addrs;
  try {
    for (const h of ['m', 'b', 'o']) lab.addHost({ name: h, addresses: [`${ADDR[h]}/24`] });
    const bMac = macOf(lab, 'b');
    cap = await startCapture(lab, 'o');
    addrs = watchAddresses(lab, 'b');
    const masterConf = instance({ prio: 150, version: c.version, adv: c.adv });
    const backupConf = instance({ prio: 100, version: c.version, adv: c.adv });
    const adv = c.adv * 1000;
    const downB = 3 * adv + (c.version === 2 ? ((256 - 100) / 256) * 1000 : ((256 - 100) * adv) / 256);
    let linkDown = false;

    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? IMPLS : [...IMPLS].reverse();
      for (const impl of order) {
        backup = startDaemon(lab, impl, 'b', backupConf, dist);
        await backup.waitFor(/Entering BACKUP STATE/, 20_000);
        for (const mode of MODES) {
          // The keepalived master is (back) up, MASTER, and the backup has released the VIP.
          let from = -1;
          if (linkDown) {
            from = master.lines.length;
            lab.setLink('m', true);
            linkDown = false;
          } else if (!master?.alive()) {
            master?.cleanup();
            master = startDaemon(lab, 'keepalived', 'm', masterConf, dist);
            from = 0;
          }
          if (from >= 0) await waitLineAfter(master, from, /Entering MASTER STATE/, 30_000);
          await waitUntil('VIP released by the backup', () => !hasAddr(lab, 'b', VIP) && hasAddr(lab, 'm', VIP), 30_000);
          // Let the backup follow a few adverts of the settled master.
          await sleep(Math.max(2.5 * adv, 300));
          if (!backup.alive()) throw new Error(`backup ${impl} died:\n${backup.lines.slice(-10).map((l) => l.line).join('\n')}`);

          syncWallClock();
          let t0 = wallS();
          if (mode === 'kill9') master.kill9();
          else if (mode === 'sigterm') master.signal('SIGTERM');
          else {
            lab.setLink('m', false);
            t0 = wallS();
            linkDown = true;
          }
          await waitUntil(`VIP on b (${impl}, ${mode})`, () => addrs.firstAdd(VIP, t0) !== undefined, downB + 10_000, 5);
          // GARPs follow at once; leave time for the capture to see them.
          await sleep(Math.max(adv, 200));
          records.push({ rep, impl, mode, t0, vipT: addrs.firstAdd(VIP, t0) });
          process.stderr.write(`  ${c.name} rep ${rep + 1}/${REPS} ${impl} ${mode}: VIP after ${fmt((addrs.firstAdd(VIP, t0) - t0) * 1000)} ms\n`);
          if (mode !== 'linkdown') {
            await master.exited();
            await waitUntil('master processes gone', () => nsPids(master.netns).length === 0, 5000, 10);
          }
        }
        await backup.stop();
        backup.cleanup();
        backup = undefined;
      }
    }
    await cap.stop();
    const adverts = decodeAdverts(cap.file).filter((p) => p.vrid === 51);
    const garps = decodeGarps(cap.file).filter((g) => g.ip === VIP && g.ethSrc === bMac);
    const rows = records.map((r) => {
      const firstB = adverts.find((p) => p.src === ADDR.b && p.t > r.t0);
      const lastM = firstB ? adverts.filter((p) => p.src === ADDR.m && p.t < firstB.t).at(-1) : undefined;
      const garp = garps.find((g) => g.t > r.t0);
      return {
        ...r,
        vipMs: (r.vipT - r.t0) * 1000,
        garpMs: garp ? (garp.t - r.t0) * 1000 : NaN,
        advertMs: firstB ? (firstB.t - r.t0) * 1000 : NaN,
        gapMs: firstB && lastM ? (firstB.t - lastM.t) * 1000 : NaN,
        lastMPrio: lastM?.prio,
        // VIP installed before (negative) or after the first advert went out.
        vipMinusAdvertMs: firstB ? (r.vipT - firstB.t) * 1000 : NaN,
      };
    });
    return { c, rows, downB };
  } finally {
    addrs?.stop();
    backup?.cleanup();
    master?.cleanup();
    if (cap) await cap.stop().catch(() => undefined);
    cap?.remove();
    lab.destroy();
  }
}

// --- start to first advert -------------------------------------------------------------------------

async function startCase() {
  const lab = new Lab('bst');
  const samples = { ours: [], keepalived: [], cpu: { ours: [], keepalived: [] } };
  let cap;
  try {
    lab.addHost({ name: 's', addresses: [`${ADDR.s}/24`] });
    lab.addHost({ name: 'o', addresses: [`${ADDR.o}/24`] });
    cap = await startCapture(lab, 'o');
    // `state MASTER` too: keepalived 2.2.7 starts even a priority-255 owner in BACKUP when the
    // config says `state BACKUP`.
    const conf = instance({ vrid: 52, prio: 255, version: 2, adv: 1, vips: ['192.0.2.200'], state: 'MASTER' });
    const runs = [];
    for (let rep = 0; rep < REPS; rep++) {
      for (const impl of rep % 2 === 0 ? IMPLS : [...IMPLS].reverse()) {
        syncWallClock();
        const d = startDaemon(lab, impl, 's', conf, dist);
        await d.waitFor(/Entering MASTER STATE/, 20_000);
        // CPU time the daemon used to get there (load-independent, unlike the wall time).
        const cpuS = d.pids().map(procSample).reduce((a, x) => a + (x?.cpuS ?? 0), 0);
        await sleep(300);
        await killForNextRound(lab, d, '192.0.2.200/24');
        runs.push({ impl, spawnedAt: d.spawnedAt, cpuS });
        await sleep(200);
      }
    }
    await cap.stop();
    const adverts = decodeAdverts(cap.file).filter((p) => p.src === ADDR.s);
    for (const r of runs) {
      const first = adverts.find((p) => p.t > r.spawnedAt);
      samples[r.impl].push(first ? (first.t - r.spawnedAt) * 1000 : NaN);
      samples.cpu[r.impl].push(r.cpuS * 1000);
    }
    return samples;
  } finally {
    if (cap) await cap.stop().catch(() => undefined);
    cap?.remove();
    lab.destroy();
  }
}

// --- where start-up CPU goes ---------------------------------------------------------------------

/** CPU ms (user+system since process start) of a fresh `node` that imports `specs`, median of REPS. */
function importCpu(specs) {
  const xs = [];
  for (let i = 0; i < Math.max(5, REPS); i++) {
    const code = `${specs.map((m) => `await import(${JSON.stringify(m)});`).join('')}const u=process.cpuUsage();console.log((u.user+u.system)/1000)`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: repo, encoding: 'utf8' });
    xs.push(Number(r.stdout.trim()));
  }
  return median(xs);
}

function startCost() {
  const d = (p) => pathToFileURL(join(dist, p)).href;
  const rows = [
    ['bare `node` (bootstrap only)', []],
    ['`netlink` package, whole (`import netlink from \'netlink\'`)', ['netlink']],
    ['`netlink` package, request part only (`netlink/dist/netlink.js` + `constants.js`)', ['netlink/dist/netlink.js', 'netlink/dist/constants.js']],
    ['`pino`', ['pino']],
    ['src/kernel/netlink-kernel.js (with whole `netlink`)', [d('src/kernel/netlink-kernel.js')]],
    ['src/net/native-packet-io.js (addon)', [d('src/net/native-packet-io.js')]],
    ['src/cli/run.js (one-shot commands, loaded by main.js in every mode)', [d('src/cli/run.js')]],
    ['src/core/daemon.js (config, runtime, notify, log)', [d('src/core/daemon.js')]],
    ['everything the daemon loads', [d('src/cli/run.js'), d('src/core/daemon.js'), d('src/kernel/netlink-kernel.js'), d('src/net/native-packet-io.js')]],
  ];
  const bare = importCpu([]);
  return rows.map(([label, specs]) => ({ label, cpuMs: specs.length === 0 ? bare : importCpu(specs) - bare }));
}

// --- footprint ---------------------------------------------------------------------------------

async function footprintCase(n) {
  const out = {};
  for (const impl of IMPLS) {
    const lab = new Lab('bfp');
    let d;
    try {
      lab.addHost({ name: 's', addresses: [`${ADDR.s}/24`] });
      let conf = '';
      for (let i = 1; i <= n; i++) conf += instance({ name: `VI_${i}`, vrid: i, prio: 100, version: 2, adv: 1, vips: [`192.0.2.${100 + i}`] });
      d = startDaemon(lab, impl, 's', conf, dist);
      // A lone router becomes master of every instance after Master_Down_Interval (3.6 s).
      await waitUntil(`${n} masters`, () => d.lines.filter((l) => /Entering MASTER STATE/.test(l.line)).length >= n, 30_000, 50);
      await sleep(3000);
      const pids = d.pids();
      const s0 = pids.map(procSample);
      const t0 = performance.now();
      await sleep(WINDOW_S * 1000);
      const s1 = pids.map(procSample);
      const wall = (performance.now() - t0) / 1000;
      const cpuS = s1.reduce((a, s, i) => a + (s && s0[i] ? s.cpuS - s0[i].cpuS : 0), 0);
      const rssKiB = s1.reduce((a, s) => a + (s?.rssKiB ?? 0), 0);
      out[impl] = { cpuPct: (100 * cpuS) / wall, rssMiB: rssKiB / 1024, procs: pids.length };
      process.stderr.write(`  footprint ${impl} x${n}: CPU ${fmt(out[impl].cpuPct, 2)} %, RSS ${fmt(out[impl].rssMiB)} MiB (${pids.length} proc)\n`);
    } finally {
      d?.cleanup();
      lab.destroy();
    }
  }
  return out;
}

// --- main ------------------------------------------------------------------------------------------

const CASES = [
  { name: 'VRRPv2, advert_int 1 s', version: 2, adv: 1 },
  { name: 'VRRPv3, advert_int 0.1 s', version: 3, adv: 0.1 },
];
const load0 = loadavg()[0];
const date = new Date().toISOString().slice(0, 10);
const env = `Node ${process.version}, ${cpus().length} CPU(s), ${date}`;
const results = { failover: [], start: undefined, footprint: {} };

if (ONLY.has('failover')) {
  for (const c of CASES) {
    console.error(`failover: ${c.name}`);
    results.failover.push(await failoverCase(c));
  }
}
if (ONLY.has('start')) {
  console.error('start to first advert');
  results.start = await startCase();
}
if (ONLY.has('startcost')) {
  console.error('start-up CPU by module');
  results.startcost = startCost();
}
if (ONLY.has('footprint')) {
  for (const n of [1, 50]) results.footprint[n] = await footprintCase(n);
}
const load1 = loadavg()[0];

// Parts not run this time keep their figures from the last run (bench/out/failover-results.json),
// so `--only start` rewrites the start row without dropping the footprint table.
const SAVED = join(repo, 'bench/out/failover-results.json');
const saved = existsSync(SAVED) ? JSON.parse(readFileSync(SAVED, 'utf8')) : {};
const meta = { env, load0, load1, reps: REPS, window: WINDOW_S, caCerts: Boolean(process.env.NODE_EXTRA_CA_CERTS) };
if (results.failover.length > 0) saved.failover = { meta, data: results.failover };
if (results.start) saved.start = { meta, data: results.start };
if (results.startcost) saved.startcost = { meta, data: results.startcost };
if (Object.keys(results.footprint).length > 0) saved.footprint = { meta, data: results.footprint };
mkdirSync(dirname(SAVED), { recursive: true });
writeFileSync(SAVED, JSON.stringify(saved, null, 1));
results.failover = saved.failover?.data ?? [];
results.start = saved.start?.data;
results.startcost = saved.startcost?.data;
results.footprint = saved.footprint?.data ?? {};
const metaOf = (part) => saved[part]?.meta ?? meta;

// --- report ------------------------------------------------------------------------------------

const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(3)}x` : 'n/a');
const cell = (s) => `${fmt(s.med)} (${fmt(s.min)}-${fmt(s.max)})`;

let fo = '';
if (results.failover.length > 0) {
  const m = metaOf('failover');
  fo += `## Failover\n\n\`node bench/failover.mjs\` (${m.env}; 1-min load average ${m.load0.toFixed(1)} at start, ${m.load1.toFixed(1)} at end: the machine was shared, so compare rows of one run).\n\n`;
  fo += 'Lab: four network namespaces on one bridge (switch, master `m`, backup `b`, observer `o`). The master is keepalived 2.2.7 at priority 150 in every run; the backup at priority 100 is either keepalived-ts (the esbuild bundle the package bin runs, `node dist/bin/keepalived-ts.mjs`) or keepalived 2.2.7, alternating within each repetition. One VIP. ';
  fo += `${m.reps} repetitions of each row, median (min-max) in ms. Columns: *VIP* = master death to the VIP address appearing on the backup (netlink notification time from \`ip -ts monitor address\` in the backup's namespace); *GARP* = master death to the first gratuitous ARP for the VIP from the backup's MAC, seen by tcpdump in the observer; *gap* = last master advert to first backup advert, both from the observer's capture (the protocol figure: Master_Down_Interval after a silent death, Skew_Time after a priority-0 advert). Master death = just before kill(2) (kill -9 of all keepalived processes, or SIGTERM), or the return of \`ip link set eth0 down\` in the master's namespace.\n\n`;
  fo += 'Death-to-VIP and death-to-GARP include where in the advert interval the master died (uniform over one advert_int), so they scatter by up to one interval; *VIP after last advert* (last master advert in the capture to the VIP on the backup) removes that phase and, with *gap*, is the column that compares the two backups.\n\n';
  fo += '| case | master death | backup | VIP | GARP | VIP after last advert | gap (last master advert -> first backup advert) |\n|---|---|---|---|---|---|---|\n';
  const summary = [];
  for (const { c, rows, downB } of results.failover) {
    for (const mode of MODES) {
      const by = {};
      for (const impl of IMPLS) {
        const r = rows.filter((x) => x.impl === impl && x.mode === mode);
        // last master advert = first backup advert - gap; first backup advert = t0 + advertMs.
        const vipAfterLast = r.map((x) => x.vipMs - x.advertMs + x.gapMs);
        by[impl] = { vip: stat(r.map((x) => x.vipMs)), garp: stat(r.map((x) => x.garpMs)), gap: stat(r.map((x) => x.gapMs)), order: stat(r.map((x) => x.vipMinusAdvertMs)), vipLast: stat(vipAfterLast) };
        fo += `| ${c.name} | ${MODE_LABEL[mode]} | ${impl === 'ours' ? 'keepalived-ts' : 'keepalived'} | ${cell(by[impl].vip)} | ${cell(by[impl].garp)} | ${cell(by[impl].vipLast)} | ${cell(by[impl].gap)} |\n`;
      }
      summary.push({ c, mode, by, downB });
    }
  }
  fo += '\nRatios ours/keepalived of the medians (below 1: we are faster), and the differences ours minus keepalived of the phase-free medians:\n\n| case | master death | VIP | GARP | VIP after last advert | gap | VIP-after-last-advert difference | gap difference |\n|---|---|---|---|---|---|---|---|\n';
  for (const { c, mode, by } of summary) {
    fo += `| ${c.name} | ${MODE_LABEL[mode]} | ${ratio(by.ours.vip.med, by.keepalived.vip.med)} | ${ratio(by.ours.garp.med, by.keepalived.garp.med)} | ${ratio(by.ours.vipLast.med, by.keepalived.vipLast.med)} | ${ratio(by.ours.gap.med, by.keepalived.gap.med)} | ${fmt(by.ours.vipLast.med - by.keepalived.vipLast.med)} ms | ${fmt(by.ours.gap.med - by.keepalived.gap.med)} ms |\n`;
  }
  fo += '\nProtocol figures for the priority-100 backup: ';
  fo += results.failover.map(({ c, downB }) => `${c.name}: Master_Down_Interval ${fmt(downB)} ms, Skew_Time ${fmt(downB - 3 * c.adv * 1000)} ms`).join('; ');
  fo += '. After kill -9 or link down the gap is Master_Down_Interval plus the time the backup needs to act; after SIGTERM the master\'s priority-0 advert starts Skew_Time. VIP-to-advert order (VIP time minus first advert time, median): ';
  fo += summary.map(({ c, mode, by }) => `${c.name.split(',')[0]} ${MODE_LABEL[mode]}: ours ${fmt(by.ours.order.med)} / keepalived ${fmt(by.keepalived.order.med)} ms`).join('; ');
  fo += ' (keepalived sends the advert first and then sets the VIPs).\n';
}

let fp = '';
if (results.start || results.startcost || Object.keys(results.footprint).length > 0) {
  fp += '## Daemon footprint\n\n';
  if (results.start) {
    const m = metaOf('start');
    fp += `\`node bench/failover.mjs --only start\` (${m.env}; load average ${m.load0.toFixed(1)} -> ${m.load1.toFixed(1)}). `;
    const o = stat(results.start.ours);
    const k = stat(results.start.keepalived);
    fp += `**Start to first advert**: spawn (\`ip netns exec\` included, for both) to the first advert in a capture in another namespace, for a priority-255 owner with \`state MASTER\` (it advertises as soon as it runs), and the CPU time (user+system, all processes of the daemon, 10 ms ticks) it had used when it logged MASTER: on a loaded machine the wall time stretches with the CPU time, so the CPU column is the steadier comparison. Both daemons run without NODE_EXTRA_CA_CERTS in their environment (Node would parse that CA bundle at every start, ~80 ms of CPU here; a daemon started by systemd does not inherit it). ${m.reps} runs each, alternating, median (min-max):\n\n| daemon | wall ms | CPU ms |\n|---|---|---|\n`;
    const oc = stat(results.start.cpu?.ours ?? []);
    const kc = stat(results.start.cpu?.keepalived ?? []);
    fp += `| keepalived-ts (\`node dist/bin/keepalived-ts.mjs\`, bundle) | ${cell(o)} | ${cell(oc)} |\n| keepalived 2.2.7 (\`--vrrp -n -l -D\`) | ${cell(k)} | ${cell(kc)} |\n\nRatio ours/keepalived: wall ${ratio(o.med, k.med)}, CPU ${ratio(oc.med, kc.med)}. Target for ours: under 150 ms wall.\n\n`;
  }
  if (results.startcost) {
    const m = metaOf('startcost');
    fp += `**Where our start-up CPU goes** (\`node bench/failover.mjs --only startcost\`, ${m.env}): CPU ms (user+system, from \`process.cpuUsage()\`) of a fresh \`node\` importing the module, minus a bare \`node\`; median of ${Math.max(5, m.reps)}. Shared dependencies count in every row that loads them, so rows do not add up.\n\n| what | CPU ms |\n|---|---|\n`;
    for (const r of results.startcost) fp += `| ${r.label} | ${fmt(r.cpuMs, 0)} |\n`;
    const ca = metaOf('startcost').caCerts
      ? 'in a shell that set NODE_EXTRA_CA_CERTS (Node then parses that CA bundle at every start: the bare row above includes it)'
      : 'without NODE_EXTRA_CA_CERTS in the environment';
    fp += `\nThese rows time tsc's per-file modules (what the tests load) ${ca}.`;
    fp += ' The daemon itself runs from the esbuild bundle (`npm run build:bundle`, scripts/bundle.mjs: one CommonJS file run with V8\'s code cache written at build time, netlink\'s and pino\'s CommonJS bundled in, the daemon\'s modules initialised only in daemon mode; bench/start.mjs compares it with keepalived) and, in the start test above, without NODE_EXTRA_CA_CERTS. What is left is mostly Node\'s own bootstrap and compiling the bundle; keepalived needs a few tens of ms of CPU in all.\n\n';
  }
  const ns = Object.keys(results.footprint);
  if (ns.length > 0) {
    const m = metaOf('footprint');
    fp += `\`node bench/failover.mjs --only footprint\` (${m.env}; load average ${m.load0.toFixed(1)} -> ${m.load1.toFixed(1)}). `;
    fp += `**Steady state**: a lone router master of N instances (VRRPv2, advert_int 1, one VIP each), 3 s after all became master: CPU = (utime+stime) over a ${m.window} s window / wall time; RSS = VmRSS at the end (keepalived: sum of its processes, the parent and the VRRP child).\n\n| instances | daemon | CPU % | RSS MiB | processes |\n|---|---|---|---|---|\n`;
    for (const n of ns) {
      for (const impl of IMPLS) {
        const r = results.footprint[n][impl];
        // One clock tick (10 ms) over the window is the resolution.
        const cpu = r.cpuPct === 0 ? `< ${fmt(100 * 0.01 / m.window, 2)}` : fmt(r.cpuPct, 2);
        fp += `| ${n} | ${impl === 'ours' ? 'keepalived-ts' : 'keepalived 2.2.7'} | ${cpu} | ${fmt(r.rssMiB)} | ${r.procs} |\n`;
      }
    }
    fp += '\nRatios ours/keepalived: ' + ns.map((n) => `${n} instance(s): CPU ${ratio(results.footprint[n].ours.cpuPct, results.footprint[n].keepalived.cpuPct)}, RSS ${ratio(results.footprint[n].ours.rssMiB, results.footprint[n].keepalived.rssMiB)}`).join('; ') + '.\n';
  }
}

console.log(fo + '\n' + fp);
if (WRITE) {
  if (fo) writeSection(DOC, 'failover', fo);
  if (fp) writeSection(DOC, 'daemon-footprint', fp);
  console.error(`wrote ${DOC}`);
}
process.exit(0);

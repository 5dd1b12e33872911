#!/usr/bin/env node
// Start-up of the launcher dist/bin/keepalived-ts (`node --snapshot-blob` on the bundle's V8
// startup snapshot, scripts/launcher.sh, scripts/snapshot.mjs) and of the package's bin, its
// fallback (`node dist/bin/keepalived-ts.mjs`: the CommonJS bundle run with V8's code cache,
// scripts/bin-entry.mjs) against keepalived 2.2.7, in one run, alternating:
//   * start to first advert: spawn (`ip netns exec` included, for both) to the first advert in a
//     capture in another namespace, for a priority-255 owner with `state MASTER`; and the CPU time
//     every thread of every process of the daemon had used when it logged MASTER
//     (/proc/PID/task/TID/schedstat, nanoseconds);
//   * fresh `-t` on the generated 58,206-line file (bench/lib/gen-config.mjs), both inside the
//     lab namespace (keepalived looks up the `interface` of each instance); wall and user+system CPU;
//   * `-v` and a bare `node -e 0`: the floor under every start.
// Every child runs without NODE_EXTRA_CA_CERTS (Node would parse that CA bundle at each start).
//
//   node bench/start.mjs [--reps N] [--before DIR] [--no-write]
//
// --before DIR adds rows for another build's executable, DIR/bin/keepalived-ts.mjs (e.g. the earlier
// ES-module bundle, to compare layouts in the same run). Needs root. Writes the "Start-up from a V8
// startup snapshot" section of docs/BENCHMARKS.md (appended at the end the first time).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, minMax } from './lib/stats.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { benchDist } from './lib/dist.mjs';
import { generateConfig } from './lib/gen-config.mjs';
import { decodeAdverts, killForNextRound, sleep, startCapture, startDaemon, syncWallClock } from './lib/failover-lab.mjs';
import { args, optText as opt, repo, requireCommands, requireRoot } from './lib/cli.mjs';

const REPS = Number(opt('--reps', '7'));
const BEFORE = opt('--before', undefined);
const WRITE = !args.includes('--no-write');

requireRoot('start');
requireCommands('start', [['keepalived', ['-v']], ['tcpdump', ['--version']], ['tshark', ['-v']]]);
if (BEFORE !== undefined && !existsSync(join(BEFORE, 'bin/keepalived-ts.mjs'))) {
  console.error(`start bench: ${BEFORE}/bin/keepalived-ts.mjs not found`);
  process.exit(2);
}

const dist = benchDist(repo);
const { Lab } = await import(pathToFileURL(join(dist, 'src/lab/lab.js')).href);
const { NODE_EXTRA_CA_CERTS: _ca, ...env } = process.env;

/** Implementations measured: label -> how startDaemon runs it (impl, dist). */
const launcher = join(dist, 'bin/keepalived-ts');
if (!existsSync(join(dist, 'bin/keepalived-ts.blob'))) {
  console.error(`start bench: ${dist}/bin/keepalived-ts.blob not built (npm run build:bundle)`);
  process.exit(2);
}
const IMPLS = [
  { label: 'ours', impl: 'ours', dist, cmd: [launcher] },
  { label: 'cache', impl: 'ours', dist, cmd: [process.execPath, join(dist, 'bin/keepalived-ts.mjs')] },
  ...(BEFORE !== undefined ? [{ label: 'before', impl: 'ours', dist: BEFORE, cmd: [process.execPath, join(BEFORE, 'bin/keepalived-ts.mjs')] }] : []),
  { label: 'keepalived', impl: 'keepalived' },
];
const ADDR = { s: '192.0.2.21', o: '192.0.2.22' };
const VIP = '192.0.2.200';
const CONF = [
  'vrrp_instance VI_1 {',
  '  state MASTER',
  '  interface eth0',
  '  virtual_router_id 52',
  '  priority 255',
  '  advert_int 1',
  '  virtual_ipaddress {',
  `    ${VIP}/24`,
  '  }',
  '}',
  '',
].join('\n');

/** CPU ms used so far by every thread of the given processes (schedstat: ns on a CPU). */
function cpuMs(pids) {
  let ns = 0;
  for (const pid of pids) {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* thread gone */
      }
    }
  }
  return ns / 1e6;
}

/** One process run under /usr/bin/time: wall ms, CPU ms (user+system, 10 ms ticks), exit code. */
function timed(argv) {
  const out = join(tmp, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%e %U %S %x', ...argv], { env, encoding: 'utf8' });
  const [e, u, s, x] = readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  if (r.status === null) throw new Error(`${argv.join(' ')}: killed`);
  return { wall: e * 1000, cpu: (u + s) * 1000, code: x };
}

const stat = (xs) => {
  const v = xs.filter(Number.isFinite);
  if (v.length === 0) return { med: NaN, min: NaN, max: NaN, n: 0 };
  return { med: median(v), ...minMax(v), n: v.length };
};
const cell = (s, d = 1) => (s.n === 0 ? 'n/a' : `${s.med.toFixed(d)} (${s.min.toFixed(d)}-${s.max.toFixed(d)})`);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

const tmp = mkdtempSync(join(tmpdir(), 'kt-bench-start-'));
const load0 = loadavg()[0];
const lab = new Lab('bsu');
const first = Object.fromEntries(IMPLS.map((i) => [i.label, { wall: [], cpu: [] }]));
const check = Object.fromEntries(IMPLS.map((i) => [i.label, { wall: [], cpu: [], codes: new Set() }]));
const version = { ours: { wall: [], cpu: [] }, cache: { wall: [], cpu: [] }, before: { wall: [], cpu: [] }, node: { wall: [], cpu: [] } };
let cap;
try {
  lab.addHost({ name: 's', addresses: [`${ADDR.s}/24`] });
  lab.addHost({ name: 'o', addresses: [`${ADDR.o}/24`] });
  const ns = lab.host('s').netns;
  cap = await startCapture(lab, 'o');
  const bigConf = join(tmp, 'big.conf');
  writeFileSync(bigConf, generateConfig());

  console.error(`start to first advert, ${REPS} reps`);
  const runs = [];
  for (let rep = 0; rep < REPS; rep++) {
    for (const im of rep % 2 === 0 ? IMPLS : [...IMPLS].reverse()) {
      syncWallClock();
      const d = startDaemon(lab, im.impl, 's', CONF, im.dist ?? dist, im.cmd);
      await d.waitFor(/Entering MASTER STATE/, 30_000);
      const cpu = cpuMs(d.pids());
      await sleep(300);
      await killForNextRound(lab, d, `${VIP}/24`);
      runs.push({ label: im.label, spawnedAt: d.spawnedAt, cpu });
      await sleep(200);
    }
  }
  await cap.stop();
  const adverts = decodeAdverts(cap.file).filter((p) => p.src === ADDR.s);
  for (const r of runs) {
    const a = adverts.find((p) => p.t > r.spawnedAt);
    first[r.label].wall.push(a ? (a.t - r.spawnedAt) * 1000 : NaN);
    first[r.label].cpu.push(r.cpu);
  }

  console.error(`-t on the ${generateConfig().trimEnd().split('\n').length}-line file, -v, bare node; ${REPS} reps`);
  for (let rep = 0; rep < REPS; rep++) {
    for (const im of rep % 2 === 0 ? IMPLS : [...IMPLS].reverse()) {
      const argv = im.impl === 'keepalived' ? ['keepalived', '-t', '-n', '-l', '-f', bigConf] : [...im.cmd, '-t', '-f', bigConf];
      const r = timed(['ip', 'netns', 'exec', ns, ...argv]);
      check[im.label].wall.push(r.wall);
      check[im.label].cpu.push(r.cpu);
      check[im.label].codes.add(r.code);
      if (im.impl !== 'keepalived') {
        const v = timed([...im.cmd, '-v']);
        version[im.label].wall.push(v.wall);
        version[im.label].cpu.push(v.cpu);
      }
    }
    const n = timed([process.execPath, '-e', '0']);
    version.node.wall.push(n.wall);
    version.node.cpu.push(n.cpu);
  }
} finally {
  if (cap) await cap.stop().catch(() => undefined);
  cap?.remove();
  lab.destroy();
  rmSync(tmp, { recursive: true, force: true });
}
const load1 = loadavg()[0];

const S = (o) => ({ wall: stat(o.wall), cpu: stat(o.cpu) });
const f = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, S(v)]));
const t = Object.fromEntries(Object.entries(check).map(([k, v]) => [k, S(v)]));
const v = Object.fromEntries(Object.entries(version).map(([k, x]) => [k, S(x)]));
const hasBefore = BEFORE !== undefined;

let md = '## Start-up from a V8 startup snapshot: start to first advert and fresh `-t`\n\n';
md += `\`node bench/start.mjs${hasBefore ? ' --before DIR' : ''}\` (Node ${process.version}, ${cpus().length} CPU(s), ${new Date().toISOString().slice(0, 10)}; 1-minute load average ${load0.toFixed(1)} at start, ${load1.toFixed(1)} at end: `;
md += 'other work shared the machine and stretches every figure, so compare the rows of this run with each other, as ratios, not with other sections). ';
md += `${REPS} runs of each, alternating, median (min-max). Every process runs without NODE_EXTRA_CA_CERTS. `;
md += '"snapshot" is the launcher `dist/bin/keepalived-ts` (scripts/launcher.sh), which execs `node --snapshot-blob keepalived-ts.blob` (scripts/snapshot.mjs: the bundle evaluated at build time, the daemon\'s modules initialised); ';
md += '"code cache" is `node dist/bin/keepalived-ts.mjs`, the package\'s bin and the launcher\'s fallback (the CommonJS bundle compiled from V8\'s code cache)';
md += hasBefore ? '; "before" is another build given with --before.\n\n' : '.\n\n';
md += '**Start to first advert** (priority-255 owner, `state MASTER`; spawn with `ip netns exec` to its first advert in a capture in another namespace; CPU: every thread of every process of the daemon, from schedstat, when it logged MASTER):\n\n';
md += '| daemon | wall ms | CPU ms |\n|---|---|---|\n';
md += `| keepalived-ts, snapshot (launcher) | ${cell(f.ours.wall)} | ${cell(f.ours.cpu)} |\n`;
md += `| keepalived-ts, code cache (\`node keepalived-ts.mjs\`) | ${cell(f.cache.wall)} | ${cell(f.cache.cpu)} |\n`;
if (hasBefore) md += `| keepalived-ts before | ${cell(f.before.wall)} | ${cell(f.before.cpu)} |\n`;
md += `| keepalived 2.2.7 (\`--vrrp -n -l -D\`) | ${cell(f.keepalived.wall)} | ${cell(f.keepalived.cpu)} |\n\n`;
md += `Ratios: snapshot/keepalived wall ${ratio(f.ours.wall.med, f.keepalived.wall.med)}, CPU ${ratio(f.ours.cpu.med, f.keepalived.cpu.med)}; `;
md += `snapshot/code cache wall ${ratio(f.ours.wall.med, f.cache.wall.med)}, CPU ${ratio(f.ours.cpu.med, f.cache.cpu.med)}`;
md += hasBefore ? `; snapshot/before: wall ${ratio(f.ours.wall.med, f.before.wall.med)}, CPU ${ratio(f.ours.cpu.med, f.before.cpu.med)}.\n\n` : '.\n\n';
md += '**Fresh `-t` on the generated 58,206-line file** (bench/lib/gen-config.mjs; both inside the lab namespace, `ip netns exec` included; CPU: user+system, 10 ms ticks), and the floor under every start:\n\n';
md += '| what | wall ms | CPU ms | exit |\n|---|---|---|---|\n';
md += `| snapshot \`-t -f\` | ${cell(t.ours.wall)} | ${cell(t.ours.cpu)} | ${[...check.ours.codes].join(', ')} |\n`;
md += `| code cache \`-t -f\` | ${cell(t.cache.wall)} | ${cell(t.cache.cpu)} | ${[...check.cache.codes].join(', ')} |\n`;
if (hasBefore) md += `| before \`-t -f\` | ${cell(t.before.wall)} | ${cell(t.before.cpu)} | ${[...check.before.codes].join(', ')} |\n`;
md += `| keepalived 2.2.7 \`-t -n -l -f\` | ${cell(t.keepalived.wall)} | ${cell(t.keepalived.cpu)} | ${[...check.keepalived.codes].join(', ')} |\n`;
md += `| snapshot \`-v\` | ${cell(v.ours.wall)} | ${cell(v.ours.cpu)} | |\n`;
md += `| code cache \`-v\` | ${cell(v.cache.wall)} | ${cell(v.cache.cpu)} | |\n`;
if (hasBefore) md += `| before \`-v\` | ${cell(v.before.wall)} | ${cell(v.before.cpu)} | |\n`;
md += `| bare \`node -e 0\` | ${cell(v.node.wall)} | ${cell(v.node.cpu)} | |\n\n`;
md += `Ratio snapshot/keepalived for \`-t\`: wall ${ratio(t.ours.wall.med, t.keepalived.wall.med)}, CPU ${ratio(t.ours.cpu.med, t.keepalived.cpu.med)}; `;
md += `code cache/keepalived: CPU ${ratio(t.cache.cpu.med, t.keepalived.cpu.med)}. `;
md += `Start to first advert under 50 ms: ${f.ours.wall.med < 50 ? 'met' : 'not met'} in this run (${f.ours.wall.med.toFixed(1)} ms; keepalived ${f.keepalived.wall.med.toFixed(1)} ms, bare node ${v.node.wall.med.toFixed(1)} ms of wall for nothing at all). `;
md += `Fresh \`-t\` within 2x of keepalived's CPU: ${t.ours.cpu.med <= 2 * t.keepalived.cpu.med ? 'met' : 'not met'}.\n`;
md += '\n**What the snapshot buys and costs (Node 20).** ';
md += `To first advert the snapshot path costs ${ratio(f.ours.cpu.med, f.cache.cpu.med)} the code-cache path\'s CPU and for \`-v\` (CPU ${ratio(v.ours.cpu.med, v.cache.cpu.med)}), and its wall time to first advert is ${ratio(f.ours.wall.med, f.cache.wall.med)} the code cache's, so the package's bin stays the code-cache executable (ADR 0026). `;
md += 'What it saves is the evaluation of the bundle and the initialisation of the daemon\'s modules; what it costs is fixed: Node reads the whole blob (about 5.7 MB, of which about 4.1 MB is what an empty entry gives: Node\'s own heap and its built-ins\' code cache) into a zero-filled buffer and deserialises it, which `perf` shows as memset, kernel copies and page faults that the built-in snapshot does not pay; an empty user snapshot already costs more CPU than `node -e 0`. ';
md += `The launcher adds a shell and two small forks (readlink, stat). Functions the snapshot did not compile are compiled at their first call, while the code cache holds the bytecode of the build's \`-t\` warm-up; \`-t\` on the big file, where the parse dominates, is ${ratio(t.ours.cpu.med, t.cache.cpu.med)} the code cache's CPU from the snapshot in this run. `;
md += 'A `--cpu-prof` of a start from the snapshot puts the rest in the daemon\'s own work (config read and parse, the addon\'s dlopen, the netlink link dump, the logger) rather than in module loading. ';
md += 'What would close the 50 ms gap: a Node that loads a user snapshot as cheaply as its built-in one (the launcher, its checks and tests are ready: switching is the `bin` line of package.json plus making the blob at install), or a single executable with the snapshot built in; and, in any case, less work before the first advert (a lazy logger, one netlink dump, a faster config parser). ';
md += 'Fresh `-t` on the 58k-line file is the Peggy parse and the model, not start-up (see "Config parsing"); it is reported here, not changed.\n';
console.log(md);
if (WRITE) writeSection(join(repo, 'docs/BENCHMARKS.md'), 'start-snapshot', md);

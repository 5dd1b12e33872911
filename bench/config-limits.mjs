#!/usr/bin/env node
// Config size limits: `-t` on two generated 50 MB inputs, ours against keepalived 2.2.7.
//
//   node bench/config-limits.mjs [--runs N] [--mb SIZE] [--no-write]
//
// Inputs (written to a temp dir, removed afterwards):
//   * top:   SIZE MB of unknown keywords at top level, one per line (about 84 bytes a line);
//   * block: the same lines inside one `global_defs { ... }` block.
// For each input, N runs each of ours (the bundle, `node dist/bin/keepalived-ts.mjs -t -f FILE`;
// rebuild it with `npm run build:ts && npm run build:bundle`) and of `keepalived -t -n -l -f FILE`,
// alternating so that a change in machine load hits both. keepalived runs inside a network
// namespace this script creates (never in the host namespace). Each run is wrapped in
// /usr/bin/time -f '%e %M': wall seconds and peak RSS (the largest process, in KiB). Both
// write their report to a file in the temp dir (keepalived prints every line, ours the capped
// report), so neither pays for a pipe the other does not. Medians (min-max) are written to
// docs/BENCHMARKS.md in the section "Config size limits". Targets: ours under 200 MB peak RSS
// and within 2x keepalived's wall time.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, minMax } from './lib/stats.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { args, optNumber as opt, repo } from './lib/cli.mjs';

const RUNS = opt('--runs', 3);
const MB = opt('--mb', 50);
const WRITE = !args.includes('--no-write');
const bin = join(repo, 'dist/bin/keepalived-ts.mjs');
if (!existsSync(bin)) {
  console.error(`config-limits bench: ${bin} not found; run \`npm run build:ts && npm run build:bundle\` first`);
  process.exit(2);
}
if (!existsSync('/usr/bin/time')) {
  console.error('config-limits bench: /usr/bin/time (GNU time) is needed for peak RSS');
  process.exit(2);
}

// Children run without NODE_EXTRA_CA_CERTS (see bench/config-parse.mjs): Node would parse that
// CA bundle at every start; a daemon started by systemd does not inherit it.
const childEnv = { ...process.env };
delete childEnv.NODE_EXTRA_CA_CERTS;

const work = mkdtempSync(join(tmpdir(), 'kt-limits-'));
const ns = `ktlim${process.pid}`;
let nsReady = false;

/** Writes the input line by line in 1 MB chunks (the generator never holds the whole file). */
function generate(file, inBlock) {
  const fd = openSync(file, 'w');
  let size = 0;
  let i = 0;
  const target = MB * 1_000_000;
  if (inBlock) size += writeSync(fd, 'global_defs {\n');
  let chunk = '';
  while (size + chunk.length < target) {
    chunk += `${inBlock ? '  ' : ''}unknown_keyword_${String(i++).padStart(7, '0')} argument_one argument_two argument_three argument_four arg5\n`;
    if (chunk.length > 1_000_000) {
      size += writeSync(fd, chunk);
      chunk = '';
    }
  }
  size += writeSync(fd, chunk);
  if (inBlock) writeSync(fd, '}\n');
  closeSync(fd);
  return i;
}

/** Runs argv under GNU time; returns wall seconds, peak RSS (KiB), exit status of the command. */
function timed(argv, outFile) {
  const fd = openSync(outFile, 'w');
  const timeFile = `${outFile}.time`;
  const r = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %M %x', ...argv], { stdio: ['ignore', fd, fd], env: childEnv, timeout: 600_000 });
  closeSync(fd);
  if (r.error) throw r.error;
  const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop();
  const [wall, rssKiB, status] = last.split(' ').map(Number);
  return { wall, rssKiB, status, reportLines: readFileSync(outFile, 'utf8').split('\n').filter((l) => l.length > 0).length };
}

const fmt = (xs, digits, scale = 1) => {
  const { min, max } = minMax(xs);
  return `${(median(xs) * scale).toFixed(digits)} (${(min * scale).toFixed(digits)}-${(max * scale).toFixed(digits)})`;
};

try {
  const load0 = loadavg()[0];
  const haveKa = spawnSync('keepalived', ['-v'], { encoding: 'utf8' });
  const kaVersion = /Keepalived v(\S+)/.exec(haveKa.stderr ?? '')?.[1];
  let kaNote = '';
  if (!kaVersion) kaNote = 'keepalived not installed';
  else if (process.getuid?.() !== 0) kaNote = 'not root: cannot create a network namespace, keepalived not run';
  else {
    nsReady = spawnSync('ip', ['netns', 'add', ns]).status === 0;
    if (!nsReady) kaNote = 'could not create the namespace';
  }
  const kaRuns = nsReady && kaNote === '';

  const inputs = [
    { id: 'top', what: `${MB} MB of unknown keywords at top level`, file: join(work, 'top.conf'), inBlock: false },
    { id: 'block', what: `${MB} MB of unknown keywords inside one global_defs block`, file: join(work, 'block.conf'), inBlock: true },
  ];
  const rows = [];
  for (const inp of inputs) {
    const lines = generate(inp.file, inp.inBlock);
    const bytes = statSync(inp.file).size;
    const ours = [];
    const ka = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(timed([process.execPath, bin, '-t', '-f', inp.file], join(work, 'ours.out')));
      if (kaRuns) {
        const pid = (n) => join(work, `${n}.pid`);
        ka.push(timed(['ip', 'netns', 'exec', ns, 'keepalived', '-t', '-n', '-l', '-f', inp.file, '-p', pid('p'), '-r', pid('r'), '-c', pid('c'), '-b', pid('b')], join(work, 'ka.out')));
      }
      console.error(`${inp.id} run ${i + 1}/${RUNS}: ours ${ours.at(-1).wall} s ${ours.at(-1).rssKiB} KiB` + (kaRuns ? `; keepalived ${ka.at(-1).wall} s ${ka.at(-1).rssKiB} KiB` : ''));
    }
    rows.push({ inp, lines, bytes, ours, ka });
    rmSync(inp.file, { force: true });
  }
  const load1 = loadavg()[0];

  const out = [];
  out.push('## Config size limits');
  out.push('');
  out.push(
    `\`node bench/config-limits.mjs --runs ${RUNS}\` (Node ${process.version}, ${cpus().length} CPU(s), ${new Date().toISOString().slice(0, 10)}; load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}). ` +
      '`-t` on generated inputs, ours (the bundle, `node dist/bin/keepalived-ts.mjs -t -f FILE`, without NODE_EXTRA_CA_CERTS) and keepalived 2.2.7 (`keepalived -t -n -l -f FILE` inside a network namespace, `ip netns exec` included), alternating; ' +
      `wall time and peak RSS of the largest process from GNU time, median (min-max) of ${RUNS} runs. Both write their report to a file. keepalived prints every unknown keyword (once per process that reads the config); we print the first 100 per file and one line counting the rest.`,
  );
  out.push('');
  out.push('| input | lines | program | wall s | peak RSS MiB | exit | report lines |');
  out.push('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const label = `${r.inp.what} (${(r.bytes / 1e6).toFixed(1)} MB)`;
    out.push(`| ${label} | ${r.lines} | keepalived-ts | ${fmt(r.ours.map((x) => x.wall), 2)} | ${fmt(r.ours.map((x) => x.rssKiB), 1, 1 / 1024)} | ${r.ours[0].status} | ${r.ours[0].reportLines} |`);
    if (r.ka.length > 0) out.push(`| ${label} | ${r.lines} | keepalived 2.2.7 | ${fmt(r.ka.map((x) => x.wall), 2)} | ${fmt(r.ka.map((x) => x.rssKiB), 1, 1 / 1024)} | ${r.ka[0].status} | ${r.ka[0].reportLines} |`);
  }
  out.push('');
  if (kaRuns) {
    const ratios = rows.map((r) => `${r.inp.id}: wall ${(median(r.ours.map((x) => x.wall)) / median(r.ka.map((x) => x.wall))).toFixed(2)}x, peak RSS ${(median(r.ours.map((x) => x.rssKiB)) / 1024).toFixed(1)} MiB`);
    out.push(`Ours/keepalived of the medians: ${ratios.join('; ')}. Targets: peak RSS under 200 MB, wall time within 2x keepalived's.`);
  } else out.push(`keepalived not measured: ${kaNote}.`);
  out.push('');
  out.push(
    'Before the limits (commit ed9e137, the same top-level input, one run each, measured by hand on 2026-12-05 under load average ~7): ' +
      'ours 184.7 s and 1,258.7 MiB peak RSS (every diagnostic kept, each with a did-you-mean search, and the whole tree held), keepalived 19.8 s and 10.2 MiB; issue 10 reported 45 s / 1.27 GB against keepalived\'s 5.4 s on a quiet machine. ' +
      'keepalived\'s time grows with what it prints: the same file, report to a file, cost it 5-40 s here depending on the load of the shared machine.',
  );
  const body = out.join('\n');
  console.log(body);
  if (WRITE) writeSection(join(repo, 'docs/BENCHMARKS.md'), 'config-limits', body);
} finally {
  if (nsReady) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(work, { recursive: true, force: true });
}

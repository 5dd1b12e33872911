#!/usr/bin/env node
// Config parse benchmark: our full pipeline (preprocess + parse + typed model) against
// `keepalived -t -f` on the same generated ~58,000-line file (200 vrrp_instances with VIPs,
// 1,000 virtual servers x 10 real servers with TCP_CHECK).
//
//   node bench/config-parse.mjs [--runs N] [--no-write]
//
// Measures, N runs each, medians reported:
//   * ours, fresh process: `node dist/src/cli/main.js -t -f FILE` wall time (spawn to exit), and
//     the bundled executable `node dist/bin/keepalived-ts.mjs -t -f FILE` when it was built (that
//     one is compared with keepalived);
//   * ours, in-process: parseConfigFile() + buildModel() after two warm-up runs, timed apart;
//   * keepalived -t -n -l -f FILE wall time, run inside a network namespace this script creates
//     (with an `eth0` veth so keepalived's interface validation finds the interface), never in
//     the host namespace. Skipped with a note when namespaces cannot be created (not root).
//     Fresh runs of ours and keepalived's alternate, so a change in machine load hits both.
//   * ours, `-v` only: Node start-up plus loading the CLI and config modules, no config read (the
//     floor under the fresh-process figure);
//   * with KT_BASELINE=DIR (another build, e.g. an older commit's dist/): the same fresh and
//     in-process runs of that build, interleaved with ours, as "before" rows.
// Needs the compiled tree (`npm run build`); KT_DIST=DIR points at another build output. The
// notes say whether the generated parser was built with grammar/peggy-class-tables.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { generateConfig } from './lib/gen-config.mjs';
import { median, minMax, fmtMs } from './lib/stats.mjs';
import { writeSection } from './lib/markdown-section.mjs';
import { args, optNumber, repo } from './lib/cli.mjs';

const RUNS = optNumber('--runs', 7);
const WRITE = !args.includes('--no-write');
const dist = process.env.KT_DIST ?? join(repo, 'dist');
const mainJs = join(dist, 'src/cli/main.js');
// The installed executable (`npm run build:bundle`): what `keepalived-ts -t` runs. Measured when present.
const binJs = join(dist, 'bin/keepalived-ts.mjs');
const haveBin = existsSync(binJs);
const pipelineJs = join(dist, 'src/config/pipeline.js');
if (!existsSync(mainJs) || !existsSync(pipelineJs)) {
  console.error(`config-parse bench: ${mainJs} not found; run \`npm run build\` first (or set KT_DIST)`);
  process.exit(2);
}
const baseline = process.env.KT_BASELINE;
const baseMainJs = baseline ? join(baseline, 'src/cli/main.js') : undefined;
if (baseMainJs && !existsSync(baseMainJs)) {
  console.error(`config-parse bench: KT_BASELINE: ${baseMainJs} not found`);
  process.exit(2);
}
/** Whether a build's generated parser went through grammar/peggy-class-tables.mjs. */
const classTables = (d) => {
  try {
    return readFileSync(join(d, 'src/config/generated/keepalived-parser.js'), 'utf8').includes('const peg$r0 = ((re) =>');
  } catch {
    return false;
  }
};

const work = mkdtempSync(join(tmpdir(), 'kt-bench-'));
const conf = join(work, 'bench.conf');
const text = generateConfig();
writeFileSync(conf, text);
const lineCount = text.split('\n').length - 1;
const ns = `ktbench${process.pid}`;
let nsReady = false;

// Children run without NODE_EXTRA_CA_CERTS: Node parses that CA bundle at every start (~60-80 ms
// here, set by this workplace's shell for its package proxy); keepalived is unaffected, and a
// daemon started by systemd does not inherit it. The other variables pass through.
const childEnv = { ...process.env };
delete childEnv.NODE_EXTRA_CA_CERTS;

function run(cmd, argv) {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000, env: childEnv });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  return { ms, status: r.status, stderr: r.stderr };
}

try {
  const load0 = loadavg()[0];
  // --- keepalived -t: set up our own namespace first ---
  const ka = [];
  let kaStatus;
  let kaNote = '';
  const haveKa = spawnSync('keepalived', ['-v'], { encoding: 'utf8' });
  const kaVersion = /Keepalived v(\S+)/.exec(haveKa.stderr ?? '')?.[1];
  if (!kaVersion) kaNote = 'keepalived not installed';
  else if (process.getuid?.() !== 0) kaNote = 'not root: cannot create a network namespace, keepalived not run';
  else {
    const a = spawnSync('ip', ['netns', 'add', ns]);
    nsReady = a.status === 0;
    const b = nsReady && spawnSync('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p']);
    if (!nsReady || !b || b.status !== 0) kaNote = 'could not create the namespace';
  }
  const kaRuns = nsReady && kaNote === '';
  const pid = (n) => join(work, `${n}.pid`);

  // --- fresh processes, ours and keepalived's interleaved so load changes hit both alike ---
  const fresh = [];
  const freshBin = [];
  let binStatus;
  const versionOnly = [];
  const baseFresh = [];
  let baseStatus;
  const nsCost = [];
  let ourStatus;
  let ourStderr = '';
  for (let i = 0; i < RUNS; i++) {
    const r = run(process.execPath, [mainJs, '-t', '-f', conf]);
    fresh.push(r.ms);
    ourStatus = r.status;
    ourStderr = r.stderr;
    if (haveBin) {
      const r2 = run(process.execPath, [binJs, '-t', '-f', conf]);
      freshBin.push(r2.ms);
      binStatus = r2.status;
    }
    versionOnly.push(run(process.execPath, [haveBin ? binJs : mainJs, '-v']).ms);
    if (baseMainJs) {
      const b = run(process.execPath, [baseMainJs, '-t', '-f', conf]);
      baseFresh.push(b.ms);
      baseStatus = b.status;
    }
    if (kaRuns) {
      const k = run('ip', ['netns', 'exec', ns, 'keepalived', '-t', '-n', '-l', '-f', conf, '-p', pid('p'), '-r', pid('r'), '-c', pid('c'), '-b', pid('b')]);
      ka.push(k.ms);
      kaStatus = k.status;
      // The cost of entering the namespace alone, so it can be read off keepalived's figure.
      nsCost.push(run('ip', ['netns', 'exec', ns, 'true']).ms);
    }
  }
  if (kaRuns) kaNote = `\`ip netns exec\` alone costs ${fmtMs(median(nsCost))} of that (median)`;
  const ourDiagLines = ourStderr.split('\n').filter((l) => l.trim()).length;

  // --- cold parse floors: one parse call in a fresh process (unwarmed JIT, as in a `-t` run) ---
  // (a) our grammar alone on the raw file; (b) the smallest Peggy grammar that still splits the
  // file into words and braces (no structure, no locations, no errors): what any Peggy-generated
  // parser costs at least; (c) the same tokens from a hand-written loop: the floor without Peggy.
  const peggy = (await import('peggy')).default;
  const minParser = join(work, 'min-parser.mjs');
  writeFileSync(
    minParser,
    peggy.generate('Start = items:Item* { return items.length; }\nItem = w:$[^ \\t\\r\\n{}]+ { return w; } / [ \\t\\r\\n]+ { return null; } / [{}] { return null; }', {
      output: 'source',
      format: 'es',
    }),
  );
  const grammarJs = pathToFileURL(join(dist, 'src/config/grammar.js')).href;
  const coldScripts = {
    ours: `const { parseGrammar } = await import(${JSON.stringify(grammarJs)}); const f = (t) => parseGrammar(t, { loc: (o) => o }).statements.length;`,
    minPeggy: `const { parse } = await import(${JSON.stringify(pathToFileURL(minParser).href)}); const f = (t) => parse(t);`,
    handLoop: `const f = (t) => { const out = []; const n = t.length; let i = 0;
      while (i < n) { const c = t.charCodeAt(i);
        if (c === 32 || c === 9 || c === 13 || c === 10) { i++; continue; }
        if (c === 123 || c === 125) { out.push(t[i]); i++; continue; }
        let j = i + 1; for (; j < n; j++) { const d = t.charCodeAt(j); if (d === 32 || d === 9 || d === 13 || d === 10 || d === 123 || d === 125) break; }
        out.push(t.slice(i, j)); i = j; }
      return out.length; };`,
  };
  const cold = { ours: [], minPeggy: [], handLoop: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const [k, body] of Object.entries(coldScripts)) {
      const script = `${body}
        const { readFileSync } = await import('node:fs');
        const t = readFileSync(${JSON.stringify(conf)}, 'utf8');
        const t0 = performance.now(); const n = f(t); const ms = performance.now() - t0;
        console.log(JSON.stringify({ ms, n }));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000, env: childEnv });
      if (r.status !== 0) throw new Error(`cold ${k}: ${r.stderr}`);
      cold[k].push(JSON.parse(r.stdout.trim().split('\n').pop()).ms);
    }
  }

  // --- ours, in-process, parse and model timed apart ---
  const { parseConfigFile } = await import(pathToFileURL(join(dist, 'src/config/parse.js')).href);
  const { buildModel } = await import(pathToFileURL(join(dist, 'src/config/build-model.js')).href);
  const { DiagnosticSink } = await import(pathToFileURL(join(dist, 'src/lib/diagnostics.js')).href);
  // The baseline's in-process runs happen in a child process of their own, so neither build's
  // garbage or compiled code affects the other's figures.
  let baseInproc = [];
  if (baseline) {
    const script = `
      const { pathToFileURL } = await import('node:url');
      const { performance } = await import('node:perf_hooks');
      const imp = (p) => import(pathToFileURL(${JSON.stringify(baseline)} + '/' + p).href);
      const { parseConfigFile } = await imp('src/config/parse.js');
      const { buildModel } = await imp('src/config/build-model.js');
      const { DiagnosticSink } = await imp('src/lib/diagnostics.js');
      const out = [];
      for (let i = 0; i < ${RUNS + 2}; i++) {
        const sink = new DiagnosticSink();
        const t0 = performance.now();
        buildModel(parseConfigFile(${JSON.stringify(conf)}, { configId: 'bench' }, sink), sink);
        if (i >= 2) out.push(performance.now() - t0);
      }
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 300_000 });
    baseInproc = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]');
  }
  const inproc = [];
  const parseMs = [];
  const modelMs = [];
  // Garbage-collection pauses during the measured in-process runs (the parser allocates a lot).
  const gcEntries = [];
  const windows = [];
  const gcObserver = new PerformanceObserver((list) => gcEntries.push(...list.getEntries()));
  gcObserver.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < RUNS + 2; i++) {
    const sink = new DiagnosticSink();
    const t0 = performance.now();
    const tree = parseConfigFile(conf, { configId: 'bench' }, sink);
    const t1 = performance.now();
    buildModel(tree, sink);
    const t2 = performance.now();
    if (i >= 2) {
      windows.push([t0, t2]);
      inproc.push(t2 - t0);
      parseMs.push(t1 - t0);
      modelMs.push(t2 - t1);
    }
  }
  await new Promise((r) => setTimeout(r, 100)); // let the observer deliver the last entries
  gcObserver.disconnect();
  const gcMs = gcEntries.filter((e) => windows.some(([a, b]) => e.startTime >= a && e.startTime <= b)).reduce((t, e) => t + e.duration, 0);
  const gcPerRun = gcMs / RUNS;
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  const load1 = loadavg()[0];

  // The fresh-process figure compared with keepalived: the bundled executable when built.
  const mFresh = median(haveBin ? freshBin : fresh);
  const mIn = median(inproc);
  const mKa = median(ka);
  const rows = [
    ['ours, fresh process (`node dist/src/cli/main.js -t -f`)', fresh, `exit ${ourStatus}, ${ourDiagLines} diagnostic line(s)`],
    ['ours, in-process (parse + model, warm)', inproc, `of which parse ${fmtMs(median(parseMs))}, model ${fmtMs(median(modelMs))}; GC pauses ${fmtMs(gcPerRun)} per run (mean); heap in use ${heapMb.toFixed(0)} MB`],
  ];
  rows[0][2] += `; parser ${classTables(dist) ? 'with' : 'WITHOUT'} class tables`;
  if (haveBin) rows.unshift(['ours, fresh process, bundled executable (`node dist/bin/keepalived-ts.mjs -t -f`)', freshBin, `exit ${binStatus}`]);
  rows.push([`ours, \`-v\` only (Node start-up + module loading, no config${haveBin ? ', bundled executable' : ''})`, versionOnly, 'the floor under the fresh-process row']);
  if (baseline) {
    const tag = process.env.KT_BASELINE_LABEL ?? baseline;
    rows.push([`before (${tag}), fresh process`, baseFresh, `exit ${baseStatus}; parser ${classTables(baseline) ? 'with' : 'without'} class tables`]);
    rows.push([`before (${tag}), in-process (parse + model, warm)`, baseInproc, '']);
  }
  rows.push(['cold, one call in a fresh process: our grammar alone (raw file to statement tree)', cold.ours, 'no preprocess, no model, no CLI']);
  rows.push(['cold, one call in a fresh process: smallest Peggy grammar (words and braces only)', cold.minPeggy, 'the least any Peggy-generated parser costs on this file']);
  rows.push(['cold, one call in a fresh process: hand-written loop, same tokens', cold.handLoop, 'the floor without Peggy']);
  if (ka.length) rows.push([`keepalived ${kaVersion} \`-t -n -l -f\` (own netns)`, ka, `exit ${kaStatus}; ${kaNote}`]);
  const table = ['| what | median | min .. max | notes |', '|---|---|---|---|'];
  for (const [name, xs, note] of rows) {
    const { min, max } = minMax(xs);
    table.push(`| ${name} | ${fmtMs(median(xs))} | ${min.toFixed(1)} .. ${max.toFixed(1)} | ${note} |`);
  }
  const ratio =
    (ka.length
      ? `Ratio ours/keepalived: fresh process ${(mFresh / mKa).toFixed(2)}x, in-process ${(mIn / mKa).toFixed(2)}x ` +
        `(below 1 means we are faster); Node start-up and module loading alone (\`-v\`) is ${(median(versionOnly) / mKa).toFixed(2)}x keepalived's whole run.`
      : `keepalived not measured: ${kaNote}.`) +
    (baseline
      ? ` Ours now vs before: fresh process ${(median(fresh) / median(baseFresh)).toFixed(2)}x (both \`dist/src/cli/main.js\`), in-process ${(mIn / median(baseInproc)).toFixed(2)}x` +
        (ka.length ? ` (before: ${(median(baseFresh) / mKa).toFixed(2)}x and ${(median(baseInproc) / mKa).toFixed(2)}x keepalived).` : '.')
      : '');

  const body = [
    '## Config parsing',
    '',
    `\`node bench/config-parse.mjs\` (${RUNS} runs each, medians; ${new Date().toISOString().slice(0, 10)}, ` +
      `Node ${process.version}, ${cpus().length} CPU(s), 1-minute load average ${load0.toFixed(1)} at start and ${load1.toFixed(1)} at end: ` +
      `other work shared the machine, so compare the rows with each other rather than with other runs). Input: a generated file of ${lineCount.toLocaleString('en')} lines ` +
      `(${(text.length / 1e6).toFixed(2)} MB): 200 \`vrrp_instance\` blocks with 2 VIPs each and 1,000 \`virtual_server\` ` +
      `blocks with 10 \`real_server\`s each, every one with a \`TCP_CHECK\` (bench/lib/gen-config.mjs).`,
    '',
    ...table,
    '',
    ratio,
    '',
    ka.length
      ? `Target (faster than \`keepalived -t\` on this file): ${mFresh < mKa ? 'met' : 'not met'} for the CLI, ` +
        `${mIn < mKa ? 'met' : 'not met'} in-process. Where our time goes in-process: parse (preprocess + grammar + tree) ` +
        `${fmtMs(median(parseMs))}, model ${fmtMs(median(modelMs))}, and ${fmtMs(gcPerRun)} of garbage-collection pauses inside them.`
      : '',
    '',
    'What each side does with the file: ours preprocesses, parses and builds the typed model (every keyword ' +
      'checked, every value converted), plus the script-security scan in the CLI figure. `keepalived -t` reads the ' +
      'file in its parent process and then runs its VRRP and checker config validation (`vrrp_validate_config`, ' +
      '`check_validate_config`), which also looks up every `interface` in the kernel — hence the namespace with an ' +
      '`eth0`: without it each of the 200 instances adds a "doesn\'t exist" warning and the exit code is 5. ' +
      'keepalived is C and starts in a few milliseconds; a fresh Node process costs ~40-60 ms before our first line runs ' +
      '(children here run without NODE_EXTRA_CA_CERTS, which this shell sets and which would add ~60-80 ms to every Node start), ' +
      'so the in-process figure is the one that shows the parser itself.',
    '',
    'The `-v` row is the part of a fresh `-t` run that does not depend on the config: starting Node and loading the ' +
      'CLI and config modules (ES modules, ~30 files). ' +
      (ka.length
        ? `It is ${fmtMs(median(versionOnly))} against keepalived's ${fmtMs(mKa)} for the whole check, leaving ` +
          `${fmtMs(Math.max(0, mKa - median(versionOnly)))} for reading, parsing and checking 58,000 lines if the CLI is to be faster` +
          (median(versionOnly) >= mKa ? ' (none: only fewer or pre-bundled modules or a start-up snapshot could get there). ' : '. ')
        : '') +
      'The parser figures assume `npm run build:grammar` passes ' +
      '`--plugin ./grammar/peggy-class-tables.mjs` (character classes as lookup tables; the notes column says whether ' +
      'the measured build had it).',
    '',
    `The three cold rows time one parse call in a fresh process (the JIT has not warmed up, as in a real \`-t\` run), ` +
      `after Node's start and the file read: our grammar ${fmtMs(median(cold.ours))}, the smallest Peggy grammar that only splits the ` +
      `file into words and braces ${fmtMs(median(cold.minPeggy))}, a hand-written loop producing the same tokens ${fmtMs(median(cold.handLoop))}. ` +
      (ka.length
        ? `Node's start and our modules (\`-v\`, ${fmtMs(median(versionOnly))}) plus the smallest Peggy parser alone come to ` +
          `${fmtMs(median(versionOnly) + median(cold.minPeggy))}, against keepalived's ${fmtMs(mKa)} for its whole check` +
          (median(versionOnly) + median(cold.minPeggy) >= mKa
            ? ': with a Peggy-generated parser (DESIGN.md) a fresh `-t` on this file cannot beat keepalived, whatever the grammar; only a hand-written tokenizer could.'
            : '.')
        : ''),
  ].join('\n');

  console.log(body);
  if (WRITE) {
    writeSection(join(repo, 'docs/BENCHMARKS.md'), 'config-parse', body);
    console.log('\n(written to docs/BENCHMARKS.md)');
  }
} finally {
  if (nsReady) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(work, { recursive: true, force: true });
}

// What the VM benchmarks share: esbuild bundles of TypeScript (test/vm's launcher and guests, our
// own modules), importing a bundle with its source location kept (the launcher finds
// build-initramfs.sh beside itself), and the launcher itself, exiting 2 when the VM cannot run.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { optNumber } from './cli.mjs';
import { median } from './stats.mjs';

/** One ES module bundle of `entry` as text. */
export const bundle = async (entry, opts = {}) =>
  (await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false, logLevel: 'silent', ...opts })).outputFiles[0].text;

/** Bundles a TypeScript module, keeping its own import.meta.url, and imports it. */
export async function importTs(path) {
  const dir = mkdtempSync(join(tmpdir(), 'kt-bench-ts-'));
  try {
    const file = join(dir, 'module.mjs');
    writeFileSync(file, await bundle(path, { define: { 'import.meta.url': JSON.stringify(pathToFileURL(path).href) } }));
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `script` in the test VM (`vm`: loadVm's) with `files` beside it and our addon from build/,
 * and returns the run and the result file `result` the guest wrote. Without that file the
 * process exits 1 with the VM's output and the last `consoleTail` characters of its console.
 */
export async function runVmBench(vm, repo, script, { timeoutMs, files, result, consoleTail = 2000 }) {
  const r = await vm.runInVm(script, { timeoutMs, files, env: { KEEPALIVED_TS_NATIVE: join(repo, 'build/Release/keepalived_ts_native.node') } });
  const out = r.files.get(result);
  if (!out) {
    console.error(`VM run failed (exit ${r.exitCode}, timed out ${r.timedOut})\n${r.output}\n${r.console.slice(-consoleTail)}`);
    process.exit(1);
  }
  return { r, out };
}

/** A figure as the VM tables print it: n/a, whole from 100 up, else one decimal. */
export const figure = (v) => (Number.isNaN(v) ? 'n/a' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The head of a table of timed runs, and one row: what, the median, every run. */
export const RUNS_TABLE_HEAD = '| what | median ms | runs (ms) |\n|---|---|---|';
export const runsRow = (what, values) => `| ${what} | ${figure(median(values))} | ${values.map((v) => figure(v)).join(', ')} |`;

/** The IPVS table benchmarks' options: --runs (3), --services (1000), --dests (10) real servers each. */
export const ipvsTableOptions = () => ({ runs: optNumber('runs', 3), services: optNumber('services', 1000), dests: optNumber('dests', 10) });

/** test/vm/vm.ts, loaded; the process exits 2 with one line when the VM's prerequisites are missing. */
export async function loadVm(repo) {
  const vm = await importTs(join(repo, 'test/vm/vm.ts'));
  const missing = vm.vmMissing();
  if (missing) {
    console.error(`cannot run: ${missing}`);
    process.exit(2);
  }
  return vm;
}

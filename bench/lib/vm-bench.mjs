// What the VM benchmarks share: esbuild bundles of TypeScript (test/vm's launcher and guests, our
// own modules), importing a bundle with its source location kept (the launcher finds
// build-initramfs.sh beside itself), and the launcher itself, exiting 2 when the VM cannot run.
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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

#!/usr/bin/env node
// Bundles the `keepalived-ts` executable with esbuild: src/cli/main.ts and everything it imports
// become one CommonJS file, instead of ~150 compiled ES modules that Node would resolve, read and
// link one by one at every start (the daemon's start-up is dominated by module loading), and V8's
// code cache for it is written after a warm-up run, so a start does not compile it again:
//
//   DIR/keepalived-ts.mjs        the executable (scripts/bin-entry.mjs): runs the bundle with the cache
//   DIR/keepalived-ts.cjs        the bundle; its first line is its build id (a hash of the bundle)
//   DIR/keepalived-ts.cjs.cache  the build id, then V8's code cache (scripts/code-cache.mjs)
//   DIR/keepalived-ts.blob       V8 startup snapshot of the evaluated bundle (scripts/snapshot.mjs),
//   DIR/keepalived-ts.blob.id    what it was made from, and DIR/keepalived-ts, the launcher that
//                                runs it (scripts/launcher.sh); not shipped in the package (ADR 0026)
//
//   node scripts/bundle.mjs [--outdir DIR]     (default dist/bin: dist/bin/keepalived-ts.mjs)
//
// The lazy `import()`s stay lazy in one file: esbuild turns each into a call of the module's
// initialiser, so `-t` and the other one-shot commands never run the daemon's module code, and the
// daemon never loads the netlink package before it opens it. CommonJS has no top-level await:
// src/config/grammar.ts (which awaits the generated parser, or Peggy when it is missing) is replaced
// here by a static import of the generated parser, which a build always has (build:grammar).
//
// Outside the bundle: the netlink package's native binding (found from the installed package, see
// below) and our addon (build/Release/keepalived_ts_native.node): src/net/native.ts finds it by
// walking up from the bundle's location, which works from dist/bin/ as from dist/src/net/.
// dist/src (tsc) stays as it is: tests and the library entry points use it.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const i = args.indexOf('--outdir');
const outdir = resolve(i >= 0 && args[i + 1] ? args[i + 1] : join(repo, 'dist/bin'));

// Chunks of the earlier (ES module, code-split) layout, and a cache that no longer fits.
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
rmSync(join(outdir, 'keepalived-ts.mjs.map'), { force: true });
rmSync(join(outdir, 'keepalived-ts.cjs.cache'), { force: true });

const GENERATED_PARSER = join(repo, 'src/config/generated/keepalived-parser.js');
if (!existsSync(GENERATED_PARSER)) throw new Error(`${GENERATED_PARSER} missing: run npm run build:grammar first`);
// The bundle runs inside a function wrapper (scripts/bin-entry.mjs), where a `#!` line is a syntax
// error: the entry's is blanked to an empty comment (same line count, so the source map holds).
const ENTRY = join(repo, 'src/cli/main.ts');
const entryNoHashbang = {
  name: 'entry-no-hashbang',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]cli[\\/]main\.ts$/ }, (a) => ({
      contents: mainAsFunction(readFileSync(a.path, 'utf8').replace(/^#!.*/, '//')),
      loader: 'ts',
    }));
  },
};
// The startup snapshot (scripts/snapshot.mjs) evaluates the bundle at build time but must not run
// the command: main.ts's statements after its imports become the body of __ktMain (opened on the
// last import's line, so line numbers hold), and __ktPreload runs main.ts's lazy `import()`s, so
// the snapshot can hold the daemon's modules initialised too. When the snapshot builder has set
// globalThis.__ktSnapshotBuild it receives both; otherwise (the code-cache path) __ktMain runs
// at once, as main.ts's top level did.
function mainAsFunction(src) {
  const lines = src.split('\n');
  let last = -1;
  for (let n = 0; n < lines.length; n++) if (/^(import\b.*|\}\s*)from\s+'[^']+';\s*$|^import\s+'[^']+';\s*$/.test(lines[n])) last = n;
  if (last < 0) throw new Error('src/cli/main.ts: no import line found; update mainAsFunction in scripts/bundle.mjs');
  const body = lines.slice(last + 1).join('\n');
  // A top-level import/export after the first statement could not move into a function (and a
  // top-level await would not compile there: esbuild then says so).
  if (/^(export|import)\s/m.test(body)) throw new Error('src/cli/main.ts: an import/export after its statements; update mainAsFunction in scripts/bundle.mjs');
  const lazy = [...new Set([...body.matchAll(/\bimport\('([^']+)'\)/g)].map((m) => m[1]))];
  return [
    ...lines.slice(0, last),
    `${lines[last]} function __ktMain(): void {`,
    body,
    '}',
    `const __ktPreload = (): Promise<unknown> => Promise.all([${lazy.map((l) => `import(${JSON.stringify(l)})`).join(', ')}]);`,
    'const __ktHook = (globalThis as { __ktSnapshotBuild?: (m: () => void, p: () => Promise<unknown>) => void }).__ktSnapshotBuild;',
    "if (typeof __ktHook === 'function') __ktHook(__ktMain, __ktPreload);",
    'else __ktMain();',
    '',
  ].join('\n');
}
const grammarStatic = {
  name: 'grammar-static-import',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]config[\\/]grammar\.ts$/ }, (a) => ({
      contents: "export { parse as parseGrammar } from './generated/keepalived-parser.js';",
      loader: 'ts',
      resolveDir: dirname(a.path),
    }));
  },
};

// The `netlink` package is CommonJS; bundled, Node does not resolve and read its files one by one. Its raw.js finds its native binding
// (node-gyp-build: build/ or prebuilds/<platform>-<arch>/) from __dirname, which in a bundle would
// be ours: point it at the installed package instead, resolved at run time like an import would.
const NETLINK_RAW = /[\\/]node_modules[\\/]netlink[\\/]dist[\\/]raw\.js$/;
const netlinkBinding = {
  name: 'netlink-binding-dir',
  setup(b) {
    b.onLoad({ filter: NETLINK_RAW }, (a) => {
      const src = readFileSync(a.path, 'utf8');
      const needle = "require('node-gyp-build')(__dirname + '/..')";
      if (!src.includes(needle)) throw new Error(`netlink/dist/raw.js: expected ${needle}; the package changed, update scripts/bundle.mjs`);
      const dir = "require('node:path').dirname(require.resolve('netlink/package.json'))";
      return { contents: src.replace(needle, `require('node-gyp-build')(${dir})`), loader: 'js' };
    });
  },
};

// The first line holds the build id; written as a placeholder of the same length first, so the
// source map's line numbers stay right when the hash replaces it.
const ID_PREFIX = '// keepalived-ts bundle ';
const PLACEHOLDER = '0'.repeat(64);
const bundleFile = join(outdir, 'keepalived-ts.cjs');
const result = await build({
  absWorkingDir: repo,
  entryPoints: [ENTRY],
  outfile: bundleFile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  plugins: [netlinkBinding, grammarStatic, entryNoHashbang],
  // Run as CommonJS (by scripts/bin-entry.mjs), the bundle has __filename but no import.meta:
  // the addon, the package version and the netlink package are found from the bundle's own location.
  // A getter, not a value: in the startup snapshot the bundle was evaluated where it was built, and
  // the snapshot's main sets globalThis.__ktBundleFile to where it runs from.
  define: { 'import.meta.url': '__ktMeta.url' },
  banner: { js: `${ID_PREFIX}${PLACEHOLDER}\n'use strict'; const __ktMeta = { get url() { return require('node:url').pathToFileURL(globalThis.__ktBundleFile ?? __filename).href; } };` },
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
});
const text = readFileSync(bundleFile, 'utf8');
if (!text.startsWith(ID_PREFIX + PLACEHOLDER)) throw new Error(`${bundleFile}: the build id line is not first`);
const id = createHash('sha256').update(text).digest('hex');
writeFileSync(bundleFile, ID_PREFIX + id + text.slice(ID_PREFIX.length + PLACEHOLDER.length));

// The health checkers run in a child process (src/check/checker-host.ts) whose entry is its own
// ES module file beside the bundle: checkerEntry() finds dist/bin/checker-main.mjs from the
// bundle's location. Bundled CommonJS inside it (pino) calls require() for Node built-ins; an ES
// module has no `require`, so the file gets one bound to its own location.
await build({
  absWorkingDir: repo,
  // The reload's config reader (src/core/config-worker.ts, a worker thread) is built the same way.
  entryPoints: { 'checker-main': 'src/check/checker-main.ts', 'config-worker': 'src/core/config-worker.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [netlinkBinding, grammarStatic],
  banner: { js: "import { createRequire as __ktCreateRequire } from 'node:module'; const require = __ktCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});

const entry = join(outdir, 'keepalived-ts.mjs');
copyFileSync(join(repo, 'scripts/bin-entry.mjs'), entry);
chmodSync(entry, 0o755);

// V8's code cache, from a warm-up in a child process (its -t output is not ours to print).
const warmup = join(repo, 'conf-examples/lvs-dr-read-pool.conf');
const { NODE_EXTRA_CA_CERTS: _ca, ...env } = process.env;
const c = spawnSync(process.execPath, [join(repo, 'scripts/code-cache.mjs'), bundleFile, warmup], { cwd: repo, env, encoding: 'utf8' });
if (c.status !== 0 || !existsSync(`${bundleFile}.cache`)) {
  throw new Error(`code cache for ${bundleFile} not written (exit ${c.status}):\n${c.stdout}${c.stderr}`);
}
// The startup snapshot and the launcher that runs it (not the package's bin: see scripts/snapshot.mjs
// and ADR 0026). Built only on request (KT_STARTUP_SNAPSHOT=1): Node 20's snapshot builder cannot
// hold modules the daemon now loads (node:http is fatal there, node:tls and worker_threads leave
// unresolved references), so by default no blob is written and the launcher says so in one line
// and starts from the code cache.
let snap = { stdout: '' };
if (process.env.KT_STARTUP_SNAPSHOT === '1') {
  snap = spawnSync(process.execPath, [join(repo, 'scripts/snapshot.mjs'), outdir], { cwd: repo, env, encoding: 'utf8' });
  if (snap.status !== 0) throw new Error(`startup snapshot for ${bundleFile} not written (exit ${snap.status}):\n${snap.stdout}${snap.stderr}`);
} else {
  for (const f of ['keepalived-ts.blob', 'keepalived-ts.blob.id']) rmSync(join(outdir, f), { force: true });
}
const launcher = join(outdir, 'keepalived-ts');
copyFileSync(join(repo, 'scripts/launcher.sh'), launcher);
chmodSync(launcher, 0o755);
process.stdout.write(snap.stdout);
console.log(`bundled ${Object.keys(result.metafile.inputs).length} modules into ${bundleFile} (build ${id.slice(0, 12)}), code cache ${readFileSync(`${bundleFile}.cache`).length} bytes; executable ${entry}`);

#!/usr/bin/env node
// Bundles the `keepalived-ts` executable with esbuild: src/cli/main.ts and everything it imports
// become one entry file plus a few chunks, instead of ~150 compiled ES modules that Node would
// resolve, read and link one by one at every start (the daemon's start-up is dominated by module
// loading). Code splitting keeps the lazy `import()`s lazy: `-t` and the other one-shot commands
// never load the daemon's chunk, the daemon never loads the netlink package before it opens it.
//
//   node scripts/bundle.mjs [--outdir DIR]     (default dist/bin: dist/bin/keepalived-ts.mjs)
//
// Kept outside the bundle:
//   * `netlink`: CommonJS that finds its own native binding through __dirname;
//   * `peggy`: only the fallback when the generated parser is missing (it is bundled here);
//   * our addon (build/Release/keepalived_ts_native.node): src/net/native.ts finds it by walking
//     up from the module's own location, which works from dist/bin/chunks/ as from dist/src/net/.
// dist/src (tsc) stays as it is: tests and the library entry points use it.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const i = args.indexOf('--outdir');
const outdir = resolve(i >= 0 && args[i + 1] ? args[i + 1] : join(repo, 'dist/bin'));

// Stale chunks from an earlier build would pile up (their names carry a content hash).
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });

// The `netlink` package is CommonJS; bundled, Node no longer has to scan it for its ESM named
// exports (cjs-module-lexer) nor resolve its files one by one. Its raw.js finds its native binding
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

const result = await build({
  absWorkingDir: repo,
  // The checker's entry (child process or worker thread) is its own file (src/check/checker-host.ts finds
  // it beside the entry or its chunks).
  entryPoints: { 'keepalived-ts': 'src/cli/main.ts', 'checker-main': 'src/check/checker-main.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['peggy'],
  plugins: [netlinkBinding],
  // Bundled CommonJS (pino and its helpers, netlink) calls require() for Node built-ins; an ES module has
  // no `require`, so every output file gets one bound to its own location.
  banner: { js: "import { createRequire as __ktCreateRequire } from 'node:module'; const require = __ktCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
});
const entry = join(outdir, 'keepalived-ts.mjs');
chmodSync(entry, 0o755);
const files = Object.keys(result.metafile.outputs).filter((f) => !f.endsWith('.map'));
console.log(`bundled ${Object.keys(result.metafile.inputs).length} modules into ${files.length} files: ${entry}`);

#!/usr/bin/env node
// Writes the V8 startup snapshot of the bundle (DIR/keepalived-ts.blob) that the launcher
// DIR/keepalived-ts (scripts/launcher.sh) runs with `node --snapshot-blob`: the bundle already
// evaluated, its modules initialised (the daemon's too), so a start compiles and initialises
// nothing before our main runs. Measured on Node 20 it starts slower than the code-cache
// executable (docs/BENCHMARKS.md, "Start-up from a V8 startup snapshot"; ADR 0026), so the
// package's bin stays keepalived-ts.mjs and the package ships neither the launcher nor the blob;
// both are built and tested so the switch is one line in package.json when a Node loads
// snapshots faster.
//
//   node scripts/snapshot.mjs DIR        (DIR holds keepalived-ts.cjs, from scripts/bundle.mjs)
//
// What the snapshot holds is made in `node --build-snapshot` from an entry written here: the
// bundle inside the same function wrapper as the code-cache path (scripts/bin-entry.mjs), given
// a `require` that at build time reaches Node's built-ins only (all a snapshot may hold) and,
// after deserialisation, the bundle's real require: our addon and the netlink package's binding
// are loaded by the code that needs them, at run time, never at build time. Nothing in the build
// touches the host: main.ts's statements (argv, stdout, the config, sockets) are not run, only
// module initialisers (scripts/bundle.mjs: __ktMain, __ktPreload).
//
// DIR/keepalived-ts.blob.id says what the snapshot was made from: the bundle's build id and the
// Node binary's identity (`stat -L -c '%d:%i %s %Y'` of it). The launcher compares both before it
// uses the blob; anything else (no blob, another bundle, another Node) is one line on stderr and
// the code-cache path. The same Node binary refuses a blob from another version on its own, fatally:
// that is why the launcher checks first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dirArg = process.argv[2];
if (!dirArg) throw new Error('usage: snapshot.mjs DIR');
const dir = resolve(dirArg);
const bundle = join(dir, 'keepalived-ts.cjs');
const source = readFileSync(bundle, 'utf8');
const ID_PREFIX = '// keepalived-ts bundle ';
if (!source.startsWith(ID_PREFIX)) throw new Error(`${bundle}: no build id line; build it with scripts/bundle.mjs`);
const id = source.slice(ID_PREFIX.length, ID_PREFIX.length + 64);

// The entry reads the bundle itself (at build time: the file name then becomes the bundle's).
const entrySource = `'use strict';
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const v8 = require('node:v8');
const BUILT_AT = ${JSON.stringify(bundle)};
let realRequire = require;
const req = (id) => realRequire(id);
req.resolve = (id, o) => realRequire.resolve(id, o);
let ktMain;
let ktPreload;
globalThis.__ktSnapshotBuild = (m, p) => {
  ktMain = m;
  ktPreload = p;
};
const module_ = { exports: {} };
// Compiled under the bundle's own name, in the wrapper of scripts/bin-entry.mjs: stack traces and
// the source map point at keepalived-ts.cjs and its lines, as on the code-cache path.
const wrapped = '(function (exports, require, module, __filename, __dirname) {' + require('node:fs').readFileSync(BUILT_AT, 'utf8') + '\\n})';
new (require('node:vm').Script)(wrapped, { filename: BUILT_AT }).runInThisContext()(module_.exports, req, module_, BUILT_AT, dirname(BUILT_AT));
delete globalThis.__ktSnapshotBuild;
if (typeof ktMain !== 'function' || typeof ktPreload !== 'function') throw new Error('the bundle did not hand over __ktMain: rebuild it with scripts/bundle.mjs');
ktPreload().then(
  () => undefined,
  (e) => {
    process.stderr.write('snapshot: initialising the lazy modules failed: ' + (e && e.stack ? e.stack : String(e)) + '\\n');
    process.exitCode = 1;
  },
);
v8.startupSnapshot.setDeserializeMainFunction(() => {
  // argv[1] is the launcher's DIR/keepalived-ts.mjs: the bundle is beside it.
  const file = join(dirname(process.argv[1]), 'keepalived-ts.cjs');
  globalThis.__ktBundleFile = file;
  realRequire = createRequire(file);
  ktMain();
});
`;

const tmp = mkdtempSync(join(tmpdir(), 'kt-snapshot-'));
try {
  const entry = join(tmp, 'snapshot-entry.cjs');
  writeFileSync(entry, entrySource);
  const blobTmp = join(dir, `keepalived-ts.blob.tmp-${process.pid}`);
  const { NODE_EXTRA_CA_CERTS: _ca, NODE_OPTIONS: _no, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--snapshot-blob', blobTmp, '--build-snapshot', entry], { cwd: tmp, env, encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(blobTmp, { force: true });
    throw new Error(`node --build-snapshot failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  const st = statSync(process.execPath);
  // The same fields, in the same form, as the launcher's `stat -L -c '%d:%i %s %Y'`.
  const nodeId = `${st.dev}:${st.ino} ${st.size} ${Math.floor(st.mtimeMs / 1000)}`;
  renameSync(blobTmp, join(dir, 'keepalived-ts.blob'));
  writeFileSync(join(dir, 'keepalived-ts.blob.id'), `${id} ${nodeId}\n`);
  console.log(`startup snapshot ${join(dir, 'keepalived-ts.blob')}: ${statSync(join(dir, 'keepalived-ts.blob')).size} bytes, bundle ${id.slice(0, 12)}, node ${process.version}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

#!/usr/bin/env node
// The `keepalived-ts` executable (copied to dist/bin/keepalived-ts.mjs by scripts/bundle.mjs).
// It runs the CommonJS bundle beside it (keepalived-ts.cjs: src/cli/main.ts and everything it
// imports) with V8's code cache for it (keepalived-ts.cjs.cache, written by
// scripts/code-cache.mjs at build time), so a start does not compile what the build already did.
// Why not ES modules: Node's ESM loader costs a fresh process tens of ms of CPU (resolving,
// linking, and the ESM view of each built-in module, which for node:fs loads all of node:stream);
// a CommonJS function compiled from cached bytecode skips all of that.
//
// The cache is used only when it was written for this very bundle: its first 64 bytes are the
// build id that also heads keepalived-ts.cjs (a hash of the bundle). A cache from other sources,
// or one V8 refuses (another Node version, other V8 flags), is not used, and one line on stderr
// says so: the behaviour is the same, only the start is slower.
// Built-ins are fetched with process.getBuiltinModule, not imported: an ES module's view of node:fs
// enumerates its exports, which loads all of node:stream (~10-30 ms of CPU) for nothing.
const { readFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { dirname } = process.getBuiltinModule('node:path');
const { fileURLToPath } = process.getBuiltinModule('node:url');
const { Script } = process.getBuiltinModule('node:vm');

const file = fileURLToPath(new URL('./keepalived-ts.cjs', import.meta.url));
const source = readFileSync(file, 'utf8');
const ID_PREFIX = '// keepalived-ts bundle ';
const id = source.startsWith(ID_PREFIX) ? source.slice(ID_PREFIX.length, ID_PREFIX.length + 64) : '';

let cachedData;
let problem;
try {
  const buf = readFileSync(`${file}.cache`);
  if (id !== '' && buf.toString('latin1', 0, 64) === id) cachedData = buf.subarray(64);
  else problem = 'was built from another bundle';
} catch {
  problem = 'is missing';
}
// The same wrapper text as scripts/code-cache.mjs: V8 accepts the cache only for the same source.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
if (cachedData !== undefined && script.cachedDataRejected) problem = 'was refused by V8 (another Node version or other V8 flags)';
if (problem !== undefined) process.stderr.write(`keepalived-ts: code cache ${file}.cache ${problem}; starting without it (run npm run build:bundle)\n`);
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));

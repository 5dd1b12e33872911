#!/usr/bin/env node
// Writes V8's code cache for the CommonJS bundle (keepalived-ts.cjs.cache beside it), used by the
// executable scripts/bin-entry.mjs. The cache is taken after a warm-up run in this process:
// `-t` on the config given (the CLI, preprocessor, grammar and config model are then compiled) and
// the daemon's start up to reading its config, so it holds the bytecode of every function those runs
// compiled, not only the top level. The rest of the daemon compiles at first call (it needs root and
// its network, which a build has not).
//
//   node scripts/code-cache.mjs DIR/keepalived-ts.cjs WARMUP.conf
//
// Run in a child process by scripts/bundle.mjs: the warm-up writes its -t output here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const [file, conf] = process.argv.slice(2);
if (!file || !conf) throw new Error('usage: code-cache.mjs BUNDLE.cjs WARMUP.conf');
const source = readFileSync(file, 'utf8');
const ID_PREFIX = '// keepalived-ts bundle ';
if (!source.startsWith(ID_PREFIX)) throw new Error(`${file}: no build id line; build it with scripts/bundle.mjs`);
const id = source.slice(ID_PREFIX.length, ID_PREFIX.length + 64);
// Byte for byte the wrapper of scripts/bin-entry.mjs.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file });
// Two warm-up runs of the same compiled script (its functions are shared, so both add to one cache):
// `-t` on the config given, synchronous; then daemon mode on a config file that does not exist,
// which loads and initialises the daemon's modules and stops at the missing file (exit 6) before
// it writes a pid file or opens a socket.
const entry = join(dirname(file), 'keepalived-ts.mjs');
const runOnce = (args) => {
  process.argv = [process.argv[0], entry, ...args];
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
};
runOnce(['-t', '-f', conf]);
// Warnings about this host (exit 5: a script or user missing here) still ran every stage; only a
// crash (70, keepalived's program error) or no answer at all means the warm-up did not happen.
if (typeof process.exitCode !== 'number' || process.exitCode === 70) throw new Error(`warm-up -t -f ${conf} exited ${process.exitCode}`);
const tmp = mkdtempSync(join(tmpdir(), 'kt-code-cache-'));
runOnce(['-l', '-f', join(tmp, 'missing.conf'), '-p', join(tmp, 'k.pid'), '-r', join(tmp, 'v.pid')]);
process.once('beforeExit', () => {
  rmSync(tmp, { recursive: true, force: true });
  if (process.exitCode !== 6) throw new Error(`warm-up daemon run on a missing config exited ${process.exitCode}, expected 6`);
  const data = script.createCachedData();
  writeFileSync(`${file}.cache`, Buffer.concat([Buffer.from(id, 'latin1'), data]));
  process.exitCode = 0;
});

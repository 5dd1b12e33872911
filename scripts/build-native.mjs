#!/usr/bin/env node
// Builds the native addon with node-gyp against the headers of the Node that runs this
// script (its install prefix holds include/node), so no header download is ever attempted.
// Output: build/Release/keepalived_ts_native.node
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nodedir = dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`build-native: no Node headers under ${nodedir}/include/node (install the nodejs headers package)`);
  process.exit(1);
}
const gyp = join(root, 'node_modules', '.bin', 'node-gyp');
const args = ['rebuild', `--nodedir=${nodedir}`, ...process.argv.slice(2)];
// node-gyp looks for python3 on PATH; prefer the system one when a shim would pick another.
const env = { ...process.env };
if (!env.PYTHON && existsSync('/usr/bin/python3')) env.PYTHON = '/usr/bin/python3';
const r = spawnSync(gyp, args, { cwd: root, stdio: 'inherit', env });
if (r.error) {
  console.error(`build-native: cannot run ${gyp}: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);

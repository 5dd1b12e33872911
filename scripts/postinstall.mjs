#!/usr/bin/env node
// Runs after `npm install`, in two different places:
//   * a source checkout (grammar/ is present): builds everything, as `npm run build` does;
//   * an installed package (`npm install -g ./keepalived-ts-X.Y.Z.tgz`): nothing is built. The
//     package ships the bundle (dist/bin) and the N-API addon compiled for linux-x64; this only
//     checks that the addon loads on this host, so a wrong architecture fails the install with
//     one clear line instead of failing the daemon's first start.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (existsSync(join(root, 'grammar', 'keepalived.peggy'))) {
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(r.error ? 1 : (r.status ?? 1));
}

const addon = join(root, 'build', 'Release', 'keepalived_ts_native.node');
const fail = (why) => {
  console.error(`keepalived-ts: ${why}`);
  console.error('keepalived-ts: this package ships its native addon for linux-x64 only; on another machine build it from a source checkout (npm install; npm pack) and install that tarball.');
  process.exit(1);
};
if (process.platform !== 'linux') fail(`runs on Linux only (this is ${process.platform})`);
if (!existsSync(addon)) fail(`${addon} is missing from the package`);
try {
  process.dlopen({ exports: {} }, addon);
} catch (e) {
  fail(`cannot load ${addon} on this host (${process.arch}): ${e instanceof Error ? e.message : String(e)}`);
}

#!/usr/bin/env node
// `npm pack` runs this first: the tarball is made from what is already built (nothing is built at
// install time), so refuse to pack when a part the package ships is missing or older than its sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const newest = (dir, exts) => {
  let t = 0;
  for (const e of readdirSync(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && exts.some((x) => e.name.endsWith(x))) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
};
const parts = [
  { file: 'dist/bin/keepalived-ts.mjs', from: ['src', ['.ts']], build: 'npm run build:bundle' },
  { file: 'build/Release/keepalived_ts_native.node', from: ['native', ['.cc', '.h']], build: 'npm run build:native' },
  { file: 'man/keepalived-ts.8' },
];
const problems = [];
for (const p of parts) {
  const f = join(root, p.file);
  if (!existsSync(f)) problems.push(`${p.file} is missing${p.build ? ` (run: ${p.build})` : ''}`);
  else if (p.from && newest(...p.from) > statSync(f).mtimeMs) problems.push(`${p.file} is older than ${p.from[0]}/ (run: ${p.build})`);
}
if (problems.length > 0) {
  for (const m of problems) console.error(`prepack: ${m}`);
  process.exit(1);
}

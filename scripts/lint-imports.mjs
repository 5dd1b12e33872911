#!/usr/bin/env node
// Enforces DESIGN.md "Sans-I/O core": the pure modules never import sockets, timers, child
// processes, the native addon or the I/O layers, and never read the clock themselves.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Pure trees (folders or single files), relative to the repository root. */
const PURE = [
  'src/config',
  'src/vrrp/packet',
  'src/vrrp/fsm',
  'src/vrrp/tracking.ts',
  'src/vrrp/sync-group.ts',
  'src/check/state',
  'src/ipvs/desired',
  'src/ipvs/reconcile',
];

/** Module specifiers a pure file must not import. */
const FORBIDDEN_MODULES = [
  /^(node:)?(net|dgram|child_process|timers|timers\/promises|worker_threads|cluster|http|https|tls|dns)$/,
  /native|\.node$|bindings|node-gyp-build/,
  /^netlink$/,
  /(^|\/)(net|kernel|notify|core|cli)\//,
  /(^|\/)vrrp\/runtime\//,
];

/** Calls a pure file must not make: time is data there. */
const FORBIDDEN_CALLS = [
  /\bDate\.now\s*\(/,
  /\bnew Date\s*\(\s*\)/,
  /\bperformance\.now\s*\(/,
  /\bprocess\.hrtime/,
  /\bset(Timeout|Interval|Immediate)\s*\(/,
];

function walk(p, out) {
  if (!existsSync(p)) return out;
  const st = statSync(p);
  if (st.isDirectory()) {
    for (const e of readdirSync(p)) {
      if (e === 'generated') continue; // peggy output, checked through its grammar
      walk(join(p, e), out);
    }
  } else if (/\.(ts|mts|js|mjs)$/.test(p) && !p.endsWith('.d.ts')) out.push(p);
  return out;
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
let files = 0;
for (const rel of PURE) {
  for (const file of walk(join(root, rel), [])) {
    files++;
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\*)/.test(line)) return;
      for (const m of line.matchAll(importRe)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (FORBIDDEN_MODULES.some((re) => re.test(spec))) {
          problems.push(`${relative(root, file)}:${i + 1}: pure module imports '${spec}'`);
        }
      }
      for (const re of FORBIDDEN_CALLS) {
        if (re.test(line)) problems.push(`${relative(root, file)}:${i + 1}: pure module reads the clock or sets a timer: ${line.trim()}`);
      }
    });
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`lint-imports: ${problems.length} problem(s) in ${files} pure file(s)`);
  process.exit(1);
}
console.log(`lint-imports: ${files} pure file(s) clean`);

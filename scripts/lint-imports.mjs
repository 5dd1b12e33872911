#!/usr/bin/env node
// Enforces two rules over src/:
//  * Layering: a module imports only from its own folder or from a lower layer (LAYERS below);
//    an import from a lower layer up to a higher one, or sideways between two folders of the
//    same layer, is refused. Inside vrrp/ the same holds between its parts (VRRP_PARTS).
//  * DESIGN.md "Sans-I/O core": the pure modules never import sockets, timers, child processes,
//    the native addon or the I/O layers, and never read the clock themselves.
// Usage: node scripts/lint-imports.mjs [--root DIR]   (DIR defaults to the repository root)
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const rootArg = process.argv.indexOf('--root');
const root = rootArg > 0 ? resolve(process.argv[rootArg + 1]) : new URL('..', import.meta.url).pathname;

/**
 * Layers of src/, lowest first. lib/ is the base every layer may use; config/ and net/ are the
 * edges (text; sockets, the addon and the netlink framing) and know nothing of VRRP; kernel/
 * (rtnetlink and generic netlink requests and events) stands on net/'s netlink socket; notify/
 * (process runner, script security, FIFOs) serves the subsystems above it (the checkers run
 * scripts and write FIFO lines too); the subsystems (vrrp/, check/, ipvs/) stand on them; core/ composes the subsystems into the
 * daemon; cli/ parses the command line and starts core/; lab/ drives whole daemons.
 */
const LAYERS = [['lib'], ['config', 'net'], ['kernel'], ['notify'], ['vrrp', 'check', 'ipvs'], ['core'], ['cli'], ['lab']];
/** Parts of vrrp/, lowest first (a part is a folder or a file without its extension). */
const VRRP_PARTS = [['packet', 'tracking'], ['fsm'], ['sync-group'], ['model-adapter'], ['runtime']];

const rankOf = (layers, name) => layers.findIndex((l) => l.includes(name));

/** Pure trees (folders or single files), relative to the repository root. */
const PURE = [
  'src/config',
  'src/vrrp/packet',
  'src/vrrp/fsm',
  'src/vrrp/tracking.ts',
  'src/vrrp/sync-group.ts',
  'src/vrrp/model-adapter.ts',
  'src/check/checker-state.ts',
  'src/check/step-outcome.ts',
  'src/check/connect-target.ts',
  'src/check/http-state.ts',
  'src/check/http-plan.ts',
  'src/check/udp-check.ts',
  'src/check/dns-check.ts',
  'src/check/smtp-check.ts',
  'src/check/ping-packet.ts',
  'src/check/file-check.ts',
  'src/ipvs/desired',
  'src/ipvs/reconcile',
  'src/ipvs/desired.ts',
  'src/ipvs/reconcile.ts',
  'src/ipvs/wording.ts',
];

/** Module specifiers a pure file must not import. */
const FORBIDDEN_MODULES = [
  /^(node:)?(net|dgram|child_process|timers|timers\/promises|worker_threads|cluster|http|https|tls|dns)$/,
  /native|\.node$|bindings|node-gyp-build/,
  /^netlink$/,
  /(^|\/)(net|kernel|notify|core|cli)\//,
  /(^|\/)vrrp\/runtime\//,
];

/** Modules of an I/O layer that are themselves pure (value types, constants), open to pure files. */
const PURE_SHARED = [/(^|\/)kernel\/ipvs\.js$/];

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

/** src-relative folder and (for vrrp/) part of a file; undefined outside src/. */
function placeOf(file) {
  const rel = relative(join(root, 'src'), file);
  if (rel.startsWith('..')) return undefined;
  const [top, sub] = rel.split('/');
  return { top, part: top === 'vrrp' && sub !== undefined ? sub.replace(/\.[mc]?[jt]s$/, '') : undefined };
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
let files = 0;

// --- layering over every file of src/ ---------------------------------------------------------
const layered = walk(join(root, 'src'), []);
for (const file of layered) {
  const from = placeOf(file);
  const fromRank = rankOf(LAYERS, from.top);
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (/^\s*(\/\/|\*)/.test(line)) return;
    for (const m of line.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith('.')) continue;
      const to = placeOf(resolve(dirname(file), spec));
      if (to === undefined || (from.top === to.top && from.part === to.part)) continue;
      const where = `${relative(root, file)}:${i + 1}`;
      if (from.top !== to.top) {
        const toRank = rankOf(LAYERS, to.top);
        if (fromRank < 0) problems.push(`${where}: src/${from.top}/ has no layer (add it to LAYERS in scripts/lint-imports.mjs)`);
        else if (toRank < 0) problems.push(`${where}: '${spec}': src/${to.top}/ has no layer (add it to LAYERS in scripts/lint-imports.mjs)`);
        else if (toRank >= fromRank) {
          const how = toRank === fromRank ? 'sideways, within one layer,' : 'up from a lower layer';
          problems.push(`${where}: ${from.top}/ imports ${how} to ${to.top}/: '${spec}'`);
        }
      } else if (from.part !== undefined && to.part !== undefined) {
        const a = rankOf(VRRP_PARTS, from.part);
        const b = rankOf(VRRP_PARTS, to.part);
        if (a < 0 || b < 0) problems.push(`${where}: vrrp/${a < 0 ? from.part : to.part} has no layer (add it to VRRP_PARTS in scripts/lint-imports.mjs)`);
        else if (b >= a) problems.push(`${where}: vrrp/${from.part} imports ${b === a ? 'sideways' : 'up'} to vrrp/${to.part}: '${spec}'`);
      }
    }
  });
}

// --- pure modules ------------------------------------------------------------------------------
for (const rel of PURE) {
  for (const file of walk(join(root, rel), [])) {
    files++;
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\*)/.test(line)) return;
      for (const m of line.matchAll(importRe)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (PURE_SHARED.some((re) => re.test(spec))) continue;
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
  console.error(`lint-imports: ${problems.length} problem(s) (${layered.length} file(s) layered, ${files} pure)`);
  process.exit(1);
}
console.log(`lint-imports: ${layered.length} file(s) layered, ${files} pure file(s) clean`);

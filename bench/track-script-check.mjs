#!/usr/bin/env node
// What the vrrp_script security checks cost at daemon start-up. Since the start-up follows
// keepalived 2.2.7 (docs/adr/0010-tracker-start-up.md), every tracked script is checked (user
// lookup, realpath, a stat per path component, the first bytes of the file) before the instances
// start, so this time now comes before the first "Entering ... STATE" line.
//
//   node bench/track-script-check.mjs [--runs N] [--no-write]     (needs `npm run build:ts`)
//
// For 1 and 50 tracked scripts (executable files in a fresh temp dir, checked as root, with and
// without enable_script_security): in-process time of resolveScriptUser() + checkScript() for all
// of them, after two warm-up rounds; the median of N runs is reported and written to
// docs/BENCHMARKS.md between its markers.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname;
const sec = await import(join(root, 'dist/src/notify/script-security.js'));
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) > 0 && args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 50;
const write = !args.includes('--no-write');

const read = (p) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};
const db = sec.parseUserDb(read('/etc/passwd'), read('/etc/group'));
const dir = mkdtempSync(join(tmpdir(), 'kt-bench-chk-'));
chmodSync(dir, 0o755);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function checkAll(n, enable) {
  let disabled = 0;
  for (let i = 0; i < n; i++) {
    const who = sec.resolveScriptUser({ user: 'root' }, { enableScriptSecurity: enable }, db, { script: `vrrp_script chk${i}` });
    if (!who.ok) throw new Error('root not found');
    const v = sec.checkScript(
      { name: `vrrp_script chk${i}`, command: `${join(dir, `chk${i}.sh`)} arg`, user: who.user },
      { enableScriptSecurity: enable, useSymlinkPaths: false, path: '/usr/sbin:/usr/bin:/sbin:/bin' },
      sec.nodeSecurityFs,
    );
    if (v.status === 'disabled') disabled++;
  }
  if (disabled) throw new Error(`${disabled} scripts disabled`);
}

const rows = [];
try {
  for (let i = 0; i < 50; i++) {
    writeFileSync(join(dir, `chk${i}.sh`), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, `chk${i}.sh`), 0o755);
  }
  for (const n of [1, 50]) {
    for (const enable of [false, true]) {
      checkAll(n, enable);
      checkAll(n, enable);
      const t = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        checkAll(n, enable);
        t.push(performance.now() - t0);
      }
      rows.push({ n, enable, ms: median(t) });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const date = new Date().toISOString().slice(0, 10);
const table = [
  '## vrrp_script checks before the instances start',
  '',
  `\`node bench/track-script-check.mjs\` (Node ${process.version}, ${cpus().length} CPU(s), ${date}; load average ${(await import('node:os')).loadavg()[0].toFixed(1)}): in-process time to resolve the user and security-check every tracked script (scripts in a temp dir, run as root), median of ${runs} runs after two warm-up rounds. Since keepalived's start-up sequence is followed (ADR 10), this runs before the first state line; keepalived does the same work (check_vrrp_script_security) before its instances start.`,
  '',
  '| tracked scripts | enable_script_security | ms |',
  '|---|---|---|',
  ...rows.map((r) => `| ${r.n} | ${r.enable ? 'on' : 'off'} | ${r.ms.toFixed(3)} |`),
  '',
].join('\n');
console.log(table);
if (write) {
  const p = join(root, 'docs/BENCHMARKS.md');
  const text = readFileSync(p, 'utf8');
  const begin = '<!-- bench:track-script-check:begin -->';
  const end = '<!-- bench:track-script-check:end -->';
  const block = `${begin}\n${table}${end}\n`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  writeFileSync(p, i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length + 1) : text.replace(/\n*$/, '\n\n') + block);
}

#!/usr/bin/env node
// VRRP packet codec benchmark: adverts decoded/encoded per second on one thread (v2, v3 IPv4,
// v3 IPv6, whole IPv4 packets), median of several runs. Writes the "VRRP packet codec" section
// of docs/BENCHMARKS.md between its markers.
//
//   node bench/vrrp-decode.mjs [--runs N] [--ms MS] [--no-write]
//
// Uses the compiled module from dist/ when present (KT_DIST=DIR for another build), otherwise
// loads the TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSection } from './lib/markdown-section.mjs';
import { runVrrpDecodeBench, vrrpDecodeMarkdown } from './lib/vrrp-decode-bench.mjs';
import { args, optNumber as opt, repo } from './lib/cli.mjs';

const RUNS = opt('--runs', 7);
const MS = opt('--ms', 1000);
const WRITE = !args.includes('--no-write');

const dist = process.env.KT_DIST ?? join(repo, 'dist');
const compiled = join(dist, 'src/vrrp/packet/index.js');
let codec;
let loadedFrom;
if (existsSync(compiled)) {
  codec = await import(pathToFileURL(compiled).href);
  loadedFrom = 'compiled dist/';
} else {
  const { tsImport } = await import('tsx/esm/api');
  codec = await tsImport(pathToFileURL(join(repo, 'src/vrrp/packet/index.ts')).href, import.meta.url);
  loadedFrom = 'TypeScript source via tsx';
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`VRRP codec bench: Node ${process.version}, ${cpu}, module from ${loadedFrom}, ${RUNS} runs x ${MS} ms`);
const load0 = loadavg()[0];
const result = runVrrpDecodeBench(codec, { runs: RUNS, ms: MS, log: (s) => console.log(`  ${s}`) });
const load1 = loadavg()[0];
console.log(`  1-min load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} on ${cpus().length} vCPU`);
if (WRITE) {
  const env =
    `Node ${process.version}, ${cpu}, ${cpus().length} vCPU, ${new Date().toISOString().slice(0, 10)}, ` +
    `1-min load average ${load0.toFixed(1)}-${load1.toFixed(1)} while it ran`;
  writeSection(join(repo, 'docs/BENCHMARKS.md'), 'vrrp-packet-codec', vrrpDecodeMarkdown(result, env));
  console.log('wrote docs/BENCHMARKS.md section vrrp-packet-codec');
}

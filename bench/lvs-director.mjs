#!/usr/bin/env node
// The LVS director end to end, ours vs keepalived 2.2.7 in the same VM boot (this machine's
// kernel has no IPVS; test/vm/vm.ts: qemu under TCG, so absolute figures are several times those
// of real hardware and the ratios are the point). Both run with -C:
//   - start to a complete table of SERVICES x DESTS (all healthy: no checkers), polled with
//     ipvsadm -Sn every 20 ms;
//   - a real server going down: its TCP listener closes, time until its entry leaves the table
//     (TCP_CHECK, delay_loop 1, connect_timeout 1, same config for both), polled every 10 ms.
// Rounds are interleaved (keepalived, then ours). Medians of RUNS. Our daemon is left out, with a
// note, while our CLI refuses -C; our IPVS manager alone (test/vm/guest/lvs-manager-guest.ts: our
// parser, desired/reconcile, GenlIpvsKernel, as a node process) is timed the same way, and the
// kernel operations of its second pass over the unchanged table are counted (target: zero).
//
//   node bench/lvs-director.mjs [--runs 3] [--services 1000] [--dests 10]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, ipvsTableOptions, importTs, loadVm, runsRow as row, runVmBench, RUNS_TABLE_HEAD } from './lib/vm-bench.mjs';
import { repo } from './lib/cli.mjs';
import { median } from './lib/stats.mjs';

const { runs, services, dests } = ipvsTableOptions();

const vm = await loadVm(repo);
const argv = await importTs(join(repo, 'src/cli/argv.ts'));
// The logger's dependencies use require(); an ESM bundle needs one made for it.
const manager = await bundle(join(repo, 'test/vm/guest/lvs-manager-guest.ts'), {
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const parsed = argv.parseArgv(['-C'], 'vm');
const refused = parsed.ok ? argv.refusedFlagsLine(parsed.options) : parsed.message;
const oursCmd = refused === undefined ? `node ${join(repo, 'dist/bin/keepalived-ts.mjs')}` : '-';
const script = `
set -e
modprobe ip_vs
ip link add dummy0 type dummy
ip link set dummy0 up
ip addr add 198.51.100.1/24 dev dummy0
for i in $(seq 11 20); do ip addr add 198.51.100.$i/32 dev dummy0; done
node lvs-director-guest.mjs ${runs} ${services} ${dests} '${oursCmd}'
`;
console.error(`booting the VM: ${runs} rounds, ${services} x ${dests}${refused ? `; ours left out: ${refused}` : ''} ...`);
const { r, out } = await runVmBench(vm, repo, script, {
  timeoutMs: 1_500_000,
  files: { 'lvs-director-guest.mjs': readFileSync(join(repo, 'bench/lvs-director-guest.mjs')), 'lvs-manager.mjs': manager },
  result: 'director-bench.json',
});
const res = JSON.parse(out.toString('utf8'));
console.log(`LVS director, ${res.runs} interleaved rounds, VM boot+run ${(r.elapsedMs / 1000).toFixed(0)} s`);
console.log(RUNS_TABLE_HEAD);
console.log(row(`keepalived -C: start to complete table (${res.services} x ${res.dests})`, res.table.keepalived));
console.log(row(`our IPVS manager alone (node process: parse, first pass): start to complete table`, res.table.manager));
if (res.table.ours.length) console.log(row(`ours -C: start to complete table (${res.services} x ${res.dests})`, res.table.ours));
console.log(row('keepalived -C: listener closed to entry gone', res.down.keepalived));
if (res.down.ours.length) console.log(row('ours -C: listener closed to entry gone', res.down.ours));
if (res.table.ours.length) console.log(`ratios of medians, keepalived / ours: table ${(median(res.table.keepalived) / median(res.table.ours)).toFixed(2)}, down ${(median(res.down.keepalived) / median(res.down.ours)).toFixed(2)}`);
console.log(`ratio of medians, keepalived / our IPVS manager alone: table ${(median(res.table.keepalived) / median(res.table.manager)).toFixed(2)}`);
console.log(`kernel operations of a pass over the unchanged table (besides its dump): ${res.noop.map((n) => n.noop).join(', ')} (first pass: ${res.noop.map((n) => n.first).join(', ')} operations)`);
// Where the manager-alone process spends its time: ms since it started, at the end of each phase.
for (const n of res.noop) if (n.phases) console.log(`our IPVS manager alone, phases (ms since process start): ${Object.entries(n.phases).map(([k, v]) => `${k} ${v}`).join(', ')}; dumps ${n.stats?.dumps ?? '?'}`);
if (refused) console.log(`ours not measured: ${refused}`);
for (const n of res.notes) console.log(`note: ${n}`);

#!/usr/bin/env node
// Time to program an IPVS table of 1,000 virtual servers x 10 real servers: our GenlIpvsKernel
// apply() (pipelined generic netlink) vs `ipvsadm -R` of the same rules vs `keepalived -C` with a
// generated configuration (from start until `ipvsadm -Sn` shows the whole table). Also a full
// read back: our dump() vs `ipvsadm -Sn`. This machine's kernel has no IPVS, so everything runs
// in the test VM (test/vm/vm.ts: qemu under TCG, so absolute figures are several times those of
// real hardware; the ratios are the point). Medians of RUNS runs inside one boot.
//
//   node bench/ipvs-apply.mjs [--runs 3] [--services 1000] [--dests 10]
import { join } from 'node:path';
import { bundle, ipvsTableOptions, figure as f, loadVm, runsRow, runVmBench, RUNS_TABLE_HEAD } from './lib/vm-bench.mjs';
import { repo } from './lib/cli.mjs';
import { median } from './lib/stats.mjs';

const { runs, services, dests } = ipvsTableOptions();

const vm = await loadVm(repo);
const guest = await bundle(join(repo, 'test/vm/guest/ipvs-bench-guest.ts'));
const script = `
set -e
modprobe ip_vs
ip netns add bench
ip netns exec bench ip link set lo up
ip netns exec bench node guest.mjs ${runs} ${services} ${dests}
ip netns del bench
`;
console.error(`booting the VM: ${runs} runs of ${services} x ${dests} ...`);
const { r, out } = await runVmBench(vm, repo, script, { timeoutMs: 900_000, files: { 'guest.mjs': guest }, result: 'bench.json' });
if (r.exitCode !== 0) console.error(`the VM run did not finish (exit ${r.exitCode}, timed out ${r.timedOut}); figures so far:\n${r.output.slice(-2000)}`);
const res = JSON.parse(out.toString('utf8'));
const row = (name, key) => runsRow(name, res[key] ?? []);
const ours = median(res.ours);
console.log(`IPVS table of ${res.services} virtual servers x ${res.dests} real servers (${res.entries} entries), ${runs} runs, VM boot+run ${(r.elapsedMs / 1000).toFixed(0)} s`);
console.log(RUNS_TABLE_HEAD);
console.log(row('our apply() (window 128)', 'ours'));
console.log(row('ipvsadm -R', 'ipvsadm'));
if (res.keepalived.length > 0) console.log(row('keepalived -C: start to complete table', 'keepalived'));
console.log(row('our dump()', 'dump'));
console.log(row('ipvsadm -Sn', 'ipvsadmSn'));
console.log(`ratios of medians: ipvsadm -R / ours = ${(median(res.ipvsadm) / ours).toFixed(2)}` + (res.keepalived.length > 0 ? `, keepalived / ours = ${(median(res.keepalived) / ours).toFixed(2)}` : ` (${res.keepalivedNote})`));
console.log(`opening our IPVS handle (socket + family lookup): ${f(median(res.oursOpen))} ms`);

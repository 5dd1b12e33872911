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
import { bundle, loadVm } from './lib/vm-bench.mjs';
import { repo } from './lib/cli.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg('runs', 3);
const services = arg('services', 1000);
const dests = arg('dests', 10);

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
const r = await vm.runInVm(script, {
  timeoutMs: 900_000,
  files: { 'guest.mjs': guest },
  env: { KEEPALIVED_TS_NATIVE: join(repo, 'build/Release/keepalived_ts_native.node') },
});
const out = r.files.get('bench.json');
if (!out) {
  console.error(`VM run failed (exit ${r.exitCode}, timed out ${r.timedOut})\n${r.output}\n${r.console.slice(-2000)}`);
  process.exit(1);
}
if (r.exitCode !== 0) console.error(`the VM run did not finish (exit ${r.exitCode}, timed out ${r.timedOut}); figures so far:\n${r.output.slice(-2000)}`);
const res = JSON.parse(out.toString('utf8'));
const median = (a) => {
  if (!a || a.length === 0) return NaN;
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (v) => (Number.isNaN(v) ? 'n/a' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const row = (name, key) => `| ${name} | ${f(median(res[key]))} | ${(res[key] ?? []).map((v) => f(v)).join(', ')} |`;
const ours = median(res.ours);
console.log(`IPVS table of ${res.services} virtual servers x ${res.dests} real servers (${res.entries} entries), ${runs} runs, VM boot+run ${(r.elapsedMs / 1000).toFixed(0)} s`);
console.log('| what | median ms | runs (ms) |');
console.log('|---|---|---|');
console.log(row('our apply() (window 128)', 'ours'));
console.log(row('ipvsadm -R', 'ipvsadm'));
if (res.keepalived.length > 0) console.log(row('keepalived -C: start to complete table', 'keepalived'));
console.log(row('our dump()', 'dump'));
console.log(row('ipvsadm -Sn', 'ipvsadmSn'));
console.log(`ratios of medians: ipvsadm -R / ours = ${(median(res.ipvsadm) / ours).toFixed(2)}` + (res.keepalived.length > 0 ? `, keepalived / ours = ${(median(res.keepalived) / ours).toFixed(2)}` : ` (${res.keepalivedNote})`));
console.log(`opening our IPVS handle (socket + family lookup): ${f(median(res.oursOpen))} ms`);

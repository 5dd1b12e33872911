#!/usr/bin/env node
// Health checkers at scale, ours next to keepalived 2.2.7 in ONE boot of the test VM (keepalived's
// checker process needs IPVS, which only the VM's kernel has; test/vm/vm.ts: qemu under TCG, one
// vCPU, so absolute figures are several times those of real hardware and the ratios are the
// point). Guest: bench/checkers-vm-guest.mjs. Both daemons, in turn, on the same configs and the
// same targets (listeners in the VM on a dummy interface's addresses):
//   - 1,000 TCP_CHECK (900 accepted, 100 refused) and 1,000 HTTP_GET, delay_loop 1, with -C:
//     CPU (utime+stime over a window after a warm-up, share of one core) and RSS of keepalived's
//     checker child (its -c pid file) and of our daemon's process tree, and of each whole tree;
//     medians of the windows; the connections the targets accepted per second (the check rate);
//   - with --gap-seconds N > 0: the TCP load plus a VRRPv3 instance at advert_int 0.05 in the same
//     daemon (no -C), its adverts captured by tcpdump on the peer end of a veth in a namespace of
//     the VM; p50/p99/max gap.
//
//   node bench/checkers-vm.mjs [--warm 40] [--window 10] [--windows 3] [--gap-seconds 30] [--from-json FILE]
// The run's JSON is kept in $CHECKERS_VM_JSON (default /tmp/checkers-vm.json).
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadVm, runVmBench } from './lib/vm-bench.mjs';
import { optNumber as arg, repo } from './lib/cli.mjs';
import { median as medianOf } from './lib/stats.mjs';

const WARM = arg('warm', 40);
const WINDOW = arg('window', 10);
const WINDOWS = arg('windows', 3);
const GAP_SECONDS = arg('gap-seconds', 30);

const fromJson = process.argv.indexOf('--from-json');
let res;
let elapsed = NaN;
let hostLoad0 = loadavg();
let hostLoad1 = hostLoad0;
if (fromJson > 0) {
  // The figures of an earlier run (its JSON), printed again without a boot.
  res = JSON.parse(readFileSync(process.argv[fromJson + 1], 'utf8'));
} else {
  const vm = await loadVm(repo);
  const oursCmd = `node ${join(repo, 'dist/bin/keepalived-ts.mjs')}`;
  const script = `
  set -e
  ulimit -n 65536
  modprobe ip_vs
  ip link add dummy0 type dummy
  ip link set dummy0 up
  ip addr add 198.51.100.1/24 dev dummy0
  for i in $(seq 11 20); do ip addr add 198.51.100.$i/32 dev dummy0; done
  ip netns add peer
  ip link add vk0 type veth peer name vp0
  ip link set vp0 netns peer
  ip addr add 192.0.2.193/28 dev vk0
  ip link set vk0 up
  ip -n peer addr add 192.0.2.194/28 dev vp0
  ip -n peer link set vp0 up
  ip -n peer link set lo up
  node checkers-vm-guest.mjs '${oursCmd}' ${WARM} ${WINDOW} ${WINDOWS} ${GAP_SECONDS}
  `;
  hostLoad0 = loadavg();
  console.error(`booting the VM: warm-up ${WARM} s, ${WINDOWS} windows of ${WINDOW} s, gaps ${GAP_SECONDS} s ...`);
  const { r, out } = await runVmBench(vm, repo, script, {
    timeoutMs: 2_400_000,
    files: { 'checkers-vm-guest.mjs': readFileSync(join(repo, 'bench/checkers-vm-guest.mjs')) },
    result: 'checkers-vm.json',
    consoleTail: 3000,
  });
  hostLoad1 = loadavg();
  res = JSON.parse(out.toString('utf8'));
  elapsed = r.elapsedMs / 1000;
  writeFileSync(process.env.CHECKERS_VM_JSON ?? '/tmp/checkers-vm.json', out);
}
/** The median of the windows that reported the figure. */
const median = (a) => medianOf(a.filter((x) => !Number.isNaN(x)));
const pct = (v) => (Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(1)} %`);
const mb = (kb) => (Number.isNaN(kb) ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
const find = (who, kind) => res.runs.find((x) => x.who === who && x.kind === kind);
const med = (run, f) => median(run.windows.map(f));
console.log(`Checkers in the VM: warm-up ${res.warm} s, ${res.windows} windows of ${res.window} s; VM boot+run ${Number.isNaN(elapsed) ? "n/a (from JSON)" : `${elapsed.toFixed(0)} s`}; host load average before ${hostLoad0.map((x) => x.toFixed(1)).join(' ')}, after ${hostLoad1.map((x) => x.toFixed(1)).join(' ')}`);
console.log('');
console.log('| load | daemon | checker CPU (median; windows) | checker RSS | tree CPU | tree RSS | accepted conn/s (windows) | targets CPU | IPVS dests | VM loadavg |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const kind of ['tcp', 'http']) {
  for (const who of ['keepalived', 'ours']) {
    const run = find(who, kind);
    if (!run) continue;
    const w = run.windows;
    console.log(
      `| ${kind === 'tcp' ? '1,000 TCP_CHECK' : '1,000 HTTP_GET'} | ${who} | ${pct(med(run, (x) => x.checkerCpu))} (${w.map((x) => pct(x.checkerCpu)).join(', ')}) | ${mb(med(run, (x) => x.checkerRssKb))} | ${pct(med(run, (x) => x.treeCpu))} | ${mb(med(run, (x) => x.treeRssKb))} | ${med(run, (x) => x.accepted).toFixed(0)} (${w.map((x) => x.accepted.toFixed(0)).join(', ')}) | ${pct(med(run, (x) => x.targetsCpu ?? NaN))} | ${w.at(-1).ipvsLines} | ${w.at(-1).loadavg} |`,
    );
  }
}
console.log('');
for (const kind of ['tcp', 'http']) {
  const k = find('keepalived', kind);
  const o = find('ours', kind);
  if (!k || !o) continue;
  const ratio = (f) => (med(o, f) / med(k, f)).toFixed(2);
  console.log(`${kind}: ratios ours/keepalived: checker CPU ${ratio((x) => x.checkerCpu)}, checker RSS ${ratio((x) => x.checkerRssKb)}, tree CPU ${ratio((x) => x.treeCpu)}, tree RSS ${ratio((x) => x.treeRssKb)}, CPU per accepted connection ${((med(o, (x) => x.treeCpu) / med(o, (x) => x.accepted)) / (med(k, (x) => x.treeCpu) / med(k, (x) => x.accepted))).toFixed(2)}`);
}
for (const run of res.runs) console.log(`processes (${run.who} ${run.kind}, last window): ${run.procs.map((p) => `${p.pid}${p.checker ? '*' : ''} ${p.cmd} ${pct(p.cpu)} ${mb(p.rssKb)}`).join('; ')}`);
if (res.gaps.length) {
  console.log('');
  console.log('| advert gaps (1,000 TCP_CHECK in the same daemon) | adverts | p50 ms | p99 ms | max ms | accepted conn/s | VM loadavg |');
  console.log('|---|---|---|---|---|---|---|');
  const q = (a, p) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] : NaN;
  };
  for (const g of res.gaps) console.log(`| ${g.who} | ${g.adverts} | ${q(g.gapsMs, 0.5).toFixed(1)} | ${q(g.gapsMs, 0.99).toFixed(1)} | ${Math.max(...g.gapsMs).toFixed(1)} | ${g.accepted.toFixed(0)} | ${g.loadavg} |`);
}
for (const n of res.notes) console.log(`note: ${n}`);

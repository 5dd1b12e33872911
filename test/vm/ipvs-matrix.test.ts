// GenlIpvsKernel against the kernel's real IPVS, in a VM (this machine's kernel has no IPVS):
// the matrix table of ipvs-matrix-table.ts is created through apply(), read back through dump()
// and through ipvsadm (the oracle), edited, restored by ipvsadm -R and read by us, deleted.
// Timeouts and info are compared with ipvsadm's. One boot for the whole file.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect } from 'vitest';
import { itWhen } from '../helpers/require.js';
import type { IpvsEntry, IpvsOpResult } from '../../src/kernel/ipvs.js';
import { IPVS_UNAVAILABLE_MESSAGE } from '../../src/kernel/genl-ipvs-kernel.js';
import { editPass, initialTable, sortTable } from './ipvs-matrix-table.js';
import { ipvsadmTable, parseIpvsadmRules, parseIpvsadmTimeouts } from './ipvsadm-rules.js';
import { runInVm, vmMissing, type VmResult } from './vm.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const itVm = itWhen(vmMissing);

interface View {
  rules: string;
  thresholds: string;
}
interface Matrix {
  info: { version: string; connTableSize: number };
  ipvsadmLn: string;
  timeouts: { t0: unknown; t0Text: string; t1Text: string; t2Text: string; t3: unknown };
  create: { results: IpvsOpResult[]; dump: IpvsEntry[]; ipvsadm: View };
  negatives: { results: IpvsOpResult[]; before: View; after: View };
  edit: { results: IpvsOpResult[]; dump: IpvsEntry[]; ipvsadm: View };
  restore: { dump: IpvsEntry[]; ipvsadm: View };
  delete: { results: IpvsOpResult[]; dump: IpvsEntry[]; ipvsadm: View };
}

let vm: VmResult | undefined;
let absent: { opened: boolean; name?: string; code?: string; message?: string } | undefined;
let m: Matrix | undefined;

const guestCommand = `
set -e
# First without module autoloading: the kernel has no IPVS family yet.
echo /bin/true > /proc/sys/kernel/modprobe
node guest.mjs absent absent.json
echo /sbin/modprobe > /proc/sys/kernel/modprobe
# DR and TUN real servers must be routable: a dummy interface holds their subnets.
ip link add dummy0 type dummy
ip link set dummy0 up
ip addr add 198.51.100.1/24 dev dummy0
ip -6 addr add 2001:db8:1::1/64 dev dummy0 nodad
node guest.mjs matrix matrix.json
`;

describe('GenlIpvsKernel against the kernel IPVS (qemu VM)', () => {
  beforeAll(async () => {
    if (vmMissing() !== undefined) return;
    const bundle = await build({
      entryPoints: [join(repo, 'test/vm/guest/ipvs-matrix-guest.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    vm = await runInVm(guestCommand, {
      timeoutMs: 270_000,
      files: { 'guest.mjs': bundle.outputFiles[0].text },
      env: { KEEPALIVED_TS_NATIVE: join(repo, 'build/Release/keepalived_ts_native.node') },
    });
    const a = vm.files.get('absent.json');
    const j = vm.files.get('matrix.json');
    if (a) absent = JSON.parse(a.toString('utf8')) as typeof absent;
    if (j) m = JSON.parse(j.toString('utf8')) as Matrix;
    if (!m) throw new Error(`the VM run produced no matrix.json (exit ${vm.exitCode}, timed out ${vm.timedOut})\n${vm.output}\n${vm.console.slice(-3000)}`);
  }, 300_000);

  itVm('a kernel without IPVS gives one typed error naming the cause', () => {
    expect(absent).toMatchObject({ opened: false, name: 'KernelError', code: 'ENOENT' });
    expect(absent?.message).toContain(IPVS_UNAVAILABLE_MESSAGE);
  });

  itVm('info() matches the version and table size ipvsadm prints', () => {
    const hdr = /IP Virtual Server version (\d+\.\d+\.\d+) \(size=(\d+)\)/.exec(m!.ipvsadmLn);
    expect(hdr).not.toBeNull();
    expect(m!.info).toEqual({ version: hdr![1], connTableSize: Number(hdr![2]) });
  });

  itVm('timeouts: ours read what ipvsadm shows and set what ipvsadm then shows; 0 leaves one unchanged', () => {
    const t = m!.timeouts;
    expect(t.t0).toEqual(parseIpvsadmTimeouts(t.t0Text));
    expect(parseIpvsadmTimeouts(t.t1Text)).toEqual({ tcp: 1234, tcpFin: 56, udp: 789 });
    expect(parseIpvsadmTimeouts(t.t2Text)).toEqual({ tcp: 1234, tcpFin: 56, udp: 55 });
    expect(t.t3).toEqual({ tcp: 901, tcpFin: 121, udp: 301 });
  });

  itVm('every scheduler, protocol, family and forwarding method: created by apply(), read back by dump() and by ipvsadm', () => {
    const want = sortTable(initialTable());
    expect(m!.create.results.filter((r) => !r.ok)).toEqual([]);
    expect(m!.create.results.length).toBe(want.length + want.reduce((n, e) => n + e.dests.length, 0));
    expect(sortTable(m!.create.dump)).toEqual(want);
    expect(sortTable(ipvsadmTable(m!.create.ipvsadm.rules, m!.create.ipvsadm.thresholds))).toEqual(want);
  });

  itVm('refused ops each get their own errno code and leave the table as it was', () => {
    expect(m!.negatives.results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
      'EEXIST', // the same service again
      'EEXIST', // the same real server again
      'ENOENT', // no scheduler of that name
      'ESRCH', // real server for a missing virtual server
      'ESRCH', // edit of a missing virtual server
      'ESRCH', // delete of a missing virtual server
      'ENOENT', // delete of a missing real server
      'ENOENT', // edit of a missing real server
      'EINVAL', // GUE tunnel without a port
      'EINVALID_ARG', // IPv4 text for an IPv6 real server: never sent
      'EINVALID_ARG', // scheduler name longer than the kernel's 15 bytes: never sent
    ]);
    for (const r of m!.negatives.results) if (!r.ok) expect(r.message).toMatch(/^(add|edit|delete)(Service|Dest) /);
    expect(m!.negatives.after).toEqual(m!.negatives.before);
  });

  itVm('the edit pass (schedulers, persistence, weights, thresholds, DR to TUN, deletions) reads back as planned', () => {
    const { after } = editPass(initialTable());
    expect(m!.edit.results.filter((r) => !r.ok)).toEqual([]);
    expect(sortTable(m!.edit.dump)).toEqual(sortTable(after));
    expect(sortTable(ipvsadmTable(m!.edit.ipvsadm.rules, m!.edit.ipvsadm.thresholds))).toEqual(sortTable(after));
  });

  itVm('a table written by ipvsadm -R is read by dump() as ipvsadm sees it', () => {
    const r = m!.restore;
    expect(sortTable(r.dump)).toEqual(sortTable(ipvsadmTable(r.ipvsadm.rules, r.ipvsadm.thresholds)));
    // -Sn does not carry thresholds, so the restored table is the created one without them.
    const noThresholds = initialTable().map((e) => ({ service: e.service, dests: e.dests.map((d) => ({ ...d, upperThreshold: 0, lowerThreshold: 0 })) }));
    expect(sortTable(r.dump)).toEqual(sortTable(noThresholds));
  });

  itVm('deleting every service empties the table for both readers', () => {
    expect(m!.delete.results.filter((r) => !r.ok)).toEqual([]);
    expect(m!.delete.dump).toEqual([]);
    expect(parseIpvsadmRules(m!.delete.ipvsadm.rules)).toEqual([]);
  });
});

// Runs inside the test VM (bundled by test/vm/ipvs-matrix.test.ts): programs the matrix table
// through GenlIpvsKernel, reads it back through dump() and through ipvsadm, and prints one JSON
// document with everything the host test compares. No assertions here: the host decides.
//
//   node guest.mjs absent   -> { error } of opening IPVS while module autoloading is off
//   node guest.mjs matrix   -> the matrix results
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { GenlIpvsKernel } from '../../../src/kernel/genl-ipvs-kernel.js';
import type { IpvsOp } from '../../../src/kernel/ipvs.js';
import { createOps, deleteAllOps, editPass, initialTable } from '../ipvs-matrix-table.js';

const ipvsadm = (...args: string[]): string => execFileSync('ipvsadm', args, { encoding: 'utf8' });
const out = process.argv[3] ?? 'result.json';
/** ipvsadm's view: the rules and, separately, the thresholds (-Sn does not print them). */
const view = (): { rules: string; thresholds: string } => ({ rules: ipvsadm('-Sn'), thresholds: ipvsadm('-Ln', '--thresholds') });

async function absent(): Promise<unknown> {
  try {
    const k = await GenlIpvsKernel.open();
    k.close();
    return { opened: true };
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    return { opened: false, name: err.name, code: err.code, message: err.message };
  }
}

async function matrix(): Promise<unknown> {
  // A window smaller than the op count, so in-flight requests are refilled as ACKs arrive.
  const k = await GenlIpvsKernel.open({ timeoutMs: 20_000, window: 16 });
  try {
    const r: Record<string, unknown> = {};
    r.info = await k.info();
    r.ipvsadmLn = ipvsadm('-Ln');

    const t0 = await k.getTimeouts();
    const t0Text = ipvsadm('-Ln', '--timeout');
    await k.setTimeouts({ tcp: 1234, tcpFin: 56, udp: 789 });
    const t1Text = ipvsadm('-Ln', '--timeout');
    await k.setTimeouts({ tcp: 0, tcpFin: 0, udp: 55 });
    const t2Text = ipvsadm('-Ln', '--timeout');
    ipvsadm('--set', '901', '121', '301');
    const t3 = await k.getTimeouts();
    r.timeouts = { t0, t0Text, t1Text, t2Text, t3 };

    const table = initialTable();
    const ops = createOps(table);
    r.create = { results: await k.apply(ops), dump: await k.dump(), ipvsadm: view() };

    const first = table[0];
    const v6 = table.find((e) => e.service.key.family === 'inet6')!;
    const negatives: IpvsOp[] = [
      { op: 'addService', service: first.service },
      { op: 'addDest', key: first.service.key, dest: first.dests[0] },
      { op: 'addService', service: { ...first.service, key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.250', port: 1 }, scheduler: 'nosuch' } },
      { op: 'addDest', key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.251', port: 1 }, dest: first.dests[0] },
      { op: 'editService', service: { ...first.service, key: { kind: 'fwmark', family: 'inet', fwmark: 99_999 } } },
      { op: 'deleteService', key: { kind: 'addr', family: 'inet6', protocol: 'sctp', address: '2001:db8::fe', port: 9 } },
      { op: 'deleteDest', key: first.service.key, dest: { family: 'inet', address: '198.51.100.254', port: 1 } },
      { op: 'editDest', key: first.service.key, dest: { ...first.dests[0], address: '198.51.100.253' } },
      { op: 'addDest', key: first.service.key, dest: { family: 'inet', address: '198.51.100.252', port: 5, forward: 'tunnel', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: 'gue', tunnelPort: 0 } },
      { op: 'addDest', key: v6.service.key, dest: { family: 'inet6', address: '198.51.100.9', port: 5, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 } },
      { op: 'addService', service: { ...first.service, key: { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.252', port: 1 }, scheduler: 'a-scheduler-name-too-long' } },
    ];
    const before = view();
    r.negatives = { results: await k.apply(negatives), before, after: view() };

    const edit = editPass(table);
    r.edit = { results: await k.apply(edit.ops), dump: await k.dump(), ipvsadm: view() };

    // ipvsadm writes, we read: the created table restored by ipvsadm -R.
    const created = (r.create as { ipvsadm: { rules: string } }).ipvsadm.rules;
    ipvsadm('-C');
    execFileSync('ipvsadm', ['-R'], { input: created });
    r.restore = { dump: await k.dump(), ipvsadm: view() };

    r.delete = { results: await k.apply(deleteAllOps(table)), dump: await k.dump(), ipvsadm: view() };
    return r;
  } finally {
    k.close();
  }
}

const phase = process.argv[2];
const result = phase === 'absent' ? await absent() : await matrix();
writeFileSync(out, JSON.stringify(result, null, 1));

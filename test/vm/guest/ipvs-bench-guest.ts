// Runs inside the test VM for bench/ipvs-apply.mjs: programs SERVICES virtual servers x DESTS
// real servers through GenlIpvsKernel.apply(), and the same table through `ipvsadm -R`, and
// (when keepalived is installed) through `keepalived -C` with a generated configuration, timing
// each from start to a complete table. Also times a full read back: dump() vs `ipvsadm -Sn`.
// Everything runs inside a network namespace of its own (IPVS tables are per namespace).
//
//   node guest.mjs RUNS SERVICES DESTS   -> bench.json
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { GenlIpvsKernel } from '../../../src/kernel/genl-ipvs-kernel.js';
import type { IpvsOp, IpvsService } from '../../../src/kernel/ipvs.js';

const runs = Number(process.argv[2] ?? 3);
const nServices = Number(process.argv[3] ?? 1000);
const nDests = Number(process.argv[4] ?? 10);

const vip = (i: number): { address: string; port: number } => ({ address: `192.0.2.${1 + (i % 250)}`, port: 10_000 + i });
const rip = (j: number): string => `198.51.100.${10 + j}`;

const ops: IpvsOp[] = [];
const rules: string[] = [];
const conf: string[] = [];
for (let i = 0; i < nServices; i++) {
  const v = vip(i);
  const key = { kind: 'addr', family: 'inet', protocol: 'tcp', address: v.address, port: v.port } as const;
  const service: IpvsService = { key, scheduler: 'wrr', flags: 0, timeout: 0, netmask: '255.255.255.255' };
  ops.push({ op: 'addService', service });
  rules.push(`-A -t ${v.address}:${v.port} -s wrr`);
  conf.push(`virtual_server ${v.address} ${v.port} {`, '  lb_algo wrr', '  lb_kind NAT', '  protocol TCP');
  for (let j = 0; j < nDests; j++) {
    ops.push({ op: 'addDest', key, dest: { family: 'inet', address: rip(j), port: 8080, forward: 'masq', weight: 1 + j, upperThreshold: 0, lowerThreshold: 0 } });
    rules.push(`-a -t ${v.address}:${v.port} -r ${rip(j)}:8080 -m -w ${1 + j}`);
    conf.push(`  real_server ${rip(j)} 8080 {`, `    weight ${1 + j}`, '  }');
  }
  conf.push('}');
}
const expectedLines = nServices * (1 + nDests);
writeFileSync('/tmp/bench-rules.txt', rules.join('\n') + '\n');
writeFileSync('/tmp/bench-keepalived.conf', ['global_defs {', '  router_id bench', '}', ...conf, ''].join('\n'));

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const tableLines = (): number => execFileSync('ipvsadm', ['-Sn'], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '').length;
const clear = (): void => void execFileSync('ipvsadm', ['-C']);

const result: Record<string, number[] | number | string> = { services: nServices, dests: nDests, entries: expectedLines, ours: [], oursOpen: [], ipvsadm: [], dump: [], ipvsadmSn: [], keepalived: [] };
const push = (k: string, v: number): void => {
  (result[k] as number[]).push(v);
  console.error(`${k} ${v.toFixed(1)} ms`); // progress, in output.log on the share
  writeFileSync('bench.json', JSON.stringify(result)); // what is measured survives a timeout
};

const k0 = process.hrtime.bigint();
const kernel = await GenlIpvsKernel.open({ timeoutMs: 60_000 });
push('oursOpen', ms(k0));
try {
  for (let r = 0; r < runs; r++) {
    clear();
    let t0 = process.hrtime.bigint();
    const res = await kernel.apply(ops);
    push('ours', ms(t0));
    const bad = res.filter((x) => !x.ok);
    if (bad.length > 0) throw new Error(`apply refused ${bad.length} ops, first: ${JSON.stringify(bad[0])}`);
    if (tableLines() !== expectedLines) throw new Error('table incomplete after apply');

    t0 = process.hrtime.bigint();
    const d = await kernel.dump();
    push('dump', ms(t0));
    if (d.length !== nServices || d.some((e) => e.dests.length !== nDests)) throw new Error('dump incomplete');
    t0 = process.hrtime.bigint();
    tableLines();
    push('ipvsadmSn', ms(t0));

    clear();
    t0 = process.hrtime.bigint();
    const rr = spawnSync('sh', ['-c', 'ipvsadm -R < /tmp/bench-rules.txt']);
    push('ipvsadm', ms(t0));
    if (rr.status !== 0 || tableLines() !== expectedLines) throw new Error(`ipvsadm -R failed: ${rr.stderr}`);
  }
  clear();
} finally {
  kernel.close();
}

// keepalived -C: from spawn to the complete table (polled every 20 ms).
const hasKeepalived = spawnSync('sh', ['-c', 'command -v keepalived']).status === 0;
if (hasKeepalived) {
  for (let r = 0; r < runs; r++) {
    clear();
    const t0 = process.hrtime.bigint();
    const ka = spawn('keepalived', ['-C', '-n', '-f', '/tmp/bench-keepalived.conf', '-p', '/tmp/ka.pid', '-c', '/tmp/ka-check.pid', '-r', '/tmp/ka-vrrp.pid'], { stdio: 'ignore' });
    let done = false;
    const deadline = Date.now() + 300_000;
    // Polling the whole table would itself take most of the (single) vCPU; the last virtual
    // server with all its real servers is the cheap sign, confirmed by a full count.
    const last = vip(nServices - 1);
    const lastDone = (): boolean => {
      const r = spawnSync('ipvsadm', ['-Ln', '-t', `${last.address}:${last.port}`], { encoding: 'utf8' });
      return r.status === 0 && r.stdout.split('\n').filter((l) => l.includes('->') && !l.includes('RemoteAddress')).length === nDests;
    };
    while (!done && Date.now() < deadline) {
      if (lastDone() && tableLines() === expectedLines) done = true;
      else await new Promise((res) => setTimeout(res, 20));
    }
    const t = ms(t0);
    if (ka.pid !== undefined) process.kill(ka.pid, 'SIGTERM');
    await new Promise((res) => ka.once('exit', res));
    if (!done) throw new Error('keepalived did not complete the table in 300 s');
    push('keepalived', t);
  }
  clear();
} else {
  result.keepalivedNote = 'keepalived not installed';
}
writeFileSync('bench.json', JSON.stringify(result));

// A kernel without IPVS (this machine has no ip_vs module), the real keepalived 2.2.7 beside us
// in the same run. keepalived logs "IPVS: Can't initialize ipvs: <strerror>", logs its real
// servers as shut down, and the whole daemon exits 1 (check_daemon.c: stop_check with
// KEEPALIVED_EXIT_FATAL). We log the same line, once, and keep going: the checkers run and the
// subsystem reports (ADR 0016). When the kernel does have IPVS the test has nothing to compare and
// says so through itWhen.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { createLvsSubsystem } from '../../../src/core/lvs-subsystem.js';
import { KernelError } from '../../../src/kernel/errors.js';
import { GenericNetlink } from '../../../src/kernel/genetlink.js';
import type { IpvsKernel } from '../../../src/kernel/ipvs.js';
import { Lab } from '../../../src/lab/lab.js';
import { watchProcess } from '../../../src/lab/keepalived-peer.js';
import { systemClock } from '../../../src/lib/clock.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { RealTimers } from '../../../src/lib/timers.js';
import { nativeUnavailable } from '../../../src/net/native.js';
import { FakeProcessRunner } from '../../../src/notify/process-runner.js';
import { isRoot, itWhen, type Prereq } from '../../helpers/require.js';
import { modelOf, ScriptedHealth } from '../../unit/ipvs/lvs-fixtures.js';

const hasKeepalived: Prereq = () => {
  try {
    execFileSync('keepalived', ['--version'], { stdio: 'pipe' });
    return undefined;
  } catch {
    return 'keepalived 2.2.7 not installed';
  }
};

/** Asks the kernel (generic netlink controller) for the IPVS family. */
async function ipvsFamily(): Promise<boolean> {
  const g = GenericNetlink.open();
  try {
    return (await g.resolveFamily('IPVS')) !== undefined;
  } finally {
    g.close();
  }
}
/** /proc/net/ip_vs exists while the ip_vs module is loaded. */
const noIpvs: Prereq = () => (existsSync('/proc/net/ip_vs') ? 'this kernel has IPVS (the case needs one without)' : undefined);

const notUsed = (): never => {
  throw new Error('not used');
};

/** The start of an IpvsKernel over the real kernel: only the family lookup info() needs. */
class FamilyProbe implements IpvsKernel {
  async info() {
    if (!(await ipvsFamily())) throw new KernelError('ENOENT', 'info', "generic netlink family 'IPVS' not found", { errno: 2 });
    return { version: 'present', connTableSize: 0 };
  }
  dump = notUsed;
  apply = notUsed;
  getTimeouts = notUsed;
  setTimeouts = notUsed;
  startSyncDaemon = notUsed;
  stopSyncDaemon = notUsed;
  listSyncDaemons = notUsed;
  close(): void {}
}

const CONF = `
global_defs {
  router_id lvs-no-ipvs
}
virtual_server 192.0.2.1 3306 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.10 3306 {
    TCP_CHECK { connect_timeout 3 }
  }
}
`;

describe('LVS without IPVS in the kernel, beside keepalived 2.2.7', () => {
  let lab: Lab | undefined;
  let dir: string | undefined;
  afterAll(() => {
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const pre = [isRoot, hasKeepalived, () => nativeUnavailable()];
  itWhen(...pre, noIpvs)('same error line as keepalived; keepalived exits 1, we keep the checkers running', async () => {
    expect(await ipvsFamily()).toBe(false);
    lab = new Lab('lvsn');
    lab.addHost({ name: 'a', addresses: ['192.0.2.2/24'] });
    dir = mkdtempSync(join(tmpdir(), 'kt-lvs-'));
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, CONF);
    const child = lab.spawn('a', ['keepalived', '-n', '-l', '-D', '-f', conf, '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid'), '-c', join(dir, 'c.pid'), '-b', join(dir, 'b.pid')]);
    const peer = watchProcess(child);
    const theirs = await peer.waitFor(/IPVS: Can't initialize ipvs: /, 20_000);
    await peer.exited();
    expect(child.exitCode).toBe(1);
    const theirLine = theirs.slice(theirs.indexOf('IPVS: '));
    expect(peer.lines.some((l) => l.endsWith('Shutting down service [192.0.2.10]:tcp:3306 from VS [192.0.2.1]:tcp:3306'))).toBe(true);

    const { log, records } = memoryLogger('info');
    const health = new ScriptedHealth();
    const sub = createLvsSubsystem({ model: modelOf(CONF), log, ipvs: new FamilyProbe(), health, runner: new FakeProcessRunner(), timers: new RealTimers(systemClock) });
    await sub.start();
    const errors = records.filter((r) => Number(r.level) >= 50).map((r) => String(r.msg));
    expect(errors).toHaveLength(1);
    // keepalived's line is a prefix of ours (ours adds the detail after it).
    expect(errors[0].startsWith(theirLine)).toBe(true);
    expect(health.started).toBe(1);
    health.set('tcp|192.0.2.1|3306#192.0.2.10|3306', false);
    expect(sub.status()).toMatchObject({ ipvs: 'unavailable', virtualServers: [{ label: '[192.0.2.1]:tcp:3306', realServers: [{ alive: false }] }] });
    await sub.stop('signal');
    expect(health.stopped).toBe(1);
  });
});

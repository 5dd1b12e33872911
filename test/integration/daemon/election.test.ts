// Elections among our daemons as real processes: three nodes, preemption by a returning
// higher-priority node, and `nopreempt` keeping the current master.
import { describe, expect } from 'vitest';
import { V4_PAIR, netnsIt } from '../../helpers/netns-fixture.js';
import { FAILOVER_SLACK_MS, GLOBAL_DEFS, assertStableHolder, instanceConf, nodeDir, stateLines, vrrpTimes, waitLastStates, waitSoleHolder, waitStates, waitVip } from './daemon-lab.js';

const VIP = '192.0.2.100';
const conf = (priority: number, extra: string[] = [], more: { advertInt?: number; state?: 'MASTER' } = {}) =>
  GLOBAL_DEFS + instanceConf({ priority, vips: [`${VIP}/24`], extra, ...more });
const labIt = netnsIt('del');

describe('daemon elections (real processes)', () => {
  labIt('3 nodes: highest is the only master; killing it moves the VIP to the next highest', 90_000, async (f) => {
    const { lab } = f;
    const prios: Record<string, number> = { a: 120, b: 200, c: 150 };
    f.hosts({ a: '192.0.2.11/24', b: '192.0.2.12/24', c: '192.0.2.13/24' });
    // Highest first, so no other node is master even briefly while the processes start.
    const b = await f.backup('b', conf(prios.b), {}, 15_000);
    const c = await f.backup('c', conf(prios.c), {}, 15_000);
    const a = await f.backup('a', conf(prios.a), {}, 15_000);
    await waitSoleHolder(lab, ['a', 'b', 'c'], 'b', VIP, 20_000);
    await assertStableHolder(lab, ['a', 'b', 'c'], 'b', VIP, 3000);
    expect(stateLines(b, 'VI_1').at(-1)).toBe('MASTER');
    expect(stateLines(a, 'VI_1')).toEqual(['BACKUP']);
    expect(stateLines(c, 'VI_1')).toEqual(['BACKUP']);

    const t0 = performance.now();
    b.signal('SIGKILL');
    await b.exited();
    // kill -9 leaves b's address behind (no process to remove it); only live nodes count.
    const t1 = await waitSoleHolder(lab, ['a', 'c'], 'c', VIP, 15_000, 10);
    console.log(`[measure] 3-node kill -9 failover to prio 150: ${(t1 - t0).toFixed(0)} ms (down interval ${vrrpTimes(2, 150, 1).downMs.toFixed(0)} ms)`);
    // c's down timer (3.41 s) is shorter than a's (3.53 s): c wins, a stays backup.
    expect(t1 - t0).toBeLessThan(vrrpTimes(2, 150, 1).downMs + FAILOVER_SLACK_MS);
    await assertStableHolder(lab, ['a', 'c'], 'c', VIP, 3000);
    expect(stateLines(a, 'VI_1')).toEqual(['BACKUP']);
    expect(stateLines(c, 'VI_1')).toEqual(['BACKUP', 'MASTER']);
  });

  labIt('preempt: a restarted higher-priority node takes the VIP back', 90_000, async (f) => {
    const { lab } = f;
    const hosts = f.hosts(V4_PAIR);
    const dirA = nodeDir('a');
    const a1 = f.daemon('a', conf(150), { dir: dirA });
    const b = await f.backup('b', conf(100));
    await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);
    a1.signal('SIGKILL');
    await a1.exited();
    await waitVip(lab, 'b', VIP, true, 15_000);
    // The address kill -9 left on a is still there until a restarts.
    expect(lab.addresses('a')).toContain(`${VIP}/24`);

    const a2 = f.daemon('a', conf(150), { dir: dirA });
    // Start-up clears the leftover VIP (as keepalived does for a non-owner) ...
    await a2.waitFor(/\(VI_1\) Entering BACKUP STATE/, 15_000);
    await waitVip(lab, 'a', VIP, false, 2000);
    // ... then a discards b's lower-priority adverts and takes over after its down interval.
    const tBackup = performance.now();
    const t1 = await waitSoleHolder(lab, hosts, 'a', VIP, 15_000, 10);
    console.log(`[measure] preempt back after restart: ${(t1 - tBackup).toFixed(0)} ms after BACKUP (down interval ${vrrpTimes(2, 150, 1).downMs.toFixed(0)} ms)`);
    expect(t1 - tBackup).toBeLessThan(vrrpTimes(2, 150, 1).downMs + FAILOVER_SLACK_MS);
    await assertStableHolder(lab, hosts, 'a', VIP, 2000);
    expect(stateLines(a2, 'VI_1')).toEqual(['BACKUP', 'MASTER']);
    // b may have been master briefly at the very start too (process start order): look at the end.
    await waitLastStates(b, 'VI_1', ['MASTER', 'BACKUP']);
  });

  labIt('nopreempt: the returning higher-priority node stays BACKUP, the master keeps the VIP', 90_000, async (f) => {
    const { lab } = f;
    const hosts = f.hosts(V4_PAIR);
    // VRRPv3 with 0.2 s adverts: the down interval is ~0.7 s, so 5 s is many of them.
    const b = await f.backup('b', conf(100, ['version 3'], { advertInt: 0.2 }));
    await waitSoleHolder(lab, hosts, 'b', VIP, 20_000);
    const a = await f.backup('a', conf(150, ['version 3', 'nopreempt'], { advertInt: 0.2 }), {}, 15_000);
    await assertStableHolder(lab, hosts, 'b', VIP, 5000);
    expect(stateLines(a, 'VI_1')).toEqual(['BACKUP']);
    expect(stateLines(b, 'VI_1')).toEqual(['BACKUP', 'MASTER']);
    // nopreempt does not stop a backup from taking over from a dead master.
    const t0 = performance.now();
    b.signal('SIGKILL');
    await b.exited();
    const t1 = await waitVip(lab, 'a', VIP, true, 10_000, 5);
    const { downMs } = vrrpTimes(3, 150, 0.2);
    console.log(`[measure] v3 advert_int 0.2 kill -9 failover: ${(t1 - t0).toFixed(0)} ms (down interval ${downMs.toFixed(0)} ms)`);
    expect(t1 - t0).toBeLessThan(downMs + FAILOVER_SLACK_MS);
    await waitStates(a, 'VI_1', ['BACKUP', 'MASTER']);
  });

  labIt('preempt_delay: the returning higher-priority node tolerates the lower master for the delay, then takes over', 90_000, async (f) => {
    const { lab } = f;
    const hosts = f.hosts(V4_PAIR);
    await f.backup('b', conf(100));
    await waitSoleHolder(lab, hosts, 'b', VIP, 20_000);
    const DELAY = 4;
    const a = await f.backup('a', conf(150, [`preempt_delay ${DELAY}`]), {}, 15_000);
    const tBackup = performance.now();
    // Without the delay a would take over after 3.4 s; with it b keeps the VIP past that.
    await assertStableHolder(lab, hosts, 'b', VIP, 4500);
    const t1 = await waitSoleHolder(lab, hosts, 'a', VIP, 10_000, 10);
    const { downMs } = vrrpTimes(2, 150, 1);
    console.log(`[measure] preempt_delay ${DELAY}: takeover ${(t1 - tBackup).toFixed(0)} ms after BACKUP (delay + down interval = ${(DELAY * 1000 + downMs).toFixed(0)} ms, less up to one advert_int)`);
    // First advert seen within 1 s of start; the last accepted one up to 1 s before the delay ends.
    expect(t1 - tBackup).toBeGreaterThan(DELAY * 1000 + downMs - 2000);
    expect(t1 - tBackup).toBeLessThan(DELAY * 1000 + downMs + FAILOVER_SLACK_MS);
    await waitStates(a, 'VI_1', ['BACKUP', 'MASTER']);
  });

  labIt('address owner (255): starts MASTER at once and takes the VIP back immediately on return', 90_000, async (f) => {
    const { lab } = f;
    const hosts = f.hosts(V4_PAIR);
    const b = f.daemon('b', conf(100));
    await waitSoleHolder(lab, hosts, 'b', VIP, 20_000);
    const a = f.daemon('a', conf(255, [], { state: 'MASTER' }));
    await a.waitFor(/\(VI_1\) Entering MASTER STATE/, 15_000);
    const tMaster = performance.now();
    const t1 = await waitSoleHolder(lab, hosts, 'a', VIP, 5000, 10);
    console.log(`[measure] owner return: sole holder ${(t1 - tMaster).toFixed(0)} ms after its MASTER line`);
    expect(t1 - tMaster).toBeLessThan(1500);
    // No BACKUP wait for an owner.
    await waitStates(a, 'VI_1', ['MASTER']);
    await waitStates(b, 'VI_1', ['BACKUP', 'MASTER', 'BACKUP']);
  });
});

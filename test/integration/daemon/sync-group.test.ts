// vrrp_sync_group with our daemons as real processes: one member tracks a second interface (trk0); when
// it goes down on the master the whole group faults and both VIPs move to the backup together;
// when it comes back both return. The group's generic notify gets "GROUP name STATE 0", STOP
// included.
import { describe, expect } from 'vitest';
import { GLOBAL_DEFS, holders, instanceConf, nodeDir, notifyScript, waitStates, waitUntil } from './daemon-lab.js';
import { netnsIt, V4_PAIR } from '../../helpers/netns-fixture.js';

const VIP1 = '192.0.2.100';
const VIP2 = '192.0.2.200';

describe('sync group (real processes)', () => {
  netnsIt('dsg')('a member fault takes the whole group to FAULT; both VIPs move together and come back', 90_000, async (f) => {
    const { lab } = f;
    const hosts = ['a', 'b'];
    f.hosts(V4_PAIR);
    for (const h of hosts) {
      // No dummy driver in this kernel: a veth pair inside the host stands in for an uplink.
      lab.exec(h, ['ip', 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk0p']);
      lab.exec(h, ['ip', 'link', 'set', 'trk0p', 'up']);
      lab.exec(h, ['ip', 'link', 'set', 'trk0', 'up']);
    }
    const conf = (prio: number, dir: string) =>
      GLOBAL_DEFS +
      `vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n  notify ${notifyScript(dir, 'G')}\n}\n` +
      instanceConf({ name: 'VI_1', vrid: 51, priority: prio, vips: [`${VIP1}/24`] }) +
      instanceConf({ name: 'VI_2', vrid: 52, priority: prio, vips: [`${VIP2}/24`], extra: ['track_interface {', '  trk0', '}'] });
    const dirA = nodeDir('a');
    const a = await f.backup('a', conf(150, dirA), { dir: dirA }, 15_000);
    const dirB = nodeDir('b');
    const b = await f.backup('b', conf(100, dirB), { dir: dirB });
    const both = (h: string) => () => holders(lab, hosts, VIP1).join() === h && holders(lab, hosts, VIP2).join() === h;
    await waitUntil('a holds both VIPs', both('a'), 20_000);

    const t0 = performance.now();
    lab.exec('a', ['ip', 'link', 'set', 'trk0p', 'down']); // trk0 loses carrier
    await a.waitFor(/\(VI_1\) Entering FAULT STATE/, 3000);
    await a.waitFor(/\(VI_2\) Entering FAULT STATE/, 3000);
    const t1 = await waitUntil('b holds both VIPs', both('b'), 10_000, 10);
    console.log(`[measure] sync group member fault: both VIPs on the backup after ${(t1 - t0).toFixed(0)} ms`);
    // FAULT from MASTER sends priority 0 for every member: takeover after Skew_Time, not 3 adverts.
    expect(t1 - t0).toBeLessThan(2000);

    lab.exec('a', ['ip', 'link', 'set', 'trk0p', 'up']);
    await waitUntil('a holds both VIPs again', both('a'), 15_000, 10);
    await waitStates(a, 'VI_1', ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
    await waitStates(a, 'VI_2', ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
    await waitUntil('group notifies', () => a.notifications().length >= 5, 3000);
    // keepalived's notify_shutdown: instance STOPs, then the group's STOP.
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    expect(a.notifications()).toEqual([
      'G [GROUP] [G1] [BACKUP] [0]',
      'G [GROUP] [G1] [MASTER] [0]',
      'G [GROUP] [G1] [FAULT] [0]',
      'G [GROUP] [G1] [BACKUP] [0]',
      'G [GROUP] [G1] [MASTER] [0]',
      'G [GROUP] [G1] [STOP] [0]',
    ]);
    await waitUntil('b holds both VIPs after the stop', both('b'), 5000, 10);
  });
});

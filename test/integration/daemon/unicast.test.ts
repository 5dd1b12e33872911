// unicast_src_ip + unicast_peer between two of our daemons: failover works, and tcpdump in the
// switch namespace (every bridge port) sees adverts only between the two unicast addresses,
// never one to the VRRP multicast group.
import { describe, expect } from 'vitest';
import { netnsIt, V4_PAIR } from '../../helpers/netns-fixture.js';
import { FAILOVER_SLACK_MS, GLOBAL_DEFS, assertStableHolder, instanceConf, sleep, vrrpTimes, waitSoleHolder, waitStates, waitVip } from './daemon-lab.js';

const VIP = '192.0.2.100';
const VIP6 = '2001:db8:5e::100';
const labIt = netnsIt('duc');

describe('unicast peers (real processes)', () => {
  labIt('failover over unicast, and no advert goes to 224.0.0.18', 90_000, async (f) => {
    const { lab } = f;
    f.hosts(V4_PAIR);
    // Capture VRRP on every port of the switch: each frame shows once per port it crosses.
    const capture = await f.capture('ip proto 112');
    const uni = (src: string, peer: string) => [`unicast_src_ip ${src}`, 'unicast_peer {', `  ${peer}`, '}'];
    // b starts once a runs, so a's down timer expires first (no transient master on b).
    const a = await f.backup('a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`], extra: uni('192.0.2.11', '192.0.2.12') }), {}, 15_000);
    const b = await f.backup('b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`], extra: uni('192.0.2.12', '192.0.2.11') }));
    await waitSoleHolder(lab, ['a', 'b'], 'a', VIP, 20_000);
    await assertStableHolder(lab, ['a', 'b'], 'a', VIP, 2500);
    await waitStates(b, 'VI_1', ['BACKUP']);

    const t0 = performance.now();
    a.signal('SIGKILL');
    const t1 = await waitVip(lab, 'b', VIP, true, 15_000);
    console.log(`[measure] unicast kill -9 failover: ${(t1 - t0).toFixed(0)} ms (down interval ${vrrpTimes(2, 100, 1).downMs.toFixed(0)} ms)`);
    expect(t1 - t0).toBeLessThan(vrrpTimes(2, 100, 1).downMs + FAILOVER_SLACK_MS);
    await sleep(1500); // b's adverts as master
    const adverts = (await capture.stop()).filter((l) => /VRRP/.test(l));
    const pairs = new Set(adverts.map((l) => /IP (\S+) > (\S+?):/.exec(l)?.slice(1, 3).join(' > ')));
    console.log(`[measure] unicast capture: ${adverts.length} VRRP frames, flows ${[...pairs].join(', ')}`);
    expect(adverts.length).toBeGreaterThan(4);
    expect(adverts.some((l) => l.includes('224.0.0.18'))).toBe(false);
    expect([...pairs].sort()).toEqual(['192.0.2.11 > 192.0.2.12', '192.0.2.12 > 192.0.2.11']);
  });

  labIt('IPv6 unicast peers (VRRPv3, 0.2 s): failover works and nothing goes to ff02::12', 90_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: 'fd00:5e::11/64', b: 'fd00:5e::12/64' });
    const capture = await f.capture('ip6 proto 112');
    const conf = (prio: number, src: string, peer: string) =>
      GLOBAL_DEFS + instanceConf({ name: 'VI_6', vrid: 61, priority: prio, advertInt: 0.2, vips: [`${VIP6}/64`], extra: ['version 3', `unicast_src_ip ${src}`, 'unicast_peer {', `  ${peer}`, '}'] });
    const a = await f.backup('a', conf(150, 'fd00:5e::11', 'fd00:5e::12'), {}, 15_000);
    const b = await f.backup('b', conf(100, 'fd00:5e::12', 'fd00:5e::11'));
    await waitSoleHolder(lab, ['a', 'b'], 'a', VIP6, 20_000);
    await assertStableHolder(lab, ['a', 'b'], 'a', VIP6, 1500);
    await waitStates(b, 'VI_6', ['BACKUP']);
    const t0 = performance.now();
    a.signal('SIGKILL');
    const t1 = await waitVip(lab, 'b', VIP6, true, 10_000, 5);
    console.log(`[measure] IPv6 unicast v3 0.2 s kill -9 failover: ${(t1 - t0).toFixed(0)} ms (down interval ${vrrpTimes(3, 100, 0.2).downMs.toFixed(0)} ms)`);
    expect(t1 - t0).toBeLessThan(vrrpTimes(3, 100, 0.2).downMs + 900);
    await sleep(600);
    const adverts = (await capture.stop()).filter((l) => /VRRP/.test(l));
    const pairs = new Set(adverts.map((l) => /IP6 (\S+) > (\S+): /.exec(l)?.slice(1, 3).join(' > ')));
    expect(adverts.length).toBeGreaterThan(10);
    expect([...pairs].sort()).toEqual(['fd00:5e::11 > fd00:5e::12', 'fd00:5e::12 > fd00:5e::11']);
  });
});

// Interop with a second VRRP implementation: FRR's vrrpd (Debian's frr 8.4.4), VRRPv3 over IPv4
// and IPv6 and VRRPv2, each direction: election, priority-0 shutdown (FRR's `vrrp N shutdown`,
// our SIGTERM) with the takeover after Skew_Time, preemption by the returning higher priority,
// and kill -9 with the takeover after Master_Down_Interval. Both sides' packets are decoded from
// a capture on the lab's bridge by tshark: every checksum good, the same header fields, and our
// daemon logged no dropped advert.
import { describe, expect } from 'vitest';
import { decodeVrrp, linkLocalOf, startCapture, type Capture, type DecodedVrrp } from './interop-lab.js';
import { hasFrr, startFrr, virtualMac, type FrrRouter } from './frr-peer.js';
import { caseConfig, timesMs, type Case } from './scenario.js';
import { hasTcpdump, hasTshark } from '../helpers/require.js';
import { hasVip, netnsIt, sleep, waitUntil, waitVip, type NetnsFixture } from '../helpers/netns-fixture.js';
import { FAILOVER_SLACK_MS, waitLastStates } from '../integration/daemon/daemon-lab.js';

const HIGH = 150;
const LOW = 100;
const VIP = { inet: '192.0.2.100', inet6: '2001:db8::100' } as const;

interface FrrCase extends Case {
  label: string;
}

const CASES: FrrCase[] = [
  { label: 'VRRPv3 IPv4', tag: 'fr34', version: 3, family: 'inet', advertInt: 0.5 },
  { label: 'VRRPv3 IPv6', tag: 'fr36', version: 3, family: 'inet6', advertInt: 0.5 },
  { label: 'VRRPv2 IPv4', tag: 'fr24', version: 2, family: 'inet', advertInt: 1 },
];

/** Our host `t` and FRR's host `k` (scenario.ts names the peer host `k`). */
const HOSTS = { t: '192.0.2.11/24', k: '192.0.2.12/24' } as const;

function startRouter(f: NetnsFixture, c: FrrCase, priority: number): Promise<FrrRouter> {
  return startFrr(f.lab, 'k', {
    vrid: 51,
    version: c.version,
    family: c.family,
    priority,
    intervalMs: c.advertInt * 1000,
    vips: [`${VIP[c.family]}/${c.family === 'inet6' ? 64 : 24}`],
  }).then((r) => {
    f.onCleanup(() => r.cleanup());
    return r;
  });
}

/** No advert of the other side was refused by our daemon. */
function expectNoDrops(lines: readonly string[]): void {
  expect(lines.filter((l) => /advert dropped|advert warning|bad checksum|invalid/i.test(l))).toEqual([]);
}

/** Header fields both implementations must agree on (priority and source differ by design). */
function checkWire(c: FrrCase, pkts: DecodedVrrp[], who: string): void {
  expect(pkts.length, `${who} adverts in the capture`).toBeGreaterThan(3);
  for (const p of pkts) {
    expect.soft(p.checksumStatus, `VRRP checksum of ${who}'s packet ${JSON.stringify(p)}`).toBe(1);
    if (c.family === 'inet') expect.soft(p.ipChecksumStatus, `IP checksum of ${who}'s packet`).toBe(1);
    expect.soft(p.ttl).toBe(255);
    expect.soft(p.version).toBe(c.version);
    expect.soft(p.vrid).toBe(51);
    expect.soft(p.dst).toBe(c.family === 'inet6' ? 'ff02::12' : '224.0.0.18');
    expect.soft(p.adverInt).toBe(c.version === 2 ? c.advertInt : Math.round(c.advertInt * 100));
    expect.soft(p.addrs).toEqual([VIP[c.family]]);
  }
}

/** Stops the capture and splits its adverts by sender (ours by source address, FRR's by its virtual MAC), each checked on the wire. */
async function capturedAdverts(f: NetnsFixture, c: FrrCase, cap: Capture): Promise<{ oursPkts: DecodedVrrp[]; frrPkts: DecodedVrrp[] }> {
  await cap.stop();
  const pkts = decodeVrrp(cap.file);
  const src = c.family === 'inet6' ? linkLocalOf(f.lab, 't') : '192.0.2.11';
  const oursPkts = pkts.filter((p) => p.src === src);
  const frrPkts = pkts.filter((p) => p.ethSrc === virtualMac(c.family, 51));
  checkWire(c, oursPkts, 'keepalived-ts');
  checkWire(c, frrPkts, 'FRR');
  return { oursPkts, frrPkts };
}

/** Time (ms, capture clock) from `from`'s priority-0 advert to the first advert of `to` after it. */
function afterPriorityZero(from: DecodedVrrp[], to: DecodedVrrp[]): number {
  const p0 = from.find((p) => p.prio === 0);
  expect(p0, 'a priority-0 advert').toBeDefined();
  const next = to.find((p) => p.time > p0!.time);
  expect(next, 'an advert after the priority-0 one').toBeDefined();
  return (next!.time - p0!.time) * 1000;
}

/** Time (ms, capture clock) from `from`'s last advert to the first advert of `to` after it. */
function afterSilence(from: DecodedVrrp[], to: DecodedVrrp[]): number {
  const last = from.at(-1)!;
  const next = to.find((p) => p.time > last.time);
  expect(next, 'an advert after the last one of the killed side').toBeDefined();
  return (next!.time - last.time) * 1000;
}

describe.each(CASES)('interop with FRR vrrpd 8.4.4: $label', (c) => {
  const it = netnsIt(c.tag, hasFrr, hasTcpdump, hasTshark);
  const vip = VIP[c.family];
  const adv = c.advertInt * 1000;

  it('FRR master, keepalived-ts backup: election, FRR shutdown (priority 0), FRR preempts back, FRR kill -9', 120_000, async (f) => {
    f.hosts(HOSTS);
    const cap = await startCapture(f.lab, 'ip proto 112 or ip6 proto 112');
    f.onCleanup(() => void cap.stop());
    const frr = await startRouter(f, c, HIGH);
    const ours = await f.backup('t', caseConfig(c, 't', LOW), {}, 30_000);
    await frr.waitStatus('Master', 20_000);
    // FRR keeps it while we run: we stay backup without the VIP for several intervals.
    for (let i = 0; i < 8; i++) {
      expect(hasVip(f.lab, 't', vip)).toBe(false);
      expect(frr.status().status).toBe('Master');
      await sleep(Math.max(250, adv / 2));
    }
    expect(frr.status().stats.adverRx, 'FRR counted none of our adverts while we were backup').toBe(0);

    frr.shutdown(true);
    await waitVip(f.lab, 't', vip, true, timesMs(c, LOW).down + FAILOVER_SLACK_MS);
    expect(frr.status().status).toBe('Initialize');

    frr.shutdown(false);
    // FRR comes back at priority 150 with preempt (its default): it takes the router back.
    await frr.waitStatus('Master', timesMs(c, HIGH).down + FAILOVER_SLACK_MS);
    await waitVip(f.lab, 't', vip, false, 5000);
    await waitLastStates(ours, 'VI_1', ['BACKUP', 'MASTER', 'BACKUP']);
    expect(frr.status().stats.adverRx, 'FRR heard our adverts while we were master').toBeGreaterThan(0);

    const tKill = performance.now();
    frr.signalVrrpd('SIGKILL');
    await waitVip(f.lab, 't', vip, true, timesMs(c, LOW).down + FAILOVER_SLACK_MS);
    console.log(`[measure] FRR ${c.label}: kill -9 FRR -> VIP on ours (poll): ${(performance.now() - tKill).toFixed(0)} ms`);
    await sleep(3 * adv);
    const { oursPkts, frrPkts } = await capturedAdverts(f, c, cap);
    expect(new Set(frrPkts.map((p) => p.prio))).toEqual(new Set([HIGH, 0]));
    expect(new Set(oursPkts.map((p) => p.prio))).toEqual(new Set([LOW]));
    // FRR's priority-0 advert: we take over after our Skew_Time, well before Master_Down_Interval.
    const t = timesMs(c, LOW);
    const dP0 = afterPriorityZero(frrPkts, oursPkts);
    console.log(`[measure] FRR ${c.label}: FRR priority 0 -> first ours advert (capture): ${dP0.toFixed(1)} ms (skew ${t.skew.toFixed(0)})`);
    expect(dP0).toBeGreaterThanOrEqual(t.skew - 5);
    expect(dP0).toBeLessThan(t.down - adv);
    // kill -9: we wait Master_Down_Interval from FRR's last advert.
    const dDown = afterSilence(frrPkts, oursPkts);
    console.log(`[measure] FRR ${c.label}: last FRR advert -> first ours advert after kill -9 (capture): ${dDown.toFixed(1)} ms (down ${t.down.toFixed(0)})`);
    expect(dDown).toBeGreaterThanOrEqual(t.down - 5);
    expect(dDown).toBeLessThan(t.down + Math.max(400, adv));
    expectNoDrops(ours.lines);
  });

  it('keepalived-ts master, FRR backup: election, our SIGTERM (priority 0), we preempt back, our kill -9', 120_000, async (f) => {
    f.hosts(HOSTS);
    const cap = await startCapture(f.lab, 'ip proto 112 or ip6 proto 112');
    f.onCleanup(() => void cap.stop());
    const conf = caseConfig(c, 't', HIGH);
    let ours = f.daemon('t', conf);
    await waitVip(f.lab, 't', vip, true, 20_000);
    const frr = await startRouter(f, c, LOW);
    await frr.waitStatus('Backup', 20_000);
    for (let i = 0; i < 8; i++) {
      expect(hasVip(f.lab, 't', vip)).toBe(true);
      expect(frr.status().status).toBe('Backup');
      await sleep(Math.max(250, adv / 2));
    }

    ours.signal('SIGTERM');
    await frr.waitStatus('Master', timesMs(c, LOW).down + FAILOVER_SLACK_MS);
    await ours.exited();
    expect(ours.child.exitCode).toBe(0);
    expect(hasVip(f.lab, 't', vip)).toBe(false);

    ours = f.daemon('t', conf);
    await waitVip(f.lab, 't', vip, true, 20_000);
    await frr.waitStatus('Backup', 10_000);
    await sleep(2 * adv);

    const tKill = performance.now();
    ours.signal('SIGKILL');
    await frr.waitStatus('Master', timesMs(c, LOW).down + FAILOVER_SLACK_MS);
    console.log(`[measure] FRR ${c.label}: kill -9 ours -> FRR Master (poll): ${(performance.now() - tKill).toFixed(0)} ms`);
    await sleep(3 * adv);
    const { oursPkts, frrPkts } = await capturedAdverts(f, c, cap);
    expect(new Set(oursPkts.map((p) => p.prio))).toEqual(new Set([HIGH, 0]));
    expect(oursPkts.filter((p) => p.prio === 0)).toHaveLength(1);
    expect(new Set(frrPkts.map((p) => p.prio))).toEqual(new Set([LOW]));
    // FRR's own timing is FRR's business: reported, not asserted (its IPv6 router answered our
    // priority 0 after ~0.8 s where Skew_Time is 0.3 s, and our silence after ~2.4 s where
    // Master_Down_Interval is 1.8 s; over IPv4 it kept to both). That it took over is asserted above.
    const t = timesMs(c, LOW);
    const dP0 = afterPriorityZero(oursPkts, frrPkts);
    console.log(`[measure] FRR ${c.label}: ours priority 0 -> first FRR advert (capture): ${dP0.toFixed(1)} ms (skew ${t.skew.toFixed(0)})`);
    const dDown = afterSilence(oursPkts, frrPkts);
    console.log(`[measure] FRR ${c.label}: last ours advert -> first FRR advert after kill -9 (capture): ${dDown.toFixed(1)} ms (down ${t.down.toFixed(0)})`);
    expectNoDrops(ours.lines);
    await waitUntil('FRR still master', () => frr.status().status === 'Master', 2000);
  });
});

// Split-brain heal by announcement, on the real VrrpRuntime in virtual time: a master that hears
// another MAC announce one of its VIPs (gratuitous ARP, unsolicited NA) re-announces the VIP
// after that host has been quiet for 1 s, at most once per 5 s, and always after the other's
// last announcement. Nothing is sent for announcements of our own MAC, of other addresses, for
// ARP probes, or while backup. Host `x` is a plain MemoryLan host playing the other router.
import { describe, expect, it } from 'vitest';
import { ipOf } from '../../../src/lib/ip.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { MemoryLan, type LanFrame } from '../../../src/net/memory-lan.js';
import { buildGratuitousArp } from '../../../src/vrrp/packet/arp.js';
import { buildNaMessage } from '../../../src/vrrp/packet/ndisc.js';
import { memoryRouter, stepVirtual, type Family } from '../../helpers/memory-router.js';

const VIP = { inet: '192.0.2.100', inet6: '2001:db8::100' } as const;
const OTHER = { inet: '192.0.2.200', inet6: '2001:db8::200' } as const;

function setup(family: Family, priority = 150) {
  const sched = new VirtualTime();
  const lan = new MemoryLan({ scheduler: sched });
  const a = memoryRouter(lan, sched, family, { name: 'a', ip: family === 'inet' ? '192.0.2.1' : 'fd00::1', priority, vip: VIP[family] });
  const x = lan.addHost('x', { ifname: 'eth0', ifindex: 2, addresses: [family === 'inet' ? '192.0.2.9' : 'fd00::9'] });
  const { host, runtime, records } = a;
  const run = (msTotal: number) => stepVirtual(sched, msTotal);
  /** `x` announces `address` at `mac` (default its own MAC). */
  const announce = (o: { address?: string; mac?: string; probe?: boolean } = {}) => {
    const address = o.address ?? VIP[family];
    const mac = o.mac ?? x.mac;
    if (family === 'inet') {
      const frame = buildGratuitousArp({ mac, ip: ipOf(address) });
      if (o.probe) frame.fill(0, 28, 32); // sender protocol address 0.0.0.0: an RFC 5227 probe
      x.sendGratuitousArp(2, frame);
    } else {
      const target = ipOf(address);
      x.sendUnsolicitedNa(2, address, buildNaMessage({ mac, target, router: false }, target.bytes));
    }
  };
  /** Times (virtual ms) of a's announcements heard by x after `since`. */
  const ours = (since: number) => x.heard.filter((f: LanFrame) => f.from === 'a' && f.at > since && (f.kind === 'arp' || f.kind === 'na')).map((f) => f.at);
  return { sched, host, x, runtime, run, announce, ours, records, mac: host.mac };
}

/** The router started and `msTotal` of virtual time run (master by ~3.4 s). */
async function started(family: Family, msTotal: number) {
  const t = setup(family);
  t.runtime.start();
  await t.run(msTotal);
  return t;
}

describe.each(['inet', 'inet6'] as const)('a master re-announces a VIP another MAC announced (%s)', (family) => {
  it('once the other host is quiet for 1 s: one burst of garp_master_repeat (5)', async () => {
    const t = await started(family, 14_000); // master at ~3.4 s, past both GARP bursts (the second 5 s after the first)
    expect(t.runtime.status()[0].state).toBe('MASTER');
    const t0 = t.sched.now();
    expect(t.ours(t0 - 4000)).toEqual([]);
    t.announce();
    await t.run(3000);
    const sent = t.ours(t0);
    expect(sent).toHaveLength(5);
    expect(Math.min(...sent) - t0).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...sent) - t0).toBeLessThan(1100);
    const st = t.runtime.status()[0];
    expect(st.foreignAnnouncements).toBe(1);
    expect(st.reannouncements).toBe(1);
    expect(t.records.some((r) => String(r.msg).includes(`announced our VIP ${VIP[family]}`))).toBe(true);
  });

  it('waits for the last of a burst, then no more often than every 5 s, and always after the last foreign one', async () => {
    const t = await started(family, 12_000);
    const t0 = t.sched.now();
    // A burst spread over 1.2 s: one re-announcement, 1 s after its last frame.
    t.announce();
    await t.run(500);
    t.announce();
    await t.run(700);
    t.announce();
    await t.run(1500);
    const first = t.ours(t0);
    expect(first).toHaveLength(5);
    expect(Math.min(...first) - t0).toBeGreaterThanOrEqual(2200);
    // Another announcement right after ours: the next one waits for the 5 s gap, not 1 s.
    const t1 = t.sched.now();
    t.announce();
    await t.run(3000);
    expect(t.ours(t1)).toEqual([]);
    await t.run(2500);
    const second = t.ours(t1);
    expect(second).toHaveLength(5);
    expect(Math.min(...second) - Math.min(...first)).toBeGreaterThanOrEqual(5000);
    expect(t.runtime.status()[0].reannouncements).toBe(2);
  });

  it('ignores our own MAC, other addresses, ARP probes, and anything heard while backup', async () => {
    const t = setup(family);
    t.runtime.start();
    // Backup for the first 3 s (Master_Down_Interval): what x announces then is not answered.
    await t.run(500);
    expect(t.runtime.status()[0].state).toBe('BACKUP');
    t.announce();
    await t.run(11_500);
    expect(t.runtime.status()[0].state).toBe('MASTER');
    const t0 = t.sched.now();
    t.announce({ mac: t.mac });
    t.announce({ address: OTHER[family] });
    if (family === 'inet') t.announce({ probe: true });
    await t.run(3000);
    expect(t.ours(t0)).toEqual([]);
    expect(t.runtime.status()[0].foreignAnnouncements).toBe(0);
  });

  it('a master that leaves MASTER before the quiet time is over does not announce', async () => {
    const t = await started(family, 12_000);
    const t0 = t.sched.now();
    t.announce();
    await t.run(300);
    await t.runtime.stop();
    await t.run(3000);
    // The stop's priority-0 advert is all; no gratuitous ARP/NA after it.
    expect(t.ours(t0)).toEqual([]);
  });
});

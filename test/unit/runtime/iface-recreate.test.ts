// The VRRP runtime follows an interface deleted and re-created with the same name, without
// privileges: two VrrpRuntimes on a MemoryLan, each with a RecordingKernel whose link and
// address events go through the real LinkWatcher. After the master's (or the backup's) eth0 is
// re-created under a new index and MAC, exactly one router holds the VIP, adverts come from the
// master's socket on the new index and its gratuitous ARP/NA goes out of the new interface with
// the new MAC. Before the fix the old socket kept failing with ENODEV and both became master.
import { describe, expect, it } from 'vitest';
import { LinkWatcher } from '../../../src/core/link-watch.js';
import { RecordingKernel } from '../../../src/kernel/recording-kernel.js';
import { memoryLogger } from '../../../src/lib/log.js';
import { MemoryLan } from '../../../src/net/memory-lan.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { memoryRouter, stepVirtual, type Family, type MemoryRouter } from '../../helpers/memory-router.js';

const VIP = { inet: '192.0.2.100', inet6: '2001:db8::100' } as const;

function setup(family: Family, o: { aTracksEth0?: boolean } = {}) {
  const sched = new VirtualTime();
  const lan = new MemoryLan({ scheduler: sched });
  const node = (name: string, n: number, priority: number, tracksEth0 = true): MemoryRouter => {
    const ip = family === 'inet' ? `192.0.2.${n}` : `fd00::${n}`;
    const trackers = tracksEth0 ? [{ type: 'interface' as const, name: 'eth0', weight: 0, reverse: false }] : [];
    const r = memoryRouter(lan, sched, family, { name, ip, priority, vip: VIP[family], trackers });
    const { kernel, runtime, log } = r;
    const watcher = new LinkWatcher(kernel, log, (ifname, up, ifindex) => runtime.interfaceChanged(ifname, up, ifindex), (i, a) => runtime.addressRemoved(i, a));
    kernel.onEvent((e) => watcher.apply([e]));
    return r;
  };
  const a = node('a', 1, 150, o.aTracksEth0 ?? true);
  const b = node('b', 2, 100);
  const run = (msTotal: number) => stepVirtual(sched, msTotal);
  const holders = () => [a, b].filter((x) => x.kernel.snapshot().addresses.some((ad) => ad.address === VIP[family])).map((x) => x.name);
  /** `ip link del eth0` and a new eth0 with the same name: new index 7, new MAC, address re-added. */
  const recreate = (x: MemoryRouter) => {
    x.kernel.removeLink('eth0');
    const mac = '02:00:5e:99:00:07';
    x.host.recreateInterface(7, mac);
    x.kernel.addLink({ name: 'eth0', ifindex: 7, mac, up: false });
    const src = family === 'inet' ? (x === a ? '192.0.2.1' : '192.0.2.2') : x.host.linkLocal;
    x.kernel.seedAddress({ address: src, prefixLength: family === 'inet' ? 24 : 64, dev: 'eth0' });
    x.kernel.setLinkState('eth0', { up: true });
    return { mac, src };
  };
  return { sched, lan, a, b, run, holders, recreate };
}

/** Both routers started and settled: `a` (priority 150) is master and alone holds the VIP. */
async function settled(family: Family, o: { aTracksEth0?: boolean } = {}) {
  const t = setup(family, o);
  t.a.runtime.start();
  t.b.runtime.start();
  await t.run(6000);
  expect(t.holders()).toEqual(['a']);
  return t;
}

describe.each(['inet', 'inet6'] as const)('runtime follows a re-created interface (%s, MemoryLan)', (family) => {
  it("master's eth0 re-created: one master, adverts and GARP/NA on the new index with the new MAC", async () => {
    const t = await settled(family);

    const { mac, src } = t.recreate(t.a);
    const since = t.sched.now();
    await t.run(12_000);
    expect(t.a.runtime.status()[0].state).toBe('MASTER');
    expect(t.b.runtime.status()[0].state).toBe('BACKUP');
    expect(t.holders()).toEqual(['a']);
    // The VIP is on the new interface.
    expect(t.a.kernel.snapshot().addresses.find((x) => x.address === VIP[family])?.ifindex).toBe(7);
    // a's adverts in the last 2 s: from its new source address.
    const late = t.lan.frames.filter((f) => f.kind === 'ip' && f.at > t.sched.now() - 2000);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((f) => f.kind === 'ip' && f.from === 'a' && f.src === src)).toBe(true);
    // Gratuitous ARP / NA after the re-create: out of index 7, from the new MAC.
    const announce = t.lan.frames.filter((f) => f.from === 'a' && f.at > since && (f.kind === 'arp' || f.kind === 'na'));
    expect(announce.length).toBeGreaterThan(0);
    for (const f of announce) {
      if (f.kind === 'arp') {
        expect(f.ifindex).toBe(7);
        const sender = [...f.frame.subarray(6, 12)].map((x) => x.toString(16).padStart(2, '0')).join(':');
        expect(sender).toBe(mac);
      } else if (f.kind === 'na') {
        expect(f.ifindex).toBe(7);
      }
    }
    // No advert send failed after the move.
    expect(t.a.runtime.status()[0].errors['send:ENODEV'] ?? 0).toBe(0);
    await t.a.runtime.stop();
    await t.b.runtime.stop();
  });

  it("backup's eth0 re-created: it hears the master again and stays backup", async () => {
    const t = await settled(family);
    t.recreate(t.b);
    for (let i = 0; i < 12; i++) {
      await t.run(1000);
      expect(t.holders()).toEqual(['a']);
    }
    expect(t.b.runtime.status()[0].state).toBe('BACKUP');
    expect(t.b.records.some((r) => String(r.msg).includes('re-created'))).toBe(true);
    await t.a.runtime.stop();
    await t.b.runtime.stop();
  });

  it("dont_track_primary master: stays MASTER and puts its VIP back on the new eth0", async () => {
    const t = await settled(family, { aTracksEth0: false });
    t.recreate(t.a);
    await t.run(12_000);
    expect(t.a.runtime.status()[0].state).toBe('MASTER');
    expect(t.b.runtime.status()[0].state).toBe('BACKUP');
    expect(t.holders()).toEqual(['a']);
    expect(t.a.kernel.snapshot().addresses.find((x) => x.address === VIP[family])?.ifindex).toBe(7);
    expect(t.a.runtime.status()[0].vipsInstalled).toEqual([VIP[family]]);
    await t.a.runtime.stop();
    // Stop removes the VIP it put back.
    expect(t.holders()).toEqual([]);
    await t.b.runtime.stop();
  });
});

describe('LinkWatcher after an event overflow', () => {
  it('an interface re-created while events were lost ends up with the new index, up', async () => {
    const kernel = new RecordingKernel([
      { name: 'lo', ifindex: 1 },
      { name: 'eth0', ifindex: 2 },
    ]);
    const seen: [string, boolean, number][] = [];
    const watcher = new LinkWatcher(kernel, memoryLogger('silent').log, (n, up, i) => seen.push([n, up, i]));
    await watcher.resync(); // what start() reads first
    const unsubscribe = kernel.onEvent((e) => watcher.apply([e]));
    kernel.setLinkState('eth0', { carrier: false });
    kernel.setLinkState('eth0', { carrier: true });
    expect(seen.at(-1)).toEqual(['eth0', true, 2]);
    // Events lost (ENOBUFS): the delete and the re-create are only found by re-reading.
    unsubscribe();
    kernel.removeLink('eth0');
    kernel.addLink({ name: 'eth0', ifindex: 9 });
    seen.length = 0;
    await watcher.resync();
    expect(seen).toEqual([
      ['eth0', false, 2],
      ['eth0', true, 9],
    ]);
  });
});

// The runtime's wait for a source address that trails a re-created interface runs on its
// injected time (RuntimeDeps.timers), not on a real setTimeout: on virtual time the retries are
// instants of the simulation, so the new link-local is picked up at the first retry after it
// appears (retries every 50 ms, up to 10), and no real time passes.
import { describe, expect, it } from 'vitest';
import { RecordingKernel } from '../../src/kernel/recording-kernel.js';
import { ipOf } from '../../src/lib/ip.js';
import { memoryLogger } from '../../src/lib/log.js';
import { cs, ms } from '../../src/lib/units.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { MemoryLan } from '../../src/net/memory-lan.js';
import { VRRP_GROUP6 } from '../../src/net/packet-io.js';
import { makeInstanceConfig } from '../../src/vrrp/fsm/index.js';
import { VrrpRuntime, type RuntimeInstanceSpec } from '../../src/vrrp/runtime/vrrp-runtime.js';

const VIP = '2001:db8::100';

async function scenario(appearsAfterMs: number) {
  const time = new VirtualTime();
  const lan = new MemoryLan({ scheduler: time });
  const host = lan.addHost('a', { ifname: 'eth0', ifindex: 2 });
  lan.addHost('listener', { ifname: 'eth0', ifindex: 2 }).openVrrp({ family: 'inet6', ifname: 'eth0', ifindex: 2, group: VRRP_GROUP6 });
  const kernel = new RecordingKernel([
    { name: 'lo', ifindex: 1 },
    { name: 'eth0', ifindex: 2, mac: host.mac },
  ]);
  kernel.seedAddress({ address: host.linkLocal, prefixLength: 64, dev: 'eth0' });
  const base = makeInstanceConfig({ name: 'VI_1', vrid: 1, version: 3, family: 'inet6', advertInt: cs(100), priority: 255, preempt: true, preemptDelay: ms(0), vips: [VIP] });
  const cfg = { ...base, srcIp: ipOf(host.linkLocal) };
  const spec: RuntimeInstanceSpec = {
    cfg,
    ifname: 'eth0',
    ifindex: 2,
    mac: host.mac,
    wire: { cfg, src: ipOf(host.linkLocal), group: ipOf(VRRP_GROUP6) },
    addresses: new Map([[VIP, { address: VIP, prefixLength: 128, dev: 'eth0', ifindex: 2 }]]),
    routes: [],
    srcFromInterface: true,
  };
  const { log, records } = memoryLogger('info');
  const notify = { script: () => {}, generic: () => {}, fifo: () => {} };
  const runtime = new VrrpRuntime({ io: host, kernel, clock: time, oneShot: time.oneShot, timers: time, log, notify }, [spec]);
  const run = async (msTotal: number) => {
    const end = time.nowUs + msTotal * 1000;
    for (;;) {
      const next = time.nextAtUs();
      if (next === undefined || next > end) break;
      time.runUntilUs(next);
      await new Promise<void>((r) => setImmediate(r));
    }
    time.runUntilUs(end);
    await new Promise<void>((r) => setImmediate(r));
  };
  runtime.start();
  await run(3000);
  expect(runtime.status()[0].state).toBe('MASTER');

  // eth0 is deleted and re-created (index 7, new MAC); its link-local shows up later.
  const mac = '02:00:5e:99:00:07';
  kernel.removeLink('eth0');
  host.recreateInterface(7, mac);
  kernel.addLink({ name: 'eth0', ifindex: 7, mac });
  const since = time.nowUs;
  runtime.interfaceChanged('eth0', true, 7);
  await run(appearsAfterMs);
  kernel.seedAddress({ address: host.linkLocal, prefixLength: 64, dev: 'eth0' });
  await run(3000 - appearsAfterMs);
  await runtime.stop();
  const moved = records.find((r) => String(r.msg).includes('VRRP socket moved'));
  const kept = records.find((r) => String(r.msg).includes('yet: keeping'));
  const fromNew = lan.frames.filter((f) => f.kind === 'ip' && f.from === 'a' && f.at * 1000 > since && f.src === host.linkLocal);
  // Each retry asks the kernel for the primary address of the new interface once.
  const lookups = kernel.ops.filter((o) => o.op === 'primaryAddress' && o.args[0] === 7).length;
  return { since, moved, kept, fromNew, lookups, newSrc: host.linkLocal };
}

describe('runtime: the wait for a re-created interface\'s source address runs on virtual time', () => {
  it('a link-local appearing 120 ms after the link is picked up at the retry at 150 ms', async () => {
    const r = await scenario(120);
    expect(r.kept).toBeUndefined();
    expect(r.moved).toMatchObject({ src: r.newSrc, ifindex: 7 });
    // Lookups at 0, 50, 100 ms found nothing; the one at 150 ms found it.
    expect(r.lookups).toBe(4);
    expect(r.fromNew.length).toBeGreaterThan(0);
    // The socket moved when the retry found the address: three 50 ms waits after the event.
    const first = Math.min(...r.fromNew.map((f) => f.at * 1000));
    expect(first).toBeGreaterThanOrEqual(r.since + 150_000);
  });

  it('a link-local appearing only after the 10 retries (500 ms): the old source is kept, with a warning', async () => {
    const r = await scenario(800);
    expect(r.kept).toBeDefined();
    expect(r.moved).toBeDefined();
    expect(r.moved!.src).not.toBe(r.newSrc);
    expect(r.lookups).toBe(11);
  });
});

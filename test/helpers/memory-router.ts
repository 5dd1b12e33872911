// One router for the runtime tests without privileges: a MemoryLan host on eth0 (ifindex 2), a
// RecordingKernel that knows lo and eth0 with the host's MAC and its source address, and the real
// VrrpRuntime with one instance (VI_1, VRID 1, 1 s adverts, preempt, one VIP) whose clock,
// one-shot and one-off waits are the LAN's VirtualTime. VRRPv2 over IPv4, VRRPv3 over IPv6 (the
// link-local as source).
import { RecordingKernel } from '../../src/kernel/recording-kernel.js';
import { ipOf } from '../../src/lib/ip.js';
import { memoryLogger } from '../../src/lib/log.js';
import { cs, ms } from '../../src/lib/units.js';
import type { VirtualTime } from '../../src/lib/virtual-time.js';
import type { MemoryHost, MemoryLan } from '../../src/net/memory-lan.js';
import { VRRP_GROUP4, VRRP_GROUP6 } from '../../src/net/packet-io.js';
import { makeInstanceConfig, type TrackerConfig } from '../../src/vrrp/fsm/index.js';
import { VrrpRuntime, type RuntimeInstanceSpec } from '../../src/vrrp/runtime/vrrp-runtime.js';

export type Family = 'inet' | 'inet6';

export interface MemoryRouterOptions {
  /** The host's name on the LAN. */
  readonly name: string;
  /** The host's own address on eth0 (an IPv6 router sends from its link-local). */
  readonly ip: string;
  readonly priority: number;
  readonly vip: string;
  readonly trackers?: readonly TrackerConfig[];
}

export interface MemoryRouter {
  readonly name: string;
  readonly host: MemoryHost;
  readonly kernel: RecordingKernel;
  readonly runtime: VrrpRuntime;
  readonly log: ReturnType<typeof memoryLogger>['log'];
  readonly records: Record<string, unknown>[];
}

export function memoryRouter(lan: MemoryLan, time: VirtualTime, family: Family, o: MemoryRouterOptions): MemoryRouter {
  const host = lan.addHost(o.name, { ifname: 'eth0', ifindex: 2, addresses: [o.ip] });
  const kernel = new RecordingKernel([
    { name: 'lo', ifindex: 1 },
    { name: 'eth0', ifindex: 2, mac: host.mac },
  ]);
  const src = family === 'inet' ? o.ip : host.linkLocal;
  kernel.seedAddress({ address: src, prefixLength: family === 'inet' ? 24 : 64, dev: 'eth0' });
  const base = makeInstanceConfig({
    name: 'VI_1',
    vrid: 1,
    version: family === 'inet' ? 2 : 3,
    family,
    advertInt: cs(100),
    priority: o.priority,
    preempt: true,
    preemptDelay: ms(0),
    vips: [o.vip],
    trackers: o.trackers ?? [],
  });
  const cfg = { ...base, srcIp: ipOf(src) };
  const spec: RuntimeInstanceSpec = {
    cfg,
    ifname: 'eth0',
    ifindex: 2,
    mac: host.mac,
    wire: { cfg, src: ipOf(src), group: ipOf(family === 'inet' ? VRRP_GROUP4 : VRRP_GROUP6) },
    addresses: new Map([[o.vip, { address: o.vip, prefixLength: family === 'inet' ? 32 : 128, dev: 'eth0', ifindex: 2 }]]),
    routes: [],
    srcFromInterface: true,
  };
  const { log, records } = memoryLogger('info');
  const notify = { script: () => {}, generic: () => {}, fifo: () => {} };
  const runtime = new VrrpRuntime({ io: host, kernel, clock: time, log, notify, oneShot: time.oneShot, timers: time }, [spec]);
  return { name: o.name, host, kernel, runtime, log, records };
}

/** Moves virtual time on by `msTotal` in 10 ms steps, letting the runtime's promise chains run between. */
export async function stepVirtual(time: VirtualTime, msTotal: number): Promise<void> {
  for (let t = 0; t < msTotal; t += 10) {
    time.advance(10);
    await new Promise<void>((r) => setImmediate(r));
  }
}

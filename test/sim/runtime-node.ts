// A node running the real VrrpRuntime (src/vrrp/runtime/vrrp-runtime.ts) on a LanSim segment:
// its PacketIo is a MemoryLan host, its Kernel a RecordingKernel, its clock and its TimerQueue's
// one-shot the simulation's VirtualTime, so its deadlines, the LAN's deliveries and the LanSim
// routers' deadlines run on one queue in exact microsecond order.
import { RecordingKernel } from '../../src/kernel/recording-kernel.js';
import { memoryLogger } from '../../src/lib/log.js';
import type { VrrpState } from '../../src/vrrp/fsm/types.js';
import { VRRP_MCAST_INET } from '../../src/vrrp/packet/vrrp.js';
import { VrrpRuntime, type RuntimeInstanceSpec } from '../../src/vrrp/runtime/vrrp-runtime.js';
import { instance, vipFor, type Variant } from './build.js';
import type { LanSim } from './lan-sim.js';
import { ipOf } from '../../src/lib/ip.js';

export interface RuntimeNode {
  readonly name: string;
  readonly runtime: VrrpRuntime;
  readonly kernel: RecordingKernel;
  readonly transitions: { at: number; from: VrrpState; to: VrrpState; reason: string }[];
  /** The VIP is installed in this node's (recording) kernel. */
  hasVip(vip: string): boolean;
  /** Current FSM state of the one instance. */
  state(): VrrpState;
  /** Carrier change: the segment and the runtime's link watcher both see it. */
  setLink(up: boolean): void;
}

export interface RuntimeNodeOptions {
  readonly name?: string;
  readonly ip?: string;
  readonly preempt?: boolean;
}

/** One IPv4 runtime node (default host `rt`, 192.0.2.9) with one instance (VRID 1). */
export function runtimeNode(sim: LanSim, v: Variant, priority: number, o: RuntimeNodeOptions = {}): RuntimeNode {
  if (v.family !== 'inet') throw new Error('runtimeNode: IPv4 only');
  const name = o.name ?? 'rt';
  const ip = o.ip ?? '192.0.2.9';
  const vip = vipFor(v);
  const host = sim.lan.addHost(name, { ifname: 'eth0', ifindex: 2, addresses: [ip] });
  const kernel = new RecordingKernel([
    { name: 'lo', ifindex: 1 },
    { name: 'eth0', ifindex: 2, mac: host.mac },
  ]);
  const base = instance(v, { priority, preempt: o.preempt ?? true });
  // The instance's own interface is tracked (weight 0), as keepalived does by default.
  const cfg = { ...base, srcIp: ipOf(ip), trackers: [{ type: 'interface' as const, name: 'eth0', weight: 0, reverse: false }, ...base.trackers] };
  const spec: RuntimeInstanceSpec = {
    cfg,
    ifname: 'eth0',
    ifindex: 2,
    mac: host.mac,
    wire: { cfg, src: ipOf(ip), group: ipOf(VRRP_MCAST_INET) },
    addresses: new Map([[vip, { address: vip, prefixLength: 32, dev: 2, ifindex: 2 }]]),
    routes: [],
  };
  const notify = { script: () => {}, generic: () => {}, fifo: () => {} };
  const runtime = new VrrpRuntime({ io: host, kernel, clock: sim.queue, oneShot: sim.queue.oneShot, log: memoryLogger('silent').log, notify }, [spec]);
  const transitions: RuntimeNode['transitions'] = [];
  runtime.observe((e) => {
    if (e.action.kind === 'transition') transitions.push({ at: sim.queue.nowUs, from: e.action.from, to: e.action.to, reason: e.action.reason });
  });
  return {
    name,
    runtime,
    kernel,
    transitions,
    hasVip: (a) => kernel.snapshot().addresses.some((x) => x.address === a),
    state: () => runtime.status()[0].state,
    setLink(up) {
      sim.lan.setLink(name, up);
      runtime.interfaceChanged('eth0', up);
    },
  };
}

/** Advances virtual time (every router, the LAN and runtime nodes alike) by `msTotal` (LanSim.run). */
export async function runFor(sim: LanSim, msTotal: number): Promise<void> {
  await sim.run(msTotal);
}

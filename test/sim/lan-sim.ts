// Multi-router VRRP simulation on one MemoryLan segment, in virtual time.
//
// Each router is a MemoryLan host running the real VrrpRuntime (src/vrrp/runtime/vrrp-runtime.ts)
// with one or more instances, optionally in one vrrp_sync_group, over its own RecordingKernel.
// Every runtime's clock and timer one-shot is the simulation's VirtualTime, which also carries
// the LAN's deliveries, so the whole segment runs on one queue in exact microsecond order:
//
//   runtime timer -> step() -> sendAdvert -> AdvertEncoder (our codec, IPv4 header)
//     -> MemoryLan socket -> other hosts' sockets -> packetToEvent (our decoder) -> step()
//   addVips/removeVips -> VipManager -> the router's RecordingKernel (`vipHolders`)
//   sendGratuitous -> GARP / NA frames on the segment
//
// After each instant the runtimes' promise chains (VIP changes, the GARPs that follow them) are
// let run, then the invariant "an instance's VIPs are in its kernel exactly while it is MASTER"
// is checked. Faults are injected through helpers (crash, shutdown, link down/up, one-way path
// cuts, priority / tracker changes, loss) and every transition, advert, GARP and drop the
// runtimes carry out is logged with its virtual time in microseconds.
import { RecordingKernel } from '../../src/kernel/recording-kernel.js';
import { ipOf } from '../../src/lib/ip.js';
import { memoryLogger } from '../../src/lib/log.js';
import { MemoryLan, type MemoryHost } from '../../src/net/memory-lan.js';
import type { InstanceConfig } from '../../src/vrrp/fsm/config.js';
import type { InstanceState, VrrpAction, VrrpState } from '../../src/vrrp/fsm/types.js';
import { VRRP_MCAST_INET, VRRP_MCAST_INET6 } from '../../src/vrrp/packet/vrrp.js';
import { VrrpRuntime, type RuntimeInstanceSpec } from '../../src/vrrp/runtime/vrrp-runtime.js';
import type { GroupState, SyncGroupConfig } from '../../src/vrrp/sync-group.js';
import type { TrackerConfig } from '../../src/vrrp/tracking.js';
import type { Us } from '../../src/lib/units.js';
import { us } from '../../src/lib/units.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { prng } from '../helpers/prng.js';

export interface RouterSpec {
  readonly name: string;
  /** Primary IPv4 address: advert source and the equal-priority tie-breaker. */
  readonly ip: string;
  /** Instances; `srcIp` is filled in from `ip` (IPv4) or the link-local (IPv6). */
  readonly instances: readonly InstanceConfig[];
  /** All instances of this router form one vrrp_sync_group with this name. */
  readonly syncGroup?: string;
  /**
   * Do not add the implicit weight-0 tracker of the instance's own interface (keepalived
   * `dont_track_primary`). By default a link down puts the instances in FAULT, as in keepalived.
   */
  readonly dontTrackPrimary?: boolean;
}

export interface TransitionRecord {
  readonly at: number;
  readonly router: string;
  readonly vrid: number;
  readonly from: VrrpState;
  readonly to: VrrpState;
  readonly reason: string;
}
export interface AdvertRecord {
  readonly at: number;
  readonly router: string;
  readonly vrid: number;
  readonly priority: number;
  /** False when the send failed (link down). */
  readonly sent: boolean;
}
export interface GarpRecord {
  readonly at: number;
  readonly router: string;
  readonly vrid: number;
  readonly address: string;
  readonly reason: string;
}
export interface SimLogLine {
  readonly at: number;
  readonly text: string;
}

const IFNAME = 'eth0';
const IFINDEX = 2;

/** One instance as a test sees it: its config and the runtime's current FSM state. */
export interface SimInstanceView {
  readonly cfg: InstanceConfig;
  readonly state: Readonly<InstanceState>;
}

export class SimRouter {
  alive = false;
  /** The running runtime (absent while the router is down). */
  runtime: VrrpRuntime | undefined;
  /** The router's kernel; a new one at every boot (a crash loses the VIPs with the host). */
  kernel = new RecordingKernel();
  /** Bumped when the router goes down: a stopped runtime's late callbacks are not recorded. */
  generation = 0;

  constructor(
    readonly spec: RouterSpec,
    readonly host: MemoryHost,
    readonly configs: readonly InstanceConfig[],
    readonly group: SyncGroupConfig | undefined,
  ) {}

  instance(vrid: number): SimInstanceView {
    const cfg = this.configs.find((c) => c.vrid === vrid);
    if (!cfg) throw new Error(`${this.spec.name}: no instance with VRID ${vrid}`);
    const state = this.runtime?.fsmState(cfg.name);
    if (!state) throw new Error(`${this.spec.name}: not running`);
    return { cfg, state };
  }

  /** FSM state of the VRID's instance; 'STOP' when the router is down. */
  stateOf(vrid: number): VrrpState {
    return this.alive ? this.instance(vrid).state.state : 'STOP';
  }

  /** The sync group's state ('INIT' before the first start). */
  get groupState(): GroupState {
    return (this.runtime && this.configs[0] && this.runtime.groupState(this.configs[0].name)) || 'INIT';
  }

  /** The VIP is in this router's kernel (a router that is down holds nothing). */
  holds(vip: string): boolean {
    return this.alive && this.kernel.snapshot().addresses.some((a) => a.address === vip);
  }

  /** @internal What the runtime needs for each instance on this host. */
  runtimeSpecs(): RuntimeInstanceSpec[] {
    return this.configs.map((cfg) => {
      const unicast = cfg.unicastPeers.length > 0;
      const src = cfg.srcIp!;
      const addresses = new Map(
        [...cfg.vips, ...cfg.evips].map((a) => [a.text, { address: a.text, prefixLength: a.family === 'inet6' ? 128 : 32, dev: IFNAME, ifindex: IFINDEX }] as const),
      );
      return {
        cfg,
        ifname: IFNAME,
        ifindex: IFINDEX,
        mac: this.host.mac,
        wire: { cfg, src, group: ipOf(cfg.family === 'inet' ? VRRP_MCAST_INET : VRRP_MCAST_INET6) },
        addresses,
        routes: [],
        // keepalived binds unicast sockets to unicast_src_ip.
        ...(unicast ? { bindAddress: src.text } : {}),
      };
    });
  }
}

export interface SimOptions {
  /** One-way delay of every copy on the segment, in ms (default 0). */
  readonly delayMs?: number;
  /** Seed of the loss PRNG (default 1). */
  readonly seed?: number;
}

export class LanSim {
  readonly queue = new VirtualTime();
  readonly lan: MemoryLan;
  readonly routers = new Map<string, SimRouter>();
  readonly transitions: TransitionRecord[] = [];
  readonly adverts: AdvertRecord[] = [];
  readonly garps: GarpRecord[] = [];
  readonly drops: { at: number; router: string; vrid: number; reason: string }[] = [];
  /** Human-readable trace of injected faults and transitions (for failure messages). */
  readonly log: SimLogLine[] = [];

  constructor(opts: SimOptions = {}) {
    this.lan = new MemoryLan({ scheduler: this.queue, delayMs: opts.delayMs ?? 0, random: prng(opts.seed ?? 1) });
  }

  get now(): Us {
    return us(this.queue.nowUs);
  }

  addRouter(spec: RouterSpec): SimRouter {
    const host = this.lan.addHost(spec.name, { ifname: IFNAME, ifindex: IFINDEX, addresses: [spec.ip] });
    const own: TrackerConfig = { type: 'interface', name: IFNAME, weight: 0, reverse: false };
    const configs = spec.instances.map((c) => ({
      ...c,
      srcIp: ipOf(c.family === 'inet' ? spec.ip : host.linkLocal),
      trackers: spec.dontTrackPrimary || c.trackers.some((t) => t.type === 'interface' && t.name === IFNAME) ? c.trackers : [own, ...c.trackers],
      syncGroup: spec.syncGroup,
    }));
    const group: SyncGroupConfig | undefined = spec.syncGroup
      ? { name: spec.syncGroup, members: configs.map((c) => c.name), notify: { fifo: false } }
      : undefined;
    const r = new SimRouter(spec, host, configs, group);
    this.routers.set(spec.name, r);
    return r;
  }

  router(name: string): SimRouter {
    const r = this.routers.get(name);
    if (!r) throw new Error(`no router ${name}`);
    return r;
  }

  // --- lifecycle ---------------------------------------------------------------------------------

  /** Boots a router (first start or restart): a fresh kernel and runtime, which opens its sockets. */
  async start(name: string): Promise<void> {
    const r = this.router(name);
    if (r.alive) return;
    r.alive = true;
    r.kernel = new RecordingKernel([
      { name: 'lo', ifindex: 1 },
      { name: IFNAME, ifindex: IFINDEX, mac: r.host.mac },
    ]);
    const notify = { script: () => {}, generic: () => {}, fifo: () => {} };
    const rt = new VrrpRuntime(
      { io: r.host, kernel: r.kernel, clock: this.queue, oneShot: this.queue.oneShot, log: memoryLogger('silent').log, notify },
      r.runtimeSpecs(),
      r.group ? [r.group] : [],
    );
    r.runtime = rt;
    const gen = r.generation;
    const vridOf = new Map(r.configs.map((c) => [c.name, c.vrid]));
    rt.observe(({ instance, action }) => {
      if (r.generation === gen) this.record(r, vridOf.get(instance) ?? 0, action);
    });
    this.note(`${name} starts`);
    // keepalived reads the link state at start: a router booting with its link down starts FAULT.
    if (!r.host.linkUp) rt.interfaceChanged(IFNAME, false);
    rt.start();
    await this.settled();
  }

  async startAll(): Promise<void> {
    for (const name of this.routers.keys()) await this.start(name);
  }

  /** The node dies silently (power off / kill -9 of the whole host): no advert, VIPs gone with it. */
  async crash(name: string): Promise<void> {
    const r = this.router(name);
    if (!r.alive || !r.runtime) return;
    this.note(`${name} crashes`);
    r.alive = false;
    r.generation++;
    // Nothing leaves the dead host: its sockets go first, then the runtime's timers stop
    // without a word (no priority-0 advert, VIPs left to the discarded kernel).
    r.host.close();
    const rt = r.runtime;
    r.runtime = undefined;
    await rt.stop({ release: false });
    await this.settled();
  }

  /** Clean stop (SIGTERM): masters send priority 0 and release their VIPs, then the node stops. */
  async shutdown(name: string): Promise<void> {
    const r = this.router(name);
    if (!r.alive || !r.runtime) return;
    this.note(`${name} shuts down`);
    await r.runtime.stop();
    r.alive = false;
    r.generation++;
    r.runtime = undefined;
    await this.settled();
  }

  /** Carrier change: the LAN stops/starts carrying the host's frames and the runtime hears it. */
  async setLink(name: string, up: boolean): Promise<void> {
    const r = this.router(name);
    this.note(`${name} link ${up ? 'up' : 'down'}`);
    this.lan.setLink(name, up);
    if (!r.alive || !r.runtime) return;
    r.runtime.interfaceChanged(IFNAME, up, IFINDEX);
    await this.settled();
  }

  /** One-way cut (open=false) or repair of the path from `from` to `to`. */
  setPath(from: string, to: string, open: boolean): void {
    this.note(`path ${from} -> ${to} ${open ? 'restored' : 'cut'}`);
    this.lan.setPath(from, to, open);
  }

  /** Cuts both directions between two routers. */
  partition(a: string, b: string): void {
    this.setPath(a, b, false);
    this.setPath(b, a, false);
  }

  /** Restores every path between every pair of routers. */
  healAll(): void {
    this.note('all paths restored');
    for (const a of this.routers.keys()) for (const b of this.routers.keys()) if (a !== b) this.lan.setPath(a, b, true);
  }

  setLoss(p: number): void {
    this.note(`loss ${p}`);
    this.lan.setLoss(p);
  }

  /** Base priority change (reload / admin) of one instance, or of all instances when vrid is absent. */
  async setPriority(name: string, priority: number, vrid?: number): Promise<void> {
    this.note(`${name} priority -> ${priority}${vrid === undefined ? '' : ` (VRID ${vrid})`}`);
    const r = this.router(name);
    if (!r.alive || !r.runtime) return;
    for (const c of r.configs) if (vrid === undefined || c.vrid === vrid) r.runtime.priorityChanged(c.name, priority);
    await this.settled();
  }

  /**
   * One vrrp_script run's result; the runtime hands it to every instance tracking the script
   * (`vrid` only documents which one that is, and must be the only one).
   */
  async scriptResult(name: string, script: string, ok: boolean, vrid?: number): Promise<void> {
    this.note(`${name} script ${script} ${ok ? 'ok' : 'fails'}`);
    const r = this.router(name);
    if (!r.alive || !r.runtime) return;
    if (vrid !== undefined) {
      const others = r.configs.filter((c) => c.vrid !== vrid && c.trackers.some((t) => t.type === 'script' && t.name === script));
      if (others.length > 0) throw new Error(`${name}: script ${script} is tracked by VRID ${others[0].vrid} too`);
    }
    r.runtime.trackerResult({ type: 'script', name: script }, { ok });
    await this.settled();
  }

  // --- running -----------------------------------------------------------------------------------

  /** Advances virtual time by `ms`. */
  async run(ms: number): Promise<void> {
    await this.runUntilUs(this.queue.nowUs + Math.round(ms * 1000));
  }

  /**
   * Advances to absolute virtual time `at` (microseconds), one instant at a time: after each,
   * the runtimes' promise continuations run (as between two timer callbacks in the daemon) and
   * the VIP invariant is checked.
   */
  async runUntilUs(at: number): Promise<void> {
    for (;;) {
      const next = this.queue.nextAtUs();
      if (next === undefined || next > at) break;
      this.queue.runUntilUs(next);
      await this.settled();
    }
    this.queue.runUntilUs(at);
    await this.settled();
  }

  /**
   * Runs until no transition has happened for `quietMs` (adverts keep flowing; that is the
   * steady state), or throws after `maxMs`. Returns the virtual time of the last transition.
   */
  async runUntilQuiet(quietMs: number, maxMs = 600_000): Promise<number> {
    const start = this.queue.nowUs;
    const stepUs = Math.max(1, Math.round((quietMs * 1000) / 10));
    for (;;) {
      const last = this.transitions.length ? this.transitions[this.transitions.length - 1].at : start;
      const since = Math.max(last, start);
      if (this.queue.nowUs - since >= quietMs * 1000) return last;
      if (this.queue.nowUs - start > maxMs * 1000) throw new Error(`not quiet after ${maxMs} ms\n${this.trace(30)}`);
      await this.runUntilUs(this.queue.nowUs + stepUs);
    }
  }

  // --- observation -------------------------------------------------------------------------------

  /** Live routers whose instance for `vrid` is MASTER. */
  masters(vrid: number): string[] {
    return [...this.routers.values()].filter((r) => r.stateOf(vrid) === 'MASTER').map((r) => r.spec.name);
  }

  /** Live routers whose kernel carries `vip` (canonical text). */
  vipHolders(vip: string): string[] {
    return [...this.routers.values()].filter((r) => r.holds(vip)).map((r) => r.spec.name);
  }

  /** First transition to `to` of `vrid` at or after `after` (µs), optionally on one router. */
  firstTransition(vrid: number, to: VrrpState, after: number, router?: string): TransitionRecord | undefined {
    return this.transitions.find((t) => t.vrid === vrid && t.to === to && t.at >= after && (router === undefined || t.router === router));
  }

  /** Time (µs) of the last advert `router` put on the wire for `vrid` at or before `at`. */
  lastAdvertSent(router: string, vrid: number, at: number): number | undefined {
    for (let i = this.adverts.length - 1; i >= 0; i--) {
      const a = this.adverts[i];
      if (a.router === router && a.vrid === vrid && a.sent && a.at <= at) return a.at;
    }
    return undefined;
  }

  trace(lines = 40): string {
    return this.log
      .slice(-lines)
      .map((l) => `${(l.at / 1000).toFixed(3).padStart(10)} ms  ${l.text}`)
      .join('\n');
  }

  // --- recording ---------------------------------------------------------------------------------

  private note(text: string): void {
    this.log.push({ at: this.queue.nowUs, text });
  }

  /** Lets the runtimes' promise chains run, then checks the VIP invariant. */
  private async settled(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.checkVips();
  }

  /**
   * Invariant checked after every instant: an instance's VIPs are in its router's kernel exactly
   * while it is MASTER (the runtime's VIP changes must follow its transitions).
   */
  private checkVips(): void {
    for (const r of this.routers.values()) {
      if (!r.alive || !r.runtime) continue;
      const held = new Set(r.kernel.snapshot().addresses.map((a) => a.address));
      for (const c of r.configs) {
        const state = r.runtime.fsmState(c.name)!.state;
        const master = state === 'MASTER';
        for (const v of [...c.vips, ...c.evips]) {
          if (held.has(v.text) !== master) {
            throw new Error(`${r.spec.name} VRID ${c.vrid} is ${state} ${master ? 'without' : 'with'} VIP ${v} at ${this.queue.nowUs} us\n${this.trace()}`);
          }
        }
      }
    }
  }

  /** Logs what a runtime carried out (its observer sees each action just before it runs). */
  private record(r: SimRouter, vrid: number, a: VrrpAction): void {
    const at = this.queue.nowUs;
    const name = r.spec.name;
    switch (a.kind) {
      case 'sendAdvert':
        // MemoryLan refuses to send while the link is down (ENETDOWN); the runtime counts it.
        this.adverts.push({ at, router: name, vrid, priority: a.priority, sent: r.host.linkUp });
        return;
      case 'sendGratuitous':
        if (!r.host.linkUp) return;
        for (let k = 0; k < a.count; k++) for (const address of a.addresses) this.garps.push({ at, router: name, vrid, address: address.text, reason: a.reason });
        return;
      case 'transition':
        this.transitions.push({ at, router: name, vrid, from: a.from, to: a.to, reason: a.reason });
        this.note(`${name} VRID ${vrid}: ${a.from} -> ${a.to} (${a.reason})`);
        return;
      case 'countError':
        if (a.dropped) this.drops.push({ at, router: name, vrid, reason: a.reason });
        return;
      case 'addVips':
      case 'removeVips':
      case 'setDeadline':
      case 'notify':
        return;
      default: {
        const never: never = a;
        void never;
      }
    }
  }
}

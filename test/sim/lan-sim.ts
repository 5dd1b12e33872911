// Multi-router VRRP simulation on one MemoryLan segment, in virtual time.
//
// Each router is a MemoryLan host running one or more instances: InstanceConfig + FSM state
// (src/vrrp/fsm step), optionally grouped in a vrrp_sync_group (src/vrrp/sync-group syncStep).
// The loop is the runtime's, minus real time and the kernel:
//
//   FSM actions --sendAdvert--> AdvertEncoder (runtime/wire.ts: our codec, IPv4 header)
//               --> MemoryLan socket --> other hosts' sockets --> packetToEvent (our decoder)
//               --> advertReceived --> step()
//   setDeadline --> one pending deadline per instance on the VirtualTime queue --> deadline event
//   addVips/removeVips --> host addresses + `vipHolders`; sendGratuitous --> GARP/NA frames
//
// So codec, wire mapping and FSM are exercised together. Faults are injected through helpers
// (crash, shutdown, link down/up, one-way path cuts, priority / tracker changes, loss) and every
// transition, advert, GARP and drop is logged with its virtual time in microseconds.
import { LanError, MemoryLan, type MemoryHost } from '../../src/net/memory-lan.js';
import type { ReceivedPacket, VrrpSocket } from '../../src/net/packet-io.js';
import type { InstanceConfig } from '../../src/vrrp/fsm/config.js';
import { initialState, step } from '../../src/vrrp/fsm/step.js';
import type { InstanceState, VrrpAction, VrrpEvent, VrrpState } from '../../src/vrrp/fsm/types.js';
import { buildGratuitousArp } from '../../src/vrrp/packet/arp.js';
import { ipOf, type IpAddress } from '../../src/lib/ip.js';
import { buildNaMessage } from '../../src/vrrp/packet/ndisc.js';
import { VRRP_MCAST_INET, VRRP_MCAST_INET6 } from '../../src/vrrp/packet/vrrp.js';
import { AdvertEncoder, packetToEvent, peekVrid, type WireConfig } from '../../src/vrrp/runtime/wire.js';
import { syncStep, type GroupState, type SyncGroupConfig } from '../../src/vrrp/sync-group.js';
import type { TrackerConfig } from '../../src/vrrp/tracking.js';
import type { Us } from '../../src/lib/units.js';
import { us } from '../../src/lib/units.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';

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

class SimInstance {
  state: InstanceState;
  /** Generation of the pending deadline: a newer setDeadline makes older timers stale. */
  gen = 0;
  constructor(
    readonly cfg: InstanceConfig,
    readonly wire: WireConfig,
    readonly encoder: AdvertEncoder,
  ) {
    this.state = initialState(cfg);
  }
}

export class SimRouter {
  alive = false;
  instances: SimInstance[] = [];
  groupState: GroupState = 'INIT';
  readonly vips = new Set<string>();
  private sockets: VrrpSocket[] = [];

  constructor(
    readonly spec: RouterSpec,
    readonly host: MemoryHost,
    readonly configs: readonly InstanceConfig[],
    readonly group: SyncGroupConfig | undefined,
  ) {}

  instance(vrid: number): SimInstance {
    const i = this.instances.find((x) => x.cfg.vrid === vrid);
    if (!i) throw new Error(`${this.spec.name}: no instance with VRID ${vrid}`);
    return i;
  }

  /** FSM state of the VRID's instance; 'STOP' when the router is down. */
  stateOf(vrid: number): VrrpState {
    return this.alive ? this.instance(vrid).state.state : 'STOP';
  }

  /**
   * @internal Opens one socket per family and mode: multicast (joined to the VRRP group) for
   * instances without unicast peers, unicast (bound to the source address, as keepalived binds
   * to unicast_src_ip) for the others. VRIDs share them and are demultiplexed on receive.
   */
  open(onPacket: (r: SimRouter, p: ReceivedPacket, unicast: boolean) => void): void {
    const modes = new Map<string, { family: 'inet' | 'inet6'; unicast: boolean; src: string }>();
    for (const c of this.configs) {
      const unicast = c.unicastPeers.length > 0;
      modes.set(`${c.family}/${unicast}`, { family: c.family, unicast, src: c.srcIp!.text });
    }
    for (const m of modes.values()) {
      const s = this.host.openVrrp(
        m.unicast
          ? { family: m.family, ifname: IFNAME, ifindex: IFINDEX, bindAddress: m.src }
          : { family: m.family, ifname: IFNAME, ifindex: IFINDEX, group: m.family === 'inet' ? VRRP_MCAST_INET : VRRP_MCAST_INET6 },
      );
      s.onPacket((p) => onPacket(this, p, m.unicast));
      this.sockets.push(s);
    }
  }

  /** @internal The router's VRRP socket of one family (one per family, demultiplexed by VRID). */
  socketFor(family: 'inet' | 'inet6', unicast = false): VrrpSocket | undefined {
    return this.sockets.find((x) => x.spec.family === family && (x.spec.group === undefined) === unicast);
  }

  /** @internal */
  close(): void {
    for (const s of this.sockets) s.close();
    this.sockets = [];
  }
}

export interface SimOptions {
  /** One-way delay of every copy on the segment, in ms (default 0). */
  readonly delayMs?: number;
  /** Seed of the loss PRNG (default 1). */
  readonly seed?: number;
}

/** Small deterministic PRNG (mulberry32) so runs with loss are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

  /** Boots a router (first start or restart): fresh FSM state, sockets, startup event. */
  start(name: string): void {
    const r = this.router(name);
    if (r.alive) return;
    r.alive = true;
    r.groupState = 'INIT';
    r.instances = r.configs.map((cfg) => {
      const wire: WireConfig = { cfg, src: cfg.srcIp!, group: ipOf(cfg.family === 'inet' ? VRRP_MCAST_INET : VRRP_MCAST_INET6), checksumAsV2: false };
      return new SimInstance(cfg, wire, new AdvertEncoder(wire));
    });
    r.open((router, p, unicast) => this.onPacket(router, p, unicast));
    this.note(`${name} starts`);
    // keepalived reads the link state at start: a router booting with its link down starts FAULT.
    for (let i = 0; i < r.instances.length; i++) {
      if (!r.host.linkUp) this.deliver(r, i, { kind: 'interfaceChanged', ifname: IFNAME, up: false });
      this.deliver(r, i, { kind: 'startup' });
    }
  }

  startAll(): void {
    for (const name of this.routers.keys()) this.start(name);
  }

  /** The node dies silently (power off / kill -9 of the whole host): no advert, VIPs gone with it. */
  crash(name: string): void {
    const r = this.router(name);
    if (!r.alive) return;
    this.note(`${name} crashes`);
    r.alive = false;
    r.close();
    for (const i of r.instances) i.gen++;
    for (const v of r.vips) r.host.removeAddress(v);
    r.vips.clear();
  }

  /** Clean stop (SIGTERM): masters send priority 0 and release their VIPs, then the node stops. */
  shutdown(name: string): void {
    const r = this.router(name);
    if (!r.alive) return;
    this.note(`${name} shuts down`);
    for (let i = 0; i < r.instances.length; i++) this.deliver(r, i, { kind: 'shutdown' });
    r.alive = false;
    r.close();
    for (const i of r.instances) i.gen++;
  }

  /** Carrier change: the LAN stops/starts carrying the host's frames and the FSM hears it. */
  setLink(name: string, up: boolean): void {
    const r = this.router(name);
    this.note(`${name} link ${up ? 'up' : 'down'}`);
    this.lan.setLink(name, up);
    if (!r.alive) return;
    for (let i = 0; i < r.instances.length; i++) this.deliver(r, i, { kind: 'interfaceChanged', ifname: IFNAME, up });
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
  setPriority(name: string, priority: number, vrid?: number): void {
    this.note(`${name} priority -> ${priority}${vrid === undefined ? '' : ` (VRID ${vrid})`}`);
    this.toInstances(name, vrid, { kind: 'priorityChanged', priority });
  }

  /** One vrrp_script run's result for the instances tracking it. */
  scriptResult(name: string, script: string, ok: boolean, vrid?: number): void {
    this.note(`${name} script ${script} ${ok ? 'ok' : 'fails'}`);
    this.toInstances(name, vrid, { kind: 'trackerChanged', tracker: { type: 'script', name: script }, ok });
  }

  private toInstances(name: string, vrid: number | undefined, ev: VrrpEvent): void {
    const r = this.router(name);
    if (!r.alive) return;
    for (let i = 0; i < r.instances.length; i++) if (vrid === undefined || r.instances[i].cfg.vrid === vrid) this.deliver(r, i, ev);
  }

  // --- running -----------------------------------------------------------------------------------

  /** Advances virtual time by `ms`. */
  run(ms: number): void {
    this.queue.runUntilUs(this.queue.nowUs + Math.round(ms * 1000));
  }

  /** Advances to absolute virtual time `at` (microseconds). */
  runUntilUs(at: number): void {
    this.queue.runUntilUs(at);
  }

  /**
   * Runs until no transition has happened for `quietMs` (adverts keep flowing; that is the
   * steady state), or throws after `maxMs`. Returns the virtual time of the last transition.
   */
  runUntilQuiet(quietMs: number, maxMs = 600_000): number {
    const start = this.queue.nowUs;
    const stepUs = Math.max(1, Math.round((quietMs * 1000) / 10));
    for (;;) {
      const last = this.transitions.length ? this.transitions[this.transitions.length - 1].at : start;
      const since = Math.max(last, start);
      if (this.queue.nowUs - since >= quietMs * 1000) return last;
      if (this.queue.nowUs - start > maxMs * 1000) throw new Error(`not quiet after ${maxMs} ms\n${this.trace(30)}`);
      this.queue.runUntilUs(this.queue.nowUs + stepUs);
    }
  }

  // --- observation -------------------------------------------------------------------------------

  /** Live routers whose instance for `vrid` is MASTER. */
  masters(vrid: number): string[] {
    return [...this.routers.values()].filter((r) => r.stateOf(vrid) === 'MASTER').map((r) => r.spec.name);
  }

  /** Routers whose interface currently carries `vip` (canonical text). */
  vipHolders(vip: string): string[] {
    return [...this.routers.values()].filter((r) => r.vips.has(vip)).map((r) => r.spec.name);
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

  // --- the loop ------------------------------------------------------------------------------

  private note(text: string): void {
    this.log.push({ at: this.queue.nowUs, text });
  }

  private onPacket(r: SimRouter, p: ReceivedPacket, unicast: boolean): void {
    if (!r.alive) return;
    const vrid = peekVrid(p);
    const idx = r.instances.findIndex((i) => i.cfg.vrid === vrid && i.cfg.family === p.family && (i.cfg.unicastPeers.length > 0) === unicast);
    if (idx < 0) return; // keepalived drops adverts for VRIDs it does not run
    this.deliver(r, idx, packetToEvent(p, r.instances[idx].wire));
  }

  /** Steps instance `idx` of `r` (through its sync group, if any) and applies the actions. */
  private deliver(r: SimRouter, idx: number, ev: VrrpEvent): void {
    const now = this.now;
    if (r.group) {
      const members = r.instances.map((i) => ({ cfg: i.cfg, state: i.state }));
      const res = syncStep(r.group, members, r.groupState, idx, ev, now);
      res.states.forEach((s, j) => (r.instances[j].state = s));
      r.groupState = res.groupState;
      for (const t of res.actions) {
        const j = r.instances.findIndex((i) => i.cfg.name === t.instance);
        if (j >= 0) this.apply(r, r.instances[j], t.action);
      }
    } else {
      const inst = r.instances[idx];
      const res = step(inst.cfg, inst.state, ev, now);
      inst.state = res.state;
      for (const a of res.actions) this.apply(r, inst, a);
    }
    this.checkVips(r, ev);
  }

  /**
   * Invariant checked after every event: an instance's VIPs are on the interface exactly while
   * it is MASTER (the FSM's addVips/removeVips must follow its transitions).
   */
  private checkVips(r: SimRouter, ev: VrrpEvent): void {
    for (const i of r.instances) {
      const master = i.state.state === 'MASTER';
      for (const v of [...i.cfg.vips, ...i.cfg.evips]) {
        if (r.vips.has(v.text) !== master) {
          throw new Error(`${r.spec.name} VRID ${i.cfg.vrid} is ${i.state.state} ${master ? 'without' : 'with'} VIP ${v} after ${JSON.stringify(ev)}\n${this.trace()}`);
        }
      }
    }
  }

  private apply(r: SimRouter, inst: SimInstance, a: VrrpAction): void {
    const at = this.queue.nowUs;
    const name = r.spec.name;
    const vrid = inst.cfg.vrid;
    switch (a.kind) {
      case 'sendAdvert': {
        let sent = true;
        for (const dst of inst.encoder.destinations()) {
          try {
            this.sendOn(r, inst, dst, a.priority);
          } catch (e) {
            if (!(e instanceof LanError)) throw e;
            sent = false;
          }
        }
        this.adverts.push({ at, router: name, vrid, priority: a.priority, sent });
        return;
      }
      case 'sendGratuitous':
        for (let k = 0; k < a.count; k++) {
          for (const ip of a.addresses) {
            const address = ip.text;
            try {
              if (ip.family === 'inet6') {
                const icmp = buildNaMessage({ mac: r.host.mac, target: ip, router: false }, ip.bytes);
                r.host.sendUnsolicitedNa(IFINDEX, address, icmp);
              } else {
                r.host.sendGratuitousArp(IFINDEX, buildGratuitousArp({ mac: r.host.mac, ip }));
              }
              this.garps.push({ at, router: name, vrid, address, reason: a.reason });
            } catch (e) {
              if (!(e instanceof LanError)) throw e;
            }
          }
        }
        return;
      case 'addVips':
        for (const { text: v } of a.addresses) {
          r.host.addAddress(v);
          r.vips.add(v);
        }
        return;
      case 'removeVips':
        for (const { text: v } of a.addresses) {
          r.host.removeAddress(v);
          r.vips.delete(v);
        }
        return;
      case 'setDeadline': {
        const g = ++inst.gen;
        if (a.at === null) return;
        this.queue.atUs(a.at, () => {
          if (!r.alive || inst.gen !== g) return;
          const idx = r.instances.indexOf(inst);
          if (idx >= 0) this.deliver(r, idx, { kind: 'deadline' });
        });
        return;
      }
      case 'transition':
        this.transitions.push({ at, router: name, vrid, from: a.from, to: a.to, reason: a.reason });
        this.note(`${name} VRID ${vrid}: ${a.from} -> ${a.to} (${a.reason})`);
        return;
      case 'countError':
        if (a.dropped) this.drops.push({ at, router: name, vrid, reason: a.reason });
        return;
      case 'notify':
        return;
      default: {
        const never: never = a;
        void never;
      }
    }
  }

  private sendOn(r: SimRouter, inst: SimInstance, dst: IpAddress, priority: number): void {
    const s = r.socketFor(inst.cfg.family, inst.cfg.unicastPeers.length > 0);
    if (!s) throw new LanError('ERR_SOCKET_CLOSED', 'no socket');
    s.send(dst.text, inst.encoder.encode(priority, dst));
  }
}

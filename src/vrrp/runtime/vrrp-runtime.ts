// The VRRP runtime: puts the pure FSM (fsm/step.ts, sync-group.ts) on the wire. It owns one
// timer queue for every instance, the VRRP sockets (one per interface/family/mode, shared by
// VRIDs), and carries out the FSM's actions: adverts and gratuitous ARP/NA are sent at once,
// address changes go through a per-instance chain so a GARP never precedes its VIP, notifies are
// handed to a sink that never blocks. Nothing here decides protocol behaviour.
import type { AddressSpec, Kernel, RouteSpec } from '../../kernel/kernel.js';
import type { Clock } from '../../lib/clock.js';
import { RateLimitedCounter, type Logger } from '../../lib/log.js';
import type { Us } from '../../lib/units.js';
import type { HeardAnnouncement, PacketIo, ReceivedPacket, VrrpSocket, VrrpSocketSpec } from '../../net/packet-io.js';
import type { InstanceConfig } from '../fsm/config.js';
import { faultsOf, initialState, stateNotifyActions, step } from '../fsm/step.js';
import { initialTracking, updateTracker, type TrackingState } from '../tracking.js';
import type { InstanceState, SuppressReason, TrackerRef, VrrpAction, VrrpEvent, VrrpState } from '../fsm/types.js';
import { buildGratuitousArp, decodeArpFrame } from '../packet/arp.js';
import { buildNaMessage, decodeNaMessage } from '../packet/ndisc.js';
import { AnnounceGuard } from './announce-guard.js';
import { IpAddress, LENIENT } from '../../lib/ip.js';
import { regroup, syncStep, type GroupState, type SyncGroupConfig, type TaggedAction } from '../sync-group.js';
import { TimerQueue, type OneShotFactory } from '../../lib/timer-queue.js';
import { RealTimers, type Timers } from '../../lib/timers.js';
import { VipManager } from './vip-manager.js';
import { AdvertEncoder, packetToEvent, peekVrid, type WireConfig } from './wire.js';
import type { TrackerConfig, TrackerStatus } from '../tracking.js';

/** Everything the runtime needs to run one vrrp_instance on a real (or simulated) host. */
export interface RuntimeInstanceSpec {
  readonly cfg: InstanceConfig;
  readonly ifname: string;
  readonly ifindex: number;
  /** Interface MAC (GARP sender / NA target link-layer address). */
  readonly mac: string;
  readonly wire: WireConfig;
  /** VIP and eVIP text (as in cfg.vips / cfg.evips) -> how to install it. */
  readonly addresses: ReadonlyMap<string, AddressSpec & { ifindex: number }>;
  readonly routes: readonly RouteSpec[];
  /** Bind unicast sockets to this address (unicast_src_ip). */
  readonly bindAddress?: string;
  /**
   * The source address was taken from the interface (no unicast_src_ip / mcast_src_ip): it is
   * read again when the interface is re-created (a new MAC means a new IPv6 link-local).
   */
  readonly srcFromInterface?: boolean;
  /** IPv6 forwarding on: unsolicited NAs carry the Router flag. */
  readonly router?: boolean;
}

/** Where notify actions go (the daemon runs scripts and writes FIFOs; tests record). */
export interface NotifySink {
  script(owner: string, command: string): void;
  generic(owner: string, command: string, args: readonly string[]): void;
  fifo(line: string): void;
}

export interface RuntimeDeps {
  readonly io: PacketIo;
  readonly kernel: Kernel;
  readonly clock: Clock;
  readonly log: Logger;
  readonly notify: NotifySink;
  /** The timer under the deadline queue; default setTimeout (the daemon passes the native timerfd). */
  readonly oneShot?: OneShotFactory;
  /** One-off waits (the retry for a source address that trails a re-created link); default real timers on `clock`. */
  readonly timers?: Timers;
  /**
   * Accept mode (no_accept, strict): told before an instance's VIPs are added and after they
   * are removed, in the order of the other address changes (see ./no-accept.ts).
   */
  readonly acceptMode?: AcceptModeHook;
}

/** What the runtime tells the accept-mode firewall; it decides which instances it concerns. */
export interface AcceptModeHook {
  beforeAdd(instance: string, addresses: readonly string[]): Promise<void>;
  afterRemove(instance: string, addresses: readonly string[]): Promise<void>;
}

export interface InstanceStatus {
  readonly name: string;
  readonly state: VrrpState;
  readonly priority: number;
  readonly effectivePriority: number;
  readonly master: string | null;
  readonly vipsInstalled: readonly string[];
  /** Received packets dropped or warned about, per reason (fsm DropReason), and send errors. */
  readonly errors: Record<string, number>;
  /** Answers to valid adverts held back by the flood limits, per reason (fsm SuppressReason). */
  readonly suppressed: Record<string, number>;
  /** Announcements of our VIPs by another MAC heard while master, and our re-announcements. */
  readonly foreignAnnouncements: number;
  readonly reannouncements: number;
  /** Each tracker as configured (after the sync-group and owner rules) with its current status: what the effective priority is made of. */
  readonly trackers?: readonly { readonly config: TrackerConfig; readonly status: TrackerStatus }[];
  /** Active fault sources other than trackers (sync-group, ...). */
  readonly externalFaults?: readonly string[];
}

export type RuntimeObserver = (e: { instance: string; action: VrrpAction; at: number }) => void;
/** Every event handed to an instance (before the FSM sees it): statistics count received adverts. */
export type RuntimeEventObserver = (instance: string, event: VrrpEvent) => void;

interface Inst {
  /** Replaced (not mutated) when the interface is re-created under a new ifindex. */
  spec: RuntimeInstanceSpec;
  state: InstanceState;
  enc: AdvertEncoder;
  readonly vips: VipManager;
  socket?: VrrpSocket;
  /** Address changes and the GARPs that must follow them, in order. */
  chain: Promise<void>;
  readonly errors: RateLimitedCounter;
  readonly suppressed: RateLimitedCounter;
  /** Re-announces our VIPs after another MAC announced them (split-brain heal). */
  guard?: AnnounceGuard;
  group?: Group;
}

interface Group {
  readonly cfg: SyncGroupConfig;
  readonly members: Inst[];
  state: GroupState;
}

/**
 * What setGroups() changed, for settleGroups(): the groups formed or with other members (and the
 * state of the group of the same name before), and the instances that left every group.
 */
export interface Regrouping {
  readonly groups: readonly { readonly group: string; readonly before: GroupState | undefined }[];
  readonly freed: readonly string[];
}

const SUPPRESS_REASONS: ReadonlySet<string> = new Set<SuppressReason>(['answer-suppressed', 'lower-prio-garp-suppressed', 'lower-prio-notify-suppressed']);
const isSuppressReason = (r: string): r is SuppressReason => SUPPRESS_REASONS.has(r);

const usNow = (clock: Clock): Us => Math.round(clock.now() * 1000) as Us;

export class VrrpRuntime {
  private readonly insts = new Map<string, Inst>();
  private readonly groups: Group[] = [];
  /** Instances a reload added that start once their sync group is settled (settleGroups). */
  private readonly unstarted = new Set<string>();
  /** Links reported down (interfaceChanged), so that a tracker a reload adds starts from what is known. */
  private readonly linksDown = new Set<string>();
  private readonly sockets = new Map<string, { sock: VrrpSocket; byVrid: Map<number, Inst> }>();
  private readonly timers: TimerQueue<string>;
  private readonly waits: Timers;
  private readonly unknown = new RateLimitedCounter(10_000);
  private readonly observers: RuntimeObserver[] = [];
  private readonly eventObservers: RuntimeEventObserver[] = [];
  private started = false;
  private stopping = false;
  /** -V / --dont-release-vrrp: the stop leaves VIPs in place and sends no priority-0 advert. */
  private keepOnStop = false;
  /** Link events wait here while sockets move to a re-created interface, so they stay in order. */
  private linkChain: Promise<void> = Promise.resolve();
  private relinking = 0;
  /** ARP / neighbour-advertisement watches per ifindex (split-brain heal), closed at stop. */
  private readonly announceWatches = new Map<number, () => void>();
  private readonly announceErrors = new RateLimitedCounter(60_000);

  constructor(
    private readonly deps: RuntimeDeps,
    specs: readonly RuntimeInstanceSpec[],
    groups: readonly SyncGroupConfig[] = [],
  ) {
    for (const spec of specs) this.insts.set(spec.cfg.name, this.newInst(spec));
    this.linkGroups(groups, new Map());
    this.waits = deps.timers ?? new RealTimers(deps.clock);
    this.timers = new TimerQueue<string>(
      deps.clock,
      (name) => this.dispatch(name, { kind: 'deadline' }),
      (late) => deps.log.warn({ lateMs: Math.round(late * 10) / 10 }, 'event loop lag delayed a VRRP timer'),
      undefined,
      deps.oneShot,
    );
  }

  private newInst(spec: RuntimeInstanceSpec): Inst {
    const specsByVip = new Map<string, AddressSpec>([...spec.addresses].map(([k, v]) => [k, v]));
    return {
      spec,
      state: initialState(spec.cfg),
      enc: new AdvertEncoder(spec.wire),
      vips: new VipManager(spec.cfg.name, this.deps.kernel, specsByVip, spec.routes, this.deps.log),
      chain: Promise.resolve(),
      errors: new RateLimitedCounter(10_000),
      suppressed: new RateLimitedCounter(10_000),
    };
  }

  /** Follow every action (tests, status views, the demo). */
  observe(o: RuntimeObserver): void {
    this.observers.push(o);
  }

  /** Follow every event delivered to an instance (statistics). */
  observeEvents(o: RuntimeEventObserver): void {
    this.eventObservers.push(o);
  }

  get lag() {
    return this.timers.lag;
  }

  /** Opens the sockets and starts every instance. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.unstarted.clear();
    for (const inst of this.insts.values()) this.open(inst);
    for (const name of this.insts.keys()) this.dispatch(name, { kind: 'startup' });
  }

  /** An instance's socket, and its watches of the link's announcements. */
  private open(inst: Inst): void {
    inst.guard = new AnnounceGuard(this.waits, () => this.reannounce(inst));
    this.attachSocket(inst);
    this.watchAnnouncements(inst);
  }

  /**
   * SIGTERM/SIGINT: masters send priority 0 and drop their VIPs, every instance reports STOP.
   * Resolves when address removal is done. With `release: false` (keepalived -V,
   * --dont-release-vrrp) masters keep their VIPs and send no priority-0 advert; notifies still run.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.keepOnStop = opts.release === false;
    for (const name of this.insts.keys()) this.dispatch(name, { kind: 'shutdown' });
    this.timers.stop();
    for (const inst of this.insts.values()) inst.guard?.cancel();
    for (const stop of this.announceWatches.values()) stop();
    this.announceWatches.clear();
    await Promise.all([...this.insts.values()].map((i) => i.chain));
    if (!this.keepOnStop) await Promise.all([...this.insts.values()].map((i) => i.vips.removeAll()));
    for (const { sock } of this.sockets.values()) sock.close();
    this.sockets.clear();
  }

  /** One instance's state and effective priority, without building every status (observers call it per advert). */
  stateOf(name: string): { readonly state: VrrpState; readonly effectivePriority: number } | undefined {
    const i = this.insts.get(name);
    return i && { state: i.state.state, effectivePriority: i.state.effectivePriority };
  }

  status(): InstanceStatus[] {
    return [...this.insts.values()].map((i) => ({
      name: i.spec.cfg.name,
      state: i.state.state,
      priority: i.state.basePriority,
      effectivePriority: i.state.effectivePriority,
      master: i.state.state === 'MASTER' ? i.spec.wire.src.text : (i.state.masterIp?.text ?? null),
      vipsInstalled: i.vips.installed,
      errors: i.errors.snapshot(),
      suppressed: i.suppressed.snapshot(),
      foreignAnnouncements: i.guard?.heardCount ?? 0,
      reannouncements: i.guard?.announcedCount ?? 0,
      trackers: i.spec.cfg.trackers.map((config, k) => ({ config, status: i.state.track.entries[k] })),
      externalFaults: i.state.externalFaults,
    }));
  }

  /**
   * A link went up or down (netlink), with its current ifindex when known. Delivered to every
   * instance that tracks it. When an interface we use comes up under another ifindex than the
   * one we hold (deleted and re-created with the same name), everything bound to the old index
   * (VRRP sockets and their group membership, MAC, source address, VIP records) first moves to
   * the new one; link events that arrive meanwhile are held so they are delivered in order.
   */
  interfaceChanged(ifname: string, up: boolean, ifindex?: number): void {
    if (up) this.linksDown.delete(ifname);
    else this.linksDown.add(ifname);
    const moved = up && ifindex !== undefined && this.usesOtherIndex(ifname, ifindex);
    if (!moved && this.relinking === 0) {
      this.deliverLink(ifname, up);
      return;
    }
    this.relinking++;
    this.linkChain = this.linkChain
      .then(() => (moved ? this.follow(ifname, ifindex) : undefined))
      .catch((e: unknown) => this.deps.log.error({ ifname, err: String(e) }, `cannot move VRRP sockets to the new ${ifname}`))
      .finally(() => {
        this.relinking--;
        this.deliverLink(ifname, up);
      });
  }

  private deliverLink(ifname: string, up: boolean): void {
    for (const [name, inst] of this.insts) {
      if (inst.spec.cfg.trackers.some((t) => t.type === 'interface' && t.name === ifname)) {
        this.dispatch(name, { kind: 'interfaceChanged', ifname, up });
      }
    }
  }

  /** A vrrp_script run finished / a track_file changed. */
  trackerResult(tracker: TrackerRef, result: { ok?: boolean; value?: number }): void {
    for (const [name, inst] of this.insts) {
      if (inst.spec.cfg.trackers.some((t) => t.type === tracker.type && t.name === tracker.name)) {
        this.dispatch(name, { kind: 'trackerChanged', tracker, ...result });
      }
    }
  }

  /**
   * An address was deleted from interface `ifindex` (netlink). If it is a VIP of an instance that
   * is MASTER, someone else removed it (our own removals happen after leaving MASTER or while
   * stopping): put it back and announce it. keepalived 2.2.7 instead drops to BACKUP and
   * re-elects (observed: "Netlink reflector reports IP ... removed" -> BACKUP, priority 0, then
   * MASTER again after a down interval), an outage and a flap for every such deletion.
   */
  addressRemoved(ifindex: number, address: string): void {
    if (this.stopping) return;
    const gone = IpAddress.parse(address, LENIENT);
    if (gone === undefined) return;
    for (const inst of this.insts.values()) {
      if (inst.state.state !== 'MASTER') continue;
      const { cfg } = inst.spec;
      for (const vip of [...cfg.vips, ...cfg.evips]) {
        const spec = inst.spec.addresses.get(vip.text);
        if (!spec || spec.ifindex !== ifindex || !vip.equals(gone) || !inst.vips.holds(vip.text)) continue;
        this.deps.log.warn({ instance: cfg.name, vip }, `(${cfg.name}) VIP ${vip} was removed by someone else: re-adding it`);
        inst.chain = inst.chain
          .then(() => inst.vips.restore(vip.text))
          .then(() => this.sendGratuitous(inst, [vip], cfg.garp.masterRepeat));
      }
    }
  }

  /** True when an instance or one of its VIPs is on `ifname` under an index other than `ifindex`. */
  private usesOtherIndex(ifname: string, ifindex: number): boolean {
    for (const inst of this.insts.values()) {
      if (inst.spec.ifname === ifname && inst.spec.ifindex !== ifindex) return true;
      for (const a of inst.spec.addresses.values()) if (a.dev === ifname && a.ifindex !== ifindex) return true;
    }
    return false;
  }

  /**
   * `ifname` now has index `ifindex`: re-read its MAC (and our source address when it came from
   * the interface), re-open the VRRP sockets on it, point the VIP records at it. A master whose
   * VIPs went with the old interface puts them back and announces them.
   */
  private async follow(ifname: string, ifindex: number): Promise<void> {
    if (this.stopping) return;
    const link = await this.deps.kernel.getLink(ifindex);
    if (!link || link.name !== ifname) return; // renamed or gone again: a later event follows it
    for (const inst of this.insts.values()) {
      const old = inst.spec;
      const onIt = old.ifname === ifname && old.ifindex !== ifindex;
      const moved: IpAddress[] = [];
      const addresses = new Map(old.addresses);
      for (const vip of [...old.cfg.vips, ...old.cfg.evips]) {
        const a = old.addresses.get(vip.text);
        if (!a || a.dev !== ifname || a.ifindex === ifindex) continue;
        addresses.set(vip.text, { ...a, ifindex });
        moved.push(vip);
      }
      if (!onIt && moved.length === 0) continue;
      let spec: RuntimeInstanceSpec = { ...old, addresses };
      if (onIt) {
        let src = old.wire.src;
        if (old.srcFromInterface) {
          const fresh = await this.sourceOn(ifindex, old.cfg);
          if (fresh) src = fresh;
          else this.deps.log.warn({ instance: old.cfg.name, ifname }, `(${old.cfg.name}) no ${old.cfg.family === 'inet' ? 'IPv4' : 'IPv6 link-local'} address on the new ${ifname} yet: keeping ${src}`);
        }
        const cfg = { ...old.cfg, srcIp: src };
        spec = { ...spec, ifindex, mac: link.mac, cfg, wire: { ...old.wire, cfg, src } };
      }
      if (this.stopping) return;
      inst.spec = spec;
      if (onIt) {
        this.deps.log.info(
          { instance: old.cfg.name, ifname, oldIfindex: old.ifindex, ifindex, src: spec.wire.src },
          `(${old.cfg.name}) interface ${ifname} was re-created (index ${old.ifindex} -> ${ifindex}): VRRP socket moved`,
        );
        inst.enc = new AdvertEncoder(spec.wire);
        this.detachSocket(inst, old);
        try {
          this.attachSocket(inst);
          this.watchAnnouncements(inst);
        } catch (e) {
          const code = (e as { code?: string }).code ?? 'open';
          inst.errors.hit(`socket:${code}`, this.deps.clock.now());
          this.deps.log.error({ instance: old.cfg.name, ifname, code }, `(${old.cfg.name}) cannot open a VRRP socket on the new ${ifname}: ${(e as Error).message}`);
        }
      }
      // The old interface took its addresses with it. A master (one that does not track the
      // interface, or that never saw it go) puts its VIPs back on the new one; an attempt to
      // restore them while the interface was gone failed, so they are not all recorded as held.
      if (inst.state.state === 'MASTER' && moved.length > 0) {
        const vips = moved;
        inst.chain = inst.chain
          .then(async () => {
            for (const v of vips) await inst.vips.restore(v.text);
          })
          .then(() => this.sendGratuitous(inst, vips, inst.spec.cfg.garp.masterRepeat));
      }
    }
  }

  /** Our source address on a re-created interface; a freshly created link-local can trail the link event. */
  private async sourceOn(ifindex: number, cfg: InstanceConfig): Promise<IpAddress | undefined> {
    const exclude = [...cfg.vips, ...cfg.evips].map((a) => a.text);
    for (let attempt = 0; ; attempt++) {
      const text = await this.deps.kernel.primaryAddress(ifindex, cfg.family, exclude);
      const src = text === undefined ? undefined : IpAddress.parse(text, LENIENT);
      if (src || attempt >= 10 || this.stopping) return src;
      await new Promise<void>((r) => this.waits.setTimeout(r, 50));
    }
  }

  private detachSocket(inst: Inst, old: RuntimeInstanceSpec): void {
    for (const [key, entry] of this.sockets) {
      if (entry.sock !== inst.socket || entry.byVrid.get(old.cfg.vrid) !== inst) continue;
      entry.byVrid.delete(old.cfg.vrid);
      if (entry.byVrid.size === 0) {
        entry.sock.close();
        this.sockets.delete(key);
      }
    }
    inst.socket = undefined;
  }

  // --- reload (core/reload.ts): instances added, removed and changed in place -----------------

  /** The spec an instance runs with now (a reload may have replaced the one it started with). */
  specOf(instance: string): RuntimeInstanceSpec | undefined {
    return this.insts.get(instance)?.spec;
  }

  /**
   * A reload added this instance: it starts as at start-up. With `start: false` it waits for
   * settleGroups(), which starts it after its sync group's state is settled.
   */
  addInstance(spec: RuntimeInstanceSpec, opts: { start?: boolean } = {}): void {
    const name = spec.cfg.name;
    if (this.insts.has(name)) throw new Error(`instance ${name} already runs`);
    const inst = this.newInst(spec);
    this.insts.set(name, inst);
    // Tracked links already known to be down (as the start delivers them before the instances start).
    inst.state = { ...inst.state, track: this.withLinksDown(spec.cfg.trackers, inst.state.track, () => true) };
    if (!this.started || this.stopping) return;
    if (opts.start === false) {
      this.unstarted.add(name);
      return;
    }
    this.open(inst);
    this.dispatch(name, { kind: 'startup' });
  }

  /**
   * A reload's sync groups (after its instances were removed and added, before the changed ones
   * take their config): members are linked by name, first group first (keepalived ignores an
   * instance named by a second group). A group with the same name and the same members keeps its
   * state and takes the new config (its notify scripts) without any other change; the others
   * are returned for settleGroups(). Nothing is sent or notified here.
   */
  setGroups(groups: readonly SyncGroupConfig[]): Regrouping {
    const previous = new Map(this.groups.map((g) => [g.cfg.name, g]));
    const wasGrouped = [...this.insts.values()].filter((i) => i.group !== undefined);
    for (const inst of this.insts.values()) inst.group = undefined;
    this.groups.length = 0;
    const regrouped = this.linkGroups(groups, previous);
    const freed = wasGrouped.filter((i) => i.group === undefined).map((i) => i.spec.cfg.name);
    return { groups: regrouped, freed };
  }

  /** Links the members of `groups`; returns the groups that are not the same as in `previous`. */
  private linkGroups(groups: readonly SyncGroupConfig[], previous: ReadonlyMap<string, Group>): { group: string; before: GroupState | undefined }[] {
    const regrouped: { group: string; before: GroupState | undefined }[] = [];
    for (const g of groups) {
      const members = g.members.map((n) => this.insts.get(n)).filter((i): i is Inst => i !== undefined && i.group === undefined);
      if (members.length === 0) continue;
      const prev = previous.get(g.name);
      const same = prev !== undefined && prev.members.length === members.length && prev.members.every((m, i) => m === members[i]);
      const group: Group = { cfg: g, members, state: same ? prev.state : 'INIT' };
      for (const m of members) m.group = group;
      this.groups.push(group);
      if (!same) regrouped.push({ group: g.name, before: prev?.state });
    }
    return regrouped;
  }

  /**
   * After a reload's instance changes: the groups setGroups() reported take keepalived's state
   * after a reload (sync-group.ts regroup: the group's notify first, then masters of a group
   * that is not MASTER go to BACKUP, members follow a FAULT group), the instances the reload
   * added start, and an instance no longer in any group that was in FAULT only for its group
   * leaves FAULT.
   */
  settleGroups(r: Regrouping): void {
    if (!this.started || this.stopping) return;
    for (const name of r.freed) {
      const inst = this.insts.get(name);
      if (inst && inst.group === undefined && inst.state.externalFaults.includes('sync-group')) this.dispatch(name, { kind: 'syncForce', to: 'LEAVE_FAULT', reason: 'regroup' });
    }
    for (const { group, before } of r.groups) {
      const g = this.groups.find((x) => x.cfg.name === group);
      if (!g) continue;
      // A group the changed instances already moved (a member's new tracker faulted it) notified then.
      const res = regroup(
        g.cfg,
        g.members.map((m) => ({ cfg: m.spec.cfg, state: m.state, started: !this.unstarted.has(m.spec.cfg.name) })),
        g.state === 'INIT' ? before : g.state,
      );
      g.state = res.state;
      for (const t of res.actions) this.executeTagged(g, t);
      const starting: Inst[] = [];
      res.moves.forEach((move, i) => {
        const m = g.members[i];
        switch (move) {
          case 'none':
            return;
          case 'fault':
            this.stepAlone(m, { kind: 'syncForce', to: 'FAULT', reason: 'regroup' });
            return;
          case 'leave-fault':
            this.stepAlone(m, { kind: 'syncForce', to: 'LEAVE_FAULT', reason: 'regroup' });
            return;
          case 'backup':
            this.stepAlone(m, { kind: 'syncForce', to: 'REGROUP_BACKUP', reason: 'regroup' });
            return;
          case 'start-fault':
            m.state = { ...m.state, externalFaults: [...m.state.externalFaults, 'sync-group'] };
            starting.push(m);
            return;
          case 'start':
            starting.push(m);
            return;
        }
      });
      for (const m of starting) this.startAdded(m);
    }
    // Added instances outside any group (or in a group that was not settled) start as well.
    for (const name of [...this.unstarted]) {
      const inst = this.insts.get(name);
      if (inst) this.startAdded(inst);
    }
  }

  private startAdded(inst: Inst): void {
    const name = inst.spec.cfg.name;
    if (!this.unstarted.delete(name)) return;
    this.open(inst);
    this.dispatch(name, { kind: 'startup' });
  }

  /**
   * A reload removed this instance (keepalived clear_diff_vrrp): a master sends a priority-0
   * advert and its VIPs go; then the DELETED notify when notify_deleted is configured, else
   * FAULT (unless it already was in FAULT). No STOP notify. Resolves when the VIPs are gone.
   */
  async removeInstance(name: string): Promise<void> {
    const inst = this.insts.get(name);
    if (!inst) return;
    // keepalived: the group goes on with its other members; a group left empty goes too.
    const g = inst.group;
    if (g) {
      g.members.splice(g.members.indexOf(inst), 1);
      inst.group = undefined;
      if (g.members.length === 0) this.groups.splice(this.groups.indexOf(g), 1);
    }
    this.unstarted.delete(name);
    const { cfg } = inst.spec;
    const was = inst.state.state;
    this.timers.delete(name);
    if (was === 'MASTER') this.sendAdvert(inst, 0);
    // From here no packet or timer reaches it.
    this.insts.delete(name);
    this.detachSocket(inst, inst.spec);
    await inst.chain;
    await inst.vips.removeAll();
    this.deps.log.info({ instance: name, state: was }, `(${name}) removed by the reload${was === 'MASTER' ? ': sent priority 0, virtual addresses removed' : ''}`);
    const deleted = cfg.notify.deleted !== undefined;
    if (deleted || was !== 'FAULT') {
      for (const a of stateNotifyActions(cfg.notify, 'INSTANCE', name, deleted ? 'DELETED' : 'FAULT', inst.state.effectivePriority)) this.execute(inst, a);
    }
  }

  /**
   * A reload kept this instance (same VRID, family, interface and addressing; same name) with a
   * changed config: the state, timers and counters stay; the new config applies from now on
   * (advert contents and interval, notify scripts, trackers, preemption). A changed priority
   * goes through the FSM (as an admin priority change: it may preempt or yield); VIPs and routes
   * are diffed, added ones get gratuitous ARP/NA when the instance holds its VIPs. Resolves when
   * the address changes are done.
   */
  async updateInstance(next: RuntimeInstanceSpec): Promise<void> {
    const name = next.cfg.name;
    const inst = this.insts.get(name);
    if (!inst) throw new Error(`instance ${name} does not run`);
    const old = inst.spec;
    const trackersChanged = JSON.stringify(old.cfg.trackers) !== JSON.stringify(next.cfg.trackers);
    if (trackersChanged) {
      // Trackers are kept by kind and name: a tracker in both lists keeps what it last reported.
      const prev = old.cfg.trackers.map((t, i) => [`${t.type}:${t.name}`, inst.state.track.entries[i]] as const);
      const fresh = initialTracking(next.cfg.trackers).entries;
      const kept = next.cfg.trackers.map((t) => prev.some(([k]) => k === `${t.type}:${t.name}`));
      const entries = next.cfg.trackers.map((t, i) => prev.find(([k]) => k === `${t.type}:${t.name}`)?.[1] ?? fresh[i]);
      // A newly tracked link that is down counts as down from now (its next event may never come).
      inst.state = { ...inst.state, track: this.withLinksDown(next.cfg.trackers, { entries }, (i) => !kept[i]) };
    }
    const socketChanged = this.started && JSON.stringify(this.socketSpecOf(old)) !== JSON.stringify(this.socketSpecOf(next));
    if (socketChanged) this.detachSocket(inst, old);
    inst.spec = next;
    inst.enc = new AdvertEncoder(next.wire);
    if (socketChanged) this.attachSocket(inst);
    if (trackersChanged || old.cfg.priority !== next.cfg.priority) {
      // A priority the config did not change keeps what the FSM made of it (the two-owners workaround).
      const base = old.cfg.priority !== next.cfg.priority ? next.cfg.priority : inst.state.basePriority;
      this.dispatch(name, { kind: 'priorityChanged', priority: base });
    }
    const done = inst.chain.then(async () => {
      const added = await inst.vips.reconfigure(new Map(next.addresses), next.routes, inst.state.vipsSet && inst.state.state === 'MASTER');
      if (added.length > 0) await this.sendGratuitous(inst, added.map((a) => IpAddress.parse(a, LENIENT)!), next.cfg.garp.masterRepeat);
    });
    inst.chain = done;
    await done;
  }

  faultChanged(instance: string, source: string, fault: boolean): void {
    if (this.insts.has(instance)) this.dispatch(instance, { kind: 'faultChanged', source, fault });
  }

  /** A new base priority for one instance (an admin change); trackers still apply on top. */
  priorityChanged(instance: string, priority: number): void {
    if (this.insts.has(instance)) this.dispatch(instance, { kind: 'priorityChanged', priority });
  }

  /** The state machine's state of one instance, read-only (simulations, state dumps). */
  fsmState(instance: string): Readonly<InstanceState> | undefined {
    return this.insts.get(instance)?.state;
  }

  /** The state of the sync group `instance` belongs to; undefined outside a group. */
  groupState(instance: string): GroupState | undefined {
    return this.insts.get(instance)?.group?.state;
  }

  // ---------------------------------------------------------------------------------------------

  private socketKey(s: VrrpSocketSpec): string {
    return `${s.family}/${s.ifindex}/${s.group ?? 'unicast'}/${s.bindAddress ?? ''}/${s.protocol ?? 112}`;
  }

  private socketSpecOf(s: RuntimeInstanceSpec): VrrpSocketSpec {
    const { cfg } = s;
    const unicast = cfg.unicastPeers.length > 0;
    return {
      family: cfg.family,
      ifname: s.ifname,
      ifindex: s.ifindex,
      ...(unicast ? {} : { group: s.wire.group.text }),
      ...(unicast && s.bindAddress ? { bindAddress: s.bindAddress } : {}),
      ...(cfg.family === 'inet6' ? { source6: s.wire.src.text } : {}),
      ...(cfg.family === 'inet' && cfg.authType === 2 ? { protocol: 51 } : {}),
    };
  }

  private attachSocket(inst: Inst): void {
    const { cfg } = inst.spec;
    const spec = this.socketSpecOf(inst.spec);
    const key = this.socketKey(spec);
    let entry = this.sockets.get(key);
    if (!entry) {
      const sock = this.deps.io.openVrrp(spec);
      const byVrid = new Map<number, Inst>();
      entry = { sock, byVrid };
      this.sockets.set(key, entry);
      sock.onPacket((p) => this.receive(byVrid, p));
      sock.onError((e) => this.deps.log.warn({ ifname: spec.ifname, code: e.code }, `VRRP socket error: ${e.message}`));
    }
    entry.byVrid.set(cfg.vrid, inst);
    inst.socket = entry.sock;
  }

  private receive(byVrid: Map<number, Inst>, p: ReceivedPacket): void {
    if (this.stopping) return;
    const vrid = peekVrid(p);
    const inst = vrid === undefined ? undefined : byVrid.get(vrid);
    if (!inst) {
      const hit = this.unknown.hit(`vrid:${vrid ?? '?'}`, this.deps.clock.now());
      if (hit) this.deps.log.debug({ vrid, src: p.src, total: hit.total, suppressed: hit.suppressed }, 'advert for a VRID we do not run: ignored');
      return;
    }
    // keepalived ignores its own multicast loopback; multicast loop is off, but unicast peers
    // listing ourselves would still echo.
    if (p.src === inst.spec.wire.src.text) return;
    this.dispatch(inst.spec.cfg.name, packetToEvent(p, inst.spec.wire));
  }

  private dispatch(name: string, event: VrrpEvent): void {
    const inst = this.insts.get(name);
    if (!inst) return;
    if (this.stopping && event.kind !== 'shutdown') return;
    for (const o of this.eventObservers) o(name, event);
    const now = usNow(this.deps.clock);
    const g = inst.group;
    // Shutdown goes through syncStep too: once every member is STOP the group's STOP notify
    // runs after the members' (keepalived notify_shutdown: instances, then groups).
    if (!g) {
      this.stepAlone(inst, event, now);
      return;
    }
    const before = g.members.map((m) => m.state.effectivePriority);
    const idx = g.members.indexOf(inst);
    const r = syncStep(
      g.cfg,
      g.members.map((m) => ({ cfg: m.spec.cfg, state: m.state })),
      g.state,
      idx,
      event,
      now,
    );
    g.state = r.groupState;
    r.states.forEach((s, i) => (g.members[i].state = s));
    g.members.forEach((m, i) => this.logPriorityChange(m, before[i]));
    for (const t of r.actions) this.executeTagged(g, t);
  }

  /** `track` with the interface trackers picked by `fresh` (index) set down when their link is known down. */
  private withLinksDown(trackers: readonly TrackerConfig[], track: TrackingState, fresh: (i: number) => boolean): TrackingState {
    let out = track;
    trackers.forEach((t, i) => {
      if (t.type === 'interface' && fresh(i) && this.linksDown.has(t.name)) out = updateTracker(trackers, out, 'interface', t.name, { up: false });
    });
    return out;
  }

  /** One instance's step, outside any group rule (standalone instances; a reload's regrouping). */
  private stepAlone(inst: Inst, event: VrrpEvent, now = usNow(this.deps.clock)): void {
    const before = inst.state.effectivePriority;
    const r = step(inst.spec.cfg, inst.state, event, now);
    inst.state = r.state;
    this.logPriorityChange(inst, before);
    for (const a of r.actions) this.execute(inst, a);
  }

  /** keepalived vrrp_set_effective_priority's line, written before the change's effects. */
  private logPriorityChange(inst: Inst, before: number): void {
    const after = inst.state.effectivePriority;
    if (after === before) return;
    const name = inst.spec.cfg.name;
    this.deps.log.info({ instance: name, from: before, to: after }, `(${name}) Changing effective priority from ${before} to ${after}`);
  }

  private executeTagged(g: Group, t: TaggedAction): void {
    const inst = this.insts.get(t.instance);
    if (inst) this.execute(inst, t.action);
    else if (t.action.kind === 'notify') this.notify(g.cfg.name, t.action);
  }

  private execute(inst: Inst, a: VrrpAction): void {
    const name = inst.spec.cfg.name;
    if (this.keepOnStop && (a.kind === 'sendAdvert' || a.kind === 'removeVips')) return;
    for (const o of this.observers) o({ instance: name, action: a, at: this.deps.clock.now() });
    switch (a.kind) {
      case 'sendAdvert':
        this.sendAdvert(inst, a.priority);
        return;
      case 'sendGratuitous': {
        const addrs = a.addresses;
        inst.chain = inst.chain.then(() => this.sendGratuitous(inst, addrs, a.count));
        return;
      }
      case 'addVips': {
        const addrs = a.addresses;
        const texts = addrs.map((x) => x.text);
        const fw = this.deps.acceptMode;
        // keepalived sets the drop rules before it adds the VIPs (vrrp_state_become_master).
        inst.chain = inst.chain.then(() => fw?.beforeAdd(name, texts)).then(() => inst.vips.add(texts));
        return;
      }
      case 'removeVips': {
        const addrs = a.addresses;
        const force = a.force ?? false;
        const texts = addrs.map((x) => x.text);
        const fw = this.deps.acceptMode;
        inst.chain = inst.chain.then(() => inst.vips.remove(texts, force)).then(() => fw?.afterRemove(name, texts));
        return;
      }
      case 'setDeadline':
        if (a.at === null) this.timers.delete(name);
        else this.timers.set(name, a.at / 1000);
        return;
      case 'transition':
        if (a.from === 'MASTER') inst.guard?.cancel();
        this.logTransition(inst, a);
        return;
      case 'notify':
        this.notify(name, a);
        return;
      case 'countError': {
        if (isSuppressReason(a.reason)) {
          // A flood of valid adverts: the first held-back answer is logged, then one line per
          // 10 s with the count; the totals are in status().
          const hit = inst.suppressed.hit(a.reason, this.deps.clock.now());
          if (hit) this.deps.log.warn({ instance: name, reason: a.reason, total: hit.total, suppressed: hit.suppressed }, `(${name}) advert flood: ${a.reason}`);
          return;
        }
        const hit = inst.errors.hit(a.reason, this.deps.clock.now());
        if (hit) {
          this.deps.log.warn(
            { instance: name, reason: a.reason, dropped: a.dropped, total: hit.total, suppressed: hit.suppressed },
            a.dropped ? `(${name}) advert dropped: ${a.reason}` : `(${name}) advert warning: ${a.reason}`,
          );
        }
        return;
      }
      default: {
        const never: never = a;
        throw new Error(`unhandled action ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * keepalived's state lines: "(VI_1) Entering BACKUP STATE (init)" at start-up, the cause of a
   * FAULT at start-up first ("(VI_1): entering FAULT state (interface eth1 down)"), and no state
   * line when the silent start-up wait for a weight-0 script ends in FAULT (keepalived already
   * counts the waiting instance as FAULT, so only the notify shows it).
   */
  private logTransition(inst: Inst, a: Extract<VrrpAction, { kind: 'transition' }>): void {
    const name = inst.spec.cfg.name;
    const fields = { instance: name, from: a.from, to: a.to, reason: a.reason, priority: inst.state.effectivePriority };
    if (a.from === 'INIT' && a.to === 'FAULT' && a.reason !== 'init') {
      this.deps.log.info(fields, `(${name}) start-up wait for tracked scripts ended in FAULT`);
      return;
    }
    if (a.from === 'INIT' && a.to === 'FAULT') {
      const causes = faultsOf(inst.spec.cfg, inst.state);
      for (const f of causes) {
        const sep = f.indexOf(':');
        const kind = f.slice(0, sep);
        const obj = f.slice(sep + 1);
        // keepalived's wording per tracker kind (vrrp_track.c); the process line has no colon there.
        const line =
          kind === 'interface'
            ? `(${name}): entering FAULT state (interface ${obj} down)`
            : kind === 'file'
              ? `(${name}): entering FAULT state (tracked file ${obj} has status -254)`
              : kind === 'script'
                ? `(${name}): entering FAULT state due to script ${obj}`
                : kind === 'process'
                  ? `(${name}) entering FAULT state (tracked process ${obj} quorum not achieved)`
                  : `(${name}): entering FAULT state (${f})`;
        this.deps.log.info({ instance: name, fault: f }, line);
      }
      // keepalived's initialise_tracking_priorities words it this way when a tracker faults it.
      if (causes.length > 0) {
        this.deps.log.info(fields, `(${name}) entering FAULT state`);
        return;
      }
    }
    // A reload's regrouping words it as keepalived's re-initialisation does.
    this.deps.log.info(fields, `(${name}) Entering ${a.to} STATE${a.reason === 'init' || a.reason === 'regroup' ? ' (init)' : ''}`);
  }

  private notify(owner: string, a: Extract<VrrpAction, { kind: 'notify' }>): void {
    try {
      if (a.channel === 'script') this.deps.notify.script(owner, a.command);
      else if (a.channel === 'generic') this.deps.notify.generic(owner, a.command, a.args);
      else this.deps.notify.fifo(a.line);
    } catch (e) {
      this.deps.log.error({ owner, err: String(e) }, 'notify failed');
    }
  }

  /** Watches ARP and neighbour advertisements on every interface that carries the instance's VIPs. */
  private watchAnnouncements(inst: Inst): void {
    const indexes = new Set<number>([inst.spec.ifindex]);
    for (const a of inst.spec.addresses.values()) if (a.ifindex !== undefined) indexes.add(a.ifindex);
    for (const ifindex of indexes) {
      if (this.announceWatches.has(ifindex)) continue;
      try {
        this.announceWatches.set(ifindex, this.deps.io.watchAnnouncements(ifindex, (a) => this.heardAnnouncement(a)));
      } catch (e) {
        // Not fatal: VRRP runs as before, without the re-announcement after a quiet heal.
        const hit = this.announceErrors.hit('watch', this.deps.clock.now());
        if (hit) this.deps.log.warn({ ifindex, err: String(e) }, `cannot watch ARP/neighbour advertisements on interface ${ifindex}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * An ARP frame or neighbour advertisement from the link. If it announces a VIP of an instance
   * that is master here, from a MAC that is not the one we announce it with, another host
   * claimed it (a split brain, or its aftermath): the instance re-announces once it is quiet.
   */
  private heardAnnouncement(a: HeardAnnouncement): void {
    if (this.stopping) return;
    let address: string | undefined;
    let mac: string | undefined;
    if (a.kind === 'arp') {
      const f = decodeArpFrame(a.bytes);
      if (!f || f.senderIp === '0.0.0.0') return; // not ARP/IPv4, or a probe (RFC 5227)
      address = f.senderIp;
      mac = f.senderMac;
    } else {
      const na = decodeNaMessage(a.bytes);
      if (!na?.targetMac) return; // without the option the sender's MAC is unknown
      address = na.target;
      mac = na.targetMac;
    }
    for (const inst of this.insts.values()) {
      if (inst.state.state !== 'MASTER' || !inst.guard) continue;
      if (mac === inst.spec.mac.toLowerCase()) continue;
      const { cfg } = inst.spec;
      const vip = [...cfg.vips, ...cfg.evips].find((v) => v.text === address && (inst.spec.addresses.get(v.text)?.ifindex ?? inst.spec.ifindex) === a.ifindex);
      if (!vip || !inst.vips.holds(vip.text)) continue;
      const hit = this.announceErrors.hit(`heard:${cfg.name}`, this.deps.clock.now());
      if (hit) {
        this.deps.log.warn(
          { instance: cfg.name, vip: vip.text, mac, total: hit.total, suppressed: hit.suppressed },
          `(${cfg.name}) ${mac} announced our VIP ${vip.text}: re-announcing it once that host is quiet`,
        );
      }
      inst.guard.heard();
    }
  }

  /** The guard's call: gratuitous ARPs / unsolicited NAs for every VIP the master holds. */
  private reannounce(inst: Inst): void {
    if (this.stopping || inst.state.state !== 'MASTER') return;
    const { cfg } = inst.spec;
    const held = [...cfg.vips, ...cfg.evips].filter((v) => inst.vips.holds(v.text));
    if (held.length === 0) return;
    this.deps.log.info({ instance: cfg.name, vips: held.length }, `(${cfg.name}) re-announcing ${held.length} VIP(s) after another host announced them`);
    inst.chain = inst.chain.then(() => this.sendGratuitous(inst, held, cfg.garp.masterRepeat));
  }

  private sendAdvert(inst: Inst, priority: number): void {
    const sock = inst.socket;
    if (!sock) return;
    for (const dst of inst.enc.destinations()) {
      try {
        sock.send(dst.text, inst.enc.encode(priority, dst));
      } catch (e) {
        const code = (e as { code?: string }).code ?? 'send';
        const hit = inst.errors.hit(`send:${code}`, this.deps.clock.now());
        if (hit) this.deps.log.warn({ instance: inst.spec.cfg.name, dst, code, total: hit.total }, 'cannot send advert');
      }
    }
  }

  private async sendGratuitous(inst: Inst, addresses: readonly IpAddress[], count: number): Promise<void> {
    for (let round = 0; round < count; round++) {
      for (const addr of addresses) {
        const spec = inst.spec.addresses.get(addr.text);
        const ifindex = spec?.ifindex ?? inst.spec.ifindex;
        try {
          if (addr.family === 'inet6') {
            const target = addr.bytes;
            const icmp = buildNaMessage({ mac: inst.spec.mac, target, router: inst.spec.router ?? false }, target);
            this.deps.io.sendUnsolicitedNa(ifindex, addr.text, icmp);
          } else {
            this.deps.io.sendGratuitousArp(ifindex, buildGratuitousArp({ mac: inst.spec.mac, ip: addr }));
          }
        } catch (e) {
          const hit = inst.errors.hit('garp-send', this.deps.clock.now());
          if (hit) this.deps.log.warn({ instance: inst.spec.cfg.name, addr, err: String(e) }, 'cannot send gratuitous ARP/NA');
        }
      }
    }
  }
}

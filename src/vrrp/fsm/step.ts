// The VRRP state machine as one pure function (DESIGN.md 3.1):
//   step(cfg, state, event, now) -> { state, actions }
// `now` is monotonic microseconds (keepalived's TIMER_HZ), supplied by the caller. The machine
// keeps several internal timers (down/advert, GARP bursts) and asks the runtime for exactly one
// deadline: the earliest of them (setDeadline, only when it changes).
//
//            startup (prio 255)                     down timer / prio-0 skew
//   INIT ----------------------------> MASTER <-------------------------------- BACKUP
//     | startup (other)                  |  higher-prio advert (RFC 5798 6.4.3)    ^
//     +----------------------------------|-----------------------------------------+
//   any --- tracker/interface fault ---> FAULT --- fault cleared ---> BACKUP (owners too)
//   INIT waits silently while a weight-0 script has not reported (keepalived num_script_init):
//        first success -> BACKUP (an owner wanting MASTER: MASTER), first failure -> FAULT
//   any --- shutdown ---> STOP   (a MASTER first sends priority 0 and removes its VIPs)
import type { Centiseconds, Us } from '../../lib/units.js';
import { us } from '../../lib/units.js';
import type { VrrpAdvert, AdvertMeta } from '../packet/types.js';
import { evaluateTracking, initialTracking, updateTracker } from '../tracking.js';
import type { InstanceConfig, NotifyConfig } from './config.js';
import { isOwner } from './config.js';
import type { IpAddress } from '../../lib/ip.js';
import { csToUs, masterDownUs, msToUs, skewMinUs, skewUs } from './timing.js';
import type { InstanceState, NotifyState, StepContext, StepResult, VrrpAction, VrrpEvent, VrrpState, FsmTimers, RawCheck } from './types.js';
import { authPassBytes, validateAdvert } from './validate.js';

const TIMER_KEYS = ['main', 'garpDelay', 'lowerPrioGarp'] as const;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Work = Omit<Mutable<InstanceState>, 'timers'> & { timers: Mutable<FsmTimers> };

interface Derived {
  readonly addresses: readonly IpAddress[];
  readonly pass: Uint8Array;
  readonly advertUs: Us;
}
const derivedCache = new WeakMap<InstanceConfig, Derived>();
function derived(cfg: InstanceConfig): Derived {
  let d = derivedCache.get(cfg);
  if (!d) {
    d = { addresses: [...cfg.vips, ...cfg.evips], pass: authPassBytes(cfg.authPass), advertUs: csToUs(cfg.advertInt) };
    derivedCache.set(cfg, d);
  }
  return d;
}

export function initialState(cfg: InstanceConfig): InstanceState {
  const track = initialTracking(cfg.trackers);
  const ev = evaluateTracking(cfg.trackers, track, cfg.priority);
  return {
    state: 'INIT',
    basePriority: cfg.priority,
    effectivePriority: ev.effectivePriority,
    track,
    externalFaults: [],
    wantMaster: isOwner(cfg),
    masterAdverInt: cfg.advertInt,
    msDownTimer: masterDownUs(cfg.version, ev.effectivePriority, cfg.advertInt, cfg.downTimerAdverts),
    timers: { main: null, garpDelay: null, lowerPrioGarp: null },
    garpRefreshAt: null,
    preemptTime: null,
    masterIp: null,
    deadline: null,
    vipsSet: false,
    initPending: false,
    lastAnswerAt: null,
    lowerPrioGarpAt: null,
    lowerPrioNotifyAt: null,
  };
}

/** Current fault sources: tracker faults then external ones. Empty = healthy. */
export function faultsOf(cfg: InstanceConfig, st: InstanceState): string[] {
  const f = evaluateTracking(cfg.trackers, st.track, st.basePriority).faults.slice();
  for (const x of st.externalFaults) f.push(x);
  return f;
}

class Machine {
  readonly out: VrrpAction[] = [];
  constructor(
    readonly cfg: InstanceConfig,
    readonly s: Work,
    readonly now: Us,
    readonly ctx: StepContext | undefined,
  ) {}

  // --- timers --------------------------------------------------------------------------------
  skew(): Us {
    return skewUs(this.cfg.version, this.s.effectivePriority, this.s.masterAdverInt);
  }
  fullDownTimer(): Us {
    return masterDownUs(this.cfg.version, this.s.effectivePriority, this.s.masterAdverInt, this.cfg.downTimerAdverts);
  }
  armDown(t: Us): void {
    this.s.msDownTimer = t;
    this.s.timers.main = us(this.now + t);
  }
  clearTimers(): void {
    this.s.timers.main = null;
    this.s.timers.garpDelay = null;
    this.s.timers.lowerPrioGarp = null;
    this.s.garpRefreshAt = null;
  }

  /** Fires every internal timer that is due, earliest first (ties: advert/down timer first). */
  fireDue(): void {
    for (let guard = 0; guard < 16; guard++) {
      const t = this.s.timers;
      let which: keyof FsmTimers | null = null;
      let at = Infinity;
      for (const k of TIMER_KEYS) {
        const v = t[k];
        if (v !== null && v <= this.now && v < at) {
          at = v;
          which = k;
        }
      }
      if (which === null) return;
      t[which] = null;
      if (which === 'main') this.mainTimer();
      else if (which === 'garpDelay') {
        // vrrp_gratuitous_arp_thread: second burst, only while the VIPs are still ours.
        if (this.s.state === 'MASTER' && this.s.vipsSet) this.garp(this.cfg.garp.masterRepeat, 'master-delay');
      } else if (this.s.state === 'MASTER' && this.s.vipsSet) {
        this.garp(this.cfg.garp.lowerPrioRepeat, 'lower-prio-delay');
        // The delayed burst counts as one: the next answering burst waits a full delay.
        this.s.lowerPrioGarpAt = this.now;
      }
    }
  }

  mainTimer(): void {
    switch (this.s.state) {
      case 'INIT':
        // keepalived vrrp_init_state: an owner "times out of BACKUP" after 1 us.
        this.gotoMaster('owner');
        return;
      case 'BACKUP':
        // RFC 5798 6.4.2: Master_Down_Timer fired.
        this.gotoMaster('master-down');
        return;
      case 'MASTER':
        this.s.timers.main = us(this.now + derived(this.cfg).advertUs);
        this.masterTx();
        return;
      default:
        return;
    }
  }

  /** vrrp_state_master_tx on an established master: advert, then a due GARP refresh. */
  masterTx(): void {
    this.out.push({ kind: 'sendAdvert', priority: this.s.effectivePriority });
    const r = this.s.garpRefreshAt;
    if (r !== null && this.now > r) {
      this.garp(this.cfg.garp.masterRefreshRepeat, 'refresh');
      this.s.garpRefreshAt = us(this.now + msToUs(this.cfg.garp.masterRefresh));
    }
  }

  garp(count: number, reason: Extract<VrrpAction, { kind: 'sendGratuitous' }>['reason']): void {
    const addresses = derived(this.cfg).addresses;
    if (count > 0 && addresses.length > 0) this.out.push({ kind: 'sendGratuitous', count, addresses, reason });
  }

  notify(state: NotifyState): void {
    this.out.push(...stateNotifyActions(this.cfg.notify, 'INSTANCE', this.cfg.name, state, this.s.effectivePriority));
  }


  transition(to: VrrpState, reason: string): VrrpState {
    const from = this.s.state;
    this.out.push({ kind: 'transition', from, to, reason });
    this.s.state = to;
    return from;
  }

  removeVips(force = false): void {
    const addresses = derived(this.cfg).addresses;
    if ((this.s.vipsSet || force) && addresses.length > 0) this.out.push(force ? { kind: 'removeVips', addresses, force } : { kind: 'removeVips', addresses });
    this.s.vipsSet = false;
  }

  // --- transitions ---------------------------------------------------------------------------
  gotoMaster(reason: string): void {
    // keepalived vrrp_state_goto_master: a sync-group member waits until every member wants
    // MASTER (vrrp_sync_can_goto_master), re-checking after another down interval.
    if (this.cfg.syncGroup !== undefined && this.ctx?.canGotoMaster === false) {
      this.s.wantMaster = true;
      if (this.s.state === 'INIT') {
        this.transition('BACKUP', 'sync-group-wait');
        this.notify('BACKUP');
      }
      this.armDown(this.fullDownTimer());
      return;
    }
    this.becomeMaster(reason);
  }

  becomeMaster(reason: string): void {
    const { cfg, s } = this;
    s.wantMaster = true;
    // RFC 5798 6.4.2 / keepalived: a new master uses its own interval again.
    s.masterAdverInt = cfg.advertInt;
    s.preemptTime = null;
    s.timers.main = us(this.now + derived(cfg).advertUs);
    // keepalived 2.2 vrrp_state_master_tx: the advert goes first so the old master drops the
    // VIPs before our GARPs arrive.
    this.out.push({ kind: 'sendAdvert', priority: s.effectivePriority });
    this.transition('MASTER', reason);
    const addresses = derived(cfg).addresses;
    if (addresses.length > 0) this.out.push({ kind: 'addVips', addresses });
    s.vipsSet = true;
    this.garp(cfg.garp.masterRepeat, 'master');
    s.garpRefreshAt = cfg.garp.masterRefresh > 0 ? us(this.now + msToUs(cfg.garp.masterRefresh)) : null;
    this.notify('MASTER');
    s.timers.garpDelay = cfg.garp.masterDelay > 0 ? us(this.now + msToUs(cfg.garp.masterDelay)) : null;
    s.timers.lowerPrioGarp = null;
    s.lastAnswerAt = null;
    s.lowerPrioGarpAt = null;
    s.lowerPrioNotifyAt = null;
  }

  /**
   * A reload put this master in a sync group that is not MASTER (keepalived vrrp_init_state on
   * reload: the group is MASTER only when every member is): BACKUP as at start-up, VIPs removed,
   * no priority-0 advert, still wanting MASTER, so it waits one advert interval plus the minimal
   * skew (VRRP_TIMER_SKEW_MIN); the group goes MASTER together once every member wants it.
   */
  regroupBackup(reason: string): void {
    const adv = this.s.masterAdverInt;
    this.masterToBackup(reason, true, us(csToUs(adv) + skewMinUs(this.cfg.version, adv)));
  }

  leaveMasterToBackup(reason: string): void {
    this.masterToBackup(reason, false, this.fullDownTimer());
  }

  /** MASTER -> BACKUP: the VIPs go, BACKUP notify, the down timer `down` from now. */
  private masterToBackup(reason: string, wantMaster: boolean, down: Us): void {
    const { s } = this;
    this.transition('BACKUP', reason);
    this.removeVips();
    this.notify('BACKUP');
    s.wantMaster = wantMaster;
    s.preemptTime = null;
    this.clearTimers();
    this.armDown(down);
  }

  enterFault(reason: string): void {
    const { cfg, s } = this;
    const from = this.transition('FAULT', reason);
    if (from === 'MASTER') {
      // 3.15: entering FAULT from MASTER also sends priority 0, so backups take over after skew.
      this.out.push({ kind: 'sendAdvert', priority: 0 });
      this.removeVips();
    }
    this.notify('FAULT');
    s.wantMaster = false;
    s.masterAdverInt = cfg.advertInt;
    s.preemptTime = null;
    this.clearTimers();
  }

  leaveFault(reason: string): void {
    const { cfg, s } = this;
    s.masterAdverInt = cfg.advertInt;
    s.preemptTime = null;
    // Leaving FAULT always goes to BACKUP with a full Master_Down_Interval, the address owner
    // included: keepalived down_instance sets wantstate FAULT, so try_up_instance never sees an
    // owner that wants MASTER (observed with 2.2.7: an owner whose tracked interface or script
    // recovers enters BACKUP and takes over 3 adverts + skew later).
    this.enterBackupFullTimer(reason);
  }

  /** BACKUP, not wanting MASTER, with a full Master_Down_Interval counted from now. */
  private enterBackupFullTimer(reason: string): void {
    this.s.wantMaster = false;
    this.transition('BACKUP', reason);
    this.notify('BACKUP');
    this.armDown(this.fullDownTimer());
  }

  /**
   * The silent start-up wait ends with every weight-0 script OK (keepalived try_up_instance
   * with leaving_init): BACKUP with a full Master_Down_Interval counted from now, or, for an
   * address owner that wants MASTER, MASTER at once (its wantstate was never set to FAULT).
   */
  leaveInit(reason: string): void {
    const { cfg } = this;
    if (isOwner(cfg) && cfg.initialState !== 'BACKUP') {
      this.gotoMaster(reason);
      return;
    }
    this.enterBackupFullTimer(reason);
  }

  // --- tracking ------------------------------------------------------------------------------
  /** Re-evaluates priority and faults after tracker / base-priority / fault-source changes. */
  retrack(reason: string): void {
    const { cfg, s } = this;
    const oldPrio = s.effectivePriority;
    const oldSkew = this.skew();
    const ev = evaluateTracking(cfg.trackers, s.track, s.basePriority);
    s.effectivePriority = ev.effectivePriority;
    const faulted = ev.faults.length > 0 || s.externalFaults.length > 0;
    const pending = ev.pending.length > 0 || this.ctx?.groupPending === true;
    if (s.state === 'STOP') return;
    if (s.state === 'INIT') {
      // Before startup nothing moves; after it, INIT is the silent wait for the first result of
      // every weight-0 script (keepalived: the instance sits in FAULT without notifying). A FAULT
      // imposed by the sync group keeps a waiting member silent (keepalived: it already counts
      // as FAULT); it speaks when the group comes up.
      if (!s.initPending) return;
      const ownFault = ev.faults.length > 0 || s.externalFaults.some((f) => f !== 'sync-group');
      if (ownFault) {
        s.initPending = false;
        this.enterFault(reason);
      } else if (!pending && !faulted) {
        s.initPending = false;
        this.leaveInit(reason);
      }
      return;
    }
    if (faulted && s.state !== 'FAULT') {
      this.enterFault(reason);
      return;
    }
    // keepalived try_up_instance: a FAULT is left only once no fault remains and no weight-0
    // script is still undecided.
    if (!faulted && !pending && s.state === 'FAULT') {
      this.leaveFault(reason);
      return;
    }
    if (s.state === 'BACKUP' && oldPrio !== s.effectivePriority && s.timers.main !== null) {
      // 3.9: a priority change while BACKUP shifts the running down timer by the skew change.
      const delta = this.skew() - oldSkew;
      s.msDownTimer = us(s.msDownTimer + delta);
      // A higher priority shortens it; when that puts it at or before now the timer is due and
      // fires on the runtime's next tick (keepalived's timer thread: on its next loop pass).
      s.timers.main = us(Math.max(s.timers.main + delta, this.now + 1));
    }
  }

  // --- receive -------------------------------------------------------------------------------
  receive(advert: VrrpAdvert | undefined, meta: AdvertMeta, rawCheck: RawCheck | undefined): void {
    const { s } = this;
    // A packet that fails validation is only counted: it changes no timer and no state. (keepalived
    // 2.2.7 vrrp_dispatcher_read restarts a master's advert timer after any packet, so 50 invalid
    // packets/s silence its adverts and the backup takes over; see docs/adr/0011.)
    if (s.state === 'BACKUP') this.backupRx(advert, meta, rawCheck);
    else if (s.state === 'MASTER') this.masterRx(advert, meta, rawCheck);
    // INIT / FAULT / STOP: adverts are ignored (3.4).
  }

  validate(advert: VrrpAdvert | undefined, meta: AdvertMeta, rawCheck: RawCheck | undefined, checkAddr: boolean): VrrpAdvert | null {
    const v = validateAdvert(this.cfg, { advert, meta, rawCheck }, checkAddr, derived(this.cfg).pass);
    if (!v.ok) {
      this.out.push({ kind: 'countError', reason: v.reason, dropped: true });
      return null;
    }
    if (v.warning) this.out.push({ kind: 'countError', reason: v.warning, dropped: false });
    return advert ?? null;
  }

  backupRx(advert: VrrpAdvert | undefined, meta: AdvertMeta, rawCheck: RawCheck | undefined): void {
    const { cfg, s, now } = this;
    const checkAddr = !cfg.skipCheckAdvAddr || s.masterIp === null || !s.masterIp.equals(meta.src);
    const a = this.validate(advert, meta, rawCheck, checkAddr);
    if (!a) return; // ignored: the down timer keeps running
    const eff = s.effectivePriority;
    if (a.priority === 0) {
      // RFC 5798 6.4.2: master resigned -> Master_Down_Timer = Skew_Time.
      this.armDown(this.skew());
      return;
    }
    const preemptDelayUs = msToUs(cfg.preemptDelay);
    if (!cfg.preempt || a.priority >= eff || (preemptDelayUs > 0 && (s.preemptTime === null || s.preemptTime > now))) {
      // Accept: follow this master (RFC 5798 6.4.2).
      if (cfg.version === 3) s.masterAdverInt = a.advertInt as Centiseconds;
      s.masterIp = meta.src;
      s.wantMaster = false;
      if (preemptDelayUs > 0) {
        if (a.priority >= eff) s.preemptTime = null;
        else if (s.preemptTime === null) s.preemptTime = us(now + preemptDelayUs);
      }
      this.armDown(this.fullDownTimer());
      return;
    }
    // Lower priority and preemptive: discarded, the down timer keeps running (3.7), so the
    // takeover happens when Master_Down_Interval expires.
    s.masterIp = meta.src;
  }

  masterRx(advert: VrrpAdvert | undefined, meta: AdvertMeta, rawCheck: RawCheck | undefined): void {
    const { cfg, s } = this;
    const a = this.validate(advert, meta, rawCheck, true);
    if (!a) return;
    const addrCmp = cfg.srcIp ? meta.src.compare(cfg.srcIp) : 0;
    let eff = s.effectivePriority;
    if (a.priority === 0) {
      // RFC 5798 6.4.3: answer a resigning master at once and reset the Adver_Timer (at most
      // once per advert interval, so a flood of priority-0 adverts is not amplified).
      this.answer(eff);
      return;
    }
    if (cfg.higherPrioSendAdvert && (a.priority > eff || (a.priority === eff && addrCmp > 0))) {
      // One last advert before yielding (we leave MASTER below, so this cannot repeat).
      this.out.push({ kind: 'sendAdvert', priority: eff });
    }
    if (a.priority === eff) {
      if (addrCmp === 0) {
        this.out.push({ kind: 'countError', reason: 'own-address', dropped: false });
      } else if (eff === 255) {
        // Two address owners: keepalived reports a config error and drops itself to 254.
        s.basePriority = 254;
        s.effectivePriority = 254;
        eff = 254;
      }
    }
    if (a.priority < eff || (a.priority === eff && addrCmp < 0)) {
      // Lower priority master on the wire: re-assert (RFC 5798 6.4.3 keeps us master), and
      // refresh the LAN's ARP caches so a split brain heals (garp_lower_prio_repeat).
      // keepalived answers every such advert; we answer at most once per advert interval, burst
      // GARPs at most once per garp_lower_prio_delay and count the rest, so a flood of them is
      // never amplified (issue 10: 20,000 adverts/s made 84,000 frames/s).
      if (!cfg.lowerPrioNoAdvert) this.answer(eff);
      if (cfg.garp.lowerPrioRepeat > 0 && derived(cfg).addresses.length > 0) {
        const delayUs = msToUs(cfg.garp.lowerPrioDelay);
        // With garp_lower_prio_delay 0 the window is one advert interval.
        const windowUs = Math.max(delayUs, derived(cfg).advertUs);
        if (s.lowerPrioGarpAt === null || this.now - s.lowerPrioGarpAt >= windowUs) {
          s.lowerPrioGarpAt = this.now;
          this.garp(cfg.garp.lowerPrioRepeat, 'lower-prio');
          if (delayUs > 0) s.timers.lowerPrioGarp = us(this.now + delayUs);
        } else this.out.push({ kind: 'countError', reason: 'lower-prio-garp-suppressed', dropped: false });
      }
      const n = cfg.notify;
      if (n.masterRxLowerPri || n.fifo) {
        if (s.lowerPrioNotifyAt === null || this.now - s.lowerPrioNotifyAt >= derived(cfg).advertUs) {
          s.lowerPrioNotifyAt = this.now;
          if (n.masterRxLowerPri) this.out.push({ kind: 'notify', channel: 'script', command: n.masterRxLowerPri });
          if (n.fifo) this.out.push({ kind: 'notify', channel: 'fifo', line: `INSTANCE "${cfg.name}" MASTER_RX_LOWER_PRI ${eff}` });
        } else this.out.push({ kind: 'countError', reason: 'lower-prio-notify-suppressed', dropped: false });
      }
      return;
    }
    if (a.priority > eff || (a.priority === eff && addrCmp > 0)) {
      // RFC 5798 6.4.3: higher priority (or equal and larger address) -> Backup.
      if (cfg.version === 3) s.masterAdverInt = a.advertInt as Centiseconds;
      s.masterIp = meta.src;
      this.leaveMasterToBackup(a.priority > eff ? 'higher-priority-advert' : 'equal-priority-higher-address');
    }
  }

  /**
   * An advert answering a received one, at most once per advert interval; it restarts the advert
   * timer (RFC 5798 6.4.3 "Reset the Adver_Timer"; keepalived vrrp_dispatcher_read). A suppressed
   * answer is counted and touches no timer, so the periodic adverts keep their schedule.
   */
  answer(priority: number): void {
    const { s } = this;
    const advertUs = derived(this.cfg).advertUs;
    if (s.lastAnswerAt !== null && this.now - s.lastAnswerAt < advertUs) {
      this.out.push({ kind: 'countError', reason: 'answer-suppressed', dropped: false });
      return;
    }
    s.lastAnswerAt = this.now;
    this.out.push({ kind: 'sendAdvert', priority });
    s.timers.main = us(this.now + advertUs);
  }

  // --- lifecycle -----------------------------------------------------------------------------
  startup(): void {
    const { cfg, s } = this;
    if (s.state !== 'INIT' || s.timers.main !== null || s.initPending) return;
    const faulted = faultsOf(cfg, s).length > 0;
    const pending = evaluateTracking(cfg.trackers, s.track, s.basePriority).pending.length > 0 || this.ctx?.groupPending === true;
    if (!faulted && !pending && isOwner(cfg) && cfg.initialState !== 'BACKUP') {
      // vrrp_init_state: the owner becomes master after 1 us, unless it was configured with
      // `state BACKUP` (keepalived 2.2.7 then enters BACKUP (init) and waits like the others).
      s.wantMaster = true;
      s.timers.main = us(this.now + 1);
      return;
    }
    // Non-owners clear VIPs a previous run may have left (vrrp_restore_interface at init).
    if (!isOwner(cfg)) this.removeVips(true);
    if (faulted) {
      this.transition('FAULT', 'init');
      this.notify('FAULT');
      return;
    }
    if (pending) {
      // keepalived vrrp_init_state with num_script_init > 0: no state line, no notify, nothing
      // sent; the scripts' first results decide (retrack -> leaveInit / enterFault).
      s.initPending = true;
      return;
    }
    // 3.6: everything else, `state MASTER` included, starts BACKUP and waits a full
    // Master_Down_Interval.
    this.transition('BACKUP', 'init');
    this.notify('BACKUP');
    this.armDown(this.fullDownTimer());
  }

  shutdown(): void {
    const { s } = this;
    if (s.state === 'STOP') return;
    if (s.state === 'MASTER') {
      // 3.15: priority 0 so a backup takes over after Skew_Time, then release the VIPs.
      this.out.push({ kind: 'sendAdvert', priority: 0 });
      this.removeVips();
    }
    this.transition('STOP', 'shutdown');
    this.notify('STOP');
    this.clearTimers();
    s.wantMaster = false;
  }

  syncForce(to: 'MASTER' | 'BACKUP' | 'FAULT' | 'LEAVE_FAULT' | 'REGROUP_BACKUP', reason: string): void {
    const { s } = this;
    switch (to) {
      case 'MASTER':
        if (s.state === 'BACKUP') this.becomeMaster(reason);
        return;
      case 'BACKUP':
        if (s.state === 'MASTER') this.leaveMasterToBackup(reason);
        return;
      case 'FAULT':
        if (!s.externalFaults.includes('sync-group')) s.externalFaults = [...s.externalFaults, 'sync-group'];
        this.retrack(reason);
        return;
      case 'LEAVE_FAULT':
        if (s.externalFaults.includes('sync-group')) s.externalFaults = s.externalFaults.filter((f) => f !== 'sync-group');
        this.retrack(reason);
        return;
      case 'REGROUP_BACKUP':
        if (s.state === 'MASTER') this.regroupBackup(reason);
        return;
    }
  }

  finish(): StepResult {
    const t = this.s.timers;
    let d: number | null = null;
    if (t.main !== null) d = t.main;
    if (t.garpDelay !== null && (d === null || t.garpDelay < d)) d = t.garpDelay;
    if (t.lowerPrioGarp !== null && (d === null || t.lowerPrioGarp < d)) d = t.lowerPrioGarp;
    if (d !== this.s.deadline) {
      this.s.deadline = d as Us | null;
      this.out.push({ kind: 'setDeadline', at: d as Us | null });
    }
    return { state: this.s, actions: this.out };
  }
}

/**
 * Advances one instance by one event at monotonic time `now` (microseconds). Never throws for
 * any event; never reads a clock.
 */
export function step(cfg: InstanceConfig, state: InstanceState, event: VrrpEvent, now: Us, ctx?: StepContext): StepResult {
  const work: Work = { ...state, timers: { ...state.timers } };
  const m = new Machine(cfg, work, now, ctx);
  // A timer that is already due fires before the event is handled (the runtime may deliver a
  // packet that raced its deadline).
  if (work.state !== 'STOP') m.fireDue();
  switch (event.kind) {
    case 'startup':
      m.startup();
      break;
    case 'shutdown':
      m.shutdown();
      break;
    case 'deadline':
      break; // fireDue above did the work
    case 'advertReceived':
      m.receive(event.advert, event.meta, event.rawCheck);
      break;
    case 'priorityChanged':
      if (Number.isInteger(event.priority) && event.priority >= 1 && event.priority <= 255) {
        work.basePriority = event.priority;
        m.retrack('priority-changed');
      }
      break;
    case 'trackerChanged': {
      const report = event.tracker.type === 'file' ? { value: event.value } : { ok: event.ok };
      work.track = updateTracker(cfg.trackers, work.track, event.tracker.type, event.tracker.name, report);
      m.retrack(`tracker-${event.tracker.type}:${event.tracker.name}`);
      break;
    }
    case 'interfaceChanged':
      work.track = updateTracker(cfg.trackers, work.track, 'interface', event.ifname, { up: event.up });
      m.retrack(`interface:${event.ifname}`);
      break;
    case 'faultChanged': {
      const has = work.externalFaults.includes(event.source);
      if (event.fault && !has) work.externalFaults = [...work.externalFaults, event.source];
      else if (!event.fault && has) work.externalFaults = work.externalFaults.filter((f) => f !== event.source);
      m.retrack(`fault:${event.source}`);
      break;
    }
    case 'syncForce':
      m.syncForce(event.to, event.reason);
      break;
    default: {
      const never: never = event;
      void never;
    }
  }
  return m.finish();
}

/**
 * The notify actions of one state change, in keepalived's order (4.2): the state-specific
 * script, the generic `notify` with INSTANCE|GROUP name STATE priority, the FIFO line. Shared by
 * instances and sync groups (groups pass priority 0 and never configure `deleted`).
 */
export function stateNotifyActions(n: NotifyConfig, kind: 'INSTANCE' | 'GROUP', name: string, state: NotifyState, priority: number): VrrpAction[] {
  const out: VrrpAction[] = [];
  const script = state === 'MASTER' ? n.master : state === 'BACKUP' ? n.backup : state === 'FAULT' ? n.fault : state === 'STOP' ? n.stop : n.deleted;
  const prio = String(priority);
  if (script) out.push({ kind: 'notify', channel: 'script', command: script });
  if (n.generic) out.push({ kind: 'notify', channel: 'generic', command: n.generic, args: [kind, name, state, prio] });
  if (n.fifo) out.push({ kind: 'notify', channel: 'fifo', line: `${kind} "${name}" ${state} ${prio}` });
  return out;
}

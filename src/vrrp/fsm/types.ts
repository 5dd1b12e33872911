// Events, actions and state of the pure VRRP state machine (DESIGN.md 3.1).
// Every event and action is a tagged union member (`kind`) that serialises to one JSON line, so
// a conformance case can be written and compared as plain data.
import type { IpAddress } from '../../lib/ip.js';
import type { Centiseconds, Us } from '../../lib/units.js';
import type { AdvertMeta, VrrpAdvert } from '../packet/types.js';
import type { TrackingState } from '../tracking.js';

/** RFC 5798 6.4 states, plus keepalived's STOP pseudo-state (include/vrrp.h). */
export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/**
 * Faults the codec or socket layer detected before a VrrpAdvert existed (or that only the raw
 * bytes show). They are ordered into keepalived's validation sequence by validate.ts.
 */
export interface RawCheck {
  /** IPv4: an IPsec AH header preceded the VRRP header. */
  readonly ahPresent?: boolean;
  /** Length inconsistent with naddr/version (keepalived "too short/long"). */
  readonly lengthError?: boolean;
  /** VRRP version field is not one this family can carry (2 over IPv6, or neither 2 nor 3). */
  readonly versionError?: boolean;
  /** VRRP type field was not 1 (ADVERTISEMENT). */
  readonly typeError?: boolean;
  /** IPv4 VRRP checksum failed. */
  readonly checksumError?: boolean;
  /** The packet could not be decoded at all; the reason is counted as given. */
  readonly decodeError?: string;
}

/** A tracker whose result the runtime reports as an event (interfaces come as link events). */
export interface TrackerRef {
  readonly type: 'script' | 'file' | 'process';
  readonly name: string;
}

export type VrrpEvent =
  | { readonly kind: 'startup' }
  | { readonly kind: 'shutdown' }
  | {
      readonly kind: 'advertReceived';
      /** Absent when the codec could not decode the packet (then rawCheck.decodeError says why). */
      readonly advert?: VrrpAdvert;
      readonly meta: AdvertMeta;
      readonly rawCheck?: RawCheck;
    }
  /** The single deadline the runtime was last asked for (setDeadline) has passed. */
  | { readonly kind: 'deadline' }
  /** Base priority changed (reload, admin command); trackers still apply on top. */
  | { readonly kind: 'priorityChanged'; readonly priority: number }
  /**
   * A tracked object reported a result. script/process: `ok` is one run's result (rise/fall are
   * applied here); file: `value` is the integer read from the file.
   */
  | { readonly kind: 'trackerChanged'; readonly tracker: TrackerRef; readonly ok?: boolean; readonly value?: number }
  /** External fault source (missing source address, duplicate VRID, config error...). */
  | { readonly kind: 'faultChanged'; readonly source: string; readonly fault: boolean }
  /** Link state of an interface (the instance's own, a track_interface, or a VIP's dev). */
  | { readonly kind: 'interfaceChanged'; readonly ifname: string; readonly up: boolean }
  /**
   * Sync-group forcing (keepalived vrrp_sync.c): produced by sync-group.ts, never by the
   * runtime. `to` is the state the group moves this member to.
   */
  | { readonly kind: 'syncForce'; readonly to: 'MASTER' | 'BACKUP' | 'FAULT' | 'LEAVE_FAULT' | 'REGROUP_BACKUP'; readonly reason: string };

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

export type VrrpAction =
  /** One advertisement (to the multicast group or to every unicast peer). priority 0 = leaving. */
  | { readonly kind: 'sendAdvert'; readonly priority: number }
  /** `count` rounds of GARP / unsolicited NA; each round covers every address, in order. */
  | { readonly kind: 'sendGratuitous'; readonly count: number; readonly addresses: readonly IpAddress[]; readonly reason: 'master' | 'master-delay' | 'refresh' | 'lower-prio' | 'lower-prio-delay' }
  | { readonly kind: 'addVips'; readonly addresses: readonly IpAddress[] }
  /** `force`: remove even though we did not add them in this run (start-up clean-up). */
  | { readonly kind: 'removeVips'; readonly addresses: readonly IpAddress[]; readonly force?: boolean }
  /** The runtime keeps one timer per instance: replace it (`at` null = cancel). */
  | { readonly kind: 'setDeadline'; readonly at: Us | null }
  | { readonly kind: 'transition'; readonly from: VrrpState; readonly to: VrrpState; readonly reason: string }
  /**
   * What keepalived would run, in its order (4.2): `script` = the state-specific notify_* command
   * (no extra args), `generic` = `notify` with INSTANCE|GROUP name STATE prio appended, `fifo`
   * = the notify_fifo line (without the trailing newline).
   */
  | { readonly kind: 'notify'; readonly channel: 'script'; readonly command: string }
  | { readonly kind: 'notify'; readonly channel: 'generic'; readonly command: string; readonly args: readonly string[] }
  | { readonly kind: 'notify'; readonly channel: 'fifo'; readonly line: string }
  /**
   * A received packet failed a check (dropped), raised a logged-only warning, or was valid but
   * its answer was rate-limited (a SuppressReason, never `dropped`).
   */
  | { readonly kind: 'countError'; readonly reason: DropReason | SuppressReason; readonly dropped: boolean };

/**
 * Answers a MASTER held back so that a flood of valid adverts is never amplified: the advert
 * answering a lower-priority (or priority-0) advert at most once per advert interval, the
 * garp_lower_prio_repeat burst at most once per garp_lower_prio_delay, the master_rx_lower_pri
 * notify at most once per advert interval.
 */
export type SuppressReason = 'answer-suppressed' | 'lower-prio-garp-suppressed' | 'lower-prio-notify-suppressed';

/** Stable counter names, one per keepalived receive check (3.3). */
export type DropReason =
  | 'decode'
  | 'auth-type-mismatch'
  | 'length'
  | 'ttl'
  | 'version'
  | 'auth-pass-mismatch'
  | 'advert-interval'
  | 'type'
  | 'advert-interval-v3'
  | 'checksum'
  | 'multicast-dst'
  | 'owner-ignore'
  | 'address-list'
  | 'unicast-src'
  | 'vrid'
  | 'own-address';

/** Internal timers folded into the instance's one deadline. Times are monotonic microseconds. */
export interface FsmTimers {
  /** INIT (owner start), BACKUP: Master_Down timer; MASTER: next advertisement. */
  readonly main: Us | null;
  /** Second GARP burst after becoming master (garp_master_delay). */
  readonly garpDelay: Us | null;
  /** Second GARP burst after a lower-priority advert (garp_lower_prio_delay). */
  readonly lowerPrioGarp: Us | null;
}

export interface InstanceState {
  readonly state: VrrpState;
  /** Configured priority, possibly changed by priorityChanged / the two-owners workaround. */
  readonly basePriority: number;
  /** Priority after trackers, 1..254 (255 only for the owner). */
  readonly effectivePriority: number;
  readonly track: TrackingState;
  /** Names of active external fault sources (faultChanged). */
  readonly externalFaults: readonly string[];
  /** keepalived wantstate == MASTER (sync groups only move when every member wants MASTER). */
  readonly wantMaster: boolean;
  /** RFC 5798 Master_Adver_Interval (v3 backups adopt the master's). */
  readonly masterAdverInt: Centiseconds;
  /** keepalived ms_down_timer: what the down timer was last armed with, in microseconds. */
  readonly msDownTimer: Us;
  readonly timers: FsmTimers;
  /** Next periodic GARP refresh (checked when an advert is sent, as keepalived does). */
  readonly garpRefreshAt: Us | null;
  /** preempt_delay: time until which lower-priority masters are still accepted. */
  readonly preemptTime: Us | null;
  /** Source address of the last accepted master. */
  readonly masterIp: IpAddress | null;
  /** Last deadline handed to the runtime. */
  readonly deadline: Us | null;
  /** VIPs currently installed by us (keepalived vipset). */
  readonly vipsSet: boolean;
  /**
   * Started, but still INIT waiting for the first result of a weight-0 script (keepalived
   * num_script_init): no state line, no notify, nothing sent until it reports.
   */
  readonly initPending: boolean;
  /** MASTER: when an advert last answered a received one (lower priority or priority 0). */
  readonly lastAnswerAt: Us | null;
  /** MASTER: when the last garp_lower_prio_repeat burst went out in answer to an advert. */
  readonly lowerPrioGarpAt: Us | null;
  /** MASTER: when master_rx_lower_pri last ran. */
  readonly lowerPrioNotifyAt: Us | null;
}

export interface StepResult {
  readonly state: InstanceState;
  readonly actions: readonly VrrpAction[];
}

/** Context a sync group passes to a member's step (keepalived vrrp_sync_can_goto_master). */
export interface StepContext {
  /** False while some other member of the instance's sync group does not want MASTER. */
  readonly canGotoMaster?: boolean;
  /**
   * True while another member of the instance's sync group has a weight-0 script that has not
   * reported (keepalived sync->num_member_init): the whole group waits silently at start-up.
   */
  readonly groupPending?: boolean;
}

// Per-instance VRRP counters for the signal dumps (USR2 stats file, JSON dump), with keepalived's
// counter names (vrrp/vrrp_data.c vrrp_print_stats). Fed by the runtime's observers, so the
// runtime itself keeps no statistics; STATS_CLEAR (SIGRTMAX-1) zeroes them after printing.
import type { VrrpAction, VrrpEvent } from '../vrrp/fsm/types.js';
import type { VrrpRuntime } from '../vrrp/runtime/vrrp-runtime.js';

export interface VrrpCounters {
  advert_rcvd: number;
  advert_sent: number;
  become_master: number;
  release_master: number;
  packet_len_err: number;
  advert_interval_err: number;
  ip_ttl_err: number;
  invalid_type_rcvd: number;
  addr_list_err: number;
  invalid_authtype: number;
  authtype_mismatch: number;
  auth_failure: number;
  pri_zero_rcvd: number;
  pri_zero_sent: number;
  /** Ours: dropped or flagged adverts by reason (our DropReason names), everything counted. */
  errors: Record<string, number>;
}

export function zeroCounters(): VrrpCounters {
  return {
    advert_rcvd: 0,
    advert_sent: 0,
    become_master: 0,
    release_master: 0,
    packet_len_err: 0,
    advert_interval_err: 0,
    ip_ttl_err: 0,
    invalid_type_rcvd: 0,
    addr_list_err: 0,
    invalid_authtype: 0,
    authtype_mismatch: 0,
    auth_failure: 0,
    pri_zero_rcvd: 0,
    pri_zero_sent: 0,
    errors: {},
  };
}

/** Which keepalived counter one of our drop reasons adds to (others only appear in `errors`). */
const REASON_COUNTER: Readonly<Record<string, keyof Omit<VrrpCounters, 'errors'>>> = {
  length: 'packet_len_err',
  'advert-interval': 'advert_interval_err',
  'advert-interval-v3': 'advert_interval_err',
  ttl: 'ip_ttl_err',
  type: 'invalid_type_rcvd',
  'address-list': 'addr_list_err',
  'auth-type-mismatch': 'authtype_mismatch',
  'auth-pass-mismatch': 'auth_failure',
};

export class VrrpStats {
  private readonly byInstance = new Map<string, VrrpCounters>();
  /** Wall-clock seconds of each instance's last state change (not cleared by STATS_CLEAR). */
  readonly lastTransition = new Map<string, number>();
  /** Each instance's last state change with its reason (status output; not cleared by STATS_CLEAR). */
  readonly lastChange = new Map<string, { readonly at: number; readonly from: string; readonly to: string; readonly reason: string }>();
  /** State changes per instance and new state since start (metrics; not cleared by STATS_CLEAR). */
  readonly transitions = new Map<string, Record<string, number>>();

  constructor(private readonly wallSeconds: () => number = () => Date.now() / 1000) {}

  /** Counts one delivered event (received adverts). */
  event(instance: string, e: VrrpEvent): void {
    if (e.kind !== 'advertReceived') return;
    const c = this.get(instance);
    c.advert_rcvd++;
    if (e.advert?.priority === 0) c.pri_zero_rcvd++;
  }

  /** Counts one action the FSM asked for (adverts sent, transitions, errors). */
  action(instance: string, a: VrrpAction): void {
    const c = this.get(instance);
    switch (a.kind) {
      case 'sendAdvert':
        c.advert_sent++;
        if (a.priority === 0) c.pri_zero_sent++;
        return;
      case 'transition':
        this.lastTransition.set(instance, this.wallSeconds());
        this.lastChange.set(instance, { at: this.wallSeconds(), from: a.from, to: a.to, reason: a.reason });
        {
          const t = this.transitions.get(instance) ?? {};
          t[a.to] = (t[a.to] ?? 0) + 1;
          this.transitions.set(instance, t);
        }
        if (a.to === 'MASTER') c.become_master++;
        else if (a.from === 'MASTER') c.release_master++;
        return;
      case 'countError': {
        const k = REASON_COUNTER[a.reason];
        if (k) c[k]++;
        c.errors[a.reason] = (c.errors[a.reason] ?? 0) + 1;
        return;
      }
      default:
        return;
    }
  }

  get(instance: string): VrrpCounters {
    let c = this.byInstance.get(instance);
    if (!c) this.byInstance.set(instance, (c = zeroCounters()));
    return c;
  }

  clear(): void {
    this.byInstance.clear();
  }

  /** Wires the collector to a runtime. */
  static attach(runtime: VrrpRuntime): VrrpStats {
    const s = new VrrpStats();
    runtime.observeEvents((instance, e) => s.event(instance, e));
    runtime.observe(({ instance, action }) => s.action(instance, action));
    return s;
  }
}

// What the VRRP subsystem reports of each instance (its status() through the subsystem contract):
// the runtime's state, the effective priority explained tracker by tracker, the VIPs configured
// and which are installed, the last state change with its reason, and the counters. Pure: built
// from the wired specs, the runtime's snapshot and the counters.
import { maxPrefix, type IpAddress } from '../lib/ip.js';
import { trackerEffect, type TrackerStatus } from '../vrrp/tracking.js';
import type { InstanceStatus, RuntimeInstanceSpec } from '../vrrp/runtime/vrrp-runtime.js';
import type { VrrpStats } from './vrrp-stats.js';

/** One tracker's part in the effective priority. */
export interface TrackerReport {
  readonly type: 'script' | 'process' | 'interface' | 'file';
  readonly name: string;
  readonly weight: number;
  readonly reverse: boolean;
  /** `ok`, `failed`, `init` (scripts/processes), `up`/`down` (interfaces), the value read (files). */
  readonly status: string;
  /** What it does now: a priority change (0 when none), `fault` or `pending` (weight 0, not reported yet). */
  readonly effect: number | 'fault' | 'pending';
}

/** An instance's advert and role counters (zeroed by STATS_CLEAR), as status and metrics report them. */
export interface InstanceCounters {
  readonly advertsSent: number;
  readonly advertsReceived: number;
  readonly becameMaster: number;
  readonly releasedMaster: number;
  readonly priorityZeroSent: number;
  readonly priorityZeroReceived: number;
}

export interface InstanceReport extends InstanceStatus {
  readonly interface: string;
  readonly vrid: number;
  readonly version: number;
  readonly family: string;
  readonly vips: readonly { readonly address: string; readonly installed: boolean }[];
  readonly trackerEffects: readonly TrackerReport[];
  /** Wall time (ms since the epoch), previous and new state and the FSM's reason. */
  readonly lastTransition: { readonly at: number; readonly from: string; readonly to: string; readonly reason: string } | null;
  readonly counters: InstanceCounters;
  /** State changes since start, by the state entered. */
  readonly transitions: Readonly<Record<string, number>>;
}

function trackerStatusText(s: TrackerStatus): string {
  switch (s.type) {
    case 'script':
    case 'process':
      return s.status;
    case 'interface':
      return s.up ? 'up' : 'down';
    case 'file':
      return String(s.value);
  }
}

function withPrefix(spec: RuntimeInstanceSpec, vip: IpAddress): string {
  return `${vip.text}/${spec.addresses.get(vip.text)?.prefixLength ?? maxPrefix(vip.family)}`;
}

export function instanceReports(specs: readonly RuntimeInstanceSpec[], statuses: readonly InstanceStatus[], stats: VrrpStats | undefined): InstanceReport[] {
  const byName = new Map(specs.map((s) => [s.cfg.name, s]));
  return statuses.flatMap((st): InstanceReport[] => {
    const spec = byName.get(st.name);
    if (!spec) return [];
    const { cfg } = spec;
    const installed = new Set(st.vipsInstalled);
    const c = stats?.get(st.name);
    const last = stats?.lastChange.get(st.name);
    return [
      {
        ...st,
        interface: spec.ifname,
        vrid: cfg.vrid,
        version: cfg.version,
        family: cfg.family,
        vips: [...cfg.vips, ...cfg.evips].map((a) => ({ address: withPrefix(spec, a), installed: installed.has(a.text) })),
        trackerEffects: (st.trackers ?? []).map(({ config, status }) => {
          const e = trackerEffect(config, status);
          return {
            type: config.type,
            name: config.name,
            weight: config.weight,
            reverse: config.reverse,
            status: trackerStatusText(status),
            effect: e.kind === 'delta' ? e.delta : e.kind,
          };
        }),
        lastTransition: last ? { at: Math.round(last.at * 1000), from: last.from, to: last.to, reason: last.reason } : null,
        counters: {
          advertsSent: c?.advert_sent ?? 0,
          advertsReceived: c?.advert_rcvd ?? 0,
          becameMaster: c?.become_master ?? 0,
          releasedMaster: c?.release_master ?? 0,
          priorityZeroSent: c?.pri_zero_sent ?? 0,
          priorityZeroReceived: c?.pri_zero_rcvd ?? 0,
        },
        transitions: { ...(stats?.transitions.get(st.name) ?? {}) },
      },
    ];
  });
}

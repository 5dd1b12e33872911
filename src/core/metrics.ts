// Prometheus metrics in the plain text exposition format (version 0.0.4), rendered from the same
// status document the control socket serves (control-status.ts) plus what only the daemon knows
// (reloads by outcome, event-loop lag). Pure: metrics-server.ts does the HTTP.
//
// The advert counters follow the stats dump's (vrrp-stats.ts): STATS_CLEAR zeroes them, which
// Prometheus reads as a counter reset. Transitions, drops and reloads count from the start.
import type { StatusDocument, StatusInstance } from './control-status.js';

export interface LoopLag {
  /** Seconds: median, 99th percentile and maximum over the window since the last scrape. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface MetricsInput {
  readonly status: StatusDocument;
  /** Reloads since start, by outcome (applied, unchanged, rejected). */
  readonly reloads: Readonly<Record<string, number>>;
  readonly loopLag?: LoopLag;
}

const STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP'] as const;

/** A label value escaped as the exposition format wants it (backslash, quote, newline). */
function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Readonly<Record<string, string>>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
}

/** One sample: its labels and value. */
type Sample = readonly [Readonly<Record<string, string>>, number];

/** A family with samples for each VRRP instance; every sample is labelled with its instance first. */
interface InstanceFamily {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  /** One instance's samples, with the labels after `instance`. */
  readonly samples: (i: StatusInstance) => readonly Sample[];
}

/** The per-instance VRRP families, in the order they are written. */
const INSTANCE_FAMILIES: readonly InstanceFamily[] = [
  { name: 'vrrp_state', type: 'gauge', help: 'VRRP instance state: 1 for the state it is in, 0 for the others.', samples: (i) => STATES.map((s) => [{ state: s }, i.state === s ? 1 : 0]) },
  { name: 'vrrp_priority_effective', type: 'gauge', help: 'Effective priority (after trackers).', samples: (i) => [[{}, i.priority.effective]] },
  { name: 'vrrp_priority_base', type: 'gauge', help: 'Configured priority.', samples: (i) => [[{}, i.priority.base]] },
  {
    name: 'vrrp_tracker_effect',
    type: 'gauge',
    help: 'What each tracker adds to the priority now (0 when nothing; faults count in vrrp_tracker_fault).',
    samples: (i) => i.priority.trackers.map((t) => [{ type: t.type, tracker: t.name }, typeof t.effect === 'number' ? t.effect : 0]),
  },
  { name: 'vrrp_tracker_fault', type: 'gauge', help: '1 while the tracker holds its instance in FAULT.', samples: (i) => i.priority.trackers.map((t) => [{ type: t.type, tracker: t.name }, t.effect === 'fault' ? 1 : 0]) },
  { name: 'vrrp_transitions_total', type: 'counter', help: 'State changes since start, by the state entered.', samples: (i) => Object.entries(i.transitions).map(([to, n]) => [{ to }, n]) },
  { name: 'vrrp_adverts_sent_total', type: 'counter', help: 'Advertisements sent (zeroed by STATS_CLEAR).', samples: (i) => [[{}, i.counters.advertsSent]] },
  { name: 'vrrp_adverts_received_total', type: 'counter', help: 'Advertisements received (zeroed by STATS_CLEAR).', samples: (i) => [[{}, i.counters.advertsReceived]] },
  { name: 'vrrp_drops_total', type: 'counter', help: 'Received packets dropped or flagged, and send errors, by reason.', samples: (i) => Object.entries(i.drops).map(([reason, n]) => [{ reason }, n]) },
  { name: 'vrrp_vip_installed', type: 'gauge', help: '1 when the virtual address is installed on this node.', samples: (i) => i.vips.map((v) => [{ address: v.address }, v.installed ? 1 : 0]) },
];

class Writer {
  private readonly lines: string[] = [];
  family(name: string, type: 'gauge' | 'counter', help: string, samples: readonly Sample[]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) this.lines.push(`${name}${labels(l)} ${num(v)}`);
  }
  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

export function renderMetrics(m: MetricsInput): string {
  const w = new Writer();
  const P = 'keepalived_ts_';
  const d = m.status;
  w.family(`${P}info`, 'gauge', 'Daemon version and the keepalived version it follows.', [[{ version: d.daemon.version, compat_version: d.daemon.compatVersion }, 1]]);
  w.family(`${P}uptime_seconds`, 'gauge', 'Seconds since the daemon started.', [[{}, d.daemon.uptimeSeconds]]);
  const inst = d.vrrp?.instances ?? [];
  for (const f of INSTANCE_FAMILIES) w.family(`${P}${f.name}`, f.type, f.help, inst.flatMap((i) => f.samples(i).map(([l, v]) => [{ instance: i.name, ...l }, v] as const)));
  const vss = d.ipvs?.virtualServers ?? [];
  w.family(`${P}ipvs_available`, 'gauge', '1 when the kernel IPVS table is managed (0: unavailable or stopped).', d.ipvs ? [[{ state: d.ipvs.state }, d.ipvs.state === 'active' ? 1 : 0]] : []);
  w.family(`${P}virtual_server_quorum_up`, 'gauge', '1 while the virtual server has its quorum.', vss.map((v) => [{ virtual_server: v.name }, v.quorumUp ? 1 : 0] as const));
  const reals = vss.flatMap((v) => v.realServers.map((r) => ({ v, r, l: { virtual_server: v.name, real_server: r.name } })));
  w.family(`${P}real_server_up`, 'gauge', '1 while every checker of the real server reports success.', reals.map(({ r, l }) => [l, r.up ? 1 : 0] as const));
  w.family(`${P}real_server_weight`, 'gauge', 'Weight the real server has (or would have) in the IPVS table.', reals.map(({ r, l }) => [l, r.weight] as const));
  w.family(
    `${P}check_latency_seconds`,
    'gauge',
    'Duration of the last health check probe.',
    reals.filter(({ r }) => r.lastLatencyMs !== null).map(({ r, l }) => [l, (r.lastLatencyMs ?? 0) / 1000] as const),
  );
  w.family(
    `${P}check_last_result`,
    'gauge',
    'The last health check result in words (the label); always 1.',
    reals.filter(({ r }) => r.lastResult !== null).map(({ r, l }) => [{ ...l, result: r.lastResult ?? '' }, 1] as const),
  );
  w.family(
    `${P}reloads_total`,
    'counter',
    'Configuration reloads since start, by outcome.',
    ['applied', 'unchanged', 'rejected'].map((o) => [{ outcome: o }, m.reloads[o] ?? 0] as const),
  );
  if (m.loopLag) {
    const lag = m.loopLag;
    w.family(`${P}event_loop_lag_seconds`, 'gauge', 'Event-loop delay over the window since the previous scrape (perf_hooks monitorEventLoopDelay).', [
      [{ quantile: '0.5' }, lag.p50],
      [{ quantile: '0.99' }, lag.p99],
      [{ quantile: '1' }, lag.max],
    ]);
  }
  return w.text();
}

// The status document the control socket answers `status` with (schema 1, docs/control-socket.md).
// Built from the subsystems' status() (the contract in subsystem.ts) by naming every field
// explicitly, so the document stays stable when a subsystem's internal snapshot changes shape.
// Pure.
import type { LvsStatus } from './lvs-subsystem.js';
import type { VrrpStatus } from './vrrp-subsystem.js';
import type { InstanceCounters } from './vrrp-status.js';

export const STATUS_SCHEMA = 1;

export interface DaemonFacts {
  readonly pid: number;
  readonly version: string;
  readonly compatVersion: string;
  readonly configFile: string;
  readonly configId: string;
  /** Wall time of the start (ms since the epoch). */
  readonly startedAt: number;
  /** Wall time now (ms since the epoch). */
  readonly now: number;
}

export interface StatusTracker {
  readonly type: string;
  readonly name: string;
  readonly weight: number;
  readonly reverse: boolean;
  readonly status: string;
  readonly effect: number | 'fault' | 'pending';
}

export interface StatusInstance {
  readonly name: string;
  readonly state: string;
  readonly interface: string;
  readonly vrid: number;
  readonly version: number;
  readonly family: string;
  readonly priority: {
    readonly base: number;
    readonly effective: number;
    readonly trackers: readonly StatusTracker[];
    /** What holds the instance in FAULT now (`script:chk`, `interface:eth1`, `sync-group`); empty when nothing. */
    readonly faults: readonly string[];
  };
  readonly master: string | null;
  readonly vips: readonly { readonly address: string; readonly installed: boolean }[];
  readonly lastTransition: { readonly at: string; readonly from: string; readonly to: string; readonly reason: string } | null;
  readonly transitions: Readonly<Record<string, number>>;
  readonly counters: InstanceCounters;
  readonly drops: Readonly<Record<string, number>>;
}

export interface StatusRealServer {
  readonly name: string;
  readonly up: boolean;
  readonly weight: number;
  readonly pool: string;
  readonly checkersUp: number | null;
  readonly checkers: number | null;
  readonly lastResult: string | null;
  readonly lastLatencyMs: number | null;
}

export interface StatusVirtualServer {
  readonly name: string;
  readonly quorumUp: boolean;
  readonly inTable: boolean;
  readonly sorryServer: { readonly name: string; readonly active: boolean } | null;
  readonly realServers: readonly StatusRealServer[];
}

export interface StatusDocument {
  readonly schema: number;
  readonly daemon: {
    readonly pid: number;
    readonly version: string;
    readonly compatVersion: string;
    readonly configFile: string;
    readonly configId: string;
    readonly startedAt: string;
    readonly uptimeSeconds: number;
  };
  /** null when the VRRP side does not run (-C, or nothing to run). */
  readonly vrrp: { readonly instances: readonly StatusInstance[] } | null;
  /** null when the LVS side does not run (-P, or no virtual_server). */
  readonly ipvs: {
    readonly state: string;
    readonly error: string | null;
    readonly virtualServers: readonly StatusVirtualServer[];
    /** The IPVS manager's counters since start; null when no manager runs (no IPVS in the kernel). */
    readonly stats: StatusIpvsStats | null;
  } | null;
}

export interface StatusIpvsStats {
  readonly passes: number;
  readonly opsApplied: number;
  readonly opsRefused: number;
  readonly repairs: number;
  readonly dumps: number;
  readonly dumpErrors: number;
}

export function statusDocument(facts: DaemonFacts, subsystems: { readonly vrrp?: VrrpStatus; readonly ipvs?: LvsStatus }): StatusDocument {
  const { vrrp, ipvs } = subsystems;
  return {
    schema: STATUS_SCHEMA,
    daemon: {
      pid: facts.pid,
      version: facts.version,
      compatVersion: facts.compatVersion,
      configFile: facts.configFile,
      configId: facts.configId,
      startedAt: new Date(facts.startedAt).toISOString(),
      uptimeSeconds: Math.max(0, Math.round((facts.now - facts.startedAt) / 1000)),
    },
    vrrp: vrrp
      ? {
          instances: vrrp.instances.map(
            (i): StatusInstance => ({
              name: i.name,
              state: i.state,
              interface: i.interface,
              vrid: i.vrid,
              version: i.version,
              family: i.family,
              priority: {
                base: i.priority,
                effective: i.effectivePriority,
                trackers: i.trackerEffects.map((t) => ({ type: t.type, name: t.name, weight: t.weight, reverse: t.reverse, status: t.status, effect: t.effect })),
                faults: [...i.trackerEffects.filter((t) => t.effect === 'fault').map((t) => `${t.type}:${t.name}`), ...(i.externalFaults ?? [])],
              },
              master: i.master,
              vips: i.vips.map((v) => ({ address: v.address, installed: v.installed })),
              lastTransition: i.lastTransition ? { at: new Date(i.lastTransition.at).toISOString(), from: i.lastTransition.from, to: i.lastTransition.to, reason: i.lastTransition.reason } : null,
              transitions: { ...i.transitions },
              counters: { ...i.counters },
              drops: { ...i.errors },
            }),
          ),
        }
      : null,
    ipvs: ipvs
      ? {
          state: ipvs.ipvs,
          error: ipvs.error ?? null,
          virtualServers: ipvs.virtualServers.map(
            (v): StatusVirtualServer => ({
              name: v.label,
              quorumUp: v.quorumUp,
              inTable: !v.suspended,
              sorryServer: v.sorry ? { name: v.sorry.label, active: v.sorry.active } : null,
              realServers: v.realServers.map((r) => ({
                name: r.label,
                up: r.alive,
                weight: r.weight,
                pool: r.pool,
                checkersUp: r.checkersUp ?? null,
                checkers: r.checkers ?? null,
                lastResult: r.lastResult ?? null,
                lastLatencyMs: r.lastLatencyMs ?? null,
              })),
            }),
          ),
          stats: ipvs.stats
            ? { passes: ipvs.stats.passes, opsApplied: ipvs.stats.opsApplied, opsRefused: ipvs.stats.opsRefused, repairs: ipvs.stats.repairs, dumps: ipvs.stats.dumps, dumpErrors: ipvs.stats.dumpErrors }
            : null,
        }
      : null,
  };
}

/** "150 base, chk_flag (script, weight -60) failed: -60 -> 90": the effective priority in words. */
export function priorityWhy(p: StatusInstance['priority']): string {
  const parts = [`base ${p.base}`];
  for (const t of p.trackers) {
    if (t.effect === 0) continue;
    const what = `${t.type} ${t.name} ${t.status}`;
    parts.push(typeof t.effect === 'number' ? `${what} ${t.effect > 0 ? '+' : ''}${t.effect}` : `${what}: ${t.effect}`);
  }
  return parts.length === 1 ? `base ${p.base}` : parts.join(', ');
}

/** The human table `keepalived-ts status` prints. */
export function formatStatusText(d: StatusDocument): string {
  const out: string[] = [`keepalived-ts ${d.daemon.version} (keepalived ${d.daemon.compatVersion} compatible), pid ${d.daemon.pid}, up ${d.daemon.uptimeSeconds} s, config ${d.daemon.configFile}`];
  if (d.vrrp) {
    out.push('', 'VRRP instances:');
    if (d.vrrp.instances.length === 0) out.push('  (none)');
    const rows = d.vrrp.instances.map((i) => [i.name, i.state, `${i.interface}/${i.vrid}`, String(i.priority.effective), i.master ?? '-', `${i.counters.advertsSent}/${i.counters.advertsReceived}`]);
    if (rows.length > 0) out.push(...table(['INSTANCE', 'STATE', 'IF/VRID', 'PRIO', 'MASTER', 'SENT/RCVD'], rows));
    for (const i of d.vrrp.instances) {
      out.push(`  ${i.name}:`);
      out.push(`    priority ${i.priority.effective}: ${priorityWhy(i.priority)}${i.priority.faults.length > 0 ? `; fault: ${i.priority.faults.join(', ')}` : ''}`);
      out.push(`    vips: ${i.vips.map((v) => `${v.address}${v.installed ? ' (installed)' : ''}`).join(', ') || '-'}`);
      if (i.lastTransition) out.push(`    last transition: ${i.lastTransition.from} -> ${i.lastTransition.to} at ${i.lastTransition.at} (${i.lastTransition.reason})`);
      const drops = Object.entries(i.drops);
      if (drops.length > 0) out.push(`    drops: ${drops.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    }
  }
  if (d.ipvs) {
    out.push('', `Virtual servers (IPVS ${d.ipvs.state}${d.ipvs.error ? `: ${d.ipvs.error}` : ''}):`);
    if (d.ipvs.virtualServers.length === 0) out.push('  (none)');
    for (const v of d.ipvs.virtualServers) {
      out.push(`  ${v.name}  quorum ${v.quorumUp ? 'up' : 'down'}${v.inTable ? '' : ', not in table (ha_suspend)'}${v.sorryServer ? `, sorry server ${v.sorryServer.name}${v.sorryServer.active ? ' (active)' : ''}` : ''}`);
      const rows = v.realServers.map((r) => [
        r.name,
        r.up ? 'up' : 'down',
        String(r.weight),
        r.checkers !== null ? `${r.checkersUp}/${r.checkers}` : '-',
        r.lastResult ?? '-',
        r.lastLatencyMs !== null ? `${r.lastLatencyMs.toFixed(1)} ms` : '-',
      ]);
      if (rows.length > 0) out.push(...table(['REAL SERVER', 'HEALTH', 'WEIGHT', 'CHECKS', 'LAST RESULT', 'LATENCY'], rows).map((l) => `  ${l}`));
    }
  }
  return out.join('\n') + '\n';
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const w = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (r: readonly string[]) => '  ' + r.map((c, k) => c.padEnd(w[k])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

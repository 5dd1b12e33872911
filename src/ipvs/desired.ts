// The IPVS table we want, as a pure function (DESIGN.md section 6): the configured virtual
// servers + what the checkers report + what this node holds (ha_suspend) + what we decided last
// time (quorum state, each real server's alive/weight) -> the entries, the per-server view for
// status and logs, and the events of this step (real server up/down, weight, quorum).
//
// keepalived 2.2.7 is the reference for every rule (keepalived/check/ipwrapper.c, ipvswrapper.c,
// check_data.c; fact sheet keepalived-behaviour.md 5.2-5.3):
//  * a real server is alive when none of its checkers has failed; one without health reported yet
//    starts alive unless a checker is in alpha mode (init_service_rs);
//  * a dead real server leaves the pool, or stays with weight 0 under inhibit_on_failure
//    (ipvs_cmd turns DEL_DEST into EDIT_DEST weight 0);
//  * quorum: the sum of the effective weights of alive real servers against quorum -/+ hysteresis
//    (update_quorum_state); with a sorry server and quorum lost, the alive real servers leave the
//    pool and the sorry server (weight 1) takes their place; sorry_server_inhibit keeps it in the
//    table with weight 0 while quorum holds;
//  * groups expand to one service per address of each range and one per fwmark (ipvs_group_cmd);
//  * a dest's port is the real server's under NAT and the service's otherwise (0 for a fwmark).
// ha_suspend: keepalived stops a virtual server's checkers while its address is not on the host
// (check_api.c update_checker_activity) and leaves the table as it is; here a suspended virtual
// server's real servers keep the alive/weight of the last step.
import type { RealServer, VirtualServer, VirtualServerGroup, VirtualServerGroupEntry } from '../config/model.js';
import { keepalivedRsPort, realServerKey, virtualServerId } from '../config/lvs-ids.js';
import { IpAddress } from '../lib/ip.js';
import type { IpvsDest, IpvsEntry, IpvsForward, IpvsService, IpvsServiceKey, IpvsTunnelType } from '../kernel/ipvs.js';
import { IPVS_SVC_FLAG, destKeyText, serviceKeyText } from '../kernel/ipvs.js';

/** What desired() needs of a checker report (RealServerHealth from src/check/health.ts fits). */
export interface RsHealth {
  readonly up: boolean;
  /** misc_dynamic / FILE_CHECK weight; the configured weight when absent. */
  readonly weight?: number;
}

export interface RealMemory {
  readonly alive: boolean;
  readonly weight: number;
}

/** What one step remembers for the next (JSON-serialisable through its entries). */
export interface DesiredMemory {
  /** virtualServerId -> quorum up. */
  readonly quorumUp: ReadonlyMap<string, boolean>;
  /** realServerKey -> alive and effective weight. */
  readonly reals: ReadonlyMap<string, RealMemory>;
}

export const EMPTY_MEMORY: DesiredMemory = { quorumUp: new Map(), reals: new Map() };

export interface DesiredInput {
  readonly virtualServers: readonly VirtualServer[];
  readonly groups: readonly VirtualServerGroup[];
  /** realServerKey -> health; a missing key means "not reported yet". */
  readonly health: ReadonlyMap<string, RsHealth>;
  /** Addresses this node holds now; undefined when not known (nothing is suspended). */
  readonly heldAddresses?: ReadonlySet<string>;
  readonly memory: DesiredMemory;
}

/** How a real server sits in the table. */
export type PoolState = 'active' | 'inhibited' | 'absent';

export interface DesiredReal {
  readonly key: string;
  /** keepalived's FMT_RS: `[192.0.2.10]:tcp:3306`. */
  readonly label: string;
  readonly alive: boolean;
  readonly weight: number;
  readonly pool: PoolState;
}

export interface DesiredVirtual {
  readonly id: string;
  /** keepalived's FMT_VS: `[192.0.2.1]:tcp:3306`, `FWM 5`, `[GROUP]:0`. */
  readonly label: string;
  readonly services: readonly IpvsServiceKey[];
  readonly quorumUp: boolean;
  readonly weightSum: number;
  readonly suspended: boolean;
  readonly sorry?: { readonly label: string; readonly active: boolean; readonly inhibit: boolean };
  readonly reals: readonly DesiredReal[];
}

interface QuorumFields {
  readonly vsId: string;
  readonly vs: string;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly threshold: number;
  readonly weightSum: number;
  /** The sorry server that enters or leaves the pool with this change. */
  readonly sorry?: { readonly rs: string; readonly inhibit: boolean };
}

/** What changed in one step, in keepalived's order (real server first, then quorum). */
export type LvsEvent =
  | { readonly kind: 'rsUp' | 'rsDown'; readonly vsId: string; readonly vs: string; readonly rsKey: string; readonly rs: string; readonly inhibit: boolean }
  | { readonly kind: 'rsWeight'; readonly vsId: string; readonly vs: string; readonly rsKey: string; readonly rs: string; readonly from: number; readonly to: number; readonly alive: boolean }
  | ({ readonly kind: 'quorumGained' } & QuorumFields)
  | ({ readonly kind: 'quorumLost'; readonly init: boolean } & QuorumFields);

export interface Desired {
  /** The table we want, services in configuration order. */
  readonly entries: readonly IpvsEntry[];
  readonly virtuals: readonly DesiredVirtual[];
  readonly events: readonly LvsEvent[];
  readonly memory: DesiredMemory;
}

/** keepalived's real_weight(): clamped to 0..INT32_MAX. */
const MAX_WEIGHT = 2147483647;
const clampWeight = (w: number): number => Math.max(0, Math.min(MAX_WEIGHT, Math.trunc(w)));

export function desired(input: DesiredInput): Desired {
  const entries = new Map<string, { service: IpvsService; dests: Map<string, IpvsDest> }>();
  const virtuals: DesiredVirtual[] = [];
  const events: LvsEvent[] = [];
  const quorumUp = new Map<string, boolean>();
  const reals = new Map<string, RealMemory>();
  const groups = new Map(input.groups.map((g) => [g.name, g]));

  for (const vs of input.virtualServers) {
    const id = virtualServerId(vs);
    const label = vsLabel(vs);
    const targets = serviceTargets(vs, groups);
    const suspended = vs.haSuspend && vs.target.kind === 'address' && input.heldAddresses !== undefined && !input.heldAddresses.has(vs.target.ip.text);

    // 1. Each real server's alive/weight, and its up/down/weight events.
    const rsState: { rs: RealServer; key: string; label: string; alive: boolean; weight: number }[] = [];
    for (const rs of vs.realServers) {
      const key = realServerKey(rs, vs);
      const before = input.memory.reals.get(key);
      let alive: boolean;
      let weight: number;
      if (suspended && before) {
        ({ alive, weight } = before);
      } else {
        const h = suspended ? undefined : input.health.get(key);
        alive = h ? h.up : !rs.checkers.some((c) => c.timing.alpha);
        weight = clampWeight(h?.weight ?? rs.weight);
      }
      const rsLabel = trio(rs.ip.text, protoText(vs), keepalivedRsPort(rs, vs));
      const inhibit = rs.inhibitOnFailure ?? vs.inhibitOnFailure;
      if (before) {
        if (before.alive !== alive) events.push({ kind: alive ? 'rsUp' : 'rsDown', vsId: id, vs: label, rsKey: key, rs: rsLabel, inhibit });
        if (before.weight !== weight) events.push({ kind: 'rsWeight', vsId: id, vs: label, rsKey: key, rs: rsLabel, from: before.weight, to: weight, alive });
      }
      reals.set(key, { alive, weight });
      rsState.push({ rs, key, label: rsLabel, alive, weight });
    }

    // 2. Quorum (ipwrapper.c update_quorum_state / set_quorum_states).
    const weightSum = rsState.reduce((a, r) => a + (r.alive ? r.weight : 0), 0);
    const sorry = vs.sorryServer;
    const sorryLabel = sorry ? trio(sorry.ip.text, protoText(vs), sorryPort(vs)) : undefined;
    const sorryEvent = sorry && sorryLabel ? { rs: sorryLabel, inhibit: vs.sorryServerInhibit } : undefined;
    const prev = input.memory.quorumUp.get(id);
    let up: boolean;
    const q = { vsId: id, vs: label, quorum: vs.quorum, hysteresis: vs.hysteresis, weightSum };
    if (prev === undefined) {
      up = weightSum >= vs.quorum + vs.hysteresis;
      // At start (init_service_vs -> update_quorum_state(vs, true)) keepalived's quorum state is
      // down (set_quorum_states ran before any real server was alive), so a quorum that is met
      // is gained: "Gained quorum", quorum_up and the FIFO's `VS ... UP` (seen in
      // test/vm/lvs-notify.test.ts). A lost one is reported only with a sorry server to add.
      if (up) events.push({ kind: 'quorumGained', ...q, threshold: vs.quorum + vs.hysteresis });
      else if (sorryEvent) events.push({ kind: 'quorumLost', init: true, ...q, threshold: vs.quorum + vs.hysteresis, sorry: sorryEvent });
    } else {
      const threshold = vs.quorum + (prev ? -1 : 1) * vs.hysteresis;
      up = prev;
      if (!prev && weightSum >= threshold) {
        up = true;
        events.push({ kind: 'quorumGained', ...q, threshold, ...(sorryEvent ? { sorry: sorryEvent } : {}) });
      } else if (prev && (weightSum === 0 || weightSum < threshold)) {
        up = false;
        events.push({ kind: 'quorumLost', init: false, ...q, threshold, ...(sorryEvent ? { sorry: sorryEvent } : {}) });
      }
    }
    quorumUp.set(id, up);
    const sorryActive = !up && sorry !== undefined;

    // 3. The pool.
    const view: DesiredReal[] = [];
    const destsOf = (t: ServiceTarget): Map<string, IpvsDest> => {
      const m = new Map<string, IpvsDest>();
      const put = (d: IpvsDest): void => void m.set(destKeyText(d), d);
      if (sorry && !sorryActive && vs.sorryServerInhibit) put(sorryDest(vs, t, 0));
      for (const r of rsState) {
        const inhibit = r.rs.inhibitOnFailure ?? vs.inhibitOnFailure;
        if (r.alive && !sorryActive) put(realDest(r.rs, vs, t, r.weight));
        else if (inhibit) put(realDest(r.rs, vs, t, 0));
      }
      if (sorry && sorryActive) put(sorryDest(vs, t, 1));
      return m;
    };
    for (const r of rsState) {
      const inhibit = r.rs.inhibitOnFailure ?? vs.inhibitOnFailure;
      const pool: PoolState = r.alive && !sorryActive ? 'active' : inhibit ? 'inhibited' : 'absent';
      view.push({ key: r.key, label: r.label, alive: r.alive, weight: r.weight, pool });
    }
    for (const t of targets) {
      const k = serviceKeyText(t.key);
      if (entries.has(k)) continue; // two virtual servers naming one service: the first wins (config warns)
      entries.set(k, { service: serviceOf(vs, t.key), dests: destsOf(t) });
    }
    virtuals.push({
      id,
      label,
      services: targets.map((t) => t.key),
      quorumUp: up,
      weightSum,
      suspended,
      ...(sorryLabel ? { sorry: { label: sorryLabel, active: sorryActive, inhibit: vs.sorryServerInhibit } } : {}),
      reals: view,
    });
  }

  return {
    entries: [...entries.values()].map((e) => ({ service: e.service, dests: [...e.dests.values()] })),
    virtuals,
    events,
    memory: { quorumUp, reals },
  };
}

// ------------------------------------------------------------------------------ services

interface ServiceTarget {
  readonly key: IpvsServiceKey;
  /** The dest port for DR/TUN (and a sorry server): the service's port, 0 for a fwmark. */
  readonly port: number;
}

function protocolOf(vs: VirtualServer): 'tcp' | 'udp' | 'sctp' {
  return vs.protocol.toLowerCase() as 'tcp' | 'udp' | 'sctp';
}

/** keepalived's service_type as text: fwmark services carry none. */
function protoText(vs: VirtualServer): string {
  return vs.target.kind === 'fwmark' ? 'none' : protocolOf(vs);
}

function serviceTargets(vs: VirtualServer, groups: ReadonlyMap<string, VirtualServerGroup>): ServiceTarget[] {
  const t = vs.target;
  switch (t.kind) {
    case 'address':
      return [{ key: { kind: 'addr', family: t.ip.family, protocol: protocolOf(vs), address: t.ip.text, port: t.port }, port: t.port }];
    case 'fwmark':
      return [{ key: { kind: 'fwmark', family: t.family ?? vs.ipFamily ?? 'inet', fwmark: t.fwmark }, port: 0 }];
    case 'group': {
      const g = groups.get(t.group);
      return g ? g.entries.flatMap((e) => groupTargets(vs, e)) : [];
    }
  }
}

function groupTargets(vs: VirtualServer, e: VirtualServerGroupEntry): ServiceTarget[] {
  if (e.kind === 'fwmark') return [{ key: { kind: 'fwmark', family: e.family ?? vs.ipFamily ?? 'inet', fwmark: e.fwmark ?? 0 }, port: 0 }];
  if (!e.ip) return [];
  const port = e.port ?? 0;
  const addrs = e.kind === 'range' && e.last ? expandRange(e.ip, e.last) : [e.ip.text];
  return addrs.map((address) => ({ key: { kind: 'addr', family: e.ip!.family, protocol: protocolOf(vs), address, port }, port }));
}

/** Every address from first to last inclusive (canonical text). */
export function expandRange(first: IpAddress, last: IpAddress): string[] {
  const n = first.byteLength;
  const out: string[] = [];
  for (let v = first.toBigInt(), b = last.toBigInt(); v <= b; v++) out.push(bigToText(n, v));
  return out;
}

function bigToText(byteLength: number, v: bigint): string {
  const bytes = new Uint8Array(byteLength);
  for (let i = byteLength - 1, x = v; i >= 0; i--, x >>= 8n) bytes[i] = Number(x & 255n);
  return IpAddress.fromBytes(bytes).text;
}

/** linux/ip_vs.h scheduler flags by keepalived keyword (sh-*, mh-* reuse SCHED1/SCHED2). */
const SCHED_FLAGS: Readonly<Record<string, number>> = {
  'flag-1': IPVS_SVC_FLAG.SCHED1,
  'flag-2': IPVS_SVC_FLAG.SCHED2,
  'flag-3': IPVS_SVC_FLAG.SCHED3,
  'sh-fallback': IPVS_SVC_FLAG.SCHED1,
  'sh-port': IPVS_SVC_FLAG.SCHED2,
  'mh-fallback': IPVS_SVC_FLAG.SCHED1,
  'mh-port': IPVS_SVC_FLAG.SCHED2,
};

function serviceOf(vs: VirtualServer, key: IpvsServiceKey): IpvsService {
  let flags = 0;
  for (const f of vs.schedFlags) flags |= SCHED_FLAGS[f] ?? 0;
  // check_data.c: one-packet scheduling only for UDP (or a fwmark).
  if (vs.ops && (key.kind === 'fwmark' || key.protocol === 'udp')) flags |= IPVS_SVC_FLAG.ONEPACKET;
  const persistent = vs.persistenceTimeout > 0;
  let netmask = key.family === 'inet6' ? '128' : '255.255.255.255';
  if (persistent) flags |= IPVS_SVC_FLAG.PERSISTENT;
  if (persistent && vs.persistenceGranularity !== undefined) netmask = granularity(key.family, vs.persistenceGranularity);
  return {
    key,
    scheduler: vs.lbAlgo,
    flags,
    timeout: persistent ? vs.persistenceTimeout : 0,
    netmask,
    ...(persistent && vs.persistenceEngine ? { pe: vs.persistenceEngine } : {}),
  };
}

/** persistence_granularity: a dotted mask or a prefix length (IPv4), a prefix length (IPv6). */
function granularity(family: 'inet' | 'inet6', text: string): string {
  const n = /^\d+$/.test(text) ? Number(text) : undefined;
  if (family === 'inet6') return n !== undefined ? String(n) : text;
  if (n === undefined) return text;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.');
}

// ------------------------------------------------------------------------------ dests

function forwardOf(k: 'NAT' | 'DR' | 'TUN'): IpvsForward {
  return k === 'NAT' ? 'masq' : k === 'DR' ? 'route' : 'tunnel';
}

/** `lvs_method TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` (VS keyword arguments). */
function tunnelOf(args: readonly string[] | undefined): { tunnelType: IpvsTunnelType; tunnelPort: number; tunnelFlags: number } {
  let tunnelType: IpvsTunnelType = 'ipip';
  let tunnelPort = 0;
  let tunnelFlags = 0;
  const a = args ?? [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 'type' && (a[i + 1] === 'ipip' || a[i + 1] === 'gue' || a[i + 1] === 'gre')) tunnelType = a[++i] as IpvsTunnelType;
    else if (a[i] === 'port' && a[i + 1] !== undefined) tunnelPort = Number(a[++i]) || 0;
    else if (a[i] === 'csum') tunnelFlags = 1;
    else if (a[i] === 'remcsum') tunnelFlags = 2;
    else if (a[i] === 'nocsum') tunnelFlags = 0;
  }
  return { tunnelType, tunnelPort, tunnelFlags };
}

function rsPort(rs: RealServer, vs: VirtualServer): number {
  return rs.port ?? (vs.target.kind === 'address' ? vs.target.port : 0);
}

function realDest(rs: RealServer, vs: VirtualServer, t: ServiceTarget, weight: number): IpvsDest {
  const forward = forwardOf(rs.lvsMethod ?? vs.lbKind);
  // Tunnel options written on the real server's own lvs_method replace the service's (seen against
  // keepalived 2.2.7 in test/vm/lvs-differential.test.ts, config forwarding).
  const tunnel = rs.tunnel ?? vs.tunnel;
  return dest(rs.ip.family, rs.ip.text, forward === 'masq' ? rsPort(rs, vs) : t.port, forward, weight, rs.uthreshold, rs.lthreshold, tunnel);
}

/** One literal per shape (a trailing spread in a literal is a slow runtime copy in V8). */
function dest(family: 'inet' | 'inet6', address: string, port: number, forward: IpvsForward, weight: number, upper: number, lower: number, tunnel: readonly string[] | undefined): IpvsDest {
  if (forward !== 'tunnel') return { family, address, port, forward, weight, upperThreshold: upper, lowerThreshold: lower };
  const tun = tunnelOf(tunnel);
  return { family, address, port, forward, weight, upperThreshold: upper, lowerThreshold: lower, tunnelType: tun.tunnelType, tunnelPort: tun.tunnelPort, tunnelFlags: tun.tunnelFlags };
}

/** The sorry server's port as keepalived settles it (check_data.c validate_check_config). */
function sorryPort(vs: VirtualServer): number {
  const s = vs.sorryServer!;
  const forward = forwardOf(vs.sorryServerLvsMethod ?? vs.lbKind);
  if (forward !== 'masq') return vs.target.kind === 'address' ? vs.target.port : 0;
  return s.port ?? 0;
}

function sorryDest(vs: VirtualServer, t: ServiceTarget, weight: number): IpvsDest {
  const s = vs.sorryServer!;
  const forward = forwardOf(vs.sorryServerLvsMethod ?? vs.lbKind);
  return dest(s.ip.family, s.ip.text, forward === 'masq' ? (s.port ?? 0) : t.port, forward, weight, 0, 0, vs.tunnel);
}

// ------------------------------------------------------------------------------ names

/** lib/utils.c inet_sockaddrtotrio: `[ADDR]:PROTO:PORT`. */
function trio(address: string, proto: string, port: number): string {
  return `[${address}]:${proto}:${port}`;
}

/** check_data.c format_vs. */
export function vsLabel(vs: VirtualServer): string {
  const t = vs.target;
  switch (t.kind) {
    case 'address':
      return trio(t.ip.text, protoText(vs), t.port);
    case 'fwmark':
      return `FWM ${t.fwmark}`;
    case 'group':
      return `[${t.group}]:0`;
  }
}

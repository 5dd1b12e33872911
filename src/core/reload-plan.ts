// Which VRRP instances a reload adds, removes and changes: the running instances' specs matched
// to the new ones the way keepalived 2.2.7 matches them (vrrp.c vrrp_exist): same VRID, family
// and interface, and the same addressing (unicast with the same source address, or multicast to
// the same group). The name is not part of the match; an instance that kept its identity under
// a new name is removed and added again here (keepalived documents a rename as unsupported).
import type { RuntimeInstanceSpec } from '../vrrp/runtime/vrrp-runtime.js';

export interface ReloadPlan {
  readonly added: readonly RuntimeInstanceSpec[];
  readonly removed: readonly RuntimeInstanceSpec[];
  /** The new specs of matched instances whose config differs. */
  readonly changed: readonly RuntimeInstanceSpec[];
  /** Names of matched instances whose config is identical (left untouched). */
  readonly unchanged: readonly string[];
}

/** keepalived's identity of an instance across a reload. */
export function instanceIdentity(s: RuntimeInstanceSpec): string {
  const { cfg } = s;
  const unicast = cfg.unicastPeers.length > 0;
  return [cfg.vrid, cfg.family, s.ifname, unicast ? `unicast ${s.wire.src.text}` : `multicast ${s.wire.group.text}`].join('|');
}

/** A stable text of everything in a spec (Maps as entry lists), to tell a changed config from an identical one. */
export function specDigest(s: RuntimeInstanceSpec): string {
  return JSON.stringify(s, (_k, v: unknown) => (v instanceof Map ? [...(v as Map<unknown, unknown>).entries()] : v instanceof Set ? [...(v as Set<unknown>)] : v));
}

export function reloadPlan(running: readonly RuntimeInstanceSpec[], next: readonly RuntimeInstanceSpec[]): ReloadPlan {
  const byIdentity = new Map<string, RuntimeInstanceSpec>();
  for (const s of next) if (!byIdentity.has(instanceIdentity(s))) byIdentity.set(instanceIdentity(s), s);
  const matched = new Set<RuntimeInstanceSpec>();
  const added: RuntimeInstanceSpec[] = [];
  const removed: RuntimeInstanceSpec[] = [];
  const changed: RuntimeInstanceSpec[] = [];
  const unchanged: string[] = [];
  for (const old of running) {
    const nx = byIdentity.get(instanceIdentity(old));
    if (!nx || matched.has(nx) || nx.cfg.name !== old.cfg.name) {
      removed.push(old);
      continue;
    }
    matched.add(nx);
    if (specDigest(nx) === specDigest(old)) unchanged.push(old.cfg.name);
    else changed.push(nx);
  }
  for (const s of next) if (!matched.has(s)) added.push(s);
  return { added, removed, changed, unchanged };
}

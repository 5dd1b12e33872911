// Tracked objects and the effective priority they produce (keepalived vrrp_track.c, fact sheet
// 3.9-3.10). Pure: results arrive as data (a script run's exit status, a link state, a file's
// integer) and the caller feeds them in.
//
//   effective = clamp(base + sum(contributions), 1, 254)        (owner 255: never changed)
//   script/process/interface, weight W, multiplier m (-1 with `reverse`):
//       W > 0: +W*m while OK;  W < 0: W*m while failed;  W = 0: FAULT while failed
//   file: value * W * m (capped at 253); < -253 -> FAULT;  W = 0: value != 0 -> FAULT
//
// A weight-0 script that has not reported yet is neither OK nor a fault: it is "pending"
// (keepalived num_script_init). The instance waits silently for it at start-up (step.ts).

export type TrackerConfig =
  | {
      readonly type: 'script' | 'process';
      readonly name: string;
      readonly weight: number;
      readonly reverse: boolean;
      /** Consecutive successes needed to go OK (vrrp_script rise, default 1). */
      readonly rise: number;
      /** Consecutive failures needed to go failed (vrrp_script fall, default 1). */
      readonly fall: number;
      /**
       * vrrp_script init_fail. Accepted and carried, but it has no effect, as in keepalived
       * 2.2.7: naming the script in a track_script block resets its initial state to
       * undecided (vrrp_track.c alloc_track_script), so a tracked script always starts
       * undecided. Observed: with init_fail and a succeeding script, keepalived logs
       * "VRRP_Script(chk) succeeded" and enters BACKUP without any FAULT notify.
       */
      readonly initFail?: boolean;
    }
  | { readonly type: 'interface'; readonly name: string; readonly weight: number; readonly reverse: boolean }
  | { readonly type: 'file'; readonly name: string; readonly weight: number; readonly reverse: boolean };

export type ScriptStatus = 'init' | 'ok' | 'failed';

export type TrackerStatus =
  | { readonly type: 'script' | 'process'; readonly status: ScriptStatus; readonly result: number }
  | { readonly type: 'interface'; readonly up: boolean }
  | { readonly type: 'file'; readonly value: number };

/** One status per configured tracker, same order as the config list. */
export interface TrackingState {
  readonly entries: readonly TrackerStatus[];
}

export interface TrackingEval {
  /** Priority after weights and clamping. */
  readonly effectivePriority: number;
  /** Names (`type:name`) of trackers currently forcing FAULT, config order. */
  readonly faults: readonly string[];
  /** Weight-0 script/process trackers that have not reported yet (keepalived num_script_init). */
  readonly pending: readonly string[];
}

export const PRIO_OWNER = 255;

export function initialTracking(trackers: readonly TrackerConfig[]): TrackingState {
  return {
    entries: trackers.map((t): TrackerStatus => {
      switch (t.type) {
        case 'script':
        case 'process':
          // keepalived vrrp_init_script: a tracked script starts undecided with result = rise-1,
          // so the first success is enough and the first failure fails it (init_fail: see above).
          return { type: t.type, status: 'init', result: Math.max(0, t.rise - 1) };
        case 'interface':
          return { type: 'interface', up: true };
        case 'file':
          return { type: 'file', value: 0 };
      }
    }),
  };
}

/**
 * One script run's result through rise/fall (keepalived vrrp_script result counter: OK while
 * result >= rise; the counter saturates at rise+fall-1 on success and drops to 0 on the
 * failure that fails it).
 */
export function applyScriptResult(
  cfg: { readonly rise: number; readonly fall: number },
  st: { readonly status: ScriptStatus; readonly result: number },
  ok: boolean,
): { status: ScriptStatus; result: number } {
  const rise = Math.max(1, cfg.rise);
  const fall = Math.max(1, cfg.fall);
  const max = rise + fall - 1;
  let { status, result } = st;
  if (ok) {
    if (result < rise - 1) result++;
    else {
      result = max;
      status = 'ok';
    }
  } else {
    if (result > rise) result--;
    else {
      result = 0;
      status = 'failed';
    }
  }
  return { status, result };
}

/** Applies a tracker report; returns the same state object when nothing matched or changed. */
export function updateTracker(
  trackers: readonly TrackerConfig[],
  st: TrackingState,
  type: TrackerConfig['type'],
  name: string,
  report: { ok?: boolean; up?: boolean; value?: number },
): TrackingState {
  let entries: TrackerStatus[] | null = null;
  for (let i = 0; i < trackers.length; i++) {
    const t = trackers[i];
    if (t.type !== type || t.name !== name) continue;
    const cur = st.entries[i];
    let next: TrackerStatus = cur;
    if ((t.type === 'script' || t.type === 'process') && (cur.type === 'script' || cur.type === 'process') && report.ok !== undefined) {
      const r = applyScriptResult(t, cur, report.ok);
      if (r.status !== cur.status || r.result !== cur.result) next = { type: cur.type, ...r };
    } else if (t.type === 'interface' && cur.type === 'interface' && report.up !== undefined) {
      if (cur.up !== report.up) next = { type: 'interface', up: report.up };
    } else if (t.type === 'file' && cur.type === 'file' && report.value !== undefined) {
      if (cur.value !== report.value) next = { type: 'file', value: report.value };
    }
    if (next !== cur) {
      entries ??= st.entries.slice();
      entries[i] = next;
    }
  }
  return entries ? { entries } : st;
}

export function clampPriority(total: number): number {
  return Math.min(254, Math.max(1, total));
}

/** What one tracker does to its instance now: adds to the priority, faults it, or holds it (pending). */
export type TrackerEffect = { readonly kind: 'delta'; readonly delta: number } | { readonly kind: 'fault' } | { readonly kind: 'pending' };

/** One tracker's effect given its status (the terms evaluateTracking sums; status output explains with them). */
export function trackerEffect(t: TrackerConfig, s: TrackerStatus): TrackerEffect {
  const m = t.reverse ? -1 : 1;
  if (t.type === 'file' && s.type === 'file') {
    if (t.weight === 0) return s.value !== 0 ? { kind: 'fault' } : { kind: 'delta', delta: 0 };
    const v = s.value * t.weight * m;
    return v < -253 ? { kind: 'fault' } : { kind: 'delta', delta: Math.min(253, v) };
  }
  let ok: boolean;
  let undecided = false;
  if (s.type === 'interface') ok = s.up;
  else if (s.type === 'script' || s.type === 'process') {
    ok = s.status === 'ok';
    undecided = s.status === 'init';
  } else return { kind: 'delta', delta: 0 };
  if (t.weight === 0) {
    // A weight-0 script still undecided holds the instance at start-up without faulting it
    // (keepalived initialise_track_script_state counts it in num_script_init).
    // With `reverse` a weight-0 script faults while it succeeds (process_script_update_priority:
    // script_ok != (multiplier == 1) -> down_instance).
    if (undecided) return { kind: 'pending' };
    return (s.type === 'interface' ? !ok : ok === t.reverse) ? { kind: 'fault' } : { kind: 'delta', delta: 0 };
  }
  if (undecided) return { kind: 'delta', delta: 0 };
  if (ok && t.weight > 0) return { kind: 'delta', delta: t.weight * m };
  if (!ok && t.weight < 0) return { kind: 'delta', delta: t.weight * m };
  return { kind: 'delta', delta: 0 };
}

/** Effective priority and fault list for an instance with the given base priority. */
export function evaluateTracking(trackers: readonly TrackerConfig[], st: TrackingState, basePriority: number): TrackingEval {
  let delta = 0;
  const faults: string[] = [];
  const pending: string[] = [];
  for (let i = 0; i < trackers.length; i++) {
    const t = trackers[i];
    const e = trackerEffect(t, st.entries[i]);
    if (e.kind === 'fault') faults.push(`${t.type}:${t.name}`);
    else if (e.kind === 'pending') pending.push(`${t.type}:${t.name}`);
    else delta += e.delta;
  }
  // 3.9: the address owner's priority never changes.
  const effectivePriority = basePriority === PRIO_OWNER ? PRIO_OWNER : clampPriority(basePriority + delta);
  return { effectivePriority, faults, pending };
}

/**
 * keepalived vrrp_complete_instance for sync-group members (3.9): weighted track_interface
 * entries become weight 0 (fault trackers); weighted script/file/process entries are dropped
 * entirely, unless the group sets sync_group_tracking_weight.
 */
export function trackersForSyncMember(trackers: readonly TrackerConfig[], allowWeights: boolean): TrackerConfig[] {
  if (allowWeights) return trackers.slice();
  const out: TrackerConfig[] = [];
  for (const t of trackers) {
    if (t.weight === 0) out.push(t);
    else if (t.type === 'interface') out.push({ ...t, weight: 0 });
  }
  return out;
}

/**
 * Owners (priority 255) keep their priority: keepalived removes weighted trackers from them
 * (with an error), keeping only fault (weight 0) trackers.
 */
export function trackersForOwner(trackers: readonly TrackerConfig[]): TrackerConfig[] {
  return trackers.filter((t) => t.weight === 0);
}

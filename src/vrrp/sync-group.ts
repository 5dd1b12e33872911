// vrrp_sync_group: members move together (keepalived vrrp_sync.c, fact sheet 3.14).
//  * a member goes MASTER only when every member wants MASTER (else it waits in BACKUP);
//    once one is MASTER the others are forced MASTER too;
//  * one member leaving MASTER for BACKUP takes every MASTER member to BACKUP;
//  * one member in FAULT puts every member in FAULT until no member has a fault of its own;
//  * group notifies (GROUP name STATE 0) run after the member notifies, once per group change.
// Pure: it drives step() for the members and returns their new states and tagged actions.
import type { Us } from '../lib/units.js';
import { evaluateTracking } from './tracking.js';
import type { InstanceConfig, NotifyConfig } from './fsm/config.js';
import { faultsOf, stateNotifyActions, step } from './fsm/step.js';
import type { InstanceState, NotifyState, VrrpAction, VrrpEvent, VrrpState } from './fsm/types.js';

export interface SyncGroupConfig {
  readonly name: string;
  /** Member instance names, config order. */
  readonly members: readonly string[];
  readonly notify: NotifyConfig;
}

export interface GroupMember {
  readonly cfg: InstanceConfig;
  readonly state: InstanceState;
}

export type GroupState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/** An action and the instance (or, for group notifies, the group) it belongs to. */
export interface TaggedAction {
  readonly instance: string;
  readonly action: VrrpAction;
}

export interface SyncStepResult {
  readonly states: readonly InstanceState[];
  readonly groupState: GroupState;
  readonly actions: readonly TaggedAction[];
}

/** keepalived vrrp_sync_can_goto_master for member `i`. */
export function canGotoMaster(members: readonly GroupMember[], i: number, groupState: GroupState): boolean {
  if (groupState === 'MASTER') return true;
  for (let j = 0; j < members.length; j++) if (j !== i && !members[j].state.wantMaster) return false;
  return true;
}

/** The member has a weight-0 script that has not reported yet (keepalived num_script_init). */
function ownPending(m: GroupMember): boolean {
  return evaluateTracking(m.cfg.trackers, m.state.track, m.state.basePriority).pending.length > 0;
}

/** A member's own faults (those not imposed by the group). */
function ownFault(m: GroupMember): boolean {
  return faultsOf(m.cfg, m.state).some((f) => f !== 'sync-group');
}

export function groupStateOf(states: readonly InstanceState[], previous: GroupState): GroupState {
  if (states.every((s) => s.state === 'STOP')) return 'STOP';
  if (states.some((s) => s.state === 'FAULT')) return 'FAULT';
  if (states.some((s) => s.state === 'INIT')) return previous;
  if (states.every((s) => s.state === 'MASTER')) return 'MASTER';
  if (states.every((s) => s.state === 'BACKUP')) return 'BACKUP';
  return previous;
}

function groupNotify(g: SyncGroupConfig, state: NotifyState, out: TaggedAction[]): void {
  // 4.1: groups report priority 0.
  for (const action of stateNotifyActions(g.notify, 'GROUP', g.name, state, 0)) out.push({ instance: g.name, action });
}

/**
 * Delivers `event` to member `target` and propagates the group rules to the other members.
 * Returns every member's new state (same order as `members`).
 */
export function syncStep(
  g: SyncGroupConfig,
  members: readonly GroupMember[],
  groupState: GroupState,
  target: number,
  event: VrrpEvent,
  now: Us,
): SyncStepResult {
  const cur: GroupMember[] = members.slice();
  const out: TaggedAction[] = [];
  const run = (i: number, ev: VrrpEvent): { from: VrrpState; to: VrrpState } => {
    const from = cur[i].state.state;
    const groupPending = cur.some((m, j) => j !== i && ownPending(m));
    const r = step(cur[i].cfg, cur[i].state, ev, now, { canGotoMaster: canGotoMaster(cur, i, groupState), groupPending });
    cur[i] = { cfg: cur[i].cfg, state: r.state };
    for (const a of r.actions) out.push({ instance: cur[i].cfg.name, action: a });
    return { from, to: r.state.state };
  };

  const withGroupFault = (j: number): void => {
    const st = cur[j].state;
    if (!st.externalFaults.includes('sync-group'))
      cur[j] = { cfg: cur[j].cfg, state: { ...st, externalFaults: [...st.externalFaults, 'sync-group'] } };
  };
  const { from, to } = run(target, event);
  const others = cur.map((_, j) => j).filter((j) => j !== target);
  // keepalived sync->num_member_init reached 0: the members that waited with it come up too.
  if (from === 'INIT' && (to === 'BACKUP' || to === 'MASTER')) {
    for (const j of others) if (cur[j].state.state === 'INIT' && cur[j].state.initPending) run(j, { kind: 'syncForce', to: 'LEAVE_FAULT', reason: 'sync-group' });
  }
  if (from !== to) {
    if (to === 'MASTER') {
      for (const j of others) if (cur[j].state.state === 'BACKUP') run(j, { kind: 'syncForce', to: 'MASTER', reason: 'sync-group' });
    } else if (from === 'MASTER' && to === 'BACKUP') {
      for (const j of others) if (cur[j].state.state === 'MASTER') run(j, { kind: 'syncForce', to: 'BACKUP', reason: 'sync-group' });
    } else if (to === 'FAULT') {
      for (const j of others) if (cur[j].state.state !== 'FAULT' && cur[j].state.state !== 'STOP') run(j, { kind: 'syncForce', to: 'FAULT', reason: 'sync-group' });
      // Every member (the one that faulted too) now also waits for the whole group to be healthy.
      for (let j = 0; j < cur.length; j++) if (cur[j].state.state === 'FAULT') withGroupFault(j);
    }
  }
  // keepalived num_member_fault reached 0: every member leaves FAULT together.
  if (cur.some((m) => m.state.externalFaults.includes('sync-group')) && !cur.some(ownFault)) {
    for (let j = 0; j < cur.length; j++)
      if (cur[j].state.externalFaults.includes('sync-group')) run(j, { kind: 'syncForce', to: 'LEAVE_FAULT', reason: 'sync-group' });
  }
  // Both counts at 0 (no member waits for a weight-0 script, none has a fault of its own): a
  // member still in FAULT with nothing of its own holding it there stayed only because the group
  // was waiting; it leaves FAULT as well (a group booted with its link down whose script then
  // reported would otherwise keep that member in FAULT, and the group out of MASTER, for ever).
  if (!cur.some(ownPending) && !cur.some(ownFault)) {
    for (let j = 0; j < cur.length; j++)
      if (cur[j].state.state === 'FAULT' && faultsOf(cur[j].cfg, cur[j].state).length === 0) run(j, { kind: 'syncForce', to: 'LEAVE_FAULT', reason: 'sync-group' });
  }
  const next = groupStateOf(
    cur.map((m) => m.state),
    groupState,
  );
  if (next !== groupState && next !== 'INIT') groupNotify(g, next, out);
  return { states: cur.map((m) => m.state), groupState: next, actions: out };
}

/** A member as a reload finds it: `started` is false for an instance the reload adds. */
export interface RegroupMember extends GroupMember {
  readonly started: boolean;
}

/**
 * What a reload does to one member of a group it formed or whose members it changed:
 *  * `fault`: forced into FAULT with the group (a member in FAULT of its own stays so);
 *  * `leave-fault`: held in FAULT only by its previous group, it leaves FAULT (to BACKUP);
 *  * `backup`: a master in a group that is not MASTER: BACKUP as at start-up (FSM REGROUP_BACKUP);
 *  * `start` / `start-fault`: a new instance starts (in FAULT when the group is);
 *  * `none`: nothing changes.
 */
export type RegroupMove = 'none' | 'fault' | 'leave-fault' | 'backup' | 'start' | 'start-fault';

export interface RegroupResult {
  readonly state: GroupState;
  /** The group's notify, to run before the members' moves. */
  readonly actions: readonly TaggedAction[];
  readonly moves: readonly RegroupMove[];
}

/**
 * keepalived 2.2.7 after a reload (vrrp.c vrrp_complete_init, set_previous_sync_group_states;
 * vrrp_scheduler.c vrrp_init_state), for a group the reload formed or changed: the members keep
 * their states; the group is FAULT when a member has a fault of its own, MASTER only when every
 * member is MASTER (a new member is not), BACKUP otherwise; a FAULT or BACKUP group notifies
 * unless the group of the same name was in that state before the reload (a MASTER group never
 * notifies here). Masters of a BACKUP group go to BACKUP and new members start; the group comes
 * up again through the usual rules once every member wants MASTER. `before`: the state of the
 * group of the same name before the reload, if there was one.
 */
export function regroup(g: SyncGroupConfig, members: readonly RegroupMember[], before: GroupState | undefined): RegroupResult {
  const fault = members.some(ownFault);
  const state: GroupState = fault ? 'FAULT' : members.every((m) => m.started && m.state.state === 'MASTER') ? 'MASTER' : 'BACKUP';
  const moves = members.map((m): RegroupMove => {
    if (!m.started) return fault ? 'start-fault' : 'start';
    const held = m.state.externalFaults.includes('sync-group');
    if (fault) return held ? 'none' : 'fault';
    if (held) return 'leave-fault';
    return state === 'BACKUP' && m.state.state === 'MASTER' ? 'backup' : 'none';
  });
  const actions: TaggedAction[] = [];
  if ((state === 'BACKUP' || state === 'FAULT') && before !== state) groupNotify(g, state, actions);
  return { state, actions, moves };
}

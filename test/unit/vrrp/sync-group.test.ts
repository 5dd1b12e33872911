import { describe, expect, it } from 'vitest';
import { us } from '../../../src/lib/units.js';
import { initialState, makeInstanceConfig, step } from '../../../src/vrrp/fsm/index.js';
import type { GroupMember, GroupState } from '../../../src/vrrp/sync-group.js';
import type { InstanceState } from '../../../src/vrrp/fsm/types.js';
import { canGotoMaster, regroup, syncStep, type RegroupMember } from '../../../src/vrrp/sync-group.js';

const g = { name: 'SG', members: ['A', 'B', 'C'], notify: { fifo: true } };
const cfgs = ['A', 'B', 'C'].map((name, i) =>
  makeInstanceConfig({ name, vrid: 10 + i, vips: [`10.0.${i}.1`], syncGroup: 'SG', notify: { fifo: true }, trackers: [{ type: 'interface', name: `eth${i}`, weight: 0, reverse: false }] }),
);

function start(): { members: GroupMember[]; gs: GroupState } {
  let members: GroupMember[] = cfgs.map((cfg) => ({ cfg, state: initialState(cfg) }));
  let gs: GroupState = 'INIT';
  for (let i = 0; i < 3; i++) {
    const r = syncStep(g, members, gs, i, { kind: 'startup' }, us(0));
    members = members.map((m, j) => ({ cfg: m.cfg, state: r.states[j] }));
    gs = r.groupState;
  }
  return { members, gs };
}

describe('sync groups (keepalived vrrp_sync.c)', () => {
  it('starts BACKUP together and only goes MASTER when every member wants it', () => {
    let { members, gs } = start();
    expect(gs).toBe('BACKUP');
    const t = us(3_609_375);
    for (let i = 0; i < 2; i++) {
      const r = syncStep(g, members, gs, i, { kind: 'deadline' }, t);
      members = members.map((m, j) => ({ cfg: m.cfg, state: r.states[j] }));
      gs = r.groupState;
      expect(r.states.every((s) => s.state === 'BACKUP')).toBe(true);
      expect(r.states[i].wantMaster).toBe(true);
    }
    expect(canGotoMaster(members, 2, gs)).toBe(true);
    const r = syncStep(g, members, gs, 2, { kind: 'deadline' }, t);
    expect(r.states.map((s) => s.state)).toEqual(['MASTER', 'MASTER', 'MASTER']);
    expect(r.groupState).toBe('MASTER');
    // group notify comes after every member's notify
    const fifo = r.actions.filter((a) => a.action.kind === 'notify').map((a) => (a.action as { line: string }).line);
    expect(fifo.at(-1)).toBe('GROUP "SG" MASTER 0');
    expect(fifo.slice(0, 3)).toEqual(['INSTANCE "C" MASTER 100', 'INSTANCE "A" MASTER 100', 'INSTANCE "B" MASTER 100']);
  });

  it('a fault in one member faults all until every member is healthy', () => {
    let { members, gs } = start();
    const apply = (i: number, ev: Parameters<typeof syncStep>[4], t: number) => {
      const r = syncStep(g, members, gs, i, ev, us(t));
      members = members.map((m, j) => ({ cfg: m.cfg, state: r.states[j] }));
      gs = r.groupState;
      return r;
    };
    apply(0, { kind: 'interfaceChanged', ifname: 'eth0', up: false }, 100);
    expect(members.map((m) => m.state.state)).toEqual(['FAULT', 'FAULT', 'FAULT']);
    apply(1, { kind: 'interfaceChanged', ifname: 'eth1', up: false }, 200);
    apply(0, { kind: 'interfaceChanged', ifname: 'eth0', up: true }, 300);
    expect(members.map((m) => m.state.state)).toEqual(['FAULT', 'FAULT', 'FAULT']);
    const r = apply(1, { kind: 'interfaceChanged', ifname: 'eth1', up: true }, 400);
    expect(members.map((m) => m.state.state)).toEqual(['BACKUP', 'BACKUP', 'BACKUP']);
    expect(r.groupState).toBe('BACKUP');
  });
});

describe('regroup: a group a reload formed or changed (keepalived vrrp_init_state on reload)', () => {
  const as = (st: InstanceState['state'], extra: Partial<InstanceState> = {}) => (i: number): RegroupMember => ({ cfg: cfgs[i], state: { ...initialState(cfgs[i]), state: st, ...extra }, started: true });
  const fresh = (i: number): RegroupMember => ({ cfg: cfgs[i], state: initialState(cfgs[i]), started: false });
  const fifo = (r: ReturnType<typeof regroup>) => r.actions.map((a) => (a.action as { line: string }).line);

  it('every member MASTER: the group is MASTER, nothing moves, nothing is notified', () => {
    const r = regroup(g, [0, 1, 2].map(as('MASTER')), undefined);
    expect(r).toEqual({ state: 'MASTER', actions: [], moves: ['none', 'none', 'none'] });
  });

  it('a MASTER and a BACKUP: BACKUP group, the master goes BACKUP, the group notifies unless it was BACKUP before', () => {
    const members = [as('MASTER')(0), as('BACKUP')(1)];
    const r = regroup({ ...g, members: ['A', 'B'] }, members, undefined);
    expect(r.state).toBe('BACKUP');
    expect(r.moves).toEqual(['backup', 'none']);
    expect(fifo(r)).toEqual(['GROUP "SG" BACKUP 0']);
    expect(regroup({ ...g, members: ['A', 'B'] }, members, 'BACKUP').actions).toEqual([]);
    expect(fifo(regroup({ ...g, members: ['A', 'B'] }, members, 'MASTER'))).toEqual(['GROUP "SG" BACKUP 0']);
  });

  it('a new member keeps the group out of MASTER and starts with it', () => {
    const r = regroup(g, [as('MASTER')(0), as('MASTER')(1), fresh(2)], 'MASTER');
    expect(r.state).toBe('BACKUP');
    expect(r.moves).toEqual(['backup', 'backup', 'start']);
  });

  it('a member with a fault of its own: FAULT group, the others forced, a new member starts in FAULT', () => {
    const r = regroup(g, [as('FAULT', { externalFaults: ['config'] })(0), as('MASTER')(1), fresh(2)], 'MASTER');
    expect(r.state).toBe('FAULT');
    expect(r.moves).toEqual(['fault', 'fault', 'start-fault']);
    expect(fifo(r)).toEqual(['GROUP "SG" FAULT 0']);
  });

  it('a member in FAULT only for its previous group leaves FAULT in a healthy one', () => {
    const r = regroup(g, [as('FAULT', { externalFaults: ['sync-group'] })(0), as('BACKUP')(1), as('BACKUP')(2)], undefined);
    expect(r.state).toBe('BACKUP');
    expect(r.moves).toEqual(['leave-fault', 'none', 'none']);
  });
});

describe('FSM syncForce REGROUP_BACKUP (a master a reload puts in a group that is not MASTER)', () => {
  it('BACKUP as at start-up: VIPs removed, BACKUP notify, no advert, still wanting MASTER, down timer one interval plus the minimal skew', () => {
    const cfg = makeInstanceConfig({ name: 'A', vrid: 10, vips: ['10.0.0.1'], syncGroup: 'SG', notify: { fifo: true } });
    let st = step(cfg, initialState(cfg), { kind: 'startup' }, us(0)).state;
    st = step(cfg, st, { kind: 'deadline' }, us(3_609_375), { canGotoMaster: true, groupPending: false }).state;
    expect(st.state).toBe('MASTER');
    const r = step(cfg, st, { kind: 'syncForce', to: 'REGROUP_BACKUP', reason: 'regroup' }, us(4_000_000));
    expect(r.state).toMatchObject({ state: 'BACKUP', wantMaster: true, vipsSet: false });
    expect(r.actions.map((a) => a.kind)).toEqual(['transition', 'removeVips', 'notify', 'setDeadline']);
    expect(r.actions.some((a) => a.kind === 'sendAdvert')).toBe(false);
    // keepalived vrrp_init_state: master_adver_int + VRRP_TIMER_SKEW_MIN (1 s + 1/256 s for v2).
    expect(r.actions.at(-1)).toEqual({ kind: 'setDeadline', at: 4_000_000 + 1_000_000 + 3906 });
    // A member that is not MASTER is left as it is.
    expect(step(cfg, r.state, { kind: 'syncForce', to: 'REGROUP_BACKUP', reason: 'regroup' }, us(4_100_000)).actions).toEqual([]);
  });
});

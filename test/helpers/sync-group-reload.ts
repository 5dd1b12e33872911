// The sync-group reload scenario, shared by the in-process test (virtual time) and the namespace
// test that runs it on our daemon and on keepalived 2.2.7 side by side. A node runs VI_1..VI_4
// (VRIDs 51..54, VIP 198.51.100.<vrid>) beside a peer that runs every VRID at priority 100:
// VI_1, VI_3, VI_4 have priority 150 (MASTER here), VI_2 has 50 (BACKUP here). VI_3 and VI_4
// start in group GA. Then one reload per step. What each step does was recorded from keepalived
// 2.2.7 (instance and group notifies as "INSTANCE VI_1 BACKUP 150" / "GROUP GB BACKUP 0", the
// instances' state lines after the reload).

export interface Inst {
  readonly name: string;
  readonly vrid: number;
  readonly prio: number;
}

export const BASE: readonly Inst[] = [
  { name: 'VI_1', vrid: 51, prio: 150 },
  { name: 'VI_2', vrid: 52, prio: 50 },
  { name: 'VI_3', vrid: 53, prio: 150 },
  { name: 'VI_4', vrid: 54, prio: 150 },
];
export const VI_5: Inst = { name: 'VI_5', vrid: 55, prio: 150 };

export const vipOf = (vrid: number) => `198.51.100.${vrid}`;

export interface Group {
  readonly name: string;
  readonly members: readonly string[];
  /** Which of the two notify scripts the group runs. */
  readonly notify?: 'group' | 'group2';
  /** track_interface of the group (every member tracks it). */
  readonly track?: string;
}

export interface Step {
  readonly title: string;
  /** Instead of a reload, the link TRACKED goes down or up (insts and groups: the config as it stands). */
  readonly link?: 'down' | 'up';
  readonly insts: readonly Inst[];
  readonly groups: readonly Group[];
  /** The notify calls the reload leads to (sorted: the scripts run concurrently). */
  readonly notifies: readonly string[];
  /** State lines per instance after the reload. */
  readonly states: Readonly<Record<string, readonly string[]>>;
  /** The instances whose VIP the peer holds 9 s after the step; the node holds every other one's. */
  readonly peer: readonly string[];
}

/** Who holds each instance's VIP after `s`. */
export function holdersOf(s: Step): Record<string, 'node' | 'peer'> {
  return Object.fromEntries([...BASE, VI_5].map((i) => [i.name, s.peer.includes(i.name) ? 'peer' : 'node']));
}

const GA: Group = { name: 'GA', members: ['VI_3', 'VI_4'] };

export const START: Pick<Step, 'insts' | 'groups'> = { insts: BASE, groups: [GA] };

export const STEPS: readonly Step[] = [
  {
    title: '(c) a new group over a MASTER and a BACKUP instance: the master goes BACKUP, the group notifies BACKUP',
    insts: BASE,
    groups: [GA, { name: 'GB', members: ['VI_1', 'VI_2'] }],
    notifies: ['GROUP GB BACKUP 0', 'INSTANCE VI_1 BACKUP 150'],
    states: { VI_1: ['BACKUP'] },
    peer: ['VI_1', 'VI_2', 'VI_5'],
  },
  {
    title: '(d) the group deleted: its members run standalone, VI_1 preempts the peer again',
    insts: BASE,
    groups: [GA],
    notifies: ['INSTANCE VI_1 MASTER 150'],
    states: { VI_1: ['MASTER'] },
    peer: ['VI_2', 'VI_5'],
  },
  {
    title: '(b) VI_4 taken out of GA: both stay MASTER, nothing notified',
    insts: BASE,
    groups: [{ name: 'GA', members: ['VI_3'] }],
    notifies: [],
    states: {},
    peer: ['VI_2', 'VI_5'],
  },
  {
    title: '(a) VI_4 (MASTER) put back into GA (MASTER): nothing changes',
    insts: BASE,
    groups: [GA],
    notifies: [],
    states: {},
    peer: ['VI_2', 'VI_5'],
  },
  {
    title: '(e) a new instance VI_5 added to GA (MASTER): the group goes BACKUP, then MASTER with VI_5',
    insts: [...BASE, VI_5],
    groups: [{ name: 'GA', members: ['VI_3', 'VI_4', 'VI_5'] }],
    notifies: [
      'GROUP GA BACKUP 0',
      'GROUP GA MASTER 0',
      'INSTANCE VI_3 BACKUP 150',
      'INSTANCE VI_3 MASTER 150',
      'INSTANCE VI_4 BACKUP 150',
      'INSTANCE VI_4 MASTER 150',
      'INSTANCE VI_5 BACKUP 150',
      'INSTANCE VI_5 MASTER 150',
    ],
    states: { VI_3: ['BACKUP', 'MASTER'], VI_4: ['BACKUP', 'MASTER'], VI_5: ['BACKUP', 'MASTER'] },
    peer: ['VI_2'],
  },
  {
    title: '(e) the member VI_5 deleted: priority 0, FAULT notify, the group stays MASTER',
    insts: BASE,
    groups: [GA],
    notifies: ['INSTANCE VI_5 FAULT 150'],
    states: {},
    peer: ['VI_2', 'VI_5'],
  },
  {
    title: "(f) GA's notify script changed: nothing notified",
    insts: BASE,
    groups: [{ ...GA, notify: 'group2' }],
    notifies: [],
    states: {},
    peer: ['VI_2', 'VI_5'],
  },
  {
    title: '(c) a new group GC over the BACKUP VI_2: the group notifies BACKUP',
    insts: BASE,
    groups: [{ ...GA, notify: 'group2' }, { name: 'GC', members: ['VI_2'] }],
    notifies: ['GROUP GC BACKUP 0'],
    states: {},
    peer: ['VI_2', 'VI_5'],
  },
  {
    title: '(a) VI_1 (MASTER) added to GC (BACKUP): VI_1 goes BACKUP, no group notify',
    insts: BASE,
    groups: [{ ...GA, notify: 'group2' }, { name: 'GC', members: ['VI_2', 'VI_1'] }],
    notifies: ['INSTANCE VI_1 BACKUP 150'],
    states: { VI_1: ['BACKUP'] },
    peer: ['VI_1', 'VI_2', 'VI_5'],
  },
];

/** The link the FAULT scenario's groups track (a veth in the lab, a link of the RecordingKernel in process). */
export const TRACKED = 'trk0';

const GA_T: Group = { ...GA, track: TRACKED };
/** GA down to VI_3, and GD over VI_1 and VI_2 tracking the link. */
const WITH_GD: readonly Group[] = [{ ...GA, members: ['VI_3'] }, { name: 'GD', members: ['VI_1', 'VI_2'], track: TRACKED }];

/**
 * Faults and group tracking (f), also recorded from keepalived 2.2.7: GA starts to track a link,
 * the link goes down (the group goes FAULT), a member taken out of the FAULT group comes up on
 * its own, the group stops tracking (it comes up), a new group tracking the down link faults a
 * MASTER and a BACKUP, the link comes back.
 */
export const FAULT_STEPS: readonly Step[] = [
  { title: '(f) GA starts to track an up link: nothing', insts: BASE, groups: [GA_T], notifies: [], states: {}, peer: ['VI_2', 'VI_5'] },
  {
    title: 'the tracked link goes down: GA goes FAULT',
    link: 'down',
    insts: BASE,
    groups: [GA_T],
    notifies: ['GROUP GA FAULT 0', 'INSTANCE VI_3 FAULT 150', 'INSTANCE VI_4 FAULT 150'],
    states: { VI_3: ['FAULT'], VI_4: ['FAULT'] },
    peer: ['VI_2', 'VI_3', 'VI_4', 'VI_5'],
  },
  {
    title: '(b) VI_4 taken out of the FAULT group: it comes up on its own and preempts the peer',
    insts: BASE,
    groups: [{ ...GA_T, members: ['VI_3'] }],
    notifies: ['INSTANCE VI_4 BACKUP 150', 'INSTANCE VI_4 MASTER 150'],
    states: { VI_4: ['BACKUP', 'MASTER'] },
    peer: ['VI_2', 'VI_3', 'VI_5'],
  },
  {
    title: '(f) GA no longer tracks the link: it comes up',
    insts: BASE,
    groups: [{ ...GA, members: ['VI_3'] }],
    notifies: ['GROUP GA BACKUP 0', 'GROUP GA MASTER 0', 'INSTANCE VI_3 BACKUP 150', 'INSTANCE VI_3 MASTER 150'],
    states: { VI_3: ['BACKUP', 'MASTER'] },
    peer: ['VI_2', 'VI_5'],
  },
  // The last two: GD over the MASTER VI_1 and the BACKUP VI_2, tracking the link.
  ...(['down', 'up'] as const).map(
    (st): Step => ({
      title: st === 'down' ? '(c) a new group tracking the down link over a MASTER and a BACKUP: both FAULT, the group notifies FAULT' : 'the link comes back: GD goes BACKUP together',
      ...(st === 'up' ? { link: 'up' as const } : {}),
      insts: BASE,
      groups: WITH_GD,
      notifies: (st === 'down' ? ['GD FAULT', 'VI_1 FAULT', 'VI_2 FAULT'] : ['GD BACKUP', 'VI_1 BACKUP', 'VI_2 BACKUP']).map((x) => (x.startsWith('GD') ? `GROUP ${x} 0` : `INSTANCE ${x} ${x.startsWith('VI_1') ? 150 : 50}`)),
      states: st === 'down' ? { VI_1: ['FAULT'], VI_2: ['FAULT'] } : { VI_1: ['BACKUP'], VI_2: ['BACKUP'] },
      peer: ['VI_1', 'VI_2', 'VI_5'],
    }),
  ),
];

/** Paths of the notify scripts the configs name. */
export interface Scripts {
  readonly instance: string;
  readonly group: string;
  readonly group2: string;
}

function instanceText(i: Inst, notify: string | undefined): string {
  return [
    `vrrp_instance ${i.name} {`,
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${i.vrid}`,
    `  priority ${i.prio}`,
    '  advert_int 1',
    ...(notify ? [`  notify ${notify}`] : []),
    '  virtual_ipaddress {',
    `    ${vipOf(i.vrid)}/32`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The node's config for a step. */
export function nodeConf(s: Pick<Step, 'insts' | 'groups'>, scripts: Scripts): string {
  const groups = s.groups.map((g) =>
    [`vrrp_sync_group ${g.name} {`, '  group {', ...g.members.map((m) => `    ${m}`), '  }', ...(g.track ? ['  track_interface {', `    ${g.track}`, '  }'] : []), `  notify ${scripts[g.notify ?? 'group']}`, '}', ''].join('\n'),
  );
  return ['global_defs {', '  script_user root', '}', '', ...s.insts.map((i) => instanceText(i, scripts.instance)), ...groups].join('\n');
}

/** The peer's config: every VRID at priority 100, no groups, no notify. */
export function peerConf(): string {
  return ['global_defs {', '  script_user root', '}', '', ...[...BASE, VI_5].map((i) => instanceText({ ...i, prio: 100 }, undefined))].join('\n');
}

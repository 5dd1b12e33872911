// LAN-level property of the VRRP engine, on the simulated segment (test/sim/lan-sim.ts: every
// router runs the real VrrpRuntime over MemoryLan and a RecordingKernel, in virtual time):
//
//   For 2-4 routers with random priorities (the address owner 255 included), a random protocol
//   variant, random preempt flags, and a random sequence of faults (crashes, clean shutdowns,
//   restarts, link flaps, one- and two-way partitions, priority changes, packet-loss bursts),
//   once every fault is repaired (links up, paths restored, no loss) and the LAN has been quiet
//   for 10 x the longest Master_Down_Interval:
//     * exactly one live router is MASTER (none if every router is down),
//     * the VIP is held by that master and nobody else,
//     * nothing has changed state during the second half of that quiet period.
//
// Counterexamples shrink to a short script (printed one step per line) plus the simulation's
// own trace of the run.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeInstanceConfig, masterDownUs, skewUs, trackersForOwner, trackersForSyncMember, type TrackerConfig } from '../../src/vrrp/fsm/index.js';
import { cs, ms, type Centiseconds } from '../../src/lib/units.js';
import { LanSim } from '../sim/lan-sim.js';

interface Variant {
  readonly version: 2 | 3;
  readonly family: 'inet' | 'inet6';
  readonly advertInt: Centiseconds;
}
const VARIANTS: readonly Variant[] = [
  { version: 2, family: 'inet', advertInt: cs(100) },
  { version: 2, family: 'inet', advertInt: cs(300) },
  { version: 3, family: 'inet', advertInt: cs(10) },
  { version: 3, family: 'inet', advertInt: cs(100) },
  { version: 3, family: 'inet6', advertInt: cs(25) },
];

type Fault =
  | { readonly kind: 'crash'; readonly r: number }
  | { readonly kind: 'shutdown'; readonly r: number }
  | { readonly kind: 'restart'; readonly r: number }
  | { readonly kind: 'link'; readonly r: number; readonly up: boolean }
  | { readonly kind: 'cut'; readonly from: number; readonly to: number; readonly bothWays: boolean }
  | { readonly kind: 'heal' }
  | { readonly kind: 'priority'; readonly r: number; readonly priority: number }
  | { readonly kind: 'script'; readonly r: number; readonly ok: boolean }
  | { readonly kind: 'loss'; readonly p: number };

/** One step: wait `wait` tenths of an advert interval, then inject the fault. */
interface Step {
  readonly wait: number;
  readonly fault: Fault;
}

interface RouterCfg {
  readonly priority: number;
  readonly preempt: boolean;
  /** Weight of the router's vrrp_script `chk` (0: FAULT while failing); absent: no script. */
  readonly scriptWeight?: number;
  /** preempt_delay in advert intervals (keepalived allows it only with preempt). */
  readonly preemptDelay?: number;
}

interface Scenario {
  readonly variant: number;
  readonly routers: readonly RouterCfg[];
  readonly steps: readonly Step[];
  readonly seed: number;
  /** One-way delay of the segment, ms. */
  readonly delayMs?: number;
  /** IPv4 only: every router lists every other router as unicast_peer. */
  readonly unicast?: boolean;
}

const routerIdx = fc.integer({ min: 0, max: 3 });
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('crash' as const), r: routerIdx }),
  fc.record({ kind: fc.constant('shutdown' as const), r: routerIdx }),
  fc.record({ kind: fc.constant('restart' as const), r: routerIdx }),
  fc.record({ kind: fc.constant('link' as const), r: routerIdx, up: fc.boolean() }),
  fc.record({ kind: fc.constant('cut' as const), from: routerIdx, to: routerIdx, bothWays: fc.boolean() }),
  fc.constant({ kind: 'heal' as const }),
  fc.record({ kind: fc.constant('priority' as const), r: routerIdx, priority: fc.integer({ min: 1, max: 254 }) }),
  fc.record({ kind: fc.constant('script' as const), r: routerIdx, ok: fc.boolean() }),
  fc.record({ kind: fc.constant('loss' as const), p: fc.constantFrom(0, 0.2, 0.5, 0.9, 1) }),
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  variant: fc.integer({ min: 0, max: VARIANTS.length - 1 }),
  routers: fc.array(
    fc.record({
      // The address owner appears now and then, sometimes twice (keepalived's two-owners case).
      priority: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 254 }) }, { weight: 1, arbitrary: fc.constant(255) }),
      preempt: fc.boolean(),
      scriptWeight: fc.option(fc.constantFrom(0, -50, 30), { nil: undefined }),
      preemptDelay: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
    }, { requiredKeys: ['priority', 'preempt'] }),
    { minLength: 2, maxLength: 4 },
  ),
  steps: fc.array(fc.record({ wait: fc.integer({ min: 0, max: 60 }), fault: faultArb }), { maxLength: 14 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  delayMs: fc.constantFrom(0, 0.2, 3),
  unicast: fc.boolean(),
}, { requiredKeys: ['variant', 'routers', 'steps', 'seed'] });

const name = (i: number) => `r${i + 1}`;

function describeScenario(sc: Scenario): string {
  const v = VARIANTS[sc.variant];
  const lines = [
    `VRRPv${v.version} ${v.family}${sc.unicast && v.family === 'inet' ? ' unicast' : ''} advert_int ${v.advertInt} cs, delay ${sc.delayMs ?? 0} ms, loss seed ${sc.seed}`,
    ...sc.routers.map(
      (r, i) =>
        `  ${name(i)} 192.0.2.${i + 1} priority ${r.priority}${r.preempt ? '' : ' nopreempt'}` +
        (r.preempt && r.preemptDelay !== undefined ? `, preempt_delay ${r.preemptDelay} adverts` : '') +
        (r.scriptWeight === undefined ? '' : `, track_script chk weight ${r.scriptWeight} (reports OK at start)`),
    ),
  ];
  let t = 0;
  for (const s of sc.steps) {
    t += s.wait;
    const f = s.fault;
    const n = sc.routers.length;
    const text =
      f.kind === 'cut'
        ? `cut ${name(f.from % n)} ${f.bothWays ? '<->' : '->'} ${name(f.to % n)}`
        : f.kind === 'heal'
          ? 'restore all paths'
          : f.kind === 'loss'
            ? `loss ${f.p}`
            : f.kind === 'link'
              ? `${name(f.r % n)} link ${f.up ? 'up' : 'down'}`
              : f.kind === 'priority'
                ? `${name(f.r % n)} priority ${f.priority}`
                : f.kind === 'script'
                  ? `${name(f.r % n)} script chk ${f.ok ? 'OK' : 'fails'}`
                  : `${name(f.r % n)} ${f.kind}`;
    lines.push(`  at ${(t / 10).toFixed(1)} adverts: ${text}`);
  }
  lines.push('  then: restore all paths, loss 0, every link up, every script OK; wait 10 x Master_Down_Interval');
  return lines.join('\n');
}

interface Outcome {
  readonly sim: LanSim;
  readonly alive: string[];
  /** Per VRID: who is MASTER and who holds its VIP. */
  readonly vrids: readonly { readonly vrid: number; readonly vip: string; readonly masters: string[]; readonly holders: string[] }[];
  readonly lateTransitions: number;
}

/**
 * Runs one scenario. With `syncGroup`, every router runs two instances (VRID 1 and 2, same
 * priority) in one vrrp_sync_group, and the script tracks VRID 2 only (as weight 0: keepalived
 * drops weighted scripts from sync-group members, 3.9).
 */
async function runScenario(sc: Scenario, syncGroup = false): Promise<Outcome> {
  const v = VARIANTS[sc.variant];
  const vipOf = (vrid: number) => (v.family === 'inet' ? `192.0.2.${99 + vrid}` : `2001:db8::${(0xff + vrid).toString(16)}`);
  const vrids = syncGroup ? [1, 2] : [1];
  const sim = new LanSim({ seed: sc.seed, delayMs: sc.delayMs ?? 0 });
  const n = sc.routers.length;
  const scripted = (i: number) => sc.routers[i].scriptWeight !== undefined;
  sc.routers.forEach((r, i) => {
    const chk: TrackerConfig[] =
      r.scriptWeight === undefined ? [] : [{ type: 'script', name: 'chk', weight: r.scriptWeight, reverse: false, rise: 1, fall: 1, initFail: false }];
    const trackersOf = (vrid: number): TrackerConfig[] => {
      if (syncGroup) return vrid === 2 ? trackersForSyncMember(chk, false) : [];
      // keepalived drops weighted trackers from the address owner (3.9).
      return r.priority === 255 ? trackersForOwner(chk) : chk;
    };
    sim.addRouter({
      name: name(i),
      ip: `192.0.2.${i + 1}`,
      ...(syncGroup ? { syncGroup: 'G' } : {}),
      instances: vrids.map((vrid) =>
        makeInstanceConfig({
          vrid,
          version: v.version,
          family: v.family,
          advertInt: v.advertInt,
          priority: r.priority,
          preempt: r.preempt,
          preemptDelay: ms(r.preempt && r.preemptDelay !== undefined ? r.preemptDelay * v.advertInt * 10 : 0),
          vips: [vipOf(vrid)],
          trackers: trackersOf(vrid),
          unicastPeers: sc.unicast && v.family === 'inet' ? sc.routers.map((_, k) => ({ address: `192.0.2.${k + 1}` })).filter((_, k) => k !== i) : [],
        }),
      ),
    });
  });
  await sim.startAll();
  for (let i = 0; i < n; i++) if (scripted(i)) await sim.scriptResult(name(i), 'chk', true);
  const tenth = v.advertInt * 1000; // one tenth of an advert interval, in µs
  for (const s of sc.steps) {
    await sim.runUntilUs(sim.now + s.wait * tenth);
    const f = s.fault;
    switch (f.kind) {
      case 'crash':
        await sim.crash(name(f.r % n));
        break;
      case 'shutdown':
        await sim.shutdown(name(f.r % n));
        break;
      case 'restart':
        await sim.start(name(f.r % n));
        break;
      case 'link':
        await sim.setLink(name(f.r % n), f.up);
        break;
      case 'cut': {
        const a = name(f.from % n);
        const b = name(f.to % n);
        if (a === b) break;
        sim.setPath(a, b, false);
        if (f.bothWays) sim.setPath(b, a, false);
        break;
      }
      case 'heal':
        sim.healAll();
        break;
      case 'priority':
        await sim.setPriority(name(f.r % n), f.priority);
        break;
      case 'script':
        if (scripted(f.r % n)) await sim.scriptResult(name(f.r % n), 'chk', f.ok);
        break;
      case 'loss':
        sim.setLoss(f.p);
        break;
    }
  }
  // Repair everything; dead routers stay dead.
  sim.healAll();
  sim.setLoss(0);
  for (let i = 0; i < n; i++) if (!sim.router(name(i)).host.linkUp) await sim.setLink(name(i), true);
  for (let i = 0; i < n; i++) if (scripted(i)) await sim.scriptResult(name(i), 'chk', true);
  // Longest Master_Down_Interval: lowest priority (priorities may have been lowered to 1), plus
  // the segment delay.
  const maxPreemptDelay = Math.max(0, ...sc.routers.map((r) => r.preemptDelay ?? 0)) * v.advertInt * 10_000;
  const quiet = 10 * (masterDownUs(v.version, 1, v.advertInt, 3) + (sc.delayMs ?? 0) * 1000) + 2 * maxPreemptDelay;
  const repairedAt = sim.now;
  await sim.runUntilUs(repairedAt + quiet / 2);
  const half = sim.now;
  await sim.runUntilUs(repairedAt + quiet);
  return {
    sim,
    alive: [...sim.routers.values()].filter((r) => r.alive).map((r) => r.spec.name),
    vrids: vrids.map((vrid) => ({ vrid, vip: vipOf(vrid), masters: sim.masters(vrid), holders: sim.vipHolders(vipOf(vrid)) })),
    lateTransitions: sim.transitions.filter((t) => t.at > half).length,
  };
}

/** The at-rest check; returns what is wrong, or undefined. */
function restProblem(o: Outcome): string | undefined {
  const bad: string[] = [];
  for (const x of o.vrids) {
    if (x.masters.length !== Math.min(1, o.alive.length)) bad.push(`VRID ${x.vrid} masters [${x.masters}]`);
    if (x.holders.length !== x.masters.length || !x.holders.every((h) => x.masters.includes(h))) bad.push(`${x.vip} on [${x.holders}] (masters [${x.masters}])`);
  }
  if (o.vrids.length > 1 && new Set(o.vrids.map((x) => x.masters.join())).size > 1) bad.push('the sync group is split across routers');
  if (o.lateTransitions > 0) bad.push(`${o.lateTransitions} transition(s) in the second half of the quiet period`);
  return bad.length ? `alive [${o.alive}]: ${bad.join('; ')}` : undefined;
}

async function check(sc: Scenario, syncGroup: boolean): Promise<void> {
  const o = await runScenario(sc, syncGroup);
  const problem = restProblem(o);
  if (problem) throw new Error(`${syncGroup ? 'sync group G = {VRID 1, VRID 2} on every router\n' : ''}${describeScenario(sc)}\n=> ${problem}\ntrace:\n${o.sim.trace(40)}`);
}

const RUNS = Number(process.env.KT_PROPERTY_RUNS ?? 300);

// Every router is a real VrrpRuntime and every instant lets its promise chains run: a few
// hundred scenarios take tens of seconds.
describe('VRRP on a simulated LAN (fast-check)', { timeout: 300_000 }, () => {
  it('after every fault is repaired and the LAN is quiet, exactly one live router is master and only it holds the VIP', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, (sc) => check(sc, false)),
      { numRuns: RUNS },
    );
  });

  it('sync groups: at rest one router is master of both members and holds both VIPs', async () => {
    // Without address owners: two owners are a configuration error whose keepalived 2.2.7
    // remedy (an owner hearing another drops itself to 254, per instance) leaves the members of
    // one group with different priorities; a group whose members prefer different routers then
    // flaps for ever (found by this property; the group can only be master everywhere or nowhere).
    const noOwners = scenarioArb.filter((sc) => sc.routers.every((r) => r.priority !== 255));
    await fc.assert(
      fc.asyncProperty(noOwners, (sc) => check(sc, true)),
      { numRuns: Math.max(1, Math.round(RUNS / 2)) },
    );
  });

  it('failover instant: the highest surviving priority takes over exactly Master_Down_Interval after the last advert (Skew_Time after a priority-0 advert)', async () => {
    const timing = fc.record({
      variant: fc.integer({ min: 0, max: VARIANTS.length - 1 }),
      priorities: fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { minLength: 2, maxLength: 5 }),
      /** Where in the advert interval the master is stopped, in thousandths. */
      phase: fc.integer({ min: 0, max: 999 }),
      clean: fc.boolean(),
      delayMs: fc.constantFrom(0, 0.2, 3),
    });
    await fc.assert(
      fc.asyncProperty(timing, async ({ variant, priorities, phase, clean, delayMs }) => {
        const v = VARIANTS[variant];
        const vip = v.family === 'inet' ? '192.0.2.100' : '2001:db8::100';
        const sim = new LanSim({ delayMs });
        priorities.forEach((priority, i) =>
          sim.addRouter({
            name: name(i),
            ip: `192.0.2.${i + 1}`,
            instances: [makeInstanceConfig({ vrid: 1, version: v.version, family: v.family, advertInt: v.advertInt, priority, vips: [vip] })],
          }),
        );
        const byPrio = priorities.map((p, i) => ({ p, r: name(i) })).sort((a, b) => b.p - a.p);
        const mdiOf = (p: number) => masterDownUs(v.version, p, v.advertInt, 3);
        const skewOf = (p: number) => skewUs(v.version, p, v.advertInt);
        await sim.startAll();
        await sim.run((12 * mdiOf(1)) / 1000);
        expect(sim.masters(1)).toEqual([byPrio[0].r]);
        await sim.runUntilUs(sim.now + Math.floor((v.advertInt * 10_000 * phase) / 1000));
        const stopAt = sim.now;
        if (clean) await sim.shutdown(byPrio[0].r);
        else await sim.crash(byPrio[0].r);
        await sim.run((12 * mdiOf(1)) / 1000);
        const d = Math.round(delayMs * 1000);
        const expected = clean ? stopAt + d + skewOf(byPrio[1].p) : sim.lastAdvertSent(byPrio[0].r, 1, stopAt)! + d + mdiOf(byPrio[1].p);
        const first = sim.firstTransition(1, 'MASTER', stopAt);
        expect(first, sim.trace()).toMatchObject({ router: byPrio[1].r, at: expected });
        expect(sim.masters(1)).toEqual([byPrio[1].r]);
        expect(sim.vipHolders(vip)).toEqual([byPrio[1].r]);
      }),
      { numRuns: RUNS },
    );
  });

  it('the checker is not vacuous: a permanent one-way cut at rest leaves two masters', async () => {
    // The same check on a LAN left broken must fail, so a pass above means something.
    const o = await runScenario({ variant: 2, routers: [{ priority: 200, preempt: true }, { priority: 100, preempt: true }], steps: [], seed: 1 });
    expect(restProblem(o)).toBeUndefined();
    o.sim.setPath('r1', 'r2', false);
    await o.sim.run(5000);
    const broken = { ...o, vrids: [{ vrid: 1, vip: '192.0.2.100', masters: o.sim.masters(1), holders: o.sim.vipHolders('192.0.2.100') }] };
    expect(broken.vrids[0].masters.sort()).toEqual(['r1', 'r2']);
    expect(restProblem(broken)).toMatch(/VRID 1 masters \[r1,r2\]/);
  });
});

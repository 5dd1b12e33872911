// The LAN property with the real runtime in the mix: one VrrpRuntime node (RecordingKernel, its
// own timer queue on the harness's virtual time) and 1-3 harness routers, random priorities and preempt
// flags, random faults (harness crashes / clean stops / restarts / priority changes, link flaps
// on any node including the runtime's, one- and two-way cuts, loss). Once everything is repaired
// and the LAN has been quiet for 10 x the longest Master_Down_Interval: exactly one node is
// MASTER and only it has the VIP (the runtime's VIP read back from its kernel).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { masterDownUs } from '../../src/vrrp/fsm/index.js';
import { cs } from '../../src/lib/units.js';
import { ipFor, router, simOf, vipFor, type Variant } from './build.js';
import { runFor, runtimeNode } from './runtime-node.js';

const VARIANTS: readonly Variant[] = [
  { label: 'VRRPv3 IPv4 0.1 s', version: 3, family: 'inet', advertInt: cs(10) },
  { label: 'VRRPv3 IPv4 0.25 s', version: 3, family: 'inet', advertInt: cs(25) },
];

type Fault =
  | { readonly kind: 'crash' | 'shutdown' | 'restart'; readonly r: number }
  | { readonly kind: 'priority'; readonly r: number; readonly priority: number }
  | { readonly kind: 'link'; readonly node: number; readonly up: boolean }
  | { readonly kind: 'cut'; readonly from: number; readonly to: number; readonly bothWays: boolean }
  | { readonly kind: 'heal' }
  | { readonly kind: 'loss'; readonly p: number };

interface Scenario {
  readonly variant: number;
  readonly runtime: { readonly priority: number; readonly preempt: boolean };
  readonly routers: readonly { readonly priority: number; readonly preempt: boolean }[];
  readonly steps: readonly { readonly wait: number; readonly fault: Fault }[];
}

const idx = fc.integer({ min: 0, max: 3 });
const prio = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 254 }) }, { weight: 1, arbitrary: fc.constant(255) });
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  variant: fc.integer({ min: 0, max: VARIANTS.length - 1 }),
  runtime: fc.record({ priority: prio, preempt: fc.boolean() }),
  routers: fc.array(fc.record({ priority: prio, preempt: fc.boolean() }), { minLength: 1, maxLength: 3 }),
  steps: fc.array(
    fc.record({
      wait: fc.integer({ min: 0, max: 60 }),
      fault: fc.oneof(
        fc.record({ kind: fc.constantFrom('crash' as const, 'shutdown' as const, 'restart' as const), r: idx }),
        fc.record({ kind: fc.constant('priority' as const), r: idx, priority: fc.integer({ min: 1, max: 254 }) }),
        fc.record({ kind: fc.constant('link' as const), node: idx, up: fc.boolean() }),
        fc.record({ kind: fc.constant('cut' as const), from: idx, to: idx, bothWays: fc.boolean() }),
        fc.constant({ kind: 'heal' as const }),
        fc.record({ kind: fc.constant('loss' as const), p: fc.constantFrom(0, 0.3, 0.9, 1) }),
      ),
    }),
    { maxLength: 10 },
  ),
});

/** Node 0 is the runtime (`rt`); nodes 1..n are harness routers r1..rn. */
function describeScenario(sc: Scenario): string {
  const v = VARIANTS[sc.variant];
  const nodes = ['rt', ...sc.routers.map((_, i) => `r${i + 1}`)];
  const node = (k: number) => nodes[k % nodes.length];
  const harness = (k: number) => `r${(k % sc.routers.length) + 1}`;
  const lines = [
    `${v.label}`,
    `  rt (runtime) 192.0.2.9 priority ${sc.runtime.priority}${sc.runtime.preempt ? '' : ' nopreempt'}`,
    ...sc.routers.map((r, i) => `  r${i + 1} (harness) ${ipFor(i + 1)} priority ${r.priority}${r.preempt ? '' : ' nopreempt'}`),
  ];
  let t = 0;
  for (const { wait, fault: f } of sc.steps) {
    t += wait;
    const text =
      f.kind === 'cut'
        ? `cut ${node(f.from)} ${f.bothWays ? '<->' : '->'} ${node(f.to)}`
        : f.kind === 'heal'
          ? 'restore all paths'
          : f.kind === 'loss'
            ? `loss ${f.p}`
            : f.kind === 'link'
              ? `${node(f.node)} link ${f.up ? 'up' : 'down'}`
              : f.kind === 'priority'
                ? `${harness(f.r)} priority ${f.priority}`
                : `${harness(f.r)} ${f.kind}`;
    lines.push(`  at ${(t / 10).toFixed(1)} adverts: ${text}`);
  }
  lines.push('  then: restore all paths, loss 0, every link up; wait 10 x Master_Down_Interval');
  return lines.join('\n');
}

async function check(sc: Scenario): Promise<void> {
  const v = VARIANTS[sc.variant];
  const vip = vipFor(v);
  const sim = simOf(sc.routers.map((r, i) => router(v, i + 1, r.priority, { preempt: r.preempt })));
  const rt = runtimeNode(sim, v, sc.runtime.priority, { preempt: sc.runtime.preempt });
  const names = ['rt', ...sc.routers.map((_, i) => `r${i + 1}`)];
  const node = (k: number) => names[k % names.length];
  const harness = (k: number) => `r${(k % sc.routers.length) + 1}`;
  const setLink = async (name: string, up: boolean) => (name === 'rt' ? rt.setLink(up) : sim.setLink(name, up));
  try {
    await sim.startAll();
    rt.runtime.start();
    for (const { wait, fault: f } of sc.steps) {
      await runFor(sim, wait * v.advertInt); // a tenth of an interval = advertInt (cs) ms
      switch (f.kind) {
        case 'crash':
          await sim.crash(harness(f.r));
          break;
        case 'shutdown':
          await sim.shutdown(harness(f.r));
          break;
        case 'restart':
          await sim.start(harness(f.r));
          break;
        case 'priority':
          await sim.setPriority(harness(f.r), f.priority);
          break;
        case 'link':
          await setLink(node(f.node), f.up);
          break;
        case 'cut':
          if (node(f.from) === node(f.to)) break;
          sim.setPath(node(f.from), node(f.to), false);
          if (f.bothWays) sim.setPath(node(f.to), node(f.from), false);
          break;
        case 'heal':
          sim.healAll();
          for (const a of names) for (const b of names) if (a !== b) sim.lan.setPath(a, b, true);
          break;
        case 'loss':
          sim.setLoss(f.p);
          break;
      }
    }
    for (const a of names) for (const b of names) if (a !== b) sim.lan.setPath(a, b, true);
    sim.setLoss(0);
    for (const n of names) if (!sim.lan.host(n).linkUp) await setLink(n, true);
    const quietMs = Math.ceil((10 * masterDownUs(v.version, 1, v.advertInt, 3)) / 1000);
    await runFor(sim, quietMs);
    const masters = [...sim.masters(1), ...(rt.state() === 'MASTER' ? ['rt'] : [])];
    const holders = [...sim.vipHolders(vip), ...(rt.hasVip(vip) ? ['rt'] : [])];
    if (masters.length !== 1 || holders.length !== 1 || holders[0] !== masters[0]) {
      const rtTrace = rt.transitions.slice(-8).map((t) => `${(t.at / 1000).toFixed(3).padStart(10)} ms  rt VRID 1: ${t.from} -> ${t.to} (${t.reason})`);
      throw new Error(`${describeScenario(sc)}\n=> masters [${masters}], ${vip} on [${holders}]\ntrace:\n${sim.trace(30)}\n${rtTrace.join('\n')}`);
    }
  } finally {
    await rt.runtime.stop();
  }
}

describe('the real runtime among harness routers (fast-check)', () => {
  it('after every fault is repaired and the LAN is quiet, exactly one node is master and only it holds the VIP', async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, check), { numRuns: Number(process.env.KT_RUNTIME_PROPERTY_RUNS ?? 25) });
  }, 120_000);
});

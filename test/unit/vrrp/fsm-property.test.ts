// Random event sequences: step() never throws, and state invariants hold after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cs, us } from '../../../src/lib/units.js';
import type { InstanceConfig, InstanceState, VrrpEvent } from '../../../src/vrrp/fsm/index.js';
import { authPassBytes, initialState, makeInstanceConfig, step } from '../../../src/vrrp/fsm/index.js';
import { ipOf } from '../../../src/lib/ip.js';

const cfgArb: fc.Arbitrary<InstanceConfig> = fc
  .record({
    priority: fc.integer({ min: 1, max: 255 }),
    version: fc.constantFrom(2 as const, 3 as const),
    adv: fc.integer({ min: 1, max: 400 }),
    preempt: fc.boolean(),
    lowerPrioNoAdvert: fc.boolean(),
    higherPrioSendAdvert: fc.boolean(),
    weight: fc.integer({ min: -253, max: 253 }),
  })
  .map((r) =>
    makeInstanceConfig({
      vrid: 7,
      priority: r.priority,
      version: r.version,
      advertInt: cs(r.version === 2 ? Math.ceil(r.adv / 100) * 100 : r.adv),
      preempt: r.preempt,
      lowerPrioNoAdvert: r.lowerPrioNoAdvert,
      higherPrioSendAdvert: r.higherPrioSendAdvert,
      vips: ['10.0.0.100'],
      srcIp: '10.0.0.5',
      trackers:
        r.priority === 255
          ? [{ type: 'interface', name: 'eth0', weight: 0, reverse: false }]
          : [
              { type: 'interface', name: 'eth0', weight: 0, reverse: false },
              { type: 'script', name: 's', weight: r.weight, reverse: false, rise: 2, fall: 2, initFail: false },
            ],
    }),
  );

const eventArb: fc.Arbitrary<VrrpEvent> = fc.oneof(
  fc.constant<VrrpEvent>({ kind: 'startup' }),
  fc.constant<VrrpEvent>({ kind: 'deadline' }),
  fc.constant<VrrpEvent>({ kind: 'deadline' }),
  fc.constant<VrrpEvent>({ kind: 'shutdown' }),
  fc.record({ up: fc.boolean() }).map((r): VrrpEvent => ({ kind: 'interfaceChanged', ifname: 'eth0', up: r.up })),
  fc.record({ ok: fc.boolean() }).map((r): VrrpEvent => ({ kind: 'trackerChanged', tracker: { type: 'script', name: 's' }, ok: r.ok })),
  fc.record({ p: fc.integer({ min: -5, max: 300 }) }).map((r): VrrpEvent => ({ kind: 'priorityChanged', priority: r.p })),
  fc.record({ f: fc.boolean() }).map((r): VrrpEvent => ({ kind: 'faultChanged', source: 'x', fault: r.f })),
  fc
    .record({
      prio: fc.integer({ min: 0, max: 255 }),
      ttl: fc.constantFrom(255, 255, 64),
      version: fc.constantFrom(2 as const, 3 as const),
      adv: fc.constantFrom(100, 200, 50),
      src: fc.constantFrom('10.0.0.2', '10.0.0.9', '10.0.0.5'),
      bad: fc.constantFrom(undefined, { checksumError: true }, { decodeError: 'short' }),
    })
    .map(
      (r): VrrpEvent => ({
        kind: 'advertReceived',
        advert: r.bad?.decodeError
          ? undefined
          : { version: r.version, family: 'inet', vrid: 7, priority: r.prio, advertInt: cs(r.adv), authType: 0, authData: authPassBytes(''), addresses: [ipOf('10.0.0.100')] },
        meta: { src: ipOf(r.src), dst: ipOf('224.0.0.18'), ttl: r.ttl, ifindex: 1 },
        rawCheck: r.bad,
      }),
    ),
);

function checkInvariants(cfg: InstanceConfig, before: InstanceState, after: InstanceState, actions: readonly { kind: string; priority?: number; at?: number | null }[], now: number) {
  // No adverts (other than the priority-0 goodbye on the way into FAULT/STOP) outside MASTER.
  const wasMaster = before.state === 'MASTER' || after.state === 'MASTER' || actions.some((a) => a.kind === 'transition' && (a as { to?: string }).to === 'MASTER');
  for (const a of actions) if (a.kind === 'sendAdvert' && a.priority !== 0) expect(wasMaster).toBe(true);
  for (const a of actions) if (a.kind === 'setDeadline' && a.at !== null && a.at !== undefined) expect(a.at).toBeGreaterThan(now);
  if (after.deadline !== null) expect(after.deadline).toBeGreaterThan(now);
  if (after.basePriority === 255) expect(after.effectivePriority).toBe(255);
  else {
    expect(after.effectivePriority).toBeGreaterThanOrEqual(1);
    expect(after.effectivePriority).toBeLessThanOrEqual(254);
  }
  if (after.state === 'FAULT' || after.state === 'STOP') expect(after.deadline).toBeNull();
  if (after.state !== 'MASTER') expect(after.vipsSet).toBe(false);
}

describe('FSM properties', () => {
  it('never throws and keeps its invariants over random event sequences', () => {
    fc.assert(
      fc.property(cfgArb, fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 3_000_000 })), { maxLength: 60 }), (cfg, evs) => {
        let st = initialState(cfg);
        let now = 0;
        for (const [ev, dt] of evs) {
          // deadline events arrive when the deadline is due, other events at random times
          now = ev.kind === 'deadline' && st.deadline !== null ? Math.max(now, st.deadline) : now + dt;
          const r = step(cfg, st, ev, us(now));
          checkInvariants(cfg, st, r.state, r.actions as never, now);
          st = r.state;
        }
      }),
      { numRuns: 400 },
    );
  });
});

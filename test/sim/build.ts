// Shared building blocks of the simulation scenarios: protocol variants, router specs and the
// invariants every scenario checks at rest.
import { expect } from 'vitest';
import { makeInstanceConfig, masterDownUs, skewUs, type InstanceConfig } from '../../src/vrrp/fsm/index.js';
import type { TrackerConfig } from '../../src/vrrp/tracking.js';
import { cs, ms, type Centiseconds } from '../../src/lib/units.js';
import { LanSim, type RouterSpec } from './lan-sim.js';

export interface Variant {
  readonly label: string;
  readonly version: 2 | 3;
  readonly family: 'inet' | 'inet6';
  readonly advertInt: Centiseconds;
}

/** The protocol variants scenarios run under: VRRPv2 at 1 s, VRRPv3 at 0.1 s (IPv4 and IPv6). */
export const VARIANTS: readonly Variant[] = [
  { label: 'VRRPv2 IPv4 advert_int 1 s', version: 2, family: 'inet', advertInt: cs(100) },
  { label: 'VRRPv3 IPv4 advert_int 0.1 s', version: 3, family: 'inet', advertInt: cs(10) },
  { label: 'VRRPv3 IPv6 advert_int 0.1 s', version: 3, family: 'inet6', advertInt: cs(10) },
];

/** Documentation prefixes only (RFC 5737 / RFC 3849); nothing here leaves the process anyway. */
export const vipFor = (v: Pick<Variant, 'family'>, n = 0): string => (v.family === 'inet' ? `192.0.2.${100 + n}` : `2001:db8::${(0x100 + n).toString(16)}`);
export const ipFor = (n: number): string => `192.0.2.${n}`;

export function instance(
  v: Variant,
  p: { vrid?: number; priority: number; preempt?: boolean; preemptDelayMs?: number; vips?: string[]; trackers?: TrackerConfig[]; name?: string },
): InstanceConfig {
  const vrid = p.vrid ?? 1;
  return makeInstanceConfig({
    name: p.name ?? `VI_${vrid}`,
    vrid,
    version: v.version,
    family: v.family,
    advertInt: v.advertInt,
    priority: p.priority,
    preempt: p.preempt ?? true,
    preemptDelay: ms(p.preemptDelayMs ?? 0),
    vips: p.vips ?? [vipFor(v, vrid - 1)],
    trackers: p.trackers ?? [],
  });
}

/** Router n (1-based) at 192.0.2.n with one instance. */
export function router(v: Variant, n: number, priority: number, extra: Partial<Parameters<typeof instance>[1]> = {}): RouterSpec {
  return { name: `r${n}`, ip: ipFor(n), instances: [instance(v, { priority, ...extra })] };
}

export function simOf(specs: readonly RouterSpec[], opts: ConstructorParameters<typeof LanSim>[0] = {}): LanSim {
  const sim = new LanSim(opts);
  for (const s of specs) sim.addRouter(s);
  return sim;
}

/** Master_Down_Interval of a backup of priority `prio`, as keepalived computes it (µs). */
export const mdi = (v: Variant, prio: number): number => masterDownUs(v.version, prio, v.advertInt, 3);
export const skew = (v: Variant, prio: number): number => skewUs(v.version, prio, v.advertInt);
export const advertUs = (v: Variant): number => v.advertInt * 10_000;

/** At rest: exactly one MASTER for `vrid`, it is `expected`, and it alone holds the VIP. */
export function expectSingleMaster(sim: LanSim, vrid: number, vip: string, expected: string): void {
  const why = `\n${sim.trace()}`;
  expect(sim.masters(vrid), `masters of VRID ${vrid}${why}`).toEqual([expected]);
  expect(sim.vipHolders(vip), `holders of ${vip}${why}`).toEqual([expected]);
}

/**
 * The router whose advert source address is highest: the equal-priority winner. For IPv4 that is
 * the primary address; for IPv6 the link-local (derived from the MAC, so from the order routers
 * were added to the LAN, not from their names).
 */
export function highestSource(sim: LanSim, names: readonly string[]): string {
  const src = (n: string) => sim.router(n).configs[0].srcIp!;
  return [...names].sort((a, b) => src(b).compare(src(a)))[0];
}

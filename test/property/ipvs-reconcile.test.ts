// Properties of reconcile() (fast-check), checked through the RecordingIpvsKernel's rules:
// applying the ops to the observed table gives the desired table for every service we own or
// want, leaves everyone else's services as they were, is accepted op by op by the kernel, and a
// second reconcile over the result has nothing left to do.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/ipvs/reconcile.js';
import { canonicalIpvsDest, canonicalIpvsService, destKeyText, serviceKeyText, type IpvsDest, type IpvsEntry, type IpvsServiceKey } from '../../src/kernel/ipvs.js';
import { RecordingIpvsKernel } from '../../src/kernel/recording-ipvs-kernel.js';

const KEYS: IpvsServiceKey[] = [
  { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 80 },
  { kind: 'addr', family: 'inet', protocol: 'udp', address: '192.0.2.1', port: 80 },
  { kind: 'addr', family: 'inet', protocol: 'tcp', address: '192.0.2.2', port: 443 },
  { kind: 'addr', family: 'inet6', protocol: 'tcp', address: '2001:db8::1', port: 80 },
  { kind: 'fwmark', family: 'inet', fwmark: 7 },
  { kind: 'fwmark', family: 'inet6', fwmark: 7 },
];
const ADDRS4 = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '198.51.100.5'];
const ADDRS6 = ['2001:db8::10', '2001:db8::11'];

const dest = (family: 'inet' | 'inet6'): fc.Arbitrary<IpvsDest> =>
  fc
    .record({
      address: fc.constantFrom(...(family === 'inet' ? ADDRS4 : ADDRS6)),
      port: fc.constantFrom(0, 80, 8080),
      forward: fc.constantFrom('masq' as const, 'route' as const, 'tunnel' as const),
      weight: fc.integer({ min: 0, max: 5 }),
      upperThreshold: fc.constantFrom(0, 100),
      lowerThreshold: fc.constantFrom(0, 10),
      tunnelType: fc.constantFrom('ipip' as const, 'gue' as const),
    })
    .map(({ tunnelType, ...d }) => ({ family, ...d, ...(d.forward === 'tunnel' ? { tunnelType, tunnelPort: tunnelType === 'gue' ? 6080 : 0, tunnelFlags: 0 } : {}) }));

const entry = (key: IpvsServiceKey): fc.Arbitrary<IpvsEntry> =>
  fc
    .record({
      scheduler: fc.constantFrom('wlc', 'rr', 'sh'),
      flags: fc.constantFrom(0, 1, 0x18),
      timeout: fc.constantFrom(0, 300),
      dests: fc.uniqueArray(dest(key.family), { maxLength: 4, selector: (d) => destKeyText(d) }),
    })
    .map(({ dests, ...s }) => ({ service: canonicalIpvsService({ key, netmask: key.family === 'inet' ? '255.255.255.255' : '128', ...s }), dests: dests.map(canonicalIpvsDest) }));

const table: fc.Arbitrary<IpvsEntry[]> = fc.subarray(KEYS).chain((keys) => (keys.length === 0 ? fc.constant([]) : fc.tuple(...keys.map(entry))));

const byKey = (t: readonly IpvsEntry[]) => new Map(t.map((e) => [serviceKeyText(e.service.key), e]));
const norm = (e: IpvsEntry | undefined) => e && { service: e.service, dests: [...e.dests].sort((a, b) => destKeyText(a).localeCompare(destKeyText(b))) };

describe('reconcile (property)', () => {
  it('observed + ops = desired for ours, foreign untouched, all ops accepted, second pass empty', async () => {
    await fc.assert(
      fc.asyncProperty(table, table, fc.subarray(KEYS.map(serviceKeyText)), async (observed, want, ownedList) => {
        const owned = new Set(ownedList);
        const kernel = new RecordingIpvsKernel({ entries: observed });
        const ops = reconcile(observed, want, owned);
        const results = await kernel.apply(ops);
        expect(results.filter((r) => !r.ok)).toEqual([]);

        const after = kernel.snapshot();
        const a = byKey(after);
        const o = byKey(observed);
        const w = byKey(want);
        for (const k of KEYS.map(serviceKeyText)) {
          if (w.has(k)) expect(norm(a.get(k))).toEqual(norm(w.get(k)));
          else if (owned.has(k)) expect(a.has(k)).toBe(false);
          else expect(norm(a.get(k))).toEqual(norm(o.get(k)));
        }
        // No op names a service that is neither ours nor wanted.
        for (const op of ops) {
          const k = serviceKeyText(op.op === 'addService' || op.op === 'editService' ? op.service.key : op.key);
          expect(owned.has(k) || w.has(k)).toBe(true);
        }
        expect(reconcile(after, want, new Set([...owned, ...w.keys()]))).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('an unchanged table costs no operation', () => {
    fc.assert(
      fc.property(table, (t) => {
        expect(reconcile(t, t, new Set(t.map((e) => serviceKeyText(e.service.key))))).toEqual([]);
      }),
    );
  });
});

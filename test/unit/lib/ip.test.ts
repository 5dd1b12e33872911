// The one IP module (src/lib/ip.ts). IPv6 parsing and RFC 5952 text are checked against an
// independent implementation, the WHATWG URL host parser built into Node (its IPv6 serializer
// compresses the first longest run of two or more zero groups, lower case, no dotted tail, as
// RFC 5952 does); IPv4 against a plain reading of the inet_pton rule. The relaxations each edge
// opts into (leading zeros, a zone suffix) and the comparison helpers are checked directly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectEach } from '../../helpers/expect-each.js';
import {
  canonicalIp,
  formatIp,
  formatIpv6,
  formatMac,
  ipOf,
  isMulticast,
  isMulticastBytes,
  LENIENT,
  LENIENT_V4,
  parseIp,
  parseIpv4,
  parseIpv6,
} from '../../../src/lib/ip.js';

/** The URL parser's canonical IPv6 text, or undefined when it refuses the literal. */
function whatwg(text: string): string | undefined {
  try {
    const h = new URL(`http://[${text}]/`).hostname;
    return h.slice(1, -1);
  } catch {
    return undefined;
  }
}

function referenceV4(text: string, leadingZeros: boolean): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const ok = (p: string) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255 && (leadingZeros || p === '0' || p[0] !== '0');
  return parts.every(ok) ? parts.map(Number) : undefined;
}

const hexGroup = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)),
  fc.constantFrom('0', '00', '0000', 'FFFF', 'fF02', '12345', '', 'g', '1.2.3.4', '01.2.3.4', '256.1.1.1'),
);
const v6ish = fc
  .tuple(fc.array(hexGroup, { minLength: 0, maxLength: 9 }), fc.integer({ min: -1, max: 9 }))
  .map(([gs, gap]) => {
    const parts = gs.slice();
    if (gap >= 0 && gap <= parts.length) parts.splice(gap, 0, '');
    return parts.join(':');
  });
const v6chars = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'), maxLength: 46 });

describe('lib/ip IPv6', () => {
  it('accepts and canonicalises exactly what the WHATWG host parser does', () => {
    fc.assert(
      fc.property(fc.oneof(v6ish, v6chars), (t) => {
        const b = parseIpv6(t);
        const ref = whatwg(t);
        expect(b === undefined ? undefined : formatIpv6(b)).toBe(ref);
      }),
      { numRuns: 20_000 },
    );
  });
  it('formats any 16 bytes as the reference does, and parses its own text back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
        (groups) => {
          const bytes = new Uint8Array(groups.flatMap((g) => [g >> 8, g & 0xff]));
          const text = formatIpv6(bytes);
          expect(text).toBe(whatwg(groups.map((g) => g.toString(16)).join(':')));
          expect(parseIpv6(text)).toEqual(bytes);
        },
      ),
      { numRuns: 5_000 },
    );
  });
  it('RFC 5952 examples', () => {
    expectEach((t: string) => canonicalIp(t), [
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['0:0:0:0:0:0:0:0', '::'],
    ]);
  });
  it('a zone suffix is dropped only under the runtime rules', () => {
    expect(parseIpv6('fe80::1%eth0')).toBeUndefined();
    expect(parseIpv6('fe80::1%eth0', LENIENT_V4)).toBeUndefined();
    expect(canonicalIp('fe80::1%eth0', LENIENT)).toBe('fe80::1');
    expect(canonicalIp('%eth0', LENIENT)).toBeUndefined();
  });
});

describe('lib/ip IPv4', () => {
  const part = fc.oneof(
    fc.integer({ min: 0, max: 1100 }).map(String),
    fc.constantFrom('', '0', '00', '000', '0000', '01', '001', '255', '256', 'a', ' 1', '+1', '-1'),
  );
  const dotted = fc.array(part, { minLength: 1, maxLength: 6 }).map((ps) => ps.join('.'));
  it('follows inet_pton, or inet_pton with leading zeros when asked', () => {
    fc.assert(
      fc.property(fc.oneof(dotted, fc.string({ maxLength: 20 })), (t) => {
        const strict = parseIpv4(t);
        const lenient = parseIpv4(t, LENIENT_V4);
        expect(strict === undefined ? undefined : Array.from(strict)).toEqual(referenceV4(t, false));
        expect(lenient === undefined ? undefined : Array.from(lenient)).toEqual(referenceV4(t, true));
        // The allocation-free multicast test on text reads IPv4 by the lenient rule.
        expect(isMulticast(t)).toBe(lenient !== undefined && (lenient[0] & 0xf0) === 0xe0);
      }),
      { numRuns: 20_000 },
    );
  });
  it('canonical text drops leading zeros', () => {
    expect(canonicalIp('192.000.002.010', LENIENT_V4)).toBe('192.0.2.10');
    expect(canonicalIp('192.000.002.010')).toBeUndefined();
    expect(formatIp(Uint8Array.of(198, 51, 100, 7))).toBe('198.51.100.7');
    expect(formatIp(new Uint8Array(5))).toBeUndefined();
  });
});

describe('lib/ip comparisons', () => {
  it('values of different spellings of one address are equal and ordered numerically', () => {
    expect(ipOf('2001:db8::1:0').compare(ipOf('2001:db8::ffff'))).toBe(1);
    expect(ipOf('2001:DB8:0::1').equals(ipOf('2001:db8::1'))).toBe(true);
    expect(ipOf('010.0.0.1', LENIENT_V4).equals(ipOf('10.0.0.1'))).toBe(true);
  });
  it('multicast: 224.0.0.0/4 and ff00::/8 only', () => {
    for (const m of ['224.0.0.18', '239.255.255.255', 'ff02::12', 'FF05::1:3', 'ff00::']) expect(isMulticast(m)).toBe(true);
    for (const u of ['223.255.255.255', '240.0.0.0', 'ff::1', 'fe80::1', '::ff00:0', 'fff::1', 'ffg2::1', '']) expect(isMulticast(u)).toBe(false);
    expect(isMulticastBytes(parseIp('ff02::1')!.bytes)).toBe(true);
    expect(isMulticastBytes(parseIp('192.0.2.1')!.bytes)).toBe(false);
  });
  it('MAC text', () => {
    const b = Uint8Array.of(9, 0, 0, 0x5e, 0, 1, 0x0a, 0xff);
    expect(formatMac(b, 1, 6)).toBe('00:00:5e:00:01:0a');
    expect(formatMac(Uint8Array.of(0xab, 1))).toBe('ab:01');
  });
});

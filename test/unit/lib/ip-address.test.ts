// IpAddress, the address value of src/lib/ip.ts: made from text or bytes, it must agree with the
// byte parser and the RFC 5952 formatter of the same module (themselves checked against the
// WHATWG host parser in ip.test.ts), and order exactly as the unsigned numbers the bytes spell.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToBigInt, formatIp, IpAddress, ipOf, LENIENT, LENIENT_V4, parseIp, sameAddresses } from '../../../src/lib/ip.js';

const v4bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
const v6bytes = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  // Mostly-zero addresses exercise the `::` forms.
  fc.array(fc.constantFrom(0, 0, 0, 1, 0xff, 0xfe, 0x80), { minLength: 16, maxLength: 16 }).map((a) => Uint8Array.from(a)),
);
const anyBytes = fc.oneof(v4bytes, v6bytes);

describe('IpAddress', () => {
  it('from bytes: text is formatIp of the bytes, bytes come back unchanged, parse of the text is equal', () => {
    fc.assert(
      fc.property(anyBytes, (b) => {
        const a = IpAddress.fromBytes(b);
        expect(a.family).toBe(b.length === 4 ? 'inet' : 'inet6');
        expect(a.text).toBe(formatIp(b));
        expect(String(a)).toBe(a.text);
        expect(JSON.stringify({ a })).toBe(JSON.stringify({ a: a.text }));
        expect(Array.from(a.bytes)).toEqual(Array.from(b));
        expect(a.toBigInt()).toBe(bytesToBigInt(b));
        const p = IpAddress.parse(a.text);
        expect(p).toBeDefined();
        expect(p!.equals(a)).toBe(true);
        expect(p!.compare(a)).toBe(0);
      }),
    );
  });

  it('reads bytes at an offset and refuses bytes that are not there', () => {
    const buf = Uint8Array.of(9, 9, 192, 0, 2, 7, 9);
    expect(IpAddress.fromBytes(buf, 2, 'inet').text).toBe('192.0.2.7');
    expect(() => IpAddress.fromBytes(buf, 4, 'inet')).toThrow(RangeError);
    expect(() => IpAddress.fromBytes(buf, 0, 'inet6')).toThrow(RangeError);
    expect(() => IpAddress.fromBytes(Uint8Array.of(1, 2, 3))).toThrow(RangeError);
    const out = new Uint8Array(6);
    ipOf('198.51.100.9').writeTo(out, 1);
    expect(Array.from(out)).toEqual([0, 198, 51, 100, 9, 0]);
  });

  it('parses what parseIp parses, under the same rules, and nothing else', () => {
    const texts = ['192.0.2.1', '010.0.0.1', '256.0.0.1', '1.2.3', '2001:DB8::1', 'fe80::1%eth0', '::ffff:1.2.3.4', ':::', '', 'x'];
    for (const rules of [undefined, LENIENT_V4, LENIENT]) {
      for (const t of texts) {
        const p = parseIp(t, rules);
        const a = IpAddress.parse(t, rules);
        expect(a === undefined, `${t}`).toBe(p === undefined);
        if (p && a) {
          expect(a.family).toBe(p.family);
          expect(Array.from(a.bytes)).toEqual(Array.from(p.bytes));
          expect(a.text).toBe(formatIp(p.bytes));
        }
      }
    }
    expect(ipOf('2001:DB8:0:0:0:0:0:1').text).toBe('2001:db8::1');
    expect(() => ipOf('192.0.2')).toThrow(TypeError);
  });

  it('equality and order are those of the unsigned numbers, IPv4 before IPv6', () => {
    fc.assert(
      fc.property(anyBytes, anyBytes, (x, y) => {
        const a = IpAddress.fromBytes(x);
        const b = IpAddress.fromBytes(y);
        const want = x.length !== y.length ? (x.length < y.length ? -1 : 1) : Math.sign(Number(bytesToBigInt(x) - bytesToBigInt(y)));
        expect(a.compare(b)).toBe(want);
        expect(b.compare(a)).toBe(-want);
        expect(a.equals(b)).toBe(want === 0);
      }),
    );
    // Same bytes, other family: never equal (the IPv4 address 0.0.0.0 is not ::).
    expect(ipOf('0.0.0.0').equals(ipOf('::'))).toBe(false);
  });

  it('classifies multicast and link-local from the bytes', () => {
    const cases: [string, boolean, boolean][] = [
      ['224.0.0.18', true, false],
      ['239.255.255.255', true, false],
      ['223.255.255.255', false, false],
      ['240.0.0.0', false, false],
      ['ff02::12', true, false],
      ['fe80::1', false, true],
      ['febf:ffff::1', false, true],
      ['fec0::1', false, false],
      ['2001:db8::1', false, false],
    ];
    for (const [t, mc, ll] of cases) {
      expect(ipOf(t).isMulticast(), t).toBe(mc);
      expect(ipOf(t).isLinkLocal(), t).toBe(ll);
    }
  });

  it('compares address lists as sets of values', () => {
    const l = (...t: string[]) => t.map((x) => ipOf(x));
    expect(sameAddresses(l('192.0.2.1', '192.0.2.2'), l('192.0.2.2', '192.0.2.1'))).toBe(true);
    expect(sameAddresses(l('2001:db8::1'), l('2001:DB8:0::1'))).toBe(true);
    expect(sameAddresses(l('192.0.2.1'), l('192.0.2.1', '192.0.2.2'))).toBe(false);
    expect(sameAddresses(l('192.0.2.1', '192.0.2.3'), l('192.0.2.1', '192.0.2.2'))).toBe(false);
  });
});

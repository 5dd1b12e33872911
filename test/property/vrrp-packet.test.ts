// Properties of the VRRP codec (fast-check): round trip, total decoding, and that the checksum
// catches every single-bit corruption it can.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cs } from '../../src/lib/units.js';
import {
  decodeAdvert,
  decodeVrrpIpv4Packet,
  encodeAdvert,
  encodeIpv4Packet,
  formatIpv6,
  setAdvertPriority,
  type ChecksumMode,
  type VrrpAdvert,
} from '../../src/vrrp/packet/index.js';
import { IpAddress, ipOf, parseIpv6 } from '../../src/lib/ip.js';

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => IpAddress.fromBytes(b));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => IpAddress.fromBytes(b));

const advertV2: fc.Arbitrary<VrrpAdvert> = fc
  .record({
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    seconds: fc.integer({ min: 1, max: 255 }),
    authType: fc.constantFrom(0 as const, 1 as const, 2 as const),
    pass: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    addresses: fc.array(ipv4, { maxLength: 40 }),
  })
  .map(({ vrid, priority, seconds, authType, pass, addresses }) => ({
    version: 2 as const,
    family: 'inet' as const,
    vrid,
    priority,
    advertInt: cs(seconds * 100),
    authType,
    ...(authType === 1 ? { authData: pass } : {}),
    addresses,
  }));

const advertV3 = (family: 'inet' | 'inet6'): fc.Arbitrary<VrrpAdvert> =>
  fc
    .record({
      vrid: fc.integer({ min: 1, max: 255 }),
      priority: fc.integer({ min: 0, max: 255 }),
      int: fc.integer({ min: 0, max: 4095 }),
      addresses: fc.array(family === 'inet' ? ipv4 : ipv6, { maxLength: 30 }),
    })
    .map(({ vrid, priority, int, addresses }) => ({
      version: 3 as const,
      family,
      vrid,
      priority,
      advertInt: cs(int),
      authType: 0 as const,
      addresses,
    }));

interface Case {
  advert: VrrpAdvert;
  src: IpAddress;
  dst: IpAddress;
  checksum: ChecksumMode;
}

const anyCase: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ advert: advertV2, src: ipv4, dst: ipv4, checksum: fc.constant<ChecksumMode>('pseudo-header') }),
  fc.record({ advert: advertV3('inet'), src: ipv4, dst: ipv4, checksum: fc.constantFrom<ChecksumMode>('pseudo-header', 'as-v2') }),
  fc.record({ advert: advertV3('inet6'), src: ipv6, dst: ipv6, checksum: fc.constant<ChecksumMode>('pseudo-header') }),
);

const ctxOf = (c: Case) => ({ family: c.advert.family, src: c.src, dst: c.dst, checksum: c.checksum });

describe('VRRP codec properties', () => {
  it('decode(encode(x)) == x for valid adverts of both versions and families', () => {
    fc.assert(
      fc.property(anyCase, (c) => {
        const bytes = encodeAdvert(c.advert, c);
        const r = decodeAdvert(bytes, ctxOf(c));
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.advert).toEqual(c.advert);
      }),
      { numRuns: 2000 },
    );
  });

  it('encode(decode(bytes)) == bytes (no information lost for valid messages)', () => {
    fc.assert(
      fc.property(anyCase, (c) => {
        const bytes = encodeAdvert(c.advert, c);
        const r = decodeAdvert(bytes, ctxOf(c));
        if (!r.ok) return false;
        return encodeAdvert(r.advert, c).equals(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('decodeAdvert never throws on arbitrary bytes, and returns a typed result', () => {
    const ctx = fc.record({
      family: fc.constantFrom('inet' as const, 'inet6' as const),
      src: fc.option(fc.oneof(ipv4, ipv6, fc.uint8Array({ maxLength: 20 })), { nil: undefined }),
      dst: fc.option(fc.oneof(ipv4, ipv6, fc.uint8Array({ maxLength: 20 })), { nil: undefined }),
      checksum: fc.constantFrom<ChecksumMode | undefined>(undefined, 'pseudo-header', 'as-v2', 'kernel'),
    });
    // Bias towards plausible headers so deep paths are reached, not just 'bad-version'.
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.tuple(fc.constantFrom(0x21, 0x31), fc.uint8Array({ maxLength: 200 })).map(([h, rest]) => Uint8Array.from([h, ...rest])),
    );
    fc.assert(
      fc.property(bytes, ctx, (b, c) => {
        const r = decodeAdvert(b, c);
        if (r.ok) expect(r.advert.addresses.length).toBe(b[3]);
        else expect(typeof r.reason).toBe('string');
      }),
      { numRuns: 5000 },
    );
  });

  it('decodeVrrpIpv4Packet never throws on arbitrary bytes', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ minLength: 19, maxLength: 80 }).map((b) => Uint8Array.from([0x45, ...b])),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const r = decodeVrrpIpv4Packet(b);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 5000 },
    );
  });

  it('a single-bit flip is rejected (never a silently different or identical advert)', () => {
    // A one-bit error changes the one's complement sum by +-2^k, which is never 0 mod 0xffff,
    // so the checksum (or an earlier structural check) must catch every one of them. This is
    // stronger than "rejected or decodes to a different valid advert".
    fc.assert(
      fc.property(anyCase, fc.nat(), fc.integer({ min: 0, max: 7 }), (c, pos, bit) => {
        const bytes = encodeAdvert(c.advert, c);
        const flipped = Buffer.from(bytes);
        flipped[pos % bytes.length] ^= 1 << bit;
        const r = decodeAdvert(flipped, ctxOf(c));
        expect(r.ok).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('every single-bit flip of a fixed advert is rejected (exhaustive over bits)', () => {
    const cases: Case[] = [
      { advert: { version: 2, family: 'inet', vrid: 51, priority: 100, advertInt: cs(100), authType: 1, authData: new TextEncoder().encode('secret12'), addresses: [ipOf('192.0.2.100'), ipOf('192.0.2.101')] }, src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), checksum: 'pseudo-header' },
      { advert: { version: 3, family: 'inet', vrid: 53, priority: 200, advertInt: cs(50), authType: 0, addresses: [ipOf('192.0.2.103')] }, src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), checksum: 'pseudo-header' },
      { advert: { version: 3, family: 'inet6', vrid: 54, priority: 150, advertInt: cs(100), authType: 0, addresses: [ipOf('2001:db8::100')] }, src: ipOf('fe80::1'), dst: ipOf('ff02::12'), checksum: 'pseudo-header' },
    ];
    for (const c of cases) {
      const bytes = encodeAdvert(c.advert, c);
      let accepted = 0;
      for (let i = 0; i < bytes.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const f = Buffer.from(bytes);
          f[i] ^= 1 << bit;
          if (decodeAdvert(f, ctxOf(c)).ok) accepted++;
        }
      }
      expect(accepted).toBe(0);
    }
  });

  it('setAdvertPriority equals a full re-encode', () => {
    fc.assert(
      fc.property(anyCase, fc.integer({ min: 0, max: 255 }), (c, p) => {
        const bytes = encodeAdvert(c.advert, c);
        setAdvertPriority(bytes, p);
        return bytes.equals(encodeAdvert({ ...c.advert, priority: p }, c));
      }),
      { numRuns: 2000 },
    );
  });

  it('IPv4 packet round trip keeps TTL/src/dst and the advert', () => {
    const v4case = fc.record({
      advert: fc.oneof(advertV2, advertV3('inet')),
      src: ipv4,
      dst: ipv4,
      ttl: fc.integer({ min: 0, max: 255 }),
      id: fc.integer({ min: 0, max: 0xffff }),
    });
    fc.assert(
      fc.property(v4case, (c) => {
        const pkt = encodeIpv4Packet({ src: c.src, dst: c.dst, ttl: c.ttl, id: c.id }, encodeAdvert(c.advert, c));
        const r = decodeVrrpIpv4Packet(pkt);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.advert).toEqual(c.advert);
          expect(r.ip).toMatchObject({ ttl: c.ttl, src: c.src, dst: c.dst, id: c.id, protocol: 112 });
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('IPv6 formatting agrees with an independent serializer (WHATWG URL host, RFC 5952 rules)', () => {
    // Node's URL parser canonicalises IPv6 hosts: lower-case hex, longest run of >= 2 zero
    // groups compressed (first on a tie). Feed it a non-canonical spelling of the same bytes
    // (every group written out with leading zeros, random case) and compare with ours.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (b, upper) => {
        const groups: string[] = [];
        for (let i = 0; i < 8; i++) groups.push(((b[2 * i] << 8) | b[2 * i + 1]).toString(16).padStart(4, '0'));
        let long = groups.join(':');
        if (upper) long = long.toUpperCase();
        const theirs = new URL(`http://[${long}]/`).hostname.slice(1, -1);
        expect(formatIpv6(parseIpv6(long)!)).toBe(theirs);
        expect(formatIpv6(b)).toBe(theirs);
      }),
      { numRuns: 3000 },
    );
  });

  it('IPv6 text round trips through bytes in canonical form', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const t = formatIpv6(b);
        expect(Buffer.from(parseIpv6(t)!).equals(Buffer.from(b))).toBe(true);
        expect(formatIpv6(parseIpv6(t)!)).toBe(t);
      }),
      { numRuns: 2000 },
    );
  });
});

// IP text <-> bytes under the kernel layer's rules (src/lib/ip.ts, LENIENT). The independent reference for canonical IPv6 text is the WHATWG URL
// parser built into Node (it prints hosts in RFC 5952 form), and node:net for validity.
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectEach } from '../../helpers/expect-each.js';
import { canonicalIp as canonicalText, formatIp, ipv4Broadcast, isIpv6LinkLocal, LENIENT, parseIp as parseText } from '../../../src/lib/ip.js';

// The kernel layer's rules: IPv4 leading zeros and an IPv6 zone suffix are accepted.
const parseIp = (t: string) => parseText(t, LENIENT);
const canonicalIp = (t: string) => canonicalText(t, LENIENT);

const urlCanonical6 = (text: string): string => new URL(`http://[${text}]/`).hostname.slice(1, -1);

describe('kernel address text (lib/ip LENIENT)', () => {
  it('formats random IPv6 addresses exactly as the URL parser canonicalises them, and parses them back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 8 }), (bytes, zeros) => {
        const b = Uint8Array.from(bytes);
        b.fill(0, 4, 4 + 2 * Math.min(zeros, 6)); // make zero runs common
        const text = formatIp(b)!;
        expect(text).toBe(urlCanonical6(text));
        expect(Array.from(parseIp(text)!.bytes)).toEqual(Array.from(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('parses the usual spellings', () => {
    expectEach(canonicalIp, [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::1%eth0', 'fe80::1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
      ['192.0.2.1', '192.0.2.1'],
    ]);
    expect(parseIp('192.0.2.1')!.family).toBe('inet');
  });

  it('rejects what node:net rejects', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', ':::', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', 'a.b.c.d']) {
      expect(isIP(bad)).toBe(0);
      expect(parseIp(bad)).toBeUndefined();
    }
  });

  it('computes brd + and recognises link-local', () => {
    const brd = (p: string): string | undefined => {
      const [ip, len] = p.split('/');
      return formatIp(ipv4Broadcast(parseIp(ip)!.bytes, Number(len)));
    };
    expectEach(brd, [
      ['192.0.2.10/24', '192.0.2.255'],
      ['10.1.2.3/8', '10.255.255.255'],
      ['192.0.2.10/32', '192.0.2.10'],
      ['192.0.2.10/0', '255.255.255.255'],
    ]);
    expectEach((t: string) => isIpv6LinkLocal(parseIp(t)!.bytes), [
      ['fe80::1', true],
      ['febf::1', true],
      ['fec0::1', false],
    ]);
  });
});

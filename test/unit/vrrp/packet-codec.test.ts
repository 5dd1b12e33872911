// Unit tests of the VRRP codec's edges: every typed decode failure, the incremental priority
// update, the IPv4 whole-packet decoder (padding, AH, fragments), address text forms.
import { describe, expect, it } from 'vitest';
import { expectEach } from '../../helpers/expect-each.js';
import { cs } from '../../../src/lib/units.js';
import {
  buildGratuitousArp,
  buildUnsolicitedNa,
  decodeArpFrame,
  decodeNaFrame,
  decodeAdvert,
  decodeIpv4,
  decodeVrrpIpv4Packet,
  encodeAdvert,
  encodeIpv4Header,
  encodeIpv4Packet,
  incrementalUpdate16,
  internetChecksum,
  setAdvertPriority,
  VrrpEncodeError,
  vmacFor,
  type VrrpAdvert,
} from '../../../src/vrrp/packet/index.js';
import { canonicalIp, formatIpv6, ipOf, parseIpv4, parseIpv6 } from '../../../src/lib/ip.js';

const v2: VrrpAdvert = {
  version: 2,
  family: 'inet',
  vrid: 51,
  priority: 100,
  advertInt: cs(100),
  authType: 1,
  authData: new TextEncoder().encode('secret12'),
  addresses: [ipOf('192.0.2.100'), ipOf('192.0.2.101')],
};
const v3: VrrpAdvert = { version: 3, family: 'inet', vrid: 53, priority: 200, advertInt: cs(50), authType: 0, addresses: [ipOf('192.0.2.103')] };
const v3ctx = { src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18') };
const v6: VrrpAdvert = { version: 3, family: 'inet6', vrid: 54, priority: 150, advertInt: cs(100), authType: 0, addresses: [ipOf('2001:db8::100')] };
const v6ctx = { src: ipOf('fe80::1'), dst: ipOf('ff02::12') };

function reason(bytes: Uint8Array, ctx: Parameters<typeof decodeAdvert>[1]): string {
  const r = decodeAdvert(bytes, ctx);
  return r.ok ? 'ok' : r.reason;
}

/** Re-checksum a v2 message after a test edits it, so only the intended check can fail. */
function fixV2(b: Buffer): Buffer {
  b.writeUInt16BE(0, 6);
  b.writeUInt16BE(internetChecksum(b), 6);
  return b;
}

describe('decodeAdvert failure reasons', () => {
  const good2 = encodeAdvert(v2);
  const good3 = encodeAdvert(v3, v3ctx);

  it('accepts the well-formed adverts', () => {
    expect(reason(good2, { family: 'inet' })).toBe('ok');
    expect(reason(good3, { family: 'inet', ...v3ctx })).toBe('ok');
  });
  it('too-short: less than the 8-byte header, or a v2 message without its auth data', () => {
    expect(reason(new Uint8Array(0), { family: 'inet' })).toBe('too-short');
    expect(reason(good2.subarray(0, 7), { family: 'inet' })).toBe('too-short');
    const noAuth = fixV2(Buffer.from(good2.subarray(0, 12)));
    noAuth[3] = 0;
    expect(reason(noAuth, { family: 'inet' })).toBe('too-short');
  });
  it('too-long: more than 255 addresses could fill', () => {
    expect(reason(Buffer.concat([good3, Buffer.alloc(255 * 4)]), { family: 'inet', ...v3ctx })).toBe('too-long');
  });
  it('count-mismatch: length disagrees with the address count', () => {
    const b = Buffer.from(good2);
    b[3] = 3;
    expect(reason(fixV2(b), { family: 'inet' })).toBe('count-mismatch');
    expect(reason(Buffer.concat([good3, Buffer.alloc(2)]), { family: 'inet', ...v3ctx })).toBe('count-mismatch');
    // An IPv4 v3 message read as IPv6 has the wrong address size.
    expect(reason(good3, { family: 'inet6', ...v6ctx })).toBe('count-mismatch');
  });
  it('bad-version: anything but 2/3, and v2 over IPv6', () => {
    for (const ver of [0, 1, 4, 15]) {
      const b = Buffer.from(good2);
      b[0] = (ver << 4) | 1;
      expect(reason(fixV2(b), { family: 'inet' })).toBe('bad-version');
    }
    expect(reason(good2, { family: 'inet6' })).toBe('bad-version');
  });
  // One byte of a good v2 advert changed (its checksum fixed): [test, offset, value, reason].
  const oneByte = [
    ['bad-type: type other than 1 (advertisement)', 0, 0x22, 'bad-type'],
    ['bad-vrid: VRID 0', 1, 0, 'bad-vrid'],
    ['bad-auth-type: v2 auth type above 2', 4, 3, 'bad-auth-type'],
  ] as const;
  for (const [name, at, value, want] of oneByte) {
    it(name, () => {
      const b = Buffer.from(good2);
      b[at] = value;
      expect(reason(fixV2(b), { family: 'inet' })).toBe(want);
    });
  }
  it('bad-checksum: v2, v3 with the wrong source, v3 sent as-v2 checked as pseudo-header', () => {
    const b = Buffer.from(good2);
    b[5] = 2;
    expect(reason(b, { family: 'inet' })).toBe('bad-checksum');
    expect(reason(good3, { family: 'inet', src: ipOf('192.0.2.9'), dst: ipOf('224.0.0.18') })).toBe('bad-checksum');
    const asV2 = encodeAdvert(v3, { checksum: 'as-v2' });
    expect(reason(asV2, { family: 'inet', ...v3ctx })).toBe('bad-checksum');
    expect(reason(asV2, { family: 'inet', ...v3ctx, checksum: 'as-v2' })).toBe('ok');
    expect(reason(good3, { family: 'inet', ...v3ctx, checksum: 'as-v2' })).toBe('bad-checksum');
  });
  it('bad-checksum carries the unverified fields; skipChecksum reads them as ok', () => {
    const b = Buffer.from(good2);
    b[2] = 42; // priority changed, checksum not
    const r = decodeAdvert(b, { family: 'inet' });
    expect(r).toMatchObject({ ok: false, reason: 'bad-checksum', unverified: { vrid: 51, priority: 42, authType: 1 } });
    expect(decodeAdvert(b, { family: 'inet', skipChecksum: true })).toMatchObject({ ok: true, checksum: 'unchecked', advert: { priority: 42 } });
    expect(decodeAdvert(good2, { family: 'inet' })).not.toHaveProperty('unverified');
    const p = encodeIpv4Packet({ src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), id: 1 }, b);
    expect(decodeVrrpIpv4Packet(p)).toMatchObject({ ok: false, reason: 'bad-checksum', unverified: { priority: 42 }, ip: { ttl: 255 } });
    expect(decodeVrrpIpv4Packet(p, { skipChecksum: true })).toMatchObject({ ok: true, advert: { priority: 42 } });
  });
  it('missing-addressing: v3 pseudo-header check without src/dst', () => {
    expect(reason(good3, { family: 'inet' })).toBe('missing-addressing');
    expect(reason(good3, { family: 'inet', src: ipOf('2001:db8::1'), dst: ipOf('224.0.0.18') })).toBe('missing-addressing');
    expect(reason(good3, { family: 'inet', src: Uint8Array.of(192, 0, 2), dst: ipOf('224.0.0.18') })).toBe('missing-addressing');
  });
  it("'kernel' mode skips the v3 check (IPv6 sockets validate it)", () => {
    const b = encodeAdvert(v6, { checksum: 'kernel' });
    expect(b.readUInt16BE(6)).toBe(0);
    expect(decodeAdvert(b, { family: 'inet6', checksum: 'kernel' })).toMatchObject({ ok: true, checksum: 'unchecked' });
  });
  it('ignores the v3 reserved bits and accepts v2 auth types 0 and 2 without auth data in the result', () => {
    const b = Buffer.from(encodeAdvert(v3, v3ctx));
    b[4] |= 0xf0;
    // Fix the checksum for the changed reserved bits, keeping the pseudo-header.
    const r = decodeAdvert(b, { family: 'inet', ...v3ctx });
    expect(r.ok).toBe(false);
    const fixed = encodeAdvert(v3, v3ctx);
    const patched = Buffer.from(fixed);
    patched[4] |= 0xf0;
    patched.writeUInt16BE(incrementalUpdate16(fixed.readUInt16BE(6), fixed.readUInt16BE(4), patched.readUInt16BE(4)), 6);
    const ok = decodeAdvert(patched, { family: 'inet', ...v3ctx });
    expect(ok.ok && ok.advert.advertInt).toBe(50);
    for (const at of [0, 2] as const) {
      const r2 = decodeAdvert(encodeAdvert({ ...v2, authType: at, authData: undefined }), { family: 'inet' });
      expect(r2.ok && r2.advert.authType).toBe(at);
      expect(r2.ok && 'authData' in r2.advert).toBe(false);
    }
  });
});

describe('encodeAdvert rejects adverts that cannot be on the wire', () => {
  const bad: Array<[string, VrrpAdvert, object?]> = [
    ['vrid 0', { ...v3, vrid: 0 }, v3ctx],
    ['vrid 256', { ...v3, vrid: 256 }, v3ctx],
    ['priority 256', { ...v3, priority: 256 }, v3ctx],
    ['v2 over IPv6', { ...v6, version: 2 }],
    ['v2 fractional seconds', { ...v2, advertInt: cs(150) }],
    ['v2 interval 0', { ...v2, advertInt: cs(0) }],
    ['v2 interval 256 s', { ...v2, advertInt: cs(25600) }],
    ['v3 interval beyond 12 bits', { ...v3, advertInt: cs(4096) }, v3ctx],
    ['v3 with auth', { ...v3, authType: 1 }, v3ctx],
    ['IPv6 address in IPv4 advert', { ...v3, addresses: [ipOf('2001:db8::1')] }, v3ctx],
    ['256 addresses', { ...v3, addresses: new Array(256).fill('192.0.2.1') }, v3ctx],
    ['auth data of 9 bytes', { ...v2, authData: new Uint8Array(9) }],
    ['v3 without src/dst', v3, {}],
  ];
  for (const [name, advert, ctx] of bad) {
    it(name, () => expect(() => encodeAdvert(advert, ctx)).toThrow(VrrpEncodeError));
  }
});

describe('setAdvertPriority (RFC 1624 incremental checksum)', () => {
  const cases: Array<[string, VrrpAdvert, object]> = [
    ['v2', v2, {}],
    ['v3 IPv4', v3, v3ctx],
    ['v3 IPv4 as-v2', v3, { checksum: 'as-v2' }],
    ['v3 IPv6', v6, v6ctx],
  ];
  for (const [name, advert, ctx] of cases) {
    it(`${name}: equals a full re-encode for every priority`, () => {
      const pkt = encodeAdvert(advert, ctx);
      for (let p = 0; p <= 255; p++) {
        setAdvertPriority(pkt, p);
        expect(pkt.toString('hex')).toBe(encodeAdvert({ ...advert, priority: p }, ctx).toString('hex'));
      }
    });
  }
  it("leaves a kernel-computed checksum at 0 with 'kernel'", () => {
    const pkt = encodeAdvert(v6, { checksum: 'kernel' });
    setAdvertPriority(pkt, 7, 'kernel');
    expect(pkt[2]).toBe(7);
    expect(pkt.readUInt16BE(6)).toBe(0);
  });
});

describe('IPv4 framing', () => {
  const payload = encodeAdvert(v3, v3ctx);
  const pkt = encodeIpv4Packet({ src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), id: 1 }, payload);

  it('builds keepalived-style headers: TOS 0xc0, TTL 255, proto 112, DF clear, valid checksum', () => {
    const h = encodeIpv4Header({ src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), id: 1, payloadLength: 12 });
    expect(h[1]).toBe(0xc0);
    expect(h[8]).toBe(255);
    expect(h[9]).toBe(112);
    expect(h[6] & 0x40).toBe(0);
    expect(internetChecksum(h)).toBe(0);
  });
  it('decodes header fields and the advert', () => {
    const r = decodeVrrpIpv4Packet(pkt);
    expect(r).toMatchObject({ ok: true, ip: { ttl: 255, src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), protocol: 112, id: 1 }, padding: 0 });
  });
  it('reports the TTL as received (the caller enforces 255)', () => {
    const low = encodeIpv4Packet({ src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), id: 1, ttl: 64 }, payload);
    const r = decodeVrrpIpv4Packet(low);
    expect(r.ok && r.ip.ttl).toBe(64);
  });
  it('tolerates Ethernet padding up to the 46-byte minimum payload, nothing beyond', () => {
    const padded = Buffer.concat([pkt, Buffer.alloc(46 - pkt.length)]);
    expect(decodeVrrpIpv4Packet(padded)).toMatchObject({ ok: true, padding: 46 - pkt.length });
    const big = encodeIpv4Packet({ src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), id: 1 }, encodeAdvert({ ...v3, addresses: [ipOf('192.0.2.1'), ipOf('192.0.2.2'), ipOf('192.0.2.3'), ipOf('192.0.2.4')] }, v3ctx));
    expect(big.length).toBe(44);
    expect(decodeVrrpIpv4Packet(Buffer.concat([big, Buffer.alloc(2)])).ok).toBe(true);
    expect(decodeVrrpIpv4Packet(Buffer.concat([big, Buffer.alloc(3)]))).toMatchObject({ ok: false, reason: 'too-long' });
  });
  it('rejects truncation, bad IP checksum, fragments, other protocols, non-IPv4', () => {
    expect(decodeVrrpIpv4Packet(pkt.subarray(0, pkt.length - 1))).toMatchObject({ ok: false, reason: 'too-short' });
    const badSum = Buffer.from(pkt);
    badSum[10] ^= 1;
    expect(decodeVrrpIpv4Packet(badSum)).toMatchObject({ ok: false, reason: 'bad-ip-checksum' });
    expect(decodeVrrpIpv4Packet(badSum, { verifyIpChecksum: false }).ok).toBe(true);
    const frag = Buffer.from(pkt);
    frag[6] = 0x20;
    frag.writeUInt16BE(0, 10);
    frag.writeUInt16BE(internetChecksum(frag, 0, 20), 10);
    expect(decodeVrrpIpv4Packet(frag)).toMatchObject({ ok: false, reason: 'fragmented' });
    const udp = encodeIpv4Packet({ src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), id: 1, protocol: 17 }, payload);
    expect(decodeVrrpIpv4Packet(udp)).toMatchObject({ ok: false, reason: 'bad-protocol', ip: { src: ipOf('192.0.2.1') } });
    const six = Buffer.from(pkt);
    six[0] = 0x65;
    expect(decodeIpv4(six)).toMatchObject({ ok: false, reason: 'bad-ip-version' });
  });
  it('passes VRRP errors through with the IP header for logging', () => {
    const corrupt = Buffer.from(pkt);
    corrupt[20 + 2] ^= 0xff;
    expect(decodeVrrpIpv4Packet(corrupt)).toMatchObject({ ok: false, reason: 'bad-checksum', ip: { src: ipOf('192.0.2.1') } });
  });
  it('reads a v2 advert behind an AH header (protocol 51) and returns the AH fields', () => {
    const vrrp = encodeAdvert({ ...v2, authType: 2, authData: undefined });
    const ah = Buffer.alloc(24);
    ah[0] = 112;
    ah[1] = 4; // (24 / 4) - 2
    ah.writeUInt32BE(0xc0000201, 4);
    ah.writeUInt32BE(7, 8);
    ah.fill(0xab, 12);
    const p = encodeIpv4Packet({ src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), id: 1, protocol: 51 }, Buffer.concat([ah, vrrp]));
    const r = decodeVrrpIpv4Packet(p);
    expect(r).toMatchObject({ ok: true, ip: { protocol: 51 }, ah: { nextHeader: 112, length: 24, spi: 0xc0000201, seq: 7 }, advert: { authType: 2 } });
    const badAh = Buffer.from(p);
    badAh[21] = 40;
    expect(decodeVrrpIpv4Packet(badAh)).toMatchObject({ ok: false, reason: 'bad-ah' });
  });
});

describe('address text', () => {
  it('formats IPv6 per RFC 5952', () => {
    expectEach((t: string): string => formatIpv6(parseIpv6(t)!), [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['FF02::12', 'ff02::12'],
    ]);
  });
  it('derives the RFC 5798 7.3 virtual MACs', () => {
    expect(vmacFor(51, 'inet')).toBe('00:00:5e:00:01:33');
    expect(vmacFor(255, 'inet6')).toBe('00:00:5e:00:02:ff');
    expect(() => vmacFor(0, 'inet')).toThrow(RangeError);
  });
  it('rejects malformed text', () => {
    for (const t of ['', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:2:3:4:5:6:7', '::1.2.3']) {
      expect(parseIpv6(t)).toBeUndefined();
    }
    for (const t of ['1.2.3', '256.1.1.1', '01.1.1.1', '1.1.1.1.', 'a.b.c.d', '']) expect(parseIpv4(t)).toBeUndefined();
    expect(canonicalIp('192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalIp('2001:DB8::0:1')).toBe('2001:db8::1');
    expect(canonicalIp('x')).toBeUndefined();
  });
});

describe('GARP and unsolicited NA frames', () => {
  it('GARP: 42 bytes, decodes as gratuitous, also when padded to 60 bytes; other frames are not ARP', () => {
    const f = buildGratuitousArp({ mac: '02:00:5e:10:00:01', ip: ipOf('192.0.2.100') });
    expect(f.length).toBe(42);
    expect(decodeArpFrame(Buffer.concat([f, Buffer.alloc(18)]))).toMatchObject({ gratuitous: true, senderIp: '192.0.2.100' });
    const reply = Buffer.from(f);
    reply[21] = 2;
    expect(decodeArpFrame(reply)).toMatchObject({ op: 2, gratuitous: false });
    const notArp = Buffer.from(f);
    notArp.writeUInt16BE(0x0800, 12);
    expect(decodeArpFrame(notArp)).toBeUndefined();
    expect(decodeArpFrame(f.subarray(0, 41))).toBeUndefined();
    expect(() => buildGratuitousArp({ mac: 'zz', ip: ipOf('192.0.2.1') })).toThrow();
  });
  it('NA: Override always, Router on request, Solicited never; checksum catches corruption', () => {
    const f = buildUnsolicitedNa({ mac: '02:00:5e:10:00:01', target: ipOf('2001:db8::100'), router: false });
    expect(f.length).toBe(86);
    expect(decodeNaFrame(f)).toMatchObject({ override: true, router: false, solicited: false, hopLimit: 255, src: '2001:db8::100', checksumOk: true });
    const bad = Buffer.from(f);
    bad[70] ^= 0x10; // inside the target address
    expect(decodeNaFrame(bad)).toMatchObject({ checksumOk: false });
    const notNa = Buffer.from(f);
    notNa[54] = 135; // neighbour solicitation
    expect(decodeNaFrame(notNa)).toBeUndefined();
    expect(decodeNaFrame(f.subarray(0, 60))).toBeUndefined();
  });
});

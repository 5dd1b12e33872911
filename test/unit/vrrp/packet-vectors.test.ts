// Golden vectors from independent sources (test/vectors/PROVENANCE.md): bytes produced by scapy
// and bytes captured from the real keepalived 2.2.7. Every vector is decoded by our decoder
// (fields compared with the independent decoder's reading) and re-encoded from its fields
// (bytes compared one for one).
import { describe, expect, it } from 'vitest';
import { decodeAdvert } from '../../../src/vrrp/packet/index.js';
import { ipOf } from '../../../src/lib/ip.js';
import { checkVector, OLD_UNICAST_CHECKSUM_VRIDS } from '../../vectors/check.js';
import { hex, loadVectors, type VrrpVector } from '../../vectors/load.js';

const scapy = loadVectors('scapy-vectors.json');
const captured = loadVectors('keepalived-2.2.7.json');

for (const file of [scapy, captured]) {
  describe(`golden vectors: ${file.source}`, () => {
    it('has vectors of every kind', () => {
      const kinds = new Set(file.vectors.map((v) => v.kind));
      expect([...kinds].sort()).toEqual(['arp', 'na', 'vrrp']);
    });
    for (const v of file.vectors) it(v.name, () => checkVector(v));
  });
}

describe('keepalived capture coverage', () => {
  const vrrp = captured.vectors.filter((v): v is VrrpVector => v.kind === 'vrrp');
  it('covers v2 PASS, v2 AH, v2 none, v3 IPv4, v3 IPv6, unicast, priority 0 and old unicast checksum', () => {
    expect(vrrp.some((v) => v.fields.version === 2 && v.fields.authType === 1)).toBe(true);
    expect(vrrp.some((v) => v.fields.version === 2 && v.fields.authType === 0)).toBe(true);
    expect(vrrp.some((v) => v.fields.version === 3 && v.family === 'inet')).toBe(true);
    expect(vrrp.some((v) => v.family === 'inet6' && v.ip.dst === 'ff02::12')).toBe(true);
    expect(vrrp.some((v) => v.family === 'inet6' && v.ip.dst === '2001:db8::2')).toBe(true);
    expect(vrrp.some((v) => v.family === 'inet' && v.ip.dst === '192.0.2.2')).toBe(true);
    expect(vrrp.some((v) => v.fields.priority === 0)).toBe(true);
    expect(vrrp.some((v) => OLD_UNICAST_CHECKSUM_VRIDS.has(v.fields.vrid))).toBe(true);
    expect(vrrp.some((v) => v.ah !== undefined && v.fields.authType === 2)).toBe(true);
  });
  it('the old-unicast-checksum advert does not verify against its real destination', () => {
    const v = vrrp.find((x) => OLD_UNICAST_CHECKSUM_VRIDS.has(x.fields.vrid))!;
    const r = decodeAdvert(hex(v.vrrp), { family: 'inet', src: ipOf(String(v.ip.src)), dst: ipOf(String(v.ip.dst)) });
    expect(r).toMatchObject({ ok: false, reason: 'bad-checksum' });
  });
  it('keepalived multicast adverts carry TTL/hop limit 255 and TOS 0xc0', () => {
    for (const v of vrrp.filter((x) => x.ip.dst === '224.0.0.18')) {
      expect(v.ip.ttl).toBe(255);
      expect(v.ip.tos).toBe(0xc0);
    }
    for (const v of vrrp.filter((x) => x.ip.dst === 'ff02::12')) expect(v.ip.hlim).toBe(255);
  });
});

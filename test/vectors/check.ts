// Checks one golden vector against our codec: decode and compare with the independent tool's
// reading, re-encode from the fields and compare bytes. Shared by the vector tests and the live
// keepalived capture test.
import { expect } from 'vitest';
import { cs } from '../../src/lib/units.js';
import {
  ahKey,
  encodeAhVrrpPacket,
  verifyAhIcv,
  buildGratuitousArp,
  buildUnsolicitedNa,
  decodeAdvert,
  decodeArpFrame,
  decodeNaFrame,
  decodeVrrpIpv4Packet,
  encodeAdvert,
  encodeIpv4Packet,
  VRRP_MCAST_INET,
  type ChecksumMode,
  type VrrpAdvert,
} from '../../src/vrrp/packet/index.js';
import { ipOf, type IpAddress } from '../../src/lib/ip.js';
import { hex, type ArpVector, type NaVector, type Vector, type VrrpVector } from './load.js';

/**
 * VRIDs of the capture config (capture-keepalived.sh) whose instance had `old_unicast_checksum`:
 * keepalived puts the multicast group, not the unicast peer, into the v3 pseudo-header.
 */
export const OLD_UNICAST_CHECKSUM_VRIDS = new Set([57]);

/** `auth_pass` of the capture config's `auth_type AH` instances, by VRID. */
export const AH_KEYS: ReadonlyMap<number, string> = new Map([[59, 'ahsecret']]);

function expectedAdvert(v: VrrpVector): VrrpAdvert {
  const f = v.fields;
  const base = {
    version: f.version,
    family: v.family,
    vrid: f.vrid,
    priority: f.priority,
    addresses: f.addresses.map((a) => ipOf(a)),
  };
  if (f.version === 2) {
    const authType = f.authType as 0 | 1 | 2;
    return {
      ...base,
      advertInt: cs(f.adverIntSeconds! * 100),
      authType,
      ...(authType === 1 ? { authData: new Uint8Array(hex(f.authData!)) } : {}),
    };
  }
  return { ...base, advertInt: cs(f.maxAdverIntCentiseconds!), authType: 0 };
}

function checksumMode(v: VrrpVector): ChecksumMode {
  return v.checksumAsV2 ? 'as-v2' : 'pseudo-header';
}

function pseudoDst(v: VrrpVector): IpAddress {
  return ipOf(OLD_UNICAST_CHECKSUM_VRIDS.has(v.fields.vrid) ? VRRP_MCAST_INET : String(v.ip.dst));
}

function checkVrrp(v: VrrpVector): void {
  if (v.frame) expect(hex(v.frame).subarray(14).toString('hex')).toBe(v.ipPacket);
  const bytes = hex(v.vrrp);
  const want = expectedAdvert(v);
  // Sanity of the vector itself: the count and checksum the independent tool read.
  expect(bytes[3]).toBe(v.fields.count);
  expect(bytes.readUInt16BE(6)).toBe(v.fields.checksum);

  // Decode the bare VRRP message.
  const r = decodeAdvert(bytes, {
    family: v.family,
    src: ipOf(String(v.ip.src)),
    dst: ipOf(String(v.ip.dst)),
    checksum: checksumMode(v),
    altDst: v.family === 'inet' ? ipOf(VRRP_MCAST_INET) : undefined,
  });
  if (!r.ok) throw new Error(`${v.name}: ${r.reason} ${r.detail}`);
  expect(r.advert).toEqual(want);
  if (v.fields.version === 2) expect(r.checksum).toBe('v2');
  else if (v.checksumAsV2) expect(r.checksum).toBe('as-v2');
  else if (OLD_UNICAST_CHECKSUM_VRIDS.has(v.fields.vrid)) expect(r.checksum).toBe('pseudo-header-alt-dst');
  else expect(r.checksum).toBe('pseudo-header');

  // Encode from the fields: byte-for-byte the independent bytes.
  const enc = encodeAdvert(want, { src: ipOf(String(v.ip.src)), dst: pseudoDst(v), checksum: checksumMode(v) });
  expect(enc.toString('hex')).toBe(v.vrrp);
  if (v.independentChecksum !== undefined) expect(enc.readUInt16BE(6)).toBe(v.independentChecksum);

  if (v.family === 'inet') {
    // Whole IPv4 packet: decode (TTL/src/dst/protocol) and rebuild the keepalived header.
    const pkt = hex(v.ipPacket);
    const p = decodeVrrpIpv4Packet(pkt, { checksum: v.checksumAsV2 ? 'as-v2' : 'pseudo-header', altDst: ipOf(VRRP_MCAST_INET) });
    if (!p.ok) throw new Error(`${v.name}: ${p.reason} ${p.detail}`);
    expect(p.advert).toEqual(want);
    expect(p.ip.ttl).toBe(v.ip.ttl);
    expect(String(p.ip.src)).toBe(v.ip.src);
    expect(String(p.ip.dst)).toBe(v.ip.dst);
    expect(p.ip.tos).toBe(v.ip.tos);
    expect(p.ip.id).toBe(v.ip.id);
    expect(p.ip.checksum).toBe(v.ip.checksum);
    if (v.ah) {
      // auth_type AH: header fields as scapy read them, ICV verified with the configured key,
      // and the whole packet rebuilt byte for byte (ICV included).
      expect(p.ip.protocol).toBe(51);
      expect(p.ah).toEqual({ nextHeader: v.ah.nh, length: (v.ah.payloadlen + 2) * 4, spi: v.ah.spi, seq: v.ah.seq, icv: new Uint8Array(hex(v.ah.icv)) });
      const key = ahKey(AH_KEYS.get(v.fields.vrid)!);
      expect(verifyAhIcv(pkt, key)).toBe(true);
      expect(verifyAhIcv(pkt, ahKey('wrongkey'))).toBe(false);
      const ah = encodeAhVrrpPacket(want, {
        src: ipOf(String(v.ip.src)), dst: ipOf(String(v.ip.dst)), id: Number(v.ip.id), ttl: Number(v.ip.ttl), tos: Number(v.ip.tos), seq: v.ah.seq, key,
      });
      expect(ah.toString('hex')).toBe(v.ipPacket);
      return;
    }
    expect(p.ip.protocol).toBe(112);
    const rebuilt = encodeIpv4Packet(
      { src: ipOf(String(v.ip.src)), dst: ipOf(String(v.ip.dst)), id: Number(v.ip.id), ttl: Number(v.ip.ttl), tos: Number(v.ip.tos) },
      enc,
    );
    expect(rebuilt.toString('hex')).toBe(v.ipPacket);
  }
}

function checkArp(v: ArpVector): void {
  const built = buildGratuitousArp({ mac: v.fields.hwsrc, ip: ipOf(v.fields.psrc) });
  expect(built.toString('hex')).toBe(v.frame);
  const d = decodeArpFrame(hex(v.frame));
  expect(d).toMatchObject({
    ethDst: 'ff:ff:ff:ff:ff:ff',
    ethSrc: v.fields.hwsrc,
    op: 1,
    senderMac: v.fields.hwsrc,
    senderIp: v.fields.psrc,
    targetMac: v.fields.hwdst,
    targetIp: v.fields.pdst,
    gratuitous: true,
  });
}

function checkNa(v: NaVector): void {
  const built = buildUnsolicitedNa({ mac: v.fields.tlla!, target: ipOf(v.fields.target), router: v.fields.R === 1 });
  expect(built.toString('hex')).toBe(v.frame);
  if (v.independentChecksum !== undefined) expect(built.readUInt16BE(56)).toBe(v.independentChecksum);
  const d = decodeNaFrame(hex(v.frame));
  expect(d).toEqual({
    ethDst: '33:33:00:00:00:01',
    ethSrc: v.fields.tlla,
    src: v.ip.src,
    dst: 'ff02::1',
    hopLimit: 255,
    router: v.fields.R === 1,
    solicited: false,
    override: true,
    target: v.fields.target,
    targetMac: v.fields.tlla,
    checksumOk: true,
  });
}

export function checkVector(v: Vector): void {
  switch (v.kind) {
    case 'vrrp':
      return checkVrrp(v);
    case 'arp':
      return checkArp(v);
    case 'na':
      return checkNa(v);
  }
}


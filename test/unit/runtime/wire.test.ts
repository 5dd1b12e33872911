import { describe, expect, it } from 'vitest';
import { AdvertEncoder, packetToEvent, peekVrid, type WireConfig } from '../../../src/vrrp/runtime/wire.js';
import { makeInstanceConfig } from '../../../src/vrrp/fsm/config.js';
import type { ReceivedPacket } from '../../../src/net/packet-io.js';
import { cs } from '../../../src/lib/units.js';
import { ipOf } from '../../../src/lib/ip.js';

function wire(over: Parameters<typeof makeInstanceConfig>[0]): WireConfig {
  const cfg = makeInstanceConfig(over);
  return { cfg, src: ipOf('192.0.2.11'), group: ipOf('224.0.0.18') };
}

function rx(bytes: Uint8Array, w: WireConfig, dst = '224.0.0.18'): ReceivedPacket {
  return { family: w.cfg.family, protocol: bytes[9], bytes, src: w.src.text, dst, ttl: bytes[8], ifindex: 2 };
}

describe('runtime wire', () => {
  for (const [label, over] of [
    ['v2 no auth', { vrid: 7, vips: ['192.0.2.100'] }],
    ['v2 PASS', { vrid: 8, vips: ['192.0.2.100', '192.0.2.101'], authType: 1 as const, authPass: 'secret12' }],
    ['v2 AH', { vrid: 9, vips: ['192.0.2.100'], authType: 2 as const, authPass: 'ahkey' }],
    ['v3 IPv4', { vrid: 10, version: 3 as const, advertInt: cs(10), vips: ['192.0.2.100'] }],
  ] as const) {
    it(`round-trips ${label} through encode and packetToEvent with IP header fields keepalived sends`, () => {
      const w = wire(over);
      const enc = new AdvertEncoder(w);
      const bytes = enc.encode(150, ipOf('224.0.0.18'));
      expect(bytes[1]).toBe(0xc0); // TOS
      expect(bytes[8]).toBe(255); // TTL
      expect(Buffer.from(bytes).readUInt16BE(4)).toBe(1); // first IP id is 1
      expect(Buffer.from(enc.encode(150, ipOf('224.0.0.18'))).readUInt16BE(4)).toBe(2);
      expect(peekVrid(rx(bytes, w))).toBe(over.vrid);
      const ev = packetToEvent(rx(bytes, w), w);
      expect(ev.kind).toBe('advertReceived');
      if (ev.kind !== 'advertReceived') return;
      expect(ev.advert?.vrid).toBe(over.vrid);
      expect(ev.advert?.priority).toBe(150);
      expect(ev.advert?.addresses.map(String)).toEqual(over.vips);
      expect(Boolean(ev.rawCheck?.ahPresent)).toBe('authType' in over && over.authType === 2);
      expect(ev.rawCheck?.decodeError).toBeUndefined();
    });
  }

  it('flags a corrupted checksum but still passes the fields to the FSM', () => {
    const w = wire({ vrid: 7, vips: ['192.0.2.100'] });
    const bytes = Buffer.from(new AdvertEncoder(w).encode(100, ipOf('224.0.0.18')));
    bytes[20 + 6] ^= 0xff;
    const ev = packetToEvent(rx(bytes, w), w);
    if (ev.kind !== 'advertReceived') throw new Error('kind');
    expect(ev.rawCheck?.checksumError).toBe(true);
    expect(ev.advert?.vrid).toBe(7);
  });

  it('rejects an AH advert whose ICV was made with another key', () => {
    const sender = wire({ vrid: 9, vips: ['192.0.2.100'], authType: 2, authPass: 'right' });
    const receiver = wire({ vrid: 9, vips: ['192.0.2.100'], authType: 2, authPass: 'wrong' });
    const bytes = new AdvertEncoder(sender).encode(100, ipOf('224.0.0.18'));
    const ev = packetToEvent(rx(bytes, receiver), receiver);
    if (ev.kind !== 'advertReceived') throw new Error('kind');
    expect(ev.advert).toBeUndefined();
    expect(ev.rawCheck?.decodeError).toBe('ah-icv');
  });

  it('sends one copy per unicast peer with the unicast TTL', () => {
    const cfg = makeInstanceConfig({ vrid: 5, vips: ['192.0.2.100'], unicastPeers: [{ address: ipOf('192.0.2.12') }, { address: ipOf('192.0.2.13') }] });
    const enc = new AdvertEncoder({ cfg, src: ipOf('192.0.2.11'), group: ipOf('224.0.0.18'), unicastTtl: 64 });
    expect(enc.destinations().map(String)).toEqual(['192.0.2.12', '192.0.2.13']);
    expect(enc.encode(100, ipOf('192.0.2.12'))[8]).toBe(64);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { LanError, MemoryLan } from '../../../src/net/memory-lan.js';
import type { ReceivedPacket } from '../../../src/net/packet-io.js';

// Independent of memory-lan's own helpers: a straightforward one's-complement sum.
function onesSum(bytes: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) + (bytes[i + 1] ?? 0);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}
function v6(a: string): number[] {
  const [h, t = ''] = a.split('::');
  const hs = h ? h.split(':') : [];
  const ts = t ? t.split(':') : [];
  const all = a.includes('::') ? [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts] : hs;
  return all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}
function v6ChecksumOk(src: string, dst: string, next: number, payload: Uint8Array): boolean {
  const pseudo = new Uint8Array(40 + payload.length + (payload.length % 2));
  pseudo.set(v6(src), 0);
  pseudo.set(v6(dst), 16);
  pseudo[34] = payload.length >> 8;
  pseudo[35] = payload.length & 0xff;
  pseudo[39] = next;
  pseudo.set(payload, 40);
  return onesSum(pseudo) === 0xffff;
}
function ipv4(src: string, dst: string, ttl: number, payload: number[], protocol = 112): Uint8Array {
  const b = new Uint8Array(20 + payload.length);
  b[0] = 0x45;
  b[1] = 0xc0;
  b[5] = 1;
  b[8] = ttl;
  b[9] = protocol;
  b.set(src.split('.').map(Number), 12);
  b.set(dst.split('.').map(Number), 16);
  b.set(payload, 20);
  return b;
}

function lan(opts: Partial<ConstructorParameters<typeof MemoryLan>[0]> = {}) {
  const scheduler = new VirtualTime();
  const l = new MemoryLan({ scheduler, ...opts });
  const a = l.addHost('a', { addresses: ['192.0.2.1', 'fd00::1'] });
  const b = l.addHost('b', { addresses: ['192.0.2.2', 'fd00::2'] });
  const c = l.addHost('c', { addresses: ['192.0.2.3', 'fd00::3'] });
  return { l, scheduler, a, b, c };
}
const v4mc = { family: 'inet' as const, ifname: 'eth0', ifindex: 2, group: '224.0.0.18' };
const v6mc = { family: 'inet6' as const, ifname: 'eth0', ifindex: 2, group: 'ff02::12' };

function collect(sock: { onPacket(h: (p: ReceivedPacket) => void): void }): ReceivedPacket[] {
  const got: ReceivedPacket[] = [];
  sock.onPacket((p) => got.push(p));
  return got;
}

describe('MemoryLan IPv4', () => {
  it('multicast reaches every other host that joined, never the sender, and never synchronously', () => {
    const { scheduler, a, b, c } = lan({ delayMs: 3 });
    const sa = a.openVrrp(v4mc);
    const gotA = collect(sa);
    const gotB = collect(b.openVrrp(v4mc));
    const gotC = collect(c.openVrrp(v4mc));
    sa.send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [0x21, 1, 100, 0, 0, 1, 0, 0]));
    expect(gotB).toHaveLength(0);
    scheduler.advance(2);
    expect(gotB).toHaveLength(0);
    scheduler.advance(1);
    expect(gotA).toHaveLength(0);
    expect(gotB).toHaveLength(1);
    expect(gotC).toHaveLength(1);
    expect(gotB[0]).toMatchObject({ family: 'inet', protocol: 112, src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, ifindex: 2 });
    // Like the kernel for IP_HDRINCL: total length and a valid header checksum filled in.
    const bytes = gotB[0].bytes;
    expect((bytes[2] << 8) | bytes[3]).toBe(28);
    expect(onesSum(bytes.subarray(0, 20))).toBe(0xffff);
    expect(bytes[1]).toBe(0xc0);
  });

  it('the received TTL is the one in the sent header', () => {
    const { scheduler, a, b } = lan();
    const got = collect(b.openVrrp(v4mc));
    a.openVrrp(v4mc).send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 64, [1, 2, 3, 4]));
    scheduler.runAll();
    expect(got[0].ttl).toBe(64);
  });

  it('unicast reaches only the owner of the address; a bound socket sees only its address and no multicast', () => {
    const { scheduler, a, b, c } = lan();
    b.addAddress('192.0.2.12');
    const bound = collect(b.openVrrp({ family: 'inet', ifname: 'eth0', ifindex: 2, bindAddress: '192.0.2.12', group: '224.0.0.18' }));
    const unbound = collect(b.openVrrp({ family: 'inet', ifname: 'eth0', ifindex: 2 }));
    const other = collect(c.openVrrp({ family: 'inet', ifname: 'eth0', ifindex: 2 }));
    const s = a.openVrrp({ family: 'inet', ifname: 'eth0', ifindex: 2, bindAddress: '192.0.2.1' });
    s.send('192.0.2.2', ipv4('192.0.2.1', '192.0.2.2', 255, [1]));
    s.send('192.0.2.12', ipv4('192.0.2.1', '192.0.2.12', 255, [2]));
    s.send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [3]));
    scheduler.runAll();
    expect(bound.map((p) => p.dst)).toEqual(['192.0.2.12']);
    expect(unbound.map((p) => p.dst)).toEqual(['192.0.2.2', '192.0.2.12']); // not a member of the group
    expect(other).toHaveLength(0);
  });

  it('AH (protocol 51) and VRRP (112) sockets do not see each other', () => {
    const { scheduler, a, b } = lan();
    const vrrp = collect(b.openVrrp(v4mc));
    const ah = collect(b.openVrrp({ ...v4mc, protocol: 51 }));
    a.openVrrp({ ...v4mc, protocol: 51 }).send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [0, 0, 0, 0], 51));
    scheduler.runAll();
    expect(vrrp).toHaveLength(0);
    expect(ah).toHaveLength(1);
    expect(ah[0].protocol).toBe(51);
  });

  it('rejects what the kernel would reject, with the same codes', () => {
    const { a } = lan();
    expect(() => a.openVrrp({ ...v4mc, bindAddress: '192.0.2.99' })).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    expect(() => a.openVrrp({ ...v4mc, ifindex: 7 })).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    const s = a.openVrrp(v4mc);
    expect(() => s.send('224.0.0.18', new Uint8Array(8))).toThrow(LanError);
    s.close();
    expect(() => s.send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, []))).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});

describe('MemoryLan IPv6', () => {
  it('multicast from the link-local with hop limit 255 and a checksum computed like IPV6_CHECKSUM', () => {
    const { scheduler, a, b } = lan();
    const got = collect(b.openVrrp(v6mc));
    const payload = new Uint8Array([0x31, 5, 100, 1, 0, 100, 0, 0, ...v6('fd00::100')]);
    a.openVrrp(v6mc).send('ff02::12', payload);
    scheduler.runAll();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ family: 'inet6', src: a.linkLocal, dst: 'ff02::12', ttl: 255 });
    expect(a.linkLocal).toMatch(/^fe80::/);
    expect(got[0].bytes[6] | got[0].bytes[7]).not.toBe(0);
    expect(v6ChecksumOk(a.linkLocal, 'ff02::12', 112, got[0].bytes)).toBe(true);
    expect(payload[6]).toBe(0); // the caller's buffer is not modified
  });

  it('unicast uses the chosen source and unicastHops (kernel default 64 otherwise)', () => {
    const { scheduler, a, b } = lan();
    const got = collect(b.openVrrp({ family: 'inet6', ifname: 'eth0', ifindex: 2 }));
    a.openVrrp({ family: 'inet6', ifname: 'eth0', ifindex: 2, source6: 'fd00::1', unicastHops: 255 }).send('fd00:0::2', new Uint8Array(8));
    a.openVrrp({ family: 'inet6', ifname: 'eth0', ifindex: 2, source6: 'FD00::1' }).send('fd00::2', new Uint8Array(8));
    scheduler.runAll();
    expect(got.map((p) => [p.src, p.dst, p.ttl])).toEqual([
      ['fd00::1', 'fd00::2', 255],
      ['fd00::1', 'fd00::2', 64],
    ]);
  });
});

describe('MemoryLan faults and L2', () => {
  it('loss drops copies per receiver using the injected random source', () => {
    const seq = [0.1, 0.9, 0.2, 0.8];
    let i = 0;
    const { l, scheduler, a, b, c } = lan({ loss: 0.5, random: () => seq[i++ % seq.length] });
    const gotB = collect(b.openVrrp(v4mc));
    const gotC = collect(c.openVrrp(v4mc));
    const s = a.openVrrp(v4mc);
    s.send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [1]));
    s.send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [2]));
    scheduler.runAll();
    // Draws: b=0.1 lost, c=0.9 kept, b=0.2 lost, c=0.8 kept.
    expect(gotB).toHaveLength(0);
    expect(gotC).toHaveLength(2);
    expect(l.stats).toEqual({ sent: 2, delivered: 2, lost: 2, blocked: 0 });
  });

  it('a host with its link down cannot send (ENETDOWN) and hears nothing, including copies in flight', () => {
    const { l, scheduler, a, b } = lan({ delayMs: 10 });
    const got = collect(b.openVrrp(v4mc));
    const s = a.openVrrp(v4mc);
    s.send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [1]));
    scheduler.advance(5);
    l.setLink('b', false);
    scheduler.advance(10);
    expect(got).toHaveLength(0);
    l.setLink('a', false);
    expect(() => s.send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [1]))).toThrow(expect.objectContaining({ code: 'ENETDOWN', errno: 100 }));
    l.setLink('a', true);
    l.setLink('b', true);
    s.send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [1]));
    scheduler.advance(10);
    expect(got).toHaveLength(1);
  });

  it('a one-way cut path models an asymmetric partition', () => {
    const { l, scheduler, a, b } = lan();
    const gotA = collect(a.openVrrp(v4mc));
    const gotB = collect(b.openVrrp(v4mc));
    l.setPath('a', 'b', false);
    a.openVrrp(v4mc).send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [1]));
    b.openVrrp(v4mc).send('224.0.0.18', ipv4('192.0.2.2', '224.0.0.18', 255, [1]));
    scheduler.runAll();
    expect(gotB).toHaveLength(0);
    expect(gotA).toHaveLength(1);
  });

  it('GARP frames and NAs are captured and heard by the other hosts; the NA gets its ICMPv6 checksum', () => {
    const { l, scheduler, a, b } = lan();
    const frame = new Uint8Array(42).fill(0xff, 0, 6);
    a.sendGratuitousArp(2, frame);
    a.sendUnsolicitedNa(2, a.linkLocal, new Uint8Array([136, 0, 0, 0, 0x20, 0, 0, 0, ...v6('fd00::100')]));
    scheduler.runAll();
    expect(l.frames.map((f) => f.kind)).toEqual(['arp', 'na']);
    expect(b.heard.map((f) => f.kind)).toEqual(['arp', 'na']);
    expect(a.heard).toHaveLength(0);
    const na = b.heard[1];
    if (na.kind !== 'na') throw new Error('expected an NA');
    expect(na).toMatchObject({ dst: 'ff02::1', hopLimit: 255, src: a.linkLocal });
    expect(v6ChecksumOk(na.src, na.dst, 58, na.bytes)).toBe(true);
    expect(() => a.sendGratuitousArp(3, frame)).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });

  it('closing a socket (or the host PacketIo) stops delivery to it', () => {
    const { scheduler, a, b } = lan({ delayMs: 1 });
    const sb = b.openVrrp(v4mc);
    const got = collect(sb);
    a.openVrrp(v4mc).send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [1]));
    b.close();
    scheduler.runAll();
    expect(got).toHaveLength(0);
  });
});

describe('VirtualTime as the LAN scheduler', () => {
  it('runs tasks in time order, FIFO at equal times, and moves its clock to each task', () => {
    const s = new VirtualTime(1000);
    const clock = s;
    const order: string[] = [];
    s.schedule(5, () => order.push(`b@${clock.now()}`));
    s.schedule(1, () => {
      order.push(`a@${clock.now()}`);
      s.schedule(1, () => order.push(`c@${clock.now()}`));
    });
    s.schedule(5, () => order.push(`d@${clock.now()}`));
    s.advance(4);
    expect(order).toEqual(['a@1001', 'c@1002']);
    expect(clock.now()).toBe(1004);
    s.advance(1);
    expect(order).toEqual(['a@1001', 'c@1002', 'b@1005', 'd@1005']);
    expect(() => s.schedule(-1, () => {})).toThrow(RangeError);
  });
});

describe('MemoryLan properties', () => {
  it('without loss, each multicast send reaches each other joined host exactly once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ joined: fc.boolean(), up: fc.boolean() }), { minLength: 2, maxLength: 6 }),
        fc.array(fc.nat(5), { minLength: 1, maxLength: 10 }),
        (hosts, senders) => {
          const scheduler = new VirtualTime();
          const l = new MemoryLan({ scheduler, delayMs: (f, t) => (f.length + t.length) % 3 });
          const got = hosts.map((h, i) => {
            const host = l.addHost(`h${i}`, { addresses: [`192.0.2.${i + 1}`] });
            const arr: ReceivedPacket[] = [];
            if (h.joined) host.openVrrp(v4mc).onPacket((p) => arr.push(p));
            return arr;
          });
          const expected = hosts.map(() => 0);
          for (const raw of senders) {
            const from = raw % hosts.length;
            const sock = l.host(`h${from}`).openVrrp({ family: 'inet', ifname: 'eth0', ifindex: 2 });
            l.setLink(`h${from}`, true);
            sock.send('224.0.0.18', ipv4(`192.0.2.${from + 1}`, '224.0.0.18', 255, [from]));
            sock.close();
            hosts.forEach((h, i) => {
              if (i !== from && h.joined && h.up) expected[i]++;
            });
          }
          hosts.forEach((h, i) => l.setLink(`h${i}`, h.up));
          scheduler.runAll();
          expect(got.map((g) => g.length)).toEqual(expected);
          for (const g of got) for (const p of g) expect(p.src).toBe(`192.0.2.${p.bytes[20] + 1}`);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('MemoryLan with Node Buffers', () => {
  it('never writes into the caller\'s Buffer (Buffer.slice shares memory) and fills the right header', () => {
    const { scheduler, a, b } = lan();
    const got = collect(b.openVrrp(v4mc));
    // A Buffer from the shared pool: its .buffer is larger and starts elsewhere.
    const pool = Buffer.from(ipv4('192.0.2.1', '224.0.0.18', 255, [9, 9, 9, 9]));
    const before = pool.toString('hex');
    a.openVrrp(v4mc).send('224.0.0.18', pool);
    scheduler.runAll();
    expect(pool.toString('hex')).toBe(before);
    expect(onesSum(got[0].bytes.subarray(0, 20))).toBe(0xffff);
    expect((got[0].bytes[2] << 8) | got[0].bytes[3]).toBe(24);
  });
});

describe('MemoryLan bound sockets and multicast (kernel raw_v4_match / raw_v6_match)', () => {
  it('a bound IPv6 socket still receives groups it joined; a bound IPv4 socket does not', () => {
    const { scheduler, a, b } = lan();
    const got6 = collect(b.openVrrp({ ...v6mc, bindAddress: 'fd00::2' }));
    const got4 = collect(b.openVrrp({ ...v4mc, bindAddress: '192.0.2.2' }));
    a.openVrrp(v6mc).send('ff02::12', new Uint8Array(8));
    a.openVrrp(v4mc).send('224.0.0.18', ipv4('192.0.2.1', '224.0.0.18', 255, [1]));
    scheduler.runAll();
    expect(got6).toHaveLength(1);
    expect(got4).toHaveLength(0);
  });
});

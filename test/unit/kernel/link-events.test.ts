// link-events.ts against rtnetlink bytes captured from a real kernel (see
// test/integration/kernel: dumps through our request path, multicast events through an
// independent Python AF_NETLINK socket while iproute2 made the changes), plus malformed input.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAddress, decodeLink, decodeRoute, NLMSG, parseAttributes, parseKernelEvents, RTM, splitNetlinkMessages } from '../../../src/kernel/link-events.js';
import type { AddressEvent, KernelEvent, LinkEvent } from '../../../src/kernel/link-events.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const hexLines = (name: string): Buffer[] =>
  readFileSync(join(dir, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Buffer.from(l.trim(), 'hex'));
const meta = JSON.parse(readFileSync(join(dir, 'capture-meta.json'), 'utf8')) as {
  a0: { ifindex: number; mtu: number; mac: string };
  links: { ifindex: number; ifname: string; mtu: number; address: string; flags: string[] }[];
};
const events = JSON.parse(readFileSync(join(dir, 'events.json'), 'utf8')) as { commands: string[][]; steps: string[][] };
const stepEvents = (i: number): KernelEvent[] => events.steps[i].flatMap((h) => parseKernelEvents(Buffer.from(h, 'hex')).events);
const allFixtureDatagrams = (): Buffer[] => [
  ...['linkDump.hex', 'addrDump.hex', 'newAddr4.hex', 'delAddr4.hex', 'delMissing.hex'].flatMap(hexLines),
  ...events.steps.flat().map((h) => Buffer.from(h, 'hex')),
];

describe('parseKernelEvents on captured kernel bytes', () => {
  it('decodes a link dump into the links ip -j reported at capture time', () => {
    const evs = hexLines('linkDump.hex').flatMap((b) => {
      const r = parseKernelEvents(b);
      expect(r.errors).toEqual([]);
      return r.events;
    }) as LinkEvent[];
    expect(evs.map((e) => ({ ifindex: e.ifindex, ifname: e.name, mtu: e.mtu, address: e.mac }))).toEqual(
      meta.links.map((l) => ({ ifindex: l.ifindex, ifname: l.ifname, mtu: l.mtu, address: l.address })),
    );
    for (const e of evs) {
      const ipFlags = meta.links.find((l) => l.ifindex === e.ifindex)!.flags;
      expect(e.kind).toBe('link');
      expect(e.action).toBe('update');
      expect(e.up).toBe(ipFlags.includes('UP'));
      expect(e.carrier).toBe(ipFlags.includes('LOWER_UP') && ipFlags.includes('UP'));
    }
  });

  it('decodes address dumps and echoed RTM_NEWADDR/RTM_DELADDR', () => {
    const dump = hexLines('addrDump.hex').flatMap((b) => parseKernelEvents(b).events) as AddressEvent[];
    const onA0 = dump.filter((e) => e.ifindex === meta.a0.ifindex);
    expect(onA0.map((e) => `${e.family} ${e.address}/${e.prefixLength}`)).toEqual(
      expect.arrayContaining(['inet 192.0.2.77/24', 'inet6 2001:db8:77::1/64']),
    );
    const ll = onA0.find((e) => e.family === 'inet6' && e.scope === 253)!;
    expect(ll.address.startsWith('fe80::')).toBe(true);

    expect(hexLines('newAddr4.hex').flatMap((b) => parseKernelEvents(b).events)).toEqual([
      {
        kind: 'address',
        action: 'add',
        ifindex: meta.a0.ifindex,
        family: 'inet',
        address: '192.0.2.77',
        prefixLength: 24,
        broadcast: '192.0.2.255',
        label: 'a0:cap',
        scope: 0,
        flags: 0x80, // IFA_F_PERMANENT
      },
    ]);
    expect(hexLines('delAddr4.hex').flatMap((b) => parseKernelEvents(b).events)).toEqual([
      expect.objectContaining({ kind: 'address', action: 'del', address: '192.0.2.77', prefixLength: 24 }),
    ]);
  });

  it('skips NLMSG_ERROR/ACK messages (counted as ignored) and exposes their errno through splitNetlinkMessages', () => {
    const [b] = hexLines('delMissing.hex');
    const r = parseKernelEvents(b);
    expect(r).toEqual({ events: [], errors: [], ignored: 1 });
    const m = splitNetlinkMessages(b).messages;
    expect(m).toHaveLength(1);
    expect(m[0].type).toBe(NLMSG.ERROR);
    expect(m[0].payload.readInt32LE(0)).toBe(-99); // -EADDRNOTAVAIL
  });

  it('decodes multicast events for each iproute2 command', () => {
    expect(events.commands[0]).toContain('192.0.2.88/24');
    expect(stepEvents(0)).toEqual([
      expect.objectContaining({ kind: 'address', action: 'add', family: 'inet', address: '192.0.2.88', prefixLength: 24, broadcast: '192.0.2.255', label: 'a0:ev', ifindex: meta.a0.ifindex }),
    ]);
    const v6 = stepEvents(1);
    expect(v6).toEqual([expect.objectContaining({ kind: 'address', action: 'add', family: 'inet6', address: '2001:db8:88::1', prefixLength: 64, scope: 0 })]);
    expect((v6[0] as AddressEvent).flags & 0x02).toBe(0x02); // IFA_F_NODAD from `nodad`
    expect(stepEvents(2)).toEqual([expect.objectContaining({ action: 'del', address: '192.0.2.88' })]);
    expect(stepEvents(3)).toEqual([expect.objectContaining({ action: 'del', address: '2001:db8:88::1' })]);
    const a0 = (i: number) => stepEvents(i).filter((e): e is LinkEvent => e.kind === 'link' && e.name === 'a0');
    // b0 down: a0 stays admin up and loses its carrier.
    expect(a0(4).at(-1)).toMatchObject({ action: 'update', up: true, carrier: false, mtu: meta.a0.mtu, mac: meta.a0.mac });
    expect(a0(5).at(-1)).toMatchObject({ up: false, carrier: false, operstate: 'down' });
    expect(a0(6).at(-1)).toMatchObject({ up: true, carrier: false });
    expect(a0(7).at(-1)).toMatchObject({ up: true, carrier: true, operstate: 'up' });
  });

  it('decodes several datagrams concatenated into one buffer', () => {
    const joined = Buffer.concat([...hexLines('newAddr4.hex'), ...events.steps[0].map((h) => Buffer.from(h, 'hex'))]);
    const r = parseKernelEvents(joined);
    expect(r.errors).toEqual([]);
    expect(r.events.map((e) => (e as AddressEvent).address)).toEqual(['192.0.2.77', '192.0.2.88']);
  });
});

describe('parseKernelEvents on malformed input', () => {
  it('never throws on any truncation of a real datagram, and reports an error for cut messages', () => {
    for (const b of allFixtureDatagrams()) {
      for (let n = 0; n < b.length; n++) {
        const cut = b.subarray(0, n);
        const r = parseKernelEvents(cut);
        expect(Array.isArray(r.events)).toBe(true);
        // A prefix that ends inside a message always yields an error for it.
        const whole = splitNetlinkMessages(b).messages;
        const endsAtBoundary = n === 0 || whole.some((m) => m.offset + 16 + m.payload.length === n || ((m.offset + 16 + m.payload.length + 3) & ~3) === n);
        if (!endsAtBoundary) expect(r.errors.length).toBeGreaterThan(0);
      }
    }
  });

  it('never throws on random bytes or on random corruption of real datagrams', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = parseKernelEvents(bytes);
        return Array.isArray(r.events) && Array.isArray(r.errors);
      }),
      { numRuns: 2000 },
    );
    const reals = allFixtureDatagrams();
    fc.assert(
      fc.property(fc.nat(reals.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (i, edits) => {
        const b = Buffer.from(reals[i]);
        for (const [pos, val] of edits) b[pos % b.length] = val;
        const r = parseKernelEvents(b);
        return Array.isArray(r.events) && Array.isArray(r.errors);
      }),
      { numRuns: 3000 },
    );
  });

  it('reports each kind of damage with a stable code', () => {
    const [newAddr] = hexLines('newAddr4.hex');
    expect(parseKernelEvents(Buffer.alloc(10)).errors[0].code).toBe('truncated-header');
    const short = Buffer.from(newAddr);
    short.writeUInt32LE(8, 0); // nlmsg_len below the header size
    expect(parseKernelEvents(short).errors[0]).toMatchObject({ code: 'bad-length', offset: 0 });
    const long = Buffer.from(newAddr);
    long.writeUInt32LE(newAddr.length + 4, 0);
    expect(parseKernelEvents(long).errors[0].code).toBe('bad-length');

    // A lone RTM_NEWADDR header with a 4-byte payload: shorter than ifaddrmsg.
    const tiny = Buffer.alloc(20);
    tiny.writeUInt32LE(20, 0);
    tiny.writeUInt16LE(RTM.NEWADDR, 4);
    tiny[16] = 2;
    expect(parseKernelEvents(tiny).errors[0]).toMatchObject({ code: 'truncated-payload', msgType: RTM.NEWADDR });

    const payload = splitNetlinkMessages(newAddr).messages[0].payload;
    const badAttr = Buffer.from(payload);
    badAttr.writeUInt16LE(2, 8); // first rtattr claims 2 bytes
    expect(decodeAddress(badAttr)).toMatchObject({ ok: false, error: { code: 'bad-attribute' } });
    const wrongSize = Buffer.concat([payload.subarray(0, 8), Buffer.from([7, 0, 2, 0, 192, 0, 2, 0])]); // IFA_LOCAL of 3 bytes
    expect(decodeAddress(wrongSize)).toMatchObject({ ok: false, error: { code: 'bad-value' } });
    const noAddr = payload.subarray(0, 8);
    expect(decodeAddress(noAddr)).toMatchObject({ ok: false, error: { code: 'missing-attribute' } });
    const otherFamily = Buffer.from(payload);
    otherFamily[0] = 7;
    expect(decodeAddress(otherFamily)).toMatchObject({ ok: false, error: { code: 'unsupported-family' } });

    expect(decodeLink(Buffer.alloc(16))).toMatchObject({ ok: false, error: { code: 'missing-attribute' } });
    expect(decodeLink(Buffer.alloc(3))).toMatchObject({ ok: false, error: { code: 'truncated-payload' } });
    const mtu2 = Buffer.concat([Buffer.alloc(16), Buffer.from([8, 0, 3, 0, 0x78, 0x30, 0, 0]), Buffer.from([6, 0, 4, 0, 1, 2, 0, 0])]);
    expect(decodeLink(mtu2)).toMatchObject({ ok: false, error: { code: 'bad-value' } });
    expect(decodeRoute(Buffer.alloc(11))).toMatchObject({ ok: false, error: { code: 'truncated-payload' } });
  });

  it('keeps the events before a broken message in the same datagram', () => {
    const [good] = hexLines('newAddr4.hex');
    const goodMsg = good.subarray(0, good.readUInt32LE(0));
    const broken = Buffer.alloc(16);
    broken.writeUInt32LE(400, 0);
    const r = parseKernelEvents(Buffer.concat([goodMsg, broken]));
    expect(r.events).toHaveLength(1);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'bad-length', offset: goodMsg.length })]);
  });

  it('parseAttributes masks NLA_F_NESTED / NLA_F_NET_BYTEORDER off the type', () => {
    const attrs = parseAttributes(Buffer.from([8, 0, 0x03, 0x80, 1, 2, 3, 4]));
    expect(attrs.ok && [...attrs.value.keys()]).toEqual([3]);
  });
});

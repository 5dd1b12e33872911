// Real kernel, real sockets: VRRP over IPv4 between two lab namespaces through the addon.
import { describe, expect } from 'vitest';
import type { Lab } from '../../../src/lab/lab.js';
import { sharedNetns } from '../../helpers/netns-fixture.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { nativeUnavailable } from '../../../src/net/native.js';
import { exchange, ipv4Datagram, memoryLanReceive, runAgent, startAgent, startReceiver, toHex, vrrpV2 } from './helpers.js';

const hasAddon = () => nativeUnavailable();

describe('native raw IPv4 VRRP socket (netns)', () => {
  let lab: Lab;
  sharedNetns('nt4', { a: '192.0.2.1/24', b: '192.0.2.2/24' }, (f) => (lab = f.lab));

  itWhen(isRoot, hasAddon)('multicast advert from A arrives in B with TTL 255, src, dst and ifindex', async () => {
    const rx = await startReceiver(lab, 'b', { op: 'recv', family: 'inet', group: '224.0.0.18', count: 2 });
    const payload = vrrpV2(51, 100, '192.0.2.100');
    const sent = [
      { dst: '224.0.0.18', hex: toHex(ipv4Datagram({ src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, id: 1 }, payload)) },
      // A second datagram with another TTL proves the TTL is read from the packet, not assumed.
      { dst: '224.0.0.18', hex: toHex(ipv4Datagram({ src: '192.0.2.1', dst: '224.0.0.18', ttl: 7, id: 2 }, payload)) },
    ];
    await runAgent(lab, 'a', { op: 'send', family: 'inet', group: '224.0.0.18', packets: sent });
    const got = await rx.packets(); // exits on its own after 2 packets: close() released the event loop
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ family: 'inet', protocol: 112, src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, ifindex: rx.ready.ifindex });
    expect(got[1].ttl).toBe(7);
    // Raw IPv4 delivers the whole datagram: our header (TOS 0xc0, ID 1) then the VRRP bytes.
    const bytes = Buffer.from(got[0].bytes as string, 'hex');
    expect(bytes[1]).toBe(0xc0);
    expect(bytes.readUInt16BE(4)).toBe(1);
    expect(bytes.readUInt16BE(2)).toBe(bytes.length); // total length filled in (kernel)
    expect(toHex(bytes.subarray(20))).toBe(toHex(payload));
    expect(rx.child.exitCode).toBe(0);
    // MemoryLan's model of IP_HDRINCL (length + header checksum filled in) equals the kernel's.
    const sim = memoryLanReceive('inet', { addr: '192.0.2.1' }, '224.0.0.18', Buffer.from(sent[0].hex, 'hex'), '224.0.0.18');
    expect(toHex(sim.bytes)).toBe(toHex(bytes));
    expect(sim.ttl).toBe(255);
  });

  itWhen(isRoot, hasAddon)('unicast socket bound to its source only receives datagrams for that address', async () => {
    lab.exec('b', ['ip', 'addr', 'add', '192.0.2.12/24', 'dev', 'eth0']);
    const payload = vrrpV2(52, 90, '192.0.2.101');
    const got = await exchange(lab, {
      to: 'b',
      recv: { family: 'inet', bindAddress: '192.0.2.12', count: 1 },
      from: 'a',
      send: {
        family: 'inet',
        bindAddress: '192.0.2.1',
        packets: [
          // To B's other address first: a bound raw socket must not see it.
          { dst: '192.0.2.2', hex: toHex(ipv4Datagram({ src: '192.0.2.1', dst: '192.0.2.2', ttl: 255, id: 9 }, payload)) },
          { dst: '192.0.2.12', hex: toHex(ipv4Datagram({ src: '192.0.2.1', dst: '192.0.2.12', ttl: 255, id: 10 }, payload)) },
        ],
      },
    });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ src: '192.0.2.1', dst: '192.0.2.12', ttl: 255 });
    expect(Buffer.from(got[0].bytes as string, 'hex').readUInt16BE(4)).toBe(10);
  });

  itWhen(isRoot, hasAddon)('a send the kernel refuses throws an Error with code and errno', async () => {
    // Binding to an address the namespace does not have: EADDRNOTAVAIL from bind().
    const a = startAgent(lab, 'a', { op: 'recv', family: 'inet', bindAddress: '192.0.2.99', count: 1 });
    await a.exited();
    expect(a.lines.join('\n')).toMatch(/EADDRNOTAVAIL/);
    expect(a.child.exitCode).not.toBe(0);
  });

  itWhen(isRoot, hasAddon)('a socket that did not join the group hears no multicast even when another socket joined it', async () => {
    const joined = startAgent(lab, 'b', { op: 'recv', family: 'inet', group: '224.0.0.18', count: 1 });
    const unicastOnly = startAgent(lab, 'b', { op: 'recv', family: 'inet', count: 1 });
    await joined.next((o) => o.ready === true);
    await unicastOnly.next((o) => o.ready === true);
    const payload = vrrpV2(53, 100, '192.0.2.103');
    await runAgent(lab, 'a', {
      op: 'send',
      family: 'inet',
      packets: [
        { dst: '224.0.0.18', hex: toHex(ipv4Datagram({ src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, id: 21 }, payload)) },
        { dst: '192.0.2.2', hex: toHex(ipv4Datagram({ src: '192.0.2.1', dst: '192.0.2.2', ttl: 255, id: 22 }, payload)) },
      ],
    });
    await Promise.all([joined.exited(), unicastOnly.exited()]);
    const first = (a: typeof joined) => a.json().find((o) => o.packet)?.packet as Record<string, unknown>;
    expect(first(joined).dst).toBe('224.0.0.18');
    // IP_MULTICAST_ALL off (as keepalived does): the group joined by the other socket is not ours.
    expect(first(unicastOnly).dst).toBe('192.0.2.2');
  });
});

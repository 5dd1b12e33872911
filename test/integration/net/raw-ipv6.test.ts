// Real kernel, real sockets: VRRPv3 over IPv6 between two lab namespaces through the addon.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../../src/lab/lab.js';
import { sharedNetns } from '../../helpers/netns-fixture.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { nativeUnavailable } from '../../../src/net/native.js';
import { MemoryLan } from '../../../src/net/memory-lan.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import { exchange, memoryLanReceive, capture, ipv4Datagram, ipv6PseudoChecksumOk, linkLocal, runAgent, startAgent, startReceiver, toHex, tsharkFields, vrrpV2, vrrpV3Ipv6 } from './helpers.js';

const hasAddon = () => nativeUnavailable();

describe('native raw IPv6 VRRP socket (netns)', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'ktnet6-'))));
  sharedNetns('nt6', { a: 'fd00:db8:6::1/64', b: 'fd00:db8:6::2/64' }, (f) => (lab = f.lab));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  itWhen(isRoot, hasAddon)('multicast advert to ff02::12 arrives with hop limit 255 and a kernel checksum that verifies', async () => {
    const srcA = await linkLocal(lab, 'a');
    const rx = await startReceiver(lab, 'b', { op: 'recv', family: 'inet6', group: 'ff02::12', count: 1 });
    const pcap = join(dir, 'v6.pcap');
    const cap = capture(lab, 'b', 'ip6 proto 112', 1, pcap);
    await cap.ready;
    const payload = vrrpV3Ipv6(61, 150, 'fd00:db8:6::100');
    await runAgent(lab, 'a', { op: 'send', family: 'inet6', group: 'ff02::12', source6: srcA, packets: [{ dst: 'ff02::12', hex: toHex(payload) }] });
    const [got] = await rx.packets();
    expect(got).toMatchObject({ family: 'inet6', protocol: 112, src: srcA, dst: 'ff02::12', ttl: 255, ifindex: rx.ready.ifindex });
    const bytes = new Uint8Array(Buffer.from(got.bytes as string, 'hex'));
    // We sent checksum 0; the kernel (IPV6_CHECKSUM offset 6) filled in one that verifies.
    expect(bytes[6] | bytes[7]).not.toBe(0);
    expect(ipv6PseudoChecksumOk(srcA, 'ff02::12', bytes)).toBe(true);
    expect(toHex(bytes.subarray(8))).toBe(toHex(payload.subarray(8)));
    // Independent decoder: tshark on the wire capture.
    const [pkt] = tsharkFields(lab, 'b', await cap.done, ['ipv6.hlim', 'ipv6.src', 'ipv6.dst', 'vrrp.virt_rtr_id', 'vrrp.checksum.status', 'vrrp.ipv6_addr']);
    expect(pkt).toMatchObject({ 'ipv6.hlim': '255', 'ipv6.src': srcA, 'ipv6.dst': 'ff02::12', 'vrrp.virt_rtr_id': '61', 'vrrp.ipv6_addr': 'fd00:db8:6::100' });
    expect(pkt['vrrp.checksum.status']).toBe('1'); // 1 = good
    // MemoryLan's model of IPV6_CHECKSUM gives the kernel's bytes, checksum included.
    const sim = memoryLanReceive('inet6', { addr: srcA }, 'ff02::12', payload, 'ff02::12');
    expect(toHex(sim.bytes)).toBe(toHex(bytes));
    expect(sim).toMatchObject({ src: srcA, dst: 'ff02::12', ttl: 255 });
  });

  itWhen(isRoot, hasAddon)('unicast to a bound global address, source chosen per socket', async () => {
    const payload = vrrpV3Ipv6(62, 120, 'fd00:db8:6::101');
    const send = { family: 'inet6', source6: 'fd00:db8:6::1', unicastHops: 255, packets: [{ dst: 'fd00:db8:6::2', hex: toHex(payload) }] };
    const [got] = await exchange(lab, { to: 'b', recv: { family: 'inet6', bindAddress: 'fd00:db8:6::2', count: 1 }, from: 'a', send });
    expect(got).toMatchObject({ src: 'fd00:db8:6::1', dst: 'fd00:db8:6::2', ttl: 255 });
    expect(ipv6PseudoChecksumOk('fd00:db8:6::1', 'fd00:db8:6::2', new Uint8Array(Buffer.from(got.bytes as string, 'hex')))).toBe(true);
  });

  itWhen(isRoot, hasAddon)('a bound socket that joined the group: IPv6 still gets multicast, IPv4 does not (and MemoryLan agrees)', async () => {
    lab.exec('a', ['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0']);
    lab.exec('b', ['ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0']);
    const srcA = await linkLocal(lab, 'a');
    const rx6 = startAgent(lab, 'b', { op: 'recv', family: 'inet6', group: 'ff02::12', bindAddress: 'fd00:db8:6::2', count: 1 });
    const rx4 = startAgent(lab, 'b', { op: 'recv', family: 'inet', group: '224.0.0.18', bindAddress: '192.0.2.2', count: 1 });
    await rx6.next((o) => o.ready === true);
    await rx4.next((o) => o.ready === true);
    await runAgent(lab, 'a', { op: 'send', family: 'inet6', source6: srcA, packets: [{ dst: 'ff02::12', hex: toHex(vrrpV3Ipv6(63, 100, 'fd00:db8:6::102')) }] });
    const d4 = ipv4Datagram({ src: '192.0.2.1', dst: '224.0.0.18', ttl: 255, id: 3 }, vrrpV2(63, 100, '192.0.2.102'));
    await runAgent(lab, 'a', { op: 'send', family: 'inet', packets: [{ dst: '224.0.0.18', hex: toHex(d4) }] });
    await rx6.exited();
    // The IPv4 receiver stays silent; give a late copy time to arrive before concluding.
    await new Promise((r) => setTimeout(r, 500));
    expect(rx4.json().filter((o) => o.packet)).toHaveLength(0);
    rx4.signal('SIGKILL');
    expect(rx6.json().filter((o) => o.packet)).toHaveLength(1);
    const sim = memoryLanBound(srcA, d4);
    expect(sim).toEqual({ v6: 1, v4: 0 });
  });
});

/** The same scenario on MemoryLan: copies received by bound+joined IPv6 and IPv4 sockets. */
function memoryLanBound(srcA: string, d4: Uint8Array): { v6: number; v4: number } {
  const scheduler = new VirtualTime();
  const lan = new MemoryLan({ scheduler });
  const a = lan.addHost('a', { addresses: [srcA, '192.0.2.1'] });
  const b = lan.addHost('b', { addresses: ['fd00:db8:6::2', '192.0.2.2'] });
  const n = { v6: 0, v4: 0 };
  b.openVrrp({ family: 'inet6', ifname: 'eth0', ifindex: 2, group: 'ff02::12', bindAddress: 'fd00:db8:6::2' }).onPacket(() => n.v6++);
  b.openVrrp({ family: 'inet', ifname: 'eth0', ifindex: 2, group: '224.0.0.18', bindAddress: '192.0.2.2' }).onPacket(() => n.v4++);
  a.openVrrp({ family: 'inet6', ifname: 'eth0', ifindex: 2, source6: srcA }).send('ff02::12', vrrpV3Ipv6(63, 100, 'fd00:db8:6::102'));
  a.openVrrp({ family: 'inet', ifname: 'eth0', ifindex: 2 }).send('224.0.0.18', d4);
  scheduler.runAll();
  return n;
}

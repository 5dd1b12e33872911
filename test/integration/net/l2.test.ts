// Real kernel, real sockets: gratuitous ARP on AF_PACKET and unsolicited NA on an ICMPv6 raw
// socket, sent from one lab namespace and decoded by tcpdump + tshark in the other.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../../src/lab/lab.js';
import { sharedNetns } from '../../helpers/netns-fixture.js';
import { itWhen, isRoot } from '../../helpers/require.js';
import { nativeUnavailable } from '../../../src/net/native.js';
import { capture, garpFrame, linkLocal, runAgent, toHex, tsharkFields, unsolicitedNa } from './helpers.js';

const hasAddon = () => nativeUnavailable();

describe('native GARP and unsolicited NA (netns)', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'ktnetl2-'))));
  sharedNetns('ntl2', { a: ['192.0.2.1/24', 'fd00:db8:2::1/64'], b: ['192.0.2.2/24', 'fd00:db8:2::2/64'] }, (f) => (lab = f.lab));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  itWhen(isRoot, hasAddon)('a gratuitous ARP frame sent on AF_PACKET is seen in the other namespace', async () => {
    const mac = lab.exec('a', ['cat', '/sys/class/net/eth0/address']).trim();
    const pcap = join(dir, 'garp.pcap');
    const cap = capture(lab, 'b', 'arp', 1, pcap);
    await cap.ready;
    await runAgent(lab, 'a', { op: 'garp', frame: toHex(garpFrame(mac, '192.0.2.100')) });
    const [pkt] = tsharkFields(lab, 'b', await cap.done, [
      'eth.src', 'eth.dst', 'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'arp.isgratuitous',
    ]);
    expect(pkt).toEqual({
      'eth.src': mac,
      'eth.dst': 'ff:ff:ff:ff:ff:ff',
      'arp.opcode': '1',
      'arp.src.hw_mac': mac,
      'arp.src.proto_ipv4': '192.0.2.100',
      'arp.dst.proto_ipv4': '192.0.2.100',
      'arp.isgratuitous': expect.stringMatching(/^(1|True)$/),
    });
  });

  itWhen(isRoot, hasAddon)('an unsolicited NA goes to ff02::1 with hop limit 255 and a valid ICMPv6 checksum', async () => {
    const mac = lab.exec('a', ['cat', '/sys/class/net/eth0/address']).trim();
    const src = await linkLocal(lab, 'a');
    const pcap = join(dir, 'na.pcap');
    const cap = capture(lab, 'b', 'icmp6 and ip6[40] == 136', 1, pcap);
    await cap.ready;
    await runAgent(lab, 'a', { op: 'na', src, icmp: toHex(unsolicitedNa('fd00:db8:2::100', mac)) });
    const [pkt] = tsharkFields(lab, 'b', await cap.done, [
      'ipv6.hlim', 'ipv6.src', 'ipv6.dst', 'icmpv6.type', 'icmpv6.checksum.status', 'icmpv6.nd.na.target_address', 'icmpv6.nd.na.flag.o',
    ]);
    expect(pkt).toMatchObject({
      'ipv6.hlim': '255',
      'ipv6.src': src,
      'ipv6.dst': 'ff02::1',
      'icmpv6.type': '136',
      'icmpv6.checksum.status': '1',
      'icmpv6.nd.na.target_address': 'fd00:db8:2::100',
    });
    expect(['1', 'True']).toContain(pkt['icmpv6.nd.na.flag.o']);
  });
});

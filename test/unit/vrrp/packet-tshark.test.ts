// The other direction of the golden vectors: tshark (Wireshark's dissectors, independent of us)
// reads packets our encoders built. We write a pcap, dissect it with `tshark -T fields` and check
// the VRRP/ARP/ICMPv6 fields and that the checksums are "Good" (status 1). A deliberately
// corrupted advert must come back "Bad", so the test can tell the difference.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { ethFrame, ipv6Vrrp } from '../../helpers/frames.js';
import { itWhen, type Prereq } from '../../helpers/require.js';
import { cs } from '../../../src/lib/units.js';
import {
  ahKey,
  buildGratuitousArp,
  encodeAhVrrpPacket,
  buildUnsolicitedNa,
  encodeAdvert,
  encodeIpv4Packet,
  type VrrpAdvert,
} from '../../../src/vrrp/packet/index.js';
import { ipOf } from '../../../src/lib/ip.js';

const hasTshark: Prereq = () =>
  spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0 ? undefined : 'tshark not installed (apt-get install tshark)';

function pcap(frames: Buffer[]): Buffer {
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(65535, 16);
  g.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const recs = frames.map((f, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_000 + i, 0);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    return Buffer.concat([h, f]);
  });
  return Buffer.concat([g, ...recs]);
}

const eth = ethFrame;
/** IPv6 header as the kernel would put it in front of an advert (tc 0xc0, hop limit 255). */
const ipv6 = (src: string, dst: string, payload: Buffer): Buffer => ipv6Vrrp(ipOf(src).bytes, ipOf(dst).bytes, payload);

const SRC_MAC = '02:00:5e:10:00:01';
const v2: VrrpAdvert = {
  version: 2, family: 'inet', vrid: 51, priority: 100, advertInt: cs(100), authType: 1,
  authData: new TextEncoder().encode('secret12'), addresses: [ipOf('192.0.2.100'), ipOf('192.0.2.101')],
};
const v3: VrrpAdvert = { version: 3, family: 'inet', vrid: 53, priority: 200, advertInt: cs(50), authType: 0, addresses: [ipOf('192.0.2.103'), ipOf('192.0.2.104'), ipOf('192.0.2.105')] };
const v3u: VrrpAdvert = { ...v3, vrid: 56, priority: 90, advertInt: cs(25), addresses: [ipOf('192.0.2.107')] };
const v6: VrrpAdvert = { version: 3, family: 'inet6', vrid: 54, priority: 150, advertInt: cs(4095), authType: 0, addresses: [ipOf('2001:db8::100'), ipOf('fe80::54')] };

function v4frame(a: VrrpAdvert, dst: string, id: number, corrupt = false): Buffer {
  const body = encodeAdvert(a, { src: ipOf('192.0.2.1'), dst: ipOf(dst) });
  if (corrupt) body[2] ^= 0x01;
  const ethDst = dst === '224.0.0.18' ? '01:00:5e:00:00:12' : '02:00:5e:10:00:02';
  return eth(ethDst, SRC_MAC, 0x0800, encodeIpv4Packet({ src: ipOf('192.0.2.1'), dst: ipOf(dst), id }, body));
}

const FIELDS = [
  'frame.number', 'vrrp.version', 'vrrp.virt_rtr_id', 'vrrp.prio', 'vrrp.addr_count', 'vrrp.checksum.status',
  'vrrp.auth_type', 'vrrp.adver_int', 'vrrp.short_adver_int', 'vrrp.auth_string', 'vrrp.ip_addr', 'vrrp.ipv6_addr',
  'ip.checksum.status', 'arp.isgratuitous', 'arp.src.proto_ipv4', 'arp.src.hw_mac', 'arp.dst.hw_mac',
  'icmpv6.checksum.status', 'icmpv6.nd.na.flag.r', 'icmpv6.nd.na.flag.s', 'icmpv6.nd.na.flag.o',
  'icmpv6.nd.na.target_address', 'ip.ttl', 'ipv6.hlim', 'ah.spi', 'ah.sequence', 'ip.proto',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

function dissect(frames: Buffer[]): Row[] {
  const dir = mkdtempSync(join(tmpdir(), 'kt-tshark-'));
  try {
    const file = join(dir, 'ours.pcap');
    writeFileSync(file, pcap(frames));
    const args = ['-r', file, '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,'];
    for (const f of FIELDS) args.push('-e', f);
    const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .trim()
      .split('\n')
      .map((line) => {
        const cols = line.split('|');
        return Object.fromEntries(FIELDS.map((f, i) => [f, cols[i] ?? ''])) as Row;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tshark dissects what our encoders build', () => {
  itWhen(hasTshark)('VRRP v2/v3 over IPv4 and IPv6, GARP and unsolicited NA, checksums Good', () => {
    const frames = [
      v4frame(v2, '224.0.0.18', 1),
      v4frame(v3, '224.0.0.18', 2),
      v4frame(v3u, '192.0.2.2', 3),
      eth('33:33:00:00:00:12', SRC_MAC, 0x86dd, ipv6('fe80::1', 'ff02::12', encodeAdvert(v6, { src: ipOf('fe80::1'), dst: ipOf('ff02::12') }))),
      buildGratuitousArp({ mac: SRC_MAC, ip: ipOf('192.0.2.100') }),
      buildUnsolicitedNa({ mac: SRC_MAC, target: ipOf('2001:db8::100'), router: true }),
      buildUnsolicitedNa({ mac: SRC_MAC, target: ipOf('2001:db8::101'), router: false }),
      v4frame(v3, '224.0.0.18', 4, true),
      eth('01:00:5e:00:00:12', SRC_MAC, 0x0800, encodeAhVrrpPacket({ ...v2, vrid: 59, authType: 2, authData: undefined }, {
        src: ipOf('192.0.2.1'), dst: ipOf('224.0.0.18'), id: 5, seq: 3, key: ahKey('ahsecret'),
      })),
    ];
    const rows = dissect(frames);
    expect(rows).toHaveLength(frames.length);
    const [r2, r3, r3u, r6, garp, naR, naH, bad, ah] = rows;

    expect(r2).toMatchObject({
      'vrrp.version': '2', 'vrrp.virt_rtr_id': '51', 'vrrp.prio': '100', 'vrrp.addr_count': '2',
      'vrrp.checksum.status': '1', 'vrrp.auth_type': '1', 'vrrp.adver_int': '1', 'vrrp.auth_string': 'secret12',
      'vrrp.ip_addr': '192.0.2.100,192.0.2.101', 'ip.checksum.status': '1', 'ip.ttl': '255',
    });
    expect(r3).toMatchObject({
      'vrrp.version': '3', 'vrrp.virt_rtr_id': '53', 'vrrp.prio': '200', 'vrrp.addr_count': '3',
      'vrrp.checksum.status': '1', 'vrrp.short_adver_int': '50', 'vrrp.ip_addr': '192.0.2.103,192.0.2.104,192.0.2.105',
    });
    expect(r3u).toMatchObject({ 'vrrp.version': '3', 'vrrp.virt_rtr_id': '56', 'vrrp.checksum.status': '1', 'vrrp.short_adver_int': '25' });
    expect(r6).toMatchObject({
      'vrrp.version': '3', 'vrrp.virt_rtr_id': '54', 'vrrp.prio': '150', 'vrrp.addr_count': '2',
      'vrrp.checksum.status': '1', 'vrrp.short_adver_int': '4095', 'vrrp.ipv6_addr': '2001:db8::100,fe80::54', 'ipv6.hlim': '255',
    });
    expect(garp).toMatchObject({
      'arp.isgratuitous': '1', 'arp.src.proto_ipv4': '192.0.2.100', 'arp.src.hw_mac': SRC_MAC, 'arp.dst.hw_mac': 'ff:ff:ff:ff:ff:ff',
    });
    expect(naR).toMatchObject({
      'icmpv6.checksum.status': '1', 'icmpv6.nd.na.flag.r': '1', 'icmpv6.nd.na.flag.s': '0', 'icmpv6.nd.na.flag.o': '1',
      'icmpv6.nd.na.target_address': '2001:db8::100', 'ipv6.hlim': '255',
    });
    expect(naH).toMatchObject({ 'icmpv6.checksum.status': '1', 'icmpv6.nd.na.flag.r': '0', 'icmpv6.nd.na.flag.o': '1' });
    // The control: a corrupted advert is Bad (status 0), so "Good" above means something.
    expect(bad['vrrp.checksum.status']).toBe('0');
    // auth_type AH: IP protocol 51, SPI = source address, VRRP behind it with a Good checksum.
    expect(ah).toMatchObject({
      'ip.proto': '51', 'ah.spi': '0xc0000201', 'ah.sequence': '3', 'vrrp.version': '2', 'vrrp.virt_rtr_id': '59',
      'vrrp.auth_type': '2', 'vrrp.checksum.status': '1',
    });
  });
});

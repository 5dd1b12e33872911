// Gratuitous ARP frame, exactly as keepalived 2.2.7 sends it on becoming master
// (keepalived-behaviour.md 3.13, confirmed by test/vectors/keepalived-2.2.7.json): a broadcast
// ARP *request* "who-has VIP tell VIP" whose target hardware address is ff:ff:ff:ff:ff:ff.
// RFC 5227 3 and RFC 5798 8.1.2 describe the same announcement. Sent on an AF_PACKET socket, so
// the Ethernet header is ours; no padding (the NIC pads to 60 bytes on the wire).
//
//   Ethernet (14):  dst ff:ff:ff:ff:ff:ff | src <interface or VMAC> | type 0x0806
//   ARP (28, RFC 826):
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Hardware type = 1 (Ethernet) |  Protocol type = 0x0800       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  HLEN = 6     |  PLEN = 4     |  Operation = 1 (request)      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Sender hardware address (6) = our MAC | Sender protocol address (4) = VIP |
//   |  Target hardware address (6) = ff:ff:ff:ff:ff:ff | Target protocol address (4) = VIP |
import { formatIpv4, formatMac, macOf, type IpAddress } from '../../lib/ip.js';

export const ETH_HLEN = 14;
export const ETHERTYPE_ARP = 0x0806;
export const ARP_LEN = 28;
export const GARP_FRAME_LEN = ETH_HLEN + ARP_LEN;
const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export interface GarpInput {
  /** Sender MAC: the interface's, or the VMAC 00:00:5e:00:01:VRID with use_vmac. */
  readonly mac: string | Uint8Array;
  /** The virtual IPv4 address being announced. */
  readonly ip: IpAddress | Uint8Array;
}

/** Builds the 42-byte Ethernet + ARP gratuitous request for one VIP. */
export function buildGratuitousArp(input: GarpInput): Buffer {
  const mac = typeof input.mac === 'string' ? macOf(input.mac) : input.mac;
  const ip = input.ip instanceof Uint8Array ? input.ip : input.ip.bytes;
  if (mac.length !== 6 || ip.length !== 4) throw new RangeError('GARP needs a 6-byte MAC and a 4-byte IPv4 address');
  const f = Buffer.alloc(GARP_FRAME_LEN);
  f.set(BROADCAST, 0);
  f.set(mac, 6);
  f.writeUInt16BE(ETHERTYPE_ARP, 12);
  f.writeUInt16BE(1, 14); // hardware type: Ethernet
  f.writeUInt16BE(0x0800, 16); // protocol type: IPv4
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(1, 20); // operation: request
  f.set(mac, 22);
  f.set(ip, 28);
  f.set(BROADCAST, 32);
  f.set(ip, 38);
  return f;
}

export interface ArpFrame {
  readonly ethDst: string;
  readonly ethSrc: string;
  readonly op: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
  /** Request with sender IP == target IP: an announcement. */
  readonly gratuitous: boolean;
}

/** Decodes an Ethernet/IPv4 ARP frame (padding allowed); undefined if it is not one. */
export function decodeArpFrame(f: Uint8Array): ArpFrame | undefined {
  if (f.length < GARP_FRAME_LEN) return undefined;
  if (((f[12] << 8) | f[13]) !== ETHERTYPE_ARP) return undefined;
  if (((f[14] << 8) | f[15]) !== 1 || ((f[16] << 8) | f[17]) !== 0x0800 || f[18] !== 6 || f[19] !== 4) {
    return undefined;
  }
  const senderIp = formatIpv4(f, 28);
  const targetIp = formatIpv4(f, 38);
  const op = (f[20] << 8) | f[21];
  return {
    ethDst: formatMac(f, 0, 6),
    ethSrc: formatMac(f, 6, 6),
    op,
    senderMac: formatMac(f, 22, 6),
    senderIp,
    targetMac: formatMac(f, 32, 6),
    targetIp,
    gratuitous: op === 1 && senderIp === targetIp,
  };
}

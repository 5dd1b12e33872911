// From FSM actions to bytes and from received datagrams to FSM events, for one instance.
// Encoding and decoding are the packet layer's; this file only chooses the addressing
// (RFC 5798 5.1: source = our primary/unicast_src_ip, destination = group or each peer) and
// maps codec failures onto the FSM's RawCheck so counters follow keepalived's order (3.3).
import type { InstanceConfig } from '../fsm/config.js';
import type { RawCheck, VrrpEvent } from '../fsm/types.js';
import { authPassBytes } from '../fsm/validate.js';
import { decodeAdvert, encodeAdvert } from '../packet/vrrp.js';
import { decodeVrrpIpv4Packet, encodeIpv4Packet, VRRP_TOS, VRRP_TTL } from '../packet/ipv4.js';
import { IPPROTO_AH, IPPROTO_VRRP } from '../packet/vrrp.js';
import { ahKey, encodeAhVrrpPacket, verifyAhIcv } from '../packet/ah.js';
import type { AdvertMeta, VrrpAdvert } from '../packet/types.js';
import type { ReceivedPacket } from '../../net/packet-io.js';
import { IpAddress, LENIENT } from '../../lib/ip.js';

export interface WireConfig {
  readonly cfg: InstanceConfig;
  /** Our source address: unicast_src_ip / mcast_src_ip / the interface primary (v6: link-local). */
  readonly src: IpAddress;
  /** Multicast group (vrrp_mcast_group4/6 or mcast_dst_ip); unused in unicast mode. */
  readonly group: IpAddress;
  /** unicast_ttl (IPv4). */
  readonly unicastTtl?: number;
}

/** Per-instance sender: keeps the IPv4 identification counter (keepalived starts at 1). */
export class AdvertEncoder {
  private ipId = 0;
  /** RFC 2402 sequence number of AH-protected adverts (keepalived counts from 1). */
  private ahSeq = 0;
  private readonly pass: Uint8Array | undefined;
  private readonly ahKey: Uint8Array | undefined;
  constructor(private readonly w: WireConfig) {
    this.pass = w.cfg.authType === 1 ? authPassBytes(w.cfg.authPass) : undefined;
    this.ahKey = w.cfg.authType === 2 && w.cfg.version === 2 ? ahKey(w.cfg.authPass ?? '') : undefined;
  }

  /** Destinations of one advert: the group, or every unicast peer. */
  destinations(): IpAddress[] {
    const peers = this.w.cfg.unicastPeers;
    return peers.length > 0 ? peers.map((p) => p.address) : [this.w.group];
  }

  advert(priority: number): VrrpAdvert {
    const c = this.w.cfg;
    return {
      version: c.version,
      family: c.family,
      vrid: c.vrid,
      priority,
      advertInt: c.advertInt,
      authType: c.version === 2 ? c.authType : 0,
      ...(this.pass ? { authData: this.pass } : {}),
      addresses: c.vips,
    };
  }

  /** The bytes to hand to VrrpSocket.send for `dst`. */
  encode(priority: number, dst: IpAddress): Uint8Array {
    const c = this.w.cfg;
    const ad = this.advert(priority);
    if (c.family === 'inet6') {
      // The kernel fills the checksum (IPV6_CHECKSUM) and builds the IPv6 header.
      return encodeAdvert(ad, { checksum: 'kernel' });
    }
    this.ipId = (this.ipId % 0xffff) + 1;
    const unicast = c.unicastPeers.length > 0;
    const ttl = unicast && this.w.unicastTtl !== undefined ? this.w.unicastTtl : VRRP_TTL;
    if (this.ahKey) {
      this.ahSeq = (this.ahSeq + 1) >>> 0 || 1;
      return encodeAhVrrpPacket(ad, { src: this.w.src, dst, id: this.ipId, tos: VRRP_TOS, ttl, seq: this.ahSeq, key: this.ahKey });
    }
    // RFC 5798 5.2.8: the v3 checksum covers the IPv4 pseudo-header (keepalived 2.2.7 has no
    // `v3_checksum_as_v2`; it rejects the keyword, and so does our config).
    const payload = encodeAdvert(ad, { src: this.w.src, dst, checksum: 'pseudo-header' });
    return encodeIpv4Packet({ src: this.w.src, dst, id: this.ipId, tos: VRRP_TOS, ttl, protocol: IPPROTO_VRRP }, payload);
  }
}

/** The VRID a datagram claims, before any validation (for demultiplexing); undefined if unreadable. */
export function peekVrid(p: ReceivedPacket): number | undefined {
  const b = p.bytes;
  if (p.family === 'inet6') return b.length >= 2 ? b[1] : undefined;
  if (b.length < 20) return undefined;
  const ihl = (b[0] & 0x0f) * 4;
  const proto = b[9];
  // RFC 2402: AH is 12 + ICV bytes; its length field counts 32-bit words minus 2.
  const off = proto === IPPROTO_AH && b.length > ihl + 1 ? ihl + (b[ihl + 1] + 2) * 4 : ihl;
  return b.length > off + 1 ? b[off + 1] : undefined;
}

// The last IPv6 source text seen and its value (see metaOf).
let lastSourceText = '';
let lastSource: IpAddress | undefined;

const UNSPECIFIED = { inet: IpAddress.fromBytes(new Uint8Array(4)), inet6: IpAddress.fromBytes(new Uint8Array(16)) };

/**
 * Source and destination of a datagram as values. IPv4 reads them from the header bytes when it
 * has one; otherwise (IPv6, whose header the kernel strips) the socket layer's text is parsed,
 * once per packet. Text that does not parse (never seen from the kernel) yields undefined.
 */
function metaOf(p: ReceivedPacket, w: WireConfig, bytes: Uint8Array | undefined): AdvertMeta | undefined {
  if (bytes !== undefined) {
    return { src: IpAddress.fromBytes(bytes, 12, 'inet'), dst: IpAddress.fromBytes(bytes, 16, 'inet'), ttl: p.ttl, ifindex: p.ifindex };
  }
  // The destination is nearly always our group, and a master sends from one address: those two
  // texts are recognised rather than parsed again (the values are immutable, so sharing is safe).
  const dst = p.dst === w.group.text ? w.group : IpAddress.parse(p.dst, LENIENT);
  let src = lastSource;
  if (src === undefined || p.src !== lastSourceText) {
    src = IpAddress.parse(p.src, LENIENT);
    lastSourceText = p.src;
    lastSource = src;
  }
  if (src === undefined || dst === undefined || src.family !== p.family || dst.family !== p.family) return undefined;
  return { src, dst, ttl: p.ttl, ifindex: p.ifindex };
}

/** Turns one received datagram into the FSM's advertReceived event. Never throws. */
export function packetToEvent(p: ReceivedPacket, w: WireConfig): VrrpEvent {
  // An IPv4 datagram starts with its 20-byte header (decodeVrrpIpv4Packet checks it further).
  const meta = metaOf(p, w, p.family === 'inet' && p.bytes.length >= 20 ? p.bytes : undefined);
  if (meta === undefined) {
    const none = UNSPECIFIED[p.family];
    return { kind: 'advertReceived', meta: { src: none, dst: none, ttl: p.ttl, ifindex: p.ifindex }, rawCheck: { decodeError: 'bad-address' } };
  }
  if (p.family === 'inet6') {
    // The kernel verified the IPv6 checksum already.
    const r = decodeAdvert(p.bytes, { family: 'inet6', checksum: 'kernel' });
    if (r.ok) return { kind: 'advertReceived', advert: r.advert, meta };
    return { kind: 'advertReceived', meta, rawCheck: rawFor(r.reason) };
  }
  // keepalived (before 1.3.6) put the group in the v3 pseudo-header even for unicast: accept both.
  const r = decodeVrrpIpv4Packet(p.bytes, { verifyIpChecksum: false, checksum: 'pseudo-header', altDst: w.group });
  if (r.ok) {
    if (r.ah) {
      // RFC 2402: an AH packet whose ICV does not verify with our key is dropped.
      if (w.cfg.authType === 2 && !verifyAhIcv(p.bytes, ahKey(w.cfg.authPass ?? ''))) {
        return { kind: 'advertReceived', meta, rawCheck: { ahPresent: true, decodeError: 'ah-icv' } };
      }
      return { kind: 'advertReceived', advert: r.advert, meta, rawCheck: { ahPresent: true } };
    }
    return { kind: 'advertReceived', advert: r.advert, meta };
  }
  if (r.reason === 'bad-checksum' && r.unverified) {
    // The codec still read the fields: the FSM applies keepalived's order (version, auth and
    // interval are checked before the checksum).
    return { kind: 'advertReceived', advert: r.unverified, meta, rawCheck: { checksumError: true } };
  }
  return { kind: 'advertReceived', meta, rawCheck: rawFor(r.reason) };
}

function rawFor(reason: string): RawCheck {
  switch (reason) {
    case 'too-short':
    case 'too-long':
    case 'count-mismatch':
      return { lengthError: true, decodeError: reason };
    case 'bad-version':
      return { versionError: true, decodeError: reason };
    case 'bad-type':
      return { typeError: true, decodeError: reason };
    case 'bad-checksum':
      return { checksumError: true, decodeError: reason };
    default:
      return { decodeError: reason };
  }
}

// PacketIo over the native addon: one raw socket per VrrpSocketSpec, one AF_PACKET socket for
// gratuitous ARP frames and one ICMPv6 socket for unsolicited NAs, both opened on first use.
import { isNativeError, openSocket, type NativeRecvError, type NativeRecvMeta, type NativeSocket } from './native.js';
import { ALL_NODES6, IPPROTO_VRRP, type HeardAnnouncement, type PacketIo, type PacketIoError, type ReceivedPacket, type VrrpSocket, type VrrpSocketSpec } from './packet-io.js';

function isRecvError(m: NativeRecvMeta | NativeRecvError): m is NativeRecvError {
  return typeof (m as NativeRecvError).code === 'string';
}

function isIpv4Multicast(addr: string): boolean {
  const first = Number(addr.split('.', 1)[0]);
  return first >= 224 && first <= 239;
}

const ETHERTYPE_ARP = 0x0806;
/** RFC 4861 4.4: ICMPv6 type of a neighbour advertisement. */
const ND_NEIGHBOR_ADVERT = 136;
/** sll_pkttype of a frame we sent ourselves (linux/if_packet.h). */
const PACKET_OUTGOING = 4;

/** RFC 5798 5.1.1.3: hop limit / TTL of every advert is 255. */
const VRRP_HOP_LIMIT = 255;

class NativeVrrpSocket implements VrrpSocket {
  private packetHandler: ((p: ReceivedPacket) => void) | undefined;
  private errorHandler: ((e: PacketIoError) => void) | undefined;
  private closed = false;
  private readonly protocol: number;

  constructor(
    readonly spec: VrrpSocketSpec,
    private readonly sock: NativeSocket,
    private readonly onClose: (s: NativeVrrpSocket) => void,
  ) {
    this.protocol = spec.protocol ?? IPPROTO_VRRP;
    sock.start((data, meta) => this.receive(data, meta));
  }

  send(dst: string, bytes: Uint8Array): void {
    if (this.spec.family === 'inet') {
      // keepalived sends multicast adverts with MSG_DONTROUTE: they never leave the link.
      this.sock.send(bytes, dst, isIpv4Multicast(dst));
    } else {
      this.sock.send(bytes, dst, {
        ifindex: this.spec.ifindex,
        ...(this.spec.source6 !== undefined ? { src: this.spec.source6 } : {}),
      });
    }
  }

  onPacket(handler: (packet: ReceivedPacket) => void): void {
    this.packetHandler = handler;
  }

  onError(handler: (error: PacketIoError) => void): void {
    this.errorHandler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
    this.onClose(this);
  }

  private receive(data: Buffer | null, meta: NativeRecvMeta | NativeRecvError): void {
    if (data === null || isRecvError(meta)) {
      const m = meta as NativeRecvError;
      this.errorHandler?.({ code: m.code, errno: m.errno, message: `receive on ${this.spec.ifname}: ${m.code}` });
      return;
    }
    if (meta.truncated) {
      this.errorHandler?.({ code: 'ETRUNC', message: `datagram on ${this.spec.ifname} truncated` });
      return;
    }
    // IPv4 raw sockets hand over the header too: TTL is byte 8 when the cmsg is missing.
    const ttl = meta.ttl ?? (this.spec.family === 'inet' && data.length >= 20 ? data[8] : -1);
    const packet: ReceivedPacket = {
      family: this.spec.family,
      protocol: this.protocol,
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      src: meta.src ?? '',
      dst: meta.dst ?? '',
      ttl,
      ifindex: meta.ifindex ?? this.spec.ifindex,
    };
    this.packetHandler?.(packet);
  }
}

/** Receive queue of a VRRP socket, bytes. */
const VRRP_RCVBUF = 1 << 20;

export class NativePacketIo implements PacketIo {
  private readonly sockets = new Set<NativeVrrpSocket>();
  private packet: NativeSocket | undefined;
  private icmp6: NativeSocket | undefined;
  private readonly watches = new Set<() => void>();
  private closed = false;

  openVrrp(spec: VrrpSocketSpec): VrrpSocket {
    if (this.closed) throw new Error('PacketIo is closed');
    const protocol = spec.protocol ?? IPPROTO_VRRP;
    const common = {
      protocol,
      device: spec.ifname,
      multicastIfindex: spec.ifindex,
      // A flood for the VRID (issue 10) fills the default ~208 KiB queue in a few hundred
      // datagrams; when the process is briefly descheduled the kernel would then drop the
      // master's own adverts with the rest and a backup would take over. 1 MiB absorbs such a
      // stall (SO_RCVBUFFORCE as root, else capped at rmem_max).
      recvBuffer: VRRP_RCVBUF,
      ...(spec.bindAddress !== undefined ? { bindAddress: spec.bindAddress } : {}),
    };
    const sock =
      spec.family === 'inet'
        ? openSocket('raw4', { ...common, hdrincl: true, multicastLoop: false })
        : openSocket('raw6', {
            ...common,
            // RFC 5798 5.2.8: checksum at byte 6 of the VRRP header, over the pseudo-header.
            checksumOffset: 6,
            multicastHops: VRRP_HOP_LIMIT,
            multicastLoop: false,
            scopeId: spec.ifindex,
            ...(spec.unicastHops !== undefined ? { unicastHops: spec.unicastHops } : {}),
          });
    try {
      if (spec.group !== undefined) sock.addMembership(spec.group, spec.ifindex);
    } catch (e) {
      sock.close();
      throw e;
    }
    const s = new NativeVrrpSocket(spec, sock, (x) => this.sockets.delete(x));
    this.sockets.add(s);
    return s;
  }

  sendGratuitousArp(ifindex: number, frame: Uint8Array): void {
    this.packet ??= openSocket('packet', {});
    this.packet.send(frame, ifindex);
  }

  sendUnsolicitedNa(ifindex: number, src: string, icmp: Uint8Array, dst: string = ALL_NODES6): void {
    // RFC 4861 7.1.2: a receiver drops NAs whose hop limit is not 255.
    this.icmp6 ??= openSocket('icmp6', { multicastHops: VRRP_HOP_LIMIT, unicastHops: VRRP_HOP_LIMIT });
    this.icmp6.send(icmp, dst, { ifindex, src, hopLimit: VRRP_HOP_LIMIT });
  }

  watchAnnouncements(ifindex: number, handler: (a: HeardAnnouncement) => void): () => void {
    if (this.closed) throw new Error('PacketIo is closed');
    // ARP: a packet socket for EtherType 0x0806 bound to the interface; our own frames come
    // back as PACKET_OUTGOING and are skipped.
    const arp = openSocket('packet', { receiveEthertype: ETHERTYPE_ARP, ifindex });
    arp.start((data, meta) => {
      if (data === null || isRecvError(meta) || meta.pktType === PACKET_OUTGOING) return;
      handler({ kind: 'arp', ifindex, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    });
    // Neighbour advertisements: an ICMPv6 socket passing type 136 only; the interface is told
    // by IPV6_PKTINFO.
    let na: NativeSocket | undefined;
    try {
      na = openSocket('icmp6', { receiveTypes: [ND_NEIGHBOR_ADVERT] });
      na.start((data, meta) => {
        if (data === null || isRecvError(meta)) return;
        if (meta.ifindex !== undefined && meta.ifindex !== ifindex) return;
        handler({ kind: 'na', ifindex, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
      });
    } catch (e) {
      arp.close();
      throw e;
    }
    const stop = () => {
      arp.close();
      na?.close();
      this.watches.delete(stop);
    };
    this.watches.add(stop);
    return stop;
  }

  close(): void {
    this.closed = true;
    for (const stop of [...this.watches]) stop();
    for (const s of [...this.sockets]) s.close();
    this.packet?.close();
    this.icmp6?.close();
    this.packet = undefined;
    this.icmp6 = undefined;
  }
}

export { isNativeError };

// MemoryLan: an in-process Ethernet segment implementing PacketIo for every host on it, so
// multi-router VRRP runs need no privileges and no real time (DESIGN.md seam 4).
//
// It copies what the kernel does for the native sockets (native/socket.cc), so code tested on
// it behaves the same on the wire:
//  * IPv4 (IP_HDRINCL): the caller's header is kept; total length and header checksum are
//    filled in, as the kernel does; receivers get the whole datagram, header included.
//  * IPv6: the "kernel" picks the hop limit (255 multicast, unicastHops or 64 unicast) and
//    computes the checksum at offset 6 over the pseudo-header (IPV6_CHECKSUM); receivers get
//    the payload only.
//  * Multicast loop is off: a host never hears its own adverts. Multicast reaches sockets that
//    joined the group on that interface; unicast reaches the host owning the address. A socket
//    bound to an address only receives unicast addressed to it; a bound IPv4 socket gets no
//    multicast at all, a bound IPv6 socket still gets the groups it joined (kernel behaviour).
//  * A host whose link is down neither sends (ENETDOWN) nor receives.
// Delivery is never synchronous: each copy is scheduled on the injected timers (the project's one
// time seam, lib/timers.ts; VirtualTime in tests and simulations) after the configured delay, and
// may be lost with the configured probability.
import {
  ALL_NODES6,
  IPPROTO_VRRP,
  type IpFamily,
  type HeardAnnouncement,
  type PacketIo,
  type PacketIoError,
  type ReceivedPacket,
  type VrrpSocket,
  type VrrpSocketSpec,
} from './packet-io.js';
import { formatIpv4, formatIpv6, isMulticast, LENIENT_V4, parseIpv4, parseIpv6, parseMac } from '../lib/ip.js';
import type { Timers } from '../lib/timers.js';

export interface LanHostSpec {
  /** Interface name (default eth0). */
  ifname?: string;
  /** Interface index (default 2, as a first real NIC in a namespace). */
  ifindex?: number;
  /** MAC (default derived from the host's position on the segment). */
  mac?: string;
  /**
   * Addresses without prefix length. An IPv6 link-local (fe80::/10) is the default source of
   * IPv6 adverts; one is derived from the MAC when none is given.
   */
  addresses?: string[];
}

/** What crossed the segment (the LAN's capture, for assertions). */
export type LanFrame =
  | {
      readonly kind: 'ip';
      readonly at: number;
      readonly from: string;
      readonly family: IpFamily;
      readonly protocol: number;
      readonly src: string;
      readonly dst: string;
      readonly ttl: number;
      /** IPv4: whole datagram; IPv6: payload (checksum filled in). */
      readonly bytes: Uint8Array;
    }
  | { readonly kind: 'arp'; readonly at: number; readonly from: string; readonly ifindex: number; readonly frame: Uint8Array }
  | {
      readonly kind: 'na';
      readonly at: number;
      readonly from: string;
      readonly ifindex: number;
      readonly src: string;
      readonly dst: string;
      readonly hopLimit: number;
      readonly bytes: Uint8Array;
    };

export interface LanOptions {
  /** Deliveries run on these timers and frames are stamped with their clock (VirtualTime in tests). */
  scheduler: Timers;
  /** One-way delay in ms, fixed or per (sender, receiver) pair. Default 0. */
  delayMs?: number | ((from: string, to: string) => number);
  /** Probability in [0, 1] that one copy to one receiver is lost. Default 0. */
  loss?: number;
  /** Source of randomness for loss, injected for reproducible runs. Default Math.random. */
  random?: () => number;
}

export interface LanStats {
  sent: number;
  delivered: number;
  lost: number;
  /** Copies not delivered because the receiver's link was down or a path was cut. */
  blocked: number;
}

/** Errors carry the same codes the native layer throws. */
export class LanError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly errno?: number,
  ) {
    super(message);
    this.name = 'LanError';
  }
}

// ---- address helpers (text forms; the LAN compares canonical strings) ----

function canonical(family: IpFamily, a: string): string {
  if (family === 'inet') {
    const b = parseIpv4(a, LENIENT_V4);
    if (!b) throw new LanError('EINVAL', `not an IPv4 address: ${a}`, 22);
    return formatIpv4(b);
  }
  const b = parseIpv6(a, LENIENT_V4);
  if (!b) throw new LanError('EINVAL', `not an IPv6 address: ${a}`, 22);
  return formatIpv6(b);
}

/**
 * A private copy. Not `.slice()`: on a Node Buffer that returns a view sharing memory (and
 * its `.buffer` is the shared pool), so writes would leak into the caller's bytes.
 */
function copy(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

function sum16(bytes: Uint8Array, seed = 0): number {
  let s = seed;
  for (let i = 0; i + 1 < bytes.length; i += 2) s += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length % 2) s += bytes[bytes.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** RFC 2460 8.1 pseudo-header checksum, as the kernel computes it for IPV6_CHECKSUM. */
function ipv6Checksum(src: string, dst: string, nextHeader: number, payload: Uint8Array): number {
  const pseudo = new Uint8Array(40);
  pseudo.set(parseIpv6(src, LENIENT_V4)!, 0);
  pseudo.set(parseIpv6(dst, LENIENT_V4)!, 16);
  new DataView(pseudo.buffer).setUint32(32, payload.length);
  pseudo[39] = nextHeader;
  return ~sum16(payload, sum16(pseudo)) & 0xffff;
}

function linkLocalFromMac(mac: string): string {
  const m = parseMac(mac);
  if (!m) throw new LanError('EINVAL', `not a MAC address: ${mac}`, 22);
  // RFC 4291 2.5.1: modified EUI-64 (flip the universal/local bit, insert ff:fe).
  const b = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]];
  return formatIpv6(b);
}

// ---- the segment ----

export class MemoryLan {
  private readonly hosts = new Map<string, MemoryHost>();
  private readonly taps = new Set<(f: LanFrame) => void>();
  private readonly cut = new Set<string>();
  readonly frames: LanFrame[] = [];
  readonly stats: LanStats = { sent: 0, delivered: 0, lost: 0, blocked: 0 };
  private delay: number | ((from: string, to: string) => number);
  private loss: number;
  private readonly random: () => number;
  readonly scheduler: Timers;

  constructor(opts: LanOptions) {
    this.scheduler = opts.scheduler;
    this.delay = opts.delayMs ?? 0;
    this.loss = opts.loss ?? 0;
    this.random = opts.random ?? Math.random;
    this.checkLoss(this.loss);
  }

  addHost(name: string, spec: LanHostSpec = {}): MemoryHost {
    if (this.hosts.has(name)) throw new Error(`MemoryLan: host ${name} exists`);
    const n = this.hosts.size + 1;
    const mac = spec.mac ?? `02:00:5e:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
    const addresses = (spec.addresses ?? []).map((a) => canonical(a.includes(':') ? 'inet6' : 'inet', a));
    if (!addresses.some((a) => a.startsWith('fe80:'))) addresses.push(linkLocalFromMac(mac));
    const host = new MemoryHost(this, name, spec.ifname ?? 'eth0', spec.ifindex ?? 2, mac, addresses);
    this.hosts.set(name, host);
    return host;
  }

  host(name: string): MemoryHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`MemoryLan: no host ${name}`);
    return h;
  }

  /** Carrier of a host's interface. */
  setLink(name: string, up: boolean): void {
    this.host(name).linkUp = up;
  }

  /** Cuts (or restores) the one-way path from `from` to `to` (asymmetric partitions). */
  setPath(from: string, to: string, open: boolean): void {
    const key = `${from}\u0000${to}`;
    if (open) this.cut.delete(key);
    else this.cut.add(key);
  }

  setLoss(loss: number): void {
    this.checkLoss(loss);
    this.loss = loss;
  }

  setDelay(delayMs: number | ((from: string, to: string) => number)): void {
    this.delay = delayMs;
  }

  /** Sees every frame as it is sent. */
  onFrame(listener: (f: LanFrame) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /** @internal Records a frame and schedules one copy per receiver. */
  transmit(frame: LanFrame, receivers: (host: MemoryHost) => (() => void) | undefined): void {
    this.stats.sent++;
    this.frames.push(frame);
    for (const t of this.taps) t(frame);
    for (const host of this.hosts.values()) {
      if (host.name === frame.from) continue; // no multicast loop, no self delivery
      const deliver = receivers(host);
      if (deliver === undefined) continue;
      if (this.cut.has(`${frame.from}\u0000${host.name}`)) {
        this.stats.blocked++;
        continue;
      }
      if (this.loss > 0 && this.random() < this.loss) {
        this.stats.lost++;
        continue;
      }
      const d = typeof this.delay === 'function' ? this.delay(frame.from, host.name) : this.delay;
      this.scheduler.setTimeout(() => {
        // Carrier is checked on arrival too: a link that went down in flight drops the copy.
        if (!host.linkUp) {
          this.stats.blocked++;
          return;
        }
        this.stats.delivered++;
        deliver();
      }, d);
    }
  }

  private checkLoss(loss: number): void {
    if (!(loss >= 0 && loss <= 1)) throw new RangeError(`loss must be in [0, 1], got ${loss}`);
  }
}

export class MemoryHost implements PacketIo {
  linkUp = true;
  private readonly sockets = new Set<MemoryVrrpSocket>();
  /** GARP frames and NAs this host heard (L2 receive side, for tests). */
  readonly heard: LanFrame[] = [];
  private readonly watchers = new Set<{ ifindex: number; handler: (a: HeardAnnouncement) => void }>();

  constructor(
    readonly lan: MemoryLan,
    readonly name: string,
    readonly ifname: string,
    /** Changes when the interface is re-created (recreateInterface). */
    public ifindex: number,
    public mac: string,
    /** Canonical text addresses on the interface. */
    readonly addresses: string[],
  ) {}

  /** Adds an address (e.g. a VIP taken over); canonicalised. */
  addAddress(a: string): void {
    const c = canonical(a.includes(':') ? 'inet6' : 'inet', a);
    if (!this.addresses.includes(c)) this.addresses.push(c);
  }

  removeAddress(a: string): void {
    const c = canonical(a.includes(':') ? 'inet6' : 'inet', a);
    const i = this.addresses.indexOf(c);
    if (i >= 0) this.addresses.splice(i, 1);
  }

  /**
   * The interface is deleted and re-created with the same name: a new index and MAC, so a new
   * link-local. Sockets opened on the old index stay open but are dead, as in the kernel: they
   * receive nothing and sending through them fails with ENODEV.
   */
  recreateInterface(ifindex: number, mac: string): void {
    const old = this.linkLocal;
    this.ifindex = ifindex;
    this.mac = mac;
    const i = this.addresses.indexOf(old);
    if (i >= 0) this.addresses.splice(i, 1);
    this.addresses.push(linkLocalFromMac(mac));
  }

  get linkLocal(): string {
    return this.addresses.find((a) => a.startsWith('fe80:'))!;
  }

  openVrrp(spec: VrrpSocketSpec): VrrpSocket {
    if (spec.ifindex !== this.ifindex) throw new LanError('ENODEV', `${this.name}: no interface with index ${spec.ifindex}`, 19);
    const bind = spec.bindAddress !== undefined ? canonical(spec.family, spec.bindAddress) : undefined;
    if (bind !== undefined && !this.addresses.includes(bind)) {
      throw new LanError('EADDRNOTAVAIL', `bind ${spec.bindAddress}: address not on ${this.name}`, 99);
    }
    const group = spec.group !== undefined ? canonical(spec.family, spec.group) : undefined;
    if (group !== undefined && !isMulticast(group)) throw new LanError('EINVAL', `${spec.group} is not a multicast group`, 22);
    const s = new MemoryVrrpSocket(this, spec, bind, group);
    this.sockets.add(s);
    return s;
  }

  sendGratuitousArp(ifindex: number, frame: Uint8Array): void {
    this.checkSend(ifindex);
    if (frame.length < 14) throw new LanError('EINVAL', 'an Ethernet frame has at least 14 bytes', 22);
    const f: LanFrame = { kind: 'arp', at: this.lan.scheduler.clock.now(), from: this.name, ifindex, frame: copy(frame) };
    this.lan.transmit(f, (h) => () => h.hear(f));
  }

  sendUnsolicitedNa(ifindex: number, src: string, icmp: Uint8Array, dst: string = ALL_NODES6): void {
    this.checkSend(ifindex);
    const s = canonical('inet6', src);
    const d = canonical('inet6', dst);
    const bytes = copy(icmp);
    if (bytes.length >= 4) {
      // ICMPv6 checksum (RFC 4443 2.3) is always the kernel's job on raw ICMPv6 sockets.
      bytes[2] = 0;
      bytes[3] = 0;
      const c = ipv6Checksum(s, d, 58, bytes);
      bytes[2] = c >> 8;
      bytes[3] = c & 0xff;
    }
    const f: LanFrame = { kind: 'na', at: this.lan.scheduler.clock.now(), from: this.name, ifindex, src: s, dst: d, hopLimit: 255, bytes };
    this.lan.transmit(f, (h) => () => h.hear(f));
  }

  watchAnnouncements(ifindex: number, handler: (a: HeardAnnouncement) => void): () => void {
    if (ifindex !== this.ifindex) throw new LanError('ENODEV', `${this.name}: no interface with index ${ifindex}`, 19);
    const w = { ifindex, handler };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /** @internal A GARP or NA from another host arrived. */
  hear(f: LanFrame): void {
    this.heard.push(f);
    for (const w of this.watchers) {
      if (w.ifindex !== this.ifindex) continue; // a watch on a re-created interface's old index
      if (f.kind === 'arp') w.handler({ kind: 'arp', ifindex: w.ifindex, bytes: f.frame });
      else if (f.kind === 'na') w.handler({ kind: 'na', ifindex: w.ifindex, bytes: f.bytes });
    }
  }

  close(): void {
    for (const s of [...this.sockets]) s.close();
  }

  /** @internal */
  checkSend(ifindex: number): void {
    if (ifindex !== this.ifindex) throw new LanError('ENODEV', `${this.name}: no interface with index ${ifindex}`, 19);
    if (!this.linkUp) throw new LanError('ENETDOWN', `${this.name}: ${this.ifname} is down`, 100);
  }

  /** @internal */
  forget(s: MemoryVrrpSocket): void {
    this.sockets.delete(s);
  }

  /** @internal Sockets of this host that would receive a datagram. */
  receivers(family: IpFamily, protocol: number, dst: string): MemoryVrrpSocket[] {
    const multicast = isMulticast(dst);
    const out: MemoryVrrpSocket[] = [];
    for (const s of this.sockets) {
      if (s.spec.family !== family || s.protocol !== protocol || s.spec.ifindex !== this.ifindex) continue;
      if (multicast) {
        // Kernel raw-socket matching (checked in test/integration/net/raw-ipv6.test.ts): a bound
        // IPv4 socket only accepts datagrams addressed to its bound address, so never multicast
        // (raw_v4_match); a bound IPv6 socket still gets groups it joined (raw_v6_match).
        if (s.group === dst && (s.bind === undefined || family === 'inet6')) out.push(s);
      } else if (this.addresses.includes(dst) && (s.bind === undefined || s.bind === dst)) {
        out.push(s);
      }
    }
    return out;
  }
}

class MemoryVrrpSocket implements VrrpSocket {
  readonly protocol: number;
  private packetHandler: ((p: ReceivedPacket) => void) | undefined;
  private closed = false;

  constructor(
    private readonly host: MemoryHost,
    readonly spec: VrrpSocketSpec,
    readonly bind: string | undefined,
    readonly group: string | undefined,
  ) {
    this.protocol = spec.protocol ?? IPPROTO_VRRP;
  }

  send(dst: string, bytes: Uint8Array): void {
    if (this.closed) throw new LanError('ERR_SOCKET_CLOSED', 'socket is closed');
    this.host.checkSend(this.spec.ifindex);
    const d = canonical(this.spec.family, dst);
    if (this.spec.family === 'inet') this.sendV4(d, bytes);
    else this.sendV6(d, bytes);
  }

  private sendV4(dst: string, bytes: Uint8Array): void {
    const ihl = (bytes[0] & 0x0f) * 4;
    if (bytes.length < 20 || bytes[0] >> 4 !== 4 || ihl < 20 || ihl > bytes.length) {
      throw new LanError('EINVAL', 'IP_HDRINCL datagram without a valid IPv4 header', 22);
    }
    const b = copy(bytes);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    // What the kernel does for IP_HDRINCL: total length and header checksum are always set.
    dv.setUint16(2, b.length);
    dv.setUint16(10, 0);
    dv.setUint16(10, ~sum16(b.subarray(0, ihl)) & 0xffff);
    const src = [...b.subarray(12, 16)].join('.');
    const headerDst = [...b.subarray(16, 20)].join('.');
    const protocol = b[9];
    const ttl = b[8];
    const f: LanFrame = { kind: 'ip', at: this.host.lan.scheduler.clock.now(), from: this.host.name, family: 'inet', protocol, src, dst: headerDst, ttl, bytes: b };
    // Routing uses the sendto() address; receivers see the header's destination.
    this.host.lan.transmit(f, (h) => this.deliveryTo(h, 'inet', protocol, dst, { src, dst: headerDst, ttl, bytes: b }));
  }

  private sendV6(dst: string, payload: Uint8Array): void {
    const src = this.spec.source6 !== undefined ? canonical('inet6', this.spec.source6) : (this.bind ?? this.host.linkLocal);
    if (!this.host.addresses.includes(src)) throw new LanError('EADDRNOTAVAIL', `source ${src} not on ${this.host.name}`, 99);
    const multicast = isMulticast(dst);
    // RFC 5798 5.1.2.3 hop limit 255 (IPV6_MULTICAST_HOPS); unicast: unicast_ttl or the default.
    const ttl = multicast ? 255 : (this.spec.unicastHops ?? 64);
    const b = copy(payload);
    if (b.length >= 8) {
      b[6] = 0;
      b[7] = 0;
      const c = ipv6Checksum(src, dst, this.protocol, b);
      b[6] = c >> 8;
      b[7] = c & 0xff;
    }
    const f: LanFrame = { kind: 'ip', at: this.host.lan.scheduler.clock.now(), from: this.host.name, family: 'inet6', protocol: this.protocol, src, dst, ttl, bytes: b };
    this.host.lan.transmit(f, (h) => this.deliveryTo(h, 'inet6', this.protocol, dst, { src, dst, ttl, bytes: b }));
  }

  private deliveryTo(
    h: MemoryHost,
    family: IpFamily,
    protocol: number,
    routeDst: string,
    p: { src: string; dst: string; ttl: number; bytes: Uint8Array },
  ): (() => void) | undefined {
    if (!h.linkUp) return undefined;
    if (h.receivers(family, protocol, routeDst).length === 0) return undefined;
    return () => {
      // Recomputed on arrival: sockets may have been opened or closed in flight.
      for (const s of h.receivers(family, protocol, routeDst)) {
        s.receive({ family, protocol, bytes: copy(p.bytes), src: p.src, dst: p.dst, ttl: p.ttl, ifindex: h.ifindex });
      }
    };
  }

  /** @internal */
  receive(p: ReceivedPacket): void {
    if (!this.closed) this.packetHandler?.(p);
  }

  onPacket(handler: (packet: ReceivedPacket) => void): void {
    this.packetHandler = handler;
  }

  onError(_handler: (error: PacketIoError) => void): void {
    // The simulated segment has no receive errors.
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.forget(this);
  }
}

// Runs one conformance case through the real VRRP runtime (src/vrrp/runtime/vrrp-runtime.ts),
// the way the daemon runs it, minus real time and privileges:
//
//   keepalived.conf -> parse -> model -> wireInstances (core/instance-wiring.ts, the daemon's)
//   -> VrrpRuntime { io: MemoryLan host per interface, kernel: RecordingKernel,
//                    clock + timer one-shot: one VirtualTime }
//
// Input events become what the daemon would hand the runtime: an advert is a datagram a peer
// host on the interface's segment puts on the wire (encoded by our encoder, then damaged as the
// case's rawCheck asks), so the runtime's socket demultiplexing and decoder (wire.ts) run before
// the FSM; start-up and shutdown are runtime.start() / runtime.stop(); tracker, link and fault
// events are the runtime's entry points. Every action the runtime carries out (its observer)
// and every notify it hands to the notify sink (group notifies included) is recorded with its
// virtual time.
import { wireInstances } from '../../src/core/instance-wiring.js';
import { RecordingKernel } from '../../src/kernel/recording-kernel.js';
import { ipOf, type IpAddress } from '../../src/lib/ip.js';
import { memoryLogger } from '../../src/lib/log.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { MemoryLan, type MemoryHost } from '../../src/net/memory-lan.js';
import type { HeardAnnouncement, PacketIo, VrrpSocket, VrrpSocketSpec } from '../../src/net/packet-io.js';
import type { InstanceConfig, VrrpAction } from '../../src/vrrp/fsm/index.js';
import { authPassBytes } from '../../src/vrrp/fsm/index.js';
import type { RawCheck, TrackerRef } from '../../src/vrrp/fsm/types.js';
import { ahKey, encodeAhVrrpPacket } from '../../src/vrrp/packet/ah.js';
import { encodeIpv4Packet, VRRP_TOS } from '../../src/vrrp/packet/ipv4.js';
import type { VrrpAdvert } from '../../src/vrrp/packet/types.js';
import { encodeAdvert, IPPROTO_VRRP } from '../../src/vrrp/packet/vrrp.js';
import { VrrpRuntime, type NotifySink } from '../../src/vrrp/runtime/vrrp-runtime.js';
import { loadCaseConfig } from './load-case-config.js';

export interface InputLine {
  at: number;
  instance?: string;
  event?: Record<string, unknown>;
  until?: boolean;
}
export interface OutLine {
  at: number;
  instance?: string;
  action: Record<string, unknown>;
}

/** The interfaces a case may use, as the RecordingKernel and the segments know them. */
const INTERFACES = ['eth0', 'eth1', 'eth2'] as const;
const macOf = (ifindex: number) => `02:00:5e:00:01:${ifindex.toString(16).padStart(2, '0')}`;

interface Segment {
  readonly ifname: string;
  readonly ifindex: number;
  readonly node: MemoryHost;
  readonly peer: MemoryHost;
}

/** The runtime host's PacketIo: one MemoryLan host per interface, chosen by ifindex. */
class MultiHomedIo implements PacketIo {
  constructor(private readonly byIndex: ReadonlyMap<number, MemoryHost>) {}
  private host(ifindex: number): MemoryHost {
    const h = this.byIndex.get(ifindex);
    if (!h) throw new Error(`no interface with index ${ifindex}`);
    return h;
  }
  openVrrp(spec: VrrpSocketSpec): VrrpSocket {
    return this.host(spec.ifindex).openVrrp(spec);
  }
  sendGratuitousArp(ifindex: number, frame: Uint8Array): void {
    this.host(ifindex).sendGratuitousArp(ifindex, frame);
  }
  sendUnsolicitedNa(ifindex: number, src: string, icmp: Uint8Array, dst?: string): void {
    this.host(ifindex).sendUnsolicitedNa(ifindex, src, icmp, dst);
  }
  watchAnnouncements(ifindex: number, handler: (a: HeardAnnouncement) => void): () => void {
    return this.host(ifindex).watchAnnouncements(ifindex, handler);
  }
  close(): void {
    for (const h of this.byIndex.values()) h.close();
  }
}

/** The advert a case line describes, its missing fields taken from the receiving instance. */
export function advertFor(cfg: InstanceConfig, a: Record<string, unknown>): VrrpAdvert {
  const version = (a.version as 2 | 3 | undefined) ?? cfg.version;
  const authType = (a.authType as 0 | 1 | 2 | undefined) ?? (version === 2 ? cfg.authType : 0);
  const authData = typeof a.authData === 'string' ? authPassBytes(a.authData) : authType === 1 ? authPassBytes(cfg.authPass) : undefined;
  return {
    version,
    family: (a.family as 'inet' | 'inet6' | undefined) ?? cfg.family,
    vrid: (a.vrid as number | undefined) ?? cfg.vrid,
    priority: a.priority as number,
    advertInt: (a.advertInt as VrrpAdvert['advertInt'] | undefined) ?? cfg.advertInt,
    authType,
    ...(authData ? { authData } : {}),
    // Case files write addresses as text: parsed here, as the socket layer's edge would.
    addresses: (a.addresses as string[] | undefined)?.map((t) => ipOf(t)) ?? cfg.vips,
  } as VrrpAdvert;
}

/**
 * The IPv4 datagram (header included) of one advert, damaged as `raw` asks:
 *  * checksumError: one bit of the VRRP checksum flipped;
 *  * typeError: VRRP type 2 instead of 1 (ADVERTISEMENT);
 *  * lengthError: four bytes more than the address count needs (with decodeError 'too-short':
 *    cut to four bytes of VRRP header instead);
 *  * decodeError 'bad-auth-type': VRRPv2 authentication type 3 (RFC 3768 5.3.6 defines 0-2);
 *  * ahPresent: sent inside an IPsec AH header (IP protocol 51).
 */
function ipv4Datagram(ad: VrrpAdvert, src: IpAddress, dst: IpAddress, ttl: number, raw: RawCheck): Uint8Array {
  if (raw.ahPresent) {
    return encodeAhVrrpPacket({ ...ad, authType: 2 }, { src, dst, id: 1, tos: VRRP_TOS, ttl, seq: 1, key: ahKey('') });
  }
  const payload = new Uint8Array(encodeAdvert(ad, { src, dst, checksum: 'pseudo-header' }));
  let vrrp: Uint8Array = payload;
  if (raw.checksumError) vrrp[7] ^= 0x01;
  if (raw.typeError) vrrp[0] = (vrrp[0] & 0xf0) | 2;
  if (raw.decodeError === 'bad-auth-type') {
    if (ad.version !== 2) throw new Error('decodeError bad-auth-type needs a VRRPv2 advert');
    vrrp[4] = 3;
  } else if (raw.decodeError === 'too-short') {
    vrrp = payload.subarray(0, 4);
  } else if (raw.decodeError !== undefined) {
    throw new Error(`the runner cannot build a packet with decodeError ${raw.decodeError}`);
  } else if (raw.lengthError) {
    vrrp = new Uint8Array([...payload, 0, 0, 0, 0]);
  }
  if (raw.versionError) throw new Error('the runner cannot build a packet with versionError (use advert.version)');
  return encodeIpv4Packet({ src, dst, id: 1, tos: VRRP_TOS, ttl, protocol: IPPROTO_VRRP }, vrrp);
}

function present(instance: string | undefined, at: number, a: VrrpAction): OutLine {
  // setDeadline.at is shown in ms in case files, like every other time there.
  const action = a.kind === 'setDeadline' ? { kind: 'setDeadline', at: a.at === null ? null : a.at / 1000 } : (JSON.parse(JSON.stringify(a)) as Record<string, unknown>);
  return instance === undefined ? { at, action } : { at, instance, action };
}

export async function runCase(confText: string, input: readonly InputLine[]): Promise<OutLine[]> {
  const { model, instances, groups } = loadCaseConfig(confText);
  const multi = instances.length > 1;
  const byName = new Map(instances.map((c) => [c.name, c]));
  const time = new VirtualTime();
  // One segment per interface: the runtime's host and one peer that sends the case's adverts.
  const segments = new Map<string, Segment>();
  const kernel = new RecordingKernel([{ name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00' }]);
  INTERFACES.forEach((ifname, i) => {
    const ifindex = i + 2;
    const seg = new MemoryLan({ scheduler: time });
    const node = seg.addHost('node', { ifname, ifindex, mac: macOf(ifindex) });
    const peer = seg.addHost('peer', { ifname, ifindex });
    kernel.addLink({ name: ifname, ifindex, mac: node.mac });
    kernel.seedAddress({ address: node.linkLocal, prefixLength: 64, dev: ifname });
    segments.set(ifname, { ifname, ifindex, node, peer });
  });
  const wired = await wireInstances(model, kernel);
  const refused = wired.problems.filter((p) => p.code !== 'unsupported');
  if (refused.length > 0) throw new Error(refused.map((p) => p.message).join('\n'));
  // Our own source addresses are on our interface (the daemon checks that they exist).
  for (const s of wired.specs) {
    const seg = [...segments.values()].find((x) => x.ifindex === s.ifindex)!;
    seg.node.addAddress(s.wire.src.text);
  }
  const specOf = new Map(wired.specs.map((s) => [s.cfg.name, s]));

  const out: OutLine[] = [];
  const now = () => time.nowUs / 1000;
  // Instance notifies reach the sink right after the observer saw them; anything else the sink
  // gets is a sync group's.
  let instanceNotifies = 0;
  const groupNotify = (owner: string, a: VrrpAction) => {
    if (instanceNotifies > 0) {
      instanceNotifies--;
      return;
    }
    out.push(present(owner, now(), a));
  };
  const notify: NotifySink = {
    script: (owner, command) => groupNotify(owner, { kind: 'notify', channel: 'script', command }),
    generic: (owner, command, args) => groupNotify(owner, { kind: 'notify', channel: 'generic', command, args }),
    fifo: (line) => groupNotify(/^GROUP "([^"]*)"/.exec(line)?.[1] ?? '?', { kind: 'notify', channel: 'fifo', line }),
  };
  const io = new MultiHomedIo(new Map([...segments.values()].map((s) => [s.ifindex, s.node])));
  const runtime = new VrrpRuntime({ io, kernel, clock: time, oneShot: time.oneShot, log: memoryLogger('silent').log, notify }, wired.specs, groups);
  runtime.observe(({ instance, action }) => {
    if (time.executed > 100_000) throw new Error('deadline storm');
    if (action.kind === 'notify') instanceNotifies++;
    out.push(present(multi ? instance : undefined, now(), action));
  });

  const stops: Promise<void>[] = [];
  const sendAdvert = (cfg: InstanceConfig, ev: Record<string, unknown>) => {
    const spec = specOf.get(cfg.name)!;
    const seg = segments.get(spec.ifname)!;
    const meta = (ev.meta ?? {}) as { src?: string; dst?: string; ttl?: number };
    const raw = (ev.rawCheck ?? {}) as RawCheck;
    const ad = advertFor(cfg, (ev.advert ?? { priority: 100 }) as Record<string, unknown>);
    // Case files write addresses as text: parsed here, as the socket layer's edge would.
    const src = ipOf(meta.src ?? '192.0.2.99');
    const dst = meta.dst !== undefined ? ipOf(meta.dst) : spec.wire.group;
    const ttl = meta.ttl ?? 255;
    let sock: VrrpSocket;
    let bytes: Uint8Array;
    if (cfg.family === 'inet') {
      sock = seg.peer.openVrrp({ family: 'inet', ifname: seg.ifname, ifindex: seg.ifindex, ...(raw.ahPresent ? { protocol: 51 } : {}) });
      bytes = ipv4Datagram(ad, src, dst, ttl, raw);
    } else {
      // The kernel builds the IPv6 header: hop limit 255 to a group, the socket's unicast hops
      // otherwise; it computes the checksum (a damaged one never reaches a raw IPv6 socket).
      if (Object.keys(raw).length > 0) throw new Error('the runner builds no damaged IPv6 adverts');
      if (ttl !== 255 && dst.isMulticast()) throw new Error('IPv6 multicast always carries hop limit 255');
      seg.peer.addAddress(src.text);
      sock = seg.peer.openVrrp({ family: 'inet6', ifname: seg.ifname, ifindex: seg.ifindex, source6: src.text, unicastHops: ttl });
      bytes = encodeAdvert(ad, { checksum: 'kernel' });
    }
    sock.send(dst.text, bytes);
    sock.close();
  };

  for (const line of input) {
    const at = Math.round(line.at * 1000);
    time.runUntilUs(at);
    await settle();
    if (line.until || !line.event) continue;
    const ev = line.event;
    const targets = line.instance !== undefined ? [byName.get(line.instance)!] : instances;
    switch (ev.kind) {
      case 'startup':
        if (line.instance !== undefined) throw new Error('startup starts every instance (runtime.start)');
        runtime.start();
        break;
      case 'shutdown':
        if (line.instance !== undefined) throw new Error('shutdown stops every instance (runtime.stop)');
        stops.push(runtime.stop());
        break;
      case 'advertReceived':
        for (const cfg of targets) sendAdvert(cfg, ev);
        break;
      case 'trackerChanged': {
        const tracker = ev.tracker as TrackerRef;
        if (line.instance !== undefined) {
          const others = instances.filter((c) => c.name !== line.instance && c.trackers.some((t) => t.type === tracker.type && t.name === tracker.name));
          if (others.length > 0) throw new Error(`${tracker.type} ${tracker.name} is tracked by other instances too; a result goes to all of them`);
        }
        runtime.trackerResult(tracker, { ...(ev.ok !== undefined ? { ok: ev.ok as boolean } : {}), ...(ev.value !== undefined ? { value: ev.value as number } : {}) });
        break;
      }
      case 'interfaceChanged': {
        const ifname = ev.ifname as string;
        runtime.interfaceChanged(ifname, ev.up as boolean, segments.get(ifname)?.ifindex);
        break;
      }
      case 'faultChanged':
        for (const cfg of targets) runtime.faultChanged(cfg.name, ev.source as string, ev.fault as boolean);
        break;
      default:
        throw new Error(`the runtime has no entry point for ${String(ev.kind)} events`);
    }
    // Adverts put on the segment arrive at this same instant.
    time.runUntilUs(at);
    await settle();
  }
  await Promise.all(stops);
  await settle();
  return out;
}

/** Lets the runtime's promise chains (VIP changes on the RecordingKernel) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

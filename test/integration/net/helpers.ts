// Helpers for the net integration tests: run the agent inside a lab namespace and build the
// few bytes the tests send (a minimal IPv4 header, a VRRP-shaped payload, a GARP frame).
// These builders are deliberately independent of src/vrrp/packet.
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../../src/lab/lab.js';
import { MemoryLan } from '../../../src/net/memory-lan.js';
import { VirtualTime } from '../../../src/lib/virtual-time.js';
import type { ReceivedPacket } from '../../../src/net/packet-io.js';
import { watchProcess, type PeerProcess } from '../../../src/lab/keepalived-peer.js';

export const AGENT = fileURLToPath(new URL('./fixtures/agent.ts', import.meta.url));

export interface Agent extends PeerProcess {
  /** Parsed JSON lines so far. */
  readonly json: () => Record<string, unknown>[];
  /** First JSON line for which `pred` holds. */
  next(pred: (o: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The packets a receiving agent reported, once it has exited (it exits after its `count`). */
  packets(): Promise<Record<string, unknown>[]>;
}

export function startAgent(lab: Lab, host: string, cmd: object): Agent {
  const child = lab.spawn(host, [process.execPath, '--import', 'tsx', AGENT, JSON.stringify(cmd)]);
  const p = watchProcess(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const json = (): Record<string, unknown>[] =>
    p.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const next = async (pred: (o: Record<string, unknown>) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = json().find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`agent on ${host}: no matching line in ${timeoutMs} ms; stdout=${p.lines.join('|')} stderr=${stderr}`);
      if (child.exitCode !== null && !json().find(pred)) {
        throw new Error(`agent on ${host} exited ${child.exitCode}; stdout=${p.lines.join('|')} stderr=${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const packets = async () => {
    await p.exited();
    return json().filter((o) => o.packet).map((o) => o.packet as Record<string, unknown>);
  };
  return Object.assign(p, { json, next, packets });
}

/** A receiving agent (`op: 'recv'`) in `host`, once its socket is open; `ready` is that line (ifindex ...). */
export async function startReceiver(lab: Lab, host: string, cmd: object): Promise<Agent & { ready: Record<string, unknown> }> {
  const a = startAgent(lab, host, cmd);
  return Object.assign(a, { ready: await a.next((o) => o.ready === true) });
}

/**
 * One exchange: a receiver (`recv`, op 'recv') in host `to`, once ready, then a sender (`send`,
 * op 'send', its packets included) in host `from` run to completion; returns the packets the
 * receiver reported once it exited.
 */
export async function exchange(lab: Lab, o: { to: string; recv: object; from: string; send: object }): Promise<Record<string, unknown>[]> {
  const rx = await startReceiver(lab, o.to, { op: 'recv', ...o.recv });
  await runAgent(lab, o.from, { op: 'send', ...o.send });
  return rx.packets();
}

/** Runs the agent to completion and returns its JSON lines. */
export async function runAgent(lab: Lab, host: string, cmd: object, timeoutMs = 15_000): Promise<Record<string, unknown>[]> {
  const a = startAgent(lab, host, cmd);
  await Promise.race([
    a.exited(),
    new Promise((_, rej) => setTimeout(() => rej(new Error(`agent ${JSON.stringify(cmd).slice(0, 80)} did not exit`)), timeoutMs)),
  ]);
  if (a.child.exitCode !== 0) throw new Error(`agent exited ${a.child.exitCode}: ${a.lines.join('|')}`);
  return a.json();
}

function inetSum(bytes: Uint8Array, seed = 0): number {
  let sum = seed;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length % 2) sum += bytes[bytes.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function internetChecksum(bytes: Uint8Array, seed = 0): number {
  return ~inetSum(bytes, seed) & 0xffff;
}

const v4 = (a: string): number[] => a.split('.').map(Number);

export function ipv6Bytes(a: string): number[] {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** A VRRPv2 advert (RFC 3768 5.1) for one IPv4 VIP, auth none, checksum set. */
export function vrrpV2(vrid: number, priority: number, vip: string): Uint8Array {
  const b = new Uint8Array(8 + 4 + 8);
  b.set([0x21, vrid, priority, 1, 0, 1, 0, 0]);
  b.set(v4(vip), 8);
  const c = internetChecksum(b);
  b[6] = c >> 8;
  b[7] = c & 0xff;
  return b;
}

/** A VRRPv3 advert for IPv6 (RFC 5798 5.1) with checksum 0: the kernel fills it in. */
export function vrrpV3Ipv6(vrid: number, priority: number, vip: string): Uint8Array {
  const b = new Uint8Array(8 + 16);
  b.set([0x31, vrid, priority, 1, 0, 100, 0, 0]);
  b.set(ipv6Bytes(vip), 8);
  return b;
}

/** RFC 5798 5.2.8 / RFC 2460 8.1: checksum over the IPv6 pseudo-header + VRRP packet. */
export function ipv6PseudoChecksumOk(src: string, dst: string, payload: Uint8Array, nextHeader = 112): boolean {
  const pseudo = new Uint8Array(40);
  pseudo.set(ipv6Bytes(src), 0);
  pseudo.set(ipv6Bytes(dst), 16);
  new DataView(pseudo.buffer).setUint32(32, payload.length);
  pseudo[39] = nextHeader;
  return internetChecksum(payload, inetSum(pseudo)) === 0;
}

/** IPv4 header keepalived-style (TOS 0xc0, no DF), checksum left 0 for the kernel. */
export function ipv4Datagram(o: { src: string; dst: string; ttl: number; id: number; protocol?: number }, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(20 + payload.length);
  const dv = new DataView(b.buffer);
  b[0] = 0x45;
  b[1] = 0xc0;
  dv.setUint16(2, b.length);
  dv.setUint16(4, o.id);
  b[8] = o.ttl;
  b[9] = o.protocol ?? 112;
  b.set(v4(o.src), 12);
  b.set(v4(o.dst), 16);
  b.set(payload, 20);
  return b;
}

/** Gratuitous ARP (keepalived-behaviour.md 3.13): broadcast request who-has VIP tell VIP. */
export function garpFrame(mac: string, vip: string): Uint8Array {
  const m = mac.split(':').map((x) => parseInt(x, 16));
  const f = new Uint8Array(42);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
  f.set(m, 6);
  f.set([0x08, 0x06], 12);
  f.set([0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01], 14);
  f.set(m, 22);
  f.set(v4(vip), 28);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 32);
  f.set(v4(vip), 38);
  return f;
}

/** Unsolicited NA (RFC 4861 4.4) for `target`, Override flag, target link-layer option. */
export function unsolicitedNa(target: string, mac: string): Uint8Array {
  const b = new Uint8Array(24 + 8);
  b[0] = 136;
  b[4] = 0x20; // O flag
  b.set(ipv6Bytes(target), 8);
  b[24] = 2; // target link-layer address option
  b[25] = 1;
  b.set(mac.split(':').map((x) => parseInt(x, 16)), 26);
  return b;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export interface Capture {
  /** Resolves once tcpdump listens. */
  readonly ready: Promise<unknown>;
  /** Resolves with the pcap path after `count` packets were captured. */
  readonly done: Promise<string>;
}

/** tcpdump in a lab host, writing `count` packets matching `filter` to a pcap file. */
export function capture(lab: Lab, host: string, filter: string, count: number, pcap: string, timeoutMs = 10_000): Capture {
  const child = lab.spawn(host, ['tcpdump', '-i', 'eth0', '-U', '-n', '-c', String(count), '-w', pcap, filter]);
  const p = watchProcess(child);
  const ready = p.waitFor(/listening on/, timeoutMs);
  const done = Promise.race([
    p.exited().then(() => pcap),
    new Promise<string>((_, rej) => setTimeout(() => rej(new Error(`capture ${filter}: timeout; ${p.lines.join('|')}`)), timeoutMs)),
  ]);
  return { ready, done };
}

/** Decodes a pcap with tshark into one object per packet of the requested fields. */
export function tsharkFields(lab: Lab, host: string, pcap: string, fields: string[]): Record<string, string>[] {
  const out = lab.exec(host, ['tshark', '-r', pcap, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])]);
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Object.fromEntries(l.split('|').map((v, i) => [fields[i], v])));
}

/** The IPv6 link-local address of a lab host's eth0 (waits for the kernel to assign it). */
export async function linkLocal(lab: Lab, host: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = JSON.parse(lab.exec(host, ['ip', '-6', '-j', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'])) as {
      addr_info: { local: string; tentative?: boolean }[];
    }[];
    const a = out[0]?.addr_info.find((x) => x.local && !x.tentative)?.local;
    if (a) return a;
    if (Date.now() > deadline) throw new Error(`${host} has no link-local address`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What MemoryLan delivers for the same send: it must match the kernel byte for byte. */
export function memoryLanReceive(family: 'inet' | 'inet6', src: { addr: string }, dst: string, bytes: Uint8Array, group?: string): ReceivedPacket {
  const scheduler = new VirtualTime();
  const lan = new MemoryLan({ scheduler });
  const a = lan.addHost('a', { addresses: [src.addr] });
  const b = lan.addHost('b', { addresses: [family === 'inet' ? '192.0.2.2' : 'fd00:db8:6::2'] });
  const spec = { family, ifname: 'eth0', ifindex: 2, ...(group ? { group } : {}) };
  const got: ReceivedPacket[] = [];
  b.openVrrp(spec).onPacket((p) => got.push(p));
  a.openVrrp({ ...spec, ...(family === 'inet6' ? { source6: src.addr } : {}) }).send(dst, bytes);
  scheduler.runAll();
  if (got.length !== 1) throw new Error(`MemoryLan delivered ${got.length} copies`);
  return got[0];
}

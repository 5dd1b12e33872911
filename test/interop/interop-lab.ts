// Helpers for the interop tests: one keepalived-ts node and one real keepalived 2.2.7 node on the
// same lab segment, a packet capture on the lab's bridge (switch namespace, so unicast between
// the two is seen too), decoded afterwards by tshark, and polling waits on `ip -j addr`.
// Everything runs inside namespaces the test created; processes are ended by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Lab } from '../../src/lab/lab.js';
import { startKeepalived, watchProcess, type PeerProcess } from '../../src/lab/keepalived-peer.js';

export const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'src/cli/main.ts');

export { hasKeepalived, hasTcpdump, hasTshark } from '../helpers/require.js';

export type Impl = 'ours' | 'keepalived';

export interface Node extends PeerProcess {
  readonly impl: Impl;
  readonly host: string;
  cleanup(): void;
}

/** Starts our daemon (the real CLI through tsx) in lab host `host`. */
export function startOurs(lab: Lab, host: string, config: string): Node {
  const dir = mkdtempSync(join(tmpdir(), `kt-interop-${host}-`));
  chmodSync(dir, 0o755);
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, config);
  const child = lab.spawn(host, ['node', '--import', 'tsx', CLI, '-f', conf, '-l', '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid')], {
    cwd: REPO,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const w = watchProcess(child);
  debugEcho(child, `ours:${host}`);
  return {
    ...w,
    impl: 'ours',
    host,
    cleanup() {
      w.signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts keepalived 2.2.7 (`--vrrp -n -l -D`) in lab host `host`. */
export function startTheirs(lab: Lab, host: string, config: string): Node {
  const k = startKeepalived(lab, host, config);
  debugEcho(k.child, `keepalived:${host}`);
  return { ...k, impl: 'keepalived', host };
}

export function startImpl(impl: Impl, lab: Lab, host: string, config: string): Node {
  return impl === 'ours' ? startOurs(lab, host, config) : startTheirs(lab, host, config);
}

function debugEcho(child: ChildProcess, tag: string): void {
  if (!process.env.KT_DEBUG) return;
  child.stdout?.on('data', (d: Buffer) => process.stderr.write(`[${tag}] ${d.toString()}`));
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${tag}] ${d.toString()}`));
}

/**
 * keepalived output lines that complain about received packets ("received an invalid passwd!",
 * bad checksum, TTL, interval or address-list mismatch ...). `-D` prints no config dump unless
 * signalled, so every matching line is a complaint; complaint-control.test.ts shows it matches.
 */
export function keepalivedComplaints(lines: readonly string[]): string[] {
  return lines.filter((l) => /\b(bad|invalid|mismatch|checksum|ttl)\b/i.test(l));
}

/**
 * kill -9 of a whole node: for keepalived that is its parent and its VRRP child (the child would
 * otherwise notice the parent's death and stop cleanly, sending priority 0). Every process in the
 * host's namespace was started by this test.
 */
export function kill9(lab: Lab, node: Node): void {
  if (node.impl === 'ours') {
    node.signal('SIGKILL');
    return;
  }
  const pids = listPids(lab, node.host);
  const parent = node.child.pid;
  // Children first, so none of them sees its parent die.
  for (const p of pids.filter((x) => x !== parent)) process.kill(p, 'SIGKILL');
  node.signal('SIGKILL');
}

function listPids(lab: Lab, host: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', lab.host(host).netns], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

// The address waits are the namespace fixture's (hasAddr: an address, without prefix, on eth0).
export { assertStableHolder, hasVip as hasAddr, holders, sleep, waitSoleHolder, waitUntil } from '../helpers/netns-fixture.js';
import { sleep } from '../helpers/netns-fixture.js';

// --- capture -------------------------------------------------------------------------------

export interface Capture {
  readonly file: string;
  /** Stops tcpdump (SIGINT by PID) and waits until the file is complete. */
  stop(): Promise<void>;
}

/** tcpdump on the lab's bridge (switch namespace): sees multicast, broadcast and unicast. */
export async function startCapture(lab: Lab, filter = 'vrrp or ip6 proto 112 or ah or arp or icmp6'): Promise<Capture> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-cap-'));
  const file = join(dir, 'cap.pcap');
  const child = spawn('ip', ['netns', 'exec', lab.switchNs, 'tcpdump', '-i', 'br0', '-U', '-n', '-s', '256', '-w', file, filter], { stdio: 'pipe' });
  const w = watchProcess(child);
  await w.waitFor(/listening on/, 10_000);
  return {
    file,
    async stop() {
      // Let the last frames reach the file (-U flushes per packet).
      await sleep(50);
      w.signal('SIGINT');
      const t = setTimeout(() => w.signal('SIGKILL'), 3000);
      await w.exited();
      clearTimeout(t);
    },
  };
}

/** One VRRP packet as tshark decodes it. */
export interface DecodedVrrp {
  time: number;
  ethSrc: string;
  src: string;
  dst: string;
  ttl: number;
  version: number;
  vrid: number;
  prio: number;
  /** v2: seconds; v3: centiseconds. */
  adverInt: number;
  addrCount: number;
  addrs: string[];
  authType: number | undefined;
  authString: string | undefined;
  /** tshark's vrrp.checksum.status: 1 Good, 0 Bad, 2 unverified. */
  checksumStatus: number | undefined;
  /** IPv4 header checksum status (1 Good). */
  ipChecksumStatus: number | undefined;
  ipId: number | undefined;
  tos: number | undefined;
}

const VRRP_FIELDS = [
  'frame.time_epoch', 'eth.src', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'ip.ttl', 'ipv6.hlim',
  'vrrp.version', 'vrrp.virt_rtr_id', 'vrrp.prio', 'vrrp.adver_int', 'vrrp.short_adver_int', 'vrrp.addr_count',
  'vrrp.ip_addr', 'vrrp.ipv6_addr', 'vrrp.auth_type', 'vrrp.auth_string', 'vrrp.checksum.status',
  'ip.checksum.status', 'ip.id', 'ip.dsfield',
];

function tsharkFields(file: string, filter: string, fields: string[], extra: string[] = []): string[][] {
  const args = ['-r', file, '-n', ...extra, '-o', 'ip.check_checksum:TRUE', '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

const num = (s: string | undefined): number | undefined => (s === undefined || s === '' ? undefined : Number(s));

/** Every VRRP packet in `file`, decoded by tshark (v3-over-IPv4 checksum with the pseudo-header). */
export function decodeVrrp(file: string): DecodedVrrp[] {
  return tsharkFields(file, 'vrrp', VRRP_FIELDS).map((c) => {
    const v = Number(c[8]);
    return {
      time: Number(c[0]),
      ethSrc: c[1],
      src: c[2] || c[3],
      dst: c[4] || c[5],
      ttl: Number(c[6] || c[7]),
      version: v,
      vrid: Number(c[9]),
      prio: Number(c[10]),
      adverInt: Number(v === 2 ? c[11] : c[12]),
      addrCount: Number(c[13]),
      addrs: (c[14] || c[15] || '').split(',').filter(Boolean),
      authType: num(c[16]),
      authString: c[17] || undefined,
      checksumStatus: num(c[18]),
      ipChecksumStatus: num(c[19]),
      ipId: num(c[20]),
      tos: c[21] ? Number(c[21]) : undefined,
    };
  });
}

/** Gratuitous ARP requests / unsolicited NAs for `addr` in `file` (time, ethernet source). */
export function decodeGratuitous(file: string, addr: string): { time: number; ethSrc: string }[] {
  const filter = addr.includes(':')
    ? `icmpv6.type == 136 && icmpv6.nd.na.target_address == ${addr}`
    : `arp.opcode == 1 && arp.src.proto_ipv4 == ${addr} && arp.dst.proto_ipv4 == ${addr}`;
  return tsharkFields(file, filter, ['frame.time_epoch', 'eth.src']).map((c) => ({ time: Number(c[0]), ethSrc: c[1] }));
}

/** The MAC of a lab host's eth0. */
export function macOf(lab: Lab, host: string): string {
  const j = JSON.parse(lab.exec(host, ['ip', '-j', 'link', 'show', 'dev', 'eth0'])) as { address: string }[];
  return j[0].address;
}

/** The IPv6 link-local address of a lab host's eth0. */
export function linkLocalOf(lab: Lab, host: string): string {
  const a = lab.addresses(host).find((x) => x.startsWith('fe80:'));
  if (!a) throw new Error(`${host} has no link-local address`);
  return a.split('/')[0];
}

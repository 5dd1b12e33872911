// Interop in the receive direction: the REAL keepalived 2.2.7 must accept adverts our encoders
// built. keepalived runs as a priority-100 backup in a network namespace created here; from a
// peer namespace we inject our priority-200 adverts (AF_PACKET, via one long-lived python
// sender, running before keepalived starts) for longer than keepalived's master-down interval.
// An instance that accepted them stays BACKUP; one that rejected them takes over ("Entering
// MASTER STATE"). A control instance receives adverts with a corrupted checksum and must take
// over, so "stayed BACKUP" means something; the verdict is read once it has, plus one advert
// interval. advert_int is 3 s (master-down about 9.6 s) while the sender sends every 0.5 s: the
// test is about which packets keepalived accepts, so a loaded machine must not be able to open
// a gap in the adverts as long as a master-down interval.
// The v3/IPv6 checksum is verified by keepalived's kernel (IPV6_CHECKSUM), the AH ICV by
// keepalived itself. Namespaces and processes are ours, removed/killed by PID in `finally`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { ethFrame, ipv6Vrrp } from '../../helpers/frames.js';
import { vrrpInstanceText } from '../../helpers/keepalived-conf.js';
import { isRoot, itWhen, type Prereq } from '../../helpers/require.js';
import { watchProcess, type PeerProcess } from '../../../src/lab/keepalived-peer.js';
import { cs } from '../../../src/lib/units.js';
import {
  ahKey,
  encodeAdvert,
  encodeAhVrrpPacket,
  encodeIpv4Packet,
  type VrrpAdvert,
} from '../../../src/vrrp/packet/index.js';
import { ipOf } from '../../../src/lib/ip.js';

const tool = (cmd: string, args: string[], hint: string): Prereq => () =>
  spawnSync(cmd, args, { stdio: 'ignore' }).status === 0 ? undefined : hint;
const hasKeepalived = tool('keepalived', ['--version'], 'keepalived not installed (apt-get install keepalived)');
const hasPython = tool('python3', ['-c', 'import socket; socket.AF_PACKET'], 'python3 with AF_PACKET needed');

const MAC_A = '02:00:5e:20:00:01';
const MAC_B = '02:00:5e:20:00:02';

const UNICAST = { src: '192.0.2.1', peers: ['192.0.2.2'] };
/** advert_int of every instance, and the interval our adverts announce (v2 drops a mismatch). */
const ADVERT_INT_S = 3;
/** How often the sender sends a round (every instance's advert), far below ADVERT_INT_S. */
const SEND_EVERY_S = 0.5;
/** Rounds prepared: the sender outlives any test run (it is killed at the end), AH sequence numbers keep rising. */
const ROUNDS = 240;
const CONF = `
global_defs {
  router_id ktaccept
}
${[
  { name: 'V2_PASS', vrid: 51, auth: { type: 'PASS' as const, pass: 'secret12' }, vips: ['192.0.2.100/32', '192.0.2.101/32'] },
  { name: 'V3_V4', version: 3 as const, vrid: 53, vips: ['192.0.2.103/32'] },
  { name: 'V3_V6', version: 3 as const, vrid: 54, vips: ['2001:db8::100/128'] },
  { name: 'V2_AH', vrid: 59, auth: { type: 'AH' as const, pass: 'ahsecret' }, vips: ['192.0.2.109/32'] },
  { name: 'CONTROL_BAD_CHECKSUM', version: 3 as const, vrid: 60, vips: ['192.0.2.110/32'] },
  { name: 'V2_UNICAST', vrid: 61, unicast: UNICAST, vips: ['192.0.2.111/32'] },
  { name: 'V3_UNICAST', version: 3 as const, vrid: 62, unicast: UNICAST, vips: ['192.0.2.112/32'] },
]
  .map((i) => vrrpInstanceText({ iface: 'ka0', priority: 100, advertInt: ADVERT_INT_S, ...i }))
  .join('')}`;

const ACCEPTING = ['V2_PASS', 'V3_V4', 'V3_V6', 'V2_AH', 'V2_UNICAST', 'V3_UNICAST'];

// Sends rounds of Ethernet frames on an interface, one round every argv[3] seconds: argv = iface,
// file of JSON [[hex...]...], interval. Prints "ready" once the first round is out.
const SENDER = `
import json, socket, sys, time
rounds = json.load(open(sys.argv[2]))
every = float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for n, frames in enumerate(rounds):
    for f in frames:
        s.send(bytes.fromhex(f))
    if n == 0:
        print("ready", flush=True)
    time.sleep(every)
`;

const eth = (dst: string, type: number, payload: Uint8Array): Buffer => ethFrame(dst, MAC_B, type, payload);
const ipv6 = (src: string, dst: string, payload: Uint8Array): Buffer => ipv6Vrrp(ipOf(src).bytes, ipOf(dst).bytes, payload);

function round(i: number): string[] {
  const id = i + 1;
  const v4 = (a: VrrpAdvert, dst = '224.0.0.18', corrupt = false): Buffer => {
    const body = encodeAdvert(a, { src: ipOf('192.0.2.2'), dst: ipOf(dst) });
    if (corrupt) body[7] ^= 0x55;
    const ethDst = dst === '224.0.0.18' ? '01:00:5e:00:00:12' : MAC_A;
    return eth(ethDst, 0x0800, encodeIpv4Packet({ src: ipOf('192.0.2.2'), dst: ipOf(dst), id }, body));
  };
  const base = { priority: 200, advertInt: cs(ADVERT_INT_S * 100), authType: 0 as const };
  const v6: VrrpAdvert = { ...base, version: 3, family: 'inet6', vrid: 54, addresses: [ipOf('2001:db8::100')] };
  const ah: VrrpAdvert = { ...base, version: 2, family: 'inet', vrid: 59, authType: 2, addresses: [ipOf('192.0.2.109')] };
  return [
    v4({ ...base, version: 2, family: 'inet', vrid: 51, authType: 1, authData: new TextEncoder().encode('secret12'), addresses: [ipOf('192.0.2.100'), ipOf('192.0.2.101')] }),
    v4({ ...base, version: 3, family: 'inet', vrid: 53, addresses: [ipOf('192.0.2.103')] }),
    eth('33:33:00:00:00:12', 0x86dd, ipv6('fe80::2', 'ff02::12', encodeAdvert(v6, { src: ipOf('fe80::2'), dst: ipOf('ff02::12') }))),
    eth('01:00:5e:00:00:12', 0x0800, encodeAhVrrpPacket(ah, { src: ipOf('192.0.2.2'), dst: ipOf('224.0.0.18'), id, seq: id, key: ahKey('ahsecret') })),
    v4({ ...base, version: 3, family: 'inet', vrid: 60, addresses: [ipOf('192.0.2.110')] }, '224.0.0.18', true),
    v4({ ...base, version: 2, family: 'inet', vrid: 61, addresses: [ipOf('192.0.2.111')] }, '192.0.2.1'),
    v4({ ...base, version: 3, family: 'inet', vrid: 62, addresses: [ipOf('192.0.2.112')] }, '192.0.2.1'),
  ].map((b) => b.toString('hex'));
}

function sh(cmd: string, ...args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

const waitExit = (p: ChildProcess, ms: number): Promise<void> =>
  new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    const t = globalThis.setTimeout(resolve, ms);
    p.once('exit', () => {
      globalThis.clearTimeout(t);
      resolve();
    });
  });

const running = (p: PeerProcess): boolean => p.child.exitCode === null && p.child.signalCode === null;

/** Waits for a line matching `re`; false when `deadlineMs` passes first or the process exits. */
async function sawLine(p: PeerProcess, re: RegExp, deadlineMs: number): Promise<boolean> {
  const gone = p.exited().then(() => false);
  const hit = p.waitFor(re, deadlineMs).then(
    () => true,
    () => false,
  );
  return (await Promise.race([hit, gone])) || p.lines.some((l) => re.test(l));
}

describe('keepalived 2.2.7 accepts adverts built by our encoders', () => {
  itWhen(isRoot, hasKeepalived, hasPython)(
    'v2 PASS, v2 AH, v3 IPv4, v3 IPv6, v2/v3 unicast keep it BACKUP; a bad checksum does not',
    async () => {
      const nsA = `ktaccA${process.pid}`;
      const nsB = `ktaccB${process.pid}`;
      const work = mkdtempSync(join(tmpdir(), 'kt-accept-'));
      let ka: ChildProcess | undefined;
      let sender: PeerProcess | undefined;
      try {
        sh('ip', 'netns', 'add', nsA);
        sh('ip', 'netns', 'add', nsB);
        sh('ip', '-n', nsA, 'link', 'add', 'ka0', 'type', 'veth', 'peer', 'name', 'kb0', 'netns', nsB);
        for (const [ns, dev, m, v4, ll] of [
          [nsA, 'ka0', MAC_A, '192.0.2.1/24', 'fe80::1/64'],
          [nsB, 'kb0', MAC_B, '192.0.2.2/24', 'fe80::2/64'],
        ] as const) {
          sh('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
          sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
          sh('ip', '-n', ns, 'link', 'set', dev, 'address', m, 'addrgenmode', 'none');
          sh('ip', '-n', ns, 'addr', 'add', v4, 'dev', dev);
          sh('ip', '-n', ns, 'addr', 'add', ll, 'dev', dev, 'nodad');
          sh('ip', '-n', ns, 'link', 'set', dev, 'up');
        }
        // Static neighbour entries: unicast adverts need no ARP round trip.
        sh('ip', '-n', nsB, 'neigh', 'replace', '192.0.2.1', 'lladdr', MAC_A, 'dev', 'kb0');
        sh('ip', '-n', nsA, 'neigh', 'replace', '192.0.2.2', 'lladdr', MAC_B, 'dev', 'ka0');
        const conf = join(work, 'keepalived.conf');
        writeFileSync(conf, CONF);
        writeFileSync(join(work, 'send.py'), SENDER);
        writeFileSync(join(work, 'rounds.json'), JSON.stringify(Array.from({ length: ROUNDS }, (_, i) => round(i))));
        const log = join(work, 'keepalived.log');

        // The sender first: keepalived's master-down timers start with it, so adverts must already flow.
        sender = watchProcess(
          spawn('ip', ['netns', 'exec', nsB, 'python3', join(work, 'send.py'), 'kb0', join(work, 'rounds.json'), String(SEND_EVERY_S)], {
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        );
        expect(await sawLine(sender, /^ready$/, 60_000), `sender never started:\n${sender.lines.join('\n')}`).toBe(true);

        ka = spawn('ip', ['netns', 'exec', nsA, 'keepalived', '-n', '-l', '-D', '-P', '-G', '-f', conf,
          '-p', join(work, 'ka.pid'), '-r', join(work, 'vrrp.pid'), '-c', join(work, 'check.pid'), '-b', join(work, 'bfd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
        const kaOut = watchProcess(ka);
        // The control has no valid advert to hear: it takes over one master-down interval after
        // start. The accepting instances started with it; had they rejected our adverts, their
        // timers would have run out with its timer. One more advert interval lets their lines arrive.
        const controlUp = await sawLine(kaOut, /\(CONTROL_BAD_CHECKSUM\) Entering MASTER STATE/, 90_000);
        if (controlUp) await new Promise((r) => globalThis.setTimeout(r, ADVERT_INT_S * 1000));
        expect(running(sender), `the sender stopped early:\n${sender.lines.join('\n')}`).toBe(true);
        const text = kaOut.lines.join('\n');
        writeFileSync(log, text);
        const becameMaster = (name: string): boolean => text.includes(`(${name}) Entering MASTER STATE`);
        for (const name of ACCEPTING) expect(becameMaster(name), `${name} took over: our adverts were rejected\n${text}`).toBe(false);
        expect(becameMaster('CONTROL_BAD_CHECKSUM'), `control never took over\n${text}`).toBe(true);
        expect(readFileSync(log, 'utf8')).toContain('Entering BACKUP STATE');
      } finally {
        if (sender && running(sender)) {
          sender.signal('SIGKILL');
          await waitExit(sender.child, 5_000);
        }
        if (ka?.pid && ka.exitCode === null) {
          ka.kill('SIGTERM');
          await waitExit(ka, 5_000);
          if (ka.exitCode === null && ka.signalCode === null) ka.kill('SIGKILL');
        }
        spawnSync('ip', ['netns', 'del', nsA]);
        spawnSync('ip', ['netns', 'del', nsB]);
        rmSync(work, { recursive: true, force: true });
      }
    },
    150_000,
  );
});

// One interop scenario: keepalived-ts and keepalived 2.2.7 as the two routers of one VRID on one
// lab segment, the higher priority on `master`'s side. It checks, in order:
//   1. election: the higher-priority router is the only VIP holder, and stays so;
//   2. SIGTERM of the master: its priority-0 advert makes the backup take over after about
//      Skew_Time (well before Master_Down_Interval), the stopped side no longer holds the VIP;
//   3. the restarted master preempts back (the backup releases the VIP);
//   4. kill -9 of the master: the backup takes over after Master_Down_Interval, counted from the
//      master's last advert in the capture;
//   5. tshark, capturing on the bridge, decodes every VRRP packet of both implementations with a
//      good checksum and the same header fields (version, VRID, interval, addresses, TTL 255,
//      auth, TOS), and keepalived logged no complaint about our packets.
import { expect } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import {
  assertStableHolder,
  decodeGratuitous,
  decodeVrrp,
  hasAddr,
  holders,
  keepalivedComplaints,
  kill9,
  linkLocalOf,
  startCapture,
  startImpl,
  waitSoleHolder,
  waitUntil,
  type Capture,
  type DecodedVrrp,
  type Impl,
  type Node,
} from './interop-lab.js';

export interface Case {
  /** Short tag for namespace names (<= 4 chars). */
  tag: string;
  version: 2 | 3;
  family: 'inet' | 'inet6';
  /** advert_int in seconds (v3 may be fractional). */
  advertInt: number;
  auth?: { type: 'PASS'; pass: string };
  unicast?: boolean;
  vrid?: number;
}

const HOSTS = { ours: 't', keepalived: 'k' } as const;
const V4 = { t: '192.0.2.11', k: '192.0.2.12' } as const;
const VIP4 = '192.0.2.100';
const VIP6 = '2001:db8::100';
const HIGH = 150;
const LOW = 100;

function vipOf(c: Case): string {
  return c.family === 'inet6' ? VIP6 : VIP4;
}

/** The same config text for both implementations, except priority and unicast addressing. */
export function caseConfig(c: Case, self: 't' | 'k', priority: number): string {
  const peer = self === 't' ? 'k' : 't';
  const lines = [
    'global_defs {',
    `  router_id interop-${self}`,
    '}',
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${c.vrid ?? 51}`,
    `  priority ${priority}`,
    `  advert_int ${c.advertInt}`,
  ];
  if (c.version === 3) lines.push('  version 3');
  if (c.auth) lines.push('  authentication {', `    auth_type ${c.auth.type}`, `    auth_pass ${c.auth.pass}`, '  }');
  if (c.unicast) lines.push(`  unicast_src_ip ${V4[self]}`, '  unicast_peer {', `    ${V4[peer]}`, '  }');
  lines.push('  virtual_ipaddress {', `    ${vipOf(c)}/${c.family === 'inet6' ? 64 : 24}`, '  }', '}', '');
  return lines.join('\n');
}

/** RFC 3768 / 5798 Skew_Time and Master_Down_Interval in ms. */
export function timesMs(c: Case, prio: number): { skew: number; down: number } {
  const skew = c.version === 2 ? ((256 - prio) / 256) * 1000 : ((256 - prio) * c.advertInt * 1000) / 256;
  return { skew, down: 3 * c.advertInt * 1000 + skew };
}

function report(c: Case, label: string, ms: number): void {
  console.log(`[interop v${c.version} ${c.family}${c.unicast ? ' unicast' : ''}${c.auth ? ' PASS' : ''}] ${label}: ${ms.toFixed(1)} ms`);
}

/** Runs the scenario with `master` (the higher priority) being `ours` or `keepalived`. */
export async function runScenario(c: Case, master: Impl): Promise<void> {
  const backup: Impl = master === 'ours' ? 'keepalived' : 'ours';
  const mHost = HOSTS[master];
  const bHost = HOSTS[backup];
  const hosts = ['t', 'k'];
  const vip = vipOf(c);
  const lab = new Lab(c.tag);
  const nodes: Node[] = [];
  let cap: Capture | undefined;
  try {
    lab.addHost({ name: 't', addresses: [`${V4.t}/24`] });
    lab.addHost({ name: 'k', addresses: [`${V4.k}/24`] });
    const src = c.family === 'inet6' ? { t: linkLocalOf(lab, 't'), k: linkLocalOf(lab, 'k') } : V4;
    cap = await startCapture(lab);
    const start = (impl: Impl, prio: number) => {
      const host = HOSTS[impl];
      const n = startImpl(impl, lab, host, caseConfig(c, host, prio));
      nodes.push(n);
      return n;
    };
    const adv = c.advertInt * 1000;
    const bTimes = timesMs(c, LOW);

    // 1. Election.
    let m = start(master, HIGH);
    const b = start(backup, LOW);
    await waitSoleHolder(lab, hosts, mHost, vip, 30_000);
    // The backup may still be starting (a loaded machine): its BACKUP line first, then the
    // master must keep the VIP alone with both running.
    await b.waitFor(/Entering BACKUP STATE/, 30_000);
    await assertStableHolder(lab, hosts, mHost, vip, Math.max(1500, 4 * adv));

    // 2. SIGTERM: priority 0, takeover after Skew_Time.
    const tTerm = performance.now();
    m.signal('SIGTERM');
    await waitSoleHolder(lab, hosts, bHost, vip, bTimes.down + 5000);
    report(c, `SIGTERM ${master} -> VIP on ${backup} (poll)`, performance.now() - tTerm);
    await m.exited();
    expect(m.child.exitCode).toBe(0);
    expect(holders(lab, hosts, vip)).toEqual([bHost]);

    // 3. The master comes back and preempts.
    m = start(master, HIGH);
    await waitSoleHolder(lab, hosts, mHost, vip, 30_000);
    await assertStableHolder(lab, hosts, mHost, vip, Math.max(1000, 3 * adv));

    // 4. kill -9: no priority 0; the backup waits Master_Down_Interval.
    const tKill = performance.now();
    kill9(lab, m);
    await waitUntil(`VIP on ${bHost}`, () => hasAddr(lab, bHost, vip), bTimes.down + 5000);
    report(c, `kill -9 ${master} -> VIP on ${backup} (poll)`, performance.now() - tKill);
    // kill -9 leaves the VIP on the dead master's interface (nobody removes it, as with a
    // crashed host); only the survivor's state counts.
    await assertStableHolder(lab, [bHost], bHost, vip, Math.max(1000, 3 * adv));
    await cap.stop();

    // 5. On the wire.
    const pkts = decodeVrrp(cap.file);
    const fromM = pkts.filter((p) => p.src === src[mHost]);
    const fromB = pkts.filter((p) => p.src === src[bHost]);
    const ours = master === 'ours' ? fromM : fromB;
    const theirs = master === 'ours' ? fromB : fromM;
    expect(ours.length).toBeGreaterThan(3);
    expect(theirs.length).toBeGreaterThan(3);
    const expectDst = (from: 't' | 'k') => (c.unicast ? V4[from === 't' ? 'k' : 't'] : c.family === 'inet6' ? 'ff02::12' : '224.0.0.18');
    for (const [list, host] of [[ours, HOSTS.ours], [theirs, HOSTS.keepalived]] as const) {
      for (const p of list) {
        expect.soft(p.checksumStatus, `checksum of ${host}'s packet ${JSON.stringify(p)}`).toBe(1);
        if (c.family === 'inet') expect.soft(p.ipChecksumStatus, `IP checksum of ${host}'s packet`).toBe(1);
        expect.soft(p.ttl).toBe(255);
        expect.soft(p.dst).toBe(expectDst(host));
        expect.soft(p.version).toBe(c.version);
        expect.soft(p.vrid).toBe(c.vrid ?? 51);
        expect.soft(p.adverInt).toBe(c.version === 2 ? c.advertInt : Math.round(c.advertInt * 100));
        expect.soft(p.addrs).toEqual([vip]);
      }
    }
    // Identical header fields apart from priority and IP id.
    const shape = (p: DecodedVrrp) =>
      JSON.stringify({ v: p.version, vrid: p.vrid, int: p.adverInt, n: p.addrCount, a: p.addrs, ttl: p.ttl, auth: p.authType, s: p.authString, tos: p.tos });
    expect(new Set(ours.map(shape))).toEqual(new Set(theirs.map(shape)));
    if (c.auth) expect(ours[0].authString).toBe(c.auth.pass);
    // Priorities: configured value, and 0 exactly once per SIGTERM of that side.
    const oursPrio = master === 'ours' ? HIGH : LOW;
    expect(new Set(ours.map((p) => p.prio).filter((x) => x !== 0))).toEqual(new Set([oursPrio]));
    expect(fromM.filter((p) => p.prio === 0)).toHaveLength(1);
    expect(fromB.filter((p) => p.prio === 0)).toHaveLength(0);
    // IPv4 id increments per packet (keepalived starts at 1 each run).
    if (c.family === 'inet') expect(ours.slice(0, 3).map((p) => p.ipId)).toEqual([1, 2, 3]);

    // Timing from the capture. Priority 0 -> the backup's first advert after about Skew_Time.
    const p0 = fromM.find((p) => p.prio === 0)!;
    const firstAfterP0 = fromB.find((p) => p.time > p0.time)!;
    const dP0 = (firstAfterP0.time - p0.time) * 1000;
    report(c, `priority 0 -> first ${backup} advert (capture)`, dP0);
    expect(dP0).toBeGreaterThanOrEqual(bTimes.skew - 5);
    expect(dP0).toBeLessThan(bTimes.down - adv);
    // kill -9: last master advert -> first backup advert = Master_Down_Interval.
    const lastM = fromM.at(-1)!;
    const firstB = fromB.find((p) => p.time > lastM.time)!;
    const dDown = (firstB.time - lastM.time) * 1000;
    report(c, `last ${master} advert -> first ${backup} advert after kill -9 (capture)`, dDown);
    expect(dDown).toBeGreaterThanOrEqual(bTimes.down - 5);
    expect(dDown).toBeLessThan(bTimes.down + Math.max(400, adv));
    // The new master announces the VIP (GARP / unsolicited NA) from its own MAC after its advert.
    const garps = decodeGratuitous(cap.file, vip).filter((g) => g.time >= firstB.time);
    expect(garps.length).toBeGreaterThan(0);

    // keepalived said nothing bad about our packets.
    const kLines = nodes.filter((n) => n.impl === 'keepalived').flatMap((n) => n.lines);
    expect(keepalivedComplaints(kLines)).toEqual([]);
    // Our side logged no dropped advert either (keepalived's packets all passed our checks).
    const oLines = nodes.filter((n) => n.impl === 'ours').flatMap((n) => n.lines);
    expect(oLines.filter((l) => /advert dropped|advert warning|cannot send/.test(l))).toEqual([]);
  } finally {
    for (const n of nodes) n.cleanup();
    if (cap) await cap.stop().catch(() => undefined);
    lab.destroy();
  }
}

// use_vmac in namespaces: our daemon and keepalived 2.2.7 side by side on one bridge, a third
// host watching. The VMAC (a private macvlan vrrp.VRID with 00:00:5e:00:01:VRID, IPv6
// 00:00:5e:00:02:VRID) carries the VIPs and sends the adverts; the observer sees that MAC as the
// adverts' source and in its neighbour entry for the VIP, and the same MAC from the other host
// after failover. Interface name, macvlan mode, sysctls and what is left after stop are compared
// with keepalived's in the same run.
import { describe, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import type { Lab } from '../../../src/lab/lab.js';
import { hasKeepalived, hasTcpdump } from '../../helpers/require.js';
import { netnsIt, sleep, waitUntil, type NetnsFixture } from '../../helpers/netns-fixture.js';
import type { KeepalivedPeer } from '../../../src/lab/keepalived-peer.js';
import { GLOBAL_DEFS, instanceConf, stateLines, type DaemonNode } from './daemon-lab.js';

const labIt = netnsIt('vmac', hasKeepalived, hasTcpdump);

interface LinkJson {
  ifname: string;
  address?: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
  addr_info?: { local: string; prefixlen: number; scope: string }[];
}

function links(lab: Lab, host: string): LinkJson[] {
  const ns = lab.host(host).netns;
  const d = JSON.parse(execFileSync('ip', ['-n', ns, '-d', '-j', 'link', 'show'], { encoding: 'utf8' })) as LinkJson[];
  const a = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'addr', 'show'], { encoding: 'utf8' })) as LinkJson[];
  return d.map((l) => ({ ...l, addr_info: a.find((x) => x.ifname === l.ifname)?.addr_info ?? [] }));
}

const vmacOf = (lab: Lab, host: string, name: string) => links(lab, host).find((l) => l.ifname === name);
const holds = (lab: Lab, host: string, dev: string, vip: string) => (vmacOf(lab, host, dev)?.addr_info ?? []).some((a) => a.local === vip);

/** A sysctl by its path under /proc/sys (interface names hold dots: `ipv4/conf/vrrp.51/arp_ignore`). */
function sysctl(lab: Lab, host: string, path: string): string {
  return lab.exec(host, ['cat', `/proc/sys/net/${path}`]).trim();
}

/** The sysctls keepalived's VMAC code touches, on the VMAC and its base interface. */
function vmacSysctls(lab: Lab, host: string, vmac: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['arp_ignore', 'arp_filter']) out[`eth0.${k}`] = sysctl(lab, host, `ipv4/conf/eth0/${k}`);
  if (vmac) {
    for (const k of ['arp_ignore', 'accept_local', 'rp_filter', 'promote_secondaries']) out[`vmac.${k}`] = sysctl(lab, host, `ipv4/conf/${vmac}/${k}`);
    out['vmac.disable_ipv6'] = sysctl(lab, host, `ipv6/conf/${vmac}/disable_ipv6`);
    out['vmac.addr_gen_mode'] = sysctl(lab, host, `ipv6/conf/${vmac}/addr_gen_mode`);
  }
  return out;
}

/** What a VMAC looks like, without host-specific parts. */
function shape(l: LinkJson | undefined) {
  return l && { ifname: l.ifname, address: l.address, link: l.link, kind: l.linkinfo?.info_kind, mode: l.linkinfo?.info_data?.mode };
}

/** keepalived (priority 100) in k, BACKUP, then ours (150) in a; returns once ours holds `vip` on `dev`. */
async function oursOverKeepalived(f: NetnsFixture, conf: (priority: number) => string, dev: string, vip: string): Promise<{ k: KeepalivedPeer; a: DaemonNode }> {
  const k = f.keepalived('k', conf(100));
  await k.waitFor(/\(VI_1\) Entering BACKUP STATE/, 30_000);
  const a = f.daemon('a', conf(150));
  await waitUntil(`${vip} on a ${dev}`, () => holds(f.lab, 'a', dev, vip), 30_000);
  return { k, a };
}

/**
 * The observer pings the VIP (held by ours on vrrp.51); ours stops (exit 0), keepalived takes over
 * and holds the VIP on its vrrp.51; the observer forgets its neighbour entry and pings again.
 */
async function pingAcrossHandover(f: NetnsFixture, a: DaemonNode, k: KeepalivedPeer): Promise<void> {
  f.lab.exec('o', ['ping', '-c', '1', '-W', '2', VIP]);
  a.signal('SIGTERM');
  expect(await a.exitCode()).toBe(0);
  await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000);
  await waitUntil('VIP on k vrrp.51', () => holds(f.lab, 'k', 'vrrp.51', VIP), 30_000);
  f.lab.exec('o', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
  f.lab.exec('o', ['ping', '-c', '1', '-W', '2', VIP]);
}

const VIP = '192.0.2.100';
const VMAC4 = '00:00:5e:00:01:33';
const conf4 = (priority: number, extra: string[] = []) => GLOBAL_DEFS + instanceConf({ vrid: 51, priority, vips: [`${VIP}/24`], extra: ['use_vmac', ...extra] });

describe('use_vmac (namespaces, our daemon beside keepalived 2.2.7)', () => {
  labIt('IPv4: same VMAC, sysctls and clean-up as keepalived; the observer sees the VMAC move from ours to keepalived and back', 120_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: '192.0.2.11/24', k: '192.0.2.21/24', o: '192.0.2.30/24' });
    const before = { a: vmacSysctls(lab, 'a', undefined), k: vmacSysctls(lab, 'k', undefined) };
    const adverts = await f.capture('vrrp or arp', { iface: 'br0', args: ['-e'] });

    const { k, a } = await oursOverKeepalived(f, conf4, 'vrrp.51', VIP);
    await k.waitFor(/\(VI_1\) Entering BACKUP STATE/, 30_000)

    // Same interface, same MAC, same kind and mode on both hosts.
    const va = vmacOf(lab, 'a', 'vrrp.51');
    const vk = vmacOf(lab, 'k', 'vrrp.51');
    expect(shape(va)).toEqual({ ifname: 'vrrp.51', address: VMAC4, link: 'eth0', kind: 'macvlan', mode: 'private' });
    expect(shape(va)).toEqual(shape(vk));
    // The VIP is on the VMAC, not on eth0.
    expect(holds(lab, 'a', 'eth0', VIP)).toBe(false);
    // The same sysctls as keepalived sets, on the VMAC and on eth0.
    const sa = vmacSysctls(lab, 'a', 'vrrp.51');
    expect(sa).toEqual(vmacSysctls(lab, 'k', 'vrrp.51'));
    expect(sa).toMatchObject({ 'eth0.arp_ignore': '1', 'eth0.arp_filter': '1', 'vmac.arp_ignore': '1', 'vmac.accept_local': '1', 'vmac.rp_filter': '0', 'vmac.disable_ipv6': '1', 'vmac.addr_gen_mode': '1' });

    // The observer resolves the VIP to the VMAC (an ARP reply from the VMAC): its ARP request for
    // the VIP is answered from the VMAC (its replies to the observer leave through eth0 as without
    // VMAC: routing, not VRRP, picks that interface). Then ours stops: keepalived takes over with
    // the same MAC and the observer asks again; our VMAC is gone, eth0's sysctls are back.
    await pingAcrossHandover(f, a, k);
    expect(vmacOf(lab, 'a', 'vrrp.51')).toBeUndefined();
    expect(vmacSysctls(lab, 'a', undefined)).toEqual(before.a);

    // Ours comes back with the higher priority and preempts keepalived.
    const a2 = f.daemon('a', conf4(150));
    await a2.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)
    await k.waitFor(/\(VI_1\) Entering BACKUP STATE/, 30_000)
    await sleep(1500);
    const lines = await adverts.stop();
    // Adverts came from the VMAC, from each host in turn (source IP tells them apart).
    const fromVmac = lines.filter((l) => l.startsWith(`${VMAC4} >`) || l.includes(` ${VMAC4} > `));
    expect(fromVmac.some((l) => l.includes('192.0.2.11 > 224.0.0.18'))).toBe(true);
    expect(fromVmac.some((l) => l.includes('192.0.2.21 > 224.0.0.18'))).toBe(true);
    // No advert carried a host's own MAC.
    expect(lines.filter((l) => /VRRP/.test(l) && !l.includes(VMAC4))).toEqual([]);
    // Gratuitous ARPs for the VIP and the answers to the observer: all from the VMAC, from both daemons.
    const vipArp = lines.filter((l) => /ARP/.test(l) && (l.includes(`Reply ${VIP} is-at`) || new RegExp(`who-has ${VIP} (\\(\\S+\\) )?tell ${VIP}`).test(l)));
    if (vipArp.length <= 2) console.log(lines.filter((l) => /ARP/.test(l)).join('\n'));
    expect(vipArp.length).toBeGreaterThan(2);
    expect(vipArp.filter((l) => !l.startsWith(`${VMAC4} >`) && !l.includes(` ${VMAC4} > `))).toEqual([]);
    const macO = vmacOf(lab, 'o', 'eth0')?.address ?? '?';
    // One answer to the observer from our VMAC, one from keepalived's, and gratuitous ARPs (broadcast) from both.
    expect(vipArp.filter((l) => l.includes(`${VMAC4} > ${macO}`) && l.includes(`Reply ${VIP} is-at ${VMAC4}`)).length).toBe(2);
    expect(vipArp.filter((l) => l.includes(`${VMAC4} > ff:ff:ff:ff:ff:ff`)).length).toBeGreaterThanOrEqual(2);

    // keepalived's clean-up, for comparison: its VMAC goes too, but 2.2.7 leaves eth0's
    // arp_ignore/arp_filter at 1 where ours puts the old values back (ADR 0023).
    k.signal('SIGTERM');
    await k.exited();
    expect(vmacOf(lab, 'k', 'vrrp.51')).toBeUndefined();
    expect(before.k).toEqual({ 'eth0.arp_ignore': '0', 'eth0.arp_filter': '0' });
    expect(vmacSysctls(lab, 'k', undefined)).toEqual({ 'eth0.arp_ignore': '1', 'eth0.arp_filter': '1' });
    a2.signal('SIGTERM');
    expect(await a2.exitCode()).toBe(0);
    expect(vmacOf(lab, 'a', 'vrrp.51')).toBeUndefined();
    expect(stateLines(a2, 'VI_1')).not.toContain('FAULT');
  });

  labIt('IPv6: vrrp.VRID with 00:00:5e:00:02:VRID and the link-local source, as keepalived; adverts from the VMAC', 120_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: 'fd00:5e::11/64', k: 'fd00:5e::21/64' });
    const VIP6 = 'fd00:5e::100';
    const conf6 = (priority: number) => GLOBAL_DEFS + instanceConf({ vrid: 52, priority, vips: [`${VIP6}/64`], extra: ['use_vmac'] });
    const adverts = await f.capture('ip6 and ip6[6] == 112', { iface: 'br0', args: ['-e'] });
    const { k, a } = await oursOverKeepalived(f, conf6, 'vrrp.52', VIP6);
    await k.waitFor(/\(VI_1\) Entering BACKUP STATE/, 30_000)
    const va = vmacOf(lab, 'a', 'vrrp.52');
    const vk = vmacOf(lab, 'k', 'vrrp.52');
    expect(shape(va)).toEqual({ ifname: 'vrrp.52', address: '00:00:5e:00:02:34', link: 'eth0', kind: 'macvlan', mode: 'private' });
    expect(shape(va)).toEqual(shape(vk));
    // The VMAC's link-local is eth0's (no EUI-64 one from the virtual MAC), on both hosts.
    const ll = (host: string, dev: string) => (vmacOf(lab, host, dev)?.addr_info ?? []).filter((x) => x.scope === 'link').map((x) => `${x.local}/${x.prefixlen}`);
    expect(ll('a', 'vrrp.52')).toEqual(ll('a', 'eth0'));
    expect(ll('k', 'vrrp.52')).toEqual(ll('k', 'eth0'));
    expect(sysctl(lab, 'a', 'ipv6/conf/vrrp.52/addr_gen_mode')).toBe(sysctl(lab, 'k', 'ipv6/conf/vrrp.52/addr_gen_mode'));
    await sleep(1500);
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    await k.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)
    expect(vmacOf(lab, 'a', 'vrrp.52')).toBeUndefined();
    await sleep(1500);
    const lines = (await adverts.stop()).filter((l) => l.includes('ff02::12'));
    const llA = ll('a', 'eth0')[0].split('/')[0];
    const llK = ll('k', 'eth0')[0].split('/')[0];
    expect(lines.some((l) => l.startsWith('00:00:5e:00:02:34 >') || l.includes(' 00:00:5e:00:02:34 > ')) && lines.some((l) => l.includes(`${llA} > ff02::12`))).toBe(true);
    expect(lines.some((l) => l.includes(`${llK} > ff02::12`))).toBe(true);
    expect(lines.filter((l) => !l.includes('00:00:5e:00:02:34'))).toEqual([]);
  });

  labIt('link events: eth0 down -> FAULT; the VMAC deleted behind our back is created again and the instance recovers', 90_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: '192.0.2.11/24', k: '192.0.2.21/24' });
    // keepalived beside it on another VRID, for what it does when its VMAC is deleted.
    const k = f.keepalived('k', GLOBAL_DEFS + instanceConf({ vrid: 52, priority: 150, vips: ['192.0.2.102/24'], extra: ['use_vmac'] }));
    const a = f.daemon('a', conf4(150));
    await a.waitFor(/\(VI_1\) Entering MASTER STATE/, 30_000)
    await waitUntil('VIP on vrrp.51', () => holds(lab, 'a', 'vrrp.51', VIP), 30_000)

    lab.setLink('a', false);
    await a.waitFor(/\(VI_1\) Entering FAULT STATE/, 30_000)
    lab.setLink('a', true);
    await waitUntil('MASTER again', () => stateLines(a, 'VI_1').at(-1) === 'MASTER', 30_000)

    const seen = stateLines(a, 'VI_1').length;
    lab.exec('a', ['ip', 'link', 'del', 'vrrp.51']);
    await a.waitFor(/VMAC interface vrrp\.51 was deleted: creating it again/, 30_000)
    await waitUntil('VMAC back', () => shape(vmacOf(lab, 'a', 'vrrp.51'))?.address === VMAC4, 30_000)
    await waitUntil('VIP back on the new vrrp.51', () => holds(lab, 'a', 'vrrp.51', VIP), 30_000)
    await waitUntil('MASTER after the VMAC came back', () => stateLines(a, 'VI_1').at(-1) === 'MASTER', 30_000)
    // Without its VMAC the instance was FAULT (as keepalived: the interface is lost), then BACKUP, MASTER.
    const ours = stateLines(a, 'VI_1').slice(seen);
    expect(ours).toEqual(['FAULT', 'BACKUP', 'MASTER']);
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    expect(vmacOf(lab, 'a', 'vrrp.51')).toBeUndefined();

    // keepalived 2.2.7 also makes its VMAC again and gets its VIP back on it.
    await waitUntil('keepalived VIP on vrrp.52', () => holds(lab, 'k', 'vrrp.52', '192.0.2.102'), 30_000)
    const kSeen = stateLines(k, 'VI_1').length;
    lab.exec('k', ['ip', 'link', 'del', 'vrrp.52']);
    await waitUntil('keepalived VMAC back', () => shape(vmacOf(lab, 'k', 'vrrp.52'))?.address === '00:00:5e:00:01:34', 30_000)
    await waitUntil('keepalived VIP back on the new vrrp.52', () => holds(lab, 'k', 'vrrp.52', '192.0.2.102'), 30_000)
    await waitUntil('keepalived MASTER again', () => stateLines(k, 'VI_1').at(-1) === 'MASTER', 30_000)
    expect(stateLines(k, 'VI_1').slice(kSeen)).toEqual(ours);
  });

  labIt('vmac_xmit_base: adverts from eth0 with its own MAC, the VIP on the VMAC, answered from the VMAC; as keepalived', 120_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: '192.0.2.11/24', k: '192.0.2.21/24', o: '192.0.2.30/24' });
    const cap = await f.capture('vrrp or arp', { iface: 'br0', args: ['-e'] });
    const { k, a } = await oursOverKeepalived(f, (p) => conf4(p, ['vmac_xmit_base']), 'vrrp.51', VIP);
    await pingAcrossHandover(f, a, k);
    await sleep(1500);
    const lines = await cap.stop();
    const macA = vmacOf(lab, 'a', 'eth0')?.address;
    const macK = vmacOf(lab, 'k', 'eth0')?.address;
    const vrrpFrom = (ip: string) => [...new Set(lines.filter((l) => l.includes(`${ip} > 224.0.0.18`)).map((l) => /(\S+) > \S+, ethertype/.exec(l)?.[1]))];
    // Each daemon's adverts carry its eth0 MAC only.
    expect(vrrpFrom('192.0.2.11')).toEqual([macA]);
    expect(vrrpFrom('192.0.2.21')).toEqual([macK]);
    // ARP for the VIP still comes from the VMAC (the VIP is on it), from both daemons.
    const macO = vmacOf(lab, 'o', 'eth0')?.address ?? '?';
    expect(lines.filter((l) => l.includes(`${VMAC4} > ${macO}`) && l.includes(`Reply ${VIP} is-at ${VMAC4}`)).length).toBe(2);
  });

  labIt('an interface already there: a matching private macvlan is adopted, a configured name taken by another kind of link is ignored, as keepalived', 120_000, async (f) => {
    const { lab } = f;
    f.hosts({ a: '192.0.2.11/24', k: '192.0.2.21/24' });
    for (const h of ['a', 'k']) {
      // A leftover VMAC under another name (as a crashed daemon leaves it), and a veth called vx0.
      lab.exec(h, ['ip', 'link', 'add', 'old51', 'link', 'eth0', 'address', VMAC4, 'type', 'macvlan', 'mode', 'private']);
      lab.exec(h, ['ip', 'link', 'add', 'vx0', 'type', 'veth', 'peer', 'name', 'vx0p']);
    }
    const k = f.keepalived('k', conf4(100) + instanceConf({ name: 'VI_2', vrid: 52, priority: 100, vips: ['192.0.2.102/24'], extra: ['use_vmac vx0'] }));
    await k.waitFor(/\(VI_2\) Entering BACKUP STATE/, 30_000)
    const a = f.daemon('a', conf4(150) + instanceConf({ name: 'VI_2', vrid: 52, priority: 150, vips: ['192.0.2.102/24'], extra: ['use_vmac vx0'] }));
    await waitUntil('VIPs on a', () => holds(lab, 'a', 'old51', VIP) && holds(lab, 'a', 'vrrp.52', '192.0.2.102'), 30_000)
    await a.waitFor(/\(VI_1\) Found matching interface old51/, 30_000)
    await a.waitFor(/\(VI_2\) interface vx0 already exists and is not a private macvlan; ignoring vmac if_name/, 30_000)
    // keepalived: the same choices, told with the same words.
    expect(k.lines.some((l) => /\(VI_1\) Found matching interface old51/.test(l))).toBe(true);
    expect(k.lines.some((l) => /\(VI_2\) interface vx0 already exists and is not a private macvlan; ignoring vmac if_name/.test(l))).toBe(true);
    expect(shape(vmacOf(lab, 'k', 'vrrp.52'))).toEqual(shape(vmacOf(lab, 'a', 'vrrp.52')));
    // At stop both delete the adopted VMAC and the one they made; the veth stays.
    a.signal('SIGTERM');
    expect(await a.exitCode()).toBe(0);
    k.signal('SIGTERM');
    await k.exited();
    for (const h of ['a', 'k']) {
      const names = links(lab, h).map((l) => l.ifname);
      expect({ h, old51: names.includes('old51'), vrrp52: names.includes('vrrp.52'), vx0: names.includes('vx0') }).toEqual({ h, old51: false, vrrp52: false, vx0: true });
    }
  });
});

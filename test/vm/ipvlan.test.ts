// use_ipvlan against keepalived 2.2.7 in one VM boot: this machine's kernel has no ipvlan (the
// Debian kernel in the VM has the module). In the guest two namespaces, `a` (ours) and `k`
// (keepalived), hang on a bridge with nothing else on it; both run the same use_ipvlan config
// with their own address. Compared in the same run: the ipvlan's name, kind, L2 mode and flag
// (`ip -d -j link`), its addresses and disable_ipv6, the adverts' source addresses (tcpdump on
// the bridge), what is left after stop; and VRRP between the two both ways round (ours master
// with keepalived backup, keepalived master after ours stops, ours preempting it again). A second
// phase runs an IPv4 use_ipvlan without an address, which both hold in FAULT; a third takes each
// daemon alone through eth0 down/up and its ipvlan deleted behind its back.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect } from 'vitest';
import { itWhen } from '../helpers/require.js';
import { runInVm, vmMissing, type VmResult } from './vm.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');
const itVm = itWhen(vmMissing);

const VIP = '192.0.2.100';
const conf = (vrid: number, priority: number, words: string) =>
  [
    'global_defs {',
    '  script_user root',
    '}',
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    `  priority ${priority}`,
    '  advert_int 1',
    `  use_ipvlan ${words}`,
    '  virtual_ipaddress {',
    `    ${VIP}/24`,
    '  }',
    '}',
    '',
  ].join('\n');

// The guest's script: every wait is bounded, every observation goes to a file of the share.
const SCRIPT = `
modprobe ipvlan
ip link add br0 type bridge
ip link set br0 up
for h in a k; do
  ip netns add $h
  ip link add v$h type veth peer name eth0 netns $h
  ip link set v$h master br0 up
  ip -n $h link set lo up
  ip -n $h link set eth0 up
done
ip -n a addr add 192.0.2.11/24 dev eth0
ip -n k addr add 192.0.2.21/24 dev eth0
waitfor() { i=0; while [ $i -lt $4 ]; do [ "$(grep -c "$2" $1 2>/dev/null)" -ge $3 ] && return 0; sleep 1; i=$((i+1)); done; echo "timeout: $2 x$3 in $1" >> steps.txt; return 1; }
snap() { for h in a k; do ip -n $h -d -j link show > link.$1.$h.json; ip -n $h -j addr show > addr.$1.$h.json; ip netns exec $h cat /proc/sys/net/ipv6/conf/vrrp.$2/disable_ipv6 > v6.$1.$h 2>/dev/null; done; }
kstart() { ip netns exec k keepalived -n -l -D --vrrp -f /tmp/vmshare/$1 -p /run/k.pid -r /run/k-vrrp.pid -c /run/k-chk.pid > $2 2>&1 & K=$!; }
astart() { ip netns exec a node $OURS -f /tmp/vmshare/$1 -l -p /run/a.pid -r /run/a-vrrp.pid > $2 2>&1 & A=$!; }
tcpdump -i br0 -n -l vrrp > adverts.txt 2>/dev/null &
TD=$!
sleep 2
kstart k.conf k.log
waitfor k.log 'Entering MASTER STATE' 1 60
astart a.conf a1.log
waitfor a1.log 'Entering MASTER STATE' 1 180
waitfor k.log 'Entering BACKUP STATE' 1 60
sleep 3
snap ours-master 51
kill -TERM $A; wait $A; echo $? > a1.exit
waitfor k.log 'Entering MASTER STATE' 2 60
sleep 3
snap ours-stopped 51
astart a.conf a2.log
waitfor a2.log 'Entering MASTER STATE' 1 180
waitfor k.log 'Entering BACKUP STATE' 2 60
sleep 3
snap ours-back 51
kill -TERM $K; wait $K
kill -TERM $A; wait $A; echo $? > a2.exit
sleep 1
snap stopped 51
kill $TD
sleep 1
cp adverts.txt adverts.out
# Phase 2: an IPv4 ipvlan without an address (a config error that holds the instance in FAULT).
kstart k-fault.conf k-fault.log
astart a-fault.conf a-fault.log
waitfor a-fault.log 'fault state' 1 180
sleep 8
snap fault 52
kill -TERM $K; wait $K
kill -TERM $A; wait $A; echo $? > a-fault.exit
sleep 1
snap fault-stopped 52
# Phase 3: link events, each daemon alone on its own VRID: eth0 down and up, then the ipvlan deleted.
kstart k-ev.conf k-ev.log
astart a-ev.conf a-ev.log
waitfor k-ev.log 'Entering MASTER STATE' 1 60
waitfor a-ev.log 'Entering MASTER STATE' 1 180
ip -n a link set eth0 down; ip -n k link set eth0 down
waitfor k-ev.log 'ntering FAULT' 1 30
waitfor a-ev.log 'ntering FAULT' 1 30
sleep 2
snap ev-down 53
ip -n a link set eth0 up; ip -n k link set eth0 up
waitfor k-ev.log 'Entering MASTER STATE' 2 60
waitfor a-ev.log 'Entering MASTER STATE' 2 60
ip -n a link del vrrp.53; ip -n k link del vrrp.54
sleep 10
snap ev-deleted 53
kill -TERM $K; wait $K
kill -TERM $A; wait $A
sleep 1
snap ev-stopped 53
echo done >> steps.txt
`;

interface LinkJson {
  ifname: string;
  address?: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: { local: string; prefixlen: number }[];
}

let vm: VmResult | undefined;
const file = (name: string): string => {
  const b = vm?.files.get(name);
  if (!b) throw new Error(`the VM left no ${name} (exit ${vm?.exitCode}, timed out ${vm?.timedOut})\n${vm?.output ?? ''}\n${vm?.files.get('steps.txt')?.toString() ?? ''}`);
  return b.toString('utf8');
};
const context = () => ['steps.txt', 'a1.log', 'a2.log', 'k.log', 'a-fault.log', 'k-fault.log', 'a-ev.log', 'k-ev.log'].map((n) => `--- ${n}\n${vm?.files.get(n)?.toString().slice(-2500) ?? '(none)'}`).join('\n');
const linksOf = (tag: string, h: string) => JSON.parse(file(`link.${tag}.${h}.json`)) as LinkJson[];
const addrsOf = (tag: string, h: string, dev: string) =>
  ((JSON.parse(file(`addr.${tag}.${h}.json`)) as LinkJson[]).find((l) => l.ifname === dev)?.addr_info ?? [])
    .filter((a) => !a.local.startsWith('fe80:')) // eth0's own link-local
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
const ipvlans = (tag: string, h: string) => linksOf(tag, h).filter((l) => l.linkinfo?.info_kind === 'ipvlan');
/** An ipvlan without host-specific parts (its MAC is its base interface's). */
const shape = (tag: string, h: string) =>
  ipvlans(tag, h).map((l) => ({ ifname: l.ifname, link: l.link, kind: l.linkinfo?.info_kind, data: l.linkinfo?.info_data, baseMac: l.address === linksOf(tag, h).find((x) => x.ifname === 'eth0')?.address }));
// (ours also logs STOP at shutdown, keepalived does not)
const states = (log: string) => [...log.matchAll(/\(VI_1\) [Ee]ntering (\w+) (?:STATE|state)/g)].map((m) => m[1]!.toUpperCase()).filter((s) => s !== 'STOP');

describe('use_ipvlan against keepalived 2.2.7 (qemu VM)', () => {
  beforeAll(async () => {
    if (vmMissing() !== undefined) return;
    vm = await runInVm(SCRIPT, {
      timeoutMs: 900_000,
      env: { OURS: join(repo, 'dist/bin/keepalived-ts.mjs'), KEEPALIVED_TS_NATIVE: join(repo, 'build/Release/keepalived_ts_native.node') },
      files: {
        'k.conf': conf(51, 100, '192.0.2.121/24 private'),
        'a.conf': conf(51, 150, '192.0.2.111/24 private'),
        'k-fault.conf': conf(52, 100, 'bridge'),
        'a-fault.conf': conf(52, 150, 'bridge'),
        'k-ev.conf': conf(54, 150, '192.0.2.121/24'),
        'a-ev.conf': conf(53, 150, '192.0.2.111/24'),
      },
    });
  }, 930_000);

  itVm('the same L2 ipvlan as keepalived with the address on it, the VIP where keepalived puts it; IPv6 off on the ipvlan', () => {
    expect(file('steps.txt'), context()).toBe('done\n');
    const ours = shape('ours-master', 'a');
    expect(ours, context()).toEqual([{ ifname: 'vrrp.51', link: 'eth0', kind: 'ipvlan', data: expect.objectContaining({ mode: 'l2' }), baseMac: true }]);
    expect(JSON.stringify(ours[0]?.data)).toContain('private');
    expect(ours).toEqual(shape('ours-master', 'k'));
    // The VIP: on the configured interface, where keepalived 2.2.7 puts it (only its own address goes on the ipvlan).
    expect(addrsOf('ours-master', 'a', 'vrrp.51')).toEqual(['192.0.2.111/24']);
    expect(addrsOf('ours-master', 'k', 'vrrp.51')).toEqual(['192.0.2.121/24']);
    expect(addrsOf('ours-master', 'a', 'eth0')).toEqual([`${VIP}/24`, '192.0.2.11/24']);
    expect(addrsOf('ours-master', 'k', 'eth0')).toEqual(['192.0.2.21/24']);
    expect(file('v6.ours-master.a').trim()).toBe('1');
    expect(file('v6.ours-master.a')).toBe(file('v6.ours-master.k'));
    // keepalived as master: the VIP on its ipvlan; ours back and master again: on ours.
    expect(addrsOf('ours-stopped', 'k', 'eth0')).toEqual([`${VIP}/24`, '192.0.2.21/24']);
    expect(addrsOf('ours-stopped', 'a', 'eth0')).toEqual(['192.0.2.11/24']);
    expect(addrsOf('ours-back', 'a', 'eth0')).toEqual([`${VIP}/24`, '192.0.2.11/24']);
    expect(addrsOf('ours-back', 'k', 'eth0')).toEqual(['192.0.2.21/24']);
    expect(addrsOf('ours-back', 'a', 'vrrp.51')).toEqual(['192.0.2.111/24']);
  });

  itVm('VRRP with keepalived both ways round; adverts from the ipvlan addresses only', () => {
    expect(states(file('a1.log')), context()).toEqual(['BACKUP', 'MASTER']);
    expect(states(file('k.log')), context()).toEqual(['BACKUP', 'MASTER', 'BACKUP', 'MASTER', 'BACKUP']);
    expect(states(file('a2.log')), context()).toEqual(['BACKUP', 'MASTER']);
    const lines = file('adverts.out').split('\n').filter((l) => l.includes('VRRP'));
    expect(lines.some((l) => l.includes('192.0.2.111 > 224.0.0.18'))).toBe(true);
    expect(lines.some((l) => l.includes('192.0.2.121 > 224.0.0.18'))).toBe(true);
    expect(lines.filter((l) => !l.includes('192.0.2.111 > ') && !l.includes('192.0.2.121 > '))).toEqual([]);
  });

  itVm('nothing is left after stop, by either daemon', () => {
    expect(file('a1.exit').trim()).toBe('0');
    expect(file('a2.exit').trim()).toBe('0');
    expect(ipvlans('ours-stopped', 'a')).toEqual([]);
    expect(ipvlans('stopped', 'a')).toEqual([]);
    expect(ipvlans('stopped', 'k')).toEqual([]);
    expect(addrsOf('stopped', 'a', 'eth0')).toEqual(['192.0.2.11/24']);
  });

  itVm('IPv4 use_ipvlan without an address: the ipvlan is made and the instance held in FAULT, as keepalived', () => {
    const a = file('a-fault.log');
    const k = file('k-fault.log');
    for (const log of [a, k]) expect(log, context()).toContain('(VI_1) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state');
    expect(shape('fault', 'a'), context()).toEqual(shape('fault', 'k'));
    expect(shape('fault', 'a')).toHaveLength(1);
    expect(states(k), context()).not.toContain('MASTER');
    expect(states(a), context()).not.toContain('MASTER');
    expect(states(a)).toContain('FAULT');
    expect(addrsOf('fault', 'a', 'vrrp.52')).toEqual([]);
    expect(file('a-fault.exit').trim()).toBe('0');
    expect(ipvlans('fault-stopped', 'a')).toEqual([]);
    expect(ipvlans('fault-stopped', 'k')).toEqual([]);
  });

  itVm('link events: eth0 down holds both in FAULT and up brings them back; a deleted ipvlan is treated as keepalived treats it', () => {
    const a = states(file('a-ev.log'));
    const k = states(file('k-ev.log'));
    expect(a, context()).toContain('FAULT');
    expect(k, context()).toContain('FAULT');
    // After eth0 came back each is master again; both kept the ipvlan (down with eth0).
    expect(a.slice(a.indexOf('FAULT'))).toContain('MASTER');
    expect(k.slice(k.indexOf('FAULT'))).toContain('MASTER');
    expect(ipvlans('ev-down', 'a').map((l) => l.ifname)).toEqual(['vrrp.53']);
    expect(ipvlans('ev-down', 'k').map((l) => l.ifname)).toEqual(['vrrp.54']);
    // The ipvlan deleted behind each daemon's back: made again (or not) the same way, same address.
    const back = (h: string, dev: string) => ({ present: ipvlans('ev-deleted', h).some((l) => l.ifname === dev), addrs: ipvlans('ev-deleted', h).length ? addrsOf('ev-deleted', h, dev).map((x) => x.replace(/\d+\/24$/, 'x/24')) : [] });
    console.info(`after the delete: ours ${JSON.stringify(back('a', 'vrrp.53'))}, keepalived ${JSON.stringify(back('k', 'vrrp.54'))}; states ours ${a.join(',')}, keepalived ${k.join(',')}`);
    expect(back('a', 'vrrp.53'), context()).toEqual(back('k', 'vrrp.54'));
    expect(back('a', 'vrrp.53')).toEqual({ present: true, addrs: ['192.0.2.x/24'] });
    // Ours goes back to MASTER on the new ipvlan (as with a VMAC); keepalived 2.2.7 was seen to
    // stay in FAULT after making it again (ADR 0023), so its last state is not compared.
    expect(a.at(-1)).toBe('MASTER');
    expect(ipvlans('ev-stopped', 'a')).toEqual([]);
    expect(ipvlans('ev-stopped', 'k')).toEqual([]);
  });
});

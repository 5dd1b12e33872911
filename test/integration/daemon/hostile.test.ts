// Our daemons under hostile or broken traffic from a third lab host, built by an independent
// encoder (scapy): random protocol-112 payloads, adverts with a bad checksum, TTL != 255, an
// unknown VRID, an authentication mismatch, a wrong address list. None may move the VIP or stop
// a daemon. Then one valid priority-254 advert from scapy must make the master yield at once.
import { describe, expect } from 'vitest';
import { hasScapy } from '../../helpers/require.js';
import { netnsIt } from '../../helpers/netns-fixture.js';
import { GLOBAL_DEFS, assertStableHolder, instanceConf, stateLines, waitSoleHolder, waitStates } from './daemon-lab.js';

const VIP = '192.0.2.100';
const PY = '/usr/bin/python3';

const GARBAGE = `
import random
from scapy.all import Ether, IP, Raw, sendp, conf, get_if_hwaddr
from scapy.layers.vrrp import VRRP
conf.verb = 0
random.seed(7)
pk = []
G = '224.0.0.18'
def ip(ttl=255):
    # Layer 2 with our own source MAC: the lab host has no route scapy would use for the group,
    # and a bridge drops frames from 00:00:00:00:00:00.
    return Ether(src=get_if_hwaddr('eth0'), dst='01:00:5e:00:00:12')/IP(src='192.0.2.13', dst=G, ttl=ttl, proto=112)
for _ in range(300):
    pk.append(ip()/Raw(bytes(random.getrandbits(8) for _ in range(random.randint(0, 80)))))
for _ in range(50):
    v = VRRP(vrid=51, priority=254, addrlist=['${VIP}'])
    v.chksum = random.randint(0, 0xffff)
    pk.append(ip()/v)
pk += [ip(ttl=64)/VRRP(vrid=51, priority=254, addrlist=['${VIP}']) for _ in range(50)]
pk += [ip()/VRRP(vrid=51, priority=254, authtype=1, auth1=0x41414141, addrlist=['${VIP}']) for _ in range(50)]
pk += [ip()/VRRP(vrid=51, priority=254, addrlist=['192.0.2.99']) for _ in range(50)]
pk += [ip()/VRRP(vrid=51, priority=254, adv=3, addrlist=['${VIP}']) for _ in range(50)]
pk += [ip()/VRRP(version=3, vrid=51, priority=254, addrlist=['${VIP}']) for _ in range(50)]
pk += [ip()/VRRP(vrid=52, priority=254, addrlist=['${VIP}']) for _ in range(50)]
sendp(pk, iface='eth0', inter=0.001)
print('sent', len(pk))
`;

const VALID = `
from scapy.all import Ether, IP, sendp, conf, get_if_hwaddr
from scapy.layers.vrrp import VRRP
conf.verb = 0
sendp(Ether(src=get_if_hwaddr('eth0'), dst='01:00:5e:00:00:12')/IP(src='192.0.2.13', dst='224.0.0.18', ttl=255)/VRRP(vrid=51, priority=254, addrlist=['${VIP}']), iface='eth0')
print('sent 1')
`;

describe('hostile traffic (real processes, scapy as the sender)', () => {
  netnsIt('dho', hasScapy)('garbage and invalid adverts change nothing; one valid priority-254 advert makes the master yield', 120_000, async (f) => {
    const { lab } = f;
    const hosts = ['a', 'b'];
    f.hosts({ a: '192.0.2.11/24', b: '192.0.2.12/24', c: '192.0.2.13/24' });
    const a = await f.backup('a', GLOBAL_DEFS + instanceConf({ priority: 150, vips: [`${VIP}/24`] }), {}, 15_000);
    const b = await f.backup('b', GLOBAL_DEFS + instanceConf({ priority: 100, vips: [`${VIP}/24`] }));
    await waitSoleHolder(lab, hosts, 'a', VIP, 20_000);

    const out = lab.exec('c', [PY, '-c', GARBAGE]);
    expect(out).toContain('sent 650');
    await assertStableHolder(lab, hosts, 'a', VIP, 2500);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
    expect(stateLines(a, 'VI_1')).toEqual(['BACKUP', 'MASTER']);
    expect(stateLines(b, 'VI_1')).toEqual(['BACKUP']);
    // The drops were counted and reported (rate-limited, so not one line per packet).
    const drops = a.lines.filter((l) => /advert dropped/.test(l));
    // One line per reason: checksum, ttl, auth type, address list, advert interval, length.
    for (const r of ['checksum', 'ttl', 'auth-type-mismatch', 'address-list', 'advert-interval']) expect(drops.some((l) => l.includes(`advert dropped: ${r}`))).toBe(true);
    expect(drops.length).toBeLessThan(20);

    // A valid higher-priority advert (scapy's encoder, scapy's checksum): a yields at once ...
    lab.exec('c', [PY, '-c', VALID]);
    await a.waitFor(/\(VI_1\) Entering BACKUP STATE.*reason=higher-priority-advert/, 3000);
    // ... and with c silent, a takes over again after its down interval (b's is longer).
    await waitSoleHolder(lab, hosts, 'a', VIP, 10_000);
    await waitStates(a, 'VI_1', ['BACKUP', 'MASTER', 'BACKUP', 'MASTER']);
    expect(stateLines(b, 'VI_1')).toEqual(['BACKUP']);
  });
});

# Builds the observer's frames with scapy (an encoder independent of ours) and prints them as hex,
# one Ethernet frame per line, for flood.c. Run inside the observer's lab namespace.
#   python3 frames.py KIND VRID SRC VIP PRIORITY
# KIND: lower (a valid VRRPv2 advert with PRIORITY), priority0, or one invalid kind: ttl64,
# checksum, truncated, version, naddr255, naddr0, short6; "invalid" prints all the invalid kinds.
import sys
from scapy.all import Ether, IP, Raw, conf, get_if_hwaddr
from scapy.layers.vrrp import VRRP

conf.verb = 0
kind, vrid, src, vip, prio = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
G = '224.0.0.18'

def l2():
    # Our own source MAC: a bridge drops frames from 00:00:00:00:00:00.
    return Ether(src=get_if_hwaddr('eth0'), dst='01:00:5e:00:00:12')

def ip(ttl=255):
    return IP(src=src, dst=G, ttl=ttl, proto=112)

def adv(**kw):
    return VRRP(vrid=vrid, priority=prio, addrlist=[vip], **kw)

def build(k):
    if k == 'lower':
        return l2() / ip() / adv()
    if k == 'priority0':
        return l2() / ip() / VRRP(vrid=vrid, priority=0, addrlist=[vip])
    if k == 'ttl64':
        return l2() / ip(64) / adv()
    if k == 'checksum':
        good = VRRP(bytes(adv()))
        return l2() / ip() / adv(chksum=(good.chksum ^ 0x5a5a) or 1)
    if k == 'truncated':
        return l2() / ip() / Raw(bytes(adv())[:12])
    if k == 'version':
        return l2() / ip() / adv(version=3)
    if k == 'naddr255':
        return l2() / ip() / adv(ipcount=255)
    if k == 'naddr0':
        return l2() / ip() / adv(ipcount=0)
    if k == 'short6':
        return l2() / ip() / Raw(bytes(adv())[:6])
    raise SystemExit('unknown kind ' + k)

INVALID = ['ttl64', 'checksum', 'truncated', 'version', 'naddr255', 'naddr0', 'short6']
for k in (INVALID if kind == 'invalid' else [kind]):
    print(bytes(build(k)).hex())

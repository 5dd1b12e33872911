#!/usr/bin/python3
"""Golden vectors built by scapy (Debian python3-scapy), an encoder independent of ours.

Each vector records the field values given to scapy and the bytes scapy produced, with the
checksum scapy computed (VRRP: scapy.layers.vrrp post_build; IPv4 header: scapy.layers.inet;
ICMPv6: scapy.layers.inet6.in6_chksum). Regenerate with:
    /usr/bin/python3 test/vectors/gen-scapy-vectors.py > test/vectors/scapy-vectors.json
"""
import json
import sys

import scapy
from scapy.all import Ether, ARP, IP, IPv6, raw
from scapy.layers.inet import checksum
from scapy.layers.vrrp import VRRP, VRRPv3
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr


def auth_bytes(text):
    b = text.encode()[:8]
    return b + b'\0' * (8 - len(b))


def v2(name, vrid, prio, adv, addrs, auth_type=0, auth='', src='192.0.2.1', dst='224.0.0.18',
       ttl=255, ip_id=1):
    a = auth_bytes(auth)
    pkt = IP(src=src, dst=dst, ttl=ttl, tos=0xc0, id=ip_id, flags=0) / VRRP(
        version=2, type=1, vrid=vrid, priority=prio, authtype=auth_type, adv=adv, addrlist=addrs,
        auth1=int.from_bytes(a[:4], 'big'), auth2=int.from_bytes(a[4:], 'big'))
    pkt = IP(raw(pkt))  # re-dissect so every computed field is filled in
    v = pkt[VRRP]
    return {
        'kind': 'vrrp', 'name': name, 'family': 'inet',
        'fields': {'version': 2, 'type': 1, 'vrid': vrid, 'priority': prio, 'count': len(addrs),
                   'authType': auth_type, 'adverIntSeconds': adv, 'authData': a.hex(),
                   'checksum': v.chksum, 'addresses': addrs},
        'ip': {'src': src, 'dst': dst, 'ttl': ttl, 'tos': 0xc0, 'id': ip_id, 'proto': 112,
               'checksum': pkt.chksum, 'len': pkt.len},
        'vrrp': raw(v).hex(),
        'ipPacket': raw(pkt).hex(),
    }


def v3_inet(name, vrid, prio, adv, addrs, src='192.0.2.1', dst='224.0.0.18', ip_id=1, as_v2=False):
    pkt = IP(src=src, dst=dst, ttl=255, tos=0xc0, id=ip_id, flags=0) / VRRPv3(
        version=3, type=1, vrid=vrid, priority=prio, adv=adv, addrlist=addrs)
    pkt = IP(raw(pkt))
    v = pkt[VRRPv3]
    payload = raw(v)
    if as_v2:
        # v3_checksum_as_v2: the VRRP bytes alone, no pseudo-header (scapy's RFC 1071 checksum).
        zeroed = payload[:6] + b'\0\0' + payload[8:]
        ck = checksum(zeroed)
        payload = payload[:6] + ck.to_bytes(2, 'big') + payload[8:]
        pkt = IP(raw(pkt[IP])[:20] + payload)
        pkt = IP(raw(IP(src=src, dst=dst, ttl=255, tos=0xc0, id=ip_id, flags=0, proto=112) / payload))
        v = pkt[VRRPv3]
    return {
        'kind': 'vrrp', 'name': name, 'family': 'inet', 'checksumAsV2': as_v2,
        'fields': {'version': 3, 'type': 1, 'vrid': vrid, 'priority': prio, 'count': len(addrs),
                   'maxAdverIntCentiseconds': adv, 'checksum': v.chksum, 'addresses': addrs},
        'ip': {'src': src, 'dst': dst, 'ttl': 255, 'tos': 0xc0, 'id': ip_id, 'proto': 112,
               'checksum': pkt.chksum, 'len': pkt.len},
        'vrrp': raw(v).hex(),
        'ipPacket': raw(pkt).hex(),
    }


def v3_inet6(name, vrid, prio, adv, addrs, src='fe80::1', dst='ff02::12'):
    pkt = IPv6(src=src, dst=dst, hlim=255, tc=0xc0) / VRRPv3(
        version=3, type=1, vrid=vrid, priority=prio, adv=adv, addrlist=addrs)
    pkt = IPv6(raw(pkt))
    v = pkt[VRRPv3]
    return {
        'kind': 'vrrp', 'name': name, 'family': 'inet6',
        'fields': {'version': 3, 'type': 1, 'vrid': vrid, 'priority': prio, 'count': len(addrs),
                   'maxAdverIntCentiseconds': adv, 'checksum': v.chksum,
                   'addresses': [str(a) for a in v.addrlist]},
        'ip': {'src': src, 'dst': dst, 'hlim': 255, 'nh': 112, 'plen': pkt.plen},
        'vrrp': raw(v).hex(),
        'ipPacket': raw(pkt).hex(),
    }


def garp(name, mac, vip):
    f = Ether(dst='ff:ff:ff:ff:ff:ff', src=mac) / ARP(
        op=1, hwsrc=mac, psrc=vip, hwdst='ff:ff:ff:ff:ff:ff', pdst=vip)
    return {'kind': 'arp', 'name': name, 'fields': {'op': 1, 'hwsrc': mac, 'psrc': vip,
            'hwdst': 'ff:ff:ff:ff:ff:ff', 'pdst': vip}, 'frame': raw(f).hex()}


def una(name, mac, vip, router):
    f = Ether(dst='33:33:00:00:00:01', src=mac) / IPv6(src=vip, dst='ff02::1', hlim=255) / \
        ICMPv6ND_NA(tgt=vip, R=1 if router else 0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=mac)
    f = Ether(raw(f))
    na = f[ICMPv6ND_NA]
    return {'kind': 'na', 'name': name,
            'fields': {'type': 136, 'R': na.R, 'S': na.S, 'O': na.O, 'target': vip, 'tlla': mac,
                       'checksum': na.cksum},
            'ip': {'src': vip, 'dst': 'ff02::1', 'hlim': 255}, 'frame': raw(f).hex()}


vectors = [
    v2('v2-noauth-1addr', 1, 100, 1, ['192.0.2.10']),
    v2('v2-pass-2addr', 51, 200, 3, ['192.0.2.100', '192.0.2.101'], 1, 'secret12', ip_id=7),
    v2('v2-pass-short-owner', 255, 255, 255, ['198.51.100.1'], 1, 'abc', ip_id=65535),
    v2('v2-pass-prio0', 7, 0, 1, ['203.0.113.5', '203.0.113.6', '203.0.113.7'], 1, 'k', ip_id=3),
    v2('v2-noaddr', 9, 1, 2, [], 0, ''),
    v2('v2-20addr', 20, 150, 1, [f'10.20.0.{i}' for i in range(1, 21)], 0, ''),
    v2('v2-unicast', 55, 120, 1, ['192.0.2.106'], dst='192.0.2.2', ip_id=42),
    v3_inet('v3-inet-1addr', 1, 100, 100, ['192.0.2.10']),
    v3_inet('v3-inet-3addr', 53, 200, 50, ['192.0.2.103', '192.0.2.104', '192.0.2.105'], ip_id=9),
    v3_inet('v3-inet-maxint', 254, 1, 4095, ['198.51.100.9']),
    v3_inet('v3-inet-minint-prio0', 2, 0, 1, ['198.51.100.10', '198.51.100.11']),
    v3_inet('v3-inet-unicast', 56, 90, 25, ['192.0.2.107'], dst='192.0.2.2'),
    v3_inet('v3-inet-as-v2', 57, 101, 100, ['192.0.2.108'], as_v2=True),
    v3_inet('v3-inet-as-v2-unicast', 58, 77, 300, ['192.0.2.109', '192.0.2.110'],
            dst='192.0.2.2', as_v2=True),
    v3_inet6('v3-inet6-1addr', 1, 100, 100, ['2001:db8::10']),
    v3_inet6('v3-inet6-3addr', 54, 150, 33, ['fe80::54', '2001:db8::100', '2001:db8:0:1::101']),
    v3_inet6('v3-inet6-owner', 255, 255, 4095, ['2001:db8:ffff::1']),
    v3_inet6('v3-inet6-unicast', 58, 254, 100, ['2001:db8::102'], src='2001:db8::1', dst='2001:db8::2'),
    garp('garp-1', '02:00:5e:10:00:01', '192.0.2.100'),
    garp('garp-vmac', '00:00:5e:00:01:33', '198.51.100.200'),
    una('na-router', '02:00:5e:10:00:01', '2001:db8::100', True),
    una('na-host', '00:00:5e:00:02:36', '2001:db8:1::abcd', False),
]

json.dump({'source': f'scapy {scapy.VERSION} (Debian python3-scapy) via gen-scapy-vectors.py',
           'vectors': vectors}, sys.stdout, indent=1)
sys.stdout.write('\n')

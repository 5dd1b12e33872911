#!/usr/bin/python3
"""Turn a pcap of VRRP adverts, gratuitous ARPs and unsolicited NAs into JSON golden vectors.

The field values are those scapy's own dissectors (scapy.layers.vrrp, scapy.layers.l2,
scapy.layers.inet6) read from the bytes, so the vectors do not depend on our decoder.
Run with Debian's /usr/bin/python3 (python3-scapy).

usage: extract-pcap.py IN.pcap OUT.json [--source TEXT] [--per-key N]
"""
import argparse
import json

from scapy.all import rdpcap, Ether, ARP, IP, IPv6, raw
from scapy.layers.vrrp import VRRP, VRRPv3
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, in6_chksum
from scapy.layers.ipsec import AH


def vrrp_record(frame):
    ah = None
    if IP in frame and frame[IP].proto == 51:
        # VRRPv2 auth_type AH: scapy stops at the AH layer; dissect what follows it as VRRP.
        ah = frame[AH]
        v = VRRP(raw(ah.payload))
    else:
        v = frame[VRRPv3] if VRRPv3 in frame else frame[VRRP]
    payload = raw(v)
    rec = {
        'kind': 'vrrp',
        'family': 'inet' if IP in frame else 'inet6',
        'frame': raw(frame).hex(),
        'vrrp': payload.hex(),
        'eth': {'src': frame[Ether].src, 'dst': frame[Ether].dst},
        'fields': {
            'version': v.version,
            'type': v.type,
            'vrid': v.vrid,
            'priority': v.priority,
            'count': v.ipcount,
            'checksum': v.chksum,
            'addresses': [str(a) for a in v.addrlist],
        },
    }
    f = rec['fields']
    if v.version == 2:
        f['authType'] = v.authtype
        f['adverIntSeconds'] = v.adv
        f['authData'] = payload[8 + 4 * v.ipcount:8 + 4 * v.ipcount + 8].hex()
    else:
        f['maxAdverIntCentiseconds'] = v.adv
    if IP in frame:
        ip = frame[IP]
        rec['ip'] = {'src': ip.src, 'dst': ip.dst, 'ttl': ip.ttl, 'tos': ip.tos, 'id': ip.id,
                     'proto': ip.proto, 'flags': int(ip.flags), 'frag': ip.frag,
                     'ihl': ip.ihl, 'len': ip.len, 'checksum': ip.chksum}
        rec['ipPacket'] = raw(ip).hex()
        if ah is not None:
            rec['ah'] = {'nh': ah.nh, 'payloadlen': ah.payloadlen, 'reserved': ah.reserved,
                         'spi': ah.spi, 'seq': ah.seq, 'icv': bytes(ah.icv).hex()}
    else:
        ip6 = frame[IPv6]
        rec['ip'] = {'src': ip6.src, 'dst': ip6.dst, 'hlim': ip6.hlim, 'tc': ip6.tc, 'fl': ip6.fl,
                     'nh': ip6.nh, 'plen': ip6.plen}
        rec['ipPacket'] = raw(ip6).hex()
        # Independent check of the kernel-computed v3/IPv6 checksum: scapy's in6_chksum over
        # the pseudo-header with the checksum field zeroed.
        zeroed = payload[:6] + b'\0\0' + payload[8:]
        rec['independentChecksum'] = in6_chksum(112, ip6, zeroed)
    return rec


def arp_record(frame):
    a = frame[ARP]
    return {
        'kind': 'arp',
        'frame': raw(frame).hex(),
        'eth': {'src': frame[Ether].src, 'dst': frame[Ether].dst, 'type': frame[Ether].type},
        'fields': {'hwtype': a.hwtype, 'ptype': a.ptype, 'hwlen': a.hwlen, 'plen': a.plen,
                   'op': a.op, 'hwsrc': a.hwsrc, 'psrc': a.psrc, 'hwdst': a.hwdst, 'pdst': a.pdst},
    }


def na_record(frame):
    ip6 = frame[IPv6]
    na = frame[ICMPv6ND_NA]
    opt = frame[ICMPv6NDOptDstLLAddr] if ICMPv6NDOptDstLLAddr in frame else None
    icmp = raw(na)
    zeroed = icmp[:2] + b'\0\0' + icmp[4:]
    return {
        'kind': 'na',
        'frame': raw(frame).hex(),
        'eth': {'src': frame[Ether].src, 'dst': frame[Ether].dst, 'type': frame[Ether].type},
        'ip': {'src': ip6.src, 'dst': ip6.dst, 'hlim': ip6.hlim, 'plen': ip6.plen, 'nh': ip6.nh},
        'fields': {'type': na.type, 'code': na.code, 'checksum': na.cksum, 'R': na.R, 'S': na.S,
                   'O': na.O, 'target': na.tgt, 'tlla': opt.lladdr if opt else None},
        'independentChecksum': in6_chksum(58, ip6, zeroed),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('pcap')
    ap.add_argument('out')
    ap.add_argument('--source', default='pcap')
    ap.add_argument('--per-key', type=int, default=2)
    args = ap.parse_args()
    seen = {}
    vectors = []
    for frame in rdpcap(args.pcap):
        # Top-level VRRP only: the peer's ICMP errors quote adverts and must not count.
        top_vrrp = (IP in frame and frame[IP].proto == 112) or \
            (IP in frame and frame[IP].proto == 51 and AH in frame and frame[AH].nh == 112) or \
            (IP not in frame and IPv6 in frame and frame[IPv6].nh == 112)
        if top_vrrp:
            rec = vrrp_record(frame)
            f = rec['fields']
            key = ('vrrp', rec['family'], f['vrid'], f['priority'], rec['ip']['dst'])
        elif ARP in frame and frame[ARP].op == 1 and frame[ARP].psrc == frame[ARP].pdst:
            rec = arp_record(frame)
            key = ('arp', rec['fields']['psrc'])
        elif ICMPv6ND_NA in frame and frame[ICMPv6ND_NA].S == 0:
            # Unsolicited NAs only (keepalived's); the peer kernel's solicited NAs are skipped.
            rec = na_record(frame)
            key = ('na', rec['fields']['target'])
        else:
            continue
        n = seen.get(key, 0)
        if n >= args.per_key:
            continue
        seen[key] = n + 1
        rec['name'] = '-'.join(str(k) for k in key) + f'#{n}'
        vectors.append(rec)
    with open(args.out, 'w') as fh:
        json.dump({'source': args.source, 'vectors': vectors}, fh, indent=1)
        fh.write('\n')
    kinds = {}
    for v in vectors:
        kinds[v['kind']] = kinds.get(v['kind'], 0) + 1
    print(f'{args.out}: {len(vectors)} vectors {kinds}')


if __name__ == '__main__':
    main()

#!/usr/bin/env bash
# Captures what the REAL keepalived (2.2.7 on the build machine) puts on the wire, so the codec
# is checked against bytes it did not produce. Everything runs inside two network namespaces
# created here (unique names, veth pair, 192.0.2.0/24 + 2001:db8::/64 documentation prefixes)
# and removed by the EXIT trap; keepalived and tcpdump are ended by PID.
#
# Usage (root): test/vectors/capture-keepalived.sh [out-dir]   (default: test/vectors)
# Writes keepalived-2.2.7.pcap (raw capture) and keepalived-2.2.7.json (extracted vectors).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
command -v keepalived >/dev/null && command -v tcpdump >/dev/null || { echo "needs keepalived + tcpdump" >&2; exit 1; }

NSA="ktpktA$$"; NSB="ktpktB$$"
work=$(mktemp -d /tmp/kt-pktcap.XXXXXX)
ka_pid=""; td_pid=""
cleanup() {
  [ -n "$ka_pid" ] && kill "$ka_pid" 2>/dev/null || true
  [ -n "$td_pid" ] && kill "$td_pid" 2>/dev/null || true
  sleep 0.3
  ip netns del "$NSA" 2>/dev/null || true
  ip netns del "$NSB" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$NSA"; ip netns add "$NSB"
ip -n "$NSA" link add ka0 type veth peer name kb0 netns "$NSB"
for ns in "$NSA" "$NSB"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$ns" link set lo up
done
# Deterministic MACs and link-local addresses (no EUI-64 autoconfiguration).
ip -n "$NSA" link set ka0 address 02:00:5e:10:00:01 addrgenmode none
ip -n "$NSB" link set kb0 address 02:00:5e:10:00:02 addrgenmode none
ip -n "$NSA" addr add 192.0.2.1/24 dev ka0
ip -n "$NSA" addr add fe80::1/64 dev ka0 nodad
ip -n "$NSA" addr add 2001:db8::1/64 dev ka0 nodad
ip -n "$NSB" addr add 192.0.2.2/24 dev kb0
ip -n "$NSB" addr add fe80::2/64 dev kb0 nodad
ip -n "$NSB" addr add 2001:db8::2/64 dev kb0 nodad
ip -n "$NSA" link set ka0 up
ip -n "$NSB" link set kb0 up
# Router flag in unsolicited NAs depends on forwarding: turn it on so the R bit is exercised.
ip netns exec "$NSA" sysctl -qw net.ipv6.conf.all.forwarding=1

cat > "$work/keepalived.conf" <<'CONF'
global_defs {
  router_id ktcapture
  vrrp_garp_master_repeat 2
  vrrp_garp_master_delay 0
}
vrrp_instance V2_PASS {
  interface ka0
  virtual_router_id 51
  priority 100
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret12
  }
  virtual_ipaddress {
    192.0.2.100/32
    192.0.2.101/32
  }
}
vrrp_instance V2_OWNER {
  interface ka0
  virtual_router_id 52
  priority 255
  advert_int 2
  virtual_ipaddress {
    192.0.2.102/32
  }
}
vrrp_instance V3_V4 {
  version 3
  interface ka0
  virtual_router_id 53
  priority 200
  advert_int 0.5
  virtual_ipaddress {
    192.0.2.103/32
    192.0.2.104/32
    192.0.2.105/32
  }
}
vrrp_instance V3_V6 {
  version 3
  interface ka0
  virtual_router_id 54
  priority 150
  advert_int 1
  virtual_ipaddress {
    2001:db8::100/128
    2001:db8::101/128
  }
}
vrrp_instance V2_UNICAST {
  interface ka0
  virtual_router_id 55
  priority 120
  advert_int 1
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.106/32
  }
}
vrrp_instance V3_UNICAST {
  version 3
  interface ka0
  virtual_router_id 56
  priority 90
  advert_int 0.25
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.107/32
  }
}
vrrp_instance V3_OLD_UNICAST_CHKSUM {
  version 3
  old_unicast_checksum
  interface ka0
  virtual_router_id 57
  priority 101
  advert_int 1
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.108/32
  }
}
vrrp_instance V2_AH {
  interface ka0
  virtual_router_id 59
  priority 110
  advert_int 1
  authentication {
    auth_type AH
    auth_pass ahsecret
  }
  virtual_ipaddress {
    192.0.2.109/32
  }
}
vrrp_instance V3_V6_UNICAST {
  version 3
  interface ka0
  virtual_router_id 58
  priority 254
  advert_int 1
  unicast_src_ip 2001:db8::1
  unicast_peer {
    2001:db8::2
  }
  virtual_ipaddress {
    2001:db8::102/128
  }
}
CONF

ip netns exec "$NSA" keepalived -t -f "$work/keepalived.conf" || { echo "config test failed" >&2; exit 1; }

ip netns exec "$NSB" tcpdump -i kb0 -U -n -s 0 -w "$work/cap.pcap" 2>"$work/tcpdump.log" &
td_pid=$!
sleep 1
ip netns exec "$NSA" keepalived -n -l -D -P -G -f "$work/keepalived.conf" \
  -p "$work/ka.pid" -r "$work/vrrp.pid" -c "$work/check.pid" -b "$work/bfd.pid" >"$work/keepalived.log" 2>&1 &
ka_pid=$!
# Backups become master after 3 x advert_int + skew (~3.6 s at 1 s); give all a few adverts.
sleep 7
# SIGTERM: masters send a priority-0 advert on the way out (captured too).
kill -TERM "$ka_pid"
wait "$ka_pid" 2>/dev/null || true
ka_pid=""
sleep 1
kill "$td_pid"; wait "$td_pid" 2>/dev/null || true; td_pid=""

cp "$work/cap.pcap" "$out/keepalived-2.2.7.pcap"
/usr/bin/python3 "$here/extract-pcap.py" "$out/keepalived-2.2.7.pcap" "$out/keepalived-2.2.7.json" \
  --source "keepalived $(keepalived --version 2>&1 | head -1 | awk '{print $2}') captured by capture-keepalived.sh"
grep -E 'Entering MASTER|sent 0 priority' "$work/keepalived.log" | sed 's/^/keepalived: /' || true

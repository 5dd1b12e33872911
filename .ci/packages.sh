#!/usr/bin/env bash
# System packages the test suite needs. Sourced by .ci/run; safe to run by hand as root.
set -euo pipefail
PKGS=(
  keepalived ipvsadm      # the real keepalived 2.2.7: compared against and used as a VRRP peer
  iproute2 iputils-ping   # ip netns / veth / bridge for integration tests
  python3-scapy           # independent VRRP encoder/decoder for golden vectors
  tshark tcpdump          # decoding captures of our packets and keepalived's
  make g++ python3        # native addon build
  util-linux passwd coreutils  # setpriv, unshare, useradd, mkfifo (notify/script tests)
  qemu-system-x86 linux-image-amd64 busybox-static cpio  # the IPVS test VM (test/vm/): TCG, a kernel with IPVS
  frr nftables            # FRR vrrpd as a second VRRP implementation; nft for no_accept/strict tables
)
# Never let package installation start a daemon on this host (keepalived in the host namespace
# would send VRRP adverts on the host's network).
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends \
  $(printf '%s\n' "${PKGS[@]}" | sed 's/#.*//' | tr -s ' \n' ' ') >/dev/null
rm -f /usr/sbin/policy-rc.d

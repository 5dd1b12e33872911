#!/usr/bin/python3
# Independent capture of rtnetlink event datagrams (no netlink package, none of our code):
# joins RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, runs the iproute2 commands given
# as JSON argv[1] (a list of argument lists, each run as `ip ARGS...`), then prints every datagram
# received as {"steps": [[hex, ...] per command]} on stdout. Run inside a test namespace only.
import json, select, socket, subprocess, sys, time

RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR = 0x1, 0x10, 0x100

def drain(sock, quiet_s=0.3, max_s=3.0):
    out, start, last = [], time.monotonic(), time.monotonic()
    while time.monotonic() - start < max_s:
        r, _, _ = select.select([sock], [], [], 0.05)
        if r:
            out.append(sock.recv(65536).hex())
            last = time.monotonic()
        elif time.monotonic() - last > quiet_s:
            break
    return out

def main():
    cmds = json.loads(sys.argv[1])
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR))
    steps = []
    for c in cmds:
        subprocess.run(["ip"] + c, check=True)
        steps.append(drain(s))
    print(json.dumps({"steps": steps}))

main()

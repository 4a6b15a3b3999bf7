#!/usr/bin/python3
"""Flood the appliance with ARP replies: unsolicited replies from random
MACs claiming random addresses of NET.0/24 (backends' included), sent to
DST_MAC as fast as one raw socket goes, until COUNT are sent or SECONDS
have passed, whichever comes first (or until STOP_FILE exists).

usage: arp_flood.py IFACE DST_MAC NET COUNT SECONDS [STOP_FILE]
Run inside a namespace on the appliance's segment. Prints
{"sent": N, "seconds": S, "pps": R}.
"""

import json
import os
import random
import socket
import sys
import time

from scapy.all import ARP, Ether


def frames(dst_mac, net, n=1024):
    out = []
    for _ in range(n):
        mac = "02:00:5e:%02x:%02x:%02x" % tuple(random.getrandbits(8)
                                                for _ in range(3))
        ip = "%s.%d" % (net, random.randint(1, 254))
        raw = bytes(Ether(src=mac, dst=dst_mac) /
                    ARP(op=2, hwsrc=mac, psrc=ip, hwdst=dst_mac))
        out.append(raw + b"\0" * max(0, 60 - len(raw)))
    return out


def main():
    iface, dst_mac, net, count, seconds = sys.argv[1:6]
    stop_file = sys.argv[6] if len(sys.argv) > 6 else None
    count, seconds = int(count), float(seconds)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    fs = frames(dst_mac, net)
    t0 = time.monotonic()
    sent = 0
    while sent < count:
        for f in fs:
            try:
                s.send(f)
                sent += 1
            except OSError:         # the interface's queue is full
                time.sleep(0.0005)
        if time.monotonic() - t0 >= seconds or \
                (stop_file and os.path.exists(stop_file)):
            break
    took = time.monotonic() - t0
    print(json.dumps({"sent": sent, "seconds": round(took, 2),
                      "pps": round(sent / took) if took else 0}))


if __name__ == "__main__":
    main()

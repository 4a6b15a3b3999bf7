#!/usr/bin/python3
"""Send spoofed ARP replies at the appliance: each claims TARGET_IP is at
EVIL_MAC. One kind per line of output, COUNT of each:

  unsolicited   a reply nobody asked for, Ethernet source = sender MAC
  eth_source    the same, but from another Ethernet source

(A reply claiming the appliance's own MAC is covered by the unit tests:
sent from that MAC it would teach the test's switch that the appliance is
on the client's port.)

usage: arp_spoof.py IFACE DST_MAC TARGET_IP EVIL_MAC COUNT
Run inside a namespace on the appliance's segment. Prints {kind: sent}.
"""

import json
import socket
import sys

from scapy.all import ARP, Ether


def main():
    iface, dst_mac, target, evil, count = sys.argv[1:6]
    count = int(count)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    frames = {
        "unsolicited": Ether(src=evil, dst=dst_mac) /
        ARP(op=2, hwsrc=evil, psrc=target, hwdst=dst_mac),
        "eth_source": Ether(src="02:00:5e:ee:ee:07", dst=dst_mac) /
        ARP(op=2, hwsrc=evil, psrc=target, hwdst=dst_mac),
    }
    sent = {}
    for kind, f in frames.items():
        raw = bytes(f)
        raw += b"\0" * max(0, 60 - len(raw))
        for _ in range(count):
            s.send(raw)
        sent[kind] = count
    print(json.dumps(sent))


if __name__ == "__main__":
    main()

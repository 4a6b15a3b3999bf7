#!/usr/bin/python3
"""Send TCP SYNs to VIP:PORT from sources no client can have: 0/8, 127/8,
multicast, class E, limited broadcast, the VIP itself and the appliance's
port address; COUNT of each, each from its own source port.

usage: martian.py IFACE DST_MAC VIP PORT PORT_ADDR COUNT
Run inside a namespace on the appliance's segment. Prints
{"src_martian": sent, "src_ours": sent}.
"""

import json
import socket
import sys

from scapy.all import IP, TCP, Ether, get_if_hwaddr

MARTIAN = ("0.1.2.3", "127.0.0.1", "224.0.0.5", "240.0.0.1",
           "255.255.255.255")


def main():
    iface, dst_mac, vip, port, port_addr, count = sys.argv[1:7]
    port, count = int(port), int(count)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src_mac = get_if_hwaddr(iface)
    sent = {"src_martian": 0, "src_ours": 0}
    for kind, sources in (("src_martian", MARTIAN),
                          ("src_ours", (vip, port_addr))):
        for src in sources:
            for i in range(count):
                f = (Ether(src=src_mac, dst=dst_mac) /
                     IP(src=src, dst=vip) /
                     TCP(sport=20000 + i, dport=port, flags="S"))
                s.send(bytes(f))
                sent[kind] += 1
    print(json.dumps(sent))


if __name__ == "__main__":
    main()

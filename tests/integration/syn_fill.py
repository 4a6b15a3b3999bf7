#!/usr/bin/python3
"""Fill the appliance's flow table: COUNT spoofed TCP SYNs to VIP:PORT, each
from its own source (198.18.0.0/15, ports 1024..65023), at most RATE a
second, from IFACE to DST_MAC (the appliance port's MAC) with a raw L2
socket. Each SYN makes a flow that stays for tcp_timeout. The TCP checksum
is left 0: the backends drop the SYNs the appliance forwards, they only
have to fill its table. Prints {"sent": N, "seconds": S}.

usage: syn_fill.py IFACE DST_MAC VIP PORT COUNT RATE
"""

import json
import socket
import struct
import sys
import time

PORTS = 64000


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    iface, dst_mac, vip, port, count, rate = sys.argv[1:7]
    count, rate, port = int(count), float(rate), int(port)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src_mac = s.getsockname()[4]
    eth = mac(dst_mac) + src_mac + b"\x08\x00"
    dst = socket.inet_aton(vip)
    t0 = time.monotonic()
    sent = 0
    while sent < count:
        n = sent // PORTS
        src = bytes((198, 18 + (n >> 16) % 2, (n >> 8) & 255, n & 255))
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000,
                                   64, 6, 0, src, dst))
        ip[10:12] = struct.pack("!H", ip_checksum(bytes(ip)))
        head = eth + bytes(ip)
        tail = struct.pack("!IIBBHHH", 1, 0, 5 << 4, 0x02, 65535, 0, 0) + \
            b"\0" * 6
        for p in range(min(PORTS, count - sent)):
            s.send(head + struct.pack("!HH", 1024 + p, port) + tail)
            sent += 1
            if sent % 1000 == 0:
                ahead = t0 + sent / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
    print(json.dumps({"sent": sent,
                      "seconds": round(time.monotonic() - t0, 2)}))


if __name__ == "__main__":
    main()

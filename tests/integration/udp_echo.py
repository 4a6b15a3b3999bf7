#!/usr/bin/python3
"""UDP responder for edgelb's integration tests: one per DR backend.

Binds 0.0.0.0:PORT, so it receives datagrams addressed to the VIP (held on
lo), and answers each one with NAME. The reply's source address is the
datagram's destination (IP_PKTINFO), i.e. the VIP: a socket bound to the
wildcard would otherwise answer from the routed interface's address and the
client would see a stranger reply. Appends "CLIENT_ADDR CLIENT_PORT
DST_ADDR" per datagram to LOG (flushed per line; the checks read it while
the responder runs). Runs until SIGTERM/SIGINT.

  usage: udp_echo.py NAME PORT LOG [READY_FILE]
"""

import signal
import socket
import struct
import sys

IP_PKTINFO = 8  # <linux/in.h>; Python's socket module may not export it
PKTINFO = struct.Struct("=I4s4s")  # ifindex, spec_dst, addr


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    name, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    reply = name.encode() + b"\n"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s.bind(("0.0.0.0", port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as f:
            f.write("ready\n")
    space = socket.CMSG_SPACE(PKTINFO.size)
    with open(log, "a", buffering=1) as out:
        while True:
            _, anc, _, (addr, cport) = s.recvmsg(2048, space)
            dst = None
            for level, kind, data in anc:
                if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
                    _, _, dst = PKTINFO.unpack(data[:PKTINFO.size])
            if dst is None:
                continue  # cannot answer from the right address
            out.write("%s %d %s\n" % (addr, cport, socket.inet_ntoa(dst)))
            # spec_dst sets the source address; ifindex 0 lets routing pick.
            info = PKTINFO.pack(0, dst, b"\0\0\0\0")
            s.sendmsg([reply], [(socket.IPPROTO_IP, IP_PKTINFO, info)],
                       0, (addr, cport))


if __name__ == "__main__":
    main()

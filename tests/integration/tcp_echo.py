#!/usr/bin/python3
"""A TCP echo peer, to prove data goes both ways through a socket.

usage: tcp_echo.py serve ADDR PORT READY_FILE [COUNT]
       tcp_echo.py send ADDR PORT NBYTES

serve: listen on ADDR:PORT, write READY_FILE once listening, then for each
of COUNT (default 1) connections send back every byte received until the
peer shuts down its side; exits 0.
send: connect, send NBYTES of pseudo-random data while reading the echo,
shut down the write side, and exit 0 if exactly the same bytes came back
(prints "echoed N bytes, sha256 ...") or 1.
"""

import hashlib
import os
import selectors
import socket
import sys


def serve(addr, port, ready, count):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(8)
    with open(ready, "w") as f:
        f.write("ready\n")
    for _ in range(count):
        c, _ = ls.accept()
        with c:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
    return 0


def send(addr, port, nbytes):
    data = hashlib.shake_256(b"edgelb-kpath").digest(nbytes)
    s = socket.create_connection((addr, port), timeout=20)
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    out, back = 0, bytearray()
    while True:
        events = sel.select(timeout=20)
        if not events:
            print("timed out: sent %d, got back %d" % (out, len(back)))
            return 1
        for _, mask in events:
            if mask & selectors.EVENT_WRITE and out < nbytes:
                out += s.send(data[out:out + 65536])
                if out == nbytes:
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ)
            if mask & selectors.EVENT_READ:
                b = s.recv(65536)
                if not b:
                    ok = bytes(back) == data
                    print("echoed %d of %d bytes, sha256 %s, %s" %
                          (len(back), nbytes,
                           hashlib.sha256(back).hexdigest()[:16],
                           "same" if ok else "DIFFERENT"))
                    return 0 if ok else 1
                back += b


def main(argv):
    if len(argv) >= 5 and argv[1] == "serve":
        return serve(argv[2], int(argv[3]), argv[4],
                     int(argv[5]) if len(argv) > 5 else 1)
    if len(argv) == 5 and argv[1] == "send":
        return send(argv[2], int(argv[3]), int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

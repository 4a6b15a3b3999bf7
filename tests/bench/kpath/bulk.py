#!/usr/bin/python3
"""Bulk TCP for tests/bench/kpath.sh.

usage: bulk.py sink ADDR PORT READY_FILE COUNT
       bulk.py send ADDR PORT NBYTES

sink: listen on ADDR:PORT, write READY_FILE, then take COUNT connections
one after another, reading each to its end, then close it.
send: connect, send NBYTES (a 1 MiB buffer over and over), shut down the
write side and wait for the sink to close: every byte was received. Prints
{"bytes", "seconds", "mb_s"} (MB = 10^6 bytes), timed from connect to the
sink's close.
"""

import json
import socket
import sys
import time

CHUNK = 1 << 20


def sink(addr, port, ready, count):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(4)
    with open(ready, "w") as f:
        f.write("ready\n")
    buf = bytearray(CHUNK)
    for _ in range(count):
        c, _ = ls.accept()
        with c:
            while c.recv_into(buf):
                pass
    return 0


def send(addr, port, nbytes):
    data = b"\x5a" * CHUNK
    t0 = time.monotonic()
    s = socket.create_connection((addr, port), timeout=120)
    left = nbytes
    while left > 0:
        n = min(left, CHUNK)
        s.sendall(data[:n])
        left -= n
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    dt = time.monotonic() - t0
    s.close()
    print(json.dumps({"bytes": nbytes, "seconds": round(dt, 4),
                      "mb_s": round(nbytes / dt / 1e6, 1)}))
    return 0


def main(argv):
    if len(argv) == 6 and argv[1] == "sink":
        return sink(argv[2], int(argv[3]), argv[4], int(argv[5]))
    if len(argv) == 5 and argv[1] == "send":
        return send(argv[2], int(argv[3]), int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

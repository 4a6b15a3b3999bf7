#!/usr/bin/python3
"""Round trips of state-changing commands through edgelbd's management
socket, as an operator's tool sees them (connect, request, answer): the
whole apply (parse, validate, build, publish, RCU wait, audit fsync) plus
the socket, without edgelbctl's process start.

  socket_rt.py SOCKET N_WEIGHTS N_RELOADS OUT.json
"""
import json
import socket
import statistics
import sys
import time


def call(path, cmd):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(cmd.encode() + b"\n")
    s.shutdown(socket.SHUT_WR)
    buf = b""
    while True:
        c = s.recv(1 << 20)
        if not c:
            break
        buf += c
    s.close()
    a = json.loads(buf)
    if isinstance(a, dict) and "error" in a:
        raise SystemExit("socket_rt.py: %s: %s" % (cmd, a["error"]))
    return a


def timed(path, cmds):
    ts = []
    for c in cmds:
        t = time.perf_counter()
        call(path, c)
        ts.append((time.perf_counter() - t) * 1000)
    return sorted(ts)


def rows(name, ts, target):
    p99 = ts[min(len(ts) - 1, int(0.99 * len(ts)))]
    r = [{"name": "%s: median of %d" % (name, len(ts)),
          "value": statistics.median(ts), "unit": "ms"},
         {"name": "%s: 99th percentile" % name, "value": p99, "unit": "ms"}]
    if target is not None:
        r[0]["target"] = "<= %g ms" % target
        r[0]["met"] = r[0]["value"] <= target
    return r


def main():
    path, nw, nr, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        sys.argv[4]
    call(path, "status")
    w = timed(path, ["weight b0007 %d" % (3 + i % 2) for i in range(nw)])
    r = timed(path, ["reload"] * nr)
    res = {"part": "mgmt",
           "rows": rows("edgelbctl-style `weight` through the socket, "
                        "N=1000 M=65537, worker idle", w, 3.0) +
           rows("`reload` through the socket, N=1000 M=65537, worker idle",
                r, 20.0)}
    json.dump(res, open(out, "w"), indent=1)
    for x in res["rows"]:
        print("  %-80s %8.2f %s  %s" % (x["name"], x["value"], x["unit"],
              x.get("target", "")))


if __name__ == "__main__":
    main()

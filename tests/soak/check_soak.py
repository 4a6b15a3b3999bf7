#!/usr/bin/python3
"""The soak's verdict (tests/soak/run.sh): failures outside outage windows,
and counters of workers, CLI, client and nginx against each other.

usage: check_soak.py WORKDIR CLIENT_IP CLIENT_TIMEOUT_S
Prints PASS:/FAIL: lines and the figures.
"""

import json
import os
import subprocess
import sys
from collections import Counter

T_ID = os.environ.get("T_ID", "soak")
FAILS = 0


def check(ok, what):
    global FAILS
    print("%s: %s: %s" % ("PASS" if ok else "FAIL", T_ID, what))
    FAILS += not ok


def load(d, name):
    with open(os.path.join(d, name)) as f:
        return json.load(f)


def windows(d, timeout):
    """[(start, end, backend, what)]: from timeout s before a backend went
    down to 1 s after health saw it up again."""
    out, down = [], {}
    for line in open(os.path.join(d, "events")):
        t, kind, *rest = line.split()
        if kind == "down":
            down[rest[0]] = (float(t), " ".join(rest))
        elif kind == "up" and rest[0] in down:
            t0, what = down.pop(rest[0])
            out.append((t0 - timeout, float(t) + 1.0, rest[0], what))
    for name, (t0, what) in down.items():
        out.append((t0 - timeout, float("inf"), name, what))
    return out


def connections(d):
    """[(start, end, port, backend or None, error or None)]."""
    out = []
    for line in open(os.path.join(d, "connections")):
        start, end, port, who = line.rstrip("\n").split(" ", 3)
        if port != "-":
            out.append((float(start), float(end), int(port), who, None))
            continue
        err, _, p = who.partition(" port=")
        out.append((float(start), float(end), int(p) if p else None,
                    None, err))
    return out


def lookup(client_ip, vip, ports):
    """{port: (source, backend)} for tcp CLIENT_IP:port -> VIP:80."""
    out = {}
    ports = sorted(set(ports))
    for i in range(0, len(ports), 1000):
        body = "".join("tcp %s %d %s 80\n" % (client_ip, p, vip)
                       for p in ports[i:i + 1000])
        ans = json.loads(subprocess.run(
            [os.environ["EDGELBCTL"], "-s", os.environ["ELBD_SOCK"], "-j",
             "lookup", "-"], input=body, capture_output=True, text=True,
            check=True).stdout)
        for p, a in zip(ports[i:i + 1000], ans):
            out[p] = (a.get("source"), a.get("backend"))
    return out


def nginx_ports(d, client_ip):
    """{backend: Counter(source port)} of the requests nginx logged."""
    out = {}
    for i in (1, 2, 3):
        c = Counter()
        for line in open(os.path.join(d, "b%d" % i, "access.log")):
            f = line.split()
            if len(f) >= 3 and f[0] == client_ip and f[2] == "200":
                c[int(f[1])] += 1
        out["web%d" % i] = c
    return out


def flows_of(backends):
    return {b["name"]: int(b["new_flows"]) for b in backends
            if b.get("vip") == "web"}


def main():
    d, client_ip, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    win = windows(d, timeout)
    conns = connections(d)
    client = load(d, "client.json")

    # ---- failures: each on a backend in its outage window ----
    failed = [c for c in conns if c[4] is not None]
    last = {}
    for c in conns:
        if c[2] is not None:
            last[c[2]] = c
    where = lookup(client_ip, os.environ["VIP"],
                   [c[2] for c in failed if c[2] is not None])
    verdict = Counter()
    bad = []
    for c in failed:
        wins = [w for w in win if w[0] <= c[0] <= w[1]]
        src, be = where.get(c[2], (None, None))
        if not wins:
            verdict["outside every window"] += 1
            bad.append(c)
        elif last.get(c[2]) is not c or src != "flow":
            # Its port was used again since, or its flow is gone.
            verdict["in a window, backend unknown"] += 1
        elif any(w[2] == be for w in wins):
            verdict["on the backend taken out"] += 1
        else:
            verdict["on a backend that stayed up"] += 1
            bad.append(c)
    kinds = Counter(c[4] for c in failed)
    print("connections %d, ok %d, failed %d %s %s" %
          (len(conns), len(conns) - len(failed), len(failed),
           dict(kinds), dict(verdict)))
    print("outage windows: %d, %.0f s in all" %
          (len(win), sum(min(b, 1e12) - a for a, b, _, _ in win)))
    check(len(conns) > 0 and not bad,
          "no connection failed whose backend stayed up (%d did%s)" %
          (len(bad), ": " + "; ".join(
              "%.3f port %s %s (lookup: %s)" %
              (c[0], c[2], c[4], where.get(c[2])) for c in bad[:5])
           if bad else ""))
    check(verdict["in a window, backend unknown"] <= len(failed) // 10,
          "the backend of nearly every failure is known (%d of %d not)" %
          (verdict["in a window, backend unknown"], len(failed)))
    check(client.get("attempted") == len(conns),
          "every attempt is in the event log (%s attempted, %d lines)" %
          (client.get("attempted"), len(conns)))

    # ---- the client against nginx ----
    seen = nginx_ports(d, client_ip)
    ok = Counter()
    missing = []
    want = {}
    for start, end, port, who, err in conns:
        if err is not None:
            continue
        ok[who] += 1
        want.setdefault(who, Counter())[port] += 1
    for who, ports in want.items():
        for port, n in ports.items():
            if seen.get(who, Counter())[port] < n:
                missing.append("%s:%d" % (who, port))
    check(not missing,
          "every successful connection is in the log of the backend that "
          "answered it (%d missing%s)" %
          (len(missing), ": " + ", ".join(missing[:5]) if missing else ""))

    # ---- counters ----
    s0, s1 = load(d, "stats0.json"), load(d, "stats1.json")
    pc = load(d, "percore1.json")
    b0, b1 = flows_of(load(d, "backends0.json")), \
        flows_of(load(d, "backends1.json"))
    vip = lambda s: int(next(v for v in s["vips"]
                             if v["name"] == "web")["new_flows"])
    summed = {k: sum(int(w[k]) for w in pc["workers"])
              for k in ("rx_packets", "tx_packets", "new_flows")}
    check(all(summed[k] == int(pc["totals"][k]) for k in summed),
          "per-core counters sum to the totals (%s vs %s)" %
          (summed, {k: pc["totals"][k] for k in summed}))
    check(summed["new_flows"] == int(s1["totals"]["new_flows"]) == vip(s1),
          "new_flows: workers %d, stats totals %s, VIP web %d" %
          (summed["new_flows"], s1["totals"]["new_flows"], vip(s1)))
    check(sum(b1.values()) == vip(s1),
          "the VIP's new_flows are its backends' (%d = %s)" %
          (vip(s1), b1))
    dflows = {b: b1[b] - b0.get(b, 0) for b in b1}
    dvip = vip(s1) - vip(s0)
    check(all(dflows.get(b, 0) >= n for b, n in ok.items()),
          "each backend's new_flows at least its successful connections "
          "(%s >= %s)" % (dflows, dict(ok)))
    # A SYN retried after its backend was taken out is scheduled anew:
    # at most one more flow per failed connection.
    check(sum(ok.values()) <= dvip <= len(conns) + len(failed),
          "new_flows during the soak between successes and attempts plus "
          "failures (%d <= %d <= %d + %d)" %
          (sum(ok.values()), dvip, len(conns), len(failed)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""One phase of tests/bench/healthd.sh, from what it saved in DIR: prints
one JSON line.

  phase.py DIR NAME ROUND BACKENDS INTERVAL_MS

DIR holds pid, cpu-{start,end}.txt (a time, then /proc/PID/task/*/stat),
ctxsw-{start,end}.txt ("TID involuntary-context-switches" per thread),
stall-{0,1}.json (healthd/stall.py on CPU 0 and 1 over the window),
{stats,percore,health}-{start,end}.json (the time it was asked, then
edgelbctl -j's answer, taken just before the window opened and just after
it closed) and client.json (tests/integration/client.py's summary).
Rates divide by the time between the two queries they come from.
"""
import json
import os
import sys


def threads(path):
    """(time, {tid: (comm, utime + stime in ticks)})."""
    lines = open(path).read().splitlines()
    out = {}
    for line in lines[1:]:
        head, _, rest = line.rpartition(")")
        tid, _, comm = head.partition(" (")
        f = rest.split()
        # rest starts at field 3 (state): utime is field 14, stime 15.
        out[int(tid)] = (comm, int(f[11]) + int(f[12]))
    return float(lines[0]), out


def load(d, name):
    return json.load(open(os.path.join(d, name)))


def answer(d, name):
    """(time asked, answer) of a query's file."""
    t, _, body = open(os.path.join(d, name)).read().partition("\n")
    return float(t), json.loads(body)


def ctxsw(path):
    return {int(tid): int(n) for tid, n in
            (line.split() for line in open(path) if len(line.split()) == 2)}


def main():
    d, name, rnd, backends, interval_ms = sys.argv[1:]
    pid = int(open(os.path.join(d, "pid")).read())
    hz = os.sysconf("SC_CLK_TCK")
    t0, c0 = threads(os.path.join(d, "cpu-start.txt"))
    t1, c1 = threads(os.path.join(d, "cpu-end.txt"))
    wall = t1 - t0

    def pct(tid):
        return 100.0 * (c1[tid][1] - c0.get(tid, ("", 0))[1]) / hz / wall

    by_thread = {}
    for tid in c1:
        comm = c1[tid][0] + ("" if tid != pid else " (main)")
        by_thread[comm] = round(by_thread.get(comm, 0) + pct(tid), 2)

    ts0, s0 = answer(d, "stats-start.json")
    ts1, s1 = answer(d, "stats-end.json")
    p0, p1 = s0["ports"][0], s1["ports"][0]
    k = {key: p1[key] - p0[key] for key in
         ("to_kernel", "from_kernel", "kernel_tx_packets", "kernel_tx_full",
          "from_kernel_ring_full", "arp_to_kernel")}
    drops = {r: n - p0["drops"].get(r, 0) for r, n in p1["drops"].items()
             if n - p0["drops"].get(r, 0)}
    wakeups = s1["kernel"]["wakeups"] - s0["kernel"]["wakeups"]

    w0 = answer(d, "percore-start.json")[1]["workers"]
    w1 = answer(d, "percore-end.json")[1]["workers"]
    busy1 = [w["busy_loop_max_us"] for w in w1]
    busy0 = [w["busy_loop_max_us"] for w in w0]

    th0, h0 = answer(d, "health-start.json")
    th1, h1 = answer(d, "health-end.json")
    ck0, ck1 = h0["checker"], h1["checker"]
    checked = ck1["backends_checked"]
    expected = checked * (th1 - th0) * 1000.0 / int(interval_ms)
    x0 = ctxsw(os.path.join(d, "ctxsw-start.txt"))
    x1 = ctxsw(os.path.join(d, "ctxsw-end.txt"))
    preempted = {c1[t][0]: x1[t] - x0.get(t, 0) for t in x1 if t in c1}
    up = sum(b["health"] == "up" for b in h1["backends"])

    stall = [load(d, "stall-%d.json" % c) for c in (0, 1)]
    cl = load(d, "client.json")
    print(json.dumps({
        "phase": name, "round": int(rnd), "seconds": round(wall, 3),
        "mgmt_cpu_pct": round(pct(pid), 3),
        "process_cpu_pct": round(sum(pct(t) for t in c1), 3),
        "worker_cpu_pct": round(sum(pct(t) for t in c1
                                    if c1[t][0].startswith("rte-worker")), 3),
        "threads_cpu_pct": by_thread,
        "busy_loop_max_us": max(busy1),
        "busy_loop_max_us_per_worker": busy1,
        "busy_loop_max_rose_in_window": max(busy1) > max(busy0),
        "backends": int(backends), "backends_checked": checked,
        "checks": ck1["checks"] - ck0["checks"],
        "checks_expected": round(expected, 1),
        "check_failures": ck1["failures"] - ck0["failures"],
        "checks_total": ck1["checks"], "late_samples": ck1["late_samples"],
        "late_p50_ms": ck1["late_p50_ms"], "late_p99_ms": ck1["late_p99_ms"],
        "late_max_ms": ck1["late_max_ms"], "in_flight_end": ck1["in_flight"],
        "transitions_in_window": ck1["transitions"] - ck0["transitions"],
        "up": up,
        "to_kernel_per_s": round(k["to_kernel"] / (ts1 - ts0), 1),
        "from_kernel_per_s": round(k["from_kernel"] / (ts1 - ts0), 1),
        "wakeups_per_s": round(wakeups / (ts1 - ts0), 1),
        "involuntary_switches": preempted,
        "worker_involuntary_switches": sum(
            n for c, n in preempted.items() if c.startswith("rte-worker")),
        "kernel": k, "drops": drops,
        "kernel_path_dropped": k["kernel_tx_full"] +
        k["from_kernel_ring_full"] + drops.get("kernel_ring_full", 0),
        "sleeper_worst_ms": [x["worst_ms"] for x in stall],
        "sleeper": stall,
        "client_ok": cl["ok"], "client_failed": cl["failed"],
        "client_errors": cl["errors"], "client_rate": cl["rate_per_s"],
    }))


if __name__ == "__main__":
    main()

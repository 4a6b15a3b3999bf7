#!/usr/bin/python3
"""Time `edgelbctl selftest` while the workers forward, and the workers'
busy-loop maximum in windows with and without one (tests/bench/selftest.sh).

  measure.py CTL SOCK VIP FLOWS ROUNDS WINDOW_S OUT.json

Rounds alternate A (a window with nothing asked) and B (a window that
starts with a self-test of FLOWS flows): each window starts with
`stats --per-core --reset-max` and lasts WINDOW_S; its busy-loop maximum is
the largest busy_loop_max_us of the workers read at its end.
"""
import json
import statistics
import subprocess
import sys
import time


def ctl(c, sock, *args):
    r = subprocess.run([c, "-s", sock, "-j"] + list(args),
                       capture_output=True, text=True, timeout=30)
    return r.returncode, json.loads(r.stdout)


def window(c, sock, vip, flows, win, with_selftest):
    ctl(c, sock, "stats", "--per-core", "--reset-max")
    t0 = time.monotonic()
    st = None
    if with_selftest:
        rc, a = ctl(c, sock, "selftest", vip, "--flows", str(flows))
        wall_ms = (time.monotonic() - t0) * 1000
        if rc != 0 or not a.get("passed"):
            raise SystemExit("selftest failed: %s" % json.dumps(a)[:500])
        st = {"elapsed_ms": a["elapsed_ms"], "wall_ms": wall_ms}
    left = win - (time.monotonic() - t0)
    if left > 0:
        time.sleep(left)
    _, pc = ctl(c, sock, "stats", "--per-core")
    loop = max(float(w["busy_loop_max_us"]) for w in pc["workers"])
    rx = sum(int(w["rx_packets"]) for w in pc["workers"])
    return st, loop, rx


def main():
    c, sock, vip, flows, rounds, win, out = sys.argv[1:8]
    flows, rounds, win = int(flows), int(rounds), float(win)
    a_loops, b_loops, st = [], [], []
    rx0 = None
    for i in range(rounds):
        for with_st in ((False, True) if i % 2 == 0 else (True, False)):
            s, loop, rx = window(c, sock, vip, flows, win, with_st)
            if rx0 is not None and rx <= rx0:
                raise SystemExit("the workers stopped forwarding")
            rx0 = rx
            (b_loops if with_st else a_loops).append(loop)
            if s:
                st.append(s)
    med = statistics.median
    res = {
        "flows": flows, "rounds": rounds, "window_s": win,
        "selftest_ms": [s["elapsed_ms"] for s in st],
        "edgelbctl_ms": [round(s["wall_ms"], 1) for s in st],
        "busy_loop_max_us_without": a_loops,
        "busy_loop_max_us_with": b_loops,
    }
    worst = max(s["wall_ms"] for s in st)
    res["rows"] = [
        {"name": "selftest of %d flows, workers forwarding, edgelbctl "
                 "round trip, worst of %d" % (flows, rounds),
         "value": round(worst, 1), "unit": "ms", "target": "<= 1000",
         "met": worst <= 1000},
        {"name": "the same, median (daemon's elapsed_ms: median %s)" %
                 med(res["selftest_ms"]),
         "value": round(med(s["wall_ms"] for s in st), 1), "unit": "ms"},
        {"name": "workers' busy-loop max in a %.1f s window with a "
                 "selftest, median (max %.1f)" % (win, max(b_loops)),
         "value": round(med(b_loops), 1), "unit": "us"},
        {"name": "the same without one, median (max %.1f)" % max(a_loops),
         "value": round(med(a_loops), 1), "unit": "us"},
    ]
    json.dump(res, open(out, "w"), indent=1)
    for r in res["rows"]:
        print("%-90s %8s %s %s" % (r["name"], r["value"], r["unit"],
                                   r.get("target", "")))
    return 0 if worst <= 1000 else 1


if __name__ == "__main__":
    sys.exit(main())

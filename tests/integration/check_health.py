#!/usr/bin/python3
"""Timings of health checks from client.py --events logs.

  check_health.py outage EVENTS T END BACKEND BOUND
      BACKEND failed at wall-clock T (until END, when it was brought back).
      Passes if no new connection started in [T, END) reached it, every
      failed connection of that window started within BOUND s of T. Prints the measured detection time (the last
      failed start, or the last one it served, after T) and the failures.
  check_health.py back EVENTS T BACKEND
      BACKEND came back at T: prints the delay to the first connection it
      served (started after T); fails if it served none.
  check_health.py share EVENTS T0 T1 BACKEND EXPECTED
      BACKEND's share of the connections started in [T0, T1) is EXPECTED
      within 4.5 standard deviations of a binomial sample of that size.
"""

import json
import math
import sys


def events(path):
    with open(path) as f:
        for line in f:
            start, end, port, who = line.split(None, 3)
            yield float(start), float(end), port, who.strip()


def outage(path, t, end, backend, bound):
    failed, last, served_after = [], t, 0
    for start, _, port, who in events(path):
        if start < t or start >= end:
            continue
        if port == "-":
            failed.append(start)
            last = max(last, start)
        elif who == backend:
            served_after += 1
            last = max(last, start)
    late = [s for s in failed if s > t + bound]
    res = {"detect_s": round(last - t, 3), "failed": len(failed),
           "failed_after_bound": len(late), "served_after": served_after,
           "bound_s": bound}
    print(json.dumps(res))
    return res["detect_s"] <= bound and not late and served_after == 0


def back(path, t, backend):
    first = min((s for s, _, port, who in events(path)
                 if s >= t and who == backend), default=None)
    print(json.dumps({"back_s": None if first is None
                      else round(first - t, 3)}))
    return first is not None


def share(path, t0, t1, backend, expected):
    n = hits = 0
    for start, _, port, who in events(path):
        if t0 <= start < t1 and port != "-":
            n += 1
            hits += who == backend
    if n == 0:
        print(json.dumps({"n": 0}))
        return False
    bound = 4.5 * math.sqrt(expected * (1 - expected) / n)
    res = {"n": n, "observed": round(hits / n, 4), "expected": expected,
           "bound": round(bound, 4)}
    print(json.dumps(res))
    return abs(hits / n - expected) <= bound


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "outage":
        ok = outage(path, float(sys.argv[3]), float(sys.argv[4]),
                    sys.argv[5], float(sys.argv[6]))
    elif cmd == "back":
        ok = back(path, float(sys.argv[3]), sys.argv[4])
    elif cmd == "share":
        ok = share(path, float(sys.argv[3]), float(sys.argv[4]), sys.argv[5],
                   float(sys.argv[6]))
    else:
        raise SystemExit(__doc__)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""How late a thread that sleeps 5 ms at a time wakes, on one CPU, for a
while: the machine's own scheduling noise (another tenant, a kernel
thread, the hypervisor), so that a long busy loop or a burst of failed
checks can be told apart from edgelb's doing. Prints one JSON object.

  stall.py CPU SECONDS
"""
import json
import os
import sys
import time


def main():
    cpu, secs = int(sys.argv[1]), float(sys.argv[2])
    os.sched_setaffinity(0, {cpu})
    nap = 0.005
    worst, over20, over100, n = 0.0, 0, 0, 0
    end = time.monotonic() + secs
    while True:
        t = time.monotonic()
        if t >= end:
            break
        time.sleep(nap)
        late = (time.monotonic() - t - nap) * 1000.0
        n += 1
        worst = max(worst, late)
        over20 += late > 20
        over100 += late > 100
    print(json.dumps({"cpu": cpu, "wakeups": n, "worst_ms": round(worst, 1),
                      "over_20ms": over20, "over_100ms": over100}))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Driver of tests/bench/metrics.sh: ROUNDS pairs of windows of WINDOW_S
seconds, one without scraping and one scraping URL every second, each
starting with the workers' maxima reset; prints and writes the figures.

  drive.py EDGELBCTL SOCKET URL WINDOW_S ROUNDS OUT.json WORKERS
"""
import json
import statistics
import subprocess
import sys
import time
import urllib.request


def ctl(edgelbctl, sock, *args):
    out = subprocess.run([edgelbctl, "-s", sock, "-j", *args],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def busy_max_us(edgelbctl, sock, reset=False):
    args = ["stats", "--per-core"] + (["--reset-max"] if reset else [])
    return [w["busy_loop_max_us"] for w in ctl(edgelbctl, sock, *args)
            ["workers"]]


def window(edgelbctl, sock, url, seconds, scrape):
    busy_max_us(edgelbctl, sock, reset=True)
    times, size = [], 0
    end = time.monotonic() + seconds
    nxt = time.monotonic()
    while time.monotonic() < end:
        if scrape:
            t0 = time.perf_counter()
            with urllib.request.urlopen(url, timeout=5) as r:
                body = r.read()
            times.append((time.perf_counter() - t0) * 1e3)
            size = len(body)
        nxt += 1.0
        time.sleep(max(0.0, nxt - time.monotonic()))
    return times, size, busy_max_us(edgelbctl, sock)


def main():
    edgelbctl, sock, url = sys.argv[1:4]
    seconds, rounds, out = float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    w = int(sys.argv[7])
    # Warm up: the first render sizes the buffer, the first scrape opens
    # the connection path.
    urllib.request.urlopen(url, timeout=5).read()
    res = {"without": [], "with": [], "scrape_ms": [], "bytes": 0}
    for _ in range(rounds):
        _, _, quiet = window(edgelbctl, sock, url, seconds, False)
        times, size, loud = window(edgelbctl, sock, url, seconds, True)
        res["without"].append(quiet)
        res["with"].append(loud)
        res["scrape_ms"] += times
        res["bytes"] = size
    t = sorted(res["scrape_ms"])
    res["scrape_ms_p50"] = statistics.median(t)
    res["scrape_ms_max"] = t[-1]
    res["busy_max_us_without"] = max(max(w) for w in res["without"])
    res["busy_max_us_with"] = max(max(w) for w in res["with"])
    tag = "1000 backends, %d worker%s" % (w, "s" if w > 1 else "")
    res["rows"] = [
        {"name": "scrape of /metrics, %s, median" % tag,
         "value": res["scrape_ms_p50"], "unit": "ms"},
        {"name": "scrape of /metrics, %s, max" % tag,
         "value": res["scrape_ms_max"], "unit": "ms", "target": "<= 50",
         "met": res["scrape_ms_max"] <= 50},
        {"name": "exposition size, %s" % tag, "value": res["bytes"],
         "unit": "bytes"},
        {"name": "busy-loop max, no scraping, %s" % tag,
         "value": res["busy_max_us_without"], "unit": "us"},
        {"name": "busy-loop max, scraping every second, %s" % tag,
         "value": res["busy_max_us_with"], "unit": "us"},
    ]
    json.dump(res, open(out, "w"), indent=1)
    print("scrapes %d, %d bytes, %d lines: p50 %.1f ms, max %.1f ms "
          "(bound 50 ms)" % (len(t), res["bytes"],
                             urllib.request.urlopen(url).read().count(b"\n"),
                             res["scrape_ms_p50"], res["scrape_ms_max"]))
    for i, (q, l) in enumerate(zip(res["without"], res["with"])):
        print("round %d: busy-loop max per worker without scraping %s us, "
              "with %s us" % (i, ["%.1f" % x for x in q],
                              ["%.1f" % x for x in l]))
    print("busy-loop max over the run: without %.1f us, with %.1f us"
          % (res["busy_max_us_without"], res["busy_max_us_with"]))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Turn tests/bench/healthd.sh's phases into OUT.json and a table.

  report.py PHASES.jsonl OUT.json BACKENDS INTERVAL_MS TIMEOUT_MS RATE
            IDLE_SLEEP_US MEM_ARGS

Each line of PHASES.jsonl is one phase of one round (healthd/phase.py):
A = health none, B = health tcp. Per phase the figures are the median
over rounds, but the lateness figures and the backends up are the worst
round's. Exits 1 when a B phase ended with a backend not up (the
bench failed: the checks, or the path they take, lost a backend).
"""
import json
import statistics
import sys

# What the management (main) thread's CPU covers.
MGMT_THREAD = (
    "edgelbd's main lcore runs its event loop: the management socket, the "
    "20 ms tick (ARP passed up by the workers, neighbour and health "
    "changes applied as generations), the 1 s housekeeping, signals "
    "(net_tap's per-frame real-time signal), the kernel exception path "
    "(TAP reads and writes: the kernel's work on those frames runs in its "
    "system calls) and the health checker (connect, close).")


def main():
    path, out, backends, interval_ms, timeout_ms, rate, idle, mem = \
        sys.argv[1:]
    backends = int(backends)
    phases = [json.loads(line) for line in open(path) if line.strip()]
    a = [p for p in phases if p["phase"] == "A"]
    b = [p for p in phases if p["phase"] == "B"]

    def med(ps, key):
        return round(statistics.median(p[key] for p in ps), 3)

    def rounds(ps, key):
        return " / ".join("%.0f" % p[key] for p in ps)

    cpu_a, cpu_b = med(a, "mgmt_cpu_pct"), med(b, "mgmt_cpu_pct")
    busy_a, busy_b = med(a, "busy_loop_max_us"), med(b, "busy_loop_max_us")
    p99 = max(p["late_p99_ms"] for p in b)
    up = min(p["up"] for p in b)
    done = sum(p["checks"] for p in b) / sum(p["checks_expected"] for p in b)
    failed_a = sum(p["client_failed"] for p in a)
    failed_b = sum(p["client_failed"] for p in b)
    pre = "%d backends, tcp every %s ms: " % (backends, interval_ms)
    rows = [
        {"name": pre + "management thread CPU, checks (B)",
         "value": cpu_b, "unit": "% of one core", "target": "<= 10",
         "met": cpu_b <= 10.0},
        {"name": pre + "management thread CPU, health = none (A)",
         "value": cpu_a, "unit": "% of one core"},
        {"name": pre + "start lateness p50 (B)",
         "value": max(p["late_p50_ms"] for p in b), "unit": "ms"},
        {"name": pre + "start lateness p99 (B)", "value": p99, "unit": "ms",
         "target": "<= 50", "met": p99 <= 50.0},
        {"name": pre + "start lateness max (B)",
         "value": max(p["late_max_ms"] for p in b), "unit": "ms"},
        {"name": pre + "worker busy-loop max, none (A)", "value": busy_a,
         "unit": "us, median of " + rounds(a, "busy_loop_max_us")},
        {"name": pre + "worker busy-loop max, checks (B)", "value": busy_b,
         "unit": "us, median of " + rounds(b, "busy_loop_max_us")},
        {"name": pre + "worker busy-loop max B / A, same run",
         "value": round(busy_b / busy_a, 2) if busy_a else 0.0,
         "unit": "ratio", "target": "unchanged (noisy VM: shown, not gated)"},
        {"name": pre + "worker threads' CPU, A / B",
         "value": "%.1f / %.1f" % (med(a, "worker_cpu_pct"),
                                   med(b, "worker_cpu_pct")),
         "unit": "% of one core"},
        {"name": pre + "worker preempted in the window (involuntary "
         "context switches), A / B",
         "value": "%d / %d" % (med(a, "worker_involuntary_switches"),
                               med(b, "worker_involuntary_switches")),
         "unit": "per window"},
        {"name": pre + "worst wake-up delay of a 5 ms sleeper on CPU 0 / "
         "CPU 1 (the machine's noise), A / B",
         "value": "%.0f, %.0f / %.0f, %.0f" % (
             max(p["sleeper_worst_ms"][0] for p in a),
             max(p["sleeper_worst_ms"][1] for p in a),
             max(p["sleeper_worst_ms"][0] for p in b),
             max(p["sleeper_worst_ms"][1] for p in b)),
         "unit": "ms, worst round"},
        {"name": pre + "checks done / expected in the windows (B)",
         "value": round(done, 4), "unit": "ratio"},
        {"name": pre + "check failures in the windows (B)",
         "value": sum(p["check_failures"] for p in b), "unit": "checks"},
        {"name": pre + "backend transitions in the windows (B: down and "
         "up again)", "value": sum(p["transitions_in_window"] for p in b),
         "unit": "transitions"},
        {"name": pre + "frames dropped on the kernel path (B: rings or "
         "TAP full)", "value": sum(p["kernel_path_dropped"] for p in b),
         "unit": "frames"},
        {"name": pre + "backends up at the end (B, fewest)", "value": up,
         "unit": "of %d" % backends, "target": "= %d" % backends,
         "met": up == backends},
        {"name": pre + "frames to / from the kernel interface (B)",
         "value": "%.0f / %.0f" % (med(b, "to_kernel_per_s"),
                                   med(b, "from_kernel_per_s")),
         "unit": "per s"},
        {"name": pre + "frames to / from the kernel interface (A)",
         "value": "%.0f / %.0f" % (med(a, "to_kernel_per_s"),
                                   med(a, "from_kernel_per_s")),
         "unit": "per s"},
        {"name": pre + "client connections failed, A / B",
         "value": "%d / %d" % (failed_a, failed_b),
         "unit": "of %d / %d" % (sum(p["client_ok"] + p["client_failed"]
                                     for p in a),
                                 sum(p["client_ok"] + p["client_failed"]
                                     for p in b)),
         "target": "0", "met": failed_a + failed_b == 0},
    ]
    json.dump({"part": "healthd", "rows": rows, "phases": phases,
               "hugepages": "--no-huge" not in mem.split(),
               "config": {"backends": backends, "interval_ms": int(interval_ms),
                          "timeout_ms": int(timeout_ms),
                          "client_rate": float(rate),
                          "idle_sleep_us": int(idle), "eal_memory": mem,
                          "note": "busy-loop max and lateness: since each "
                          "phase's edgelbd started; CPU, checks and "
                          "counters: the window only",
                          "mgmt_thread": MGMT_THREAD}},
              open(out, "w"), indent=1)

    print("  %-5s %-5s %8s %9s %7s %9s %13s %6s %16s %5s %13s %8s" % (
        "round", "phase", "mgmt_cpu", "busy_max", "preempt", "sleeper",
        "checks/expect", "failed", "late p50/p99/max", "up",
        "to/from kern/s", "cli_fail"))
    for p in phases:
        print("  %-5d %-5s %7.2f%% %7.1fus %7d %9s %6d/%-6.0f %6d %16s %5s "
              "%13s %8d" % (
            p["round"], p["phase"], p["mgmt_cpu_pct"], p["busy_loop_max_us"],
            p["worker_involuntary_switches"],
            "%.0f,%.0fms" % tuple(p["sleeper_worst_ms"]),
            p["checks"], p["checks_expected"], p["check_failures"],
            "%.1f/%.1f/%.1f" % (p["late_p50_ms"], p["late_p99_ms"],
                                p["late_max_ms"]) if p["phase"] == "B"
            else "-", p["up"] if p["phase"] == "B" else "-",
            "%.0f/%.0f" % (p["to_kernel_per_s"], p["from_kernel_per_s"]),
            p["client_failed"]))
    for r in rows:
        t = r.get("target", "")
        if "met" in r:
            t += "  met" if r["met"] else "  MISSED"
        print("  %-72s %12s %-14s %s" % (r["name"], r["value"], r["unit"], t))
    if up != backends:
        print("healthd: FAILED: %d of %d backends up at the end of a phase "
              "with checks" % (up, backends), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

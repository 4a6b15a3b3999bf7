#!/usr/bin/python3
"""Live per-backend distribution for deploy/demo.sh.

usage: dashboard.py EDGELBCTL SOCKET SECONDS

Every second, for SECONDS seconds, reads `edgelbctl -j backends` and redraws
one row per backend: weight (and the weight its table uses now, during a
slow start), state and health, expected share, observed share of the new flows
of the last second (so a live change shows at once), new flows per second and
a bar of the observed share (| marks the expected share).
Clears the screen only when stdout is a terminal.
"""

import json
import subprocess
import sys
import time

BAR = 40


def backends(ctl, sock):
    r = subprocess.run([ctl, "-s", sock, "-j", "backends"],
                       capture_output=True, text=True, timeout=5)
    v = json.loads(r.stdout)
    if isinstance(v, dict):
        raise RuntimeError(v.get("error", "unexpected answer"))
    return v


def bar(observed, expected):
    cells = [" "] * BAR
    n = min(BAR, int(round(observed * BAR)))
    for i in range(n):
        cells[i] = "#"
    e = min(BAR - 1, int(round(expected * BAR)))
    cells[e] = "|"
    return "".join(cells)


def draw(rows, prev, dt, elapsed, total, tty):
    out = []
    if tty:
        out.append("\033[H\033[2J")
    else:
        out.append("\n")
    out.append("edgelb demo: live distribution of new connections "
               "(%2d/%d s)\n\n" % (elapsed, total))
    out.append("%-6s %-7s %9s %-8s %-9s %9s %9s %9s %7s  %s\n" %
               ("vip", "backend", "weight", "state", "health", "expected",
                "observed", "new_flows", "flows/s",
                "observed share (| = expected)"))
    per_vip = {}
    for b in rows:
        nf = int(b["new_flows"])
        d = nf - prev.get((b["vip"], b["name"]), nf)
        per_vip[b["vip"]] = per_vip.get(b["vip"], 0) + d
    for b in rows:
        key = (b["vip"], b["name"])
        nf = int(b["new_flows"])
        rate = (nf - prev.get(key, nf)) / dt if dt > 0 else 0.0
        total_vip = per_vip[b["vip"]]
        obs = (nf - prev.get(key, nf)) / total_vip if total_vip else 0.0
        exp = float(b.get("expected_share", 0))
        w = str(b["weight"])
        if b.get("table_weight", b["weight"]) != b["weight"]:
            w = "%s/%s" % (b["table_weight"], b["weight"])
        out.append("%-6s %-7s %9s %-8s %-9s %8.1f%% %8.1f%% %9d %7.0f  [%s]\n"
                   % (b["vip"], b["name"], w, b.get("state", "?"),
                      b.get("health", "?"), 100 * exp, 100 * float(obs), nf,
                      rate, bar(float(obs), exp)))
    sys.stdout.write("".join(out))
    sys.stdout.flush()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ctl, sock, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tty = sys.stdout.isatty()
    errors = 0
    # A first sample, so that the first frame already shows rates.
    prev, t_prev = {}, time.monotonic()
    try:
        prev = {(b["vip"], b["name"]): int(b["new_flows"])
                for b in backends(ctl, sock)}
    except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired):
        pass
    start = t_prev
    time.sleep(1)
    while True:
        now = time.monotonic()
        try:
            rows = backends(ctl, sock)
        except (RuntimeError, ValueError, OSError,
                subprocess.TimeoutExpired) as e:
            errors += 1
            print("dashboard: edgelbctl backends: %s" % e, file=sys.stderr)
            if errors >= 3:
                return 1
            time.sleep(1)
            continue
        draw(rows, prev, now - t_prev, now - start, seconds, tty)
        prev = {(b["vip"], b["name"]): int(b["new_flows"]) for b in rows}
        t_prev = now
        if now - start >= seconds:
            return 0
        time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)

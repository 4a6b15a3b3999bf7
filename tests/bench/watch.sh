#!/usr/bin/env bash
# The distribution watch's cost on the management core (issue 18): one
# lb_watch_tick a second with 1000 backends (tests/bench/policy/
# gen_policy.py: 100 pools, max_share, capacity and min_healthy on all),
# 2 workers, in process (bench_watch: CPU time of a tick, median of TICKS
# after the window filled), with and without check latencies, and with
# the 1000 backends in one pool. Target: <= 5 % of one core, i.e. a tick
# of at most 50 ms. No root, no DPDK port started.
#
# Usage: tests/bench/watch.sh OUTDIR      env BUILD (build), TICKS (300)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: watch.sh OUTDIR}
BUILD=${BUILD:-build}
TICKS=${TICKS:-300}
BENCH=$BUILD/tests/bench/watch/bench_watch
[ -x "$BENCH" ] || { echo "watch.sh: $BENCH not built" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

gen=tests/bench/policy/gen_policy.py
/usr/bin/python3 "$gen" "$TMP/pools.ini"
/usr/bin/python3 "$gen" "$TMP/one_pool.ini" --pools 1

echo "== watch: lb_watch_tick, 1000 backends, 2 workers (median of $TICKS ticks)"
"$BENCH" "$TMP/pools.ini" "$TMP/one_pool.ini" "$TICKS" >"$TMP/out.tsv"
/usr/bin/python3 - "$TMP/out.tsv" "$OUT/watch.json" <<'PY'
import json, sys
rows = []
for line in open(sys.argv[1]):
    name, value, unit = line.rstrip("\n").split("\t")
    r = {"name": name + " (CPU, median)", "value": float(value),
         "unit": unit}
    if unit == "%":
        r["target"] = "<= 5"
        r["met"] = float(value) <= 5
    rows.append(r)
for r in rows:
    print("  %-90s %9.3f %s %s" % (r["name"], r["value"], r["unit"],
          (r.get("target", "") + (" met" if r.get("met") else
           " MISSED" if "met" in r else "")).strip()))
json.dump({"part": "watch", "rows": rows}, open(sys.argv[2], "w"), indent=1)
sys.exit(0 if all(r.get("met", True) for r in rows) else 1)
PY
echo "watch: wrote $OUT/watch.json"

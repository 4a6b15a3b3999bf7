#!/usr/bin/env bash
# Policy check at scale (issue 20): `edgelbd --check` of a 1000-backend,
# 100-VIP file with every policy key and n_minus_1 = yes on every pool
# (target <= 500 ms), against the same file without n_minus_1 and capacity
# (what the one-down evaluation costs), and with all 1000 backends in one
# pool (N-1 is N counts per pool: quadratic in the pool's size). CPU time
# (user + system) of each run, median of REPEATS, and the wall time of that
# run: the check is one thread that never waits, so CPU time is its cost
# and wall time adds only the wait for a core on a busy box (the load
# average is recorded). The target is held to the CPU time. Every run
# must exit 0 with "OK" (the file satisfies its policy): a check that
# failed early would be fast for nothing. Then bench_policy on the first
# file, in process: the snapshot's build, the policy evaluation, the gate a
# runtime change pays, and the one-down shares by full Maglev builds, which
# the counts replace (every count checked equal to its build). No root, no
# DPDK started.
#
# Usage: tests/bench/policy.sh OUTDIR      env BUILD (build), REPEATS (7)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: policy.sh OUTDIR}
BUILD=${BUILD:-build}
REPEATS=${REPEATS:-7}
EDGELBD=$BUILD/app/edgelbd/edgelbd
BENCH=$BUILD/tests/bench/policy/bench_policy
[ -x "$EDGELBD" ] || { echo "policy.sh: $EDGELBD not built" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "policy.sh: $BENCH not built" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

gen=tests/bench/policy/gen_policy.py
/usr/bin/python3 "$gen" "$TMP/full.ini"
sed -e 's/^n_minus_1 = yes$/n_minus_1 = no/' -e '/^capacity = /d' \
	"$TMP/full.ini" >"$TMP/no_n1.ini"
/usr/bin/python3 "$gen" "$TMP/one_pool.ini" --pools 1

echo "== policy: edgelbd --check at 1000 backends, 100 VIPs (median of $REPEATS)"
/usr/bin/python3 - "$EDGELBD" "$REPEATS" "$OUT/policy.json" \
	"$TMP/full.ini" "$TMP/no_n1.ini" "$TMP/one_pool.ini" "$BENCH" <<'PY'
import json, resource, statistics, subprocess, sys, time
edgelbd, repeats, out, full, no_n1, one, bench = sys.argv[1], \
    int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], \
    sys.argv[7]

def timed(path):
    runs = []
    for _ in range(repeats):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run([edgelbd, "--check", path], capture_output=True,
                           text=True)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        first = p.stdout.splitlines()[0] if p.stdout else ""
        if p.returncode != 0 or not first.endswith(": OK"):
            sys.exit("policy.sh: %s: exit %d, %r\n%s" % (
                path, p.returncode, first, p.stderr))
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        runs.append((cpu * 1e3, (t1 - t0) * 1e3))
    runs.sort()
    return runs[len(runs) // 2]

rows = []
load = open("/proc/loadavg").read().split()[0]
for name, path, target in (
        ("check 1000 backends / 100 VIPs / 100 pools, every policy key, "
         "n_minus_1 on", full, 500),
        ("the same without n_minus_1 and capacity (no one-down counts)",
         no_n1, None),
        ("check 1000 backends in 1 pool / 100 VIPs, n_minus_1 on", one,
         None)):
    cpu, wall = timed(path)
    r = {"name": name + " (CPU, median)", "value": round(cpu, 1),
         "unit": "ms"}
    if target:
        r["target"] = "<= %d" % target
        r["met"] = cpu <= target
    rows.append(r)
    rows.append({"name": name + " (wall of that run, load %s)" % load,
                 "value": round(wall, 1), "unit": "ms"})
p = subprocess.run([bench, full, str(repeats)], capture_output=True,
                   text=True)
if p.returncode != 0:
    sys.exit("policy.sh: bench_policy: %s" % p.stderr)
for line in p.stdout.splitlines():
    name, value, unit = line.split("\t")
    rows.append({"name": "in process, 1000 backends / 100 pools: " + name
                 + " (CPU)", "value": float(value), "unit": unit})
for r in rows:
    print("  %-100s %8.1f %s %s" % (r["name"], r["value"], r["unit"],
          (r.get("target", "") + (" met" if r.get("met") else
           " MISSED" if "met" in r else "")).strip()))
json.dump({"part": "policy", "rows": rows}, open(out, "w"), indent=1)
sys.exit(0 if all(r.get("met", True) for r in rows) else 1)
PY
echo "policy: wrote $OUT/policy.json"

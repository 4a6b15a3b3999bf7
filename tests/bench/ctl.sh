#!/usr/bin/env bash
# Control-plane timings (issue 4, part 3): weighted Maglev build time,
# memory per flow entry, and under load (worker on core 1, management on
# core 0) changes through lib/runtime, the daemon's apply: a weight every
# 10 ms (its time, the worker's stall on each, its longest busy loop),
# then reloads of a 1000-backend file and weight changes at N = 1000;
# frames sent vs received across all of it. Writes OUTDIR/ctl.json and
# prints a table.
#
# Usage: tests/bench/ctl.sh OUTDIR
#   env BUILD (default build), SWAP_SECONDS (3), REPEATS (31 Maglev builds
#   per case at M = 65537, a quarter at 655373), INFLIGHT (2048 frames),
#   MEM_MB (1024), RELOADS (50 reloads and 50 weight sets at N = 1000)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: ctl.sh OUTDIR}
BUILD=${BUILD:-build}
SWAP_SECONDS=${SWAP_SECONDS:-3}
REPEATS=${REPEATS:-31}
INFLIGHT=${INFLIGHT:-2048}
MEM_MB=${MEM_MB:-1024}
RELOADS=${RELOADS:-50}
BENCH=$BUILD/tests/bench/ctl/bench_ctl
. tests/bench/lib/hugepages.sh
bench_huge_reserve "$MEM_MB"
mkdir -p "$OUT"
[ -x "$BENCH" ] || { echo "ctl.sh: $BENCH not built" >&2; exit 1; }

echo "== ctl: control-plane timings (main lcore on core 0, worker on core 1)"
# shellcheck disable=SC2046 # the memory arguments are words
timeout 600 "$BENCH" --lcores=0@0,1@1 $(bench_mem_args "$MEM_MB") --no-pci \
	--no-shconf --file-prefix="elb-ctl-$$" --log-level=error -- \
	--seconds "$SWAP_SECONDS" --repeats "$REPEATS" --inflight "$INFLIGHT" \
	--reloads "$RELOADS" --json "$OUT/ctl.json"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["part"]=="ctl" and d["rows"]' "$OUT/ctl.json"
echo "ctl: wrote $OUT/ctl.json"

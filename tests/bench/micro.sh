#!/usr/bin/env bash
# In-process packet-path benchmark: TSC cycles per packet per class and
# flow count (bench_dp pinned to core 1), then instructions per packet
# per class under callgrind. Writes OUTDIR/micro.json and
# OUTDIR/callgrind.json.
#
# Usage: tests/bench/micro.sh OUTDIR   (env BUILD, FLOWS, WINDOWS, MEM_MB)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: micro.sh OUTDIR}
BUILD=${BUILD:-build}
FLOWS=${FLOWS:-1,4096,65536,1048576}
WINDOWS=${WINDOWS:-101}
MEM_MB=${MEM_MB:-2048}
BENCH=$BUILD/tests/bench/micro/bench_dp
. tests/bench/lib/hugepages.sh
bench_huge_reserve "$MEM_MB"
mkdir -p "$OUT"
[ -x "$BENCH" ] || { echo "micro.sh: $BENCH not built" >&2; exit 1; }

echo "== micro: packet path in process (TSC cycles/packet)"
# shellcheck disable=SC2046 # the memory arguments are words
"$BENCH" -l 1 $(bench_mem_args "$MEM_MB") --no-pci --no-shconf \
	--file-prefix="elb-micro-$$" --log-level=error -- \
	--flows "$FLOWS" --windows "$WINDOWS" --json "$OUT/micro.json"

echo "== micro: instructions/packet (callgrind, 4096 flows)"
/usr/bin/python3 tests/bench/callgrind.py "$BENCH" --json "$OUT/callgrind.json"

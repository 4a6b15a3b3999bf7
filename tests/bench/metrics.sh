#!/usr/bin/env bash
# The Prometheus endpoint under load (issue 18): edgelbd with 1000
# backends on net_null (a null PMD hands the workers an endless stream of
# frames, so they loop busy), metrics_listen on 127.0.0.1. Alternating
# windows without and with a scrape of /metrics every second, same run:
# each scrape's time and size, and the workers' busy-loop maximum
# (`stats --per-core --reset-max` at each window's start) in each window.
# Run with 2 workers, then with 1: on a 2-CPU machine both workers share
# CPU 1, so their busy-loop maximum is the kernel's time slice, whatever
# management does; the 1-worker run is the one that can show a scrape's
# effect on a worker. The scraper (drive.py, and the edgelbctl it runs) is
# pinned to CPU 0, the management core's: in production Prometheus runs on
# another box, and a client the kernel put on CPU 1 would preempt the
# worker and be counted as edgelbd's cost.
#
# Usage: tests/bench/metrics.sh OUTDIR
#   env BUILD (default build), WINDOW_S (10), ROUNDS (3), WORKERS ("2 1")
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: metrics.sh OUTDIR}
BUILD=${BUILD:-build}
EDGELBD=$BUILD/app/edgelbd/edgelbd
EDGELBCTL=$BUILD/app/edgelbctl/edgelbctl
[ -x "$EDGELBD" ] || { echo "metrics.sh: $EDGELBD not built" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/elb-bench-metrics.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK" "/var/run/dpdk/elb-met-$$"
}
trap cleanup EXIT

run() {
	local w=$1 lcores="0@0" i port=$((19000 + $$ % 1000 + $1))
	for ((i = 1; i <= w; i++)); do lcores="$lcores,$i@1"; done
	/usr/bin/python3 tests/bench/mgmt/gen_ini.py 1000 "$WORK/e.sock" \
		"$WORK/audit.log" "elb-met-$$" "$WORK/e.ini"
	sed -i -e "s/^workers = 1\$/workers = $w\nmetrics_listen = 127.0.0.1:$port/" \
		-e "s/--lcores=0@0,1@1/--lcores=$lcores/" "$WORK/e.ini"
	"$EDGELBD" --check "$WORK/e.ini" >/dev/null
	echo "== metrics: /metrics at N = 1000, $w worker(s), scrape every second vs none"
	"$EDGELBD" -f "$WORK/e.ini" >"$WORK/edgelbd.log" 2>&1 &
	PID=$!
	for _ in $(seq 120); do [ -S "$WORK/e.sock" ] && break; sleep 0.25; done
	[ -S "$WORK/e.sock" ] || { tail "$WORK/edgelbd.log" >&2; exit 1; }
	taskset -c 0 /usr/bin/python3 tests/bench/metrics/drive.py "$EDGELBCTL" \
		"$WORK/e.sock" "http://127.0.0.1:$port/metrics" \
		"${WINDOW_S:-10}" "${ROUNDS:-3}" "$OUT/metrics-w$w.json" "$w"
	kill "$PID"
	wait "$PID" || true
	PID=
	rm -f "$WORK/e.sock"
}

parts=()
for w in ${WORKERS:-2 1}; do
	run "$w"
	parts+=("$OUT/metrics-w$w.json")
done
/usr/bin/python3 - "$OUT/metrics.json" "${parts[@]}" <<'PY'
import json, sys
rows = []
for f in sys.argv[2:]:
    rows += json.load(open(f))["rows"]
json.dump({"rows": rows}, open(sys.argv[1], "w"), indent=1)
PY
echo "metrics: wrote $OUT/metrics.json"

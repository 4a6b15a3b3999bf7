#!/usr/bin/env bash
# The health checker at scale: 1000 backends (listeners at 127.0.x.y in a
# child process) checked every second by lib/health on a real event loop,
# by tcp then by http, 20 s each. Prints the checker's CPU (its own
# getrusage, user + sys over wall time: on loopback that includes the
# kernel's work for both ends of each connection), how late checks
# started against their schedule (p50, p99, max), checks started against
# the schedule's count, failures and backends up. Targets: CPU <= 10 % of
# one core, p99 lateness <= 50 ms. Writes OUTDIR/health.json.
#
# Usage: tests/bench/health.sh OUTDIR
#   env BUILD (default build), BACKENDS (1000), HEALTH_SECONDS (20 per
#   kind), INTERVAL_MS (1000), TIMEOUT_MS (500), KINDS (tcp,http),
#   PORT (18080)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: health.sh OUTDIR}
BUILD=${BUILD:-build}
BACKENDS=${BACKENDS:-1000}
HEALTH_SECONDS=${HEALTH_SECONDS:-20}
INTERVAL_MS=${INTERVAL_MS:-1000}
TIMEOUT_MS=${TIMEOUT_MS:-500}
KINDS=${KINDS:-tcp,http}
PORT=${PORT:-18080}
BENCH=$BUILD/tests/bench/health/bench_health
[ -x "$BENCH" ] || { echo "health.sh: $BENCH not built" >&2; exit 1; }
mkdir -p "$OUT"

echo "== health: $BACKENDS backends every $INTERVAL_MS ms, $KINDS," \
	"$HEALTH_SECONDS s each (checker on CPU 0, servers on CPU 1)"
"$BENCH" --backends "$BACKENDS" --seconds "$HEALTH_SECONDS" \
	--interval-ms "$INTERVAL_MS" --timeout-ms "$TIMEOUT_MS" \
	--kinds "$KINDS" --port "$PORT" --json "$OUT/health.json"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["part"]=="health" and d["rows"]' "$OUT/health.json"
echo "health: wrote $OUT/health.json"

#!/usr/bin/env bash
# Live changes through the real daemon's management socket (issue 15):
# edgelbd on net_null with 1000 backends (static MACs, nothing to resolve),
# then `weight` and `reload` round trips as a tool sees them. The
# in-process figures with a loaded worker are in the ctl part.
#
# Usage: tests/bench/mgmt.sh OUTDIR
#   env BUILD (default build), WEIGHTS (100), RELOADS (30)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: mgmt.sh OUTDIR}
BUILD=${BUILD:-build}
WEIGHTS=${WEIGHTS:-100}
RELOADS=${RELOADS:-30}
EDGELBD=$BUILD/app/edgelbd/edgelbd
[ -x "$EDGELBD" ] || { echo "mgmt.sh: $EDGELBD not built" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/elb-bench-mgmt.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK" "/var/run/dpdk/elb-mgmt-$$"
}
trap cleanup EXIT

/usr/bin/python3 tests/bench/mgmt/gen_ini.py 1000 "$WORK/e.sock" \
	"$WORK/audit.log" "elb-mgmt-$$" "$WORK/e.ini"
"$EDGELBD" --check "$WORK/e.ini" >/dev/null
echo "== mgmt: weight and reload through the socket, N = 1000"
"$EDGELBD" -f "$WORK/e.ini" >"$WORK/edgelbd.log" 2>&1 &
PID=$!
for _ in $(seq 120); do [ -S "$WORK/e.sock" ] && break; sleep 0.25; done
[ -S "$WORK/e.sock" ] || { tail "$WORK/edgelbd.log" >&2; exit 1; }
/usr/bin/python3 tests/bench/mgmt/socket_rt.py "$WORK/e.sock" "$WEIGHTS" \
	"$RELOADS" "$OUT/mgmt.json"
echo "mgmt: wrote $OUT/mgmt.json"

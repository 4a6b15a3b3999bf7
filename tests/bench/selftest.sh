#!/usr/bin/env bash
# The deploy-time self-test through the real daemon while its workers
# forward: edgelbd with WORKERS workers (default 1, on CPU 1; 2 share CPU
# 1 as the integration tests run them, so each takes the other's time
# slices and the loop maxima are the scheduler's) in the integration
# tests' topology (own
# prefix elbb-st, 10.205.0.0/24), nginx backends weighted 1:2:3, a client
# opening connections as fast as it can; then ROUNDS rounds of two
# windows of WINDOW_S each, in alternating order: one that starts with
# `edgelbctl selftest web --flows FLOWS`, one with nothing asked. Reports
# the self-test's time (edgelbctl's round trip, and the daemon's
# elapsed_ms) and the workers' busy-loop maximum (stats --per-core, started
# over with --reset-max at each window) with and without it. Target (issue
# 20): a self-test of 100000 flows within 1 s.
#
# usage: tests/bench/selftest.sh OUTDIR     writes OUTDIR/selftest.json
# env:   BUILD (default build) WORKERS (1) FLOWS (100000) ROUNDS (10)
#        WINDOW_S (0.5) IDLE_SLEEP_US (50, as e2e and kpath: a worker that
#        finds no packet sleeps that long, and answers requests only
#        between sleeps; 0 polls)
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUTDIR=${1:?usage: $0 OUTDIR}
OUTDIR=$(mkdir -p "$OUTDIR" && cd "$OUTDIR" && pwd)
export EDGELB_BUILD=${BUILD:-build} ELB_NET=10.205.0
WORKERS=${WORKERS:-1}
export T_IDLE_SLEEP_US=${IDLE_SLEEP_US:-50}
FLOWS=${FLOWS:-100000}
ROUNDS=${ROUNDS:-10}
WINDOW_S=${WINDOW_S:-0.5}
# shellcheck source=../integration/lib.sh
. "$HERE/../integration/lib.sh"

t_init bst
PREFIX=elbb-st
t_topology
t_config "$WORKERS"
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_client "$VIP" --duration 600 -c 32 --stop-file "$WORKDIR/stop" \
	--max-failed 1000000 >"$WORKDIR/client.json" &
client_pid=$!
sleep 2
rc=0
"$PY" "$HERE/selftest/measure.py" "$EDGELBCTL" "$ELBD_SOCK" web "$FLOWS" \
	"$ROUNDS" "$WINDOW_S" "$OUTDIR/selftest.json" || rc=$?
touch "$WORKDIR/stop"
wait "$client_pid"
t_log "client: $(cat "$WORKDIR/client.json")"
[ "$rc" -eq 0 ] && echo "selftest: wrote $OUTDIR/selftest.json"
exit "$rc"

#!/usr/bin/env bash
# Expiry keeps its bound when the worker backs off: with idle_sleep_us =
# 100000 a worker loops about ten times a second, yet closed flows
# (tcp_fin_timeout = 2 s) must be gone within the timeout plus a tick plus
# one sweep (a quarter of the shortest timeout: 0.5 s), not after the ~100 s
# a sweep of 64 slots per loop would take over a 65536-entry table.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

N=400
BOUND_S=6       # 2 s timeout + 0.5 s tick + 0.5 s sweep, and margin

t_init expidle
t_topology
T_IDLE_SLEEP_US=100000 t_config 1
t_daemon
t_warmup 20 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

flow_counter() {
	"$EDGELBCTL" -s "$ELBD_SOCK" -j stats |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["flows"][sys.argv[1]])' "$1"
}
entries() { flow_counter entries; }

t_client "$VIP" -n "$N" -c 16 --time-limit 60 >"$WORKDIR/conns.json" ||
	t_fail "$N connections through the VIP"
# The first ones may be gone already: the run takes a few seconds when the
# worker sleeps 100 ms whenever it finds nothing to do.
inserted=$(flow_counter inserts)
t_log "flows inserted: $inserted, held right after the last close: $(entries)"
t_check "the connections made flows ($inserted >= $N)" \
	test "$inserted" -ge "$N"
start=$SECONDS
left=$(entries)
while [ $((SECONDS - start)) -le "$BOUND_S" ]; do
	left=$(entries)
	[ "$left" -eq 0 ] && break
	sleep 0.5
done
t_log "entries after $((SECONDS - start)) s: $left"
t_check "every closed flow expired within ${BOUND_S} s at idle_sleep_us = 100000 ($left left)" \
	test "$left" -eq 0
t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

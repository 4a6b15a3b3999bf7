#!/usr/bin/env bash
# The deploy-time self-test, `edgelbctl selftest`, with WORKERS worker lcores
# (1 or 2), two VIPs on one address:
#   tcp :80   -> pool a: a-web1 weight 1, a-web2 weight 1, a-web3 weight 0
#   tcp :8080 -> pool b: b-web2 weight 5, b-web3 weight 1
# While real connections flow through the VIP to nginx, a self-test of every
# VIP passes: each worker's counts within 4 binomial sd of `backends`
# expected_share (recomputed here), a-web3 (weight 0) gets none, no worker
# disagrees with worker 0 on any tuple, the same seed repeats the counts;
# the connections all succeed meanwhile. Without traffic a self-test
# changes no counter and no flow table. Bad arguments get exit 1 and a clear
# error. A daemon built with -Dtest_faults=true (tests/run.sh's build-asan):
# a worker skewed to a-web1 makes the self-test of VIP web fail (exit 1),
# naming a-web1 and web, and only that worker fails; otherwise SKIP.
# deploy/pipeline.sh with the real self-test confirms a change; with the
# skewed worker (test builds) it stops at selftest and the change rolls back.
#   usage: test_selftest.sh [WORKERS]
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

WORKERS=${1:-1}
FLOWS=${ELB_SELFTEST_FLOWS:-100000}
# shellcheck disable=SC2034 # read by elb_nginx_start (netns.sh)
ELB_NGINX_EXTRA_PORTS=8080

t_init "st$WORKERS"
t_topology
t_config_two_pools "$WORKERS"
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

t_pys() { t_pyscript check_selftest.py "$@"; }

t_log "connections to $VIP:80 while the self-tests run"
touch "$WORKDIR/client.json"
t_client "$VIP" --duration 30 --rate 400 -c 8 --stop-file "$WORKDIR/stop" \
	>"$WORKDIR/client.json" &
client_pid=$!
sleep 1
t_pys passes "$FLOWS" "$WORKERS" web alt
touch "$WORKDIR/stop"
wait "$client_pid"
client_rc=$?
t_log "client: $(cat "$WORKDIR/client.json")"
t_check "every connection made meanwhile succeeded" test "$client_rc" -eq 0

# Flows of those connections expire first: nothing else moves a counter.
sleep $((TCP_FIN_TIMEOUT + 2))
t_pys untouched "$FLOWS"
t_pys args
t_pys fault "$WORKERS" web a-web1

# deploy/pipeline.sh with the real self-test (check, apply --confirm-within,
# selftest, confirm): confirmed when it passes; on a test build, with a
# worker skewed, stopped at selftest and rolled back by edgelbd.
weight_of() {
	elbctl -j backends | "$PY" -c 'import json,sys
print([b["weight"] for b in json.load(sys.stdin) if b["name"] == sys.argv[1]][0])' "$1"
}
pending() {
	elbctl -j status | "$PY" -c 'import json,sys
print((json.load(sys.stdin).get("pending_confirm") or {}).get("generation", 0))'
}
pipeline() {
	EDGELBCTL=$EDGELBCTL EDGELBD=$EDGELBD "$ROOT/deploy/pipeline.sh" "$1" \
		--socket "$ELBD_SOCK" --confirm-within "$2" >"$WORKDIR/pipeline.out" 2>&1
}
sed -e '/^\[backend.b-web3\]/,/^$/s/^weight = .*/weight = 2/' "$CONF" >"$WORKDIR/p.ini"
pipeline "$WORKDIR/p.ini" 30
rc=$?
t_check "deploy/pipeline.sh with the real selftest: exit 0, confirmed, b-web3 weight 2 (exit $rc, weight $(weight_of b-web3), pending $(pending))" \
	sh -c "[ $rc -eq 0 ] && grep -q 'selftest passed' '$WORKDIR/pipeline.out' && [ '$(weight_of b-web3)' = 2 ] && [ '$(pending)' = 0 ]"
if elbctl -j version | grep -q '"test_faults": true'; then
	elbctl fault selftest-skew $((WORKERS - 1)) a-web1 >/dev/null
	sed -e '/^\[backend.b-web3\]/,/^$/s/^weight = .*/weight = 3/' "$CONF" >"$WORKDIR/q.ini"
	pipeline "$WORKDIR/q.ini" 2
	rc=$?
	t_check "with a worker skewed the pipeline stops at selftest naming a-web1 (exit $rc)" \
		sh -c "[ $rc -eq 1 ] && grep -q 'FAILED at selftest: the self-test failed' '$WORKDIR/pipeline.out' && grep -q 'backend a-web1' '$WORKDIR/pipeline.out'"
	for _ in $(seq 40); do [ "$(pending)" = 0 ] && break; sleep 0.2; done
	t_check "and edgelbd rolled it back: b-web3 weight $(weight_of b-web3) (want 2)" \
		test "$(weight_of b-web3)" = 2 -a "$(pending)" = 0
	elbctl fault clear >/dev/null
else
	echo "SKIP: $T_ID: the pipeline with a skewed worker (no -Dtest_faults)"
	T_SKIPS=$((T_SKIPS + 1))
fi

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

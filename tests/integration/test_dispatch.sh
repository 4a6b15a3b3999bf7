#!/usr/bin/env bash
# Exact dispatch and weighted shares: >= 3000 new TCP connections through the
# VIP to three nginx backends weighted 1:2:3, with WORKERS worker lcores.
#   usage: test_dispatch.sh [WORKERS]   (1 or 2)
# Every connection nginx logged must be the backend `edgelbctl lookup` names
# (zero mismatches); shares within 4 binomial sd of expected_share; each
# expected_share within 0.01 of the weight share; edgelbctl new_flows equal
# nginx's counts; with 2 workers every worker takes flows and the per-core
# counters sum to the totals. After the FIN timeout the flow tables drain and
# lookup (now the scheduler's answer) still names every connection's backend.
. "$(dirname "$0")/lib.sh"

WORKERS=${1:-1}
CONNS=${ELB_CONNS:-3000}
t_init "disp$WORKERS"
t_topology
t_config "$WORKERS"
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

t_py snapshot "$WORKDIR/before.json" || t_abort "snapshot counters"
t_log "opening $CONNS connections to $VIP:80 (32 at a time)"
t_client "$VIP" -n "$CONNS" -c 32 --time-limit 90 \
	--log "$WORKDIR/client.log" >"$WORKDIR/client.json"
t_log "client: $(cat "$WORKDIR/client.json")"
sleep 0.5  # last FINs/ACKs reach the counters
t_py dispatch --before "$WORKDIR/before.json" --client "$WORKDIR/client.json" \
	--workers "$WORKERS" --min-conns "$CONNS"
# Once the flows have expired, lookup answers from the scheduler: it must
# still name the backend that served each connection.
t_py redispatch $((TCP_FIN_TIMEOUT + 10))

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

#!/usr/bin/env bash
# 200 reloads and 200 runtime weight changes under load.
# 16 HTTP/1.1 keep-alive connections (a request every 100 ms each) and a
# stream of new connections (100/s) run while the INI's weights are
# rewritten and reloaded 200 times, each reload followed by one `weight`
# change (weights 1..9, never the running vector: every change rebuilds
# the Maglev table), 20 ms apart so that traffic meets every table. Asserts: every call applied, generation up by exactly
# 400 and history's steps are exactly those 400 (by uid 0), each reload
# discards exactly the preceding weight change; zero failed requests; every
# keep-alive connection logged by one backend only, all its requests;
# then a fresh batch of 1500 connections: each where `lookup` says, shares
# within 4 binomial sd of the last weights' expected_share.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROUNDS=${ELB_ROUNDS:-200}
HOLDS=16
CONNS=${ELB_CONNS:-1500}
t_init rlload
t_topology
t_config 1
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

STOP=$WORKDIR/stop
PF=$WORKDIR/holds.ports
t_client "$VIP" --hold 150 --holds "$HOLDS" --interval 0.1 \
	--stop-file "$STOP" --port-file "$PF" >"$WORKDIR/holds.json" &
HOLDP=$!
for _ in $(seq 50); do [ -s "$PF" ] && break; sleep 0.1; done
[ -s "$PF" ] || t_abort "$HOLDS keep-alive connections established"
t_client "$VIP" --duration 150 --rate 100 -c 8 --stop-file "$STOP" \
	>"$WORKDIR/stream.json" &
STREAMP=$!
sleep 1

t_log "applying $ROUNDS reloads and $ROUNDS weight changes"
start=$SECONDS
t_pyr churn --rounds "$ROUNDS" --seed 4242 --pace-ms 20 \
	--out "$WORKDIR/churn.json"
t_log "changes took $((SECONDS - start)) s (wall, incl. start-up)"
sleep 1
touch "$STOP"
rc=0
wait "$STREAMP" || rc=$?
t_log "stream: $(cat "$WORKDIR/stream.json")"
t_check "stream of new connections during the changes: none failed" \
	"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(not (s["failed"] == 0 and s["ok"] > 100))' \
	"$WORKDIR/stream.json"
t_check "stream client exited 0 ($rc)" test "$rc" -eq 0
rc=0
wait "$HOLDP" || rc=$?
t_check "keep-alive client exited 0 ($rc)" test "$rc" -eq 0
t_pyr holds --summary "$WORKDIR/holds.json" --min-requests 50
t_pyr history-gens --churn "$WORKDIR/churn.json"

MAP=$("$PY" -c 'import json,sys; w=json.load(open(sys.argv[1]))["final_weights"]; print(",".join("web%d=%d:%d" % (i, i, w["web%d" % i]) for i in (1, 2, 3)))' "$WORKDIR/churn.json")
t_log "last weights: $MAP"
t_pym snapshot "$WORKDIR/before.json" || t_abort "snapshot counters"
t_client "$VIP" -n "$CONNS" -c 32 --time-limit 60 >"$WORKDIR/batch.json"
t_check "fresh batch: $CONNS connections, none failed" test $? -eq 0
sleep 0.5
t_pyr batch --before "$WORKDIR/before.json" --map "$MAP" --min "$CONNS"

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

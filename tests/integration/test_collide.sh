#!/usr/bin/env bash
# Tuples an outsider computes to collide: the 2^16 (source address, source
# port) pairs whose flow keys to VIP:8080 all had one hash under the old
# public CRC32C seed (tests/integration/flood.py collide; less those with a
# source no client has), each sent as a SYN. The old hash put them in one
# bucket chain and, since the same hash picked the Maglev slot, on one
# backend. Now, with keyed SipHash:
# - the new flows they make spread over the pool's three backends (1:2:3)
#   as expected_share says, each within 4.5 binomial standard deviations of
#   the sample's size; lookup of a sample names all three;
# - the appliance takes them all at the pace sent (no chain to walk), the
#   table stays bounded (16384 entries, sampled), embryonic entries leave;
# - meanwhile 8 keep-alive connections and new connections on :80 see no
#   failure and the held ones keep their entries and backends.
. "$(dirname "$0")/lib.sh"

CAPACITY=16384
SYN_TIMEOUT=2
T_FLOW_TABLE_SIZE=$CAPACITY
T_GLOBAL_EXTRA="tcp_syn_timeout = $SYN_TIMEOUT"

t_init collide
t_topology
t_config 1
t_vip coll 8080 tcp coll
t_pool coll
t_backend c1 coll 1 1
t_backend c2 coll 2 2
t_backend c3 coll 3 3
t_daemon
t_check "status says the scheduler's hash key was configured" \
	test "$(elbctl -j status | "$PY" -c \
		'import json,sys; print(json.load(sys.stdin)["hash_key"])')" = configured
t_check "config answers without the key" \
	"$PY" -c 'import json,sys; a = json.load(sys.stdin)["ini"]
sys.exit(sys.argv[1] in a or "hash_key is set (secret" not in a)' \
	"$T_HASH_KEY" < <(elbctl -j config)
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

t_real_clients 8

MAC=$(t_port_mac)
t_pyf snapshot "$WORKDIR/before.json" || t_abort "snapshot counters"
SAMPLE_STOP=$WORKDIR/sample.stop
t_pyf sample "$WORKDIR/samples.json" "$SAMPLE_STOP" &
SAMPLER=$!
t_log "sending the colliding set to $VIP:8080"
ip netns exec "$PREFIX-cli" timeout 60 "$PY" "$T_DIR/flood.py" c0 "$MAC" \
	"$VIP" 8080 collide --pps 40000 --seconds 30 \
	--tuples "$WORKDIR/tuples.txt" >"$WORKDIR/collide.json" ||
	t_fail "flood.py collide ran"
sleep 0.5
t_pyf snapshot "$WORKDIR/after.json"
touch "$SAMPLE_STOP"
wait "$SAMPLER"
t_log "collide: $(cat "$WORKDIR/collide.json")"
t_pyf shares "$WORKDIR/before.json" "$WORKDIR/after.json" \
	"$WORKDIR/collide.json" coll "$WORKDIR/tuples.txt"
"$PY" - "$WORKDIR/samples.json" "$CAPACITY" <<'PYEOF' &&
import json, sys
s = [x for x in json.load(open(sys.argv[1])) if "workers" in x]
worst = max(int(w["flow_table_entries"]) for x in s for w in x["workers"])
print("[collide] table: at most %d entries of %s in %d samples" %
      (worst, sys.argv[2], len(s)))
sys.exit(0 if s and worst <= int(sys.argv[2]) else 1)
PYEOF
	t_pass "flow table bounded while the colliding set arrived" ||
	t_fail "flow table bounded while the colliding set arrived"
t_pyf held "$WORKDIR/held1.json" "$PF" --same "$WORKDIR/held0.json"
t_pyf settled "$WORKDIR/before.json" $((SYN_TIMEOUT + 6))

touch "$STOP"
wait "$HOLDS_PID"
wait "$NEW_PID"
t_log "new: $(cat "$WORKDIR/new.json")"
t_pyf clients "$WORKDIR/holds.json" "$WORKDIR/new.json" 100
t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

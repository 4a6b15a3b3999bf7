#!/usr/bin/env bash
# A long-lived connection stays on one backend: one HTTP/1.1 keep-alive
# connection sends a request every 0.5 s for ~5 s while 500 other
# connections run. Every reply comes from the same backend, and `lookup` of
# its tuple (while open) says source "flow" and names that backend.
. "$(dirname "$0")/lib.sh"

t_init ll
t_topology
t_config 1
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

PF=$WORKDIR/hold.port
t_client "$VIP" --hold 5 --interval 0.5 --port-file "$PF" \
	>"$WORKDIR/hold.json" &
HOLD=$!
for _ in $(seq 50); do [ -s "$PF" ] && break; sleep 0.1; done
[ -s "$PF" ] || t_abort "long-lived connection established"
read -r HIP HPORT <"$PF"
t_log "long-lived connection from $HIP:$HPORT"

t_client "$VIP" -n 500 -c 32 --time-limit 60 >"$WORKDIR/many.json" &
MANY=$!
sleep 1.5

# The backend holding it: the one whose log has its port.
HB=
for i in 1 2 3; do
	grep -q "^$HIP $HPORT " "$WORKDIR/b$i/access.log" && HB="$HB web$i"
done
HB=${HB# }
t_check "long-lived connection logged by exactly one backend ($HB)" \
	test -n "$HB" -a "$HB" = "${HB%% *}"
kill -0 "$HOLD" 2>/dev/null || t_fail "long-lived connection still open at lookup time"
t_py lookup-one "$HIP" "$HPORT" "$HB"

MANY_RC=0
wait "$MANY" || MANY_RC=$?
HOLD_RC=0
wait "$HOLD" || HOLD_RC=$?
t_log "others: $(cat "$WORKDIR/many.json")"
t_log "held: $(cat "$WORKDIR/hold.json")"
t_check "500 other connections all succeeded" test "$MANY_RC" -eq 0
t_check "long-lived connection got every reply" test "$HOLD_RC" -eq 0
t_check "every reply on the long-lived connection came from $HB" \
	"$PY" -c '
import json, sys
h = json.load(open(sys.argv[1]))
sys.exit(0 if h["requests"] >= 8 and h["distinct_backends"] == [sys.argv[2]]
         else 1)' "$WORKDIR/hold.json" "$HB"
n=$(grep -c "^$HIP $HPORT " "$WORKDIR/b${HB#web}/access.log")
t_check "$HB logged all $n requests of the long-lived connection" \
	"$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["requests"] != int(sys.argv[2]))' \
	"$WORKDIR/hold.json" "$n"

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

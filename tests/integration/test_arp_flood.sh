#!/usr/bin/env bash
# An ARP reply flood (unsolicited replies from random MACs claiming random
# addresses of the segment, backends' included; as fast as one raw socket
# goes, at most 2 million frames or 20 s) while edgelbd runs:
# - `status` keeps answering: every one within 1 s (edgelbctl's own
#   timeout, -t, is 5 s here);
# - the spoofed replies are dropped by the worker (about no next hop of
#   edgelb's) or refused by management (about one), and counted; web1's
#   next hop keeps its MAC, and connections through the VIP are still served (at least 95 of
#   100 within their 5 s timeout);
# - SIGTERM during the flood stops edgelbd, cleanly, within 2 s.
. "$(dirname "$0")/lib.sh"

TARGET=${BACKEND_ADDRS[0]}
MAX_FRAMES=2000000
MAX_S=20

t_init arpfl
t_topology
t_config 1
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

status() { elbctl -t 5 -j status; }
mac_of() {
	status | "$PY" -c 'import json,sys
st = json.load(sys.stdin)
print(next(n["mac"] for n in st["neighbours"] if n["address"] == sys.argv[1]))' "$1"
}
refused() {
	status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["arp"]["refused"]["unsolicited"])'
}
# Frames the worker dropped, every reason (most replies are about
# addresses that are no next hop of edgelb's: arp_not_ours).
drops() {
	elbctl -t 5 -j stats | "$PY" -c 'import json,sys
print(sum(sum(p["drops"].values()) for p in json.load(sys.stdin)["ports"]))'
}

PORT_MAC=$(t_port_mac)
REAL=$(mac_of "$TARGET")
before=$(refused) drops0=$(drops)
STOP=$WORKDIR/flood.stop
ip netns exec "$PREFIX-cli" "$PY" "$T_DIR/arp_flood.py" c0 "$PORT_MAC" "$NET" \
	"$MAX_FRAMES" "$MAX_S" "$STOP" >"$WORKDIR/flood.json" 2>"$WORKDIR/flood.err" &
FLOOD=$!
t_on_exit "kill $FLOOD 2>/dev/null"
sleep 1

# status, ten times in the flood, each timed.
worst=0 failed=0
for _ in $(seq 10); do
	t0=$(date +%s%N)
	if ! elbctl -t 5 status >/dev/null 2>&1; then
		failed=$((failed + 1))
	fi
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -gt "$worst" ] && worst=$ms
	sleep 0.2
done
t_check "during the flood, status answered 10 times of 10 (failed $failed), the slowest in $worst ms (< 1000)" \
	test "$failed" -eq 0 -a "$worst" -lt 1000
now=$(refused) drops1=$(drops)
t_check "the flood's replies are refused and counted (unsolicited $before -> $now, drops $drops0 -> $drops1)" \
	test "$now" -gt $((before + 100)) -a "$drops1" -gt $((drops0 + 10000))
t_check "web1's next hop kept its MAC ($(mac_of "$TARGET"))" \
	test "$(mac_of "$TARGET")" = "$REAL"
t_client "$VIP" -n 100 -c 8 --timeout 5 --time-limit 30 --max-failed 5 \
	>"$WORKDIR/client.json"
t_check "connections are still served during the flood ($(cat "$WORKDIR/client.json" | cut -c1-120))" \
	"$PY" -c 'import json,sys; c = json.load(open(sys.argv[1])); sys.exit(not c["ok"] >= 95)' \
	"$WORKDIR/client.json"
kill -0 "$FLOOD" 2>/dev/null
t_check "the flood is still going" test $? -eq 0

# SIGTERM in the flood: stopped within 2 s, exit status 0.
t0=$(date +%s%N)
kill -TERM "$ELBD_PID"
for _ in $(seq 100); do
	kill -0 "$ELBD_PID" 2>/dev/null || break
	sleep 0.02
done
ms=$((($(date +%s%N) - t0) / 1000000))
if kill -0 "$ELBD_PID" 2>/dev/null; then
	t_fail "edgelbd still running 2 s after SIGTERM in the flood"
else
	rc=0
	wait "$ELBD_PID" || rc=$?
	ELBD_PID=
	t_check "SIGTERM in the flood: edgelbd stopped in $ms ms (< 2000), exit status $rc" \
		test "$ms" -lt 2000 -a "$rc" -eq 0
fi
touch "$STOP"
wait "$FLOOD"
t_log "flood: $(cat "$WORKDIR/flood.json") $(head -c 300 "$WORKDIR/flood.err")"
t_check "the flood sent at least 100000 frames" "$PY" -c '
import json, sys
sys.exit(not json.load(open(sys.argv[1]))["sent"] >= 100000)' "$WORKDIR/flood.json"
t_finish

#!/usr/bin/env bash
# ARP is unauthenticated: spoofed replies claiming backend web1's address
# (unsolicited, or from another Ethernet source than the sender's) are
# refused and counted by reason, web1's next hop keeps its real MAC, and
# connections keep reaching every backend, exactly where lookup says.
. "$(dirname "$0")/lib.sh"

COUNT=20
EVIL=02:00:5e:ee:ee:66
TARGET=${BACKEND_ADDRS[0]}

t_init arpsp
t_topology
t_config 1
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

status() { elbctl -j status; }
mac_of() {
	status | "$PY" -c 'import json,sys
st = json.load(sys.stdin)
print(next(n["mac"] for n in st["neighbours"] if n["address"] == sys.argv[1]))' "$1"
}
refused() {
	status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["arp"]["refused"][sys.argv[1]])' "$1"
}

PORT_MAC=$(t_port_mac)
REAL=$(mac_of "$TARGET")
t_log "web1 $TARGET is at $REAL; appliance port $PORT_MAC"
for k in unsolicited eth_source; do eval "before_$k=$(refused $k)"; done
ip netns exec "$PREFIX-cli" "$PY" "$T_DIR/arp_spoof.py" c0 "$PORT_MAC" \
	"$TARGET" "$EVIL" "$COUNT" >"$WORKDIR/sent.json" ||
	t_abort "arp_spoof.py ran"
t_log "sent: $(cat "$WORKDIR/sent.json")"
sleep 1
for k in unsolicited eth_source; do
	b=before_$k
	now=$(refused $k)
	t_check "$k: $COUNT spoofed replies refused and counted (${!b} -> $now)" \
		test "$now" -ge $((${!b} + COUNT))
done
t_check "web1's next hop kept its real MAC ($(mac_of "$TARGET"))" \
	test "$(mac_of "$TARGET")" = "$REAL"
t_py snapshot "$WORKDIR/before.json" || t_abort "snapshot counters"
t_client "$VIP" -n 300 -c 16 --time-limit 30 >"$WORKDIR/client.json"
t_log "client: $(cat "$WORKDIR/client.json")"
sleep 0.5
t_py dispatch --before "$WORKDIR/before.json" --client "$WORKDIR/client.json" \
	--workers 1 --min-conns 300
t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

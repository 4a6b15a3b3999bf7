#!/usr/bin/env bash
# The malformed and hostile frame corpus (tests/integration/malformed.py,
# scapy): every class is sent through the real daemon, one class after the
# other, and its own counter (a drop reason, or the counter of what was
# done with it) must move by exactly what was sent (or at least that, for
# the few that the segment's own traffic moves too: the class says why),
# while a client keeps opening connections through the VIP and sees no
# failure. README "Malformed and hostile frames" has the decisions table
# (malformed.py --table).
#
# The port uses net_pcap rather than net_af_packet here: net_af_packet
# joins a PACKET_FANOUT group with PACKET_FANOUT_FLAG_DEFRAG, so the kernel
# would hold every IPv4 fragment for reassembly and the fragment classes
# could never reach the daemon. Frames are injected on the switch end of
# the port's veth, past the bridge (which drops multicast sources) and the
# client's kernel (which pads and routes).
. "$(dirname "$0")/lib.sh"

COUNT=${MALFORMED_COUNT:-20}

t_init mf
MALFORMED=$T_DIR/malformed.py
[ -f "$MALFORMED" ] || t_abort "tests/integration/malformed.py exists"
t_topology
# The jumbo class: 9000-byte frames must get through the veth.
ip -n "$PREFIX-sw" link set lb mtu 9000 &&
	ip -n "$PREFIX-lb" link set lb0 mtu 9000 ||
	t_abort "MTU 9000 on the port's veth"
t_config 1
sed -i -e 's|^device = .*|device = net_pcap0,iface=lb0,phy_mac=1|' \
	-e '/^\[global\]$/a icmp_echo_rate = 20\nicmp_echo_burst = 5\narp_reply_rate = 50\narp_reply_burst = 20' \
	"$CONF"
# Where the classes that are forwarded go: counters of their own.
t_vip fwd 81 tcp web
t_vip fwdudp 53 udp web
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

MAC=$(t_port_mac) || t_abort "status -> ports[0].mac"
CLIENT_MAC=$(ip -n "$PREFIX-cli" -br link show c0 | awk '{print $3}')
TARGET=${BACKEND_ADDRS[0]}
mac_of() {
	elbctl -j status | "$PY" -c 'import json,sys
st = json.load(sys.stdin)
print(next(n["mac"] for n in st["neighbours"] if n["address"] == sys.argv[1]))' "$1"
}
REAL=$(mac_of "$TARGET")
t_log "appliance port $MAC, client $CLIENT_MAC, web1 $TARGET at $REAL"

# Real traffic all along: new connections until the corpus is done.
STOP=$WORKDIR/client.stop
t_client "$VIP" --duration 600 --stop-file "$STOP" -c 4 \
	>"$WORKDIR/client.json" 2>"$WORKDIR/client.err" &
CLIENT_PID=$!
sleep 1

out=$(ip netns exec "$PREFIX-sw" env T_ID="$T_ID" ELBD_SOCK="$ELBD_SOCK" \
	EDGELBCTL="$EDGELBCTL" "$PY" "$MALFORMED" run lb "$MAC" "$VIP" \
	"$LB_ADDR" "$NET.10" "$CLIENT_MAC" "$TARGET" "$COUNT" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^CORPUS '
printf '%s\n' "$out" | grep '^CORPUS ' | sed 's/^CORPUS //' >"$WORKDIR/corpus.json"
T_PASSES=$((T_PASSES + $(printf '%s\n' "$out" | grep -c '^PASS: ')))
T_FAILS=$((T_FAILS + $(printf '%s\n' "$out" | grep -c '^FAIL: ')))
[ "$rc" -eq 0 ] || t_fail "malformed.py run exited with status $rc"
classes=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' \
	"$WORKDIR/corpus.json" 2>/dev/null || echo 0)
t_check "at least 30 classes sent ($classes)" test "$classes" -ge 30

touch "$STOP"
wait "$CLIENT_PID"
t_log "client during the corpus: $(cat "$WORKDIR/client.json")"
"$PY" - "$WORKDIR/client.json" <<'EOF' && t_pass "the client running during the corpus saw no failure" || t_fail "the client running during the corpus saw failures"
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["failed"] == 0 and s["ok"] >= 50 else 1)
EOF
t_check "web1's next hop is still its real MAC after the spoofed ARP" \
	test "$(mac_of "$TARGET")" = "$REAL"
t_check "edgelbd still running after the corpus" elbd_alive

# And it still dispatches exactly where lookup says.
t_py snapshot "$WORKDIR/before2.json" || t_abort "snapshot counters"
t_client "$VIP" -n 100 -c 16 --time-limit 30 >"$WORKDIR/client2.json"
sleep 0.5
t_py dispatch --before "$WORKDIR/before2.json" --client "$WORKDIR/client2.json" \
	--workers 1 --min-conns 100

t_stop_daemon
t_finish

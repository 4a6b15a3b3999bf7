#!/usr/bin/env bash
# Malformed frames (tests/integration/malformed.py, scapy) are dropped and
# counted by reason; the daemon keeps serving.
. "$(dirname "$0")/lib.sh"

COUNT=20
# Reasons other traffic on the segment can also raise (our own TX seen by
# net_af_packet, flooded unicast, backends' ARP for the client): >= only.
NOISY=l2_not_for_us,arp_not_ours,l3_unsupported,not_ours,neigh_unresolved,tx_full,ctl_ring_full
# DPDK's net_af_packet joins a PACKET_FANOUT group with
# PACKET_FANOUT_FLAG_DEFRAG: the kernel holds IPv4 fragments for reassembly
# and never hands a lone fragment to the daemon. Covered by the parser's
# unit tests instead; reported here as SKIP.
UNREACHABLE=ipv4_fragment

t_init mf
MALFORMED=$T_DIR/malformed.py
[ -f "$MALFORMED" ] || t_abort "tests/integration/malformed.py exists"
t_topology
t_config 1
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

MAC=$(t_port_mac) ||
	t_abort "status -> ports[0].mac"
t_log "appliance port MAC $MAC"
sleep 1
t_py snapshot "$WORKDIR/before.json" || t_abort "snapshot counters"
ip netns exec "$PREFIX-cli" "$PY" "$MALFORMED" c0 "$MAC" "$LB_ADDR" "$VIP" 80 \
	"$COUNT" >"$WORKDIR/sent.json" 2>"$WORKDIR/malformed.err" ||
	{ cat "$WORKDIR/malformed.err"; t_abort "malformed.py ran"; }
t_log "sent: $(cat "$WORKDIR/sent.json")"
sleep 1
t_py drops-grew "$WORKDIR/before.json" "$WORKDIR/sent.json" "$NOISY" "$UNREACHABLE"

t_check "edgelbd still running after malformed frames" elbd_alive
t_py snapshot "$WORKDIR/before2.json" || t_abort "snapshot counters"
t_client "$VIP" -n 100 -c 16 --time-limit 30 >"$WORKDIR/client.json"
t_log "client: $(cat "$WORKDIR/client.json")"
sleep 0.5
t_py dispatch --before "$WORKDIR/before2.json" --client "$WORKDIR/client.json" \
	--workers 1 --min-conns 100

t_stop_daemon
t_finish

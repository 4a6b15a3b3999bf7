#!/usr/bin/env bash
# SYNs to the VIP from sources no client can have (0/8, 127/8, multicast,
# class E, broadcast) or from the VIP itself or the port's own address make
# no flow and reach no backend: each is dropped and counted (src_martian,
# src_ours), and real clients keep being served where lookup says.
. "$(dirname "$0")/lib.sh"

COUNT=10

t_init martian
t_topology
t_config 1
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

stat_of() {
	elbctl -j stats | "$PY" -c 'import json,sys
st = json.load(sys.stdin)
k = sys.argv[1]
print(st["ports"][0]["drops"][k] if k.startswith("src_") else st["flows"][k])' "$1"
}
MAC=$(t_port_mac)
m0=$(stat_of src_martian) o0=$(stat_of src_ours) i0=$(stat_of inserts)
ip netns exec "$PREFIX-cli" "$PY" "$T_DIR/martian.py" c0 "$MAC" "$VIP" 80 \
	"$LB_ADDR" "$COUNT" >"$WORKDIR/sent.json" || t_abort "martian.py ran"
t_log "sent: $(cat "$WORKDIR/sent.json")"
sleep 1
m1=$(stat_of src_martian) o1=$(stat_of src_ours) i1=$(stat_of inserts)
t_check "src_martian counted every one of $((5 * COUNT)) SYNs ($m0 -> $m1)" \
	test $((m1 - m0)) -eq $((5 * COUNT))
t_check "src_ours counted every one of $((2 * COUNT)) SYNs ($o0 -> $o1)" \
	test $((o1 - o0)) -eq $((2 * COUNT))
t_check "no flow was made for them ($i0 -> $i1 inserts)" test "$i1" -eq "$i0"
t_py snapshot "$WORKDIR/before.json" || t_abort "snapshot counters"
t_client "$VIP" -n 300 -c 16 --time-limit 30 >"$WORKDIR/client.json"
sleep 0.5
t_py dispatch --before "$WORKDIR/before.json" --client "$WORKDIR/client.json" \
	--workers 1 --min-conns 300
t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

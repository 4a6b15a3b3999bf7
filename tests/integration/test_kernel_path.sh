#!/usr/bin/env bash
# The kernel exception path: with kernel_interface = edgelb-lan on the port,
# edgelbd makes that interface in its namespace (port MAC, address, default
# route via the gateway); the appliance's kernel reaches a backend by HTTP
# and ping through it, a listener on the port's address serves a client
# both ways, VIP traffic never goes there, and edgelb's counters agree with
# the interface's own. Without the key, TCP to the port's address is
# dropped as no_vip, as before.
. "$(dirname "$0")/lib.sh"

KIF=edgelb-lan
ECHO_PORT=7000

t_init kpath
t_topology
t_config 1
# The client answers ARP: a gateway edgelb and the kernel can resolve.
GW=$NET.10
sed -i "s|^address = $LB_ADDR/24\$|&\nkernel_interface = $KIF\ngateway = $GW|" \
	"$CONF"
grep -q "^kernel_interface = $KIF" "$CONF" || t_abort "config has kernel_interface"
t_daemon

LB=$PREFIX-lb
kp() { t_pyscript kernel_path.py "$@"; }
kget() {
	T_ID=$T_ID ELBD_SOCK=$ELBD_SOCK EDGELBCTL=$EDGELBCTL \
		"$PY" "$T_DIR/kernel_path.py" get "$1"
}
in_lb() { ip netns exec "$LB" "$@"; }

# ---- the interface as made -------------------------------------------------
MAC=$(t_port_mac)
link=$(ip -n "$LB" -o link show "$KIF" 2>&1)
t_check "$KIF exists in $LB with the port's MAC $MAC and is up" \
	eval 'printf "%s\n" "$link" | grep -qi "link/ether $MAC" &&
	      printf "%s\n" "$link" | grep -q "[<,]UP[,>]"'
t_check "$KIF has $LB_ADDR/24" \
	eval 'ip -n "$LB" -o -4 addr show dev "$KIF" | grep -q " $LB_ADDR/24 "'
t_check "default route via $GW on $KIF" \
	eval 'ip -n "$LB" route show default | grep -q "^default via $GW dev $KIF"'
ifindex=$(in_lb cat "/sys/class/net/$KIF/ifindex")
status_if=$(elbctl -j status | "$PY" -c 'import json,sys
p = json.load(sys.stdin)["ports"][0]
print(p["kernel_interface"], p["kernel_ifindex"])')
t_check "status names it: '$status_if' (ifindex $ifindex)" \
	test "$status_if" = "$KIF $ifindex"

# ---- the appliance's kernel reaches the backends through it ----------------
t0=$(kget to_kernel) f0=$(kget from_kernel)
out=$(in_lb curl -sS --max-time 5 "http://${BACKEND_ADDRS[0]}/" 2>&1)
t_check "curl from $LB to ${BACKEND_ADDRS[0]}:80 answers web1 ('$out')" \
	test "$out" = web1
out=$(in_lb ping -n -c 3 -i 0.2 -W 2 "${BACKEND_ADDRS[1]}" 2>&1)
printf '%s\n' "$out" | tail -2
t_check "ping from $LB to ${BACKEND_ADDRS[1]}: 3 of 3 answered, no duplicate" \
	eval 'printf "%s\n" "$out" | grep -q "3 packets transmitted, 3 received, 0% packet loss" &&
	      ! printf "%s\n" "$out" | grep -q duplicates'
t1=$(kget to_kernel) f1=$(kget from_kernel)
t_check "both went through edgelb: to_kernel $t0 -> $t1, from_kernel $f0 -> $f1" \
	test "$t1" -gt "$t0" -a "$f1" -gt "$f0"

# ---- a spoofed ARP reply teaches the kernel nothing --------------------------
# Linux takes a reply's MAC for a neighbour it holds once the entry's 1 s
# lock time is over, asked or not: edgelb hands the kernel only the ARP
# replies it did not refuse, so health checks cannot be redirected.
EVIL=02:00:5e:ee:ee:01
kmac() { in_lb ip neigh show "$1" dev "$KIF" | grep -o 'lladdr [0-9a-f:]*'; }
real=$(kmac "${BACKEND_ADDRS[0]}")
t_check "the kernel holds ${BACKEND_ADDRS[0]} ($real)" test -n "$real"
sleep 1.2
ip netns exec "$PREFIX-cli" "$PY" "$T_DIR/arp_spoof.py" c0 "$(t_port_mac)" \
	"${BACKEND_ADDRS[0]}" "$EVIL" 3 >/dev/null || t_abort "arp_spoof.py ran"
sleep 0.5
t_check "after 6 spoofed replies for ${BACKEND_ADDRS[0]} the kernel still has $real ($(kmac "${BACKEND_ADDRS[0]}"))" \
	test "$(kmac "${BACKEND_ADDRS[0]}")" = "$real"
out=$(in_lb curl -sS --max-time 5 "http://${BACKEND_ADDRS[0]}/" 2>&1)
t_check "curl from $LB to ${BACKEND_ADDRS[0]} still answers web1 ('$out')" \
	test "$out" = web1

# ---- a listener on the port's address serves a client ------------------------
rm -f "$WORKDIR/echo.ready"
in_lb "$PY" "$T_DIR/tcp_echo.py" serve "$LB_ADDR" "$ECHO_PORT" \
	"$WORKDIR/echo.ready" >"$WORKDIR/echo.log" 2>&1 &
srv=$!
for _ in $(seq 50); do [ -s "$WORKDIR/echo.ready" ] && break; sleep 0.1; done
out=$(ip netns exec "$PREFIX-cli" "$PY" "$T_DIR/tcp_echo.py" send "$LB_ADDR" \
	"$ECHO_PORT" 1000000 2>&1)
t_check "1 MB from the client to $LB_ADDR:$ECHO_PORT and back, intact ($out)" \
	eval 'printf "%s\n" "$out" | grep -q "echoed 1000000 of 1000000 bytes.*same"'
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null

# ---- VIP traffic never goes there ----------------------------------------------
kp quiet
k0=$(kget to_kernel) v0=$(kget no_vip)
ok=0
for _ in $(seq 20); do
	ip netns exec "$PREFIX-cli" curl -sf --max-time 2 "http://$VIP/" \
		>/dev/null && ok=$((ok + 1))
done
t_check "20 of 20 requests to the VIP answered ($ok)" test "$ok" -eq 20
ip netns exec "$PREFIX-cli" curl -s --max-time 1 "http://$VIP:8080/" \
	>/dev/null 2>&1
kp quiet
k1=$(kget to_kernel) v1=$(kget no_vip)
t_check "to_kernel did not move with VIP traffic ($k0 -> $k1)" test "$k1" -eq "$k0"
t_check "a SYN to the VIP's address on a port without VIP is no_vip ($v0 -> $v1)" \
	test "$v1" -gt "$v0"

# ---- the counters add up ---------------------------------------------------------
kp balance "$LB" "$KIF"
t_check "workers queued frames for the kernel ($(kget to_kernel)) and woke management ($(kget kernel.wakeups) times)" \
	test "$(kget to_kernel)" -gt 0 -a "$(kget kernel.wakeups)" -gt 0

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_check "$KIF is gone with edgelbd" eval '! ip -n "$LB" link show "$KIF" >/dev/null 2>&1'

# ---- without the key: dropped as no_vip, as before ---------------------------
sed -i "/^kernel_interface = /d" "$CONF"
t_daemon
t_check "no kernel interface without the key" \
	eval '! ip -n "$LB" link show "$KIF" >/dev/null 2>&1 &&
	      test "$(elbctl -j status | "$PY" -c "import json,sys; print(json.load(sys.stdin)[\"ports\"][0][\"kernel_interface\"])")" = None'
v0=$(kget no_vip)
ip netns exec "$PREFIX-cli" curl -s --max-time 1 "http://$LB_ADDR:$ECHO_PORT/" \
	>/dev/null 2>&1
sleep 0.3
v1=$(kget no_vip)
t_check "TCP to the port's address is no_vip ($v0 -> $v1), nothing for a kernel ($(kget to_kernel))" \
	test "$v1" -gt "$v0" -a "$(kget to_kernel)" -eq 0
t_stop_daemon
t_finish

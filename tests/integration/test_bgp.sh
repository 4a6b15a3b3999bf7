#!/usr/bin/env bash
# Scale out: three edgelbd boxes behind a router that spreads the VIP's flows
# by BGP ECMP. Each box (own namespace, port, kernel interface, BIRD 2 run by
# edgelbd) announces the VIP to the router (BIRD 2, kernel ECMP with an L4
# hash); nginx backends in DR mode answer through the router.
#
#   cli (10.203.0.10) -- r (BIRD 2, ECMP) -- br0 -- lb1 .2, lb2 .3, lb3 .4
#                                              \-- b1..b3 .11-.13 (VIP on lo)
#
# Checks: three next hops; connections spread over all boxes, each where
# every box's `lookup` says; a box whose pool goes all down withdraws and
# announces again on recovery; a reload with another weight shows another
# fingerprint; a graceful leave (SIGTERM: withdraw, drain, stop) under load
# fails no request and resets nothing; a killed box's connections resume
# through the others once the router's hold time (3 s) drops it.
. "$(dirname "$0")/lib.sh"

t_init bgp
T_START=$SECONDS
RNS=$PREFIX-r CNS=$PREFIX-cli
CNET=10.203.0
BOXES=(1 2 3)
LB_AS=65001 R_AS=65000
HOLD=3 DRAIN=4
FLEET=$T_DIR/bgp_fleet.py
declare -A BOX_PID

sock() { echo "/run/edgelb/test-bgp$1.sock"; }
box_addr() { echo "$NET.$(($1 + 1))"; }
fleet() {
	T_ID=$T_ID EDGELBCTL=$EDGELBCTL WORKDIR=$WORKDIR VIP=$VIP \
		CLIENT_ADDR=$CNET.10 \
		"$PY" "$FLEET" "$@"
}
fleet_check() {
	local out
	out=$(fleet "$@" 2>&1)
	printf '%s\n' "$out"
	T_PASSES=$((T_PASSES + $(printf '%s\n' "$out" | grep -c '^PASS: ')))
	T_FAILS=$((T_FAILS + $(printf '%s\n' "$out" | grep -c '^FAIL: ')))
}
ms() { date +%s%3N; }

cleanup_fleet() {
	local i
	for i in "${BOXES[@]}"; do
		[ -n "${BOX_PID[$i]:-}" ] && kill -KILL "${BOX_PID[$i]}" 2>/dev/null
		rm -f "$(sock "$i")" "$(sock "$i")".bird.*
		rm -rf "/var/run/dpdk/elbt-bgp$i"
	done
	sleep 0.3
	for ns in "$RNS" "$PREFIX-lb1" "$PREFIX-lb2" "$PREFIX-lb3"; do
		# shellcheck disable=SC2046
		kill -KILL $(ip netns pids "$ns" 2>/dev/null) 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}
t_on_exit cleanup_fleet

# ---- topology ----------------------------------------------------------------
topology() {
	local i ns
	T_TOPO=1
	elb_topo_down "$PREFIX"
	elb_ns_create "$PREFIX-sw"
	ip -n "$PREFIX-sw" link add br0 type bridge stp_state 0 forward_delay 0 \
		nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 \
		mcast_snooping 0
	ip -n "$PREFIX-sw" link set br0 up
	# The router: r0 on the segment, r1 towards the client.
	elb_ns_create "$RNS"
	elb_veth "$PREFIX" r "$RNS" r0
	ip -n "$RNS" addr add "$NET.1/24" dev r0
	elb_ns_create "$CNS"
	ip -n "$RNS" link add r1 type veth peer name c0 netns "$CNS"
	elb_offloads_off "$RNS" r1
	elb_offloads_off "$CNS" c0
	ip -n "$RNS" addr add "$CNET.1/24" dev r1
	ip -n "$RNS" link set r1 up
	ip -n "$CNS" addr add "$CNET.10/24" dev c0
	ip -n "$CNS" link set c0 up
	ip -n "$CNS" route add default via "$CNET.1"
	ip netns exec "$CNS" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" \
		net.ipv4.tcp_tw_reuse=1 >/dev/null
	ip netns exec "$RNS" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.r0.rp_filter=0 \
		net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.r0.send_redirects=0 >/dev/null
	for i in "${BOXES[@]}"; do
		ns=$PREFIX-lb$i
		elb_ns_create "$ns"
		elb_veth "$PREFIX" "lb$i" "$ns" lb0
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=8 \
			net.ipv4.conf.lb0.rp_filter=1 >/dev/null
	done
	for i in "${ELB_BACKENDS[@]}"; do
		ns=$PREFIX-b$i
		elb_ns_create "$ns"
		elb_veth "$PREFIX" "b$i" "$ns" eth0
		ip -n "$ns" addr add "$NET.1$i/24" dev eth0
		ip -n "$ns" addr add "$VIP/32" dev lo
		ip -n "$ns" route add default via "$NET.1"
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 \
			net.ipv4.conf.eth0.arp_announce=2 \
			net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.eth0.rp_filter=0 >/dev/null
	done
	elb_nginx_start "$PREFIX" "$WORKDIR" || return 1
}

router_bird() {
	local i conf=$WORKDIR/router-bird.conf
	{
		printf 'router id %s.1;\nlog "%s/router-bird.log" all;\n' \
			"$NET" "$WORKDIR"
		printf 'protocol device { scan time 2; }\n'
		# ECMP: equal BGP routes merged into one multipath kernel route.
		printf 'protocol kernel { ipv4 { import none; export all; };\n'
		printf '  merge paths yes; }\n'
		printf 'template bgp box { local as %s; hold time %s;\n' "$R_AS" "$HOLD"
		printf '  keepalive time 1; connect retry time 1;\n'
		printf '  ipv4 { import all; export none; }; }\n'
		for i in "${BOXES[@]}"; do
			printf 'protocol bgp lb%s from box { neighbor %s as %s; }\n' \
				"$i" "$(box_addr "$i")" "$LB_AS"
		done
	} >"$conf"
	ip netns exec "$RNS" bird -c "$conf" -s "$WORKDIR/router-bird.ctl" \
		-P "$WORKDIR/router-bird.pid"
}

# box_config I [WEIGHT3]: box I's configuration (web3's weight may differ).
box_config() {
	local i=$1 w3=${2:-3} dir=$WORKDIR/lb$1 b
	mkdir -p "$dir"
	{
		cat <<EOF
[global]
socket = $(sock "$i")
audit_log = $dir/audit.log
workers = 1
eal_args = "--no-huge -m 256 --file-prefix=elbt-bgp$i --no-pci --log-level=*:notice"
idle_sleep_us = 100
tcp_fin_timeout = 2
hash_key = $T_HASH_KEY
metrics_listen = 127.0.0.1:9740

[port.lan]
device = net_af_packet0,iface=lb0,qpairs=1
address = $(box_addr "$i")/24
gateway = $NET.1
kernel_interface = edgelb-lan

[vip.web]
address = $VIP
port = 80
protocol = tcp
mode = dr
pool = web

[pool.web]
table_size = 65537
health = http
health_interval_ms = 300
health_timeout_ms = 250
health_rise = 1
health_fall = 1

[bgp]
local_as = $LB_AS
neighbor = $NET.1 $R_AS
hold_time_s = $HOLD
drain_s = $DRAIN
EOF
		for b in 1 2 3; do
			printf '\n[backend.web%s]\npool = web\naddress = %s\nweight = %s\n' \
				"$b" "$NET.1$b" "$([ "$b" = 3 ] && echo "$w3" || echo "$b")"
		done
	} >"$dir/edgelb.ini"
}

box_start() {
	local i=$1
	rm -f "$(sock "$i")"
	ip netns exec "$PREFIX-lb$i" "$EDGELBD" -f "$WORKDIR/lb$i/edgelb.ini" \
		>>"$WORKDIR/lb$i/edgelbd.log" 2>&1 &
	BOX_PID[$i]=$!
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds; prints the ms taken.
wait_for() {
	local until=$(($(ms) + $1 * 1000)) t0
	t0=$(ms)
	shift
	while [ "$(ms)" -lt "$until" ]; do
		if "$@"; then
			echo $(($(ms) - t0))
			return 0
		fi
		sleep 0.05
	done
	echo -1
	return 1
}
nexthops() {
	ip -n "$RNS" route show "$VIP" 2>/dev/null | grep -c "nexthop via" ||
		true
}
route_has() {
	local n
	n=$(ip -n "$RNS" route show "$VIP" 2>/dev/null | grep -c "nexthop via")
	if [ "$1" -le 1 ]; then
		[ "$1" = 0 ] && ! ip -n "$RNS" route show "$VIP" | grep -q . && return 0
		[ "$1" = 1 ] && [ "$n" = 0 ] && ip -n "$RNS" route show "$VIP" |
			grep -q "via" && return 0
		return 1
	fi
	[ "$n" = "$1" ]
}
established() { [ "$(fleet session "$(sock "$1")")" = 1 ]; }
ctl_ok() { "$EDGELBCTL" -s "$(sock "$1")" -j status >/dev/null 2>&1; }

topology || t_abort "topology up"
router_bird || t_abort "router BIRD started"
for i in "${BOXES[@]}"; do
	box_config "$i"
	box_start "$i"
done
for i in "${BOXES[@]}"; do
	t=$(wait_for 30 ctl_ok "$i") || t_abort "box $i answers on $(sock "$i")"
done
for i in "${BOXES[@]}"; do
	t=$(wait_for 30 established "$i")
	t_check "box $i: BGP session with the router Established (${t} ms)" \
		test "$t" -ge 0
done
t=$(wait_for 20 route_has 3)
t_check "the router's route to $VIP has three next hops (${t} ms): $(ip -n "$RNS" route show "$VIP" | tr '\n' ' ')" \
	test "$t" -ge 0
"$EDGELBCTL" -s "$(sock 1)" bgp

# ---- spread and agreement ----------------------------------------------------
fleet marks >"$WORKDIR/marks0"
read -r -a nf0 <<<"$(fleet new_flows "$(sock 1)" "$(sock 2)" "$(sock 3)" | tr '\n' ' ')"
out=$(ip netns exec "$CNS" "$PY" "$CLIENT" "$VIP" -n 300 -c 16 --timeout 5)
echo "$out"
t_check "300 connections through the fleet, none failed" \
	eval 'printf "%s" "$out" | grep -q "\"failed\": 0"'
read -r -a nf1 <<<"$(fleet new_flows "$(sock 1)" "$(sock 2)" "$(sock 3)" | tr '\n' ' ')"
for i in 0 1 2; do
	t_check "box $((i + 1)) scheduled new flows: ${nf0[$i]} -> ${nf1[$i]}" \
		test "${nf1[$i]}" -gt "${nf0[$i]}"
done
fleet_check agree "$WORKDIR/marks0" "$(sock 1)" "$(sock 2)" "$(sock 3)"
# For context (kernel-bound on this machine, not asserted).
rate() {
	ip netns exec "$CNS" "$PY" "$CLIENT" "$VIP" -n 3000 -c 32 --timeout 5 |
		"$PY" -c 'import json,sys; a = json.load(sys.stdin); print(a["rate_per_s"], a["failed"])'
}
RATE3=$(rate)
t_log "new connections/s through three boxes: $RATE3 (rate, failed)"

# ---- a pool all down withdraws; recovery announces again -------------------
for b in "${ELB_BACKENDS[@]}"; do
	ip netns exec "$PREFIX-b$b" iptables -I INPUT -s "$(box_addr 1)" -p tcp \
		--dport 80 -j REJECT --reject-with tcp-reset
done
t=$(wait_for 15 route_has 2)
t_check "box 1's checks all fail: it withdraws, the router keeps 2 next hops (${t} ms)" \
	test "$t" -ge 0
t_check "box 1's bgp says $VIP not announced" \
	test "$(fleet prefix "$(sock 1)" "$VIP")" = 0
for b in "${ELB_BACKENDS[@]}"; do
	ip netns exec "$PREFIX-b$b" iptables -D INPUT -s "$(box_addr 1)" -p tcp \
		--dport 80 -j REJECT --reject-with tcp-reset
done
t=$(wait_for 15 route_has 3)
t_check "checks pass again: box 1 announces, 3 next hops (${t} ms)" \
	test "$t" -ge 0
t_check "the audit history of box 1 has the withdraw and the announce" \
	eval '"$EDGELBCTL" -s "$(sock 1)" -j history 50 | grep -q "withdraw $VIP/32" &&
	      "$EDGELBCTL" -s "$(sock 1)" -j history 50 | grep -q "announce $VIP/32"'

# ---- another configuration, another fingerprint ------------------------------
fp2=$(fleet fingerprint "$(sock 2)" web)
same_fp() { [ "$(fleet fingerprint "$(sock 1)" web)" = "$fp2" ]; }
# Box 1 announces with one backend up; the others follow within a check.
t=$(wait_for 5 same_fp)
t_check "boxes 1 and 2 show the same fingerprint $fp2 once box 1's backends are all up again (${t} ms)" \
	test "$t" -ge 0
box_config 1 4
"$EDGELBCTL" -s "$(sock 1)" reload >/dev/null || t_fail "box 1 reloaded"
fp1b=$(fleet fingerprint "$(sock 1)" web)
t_check "box 1 reloaded with web3 weight 4: fingerprint $fp1b differs from box 2's $fp2" \
	test -n "$fp1b" -a "$fp1b" != "$fp2"
# The fleet rule on what the boxes export: box 1's fingerprint against box
# 2's for three minutes fires it (promtool, with the values of /metrics).
metric_fp() {
	ip netns exec "$PREFIX-lb$1" curl -sf --max-time 5 \
		http://127.0.0.1:9740/metrics |
		sed -n 's/^edgelb_pool_fingerprint_info{pool="web",fingerprint="\([0-9a-f]*\)"} 1$/\1/p'
}
mfp1=$(metric_fp 1) mfp2=$(metric_fp 2)
t_check "/metrics of boxes 1 and 2 export the fingerprints status shows ($mfp1, $mfp2)" \
	test "$mfp1" = "$fp1b" -a "$mfp2" = "$fp2"
if command -v promtool >/dev/null; then
	"$PY" - "$ROOT" "$mfp1" "$mfp2" >"$WORKDIR/fleet.test.yml" <<'PYEOF'
import json, sys
root, fp1, fp2 = sys.argv[1:]
series = lambda inst, fp: {
    "series": 'edgelb_pool_fingerprint_info{job="t",instance="%s",'
              'pool="web",fingerprint="%s"}' % (inst, fp),
    "values": "1x10"}
test = {"rule_files": [root + "/deploy/prometheus/fleet.rules.yml"],
        "tests": [{"interval": "30s",
                   "input_series": [series("lb1", fp1), series("lb2", fp2)],
                   "promql_expr_test": [{
                       "expr": "ALERTS{alertname=\"EdgelbFleetFingerprintMismatch\","
                               "alertstate=\"firing\"}",
                       "eval_time": "3m",
                       "exp_samples": [{"labels":
                           'ALERTS{alertname="EdgelbFleetFingerprintMismatch",'
                           'alertstate="firing",job="t",pool="web",'
                           'severity="page"}', "value": 1}]}]}]}
print(json.dumps(test))
PYEOF
	t_check "the fleet rule fires on boxes 1 and 2's exported fingerprints (promtool)" \
		eval 'promtool test rules "$WORKDIR/fleet.test.yml" >"$WORKDIR/promtool.out" 2>&1 ||
		      { cat "$WORKDIR/promtool.out"; false; }'
fi
box_config 1
"$EDGELBCTL" -s "$(sock 1)" reload >/dev/null || t_fail "box 1 reloaded back"
t_check "box 1 back: fingerprint $(fleet fingerprint "$(sock 1)" web) = box 2's" \
	test "$(fleet fingerprint "$(sock 1)" web)" = "$fp2"

# ---- BIRD dies: edgelbd restarts it, and it announces what edgelbd says ------
read -r bpid starts <<<"$(fleet bird "$(sock 1)")"
t0=$(ms)
kill -KILL "$bpid"
t_route=$(wait_for 10 route_has 2)
t=$(wait_for 15 route_has 3)
read -r bpid2 starts2 <<<"$(fleet bird "$(sock 1)")"
t_check "box 1's BIRD killed: the router dropped it (${t_route} ms), edgelbd started BIRD again (pid $bpid -> $bpid2, starts $starts -> $starts2) and the route is back $((t_route + t)) ms after the kill" \
	test "$t_route" -ge 0 -a "$t" -ge 0 -a "$starts2" = $((starts + 1)) -a "$bpid2" != "$bpid"

# ---- graceful leave under load -----------------------------------------------
# load SECONDS NAME: keep-alive connections and new ones, in the background.
LOAD_PIDS=()
load() {
	ip netns exec "$CNS" "$PY" "$CLIENT" "$VIP" --holds 12 --hold "$1" \
		--interval 0.1 --timeout 10 --allow-errors >"$WORKDIR/$2.holds" &
	LOAD_PIDS=($!)
	ip netns exec "$CNS" "$PY" "$CLIENT" "$VIP" --duration "$1" --rate 40 \
		-c 8 --timeout 10 --max-failed 100000 \
		--events "$WORKDIR/$2.events" >"$WORKDIR/$2.new" &
	LOAD_PIDS+=($!)
}
# delayed EVENTS: new connections that took more than 1 s, and the longest.
delayed() {
	awk '$3 != "-" { d = $2 - $1; if (d > 1) n++; if (d > m) m = d }
	     END { printf "%d %.2f", n, m }' "$1"
}

load 10 graceful
sleep 3
# Packets of flows a box never saw: the connections the router moves.
ut0=$(fleet untracked "$(sock 1)" "$(sock 2)")
nf_before=$(fleet new_flows "$(sock 3)")
t0=$(ms)
kill -TERM "${BOX_PID[3]}"
t_route=$(wait_for 5 route_has 2)
# No new flow on box 3 from when: its counter stops moving.
last=$nf_before last_t=$t0
while kill -0 "${BOX_PID[3]}" 2>/dev/null && [ $(($(ms) - t0)) -lt $((DRAIN * 1000 - 500)) ]; do
	n=$(fleet new_flows "$(sock 3)" 2>/dev/null) || break
	[ -n "$n" ] && [ "$n" -gt "$last" ] && { last=$n; last_t=$(ms); }
	sleep 0.1
done
wait "${BOX_PID[3]}"
rc3=$?
BOX_PID[3]=
t_stop=$(($(ms) - t0))
wait "${LOAD_PIDS[@]}"
t_check "graceful: the router dropped box 3 ${t_route} ms after SIGTERM, before the drain ended" \
	test "$t_route" -ge 0 -a "$t_route" -lt $((DRAIN * 1000))
t_log "graceful: box 3's last new flow $((last_t - t0)) ms after SIGTERM; it stopped after $t_stop ms (drain ${DRAIN} s), status $rc3"
t_check "box 3 exited 0 after draining" test "$rc3" = 0 -a "$t_stop" -ge $((DRAIN * 1000))
ut1=$(fleet untracked "$(sock 1)" "$(sock 2)")
t_check "graceful: box 3's connections went on through boxes 1 and 2 (their untracked packets $ut0 -> $ut1)" \
	test "$ut1" -gt "$ut0"
fleet_check holds "$WORKDIR/graceful.holds"
cat "$WORKDIR/graceful.new"
t_check "graceful: no new connection failed" \
	eval 'grep -q "\"failed\": 0" "$WORKDIR/graceful.new"'
t_log "graceful: new connections delayed > 1 s, longest: $(delayed "$WORKDIR/graceful.events")"
t_check "box 3's audit history has SIGTERM's withdraw" \
	grep -q "withdraw $VIP/32 (edgelbd is stopping" "$WORKDIR/lb3/audit.log"

# ---- hard failure ------------------------------------------------------------
load 12 hard
sleep 3
ut0=$(fleet untracked "$(sock 1)")
t0=$(ms)
kill -KILL "${BOX_PID[2]}"
wait "${BOX_PID[2]}" 2>/dev/null
BOX_PID[2]=
t_route=$(wait_for 10 route_has 1)
wait "${LOAD_PIDS[@]}"
t_check "hard: the router dropped box 2 ${t_route} ms after the kill (hold time ${HOLD} s)" \
	test "$t_route" -ge 0 -a "$t_route" -le $((HOLD * 1000 + 1500))
t_check "hard: BIRD of box 2 died with it" \
	eval '! pgrep -f "bird -f -c $(sock 2).bird.conf" >/dev/null'
ut1=$(fleet untracked "$(sock 1)")
t_check "hard: box 2's connections went on through box 1 (its untracked packets $ut0 -> $ut1)" \
	test "$ut1" -gt "$ut0"
fleet_check holds "$WORKDIR/hard.holds"
cat "$WORKDIR/hard.new"
t_check "hard: no new connection failed (they wait in SYN retries)" \
	eval 'grep -q "\"failed\": 0" "$WORKDIR/hard.new"'
t_log "hard: new connections delayed > 1 s, longest: $(delayed "$WORKDIR/hard.events")"
# Traffic resumed: the last connection started before the route was gone
# has ended (held in SYN retries until then).
kill_s=$(awk -v t="$t0" 'BEGIN { printf "%.3f", t / 1000 }')
t_log "hard: every new connection started between the kill and the route drop ended by $(awk -v k="$kill_s" -v r="$t_route" '$3 != "-" && $1 >= k && $1 <= k + r / 1000 { if ($2 > m) m = $2 } END { printf "%d", (m > 0 ? (m - k) * 1000 : -1) }' "$WORKDIR/hard.events") ms after the kill"

# ---- maintenance: bgp withdraw / announce ------------------------------------
"$EDGELBCTL" -s "$(sock 1)" bgp withdraw
t=$(wait_for 10 route_has 0)
t_check "bgp withdraw: the router has no route to $VIP (${t} ms)" test "$t" -ge 0
"$EDGELBCTL" -s "$(sock 1)" bgp announce
t=$(wait_for 10 route_has 1)
t_check "bgp announce: the route is back (${t} ms)" test "$t" -ge 0
t_check "both recorded with who ran them" \
	eval '"$EDGELBCTL" -s "$(sock 1)" -j history 5 | grep -q "\"command\": \"bgp withdraw\"" &&
	      "$EDGELBCTL" -s "$(sock 1)" -j history 5 | grep -q "\"command\": \"bgp announce\""'

t_log "new connections/s through one box: $(rate) (rate, failed); three: $RATE3"
kill -TERM "${BOX_PID[1]}"
wait "${BOX_PID[1]}"
rc=$?
BOX_PID[1]=
t_check "box 1 stopped with status 0" test "$rc" = 0
t_log "took $((SECONDS - T_START)) s"
t_finish

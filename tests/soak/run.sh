#!/usr/bin/env bash
# Soak: real traffic through edgelbd for SOAK_SECONDS (default 300) while
# it is reloaded, weights change, backends are stopped and started again
# (health checks take them out and back) and a backend's link flaps.
#
#   usage (root): tests/soak/run.sh          SOAK_SECONDS=N tests/soak/run.sh
#   EDGELB_BUILD=DIR picks the build (default build/), ELB_KEEP=1 keeps the
#   work dir (events, nginx logs, figures). Not part of tests/run.sh: it
#   takes minutes, and each of its events has a test of its own there.
#
# Two workers, pool web (nginx on three backends, weights 1:2:3) checked by
# TCP every 500 ms through the kernel interface (fall 2, rise 2). Traffic:
# 100 new HTTP connections a second (client.py, 3 s timeout), each logged
# with its start, end, source port and backend or error. Every 30 s:
#   t+0  reload of a file whose web3 weight alternates 3/4
#   t+3  weight web1 2, t+6 weight web1 1 (runtime changes)
#   t+8  web2's nginx stopped until health says down, then 5 s more,
#        started again until health says up
#   t+20 SIGHUP (reload)
#   t+22 web3's link down 4 s, then up until health says up
# A connection "whose backend stayed up" is one that did not start inside
# an outage window of the backend it was sent to: from 3 s (the client's
# timeout) before that backend was stopped or its link taken down until
# 1 s after health checks saw it up again. Which backend a failed
# connection was sent to, `lookup` of its tuple says at the end (its flow,
# a SYN nobody answered, stays: tcp_syn_timeout = 600). Checked at the end:
# - no such connection failed: every failure started inside an outage
#   window, and lookup names that window's backend for it;
# - edgelbd's RSS grew by at most 16 MB and its open file descriptors
#   (/proc/PID/fd) by none, from after the first cycle to the end;
# - counters agree: per-core stats sum to the totals; the VIP's new_flows
#   equal the sum of its backends'; every successful connection the client
#   saw is in the access log of the backend that answered it (by source
#   port), each backend's new_flows at least its successes, and all
#   new_flows between the client's successes and its attempts plus its
#   failures (a SYN retried after its backend went down is scheduled anew);
# - edgelbd still runs and stops cleanly.
# shellcheck source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

SOAK_SECONDS=${SOAK_SECONDS:-300}
CYCLE=30
KIF=elbt-sk0
RATE=100
CT=3

t_init soak
case $(ldd "$EDGELBD") in *libasan*) ASAN=1 ;; *) ASAN=0 ;; esac
t_topology
t_config_head 2
# A failed connection's flow (a SYN nobody answered) stays for the whole
# soak, so that lookup says which backend it was sent to.
sed -i "/^audit_log = /a tcp_syn_timeout = 600" "$CONF"
{
	echo "kernel_interface = $KIF"
	printf '\n[vip.web]\naddress = %s\nport = 80\npool = web\n' "$VIP"
	printf '\n[pool.web]\nhealth = tcp\nhealth_interval_ms = 500\n'
	printf 'health_timeout_ms = 300\nhealth_fall = 2\nhealth_rise = 2\n'
} >>"$CONF"
for i in 1 2 3; do t_backend "web$i" web "$i" "$i"; done
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"

EV=$WORKDIR/events          # outage windows and changes, one a line
CL=$WORKDIR/connections     # client.py --events
: >"$EV"
now() { date +%s.%N; }
note() { echo "$(now) $*" >>"$EV"; }
health() {
	elbctl -j health | "$PY" -c 'import json,sys
print({b["name"]: b["health"] for b in json.load(sys.stdin)["backends"]}.get(sys.argv[1]))' "$1"
}
wait_health() {   # NAME STATE TIMEOUT_S
	local deadline=$((SECONDS + $3))
	while [ $SECONDS -le $deadline ]; do
		[ "$(health "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
RSS() { awk '/^VmRSS/ {print $2}' "/proc/$ELBD_PID/status"; }
FDS() { ls "/proc/$ELBD_PID/fd" | wc -l; }

for b in web1 web2 web3; do
	wait_health "$b" up 10 || t_abort "$b checked up"
done
elbctl -j stats >"$WORKDIR/stats0.json"
elbctl -j backends >"$WORKDIR/backends0.json"
t_client "$VIP" --duration "$SOAK_SECONDS" --rate "$RATE" -c 16 \
	--timeout "$CT" --max-failed 1000000 --stop-file "$WORKDIR/stop" \
	--fail-ports \
	--events "$CL" >"$WORKDIR/client.json" &
CLIENT_PID=$!
t_on_exit "touch $WORKDIR/stop"

cycle() {
	local k=$1 t0=$SECONDS w3=$(( 3 + $1 % 2 ))
	at() { local d=$((t0 + $1 - SECONDS)); [ "$d" -gt 0 ] && sleep "$d"; }
	sed -i "/^\[backend.web3\]/,/^weight/ s/^weight = .*/weight = $w3/" "$CONF"
	elbctl reload >/dev/null && note change reload "web3=$w3" ||
		t_fail "cycle $k: reload"
	at 3; elbctl weight web1 2 >/dev/null && note change weight web1=2
	at 6; elbctl weight web1 1 >/dev/null && note change weight web1=1
	at 8
	note down web2 nginx
	elb_nginx_stop_one "$WORKDIR/b2"
	wait_health web2 down 10 || t_fail "cycle $k: web2 not seen down"
	sleep 5
	ip netns exec "$PREFIX-b2" nginx -q -e "$WORKDIR/b2/error.log" \
		-p "$WORKDIR/b2" -c "$WORKDIR/b2/nginx.conf"
	wait_health web2 up 10 || t_fail "cycle $k: web2 not seen up again"
	note up web2 nginx
	at 20; kill -HUP "$ELBD_PID" && note change sighup
	at 22
	note down web3 link
	ip -n "$PREFIX-b3" link set eth0 down
	sleep 4
	ip -n "$PREFIX-b3" link set eth0 up
	wait_health web3 up 10 || t_fail "cycle $k: web3 not seen up again"
	note up web3 link
	at "$CYCLE"
}

k=0
start=$SECONDS
rss1=$(RSS) fds1=$(FDS)
t_log "at the start: RSS $rss1 kB, $fds1 fds"
while [ $((SECONDS - start + CYCLE)) -le "$SOAK_SECONDS" ]; do
	cycle "$k"
	k=$((k + 1))
	if [ "$k" -eq 1 ]; then
		rss1=$(RSS) fds1=$(FDS)
		t_log "after the first cycle: RSS $rss1 kB, $fds1 fds"
	fi
	elbd_alive || t_abort "edgelbd died during cycle $k"
done
touch "$WORKDIR/stop"
wait "$CLIENT_PID"
sleep 1
rss2=$(RSS) fds2=$(FDS)
t_log "$k cycles in ${SOAK_SECONDS} s; client: $(cat "$WORKDIR/client.json" | cut -c1-300)"
t_log "RSS $rss1 -> $rss2 kB, fds $fds1 -> $fds2"
elbctl -j stats >"$WORKDIR/stats1.json"
elbctl -j stats --per-core >"$WORKDIR/percore1.json"
elbctl -j backends >"$WORKDIR/backends1.json"
t_check "$k cycles of changes ran" test "$k" -ge 1
if [ "$ASAN" = 1 ]; then
	# ASan keeps freed memory in quarantine (256 MB): RSS says nothing.
	T_SKIPS=$((T_SKIPS + 1))
	echo "SKIP: $T_ID: edgelbd RSS grew by $((rss2 - rss1)) kB (an ASan build: not checked)"
else
	t_check "edgelbd RSS grew by $((rss2 - rss1)) kB (at most 16 MB)" \
		test $((rss2 - rss1)) -le 16384
fi
t_check "edgelbd's file descriptors: $fds1 -> $fds2 (no growth)" \
	test "$fds2" -le "$fds1"
t_pyscript ../soak/check_soak.py "$WORKDIR" "$NET.10" "$CT"
t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

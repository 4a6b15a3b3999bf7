# shellcheck shell=bash
# Common setup for the integration tests. Sourced by each test_*.sh.
#
# A test calls t_init ID (short, unique per test), then t_topology, t_config,
# t_daemon as it needs them, reports with t_pass/t_fail/t_check, and ends with
# t_finish. Everything it made (namespaces, nginx, edgelbd, socket, DPDK
# runtime dir, work dir) is removed on exit, on failure and on INT/TERM.
#
# Environment: EDGELB_BUILD (default ROOT/build), ELB_NET (default 10.201.0),
# ELB_KEEP=1 keeps the work dir.

set -uo pipefail

T_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$T_DIR/../.." && pwd)
BUILD=${EDGELB_BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
EDGELBD=$BUILD/app/edgelbd/edgelbd
EDGELBCTL=$BUILD/app/edgelbctl/edgelbctl
CLIENT=$T_DIR/client.py
PY=/usr/bin/python3

# shellcheck source=../../deploy/lib/netns.sh
. "$ROOT/deploy/lib/netns.sh"
# shellcheck source=../../deploy/lib/edgelbd.sh
. "$ROOT/deploy/lib/edgelbd.sh"

NET=${ELB_NET:-10.201.0}
VIP=$NET.100
LB_ADDR=$NET.2
BACKEND_ADDRS=("$NET.11" "$NET.12" "$NET.13")
WEIGHTS=(1 2 3)
# Short, so that test_dispatch can see the flow tables drain and check the
# scheduler's answers too.
TCP_FIN_TIMEOUT=2
# The tests' [global] hash_key (t_config_head): known to everyone who reads
# this file, which is fine for a test and wrong for a deployment.
T_HASH_KEY=${T_HASH_KEY-6e1d0b2f9a4c7e3850f2a61cd94b7e05}

T_FAILS=0
T_PASSES=0
T_SKIPS=0
T_ID=
PREFIX=
WORKDIR=
CONF=
DLOG=
ELBD_SOCK=
T_TOPO=0

t_log() { echo "[$T_ID] $*"; }
t_pass() { T_PASSES=$((T_PASSES + 1)); echo "PASS: $T_ID: $*"; }
t_fail() { T_FAILS=$((T_FAILS + 1)); echo "FAIL: $T_ID: $*"; }

# t_check DESCRIPTION COMMAND...: PASS if the command succeeds.
t_check() {
	local what=$1
	shift
	if "$@"; then t_pass "$what"; else t_fail "$what"; fi
}

# Stop here: a precondition failed, nothing after it can be meaningful.
t_abort() {
	t_fail "$*"
	exit 1
}

# t_on_exit COMMAND: run COMMAND (eval'd) during cleanup, after the
# daemon stopped, e.g. to remove a user or group the test created.
T_ON_EXIT=()
t_on_exit() { T_ON_EXIT+=("$1"); }

# t_group NAME: a system group for the socket or admin tests; removed at
# exit if this test made it. Prints nothing; its gid is t_gid NAME.
t_group() {
	getent group "$1" >/dev/null && return 0
	groupadd -r "$1" || t_abort "groupadd $1"
	t_on_exit "groupdel $1"
}
t_gid() { getent group "$1" | cut -d: -f3; }

# t_user NAME: a system user (no home, no shell) to run edgelbctl as a
# peer that is not root; removed at exit, with its group, if made here.
t_user() {
	getent passwd "$1" >/dev/null && return 0
	useradd -r -M -s /usr/sbin/nologin "$1" || t_abort "useradd $1"
	t_on_exit "userdel $1; getent group $1 >/dev/null && groupdel $1"
}

t_cleanup() {
	local rc=$? h
	trap - EXIT INT TERM
	# Output may go to a closed pipe (| head): cleaning up matters more.
	trap '' PIPE
	if [ -n "$ELBD_PID" ]; then
		elbd_stop 5 >/dev/null 2>&1 || true
	fi
	for h in "${T_ON_EXIT[@]}"; do
		eval "$h" || true
	done
	if [ "$T_TOPO" = 1 ]; then
		elb_topo_down "$PREFIX" "$WORKDIR"
	fi
	[ -n "$ELBD_SOCK" ] && rm -f "$ELBD_SOCK"
	[ -n "$T_ID" ] && rm -rf "/var/run/dpdk/elbt-$T_ID"
	if { [ "$T_FAILS" -gt 0 ] || [ "$rc" -ne 0 ]; } && [ -s "$DLOG" ]; then
		echo "---- [$T_ID] edgelbd log (last 40 lines) ----"
		tail -n 40 "$DLOG"
		echo "----"
	fi
	if [ -n "$WORKDIR" ]; then
		if [ "${ELB_KEEP:-0}" = 1 ]; then
			echo "[$T_ID] work dir kept: $WORKDIR"
		else
			rm -rf "$WORKDIR"
		fi
	fi
	exit "$rc"
}

t_init() {
	T_ID=$1
	PREFIX=elbt-$T_ID
	[ "$(id -u)" -eq 0 ] || { echo "FAIL: $T_ID: must run as root"; exit 1; }
	WORKDIR=$(mktemp -d "/tmp/elbt-$T_ID.XXXXXX")
	chmod 755 "$WORKDIR"
	CONF=$WORKDIR/edgelb.ini
	DLOG=$WORKDIR/edgelbd.log
	ELBD_SOCK=/run/edgelb/test-$T_ID.sock
	trap t_cleanup EXIT
	trap 'echo "[$T_ID] interrupted"; exit 130' INT
	trap 'echo "[$T_ID] terminated"; exit 143' TERM
	trap 'exit 141' PIPE
	for b in "$EDGELBD" "$EDGELBCTL"; do
		[ -x "$b" ] || t_abort "binary missing: $b (build first)"
	done
}

t_topology() {
	T_TOPO=1
	elb_topo_up "$PREFIX" "$NET" "$VIP" || t_abort "topology up"
	elb_nginx_start "$PREFIX" "$WORKDIR" || t_abort "nginx backends up"
}

# t_config_head WORKERS: only [global] and [port.lan] of the test
# configuration, for a test that appends its own VIPs, pools and backends
# (t_vip, t_pool, t_backend). T_IDLE_SLEEP_US (default 50),
# T_FLOW_TABLE_SIZE (default 65536) and T_EAL_MEM (MB, default 256) override
# those settings; T_GLOBAL_EXTRA (lines) is added to [global]. T_HASH_KEY
# is the scheduler's hash_key: by default a fixed test key, as a fleet
# configures one, so that a tuple goes to the same backend across the
# restarts of one test (without one every start draws its own); empty: no
# hash_key line.
t_config_head() {
	local workers=${1:-1} lcores="" i
	# More lcores than CPUs on a small machine: workers share CPU 1.
	if [ "$workers" -gt 1 ]; then
		lcores=" --lcores=0@0"
		for ((i = 1; i <= workers; i++)); do lcores="$lcores,$i@1"; done
	fi
	cat >"$CONF" <<EOF
; edgelb integration test $T_ID (generated)
[global]
socket = $ELBD_SOCK
audit_log = $WORKDIR/audit.log
workers = $workers
eal_args = "--no-huge -m ${T_EAL_MEM:-256} --file-prefix=elbt-$T_ID --no-pci --log-level=*:notice$lcores"
flow_table_size = ${T_FLOW_TABLE_SIZE:-65536}
idle_sleep_us = ${T_IDLE_SLEEP_US:-50}
tcp_fin_timeout = $TCP_FIN_TIMEOUT
${T_HASH_KEY:+hash_key = $T_HASH_KEY}
${T_GLOBAL_EXTRA:-}

[port.lan]
device = net_af_packet0,iface=lb0,qpairs=$workers
address = $LB_ADDR/24
EOF
}

# t_vip NAME PORT PROTOCOL POOL: a DR VIP on $VIP, appended to the config.
t_vip() {
	printf '\n[vip.%s]\naddress = %s\nport = %s\nprotocol = %s\nmode = dr\npool = %s\n' \
		"$1" "$VIP" "$2" "$3" "$4" >>"$CONF"
}

# t_pool NAME: a Maglev pool (M = 65537), appended to the config.
t_pool() {
	printf '\n[pool.%s]\nscheduler = maglev\ntable_size = 65537\n' "$1" >>"$CONF"
}

# t_backend NAME POOL N WEIGHT: backend namespace N (1..3) in POOL.
t_backend() {
	printf '\n[backend.%s]\npool = %s\naddress = %s\nweight = %s\n' \
		"$1" "$2" "${BACKEND_ADDRS[$(($3 - 1))]}" "$4" >>"$CONF"
}

# t_real_clients N: the real clients a flood must not hurt, for 90 s at
# most: N long-lived connections (their ports in $PF, what held them
# first in WORKDIR/held0.json) and new connections at 40/s (no failure
# allowed). Sets STOP (touch it to end both), PF, HOLDS_PID, NEW_PID.
t_real_clients() {
	STOP=$WORKDIR/clients.stop
	PF=$WORKDIR/holds.ports
	t_client "$VIP" --holds "$1" --hold 90 --interval 0.2 --port-file "$PF" \
		--stop-file "$STOP" >"$WORKDIR/holds.json" &
	HOLDS_PID=$!
	for _ in $(seq 100); do [ -s "$PF" ] && break; sleep 0.1; done
	[ -s "$PF" ] || t_abort "$1 long-lived connections established"
	t_client "$VIP" --duration 90 --rate 40 -c 8 --stop-file "$STOP" \
		--max-failed 0 >"$WORKDIR/new.json" &
	NEW_PID=$!
	sleep 1
	t_pyf held "$WORKDIR/held0.json" "$PF"
}

# t_config_two_pools WORKERS: VIP web (port 80) on pool a = a-web1..3
# weights 1:1:0, VIP alt (port 8080) on pool b = b-web2:b-web3 5:1, one
# backend address in both pools (needs ELB_NGINX_EXTRA_PORTS=8080).
t_config_two_pools() {
	t_config_head "$1"
	t_vip web 80 tcp a
	t_vip alt 8080 tcp b
	t_pool a
	t_pool b
	t_backend a-web1 a 1 1
	t_backend a-web2 a 2 1
	t_backend a-web3 a 3 0
	t_backend b-web2 b 2 5
	t_backend b-web3 b 3 1
}

# t_config_checked WORKERS [POOL_LINES]: VIP web on pool web = web1..3
# weights 1:2:3, tcp checks every 500 ms through the port's kernel
# interface (POOL_LINES added to the pool), web3 max_share = 60.
t_config_checked() {
	t_config_head "$1"
	printf 'kernel_interface = edgelb-lan\n' >>"$CONF"
	t_vip web 80 tcp web
	t_pool web
	printf 'health = tcp\nhealth_interval_ms = 500\nhealth_timeout_ms = 400\n' >>"$CONF"
	[ -z "${2:-}" ] || printf '%s\n' "$2" >>"$CONF"
	t_backend web1 web 1 1
	t_backend web2 web 2 2
	t_backend web3 web 3 3
	printf 'max_share = 60\n' >>"$CONF"
}

# t_all_up: every backend's checks say up (`backends`); t_wait_all_up
# waits up to 10 s for it and checks it.
t_all_up() {
	elbctl -j backends | t_jget 'all(b["health"] == "up" for b in d)' | grep -q True
}
t_wait_all_up() {
	for _ in $(seq 50); do t_all_up && break; sleep 0.2; done
	t_check "health checks have every backend up" t_all_up
}

# t_lbcurl ARGS: curl (5 s at most) inside the appliance's namespace,
# where metrics_listen is.
t_lbcurl() { ip netns exec "$PREFIX-lb" curl -s --max-time 5 "$@"; }

# t_config WORKERS: the test configuration (see tests/integration/README
# in README.md) with 1:2:3 weights.
t_config() {
	local workers=${1:-1} i
	t_config_head "$workers"
	{
		cat <<EOF

[vip.web]
address = $VIP
port = 80
protocol = tcp
mode = dr
pool = web

[pool.web]
scheduler = maglev
table_size = 65537
EOF
		for i in 0 1 2; do
			cat <<EOF

[backend.web$((i + 1))]
pool = web
address = ${BACKEND_ADDRS[$i]}
weight = ${WEIGHTS[$i]}
EOF
		done
	} >>"$CONF"
}

# t_health_servers: an HTTP health endpoint (health_server.py) on port
# 8080 of each backend, answering the code in WORKDIR/bI/health (200 until
# the test writes another); returns when all three listen.
t_health_servers() {
	local i
	for i in 1 2 3; do
		echo 200 >"$WORKDIR/b$i/health"
		ip netns exec "$PREFIX-b$i" "$PY" "$T_DIR/health_server.py" 8080 \
			"$WORKDIR/b$i/health" "$WORKDIR/b$i/health.ready" \
			>"$WORKDIR/b$i/health.err" 2>&1 &
	done
	for i in 1 2 3; do
		for _ in $(seq 50); do
			[ -s "$WORKDIR/b$i/health.ready" ] && break
			sleep 0.1
		done
		[ -s "$WORKDIR/b$i/health.ready" ] ||
			t_abort "health endpoint on b$i"
	done
}

# t_jget EXPR: evaluate the Python EXPR on the JSON on stdin (d), print it.
t_jget() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
# t_generation: the running generation, as status says it.
t_generation() { elbctl -j status | t_jget 'd["generation"]'; }

# Start edgelbd on the test config and wait until it can forward.
t_daemon() {
	elbd_start "$PREFIX-lb" "$CONF" "$DLOG"
	if ! elbd_wait_ready "$ELBD_SOCK" 20 "${BACKEND_ADDRS[@]}"; then
		t_abort "edgelbd started and answers on $ELBD_SOCK"
	fi
	t_pass "edgelbd started and answers on $ELBD_SOCK"
}

# Warm-up: one connection through the VIP must succeed within TIMEOUT s
# (neighbour resolution may still be in flight).
t_warmup() {
	local timeout=${1:-15} deadline
	deadline=$((SECONDS + timeout))
	while [ $SECONDS -lt $deadline ]; do
		if ip netns exec "$PREFIX-cli" curl -sf --max-time 2 \
			"http://$VIP/" >/dev/null 2>&1; then
			return 0
		fi
		elbd_alive || return 1
		sleep 0.5
	done
	return 1
}

# t_udp_backends PORT: udp_echo.py on 0.0.0.0:PORT in every backend
# namespace, answering with the backend's name (web1..web3) from the VIP;
# logs in WORKDIR/bN/udp-PORT.log. Removed with the topology.
t_udp_backends() {
	local port=$1 i dir
	for i in "${ELB_BACKENDS[@]}"; do
		dir=$WORKDIR/b$i
		mkdir -p "$dir"
		rm -f "$dir/udp-$port.ready"
		: >"$dir/udp-$port.log"
		ip netns exec "$PREFIX-b$i" "$PY" "$T_DIR/udp_echo.py" "web$i" \
			"$port" "$dir/udp-$port.log" "$dir/udp-$port.ready" \
			>"$dir/udp-$port.err" 2>&1 &
	done
	for i in "${ELB_BACKENDS[@]}"; do
		for _ in $(seq 50); do
			[ -s "$WORKDIR/b$i/udp-$port.ready" ] && break
			sleep 0.1
		done
		[ -s "$WORKDIR/b$i/udp-$port.ready" ] || {
			cat "$WORKDIR/b$i/udp-$port.err"
			return 1
		}
	done
}

# The appliance port's MAC (status), for frames a test crafts itself.
t_port_mac() {
	elbctl -j status |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["mac"])'
}

# Run client.py in the client namespace.
t_client() {
	ip netns exec "$PREFIX-cli" "$PY" "$CLIENT" "$@"
}

# Run tests/integration/check.py SUBCOMMAND ARGS; its PASS/FAIL lines count
# as this test's checks.
t_py() {
	t_pyscript check.py "$@"
}

# The same with tests/integration/check_more.py.
t_pym() {
	t_pyscript check_more.py "$@"
}

# The same with tests/integration/check_runtime.py (reload, runtime
# changes, history, access).
t_pyr() {
	t_pyscript check_runtime.py "$@"
}

# The same with tests/integration/check_flood.py (SYN floods, collisions).
t_pyf() {
	t_pyscript check_flood.py "$@"
}

t_pyscript() {
	local out rc=0 script=$1
	shift
	out=$(T_ID=$T_ID ELBD_SOCK=$ELBD_SOCK EDGELBCTL=$EDGELBCTL \
		EDGELBD=$EDGELBD CONF=$CONF \
		WORKDIR=$WORKDIR VIP=$VIP CLIENT_ADDR=$NET.10 \
		"$PY" "$T_DIR/$script" "$@" 2>&1) || rc=$?
	printf '%s\n' "$out"
	T_PASSES=$((T_PASSES + $(printf '%s\n' "$out" | grep -c '^PASS: ')))
	T_FAILS=$((T_FAILS + $(printf '%s\n' "$out" | grep -c '^FAIL: ')))
	T_SKIPS=$((T_SKIPS + $(printf '%s\n' "$out" | grep -c '^SKIP: ')))
	if [ "$rc" -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL: '; then
		t_fail "$script $1 exited with status $rc"
	fi
	return $rc
}

# Stop the daemon; its exit must be clean (status 0 within 10 s of SIGTERM).
t_stop_daemon() {
	local rc=0
	elbd_stop 10 || rc=$?
	if [ "$rc" -eq 0 ]; then
		t_pass "edgelbd stopped cleanly on SIGTERM"
	elif [ "$rc" -eq 124 ]; then
		t_fail "edgelbd did not stop within 10 s of SIGTERM (killed)"
	else
		t_fail "edgelbd exited with status $rc after SIGTERM"
	fi
}

t_finish() {
	echo "[$T_ID] $T_PASSES checks passed, $T_FAILS failed, $T_SKIPS skipped"
	[ "$T_FAILS" -eq 0 ] && exit 0
	exit 1
}

#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# End-to-end, kernel-bound comparison (issue 4, point 4): wrk -> balancer ->
# 3 nginx backends in network namespaces, with weights 1:2:3, for
#   edgelb    edgelbd, DR, one worker on CPU 1 (main lcore idle on CPU 0),
#             net_af_packet on the lb veth (deploy/lib/netns.sh topology)
#   haproxy   HAProxy mode tcp, balance roundrobin with weights, one thread
#             on CPU 1 (a proxy: backends answer HAProxy, DR is impossible)
#   iptables  DNAT in PREROUTING with -m statistic --mode random cascaded to
#             1/6, 2/6, 3/6, ip_forward on, backends route back through it
# The two NAT balancers use tests/bench/e2e/nat_topo.sh's two-armed topology.
# Rounds are interleaved (edgelb, haproxy, iptables, edgelb, ...) so slow
# drift of this shared machine hits all three alike; req/s is the median
# over rounds. Each request is a new TCP connection (Connection: close),
# the case a balancer's per-connection work shows in; an optional
# keep-alive round follows. Each backend's request count comes from its
# nginx access log; share errors are reported against the binomial 4-sigma
# bound for the sample size.
#
# usage: tests/bench/e2e.sh OUTDIR      writes OUTDIR/e2e.json, prints a table
# env:   BUILD (default build) DURATION (s per measurement, default 10)
#        ROUNDS (default 2) THREADS (wrk, 1) CONNS (wrk, 32)
#        KEEPALIVE (1: one keep-alive round per balancer, default 1)
#        KA_DURATION (default 5) WARMUP (s, default 1)
#        IDLE_SLEEP_US (edgelbd, default 50; 0 = pure polling, see below)
#        BALANCERS (default "edgelb haproxy iptables": a subset to run)
#        E2E_KEEP=1 keeps the work dir
# Needs root, nginx, wrk, haproxy, iptables (deploy/install-deps.sh).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUTDIR=${1:?usage: $0 OUTDIR}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
KEEPALIVE=${KEEPALIVE:-1}
KA_DURATION=${KA_DURATION:-5}
WARMUP=${WARMUP:-1}
# The worker backs off 50 us when a poll finds nothing (as config/demo.ini).
# Here the client, nginx and the kernel that carries every packet share the
# machine's 2 CPUs with the worker; a pure-polling worker (0) takes CPU 1
# from them whole and halved edgelb's req/s in this test bed, which says
# nothing about the balancer. HAProxy and iptables never spin either.
IDLE_SLEEP_US=${IDLE_SLEEP_US:-50}
BALANCERS=${BALANCERS:-edgelb haproxy iptables}
PY=/usr/bin/python3
EDGELBD=$BUILD/app/edgelbd/edgelbd
EDGELBCTL=$BUILD/app/edgelbctl/edgelbctl
ELBD_SOCK=/run/edgelb/bench-e2e.sock
DPDK_PREFIX=elbb-e2e

# Own prefixes and subnets: tests use elbt*/10.201.0, the demo
# elbdemo/10.200.0.
DR=elbb
DR_NET=10.202.0
DR_VIP=$DR_NET.100
NAT=elbbn
NAT_CNET=10.202.1
NAT_BNET=10.202.2
NAT_VIP=$NAT_CNET.100
WEIGHTS=(1 2 3)

# shellcheck source=../../deploy/lib/netns.sh
. "$ROOT/deploy/lib/netns.sh"
# shellcheck source=../../deploy/lib/edgelbd.sh
. "$ROOT/deploy/lib/edgelbd.sh"
# shellcheck source=e2e/nat_topo.sh
. "$HERE/e2e/nat_topo.sh"

log() { echo "[e2e] $*" >&2; }
die() { log "error: $*"; exit 1; }

WORK=
HAPROXY_PID=

cleanup() {
	local rc=$?
	trap - EXIT INT TERM ERR
	trap '' PIPE
	set +e
	[ -n "$ELBD_PID" ] && elbd_stop 5 >/dev/null 2>&1
	if [ -n "$HAPROXY_PID" ]; then
		kill -TERM "$HAPROXY_PID" 2>/dev/null
		wait "$HAPROXY_PID" 2>/dev/null
	fi
	e2e_nat_lb_down "$NAT"
	if [ -n "$WORK" ]; then
		elb_topo_down "$DR" "$WORK/dr"
		elb_topo_down "$NAT" "$WORK/nat"
	fi
	rm -f "$ELBD_SOCK"
	rm -rf "/var/run/dpdk/$DPDK_PREFIX"
	if [ "$rc" -ne 0 ] && [ -n "$WORK" ] && [ -s "$WORK/edgelbd.log" ]; then
		echo "---- edgelbd log (last 20 lines) ----" >&2
		tail -n 20 "$WORK/edgelbd.log" >&2
	fi
	if [ -n "$WORK" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			log "work dir kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

preflight() {
	local b
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	for b in "$EDGELBD" "$EDGELBCTL"; do
		case " $BALANCERS " in *" edgelb "*) ;; *) break ;; esac
		[ -x "$b" ] || die "binary missing: $b (ninja -C $BUILD app/edgelbd/edgelbd app/edgelbctl/edgelbctl)"
	done
	for b in nginx wrk haproxy iptables taskset curl; do
		command -v "$b" >/dev/null ||
			die "$b not installed (deploy/install-deps.sh)"
	done
	[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (worker on CPU 1)"
}

# Lines in each backend's access log under DIR, space separated.
log_counts() {
	local dir=$1 i out=""
	for i in "${ELB_BACKENDS[@]}"; do
		out="$out $(wc -l <"$dir/b$i/access.log")"
	done
	echo "$out"
}

# First connection through VIP from namespace NS within 15 s.
warm_connect() {
	local ns=$1 vip=$2 deadline=$((SECONDS + 15))
	while [ $SECONDS -lt $deadline ]; do
		ip netns exec "$ns" curl -sf --max-time 2 "http://$vip/" \
			>/dev/null 2>&1 && return 0
		sleep 0.3
	done
	return 1
}

# measure LB MODE ROUND NS VIP LOGDIR SECS: warm up, then wrk for SECS,
# appending one sample line to $WORK/samples.jsonl.
measure() {
	local lb=$1 mode=$2 round=$3 ns=$4 vip=$5 dir=$6 secs=$7
	local hdr=() before after json=$WORK/wrk-$lb-$mode-$round.json rc=0
	[ "$mode" = close ] && hdr=(-H "Connection: close")
	warm_connect "$ns" "$vip" || die "$lb: no connection through $vip"
	if [ "$WARMUP" -gt 0 ]; then
		ip netns exec "$ns" timeout $((WARMUP + 20)) wrk -t"$THREADS" \
			-c"$CONNS" -d"${WARMUP}s" "${hdr[@]}" "http://$vip/" \
			>/dev/null 2>&1 || die "$lb: warm-up wrk failed"
		sleep 0.3
	fi
	before=$(log_counts "$dir")
	WRK_JSON=$json ip netns exec "$ns" timeout $((secs + 30)) \
		wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" "${hdr[@]}" \
		-s "$HERE/e2e/wrk_report.lua" "http://$vip/" \
		>"$WORK/wrk-$lb-$mode-$round.out" 2>&1 || rc=$?
	# wrk's last connections close; nginx logs them.
	sleep 0.5
	after=$(log_counts "$dir")
	if [ "$rc" -ne 0 ] || [ ! -s "$json" ]; then
		cat "$WORK/wrk-$lb-$mode-$round.out" >&2
		die "$lb: wrk failed (status $rc)"
	fi
	# The sample, and how often each client address:port the backends
	# logged in this window was used (tuple file, for report.py).
	"$PY" - "$lb" "$mode" "$round" "$json" "$before" "$after" "$dir" \
		"$WORK/tuples-$lb-$mode-$round.json" \
		>>"$WORK/samples.jsonl" <<'EOF'
import collections, itertools, json, sys
lb, mode, rnd, path, before, after, logdir, tpath = sys.argv[1:]
w = json.load(open(path))
b0 = [int(x) for x in before.split()]
b1 = [int(x) for x in after.split()]
tuples = collections.Counter()
for i, (a, b) in enumerate(zip(b0, b1)):
    with open("%s/b%d/access.log" % (logdir, i + 1)) as f:
        for line in itertools.islice(f, a, b):
            tuples[" ".join(line.split()[:2])] += 1
json.dump(tuples, open(tpath, "w"))
print(json.dumps({"lb": lb, "mode": mode, "round": int(rnd), "wrk": w,
                  "counts": [b - a for a, b in zip(b0, b1)],
                  "tuples_file": tpath}))
EOF
	log "$lb $mode round $round: $(tail -n 1 "$WORK/samples.jsonl" |
		"$PY" -c 'import json,sys; s=json.load(sys.stdin); w=s["wrk"]
print("%.0f req/s, logged %s, errors %s" % (w["requests"] * 1e6 / w["duration_us"], s["counts"], w["errors"]))')"
}

# ---- edgelb ------------------------------------------------------------

edgelb_config() {
	local i
	cat <<EOF
; tests/bench/e2e.sh (generated)
[global]
socket = $ELBD_SOCK
workers = 1
eal_args = "--no-huge -m 512 --file-prefix=$DPDK_PREFIX --no-pci --log-level=*:notice --lcores=0@0,1@1"
flow_table_size = 262144
idle_sleep_us = $IDLE_SLEEP_US

[port.lan]
device = net_af_packet0,iface=lb0,qpairs=1
address = $DR_NET.2/24

[vip.web]
address = $DR_VIP
port = 80
protocol = tcp
mode = dr
pool = web

[pool.web]
scheduler = maglev
table_size = 65537
EOF
	for i in "${ELB_BACKENDS[@]}"; do
		printf '\n[backend.web%s]\npool = web\naddress = %s\nweight = %s\n' \
			"$i" "$DR_NET.1$i" "${WEIGHTS[$((i - 1))]}"
	done
}

run_edgelb() {
	local mode=$1 round=$2 secs=$3
	elbd_start "$DR-lb" "$WORK/edgelb.ini" "$WORK/edgelbd.log"
	elbd_wait_ready "$ELBD_SOCK" 20 "$DR_NET.11" "$DR_NET.12" "$DR_NET.13" ||
		die "edgelbd not ready"
	measure edgelb "$mode" "$round" "$DR-cli" "$DR_VIP" "$WORK/dr" "$secs"
	elbd_alive || die "edgelbd died during the run"
	elbd_stop 10 || die "edgelbd did not stop cleanly"
	rm -rf "/var/run/dpdk/$DPDK_PREFIX"
}

# ---- HAProxy -----------------------------------------------------------

haproxy_config() {
	local i
	cat <<EOF
global
    nbthread 1
    # 32 client connections need far less; the FD limit (2 per
    # connection) must stay under the container's hard limit.
    maxconn 4000
    pidfile $WORK/haproxy.pid
    log stderr format short local0 warning

defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind $NAT_VIP:80 backlog 4096
    default_backend web

backend web
    balance roundrobin
EOF
	for i in "${ELB_BACKENDS[@]}"; do
		echo "    server web$i $NAT_BNET.1$i:80 weight ${WEIGHTS[$((i - 1))]}"
	done
}

run_haproxy() {
	local mode=$1 round=$2 secs=$3
	# ip_forward off: nothing reaches a backend but through the proxy.
	e2e_nat_lb_up "$NAT" "$NAT_CNET" "$NAT_BNET" 0
	haproxy -c -q -f "$WORK/haproxy.cfg" || die "haproxy config invalid"
	# -db: stay in the foreground, so $! is HAProxy itself.
	ip netns exec "$NAT-lb" taskset -c 1 haproxy -db -f "$WORK/haproxy.cfg" \
		>>"$WORK/haproxy.log" 2>&1 &
	HAPROXY_PID=$!
	sleep 0.3
	kill -0 "$HAPROXY_PID" 2>/dev/null || {
		cat "$WORK/haproxy.log" >&2
		die "haproxy did not start"
	}
	measure haproxy "$mode" "$round" "$NAT-cli" "$NAT_VIP" "$WORK/nat" "$secs"
	kill -0 "$HAPROXY_PID" 2>/dev/null || die "haproxy died during the run"
	kill -TERM "$HAPROXY_PID"
	wait "$HAPROXY_PID" 2>/dev/null || true
	HAPROXY_PID=
	e2e_nat_lb_down "$NAT"
}

# ---- iptables DNAT -----------------------------------------------------

run_iptables() {
	local mode=$1 round=$2 secs=$3 lb=$NAT-lb
	e2e_nat_lb_up "$NAT" "$NAT_CNET" "$NAT_BNET" 1
	# Cascade: the first rule takes 1/6 of new connections, the second
	# 2/5 of the remaining 5/6 (= 2/6), the last all the rest (3/6).
	# Only a connection's first packet meets these rules; conntrack
	# translates the rest and the replies (which come back through here:
	# the backends' default route).
	ip netns exec "$lb" iptables -t nat -A PREROUTING -d "$NAT_VIP" -p tcp \
		--dport 80 -m statistic --mode random --probability 0.16666666667 \
		-j DNAT --to-destination "$NAT_BNET.11:80"
	ip netns exec "$lb" iptables -t nat -A PREROUTING -d "$NAT_VIP" -p tcp \
		--dport 80 -m statistic --mode random --probability 0.4 \
		-j DNAT --to-destination "$NAT_BNET.12:80"
	ip netns exec "$lb" iptables -t nat -A PREROUTING -d "$NAT_VIP" -p tcp \
		--dport 80 -j DNAT --to-destination "$NAT_BNET.13:80"
	measure iptables "$mode" "$round" "$NAT-cli" "$NAT_VIP" "$WORK/nat" "$secs"
	e2e_nat_lb_down "$NAT"
}

# ---- main --------------------------------------------------------------

preflight
WORK=$(mktemp -d /tmp/elbb-e2e.XXXXXX)
chmod 755 "$WORK"
trap cleanup EXIT
# Say where set -e stopped us (a command substitution's own failures, e.g.
# grep finding nothing, are its caller's business).
trap 'rc=$?; [ "$BASH_SUBSHELL" -ne 0 ] ||
	log "failed (status $rc) at line $LINENO: $BASH_COMMAND"' ERR
trap 'log interrupted; exit 130' INT
trap 'log terminated; exit 143' TERM
mkdir -p "$OUTDIR"
: >"$WORK/samples.jsonl"

elb_topo_up "$DR" "$DR_NET" "$DR_VIP"
e2e_nat_up "$NAT" "$NAT_CNET" "$NAT_BNET"
for ns in "$DR-cli" "$NAT-cli"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.ip_local_port_range="1024 65535" >/dev/null
done
elb_nginx_start "$DR" "$WORK/dr"
elb_nginx_start "$NAT" "$WORK/nat"
edgelb_config >"$WORK/edgelb.ini"
haproxy_config >"$WORK/haproxy.cfg"

for b in $BALANCERS; do
	case $b in edgelb|haproxy|iptables) ;; *) die "unknown balancer $b" ;; esac
done
for ((r = 1; r <= ROUNDS; r++)); do
	for b in $BALANCERS; do
		"run_$b" close "$r" "$DURATION"
	done
done
if [ "$KEEPALIVE" = 1 ]; then
	for b in $BALANCERS; do
		"run_$b" keepalive 1 "$KA_DURATION"
	done
fi

"$PY" - "$WORK/meta.json" <<EOF
import json, platform, subprocess, sys
def ver(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except Exception:
        return None
cpu = None
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
meta = {
    "weights": [$(IFS=,; echo "${WEIGHTS[*]}")],
    "conditions": "wrk -t$THREADS -c$CONNS, ${DURATION}s x $ROUNDS rounds interleaved" + (" (keep-alive ${KA_DURATION}s x 1)" if "$KEEPALIVE" == "1" else ""),
    "client": "wrk -t$THREADS -c$CONNS",
    "note": "kernel-bound: all on one 2-CPU host; only same-run ratios compare between runs",
    "balancers": {
        "edgelb": "edgelbd DR, 1 worker on CPU 1, net_af_packet, Maglev M=65537, idle_sleep_us=$IDLE_SLEEP_US",
        "haproxy": "HAProxy mode tcp, roundrobin weights, nbthread 1 on CPU 1, proxy (backends answer HAProxy)",
        "iptables": "iptables DNAT -m statistic random cascade 1/6, 2/5, rest; kernel forwarding, conntrack; backends route back via the LB",
    },
    "duration_s": $DURATION, "rounds": $ROUNDS, "threads": $THREADS,
    "connections": $CONNS, "keepalive_duration_s": $KA_DURATION if "$KEEPALIVE" == "1" else None,
    "warmup_s": $WARMUP, "build": "$BUILD",
    "host": {"cpu": cpu, "cpus": $(nproc), "kernel": platform.release(),
             "haproxy": ver(["haproxy", "-v"]),
             "iptables": ver(["iptables", "-V"]),
             "nginx": ver(["nginx", "-v"]),
             "wrk": ver(["wrk", "-v"])},
    "topology": {"dr": "$DR-* on $DR_NET.0/24, VIP $DR_VIP",
                 "nat": "$NAT-* client $NAT_CNET.0/24, backends $NAT_BNET.0/24, VIP $NAT_VIP"},
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF
"$PY" "$HERE/e2e/report.py" "$WORK/samples.jsonl" "$WORK/meta.json" \
	"$OUTDIR/e2e.json"

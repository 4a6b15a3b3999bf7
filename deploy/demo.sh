#!/usr/bin/env bash
# edgelb demo: run as root on Debian 12.
#
# Installs what is missing, builds, creates network namespaces (a client, the
# appliance on net_af_packet over a veth, three nginx backends set up for
# direct server return), validates and starts edgelbd with config/demo.ini
# (weights 10:20:30, TCP health checks through the appliance's kernel
# interface), drives real HTTP traffic at the VIP and shows the live
# per-backend distribution every second while three things happen: at a
# quarter of the time web3's weight goes 30 -> 10 (a runtime command), at
# half web2's nginx stops (health checks take it down, its share moves to
# the others), at three quarters it starts again (it comes back and ramps
# up through slow start). Cleans everything up at the end, on Ctrl-C and
# on failure.
#
# Environment: DEMO_SECONDS (default 32), DEMO_RATE (new connections per
# second, default 300), BUILD_DIR (default build).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEMO_SECONDS=${DEMO_SECONDS:-32}
DEMO_RATE=${DEMO_RATE:-300}
BUILD_DIR=${BUILD_DIR:-build}
CONF=$ROOT/config/demo.ini
PREFIX=elbdemo
NET=10.200.0          # must match config/demo.ini
VIP=$NET.100
PY=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
	echo "deploy/demo.sh: must run as root (installs packages, creates" \
	     "network namespaces, runs DPDK). Try: sudo deploy/demo.sh" >&2
	exit 2
fi
case $DEMO_SECONDS in ''|*[!0-9]*) echo "DEMO_SECONDS must be a number" >&2; exit 2 ;; esac

say() { echo; echo "==> $*"; }

# shellcheck source=lib/scenario.sh
. "$ROOT/deploy/lib/scenario.sh"

say "dependencies and build ($BUILD_DIR)"
elb_scenario_build "$BUILD_DIR"

WORK=$(mktemp -d /tmp/elbdemo.XXXXXX)
chmod 755 "$WORK"
DLOG=$WORK/edgelbd.log
TRAFFIC_PID=
OK=0

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	# Output may go to a closed pipe (| head): cleaning up matters more.
	trap '' PIPE
	if [ -n "$TRAFFIC_PID" ]; then
		kill "$TRAFFIC_PID" 2>/dev/null
		wait "$TRAFFIC_PID" 2>/dev/null
	fi
	[ -n "${CHANGE_PID:-}" ] && kill "$CHANGE_PID" 2>/dev/null
	rm -f /run/edgelb/demo-audit.log
	elb_scenario_down "$PREFIX" "$WORK"
	if [ "$OK" != 1 ] && [ "$rc" -ne 130 ] && [ -s "$DLOG" ]; then
		echo
		echo "==> demo failed (exit $rc); last lines of the edgelbd log:"
		tail -n 30 "$DLOG"
	fi
	rm -rf "$WORK"
	echo
	echo "==> cleaned up (namespaces $PREFIX-*, nginx, edgelbd, $WORK)"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "interrupted"; exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

say "edgelbd --check config/demo.ini (validation and simulated shares)"
"$EDGELBD" --check "$CONF"

say "topology: namespaces $PREFIX-{sw,lb,cli,b1,b2,b3} on $NET.0/24; edgelbd -f config/demo.ini (log: $DLOG)"
elb_scenario_up "$PREFIX" "$NET" "$VIP" "$CONF" "$WORK" "$DLOG"
"$EDGELBCTL" -s "$ELBD_SOCK" health

say "traffic: new HTTP connections at up to $DEMO_RATE/s for ${DEMO_SECONDS}s"
ip netns exec "$PREFIX-cli" "$PY" "$ROOT/tests/integration/client.py" "$VIP" \
	--duration "$DEMO_SECONDS" --rate "$DEMO_RATE" -c 16 --timeout 3 \
	--max-failed 1000000 >"$WORK/client.json" 2>"$WORK/client.err" &
TRAFFIC_PID=$!
# The live events: a runtime weight change, then web2's server stops and
# starts again; the dashboard shows the shares move each time.
Q=$((DEMO_SECONDS / 4))
(sleep "$Q"; "$EDGELBCTL" -s "$ELBD_SOCK" weight web3 10 \
	>"$WORK/change.txt" 2>&1
 sleep "$Q"; elb_nginx_stop_one "$WORK/b2"
 echo "$(date +%T) web2's nginx stopped" >>"$WORK/events.txt"
 sleep "$Q"; ip netns exec "$PREFIX-b2" nginx -q -e "$WORK/b2/error.log" \
	-p "$WORK/b2" -c "$WORK/b2/nginx.conf"
 echo "$(date +%T) web2's nginx started" >>"$WORK/events.txt") &
CHANGE_PID=$!
"$PY" "$ROOT/deploy/lib/dashboard.py" "$EDGELBCTL" "$ELBD_SOCK" "$DEMO_SECONDS"
wait "$TRAFFIC_PID" || true
TRAFFIC_PID=
wait "$CHANGE_PID" || true

say "the live change made at $Q s: edgelbctl weight web3 10"
cat "$WORK/change.txt"
say "web2's server stopped at $((2 * Q)) s and started at $((3 * Q)) s"
cat "$WORK/events.txt"
echo
"$EDGELBCTL" -s "$ELBD_SOCK" health web2
echo
"$EDGELBCTL" -s "$ELBD_SOCK" history

say "final tally"
"$PY" - "$WORK/client.json" "$WORK" <<'EOF'
import json, os, sys
c = json.load(open(sys.argv[1]))
print("client: %d connections ok, %d failed, %.0f/s; replies by backend: %s"
      % (c["ok"], c["failed"], c["rate_per_s"], json.dumps(c["backends"])))
print("(the failed ones went to web2 after its nginx stopped, before the "
      "checks took it down: 2 failures a second apart)")
for i in (1, 2, 3):
    with open(os.path.join(sys.argv[2], "b%d" % i, "access.log")) as f:
        print("nginx web%d logged %d requests" % (i, sum(1 for _ in f)))
EOF
echo
"$EDGELBCTL" -s "$ELBD_SOCK" backends
echo
"$EDGELBCTL" -s "$ELBD_SOCK" stats
echo
"$EDGELBCTL" -s "$ELBD_SOCK" stats --per-core

# What watches the distribution all the time: the alerts (none: every
# change above kept the shares on the table's), and the same figures for
# Prometheus and the status page, on metrics_listen in edgelbd's namespace.
say "distribution watch: edgelbctl alerts"
"$EDGELBCTL" -s "$ELBD_SOCK" alerts
MURL=http://$(sed -n 's/^metrics_listen *= *//p' "$CONF")
say "Prometheus: $MURL/metrics (shares, a few of its lines)"
ip netns exec "$PREFIX-lb" curl -sf --max-time 5 "$MURL/metrics" |
	grep -E '^edgelb_backend_(expected|observed)_share' || true
say "status page: $MURL/ (and $MURL/status.json) while edgelbd runs," \
	"in namespace $PREFIX-lb; $(ip netns exec "$PREFIX-lb" curl -sf \
	--max-time 5 "$MURL/status.json" | wc -c) bytes of status.json now"
OK=1

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
BACKEND_ADDRS=("$NET.11" "$NET.12" "$NET.13")
PY=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
	echo "deploy/demo.sh: must run as root (installs packages, creates" \
	     "network namespaces, runs DPDK). Try: sudo deploy/demo.sh" >&2
	exit 2
fi
case $DEMO_SECONDS in ''|*[!0-9]*) echo "DEMO_SECONDS must be a number" >&2; exit 2 ;; esac

say() { echo; echo "==> $*"; }

say "dependencies"
deploy/install-deps.sh

say "build ($BUILD_DIR)"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
	meson setup "$BUILD_DIR" --buildtype=debugoptimized >/dev/null
fi
ninja -C "$BUILD_DIR" app/edgelbd/edgelbd app/edgelbctl/edgelbctl | tail -1
EDGELBD=$ROOT/$BUILD_DIR/app/edgelbd/edgelbd
EDGELBCTL=$ROOT/$BUILD_DIR/app/edgelbctl/edgelbctl

# The management socket, from the [global] section of the demo config.
ELBD_SOCK=$(awk -F= '/^[[:space:]]*\[/ { g = ($0 ~ /\[global\]/) }
	g && $1 ~ /^[[:space:]]*socket[[:space:]]*$/ {
		v = $2; gsub(/^[[:space:]"]+|[[:space:]"]+$/, "", v); print v; exit }' "$CONF")
ELBD_SOCK=${ELBD_SOCK:-/run/edgelb/demo.sock}

# shellcheck source=lib/netns.sh
. "$ROOT/deploy/lib/netns.sh"
# shellcheck source=lib/edgelbd.sh
. "$ROOT/deploy/lib/edgelbd.sh"

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
	if [ -n "$ELBD_PID" ]; then
		elbd_stop 10
		case $? in
		0) ;;
		124) echo "edgelbd did not stop on SIGTERM; killed it" >&2 ;;
		*) echo "edgelbd exited with an error on SIGTERM" >&2 ;;
		esac
	fi
	elb_topo_down "$PREFIX" "$WORK"
	rm -f "$ELBD_SOCK"
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

say "topology: namespaces $PREFIX-{sw,lb,cli,b1,b2,b3} on $NET.0/24"
elb_topo_up "$PREFIX" "$NET" "$VIP"
elb_nginx_start "$PREFIX" "$WORK"

say "starting edgelbd -f config/demo.ini (log: $DLOG)"
elbd_start "$PREFIX-lb" "$CONF" "$DLOG"
elbd_wait_ready "$ELBD_SOCK" 30 "${BACKEND_ADDRS[@]}"
ready=0
for _ in $(seq 30); do
	if ip netns exec "$PREFIX-cli" curl -sf --max-time 2 "http://$VIP/" >/dev/null; then
		ready=1
		break
	fi
	elbd_alive || break
	sleep 0.5
done
[ "$ready" = 1 ] || { echo "no HTTP answer through the VIP $VIP" >&2; exit 1; }
echo "edgelbd forwards: curl http://$VIP/ -> $(ip netns exec "$PREFIX-cli" curl -s --max-time 2 "http://$VIP/")"
# Health checks go through the appliance's kernel interface: wait until
# they found every backend up.
for _ in $(seq 50); do
	"$EDGELBCTL" -s "$ELBD_SOCK" -j backends | "$PY" -c '
import json, sys
sys.exit(0 if all(b.get("health") == "up" for b in json.load(sys.stdin))
         else 1)' && break
	sleep 0.2
done
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
OK=1

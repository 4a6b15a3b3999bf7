#!/usr/bin/env bash
# edgelb drill: replays the postmortem on virtual NICs, for training and as
# a test (tests/integration/test_drill.sh). Run as root on Debian 12.
#
# The demo topology (deploy/lib/scenario.sh: a client, the appliance on
# net_af_packet, three nginx backends web1:web2:web3 weighted 10:20:30) runs
# config/demo.ini with one line of intent added: web1's max_share = 40.
# Under real traffic comes the bad change of the postmortem: web1's weight
# slipped by 100x (10 -> 1000) in a new file, applied with `reload --force`
# over the policy's refusal. The drill then
# - prints the time from the change to the firing alert (share_above_intent
#   on web1; target: DRILL_ALERT_LIMIT_S, default 10 s; the drill fails
#   when it takes longer);
# - shows what the operator sees: `edgelbctl alerts` (the alert names the
#   change and links docs/runbook.md), `edgelbctl diff` of the reviewed
#   file (what going back changes), `edgelbctl history`, the status page;
# - rolls back (`edgelbctl rollback`, as the runbook says) and prints the
#   time to recovery (the alert resolved; it fails after
#   DRILL_RECOVERY_LIMIT_S, default 20 s).
# Its last lines are "drill: time to alert X.X s", "drill: time to recovery
# Y.Y s" and "drill: PASS" (exit 0) or "drill: FAIL ..." (exit 1). It
# cleans up (namespaces, nginx, edgelbd, work dir) at the end, on Ctrl-C
# and on failure.
#
# Environment: BUILD_DIR (default build), DRILL_RATE (new connections per
# second, default 300), DRILL_PREFIX (namespace prefix, default elbdrill),
# DRILL_NET (first three octets, default 10.202.0), DRILL_METRICS_PORT
# (default 9742), ELB_SKIP_DEPS=1 (do not run deploy/install-deps.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
RATE=${DRILL_RATE:-300}
PREFIX=${DRILL_PREFIX:-elbdrill}
NET=${DRILL_NET:-10.202.0}
VIP=$NET.100
MPORT=${DRILL_METRICS_PORT:-9742}
ALERT_LIMIT=${DRILL_ALERT_LIMIT_S:-10}
RECOVERY_LIMIT=${DRILL_RECOVERY_LIMIT_S:-20}
PY=/usr/bin/python3

if [ "$(id -u)" -ne 0 ]; then
	echo "deploy/drill.sh: must run as root (network namespaces, DPDK)." \
	     "Try: sudo deploy/drill.sh" >&2
	exit 2
fi
for v in "$RATE" "$ALERT_LIMIT" "$RECOVERY_LIMIT" "$MPORT"; do
	case $v in ''|*[!0-9]*) echo "drill: $v is not a number" >&2; exit 2 ;; esac
done

say() { echo; echo "==> $*"; }

# shellcheck source=lib/scenario.sh
. "$ROOT/deploy/lib/scenario.sh"

say "dependencies and build ($BUILD_DIR)"
elb_scenario_build "$BUILD_DIR"

WORK=$(mktemp -d /tmp/elbdrill.XXXXXX)
chmod 755 "$WORK"
DLOG=$WORK/edgelbd.log
CONF=$WORK/edgelb.ini          # the reviewed file edgelbd starts from
BAD=$WORK/edgelb.ini.new       # the change: web1's weight slipped by 100x
TRAFFIC_PID=
OK=0

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	trap '' PIPE
	if [ -n "$TRAFFIC_PID" ]; then
		touch "$WORK/traffic.stop"
		kill "$TRAFFIC_PID" 2>/dev/null
		wait "$TRAFFIC_PID" 2>/dev/null
	fi
	elb_scenario_down "$PREFIX" "$WORK"
	if [ "$OK" != 1 ] && [ "$rc" -ne 130 ] && [ -s "$DLOG" ]; then
		echo
		echo "==> drill failed (exit $rc); last lines of the edgelbd log:"
		tail -n 30 "$DLOG"
	fi
	rm -rf "$WORK" "/var/run/dpdk/$PREFIX"
	echo
	echo "==> cleaned up (namespaces $PREFIX-*, nginx, edgelbd, $WORK)"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "interrupted"; exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

fail() { echo "drill: FAIL: $*"; exit 1; }

# The demo's configuration in this drill's own names (namespaces, socket,
# DPDK prefix, kernel interface, addresses), with web1's intent.
sed -e "s/10\.200\.0\./$NET./g" \
    -e "s#^socket = .*#socket = /run/edgelb/$PREFIX.sock#" \
    -e "s#^audit_log = .*#audit_log = $WORK/audit.log#" \
    -e "s/--file-prefix=edgelb-demo/--file-prefix=$PREFIX/" \
    -e "s/^kernel_interface = .*/kernel_interface = ${PREFIX}0/" \
    -e "s/^metrics_listen = .*/metrics_listen = 127.0.0.1:$MPORT/" \
    -e '/^\[backend.web1\]/a max_share = 40' \
    "$ROOT/config/demo.ini" >"$CONF"
sed -e '/^\[backend.web1\]/,/^$/s/^weight = 10$/weight = 1000/' "$CONF" >"$BAD"
grep -q '^weight = 1000$' "$BAD" || fail "could not make the bad change"

say "the reviewed configuration: config/demo.ini, web1 max_share = 40"
"$EDGELBD" --check "$CONF" | tail -n 8

say "topology $PREFIX-* on $NET.0/24, edgelbd (log: $DLOG)"
elb_scenario_up "$PREFIX" "$NET" "$VIP" "$CONF" "$WORK" "$DLOG"

say "traffic: new HTTP connections at up to $RATE/s until the drill ends"
ip netns exec "$PREFIX-cli" "$PY" "$ROOT/tests/integration/client.py" "$VIP" \
	--duration 300 --rate "$RATE" -c 16 --timeout 3 --max-failed 1000000 \
	--stop-file "$WORK/traffic.stop" >"$WORK/client.json" 2>"$WORK/client.err" &
TRAFFIC_PID=$!
# A full window of the correct distribution first: nothing may fire.
sleep 12
elbctl alerts
[ "$(elbctl -j alerts | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["alerts"]))')" = 0 ] ||
	fail "an alert before the change"

# wait_alert STATE LIMIT T0: poll share_above_intent on web1 every 0.1 s
# until STATE; print the seconds since T0 (epoch), or fail after LIMIT.
wait_alert() {
	"$PY" - "$EDGELBCTL" "$ELBD_SOCK" "$1" "$2" "$3" <<'EOF'
import json, subprocess, sys, time
ctl, sock, state, limit, t0 = sys.argv[1:4] + [float(sys.argv[4]), float(sys.argv[5])]
while True:
    out = subprocess.run([ctl, "-s", sock, "-j", "alerts"], capture_output=True,
                         text=True).stdout
    now = time.time()
    try:
        alerts = json.loads(out)["alerts"]
    except (ValueError, KeyError):
        alerts = []
    if any(a["alertname"] == "share_above_intent" and a["backend"] == "web1"
           and a["state"] == state for a in alerts):
        print("%.1f" % (now - t0))
        sys.exit(0)
    if now - t0 > limit:
        print("%.1f" % (now - t0))
        sys.exit(1)
    time.sleep(0.1)
EOF
}

say "the bad change: web1's weight 10 -> 1000 (a slip by 100x)"
diff "$CONF" "$BAD" || true
echo "the policy refuses it:"
elbctl reload "$BAD" && fail "the policy let weight 1000 through"
echo "... and it is forced through, as in the postmortem:"
T_CHANGE=$(date +%s.%N)
elbctl reload "$BAD" --force
G_BAD=$(elbctl -j status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
if ! T_ALERT=$(wait_alert firing "$ALERT_LIMIT" "$T_CHANGE"); then
	elbctl alerts
	echo "drill: time to alert > $ALERT_LIMIT s (still not firing after $T_ALERT s)"
	fail "no alert within $ALERT_LIMIT s of the change"
fi
echo "drill: the alert fired $T_ALERT s after the change"

say "what the operator sees: edgelbctl alerts"
elbctl alerts
# The alert must name the change that caused it: the forced generation.
elbctl -j alerts | "$PY" -c '
import json, sys
g = int(sys.argv[1])
for a in json.load(sys.stdin)["alerts"]:
    c = a.get("change") or {}
    if (a["alertname"], a["backend"], a["state"]) == ("share_above_intent", "web1", "firing"):
        print("drill: the alert names the change: generation %s, %r by %s at %s; runbook %s"
              % (c.get("generation"), c.get("command"), c.get("who"), c.get("time"), a.get("runbook")))
        sys.exit(0 if c.get("generation") == g and
         c.get("command", "").startswith("reload ") else 1)
sys.exit(1)' "$G_BAD" || fail "the alert does not name generation $G_BAD, the forced change"
say "edgelbctl diff $CONF (the reviewed file against what runs)"
elbctl diff "$CONF" || true
say "edgelbctl history 6"
elbctl history 6
say "status page"
code=$(ip netns exec "$PREFIX-lb" curl -s -o /dev/null -w '%{http_code}' \
	--max-time 3 "http://127.0.0.1:$MPORT/" || true)
if [ "$code" = 200 ]; then
	echo "status page: http://127.0.0.1:$MPORT/ (in namespace $PREFIX-lb)"
else
	echo "status page: not available"
fi

say "the runbook's remedy: edgelbctl rollback"
T_ROLLBACK=$(date +%s.%N)
elbctl rollback
if ! T_RECOVER=$(wait_alert resolved "$RECOVERY_LIMIT" "$T_ROLLBACK"); then
	elbctl alerts
	echo "drill: time to recovery > $RECOVERY_LIMIT s"
	fail "the alert did not resolve within $RECOVERY_LIMIT s of the rollback"
fi
elbctl alerts
elbctl backends

touch "$WORK/traffic.stop"
wait "$TRAFFIC_PID" || true
TRAFFIC_PID=
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))
print("client: %d connections ok, %d failed; replies by backend: %s"
      % (c["ok"], c["failed"], json.dumps(c["backends"])))' "$WORK/client.json"

say "drill results"
echo "drill: time to alert $T_ALERT s (target <= $ALERT_LIMIT s)"
echo "drill: time to recovery $T_RECOVER s (after the rollback)"
echo "drill: PASS"
OK=1

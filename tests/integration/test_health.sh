#!/usr/bin/env bash
# Health checks through the kernel interface, under a steady stream of new
# connections (40/s).
#
# Pool web (VIP:80, weights 1:2:3) is checked by TCP on nginx's port every
# 500 ms (timeout 300, fall 2, rise 2, slow start 4 s): stopping web2's
# nginx, then taking web3's link down, moves every new connection off
# them within fall x interval + timeout + interval = 1.8 s, with no failed
# connection after that; restarted, web2 comes back after rise successes
# and ramps from a tenth of its weight over 4 s (the table's expected
# shares sampled over time, and the connections' shares against them).
#
# Pool api (VIP:81, nginx too) is checked by HTTP on a health endpoint
# (port 8080, a server whose answer the test sets): a 500 takes one
# backend down as "HTTP 500", a slow answer another as "timeout after
# 300 ms"; with all three down the pool fails open (connections still
# served), then, after a reload with all_down = fail_closed, a client's SYN
# gets a RST. A long-lived connection on a backend that goes down stays on
# it (on_remove = keep). Every transition is in history and the audit log,
# made by health.
. "$(dirname "$0")/lib.sh"

ELB_NGINX_EXTRA_PORTS=81
KIF=elbt-hl0
INTERVAL=500
TIMEOUT=300
FALL=2
RISE=2
SLOW=4
BOUND=$(awk -v f=$FALL -v i=$INTERVAL -v t=$TIMEOUT \
	'BEGIN { printf "%.3f", (f * i + t + i) / 1000 }')

t_init hl
t_topology
t_config_head 1
{
	echo "kernel_interface = $KIF"
	printf '\n[vip.web]\naddress = %s\nport = 80\npool = web\n' "$VIP"
	printf '\n[vip.api]\naddress = %s\nport = 81\npool = api\n' "$VIP"
	printf '\n[pool.web]\nhealth = tcp\n'
	printf 'health_interval_ms = %s\nhealth_timeout_ms = %s\n' \
		"$INTERVAL" "$TIMEOUT"
	printf 'health_fall = %s\nhealth_rise = %s\nslow_start_s = %s\n' \
		"$FALL" "$RISE" "$SLOW"
	printf '\n[pool.api]\nhealth = http\nhealth_port = 8080\n'
	printf 'health_path = /health\non_remove = keep\n'
	printf 'health_interval_ms = %s\nhealth_timeout_ms = %s\n' \
		"$INTERVAL" "$TIMEOUT"
	printf 'health_fall = %s\nhealth_rise = %s\n' "$FALL" "$RISE"
} >>"$CONF"
# Weights 10:20:30, so that a slow start has steps to show.
for i in 1 2 3; do
	t_backend "web$i" web "$i" $((10 * i))
	t_backend "api$i" api "$i" 1
done

# The health endpoints: 200 until the test writes another answer.
t_health_servers

t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"

# health_of NAME: "HEALTH STATE LAST_RESULT" of a backend, as `backends`
# says them.
health_of() {
	elbctl -j backends | "$PY" -c '
import json, sys
for b in json.load(sys.stdin):
    if b["name"] == sys.argv[1]:
        print(b.get("health"), b.get("state"), b.get("last_result"))
        break' "$1"
}

# wait_health NAME HEALTH SECONDS: until NAME's health is HEALTH and the
# running configuration has acted on it (its state says the same).
wait_health() {
	local deadline=$((SECONDS + $3))
	while [ $SECONDS -le $deadline ]; do
		case $(health_of "$1") in "$2 $2 "* | "$2 $2") return 0 ;; esac
		sleep 0.1
	done
	t_log "$1: $(health_of "$1")"
	return 1
}

# health_is NAME PATTERN: NAME's "HEALTH STATE LAST_RESULT" matches.
health_is() {
	local h
	h=$(health_of "$1")
	t_log "$1: $h"
	case $h in $2) return 0 ;; esac
	return 1
}

for b in web1 web2 web3 api1 api2 api3; do
	wait_health "$b" up 5 || t_abort "$b checked up through $KIF"
done
t_pass "every backend checked up through the kernel interface"

# ---- pool web: nginx stopped, link down, restarted with slow start ----
EV=$WORKDIR/events
t_client "$VIP" --duration 40 --rate 40 -c 8 --timeout 1 \
	--max-failed 1000 --stop-file "$WORKDIR/stream.stop" \
	--events "$EV" >"$WORKDIR/stream.json" &
STREAM=$!
sleep 2

# Times are taken once the failure is in place.
elb_nginx_stop_one "$WORKDIR/b2"
T_STOP=$(date +%s.%N)
wait_health web2 down 5
t_check "web2 down after its nginx stopped" \
	health_is web2 "down down connect refused"
sleep 2.5

T_START=$(date +%s.%N)
ip netns exec "$PREFIX-b2" nginx -q -e "$WORKDIR/b2/error.log" \
	-p "$WORKDIR/b2" -c "$WORKDIR/b2/nginx.conf"
# The ramp, sampled: web2's table weight and expected share over time.
RAMP=$WORKDIR/ramp
: >"$RAMP"
for _ in $(seq 70); do
	elbctl -j backends | "$PY" -c '
import json, sys, time
for b in json.load(sys.stdin):
    if b["name"] == "web2":
        print("%.3f %s %s %s" % (time.time(), b.get("health"),
              b["table_weight"], b["expected_share"]))' >>"$RAMP"
	sleep 0.1
done
ip -n "$PREFIX-b3" link set eth0 down
T_LINK=$(date +%s.%N)
wait_health web3 down 5
t_check "web3 down as timeouts after its link went down" \
	health_is web3 "down down timeout after $TIMEOUT ms"
sleep 2.5
T_LINK_UP=$(date +%s.%N)
ip -n "$PREFIX-b3" link set eth0 up
wait_health web3 up 10 || t_fail "web3 up again after its link came back"
touch "$WORKDIR/stream.stop"
wait "$STREAM"
t_log "stream: $(cat "$WORKDIR/stream.json")"

t_check "nginx stopped: no new connection to web2, none failed after $BOUND s" \
	"$PY" "$T_DIR/check_health.py" outage "$EV" "$T_STOP" "$T_START" web2 \
	"$BOUND"
t_check "web2 back after its restart" \
	"$PY" "$T_DIR/check_health.py" back "$EV" "$T_START" web2
t_check "link down: no new connection to web3, none failed after $BOUND s" \
	"$PY" "$T_DIR/check_health.py" outage "$EV" "$T_LINK" "$T_LINK_UP" \
	web3 "$BOUND"

# Slow start: weight 20 starts at a tenth (2) and reaches 20 in about
# 4 s, a step a second; expected shares follow and never fall. The ramp
# starts at the first sample in the table: the checker may say "up" one
# control tick before the transition is applied (table weight 0 until then).
t_check "web2 ramped from a tenth of its weight to all of it (slow start $SLOW s)" \
	"$PY" - "$RAMP" "$SLOW" <<'PYEOF'
import sys
rows = [l.split() for l in open(sys.argv[1])]
up = [(float(t), int(w), float(s)) for t, h, w, s in rows
      if h == "up" and int(w) > 0]
if not up:
    sys.exit("web2 never up")
t0 = up[0][0]
ws = [w for _, w, _ in up]
shares = [s for _, _, s in up]
print("ramp (s, weight, share):",
      [(round(t - t0, 1), w, round(s, 3)) for t, w, s in up][::5])
ok = ws[0] == 2 and ws[-1] == 20 and ws == sorted(ws)
ok = ok and len(set(ws)) >= 4
ok = ok and shares == sorted(shares) and abs(shares[-1] - 20 / 60) < 0.01
ok = ok and abs(shares[0] - 2 / 42) < 0.01
full = min(t for t, w, _ in up if w == 20) - t0
print("full weight after %.1f s" % full)
ok = ok and float(sys.argv[2]) * 0.4 <= full <= float(sys.argv[2]) + 1.5
sys.exit(0 if ok else 1)
PYEOF
# The connections during the ramp against the table they met: each is
# checked against the expected share of its time, per second.
t_check "connections to web2 during the ramp follow the ramping shares" \
	"$PY" - "$RAMP" "$EV" <<'PYEOF'
import math, sys
ramp = [l.split() for l in open(sys.argv[1])]
ramp = [(float(t), float(s)) for t, h, w, s in ramp if h == "up"]
ev = [l.split(None, 3) for l in open(sys.argv[2])]
n = hits = 0
var = mean = 0.0
for start, end, port, who in ev:
    start = float(start)
    if port == "-" or not ramp or start < ramp[0][0] or start > ramp[-1][0]:
        continue
    p = [s for t, s in ramp if t <= start][-1]
    n += 1
    hits += who.strip() == "web2"
    mean += p
    var += p * (1 - p)
bound = 4.5 * math.sqrt(var) if n else 0
print("n %d web2 %d expected %.1f bound %.1f" % (n, hits, mean, bound))
sys.exit(0 if n >= 50 and abs(hits - mean) <= bound else 1)
PYEOF

# ---- pool api: HTTP reasons, all_down, on_remove ----
PF=$WORKDIR/hold.port
t_client "$VIP" --port 81 --hold 12 --interval 0.3 --port-file "$PF" \
	>"$WORKDIR/hold.json" &
HOLD=$!
for _ in $(seq 50); do [ -s "$PF" ] && break; sleep 0.1; done
read -r HIP HPORT <"$PF" || t_abort "long-lived connection to VIP:81"
HB=$(elbctl -j lookup tcp "$HIP" "$HPORT" "$VIP" 81 |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["backend"])')
HN=${HB#api}
t_log "long-lived connection $HIP:$HPORT is on $HB"
case $HN in 1|2|3) ;; *) t_abort "lookup names the long-lived connection's backend" ;; esac

echo 500 >"$WORKDIR/b$HN/health"
wait_health "$HB" down 5
t_check "$HB down for HTTP 500" health_is "$HB" "down down HTTP 500"
OTHER=$((HN % 3 + 1))
echo "sleep 1 200" >"$WORKDIR/b$OTHER/health"
wait_health "api$OTHER" down 5
t_check "api$OTHER down for a slow answer" \
	health_is "api$OTHER" "down down timeout after $TIMEOUT ms"
LAST=$((OTHER % 3 + 1))
echo 503 >"$WORKDIR/b$LAST/health"
# The last one down: the pool fails open, so its state stays up.
for _ in $(seq 50); do
	case $(health_of "api$LAST") in "down up "*) break ;; esac
	sleep 0.1
done
t_check "api$LAST down, its pool failing open keeps it in service" \
	health_is "api$LAST" "down up HTTP 503"
elbctl status >"$WORKDIR/status.txt"
grep WARNING "$WORKDIR/status.txt"
t_check "status says pool api is all down, failing open" \
	grep -q 'every backend of pool api is down: fail_open' \
	"$WORKDIR/status.txt"
code=$(ip netns exec "$PREFIX-cli" curl -s -o /dev/null -w '%{http_code}' \
	--max-time 3 "http://$VIP:81/")
t_check "fail_open: a new connection is still served (HTTP $code)" \
	test "$code" = 200
wait "$HOLD"
HOLD_RC=$?
t_log "held: $(cat "$WORKDIR/hold.json")"
t_check "the long-lived connection stayed on $HB after it went down (on_remove = keep)" \
	"$PY" -c '
import json, sys
h = json.load(open(sys.argv[1]))
sys.exit(0 if int(sys.argv[3]) == 0 and h["requests"] >= 20 and
         h["distinct_backends"] == [sys.argv[2]] else 1)' \
	"$WORKDIR/hold.json" "web$HN" "$HOLD_RC"

sed -i 's/^on_remove = keep$/on_remove = keep\nall_down = fail_closed/' "$CONF"
elbctl reload >/dev/null || t_fail "reload with all_down = fail_closed"
t0=$(date +%s%N)
ip netns exec "$PREFIX-cli" curl -s -o /dev/null --max-time 3 "http://$VIP:81/"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
t_check "fail_closed: the client's SYN is answered with a RST (curl exit $rc: 7 is refused, in $ms ms)" \
	test "$rc" -eq 7 -a "$ms" -lt 1000
t_check "the refusal counted on VIP api, kept packets counted" \
	"$PY" -c '
import json, subprocess, sys
s = json.loads(subprocess.check_output(sys.argv[1:] + ["-j", "stats"]))
vips = {v["name"]: v for v in s["vips"]}
print("refused", vips["api"]["refused"], "removed_kept",
      s["flows"]["removed_kept"])
sys.exit(0 if vips["api"]["refused"] >= 1 and
         s["flows"]["removed_kept"] >= 1 else 1)' "$EDGELBCTL" -s "$ELBD_SOCK"

# ---- every transition recorded, made by health ----
t_check "audit log: web2 down and up, web3 down, api down with their reasons, by health" \
	"$PY" - "$WORKDIR/audit.log" "$HB" "$OTHER" "$TIMEOUT" "$FALL" "$RISE" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
health = [r["command"] for r in recs if r["who"]["kind"] == "health"]
fall, rise, timeout = sys.argv[5], sys.argv[6], sys.argv[4]
want = ["web2 down (%s consecutive failures: connect refused)" % fall,
        "web2 up (%s consecutive successes)" % rise,
        "web3 down (%s consecutive failures: timeout after %s ms)"
        % (fall, timeout),
        "%s down (%s consecutive failures: HTTP 500)" % (sys.argv[2], fall),
        "api%s down (%s consecutive failures: timeout after %s ms)"
        % (sys.argv[3], fall, timeout)]
missing = [w for w in want if not any(w in c for c in health)]
print("\n".join(health))
print("missing:", missing)
sys.exit(1 if missing else 0)
PYEOF
t_check "edgelbctl history shows the health transitions" \
	sh -c "'$EDGELBCTL' -s '$ELBD_SOCK' history 100 | grep -q 'health: web2 down'"

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

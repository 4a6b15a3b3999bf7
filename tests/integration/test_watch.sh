#!/usr/bin/env bash
# The distribution watch (lib/watch) against real traffic through a real
# daemon (2 workers), nginx backends web1:web2:web3 weighted 1:2:3, web1
# with max_share = 50, checked by HTTP through the kernel interface:
# - quiet: the correct configuration under real traffic (a stream of new
#   connections) for WATCH_QUIET_S seconds (default 120, as the issue asks; the long variant is
#   WATCH_QUIET_S=1800 TEST_TIME_LIMIT=2000 tests/integration/run.sh
#   test_watch.sh): no alert at all, not even pending, while the watch
#   judged full windows;
# - latency: web3 (half the flows, above an equal split) answers its
#   health checks in 200 ms: slow_backend_high_share names it; fast again,
#   it resolves;
# - forced skew: `weight web1 100 --force` (max_share 50 refused it): the
#   alert share_above_intent fires within 10 s naming web1 and the change
#   (generation, command); `rollback` resolves it; the transitions are in
#   the audit history;
# - apply --confirm-within 60 --force of a file with web1 at weight 100:
#   the alert rolls the generation back long before its deadline (history);
# - on a -Dtest_faults=true build (tests/run.sh's build-asan), worker 1 made
#   to send a quarter of its new flows to web1: worker_skew names worker 1
#   and web1 (not worker 0); with the fault cleared it resolves.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

QUIET_S=${WATCH_QUIET_S:-120}
KIF=elbt-wt0
RATE=150

t_init wt
t_topology
T_GLOBAL_EXTRA="metrics_listen = 127.0.0.1:9741"
t_config 2
sed -i "/^\[port.lan\]/a kernel_interface = $KIF" "$CONF"
sed -i '/^\[pool.web\]/a health = http\nhealth_port = 8080\nhealth_path = /health\nhealth_interval_ms = 500\nhealth_timeout_ms = 400' "$CONF"
sed -i '/^\[backend.web1\]/a max_share = 50' "$CONF"
# The health endpoints: 200 until the test writes another answer.
t_health_servers
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"

pending() { elbctl -j status | t_jget '(d.get("pending_confirm") or {}).get("generation", 0)'; }
# alert NAME BACKEND: "STATE" of that alert, or "none".
alert_state() {
	elbctl -j alerts | t_jget "([a['state'] for a in d['alerts'] if a['alertname'] == '$1' and a['backend'] == '$2'] or ['none'])[-1]"
}
# wait_alert NAME BACKEND STATE SECONDS: until it is; prints the seconds.
wait_alert() {
	local t0=$SECONDS
	while [ "$(alert_state "$1" "$2")" != "$3" ]; do
		[ $((SECONDS - t0)) -ge "$4" ] && return 1
		sleep 0.5
	done
	echo $((SECONDS - t0))
}

for b in web1 web2 web3; do
	for _ in $(seq 20); do
		elbctl -j health "$b" | grep -q '"health": "up"' && break
		sleep 0.5
	done
done

# Real traffic for the whole test: new connections at RATE a second.
t_client "$VIP" --duration $((QUIET_S + 120)) --rate $RATE -c 16 \
	--timeout 3 --max-failed 1000000 --stop-file "$WORKDIR/stream.stop" \
	>"$WORKDIR/stream.json" &
STREAM=$!
t_on_exit "touch $WORKDIR/stream.stop"

# ---- quiet ----
t_log "quiet for ${QUIET_S}s at $RATE new connections/s"
sleep "$QUIET_S"
A=$(elbctl -j alerts)
t_log "alerts: $(printf '%s' "$A" | t_jget '[(a["alertname"], a["backend"], a["state"], a["summary"]) for a in d["alerts"]]')"
t_check "quiet ${QUIET_S}s: no alert, not even pending" \
	test "$(printf '%s' "$A" | t_jget 'len(d["alerts"])')" = 0
t_check "the watch judged full windows meanwhile ($(printf '%s' "$A" | t_jget 'd["pools"]'))" \
	test "$(printf '%s' "$A" | t_jget '[p for p in d["pools"] if p["pool"] == "web" and p["window_s"] == 10 and p["new_flows"] >= 200] != []')" = True
t_check "samples: one a second ($(printf '%s' "$A" | t_jget 'd["samples"]'))" \
	test "$(printf '%s' "$A" | t_jget "d['samples'] >= $QUIET_S")" = True
t_check "no watch record in the history" \
	test "$(elbctl -j history 1000 | t_jget 'len([r for r in d["history"] if r["who"]["kind"] == "watch"])')" = 0

# ---- latency: web3 slow while it takes half ----
# Its health endpoint answers in 200 ms, the others' at once. (netem in
# its namespace would slow its traffic too, but needs sch_netem, which
# not every kernel the tests run on has.)
echo "sleep 0.2 200" >"$WORKDIR/b3/health"
if took=$(wait_alert slow_backend_high_share web3 firing 15); then
	t_pass "web3's checks take 200 ms: slow_backend_high_share fires in ${took}s"
else
	t_fail "web3's checks take 200 ms: slow_backend_high_share fires (alerts: $(elbctl -j alerts | t_jget '[(a["alertname"], a["backend"], a["state"], a["summary"]) for a in d["alerts"]]'))"
fi
A=$(elbctl -j alerts)
t_log "$(printf '%s' "$A" | t_jget '[a["summary"] for a in d["alerts"]]')"
t_check "no other backend is named slow" \
	test "$(printf '%s' "$A" | t_jget 'len([a for a in d["alerts"] if a["alertname"] == "slow_backend_high_share" and a["backend"] != "web3"])')" = 0
t_check "it says web3's latency (>= 200 ms) and its share above an equal split (33.33 %)" \
	test "$(printf '%s' "$A" | t_jget '[(a["value"] >= 200, round(a["intended_share"], 2), a["observed_share"] > 40) for a in d["alerts"] if a["alertname"] == "slow_backend_high_share"][0]')" = "(True, 33.33, True)"
echo 200 >"$WORKDIR/b3/health"
if took=$(wait_alert slow_backend_high_share web3 resolved 15); then
	t_pass "fast again: it resolves in ${took}s"
else
	t_fail "fast again: it resolves ($(alert_state slow_backend_high_share web3))"
fi

# ---- forced skew: weight web1 100 --force ----
G0=$(t_generation)
out=$(elbctl -j weight web1 100 --force)
t_check "weight web1 100 --force applies over max_share ($(printf '%s' "$out" | t_jget 'd.get("forced")'))" \
	test "$(printf '%s' "$out" | t_jget 'd.get("forced")')" = True
G1=$(t_generation)
t_check "it made generation $G1 from $G0" test "$G1" = $((G0 + 1))
if took=$(wait_alert share_above_intent web1 firing 10); then
	t_pass "share_above_intent on web1 fires ${took}s after the change (<= 10 s)"
else
	t_fail "share_above_intent on web1 fires within 10 s ($(alert_state share_above_intent web1))"
fi
A=$(elbctl -j alerts)
t_log "$(elbctl alerts)"
t_check "it names VIP web, pool web, web1: observed > 50 %, expected ~95 %, intended 50 %" \
	test "$(printf '%s' "$A" | t_jget '[(a["vip"], a["pool"], a["observed_share"] > 50, round(a["expected_share"]), a["intended_share"], a["sample"] >= 200) for a in d["alerts"] if a["alertname"] == "share_above_intent"][0]')" = "('web', 'web', True, 95, 50.0, True)"
t_check "it names the change: generation $G1, 'weight web1 100 --force' by a peer" \
	test "$(printf '%s' "$A" | t_jget '[(a["change"]["generation"], a["change"]["command"], a["change"]["who"].split()[0]) for a in d["alerts"] if a["alertname"] == "share_above_intent"][0]')" = "($G1, 'weight web1 100 --force', 'peer')"
M=$(ip netns exec "$PREFIX-lb" curl -s --max-time 5 http://127.0.0.1:9741/metrics |
	grep '^edgelb_alert{alertname="share_above_intent"')
t_check "/metrics has it: $M" \
	eval 'printf "%s\n" "$M" | grep -q "vip=\"web\",pool=\"web\",backend=\"web1\",state=\"firing\"} 1"'
t_check "the flows follow the table: no share_skew" \
	test "$(printf '%s' "$A" | t_jget 'len([a for a in d["alerts"] if a["alertname"] in ("share_skew", "worker_skew")])')" = 0
elbctl rollback >/dev/null || t_fail "rollback"
if took=$(wait_alert share_above_intent web1 resolved 10); then
	t_pass "rollback resolves it in ${took}s"
else
	t_fail "rollback resolves it ($(alert_state share_above_intent web1))"
fi
t_check "history: the watch's pending, firing and resolved of share_above_intent" \
	test "$(elbctl -j history 1000 | t_jget '[r["command"].split(":")[0] for r in d["history"] if r["who"]["kind"] == "watch" and "share_above_intent" in r["command"]]')" = \
	"['alert share_above_intent pending', 'alert share_above_intent firing', 'alert share_above_intent resolved']"

# ---- apply --confirm-within with a bad weight forced ----
NEW=$WORKDIR/bad.ini
sed -e '/^\[backend.web1\]/,/^$/s/^weight = .*/weight = 100/' "$CONF" >"$NEW"
out=$(elbctl -j apply "$NEW" --confirm-within 60 --force)
G=$(printf '%s' "$out" | t_jget 'd["confirm"]["generation"]')
t0=$SECONDS
while [ "$(pending)" != 0 ] && [ $((SECONDS - t0)) -lt 20 ]; do sleep 0.5; done
took=$((SECONDS - t0))
t_check "the alert rolled generation $G back ${took}s after the apply (deadline 60 s)" \
	test "$(pending)" = 0 -a "$took" -lt 20
t_check "history: edgelbd's 'rollback: generation $G aborted: alert share_above_intent: ...'" \
	test "$(elbctl -j history 1000 | t_jget "[r['who']['kind'] for r in d['history'] if r['command'].startswith('rollback: generation $G aborted: alert share_above_intent: web1 ')]")" = "['edgelbd']"
t_check "web1's weight is 1 again" \
	test "$(elbctl -j backends | t_jget "[b['weight'] for b in d if b['name'] == 'web1'][0]")" = 1

# ---- a worker that dispatches differently (test builds) ----
# `fault selftest-skew 1 web1` (-Dtest_faults=true: tests/run.sh's
# build-asan) makes worker 1 send a quarter of its new flows to web1.
per_core() { elbctl -j stats --per-core | t_jget '[w["new_flows"] for w in d["workers"]]'; }
if elbctl -j version | grep -q '"test_faults": true'; then
	t_log "new flows per worker: $(per_core)"
	t_check "both workers take new flows (RSS over 2 queues): $(per_core)" \
		test "$(elbctl -j stats --per-core | t_jget 'min(w["new_flows"] for w in d["workers"]) > 1000')" = True
	elbctl fault selftest-skew 1 web1 >/dev/null || t_fail "fault selftest-skew 1 web1"
	t_on_exit "'$EDGELBCTL' -s '$ELBD_SOCK' fault clear >/dev/null 2>&1"
	wk() { elbctl -j alerts | t_jget "([a['state'] for a in d['alerts'] if a['alertname'] == 'worker_skew' and a['backend'] == 'web1' and a['worker'] == $1] or ['none'])[-1]"; }
	t0=$SECONDS
	while [ "$(wk 1)" != firing ] && [ $((SECONDS - t0)) -lt 15 ]; do sleep 0.5; done
	took=$((SECONDS - t0))
	A=$(elbctl -j alerts)
	t_log "$(printf '%s' "$A" | t_jget '[a["summary"] for a in d["alerts"] if a["state"] != "resolved"]')"
	t_check "worker_skew names worker 1 and web1, firing ${took}s after the fault (<= 15 s)" \
		test "$(wk 1)" = firing
	t_check "no worker_skew names worker 0" \
		test "$(printf '%s' "$A" | t_jget 'len([a for a in d["alerts"] if a["alertname"] == "worker_skew" and a["worker"] != 1])')" = 0
	elbctl fault clear >/dev/null
	t0=$SECONDS
	while [ "$(wk 1)" != resolved ] && [ $((SECONDS - t0)) -lt 20 ]; do sleep 0.5; done
	t_check "fault cleared: it resolves ($((SECONDS - t0))s)" test "$(wk 1)" = resolved
else
	echo "SKIP: $T_ID: a worker that dispatches differently (no -Dtest_faults)"
	T_SKIPS=$((T_SKIPS + 1))
fi

touch "$WORKDIR/stream.stop"
wait "$STREAM"
t_log "stream: $(cut -c1-300 "$WORKDIR/stream.json")"
t_stop_daemon
t_finish

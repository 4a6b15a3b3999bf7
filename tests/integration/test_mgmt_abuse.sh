#!/usr/bin/env bash
# An edge balancer faces the internet, and its management socket whoever
# may connect to it: hundreds of abusive clients must not cost anyone else.
#
# One worker, a flow table of 16M entries filled with 100000 flows (spoofed
# SYNs to a second VIP from the client namespace), pool web checked by TCP
# every 100 ms through the kernel interface. Two windows of the same
# background: HTTP connections (100/s), a ping flood at the port (1000/s,
# answered by the worker: most loop iterations move packets), a reader (uid elbt-mmon, in socket_group)
# asking `status` every 100 ms and root alternating `weight web1 1|2`
# every 250 ms. The first window has nothing else; in the second, two
# other uids (elbt-mab1, elbt-mab2) run some 390 clients at once:
# slowloris (half a request, never ended), non-readers of 1000-flow pages,
# 300 KiB requests, binary junk and malformed commands, connect-and-close
# churn, 1000-tuple lookups, a pager walking the whole flow table and
# clients asking for one flow past its filled start (a walk over 16
# million empty slots each).
#
# Bounds (generous for a noisy, shared 2-core VM, yet each one broken by
# the code before this change: refusals for the reader, half the
# management core spent on the abusers, millisecond loop iterations for a
# worker dumping its table, unbounded answer memory):
# - the reader and root: every request answered without an error, p99 of
#   connect-to-answer under 100 ms, max under 1 s;
# - health checks: late_p99_ms after the abuse at most 10 ms more than
#   after the quiet window (cumulative figures: the abuse window must not
#   raise them), late_max_ms under 250 ms;
# - the worker's longest loop iteration of each second (busy_loop_max_us,
#   started over every second with stats --per-core --reset-max; logged
#   with the times the worker was preempted in that second): the median
#   over the abuse window at most 1 ms above the quiet one's, or under
#   5 ms (a second in which another process took the worker's CPU for a
#   4 ms tick reads 4 ms; the abuse loading CPU 0 costs the worker some
#   300 us here). Served in one iteration, as before this change, a page
#   of 1000 flows costs 100-200 us and the walk over the 16 million empty
#   slots at the end of the table 8-30 ms: the median read 8 ms;
# - no HTTP connection fails in either window;
# - edgelbd's RSS grows by less than 64 MB during the abuse, and no answer
#   is larger than a page of 1000 flows (about 170 KB);
# - the pager lists every flow of the table at least once; edgelbd keeps
#   running and stops cleanly.
# Against an ASan build the worker's loops, the checks' lateness and the RSS are logged, not
# checked: they are the sanitizer's figures then.
# edgelbd runs at nice -10, everything of the test's own on CPU 0 at
# nice 5 (the abusers at nice 10), CPU 1 being the worker's, and in the quiet window two busy
# loops take the abusers' place at nice 10 on CPU 0: the point is what
# edgelbd does with the requests, not what a saturated CPU 0 does to the
# rest of the machine (it slows the worker's loop by some 200 us here).
. "$(dirname "$0")/lib.sh"

KIF=elbt-ma0
FILL=${MABUSE_FILL:-100000}
FILL_RATE=25000
QUIET_S=10
ABUSE_S=10
SOCK_GROUP=elbt-msock
USERS=(elbt-mab1 elbt-mab2 elbt-mmon)

t_init mabuse
# A sanitized build: its timing and memory figures are the sanitizer's.
case $(ldd "$EDGELBD") in *libasan*) ASAN=1 ;; *) ASAN=0 ;; esac
t_group "$SOCK_GROUP"
for u in "${USERS[@]}"; do
	t_user "$u"
done
GS=$(t_gid "$SOCK_GROUP")

t_topology
# CPU 1 is the worker's: everything of the test's own (nginx, clients,
# abusers) runs on CPU 0 beside the management thread, niced so that
# edgelbd's threads are not kept waiting by the test's load (the
# figures compare windows; the kernel's sharing of a CPU is not edgelbd's).
BG="taskset -c 0 nice -n 5"
for i in 1 2 3; do
	for p in $(elb_ns_pids "$PREFIX-b$i"); do
		taskset -a -cp 0 "$p" >/dev/null && renice -n 5 -p "$p" >/dev/null
	done
done
T_FLOW_TABLE_SIZE=16777216 T_EAL_MEM=2560 t_config_head 1
sed -i "/^audit_log = /a socket_group = $SOCK_GROUP\n; the spoofed SYNs stay in the table (embryonic) for the whole test\ntcp_syn_timeout = 600" "$CONF"
{
	echo "kernel_interface = $KIF"
	printf '\n[vip.web]\naddress = %s\nport = 80\npool = web\n' "$VIP"
	printf '\n[vip.fill]\naddress = %s\nport = 9\npool = web\n' "$VIP"
	printf '\n[pool.web]\nhealth = tcp\nhealth_port = 80\n'
	printf 'health_interval_ms = 100\nhealth_timeout_ms = 90\n'
	printf 'health_fall = 3\nhealth_rise = 2\n'
} >>"$CONF"
for i in 1 2 3; do t_backend "web$i" web "$i" "$i"; done
t_daemon
# As a deployment gives edgelbd its cores: other processes of this shared
# machine (builds, other tests) get slices of 0.75 ms at most on its CPUs
# instead of 4 ms ones.
# Its main (management) thread and its worker only: a helper thread (an
# ASan build has one, busy with its quarantine) must not share the nice.
for t in /proc/"$ELBD_PID"/task/*; do
	case $(cat "$t/comm") in edgelbd | rte-worker-*)
		renice -n -10 -p "${t##*/}" >/dev/null ;;
	esac
done
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
for _ in $(seq 50); do
	up=$(elbctl -j health | "$PY" -c 'import json,sys
print(sum(b["health"] == "up" for b in json.load(sys.stdin)["backends"]))')
	[ "$up" = 3 ] && break
	sleep 0.1
done
t_check "every backend checked up ($up of 3)" test "$up" = 3

# as USER CMD...: a command as USER, in socket_group.
as() {
	local u=$1
	shift
	setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --groups="$GS" -- "$@"
}
RSS() { awk '/^VmRSS/ {print $2}' "/proc/$ELBD_PID/status"; }
# CPU time of the management thread (the daemon's main thread), in ticks.
MGMT_CPU() { awk '{print $14 + $15}' "/proc/$ELBD_PID/task/$ELBD_PID/stat"; }
# Times the worker thread was preempted so far.
PREEMPTED() {
	local t
	for t in /proc/"$ELBD_PID"/task/*; do
		[ "$(cat "$t/comm")" = rte-worker-1 ] &&
			awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status"
	done
}
percore() {
	elbctl -j stats --per-core | "$PY" -c 'import json,sys
print(json.load(sys.stdin)["workers"][0][sys.argv[1]])' "$1"
}

t_log "after start: busy_loop_max_us $(percore busy_loop_max_us), swap_loop_max_us $(percore swap_loop_max_us)"

# ---- fill the flow table ----
MAC=$(t_port_mac)
$BG ip netns exec "$PREFIX-cli" "$PY" "$T_DIR/syn_fill.py" c0 "$MAC" "$VIP" 9 \
	"$FILL" "$FILL_RATE" >"$WORKDIR/fill.json" || t_abort "syn_fill.py ran"
sleep 1
entries=$(percore flow_table_entries)
t_log "fill: $(cat "$WORKDIR/fill.json"), flow table entries $entries, busy_loop_max_us $(percore busy_loop_max_us)"
t_check "the flow table holds the spoofed flows ($entries >= 75% of $FILL: the rest is lost on a busy machine before the appliance)" \
	test "$entries" -ge $((FILL * 3 / 4))

# window NAME SECONDS [abuse]: the background for SECONDS, with the
# abusers if asked; then the figures of the daemon in NAME.*.
window() {
	local name=$1 secs=$2 pids=() p rc=0 cpu0 k
	# The worker's longest loop, second by second (each read starts it
	# over), with how often the kernel took the worker's CPU away from it
	# in that second: such a second measures the machine, not edgelbd.
	elbctl stats --per-core --reset-max >/dev/null || rc=1
	: >"$WORKDIR/$name.loops"
	(for ((k = 0; k < secs; k++)); do
		n0=$(PREEMPTED)
		sleep 1
		loop=$(elbctl -j stats --per-core --reset-max | "$PY" -c 'import json,sys
print(json.load(sys.stdin)["workers"][0]["busy_loop_max_us"])')
		echo "$loop $(($(PREEMPTED) - n0))"
	done >>"$WORKDIR/$name.loops") &
	pids+=($!)
	cpu0=$(MGMT_CPU)
	$BG ip netns exec "$PREFIX-cli" "$PY" "$CLIENT" "$VIP" \
		--duration "$secs" --rate 100 -c 8 --timeout 2 \
		>"$WORKDIR/$name.http.json" &
	pids+=($!)
	$BG ip netns exec "$PREFIX-cli" ping -q -n -i 0.001 \
		-w "$secs" "$LB_ADDR" >"$WORKDIR/$name.ping" 2>&1 &
	pids+=($!)
	$BG setpriv --reuid="$(id -u elbt-mmon)" \
		--regid="$(id -g elbt-mmon)" --groups="$GS" -- \
		"$PY" "$T_DIR/mgmt_clients.py" probe "$ELBD_SOCK" "$secs" 0.1 \
		>"$WORKDIR/$name.reader.json" &
	pids+=($!)
	$BG "$PY" "$T_DIR/mgmt_clients.py" probe "$ELBD_SOCK" "$secs" \
		0.25 --change "weight web1 1|weight web1 2" \
		>"$WORKDIR/$name.admin.json" &
	pids+=($!)
	if [ "${3:-}" != abuse ]; then
		# The abusers' CPU without their requests: two busy loops
		# where they run, so that both windows load CPU 0 alike.
		for k in 1 2; do
			nice -n 10 taskset -c 0 timeout "$secs" \
				"$PY" -c 'while True: pass' &
			pids+=($!)
		done
	else
		as elbt-mab1 nice -n 10 taskset -c 0 "$PY" \
			"$T_DIR/mgmt_clients.py" abuse "$ELBD_SOCK" "$secs" \
			--kinds "${MABUSE_KINDS1:-slowloris,nonreader,oversize,malformed,churn,lookup,tail}" \
			--scale 2 >"$WORKDIR/$name.abuse1.json" &
		pids+=($!)
		as elbt-mab2 nice -n 10 taskset -c 0 "$PY" \
			"$T_DIR/mgmt_clients.py" abuse "$ELBD_SOCK" "$secs" \
			--kinds "${MABUSE_KINDS2:-pager}" --scale 0.25 \
			>"$WORKDIR/$name.abuse2.json" &
		pids+=($!)
	fi
	for p in "${pids[@]}"; do
		wait "$p"
		k=$?
		[ "$k" -eq 0 ] || [ "$k" -eq 124 ] || rc=1   # 124: a busy loop's end
	done
	elbctl -j health >"$WORKDIR/$name.health.json"
	elbctl -j stats --per-core >"$WORKDIR/$name.stats.json"
	RSS >"$WORKDIR/$name.rss"
	echo $(( ($(MGMT_CPU) - cpu0) * 1000 / $(getconf CLK_TCK) / secs )) \
		>"$WORKDIR/$name.mgmt_cpu"
	return $rc
}

# fig NAME EXPR: a figure from the window's files (Python expression over
# reader, admin, http, health, stats, abuse1, abuse2).
fig() {
	"$PY" - "$WORKDIR" "$1" "$2" <<'PYEOF'
import json, os, sys
d, name, expr = sys.argv[1:4]
def load(what):
    p = os.path.join(d, "%s.%s.json" % (name, what))
    return json.load(open(p)) if os.path.exists(p) else {}
env = {w: load(w) for w in ("reader", "admin", "http", "health", "stats",
                            "abuse1", "abuse2")}
env["checker"] = env["health"].get("checker", {})
env["worker"] = env["stats"].get("workers", [{}])[0]
print(eval(expr, env))
PYEOF
}

rss0=$(RSS)
window quiet "$QUIET_S"
window abuse "$ABUSE_S" abuse
for w in quiet abuse; do
	t_log "$w: reader $(cat "$WORKDIR/$w.reader.json")"
	t_log "$w: admin $(cat "$WORKDIR/$w.admin.json")"
	t_log "$w: http $(cat "$WORKDIR/$w.http.json")"
	t_log "$w: checker $(fig $w 'checker')"
	t_log "$w: busy_loop_max_us (times preempted) second by second: $(awk '{printf "%s (%s)  ", $1, $2}' "$WORKDIR/$w.loops")"
	t_log "$w: RSS $(cat "$WORKDIR/$w.rss") kB, management thread CPU $(cat "$WORKDIR/$w.mgmt_cpu") ms/s"
done
t_log "abusers: $(cat "$WORKDIR/abuse.abuse1.json")"
t_log "abusers: $(cat "$WORKDIR/abuse.abuse2.json")"
t_log "RSS: start $rss0 kB, after quiet $(cat "$WORKDIR/quiet.rss") kB, after abuse $(cat "$WORKDIR/abuse.rss") kB"

# ---- other clients and the admin kept being served ----
for who in reader admin; do
	t_check "abuse: the $who was answered every time, p99 < 100 ms, max < 1 s ($(fig abuse "$who"))" \
		test "$(fig abuse "$who['n'] > 10 and $who['ok'] == $who['n'] and $who['p99_ms'] < 100 and $who['max_ms'] < 1000")" = True
done
t_check "abuse: the abusers were hundreds ($(fig abuse 'abuse1["clients"] + abuse2["clients"]') clients at once)" \
	test "$(fig abuse 'abuse1["clients"] + abuse2["clients"] >= 300')" = True

# ---- health checks and the worker unaffected ----
q99=$(fig quiet 'checker["late_p99_ms"]') a99=$(fig abuse 'checker["late_p99_ms"]')
amax=$(fig abuse 'checker["late_max_ms"]') qmax=$(fig quiet 'checker["late_max_ms"]')
# An ASan build takes 6 to 15 ms to build and send a page of 1000 flows
# (1 to 2 ms optimised): its lateness tells the sanitizer's cost, not the
# bound's; logged like the worker's loop below.
if [ "$ASAN" = 1 ]; then
	T_SKIPS=$((T_SKIPS + 1))
	echo "SKIP: $T_ID: health checks: late_p99 $q99 -> $a99 ms, late_max $qmax -> $amax ms (an ASan build: not checked)"
else
	t_check "health checks: late_p99 $q99 -> $a99 ms (at most +10), late_max $qmax -> $amax ms (< 250)" \
		test "$(fig abuse "$a99 <= $q99 + 10 and $amax < 250")" = True
fi
# The median: another process taking the worker's CPU for a tick spoils a
# second here and there (it reads 4 ms, hence the 5 ms floor), what the
# abuse did before this change spoiled most (8 to 30 ms).
median() { sort -g "$1" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
qb=$(median "$WORKDIR/quiet.loops") ab=$(median "$WORKDIR/abuse.loops")
if [ "$ASAN" = 1 ]; then
	T_SKIPS=$((T_SKIPS + 1))
	echo "SKIP: $T_ID: the worker's longest loop of a second, median: $qb us quiet, $ab us under abuse (an ASan build: not checked)"
else
	t_check "the worker's longest loop of a second, median: $qb us quiet, $ab us under abuse (at most +1000, or 5000)" \
		awk -v q="$qb" -v a="$ab" 'BEGIN {
			exit !(q != "" && a != "" && (a <= q + 1000 || a <= 5000)) }'
fi
for w in quiet abuse; do
	t_check "$w: no HTTP connection failed ($(fig $w '(http["ok"], http["failed"])'))" \
		test "$(fig $w 'http["ok"] > 100 and http["failed"] == 0')" = True
done

# ---- memory and answers bounded, the table still listed ----
grow=$(( $(cat "$WORKDIR/abuse.rss") - $(cat "$WORKDIR/quiet.rss") ))
if [ "$ASAN" = 1 ]; then
	# ASan keeps freed memory in quarantine (256 MB): RSS says nothing.
	T_SKIPS=$((T_SKIPS + 1))
	echo "SKIP: $T_ID: edgelbd RSS grew by $grow kB during the abuse (an ASan build: not checked)"
else
	t_check "edgelbd RSS grew by $grow kB during the abuse (< 64 MB)" \
		test "$grow" -lt 65536
fi
t_check "no answer over a page of 1000 flows ($(fig abuse 'max(abuse1["max_answer_bytes"], abuse2["max_answer_bytes"])') bytes <= 256 KiB)" \
	test "$(fig abuse 'max(abuse1["max_answer_bytes"], abuse2["max_answer_bytes"]) <= 262144')" = True
# An ASan build makes pages 5 to 10 times slower, so its abuse window may
# end a few pages short of a pass (99 of ~100 pages once): then the pager
# alone gets 30 s, under the same sanitizer, to walk the whole table.
pager=$(fig abuse '(abuse2["pages"], abuse2["flows_listed"], abuse2["passes"])')
if [ "$ASAN" = 0 ] || [ "$(fig abuse "abuse2['passes']")" != 0 ]; then
	t_check "the pagers listed the whole table ($pager pages, flows, passes)" \
		test "$(fig abuse "abuse2['passes'] >= 1 and abuse2['flows_listed'] >= $entries")" = True
else
	t_log "an ASan build: the abuse window ended within a pass ($pager pages, flows, passes)"
	as elbt-mab2 nice -n 10 taskset -c 0 "$PY" "$T_DIR/mgmt_clients.py" \
		abuse "$ELBD_SOCK" 30 --kinds pager --scale 0.25 \
		>"$WORKDIR/pager.json"
	t_check "an ASan build: the pager alone listed the whole table in 30 s ($(t_jget '(d["pages"], d["flows_listed"], d["passes"])' <"$WORKDIR/pager.json") pages, flows, passes)" \
		test "$(t_jget "d['passes'] >= 1 and d['flows_listed'] >= $entries" <"$WORKDIR/pager.json")" = True
fi
t_check "abusive requests got errors, not answers (oversize, malformed)" \
	test "$(fig abuse '"answer" not in abuse1["kinds"].get("oversize", {}) and abuse1["kinds"].get("malformed", {}).get("error answer", 0) > 0')" = True

t_check "edgelbd still running" elbd_alive
t_check "status answers" elbctl status
t_stop_daemon
t_finish

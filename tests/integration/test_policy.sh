#!/usr/bin/env bash
# The postmortem's change, and the simulation against reality.
#
# Pool web: three nginx backends, weights 10:10:10, each with max_share =
# 50, min_healthy = 3, health checked by TCP every 500 ms.
# - Simulation matches reality: `edgelbctl check` of the running file
#   predicts the live table's shares exactly, and the connections nginx
#   logs (10000 from many source ports) agree with them within 4 binomial sd,
#   each on the backend `lookup` names; again once the skewed file runs.
# - The file edited to 10:10:1000 (a slipped digit): `edgelbd --check`,
#   `edgelbctl check` (a reader may run it), `diff`, `reload FILE` and
#   `weight web3 1000` refuse it naming web3 and FILE:LINE (the weight's
#   line) where there is a file; the tables stay as they were (weights,
#   generation, the answers of lookup for 2000 tuples).
# - A reader's --force is refused naming --force; root's `reload FILE
#   --force` applies it, history records it forced with the overridden
#   max_share violation, and status shows the running generation's
#   violation.
# - Back to 10:10:10, web3's nginx stopped: the health transition is
#   applied (never refused) though it leaves the pool below min_healthy;
#   history records it (made by health) with the min_healthy violation and
#   status shows it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

USER_NAME=elbt-poluser
SOCK_GROUP=elbt-polsock
KIF=elbt-pl0
CONNS=${ELB_CONNS:-10000}
t_init pol
t_group "$SOCK_GROUP"
t_user "$USER_NAME"
U=$(id -u "$USER_NAME")
UG=$(id -g "$USER_NAME")
GS=$(t_gid "$SOCK_GROUP")

t_topology
t_config_head 1
sed -i "/^audit_log = /a socket_group = $SOCK_GROUP" "$CONF"
{
	echo "kernel_interface = $KIF"
	printf '\n[vip.web]\naddress = %s\nport = 80\npool = web\n' "$VIP"
	printf '\n[pool.web]\nscheduler = maglev\ntable_size = 65537\n'
	printf 'min_healthy = 3\nhealth = tcp\nhealth_interval_ms = 500\n'
	printf 'health_timeout_ms = 300\nhealth_fall = 2\nhealth_rise = 2\n'
} >>"$CONF"
for i in 1 2 3; do
	t_backend "web$i" web "$i" 10
	echo "max_share = 50" >>"$CONF"
done
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

# jtest EXPR: exit status 0 if EXPR holds for the JSON on stdin.
jtest() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(not eval("(" + sys.argv[1] + ")"))' "$1"; }
weights() { elbctl -j backends | t_jget '" ".join("%s=%s" % (b["name"], b["weight"]) for b in d)'; }
last() { elbctl -j history 1 | t_jget "d['history'][-1]$1"; }
save() { t_pyr lookup-save --port 80 --from 5000 --n 2000 --out "$1"; }
as_reader() {
	setpriv --reuid="$U" --regid="$UG" --groups="$GS" -- \
		"$EDGELBCTL" -s "$ELBD_SOCK" "$@"
}

# measure TAG FILE: `edgelbctl check FILE` (FILE runs) predicts what
# CONNS connections get, connection by connection and in aggregate. The
# kernel reuses some source ports (TIME_WAIT reuse: about 9 in 100 here);
# the aggregate counts each tuple once, and at least 80% must be distinct.
measure() {
	local tag=$1 file=$2
	elbctl -j check "$file" >"$WORKDIR/check-$tag.json"
	t_py snapshot "$WORKDIR/before-$tag.json" || t_abort "snapshot counters"
	t_log "$tag: $CONNS connections to $VIP:80"
	t_client "$VIP" -n "$CONNS" -c 32 --time-limit 90 \
		>"$WORKDIR/client-$tag.json"
	t_log "client: $(cat "$WORKDIR/client-$tag.json")"
	sleep 0.5
	t_py predicted --before "$WORKDIR/before-$tag.json" \
		--check "$WORKDIR/check-$tag.json" --vip web \
		--min-conns $((CONNS * 8 / 10))
}

# ---- the running file: check says OK and predicts what happens ----
elbctl check "$CONF" >"$WORKDIR/check0.out" 2>&1
rc=$?
cat "$WORKDIR/check0.out"
t_check "edgelbctl check of the running file: exit 0, OK (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q '^check: OK' '$WORKDIR/check0.out'"
measure running "$CONF"

# ---- the postmortem's change ----
NEW=$WORKDIR/new.ini
sed -e '/^\[backend.web3\]/,/^$/s/^weight = .*/weight = 1000/' "$CONF" >"$NEW"
LINE=$(grep -n '^weight = 1000$' "$NEW" | cut -d: -f1)
WHERE="$NEW:$LINE"
t_log "the change: $WHERE: weight = 1000"

"$EDGELBD" --check "$NEW" >"$WORKDIR/offline.out" 2>&1
rc=$?
t_check "edgelbd --check refuses it: exit 1, '$WHERE: violation [max_share]' naming web3 (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -q '^$WHERE: violation \[max_share\] .*backend web3 ' '$WORKDIR/offline.out'"

elbctl check "$NEW" >"$WORKDIR/check1.out" 2>&1
rc=$?
cat "$WORKDIR/check1.out"
t_check "edgelbctl check refuses it: exit 1, '$WHERE: violation [max_share]' naming web3, REFUSED (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -q '^$WHERE: violation \[max_share\] .*backend web3 ' '$WORKDIR/check1.out' && grep -q '^check: REFUSED' '$WORKDIR/check1.out'"
elbctl -j check "$NEW" >"$WORKDIR/check1.json"
t_check "check -j: ok false; the max_share finding names web3 at $WHERE; web3 50% max, now 33.33%, would get > 90%, worst with one down shown" \
	jtest '(not d["ok"]) and d["violations"] >= 1 and
	any(f["code"] == "max_share" and f["backend"] == "web3" and f["where"] == "'"$WHERE"'" and f["severity"] == "violation" for f in d["findings"]) and
	[(b["max_share"], round(b["share_before"], 2), b["expected_share"] > 90, b["worst_share_one_down"] is not None)
	 for b in d["vips"][0]["backends"] if b["name"] == "web3"] == [(50, 33.33, True, True)]' <"$WORKDIR/check1.json"
as_reader check "$NEW" >"$WORKDIR/check-reader.out" 2>&1
rc=$?
t_check "a reader (socket_group only) may run check too, and is told the same (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -q '^$WHERE: violation \[max_share\]' '$WORKDIR/check-reader.out'"

elbctl diff "$NEW" >"$WORKDIR/diff.out" 2>&1
rc=$?
cat "$WORKDIR/diff.out"
elbctl -j diff "$NEW" >"$WORKDIR/diff.json"
t_check "diff: exit 1, web3 weight 10 -> 1000, shares before/after, refused naming web3 at $WHERE (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -q 'would be REFUSED by the policy' '$WORKDIR/diff.out' && $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
b = [x for x in d[\"backends\"] if x[\"name\"] == \"web3\"][0]
v = [x for x in d[\"vips\"][0][\"backends\"] if x[\"name\"] == \"web3\"][0]
sys.exit(not (d[\"refused\"] and b[\"weight_old\"] == 10 and b[\"weight_new\"] == 1000
    and round(v[\"share_before\"], 2) == 33.33 and v[\"expected_share\"] > 90
    and any(f[\"code\"] == \"max_share\" and f[\"backend\"] == \"web3\" and f[\"where\"] == sys.argv[2]
            for f in d[\"violations\"])))' '$WORKDIR/diff.json' '$WHERE'"

g0=$(t_generation)
w0=$(weights)
save "$WORKDIR/l0.json"
out=$(elbctl -j reload "$NEW" 2>/dev/null)
rc=$?
t_check "reload FILE refused: exit 1, 'refused by policy' naming web3, '$WHERE' among the errors (exit $rc)" \
	"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); e=d.get("error","")
sys.exit(not (sys.argv[2] == "1" and e.startswith("refused by policy") and "web3" in e and
    any(x.startswith("violation: " + sys.argv[3] + ": ") for x in d.get("errors", []))))' "$out" "$rc" "$WHERE"
out=$(elbctl -j weight web3 1000 2>/dev/null)
rc=$?
t_check "weight web3 1000 refused: exit 1, 'refused by policy' naming web3 (exit $rc)" \
	"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); e=d.get("error","")
sys.exit(not (sys.argv[2] == "1" and e.startswith("refused by policy") and "backend web3" in e and
    d["violations"][0]["code"] == "max_share"))' "$out" "$rc"
t_check "history records the refusal with its violation ($(last '["command"]'))" \
	test "$(last '["command"], d["history"][-1]["result"], d["history"][-1]["violations"][0]["backend"]')" = \
	"('weight web3 1000', 'refused', 'web3')"
save "$WORKDIR/l1.json"
t_check "tables unchanged: generation $(t_generation) (was $g0), weights $(weights)" \
	test "$(t_generation)" = "$g0" -a "$(weights)" = "$w0"
t_pyr lookup-same "$WORKDIR/l0.json" "$WORKDIR/l1.json"

# ---- --force: an admin's only ----
out=$(as_reader -j reload "$NEW" --force 2>/dev/null)
rc=$?
t_check "a reader's 'reload FILE --force' is refused naming --force (exit $rc)" \
	"$PY" -c 'import json,sys; e=json.loads(sys.argv[1]).get("error",""); sys.exit(not (sys.argv[2] == "1" and "--force" in e and "admin_group" in e))' "$out" "$rc"
t_check "nothing changed (generation $(t_generation))" test "$(t_generation)" = "$g0"
elbctl -j reload "$NEW" --force >"$WORKDIR/forced.json"
rc=$?
G=$((g0 + 1))
t_check "root's 'reload FILE --force' applies it: exit 0, generation $G, forced, overrides max_share of web3 (exit $rc)" \
	jtest "$rc == 0 and d['forced'] is True and d['generation'] == $G and
	any(f['code'] == 'max_share' and f['backend'] == 'web3' for f in d['overridden'])" \
	<"$WORKDIR/forced.json"
t_check "web3 runs with weight 1000 ($(weights))" \
	sh -c "[ '$(weights)' = 'web1=10 web2=10 web3=1000' ]"
elbctl -j history 1 >"$WORKDIR/h-forced.json"
t_check "history: reload FILE --force, ok, forced, overridden max_share of web3 at $WHERE" \
	jtest '[(r["result"], r["forced"], r["command"].split()[0], [(f["backend"], f["where"]) for f in r["overridden"] if f["code"] == "max_share"])
	 for r in d["history"][-1:]] == [("ok", True, "reload", [("web3", "'"$WHERE"'")])]' \
	<"$WORKDIR/h-forced.json"
elbctl -j status >"$WORKDIR/status1.json"
t_check "status: generation $G runs with the max_share violation of web3" \
	jtest 'd["policy"]["generation"] == '"$G"' and any(f["code"] == "max_share" and f["backend"] == "web3" for f in d["policy"]["violations"])' \
	<"$WORKDIR/status1.json"
t_check "edgelbctl status prints 'WARNING: policy violation (generation $G): $WHERE: ...'" \
	sh -c "'$EDGELBCTL' -s '$ELBD_SOCK' status | grep -q 'WARNING: policy violation (generation $G): $WHERE: '"
measure forced "$NEW"

# ---- health: never refused, recorded with the violation it leaves ----
out=$(elbctl -j reload "$CONF")
rc=$?
t_check "reload of the 10:10:10 file: accepted (exit $rc), status has no violation" \
	sh -c "[ $rc -eq 0 ] && [ \"\$('$EDGELBCTL' -s '$ELBD_SOCK' -j status | $PY -c 'import json,sys; print(len(json.load(sys.stdin)[\"policy\"][\"violations\"]))')\" = 0 ]"
g1=$(t_generation)
elb_nginx_stop_one "$WORKDIR/b3"
state=
for _ in $(seq 50); do
	state=$(elbctl -j backends | t_jget '[b["state"] for b in d if b["name"] == "web3"][0]')
	[ "$state" = down ] && break
	sleep 0.1
done
t_check "web3's nginx stopped: web3 is down ($state), a new generation ($(t_generation) > $g1)" \
	test "$state" = down -a "$(t_generation)" -gt "$g1"
elbctl -j history 5 >"$WORKDIR/h-health.json"
t_check "history: the health transition applied (ok, made by health) with the min_healthy violation" \
	jtest 'any(r["who"]["kind"] == "health" and r["result"] == "ok" and "web3 down" in r["command"] and
	any(f["code"] == "min_healthy" for f in r.get("violations", [])) for r in d["history"])' \
	<"$WORKDIR/h-health.json"
elbctl -j status >"$WORKDIR/status2.json"
t_check "status shows the running generation's min_healthy violation" \
	jtest 'd["policy"]["generation"] == d["generation"] and any(f["code"] == "min_healthy" for f in d["policy"]["violations"])' \
	<"$WORKDIR/status2.json"
t_check "a connection through the VIP still works" t_warmup 5

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

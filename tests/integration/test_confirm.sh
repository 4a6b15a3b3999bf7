#!/usr/bin/env bash
# Commit-confirmed apply, --force access, deploy/pipeline.sh:
# - apply FILE --confirm-within 3 (web3 weight 3 -> 30): applied at once
#   (backends, lookup of 2000 tuples differs), status shows the pending
#   generation and its deadline; another apply, a reload, a weight change
#   are refused naming it; without confirm it is rolled back at the
#   deadline (still pending at 2 s, gone by 6 s): history's record is
#   edgelbd's "rollback: generation G not confirmed within 3 s", web3's
#   weight is 3 again and all 2000 lookups are what they were before;
# - with confirm it stays past the deadline; confirm with nothing pending,
#   --confirm-within 0, 86401, abc and apply without FILE are errors that
#   change nothing;
# - --force from a peer in socket_group only is refused naming --force and
#   recorded; from an admin it applies;
# - deploy/pipeline.sh: a file with an error stops at check, nothing
#   applied; a failing (or unknown) self-test stops before confirm and the
#   generation rolls back by itself; a passing one confirms.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

USER_NAME=elbt-ccuser
SOCK_GROUP=elbt-ccsock
ADM_GROUP=elbt-ccadm
t_init cc
t_group "$SOCK_GROUP"
t_group "$ADM_GROUP"
t_user "$USER_NAME"
U=$(id -u "$USER_NAME")
UG=$(id -g "$USER_NAME")
GS=$(t_gid "$SOCK_GROUP")
GA=$(t_gid "$ADM_GROUP")

t_topology
t_config 1
sed -i "/^audit_log = /a socket_group = $SOCK_GROUP\nadmin_group = $ADM_GROUP" "$CONF"
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

pending() { elbctl -j status | t_jget '(d.get("pending_confirm") or {}).get("generation", 0)'; }
weight_of() { elbctl -j backends | t_jget "[b['weight'] for b in d if b['name'] == '$1'][0]"; }
last() { elbctl -j history 1 | t_jget "d['history'][-1]$1"; }
# Source ports below the client's ephemeral range: never a live flow.
save() { t_pyr lookup-save --port 80 --from 5000 --n 2000 --out "$1"; }
# expect_refused WHAT WANT ARGS...: exit 1, the error names WANT.
expect_refused() {
	local what=$1 want=$2 out rc
	shift 2
	out=$(elbctl -j "$@" 2>/dev/null)
	rc=$?
	t_check "$what: exit 1, error naming '$want' (exit $rc: $(printf '%s' "$out" | tr -d '\n' | cut -c1-160))" \
		"$PY" -c 'import json,sys; e=json.loads(sys.argv[1]).get("error",""); sys.exit(not (sys.argv[2] == "1" and sys.argv[3] in e))' \
		"$out" "$rc" "$want"
}

NEW=$WORKDIR/new.ini
sed -e '/^\[backend.web3\]/,/^$/s/^weight = .*/weight = 30/' "$CONF" >"$NEW"
save "$WORKDIR/l0.json"

# ---- no confirm: rolled back at the deadline ----
g0=$(t_generation)
t0=$SECONDS
out=$(elbctl -j apply "$NEW" --confirm-within 3)
rc=$?
G=$((g0 + 1))
t_check "apply --confirm-within 3: exit 0, generation $G pending, restores $g0 (exit $rc)" \
	test "$rc" -eq 0 -a "$(printf '%s' "$out" | t_jget 'd["confirm"]["generation"], d["confirm"]["restores"]')" = "($G, $g0)"
t_check "web3 runs with weight 30 ($(weight_of web3))" test "$(weight_of web3)" = 30
save "$WORKDIR/l1.json"
t_pyr lookup-same "$WORKDIR/l0.json" "$WORKDIR/l1.json" --differ
left=$(elbctl -j status | t_jget 'd["pending_confirm"]["seconds_left"]')
t_check "status: generation $(pending) pending, $left s left" \
	test "$(pending)" = "$G" -a "$left" -ge 1 -a "$left" -le 3
t_check "edgelbctl status says it (PENDING: generation $G)" \
	sh -c "'$EDGELBCTL' -s '$ELBD_SOCK' status | grep -q 'PENDING: generation $G awaits'"
expect_refused "a second apply while $G is pending" "generation $G awaits confirmation" \
	apply "$NEW" --confirm-within 3
expect_refused "a reload while $G is pending" "generation $G awaits confirmation" reload
expect_refused "a weight change while $G is pending" "generation $G awaits confirmation" \
	weight web1 5
t_check "none of them changed anything (generation $(t_generation))" test "$(t_generation)" = "$G"
while [ $((SECONDS - t0)) -lt 2 ]; do sleep 0.2; done
t_check "still pending 2 s after the apply ($(pending))" test "$(pending)" = "$G"
while [ "$(pending)" != 0 ] && [ $((SECONDS - t0)) -lt 6 ]; do sleep 0.2; done
t_check "rolled back by 6 s after the apply (pending $(pending), generation $(t_generation))" \
	test "$(pending)" = 0 -a "$(t_generation)" = $((G + 1))
t_check "history: edgelbd's 'rollback: generation $G not confirmed within 3 s', ok, restores $g0 ($(last '["command"]'))" \
	test "$(last '["who"]["kind"], d["history"][-1]["command"], d["history"][-1]["result"], d["history"][-1]["restored"]')" = \
	"('edgelbd', 'rollback: generation $G not confirmed within 3 s', 'ok', $g0)"
t_check "web3's weight is 3 again ($(weight_of web3))" test "$(weight_of web3)" = 3
save "$WORKDIR/l2.json"
t_pyr lookup-same "$WORKDIR/l0.json" "$WORKDIR/l2.json"
t_check "a connection through the VIP still works" t_warmup 5

# ---- confirm: kept ----
out=$(elbctl -j apply "$NEW" --confirm-within 3)
G2=$(printf '%s' "$out" | t_jget 'd["confirm"]["generation"]')
out=$(elbctl -j confirm)
rc=$?
t_check "confirm: exit 0, generation $G2 confirmed (exit $rc, $out)" \
	test "$rc" -eq 0 -a "$(printf '%s' "$out" | t_jget 'd["confirmed"]')" = "$G2"
sleep 4
t_check "4 s later generation $G2 still runs ($(t_generation)), web3 weight 30" \
	test "$(t_generation)" = "$G2" -a "$(weight_of web3)" = 30
t_check "history's last record is the confirm ($(last '["command"]'))" \
	test "$(last '["command"], d["history"][-1]["result"], d["history"][-1]["confirmed"]')" = "('confirm', 'ok', $G2)"
expect_refused "confirm with nothing pending" "nothing awaits confirmation" confirm
for bad in 0 86401 abc -5; do
	expect_refused "apply --confirm-within $bad" "1..86400" \
		apply "$NEW" --confirm-within "$bad"
done
expect_refused "apply --confirm-within without SECONDS" "usage: apply" \
	apply "$NEW" --confirm-within
expect_refused "apply without FILE" "usage: apply" apply --confirm-within 5
t_check "nothing changed (generation $(t_generation))" test "$(t_generation)" = "$G2"

# ---- --force is an admin's ----
as() {
	local groups=$1
	shift
	setpriv --reuid="$U" --regid="$UG" --groups="$groups" -- \
		"$EDGELBCTL" -s "$ELBD_SOCK" -j "$@"
}
out=$(as "$GS" weight web1 5 --force 2>/dev/null)
rc=$?
t_check "a reader's 'weight web1 5 --force' is refused naming --force (exit $rc: $out)" \
	"$PY" -c 'import json,sys; e=json.loads(sys.argv[1]).get("error",""); sys.exit(not (sys.argv[2] == "1" and "--force" in e and "admin_group" in e))' "$out" "$rc"
out=$(as "$GS" confirm 2>/dev/null)
t_check "a reader may not confirm ($out)" \
	"$PY" -c 'import json,sys; sys.exit("only root or members of admin_group" not in json.loads(sys.argv[1]).get("error",""))' "$out"
out=$(as "$GS,$GA" weight web1 6 --force 2>&1)
rc=$?
t_check "an admin's 'weight web1 6 --force' applies (exit $rc)" \
	test "$rc" -eq 0 -a "$(weight_of web1)" = 6
t_pyr audit --uid "$U" --refused "weight web1 5 --force|confirm" \
	--allowed "weight web1 6 --force"

# ---- deploy/pipeline.sh ----
pipeline() {
	EDGELBCTL=$EDGELBCTL EDGELBD=$EDGELBD "$ROOT/deploy/pipeline.sh" \
		"$@" --socket "$ELBD_SOCK" >"$WORKDIR/pipeline.out" 2>&1
}
sed -e '/^\[backend.web2\]/,/^$/s/^weight = .*/weight = 70000/' "$CONF" >"$WORKDIR/bad.ini"
g=$(t_generation)
pipeline "$WORKDIR/bad.ini" --confirm-within 2
rc=$?
t_check "pipeline of a file with an error: exit 1 at check, nothing applied (exit $rc, generation $(t_generation))" \
	sh -c "[ $rc -eq 1 ] && grep -q 'FAILED at check' '$WORKDIR/pipeline.out' && [ $(t_generation) -eq $g ]"
sed -e '/^\[backend.web2\]/,/^$/s/^weight = .*/weight = 20/' "$CONF" >"$WORKDIR/p.ini"
PIPELINE_SELFTEST='echo "edgelbctl: unknown command \"selftest\"; try \"help\"" >&2; exit 1' \
	pipeline "$WORKDIR/p.ini" --confirm-within 2
rc=$?
cat "$WORKDIR/pipeline.out"
t_check "pipeline with a daemon that has no selftest: exit 1, not confirmed (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -q \"FAILED at selftest: the daemon does not know 'selftest'\" '$WORKDIR/pipeline.out'"
t_check "it applied: web2 weight 20, pending" \
	test "$(weight_of web2)" = 20 -a "$(pending)" = $((g + 1))
for _ in $(seq 40); do [ "$(pending)" = 0 ] && break; sleep 0.2; done
t_check "and it rolled back by itself: web2 weight 2 ($(weight_of web2)), $(last '["command"]')" \
	test "$(weight_of web2)" = 2 -a "$(last '["who"]["kind"]')" = edgelbd
PIPELINE_SELFTEST=false pipeline "$WORKDIR/p.ini" --confirm-within 2
rc=$?
t_check "pipeline whose selftest fails: exit 1 at selftest (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -q 'FAILED at selftest: the self-test failed' '$WORKDIR/pipeline.out'"
for _ in $(seq 40); do [ "$(pending)" = 0 ] && break; sleep 0.2; done
t_check "rolled back again (web2 weight $(weight_of web2))" test "$(weight_of web2)" = 2
PIPELINE_SELFTEST=true pipeline "$WORKDIR/p.ini" --confirm-within 2
rc=$?
cat "$WORKDIR/pipeline.out"
sleep 3
t_check "pipeline whose selftest passes: exit 0, confirmed, web2 weight 20 after the deadline (exit $rc, weight $(weight_of web2))" \
	test "$rc" -eq 0 -a "$(weight_of web2)" = 20 -a "$(pending)" = 0

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

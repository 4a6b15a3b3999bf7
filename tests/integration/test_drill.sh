#!/usr/bin/env bash
# deploy/drill.sh as a test: the postmortem's bad change (web1's weight
# slipped by 100x, forced over max_share) under real traffic on the demo
# topology. The drill must exit 0 within DRILL_TIME_S (default 80), having
# printed a time to alert within 10 s of the change, a time to recovery
# after the rollback, and cleaned up its namespaces (elbt-dr-*, which
# tests/integration/run.sh's leak check covers too).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

t_init dr
LIMIT=${DRILL_TIME_S:-80}
OUT=$WORKDIR/drill.out
# Should the drill be killed before its own cleanup.
t_on_exit "elb_topo_down $PREFIX"

t0=$SECONDS
rc=0
ELB_SKIP_DEPS=1 BUILD_DIR=$BUILD DRILL_PREFIX=$PREFIX DRILL_NET=${ELB_NET:-10.201.0} \
	DRILL_METRICS_PORT=9743 timeout -k 10 "$LIMIT" "$ROOT/deploy/drill.sh" \
	>"$OUT" 2>&1 || rc=$?
took=$((SECONDS - t0))
sed "s/^/[$T_ID] | /" "$OUT" | tail -n 60
t_check "deploy/drill.sh exits 0 within ${LIMIT}s (rc $rc, ${took}s)" test "$rc" = 0
A=$(sed -n 's/^drill: time to alert \([0-9.]*\) s.*/\1/p' "$OUT")
R=$(sed -n 's/^drill: time to recovery \([0-9.]*\) s.*/\1/p' "$OUT")
t_log "time to alert: ${A:-none} s; time to recovery: ${R:-none} s"
t_check "it printed a time to alert within 10 s: ${A:-none}" \
	"$PY" -c 'import sys; sys.exit(0 if 0 < float(sys.argv[1]) <= 10 else 1)' "${A:-0}"
t_check "it printed a time to recovery: ${R:-none}" \
	"$PY" -c 'import sys; sys.exit(0 if 0 < float(sys.argv[1]) <= 20 else 1)' "${R:-0}"
t_check "the operator saw the alert name the forced change and link the runbook" \
	grep -q 'runbook: docs/runbook.md#share_above_intent' "$OUT"
t_check "the alert named the forced change (its generation, the command)" \
	grep -q "^drill: the alert names the change: generation [0-9]*, 'reload .*edgelb.ini.new'" "$OUT"
t_check "the status page line" grep -q '^status page: ' "$OUT"
t_check "the drill cleaned up its namespaces" \
	test -z "$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$PREFIX-")"
t_finish

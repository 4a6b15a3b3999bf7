#!/usr/bin/env bash
# Reload that fails changes nothing; diff, rollback, config, SIGHUP.
# - reload of a file with three errors (unknown key, weight out of range,
#   bad address), and of one with the two value errors only: exit 1, each
#   error "FILE:LINE: ..." in "errors", generation and backends unchanged,
#   the refusal in history and audit;
# - reload changing `workers`: refused naming the key;
# - diff of a good file lists its weight changes and applies nothing;
# - reload of it moves tuples (lookup of 2000 tuples differs), rollback
#   gives back the very same answers for all 2000;
# - `config` (after a runtime change) passes edgelbd --check, whose Maglev
#   slots equal the running expected_share * M exactly, and diff of it
#   shows no change;
# - SIGHUP reloads the file: history says who kind "signal", the weights
#   are the file's.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

t_init rlerr
t_topology
t_config 1
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

# Source ports below the client's ephemeral range: never a live flow.
save() { t_pyr lookup-save --port 80 --from 5000 --n 2000 --out "$1"; }
save "$WORKDIR/l0.json"

BAD=$WORKDIR/bad.ini
sed -e "s/^address = $NET.11\$/address = $NET.300/" \
	-e 's/^weight = 3$/weight = 70000/' \
	-e '/^weight = 2$/a wieght = 2' "$CONF" >"$BAD"
lines=$(grep -n -e "^address = $NET.300\$" -e '^weight = 70000$' \
	-e '^wieght = 2$' "$BAD" | cut -d: -f1 | paste -sd,)
t_log "bad file: errors on lines $lines"
t_pyr reload-errors --file "$BAD" --lines "$lines"
# The same without the unknown key: only value errors.
BAD2=$WORKDIR/bad2.ini
grep -v '^wieght = 2$' "$BAD" >"$BAD2"
lines=$(grep -n -e "^address = $NET.300\$" -e '^weight = 70000$' "$BAD2" |
	cut -d: -f1 | paste -sd,)
t_log "bad2 file: errors on lines $lines"
t_pyr reload-errors --file "$BAD2" --lines "$lines"

sed -e 's/^workers = 1$/workers = 2/' "$CONF" >"$WORKDIR/workers.ini"
t_pyr refused-key --file "$WORKDIR/workers.ini" --key workers

GOOD=$WORKDIR/good.ini
sed -e '/^\[backend.web1\]/,/^$/s/^weight = .*/weight = 5/' \
	-e '/^\[backend.web2\]/,/^$/s/^weight = .*/weight = 1/' \
	-e '/^\[backend.web3\]/,/^$/s/^weight = .*/weight = 2/' "$CONF" >"$GOOD"
t_pyr diff-good --file "$GOOD" --weights web1:1:5,web2:2:1,web3:3:2
save "$WORKDIR/l1.json"
t_pyr lookup-same "$WORKDIR/l0.json" "$WORKDIR/l1.json"

g0=$(elbctl -j status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
elbctl reload "$GOOD" >/dev/null
t_check "reload of the good file exits 0" test $? -eq 0
save "$WORKDIR/l2.json"
t_pyr lookup-same "$WORKDIR/l0.json" "$WORKDIR/l2.json" --differ
r=$(elbctl -j rollback | "$PY" -c 'import json,sys; a=json.load(sys.stdin); print(a["restored"], a["generation"])')
t_check "rollback restored generation $g0 as $((g0 + 2)) (got $r)" \
	test "$r" = "$g0 $((g0 + 2))"
save "$WORKDIR/l3.json"
t_pyr lookup-same "$WORKDIR/l0.json" "$WORKDIR/l3.json"

elbctl weight web2 7 >/dev/null
t_check "weight web2 7 exits 0" test $? -eq 0
t_pyr config-roundtrip

# SIGHUP: the file again (web2's runtime weight 7 goes), by "signal".
sed -i -e '/^\[backend.web1\]/,/^$/s/^weight = .*/weight = 4/' "$CONF"
g=$(elbctl -j status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
kill -HUP "$ELBD_PID"
for _ in $(seq 50); do
	g2=$(elbctl -j status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
	[ "$g2" -gt "$g" ] && break
	sleep 0.1
done
t_check "SIGHUP: generation $g -> $g2 (one more)" test "$g2" -eq $((g + 1))
t_pyr hist-last --kind signal --command reload
w=$(elbctl -j backends | "$PY" -c 'import json,sys; print(" ".join("%s=%s" % (b["name"], b["weight"]) for b in json.load(sys.stdin)))')
t_check "after SIGHUP the weights are the file's ($w)" \
	test "$w" = "web1=4 web2=2 web3=3"

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

#!/usr/bin/env bash
# Every runtime command with good and bad arguments (check_runtime.py
# shapes): status/version/vips/backends/config/history/diff answers have
# their keys with the right JSON types; weight/drain/disable/enable/
# rollback answer {generation_before, generation, changes, backends} and
# move the generation by one; bad arguments (weight web1 70000, weight
# nosuch 1, rollback 999, history 0, diff /nonexistent, reload of a
# missing relative path, ...) exit 1 with a JSON error and change nothing;
# refusals are in history with the peer's uid; reload lists the runtime
# changes it discards; a relative reload path is made absolute.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

t_init cmdrt
t_topology
t_config 1
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

t_pyr shapes
rc=0
elbctl rollback 999 >/dev/null 2>&1 || rc=$?
t_check "edgelbctl (table output) rollback 999 exits 1 ($rc)" test "$rc" -eq 1
for cmd in status history backends vips version config; do
	out=$(elbctl $cmd 2>&1)
	rc=$?
	t_check "edgelbctl $cmd (table output) exits 0 and prints something" \
		test "$rc" -eq 0 -a -n "$out"
done
t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

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

# Signals an operator sends by habit: SIGUSR1/SIGUSR2 are logged and
# ignored (their default would kill the daemon without cleanup), SIGQUIT
# stops it cleanly like SIGTERM (its default would dump core).
kill -USR1 "$ELBD_PID"
kill -USR2 "$ELBD_PID"
sleep 0.5
answers() { elbd_alive && elbctl status >/dev/null; }
t_check "SIGUSR1 and SIGUSR2 leave edgelbd running and answering" answers
t_check "the log says they were ignored" \
	test "$(grep -c 'ignored (SIGHUP reloads' "$DLOG")" -eq 2
kill -QUIT "$ELBD_PID"
for _ in $(seq 100); do elbd_alive || break; sleep 0.1; done
rc=0
elbd_stop 1 || rc=$?
t_check "SIGQUIT stops edgelbd cleanly (exit $rc)" test "$rc" -eq 0
t_finish

#!/usr/bin/env bash
# Who may do what on the management socket. socket_group = elbt-sock,
# admin_group = elbt-adm; edgelbctl runs as the throwaway user elbt-user
# (setpriv, supplementary groups given explicitly):
# - in elbt-sock only: status and backends work, every state-changing
#   command (weight, drain, disable, enable, reload, rollback) is refused
#   with a JSON error and changes nothing;
# - in elbt-sock and elbt-adm: weight is applied;
# - in neither: cannot connect at all (permission denied);
# - the audit log (WORKDIR/audit.log) and history record every refused and
#   allowed change once, with elbt-user's uid;
# - a half-sent request and an oversized one (> 256 KiB) do not delay
#   another client's status (< 1 s);
# - one uid holds 8 client slots at most, and its idle connections give
#   theirs up to its next client.
# Groups (and the user) it created are removed at the end.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

USER_NAME=elbt-user
SOCK_GROUP=elbt-sock
ADM_GROUP=elbt-adm
t_init access
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

perm=$(stat -c '%a %U:%G' "$ELBD_SOCK")
t_check "socket is root:$SOCK_GROUP mode 660 ($perm)" \
	test "$perm" = "660 root:$SOCK_GROUP"

# as GROUPS ARGS...: edgelbctl as elbt-user with these supplementary groups
# (comma list; "-" for none).
as() {
	local groups=$1
	shift
	if [ "$groups" = - ]; then
		setpriv --reuid="$U" --regid="$UG" --clear-groups -- \
			"$EDGELBCTL" -s "$ELBD_SOCK" -j "$@"
	else
		setpriv --reuid="$U" --regid="$UG" --groups="$groups" -- \
			"$EDGELBCTL" -s "$ELBD_SOCK" -j "$@"
	fi
}

g0=$(t_generation)
for cmd in status backends history; do
	out=$(as "$GS" $cmd 2>&1)
	rc=$?
	t_check "reader (uid $U, in $SOCK_GROUP) may run $cmd (exit $rc)" \
		test "$rc" -eq 0 -a -n "$out"
done
REFUSED=("weight web1 5" "drain web1" "disable web1" "enable web1" \
	"reload" "rollback")
for cmd in "${REFUSED[@]}"; do
	# shellcheck disable=SC2086
	out=$(as "$GS" $cmd 2>/dev/null)
	rc=$?
	t_check "reader may not run '$cmd': exit 1, JSON error (exit $rc: $(printf '%s' "$out" | tr -d '\n' | cut -c1-120))" \
		"$PY" -c 'import json,sys; sys.exit(not (sys.argv[2] == "1" and "error" in json.loads(sys.argv[1])))' "$out" "$rc"
done
t_check "nothing changed (generation $g0 -> $(t_generation))" test "$(t_generation)" -eq "$g0"

out=$(as "$GS,$GA" weight web1 6 2>&1)
rc=$?
t_check "admin (in $ADM_GROUP) may run 'weight web1 6' (exit $rc)" \
	test "$rc" -eq 0
t_check "generation $g0 -> $(t_generation): one change" test "$(t_generation)" -eq $((g0 + 1))
w=$(elbctl -j backends | "$PY" -c 'import json,sys; print([b["weight"] for b in json.load(sys.stdin) if b["name"] == "web1"][0])')
t_check "web1 weight is 6 ($w)" test "$w" = 6

out=$(as - status 2>&1)
rc=$?
t_log "outsider: exit $rc: $out"
t_check "a peer outside $SOCK_GROUP cannot connect (exit $rc, permission denied)" \
	test "$rc" -ne 0 -a -n "$(printf '%s' "$out" | grep -i 'permission denied')"
out=$(as "$GA" status 2>&1)
rc=$?
t_check "nor can one in $ADM_GROUP only (exit $rc)" \
	test "$rc" -ne 0 -a -n "$(printf '%s' "$out" | grep -i 'permission denied')"

refused=$(printf '%s|' "${REFUSED[@]}")
t_pyr audit --uid "$U" --refused "${refused%|}" --allowed "weight web1 6"
t_check "status says the audit log is ok" "$PY" -c '
import json, subprocess, sys
st = json.loads(subprocess.run(sys.argv[1:], capture_output=True, text=True).stdout)
sys.exit(not (st["audit_log"]["ok"] is True and st["audit_log"]["path"].endswith("/audit.log")))
' "$EDGELBCTL" -s "$ELBD_SOCK" -j status

t_pyr slow-clients --big-kib 300

# One uid holds 8 of the 32 client slots at most: 31 idle connections of
# elbt-user get 8 slots, the other 23 are refused at once; a reader of the
# same uid is still served (its stalest idle connection gives up its slot
# after 100 ms), and so is root.
setpriv --reuid="$U" --regid="$UG" --groups="$GS" -- "$PY" -c '
import socket, sys, time
socks = []
for _ in range(31):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    socks.append(s)
time.sleep(0.5)
refused = 0
for s in socks:
    s.setblocking(False)
    try:
        refused += b"too many clients" in s.recv(256)
    except BlockingIOError:
        pass
print("held, refused %d" % refused, flush=True)
time.sleep(3)
' "$ELBD_SOCK" >"$WORKDIR/hold.out" &
HOLDER=$!
for _ in $(seq 30); do grep -q held "$WORKDIR/hold.out" 2>/dev/null && break; sleep 0.1; done
t_check "of 31 idle connections of one uid, 23 are refused ($(cat "$WORKDIR/hold.out"))" \
	grep -q "refused 23$" "$WORKDIR/hold.out"
out=$(as "$GS" status 2>&1)
rc=$?
t_check "with its 8 slots held, a reader of that uid is still served (exit $rc: ${out:0:60})" \
	test "$rc" -eq 0
t_check "and root is served" elbctl status
wait "$HOLDER"
t_check "once they are gone, the reader is served again" \
	as "$GS" status

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish

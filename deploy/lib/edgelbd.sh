# shellcheck shell=bash
# Start, query and stop edgelbd inside a topology made by netns.sh.
# Sourced, not executed.
#
#   elbd_start NS CONF LOG       sets ELBD_PID; daemon in namespace NS
#   elbd_wait_ready SOCK TIMEOUT_S [BACKEND_IP...]
#                                socket answers `status` and, when the daemon
#                                reports neighbours, every backend's MAC is known
#   elbd_stop [TIMEOUT_S]        SIGTERM, wait; returns the daemon's exit code
#                                (124 if it had to be killed)
#   elbctl ARGS...               edgelbctl -s $ELBD_SOCK ARGS...
#
# Needs EDGELBD, EDGELBCTL and ELBD_SOCK set by the caller.

ELBD_PID=

elbd_start() {
	local ns=$1 conf=$2 log=$3
	mkdir -p "$(dirname "$ELBD_SOCK")"
	rm -f "$ELBD_SOCK"
	# ip netns exec execs the command: $! is the daemon itself.
	ip netns exec "$ns" "$EDGELBD" -f "$conf" >"$log" 2>&1 &
	ELBD_PID=$!
}

elbd_alive() {
	[ -n "$ELBD_PID" ] && kill -0 "$ELBD_PID" 2>/dev/null
}

elbctl() {
	"$EDGELBCTL" -s "$ELBD_SOCK" "$@"
}

# Wait until the socket answers and (if `status` lists neighbours) every
# given backend address has a resolved MAC.
elbd_wait_ready() {
	local sock=$1 timeout=$2
	shift 2
	local deadline=$((SECONDS + timeout)) out
	while [ $SECONDS -lt $deadline ]; do
		elbd_alive || { echo "edgelbd exited during startup" >&2; return 1; }
		if [ -S "$sock" ] &&
		   out=$(timeout 5 "$EDGELBCTL" -s "$sock" -j status 2>/dev/null) &&
		   printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
st = json.load(sys.stdin)
if not isinstance(st, dict) or "error" in st:
    sys.exit(1)
want = set(sys.argv[1:])
found = {}
def walk(v):
    # Any object naming one of our backends by address with a mac/state
    # says whether it is resolved.
    if isinstance(v, dict):
        a = v.get("address") or v.get("ip")
        if a in want and ("mac" in v or "state" in v):
            mac = v.get("mac") or ""
            state = str(v.get("state", "")).lower()
            found[a] = bool(mac) and mac != "00:00:00:00:00:00" and \
                state not in ("incomplete", "unresolved", "failed", "none")
        for x in v.values():
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(st)
sys.exit(0 if all(found.get(a, True) for a in want) else 1)
' "$@"; then
			return 0
		fi
		sleep 0.2
	done
	echo "edgelbd not ready after ${timeout}s" >&2
	return 1
}

elbd_stop() {
	local timeout=${1:-10} rc i
	[ -n "$ELBD_PID" ] || return 0
	if ! kill -0 "$ELBD_PID" 2>/dev/null; then
		rc=0
		wait "$ELBD_PID" 2>/dev/null || rc=$?
		ELBD_PID=
		return $rc
	fi
	kill -TERM "$ELBD_PID" 2>/dev/null || true
	for ((i = 0; i < timeout * 10; i++)); do
		kill -0 "$ELBD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$ELBD_PID" 2>/dev/null; then
		kill -KILL "$ELBD_PID" 2>/dev/null || true
		wait "$ELBD_PID" 2>/dev/null || true
		ELBD_PID=
		return 124
	fi
	rc=0
	wait "$ELBD_PID" 2>/dev/null || rc=$?
	ELBD_PID=
	return $rc
}

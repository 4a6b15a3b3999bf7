#!/usr/bin/env bash
# edgelbd as a systemd service, without systemd as PID 1:
#  (a) deploy/edgelbd.service passes `systemd-analyze verify` with no warning
#      (on a copy whose binary paths point into the build directory: verify
#      insists that ExecStart= binaries exist), and its paths are the ones
#      `meson install` uses;
#  (b) the real daemon, with NOTIFY_SOCKET on a datagram socket this test
#      listens on and WATCHDOG_USEC=2000000 (WATCHDOG_PID unset), sends
#      READY=1, a STATUS= with the generation `status` reports, WATCHDOG=1
#      every ~1 s (>= 2 within 3 s of READY, never faster than half the
#      interval) and STOPPING=1 on SIGTERM;
#  (c) with JOURNAL_STREAM naming its stderr's dev:ino every log line starts
#      with a <N> syslog priority, each message appears once, and nothing
#      goes to syslog (a stand-in /dev/log gets no datagram from it); with
#      JOURNAL_STREAM naming another file, plain lines.
. "$(dirname "$0")/lib.sh"

t_init sv
UNIT=$ROOT/deploy/edgelbd.service
[ -f "$UNIT" ] || t_abort "deploy/edgelbd.service exists"
command -v systemd-analyze >/dev/null ||
	t_abort "systemd-analyze installed (deploy/install-deps.sh)"

# ---- (a) the unit file ----
VUNIT=$WORKDIR/unit/edgelbd.service
mkdir -p "$WORKDIR/unit"
sed -e "s#/usr/local/bin/edgelbd #$EDGELBD #" \
    -e "s#/usr/local/bin/edgelbctl #$EDGELBCTL #" "$UNIT" >"$VUNIT"
vout=$(systemd-analyze verify "$VUNIT" 2>&1)
vrc=$?
[ -n "$vout" ] && printf '  %s\n' "$vout"
t_check "systemd-analyze verify: exit 0, no warning" \
	test "$vrc" -eq 0 -a -z "$vout"

unit_paths_ok() {
	meson introspect "$BUILD" --installed | "$PY" -c '
import json, re, sys
installed = set(json.load(sys.stdin).values())
unit = open(sys.argv[1]).read()
want = {"Type": "notify", "NotifyAccess": "main", "RuntimeDirectory": "edgelb",
        "RuntimeDirectoryMode": "0755", "Restart": "on-failure",
        "LimitMEMLOCK": "infinity"}
bad = 0
for key in ("ExecStartPre", "ExecStart", "ExecReload"):
    m = re.search(r"^%s=(\S+)" % key, unit, re.M)
    if not m or m.group(1) not in installed:
        print("  %s: %s is not a path meson installs (%s)" %
              (key, m and m.group(1), sorted(installed))); bad += 1
for key, val in want.items():
    if not re.search(r"^%s=%s$" % (key, val), unit, re.M):
        print("  %s=%s missing" % (key, val)); bad += 1
if not re.search(r"^WatchdogSec=\d", unit, re.M):
    print("  WatchdogSec= missing"); bad += 1
if re.search(r"^PrivateDevices=(yes|true|1)", unit, re.M):
    print("  PrivateDevices= would hide /dev/hugepages and vfio"); bad += 1
sys.exit(bad != 0)
' "$UNIT"
}
t_check "unit: Exec paths are meson's install paths; notify, watchdog, runtime dir set" \
	unit_paths_ok

# ---- (b) and (c): the daemon under a stand-in service manager ----
t_topology
t_config 1

NOTIFY_SOCK=$WORKDIR/notify.sock
NOTIFY_OUT=$WORKDIR/notify.jsonl
SYSLOG_OUT=$WORKDIR/syslog.jsonl
LISTENERS=()
MADE_DEVLOG=0

sv_cleanup() {
	local p
	for p in "${LISTENERS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	LISTENERS=()
	# Only a /dev/log this test created; a real one was never touched.
	[ "$MADE_DEVLOG" = 1 ] && rm -f /dev/log
	MADE_DEVLOG=0
}
trap 'rc=$?; sv_cleanup; (exit $rc); t_cleanup' EXIT

# listen PATH OUT: dgram_listen.py in the background, until it listens.
listen() {
	local ready=$2.ready
	rm -f "$ready"
	"$PY" "$T_DIR/dgram_listen.py" "$1" "$2" 120 "$ready" \
		>>"$WORKDIR/listen.err" 2>&1 &
	LISTENERS+=($!)
	for _ in $(seq 50); do [ -s "$ready" ] && return 0; sleep 0.1; done
	cat "$WORKDIR/listen.err"
	return 1
}

# Syslog stand-in. With a real /dev/log the daemon gets a private mount
# namespace with ours bound over it; without one (no syslog daemon, as on
# the test machine) ours is created at /dev/log for the run.
if [ -e /dev/log ] || [ -L /dev/log ]; then
	SYSLOG_SOCK=$WORKDIR/syslog.sock
	listen "$SYSLOG_SOCK" "$SYSLOG_OUT" || t_abort "syslog stand-in listens"
	SYSLOG_HOW="bound over /dev/log in the daemon's mount namespace"
else
	SYSLOG_SOCK=
	MADE_DEVLOG=1
	listen /dev/log "$SYSLOG_OUT" || t_abort "syslog stand-in listens"
	SYSLOG_HOW="created at /dev/log for this run"
fi
t_log "syslog stand-in $SYSLOG_HOW"
listen "$NOTIFY_SOCK" "$NOTIFY_OUT" || t_abort "notify socket listens"

# sv_start VAR=VALUE...: elbd_start with this environment (WATCHDOG_PID
# unset: sd_watchdog_enabled() then trusts WATCHDOG_USEC alone). Every
# wrapper execs, so $! is the daemon's pid.
sv_start() {
	mkdir -p "$(dirname "$ELBD_SOCK")"
	rm -f "$ELBD_SOCK"
	if [ -n "$SYSLOG_SOCK" ]; then
		unshare -m --propagation private sh -c \
			'mount --bind "$0" /dev/log && exec "$@"' "$SYSLOG_SOCK" \
			ip netns exec "$PREFIX-lb" env -u WATCHDOG_PID \
			-u NOTIFY_SOCKET -u WATCHDOG_USEC -u JOURNAL_STREAM "$@" \
			"$EDGELBD" -f "$CONF" >"$DLOG" 2>&1 &
	else
		ip netns exec "$PREFIX-lb" env -u WATCHDOG_PID \
			-u NOTIFY_SOCKET -u WATCHDOG_USEC -u JOURNAL_STREAM "$@" \
			"$EDGELBD" -f "$CONF" >"$DLOG" 2>&1 &
	fi
	ELBD_PID=$!
	if ! elbd_wait_ready "$ELBD_SOCK" 20 "${BACKEND_ADDRS[@]}"; then
		t_abort "edgelbd started and answers on $ELBD_SOCK"
	fi
	t_pass "edgelbd started ($*) and answers on $ELBD_SOCK"
}

# stderr is DLOG: the same inode after the >"$DLOG" truncation.
: >"$DLOG"
JS=$(stat -c '%d:%i' "$DLOG")
sv_start NOTIFY_SOCKET="$NOTIFY_SOCK" WATCHDOG_USEC=2000000 \
	JOURNAL_STREAM="$JS"
PID1=$ELBD_PID
GEN=$(elbctl -j status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
t_log "daemon pid $PID1, generation $GEN; watching for 3.5 s"
sleep 3.5
t_stop_daemon
sleep 0.3
cp "$DLOG" "$WORKDIR/journal-run.log"

check_notify() {
	"$PY" - "$NOTIFY_OUT" "$GEN" <<'EOF'
import json, re, sys
msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
gen = sys.argv[2]
lines = [(m["t"], a) for m in msgs for a in m["msg"].split("\n") if a]
for t, a in lines:
    print("  %.3f %s" % (t, a))
res = []
def check(ok, what):
    print(("PASS: sv: " if ok else "FAIL: sv: ") + what)
ready = [t for t, a in lines if a == "READY=1"]
check(len(ready) == 1, "READY=1 sent once (%d)" % len(ready))
t0 = ready[0] if ready else 0
st = [a for t, a in lines if a.startswith("STATUS=")]
check(any(re.search(r"\bgeneration %s\b" % gen, a) for a in st),
      "a STATUS= names generation %s (%s)" % (gen, "; ".join(st) or "none"))
wd = [t for t, a in lines if a == "WATCHDOG=1"]
in3 = [t for t in wd if t0 <= t <= t0 + 3.0]
check(len(in3) >= 2, "WATCHDOG=1 at least twice within 3 s of READY (%d)" % len(in3))
gaps = [b - a for a, b in zip(wd, wd[1:])]
check(len(gaps) > 0 and min(gaps) >= 0.8,
      "WATCHDOG=1 no faster than half the 2 s interval (smallest gap %s s)" %
      ("%.2f" % min(gaps) if gaps else "-"))
stop = [t for t, a in lines if a == "STOPPING=1"]
check(len(stop) == 1 and stop[0] > t0, "STOPPING=1 once, after READY=1, on SIGTERM")
EOF
}
t_pyscript_inline() {
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	printf '%s\n' "$out"
	T_PASSES=$((T_PASSES + $(printf '%s\n' "$out" | grep -c '^PASS: ')))
	T_FAILS=$((T_FAILS + $(printf '%s\n' "$out" | grep -c '^FAIL: ')))
	[ "$rc" -eq 0 ] || printf '%s\n' "$out" | grep -q '^FAIL: ' ||
		t_fail "$1 exited with status $rc"
}
t_pyscript_inline check_notify

# (c) journal format. Every line "<N>...", N a syslog priority; lines the
# daemon writes exactly once appear once; nothing reached syslog.
check_journal() {
	"$PY" - "$WORKDIR/journal-run.log" "$SYSLOG_OUT" "$PID1" <<'EOF'
import collections, json, re, sys
log = [l for l in open(sys.argv[1], errors="replace").read().split("\n") if l]
def check(ok, what):
    print(("PASS: sv: " if ok else "FAIL: sv: ") + what)
bad = [l for l in log if not re.match(r"^<[0-7]>", l)]
for l in bad[:5]:
    print("  no priority: %r" % l)
check(log and not bad, "all %d log lines carry a <N> syslog priority" % len(log))
def prio(pat):
    return [l[:3] for l in log if re.search(pat, l)]
check(prio(r"edgelbd: ready, management socket") == ["<5>"],
      "'ready' logged once at <5> notice (%s)" % prio(r"edgelbd: ready"))
check(prio(r"edgelbd: signal 15, stopping") == ["<5>"],
      "'signal 15, stopping' logged once at <5> notice")
dpdk = [l for l in log if re.match(r"^<\d>(?!edgelbd:)[A-Za-z_.]+: ", l)]
check(any(l.startswith("<") and "mgmt: " in l for l in dpdk) and
      any(re.match(r"^<\d>[A-Z]+: ", l) for l in dpdk),
      "DPDK's own (TELEMETRY, EAL...) and lib/ (mgmt) lines carry a priority too")
dups = [(l, n) for l, n in collections.Counter(log).items() if n > 1]
for l, n in dups[:5]:
    print("  %dx %r" % (n, l))
check(not dups, "no log line appears twice")
ours = [json.loads(l)["msg"] for l in open(sys.argv[2]) if l.strip()]
ours = [m for m in ours if "[%s]" % sys.argv[3] in m]
for m in ours[:5]:
    print("  syslog got: %r" % m)
check(not ours, "nothing from edgelbd reached syslog (%d datagrams)" % len(ours))
EOF
}
t_pyscript_inline check_journal

# Not the journal: JOURNAL_STREAM names some other file (stderr was
# redirected after systemd set it), so plain lines.
sv_start JOURNAL_STREAM="$(stat -c '%d:%i' "$CONF")"
t_stop_daemon
plain_ok() {
	! grep -q '^<[0-7]>' "$DLOG" &&
	[ "$(grep -c '^edgelbd: ready, management socket' "$DLOG")" -eq 1 ] &&
	grep -Eq '^[A-Z]+: ' "$DLOG"
}
t_check "JOURNAL_STREAM of another file: plain lines, 'ready' once, DPDK's too" \
	plain_ok

t_finish

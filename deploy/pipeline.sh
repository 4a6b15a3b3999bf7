#!/usr/bin/env bash
# A deploy pipeline for one edgelb box:
#
#   deploy/pipeline.sh FILE [--socket PATH] [--confirm-within SECONDS]
#
#   1. check    edgelbctl check FILE (the running daemon builds FILE's tables
#               with its health state and judges them by the policy); a
#               daemon that does not know `check`: edgelbd --check FILE
#   2. apply    edgelbctl apply FILE --confirm-within SECONDS (default 120):
#               applied now, rolled back by edgelbd itself at the deadline
#               unless confirmed
#   3. selftest edgelbctl selftest: the workers' real dispatch code against
#               the expected shares. A daemon that does not know `selftest`
#               fails this step: nothing unverified is confirmed
#   4. confirm  edgelbctl confirm
#
# It stops at the first step that fails, says which and why, and exits 1;
# a generation applied but not confirmed then rolls back by itself at its
# deadline (`edgelbctl status` shows it, `edgelbctl history` records it).
# Exit 0: FILE runs, confirmed. Exit 2: usage.
#
# Environment: EDGELBCTL and EDGELBD (the programs; default from PATH),
# EDGELB_SOCKET (the socket, as for edgelbctl), PIPELINE_SELFTEST (a command
# run instead of `edgelbctl selftest`, for testing the pipeline itself).
set -uo pipefail

CTL=${EDGELBCTL:-edgelbctl}
ELBD=${EDGELBD:-edgelbd}
SOCKET=${EDGELB_SOCKET:-/run/edgelb/edgelb.sock}
WITHIN=120
FILE=

usage() {
	echo "usage: $0 FILE [--socket PATH] [--confirm-within SECONDS]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--socket) [ $# -ge 2 ] || usage; SOCKET=$2; shift 2 ;;
	--confirm-within) [ $# -ge 2 ] || usage; WITHIN=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "$0: unknown option $1" >&2; usage ;;
	*) [ -z "$FILE" ] || usage; FILE=$1; shift ;;
	esac
done
[ -n "$FILE" ] || usage
case $WITHIN in ''|*[!0-9]*) echo "$0: --confirm-within: seconds, 1..86400" >&2; exit 2 ;; esac
[ -r "$FILE" ] || { echo "$0: $FILE: cannot read it" >&2; exit 2; }
FILE=$(realpath "$FILE")

say() { echo "pipeline: $*"; }
# fail STEP REASON: stop here.
fail() {
	local step=$1
	shift
	say "FAILED at $step: $*"
	if [ -n "${APPLIED:-}" ]; then
		say "generation $APPLIED is not confirmed: edgelbd rolls it back" \
			"by itself within $WITHIN s of the apply (see" \
			"'edgelbctl status' and 'edgelbctl history')"
	fi
	exit 1
}
ctl() { "$CTL" -s "$SOCKET" "$@"; }
# unknown OUTPUT WORD: 0 if the daemon said it does not know command WORD.
unknown() { printf '%s' "$1" | grep -q "unknown command \"$2\""; }

# 1. check
say "[1/4] check $FILE"
if out=$(ctl check "$FILE" 2>&1); then
	printf '%s\n' "$out"
elif unknown "$out" check; then
	say "the daemon does not know 'check': $ELBD --check $FILE instead"
	"$ELBD" --check "$FILE" || fail check "$ELBD --check $FILE failed"
else
	printf '%s\n' "$out"
	fail check "edgelbctl check $FILE failed (above)"
fi

# 2. apply, with a deadline
say "[2/4] apply $FILE --confirm-within $WITHIN"
out=$(ctl -j apply "$FILE" --confirm-within "$WITHIN" 2>&1) || {
	printf '%s\n' "$out"
	fail apply "the daemon refused it (above); nothing changed"
}
APPLIED=$(printf '%s' "$out" | tr -d '\n' |
	sed -n 's/.*"confirm": *{[^}]*"generation": *\([0-9]*\).*/\1/p')
say "generation ${APPLIED:-?} applied; rolls back unless confirmed within $WITHIN s"

# 3. selftest: fail closed
say "[3/4] selftest"
if [ -n "${PIPELINE_SELFTEST:-}" ]; then
	out=$(sh -c "$PIPELINE_SELFTEST" 2>&1)
	rc=$?
else
	out=$(ctl selftest 2>&1)
	rc=$?
fi
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then
	if unknown "$out" selftest; then
		fail selftest "the daemon does not know 'selftest': the new" \
			"tables cannot be verified, so they are not confirmed"
	fi
	fail selftest "the self-test failed (above)"
fi

# 4. confirm
say "[4/4] confirm"
out=$(ctl confirm 2>&1) || {
	printf '%s\n' "$out"
	APPLIED=
	fail confirm "not confirmed (above): the deadline may have passed" \
		"already; see 'edgelbctl history'"
}
printf '%s\n' "$out"
say "OK: $FILE runs, generation ${APPLIED:-?} confirmed"

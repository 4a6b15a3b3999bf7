#!/usr/bin/env bash
# The one command CI runs (as root, Debian 12): install what is missing,
# build, run the unit tests under ASan+UBSan, the fuzz targets for a
# bounded time, the callgrind speed gate, then the integration tests
# against the optimised build and against the sanitized build. Exits non-zero if anything failed.
#
# Environment: BUILD_DIR (default build), ASAN_BUILD_DIR (default build-asan).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/run.sh: must run as root (installs packages, creates" \
	     "network namespaces, runs DPDK). Try: sudo tests/run.sh" >&2
	exit 2
fi

step() { echo; echo "######## $*"; }
die() { echo "tests/run.sh: $*" >&2; exit 1; }

step "dependencies"
deploy/install-deps.sh || die "installing dependencies failed"

# setup_build DIR -Dopt=val...: configure once; later runs reuse the tree
# with the same options (an older tree gets them too: the bench gate's
# reference is counted with exactly these).
setup_build() {
	local dir=$1 cmd=setup
	shift
	[ -f "$dir/build.ninja" ] && cmd=configure
	meson "$cmd" "$dir" "$@" >"$ROOT/$dir.setup.log" 2>&1 ||
		{ cat "$ROOT/$dir.setup.log"; return 1; }
	rm -f "$ROOT/$dir.setup.log"
	ninja -C "$dir"
}

step "build $BUILD_DIR (debugoptimized, LTO)"
setup_build "$BUILD_DIR" -Dbuildtype=debugoptimized -Db_lto=true ||
	die "build of $BUILD_DIR failed"
# A test build, never deployed: it also compiles in the test-only fault
# injection (-Dtest_faults=true: the "fault" command) that
# test_selftest.sh uses to check that a skewed worker fails the self-test.
step "build $ASAN_BUILD_DIR (ASan+UBSan, test faults)"
setup_build "$ASAN_BUILD_DIR" -Db_sanitize=address,undefined -Db_lundef=false \
	-Db_lto=false -Dtest_faults=true ||
	die "build of $ASAN_BUILD_DIR failed"

step "unit tests (ASan+UBSan)"
unit_log=$(mktemp)
meson test -C "$ASAN_BUILD_DIR" --suite unit --print-errorlogs 2>&1 | tee "$unit_log"
unit_rc=${PIPESTATUS[0]}
unit_summary=$(grep -E '^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout):' "$unit_log" |
	tr -s ' ' | paste -sd ' ' -)
rm -f "$unit_log"

# The fuzz targets (tests/fuzz): clang libFuzzer under ASan+UBSan in
# build-fuzz, each for a bounded time; any crash, broken invariant or
# leak fails. Long runs: tests/fuzz/run.sh --long [SECONDS].
step "fuzz (libFuzzer, ASan+UBSan, ${FUZZ_SECONDS:-25} s per target)"
fuzz_log=$(mktemp)
tests/fuzz/run.sh 2>&1 | tee "$fuzz_log"
fuzz_rc=${PIPESTATUS[0]}
fuzz_summary=$(sed -nE 's/^fuzz targets: ([0-9]+ passed, [0-9]+ failed)$/\1/p' "$fuzz_log" | tail -1)
rm -f "$fuzz_log"

# The speed gate: instructions per packet per class under callgrind must
# not grow more than 3 % over the committed reference (tests/bench/
# reference/instructions.json; refresh it with tests/bench/callgrind.py
# --update when a change is meant to cost more, and say why).
step "bench gate (callgrind instructions/packet, $BUILD_DIR)"
/usr/bin/python3 tests/bench/callgrind.py "$BUILD_DIR/tests/bench/micro/bench_dp" \
	--check tests/bench/reference/instructions.json
gate_rc=$?
if [ "$gate_rc" -eq 0 ]; then gate_summary="1 passed, 0 failed"; else gate_summary="0 passed, 1 failed"; fi

# integration DIR: the namespace tests against the daemon built in DIR.
# Sets int_rc and int_summary.
integration() {
	local log
	log=$(mktemp)
	EDGELB_BUILD=$ROOT/$1 tests/integration/run.sh 2>&1 | tee "$log"
	int_rc=${PIPESTATUS[0]}
	int_summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
	rm -f "$log"
}

step "integration tests ($BUILD_DIR)"
integration "$BUILD_DIR"
rel_rc=$int_rc rel_summary=$int_summary

# The same tests against the sanitized daemon: any memory error, leak or
# undefined behaviour makes it exit non-zero, which the tests check.
step "integration tests ($ASAN_BUILD_DIR: daemon under ASan+UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	integration "$ASAN_BUILD_DIR"
asan_rc=$int_rc asan_summary=$int_summary

verdict() { [ "$1" -eq 0 ] && echo OK || echo FAILED; }
count() { # count WORD SUMMARY: the number next to WORD ("3 passed", "Ok: 3")
	local n
	n=$(echo "$2" | grep -oE "([0-9]+ $1|$1: *[0-9]+)" | grep -oE '[0-9]+' | head -1)
	echo "${n:-0}"
}

step "summary"
echo "unit (ASan+UBSan):        ${unit_summary:-no summary} -> $(verdict "$unit_rc")"
echo "fuzz (libFuzzer):          ${fuzz_summary:-no summary} -> $(verdict "$fuzz_rc")"
echo "bench gate (callgrind):    $gate_summary -> $(verdict "$gate_rc")"
echo "integration ($BUILD_DIR):  ${rel_summary:-no summary} -> $(verdict "$rel_rc")"
echo "integration (ASan daemon): ${asan_summary:-no summary} -> $(verdict "$asan_rc")"
passed=$(( $(count Ok "$unit_summary") + $(count passed "$fuzz_summary") + $(count passed "$gate_summary") + $(count passed "$rel_summary") + $(count passed "$asan_summary") ))
failed=$(( $(count Fail "$unit_summary") + $(count failed "$fuzz_summary") + $(count failed "$gate_summary") + $(count failed "$rel_summary") + $(count failed "$asan_summary") ))
[ "$unit_rc" -eq 0 ] && [ "$fuzz_rc" -eq 0 ] && [ "$gate_rc" -eq 0 ] && [ "$rel_rc" -eq 0 ] && [ "$asan_rc" -eq 0 ]
rc=$?
# A stage that printed no summary still fails the run.
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "total: $passed passed, $failed failed"
exit "$rc"

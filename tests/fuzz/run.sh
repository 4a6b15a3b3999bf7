#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan+UBSan, in build-fuzz) and run
# each for a bounded time. Exits non-zero if a target crashed, broke one
# of its invariants, leaked, hung or could not be built.
#
#   tests/fuzz/run.sh                  every target for FUZZ_SECONDS (25) each
#   tests/fuzz/run.sh --long [S] [T..] targets T (default all) for S seconds
#                                      each (default 3600), at nice 19, one
#                                      job: for the background of a busy box
#
# Targets: packet, ini, mgmt, neigh (tests/fuzz/fuzz_<target>.c say what
# each covers; tests/fuzz/<target>.dict, if any, gives the fuzzer the
# words of its grammar). Seeds come from tests/fuzz/corpus/<target> (in
# git); what the fuzzer adds goes to build-fuzz/fuzz-corpus/<target> (not
# in git), crashes to build-fuzz/fuzz-artifacts/<target>/. Reproduce one with
# build-fuzz/tests/fuzz/fuzz_<target> FILE; keep it as a regression seed
# as tests/fuzz/corpus/<target>/regress-<what>.
#
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_SECONDS, FUZZ_RUNS
# (stop a target after this many executions, if sooner than its time:
# e.g. FUZZ_RUNS=100000000 tests/fuzz/run.sh --long 14400 packet).
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
# Absolute: a target may change its directory (mgmt does).
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SECONDS_EACH=${FUZZ_SECONDS:-25}
RUNS=${FUZZ_RUNS:--1}
NICE=()
TARGETS=(packet ini mgmt neigh)

if [ "${1:-}" = "--long" ]; then
	shift
	SECONDS_EACH=3600
	if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
		SECONDS_EACH=$1
		shift
	fi
	[ $# -gt 0 ] && TARGETS=("$@")
	NICE=(nice -n 19)
fi

die() { echo "tests/fuzz/run.sh: $*" >&2; exit 1; }

# Inputs larger than this are not tried: files are larger than frames.
max_len() {
	case $1 in
	ini) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

build() {
	command -v clang >/dev/null ||
		die "clang missing: run deploy/install-deps.sh"
	if [ ! -f "$BUILD/build.ninja" ]; then
		CC=clang meson setup "$BUILD" -Dfuzz=true -Dtests=false \
			-Dbuildtype=debugoptimized -Db_lto=false \
			-Db_sanitize=address,undefined -Db_lundef=false \
			>"$BUILD.setup.log" 2>&1 ||
			{ cat "$BUILD.setup.log"; return 1; }
		rm -f "$BUILD.setup.log"
	fi
	ninja -C "$BUILD" >/dev/null || ninja -C "$BUILD"
}

# run_target NAME: fuzz it; prints one line, returns non-zero on a finding.
run_target() {
	local t=$1 bin="$BUILD/tests/fuzz/fuzz_$1" log runs secs rate
	local corpus="$BUILD/fuzz-corpus/$t" art="$BUILD/fuzz-artifacts/$t/"

	[ -x "$bin" ] || { echo "fuzz $t: no binary $bin"; return 1; }
	mkdir -p "$corpus" "$art"
	log="$BUILD/fuzz-$t.log"
	local dict=()
	[ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ASAN_OPTIONS=detect_leaks=1:malloc_context_size=10 \
		"${NICE[@]}" "$bin" -max_total_time="$SECONDS_EACH" -runs="$RUNS" \
		-max_len="$(max_len "$t")" -timeout=30 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$art" "${dict[@]}" \
		"$corpus" "$ROOT/tests/fuzz/corpus/$t" >"$log" 2>&1
	local rc=$?
	runs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/p' "$log")
	secs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/p' "$log")
	if [ "$rc" -ne 0 ] || [ -z "$runs" ]; then
		echo "fuzz $t: FAILED (exit $rc); log $log, input in $art"
		grep -v '^EAL' "$log" | tail -40
		return 1
	fi
	rate=$(( runs / (secs > 0 ? secs : 1) ))
	echo "fuzz $t: $runs executions in $secs s ($rate/s), no finding"
}

build || die "build of $BUILD failed"
passed=0 failed=0
for t in "${TARGETS[@]}"; do
	if run_target "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "fuzz targets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

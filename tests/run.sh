#!/usr/bin/env bash
# The one command CI runs (as root, Debian 12): install what is missing,
# build, run the unit tests under ASan+UBSan, then the integration tests
# against the optimised build. Exits non-zero if anything failed.
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

# setup_build DIR ARGS...: configure once; later runs reuse the tree.
setup_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$ROOT/$dir.setup.log" 2>&1 ||
			{ cat "$ROOT/$dir.setup.log"; return 1; }
		rm -f "$ROOT/$dir.setup.log"
	fi
	ninja -C "$dir"
}

step "build $BUILD_DIR (debugoptimized)"
setup_build "$BUILD_DIR" --buildtype=debugoptimized || die "build of $BUILD_DIR failed"
step "build $ASAN_BUILD_DIR (ASan+UBSan)"
setup_build "$ASAN_BUILD_DIR" -Db_sanitize=address,undefined -Db_lundef=false ||
	die "build of $ASAN_BUILD_DIR failed"

step "unit tests (ASan+UBSan)"
unit_log=$(mktemp)
meson test -C "$ASAN_BUILD_DIR" --suite unit --print-errorlogs 2>&1 | tee "$unit_log"
unit_rc=${PIPESTATUS[0]}
unit_summary=$(grep -E '^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout):' "$unit_log" |
	tr -s ' ' | paste -sd ' ' -)
rm -f "$unit_log"

step "integration tests ($BUILD_DIR)"
int_log=$(mktemp)
EDGELB_BUILD=$ROOT/$BUILD_DIR tests/integration/run.sh 2>&1 | tee "$int_log"
int_rc=${PIPESTATUS[0]}
int_summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$int_log" | tail -1)
rm -f "$int_log"

step "summary"
echo "unit (ASan+UBSan): ${unit_summary:-no summary} -> $([ "$unit_rc" -eq 0 ] && echo OK || echo FAILED)"
echo "integration:       ${int_summary:-no summary} -> $([ "$int_rc" -eq 0 ] && echo OK || echo FAILED)"
[ "$unit_rc" -eq 0 ] && [ "$int_rc" -eq 0 ]

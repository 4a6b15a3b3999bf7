#!/usr/bin/env bash
# Run the integration tests, one after another, each under a time bound.
#   usage: tests/integration/run.sh [TEST_SCRIPT[:ARG] ...]
# Prints each test's output, then "N passed, N failed" alone on a line;
# exits non-zero if any test failed. Logs in results/integration/.
# Environment: EDGELB_BUILD (default build), as for the tests;
# TEST_TIME_LIMIT (s, default 150): the bound of each test named on the
# command line (the long variant of test_watch.sh needs more, see README).
set -uo pipefail

T_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$T_DIR/../.." && pwd)
RESULTS=$ROOT/results/integration

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/integration/run.sh: must run as root (network namespaces)" >&2
	exit 2
fi

# name:arg timeout_s. Whole suite normally takes ~3-4 minutes.
DEFAULT_TESTS=(
	"test_check.sh 60"
	"test_dispatch.sh:1 150"
	"test_dispatch.sh:2 150"
	"test_longlived.sh 90"
	"test_icmp_arp.sh 60"
	"test_malformed.sh 90"
	"test_udp.sh:1 90"
	"test_udp.sh:2 90"
	"test_pools.sh:1 90"
	"test_pools.sh:2 90"
	"test_load.sh 120"
	"test_service.sh 90"
	"test_reload_load.sh 90"
	"test_identity.sh 90"
	"test_reload_errors.sh 60"
	"test_commands_rt.sh 60"
	"test_access.sh 60"
	"test_confirm.sh 90"
	"test_policy.sh 120"
	"test_expiry_idle.sh 60"
	"test_arp_spoof.sh 60"
	"test_martian.sh 60"
	"test_synflood.sh 90"
	"test_collide.sh 90"
	"test_kernel_path.sh 60"
	"test_health.sh 180"
	"test_mgmt_abuse.sh 120"
	"test_arp_flood.sh 60"
	"test_selftest.sh:1 90"
	"test_selftest.sh:2 90"
	"test_metrics.sh 90"
	"test_watch.sh 260"
	"test_bgp.sh 150"
	"test_drill.sh 100"
	"test_page.sh 90"
)
if [ $# -gt 0 ]; then
	TESTS=()
	for t in "$@"; do TESTS+=("$t ${TEST_TIME_LIMIT:-150}"); done
else
	TESTS=("${DEFAULT_TESTS[@]}")
fi

# shellcheck source=../../deploy/lib/netns.sh
. "$ROOT/deploy/lib/netns.sh"

mkdir -p "$RESULTS"
passed=0
failed=0
failed_names=()
# The test topologies (elbt-ID) that exist now, one per line.
test_topologies() {
	ip netns list 2>/dev/null | awk '{print $1}' |
		grep -E '^elbt-[a-z0-9]+-(sw|lb|cli|b[0-9]+)$' |
		sed -E 's/-(sw|lb|cli|b[0-9]+)$//' | sort -u
}

suite_start=$SECONDS
for entry in "${TESTS[@]}"; do
	spec=${entry% *}
	limit=${entry##* }
	script=${spec%%:*}
	arg=
	[ "$spec" != "$script" ] && arg=${spec#*:}
	name=${script%.sh}${arg:+-$arg}
	log=$RESULTS/$name.log
	echo "=== $name (time bound ${limit}s)"
	start=$SECONDS
	topos_before=$(test_topologies)
	# shellcheck disable=SC2086
	timeout -k 15 "$limit" bash "$T_DIR/$script" $arg 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	took=$((SECONDS - start))
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "=== $name: PASS (${took}s)"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		[ "$rc" -eq 124 ] && echo "=== $name: timed out after ${limit}s"
		echo "=== $name: FAIL (exit $rc, ${took}s)"
	fi
	# A test killed hard cannot clean up: remove what it left behind
	# (only what appeared while it ran: another run's tests may be live).
	for ns in $(test_topologies); do
		case " $topos_before " in *" $ns "*) continue ;; esac
		echo "=== removing leftover topology $ns"
		elb_topo_down "$ns"
	done
done

echo
echo "integration: $(( SECONDS - suite_start ))s; logs in $RESULTS"
[ "$failed" -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

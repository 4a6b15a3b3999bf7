#!/usr/bin/env bash
# The benchmark harness, one command (issue 4): installs what is missing,
# builds build/ (the deployed, debugoptimized build), then runs each part
# into results/bench/run-STAMP/ and prints one table:
#
#   micro   in-process packet path: TSC cycles/packet per class and flow
#           count, and callgrind instructions/packet per class
#   ctl     control plane: Maglev build, changes through lib/runtime and
#           the worker's stall on each, memory per flow entry
#   mgmt    weight and reload at N = 1000 through the real daemon's socket
#   pmd     edgelbd's worker between net_pcap and net_null against
#           dpdk-testpmd io and 5tswap, interleaved, same run
#   e2e     kernel-bound, for context: edgelb vs HAProxy vs iptables DNAT
#   health  the health checker: 1000 backends every second, tcp and http
#           (its CPU, how late checks start)
#   healthd the same through the real daemon: 1000 nginx addresses checked
#           by tcp through the kernel interface under client traffic,
#           against health = none (management CPU, lateness, the
#           worker's longest busy loop)
#   kpath   bulk TCP through a port's kernel interface (net_tap), both
#           ways, against kernel to kernel over the bridge
#   policy  edgelbd --check of a 1000-backend, 100-VIP file with every
#           policy key and n_minus_1 on (no DPDK started)
#   selftest  `edgelbctl selftest` of 100000 flows while the workers
#           forward: its time, and the workers' busy-loop maximum with and
#           without one
#   metrics /metrics at 1000 backends and 2 workers: scrape time, and the
#           workers' busy-loop maximum with and without a scrape every
#           second (same run)
#   watch   the distribution watch's tick with 1000 backends and 2
#           workers, in process: its share of the management core
#
# Usage: tests/bench/run.sh [PART...]     (default: all, about 19 minutes)
# Environment: BUILD (default build), plus each part's own knobs.
# Only instruction counts and same-run ratios compare between runs.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export BUILD=${BUILD:-build}
PARTS=("$@")
[ ${#PARTS[@]} -eq 0 ] && PARTS=(micro ctl mgmt pmd e2e health healthd kpath policy selftest metrics watch)

[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 2; }
deploy/install-deps.sh || exit 1
# The deployed build's options, also on a tree configured before.
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" -Dbuildtype=debugoptimized -Db_lto=true >/dev/null || exit 1
else
	meson configure "$BUILD" -Dbuildtype=debugoptimized -Db_lto=true >/dev/null || exit 1
fi
ninja -C "$BUILD" >/dev/null || { ninja -C "$BUILD"; exit 1; }

# Hugepages, as in production; the parts share one reservation.
. tests/bench/lib/hugepages.sh
bench_huge_reserve 2048

OUT=results/bench/run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

steal() { awk '/^cpu /{print $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
read -r steal0 total0 < <(steal)

rc=0
for p in "${PARTS[@]}"; do
	echo
	echo "######## bench part: $p"
	if ! "tests/bench/$p.sh" "$OUT"; then
		echo "bench: part $p failed" >&2
		rc=1
	fi
done

read -r steal1 total1 < <(steal)
/usr/bin/python3 - "$OUT/host.json" "$steal0" "$total0" "$steal1" "$total1" <<'PY'
import json, platform, subprocess, sys, datetime
out, s0, t0, s1, t1 = sys.argv[1], *map(int, sys.argv[2:])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), "unknown")
def cmd(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"
json.dump({"cpu": cpu, "cores": len([l for l in open("/proc/cpuinfo")
                                      if l.startswith("processor")]),
           "kernel": platform.release(),
           "dpdk": cmd("pkg-config", "--modversion", "libdpdk"),
           "compiler": cmd("cc", "--version").splitlines()[0],
           "commit": cmd("git", "rev-parse", "--short", "HEAD"),
           "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
           "steal_pct": 100.0 * (s1 - s0) / max(1, t1 - t0)},
          open(out, "w"), indent=1)
PY
echo
echo "######## bench summary ($OUT)"
/usr/bin/python3 tests/bench/report.py "$OUT" "$OUT/host.json" || rc=1
ln -sfn "$(basename "$OUT")" results/bench/latest
exit "$rc"

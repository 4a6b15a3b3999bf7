# Sourced by the benchmark parts. Production runs DPDK on hugepages; on
# 4 KiB pages every flow-table access at 64 k flows and more also misses
# the TLB, so the benchmark reserves 2 MiB pages when the kernel has them
# and says in its JSON which memory it ran on.
#
#   bench_huge_reserve MB
#                       reserve MB of 2 MiB pages (mount hugetlbfs if none
#                       is), once per run: a part run alone reserves for
#                       itself, under run.sh the parts share run.sh's.
#                       Call it in the script's own shell, not in $(...):
#                       it installs the EXIT trap that gives pages back.
#   bench_mem_args MB   echo the EAL memory arguments for MB of memory:
#                       "-m MB --huge-unlink" on hugepages, else
#                       "--no-huge -m MB" (and a note on stderr)

HUGE_DIR=/dev/hugepages
HUGE_NR=/proc/sys/vm/nr_hugepages

huge_free_mb() {
	awk '/^HugePages_Free:/ {f = $2} /^Hugepagesize:/ {s = $2}
	     END {print int(f * s / 1024)}' /proc/meminfo
}

huge_mounted() {
	awk '$3 == "hugetlbfs" {found = 1} END {exit !found}' /proc/mounts
}

bench_huge_reserve() {
	local mb=$1 want
	[ -n "${BENCH_HUGE_RESERVED:-}" ] && return 0
	export BENCH_HUGE_RESERVED=1
	BENCH_HUGE_NR0=$(cat "$HUGE_NR" 2>/dev/null || echo 0)
	export BENCH_HUGE_NR0
	trap bench_huge_release EXIT
	if ! huge_mounted; then
		mkdir -p "$HUGE_DIR"
		mount -t hugetlbfs nodev "$HUGE_DIR" 2>/dev/null &&
			export BENCH_HUGE_MOUNTED=1
	fi
	if [ "$(huge_free_mb)" -lt "$mb" ]; then
		want=$((BENCH_HUGE_NR0 + (mb - $(huge_free_mb)) / 2 + 1))
		echo "$want" >"$HUGE_NR" 2>/dev/null || true
	fi
	return 0
}

bench_huge_release() {
	[ -n "${BENCH_HUGE_NR0:-}" ] && echo "$BENCH_HUGE_NR0" >"$HUGE_NR" 2>/dev/null
	[ -n "${BENCH_HUGE_MOUNTED:-}" ] && umount "$HUGE_DIR" 2>/dev/null
	return 0
}

bench_mem_args() {
	local mb=$1
	if huge_mounted && [ "$(huge_free_mb)" -ge "$mb" ]; then
		echo "-m $mb --huge-unlink"
	else
		echo "bench: fewer than $mb MB of free hugepages: running on 4 KiB pages (--no-huge); flow-table figures at 64 k flows and up include TLB misses" >&2
		echo "--no-huge -m $mb"
	fi
}

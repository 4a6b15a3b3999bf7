#!/bin/sh
# Single-process PMD benchmark (issue 4, part 2): edgelbd's worker vs
# dpdk-testpmd io/5tswap into net_null, fed by net_pcap (infinite_rx) up to
# PCAP_MAX_FLOWS flows and by net_memif from edgelb-pmd-gen (CPU 0) above.
#   tests/bench/pmd.sh OUTDIR     writes OUTDIR/pmd.json, prints a table
# Env: BUILD (default build), DURATION (s, default 5), ROUNDS (default 3),
# WARMUP (s, default 1), FLOWS (default "1 4096 65536 1048576"),
# PCAP_MAX_FLOWS (default 65536), FLOW_TABLE_SIZE, KEEP_TMP=1. Needs root
# (DPDK), dpdk-testpmd, and BUILD's edgelbd, edgelbctl and generator
# (ninja -C BUILD app/edgelbd/edgelbd app/edgelbctl/edgelbctl
#  tests/bench/pmd/edgelb-pmd-gen).
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
case "$1" in
/*) out=$1 ;;
*) out=$(pwd)/$1 ;;
esac
cd "$(dirname "$0")/../.."
. tests/bench/lib/hugepages.sh
# edgelbd and testpmd take turns, never run together; the generator runs
# beside either one (its frames: 64 B a flow, 64 MiB at 1 M flows).
bench_huge_reserve 1280
BENCH_MEM_ARGS=$(bench_mem_args 1024)
BENCH_GEN_MEM_ARGS=$(bench_mem_args 256)
export BENCH_MEM_ARGS BENCH_GEN_MEM_ARGS
/usr/bin/python3 tests/bench/pmd/pmd.py "$out"

#!/bin/sh
# Single-process PMD benchmark (issue 4, part 2): edgelbd's worker vs
# dpdk-testpmd io/5tswap between net_pcap (infinite_rx) and net_null.
#   tests/bench/pmd.sh OUTDIR     writes OUTDIR/pmd.json, prints a table
# Env: BUILD (default build), DURATION (s, default 5), ROUNDS (default 3),
# WARMUP (s, default 1), FLOWS (default "1 4096 65536"), FLOW_TABLE_SIZE,
# KEEP_TMP=1. Needs root (DPDK), dpdk-testpmd, and BUILD's edgelbd and
# edgelbctl (ninja -C BUILD app/edgelbd/edgelbd app/edgelbctl/edgelbctl).
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
# edgelbd and testpmd take turns, never run together.
bench_huge_reserve 1024
BENCH_MEM_ARGS=$(bench_mem_args 1024)
export BENCH_MEM_ARGS
/usr/bin/python3 tests/bench/pmd/pmd.py "$out"

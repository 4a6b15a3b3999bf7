#!/usr/bin/python3
"""Instructions per packet, per class, of the worker's packet path.

Runs bench_dp under callgrind with collection on only around the measured
bursts (one dump per class), and divides each dump's instruction total by
the packets it covered. Instruction counts do not depend on the machine's
noise, so they are what runs are compared on.

  callgrind.py BENCH_DP [--json OUT] [--check REF] [--update REF]

--check fails (exit 1) if a class costs more than 3 % over the reference
or is missing; --update rewrites the reference from this run.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

TOLERANCE = 0.03
# Small and deterministic: 4096 flows, one warm-up window, two measured.
BENCH_ARGS = ["--flows", "4096", "--windows", "2", "--warmup", "1",
              "--window", "1024", "--callgrind"]


def run(bench):
    tmp = tempfile.mkdtemp(prefix="elb-cg-")
    out = os.path.join(tmp, "cg.out")
    cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
           "--callgrind-out-file=" + out, bench, "-l", "0", "--no-huge",
           "-m", "256", "--no-pci", "--no-shconf",
           "--file-prefix=elb-cg-%d" % os.getpid(), "--log-level=error",
           "--"] + BENCH_ARGS
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        sys.exit("callgrind.py: bench_dp failed under valgrind")
    packets = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^CG (\S+) (\d+)$", line)
        if m:
            packets[m.group(1)] = int(m.group(2))
    result = {}
    for f in glob.glob(out + ".*"):
        text = open(f).read()
        label = re.search(r"^desc: Trigger: Client Request: (\S+)$", text,
                          re.M)
        total = re.search(r"^totals: (\d+)", text, re.M)
        if label and total and label.group(1) in packets:
            result[label.group(1)] = (int(total.group(1)) /
                                      packets[label.group(1)])
        os.unlink(f)
    os.unlink(out) if os.path.exists(out) else None
    os.rmdir(tmp)
    if not result or set(result) != set(packets):
        sys.exit("callgrind.py: dumps and classes do not match: %s vs %s"
                 % (sorted(result), sorted(packets)))
    return result


def check(result, ref_path):
    ref = json.load(open(ref_path))["instructions_per_packet"]
    bad = 0
    print("  %-28s %10s %10s %8s" % ("class (instructions/packet)",
                                     "reference", "now", "change"))
    for label in sorted(set(ref) | set(result)):
        if label not in result or label not in ref:
            print("  %-28s missing on one side" % label)
            bad += 1
            continue
        change = result[label] / ref[label] - 1
        flag = ""
        if change > TOLERANCE:
            flag = "  FAIL (> +%d %%)" % (TOLERANCE * 100)
            bad += 1
        elif change < -TOLERANCE:
            flag = "  better: update the reference"
        print("  %-28s %10.1f %10.1f %+7.1f%%%s" % (label, ref[label],
                                                  result[label],
                                                  change * 100, flag))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench")
    ap.add_argument("--json")
    ap.add_argument("--check")
    ap.add_argument("--update")
    a = ap.parse_args()
    result = run(a.bench)
    if a.json:
        rows = [{"name": "instructions/packet, %s (callgrind)" % k,
                 "label": k, "value": round(v, 1),
                 "unit": "instructions/packet"}
                for k, v in sorted(result.items())]
        json.dump({"part": "callgrind", "bench_args": BENCH_ARGS,
                   "rows": rows}, open(a.json, "w"), indent=1)
    if a.update:
        json.dump({"note": "tests/bench/callgrind.py --update; compared "
                           "with +%d %% tolerance" % (TOLERANCE * 100),
                   "bench_args": BENCH_ARGS,
                   "instructions_per_packet":
                       {k: round(v, 1) for k, v in sorted(result.items())}},
                  open(a.update, "w"), indent=1)
        print("callgrind.py: reference written to " + a.update)
    if a.check:
        bad = check(result, a.check)
        if bad:
            sys.exit("callgrind.py: %d class(es) over the reference" % bad)
    elif not a.update:
        for k, v in sorted(result.items()):
            print("  %-28s %10.1f instructions/packet" % (k, v))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Checks of `edgelbctl selftest` (called through t_pyscript in lib.sh).

Prints "PASS: ID: ..." / "FAIL: ID: ..." / "SKIP: ID: ..." lines; exits 1
if anything failed. Environment: T_ID, ELBD_SOCK, EDGELBCTL.

  passes FLOWS WORKERS VIP...   a self-test of every VIP passes; each
                                worker's counts are checked here again
                                against `backends` expected_share (4
                                binomial sd, recomputed), p = 0 backends
                                get none; the same seed gives the same
                                counts; one named VIP tests that VIP only
  untouched FLOWS               a self-test changes no counter and no flow
  args                          bad arguments: exit 1 and a clear error
  fault WORKERS VIP BACKEND     (test builds) a worker skewed to BACKEND
                                fails the self-test naming BACKEND and VIP,
                                the others pass; its disagreements with
                                worker 0 are the tuples lookup places
                                elsewhere; cleared, it passes again
"""

import json
import math
import subprocess
import sys

# The reporting and failure count of check.py, shared.
import check as base
from check import CTL, SOCK, T_ID, check, fail

SD = 4.0


def run(*args, json_out=True):
    """edgelbctl [-j] ARGS: (exit status, answer or stdout, stderr)."""
    cmd = [CTL, "-s", SOCK] + (["-j"] if json_out else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    out = r.stdout
    if json_out:
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = None
    return r.returncode, out, r.stderr


def ctl(*args):
    rc, a, err = run(*args)
    if a is None or (isinstance(a, dict) and "error" in a):
        raise RuntimeError("edgelbctl %s: exit %d: %r %r" %
                           (" ".join(args), rc, a, err))
    return a


def expected_shares():
    """{(vip, backend): expected_share} from `backends`."""
    out = {}
    for b in ctl("backends"):
        out[(b["vip"], b["name"])] = float(b["expected_share"])
    return out


def counts_of(ans):
    """{(vip, worker, backend): count}."""
    return {(v["vip"], w["worker"], b["backend"]): b["count"]
            for v in ans["vips"] for w in v["workers"]
            for b in w["backends"]}


def check_worker(vip, w, flows, exp):
    """Recompute each count's bound from `backends`, independently."""
    total = sum(b["count"] for b in w["backends"])
    check(w["flows"] == flows and total == flows,
          "VIP %s worker %s: %s flows, counts sum to %d (want %d)" %
          (vip, w["worker"], w["flows"], total, flows))
    worst = 0.0
    for b in w["backends"]:
        p = exp.get((vip, b["backend"]), 0.0)
        dev = abs(b["count"] - flows * p)
        bound = SD * math.sqrt(flows * p * (1 - p))
        if dev > bound:
            fail("VIP %s worker %s backend %s: %d flows, expected %.0f +- "
                 "%.0f" % (vip, w["worker"], b["backend"], b["count"],
                           flows * p, bound))
        if bound > 0:
            worst = max(worst, dev / bound * SD)
        if p == 0:
            check(b["count"] == 0, "VIP %s worker %s: %s (expected share "
                  "0) got %d flows" % (vip, w["worker"], b["backend"],
                                       b["count"]))
    print("  VIP %s worker %s: largest deviation %.2f sd" %
          (vip, w["worker"], worst))
    check(w["disagreements"] == 0 and w["passed"],
          "VIP %s worker %s passed, %d disagreements with worker 0" %
          (vip, w["worker"], w["disagreements"]))


def cmd_passes(flows, workers, vips):
    rc, a, err = run("selftest", "--flows", str(flows))
    if not check(rc == 0 and a is not None and a.get("passed") is True and
                 a.get("result") == "passed",
                 "selftest --flows %d exits 0 and says passed (exit %d, %s)"
                 % (flows, rc, (a or {}).get("failures", err))):
        return
    print("  seed %s, %s ms for %d VIPs" % (a["seed"], a["elapsed_ms"],
                                           len(a["vips"])))
    check(sorted(v["vip"] for v in a["vips"]) == sorted(vips),
          "every VIP tested: %s" % [v["vip"] for v in a["vips"]])
    check(a["workers"] == workers and
          all(len(v["workers"]) == workers for v in a["vips"]),
          "every VIP tested on each of the %d workers" % workers)
    exp = expected_shares()
    for v in a["vips"]:
        for w in v["workers"]:
            check_worker(v["vip"], w, flows, exp)
    rc, b, _ = run("selftest", "--flows", str(flows), "--seed",
                   str(a["seed"]))
    check(rc == 0 and b is not None and counts_of(b) == counts_of(a),
          "the same seed (%s) gives the same counts" % a["seed"])
    rc, c, _ = run("selftest", vips[-1], "--flows", "1000")
    check(rc == 0 and c is not None and
          [v["vip"] for v in c["vips"]] == [vips[-1]],
          "selftest %s tests that VIP only" % vips[-1])
    rc, out, _ = run("selftest", "web", json_out=False)
    print("  " + out.rstrip().replace("\n", "\n  "))
    check(rc == 0 and "selftest passed" in out and "DISAGREE_W0" in out,
          "the table for people says passed")


def cmd_untouched(flows):
    def state():
        s = ctl("stats")
        pc = ctl("stats", "--per-core")
        return (json.dumps(s.get("flow"), sort_keys=True),
                json.dumps(s.get("vips"), sort_keys=True),
                [(w["new_flows"], w["flow_table_entries"])
                 for w in pc["workers"]])
    before = state()
    rc, a, _ = run("selftest", "--flows", str(flows))
    after = state()
    check(rc == 0 and a is not None and a.get("passed") is True,
          "selftest of %d flows passes with no traffic" % flows)
    check(before == after, "it changed no flow counter, VIP counter, "
          "new_flows or flow table entry")


BAD_ARGS = [
    (["--flows", "0"], "bad --flows \"0\": expected 1..1000000"),
    (["--flows", "1000001"], "bad --flows \"1000001\": expected 1..1000000"),
    (["--flows", "12x"], "bad --flows \"12x\""),
    (["--flows", "-5"], "bad --flows \"-5\""),
    (["--flows"], "usage: selftest [VIP] [--flows N] [--seed S]"),
    (["--flows", "10", "--flows", "10"], "usage: selftest"),
    (["--seed", "x"], "bad --seed \"x\""),
    (["--bogus", "1"], "usage: selftest"),
    (["nosuchvip"], "no VIP named \"nosuchvip\""),
    (["web", "alt"], "usage: selftest"),
]


def cmd_args():
    for args, want in BAD_ARGS:
        rc, out, err = run("selftest", *args, json_out=False)
        check(rc == 1 and want in err and "Traceback" not in err,
              "selftest %s: exit %d, %r" % (" ".join(args), rc,
                                             err.strip()[:120]))


def skip(msg):
    print("SKIP: %s: %s" % (T_ID, msg))


def check_fault_answer(a, err, workers, vip, backend, bad):
    check(a is not None and a.get("passed") is False and
          a.get("result") == "failed", "the answer says failed")
    named = [f for f in a.get("failures", []) if backend in f and vip in f]
    check(len(named) > 0, "a failure names backend %s and VIP %s: %s" %
          (backend, vip, named[:1]))
    check(("backend %s" % backend) in err and ("VIP %s" % vip) in err,
          "edgelbctl's stderr names them: %r" % err.strip()[:200])
    ws = a["vips"][0]["workers"]
    for w in ws:
        want = w["worker"] != bad
        check(w["passed"] is want, "worker %s %s" %
              (w["worker"], "passed" if want else "failed"))
    if workers > 1:
        w = ws[bad]
        # A quarter of the tuples goes to BACKEND; those that would go
        # there anyway agree.
        check(w["disagreements"] > 0,
              "worker %d disagrees with worker 0 on %d tuples" %
              (bad, w["disagreements"]))
        for ex in w["disagreement_examples"]:
            lk = ctl("lookup", *ex["tuple"].split())
            check(ex["this_worker"] == backend and
                  lk["backend"] == ex["worker_0"],
                  "tuple %s: worker 0 %s (lookup: %s), worker %d %s" %
                  (ex["tuple"], ex["worker_0"], lk["backend"], bad,
                   ex["this_worker"]))


def cmd_fault(workers, vip, backend):
    v = ctl("version")
    if not v.get("test_faults"):
        skip("this edgelbd has no fault injection (build with "
             "-Dtest_faults=true): the failure case is not checked")
        return
    bad = workers - 1
    rc, _, err = run("fault", "selftest-skew", str(bad), backend)
    if not check(rc == 0, "fault selftest-skew %d %s accepted %s" %
                 (bad, backend, err.strip())):
        return
    rc, a, err = run("selftest", vip)
    check(rc == 1, "selftest %s exits 1 with worker %d skewed (exit %d)" %
          (vip, bad, rc))
    # The same run for people: the failures on stderr.
    _, _, err = run("selftest", vip, "--seed", str(a["seed"]),
                    json_out=False)
    check_fault_answer(a, err, workers, vip, backend, bad)
    run("fault", "clear")
    rc, a, _ = run("selftest", vip)
    check(rc == 0 and a is not None and a.get("passed") is True,
          "with the fault cleared it passes again")


def main(argv):
    try:
        if argv[0] == "passes":
            cmd_passes(int(argv[1]), int(argv[2]), argv[3:])
        elif argv[0] == "untouched":
            cmd_untouched(int(argv[1]))
        elif argv[0] == "args":
            cmd_args()
        elif argv[0] == "fault":
            cmd_fault(int(argv[1]), argv[2], argv[3])
        else:
            print(__doc__)
            return 2
    except RuntimeError as e:
        fail(str(e))
    return 1 if base.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

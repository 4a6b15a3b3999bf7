#!/usr/bin/python3
"""Checks shared by the integration tests (called through t_py in lib.sh).

Reads the daemon through edgelbctl -j and the backends' nginx access logs
("$remote_addr $remote_port $status", one line per request). Prints
"PASS: ID: ..." / "FAIL: ID: ..." lines; exits 1 if anything failed.

Environment: T_ID, ELBD_SOCK, EDGELBCTL, WORKDIR, VIP.

  snapshot OUT                  save log line counts, backends and stats
  dispatch --before SNAP --client JSON --workers N --min-conns N
                                exact dispatch, shares, counters (test a)
  lookup-one SRC SPORT BACKEND  the tuple is in a flow table, on BACKEND
  counters-grew BEFORE KEY...   stats port counters KEY grew (sum of ports)
  drops-grew BEFORE SENT_JSON NOISY UNREACHABLE
                                per-reason drops rose by >= sent (== sent
                                for reasons not in NOISY, comma list);
                                reasons in UNREACHABLE are reported as SKIP
  redispatch TIMEOUT_S          once the flow tables have drained (FIN
                                timeout), every logged connection is still
                                named correctly, now by the scheduler
  predicted --before SNAP --check JSON --vip NAME --min-conns N
                                the shares `edgelbctl check` predicted (JSON:
                                its -j answer for the running file) are the
                                live table's (backends' expected_share) and
                                agree with the connections nginx logged since
                                SNAP within 4 binomial sd (each tuple counted
                                once; N: at least this many distinct); each
                                connection is on the backend lookup names
"""

import json
import math
import os
import subprocess
import sys

T_ID = os.environ.get("T_ID", "?")
SOCK = os.environ.get("ELBD_SOCK", "")
CTL = os.environ.get("EDGELBCTL", "edgelbctl")
WORKDIR = os.environ.get("WORKDIR", ".")
VIP = os.environ.get("VIP", "")
VIP_PORT = 80
BACKENDS = ["web1", "web2", "web3"]
WEIGHTS = {"web1": 1, "web2": 2, "web3": 3}

failures = 0


def ok(msg):
    print("PASS: %s: %s" % (T_ID, msg))


def fail(msg):
    global failures
    failures += 1
    print("FAIL: %s: %s" % (T_ID, msg))


def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond


def ctl(*args, stdin=None):
    """Run edgelbctl -j ARGS, return the parsed JSON answer."""
    r = subprocess.run([CTL, "-s", SOCK, "-j"] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=60)
    try:
        v = json.loads(r.stdout)
    except ValueError:
        raise RuntimeError("edgelbctl %s: exit %d, not JSON: %r %r" %
                           (" ".join(args), r.returncode, r.stdout[:200],
                            r.stderr[:200]))
    if isinstance(v, dict) and "error" in v:
        raise RuntimeError("edgelbctl %s: %s" % (" ".join(args), v["error"]))
    return v


def nginx_lines():
    """{backend: [(addr, port, status), ...]} in log order."""
    out = {}
    for i, name in enumerate(BACKENDS, 1):
        lines = []
        with open(os.path.join(WORKDIR, "b%d" % i, "access.log")) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    lines.append((parts[0], int(parts[1]), parts[2]))
        out[name] = lines
    return out


def backends_by_name():
    return {b["name"]: b for b in ctl("backends")}


def port_sum(stats, key):
    return sum(int(p.get(key, 0)) for p in stats.get("ports", []))


def drops_sum(stats):
    tot = {}
    for p in stats.get("ports", []):
        for k, v in p.get("drops", {}).items():
            tot[k] = tot.get(k, 0) + int(v)
    return tot


def lookup_many(tuples, proto="tcp"):
    """lookup - in chunks of 1000 (the daemon's limit per request)."""
    res = []
    for i in range(0, len(tuples), 1000):
        chunk = tuples[i:i + 1000]
        body = "".join("%s %s %d %s %d\n" % ((proto,) + t) for t in chunk)
        ans = ctl("lookup", "-", stdin=body)
        if not isinstance(ans, list) or len(ans) != len(chunk):
            raise RuntimeError("lookup -: %d tuples in, %s out" %
                               (len(chunk), len(ans) if isinstance(ans, list)
                                else type(ans).__name__))
        res.extend(ans)
    return res


def cmd_snapshot(out):
    snap = {"log_lines": {k: len(v) for k, v in nginx_lines().items()},
            "backends": ctl("backends"), "stats": ctl("stats")}
    with open(out, "w") as f:
        json.dump(snap, f)


def check_dispatch(lines):
    """Every connection nginx logged: lookup names the backend holding it."""
    tuples, where = [], []
    for name, ls in lines.items():
        for addr, port, _ in ls:
            tuples.append((addr, port, VIP, VIP_PORT))
            where.append(name)
    ans = lookup_many(tuples)
    bad = []
    for t, logged, a in zip(tuples, where, ans):
        got = a.get("backend") if isinstance(a, dict) else None
        if got != logged:
            bad.append((t, logged, a))
    for t, logged, a in bad[:10]:
        print("  mismatch: %s:%d logged by %s, lookup says %s" %
              (t[0], t[1], logged, json.dumps(a)))
    check(not bad, "exact dispatch: %d logged connections looked up, "
          "%d mismatches" % (len(tuples), len(bad)))
    sources = {}
    for a in ans:
        if isinstance(a, dict):
            sources[a.get("source")] = sources.get(a.get("source"), 0) + 1
    print("  lookup sources: %s" % json.dumps(sources, sort_keys=True))


def check_shares(counts, bk):
    n = sum(counts.values())
    total_w = sum(WEIGHTS.values())
    print("  %-6s %6s %8s %9s %9s %8s %8s %9s" %
          ("name", "weight", "expected", "wshare", "count", "n*p",
           "4sd", "new_flows"))
    for name in BACKENDS:
        b = bk.get(name)
        if b is None:
            fail("backend %s listed by edgelbctl backends" % name)
            continue
        p = float(b["expected_share"])
        w = WEIGHTS[name] / total_w
        sd = math.sqrt(n * p * (1 - p))
        print("  %-6s %6d %8.4f %9.4f %9d %8.1f %8.1f %9s" %
              (name, WEIGHTS[name], p, w, counts[name], n * p, 4 * sd,
               b.get("new_flows")))
        check(abs(p - w) <= 0.01, "%s expected_share %.4f within 0.01 of "
              "weight share %.4f" % (name, p, w))
        check(abs(counts[name] - n * p) <= 4 * sd,
              "%s got %d of %d connections, expected %.1f +- %.1f (4 sd)" %
              (name, counts[name], n, n * p, 4 * sd))


def check_new_flows(before_bk, after_bk, counts):
    for name in BACKENDS:
        b0 = before_bk.get(name, {}).get("new_flows", 0)
        b1 = after_bk.get(name, {}).get("new_flows", 0)
        d = int(b1) - int(b0)
        check(d == counts[name], "%s edgelbctl new_flows rose by %d, nginx "
              "logged %d connections" % (name, d, counts[name]))


def check_per_core(workers):
    keys = ("rx_packets", "tx_packets", "new_flows")
    pc = None
    for _ in range(5):  # counters are live: retry a racing read
        pc = ctl("stats", "--per-core")
        ws, tot = pc.get("workers", []), pc.get("totals", {})
        sums = {k: sum(int(w.get(k, 0)) for w in ws) for k in keys}
        if all(sums[k] == int(tot.get(k, -1)) for k in keys):
            break
    ws, tot = pc.get("workers", []), pc.get("totals", {})
    check(len(ws) == workers, "stats --per-core lists %d workers (want %d)" %
          (len(ws), workers))
    for w in ws:
        print("  worker %s lcore %s: rx %s tx %s new_flows %s entries %s" %
              (w.get("worker"), w.get("lcore"), w.get("rx_packets"),
               w.get("tx_packets"), w.get("new_flows"),
               w.get("flow_table_entries")))
        missing = [k for k in ("lcore", "rx_packets", "tx_packets",
                               "new_flows", "flow_table_entries", "drops")
                   if k not in w]
        if missing:
            fail("worker %s object lacks %s" % (w.get("worker"), missing))
        # The worker timed the loop that first ran the config it started
        # with (a swap like any other): never zero, at most the longest.
        last = float(w.get("swap_loop_last_us", 0))
        check(0 < last <= float(w.get("swap_loop_max_us", 0)),
              "worker %s timed its config swap loop: last %s us, max %s us"
              % (w.get("worker"), w.get("swap_loop_last_us"),
                 w.get("swap_loop_max_us")))
    if workers > 1:
        for w in ws:
            check(int(w.get("new_flows", 0)) > 0, "worker %s (lcore %s) took "
                  "%s new flows" % (w.get("worker"), w.get("lcore"),
                                    w.get("new_flows")))
    for k in keys:
        s = sum(int(w.get(k, 0)) for w in ws)
        check(s == int(tot.get(k, -1)), "per-core %s sum %d == totals %s" %
              (k, s, tot.get(k)))


def cmd_dispatch(args):
    before = json.load(open(args["--before"]))
    client = json.load(open(args["--client"]))
    workers = int(args["--workers"])
    min_conns = int(args["--min-conns"])

    check(client.get("failed", 1) == 0 and client.get("ok", 0) >= min_conns,
          "client: %s ok, %s failed of %s (want >= %d ok, 0 failed) %s" %
          (client.get("ok"), client.get("failed"), client.get("attempted"),
           min_conns, json.dumps(client.get("errors", {}))))
    lines = nginx_lines()
    check_dispatch(lines)
    b0 = before["log_lines"]
    counts = {k: len(lines[k]) - b0.get(k, 0) for k in BACKENDS}
    n = sum(counts.values())
    check(n >= min_conns, "nginx logged %d connections in the run "
          "(want >= %d)" % (n, min_conns))
    after_bk = backends_by_name()
    check_shares(counts, after_bk)
    check_new_flows({b["name"]: b for b in before["backends"]}, after_bk,
                    counts)
    check_per_core(workers)


def cmd_predicted(args):
    """Simulation matches reality: check's shares against nginx's counts."""
    before = json.load(open(args["--before"]))
    report = json.load(open(args["--check"]))
    min_conns = int(args["--min-conns"])
    vip = [v for v in report["vips"] if v["name"] == args["--vip"]][0]
    pred = {b["name"]: b["expected_share"] / 100.0 for b in vip["backends"]}
    live = backends_by_name()
    for name, p in sorted(pred.items()):
        got = float(live[name]["expected_share"])
        check(abs(got - p) < 1e-9, "check's predicted share of %s %.6f is "
              "the live table's expected_share %.6f" % (name, p, got))
    all_lines = nginx_lines()
    b0 = before["log_lines"]
    lines = {k: v[b0.get(k, 0):] for k, v in all_lines.items()}
    check_dispatch(lines)
    # A tuple the client used twice lands twice on one backend: count
    # each once, so that the counts are independent draws.
    seen, counts = set(), {k: 0 for k in lines}
    for k, ls in lines.items():
        for addr, port, _ in ls:
            if (addr, port) not in seen:
                seen.add((addr, port))
                counts[k] += 1
    n = sum(counts.values())
    check(n >= min_conns, "nginx logged %d connections from distinct source "
          "ports since the snapshot (%d in all; want >= %d)" %
          (n, sum(len(v) for v in lines.values()), min_conns))
    print("  %-6s %10s %9s %9s %8s" % ("name", "predicted", "count", "n*p",
                                       "4sd"))
    for name in sorted(pred):
        p = pred[name]
        sd = math.sqrt(n * p * (1 - p))
        print("  %-6s %9.4f%% %9d %9.1f %8.1f" % (name, 100 * p,
                                                  counts.get(name, 0),
                                                  n * p, 4 * sd))
        check(abs(counts.get(name, 0) - n * p) <= 4 * sd,
              "%s: %d of %d connections, check predicted %.2f%% = %.1f +- "
              "%.1f (4 sd)" % (name, counts.get(name, 0), n, 100 * p, n * p,
                               4 * sd))


def cmd_lookup_one(src, sport, backend):
    a = ctl("lookup", "tcp", src, str(sport), VIP, str(VIP_PORT))
    print("  lookup tcp %s %s %s %d -> %s" % (src, sport, VIP, VIP_PORT,
                                              json.dumps(a)))
    check(a.get("source") == "flow", "lookup of the open connection says "
          "source \"flow\" (got %r)" % a.get("source"))
    check(a.get("backend") == backend, "lookup of the open connection names "
          "%s (got %r)" % (backend, a.get("backend")))


def cmd_counters_grew(before_file, keys):
    before = json.load(open(before_file))["stats"]
    after = ctl("stats")
    for k in keys:
        b, a = port_sum(before, k), port_sum(after, k)
        check(a > b, "stats %s grew: %d -> %d" % (k, b, a))


def skip(msg):
    print("SKIP: %s: %s" % (T_ID, msg))


def cmd_drops_grew(before_file, sent_file, noisy, unreachable):
    before_stats = json.load(open(before_file))["stats"]
    after_stats = ctl("stats")
    before, after = drops_sum(before_stats), drops_sum(after_stats)
    print("  rx_packets rose by %d" % (port_sum(after_stats, "rx_packets") -
                                      port_sum(before_stats, "rx_packets")))
    sent = json.load(open(sent_file))
    noisy = set(x for x in noisy.split(",") if x)
    unreachable = set(x for x in unreachable.split(",") if x)
    delta = {k: v - before.get(k, 0) for k, v in after.items()
             if v != before.get(k, 0)}
    print("  drops that rose: %s" % json.dumps(delta, sort_keys=True))
    for reason, count in sorted(sent.items()):
        d = after.get(reason, 0) - before.get(reason, 0)
        if reason in unreachable and d < count:
            skip("drops.%s rose by %d (sent %d): such frames cannot reach "
                 "net_af_packet in this topology" % (reason, d, count))
        elif reason not in after:
            fail("drop reason %s (sent %d) not among the daemon's counters"
                 % (reason, count))
        elif reason in noisy:
            check(d >= count, "drops.%s rose by %d (sent %d; other traffic "
                  "may add to it)" % (reason, d, count))
        else:
            check(d == count, "drops.%s rose by %d (sent exactly %d)" %
                  (reason, d, count))


def flow_entries():
    pc = ctl("stats", "--per-core")
    return sum(int(w.get("flow_table_entries", 0))
               for w in pc.get("workers", []))


def cmd_redispatch(timeout):
    import time
    start = flow_entries()
    deadline = time.monotonic() + timeout
    now = start
    while now > 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        now = flow_entries()
    check(now == 0, "flow tables drained after the FIN timeout: %d -> %d "
          "entries" % (start, now))
    check_dispatch(nginx_lines())


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, rest = argv[1], argv[2:]
    try:
        if cmd == "snapshot":
            cmd_snapshot(rest[0])
        elif cmd == "dispatch":
            cmd_dispatch(dict(zip(rest[::2], rest[1::2])))
        elif cmd == "lookup-one":
            cmd_lookup_one(rest[0], rest[1], rest[2])
        elif cmd == "counters-grew":
            cmd_counters_grew(rest[0], rest[1:])
        elif cmd == "drops-grew":
            cmd_drops_grew(rest[0], rest[1], rest[2] if len(rest) > 2 else "",
                           rest[3] if len(rest) > 3 else "")
        elif cmd == "predicted":
            cmd_predicted(dict(zip(rest[::2], rest[1::2])))
        elif cmd == "redispatch":
            cmd_redispatch(float(rest[0]))
        else:
            sys.exit("unknown subcommand " + cmd)
    except (RuntimeError, OSError, ValueError, KeyError, TypeError,
            subprocess.TimeoutExpired) as e:
        fail("%s: %s: %s" % (cmd, type(e).__name__, e))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

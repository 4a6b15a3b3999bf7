#!/usr/bin/python3
"""More checks for the integration tests (called through t_pym in lib.sh):
any VIP, protocol, pool and log, where check.py knows only tcp :80 1:2:3.

Backends are named by "map" strings, NAME=N:W,...: the daemon's backend
NAME (for the VIP under test) runs in backend namespace N, whose log
WORKDIR/bN/LOG records what that VIP sent it, and is configured with weight
W. Logs hold "CLIENT_ADDR CLIENT_PORT [...]" lines (nginx's "addr port
status", udp_echo.py's "addr port dst"). Prints "PASS: ID: ..." /
"FAIL: ID: ..." lines; exits 1 if anything failed.

Environment: T_ID, ELBD_SOCK, EDGELBCTL, WORKDIR, VIP, CLIENT_ADDR.

  snapshot OUT          line counts of every WORKDIR/b*/*.log, backends,
                        stats (as check.py's, for the files it does not read)
  dispatch --vip NAME --proto tcp|udp --port N --log FILE --map MAP
           --before SNAP --min N [--distinct] [--want-source flow]
           [--absent N,...]
                        exact dispatch of every logged tuple, each tuple
                        in one backend's log only, shares within 4 sd of
                        expected_share, expected_share within 0.01 of the
                        weight share, weight-0 backends "drained" with no
                        new connection, per-backend new_flows == logged
                        counts (--distinct: distinct tuples, for UDP where
                        a flow may carry several datagrams), VIP new_flows
                        == their sum; namespaces in --absent (not in
                        the pool) logged nothing at all in LOG
  udp-client --summary JSON --log CLIENT_LOG --port N --n N --udp-log FILE
                        the client's view: every datagram answered, no
                        reply from a wrong source, one source port per
                        socket, the second datagram of each socket answered
                        by the same backend, and each reply's backend is the
                        one whose responder logged that tuple
  check-output FILE VIP:PROTO:PORT:MAP...
                        edgelbd --check's output names each VIP and its
                        backends with their weights; its expected shares
                        equal the running daemon's
  flow-hits --before SNAP --min N
                        flow-table hits rose by >= N, no fallbacks
  per-core WORKERS      check.py's per-core checks (sums, every worker busy)
  load --before SNAP --wrk WRK_JSON --map MAP --log FILE --conns C
       --client-before NSTAT --client-after NSTAT [--label L]
                        wrk run (wrk_report.lua's JSON): no socket errors,
                        only 200s; new_flows == the client kernel's
                        connects (nstat TcpActiveOpens), nginx lines ==
                        the requests wrk wrote, the difference (wrk's
                        start-up probe and connections its stop cut before
                        their request) <= 1 + C; exact dispatch; drop table
"""

import json
import math
import os
import subprocess
import sys

import check as c  # ctl(), ok(), fail(), check() and the failure count

WORKDIR = os.environ.get("WORKDIR", ".")
VIP = os.environ.get("VIP", "")
CLIENT_ADDR = os.environ.get("CLIENT_ADDR", "")

# Drop reasons that mean the daemon lost or mangled traffic it should have
# forwarded, or that a well-formed kernel peer never causes.
FORBIDDEN_DROPS = ("tx_full", "ctl_ring_full", "neigh_unresolved",
                   "no_backend")
FORBIDDEN_PREFIXES = ("ipv4_", "tcp_", "udp_")


def parse_map(s):
    """"a=1:1,b=2:0" -> [(name, index, weight), ...] in that order."""
    out = []
    for item in s.split(","):
        name, _, rest = item.partition("=")
        idx, _, w = rest.partition(":")
        out.append((name, int(idx), int(w)))
    return out


def read_log(idx, logname):
    """[(addr, port, rest...)] of WORKDIR/bIDX/LOGNAME."""
    lines = []
    with open(os.path.join(WORKDIR, "b%d" % idx, logname)) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                lines.append((parts[0], int(parts[1])) + tuple(parts[2:]))
    return lines


def all_log_counts():
    counts = {}
    for d in sorted(os.listdir(WORKDIR)):
        p = os.path.join(WORKDIR, d)
        if d.startswith("b") and os.path.isdir(p):
            for f in os.listdir(p):
                if f.endswith(".log"):
                    with open(os.path.join(p, f)) as fh:
                        counts["%s/%s" % (d, f)] = sum(1 for _ in fh)
    return counts


def cmd_snapshot(out):
    snap = {"logs": all_log_counts(), "backends": c.ctl("backends"),
            "stats": c.ctl("stats")}
    with open(out, "w") as f:
        json.dump(snap, f)


def vip_backends(bk_list, vip):
    return {b["name"]: b for b in bk_list if b.get("vip") == vip}


def vip_stat(stats, vip, key):
    for v in stats.get("vips", []):
        if v.get("name") == vip:
            return int(v.get(key, 0))
    raise KeyError("VIP %s not in stats" % vip)


def exact_dispatch(proto, port, logs, want_source=None, label=""):
    """logs: {backend name: [(addr, port, ...)]}. Every distinct logged
    tuple: lookup names the backend whose log holds it."""
    owner = {}
    split = []
    for name, lines in logs.items():
        for ln in lines:
            t = (ln[0], ln[1])
            o = owner.setdefault(t, name)
            if o != name:
                split.append((t, o, name))
    c.check(not split, "%seach logged tuple is in one backend's log only "
            "(%d in two)" % (label, len(split)))
    for t, a, b in split[:5]:
        print("  split: %s:%d logged by %s and %s" % (t[0], t[1], a, b))
    tuples = sorted(owner)
    ans = c.lookup_many([(a, p, VIP, port) for a, p in tuples], proto)
    bad = []
    sources = {}
    for t, a in zip(tuples, ans):
        got = a.get("backend") if isinstance(a, dict) else None
        src = a.get("source") if isinstance(a, dict) else None
        sources[src] = sources.get(src, 0) + 1
        if got != owner[t]:
            bad.append((t, owner[t], a))
    for t, logged, a in bad[:10]:
        print("  mismatch: %s %s:%d logged by %s, lookup says %s" %
              (proto, t[0], t[1], logged, json.dumps(a)))
    c.check(not bad, "%sexact dispatch: %d distinct logged %s tuples looked "
            "up (batches of 1000), %d mismatches" %
            (label, len(tuples), proto, len(bad)))
    print("  %slookup sources: %s" % (label, json.dumps(sources,
                                                       sort_keys=True)))
    if want_source:
        c.check(sources.get(want_source, 0) == len(tuples),
                "%severy lookup answered from source \"%s\" (%d of %d)" %
                (label, want_source, sources.get(want_source, 0),
                 len(tuples)))
    return len(tuples), len(bad)


def run_counts(bmap, logname, before, distinct):
    """New log entries per backend since the snapshot."""
    counts, logs = {}, {}
    for name, idx, _ in bmap:
        lines = read_log(idx, logname)
        logs[name] = lines
        b0 = before["logs"].get("b%d/%s" % (idx, logname), 0)
        new = lines[b0:]
        counts[name] = len(set((x[0], x[1]) for x in new)) if distinct \
            else len(new)
    return counts, logs


def check_shares(label, bmap, counts, bk):
    n = sum(counts.values())
    total_w = sum(w for _, _, w in bmap)
    print("  %-8s %6s %6s %8s %8s %7s %8s %7s %9s" %
          ("backend", "weight", "state", "expected", "wshare", "count",
           "n*p", "4sd", "new_flows"))
    for name, _, w in bmap:
        b = bk.get(name)
        if b is None:
            c.fail("%sbackend %s listed by edgelbctl backends" % (label, name))
            continue
        p = float(b["expected_share"])
        ws = w / total_w
        sd = math.sqrt(n * p * (1 - p))
        print("  %-8s %6s %6s %8.4f %8.4f %7d %8.1f %7.1f %9s" %
              (name, b.get("weight"), b.get("state"), p, ws, counts[name],
               n * p, 4 * sd, b.get("new_flows")))
        c.check(int(b.get("weight", -1)) == w, "%s%s weight %s as configured "
                "(%d)" % (label, name, b.get("weight"), w))
        c.check(abs(p - ws) <= 0.01, "%s%s expected_share %.4f within 0.01 "
                "of weight share %.4f" % (label, name, p, ws))
        if w == 0:
            c.check(b.get("state") == "drained", "%s%s (weight 0) state is "
                    "\"drained\" (got %r)" % (label, name, b.get("state")))
            c.check(counts[name] == 0 and p == 0.0,
                    "%s%s (weight 0) got ZERO of %d new connections "
                    "(got %d; expected_share %.4f)" %
                    (label, name, n, counts[name], p))
        else:
            c.check(abs(counts[name] - n * p) <= 4 * sd,
                    "%s%s got %d of %d, expected %.1f +- %.1f (4 sd)" %
                    (label, name, counts[name], n, n * p, 4 * sd))


def check_new_flows(label, bmap, counts, before_bk, after_bk, what):
    for name, _, _ in bmap:
        d = int(after_bk.get(name, {}).get("new_flows", 0)) - \
            int(before_bk.get(name, {}).get("new_flows", 0))
        c.check(d == counts[name], "%s%s edgelbctl new_flows rose by %d, "
                "the backend logged %d %s" % (label, name, d, counts[name],
                                              what))


def cmd_dispatch(a):
    vip, proto, port = a["--vip"], a["--proto"], int(a["--port"])
    logname, bmap = a["--log"], parse_map(a["--map"])
    before = json.load(open(a["--before"]))
    distinct = "--distinct" in a
    label = "%s: " % vip
    what = "distinct client tuples" if distinct else "connections"

    counts, logs = run_counts(bmap, logname, before, distinct)
    n = sum(counts.values())
    c.check(n >= int(a["--min"]), "%s%d new %s logged in the run (want >= "
            "%s)" % (label, n, what, a["--min"]))
    exact_dispatch(proto, port, logs, a.get("--want-source"), label)
    for idx in (int(x) for x in a.get("--absent", "").split(",") if x):
        lines = read_log(idx, logname)
        c.check(not lines, "%sbackend namespace b%d (not in the pool) "
                "logged nothing in %s (%d lines)" %
                (label, idx, logname, len(lines)))
    after_bk = vip_backends(c.ctl("backends"), vip)
    before_bk = vip_backends(before["backends"], vip)
    c.check(set(after_bk) == set(x[0] for x in bmap),
            "%sbackends lists %s for VIP %s (want %s)" %
            (label, sorted(after_bk), vip, sorted(x[0] for x in bmap)))
    check_shares(label, bmap, counts, after_bk)
    check_new_flows(label, bmap, counts, before_bk, after_bk, what)
    d = vip_stat(c.ctl("stats"), vip, "new_flows") - \
        vip_stat(before["stats"], vip, "new_flows")
    c.check(d == n, "%sVIP new_flows rose by %d, sum of logged %s %d" %
            (label, d, what, n))


def cmd_udp_client(a):
    s = json.load(open(a["--summary"]))
    n = int(a["--n"])
    print("  client: %d sent, %d answered, %d failed, %d resends, "
          "%d wrong-source replies, %d distinct source ports, %.2f s" %
          (s["attempted"], s["ok"], s["failed"], s["resends"],
           s["wrong_source"], s["distinct_ports"], s["elapsed_s"]))
    c.check(s["ok"] >= n and s["failed"] == 0, "every datagram answered: "
            "%d of %d (errors %s)" % (s["ok"], n, json.dumps(s["errors"])))
    c.check(s["wrong_source"] == 0, "no reply from a source other than "
            "VIP:%s (got %d)" % (a["--port"], s["wrong_source"]))
    c.check(s["distinct_ports"] == s["ok"], "each datagram from its own "
            "source port (%d ports for %d sockets)" % (s["distinct_ports"],
                                                       s["ok"]))
    c.check(s.get("again_same") == s["ok"] and s.get("again_other") == 0,
            "second datagram from the same port reached the same backend: "
            "%s of %d (%s elsewhere)" % (s.get("again_same"), s["ok"],
                                         s.get("again_other")))
    # The backend that answered is the one whose responder logged it.
    logged, not_vip, total = {}, 0, 0
    for i in (1, 2, 3):
        for ln in read_log(i, a["--udp-log"]):
            logged.setdefault((ln[0], ln[1]), set()).add("web%d" % i)
            total += 1
            not_vip += ln[2] != VIP
    c.check(not_vip == 0, "every one of the %d datagrams the responders "
            "logged was addressed to the VIP (%d not)" % (total, not_vip))
    bad = 0
    for line in open(a["--log"]):
        parts = line.split()
        names = logged.get((CLIENT_ADDR, int(parts[0])), set())
        if names != {parts[1]}:
            bad += 1
            if bad <= 5:
                print("  client port %s answered by %s, logged by %s" %
                      (parts[0], parts[1], sorted(names)))
    c.check(bad == 0, "each answer came from the responder that logged the "
            "tuple (%d disagree)" % bad)


def nstat_value(path, key):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == key:
                return int(parts[1])
    return 0


def drops_table(before, after):
    b, a = c.drops_sum(before), c.drops_sum(after)
    return {k: v - b.get(k, 0) for k, v in sorted(a.items())}


def cmd_load(a):
    vip, bmap, logname = "web", parse_map(a["--map"]), a["--log"]
    before = json.load(open(a["--before"]))
    wrk = json.load(open(a["--wrk"]))
    conns = int(a["--conns"])
    label = a.get("--label", "")
    err = wrk["errors"]
    print("  wrk: %d requests in %.2f s, %.0f req/s, latency mean %.2f ms "
          "p99 %.2f ms max %.2f ms; errors %s" %
          (wrk["requests"], wrk["duration_us"] / 1e6,
           wrk["requests"] / (wrk["duration_us"] / 1e6),
           wrk["latency_mean_us"] / 1e3, wrk["latency_p99_us"] / 1e3,
           wrk["latency_max_us"] / 1e3, json.dumps(err, sort_keys=True)))
    c.check(wrk["requests"] > 0, "%swrk completed %d requests" %
            (label, wrk["requests"]))
    c.check(all(err[k] == 0 for k in ("connect", "read", "write",
                                       "timeout")),
            "%swrk: no socket errors (connect %d, read %d, write %d, "
            "timeout %d)" % (label, err["connect"], err["read"],
                             err["write"], err["timeout"]))
    c.check(err["status"] == 0, "%swrk: no error status (%d non-2xx/3xx)" %
            (label, err["status"]))

    counts, logs = run_counts(bmap, logname, before, False)
    lines = sum(counts.values())
    status = {}
    for name, idx, _ in bmap:
        b0 = before["logs"].get("b%d/%s" % (idx, logname), 0)
        for ln in logs[name][b0:]:
            st = ln[2] if len(ln) > 2 else "?"
            status[st] = status.get(st, 0) + 1
    c.check(set(status) == {"200"}, "%snginx logged only 200s: %s" %
            (label, json.dumps(status, sort_keys=True)))
    c.check(lines >= wrk["requests"], "%snginx logged %d requests, wrk "
            "completed %d" % (label, lines, wrk["requests"]))

    after_bk = vip_backends(c.ctl("backends"), vip)
    before_bk = vip_backends(before["backends"], vip)
    nf = {x[0]: int(after_bk[x[0]]["new_flows"]) -
          int(before_bk[x[0]]["new_flows"]) for x in bmap}
    total_nf = sum(nf.values())
    opens = nstat_value(a["--client-after"], "TcpActiveOpens") - \
        nstat_value(a["--client-before"], "TcpActiveOpens")
    syn_re = nstat_value(a["--client-after"], "TcpExtTCPSynRetrans") - \
        nstat_value(a["--client-before"], "TcpExtTCPSynRetrans")
    sent = int(wrk["requests_sent"])
    for name, _, _ in bmap:
        print("  %-6s new_flows %7d  nginx lines %7d" %
              (name, nf[name], counts[name]))
    print("  total  new_flows %7d  nginx lines %7d  client connects %d "
          "(SYN retransmissions %d)  requests wrk wrote %d" %
          (total_nf, lines, opens, syn_re, sent))
    # Every connection the client's kernel opened is one new flow, and
    # every request that left the client is one nginx line. Connections
    # without a request: wrk's start-up probe (wrk.resolve connects once
    # to the address to check it, then closes) and, at the end, at most
    # one per wrk connection that wrk's stop caught between connect and
    # request.
    c.check(total_nf == opens, "%ssum of new_flows %d == connections the "
            "client's kernel opened %d (TcpActiveOpens)" %
            (label, total_nf, opens))
    c.check(lines == sent, "%snginx access-log lines %d == requests wrk "
            "wrote %d" % (label, lines, sent))
    cut = opens - sent
    c.check(total_nf == lines + cut and 0 <= cut <= conns + 1 and
            all(nf[x[0]] >= counts[x[0]] for x in bmap),
            "%ssum of new_flows %d == nginx access-log lines %d + %d "
            "connections without a request (wrk's start-up probe + those "
            "its stop cut before the request: <= 1 + %d)" %
            (label, total_nf, lines, cut, conns))
    exact_dispatch("tcp", 80, logs, None, label)

    after = c.ctl("stats")
    fl = {k: int(after["flows"].get(k, 0)) -
          int(before["stats"]["flows"].get(k, 0))
          for k in ("lookups", "hits", "misses", "inserts", "fallbacks",
                    "expiries", "reschedules")}
    # reschedules: a SYN reusing a closing flow's tuple (the client's
    # ports wrap several times in a run).
    print("  flow table during the run: %s" % json.dumps(fl, sort_keys=True))
    drops = drops_table(before["stats"], after)
    print("  drops during the run (reason: count; zeros left out): %s" %
          json.dumps({k: v for k, v in drops.items() if v},
                     sort_keys=True))
    bad = {k: v for k, v in drops.items() if v and
           (k in FORBIDDEN_DROPS or k.startswith(FORBIDDEN_PREFIXES))}
    c.check(not bad, "%sno drop for tx_full, ctl_ring_full, "
            "neigh_unresolved, no_backend or malformed ipv4_*/tcp_*/udp_* "
            "(got %s)" % (label, json.dumps(bad, sort_keys=True)))
    # What may be left: frames a real segment carries that are not the
    # VIP's (l2_not_for_us: net_af_packet shows the port its own
    # transmissions and the bridge floods unknown unicast; arp_not_ours:
    # ARP requests the backends broadcast for the client).
    allowed = ("l2_not_for_us", "arp_not_ours")
    other = {k: v for k, v in drops.items() if v and k not in allowed and
             k not in bad}
    c.check(not other, "%sno other drop reason rose (allowed: %s; got %s)" %
            (label, ", ".join(allowed), json.dumps(other, sort_keys=True)))


def cmd_flow_hits(a):
    before = json.load(open(a["--before"]))["stats"]["flows"]
    after = c.ctl("stats")["flows"]
    d = {k: int(after.get(k, 0)) - int(before.get(k, 0))
         for k in ("lookups", "hits", "misses", "inserts", "fallbacks")}
    print("  flow table during the run: %s" % json.dumps(d, sort_keys=True))
    c.check(d["hits"] >= int(a["--min"]), "flow-table hits rose by %d "
            "(want >= %s: every second datagram is a hit)" %
            (d["hits"], a["--min"]))
    c.check(d["fallbacks"] == 0, "no flow-table fallbacks (%d)" %
            d["fallbacks"])


def cmd_check_output(path, specs):
    """edgelbd --check output: a "vip NAME PROTO ADDR:PORT ..." line per
    VIP, then one row per backend: name, address, weight, weight share,
    expected share, slots. Each VIP spec is NAME:PROTO:PORT:MAP."""
    text = open(path).read().splitlines()
    bk = c.ctl("backends")
    for spec in specs:
        vip, proto, port, m = spec.split(":", 3)
        bmap = parse_map(m)
        head = "vip %s %s %s:%s " % (vip, proto, VIP, port)
        starts = [i for i, ln in enumerate(text) if ln.startswith(head)]
        if not c.check(len(starts) == 1, "--check prints VIP %s as %r" %
                       (vip, head.strip())):
            continue
        rows = {}
        for ln in text[starts[0] + 1:]:
            if ln.startswith("vip "):
                break
            t = ln.split()
            if len(t) >= 5 and t[-2].endswith("%"):
                rows[t[0]] = t
        c.check(sorted(rows) == sorted(x[0] for x in bmap),
                "--check lists %s under VIP %s (want %s)" %
                (sorted(rows), vip, sorted(x[0] for x in bmap)))
        live = vip_backends(bk, vip)
        total_w = sum(w for _, _, w in bmap)
        for name, _, w in bmap:
            t = rows.get(name)
            if t is None:
                continue
            exp = float(t[-2].rstrip("%")) / 100
            wsh = float(t[-3].rstrip("%")) / 100
            d = float(live.get(name, {}).get("expected_share", -1))
            c.check(int(t[2]) == w and abs(wsh - w / total_w) <= 0.00005 and
                    abs(exp - d) <= 0.00005,
                    "--check %s/%s: weight %s, weight share %s, expected "
                    "share %s (daemon's expected_share %.6f)" %
                    (vip, name, t[2], t[-3], t[-2], d))


def parse_flags(rest):
    """ "--flag value" pairs; a flag followed by another flag stands alone
    (True). Shared with check_runtime.py."""
    args, i = {}, 0
    while i < len(rest):
        if i + 1 < len(rest) and not rest[i + 1].startswith("--"):
            args[rest[i]] = rest[i + 1]
            i += 2
        else:
            args[rest[i]] = True
            i += 1
    return args


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, rest = argv[1], argv[2:]
    args = parse_flags(rest)
    try:
        if cmd == "snapshot":
            cmd_snapshot(rest[0])
        elif cmd == "dispatch":
            cmd_dispatch(args)
        elif cmd == "udp-client":
            cmd_udp_client(args)
        elif cmd == "load":
            cmd_load(args)
        elif cmd == "check-output":
            cmd_check_output(rest[0], rest[1:])
        elif cmd == "flow-hits":
            cmd_flow_hits(args)
        elif cmd == "per-core":
            c.check_per_core(int(rest[0]))
        else:
            sys.exit("unknown subcommand " + cmd)
    except (RuntimeError, OSError, ValueError, KeyError, TypeError,
            subprocess.TimeoutExpired) as e:
        c.fail("%s: %s: %s" % (cmd, type(e).__name__, e))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

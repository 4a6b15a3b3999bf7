#!/usr/bin/python3
"""Checks of the flood tests (test_synflood.sh, test_collide.sh), called
through t_pyscript in lib.sh. Prints "PASS: ID: ..." / "FAIL: ID: ..."
lines; exits 1 if anything failed.

Environment: T_ID, ELBD_SOCK, EDGELBCTL, WORKDIR, VIP.

  snapshot OUT                  stats, stats --per-core, backends
  sample OUT STOP_FILE          stats --per-core every 0.2 s until
                                STOP_FILE exists (run in the background)
  held OUT PORT_FILE [--same EARLIER]
                                lookup every held connection: source
                                "flow", state "established", its backend in
                                OUT (and the same as in EARLIER)
  flood BEFORE AFTER SAMPLES FLOOD_JSON CAPACITY
                                the table stayed bounded, embryonic entries
                                were evicted, counters add up; prints the
                                rate the appliance took
  settled BEFORE TIMEOUT_S      embryonic entries all expired (gauge 0),
                                counted as syn_expiries
  shares BEFORE AFTER FLOOD_JSON POOL TUPLES_FILE
                                the colliding set spread over POOL's
                                backends as expected_share says, each
                                within a binomial bound; lookup agrees
  clients HOLDS_JSON NEW_JSON MIN_NEW
                                every held connection got every reply, every
                                new connection succeeded
"""

import json
import math
import os
import subprocess
import sys
import time

# The reporting, edgelbctl and failure count of check.py, shared.
import check as base
from check import VIP, check, ctl


def snapshot():
    return {"t": time.time(), "stats": ctl("stats"),
            "per_core": ctl("stats", "--per-core"),
            "backends": ctl("backends")}


def cmd_snapshot(out):
    with open(out, "w") as f:
        json.dump(snapshot(), f)


def cmd_sample(out, stop_file):
    samples = []
    while not os.path.exists(stop_file):
        try:
            pc = ctl("stats", "--per-core")
            samples.append({"t": time.time(), "workers": [
                {k: w.get(k) for k in ("flow_table_entries",
                                       "flow_table_capacity", "embryonic",
                                       "rx_packets")}
                for w in pc["workers"]]})
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            samples.append({"t": time.time(), "error": str(e)[:200]})
        time.sleep(0.2)
    with open(out, "w") as f:
        json.dump(samples, f)


def held_tuples(port_file):
    out = []
    for line in open(port_file):
        ip, port = line.split()
        out.append((ip, int(port)))
    return out


def cmd_held(out, port_file, earlier=None):
    tuples = held_tuples(port_file)
    text = "".join("tcp %s %d %s 80\n" % (ip, p, VIP) for ip, p in tuples)
    ans = ctl("lookup", "-", stdin=text)
    got = {}
    bad = []
    for (ip, p), a in zip(tuples, ans):
        got["%s:%d" % (ip, p)] = a.get("backend")
        if a.get("source") != "flow" or a.get("state") != "established":
            bad.append(a)
    check(not bad, "lookup: all %d held connections are in a flow table, "
          "established (%d are not: %s)" % (len(tuples), len(bad),
                                           json.dumps(bad[:2])))
    if earlier is not None:
        before = json.load(open(earlier))
        moved = [k for k in got if before.get(k) != got[k]]
        check(not moved, "every held connection kept its backend through "
              "the flood (%d moved)" % len(moved))
    with open(out, "w") as f:
        json.dump(got, f)


def flows(snap):
    return snap["stats"]["flows"]


def rx(snap):
    return sum(int(p.get("rx_packets", 0)) for p in snap["stats"]["ports"])


def cmd_flood(before_file, after_file, samples_file, flood_file, capacity):
    b = json.load(open(before_file))
    a = json.load(open(after_file))
    samples = json.load(open(samples_file))
    flood = json.load(open(flood_file))
    capacity = int(capacity)
    d = {k: int(flows(a)[k]) - int(flows(b).get(k, 0))
         for k in flows(a) if k not in ("entries", "embryonic")}
    took = float(flood["seconds"])
    got = rx(a) - rx(b)
    print("  flood: sent %d SYNs in %.2f s (%d/s); the appliance received "
          "%d packets in the same window" % (flood["sent"], took,
                                             flood["pps"], got))
    print("  flow counters during the flood: %s" % json.dumps(d,
                                                             sort_keys=True))
    ok_samples = [s for s in samples if "workers" in s]
    check(len(ok_samples) >= 5, "%d samples of the table during the flood" %
          len(ok_samples))
    worst = max((int(w["flow_table_entries"]) for s in ok_samples
                 for w in s["workers"]), default=-1)
    emb = max((int(w["embryonic"]) for s in ok_samples
               for w in s["workers"]), default=-1)
    check(0 <= worst <= capacity, "flow table bounded: at most %d entries "
          "per worker seen (capacity %d)" % (worst, capacity))
    check(worst == capacity, "the flood filled the table (%d of %d)" %
          (worst, capacity))
    check(emb <= capacity, "at most %d embryonic entries seen" % emb)
    check(d["evictions"] > 0, "embryonic entries evicted for new SYNs: %d"
          % d["evictions"])
    check(d["inserts"] >= d["evictions"], "every eviction made room for an "
          "insert (%d inserts, %d evictions)" % (d["inserts"],
                                                 d["evictions"]))
    check(got >= flood["sent"] * 0.5, "the appliance received at least half"
          " of what was sent (%d of %d; the rest was lost before it, in the "
          "kernel)" % (got, flood["sent"]))
    # Every SYN the appliance took made an entry, evicted one, or went by
    # the stateless choice: none was dropped for lack of room.
    drops = sum(int(v) for p in a["stats"]["ports"]
                for k, v in p["drops"].items()) - \
        sum(int(v) for p in b["stats"]["ports"]
            for k, v in p["drops"].items())
    print("  drops during the flood: %d (by reason: %s)" % (drops, json.dumps(
        {k: v for p in a["stats"]["ports"] for k, v in p["drops"].items()
         if v})))
    check(d["misses"] >= d["inserts"] - d["evictions"],
          "misses %d account for the new entries" % d["misses"])


def embryonic_now():
    return sum(int(w.get("embryonic", 0))
               for w in ctl("stats", "--per-core")["workers"])


def cmd_settled(before_file, timeout):
    b = json.load(open(before_file))
    deadline = time.time() + float(timeout)
    n = embryonic_now()
    while n > 0 and time.time() < deadline:
        time.sleep(0.5)
        n = embryonic_now()
    a = ctl("stats")["flows"]
    exp = int(a["syn_expiries"]) - int(flows(b)["syn_expiries"])
    check(n == 0, "every embryonic entry left within %s s of the flood's end"
          " (%d left)" % (timeout, n))
    check(exp > 0, "those that were not evicted expired after "
          "tcp_syn_timeout: syn_expiries +%d" % exp)
    print("  after: entries %s embryonic %s inserts %s evictions %s "
          "fallbacks %s promotions %s untracked %s syn_expiries %s" % (
              a["entries"], a["embryonic"], a["inserts"], a["evictions"],
              a["fallbacks"], a["promotions"], a["untracked"],
              a["syn_expiries"]))


def cmd_shares(before_file, after_file, flood_file, pool, tuples_file):
    b = json.load(open(before_file))
    a = json.load(open(after_file))
    flood = json.load(open(flood_file))
    b0 = {x["name"]: x for x in b["backends"] if x["pool"] == pool}
    b1 = {x["name"]: x for x in a["backends"] if x["pool"] == pool}
    counts = {k: int(b1[k]["new_flows"]) - int(b0[k]["new_flows"])
              for k in b1}
    n = sum(counts.values())
    print("  colliding set: %d tuples, all with old CRC hash %s; %d sent in "
          "%.2f s" % (flood["tuples"], flood["old_crc_hash"], flood["sent"],
                      flood["seconds"]))
    check(n >= 0.9 * flood["sent"], "the appliance scheduled %d of the %d "
          "SYNs of the colliding set" % (n, flood["sent"]))
    # The bound: 4.5 binomial standard deviations of the share the
    # table gives (a false alarm about once in 150 000 per backend).
    k = 4.5
    print("  %-6s %9s %8s %9s %9s" % ("name", "expected", "count", "n*p",
                                      "4.5 sd"))
    for name in sorted(counts):
        p = float(b1[name]["expected_share"])
        sd = math.sqrt(n * p * (1 - p))
        print("  %-6s %9.4f %8d %9.1f %9.1f" % (name, p, counts[name], n * p,
                                                k * sd))
        check(abs(counts[name] - n * p) <= k * sd + 1,
              "%s took %d of %d colliding flows: its share %.4f within "
              "%.1f sd of %.4f" % (name, counts[name], n,
                                   counts[name] / n if n else 0, k, p))
    # lookup names the same spread (the scheduler's answer for these
    # tuples, or the entries the workers hold): a sample of 1000.
    lines = open(tuples_file).read().splitlines()
    step = max(1, len(lines) // 1000)
    sample = lines[::step][:1000]
    ans = []
    for i in range(0, len(sample), 1000):
        ans += ctl("lookup", "-", stdin="\n".join(sample[i:i + 1000]) + "\n")
    seen = {}
    for x in ans:
        seen[x.get("backend")] = seen.get(x.get("backend"), 0) + 1
    print("  lookup of %d of them: %s" % (len(ans), json.dumps(seen,
                                                              sort_keys=True)))
    check(len(seen) == len(counts) and None not in seen,
          "lookup spreads the colliding tuples over all %d backends" %
          len(counts))


def cmd_clients(holds_file, new_file, min_new):
    h = json.load(open(holds_file))
    c = json.load(open(new_file))
    bad = [x for x in h["connections"] if x["errors"] or
           x["ok"] != x["requests"] or len(x["backends"]) != 1]
    check(not bad and h["ok"] > 0, "%d held connections: %d requests, all "
          "answered, each by one backend (%d with errors%s)" % (
              len(h["connections"]), h["requests"], len(bad),
              ": " + json.dumps(bad[:2]) if bad else ""))
    check(c.get("failed", 1) == 0 and c.get("ok", 0) >= int(min_new),
          "new connections during the flood: %s ok, %s failed (want 0 "
          "failed, >= %s ok) %s" % (c.get("ok"), c.get("failed"), min_new,
                                    json.dumps(c.get("errors", {}))))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "snapshot":
        cmd_snapshot(*args)
    elif cmd == "sample":
        cmd_sample(*args)
    elif cmd == "held":
        if len(args) == 4 and args[2] == "--same":
            cmd_held(args[0], args[1], args[3])
        else:
            cmd_held(*args)
    elif cmd == "flood":
        cmd_flood(*args)
    elif cmd == "settled":
        cmd_settled(*args)
    elif cmd == "shares":
        cmd_shares(*args)
    elif cmd == "clients":
        cmd_clients(*args)
    else:
        raise SystemExit("check_flood.py: unknown command %r" % cmd)
    return 1 if base.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""Checks of a running edgelb's changes (reload, weight, drain, rollback,
history, audit, access) for the integration tests; called through t_pyr in
lib.sh. Prints "PASS: ID: ..." / "FAIL: ID: ..." lines; exits 1 if anything
failed.

Environment: T_ID, ELBD_SOCK, EDGELBCTL, EDGELBD, WORKDIR, VIP, CLIENT_ADDR,
CONF (the daemon's INI file).

  churn --rounds N --seed S --out JSON [--pace-ms MS]
        N rounds of (MS ms apart): rewrite the backends' weights in CONF, `reload`; then
        one `weight` change. Every call succeeds and moves the generation
        by one; each reload discards exactly the previous round's weight
        change. OUT: generations, final weights, timings.
  history-gens --churn JSON
        the generation moved exactly by the churn's changes: status and
        history agree, each step one of our commands, by uid 0
  holds --summary JSON [--min-requests N] [--log FILE] [--skip-ports P,..]
        every keep-alive connection: no error, and all its requests are
        in one backend's access.log (that of the replies), as many lines as
        requests
  batch --before SNAP --map MAP --min N [--port P] [--log FILE]
        connections logged since SNAP: exact dispatch per tuple, shares
        within 4 sd of expected_share, expected_share within 0.01 of the
        weight share, new_flows rose by the logged counts
  pick-ports --port P --names N1,N2,.. --per K --out FILE
        source ports of CLIENT_ADDR that the scheduler sends to each named
        backend (K each), "PORT NAME" lines, from lookup
  identity --before SNAP --holds JSON ... (see cmd_identity)
  reload-errors --file F --lines L1,L2,..
        reload F is refused: exit 1, one error per given line, each
        "F:LINE: ..."; generation and backends unchanged; history and the
        audit log record the refusal with every error
  refused-key --file F --key K
        reload F (changing K, not runtime) is refused naming K
  diff-good --file F --weights NAME:OLD:NEW,...
        diff F lists exactly these weight changes and applies nothing
  hist-last --kind K --command PREFIX
        the last history record: who.kind K, command PREFIX..., ok
  audit --uid U --refused "CMD|CMD.." --allowed "CMD|.."
        audit log and history record each CMD of uid U once, refused or
        ok, and nothing else of U
  lookup-save --port P --from A --n N --out FILE
        the daemon's answer for N tuples (scheduler's choice, no flows)
  lookup-same A B [--differ]
        two saved answers are identical (or differ in at least one tuple)
  config-roundtrip
        `config` passes edgelbd --check; --check's slots equal the running
        expected_share * M exactly; `diff` of it changes nothing
  shapes
        every runtime command with good and bad arguments: exit codes and
        JSON shapes
  slow-clients --big-kib N
        an oversized request and a half-sent one do not delay `status`
"""

import json
import math
import os
import random
import re
import socket
import subprocess
import sys
import time

import check as c
import check_more as m

WORKDIR = os.environ.get("WORKDIR", ".")
VIP = os.environ.get("VIP", "")
CLIENT_ADDR = os.environ.get("CLIENT_ADDR", "")
CONF = os.environ.get("CONF", "")
EDGELBD = os.environ.get("EDGELBD", "edgelbd")


def ctl_raw(*args, stdin=None, prefix=(), timeout=60):
    """edgelbctl -j ARGS: (exit code, parsed JSON or None, stderr)."""
    r = subprocess.run(list(prefix) + [c.CTL, "-s", c.SOCK, "-j"] +
                       list(args), input=stdin, capture_output=True,
                       text=True, timeout=timeout)
    try:
        v = json.loads(r.stdout)
    except ValueError:
        v = None
    return r.returncode, v, r.stderr


def generation():
    return int(c.ctl("status")["generation"])


def set_weights(path, weights):
    """Rewrite `weight = N` of each [backend.NAME] in weights."""
    out, sect = [], None
    for line in open(path).read().splitlines():
        s = line.strip()
        if s.startswith("["):
            sect = s.strip("[]")
        elif sect and sect.startswith("backend.") and \
                re.match(r"weight\s*=", s):
            name = sect[len("backend."):]
            if name in weights:
                line = "weight = %d" % weights[name]
        out.append(line)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.rename(tmp, path)


def type_ok(v, t):
    if t is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t is int:
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, t)


def shape(obj, spec, what):
    """obj has every key of spec with the given type; returns the keys that
    are missing or mistyped (printed) and PASS/FAILs once."""
    bad = []
    if not isinstance(obj, dict):
        c.fail("%s is a JSON object (got %s)" % (what, type(obj).__name__))
        return False
    for k, t in spec.items():
        if k not in obj:
            bad.append("%s missing" % k)
        elif not any(type_ok(obj[k], x) for x in
                     (t if isinstance(t, tuple) else (t,))):
            bad.append("%s is %s" % (k, type(obj[k]).__name__))
    return c.check(not bad, "%s has keys %s with their types%s" %
                   (what, ",".join(sorted(spec)),
                    (": " + "; ".join(bad)) if bad else ""))


CHANGE = {"section": str, "key": str, "old": str, "new": str}
BCHANGE = {"name": str, "id": int, "change": str, "weight_old": int,
           "weight_new": int, "state_old": str, "state_new": str,
           "share_old": float, "share_new": float}
WHO = {"kind": str}
PEER = {"kind": str, "uid": int, "gid": int, "pid": int, "comm": str}
HIST = {"time": str, "generation_before": int, "generation": int,
        "who": dict, "command": str, "result": str}
BACKEND = {"vip": str, "pool": str, "name": str, "id": int, "address": str,
           "weight": int, "state": str, "reason": str,
           "expected_share": float, "observed_share": float,
           "new_flows": int, "flows": int, "packets": int, "bytes": int}


def check_change_answer(ans, what, gen_before=None):
    ok = shape(ans, {"generation_before": int, "generation": int,
                     "changes": list, "backends": list}, what)
    if ok:
        for i, ch in enumerate(ans["changes"][:1]):
            shape(ch, CHANGE, "%s changes[%d]" % (what, i))
        for i, b in enumerate(ans["backends"][:1]):
            shape(b, BCHANGE, "%s backends[%d]" % (what, i))
        if gen_before is not None:
            c.check(ans["generation_before"] == gen_before and
                    ans["generation"] == gen_before + 1,
                    "%s: generation %s -> %s (want %d -> %d)" %
                    (what, ans["generation_before"], ans["generation"],
                     gen_before, gen_before + 1))
    return ok


# ---- churn (test_reload_load) --------------------------------------------

def cmd_churn(a):
    rounds, rng = int(a["--rounds"]), random.Random(int(a["--seed"]))
    names = ["web1", "web2", "web3"]
    file_w = {"web1": 1, "web2": 2, "web3": 3}
    g0 = generation()
    gen = g0
    times = {"reload": [], "weight": []}
    bad = {"reload": [], "weight": []}
    discard_bad = []
    last_weight_cmd = None
    t_start = time.monotonic()
    running = dict(file_w)
    pace = float(a.get("--pace-ms", 0)) / 1e3
    for i in range(rounds):
        if pace:
            time.sleep(pace)
        # New file weights: 1..9 each, never the vector already running,
        # so that every reload rebuilds the Maglev table.
        while True:
            w = {n: rng.randint(1, 9) for n in names}
            if w != running:
                break
        set_weights(CONF, w)
        t0 = time.monotonic()
        rc, ans, err = ctl_raw("reload")
        times["reload"].append(time.monotonic() - t0)
        if rc != 0 or not isinstance(ans, dict) or \
                ans.get("generation") != gen + 1 or \
                ans.get("generation_before") != gen:
            bad["reload"].append((i, rc, ans, err))
        else:
            disc = ans.get("discarded")
            want = [] if last_weight_cmd is None else [last_weight_cmd]
            got = [d.get("command") for d in disc] \
                if isinstance(disc, list) else disc
            if got != want:
                discard_bad.append((i, want, disc))
        gen += 1
        file_w, running = dict(w), dict(w)
        name = rng.choice(names)
        nw = rng.randint(1, 9)
        while nw == running[name]:
            nw = rng.randint(1, 9)
        if pace:
            time.sleep(pace)
        t0 = time.monotonic()
        rc, ans, err = ctl_raw("weight", name, str(nw))
        times["weight"].append(time.monotonic() - t0)
        if rc != 0 or not isinstance(ans, dict) or \
                ans.get("generation") != gen + 1:
            bad["weight"].append((i, rc, ans, err))
        gen += 1
        running[name] = nw
        last_weight_cmd = "weight %s %d" % (name, nw)
    took = time.monotonic() - t_start
    for k in ("reload", "weight"):
        ts = sorted(times[k])
        print("  %d %s calls: median %.1f ms, p99 %.1f ms, max %.1f ms" %
              (len(ts), k, 1e3 * ts[len(ts) // 2],
               1e3 * ts[min(len(ts) - 1, int(len(ts) * 0.99))],
               1e3 * ts[-1]))
        for x in bad[k][:3]:
            print("  %s round %d: exit %s answer %s %s" %
                  (k, x[0], x[1], json.dumps(x[2])[:300], x[3][:200]))
        c.check(not bad[k], "%d of %d `%s` calls applied, each moving the "
                "generation by exactly one" %
                (rounds - len(bad[k]), rounds, k))
    for x in discard_bad[:3]:
        print("  reload round %d: discarded %s, want commands %s" %
              (x[0], json.dumps(x[2])[:300], x[1]))
    c.check(not discard_bad, "every reload's \"discarded\" lists exactly the "
            "runtime weight change made since the previous reload "
            "(%d wrong)" % len(discard_bad))
    busy = sum(times["reload"]) + sum(times["weight"])
    print("  applied %d reloads and %d weight changes in %.2f s "
          "(%.1f changes/s; %.2f s in edgelbctl calls, the rest %.0f ms "
          "pauses between them)" % (rounds, rounds, took, 2 * rounds / took,
                                    busy, pace * 1e3))
    out = {"generation_before": g0, "generation_after": gen,
           "final_weights": running, "file_weights": file_w,
           "last_command": last_weight_cmd, "seconds": took,
           "rounds": rounds}
    with open(a["--out"], "w") as f:
        json.dump(out, f)
    bk = {b["name"]: b for b in c.ctl("backends")}
    c.check({n: bk[n]["weight"] for n in names} == running,
            "backends shows the last weights %s" %
            json.dumps(running, sort_keys=True))


def cmd_history_gens(a):
    ch = json.load(open(a["--churn"]))
    g0, g1, rounds = ch["generation_before"], ch["generation_after"], \
        ch["rounds"]
    st = c.ctl("status")
    c.check(st["generation"] == g1 == g0 + 2 * rounds,
            "status generation %s == %d + %d changes" %
            (st["generation"], g0, 2 * rounds))
    c.check(st.get("generation_command") == ch["last_command"],
            "status generation_command is the last change %r (got %r)" %
            (ch["last_command"], st.get("generation_command")))
    c.check(st.get("runtime_changes") == 1 and
            st.get("differs_from_file") is True,
            "status: 1 runtime change since the last reload, differs from "
            "the file (runtime_changes %r, differs_from_file %r)" %
            (st.get("runtime_changes"), st.get("differs_from_file")))
    hist = c.ctl("history", "1000")["history"]
    steps = [h for h in hist if h["generation"] != h["generation_before"]
             and h["generation"] > g0]
    gens = [(h["generation_before"], h["generation"]) for h in steps]
    c.check(gens == [(g, g + 1) for g in range(g0, g1)],
            "history: %d generation steps after %d, contiguous %d..%d "
            "(want %d)" % (len(steps), g0, g0, g1, g1 - g0))
    kinds = {}
    for h in steps:
        k = h["command"].split()[0]
        kinds[k] = kinds.get(k, 0) + 1
    c.check(kinds == {"reload": rounds, "weight": rounds},
            "history: the steps are %s (want %d reload, %d weight)" %
            (json.dumps(kinds, sort_keys=True), rounds, rounds))
    who = set((h["who"].get("kind"), h["who"].get("uid")) for h in steps)
    c.check(who == {("peer", 0)} and
            all(h["result"] == "ok" for h in steps),
            "history: every step ok, by a peer with uid 0 (%s)" %
            sorted(who, key=str))
    others = [h for h in hist if h["generation"] > g0 and
              h["generation"] == h["generation_before"] and
              h["result"] != "ok"]
    c.check(not others, "history: no refused or failed change during the "
            "run (%d)" % len(others))


def cmd_holds(a):
    s = json.load(open(a["--summary"]))
    minreq = int(a.get("--min-requests", 1))
    logs = {"web%d" % i: m.read_log(i, a.get("--log", "access.log"))
            for i in (1, 2, 3)}
    # Replies name the server (web1..web3), whatever the backend's name.
    where = {}
    for name, lines in logs.items():
        for ln in lines:
            where.setdefault((ln[0], ln[1]), {}).setdefault(name, 0)
            where[(ln[0], ln[1])][name] += 1
    errs, split, short, mism = [], [], [], []
    skip = set(int(x) for x in a.get("--skip-ports", "").split(",") if x)
    s["connections"] = [cn for cn in s["connections"]
                        if cn["local_port"] not in skip]
    s["requests"] = sum(cn["requests"] for cn in s["connections"])
    for cn in s["connections"]:
        t = (cn["local_ip"], cn["local_port"])
        w = where.get(t, {})
        if cn["errors"] or cn["ok"] != cn["requests"]:
            errs.append((t, cn["errors"]))
        if len(w) != 1:
            split.append((t, w))
        elif cn["requests"] < minreq:
            short.append((t, cn["requests"]))
        else:
            (name, n), = w.items()
            if cn["backends"] != [name] or n != cn["requests"]:
                mism.append((t, w, cn["backends"], cn["requests"]))
    n = len(s["connections"])
    print("  %d keep-alive connections, %d requests; per backend: %s" %
          (n, s["requests"], json.dumps(
              {b: sum(1 for cn in s["connections"] if cn["backends"] == [b])
               for b in logs}, sort_keys=True)))
    for x in errs[:5]:
        print("  error on %s:%d: %s" % (x[0][0], x[0][1], x[1]))
    c.check(not errs, "every request on the %d keep-alive connections "
            "answered (%d connections saw errors)" % (n, len(errs)))
    for x in split[:5]:
        print("  %s:%d logged by %s" % (x[0][0], x[0][1], x[1]))
    c.check(not split, "every keep-alive connection logged by exactly one "
            "backend (%d not)" % len(split))
    c.check(not short, "every keep-alive connection made >= %d requests "
            "(%d made fewer)" % (minreq, len(short)))
    for x in mism[:5]:
        print("  %s:%d logged %s, replies from %s, %d requests" %
              (x[0][0], x[0][1], x[1], x[2], x[3]))
    c.check(not mism, "each keep-alive connection's backend logged all its "
            "requests and sent all its replies (%d disagree)" % len(mism))


def cmd_batch(a):
    bmap = m.parse_map(a["--map"])
    before = json.load(open(a["--before"]))
    port = int(a.get("--port", 80))
    logname = a.get("--log", "access.log")
    vip = a.get("--vip", "web")
    counts, logs = m.run_counts(bmap, logname, before, False)
    new = {}
    for name, idx, _ in bmap:
        b0 = before["logs"].get("b%d/%s" % (idx, logname), 0)
        new[name] = logs[name][b0:]
    n = sum(counts.values())
    c.check(n >= int(a["--min"]), "%d new connections logged (want >= %s)" %
            (n, a["--min"]))
    m.exact_dispatch("tcp", port, new)
    after = m.vip_backends(c.ctl("backends"), vip)
    m.check_shares("", bmap, counts, after)
    m.check_new_flows("", bmap, counts, m.vip_backends(before["backends"],
                                                        vip), after,
                      "connections")


# ---- identity (test_identity) --------------------------------------------

def cmd_pick_ports(a):
    port, per = int(a["--port"]), int(a["--per"])
    names = a["--names"].split(",")
    start = int(a.get("--from", 20000))
    tuples = [(CLIENT_ADDR, p, VIP, port) for p in range(start, start + 1000)]
    ans = c.lookup_many(tuples)
    got = {n: [] for n in names}
    for t, x in zip(tuples, ans):
        b = x.get("backend")
        if b in got and len(got[b]) < per and x.get("source") == "scheduler":
            got[b].append(t[1])
    c.check(all(len(v) == per for v in got.values()),
            "lookup found %d source ports for each of %s on :%d" %
            (per, ",".join(names), port))
    with open(a["--out"], "w") as f:
        for n in names:
            for p in got[n]:
                f.write("%d %s\n" % (p, n))


def flows_of(bk, name):
    return bk.get(name, {}).get("flows")


def cmd_backends_save(a):
    with open(a["--out"], "w") as f:
        json.dump({"backends": c.ctl("backends"), "stats": c.ctl("stats"),
                   "logs": m.all_log_counts()}, f)


def cmd_holds_on(a):
    """Open keep-alive connections (port file PORT NAME) are on NAME per
    lookup (source flow) and `backends` counts them in flows."""
    port = int(a["--port"])
    picks = [ln.split() for ln in open(a["--picks"]) if ln.strip()]
    ans = c.lookup_many([(CLIENT_ADDR, int(p), VIP, port) for p, _ in picks])
    bad = [(p, n, x) for (p, n), x in zip(picks, ans)
           if x.get("source") != "flow" or x.get("backend") != n]
    for p, n, x in bad[:5]:
        print("  :%d port %s: want flow on %s, lookup %s" %
              (port, p, n, json.dumps(x)))
    c.check(not bad, "%s: lookup of the %d open connections: source flow on "
            "the backend they were opened to (%d not)" %
            (a.get("--label", ":%d" % port), len(picks), len(bad)))


def cmd_identity(a):
    """After the reload: remaining backends kept id, counters did not
    reset; a removed `keep` backend is listed "removed" with flows; a
    removed `reschedule` backend's flows moved."""
    before = json.load(open(a["--before"]))
    bk0 = {b["name"]: b for b in before["backends"]}
    bk1 = {b["name"]: b for b in c.ctl("backends")}
    remaining = a["--remaining"].split(",")
    for n in remaining:
        b0, b1 = bk0.get(n), bk1.get(n)
        if not c.check(b0 is not None and b1 is not None,
                       "%s listed before and after the reload" % n):
            continue
        c.check(b0["id"] == b1["id"], "%s keeps its identity %s across "
                "the reload (now %s)" % (n, b0["id"], b1["id"]))
        c.check(b1["new_flows"] >= b0["new_flows"] and
                b1["packets"] >= b0["packets"] and b1["bytes"] >=
                b0["bytes"] and b1["packets"] > 0,
                "%s counters did not reset: new_flows %d -> %d, packets "
                "%d -> %d" % (n, b0["new_flows"], b1["new_flows"],
                              b0["packets"], b1["packets"]))
    new_ids = set(b["id"] for n, b in bk1.items() if n not in bk0)
    old_ids = set(b["id"] for b in bk0.values())
    c.check(not (new_ids & old_ids), "added backends got fresh identities "
            "%s (not one of %s)" % (sorted(new_ids), sorted(old_ids)))
    keep = a.get("--removed-keep")
    if keep:
        b = bk1.get(keep)
        c.check(b is not None and b["state"] == "removed" and
                b["flows"] > 0 and b["id"] == bk0[keep]["id"],
                "%s (removed, on_remove keep) listed as state \"removed\" "
                "with its flows: %s" % (keep, json.dumps(
                    {k: b.get(k) for k in ("id", "state", "flows",
                                           "weight")} if b else None)))


def cmd_counters_grew(a):
    before = json.load(open(a["--before"]))
    bk0 = {b["name"]: b for b in before["backends"]}
    bk1 = {b["name"]: b for b in c.ctl("backends")}
    for n in a["--names"].split(","):
        b0, b1 = bk0[n], bk1[n]
        c.check(b1["packets"] > b0["packets"] and
                b1["new_flows"] >= b0["new_flows"],
                "%s counters kept counting after the reload: packets %d -> "
                "%d, new_flows %d -> %d" % (n, b0["packets"], b1["packets"],
                                            b0["new_flows"],
                                            b1["new_flows"]))


def cmd_rescheduled(a):
    """Connections on a removed backend of an on_remove=reschedule pool:
    each failed, removed_rescheduled rose by at least their number, and
    lookup puts each tuple on another backend of the pool."""
    before = json.load(open(a["--before"]))
    port = int(a["--port"])
    gone = a["--gone"]
    others = a["--others"].split(",")
    s = json.load(open(a["--summary"]))
    picks = [ln.split() for ln in open(a["--picks"]) if ln.strip()]
    on_gone = set(int(p) for p, n in picks if n == gone)
    conns = {cn["local_port"]: cn for cn in s["connections"]}
    failed = [p for p in on_gone if conns[p]["errors"]]
    c.check(len(failed) == len(on_gone) and on_gone,
            "all %d connections on %s saw their connection fail after the "
            "change (%d did: %s)" % (len(on_gone), gone, len(failed),
                                     sorted(set(
                                         e for p in failed
                                         for e in conns[p]["errors"]))))
    stay = [p for p in conns if p not in on_gone]
    c.check(all(not conns[p]["errors"] for p in stay),
            "the %d connections on %s saw no error" %
            (len(stay), ",".join(others)))
    d = int(c.ctl("stats")["flows"]["removed_rescheduled"]) - \
        int(before["stats"]["flows"]["removed_rescheduled"])
    c.check(d >= len(on_gone), "stats flows.removed_rescheduled rose by %d "
            "(>= %d connections moved off %s)" % (d, len(on_gone), gone))
    ans = c.lookup_many([(CLIENT_ADDR, p, VIP, port) for p in sorted(on_gone)])
    bad = [(p, x) for p, x in zip(sorted(on_gone), ans)
           if x.get("backend") not in others]
    for p, x in bad[:5]:
        print("  port %d: lookup %s" % (p, json.dumps(x)))
    c.check(not bad, "lookup of each of them names another backend of the "
            "pool (%s): %s" % (",".join(others), sorted(set(
                "%s/%s" % (x.get("source"), x.get("backend"))
                for x in ans))))
    # Flows it held before that were not ours (an earlier connection
    # reset by its new backend stays "established" until tcp_timeout).
    b = {x["name"]: x for x in c.ctl("backends")}.get(gone)
    f0 = {x["name"]: x for x in before["backends"]}[gone]["flows"]
    c.check(b is None or b.get("flows") == f0 - len(on_gone),
            "%s (reschedule) no longer holds them: flows %d before, now %s"
            % (gone, f0, json.dumps(b and {k: b.get(k) for k in
                                           ("state", "flows")})))
    # The request that failed reached no server that logs it under the
    # removed backend: its server logged exactly the answered requests.
    lines = {}
    for ln in m.read_log(int(a["--gone-idx"]), a["--log"]):
        if ln[1] in on_gone:
            lines[ln[1]] = lines.get(ln[1], 0) + 1
    extra = [(p, lines.get(p, 0), conns[p]["ok"]) for p in sorted(on_gone)
             if lines.get(p, 0) != conns[p]["ok"]]
    c.check(not extra, "%s's server logged exactly the requests answered "
            "before the reload, nothing after (%s)" %
            (gone, extra or "all %d equal" % len(on_gone)))


def cmd_kept(a):
    """Connections on a removed backend of an on_remove=keep pool kept
    being answered by its server after the reload."""
    before = json.load(open(a["--before"]))
    gone, idx, log = a["--gone"], int(a["--gone-idx"]), a["--log"]
    s = json.load(open(a["--summary"]))
    picks = [ln.split() for ln in open(a["--picks"]) if ln.strip()]
    on_gone = set(int(p) for p, n in picks if n == gone)
    conns = {cn["local_port"]: cn for cn in s["connections"]}
    b0 = before["logs"].get("b%d/%s" % (idx, log), 0)
    late = {}
    for ln in m.read_log(idx, log)[b0:]:
        if ln[1] in on_gone:
            late[ln[1]] = late.get(ln[1], 0) + 1
    c.check(all(late.get(p, 0) >= 3 for p in on_gone) and on_gone,
            "each of the %d connections on removed %s (keep) was answered "
            "by its server after the change: %s requests" %
            (len(on_gone), gone, sorted(late.values())))
    c.check(all(not conns[p]["errors"] for p in on_gone),
            "and none of them saw an error")
    d = int(c.ctl("stats")["flows"]["removed_kept"]) - \
        int(before["stats"]["flows"]["removed_kept"])
    c.check(d > 0, "stats flows.removed_kept rose by %d" % d)


# ---- reload errors (test_reload_errors) ----------------------------------

def cmd_reload_errors(a):
    f = a["--file"]
    lines = [int(x) for x in a["--lines"].split(",")]
    g0 = generation()
    bk0 = c.ctl("backends")
    h0 = len(c.ctl("history", "1000")["history"])
    rc, ans, err = ctl_raw("reload", f)
    c.check(rc == 1, "reload of a file with %d errors exits 1 (got %d)" %
            (len(lines), rc))
    errs = ans.get("errors") if isinstance(ans, dict) else None
    print("  answer: %s" % json.dumps(ans)[:600])
    if c.check(isinstance(errs, list) and isinstance(ans.get("error"), str)
               and errs and ans["error"] == errs[0],
               "answer has \"error\" (the first) and \"errors\" (all)"):
        for ln in lines:
            c.check(any(e.startswith("%s:%d: " % (f, ln)) for e in errs),
                    "errors lists %s:%d" % (os.path.basename(f), ln))
        c.check(len(errs) == len(lines), "errors lists %d errors (want %d)"
                % (len(errs), len(lines)))
    c.check(generation() == g0, "generation unchanged (%d)" % g0)
    c.check(c.ctl("backends") == bk0 or
            [(b["name"], b["weight"], b["state"], b["expected_share"])
             for b in c.ctl("backends")] ==
            [(b["name"], b["weight"], b["state"], b["expected_share"])
             for b in bk0], "backends unchanged")
    hist = c.ctl("history", "1000")["history"]
    last = hist[-1] if len(hist) > h0 else {}
    c.check(last.get("result") == "refused" and
            last.get("generation") == g0 and
            isinstance(last.get("errors"), list) and
            len(last.get("errors", [])) == len(lines),
            "history records the refused reload with its %d errors: %s" %
            (len(lines), json.dumps(last)[:300]))
    audit = [json.loads(x) for x in open(os.path.join(WORKDIR, "audit.log"))]
    c.check(audit and audit[-1].get("command") == last.get("command") and
            audit[-1].get("result") == "refused",
            "audit log's last record is the refused reload")


def cmd_refused_key(a):
    """reload FILE changing a key that cannot change while running."""
    g = generation()
    rc, ans, err = ctl_raw("reload", a["--file"])
    e = ans.get("error", "") if isinstance(ans, dict) else ""
    print("  answer: %s" % json.dumps(ans)[:300])
    c.check(rc == 1 and a["--key"] in e, "reload changing %s is refused "
            "naming the key (exit %d: %r)" % (a["--key"], rc, e))
    c.check(generation() == g, "generation unchanged (%d)" % g)


def cmd_diff_good(a):
    """diff FILE lists exactly the given weight changes, applies nothing."""
    want = sorted(tuple(x.split(":")) for x in a["--weights"].split(","))
    g = generation()
    bk0 = [(b["name"], b["weight"]) for b in c.ctl("backends")]
    d = c.ctl("diff", a["--file"])
    got = sorted((ch["section"].split(".", 1)[1], ch["old"], ch["new"])
                 for ch in d.get("changes", []) if ch.get("key") == "weight")
    c.check(got == want and len(d.get("changes", [])) == len(want),
            "diff lists the %d weight changes %s (got %s)" %
            (len(want), want, json.dumps(d.get("changes"))))
    moved = [b for b in d.get("backends", []) if
             (b["name"], b["weight_old"], b["weight_new"]) not in
             [(n, int(o), int(nw)) for n, o, nw in want] and
             b["weight_old"] != b["weight_new"]]
    c.check(d.get("generation") == g and not moved,
            "diff's backends agree, against generation %d" % g)
    c.check(generation() == g and
            [(b["name"], b["weight"]) for b in c.ctl("backends")] == bk0,
            "diff changed nothing (generation %d, weights %s)" % (g, bk0))


def cmd_hist_last(a):
    h = c.ctl("history", "1")["history"][-1]
    who = h.get("who", {})
    c.check(who.get("kind") == a["--kind"] and
            h.get("command", "").startswith(a["--command"]) and
            h.get("result") == "ok",
            "history's last record: %s by %s (%s), %s" %
            (h.get("command"), who.get("kind"), json.dumps(who),
             h.get("result")))


def cmd_audit(a):
    """The audit log (and history) record each command of uid U with the
    expected result."""
    uid = int(a["--uid"])
    want = [(x, "refused") for x in a.get("--refused", "").split("|") if x]
    want += [(x, "ok") for x in a.get("--allowed", "").split("|") if x]
    recs = [json.loads(x) for x in open(os.path.join(WORKDIR, "audit.log"))]
    hist = c.ctl("history", "1000")["history"]
    for cmd, result in want:
        for what, rs in (("audit log", recs), ("history", hist)):
            hit = [r for r in rs if r.get("command") == cmd and
                   r.get("who", {}).get("uid") == uid and
                   r.get("who", {}).get("kind") == "peer"]
            c.check(len(hit) == 1 and hit[0].get("result") == result and
                    (result == "ok") == (hit[0]["generation"] !=
                                         hit[0]["generation_before"]),
                    "%s records %r by uid %d once, %s (%s)" %
                    (what, cmd, uid, result,
                     json.dumps(hit[0] if hit else None)[:240]))
    others = [r for r in recs if r.get("who", {}).get("uid") == uid and
              r.get("command") not in [x for x, _ in want]]
    c.check(not others, "the audit log holds no other record of uid %d "
            "(reads are not recorded): %s" % (uid, json.dumps(others)[:200]))


def cmd_lookup_save(a):
    port, start, n = int(a["--port"]), int(a["--from"]), int(a["--n"])
    tuples = [(CLIENT_ADDR, p, VIP, port) for p in range(start, start + n)]
    ans = c.lookup_many(tuples)
    with open(a["--out"], "w") as f:
        json.dump([[x.get("source"), x.get("backend")] for x in ans], f)


def cmd_lookup_same(a, b, differ):
    x, y = json.load(open(a)), json.load(open(b))
    nd = sum(1 for p, q in zip(x, y) if p != q)
    src = set(s for s, _ in x + y)
    if differ:
        c.check(len(x) == len(y) and nd > 0, "lookup of %d tuples: %d now "
                "go elsewhere (the tables changed)" % (len(x), nd))
    else:
        c.check(len(x) == len(y) and nd == 0, "lookup of %d tuples: all "
                "%d answers identical (%d differ; sources %s)" %
                (len(x), len(x), nd, sorted(src, key=str)))


def cmd_config_roundtrip():
    cfg = c.ctl("config")
    shape(cfg, {"generation": int, "ini": str}, "config answer")
    path = os.path.join(WORKDIR, "running.ini")
    with open(path, "w") as f:
        f.write(cfg["ini"])
    r = subprocess.run([EDGELBD, "--check", path], capture_output=True,
                       text=True, timeout=30)
    print("\n".join("  " + x for x in r.stdout.splitlines()[:12]))
    c.check(r.returncode == 0, "edgelbd --check accepts the `config` output "
            "(exit %d %s)" % (r.returncode, r.stderr.strip()[:200]))
    # --check rows: name address weight wshare% eshare% slots, under a
    # "vip ... M=SIZE" line.
    bk = c.ctl("backends")
    rows, vip, msize = {}, None, None
    for ln in r.stdout.splitlines():
        t = ln.split()
        if ln.startswith("vip "):
            vip = t[1]
            mm = re.search(r"M=(\d+)", ln)
            msize = int(mm.group(1)) if mm else None
        elif vip and len(t) >= 6 and t[-2].endswith("%"):
            rows[(vip, t[0])] = (int(t[2]), int(t[-1]), msize)
    bad = []
    for b in bk:
        row = rows.get((b["vip"], b["name"]))
        if row is None or row[0] != b["weight"] or row[2] is None or \
                round(b["expected_share"] * row[2]) != row[1] or \
                abs(b["expected_share"] - row[1] / row[2]) > 1e-12:
            bad.append((b["vip"], b["name"], b["weight"],
                        b["expected_share"], row))
    for x in bad:
        print("  %s/%s weight %s expected_share %r, --check row %s" % x)
    c.check(not bad and len(rows) == len(bk),
            "--check of the `config` output: every backend's weight and "
            "Maglev slots equal the running weight and expected_share * M "
            "(%d backends, %d differ)" % (len(bk), len(bad)))
    g = generation()
    d = c.ctl("diff", path)
    c.check(d.get("changes") == [] and
            all(x.get("change") not in ("added", "removed", "changed")
                for x in d.get("backends", [])),
            "diff of the `config` output: no change (%s)" %
            json.dumps(d)[:300])
    c.check(generation() == g, "diff applied nothing (generation %d)" % g)


# ---- every command's answers (test_commands_rt) --------------------------

def expect_error(what, *args, want=None, gen=None):
    rc, ans, err = ctl_raw(*args)
    e = ans.get("error") if isinstance(ans, dict) else None
    good = rc == 1 and isinstance(e, str) and (want is None or
                                               want in e)
    c.check(good, "%s: exit 1 and a JSON error%s (exit %d, %s)" %
            (what, " naming %r" % want if want else "", rc,
             json.dumps(ans)[:200] if ans is not None else err[:200]))
    if gen is not None:
        c.check(generation() == gen, "%s changed nothing (generation %d)" %
                (what, gen))
    return ans


def cmd_shapes():
    st = c.ctl("status")
    shape(st, {"generation": int, "generation_time": str,
               "generation_by": dict, "generation_command": str,
               "differs_from_file": bool, "runtime_changes": int,
               "audit_log": dict}, "status")
    shape(st.get("audit_log"), {"path": str, "ok": bool,
                                "error": (str, type(None))},
          "status audit_log")
    c.check(st["audit_log"].get("path") ==
            os.path.join(WORKDIR, "audit.log") and st["audit_log"]["ok"],
            "status audit_log: the test's file, ok")
    shape(c.ctl("version"), {"version": str, "dpdk": str}, "version")
    vips = c.ctl("vips")
    if shape(vips, {"vips": list}, "vips") and vips["vips"]:
        shape(vips["vips"][0], {"name": str, "id": int, "protocol": str,
                                "address": str, "port": int, "mode": str,
                                "pool": str, "on_remove": str}, "vips[0]")
    bk = c.ctl("backends")
    c.check(isinstance(bk, list) and len(bk) == 3, "backends: 3 objects")
    for b in bk[:1]:
        shape(b, BACKEND, "backends[0]")
    bw = c.ctl("backends", "web")
    c.check(isinstance(bw, list) and len(bw) == 3, "backends web: 3 objects")
    expect_error("backends nosuch", "backends", "nosuch")
    cfg = c.ctl("config")
    shape(cfg, {"generation": int, "ini": str}, "config")

    g = generation()
    ans = c.ctl("weight", "web1", "4")
    check_change_answer(ans, "weight web1 4", g)
    c.check(ans.get("changes") == [{"section": "backend.web1",
                                    "key": "weight", "old": "1",
                                    "new": "4"}],
            "weight web1 4: changes = [backend.web1 weight 1 -> 4] (%s)" %
            json.dumps(ans.get("changes")))
    w1 = [b for b in ans.get("backends", []) if b.get("name") == "web1"]
    c.check(len(w1) == 1 and w1[0]["weight_old"] == 1 and
            w1[0]["weight_new"] == 4 and w1[0]["change"] == "changed",
            "weight web1 4: backends lists web1 weight 1 -> 4")
    g += 1
    g_w4 = g  # web1 weight 4, web2 up
    for bad_args, want in ((("weight", "web1", "70000"), "70000"),
                           (("weight", "nosuch", "1"), "nosuch"),
                           (("weight", "web1"), None),
                           (("weight", "web1", "-1"), None),
                           (("weight", "web1", "abc"), None),
                           (("drain",), None),
                           (("drain", "nosuch"), "nosuch"),
                           (("enable", "nosuch"), "nosuch"),
                           (("disable", "web1", "extra"), None),
                           (("rollback", "999"), "999" if False else None),
                           (("rollback", "abc"), None),
                           (("history", "0"), None),
                           (("history", "1001"), None),
                           (("history", "x"), None),
                           (("diff",), None),
                           (("diff", "/nonexistent"), "/nonexistent"),
                           (("reload", "/nonexistent"), "/nonexistent")):
        expect_error(" ".join(bad_args), *bad_args, want=want, gen=g)
    hist = c.ctl("history", "3")["history"]
    c.check(hist[-1].get("result") == "refused" and
            hist[-1].get("command") == "reload /nonexistent" and
            hist[-1].get("who", {}).get("uid") == 0,
            "history: the refused `reload /nonexistent` is recorded with "
            "the peer's uid (%s)" % json.dumps(hist[-1])[:200])
    rc, ans, _ = ctl_raw("weight", "web1", "70000")
    c.check(isinstance(ans, dict) and isinstance(ans.get("errors"), list)
            and ans.get("errors", [None])[0] == ans.get("error"),
            "an error answer carries \"errors\" (all) beside \"error\" (the "
            "first): %s" % json.dumps(ans))

    for verb, state, gen_state in (("drain", "drained", "drained"),
                                   ("disable", "disabled", "disabled"),
                                   ("enable", "up", "enabled")):
        ans = c.ctl(verb, "web2")
        check_change_answer(ans, "%s web2" % verb, g)
        g += 1
        b = {x["name"]: x for x in c.ctl("backends")}["web2"]
        c.check(b["state"] == state, "%s web2: backends says state %r "
                "(got %r)" % (verb, state, b["state"]))
        c.check(any(ch == {"section": "backend.web2", "key": "admin_state",
                           "old": ch.get("old"), "new": gen_state}
                    for ch in ans.get("changes", [])),
                "%s web2: changes sets backend.web2 admin_state = %s" %
                (verb, gen_state))
    ini = c.ctl("config")["ini"]
    c.check("weight = 4" in ini.split("[backend.web1]")[1].split("[")[0],
            "config shows the runtime weight of web1 (4)")
    ans = c.ctl("rollback")
    shape(ans, {"restored": int, "generation": int,
                "generation_before": int, "changes": list,
                "backends": list}, "rollback")
    c.check(ans.get("restored") == g - 1 and ans.get("generation") == g + 1,
            "rollback restores generation %d as %d (got restored %s, "
            "generation %s)" % (g - 1, g + 1, ans.get("restored"),
                                ans.get("generation")))
    g += 1
    b = {x["name"]: x for x in c.ctl("backends")}["web2"]
    c.check(b["state"] == "disabled", "after rollback web2 is disabled "
            "again (generation %d's state; got %r)" % (g - 2, b["state"]))
    ans = c.ctl("rollback", str(g_w4))
    c.check(ans.get("restored") == g_w4 and ans.get("generation") == g + 1,
            "rollback %d: restored %s as generation %s" %
            (g_w4, ans.get("restored"), ans.get("generation")))
    g += 1
    bkw = {x["name"]: x for x in c.ctl("backends")}
    c.check(bkw["web1"]["weight"] == 4 and bkw["web2"]["state"] == "up",
            "after rollback %d: web1 weight 4, web2 up (%s, %s)" %
            (g_w4, bkw["web1"]["weight"], bkw["web2"]["state"]))

    h = c.ctl("history", "5")
    if shape(h, {"history": list}, "history 5"):
        c.check(len(h["history"]) == 5, "history 5 lists 5 records")
        shape(h["history"][-1], HIST, "history record")
        shape(h["history"][-1]["who"], PEER, "history record's who (peer)")
        c.check(h["history"][-1]["command"].startswith("rollback") and
                h["history"][-1]["result"] == "ok" and
                isinstance(h["history"][-1].get("changes"), list),
                "last history record is the rollback, ok, with changes")
    h1 = c.ctl("history")["history"]
    c.check(len(h1) == 20 or len(h1) < 20, "history (default) at most 20 "
            "records (%d)" % len(h1))
    first = c.ctl("history", "1000")["history"][0]
    shape(first["who"], WHO, "startup record's who")
    c.check(first["who"]["kind"] == "startup" and first["generation"] == 1,
            "the first history record is the startup, generation 1")

    d = c.ctl("diff", CONF)
    shape(d, {"generation": int, "changes": list, "backends": list}, "diff")
    c.check(d.get("generation") == g and any(
        ch.get("section") == "backend.web1" and ch.get("key") == "weight" and
        ch.get("old") == "4" and ch.get("new") == "1"
        for ch in d.get("changes", [])),
        "diff of the file: web1 weight 4 -> 1 against generation %d" % g)
    c.check(generation() == g, "diff applied nothing")
    st = c.ctl("status")
    c.check(st["differs_from_file"] is True and st["runtime_changes"] >= 1,
            "status: differs from file after runtime changes (%s, %s)" %
            (st["differs_from_file"], st["runtime_changes"]))
    ans = c.ctl("reload")
    check_change_answer(ans, "reload", g)
    g += 1
    c.check(isinstance(ans.get("discarded"), list) and
            len(ans.get("discarded", [])) >= 1 and
            all(set(("generation", "command", "who")) <= set(x)
                for x in ans.get("discarded", [])),
            "reload: \"discarded\" lists the runtime changes it drops "
            "(%s)" % json.dumps(ans.get("discarded"))[:300])
    st = c.ctl("status")
    c.check(st["differs_from_file"] is False and st["runtime_changes"] == 0,
            "status after reload: same as the file, 0 runtime changes")
    # A relative path is made absolute by edgelbctl (from its cwd).
    cwd = os.getcwd()
    os.chdir(WORKDIR)
    try:
        rc, ans, err = ctl_raw("reload", os.path.basename(CONF))
        c.check(rc == 0 and isinstance(ans, dict) and
                ans.get("generation") == g + 1,
                "reload edgelb.ini (relative, from the work dir) applies "
                "(exit %d %s)" % (rc, err.strip()[:200]))
        g += 1
        hist = c.ctl("history", "1")["history"][-1]
        c.check(hist["command"] == "reload " + CONF,
                "history names the absolute path (%r)" % hist["command"])
        rc, ans, err = ctl_raw("reload", "relative/path")
        c.check(rc != 0 and generation() == g,
                "reload relative/path (missing) fails (exit %d: %s), "
                "nothing applied" % (rc, (err or json.dumps(ans)).strip()[
                    :200]))
    finally:
        os.chdir(cwd)
    rc, ans, err = ctl_raw("nosuchcommand")
    c.check(rc == 1 and isinstance(ans, dict) and "error" in ans,
            "unknown command: exit 1, JSON error")


# ---- slow clients (test_access) ------------------------------------------

def timed_status():
    t0 = time.monotonic()
    rc, ans, err = ctl_raw("status", timeout=10)
    return time.monotonic() - t0, rc, ans


def cmd_slow_clients(a):
    big = int(a.get("--big-kib", 300)) * 1024
    # A never-finished request: half a line, socket kept open.
    half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    half.connect(c.SOCK)
    half.sendall(b"stat")
    dt, rc, ans = timed_status()
    c.check(rc == 0 and dt < 1.0, "status answered in %.3f s while another "
            "client holds half a request (< 1 s)" % dt)
    # An oversized request, written from a thread so that the daemon may
    # stop reading it at any point.
    import threading
    bigs = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bigs.connect(c.SOCK)
    bigs.settimeout(10)
    res = {}

    def push():
        try:
            bigs.sendall(b"lookup -\n" + b"x" * big)
            res["sent"] = True
        except OSError as e:
            res["send_error"] = str(e)

    t = threading.Thread(target=push, daemon=True)
    t.start()
    time.sleep(0.2)
    dt, rc, ans = timed_status()
    c.check(rc == 0 and dt < 1.0, "status answered in %.3f s while another "
            "client sends %d KiB (< 1 s)" % (dt, big // 1024))
    t.join(5)
    try:
        bigs.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    reply = b""
    try:
        while True:
            x = bigs.recv(65536)
            if not x:
                break
            reply += x
    except OSError as e:
        res["recv_error"] = str(e)
    print("  oversized request: %s; reply %r" %
          (json.dumps(res), reply[:200]))
    try:
        err = json.loads(reply).get("error", "") if reply else ""
    except ValueError:
        err = ""
    c.check(reply == b"" or err != "", "the oversized request got an "
            "error or was closed (never an answer)")
    dt, rc, ans = timed_status()
    c.check(rc == 0 and dt < 1.0, "status still answered in %.3f s" % dt)
    # Many half requests at once (up to the client limit) still leave
    # room... the limit is the daemon's to enforce: only time it.
    half.close()
    bigs.close()


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, rest = argv[1], argv[2:]
    args = m.parse_flags(rest)
    try:
        if cmd == "churn":
            cmd_churn(args)
        elif cmd == "history-gens":
            cmd_history_gens(args)
        elif cmd == "holds":
            cmd_holds(args)
        elif cmd == "batch":
            cmd_batch(args)
        elif cmd == "pick-ports":
            cmd_pick_ports(args)
        elif cmd == "save":
            cmd_backends_save(args)
        elif cmd == "holds-on":
            cmd_holds_on(args)
        elif cmd == "identity":
            cmd_identity(args)
        elif cmd == "counters-grew":
            cmd_counters_grew(args)
        elif cmd == "rescheduled":
            cmd_rescheduled(args)
        elif cmd == "kept":
            cmd_kept(args)
        elif cmd == "reload-errors":
            cmd_reload_errors(args)
        elif cmd == "refused-key":
            cmd_refused_key(args)
        elif cmd == "diff-good":
            cmd_diff_good(args)
        elif cmd == "hist-last":
            cmd_hist_last(args)
        elif cmd == "audit":
            cmd_audit(args)
        elif cmd == "lookup-save":
            cmd_lookup_save(args)
        elif cmd == "lookup-same":
            cmd_lookup_same(rest[0], rest[1], "--differ" in rest)
        elif cmd == "config-roundtrip":
            cmd_config_roundtrip()
        elif cmd == "shapes":
            cmd_shapes()
        elif cmd == "slow-clients":
            cmd_slow_clients(args)
        else:
            sys.exit("unknown subcommand " + cmd)
    except (RuntimeError, OSError, ValueError, KeyError, TypeError,
            IndexError, subprocess.TimeoutExpired) as e:
        c.fail("%s: %s: %s" % (cmd, type(e).__name__, e))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""Turn tests/bench/e2e.sh's samples into OUTDIR/e2e.json and a table.

usage: report.py SAMPLES.jsonl META.json OUT.json

Each sample line: {"lb", "mode" ("close"|"keepalive"), "round",
"wrk": wrk_report.lua's JSON, "counts": [requests logged by web1..web3]}.

Per balancer and mode: req/s = wrk's completed requests / wrk's duration,
the median over rounds. Shares (close mode only: there every request is a
new connection, so each one is a scheduling decision) pool the rounds'
nginx log counts: share = count / total, error = share - weight / sum of
weights in percentage points, and the binomial 4-sigma bound
4 * sqrt(p (1 - p) / N) says whether an error is within what an
independent per-connection choice with the intended p would show.

edgelb decides by a hash of the 5-tuple with a fixed seed, and the client
recycles its ~64 k ports (tcp_tw_reuse) many times a run: a reused tuple
repeats an earlier decision, not a new sample. Its bound therefore uses
Kish's effective sample size over the distinct client tuples, pooled over
the rounds, N_eff = (sum of uses)^2 / sum of uses^2 (for k uses each of D
tuples that is D). iptables' statistic match draws per connection and
HAProxy's round robin is deterministic: their N is the connection count.
"""
import json
import math
import statistics
import sys

LBS = ["edgelb", "haproxy", "iptables"]
PER_TUPLE = {"edgelb"}
# Short labels for row names; the full description is in config.balancers.
SHORT = {"edgelb": "edgelbd DR, af_packet, 1 worker",
         "haproxy": "HAProxy mode tcp, 1 thread",
         "iptables": "iptables DNAT statistic"}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def rps(s):
    d = s["wrk"]["duration_us"] / 1e6
    return s["wrk"]["requests"] / d if d > 0 else 0.0


def tuple_uses(samples):
    """Uses of each distinct client address:port, pooled over samples."""
    uses = {}
    for s in samples:
        with open(s["tuples_file"]) as f:
            for t, c in json.load(f).items():
                uses[t] = uses.get(t, 0) + c
    return uses


def shares(samples, weights, n_eff):
    counts = [0] * len(weights)
    for s in samples:
        for i, c in enumerate(s["counts"]):
            counts[i] += c
    n = sum(counts)
    if n_eff is None:
        n_eff = n
    wsum = sum(weights)
    out = []
    for i, w in enumerate(weights):
        p = w / wsum
        share = counts[i] / n if n else 0.0
        bound = (4 * math.sqrt(p * (1 - p) / n_eff) * 100 if n_eff
                 else float("inf"))
        out.append({"backend": "web%d" % (i + 1), "weight": w,
                    "requests": counts[i], "share_pct": share * 100,
                    "expected_pct": p * 100,
                    "error_pp": (share - p) * 100,
                    "bound_4sigma_pp": bound})
    return n, out


def main():
    samples = load(sys.argv[1])
    with open(sys.argv[2]) as f:
        meta = json.load(f)
    weights = meta["weights"]
    cond = meta["conditions"]
    rows = []
    details = {}
    med = {}
    for mode in ("close", "keepalive"):
        for lb in LBS:
            ss = [s for s in samples if s["lb"] == lb and s["mode"] == mode]
            if not ss:
                continue
            r = [rps(s) for s in ss]
            m = statistics.median(r)
            med[(lb, mode)] = m
            d = {"req_s_per_round": r, "req_s_median": m,
                 "wrk_per_round": [s["wrk"] for s in ss],
                 "logged_per_round": [s["counts"] for s in ss]}
            conn = ("Connection: close" if mode == "close"
                    else "keep-alive")
            rows.append({"name": "e2e %s (%s), %s, %s: req/s (median of %d)"
                         % (lb, SHORT[lb], conn, meta["client"], len(ss)),
                         "value": round(m, 1), "unit": "req/s"})
            if mode == "close":
                uses = tuple_uses(ss)
                sq = sum(c * c for c in uses.values())
                kish = sum(uses.values()) ** 2 / sq if sq else 0.0
                n_eff = kish if lb in PER_TUPLE else None
                n, sh = shares(ss, weights, n_eff)
                n_eff = n if n_eff is None else n_eff
                d["shares"] = sh
                d["logged_total"] = n
                d["distinct_client_tuples"] = len(uses)
                d["kish_effective_tuples"] = kish
                d["bound_sample_size"] = n_eff
                d["bound_basis"] = ("distinct client tuples (Kish)"
                                    if lb in PER_TUPLE else "connections")
                worst = max(sh, key=lambda x: abs(x["error_pp"]) /
                            x["bound_4sigma_pp"])
                ok = all(abs(x["error_pp"]) <= x["bound_4sigma_pp"]
                         for x in sh)
                rows.append({
                    "name": "e2e %s: worst backend share error vs "
                            "weights %s (%s, %d connections, bound from "
                            "N = %d %s), percentage points"
                            % (lb, ":".join(map(str, weights)),
                               worst["backend"], n, round(n_eff),
                               d["bound_basis"]),
                    "value": round(worst["error_pp"], 3), "unit": "%",
                    "target": "|error| <= binomial 4-sigma bound "
                              "(%.3f pp)" % worst["bound_4sigma_pp"],
                    "met": ok})
            details.setdefault(mode, {})[lb] = d
        for other in ("haproxy", "iptables"):
            if ("edgelb", mode) in med and (other, mode) in med and \
                    med[(other, mode)] > 0:
                rows.append({
                    "name": "e2e ratio edgelb/%s req/s, %s (same run)"
                            % (other, "Connection: close" if mode == "close"
                               else "keep-alive"),
                    "value": round(med[("edgelb", mode)] /
                                   med[(other, mode)], 3),
                    "unit": "ratio"})
    out = {"part": "e2e", "rows": rows, "config": meta, "details": details}
    with open(sys.argv[3], "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")

    print("e2e: %s, weights %s, %s"
          % (cond, ":".join(map(str, weights)), meta["note"]))
    hdr = "%-9s %-9s %10s %6s %6s  %s" % ("balancer", "mode", "req/s",
                                          "rounds", "errors",
                                          "N bound  share error pp "
                                          "(4σ bound)")
    print(hdr)
    for mode in ("close", "keepalive"):
        for lb in LBS:
            d = details.get(mode, {}).get(lb)
            if d is None:
                continue
            sh = " ".join("%s %+.2f (±%.2f)" % (x["backend"], x["error_pp"],
                                               x["bound_4sigma_pp"])
                          for x in d.get("shares", []))
            errs = sum(sum(w["errors"].values()) for w in d["wrk_per_round"])
            nb = ("%7d" % d["bound_sample_size"]
                  if "bound_sample_size" in d else " " * 7)
            print("%-9s %-9s %10.0f %6d %6d  %s  %s"
                  % (lb, mode, d["req_s_median"], len(d["req_s_per_round"]),
                     errs, nb, sh))
    for r in rows:
        if r["unit"] == "ratio":
            print("%s: %.3f" % (r["name"], r["value"]))
    bad = [r["name"] for r in rows if r.get("met") is False]
    for b in bad:
        print("NOT MET: %s" % b)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Merge the parts of one benchmark run into OUTDIR/bench.json, check the
packet-path targets of issue 4 against the micro figures, and print the
table for people (also written as OUTDIR/table.md for the README).

  report.py OUTDIR HOSTFACTS.json
"""
import json
import os
import sys

PARTS = ["micro", "callgrind", "ctl", "mgmt", "pmd", "e2e", "health", "healthd",
         "kpath", "policy", "selftest", "metrics", "watch"]


def load(outdir):
    parts = {}
    for p in PARTS:
        f = os.path.join(outdir, p + ".json")
        if os.path.exists(f):
            parts[p] = json.load(open(f))
    return parts


def micro_value(parts, label):
    for r in parts.get("micro", {}).get("rows", []):
        if r.get("label") == label:
            return r["value"]
    return None


def micro_targets(parts):
    """The packet-path targets, as rows with met true/false."""
    rows = []
    est = [(n, micro_value(parts, "established/%d/uniform" % n))
           for n in (1, 4096, 65536)]
    est = [(n, v) for n, v in est if v is not None]
    if est:
        worst = max(v for _, v in est)
        rows.append({"name": "established, <= 64k flows, worst of "
                     + ", ".join("%d" % n for n, _ in est) + " (uniform)",
                     "value": round(worst, 1), "unit": "cycles/packet",
                     "target": "<= 120", "met": worst <= 120})
    v64 = micro_value(parts, "established/65536/uniform")
    v1m = micro_value(parts, "established/1048576/uniform")
    if v64 and v1m:
        rows.append({"name": "established 1M flows / 64k flows (uniform)",
                     "value": round(v1m / v64, 2), "unit": "ratio",
                     "target": "<= 1.5", "met": v1m / v64 <= 1.5})
    news = [r for r in parts.get("micro", {}).get("rows", [])
            if r.get("label", "").startswith("new/")]
    if news:
        worst = max(r["value"] for r in news)
        rows.append({"name": "new flow incl. insert, worst table size",
                     "value": round(worst, 1), "unit": "cycles/packet",
                     "target": "<= 500", "met": worst <= 500})
    return rows


def fmt(v):
    if isinstance(v, float):
        return "%.3g" % v if abs(v) < 10 else "%.1f" % v
    return str(v)


def table(parts, targets):
    lines = ["| part | figure | value | unit | target |",
             "|---|---|---|---|---|"]
    for r in targets:
        lines.append("| target | %s | %s | %s | %s %s |" % (
            r["name"], fmt(r["value"]), r["unit"], r["target"],
            "met" if r["met"] else "**missed**"))
    for p in PARTS:
        for r in parts.get(p, {}).get("rows", []):
            t = r.get("target", "")
            if "met" in r:
                t += " met" if r["met"] else " **missed**"
            lines.append("| %s | %s | %s | %s | %s |" % (
                p, r["name"], fmt(r["value"]), r.get("unit", ""), t))
    return "\n".join(lines)


def main():
    outdir, hostfile = sys.argv[1], sys.argv[2]
    parts = load(outdir)
    host = json.load(open(hostfile))
    if "micro" in parts:
        host["tsc_hz"] = parts["micro"].get("tsc_hz")
    targets = micro_targets(parts)
    merged = {"host": host, "targets": targets, "parts": parts,
              "missing_parts": [p for p in PARTS if p not in parts]}
    json.dump(merged, open(os.path.join(outdir, "bench.json"), "w"),
              indent=1)
    host["hugepages"] = {p: d["hugepages"] for p, d in parts.items()
                         if "hugepages" in d}
    md = table(parts, targets)
    with open(os.path.join(outdir, "table.md"), "w") as f:
        f.write("Host: %s, TSC %.2f GHz, DPDK %s, %s, steal %.1f %% "
                "during the run, commit %s. DPDK memory: %s.\n\n" % (
                    host.get("cpu"), (host.get("tsc_hz") or 0) / 1e9,
                    host.get("dpdk"), host.get("date"),
                    host.get("steal_pct", 0), host.get("commit"),
                    ", ".join("%s on %s" % (p, "2 MiB hugepages" if h else
                                            "4 KiB pages (--no-huge)")
                              for p, h in host["hugepages"].items())
                    or "not recorded"))
        f.write(md + "\n")
    print(open(os.path.join(outdir, "table.md")).read())
    if merged["missing_parts"]:
        print("missing parts: " + ", ".join(merged["missing_parts"]))
    return 1 if merged["missing_parts"] else 0


if __name__ == "__main__":
    sys.exit(main())

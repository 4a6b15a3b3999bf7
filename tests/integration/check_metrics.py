#!/usr/bin/python3
"""Checks of /metrics and the /edgelb/ telemetry commands for
test_metrics.sh. Prints PASS:/FAIL: lines (counted by lib.sh).

compare SCRAPE STATS_BEFORE STATS_AFTER BACKENDS_BEFORE BACKENDS_AFTER
  Every counter `stats` and `backends` show has its metric (names from
  the descriptor tables: edgelb_port_*, edgelb_flow_*, edgelb_vip_*,
  edgelb_backend_*, edgelb_drops_total), and its value lies between the
  two reads taken around the scrape; with traffic stopped, the per-backend
  and per-VIP counters are equal to both. Shares, weights, max_share and
  health agree with `backends`.
telemetry TELEMETRY_OUT SCRAPE BACKENDS SCRAPE_BEFORE SCRAPE_AFTER
  The replies of dpdk-telemetry.py (one JSON object per line) carry the
  same values as the scrape: /edgelb/generation, /edgelb/stats,
  /edgelb/backends, /edgelb/backend,NAME; /edgelb/port,NAME's counters
  (health checks still move them) lie between the scrapes taken before
  the telemetry snapshot and after the query.
"""
import json
import re
import sys

T_ID = "met"
fails = 0
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def check(ok, what):
    global fails
    print(("PASS: " if ok else "FAIL: ") + T_ID + ": " + what)
    if not ok:
        fails += 1


def parse(path):
    """{(name, frozenset(labels)): value} and the TYPE of each family."""
    samples, types = {}, {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ")
                types[name] = kind
                continue
            if not line or line.startswith("#"):
                continue
            m = LINE.match(line)
            if not m:
                check(False, "line parses: %r" % line)
                continue
            labels = frozenset(
                (k, v.replace('\\"', '"').replace("\\n", "\n")
                 .replace("\\\\", "\\"))
                for k, v in LABEL.findall(m.group(3) or ""))
            samples[(m.group(1), labels)] = float(m.group(4))
    return samples, types


def load(path):
    with open(path) as f:
        return json.load(f)


def between(name, m, a, b, what):
    lo, hi = min(a, b), max(a, b)
    if m is None or not lo <= m <= hi:
        check(False, "%s: metric %s = %s within %s..%s" % (what, name, m,
                                                          lo, hi))
        return 0
    return 1


def metric(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def counter_name(prefix, key, kind):
    return prefix + key + ("_total" if kind == "counter" else "")


def family_kind(types, prefix, key):
    if prefix + key + "_total" in types:
        return "counter"
    if prefix + key in types:
        return "gauge"
    return None


def compare_ports(samples, types, a, b):
    n = 0
    for pa, pb in zip(a["ports"], b["ports"]):
        port = pa["name"]
        for key, va in pa.items():
            if key in ("name", "drops"):
                continue
            kind = family_kind(types, "edgelb_port_", key)
            if kind is None:
                check(False, "stats ports[].%s has a metric family" % key)
                continue
            name = counter_name("edgelb_port_", key, kind)
            n += between(name, metric(samples, name, port=port), va,
                         pb[key], "port %s" % port)
        for reason, va in pa["drops"].items():
            n += between("edgelb_drops_total",
                         metric(samples, "edgelb_drops_total", port=port,
                                reason=reason), va, pb["drops"][reason],
                         "drops %s" % reason)
    return n


def compare_flows(samples, types, a, b):
    n = 0
    for key, va in a["flows"].items():
        kind = family_kind(types, "edgelb_flow_", key)
        if kind is None:
            check(False, "stats flows.%s has a metric family" % key)
            continue
        name = counter_name("edgelb_flow_", key, kind)
        n += between(name, metric(samples, name), va, b["flows"][key],
                     "flows")
    return n


def compare_vips(samples, types, a, b):
    n = 0
    for va, vb in zip(a["vips"], b["vips"]):
        for key in ("packets", "bytes", "new_flows", "refused"):
            name = counter_name("edgelb_vip_", key,
                                family_kind(types, "edgelb_vip_", key))
            m = metric(samples, name, vip=va["name"])
            check(m == va[key] == vb[key],
                  "vip %s %s: metric %s = stats %s (traffic stopped)"
                  % (va["name"], key, m, va[key]))
            n += 1
    return n


SHARES = ("expected_share", "observed_share")


def compare_backends(samples, types, ba, bb):
    n = 0
    for ra, rb in zip(ba, bb):
        lab = dict(vip=ra["vip"] or "", pool=ra["pool"] or "",
                   backend=ra["name"])
        for key in ("new_flows", "packets", "bytes"):
            m = metric(samples, "edgelb_backend_%s_total" % key, **lab)
            check(m == ra[key] == rb[key],
                  "backend %s %s: metric %s = backends %s"
                  % (ra["name"], key, m, ra[key]))
            n += 1
        n += between("edgelb_backend_flows",
                     metric(samples, "edgelb_backend_flows", **lab),
                     ra["flows"], rb["flows"], "backend %s" % ra["name"])
        for key in SHARES:
            m = metric(samples, "edgelb_backend_" + key, **lab)
            check(m is not None and abs(m - ra[key]) < 1e-9,
                  "backend %s %s: metric %s = backends %s"
                  % (ra["name"], key, m, ra[key]))
        m = metric(samples, "edgelb_backend_weight", **lab)
        check(m == ra["weight"], "backend %s weight: metric %s = %s"
              % (ra["name"], m, ra["weight"]))
        up = metric(samples, "edgelb_backend_health_up", **lab)
        check(up == (1 if ra["health"] == "up" else 0),
              "backend %s health_up %s for health %s"
              % (ra["name"], up, ra["health"]))
        lat = metric(samples, "edgelb_backend_health_latency_seconds", **lab)
        check(lat is not None and ra["last_latency_ms"] is not None and
              0 <= lat < 1, "backend %s health latency %s s (backends "
              "says %s ms at its last check)"
              % (ra["name"], lat, ra["last_latency_ms"]))
    return n


def compare(scrape, sa, sb, ba, bb):
    samples, types = parse(scrape)
    a, b = load(sa), load(sb)
    n = compare_ports(samples, types, a, b)
    n += compare_flows(samples, types, a, b)
    n += compare_vips(samples, types, a, b)
    n += compare_backends(samples, types, load(ba), load(bb))
    check(fails == 0, "%d counters of stats and backends agree with the "
          "scrape" % n)
    check(metric(samples, "edgelb_backend_max_share", vip="web", pool="web",
                 backend="web3") == 0.6,
          "edgelb_backend_max_share of web3 is its max_share 60 %")
    check(metric(samples, "edgelb_backend_max_share", vip="web", pool="web",
                 backend="web1") is None,
          "no edgelb_backend_max_share for a backend without max_share")
    check(metric(samples, "edgelb_pool_min_healthy", pool="web") == 2,
          "edgelb_pool_min_healthy{pool=web} is 2")
    check(metric(samples, "edgelb_pool_backends_healthy", pool="web") == 3,
          "edgelb_pool_backends_healthy{pool=web} is 3")
    for f in ("edgelb_nic_ipackets_total", "edgelb_nic_imissed_total",
              "edgelb_nic_rx_nombuf_total", "edgelb_nic_oerrors_total"):
        check(metric(samples, f, port="lan") is not None,
              "%s{port=lan} is there" % f)
    for w in ("0", "1"):
        m = metric(samples, "edgelb_worker_busy_loop_max_seconds", worker=w)
        check(m is not None and 0 < m < 1,
              "worker %s busy_loop_max %s s" % (w, m))
        m = metric(samples, "edgelb_worker_rx_packets_total", worker=w)
        check(m is not None and m > 0, "worker %s rx_packets %s" % (w, m))


def telemetry(out, scrape, backends, before, after):
    samples, _ = parse(scrape)
    s0, _ = parse(before)
    s1, _ = parse(after)
    replies = {}
    with open(out) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                for k, v in r.items():
                    replies[k] = v
    gen = replies.get("/edgelb/generation") or {}
    check(gen.get("edgelb_config_generation") ==
          metric(samples, "edgelb_config_generation"),
          "/edgelb/generation: generation %s = the scrape's"
          % gen.get("edgelb_config_generation"))
    check(gen.get("edgelb_config_changes_total_applied") ==
          metric(samples, "edgelb_config_changes_total", result="applied"),
          "/edgelb/generation: changes applied %s"
          % gen.get("edgelb_config_changes_total_applied"))
    st = replies.get("/edgelb/stats") or {}
    check(st.get("edgelb_flow_inserts_total") ==
          metric(samples, "edgelb_flow_inserts_total") and
          st.get("edgelb_flow_inserts_total", 0) > 0,
          "/edgelb/stats: flow inserts %s = the scrape's"
          % st.get("edgelb_flow_inserts_total"))
    names = (replies.get("/edgelb/backends") or {}).get("names")
    want = [b["name"] for b in load(backends)]
    check(names == want, "/edgelb/backends lists %s" % names)
    be = replies.get("/edgelb/backend") or {}
    m = metric(samples, "edgelb_backend_new_flows_total", vip="web",
               pool="web", backend="web2")
    check(be.get("edgelb_backend_new_flows_total") == m and be.get("vip")
          == "web" and m > 0, "/edgelb/backend,web2: new flows %s = the "
          "scrape's %s" % (be.get("edgelb_backend_new_flows_total"), m))
    port = replies.get("/edgelb/port") or {}
    for key, labels in (("edgelb_port_rx_packets_total", {}),
                        ("edgelb_drops_total", {"reason": "no_vip"}),
                        ("edgelb_nic_ipackets_total", {})):
        tkey = key + "".join("_" + v for v in labels.values())
        t = port.get(tkey)
        lo = metric(s0, key, port="lan", **labels)
        hi = metric(s1, key, port="lan", **labels)
        check(t is not None and lo <= t <= hi and hi > 0 or
              (labels and t == lo == hi),
              "/edgelb/port,lan: %s %s within the scrapes' %s..%s"
              % (tkey, t, lo, hi))


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        compare(*sys.argv[2:7])
    elif sys.argv[1] == "telemetry":
        telemetry(*sys.argv[2:7])
    sys.exit(1 if fails else 0)

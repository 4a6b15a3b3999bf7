#!/usr/bin/python3
"""Checks of the status page for test_page.sh: the DOM headless Chromium
rendered (after the page's script fetched /status.json) against the
answers of edgelbctl read around it. Prints PASS:/FAIL: lines (check.py's
reporting, T_ID from the environment; counted by lib.sh).

dom DOM BACKENDS_BEFORE BACKENDS_AFTER ALERTS_AFTER HISTORY_AFTER [--still]
  One row per backend, the same (VIP, backend) in the same order as
  `backends`; per row: expected share and intended (max_share) as
  `backends` has them (the page prints hundredths of a percent: 0.005 pp),
  state and health equal, latency shown when `backends` has one; new flows
  and observed share between the two reads (traffic may run between them).
  With --still (traffic stopped) the two reads must agree and the page
  with them. Every alert drawn is one `alerts` lists, with the change it
  names; every change listed is in `history`. Nothing in the DOM came from
  markup in the data: no element a command line put there.
"""
import json
import sys
from html.parser import HTMLParser

# The reporting and failure count of check.py, shared.
import check as base
from check import check

ROUND = 0.005 + 1e-9     # the page prints shares to 0.01 %


class Dom(HTMLParser):
    """Backend rows (cells by class), alerts and changes by data-*."""

    def __init__(self):
        super().__init__()
        self.rows, self.alerts, self.changes, self.tags = [], [], [], []
        self.cell = None
        self.row = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        cls = (a.get("class") or "").split()
        if tag == "tr" and "backend" in cls:
            self.row = {"vip": a.get("data-vip"),
                        "name": a.get("data-backend"), "cells": {}}
            self.rows.append(self.row)
        elif tag == "td" and self.row is not None and cls:
            self.cell = cls[-1] if cls[0] == "num" else cls[0]
            self.row["cells"][self.cell] = ""
        elif tag == "div" and "alert" in cls:
            self.alerts.append((a.get("data-alertname"),
                                a.get("data-backend") or None,
                                a.get("data-generation")))
        elif tag == "tr" and "change" in cls:
            self.changes.append(a.get("data-generation"))

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None
        elif tag == "tr":
            self.row = None

    def handle_data(self, data):
        if self.cell is not None and self.row is not None:
            self.row["cells"][self.cell] += data


def pct(text):
    """'33.33 %' -> 33.33; '–' -> None."""
    text = text.strip()
    return float(text.rstrip("%").strip()) if text.endswith("%") else None


def load(path):
    with open(path) as f:
        return json.load(f)


def pool_total(bs, pool):
    return sum(b["new_flows"] for b in bs if b["pool"] == pool)


def check_row(r, b1, b2, b1s, b2s, still):
    c = r["cells"]
    who = "%s/%s" % (r["vip"], r["name"])
    exp = pct(c.get("expected", ""))
    check(exp is not None and abs(exp - 100 * b2["expected_share"]) <= ROUND,
          "%s expected %s = backends %.4f %%" %
          (who, c.get("expected"), 100 * b2["expected_share"]))
    want = b2.get("max_share")
    got = pct(c.get("intended", ""))
    check((want is None and got is None) or
          (want is not None and got is not None and
           abs(got - 100 * want) <= ROUND),
          "%s intended %s = backends max_share %s" %
          (who, c.get("intended"), want))
    nf = int(c.get("new_flows", "-1"))
    lo, hi = b1["new_flows"], b2["new_flows"]
    check(lo <= nf <= hi and (not still or lo == hi),
          "%s new flows %d in [%d, %d]%s" %
          (who, nf, lo, hi, " (traffic stopped: equal)" if still else ""))
    obs = pct(c.get("observed", ""))
    # The page's share is its new flows over its pool's: both read
    # between the two answers, so between these extremes (equal when
    # traffic stopped).
    t1, t2 = pool_total(b1s, b1["pool"]), pool_total(b2s, b2["pool"])
    olo = 100 * lo / t2 - ROUND if t2 else -ROUND
    ohi = 100 * hi / t1 + ROUND if t1 else (100 + ROUND if t2 else ROUND)
    check(obs is not None and olo <= obs <= ohi,
          "%s observed %s within [%.3f, %.3f] %%" % (who, c.get("observed"),
                                                    olo, ohi))
    check(c.get("state", "").strip() == b2["state"] and
          c.get("health", "").strip() == b2["health"],
          "%s state %s, health %s as backends (%s, %s)" %
          (who, c.get("state"), c.get("health"), b2["state"], b2["health"]))
    lat = c.get("latency", "").strip()
    check(lat.endswith(" ms") == isinstance(b2.get("last_latency_ms"),
                                            (int, float)),
          "%s latency %r shown as backends has it (%s)" %
          (who, lat, b2.get("last_latency_ms")))


def dom(path, before, after, alerts, history, still=False):
    p = Dom()
    with open(path) as f:
        p.feed(f.read())
    b1, b2 = load(before), load(after)
    want = [(b["vip"] or "", b["name"]) for b in b2]
    got = [(r["vip"], r["name"]) for r in p.rows]
    check(got == want, "the page draws every backend of `backends`, in "
          "order: %s" % got)
    check(len(got) > 0, "it draws at least one backend (%d)" % len(got))
    by1 = {(b["vip"] or "", b["name"]): b for b in b1}
    for r, b in zip(p.rows, b2):
        check_row(r, by1.get((b["vip"] or "", b["name"]), b), b, b1, b2,
                  still)
    al = load(alerts)["alerts"]
    known = {(a["alertname"], a["backend"],
              str(a["change"]["generation"]) if a["change"] else None)
             for a in al}
    check(all(a in known for a in p.alerts),
          "every alert drawn is one `alerts` lists with its change: %s" %
          p.alerts)
    hist = {str(h["generation"]) for h in load(history)["history"]}
    check(len(p.changes) > 0 and all(g in hist for g in p.changes),
          "the changes drawn (generations %s) are in `history`" % p.changes)
    check("img" not in p.tags, "no element came from markup in the data")
    return p


def main():
    cmd = sys.argv[1]
    if cmd == "dom":
        p = dom(*sys.argv[2:7], still="--still" in sys.argv[7:])
        if "--want-alert" in sys.argv[7:]:
            name = sys.argv[sys.argv.index("--want-alert") + 1]
            check(any(a[0] == name and a[2] for a in p.alerts),
                  "the page shows alert %s with the change it names: %s" %
                  (name, p.alerts))
    else:
        sys.exit("usage: check_page.py dom ...")
    sys.exit(1 if base.failures else 0)


if __name__ == "__main__":
    main()

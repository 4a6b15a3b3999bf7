#!/usr/bin/python3
"""Well-behaved and abusive clients of edgelbd's management socket.

  mgmt_clients.py probe SOCKET SECONDS INTERVAL [--change A|B]
      One request every INTERVAL seconds for SECONDS, each on a new
      connection, the way edgelbctl talks: `status`, or alternately the
      commands A and B of --change (e.g. "weight web1 1|weight web1 2").
      Prints {"n", "ok", "errors": {message: count}, "p50_ms", "p99_ms",
      "max_ms"}: how long each took from connect to the whole answer.

  mgmt_clients.py abuse SOCKET SECONDS [--kinds K,K...] [--scale F]
      Hundreds of clients at once for SECONDS, each kind a number of
      asyncio tasks that start over as soon as they are done:
        slowloris  connects, sends half a command, never ends it
        nonreader  asks for a page of 1000 flows, never reads it
        oversize   sends 300 KiB
        malformed  binary junk, NUL bytes, endless words, bad lookups
        pager      pages through every flow (--limit 1000 --after ...)
        tail       asks for one flow past the table's filled start
        lookup     1000-tuple lookups
        churn      connects and closes at once
      Prints {"kinds": {kind: {outcome: count}}, "pages", "flows_listed",
      "passes", "max_answer_bytes"}.
"""

import argparse
import asyncio
import json
import os
import random
import socket
import sys
import time
from collections import Counter

ANSWER_MAX = 64 * 1024 * 1024


def request(path, req, timeout=5.0):
    """One request; returns (answer or None, error text or None)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(req.encode())
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
        data = b"".join(chunks)
        if not data.endswith(b"\n"):
            return None, "no whole answer (%d bytes)" % len(data)
        a = json.loads(data)
        if isinstance(a, dict) and "error" in a:
            return a, "error: " + str(a["error"])[:60]
        return a, None
    except Exception as e:  # every failure is counted by kind
        return None, type(e).__name__ + ": " + str(e)[:60]
    finally:
        s.close()


def probe(args):
    cmds = args.change.split("|") if args.change else ["status"]
    lat, errors = [], Counter()
    t_end = time.monotonic() + args.seconds
    k = 0
    while time.monotonic() < t_end:
        t0 = time.monotonic()
        _, err = request(args.socket, cmds[k % len(cmds)] + "\n")
        took = time.monotonic() - t0
        k += 1
        lat.append(took * 1000)
        if err:
            errors[err] += 1
        time.sleep(max(0.0, args.interval - took))
    lat.sort()
    q = (lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 1)) \
        if lat else (lambda p: None)
    print(json.dumps({"n": len(lat), "ok": len(lat) - sum(errors.values()),
                      "errors": dict(errors), "p50_ms": q(0.5),
                      "p99_ms": q(0.99), "max_ms": q(1.0)}))
    return 0


class Abuse:
    def __init__(self, args):
        self.path = args.socket
        self.until = time.monotonic() + args.seconds
        self.out = {}
        self.pages = 0
        self.flows = 0
        self.passes = 0
        self.max_answer = 0

    def count(self, kind, what):
        self.out.setdefault(kind, Counter())[what] += 1

    async def connect(self):
        return await asyncio.open_unix_connection(self.path, limit=ANSWER_MAX)

    async def answer(self, reader, timeout=7.0):
        """The whole answer, classified."""
        data = await asyncio.wait_for(reader.read(), timeout)
        self.max_answer = max(self.max_answer, len(data))
        if not data:
            return None, "closed without answer"
        if not data.endswith(b"\n"):
            return None, "cut short"
        try:
            a = json.loads(data)
        except ValueError:
            return None, "not JSON"
        if isinstance(a, dict) and "error" in a:
            e = str(a["error"])
            if "too many clients" in e:
                return a, "refused (too many clients)"
            if "try again" in e:
                return a, "error: try again"
            return a, "error answer"
        return a, "answer"

    async def exchange(self, kind, req):
        """Connect, send req (bytes), end it, read the answer."""
        r, w = await self.connect()
        try:
            w.write(req)
            await w.drain()
            w.write_eof()
        except (ConnectionError, BrokenPipeError):
            pass
        try:
            a, what = await self.answer(r)
        finally:
            w.close()
        self.count(kind, what)
        return a

    async def loop(self, kind, body):
        while time.monotonic() < self.until:
            try:
                await body(kind)
            except asyncio.TimeoutError:
                self.count(kind, "timeout")
            except (ConnectionError, OSError) as e:
                self.count(kind, type(e).__name__)
            # Refused clients come back at once, and so on: pressure, not
            # a busy loop of the test itself.
            await asyncio.sleep(random.uniform(0.005, 0.02))

    async def slowloris(self, kind):
        r, w = await self.connect()
        w.write(b"stat")
        await w.drain()
        try:
            data = await asyncio.wait_for(r.read(), self.until -
                                          time.monotonic() + 0.1)
            self.count(kind, "refused" if b"too many" in data else
                       "dropped" if not data else "answered?")
        except asyncio.TimeoutError:
            self.count(kind, "held to the end")
        w.close()

    async def nonreader(self, kind):
        r, w = await self.connect()
        w.write(b"flows --limit 1000\n")
        await w.drain()
        w.write_eof()
        await asyncio.sleep(random.uniform(1, 6))
        w.close()
        self.count(kind, "held")

    async def oversize(self, kind):
        await self.exchange(kind, b"A" * (300 * 1024))

    async def malformed(self, kind):
        junk = random.choice([
            bytes(random.getrandbits(8) for _ in range(random.randint(1, 2000))),
            b"status\0status\n",
            b"flows --limit " + b"9" * 5000 + b"\n",
            b"w " * 5000,
            b"lookup -\n" + b"tcp 1.2.3.4 99999 5.6.7.8 80\n" * 500,
            b"lookup -\n" + b"x\n" * 1500,
            b"flows --after 0:" + b"1" * 40 + b"\n",
            b"\xff\xfe" * 100 + b"\n",
            b"",
        ])
        await self.exchange(kind, junk)

    async def pager(self, kind):
        """Whole passes over the table; a refused or failed page is asked
        again from the same cursor."""
        cursor = None
        while time.monotonic() < self.until:
            req = "flows --limit 1000" + \
                (" --after " + cursor if cursor else "") + "\n"
            try:
                a = await self.exchange(kind, req.encode())
            except (ConnectionError, OSError, asyncio.TimeoutError) as e:
                self.count(kind, type(e).__name__)
                a = None
            if not isinstance(a, dict) or "flows" not in a:
                await asyncio.sleep(random.uniform(0.005, 0.02))
                continue
            self.pages += 1
            self.flows += len(a["flows"])
            cursor = a.get("next")
            if cursor is None:
                self.passes += 1

    async def tail(self, kind):
        """One flow from slot 200000 on: the walk crosses the empty end of
        a table filled from its start."""
        await self.exchange(kind, b"flows --limit 1 --after 0:200000\n")

    async def lookup(self, kind):
        lines = "".join("tcp 198.18.0.%d %d 10.0.0.1 9\n" %
                        (random.randint(0, 255), random.randint(1024, 65000))
                        for _ in range(1000))
        await self.exchange(kind, ("lookup -\n" + lines).encode())

    async def churn(self, kind):
        r, w = await self.connect()
        w.close()
        self.count(kind, "closed")

    async def run(self, kinds):
        tasks = [asyncio.create_task(self.loop(k, getattr(self, k)))
                 for k, n in kinds.items() for _ in range(n)]
        await asyncio.gather(*tasks, return_exceptions=True)


KINDS = {"slowloris": 100, "nonreader": 40, "oversize": 10, "malformed": 20,
         "pager": 4, "tail": 1, "lookup": 4, "churn": 20}


def abuse(args):
    want = args.kinds.split(",") if args.kinds else list(KINDS)
    kinds = {k: max(1, int(KINDS[k] * args.scale)) for k in want}
    a = Abuse(args)
    asyncio.run(a.run(kinds))
    print(json.dumps({"clients": sum(kinds.values()),
                      "kinds": {k: dict(v) for k, v in a.out.items()},
                      "pages": a.pages, "flows_listed": a.flows,
                      "passes": a.passes,
                      "max_answer_bytes": a.max_answer}, sort_keys=True))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    pp = sub.add_parser("probe")
    pp.add_argument("socket")
    pp.add_argument("seconds", type=float)
    pp.add_argument("interval", type=float)
    pp.add_argument("--change")
    pa = sub.add_parser("abuse")
    pa.add_argument("socket")
    pa.add_argument("seconds", type=float)
    pa.add_argument("--kinds")
    pa.add_argument("--scale", type=float, default=1.0)
    args = p.parse_args()
    return probe(args) if args.mode == "probe" else abuse(args)


if __name__ == "__main__":
    sys.exit(main())

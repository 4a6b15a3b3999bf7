#!/usr/bin/python3
"""HTTP client for edgelb's integration tests and demo.

Default mode: open N new TCP connections to HOST:PORT with bounded
concurrency and a total time bound; each one connects, sends
"GET / HTTP/1.0", reads the whole reply, closes. Records the local port and
the backend name (the reply body) of every connection and prints a JSON
summary on stdout. Exits 1 if more connections failed than --max-failed.

--duration S: instead of N, keep opening connections for S seconds (at most
--rate per second if given), or until --stop-file exists; for the demo.

--hold S: one HTTP/1.1 keep-alive connection sending a request every
--interval seconds for S seconds; --port-file gets "LOCAL_IP LOCAL_PORT" as
soon as it is connected. Summary lists the backend of every reply.

--events FILE (with --duration): one line per connection attempt,
"START END LOCAL_PORT BACKEND" or "START END - ERROR" (wall-clock seconds),
written as they end, for tests that time what happened when; with
--fail-ports, "START END - ERROR port=N", the local ports taken in turn so
that a tuple names one connection (and its flow) for a long run.

--holds K: K such connections at once, each in its own thread (from the
source ports of --src-ports if given), each until --hold S passed or
--stop-file exists; --port-file gets one "LOCAL_IP LOCAL_PORT" line per
connection once all are connected. Summary: one object per connection
(requests, backends seen, errors); exits 1 if any connection saw an error,
unless --allow-errors.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time
from collections import Counter

# --fail-ports: local ports taken in turn (the client namespace's
# ephemeral range is 10000-65000; these are bound explicitly).
FAIL_PORTS = (10000, 65000)


def parse_reply(data):
    """Return (status, body) of one complete HTTP response in data."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("no header end")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2:
        raise ValueError("bad status line")
    return int(status_line[1]), body


def one_connection(host, port, timeout, lport=None):
    """One HTTP/1.0 exchange, from local port lport if given. Returns
    (local_port, backend)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if lport is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", lport))
        s.connect((host, port))
        lport = s.getsockname()[1]
        s.sendall(b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host.encode())
        chunks = []
        while True:
            c = s.recv(4096)
            if not c:
                break
            chunks.append(c)
        status, body = parse_reply(b"".join(chunks))
        if status != 200:
            raise ValueError("HTTP status %d" % status)
        return lport, body.decode(errors="replace").strip()
    finally:
        s.close()


class Run:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.next = 0
        self.next_port = FAIL_PORTS[0]
        self.ok = []
        self.errors = Counter()
        self.t0 = time.monotonic()
        self.deadline = self.t0 + (args.duration or args.time_limit)
        self.events = open(args.events, "w") if args.events else None

    def take(self):
        """Claim the next connection number, or None when done."""
        with self.lock:
            now = time.monotonic()
            if now >= self.deadline:
                return None
            if self.args.stop_file and os.path.exists(self.args.stop_file):
                return None
            if self.args.duration is None and self.next >= self.args.n:
                return None
            if self.args.rate:
                due = self.t0 + self.next / self.args.rate
                if due > now:
                    # Sleep while holding the lock: spaces out all threads.
                    time.sleep(min(due - now, self.deadline - now))
            self.next += 1
            return self.next

    def event(self, start, what):
        if self.events is not None:
            self.events.write("%.3f %.3f %s\n" % (start, time.time(), what))
            self.events.flush()

    def worker(self):
        a = self.args
        while self.take() is not None:
            start = time.time()
            lport = None
            if a.fail_ports:
                with self.lock:
                    lport = self.next_port
                    self.next_port = lport + 1 if lport + 1 < FAIL_PORTS[1] \
                        else FAIL_PORTS[0]
            try:
                lport, backend = one_connection(a.host, a.port, a.timeout,
                                                lport)
                with self.lock:
                    self.ok.append((lport, backend))
                    self.event(start, "%d %s" % (lport, backend))
            except Exception as e:  # every failure is counted by kind
                kind = type(e).__name__ + ": " + str(e)[:60]
                with self.lock:
                    self.errors[kind] += 1
                    self.event(start, "- " + type(e).__name__ +
                               (" port=%d" % lport if lport else ""))

    def run(self):
        threads = [threading.Thread(target=self.worker, daemon=True)
                   for _ in range(self.args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            # Bounded even if a connection hangs past the deadline.
            t.join(max(0.1, self.deadline - time.monotonic()
                       + self.args.timeout + 1))
        with self.lock:
            ok = list(self.ok)
            errors = Counter(self.errors)
            attempted = self.next
        elapsed = time.monotonic() - self.t0
        failed = attempted - len(ok)
        summary = {
            "attempted": attempted,
            "ok": len(ok),
            "failed": failed,
            "errors": dict(errors),
            "elapsed_s": round(elapsed, 3),
            "rate_per_s": round(len(ok) / elapsed, 1) if elapsed else 0,
            "backends": dict(sorted(Counter(b for _, b in ok).items())),
        }
        if self.args.log:
            with open(self.args.log, "w") as f:
                for lport, backend in ok:
                    f.write("%d %s\n" % (lport, backend))
        incomplete = (self.args.duration is None and attempted < self.args.n)
        if incomplete:
            summary["incomplete"] = self.args.n - attempted
        return summary, failed > self.args.max_failed or incomplete


def keepalive_loop(s, host, interval, until, stop=None):
    """Requests on keep-alive socket s every interval until time until or
    stop() says so. Returns (replies [(status, body)], errors Counter)."""
    req = b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode()
    replies, errors = [], Counter()
    buf = b""
    while time.monotonic() < until and not (stop and stop()):
        try:
            s.sendall(req)
            while True:
                head, sep, rest = buf.partition(b"\r\n\r\n")
                if sep:
                    clen = 0
                    for line in head.split(b"\r\n")[1:]:
                        k, _, v = line.partition(b":")
                        if k.strip().lower() == b"content-length":
                            clen = int(v)
                    if len(rest) >= clen:
                        status, _ = parse_reply(head + sep)
                        replies.append((status, rest[:clen].decode().strip()))
                        buf = rest[clen:]
                        break
                c = s.recv(4096)
                if not c:
                    raise ConnectionError("closed by peer")
                buf += c
        except Exception as e:
            errors[type(e).__name__ + ": " + str(e)[:60]] += 1
            break
        time.sleep(interval)
    return replies, errors


def hold_many(args):
    """--holds K keep-alive connections at once, one thread each."""
    import os
    ports = [int(x) for x in args.src_ports.split(",")] \
        if args.src_ports else [0] * args.holds
    if len(ports) != args.holds:
        raise SystemExit("--src-ports: %d ports for --holds %d" %
                         (len(ports), args.holds))
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(args.timeout)
        if p:
            s.bind(("0.0.0.0", p))
        s.connect((args.host, args.port))
        socks.append(s)
    names = [s.getsockname()[:2] for s in socks]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            for lip, lport in names:
                f.write("%s %d\n" % (lip, lport))
        os.rename(args.port_file + ".tmp", args.port_file)
    until = time.monotonic() + args.hold
    stop_file = args.stop_file

    def stop():
        return stop_file is not None and os.path.exists(stop_file)

    results = [None] * len(socks)

    def run(i):
        t0 = time.monotonic()
        replies, errors = keepalive_loop(socks[i], args.host, args.interval,
                                         until, stop)
        results[i] = (replies, errors, time.monotonic() - t0)
        socks[i].close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True)
               for i in range(len(socks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.hold + args.timeout + 5)
    conns = []
    for (lip, lport), r in zip(names, results):
        replies, errors, took = r if r is not None else ([], Counter(
            {"thread did not finish": 1}), 0)
        backends = [b for st, b in replies if st == 200]
        conns.append({"local_ip": lip, "local_port": lport,
                      "requests": len(replies), "ok": len(backends),
                      "backends": sorted(set(backends)),
                      "errors": dict(errors), "seconds": round(took, 3)})
    summary = {
        "connections": conns,
        "requests": sum(c["requests"] for c in conns),
        "ok": sum(c["ok"] for c in conns),
        "with_errors": sum(1 for c in conns if c["errors"]),
    }
    bad = any(c["errors"] or c["ok"] != c["requests"] or not c["ok"]
              for c in conns)
    return summary, bad and not args.allow_errors


def hold(args):
    """One keep-alive connection, a request every interval."""
    s = socket.create_connection((args.host, args.port), timeout=args.timeout)
    lip, lport = s.getsockname()[:2]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%s %d\n" % (lip, lport))
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    replies, errors = keepalive_loop(s, args.host, args.interval,
                                     time.monotonic() + args.hold)
    s.close()
    backends = [b for st, b in replies if st == 200]
    summary = {
        "local_ip": lip,
        "local_port": lport,
        "requests": len(replies),
        "ok": len(backends),
        "backends": backends,
        "distinct_backends": sorted(set(backends)),
        "errors": dict(errors),
    }
    bad = errors or len(backends) != len(replies) or not backends
    return summary, bool(bad)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("host")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("-n", type=int, default=1000, help="connections")
    p.add_argument("-c", "--concurrency", type=int, default=32)
    p.add_argument("--time-limit", type=float, default=120,
                   help="total time bound (s) for -n mode")
    p.add_argument("--duration", type=float, default=None,
                   help="run for this long (s) instead of -n connections")
    p.add_argument("--rate", type=float, default=None,
                   help="at most this many new connections per second")
    p.add_argument("--timeout", type=float, default=5,
                   help="per-connection socket timeout (s)")
    p.add_argument("--max-failed", type=int, default=0,
                   help="failures tolerated before exiting non-zero")
    p.add_argument("--log", help="write 'LOCAL_PORT BACKEND' lines here")
    p.add_argument("--events", help="write one timed line per attempt here")
    p.add_argument("--fail-ports", action="store_true",
                   help="take local ports in turn from %d-%d (none used "
                   "twice before the range is gone round) and name the "
                   "port in the --events line of a failure (ERROR port=N)"
                   % FAIL_PORTS)
    p.add_argument("--hold", type=float, default=None,
                   help="one keep-alive connection for this long (s)")
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--port-file")
    p.add_argument("--holds", type=int, default=None,
                   help="this many keep-alive connections at once")
    p.add_argument("--src-ports", help="their source ports, comma list")
    p.add_argument("--stop-file", help="end the keep-alive connections "
                   "once this file exists")
    p.add_argument("--allow-errors", action="store_true",
                   help="exit 0 even if a keep-alive connection failed")
    args = p.parse_args()

    if args.hold is not None and args.holds is not None:
        summary, bad = hold_many(args)
    elif args.hold is not None:
        summary, bad = hold(args)
    else:
        summary, bad = Run(args).run()
    json.dump(summary, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

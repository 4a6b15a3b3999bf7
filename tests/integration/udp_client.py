#!/usr/bin/python3
"""UDP client for edgelb's integration tests.

Sends N datagrams to HOST:PORT, each from its own new socket (so its own
source port: every socket stays open until the run ends, so the kernel
never hands a port out twice), with bounded concurrency and a total time
bound. Each datagram waits --timeout s for the answer (the backend's name)
and is sent again, from the same socket, up to --retries times; every
resend is counted. A reply must come from HOST:PORT (in DR the backend
answers from the VIP); one from anywhere else is counted as
"wrong_source" and ignored.

With --again, each socket then sends a second datagram, which must reach
the same backend (the flow table holds the first one's flow).

Prints a JSON summary on stdout; --log gets "LOCAL_PORT BACKEND [BACKEND2]"
per answered socket. Exits 1 if any datagram went unanswered.
"""

import argparse
import json
import resource
import socket
import sys
import threading
import time
from collections import Counter


class Run:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.next = 0
        self.results = []      # (lport, backend, backend2 or None)
        self.errors = Counter()
        self.resends = 0
        self.wrong_source = 0
        self.socks = []
        self.t0 = time.monotonic()
        self.deadline = self.t0 + a.time_limit

    def take(self):
        with self.lock:
            if self.next >= self.a.n or time.monotonic() >= self.deadline:
                return None
            self.next += 1
            return self.next

    def exchange(self, s, payload):
        """Send payload until a reply from the server comes; its text."""
        want = (self.a.host, self.a.port)
        for attempt in range(self.a.retries + 1):
            if attempt:
                with self.lock:
                    self.resends += 1
            s.sendto(payload, want)
            end = time.monotonic() + self.a.timeout
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    data, src = s.recvfrom(2048)
                except socket.timeout:
                    break
                if src != want:
                    with self.lock:
                        self.wrong_source += 1
                    continue
                return data.decode(errors="replace").strip()
        raise TimeoutError("no reply after %d sends" % (self.a.retries + 1))

    def worker(self):
        while True:
            i = self.take()
            if i is None:
                return
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            with self.lock:
                self.socks.append(s)
            try:
                base = self.a.src_port_base
                s.bind(("0.0.0.0", base + i if base else 0))
                lport = s.getsockname()[1]
                b1 = self.exchange(s, b"first %d" % i)
                b2 = None
                if self.a.again:
                    b2 = self.exchange(s, b"again %d" % i)
                with self.lock:
                    self.results.append((lport, b1, b2))
            except Exception as e:  # every failure is counted by kind
                with self.lock:
                    self.errors[type(e).__name__ + ": " + str(e)[:60]] += 1

    def run(self):
        threads = [threading.Thread(target=self.worker, daemon=True)
                   for _ in range(self.a.concurrency)]
        for t in threads:
            t.start()
        per = self.a.timeout * (self.a.retries + 1) * (2 if self.a.again
                                                       else 1)
        for t in threads:
            t.join(max(0.1, self.deadline - time.monotonic() + per + 1))
        elapsed = time.monotonic() - self.t0
        with self.lock:
            res = list(self.results)
            attempted = self.next
            errors = dict(self.errors)
            for s in self.socks:
                s.close()
        ports = [r[0] for r in res]
        summary = {
            "attempted": attempted,
            "ok": len(res),
            "failed": attempted - len(res),
            "errors": errors,
            "resends": self.resends,
            "wrong_source": self.wrong_source,
            "distinct_ports": len(set(ports)),
            "elapsed_s": round(elapsed, 3),
            "backends": dict(sorted(Counter(r[1] for r in res).items())),
        }
        if self.a.again:
            summary["again_same"] = sum(1 for r in res if r[1] == r[2])
            summary["again_other"] = sum(1 for r in res if r[1] != r[2])
        if self.a.log:
            with open(self.a.log, "w") as f:
                for lport, b1, b2 in res:
                    f.write("%d %s%s\n" % (lport, b1,
                                           " " + b2 if b2 else ""))
        bad = summary["failed"] > 0 or attempted < self.a.n
        return summary, bad


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("host")
    p.add_argument("--port", type=int, default=5353)
    p.add_argument("-n", type=int, default=2000, help="datagrams (sockets)")
    p.add_argument("-c", "--concurrency", type=int, default=32)
    p.add_argument("--timeout", type=float, default=1.0,
                   help="wait for a reply (s) before sending again")
    p.add_argument("--retries", type=int, default=3)
    p.add_argument("--src-port-base", type=int, default=0,
                   help="bind datagram i to this port + i instead of an "
                        "ephemeral one (keeps warm-up tuples out of the "
                        "ephemeral range a later run draws from)")
    p.add_argument("--time-limit", type=float, default=60)
    p.add_argument("--again", action="store_true",
                   help="a second datagram from each socket")
    p.add_argument("--log")
    a = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, a.n + 256) if hard != resource.RLIM_INFINITY \
        else a.n + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    summary, bad = Run(a).run()
    json.dump(summary, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

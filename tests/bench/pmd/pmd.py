#!/usr/bin/python3
"""Single-process PMD benchmark (issue 4, part 2); run through tests/bench/pmd.sh.

edgelbd's real worker forwards 64-byte TCP ACKs of established flows from an
input port to a net_null port (no-rx=1). In the same run, interleaved round
by round, dpdk-testpmd forwards the same traffic between the same two vdevs
in `io` and `5tswap` mode as the baselines. Every forwarding core is 100 %
busy polling, so cycles/packet = TSC Hz / packets per second.

The input port depends on the flow count (its "transport"):
- up to PCAP_MAX_FLOWS: net_pcap, infinite_rx replay of a crafted pcap;
- above: net_memif in the server role, fed by edgelb-pmd-gen (gen.c, a DPDK
  primary of its own on CPU 0 with a net_memif client port) sending the N
  flows' frames in a fixed shuffled order. The generator reports its own
  rate and how often it found the ring full, so each row says whether the
  receiver or the generator set the pace.

Environment: BUILD (edgelbd/edgelbctl/generator build dir), DURATION (s per
measurement, default 5), ROUNDS (default 3), WARMUP (s, default 1),
FLOWS (default "1 4096 65536 1048576"), PCAP_MAX_FLOWS (default 65536),
FLOW_TABLE_SIZE (default 131072; raised to 2 x flows, a power of two, for
larger flow counts), TESTPMD (default dpdk-testpmd), KEEP_TMP=1 keeps the
pcaps and logs.
"""
import ctypes
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VIP, VIP_PORT = "10.0.0.100", 80
# net_pcap derives its MAC from "\x02pcap" and a per-process device index;
# the probe below checks it and the pcaps are rewritten if it ever differs.
PCAP_MAC_GUESS = "02:70:63:61:70:00"
# EAL memory: hugepages when pmd.sh could reserve them (tests/bench/lib).
MEM_ARGS = os.environ.get("BENCH_MEM_ARGS", "--no-huge -m 1024")
GEN_MEM_ARGS = os.environ.get("BENCH_GEN_MEM_ARGS", "--no-huge -m 256")
GEN_EXE = "tests/bench/pmd/edgelb-pmd-gen"
# net_memif's default MAC is random: fix the server's ("\x02memif").
MEMIF_MAC = "02:6d:65:6d:69:66"
# Small shared buffers: a 64-byte frame needs no 2 KiB slot, and the ring's
# buffers then stay in cache.
MEMIF_BSIZE = 128
GEN_PERIOD_MS = 250
MEMIF_RING = 1024       # net_memif's default ring (rsize=10)
# A receiver slower than the generator keeps the ring full and the
# generator waits for room. When it waited this share of its cycles or
# more, the receiver set the pace; below, the generator (nearly) did, and
# the receiver's rate is then only a lower bound of what it can do.
STALLED_BOUND_PCT = 10.0
TARGET_RATIO = 0.35     # issue 4: edgelb / testpmd 5tswap, <= 64 k flows
TARGET_CYCLES = 120     # issue 4: established flows, one worker
MAX_INFLIGHT = 2 * 64   # rx - tx - drops allowed in a moment's view

INI = """[global]
socket = {sock}
eal_args = "{mem} --file-prefix={prefix} --log-level=lib.eal:debug"
workers = 1
flow_table_size = {fts}
idle_sleep_us = 0
extra_mbufs = {extra}

[port.in]
device = {device}
address = 10.0.0.2/24

[port.out]
device = net_null0,no-rx=1
address = 10.1.0.2/24

[vip.web]
address = {vip}
port = {vport}
pool = web

[pool.web]

[backend.b1]
pool = web
address = 10.1.0.11
weight = 1
mac = 02:00:00:00:01:11

[backend.b2]
pool = web
address = 10.1.0.12
weight = 2
mac = 02:00:00:00:01:12

[backend.b3]
pool = web
address = 10.1.0.13
weight = 3
mac = 02:00:00:00:01:13
"""


class BenchError(Exception):
    pass


class Terminated(Exception):
    pass


def on_signal(signum, _frame):
    raise Terminated("signal %d" % signum)


def env_num(name, default, kind=float):
    v = os.environ.get(name, "")
    try:
        return kind(v) if v else default
    except ValueError:
        sys.exit("pmd: %s=%r is not a number" % (name, v))


def die_with_parent():
    """Child side of fork: get SIGTERM if this harness dies (even SIGKILL)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass    # PR_SET_PDEATHSIG is a safety net only


class Runner:
    """Starts DPDK processes in their own session; kills only those."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        self.holdable = set()   # pids that take SIGUSR1 (the generator)
        self.prefixes = []
        self.seq = 0

    def start(self, argv, name):
        self.seq += 1
        log = os.path.join(self.tmp, "%02d-%s.log" % (self.seq, name))
        f = open(log, "wb")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL,
                             start_new_session=True,
                             preexec_fn=die_with_parent)
        f.close()
        self.procs.append(p)
        return p, log

    def path(self, name):
        self.seq += 1
        return os.path.join(self.tmp, "%02d-%s" % (self.seq, name))

    def prefix(self, what):
        pfx = "pmd%d-%s-%d" % (os.getpid(), what, self.seq + 1)
        self.prefixes.append(pfx)
        return pfx

    def stop(self, p, grace=10.0):
        """SIGTERM the process group we created, then SIGKILL."""
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        if p in self.procs:
            self.procs.remove(p)
        return p.returncode

    def cleanup(self):
        # a generator stops sending before its memif peer goes (gen.c)
        held = [p for p in self.procs if p.pid in self.holdable]
        for p in held:
            try:
                os.kill(p.pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass
        if held:
            time.sleep(0.3)
        for p in list(self.procs):
            self.stop(p, grace=3.0)
        for pfx in self.prefixes:
            shutil.rmtree("/var/run/dpdk/" + pfx, ignore_errors=True)


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def tail(path, n=6):
    """The last lines of a DPDK log that are not routine EAL chatter."""
    try:
        lines = read(path).splitlines()
    except OSError:
        return ""
    keep = [l for l in lines if not l.startswith("EAL: ") and
            "TELEMETRY:" not in l] or lines
    return "\n".join(keep[-n:])


def tsc_from_log(path):
    m = re.search(r"TSC frequency is ~(\d+) KHz", read(path))
    return int(m.group(1)) * 1000 if m else None


def cpuinfo_hz():
    try:
        m = re.search(r"cpu MHz\s*:\s*([\d.]+)", read("/proc/cpuinfo"))
        return float(m.group(1)) * 1e6 if m else None
    except OSError:
        return None


def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:8]), v[7] if len(v) > 7 else 0   # total, steal


def host_facts():
    facts = {"nproc": os.cpu_count(), "kernel": os.uname().release}
    try:
        m = re.search(r"model name\s*:\s*(.*)", read("/proc/cpuinfo"))
        facts["cpu_model"] = m.group(1).strip() if m else None
    except OSError:
        facts["cpu_model"] = None
    try:
        facts["dpdk_version"] = subprocess.run(
            ["pkg-config", "--modversion", "libdpdk"], capture_output=True,
            text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        facts["dpdk_version"] = None
    facts["cpuinfo_mhz_hz"] = cpuinfo_hz()
    facts["loadavg_at_start"] = read("/proc/loadavg").split()[:3]
    facts["hugepages"] = "--no-huge" not in MEM_ARGS.split()
    return facts


def memif_vdev(sock, role):
    """The net_memif vdev of either end; the socket file lives in tmp."""
    dev = "net_memif0,role=%s,id=0,socket=%s,socket-abstract=no" % (role,
                                                                    sock)
    if role == "server":
        return dev + ",mac=" + MEMIF_MAC
    return dev + ",bsize=%d" % MEMIF_BSIZE


class Feed:
    """What a flow count's input port is: a pcap, or a memif + generator."""

    def __init__(self, cfg, flows, tmp):
        self.flows = flows
        self.transport = ("net_pcap" if flows <= cfg["pcap_max_flows"]
                          else "net_memif")
        self.pcap = os.path.join(tmp, "flows-%d.pcap" % flows) \
            if self.transport == "net_pcap" else None
        self.sock = None        # per measurement, set by the caller

    def device(self):
        if self.pcap:
            return "net_pcap0,rx_pcap=%s,infinite_rx=1" % self.pcap
        return memif_vdev(self.sock, "server")

    def path_label(self):
        if self.pcap:
            return "net_pcap->net_null"
        return "net_memif(edgelb-pmd-gen on CPU 0)->net_null"


class Generator:
    """edgelb-pmd-gen: its own DPDK primary, client end of the memif."""

    def __init__(self, cfg, runner):
        self.exe = os.path.join(cfg["build"], GEN_EXE)
        self.r = runner

    def start(self, feed, tag):
        argv = [self.exe, "-l", "0", *GEN_MEM_ARGS.split(),
                "--file-prefix=" + self.r.prefix("gen"), "--no-pci",
                "--log-level=lib.eal:notice",
                "--vdev=" + memif_vdev(feed.sock, "client"), "--",
                "-n", str(feed.flows), "-m", MEMIF_MAC, "-a", VIP,
                "-p", str(VIP_PORT), "-i", str(GEN_PERIOD_MS)]
        p, log = self.r.start(argv, "gen-" + tag)
        self.r.holdable.add(p.pid)
        return p, log

    @staticmethod
    def lines(log):
        out = []
        for line in read(log).splitlines():
            if line.startswith('{"final"'):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass    # a line cut by the read: the next read has it
        return out

    def wait_passes(self, p, log, passes, others, timeout=60.0):
        """Until the generator sent `passes` full passes over the flows."""
        deadline = time.monotonic() + timeout
        while True:
            if p.poll() is not None:
                raise BenchError("generator exited (%s):\n%s"
                                 % (p.returncode, tail(log)))
            for q, qlog, name in others:
                if q.poll() is not None:
                    raise BenchError("%s exited (%s) while fed:\n%s"
                                     % (name, q.returncode, tail(qlog)))
            ls = self.lines(log)
            if ls and ls[-1]["passes"] >= passes:
                return
            if time.monotonic() > deadline:
                raise BenchError("generator: %d passes not reached in %g s:"
                                 "\n%s" % (passes, timeout, tail(log)))
            time.sleep(0.1)

    def hold(self, p, log, timeout=5.0):
        """Stop sending, port kept open (see gen.c): the receiver may go."""
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while p.poll() is None and time.monotonic() < deadline:
            ls = self.lines(log)
            if ls and ls[-1]["final"]:
                break
            time.sleep(0.05)
        time.sleep(0.1)     # let the receiver drain the ring

    def stop(self, p, log):
        rc = self.r.stop(p)
        ls = self.lines(log)
        fins = [l for l in ls if l["final"]]
        return rc, ls, fins[0] if fins else None


def gen_window(lines, ta, tb, fin, rc):
    """The generator's counters between its reports nearest [ta, tb]."""
    inside = [l for l in lines if ta <= l["mono"] <= tb]
    problems = []
    if len(inside) < 2:
        return {"problems": ["generator: fewer than 2 reports in the "
                             "window"]}
    a, b = inside[0], inside[-1]
    d = {k: b[k] - a[k] for k in ("sent", "tx_calls", "tx_partial",
                                  "tx_zero", "cycles", "stall_cycles",
                                  "alloc_fail", "drops")}
    dt = b["mono"] - a["mono"]
    if fin is None:
        problems.append("generator printed no final counters")
    elif fin["drops"] or fin["alloc_fail"]:
        problems.append("generator: drops %d, mbuf alloc failures %d"
                        % (fin["drops"], fin["alloc_fail"]))
    if rc not in (0, None):
        problems.append("generator exit status %d" % rc)
    full = 100.0 * d["tx_zero"] / max(1, d["tx_calls"])
    stalled = 100.0 * d["stall_cycles"] / max(1, d["cycles"])
    return {
        "sent_pps": d["sent"] / dt if dt > 0 else 0.0,
        "window_s": dt,
        "own_cycles_per_packet": (d["cycles"] - d["stall_cycles"])
        / max(1, d["sent"]),
        "ring_full_pct_of_tx_calls": round(full, 2),
        "stalled_pct_of_cycles": round(stalled, 2),
        "bound": "receiver" if stalled >= STALLED_BOUND_PCT else "generator",
        "window": d, "final": fin, "problems": problems,
    }


def gen_pcap(path, flows, mac):
    subprocess.run(["/usr/bin/python3", os.path.join(HERE, "gen_pcap.py"),
                    path, str(flows), mac, VIP, str(VIP_PORT), "64"],
                   check=True)


class Edgelb:
    def __init__(self, cfg, runner):
        self.cfg = cfg
        self.r = runner
        self.daemon = os.path.join(cfg["build"], "app/edgelbd/edgelbd")
        self.ctl = os.path.join(cfg["build"], "app/edgelbctl/edgelbctl")
        self.sock = os.path.join(runner.tmp, "lb.sock")

    def ctl_json(self, *args):
        out = subprocess.run([self.ctl, "-s", self.sock, "-j"] + list(args),
                             capture_output=True, text=True, timeout=10)
        if out.returncode != 0:
            raise BenchError("edgelbctl %s: %s" % (" ".join(args),
                                                   out.stderr.strip()))
        return json.loads(out.stdout)

    def start(self, feed, tag):
        ini = os.path.join(self.r.tmp, "edgelb-%s.ini" % tag)
        # net_pcap keeps the whole capture in mbufs; memif only a ring's
        extra = os.path.getsize(feed.pcap) // 76 + 1024 if feed.pcap else 0
        with open(ini, "w") as f:
            f.write(INI.format(sock=self.sock, mem=MEM_ARGS,
                               prefix=self.r.prefix("lb"),
                               fts=table_size(self.cfg, feed.flows),
                               device=feed.device(), extra=extra,
                               vip=VIP, vport=VIP_PORT))
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        p, log = self.r.start([self.daemon, "-f", ini], "edgelbd-" + tag)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise BenchError("edgelbd exited (%s) during start-up:\n%s"
                                 % (p.returncode, tail(log)))
            if os.path.exists(self.sock):
                try:
                    return p, log, self.ctl_json("status")
                except BenchError:
                    pass
            time.sleep(0.2)
        self.r.stop(p)
        raise BenchError("edgelbd not ready after 30 s:\n" + tail(log))

    def probe_mac(self, feed):
        """The MAC net_pcap gives port "in" (frames must be sent to it)."""
        p, _log, st = self.start(feed, "probe")
        try:
            return port_mac(st, "in")
        finally:
            self.r.stop(p)

    def stats(self):
        t0 = time.monotonic()
        s = self.ctl_json("stats")
        t1 = time.monotonic()
        return (t0 + t1) / 2, s

    def measure(self, feed, mac, tag):
        if feed.pcap is None:
            return self.measure_memif(feed, tag)
        p, log, st = self.start(feed, tag)
        try:
            got = port_mac(st, "in")
            if got != mac:
                raise BenchError("port in has MAC %s but the pcap is sent "
                                 "to %s" % (got, mac))
            time.sleep(self.cfg["warmup"])
            ta, a = self.stats()
            time.sleep(self.cfg["duration"])
            tb, b = self.stats()
            if p.poll() is not None:
                raise BenchError("edgelbd died during the measurement:\n"
                                 + tail(log))
        finally:
            rc = self.r.stop(p)
        return edgelb_sample(a, b, tb - ta, feed.flows, rc,
                             tsc_from_log(log))

    def wait_flows(self, p, log, flows, timeout=60.0):
        """Until the flow table holds every flow (the first passes)."""
        deadline = time.monotonic() + timeout
        while True:
            if p.poll() is not None:
                raise BenchError("edgelbd died during warm-up:\n"
                                 + tail(log))
            n = self.ctl_json("stats")["flows"]["entries"]
            if n >= flows:
                return
            if time.monotonic() > deadline:
                raise BenchError("warm-up: %d of %d flows in the table "
                                 "after %g s" % (n, flows, timeout))
            time.sleep(0.25)

    def measure_memif(self, feed, tag):
        """Generator started after edgelbd listens; stopped before it."""
        gen = Generator(self.cfg, self.r)
        feed.sock = self.r.path("memif-lb-%s.sock" % tag)
        p, log, st = self.start(feed, tag)
        g = None
        try:
            got = port_mac(st, "in")
            if got != MEMIF_MAC:
                raise BenchError("port in has MAC %s, expected %s"
                                 % (got, MEMIF_MAC))
            g, glog = gen.start(feed, tag)
            # pass 1 (SYNs) inserts every flow, pass 2 (ACKs) establishes
            # it: measure established flows only
            gen.wait_passes(g, glog, 2, [(p, log, "edgelbd")])
            self.wait_flows(p, log, feed.flows)
            time.sleep(self.cfg["warmup"])
            ta, a = self.stats()
            time.sleep(self.cfg["duration"])
            tb, b = self.stats()
            if p.poll() is not None or g.poll() is not None:
                raise BenchError("edgelbd or the generator died during the "
                                 "measurement:\n%s\n%s"
                                 % (tail(log), tail(glog)))
        finally:
            if g:
                gen.hold(g, glog)
            rc = self.r.stop(p)
            grc, lines, fin = gen.stop(g, glog) if g else (None, [], None)
        s = edgelb_sample(a, b, tb - ta, feed.flows, rc, tsc_from_log(log))
        s["generator"] = gen_window(lines, ta, tb, fin, grc)
        s["problems"] += s["generator"]["problems"]
        return s


def table_size(cfg, flows):
    """Flow-table entries: the configured size, or 2 x flows when larger
    (the same half-full table the default gives 64 k flows)."""
    want = cfg["flow_table_size"]
    while want < 2 * flows:
        want *= 2
    return want


def port_mac(status, name):
    for port in status.get("ports", []):
        if port.get("name") == name:
            return port.get("mac", "").lower()
    raise BenchError("edgelbctl status has no port %r" % name)


def port_of(stats, name):
    for port in stats["ports"]:
        if port["name"] == name:
            return port
    raise BenchError("edgelbctl stats has no port %r" % name)


def drops_of(stats):
    d = {}
    for port in stats["ports"]:
        for reason, n in port["drops"].items():
            if n:
                d["%s.%s" % (port["name"], reason)] = n
    return d


def edgelb_sample(a, b, dt, flows, rc, tsc_hz):
    rx = port_of(b, "in")["rx_packets"] - port_of(a, "in")["rx_packets"]
    tx = port_of(b, "out")["tx_packets"] - port_of(a, "out")["tx_packets"]
    drops_a, drops_b = drops_of(a), drops_of(b)
    window_drops = {k: v - drops_a.get(k, 0) for k, v in drops_b.items()
                    if v - drops_a.get(k, 0)}
    tot = b["totals"]
    # rx - tx - drops is what is in flight inside the worker at that moment
    inflight = tot["rx_packets"] - tot["tx_packets"] - tot["drops"]
    problems = []
    if tot["drops"]:
        problems.append("drops since start: %s" % drops_of(b))
    if abs(rx - tx) > MAX_INFLIGHT or not 0 <= inflight <= MAX_INFLIGHT:
        problems.append("tx != rx: window rx %d tx %d, totals rx %d tx %d "
                        "drops %d" % (rx, tx, tot["rx_packets"],
                                      tot["tx_packets"], tot["drops"]))
    fl = b["flows"]
    if tot["new_flows"] != flows or fl["inserts"] != flows:
        problems.append("expected %d new flows, got %d (inserts %d)"
                        % (flows, tot["new_flows"], fl["inserts"]))
    hits = fl["hits"] - a["flows"]["hits"]
    if abs(hits - (rx - sum(window_drops.values()))) > MAX_INFLIGHT:
        problems.append("window: %d flow hits for %d packets" % (hits, rx))
    if fl["fallbacks"]:
        problems.append("%d flow-table fallbacks (table full)"
                        % fl["fallbacks"])
    if rc not in (0, None):
        problems.append("edgelbd exit status %d" % rc)
    return {"pps": rx / dt, "window_s": dt, "rx": rx, "tx": tx,
            "window_drops": window_drops, "drops_total": tot["drops"],
            "new_flows": tot["new_flows"], "flow_entries": fl["entries"],
            "window_hits": hits, "problems": problems, "tsc_hz": tsc_hz}


class Testpmd:
    PORT_HDR = re.compile(r"NIC statistics for port (\d+)")
    RX_PPS = re.compile(r"Rx-pps:\s+(\d+)")
    TX_PPS = re.compile(r"Tx-pps:\s+(\d+)")
    NOMBUF = re.compile(r"RX-nombuf:\s+(\d+)")

    def __init__(self, cfg, runner):
        self.cfg = cfg
        self.r = runner

    def samples(self, text):
        """(port 0 Rx-pps, port 1 Tx-pps) for each --stats-period print."""
        out, port, cur = [], None, {}
        for line in text.splitlines():
            m = self.PORT_HDR.search(line)
            if m:
                port = int(m.group(1))
                continue
            m = self.RX_PPS.search(line)
            if m and port == 0:
                cur["rx"] = int(m.group(1))
            m = self.TX_PPS.search(line)
            if m and port == 1:
                cur["tx"] = int(m.group(1))
                if "rx" in cur:
                    out.append((cur["rx"], cur["tx"]))
                cur = {}
        return out

    def final(self, text):
        """Accumulated forward stats printed when testpmd stops."""
        m = re.search(r"Accumulated forward statistics for all ports.*?"
                      r"RX-packets:\s+(\d+)\s+RX-dropped:\s+(\d+).*?"
                      r"TX-packets:\s+(\d+)\s+TX-dropped:\s+(\d+)",
                      text, re.S)
        if not m:
            return None
        return dict(zip(("rx", "rx_dropped", "tx", "tx_dropped"),
                        (int(x) for x in m.groups())))

    def wait_samples(self, p, log, mode, n, timeout):
        """Until testpmd printed n stats samples; when the n-th came."""
        deadline = time.monotonic() + timeout
        while True:
            if p.poll() is not None:
                raise BenchError("testpmd %s exited (%s):\n%s"
                                 % (mode, p.returncode, tail(log)))
            if len(self.samples(read(log))) >= n:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise BenchError("testpmd %s: too few stats samples:\n%s"
                                 % (mode, tail(log)))
            time.sleep(0.25)

    def start_feed(self, feed, p, log, mode, tag):
        """memif: once testpmd listens, the generator, past one pass."""
        gen = Generator(self.cfg, self.r)
        deadline = time.monotonic() + 30
        while not os.path.exists(feed.sock):
            if p.poll() is not None or time.monotonic() > deadline:
                raise BenchError("testpmd %s: no memif socket:\n%s"
                                 % (mode, tail(log)))
            time.sleep(0.1)
        g, glog = gen.start(feed, "%s-%s" % (mode, tag))
        try:
            gen.wait_passes(g, glog, 1, [(p, log, "testpmd")])
        except BenchError:
            gen.hold(g, glog)
            self.r.stop(p)
            gen.stop(g, glog)
            raise
        return gen, g, glog

    def measure(self, feed, mode, tag):
        skip = 1 + int(math.ceil(self.cfg["warmup"]))
        need = int(math.ceil(self.cfg["duration"]))
        if feed.pcap is None:
            feed.sock = self.r.path("memif-tp-%s-%s.sock" % (mode, tag))
        argv = [self.cfg["testpmd"], "-l", "0,1", *MEM_ARGS.split(),
                "--file-prefix=" + self.r.prefix("tp"), "--no-pci",
                "--log-level=lib.eal:debug",
                "--vdev=" + feed.device(),
                "--vdev=net_null0,no-rx=1", "--",
                "--nb-cores=1", "--forward-mode=" + mode,
                "--stats-period", "1", "--auto-start"]
        p, log = self.r.start(argv, "testpmd-%s-%s" % (mode, tag))
        g = gen = None
        try:
            first = 0
            if feed.pcap is None:
                gen, g, glog = self.start_feed(feed, p, log, mode, tag)
                # samples before the generator ran are not the window
                first = len(self.samples(read(log)))
            ta = self.wait_samples(p, log, mode, first + skip,
                                   30 + skip)
            tb = self.wait_samples(p, log, mode, first + skip + need,
                                   30 + need)
        finally:
            if g is not None:
                gen.hold(g, glog)
            rc = self.r.stop(p)
            if g is not None:
                grc, lines, gfin = gen.stop(g, glog)
        text = read(log)
        window = self.samples(text)[first + skip:first + skip + need]
        fin = self.final(text)
        problems = []
        if fin is None:
            problems.append("no final forward statistics")
        elif fin["rx_dropped"] or fin["tx_dropped"] or fin["rx"] != fin["tx"]:
            problems.append("final stats: %s" % fin)
        elif g is not None and gfin is not None and not \
                0 <= gfin["sent"] - fin["rx"] <= MEMIF_RING:
            problems.append("final stats: %s, generator sent %d"
                            % (fin, gfin["sent"]))
        nombuf = [int(x) for x in self.NOMBUF.findall(text)]
        if any(nombuf):
            problems.append("RX-nombuf %d" % max(nombuf))
        if rc not in (0, None):
            problems.append("testpmd exit status %d" % rc)
        rx = [s[0] for s in window]
        out = {"pps": statistics.mean(rx), "rx_pps_samples": rx,
               "tx_pps_samples": [s[1] for s in window], "final": fin,
               "problems": problems, "tsc_hz": tsc_from_log(log)}
        if g is not None:
            # testpmd's window is whole stats periods: ta, tb bound it
            out["generator"] = gen_window(lines, ta, tb, gfin, grc)
            problems += out["generator"]["problems"]
        return out


def fmt_flows(n):
    return "%d flow%s" % (n, "" if n == 1 else "s")


def paired_ratios(cfg, results):
    """edgelb / baseline within each round: shows how much noise moved."""
    out = {}
    for flows in cfg["flows"]:
        res = results[flows]
        for base in ("io", "5tswap"):
            out["%d/%s" % (flows, base)] = [
                round(a["pps"] / b["pps"], 3) if "pps" in a and "pps" in b
                else None for a, b in zip(res["edgelb"], res[base])]
    return out


def gen_summary(samples):
    """Median generator figures over a contender's rounds (memif only)."""
    gs = [s["generator"] for s in samples
          if not s.get("error") and "sent_pps" in s.get("generator", {})]
    if not gs:
        return None
    stalled = statistics.median(g["stalled_pct_of_cycles"] for g in gs)
    return {
        "sent_pps": statistics.median(g["sent_pps"] for g in gs),
        "own_cycles_per_packet": statistics.median(
            g["own_cycles_per_packet"] for g in gs),
        "ring_full_pct_of_tx_calls": statistics.median(
            g["ring_full_pct_of_tx_calls"] for g in gs),
        "stalled_pct_of_cycles": stalled,
        "bound": "receiver" if stalled >= STALLED_BOUND_PCT else "generator",
        "bound_per_round": [g["bound"] for g in gs],
    }


def gen_rows(kind_name, flows, g, tsc_hz):
    """Rows that show whether the generator or the receiver set the pace."""
    base = "edgelb-pmd-gen (CPU 0) feeding %s over net_memif, %s" % (
        kind_name, fmt_flows(flows))
    return [
        {"name": base + ", sent rate, median", "transport": "net_memif",
         "value": round(g["sent_pps"] / 1e6, 3), "unit": "Mpps"},
        {"name": base + ", own TSC cycles/packet (time not spent on a "
         "full ring), median", "transport": "net_memif",
         "value": round(g["own_cycles_per_packet"], 1),
         "unit": "cycles/packet"},
        {"name": base + ", share of its cycles spent waiting on a full "
         "ring (>= %g %%: the receiver set the pace), median"
         % STALLED_BOUND_PCT, "transport": "net_memif",
         "value": round(g["stalled_pct_of_cycles"], 1), "unit": "%"},
        {"name": base + ", tx calls that found the ring full, median",
         "transport": "net_memif",
         "value": round(g["ring_full_pct_of_tx_calls"], 1), "unit": "%"},
    ]


def build_report(cfg, facts, tsc_hz, tsc_src, results, errors, feeds):
    rows, table = [], []
    names = {"edgelb": "edgelbd worker", "io": "testpmd io",
             "5tswap": "testpmd 5tswap"}
    gens = {}
    for flows in cfg["flows"]:
        res, feed = results[flows], feeds[flows]
        tr = feed.transport
        med = {}
        for kind in ("edgelb", "io", "5tswap"):
            ok = [s["pps"] for s in res[kind] if not s.get("error")]
            med[kind] = statistics.median(ok) if ok else None
        line = [fmt_flows(flows), tr]
        for kind in ("edgelb", "io", "5tswap"):
            pps = med[kind]
            g = gen_summary(res[kind]) if feed.pcap is None else None
            if g:
                gens["%d/%s" % (flows, kind)] = g
            if pps is None:
                line += ["failed", "-"]
                continue
            cpp = tsc_hz / pps
            base = "%s, %s, 64B TCP established, %s" % (
                names[kind], feed.path_label(), fmt_flows(flows))
            if g and g["bound"] == "generator":
                base += ", generator-bound (a lower bound)"
            rows.append({"name": base + ", median of %d" % len(
                [s for s in res[kind] if not s.get("error")]),
                "transport": tr,
                "value": round(pps / 1e6, 3), "unit": "Mpps"})
            row = {"name": base + ", TSC cycles/packet (core 100% busy)",
                   "transport": tr,
                   "value": round(cpp, 1), "unit": "cycles/packet"}
            if kind == "edgelb" and flows <= 65536:
                row["target"] = "<= %d" % TARGET_CYCLES
                row["met"] = cpp <= TARGET_CYCLES
            rows.append(row)
            if g:
                rows += gen_rows(names[kind], flows, g, tsc_hz)
            line += ["%.2f" % (pps / 1e6), "%.0f" % cpp]
        for base in ("io", "5tswap"):
            if med["edgelb"] is None or med[base] is None:
                line.append("-")
                continue
            ratio = med["edgelb"] / med[base]
            row = {"name": "edgelb/testpmd %s rate ratio (same run, same "
                   "transport %s), %s" % (base, tr, fmt_flows(flows)),
                   "transport": tr,
                   "value": round(ratio, 3), "unit": "ratio"}
            if base == "5tswap" and flows <= 65536:
                row["target"] = ">= %.2f" % TARGET_RATIO
                row["met"] = ratio >= TARGET_RATIO
            rows.append(row)
            line.append("%.3f" % ratio)
        if feed.pcap is None:
            line.append(" ".join(
                "%s:%s/%s%%" % (k[:2], "%.1f" % (gens[key]["sent_pps"] / 1e6),
                                "%.0f" % gens[key]["stalled_pct_of_cycles"])
                if key in gens else "%s:-" % k[:2]
                for k in ("edgelb", "io", "5tswap")
                for key in ["%d/%s" % (flows, k)]))
        else:
            line.append("")
        table.append(line)
    return {
        "part": "pmd",
        "hugepages": facts["hugepages"],
        "rows": rows,
        "host": dict(facts, tsc_hz=tsc_hz, tsc_hz_source=tsc_src),
        "config": dict({k: cfg[k] for k in ("duration", "warmup", "rounds",
                                            "flows", "pcap_max_flows",
                                            "flow_table_size")},
                       transports={str(f): feeds[f].transport
                                   for f in cfg["flows"]},
                       flow_table_sizes={str(f): table_size(cfg, f)
                                         for f in cfg["flows"]},
                       generator_mem_args=GEN_MEM_ARGS,
                       memif_bsize=MEMIF_BSIZE),
        "method": "edgelbd (workers=1, main lcore CPU 0, worker CPU 1) and "
                  "dpdk-testpmd (-l 0,1 --nb-cores=1) each forward 64-byte "
                  "TCP ACKs of established flows to net_null no-rx=1, "
                  + MEM_ARGS + ". Transport net_pcap (flows <= %d): an "
                  "infinite_rx replay of a crafted pcap, includes "
                  "net_pcap's per-packet mbuf alloc + copy. Transport "
                  "net_memif (more flows): edgelbd/testpmd hold the memif "
                  "server port; edgelb-pmd-gen, a separate DPDK process on "
                  "CPU 0 (" % cfg["pcap_max_flows"] + GEN_MEM_ARGS + "), "
                  "is the client and sends the N flows' frames in a fixed "
                  "uniformly shuffled order, never dropping (a burst the "
                  "ring refuses is retried); the receiver pays memif's "
                  "per-packet mbuf alloc + copy. edgelb is measured after "
                  "2 full passes and once the flow table holds all N "
                  "flows. edgelb rate = port in rx_packets delta over the "
                  "window (edgelbctl stats), testpmd rate = mean of port 0 "
                  "Rx-pps over the window (--stats-period 1); interleaved "
                  "edgelb, io, 5tswap per flow count, each round; medians "
                  "over rounds; cycles/packet = TSC Hz / pps. A memif row "
                  "is receiver-bound when the generator spent >= %g %% of "
                  "its cycles waiting for room in the ring, else "
                  "generator-bound (then the receiver's rate is a lower "
                  "bound of what it can do)." % STALLED_BOUND_PCT,
        "generator": gens,
        "samples": {str(f): results[f] for f in cfg["flows"]},
        "paired_round_ratios": paired_ratios(cfg, results),
        "errors": errors,
    }, table


def print_table(report, table, tsc_hz, tsc_src):
    head = ["flows", "transport", "edgelb Mpps", "cyc/pkt", "io Mpps",
            "cyc/pkt", "5tswap Mpps", "cyc/pkt", "lb/io", "lb/5tswap",
            "gen Mpps/idle% (lb io 5t)"]
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h)
              for i, h in enumerate(head)]
    print("pmd: single-process PMD benchmark, TSC %.3f GHz (%s), "
          "medians of %d rounds x %g s" % (tsc_hz / 1e9, tsc_src,
                                           report["config"]["rounds"],
                                           report["config"]["duration"]))
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for r in table:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
    print("target: edgelb/5tswap >= %.2f at <= 64k flows; edgelb <= %d "
          "cycles/packet" % (TARGET_RATIO, TARGET_CYCLES))
    for key, g in sorted(report["generator"].items()):
        if g["bound"] == "generator":
            print("note: %s ran at the generator's pace (generator idle "
                  "%.1f %% < %g %%): its rate is a lower bound"
                  % (key, g["stalled_pct_of_cycles"], STALLED_BOUND_PCT))
    for e in report["errors"]:
        print("ERROR: " + e.replace("\n", "\n    "))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: pmd.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    build = os.environ.get("BUILD", "build")
    cfg = {
        "build": build,
        "duration": env_num("DURATION", 5.0),
        "warmup": env_num("WARMUP", 1.0),
        "rounds": env_num("ROUNDS", 3, int),
        "flows": [int(x) for x in os.environ.get(
            "FLOWS", "1 4096 65536 1048576").split()],
        "pcap_max_flows": env_num("PCAP_MAX_FLOWS", 65536, int),
        "flow_table_size": env_num("FLOW_TABLE_SIZE", 131072, int),
        "testpmd": os.environ.get("TESTPMD", "dpdk-testpmd"),
    }
    exes = ["app/edgelbd/edgelbd", "app/edgelbctl/edgelbctl"]
    if any(f > cfg["pcap_max_flows"] for f in cfg["flows"]):
        exes.append(GEN_EXE)
    for exe in exes:
        if not os.access(os.path.join(build, exe), os.X_OK):
            sys.exit("pmd: %s/%s not built (ninja -C %s %s)"
                     % (build, exe, build, exe))
    if shutil.which(cfg["testpmd"]) is None:
        sys.exit("pmd: %s not found (apt-get install dpdk)" % cfg["testpmd"])

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    tmp = tempfile.mkdtemp(prefix="edgelb-pmd-")
    runner = Runner(tmp)
    errors, results = [], {}
    try:
        facts = host_facts()
        cpu0 = cpu_times()
        lb, tp = Edgelb(cfg, runner), Testpmd(cfg, runner)
        feeds, mac = {}, PCAP_MAC_GUESS
        for flows in cfg["flows"]:
            feeds[flows] = Feed(cfg, flows, tmp)
        pcap_feeds = [f for f in feeds.values() if f.pcap]
        for feed in pcap_feeds:
            gen_pcap(feed.pcap, feed.flows, mac)
        probed = lb.probe_mac(pcap_feeds[0]) if pcap_feeds else mac
        if probed != mac:
            print("pmd: net_pcap MAC is %s, regenerating pcaps" % probed)
            mac = probed
            for feed in pcap_feeds:
                gen_pcap(feed.pcap, feed.flows, mac)
        for flows in cfg["flows"]:
            results[flows] = {"edgelb": [], "io": [], "5tswap": []}
        broken = {}
        for rnd in range(cfg["rounds"]):
            for flows in cfg["flows"]:
                tag = "%d-r%d" % (flows, rnd)
                if flows in broken:
                    s = {"error": broken[flows]}
                else:
                    try:
                        s = lb.measure(feeds[flows], mac, tag)
                    except BenchError as e:
                        s = {"error": str(e)}
                        errors.append("edgelb %s, round %d: %s"
                                      % (fmt_flows(flows), rnd, e))
                        # a start-up failure repeats: skip later rounds
                        if "start-up" in str(e) or "not ready" in str(e):
                            broken[flows] = "not started (see round 0)"
                results[flows]["edgelb"].append(s)
                for p in s.get("problems", []):
                    errors.append("edgelb %s, round %d: %s"
                                  % (fmt_flows(flows), rnd, p))
                for mode in ("io", "5tswap"):
                    try:
                        s = tp.measure(feeds[flows], mode, tag)
                    except BenchError as e:
                        s = {"error": str(e)}
                        errors.append("testpmd %s %s, round %d: %s"
                                      % (mode, fmt_flows(flows), rnd, e))
                    results[flows][mode].append(s)
                    for p in s.get("problems", []):
                        errors.append("testpmd %s %s, round %d: %s"
                                      % (mode, fmt_flows(flows), rnd, p))
        cpu1 = cpu_times()
        facts["steal_pct_during_run"] = round(
            100.0 * (cpu1[1] - cpu0[1]) / max(1, cpu1[0] - cpu0[0]), 2)
        tscs = [s["tsc_hz"] for f in results.values() for k in f.values()
                for s in k if s.get("tsc_hz")]
        if tscs:
            tsc_hz, tsc_src = statistics.median(tscs), \
                "DPDK EAL log 'TSC frequency' (rte_get_tsc_hz)"
        else:
            tsc_hz, tsc_src = facts["cpuinfo_mhz_hz"], "/proc/cpuinfo cpu MHz"
        if not tsc_hz:
            raise BenchError("no TSC frequency (EAL log or /proc/cpuinfo)")
        report, table = build_report(cfg, facts, tsc_hz, tsc_src, results,
                                     errors, feeds)
        path = os.path.join(outdir, "pmd.json")
        with open(path + ".tmp", "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
        os.replace(path + ".tmp", path)
        print_table(report, table, tsc_hz, tsc_src)
        print("pmd: wrote %s" % path)
        return 1 if errors else 0
    except (BenchError, Terminated, subprocess.CalledProcessError) as e:
        print("pmd: FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        runner.cleanup()
        if os.environ.get("KEEP_TMP") == "1":
            print("pmd: logs and pcaps kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

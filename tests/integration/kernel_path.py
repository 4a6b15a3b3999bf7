#!/usr/bin/python3
"""Counters of the kernel exception path (called through t_pyscript).

Environment: T_ID, ELBD_SOCK, EDGELBCTL (as check.py).

  get KEY                  print port lan's counter KEY (a drop reason
                           too), or the kernel loop's as kernel.KEY
  quiet                    wait (at most 10 s) until the kernel path's
                           counters stop moving for a second
  balance NS IFACE         edgelb's counters against the kernel
                           interface's own (/sys/class/net/IFACE/statistics
                           read inside namespace NS): PASS/FAIL lines
"""

import subprocess
import sys
import time

from check import check, ctl, fail

MOVING = ("to_kernel", "from_kernel", "kernel_tx_packets", "ctl_to_mgmt",
          "rx_packets", "tx_packets")


def port0():
    return ctl("stats")["ports"][0]


def get(key):
    if key.startswith("kernel."):
        return ctl("stats")["kernel"][key.split(".", 1)[1]]
    p = port0()
    return p[key] if key in p else p["drops"][key]


def cmd_quiet():
    last, still_since = None, time.time()
    deadline = time.time() + 10
    while time.time() < deadline:
        p = port0()
        now = tuple(p[k] for k in MOVING)
        if now != last:
            last, still_since = now, time.time()
        elif time.time() - still_since >= 1.0:
            check(True, "kernel path quiet (counters still for 1 s)")
            return 0
        time.sleep(0.2)
    fail("kernel path counters still moving after 10 s: %s" %
         dict(zip(MOVING, last)))
    return 1


def sysfs(ns, iface, name):
    r = subprocess.run(["ip", "netns", "exec", ns, "cat",
                        "/sys/class/net/%s/statistics/%s" % (iface, name)],
                       capture_output=True, text=True, timeout=10)
    return int(r.stdout.strip())


def cmd_balance(ns, iface):
    p = port0()
    k = {n: sysfs(ns, iface, n) for n in
         ("rx_packets", "rx_bytes", "rx_dropped", "tx_packets", "tx_bytes",
          "tx_dropped")}
    print("edgelb: %s" % {n: p[n] for n in (
        "to_kernel", "to_kernel_bytes", "arp_to_kernel",
        "kernel_tx_packets", "kernel_tx_bytes", "kernel_tx_full",
        "from_kernel", "from_kernel_bytes", "from_kernel_ring_full")})
    print("%s: %s" % (iface, k))
    # What the workers queued and management passed on (ARP replies) is
    # what management wrote into the TAP, or dropped as refused.
    check(p["to_kernel"] + p["arp_to_kernel"] ==
          p["kernel_tx_packets"] + p["kernel_tx_full"],
          "to_kernel %d + arp_to_kernel %d == kernel_tx_packets %d + "
          "kernel_tx_full %d" % (p["to_kernel"], p["arp_to_kernel"],
                                 p["kernel_tx_packets"],
                                 p["kernel_tx_full"]))
    check(p["kernel_tx_full"] == 0 and p["drops"]["kernel_ring_full"] == 0,
          "nothing dropped on the way to the kernel (kernel_tx_full %d, "
          "kernel_ring_full %d)" % (p["kernel_tx_full"],
                                    p["drops"]["kernel_ring_full"]))
    # Every frame written into a TAP is a frame the interface received
    # (the kernel counts it before it looks at it), byte for byte.
    check(k["rx_packets"] == p["kernel_tx_packets"] and k["rx_dropped"] == 0,
          "%s rx_packets %d == kernel_tx_packets %d (rx_dropped %d)" %
          (iface, k["rx_packets"], p["kernel_tx_packets"], k["rx_dropped"]))
    check(k["rx_bytes"] == p["kernel_tx_bytes"],
          "%s rx_bytes %d == kernel_tx_bytes %d" %
          (iface, k["rx_bytes"], p["kernel_tx_bytes"]))
    # Every frame the kernel sent was read by edgelb: passed to worker 0
    # or dropped with a reason; none is left in the TAP's queue at rest.
    check(k["tx_packets"] == p["from_kernel"] + p["from_kernel_ring_full"]
          and k["tx_dropped"] == 0,
          "%s tx_packets %d == from_kernel %d + from_kernel_ring_full %d "
          "(tx_dropped %d)" % (iface, k["tx_packets"], p["from_kernel"],
                               p["from_kernel_ring_full"], k["tx_dropped"]))
    check(k["tx_bytes"] == p["from_kernel_bytes"],
          "%s tx_bytes %d == from_kernel_bytes %d" %
          (iface, k["tx_bytes"], p["from_kernel_bytes"]))
    return 0


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "get":
            print(get(argv[2]))
            return 0
        if len(argv) == 2 and argv[1] == "quiet":
            return cmd_quiet()
        if len(argv) == 4 and argv[1] == "balance":
            cmd_balance(argv[2], argv[3])
            return 0
    except (RuntimeError, KeyError, ValueError, IndexError) as e:
        fail("%s: %s" % (" ".join(argv[1:]), e))
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

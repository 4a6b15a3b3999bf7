#!/usr/bin/python3
"""A 1000-backend configuration for tests/bench/mgmt.sh: one port on
net_null (nothing to forward: the figures are the management path's), one
VIP, one pool of N backends with static MACs (no ARP), weights 1..10.

  gen_ini.py N SOCKET AUDIT_LOG FILE_PREFIX OUT.ini
"""
import sys


def main():
    n, sock, audit, prefix, out = int(sys.argv[1]), *sys.argv[2:]
    lines = ["[global]", "socket = %s" % sock, "workers = 1",
             'eal_args = "--no-huge -m 512 --file-prefix=%s --no-pci '
             '--log-level=*:notice --lcores=0@0,1@1"' % prefix,
             "idle_sleep_us = 50", "audit_log = %s" % audit, "",
             "[port.lan]", "device = net_null0", "address = 10.50.0.2/16", "",
             "[vip.web]", "address = 10.50.0.100", "port = 80", "pool = web",
             "", "[pool.web]", "table_size = 65537", ""]
    for i in range(n):
        a = 10 + i
        lines += ["[backend.b%04d]" % i, "pool = web",
                  "address = 10.50.%d.%d" % (1 + a // 250, a % 250 + 1),
                  "weight = %d" % (1 + i % 10),
                  "mac = 02:00:00:%02x:%02x:01" % (i >> 8, i & 255), ""]
    open(out, "w").write("\n".join(lines))


if __name__ == "__main__":
    main()

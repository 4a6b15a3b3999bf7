#!/usr/bin/python3
"""A large configuration with every policy key, for the policy bench.

  gen_policy.py OUT.ini [--backends 1000] [--vips 100] [--pools P]

P pools (default: one per VIP) share the backends evenly; VIP i is served
by pool i % P. Every backend has max_share and capacity, every pool
min_healthy, max_weight_ratio, n_minus_1 = yes and max_share_change, every
VIP expected_rate, [global] policy and strict: all satisfied, so that
`edgelbd --check` must exit 0 (the bench checks it did the work).
"""
import argparse

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--backends", type=int, default=1000)
ap.add_argument("--vips", type=int, default=100)
ap.add_argument("--pools", type=int, default=0)
a = ap.parse_args()
pools = a.pools or a.vips
per_pool = a.backends // pools
assert per_pool >= 2 and per_pool * pools == a.backends

# Weights 10..19 within a pool: ratio < 2, the largest share at most
# 19 / (sum of the others + 19); max_share leaves room for N-1.
def weight(j):
    return 10 + j % 10

def max_share(n):
    worst = 19 / (sum(weight(j) for j in range(n)) - 10)   # one 10 down
    return min(100, int(worst * 100) + 3)

with open(a.out, "w") as f:
    f.write("[global]\nworkers = 1\n"
            "hash_key = 3f1c9a7be2d04586a1b2c3d4e5f60718\n"
            "policy = enforce\nstrict = yes\n\n"
            "[port.lan]\ndevice = net_null0\naddress = 10.20.0.1/16\n\n")
    cap = 1000
    for p in range(pools):
        f.write("[pool.p%d]\nmin_healthy = 50%%\nmax_weight_ratio = 4\n"
                "n_minus_1 = yes\nmax_share_change = 10\n\n" % p)
    vips_per_pool = -(-a.vips // pools)
    # a rate the pool takes with one backend down (each survivor below cap)
    rate = int(cap / (max_share(per_pool) / 100) / vips_per_pool * 0.9)
    for v in range(a.vips):
        f.write("[vip.v%d]\naddress = 10.30.%d.%d\nport = 80\npool = p%d\n"
                "expected_rate = %d\n\n" % (v, v // 250, v % 250 + 1,
                                            v % pools, rate))
    for b in range(a.backends):
        p, j = divmod(b, per_pool)
        f.write("[backend.b%d]\npool = p%d\naddress = 10.20.%d.%d\n"
                "weight = %d\nmax_share = %d\ncapacity = %d\n\n" % (
                    b, p, 1 + b // 250, b % 250 + 1, weight(j),
                    max_share(per_pool), cap))

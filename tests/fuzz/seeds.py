#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of tests/fuzz/corpus/ for the frame targets.

The packet and neigh targets read records of frames (see the header
comments of fuzz_packet.c and fuzz_neigh.c); these are the crafted frames
each starts from, matching the targets' own configurations. The INI and
management seeds are plain text files kept as they are. Run it again after
changing a target's configuration or record format:

    tests/fuzz/seeds.py tests/fuzz/corpus
"""
import os
import struct
import sys

PORT_MAC = [bytes.fromhex("020000000001"), bytes.fromhex("020000000002")]
CLIENT_MAC = bytes.fromhex("0200000000aa")
BCAST = b"\xff" * 6


def ip(a):
    return bytes(int(x) for x in a.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, etype, vlan=None):
    if vlan is None:
        return dst + src + struct.pack("!H", etype)
    return dst + src + struct.pack("!HHH", 0x8100, vlan, etype)


def ipv4(src, dst, proto, payload, ttl=64, options=b""):
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload),
                    1, 0, ttl, proto, 0, ip(src), ip(dst)) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def l4_csum(src, dst, proto, seg):
    pseudo = ip(src) + ip(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


TCP_FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}


def tcp(src, sport, dst, dport, flags, payload=b"", port=0, vlan=None,
        options=b""):
    fl = sum(TCP_FLAGS[c] for c in flags)
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000 if "A" in flags
                      else 0, 5 << 4, fl, 65535, 0, 0) + payload
    seg = seg[:16] + struct.pack("!H", l4_csum(src, dst, 6, seg)) + seg[18:]
    return eth(PORT_MAC[port], CLIENT_MAC, 0x0800, vlan) + \
        ipv4(src, dst, 6, seg, options=options)


def udp(src, sport, dst, dport, payload=b"dns?", port=0):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    seg = seg[:6] + struct.pack("!H", l4_csum(src, dst, 17, seg)) + seg[8:]
    return eth(PORT_MAC[port], CLIENT_MAC, 0x0800) + ipv4(src, dst, 17, seg)


def icmp(src, dst, typ, code=0, payload=b"ping", port=0):
    msg = struct.pack("!BBHHH", typ, code, 0, 7, 1) + payload
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    return eth(PORT_MAC[port], CLIENT_MAC, 0x0800) + ipv4(src, dst, 1, msg)


def arp(op, sha, sip, tip, tha=b"\0" * 6, dst=BCAST, src=None):
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + ip(sip) + \
        tha + ip(tip)
    return eth(dst, src if src is not None else sha, 0x0806) + body


def rec(frame, port=0, end=False, time=0, swap=False, expire=False,
        fix=0):
    """One record: the flags byte, the length, the frame."""
    flags = port | fix | (0x08 if end else 0) | (time << 4) | \
        (0x40 if swap else 0) | (0x80 if expire else 0)
    return struct.pack("<BH", flags, len(frame)) + frame


C = "192.0.2.10"        # a client
VIP = "10.0.0.100"
SHUT = "10.0.0.101"
ALT = "10.1.0.100"


def packet_seeds():
    s = {}
    s["tcp-conversation"] = b"".join([
        rec(tcp(C, 40000, VIP, 80, "S")),
        rec(tcp(C, 40000, VIP, 80, "A")),
        rec(tcp(C, 40000, VIP, 80, "PA", b"GET / HTTP/1.0\r\n\r\n"),
            end=True),
        rec(tcp(C, 40000, VIP, 80, "FA"), time=1),
        rec(tcp(C, 40000, VIP, 80, "S"), end=True),
        rec(tcp(C, 40000, VIP, 80, "A"), time=2, expire=True),
    ])
    s["udp-and-alt"] = b"".join([
        rec(udp(C, 5353, VIP, 53)),
        rec(udp(C, 5353, VIP, 53), end=True),
        rec(tcp(C, 41000, ALT, 443, "S", port=1), port=1),
        rec(tcp(C, 41000, ALT, 443, "A", port=1), port=1, time=3,
            expire=True),
    ])
    s["arp"] = b"".join([
        rec(arp(1, CLIENT_MAC, "10.0.0.50", VIP)),
        rec(arp(1, CLIENT_MAC, "10.0.0.50", "10.0.0.2")),
        rec(arp(1, CLIENT_MAC, "10.0.0.50", "10.0.0.77")),
        rec(arp(2, bytes.fromhex("024200000012"), "10.0.0.12", "10.0.0.2",
                PORT_MAC[0], PORT_MAC[0])),
    ])
    s["icmp-and-kernel"] = b"".join([
        rec(icmp(C, VIP, 8)),
        rec(icmp(C, "10.0.0.2", 8)),
        rec(icmp(C, "10.0.0.2", 3, 3)),
        rec(icmp(C, "10.9.9.9", 8)),
        rec(tcp(C, 22000, "10.0.0.2", 22, "S")),
        rec(udp(C, 22000, "10.0.0.2", 161)),
        rec(tcp(C, 22000, "10.1.0.2", 22, "S", port=1), port=1),
    ])
    s["refused"] = b"".join([
        rec(tcp(C, 43000, SHUT, 80, "S")),
        rec(tcp(C, 43001, SHUT, 80, "A")),
        rec(tcp(C, 43002, SHUT, 80, "R")),
        rec(udp(C, 43003, SHUT, 53)),
    ])
    s["odd-headers"] = b"".join([
        rec(tcp(C, 44000, VIP, 80, "S", vlan=42)),
        rec(tcp(C, 44001, VIP, 80, "S", options=b"\x01\x01\x01\x00")),
        rec(tcp("127.0.0.1", 44002, VIP, 80, "S")),
        rec(tcp(VIP, 44003, VIP, 80, "S")),
        rec(tcp(C, 44004, VIP, 80, "S")[:40]),
        rec(tcp(C, 44005, VIP, 81, "S")),
    ])
    s["swaps"] = b"".join(
        [rec(tcp(C, 45000 + i, VIP, 80, "S")) for i in range(6)] +
        [rec(tcp(C, 45000 + i, VIP, 80, "A"), swap=(i == 0))
         for i in range(6)] +
        [rec(tcp(C, 45000 + i, VIP, 80, "A"), swap=(i == 0))
         for i in range(6)] +
        [rec(udp(C, 45100, VIP, 53), swap=True)])
    s["table-full"] = b"".join(
        [rec(tcp(C, 46000 + i, VIP, 80, "S")) for i in range(24)] +
        [rec(tcp(C, 46000 + i, VIP, 80, "A"), end=(i == 23))
         for i in range(24)])
    return s


NEIGH_MAC = {"10.0.0.1": "024200000001", "10.0.0.12": "024200000012",
             "10.1.0.13": "02420000010d", "10.0.0.14": "02420000000e"}


def nrec(frame, op=0, port=0, time=0, fix=0):
    """A neigh-target record: op 0 frame, 1 ask (due), 2 commit."""
    flags = op | (port << 2) | (time << 3) | fix
    return struct.pack("<BH", flags, len(frame)) + frame


def reply(sip, port=0, mac=None, src=None):
    sha = bytes.fromhex(mac or NEIGH_MAC[sip])
    own = "10.0.0.2" if port == 0 else "10.1.0.2"
    return arp(2, sha, sip, own, PORT_MAC[port], PORT_MAC[port], src)


def neigh_seeds():
    s = {}
    s["learn-all"] = b"".join([
        nrec(b"", op=1, time=1),
        nrec(reply("10.0.0.1")), nrec(reply("10.0.0.12")),
        nrec(reply("10.1.0.13", port=1), port=1),
        nrec(b"", op=2),
        nrec(reply("10.0.0.12"), time=1),
        nrec(b"", op=2),
    ])
    s["unsolicited-and-spoof"] = b"".join([
        nrec(reply("10.0.0.12")),
        nrec(b"", op=1, time=1),
        nrec(reply("10.0.0.12", src=bytes.fromhex("02000000beef"))),
        nrec(reply("10.0.0.12", mac="020000000001")),
        nrec(reply("10.0.0.12", mac="ffffffffffff")),
        nrec(reply("10.0.0.11", mac="0200000000ee")),
        nrec(reply("10.0.0.12")),
        nrec(reply("10.0.0.12", mac="024200000099")),
        nrec(b"", op=2),
    ])
    s["requests-ignored"] = b"".join([
        nrec(b"", op=1, time=2),
        nrec(arp(1, bytes.fromhex("024200000012"), "10.0.0.12",
                 "10.0.0.2")),
        nrec(b"", op=2, time=3),
        nrec(b"", op=1),
    ])
    return s


def write(outdir, target, seeds):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    write(out, "packet", packet_seeds())
    write(out, "neigh", neigh_seeds())


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Send malformed frames at the appliance, one class per drop reason.

usage: malformed.py IFACE DST_MAC DST_IP VIP VIP_PORT COUNT
       malformed.py --print-frames DST_MAC DST_IP VIP VIP_PORT

Run inside the client's network namespace. Sends COUNT frames of each class
below to DST_MAC (the appliance port's MAC) on IFACE with a raw L2 socket,
all addressed to VIP:VIP_PORT, and prints one JSON object {reason: sent} on
stdout. Each frame carries exactly one fault, the one lib/pkt/parse.c
checks first for it; every other field is valid (checksums too, unless the
checksum is the fault), and every frame is at least 60 bytes so that
Ethernet padding cannot change the verdict.

DST_IP (the port's own address) is accepted for symmetry with the other
tools; nothing here needs it. --print-frames prints {reason: hex} instead
of sending (used to check the frames against the parser offline).

eth_truncated is not sent: Linux pads a frame shorter than 14 bytes on a
packet socket, and the receiving kernel drops a VLAN tag cut short before
any packet socket sees it, so no frame can reach net_af_packet with it.
"""

import json
import socket
import struct
import sys

from scapy.all import (ICMP, IP, TCP, UDP, Ether, Raw, conf, get_if_addr,
                       get_if_hwaddr)

MIN_FRAME = 60
# Locally administered unicast addresses, for "another host's" frames.
OTHER_MACS = ("02:00:5e:ee:ee:01", "02:00:5e:ee:ee:02")


def ip_checksum(hdr):
    if len(hdr) % 2:
        hdr += b"\0"
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pad(frame):
    return frame + b"\0" * max(0, MIN_FRAME - len(frame))


class Frames:
    """Builds one frame per drop reason from a valid TCP SYN to the VIP."""

    def __init__(self, src_mac, dst_mac, src_ip, vip, vip_port):
        self.src_mac = src_mac
        self.dst_mac = dst_mac
        self.src_ip = src_ip
        self.vip = vip
        self.vip_port = vip_port

    def eth(self, dst=None):
        return Ether(src=self.src_mac, dst=dst or self.dst_mac)

    def ip(self, **kw):
        kw.setdefault("flags", "DF")
        kw.setdefault("ttl", 64)
        return IP(src=self.src_ip, dst=self.vip, id=0x4d46, **kw)

    def tcp(self, **kw):
        # SYN with 16 payload bytes: 70 bytes on the wire.
        return TCP(sport=40000, dport=self.vip_port, flags="S",
                   seq=0x12345678, **kw) / Raw(b"edgelb-malformed")

    def syn(self, dst=None, **ipkw):
        return bytes(self.eth(dst) / self.ip(**ipkw) / self.tcp())

    def all(self):
        dst_other = OTHER_MACS[1] if self.dst_mac.lower() == OTHER_MACS[0] \
            else OTHER_MACS[0]
        f = {}
        f["ipv4_version"] = self.syn(version=6)
        f["ipv4_ihl"] = self.syn(ihl=4)
        good = self.syn()
        f["ipv4_total_length"] = self.syn(len=len(good) - 14 + 1)
        # The right checksum with its low byte flipped.
        hdr = bytearray(good[14:34])
        hdr[11] ^= 0xFF
        f["ipv4_checksum"] = good[:14] + bytes(hdr) + good[34:]
        f["ipv4_fragment"] = self.syn(flags="MF")
        f["ipv4_ttl"] = self.syn(ttl=0)
        # 19 bytes of TCP by total_length; the frame is padded past it.
        tcp = bytes(self.tcp())[:19]
        f["tcp_truncated"] = pad(bytes(self.eth() / self.ip(proto=6,
                                                            len=20 + 19)
                                       / Raw(tcp)))
        f["tcp_doff"] = bytes(self.eth() / self.ip() / self.tcp(dataofs=4))
        udp = UDP(sport=40000, dport=self.vip_port) / Raw(b"x" * 24)
        l4 = len(bytes(udp))
        f["udp_length"] = bytes(self.eth() / self.ip() /
                                UDP(sport=40000, dport=self.vip_port,
                                    len=l4 + 1) / Raw(b"x" * 24))
        icmp = bytes(ICMP(type=8, id=0x4d46, seq=1))[:7]
        f["icmp_truncated"] = pad(bytes(self.eth() /
                                        self.ip(proto=1, len=20 + 7) /
                                        Raw(icmp)))
        f["l4_unsupported"] = bytes(self.eth() / self.ip(proto=47) /
                                    Raw(b"\0\0\x08\0" + b"g" * 36))
        f["l2_not_for_us"] = self.syn(dst=dst_other)
        for reason, frame in f.items():
            check(reason, frame)
        return f


def check(reason, frame):
    """The invariants the parser relies on, so a scapy change shows here."""
    if len(frame) < MIN_FRAME:
        raise RuntimeError("%s: %d-byte frame" % (reason, len(frame)))
    if reason == "ipv4_ihl":
        return
    hdr_ok = ip_checksum(frame[14:14 + (frame[14] & 0xF) * 4]) == 0
    if hdr_ok != (reason != "ipv4_checksum"):
        raise RuntimeError("%s: IPv4 checksum %s" %
                           (reason, "valid" if hdr_ok else "invalid"))


def parse_mac(s):
    b = bytes.fromhex(s.replace(":", "").replace("-", ""))
    if len(b) != 6:
        raise ValueError("bad MAC address %r" % s)
    return ":".join("%02x" % x for x in b)


def main(argv):
    if len(argv) == 6 and argv[1] == "--print-frames":
        _, _, dst_mac, _dst_ip, vip, vip_port = argv
        frames = Frames("02:00:00:00:00:02", parse_mac(dst_mac), "192.0.2.10",
                        vip, int(vip_port)).all()
        print(json.dumps({k: v.hex() for k, v in frames.items()}))
        return 0
    if len(argv) != 7:
        sys.stderr.write(__doc__)
        return 2
    _, iface, dst_mac, dst_ip, vip, vip_port, count = argv
    socket.inet_aton(dst_ip)
    socket.inet_aton(vip)
    count = int(count)
    src_ip = get_if_addr(iface)
    frames = Frames(get_if_hwaddr(iface), parse_mac(dst_mac), src_ip, vip,
                    int(vip_port)).all()
    sent = {}
    s = conf.L2socket(iface=iface)
    try:
        for reason, frame in frames.items():
            sent[reason] = 0
            for _ in range(count):
                s.send(Raw(frame))
                sent[reason] += 1
    finally:
        s.close()
    print(json.dumps(sent, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

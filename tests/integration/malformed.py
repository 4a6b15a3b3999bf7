#!/usr/bin/python3
"""The malformed and hostile frame corpus: one class per decision.

usage: malformed.py run IFACE DST_MAC VIP LB_ADDR CLIENT_IP CLIENT_MAC \
                        BACKEND_IP COUNT
       malformed.py --print-frames
       malformed.py --table

run: inject each class's frames COUNT times on IFACE (raw L2 socket), one
class after the other, and check that the class's counter (edgelbctl -j
stats / status, EDGELBCTL and ELBD_SOCK from the environment) moved by
exactly what was sent; prints PASS/FAIL/SKIP lines as check.py does and a
last line "CORPUS {json}" with what each class sent and moved.

IFACE is meant to be the switch end of the appliance's veth (its namespace's
bridge port): frames sent there reach the appliance as they are, without
the bridge, which drops frames with a multicast source, or the client's
kernel, which pads and routes. Frames are at least 60 bytes unless
shortness is the point (a veth does not pad).

The daemon's configuration must have: VIP:80/tcp (the real traffic's),
VIP:81/tcp and VIP:53/udp (where the classes that are forwarded go, so
that those VIPs' packet counters move by the corpus alone),
icmp_echo_rate = 20, icmp_echo_burst = 5, arp_reply_rate = 50 and
arp_reply_burst = 20, and a port MTU of 9000 for the jumbo class.

--print-frames: {class: [hex, ...]} of one unit of each class, with made-up
addresses; --table: the decisions as the README's Markdown table.
"""

import json
import os
import socket
import struct
import subprocess
import sys
import time

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption_RR,
                       Raw, conf)

MIN_FRAME = 60
FWD_PORT = 81           # the TCP VIP the forwarded classes go to
UDP_PORT = 53           # the UDP VIP
EVIL_MAC = "02:00:5e:ee:ee:66"
OTHER_MAC = "02:00:5e:ee:ee:01"
T_ID = os.environ.get("T_ID", "malformed")


def pad(frame):
    return frame + b"\0" * max(0, MIN_FRAME - len(frame))


def ip_checksum(hdr):
    if len(hdr) % 2:
        hdr += b"\0"
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Ctx:
    """Addresses, and a source port per unit so no two share a flow."""

    def __init__(self, dst_mac, vip, lb_addr, client_ip, client_mac,
                 backend_ip):
        self.dst_mac = dst_mac
        self.vip = vip
        self.lb_addr = lb_addr
        self.client_ip = client_ip
        self.client_mac = client_mac
        self.backend_ip = backend_ip
        self.sport = 1024       # below the client's ephemeral range

    def port(self):
        self.sport = self.sport + 1 if self.sport < 9999 else 1024
        return self.sport

    def eth(self, dst=None, src=None, **kw):
        return Ether(dst=dst or self.dst_mac, src=src or self.client_mac,
                     **kw)

    def ip(self, dst=None, src=None, **kw):
        kw.setdefault("flags", "DF")
        kw.setdefault("ttl", 64)
        return IP(src=src or self.client_ip, dst=dst or self.vip,
                  id=0x4d46, **kw)

    def tcp(self, dport=FWD_PORT, flags="S", **kw):
        return TCP(sport=kw.pop("sport", None) or self.port(), dport=dport,
                   flags=flags, seq=0x12345678, **kw)

    def syn(self, dport=FWD_PORT, payload=b"edgelb-corpus", eth=None,
            ipkw=None, tcpkw=None):
        return bytes((eth or self.eth()) / self.ip(**(ipkw or {})) /
                     self.tcp(dport, **(tcpkw or {})) / Raw(payload))

    def arp(self, op=1, dst=None, hwsrc=None, psrc=None, pdst=None,
            **kw):
        return pad(bytes(self.eth(dst=dst or "ff:ff:ff:ff:ff:ff",
                                  src=kw.pop("src", None)) /
                         ARP(op=op, hwsrc=hwsrc or self.client_mac,
                             psrc=psrc or self.client_ip,
                             hwdst="00:00:00:00:00:00",
                             pdst=pdst or self.vip, **kw)))


def c(name, decision, counter, build, exact=True, note="", per_unit=1,
      count=None, check=None):
    return dict(name=name, decision=decision, counter=counter, build=build,
                exact=exact, note=note, per_unit=per_unit, count=count,
                check=check)


# ---- the frames of each class: one unit, a fresh source port each ------

def f_ipv4_truncated(x):
    # 14 + 19 bytes: a frame that ends inside the IPv4 header.
    return [x.syn()[:33]]


def f_tcp_truncated(x):
    tcp = bytes(x.tcp())[:19]
    return [pad(bytes(x.eth() / x.ip(proto=6, len=20 + 19) / Raw(tcp)))]


def f_udp_truncated(x):
    udp = bytes(UDP(sport=x.port(), dport=UDP_PORT))[:7]
    return [pad(bytes(x.eth() / x.ip(proto=17, len=20 + 7) / Raw(udp)))]


def f_icmp_truncated(x):
    icmp = bytes(ICMP(type=8, id=1, seq=1))[:7]
    return [pad(bytes(x.eth() / x.ip(proto=1, len=20 + 7) / Raw(icmp)))]


def f_arp_truncated(x):
    # 27 bytes of ARP: one short of the header, in an unpadded frame.
    return [x.arp()[:14 + 27]]


def f_ihl_short(x):
    return [x.syn(ipkw=dict(ihl=4))]


def f_ihl_beyond_frame(x):
    # IHL 15 (60 bytes) in a 60-byte frame: the header would end past it.
    f = bytearray(x.syn(payload=b"")[:54])
    f[14] = 0x4F
    return [pad(bytes(f))]


def f_ihl_over_total(x):
    # IHL 6 (24 bytes) but total length 20.
    f = bytearray(x.syn())
    f[14] = 0x46
    f[16:18] = struct.pack("!H", 20)
    f[24:26] = b"\0\0"
    f[24:26] = struct.pack("!H", ip_checksum(bytes(f[14:38])))
    return [bytes(f)]


def f_doff_short(x):
    return [x.syn(tcpkw=dict(dataofs=4))]


def f_doff_beyond(x):
    return [pad(x.syn(payload=b"", tcpkw=dict(dataofs=15)))]


def f_total_length_long(x):
    good = x.syn()
    return [x.syn(ipkw=dict(len=len(good) - 14 + 1))]


def f_total_length_short(x):
    # total_length covers the SYN only; 16 bytes of junk follow it.
    seg = x.syn(payload=b"")
    return [seg + b"junk-after-total"]


def f_udp_length_long(x):
    return [bytes(x.eth() / x.ip() / UDP(sport=x.port(), dport=UDP_PORT,
                                         len=8 + 24 + 1) / Raw(b"u" * 24))]


def f_udp_length_short(x):
    return [bytes(x.eth() / x.ip() / UDP(sport=x.port(), dport=UDP_PORT,
                                         len=7) / Raw(b"u" * 24))]


def f_ipv4_version(x):
    return [x.syn(ipkw=dict(version=6))]


def f_ip_options(x):
    return [x.syn(ipkw=dict(options=[IPOption_RR(routers=["0.0.0.0"] * 3)]))]


def f_ipv4_checksum(x):
    f = bytearray(x.syn())
    f[25] ^= 0xFF
    return [bytes(f)]


def f_tcp_checksum(x):
    return [x.syn(tcpkw=dict(chksum=0x1234))]


def f_ttl0(x):
    return [x.syn(ipkw=dict(ttl=0))]


def f_ttl1(x):
    return [x.syn(ipkw=dict(ttl=1))]


def frag(x, off, mf, payload, ident=0x4d47):
    return pad(bytes(x.eth() / IP(src=x.client_ip, dst=x.vip, id=ident,
                                  proto=17, flags="MF" if mf else 0,
                                  frag=off) / Raw(payload)))


def udp_head(x, length):
    return struct.pack("!HHHH", x.port(), UDP_PORT, length, 0)


def f_frag_first(x):
    return [frag(x, 0, True, udp_head(x, 48) + b"f" * 16)]


def f_frag_middle(x):
    return [frag(x, 3, True, b"m" * 24)]


def f_frag_last(x):
    return [frag(x, 6, False, b"l" * 16)]


def f_frag_overlap(x):
    # Two fragments of one datagram covering bytes 8..31 twice.
    return [frag(x, 0, True, udp_head(x, 40) + b"a" * 24),
            frag(x, 1, False, b"b" * 32)]


def f_frag_tiny(x):
    # RFC 1858: a first fragment of 8 bytes, the TCP flags in the next.
    tcp = bytes(x.tcp(dport=80))
    return [frag(x, 0, True, tcp[:8], ident=0x4d48)]


def flags_class(flags):
    return lambda x: [pad(x.syn(dport=80, payload=b"",
                                tcpkw=dict(flags=flags)))]


def f_src_port_zero(x):
    return [bytes(x.eth() / x.ip() / TCP(sport=0, dport=80, flags="S") /
                  Raw(b"edgelb-corpus"))]


def f_udp_src_port_zero(x):
    return [pad(bytes(x.eth() / x.ip() / UDP(sport=0, dport=UDP_PORT) /
                      Raw(b"edgelb-corpus-udp")))]


def f_dst_port_zero(x):
    return [x.syn(dport=0)]


def f_martians(x):
    return [x.syn(dport=80, ipkw=dict(src=s))
            for s in ("0.0.0.1", "127.0.0.1", "224.0.0.1",
                      "255.255.255.255", "240.0.0.1")]


def f_src_vip(x):
    return [x.syn(dport=80, ipkw=dict(src=x.vip))]


def f_src_port_addr(x):
    return [x.syn(dport=80, ipkw=dict(src=x.lb_addr))]


def f_eth_src_broadcast(x):
    return [x.syn(eth=x.eth(src="ff:ff:ff:ff:ff:ff"))]


def f_eth_src_multicast(x):
    return [x.syn(eth=x.eth(src="01:00:5e:00:00:fb"))]


def f_arp_eth_src_broadcast(x):
    return [x.arp(src="ff:ff:ff:ff:ff:ff")]


def f_vlan_stacked(x):
    return [bytes(x.eth() / Dot1Q(vlan=5) / Dot1Q(vlan=6) / x.ip() /
                  x.tcp() / Raw(b"edgelb-corpus"))]


def f_vlan_qinq(x):
    return [bytes(x.eth(type=0x88A8) / Dot1Q(vlan=5) / x.ip() / x.tcp() /
                  Raw(b"edgelb-corpus"))]


def f_vlan_tagged(x):
    return [bytes(x.eth() / Dot1Q(vlan=7) / x.ip() / x.tcp() /
                  Raw(b"edgelb-corpus"))]


def f_vlan_priority(x):
    return [bytes(x.eth() / Dot1Q(vlan=0, prio=5) / x.ip() / x.tcp() /
                  Raw(b"edgelb-corpus"))]


def f_ipv6(x):
    return [pad(bytes(x.eth(type=0x86DD)) + bytes.fromhex(
        "6000000000083a40") + b"\xfe\x80" + b"\0" * 30 +
        b"\x80\0\0\0\0\0\0\0")]


def f_unknown_ethertype(x):
    return [pad(bytes(x.eth(type=0x88B5)) + b"local experimental")]


def f_icmp_err_truncated(x):
    # Destination unreachable quoting 10 bytes of an IPv4 header.
    inner = bytes(IP(src=x.vip, dst=x.client_ip, proto=6))[:10]
    return [pad(bytes(x.eth() / x.ip(flags=0) / ICMP(type=3, code=4) /
                      Raw(inner)))]


def f_icmp_err_foreign(x):
    # Time exceeded quoting a datagram that no flow of ours sent.
    inner = bytes(IP(src="198.51.100.7", dst="203.0.113.9", proto=17) /
                  UDP(sport=53, dport=33434))[:28]
    return [pad(bytes(x.eth() / x.ip(flags=0) / ICMP(type=11, code=0) /
                      Raw(inner)))]


def f_icmp_other(x):
    return [pad(bytes(x.eth() / x.ip() / ICMP(type=13) /
                      Raw(b"\0" * 12)))]


def f_icmp_echo(x):
    return [bytes(x.eth() / x.ip() / ICMP(type=8, id=0x4d46, seq=x.port()) /
                  Raw(b"edgelb-corpus-ping-0123456789"))]


def f_arp_sha(mac):
    return lambda x: [x.arp(hwsrc=mac)]


def f_arp_bad(**kw):
    return lambda x: [x.arp(**kw)]


def f_arp_spoof_reply(x):
    # "The backend is at EVIL": unsolicited, unicast to us.
    return [x.arp(op=2, dst=x.dst_mac, src=EVIL_MAC, hwsrc=EVIL_MAC,
                  psrc=x.backend_ip, pdst=x.lb_addr)]


def f_arp_gratuitous_reply(x):
    return [x.arp(op=2, src=EVIL_MAC, hwsrc=EVIL_MAC, psrc=x.backend_ip,
                  pdst=x.backend_ip)]


def f_arp_gratuitous_request(x):
    return [x.arp(op=1, src=EVIL_MAC, hwsrc=EVIL_MAC, psrc=x.backend_ip,
                  pdst=x.backend_ip)]


def f_arp_flood(x):
    return [x.arp(psrc="10.201.0.99", hwsrc=EVIL_MAC, src=EVIL_MAC)]


def f_jumbo(x):
    return [x.syn(payload=b"j" * (9000 - 14 - 20 - 20))]


def f_min_frame(x):
    f = x.syn(payload=b"")
    assert len(f) == 54
    return [pad(f)]


def f_not_for_us(x):
    return [x.syn(eth=x.eth(dst=OTHER_MAC))]


def f_broadcast_ipv4(x):
    return [x.syn(eth=x.eth(dst="ff:ff:ff:ff:ff:ff"))]


def f_l4_unsupported(x):
    return [bytes(x.eth() / x.ip(proto=47) / Raw(b"\0\0\x08\0" + b"g" * 36))]


def f_not_ours(x):
    return [x.syn(ipkw=dict(dst="10.201.0.77"))]


def f_no_vip(x):
    return [x.syn(dport=8080)]


SEGMENT_ARP = ("the segment's own ARP (backends and the client asking "
               "for each other) raises it too")
FLOODED = ("frames the bridge floods (unicast to MACs it has not learnt "
           "yet) raise it too")


def rate_check(sent, moved, secs, burst, rate):
    """Every request answered or counted, and no more answered than a burst
    and the rate over the time they took to send (with 0.1 s to spare)."""
    a, d = moved
    most = burst + int((secs + 0.1) * rate) + 1
    return (a + d == sent and burst <= a <= most,
            "answered %d (burst %d, at most %d at %d/s over %.3f s) + "
            "rate-limited %d = %d sent" % (a, burst, most, rate, secs, d,
                                           sent))


CLASSES = [
    # truncations, layer by layer
    c("ipv4_truncated", "a frame that ends inside the IPv4 header: drop",
      "drops.ipv4_truncated", f_ipv4_truncated),
    c("tcp_truncated", "total length leaves 19 bytes of TCP: drop",
      "drops.tcp_truncated", f_tcp_truncated),
    c("udp_truncated", "total length leaves 7 bytes of UDP: drop",
      "drops.udp_truncated", f_udp_truncated),
    c("icmp_truncated", "total length leaves 7 bytes of ICMP: drop",
      "drops.icmp_truncated", f_icmp_truncated),
    c("arp_truncated", "27 bytes of ARP header: drop",
      "drops.arp_malformed", f_arp_truncated),
    # header length lies
    c("ipv4_ihl_short", "IHL 4 (16 bytes): drop", "drops.ipv4_ihl",
      f_ihl_short),
    c("ipv4_ihl_beyond_frame", "IHL 15 (60 bytes) in a 60-byte frame: drop",
      "drops.ipv4_ihl", f_ihl_beyond_frame),
    c("ipv4_ihl_over_total", "IHL 6 but total length 20: drop",
      "drops.ipv4_total_length", f_ihl_over_total),
    c("tcp_doff_short", "TCP data offset 4: drop", "drops.tcp_doff",
      f_doff_short),
    c("tcp_doff_beyond", "data offset 15 with 20 bytes of TCP: drop",
      "drops.tcp_doff", f_doff_beyond),
    # length lies
    c("ipv4_total_length_long", "total length one past the frame: drop",
      "drops.ipv4_total_length", f_total_length_long),
    c("ipv4_total_length_short",
      "bytes past total length are padding: forwarded as they are",
      "vip.fwd.packets", f_total_length_short),
    c("udp_length_long", "UDP length past the datagram: drop",
      "drops.udp_length", f_udp_length_long),
    c("udp_length_short", "UDP length 7: drop", "drops.udp_length",
      f_udp_length_short),
    c("ipv4_version", "version 6 in an IPv4 ethertype: drop",
      "drops.ipv4_version", f_ipv4_version),
    # options, checksums, TTL
    c("ipv4_options", "IP options (record route), checksum valid: "
      "forwarded unchanged (DR never reads or strips options)",
      "vip.fwd.packets", f_ip_options),
    c("ipv4_checksum_bad", "header checksum wrong: drop",
      "drops.ipv4_checksum", f_ipv4_checksum),
    c("tcp_checksum_bad", "TCP checksum wrong: forwarded (DR does not "
      "touch L4; the backend's stack checks and drops it)",
      "vip.fwd.packets", f_tcp_checksum),
    c("ipv4_ttl_0", "TTL 0: drop", "drops.ipv4_ttl", f_ttl0),
    c("ipv4_ttl_1", "TTL 1: forwarded (DR is a layer-2 hop: no TTL "
      "decrement, no time exceeded)", "vip.fwd.packets", f_ttl1),
    # fragments
    c("fragment_first", "first fragment (MF, offset 0): drop (no "
      "reassembly; DF traffic only)", "drops.ipv4_fragment",
      f_frag_first),
    c("fragment_middle", "middle fragment: drop", "drops.ipv4_fragment",
      f_frag_middle),
    c("fragment_last", "last fragment: drop", "drops.ipv4_fragment",
      f_frag_last),
    c("fragment_overlapping", "two overlapping fragments: both dropped",
      "drops.ipv4_fragment", f_frag_overlap, per_unit=2),
    c("fragment_tiny", "8-byte first fragment (RFC 1858): drop",
      "drops.ipv4_fragment", f_frag_tiny),
    # TCP flags and ports of a new flow
    c("tcp_syn_fin", "SYN+FIN starting a flow: drop",
      "drops.tcp_flags_invalid", flags_class("SF")),
    c("tcp_syn_rst", "SYN+RST starting a flow: drop",
      "drops.tcp_flags_invalid", flags_class("SR")),
    c("tcp_null", "no flags starting a flow: drop",
      "drops.tcp_flags_invalid", flags_class(0)),
    c("tcp_xmas", "FIN+PSH+URG starting a flow: drop",
      "drops.tcp_flags_invalid", flags_class("FPU")),
    c("tcp_src_port_zero", "source port 0 starting a flow: drop",
      "drops.src_port_zero", f_src_port_zero),
    c("udp_src_port_zero", "UDP from source port 0: drop",
      "drops.src_port_zero", f_udp_src_port_zero),
    c("tcp_dst_port_zero", "destination port 0: no VIP there: drop",
      "drops.no_vip", f_dst_port_zero),
    # sources
    c("src_martian", "from 0/8, 127/8, multicast, broadcast, class E: drop",
      "drops.src_martian", f_martians, per_unit=5),
    c("src_vip", "from the VIP itself: drop", "drops.src_ours", f_src_vip),
    c("src_port_address", "from the port's own address: drop",
      "drops.src_ours", f_src_port_addr),
    c("eth_src_broadcast", "broadcast Ethernet source: drop (any answer "
      "would go to everyone)", "drops.eth_src_multicast",
      f_eth_src_broadcast),
    c("eth_src_multicast", "multicast Ethernet source: drop",
      "drops.eth_src_multicast", f_eth_src_multicast),
    c("arp_eth_src_broadcast", "broadcast ARP request from a broadcast "
      "source: drop", "drops.eth_src_multicast", f_arp_eth_src_broadcast),
    # tags and ethertypes
    c("vlan_stacked", "two 802.1Q tags (QinQ): drop", "drops.vlan_stacked",
      f_vlan_stacked),
    c("vlan_s_tag", "an 802.1ad S-tag outside: drop", "drops.vlan_stacked",
      f_vlan_qinq),
    c("vlan_tagged", "a tag on an untagged port: drop",
      "drops.vlan_mismatch", f_vlan_tagged),
    c("vlan_priority_tag", "VLAN id 0 (priority tag) on an untagged port: "
      "drop", "drops.vlan_mismatch", f_vlan_priority),
    c("ethertype_ipv6", "IPv6: drop (not balanced yet)",
      "drops.l3_unsupported", f_ipv6),
    c("ethertype_unknown", "ethertype 0x88b5: drop",
      "drops.l3_unsupported", f_unknown_ethertype),
    # ICMP
    c("icmp_error_truncated_inner", "destination unreachable quoting 10 "
      "bytes of a header: drop (ICMP errors are not relayed to backends)",
      "drops.icmp_unsupported", f_icmp_err_truncated),
    c("icmp_error_foreign_inner", "time exceeded quoting another host's "
      "datagram: drop", "drops.icmp_unsupported", f_icmp_err_foreign),
    c("icmp_timestamp", "ICMP other than echo to a VIP: drop",
      "drops.icmp_unsupported", f_icmp_other),
    c("icmp_echo", "echo request to a VIP within the limit: answered",
      "port.icmp_echo_replies", f_icmp_echo, count=5),
    c("icmp_echo_flood", "echo requests over icmp_echo_rate: the burst "
      "and the rate answered, the rest dropped",
      ["port.icmp_echo_replies", "drops.icmp_rate_limited"], f_icmp_echo,
      count=60, check=lambda s, m, t: rate_check(s, m, t, 5, 20)),
    # ARP
    c("arp_sha_zero", "ARP sender MAC 00:00:00:00:00:00: drop",
      "drops.arp_sha_invalid", f_arp_sha("00:00:00:00:00:00")),
    c("arp_sha_broadcast", "ARP sender MAC broadcast: drop",
      "drops.arp_sha_invalid", f_arp_sha("ff:ff:ff:ff:ff:ff")),
    c("arp_sha_multicast", "ARP sender MAC multicast: drop",
      "drops.arp_sha_invalid", f_arp_sha("01:00:5e:00:00:01")),
    c("arp_bad_hlen", "ARP hardware length 8: drop", "drops.arp_malformed",
      f_arp_bad(hwlen=8)),
    c("arp_bad_plen", "ARP protocol length 16: drop",
      "drops.arp_malformed", f_arp_bad(plen=16)),
    c("arp_bad_op", "ARP opcode 3 (RARP): drop", "drops.arp_malformed",
      f_arp_bad(op=3)),
    c("arp_spoofed_reply", "unsolicited reply claiming a backend: refused "
      "by the resolver (its MAC unchanged)", "arp.refused.unsolicited",
      f_arp_spoof_reply),
    c("arp_gratuitous_reply", "gratuitous reply for a backend: refused",
      "arp.refused.unsolicited", f_arp_gratuitous_reply),
    c("arp_gratuitous_request", "gratuitous request for a backend: not "
      "ours, drop", "drops.arp_not_ours", f_arp_gratuitous_request,
      exact=False, note=SEGMENT_ARP),
    c("arp_request_flood", "ARP requests for the VIP over arp_reply_rate: "
      "the burst and the rate answered, the rest dropped",
      ["port.arp_replies", "drops.arp_rate_limited"], f_arp_flood,
      count=120, exact=False, note="the client's own ARP for the VIP "
      "spends from the same bucket",
      check=lambda s, m, t: (m[0] + m[1] >= s and
                             m[1] >= s - (20 + int((t + 0.1) * 50) + 1),
                             "answered %d + rate-limited %d >= %d sent "
                             "(burst 20, 50/s over %.3f s)" %
                             (m[0], m[1], s, t))),
    # sizes
    c("jumbo_9000", "a 9000-byte frame chained over mbufs: drop (only the "
      "first segment is parsed)", "drops.rx_segmented", f_jumbo),
    c("minimum_frame", "a 60-byte SYN (54 + padding): forwarded",
      "vip.fwd.packets", f_min_frame),
    # addressing
    c("l2_not_for_us", "unicast to another MAC: drop",
      "drops.l2_not_for_us", f_not_for_us, exact=False, note=FLOODED),
    c("broadcast_ipv4", "IPv4 to the broadcast MAC: drop",
      "drops.l2_not_for_us", f_broadcast_ipv4, exact=False, note=FLOODED),
    c("l4_unsupported", "GRE to the VIP: drop", "drops.l4_unsupported",
      f_l4_unsupported),
    c("not_ours", "to an address we do not own: drop", "drops.not_ours",
      f_not_ours),
    c("no_vip", "to the VIP on a port no VIP serves: drop", "drops.no_vip",
      f_no_vip),
]


# ---- counters ------------------------------------------------------------

def ctl(*args):
    r = subprocess.run([os.environ["EDGELBCTL"], "-s", os.environ["ELBD_SOCK"],
                        "-j"] + list(args), capture_output=True, text=True,
                       timeout=30)
    return json.loads(r.stdout)


def counters():
    st, status = ctl("stats"), ctl("status")
    out = {}
    for p in st["ports"]:
        for k, v in p.items():
            if isinstance(v, int):
                out["port." + k] = out.get("port." + k, 0) + v
        for k, v in p["drops"].items():
            out["drops." + k] = out.get("drops." + k, 0) + v
    for v in st["vips"]:
        for k, n in v.items():
            if isinstance(n, int) and k not in ("id", "port"):
                out["vip.%s.%s" % (v["name"], k)] = n
    for k, v in status["arp"]["refused"].items():
        out["arp.refused." + k] = v
    return out


def moved(keys, before, after):
    return [after.get(k, 0) - before.get(k, 0) for k in keys]


def run_class(sock, cls, ctx, count):
    keys = cls["counter"] if isinstance(cls["counter"], list) else \
        [cls["counter"]]
    n = cls["count"] or count
    if keys[0] == "port.icmp_echo_replies" and cls["check"] is None:
        time.sleep(0.3)         # the echo bucket full again
    before = counters()
    sent = 0
    t0 = time.monotonic()
    for _ in range(n):
        for frame in cls["build"](ctx):
            sock.send(frame)
            sent += 1
        if cls["check"] is None:
            time.sleep(0.002)   # the PMD's socket buffer, not a rate
    secs = time.monotonic() - t0
    want = sent
    # Until the counter stops short of nothing, or 3 s.
    deadline = time.time() + 3
    while True:
        time.sleep(0.15)
        m = moved(keys, before, counters())
        if sum(m) >= want or time.time() > deadline:
            break
    time.sleep(0.2)
    m = moved(keys, before, counters())
    if cls["check"] is not None:
        ok, what = cls["check"](sent, m, secs)
    elif cls["exact"]:
        ok, what = m[0] == sent, "%s moved by %d (sent exactly %d)" % (
            keys[0], m[0], sent)
    else:
        ok, what = m[0] >= sent, "%s moved by %d (sent %d; %s)" % (
            keys[0], m[0], sent, cls["note"])
    print("%s: %s: %s: %s" % ("PASS" if ok else "FAIL", T_ID, cls["name"],
                              what), flush=True)
    return {"sent": sent, "moved": m, "counter": keys, "ok": ok}


def parse_mac(s):
    b = bytes.fromhex(s.replace(":", "").replace("-", ""))
    if len(b) != 6:
        raise ValueError("bad MAC address %r" % s)
    return ":".join("%02x" % x for x in b)


def table():
    print("| Class | Decision | Counter |")
    print("|---|---|---|")
    for cls in CLASSES:
        keys = cls["counter"] if isinstance(cls["counter"], list) else \
            [cls["counter"]]
        extra = "" if cls["exact"] and cls["check"] is None else \
            " (at least: %s)" % cls["note"] if not cls["exact"] else \
            " (sum = sent)"
        print("| `%s` | %s | %s%s |" % (
            cls["name"], cls["decision"],
            " + ".join("`%s`" % k for k in keys), extra))


def main(argv):
    if argv[1:] == ["--table"]:
        table()
        return 0
    if argv[1:] == ["--print-frames"]:
        ctx = Ctx("02:00:00:00:00:01", "192.0.2.100", "192.0.2.2",
                  "192.0.2.10", "02:00:00:00:00:02", "192.0.2.11")
        print(json.dumps({cl["name"]: [f.hex() for f in cl["build"](ctx)]
                          for cl in CLASSES}))
        return 0
    if len(argv) != 10 or argv[1] != "run":
        sys.stderr.write(__doc__)
        return 2
    _, _, iface, dst_mac, vip, lb_addr, client_ip, client_mac, backend_ip, \
        count = argv
    for a in (vip, lb_addr, client_ip, backend_ip):
        socket.inet_aton(a)
    ctx = Ctx(parse_mac(dst_mac), vip, lb_addr, client_ip,
              parse_mac(client_mac), backend_ip)
    sock = conf.L2socket(iface=iface)
    summary = {}
    try:
        for cls in CLASSES:
            summary[cls["name"]] = run_class(sock, cls, ctx, int(count))
    finally:
        sock.close()
    print("CORPUS " + json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""Write a pcap of 64-byte TCP frames to a VIP: a SYN per flow, then ACKs.

usage: gen_pcap.py OUT FLOWS DST_MAC VIP_IP VIP_PORT [MIN_PACKETS]

Flow i comes from 172.16.0.0/12 + i + 1, source port 1024 + i % 60000. The
file holds each flow's SYN, flows in order, then its ACKs up to
max(2 * FLOWS, MIN_PACKETS) frames, so a 1-flow file still fills whole
bursts. edgelbd makes an entry only for a SYN (an ACK of a flow it does not
hold goes by the stateless choice, no entry: lib/flow/lb_flow.h), and the
first ACK makes it established. Under infinite replay every later frame is a
hit of an established flow: an ACK, or a SYN on an established entry, which
the worker forwards like an ACK and which leaves the state as it is. Plain
struct writing: no scapy needed.
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


SYN, ACK = 0x02, 0x10


def frame(dmac, smac, sip, dip, sport, dport, flags):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000,
                      2000 if flags & ACK else 0, 5 << 4, flags, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", sip, dip, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                     6, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f = dmac + smac + b"\x08\x00" + ip + tcp
    return f + b"\0" * (60 - len(f))   # 60 + 4 FCS = 64 bytes on the wire


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    out, flows = sys.argv[1], int(sys.argv[2])
    dmac = bytes.fromhex(sys.argv[3].replace(":", ""))
    vip = bytes(int(x) for x in sys.argv[4].split("."))
    vport = int(sys.argv[5])
    npkts = max(2 * flows, int(sys.argv[6]) if len(sys.argv) == 7 else 1)
    smac = bytes.fromhex("020000000001")
    base = (172 << 24) | (16 << 16)
    frames = {SYN: [], ACK: []}
    for i in range(flows):
        sip = struct.pack("!I", base + i + 1)
        for flags in (SYN, ACK):
            frames[flags].append(frame(dmac, smac, sip, vip,
                                       1024 + i % 60000, vport, flags))
    with open(out, "wb") as f:
        # pcap global header: magic, v2.4, tz 0, sigfigs 0, snaplen, Ethernet
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n in range(npkts):
            fr = frames[SYN if n < flows else ACK][n % flows]
            f.write(struct.pack("<IIII", n // 1000000, n % 1000000,
                                len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Write a pcap of 64-byte TCP ACK frames to a VIP, one or more per flow.

usage: gen_pcap.py OUT FLOWS DST_MAC VIP_IP VIP_PORT [MIN_PACKETS]

Flow i comes from 172.16.0.0/12 + i + 1, source port 1024 + i % 60000: every
frame is an ACK of an established connection, so under infinite replay the
first frame of a flow inserts it and every later one is a flow-table hit.
The file holds max(FLOWS, MIN_PACKETS) frames, flows in order, so a 1-flow
file still fills whole bursts. Plain struct writing: no scapy needed.
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


def frame(dmac, smac, sip, dip, sport, dport):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, 0x10,
                      65535, 0, 0)
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
    npkts = max(flows, int(sys.argv[6]) if len(sys.argv) == 7 else 1)
    smac = bytes.fromhex("020000000001")
    base = (172 << 24) | (16 << 16)
    frames = []
    for i in range(flows):
        sip = struct.pack("!I", base + i + 1)
        frames.append(frame(dmac, smac, sip, vip, 1024 + i % 60000, vport))
    with open(out, "wb") as f:
        # pcap global header: magic, v2.4, tz 0, sigfigs 0, snaplen, Ethernet
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n in range(npkts):
            fr = frames[n % flows]
            f.write(struct.pack("<IIII", n // 1000000, n % 1000000,
                                len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()

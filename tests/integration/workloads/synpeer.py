"""A TCP peer made of raw frames, for tcptracer-k8s's tests: on an interface with no address (in a network
namespace of the test's own), it answers a SYN with a bare SYN of its own (a simultaneous open: the connecting
socket goes SYN_SENT -> SYN_RECV and sends a SYN-ACK), then answers that SYN-ACK with a reset: the one way a
connect() on Linux fails with ECONNRESET (a reset in SYN_SENT is ECONNREFUSED). Prints "ready", then "reset"
once it sent the reset.

    python3 synpeer.py DEV
"""
import socket
import struct
import sys

ETH_P_IP = 0x0800
SYN, RST, ACK = 0x02, 0x04, 0x10
OUR_SEQ = 1000


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def reply(sock, frame, flags, seq, ack):
    """A TCP segment back to the sender of @frame (an Ethernet frame carrying IPv4 TCP)."""
    ip = frame[14:]
    tcp = ip[(ip[0] & 15) * 4:]
    sport, dport = struct.unpack("!HH", tcp[:4])
    src, dst = ip[16:20], ip[12:16]
    th = struct.pack("!HHIIBBHHH", dport, sport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    th = th[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, len(th)) + th)) + th[18:]
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(th), 0, 0, 64, 6, 0, src, dst)
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    sock.send(frame[6:12] + frame[0:6] + struct.pack("!H", ETH_P_IP) + iph + th)


def main():
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    sock.bind((sys.argv[1], ETH_P_IP))
    print("ready", flush=True)
    while True:
        frame, addr = sock.recvfrom(65536)
        if addr[2] == socket.PACKET_OUTGOING or frame[14 + 9] != 6:
            continue
        ip = frame[14:]
        flags = ip[(ip[0] & 15) * 4 + 13]
        if flags & (SYN | ACK | RST) == SYN:
            reply(sock, frame, SYN, OUR_SEQ, 0)
        elif flags & (SYN | ACK) == SYN | ACK:
            reply(sock, frame, RST, OUR_SEQ + 1, 0)
            print("reset", flush=True)
            return


main()

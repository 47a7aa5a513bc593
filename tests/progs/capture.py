#!/usr/bin/python3
"""Records what crosses a node's link port, as an eavesdropper would.

    capture.py --port PORT --stop FILE --needle TEXT [--needle TEXT...]

Reads every TCP segment to or from PORT on eth0 through a packet socket
until FILE exists, then prints "bytes N" (TCP payload bytes seen) and one
"found TEXT" per needle that appears in the payload of either direction
(each direction's bytes are joined in order of arrival, so a needle split
across segments is still found). Prints "listening" once it captures.
"""

import argparse
import os
import socket
import struct
import sys

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800


def tcp_payload(frame, port):
    """(direction key, payload) of an IPv4 TCP frame to or from port."""
    if len(frame) < 14 or struct.unpack(">H", frame[12:14])[0] != ETH_P_IP:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if len(ip) < ihl + 20 or ip[9] != socket.IPPROTO_TCP:
        return None
    total = struct.unpack(">H", ip[2:4])[0]
    tcp = ip[ihl:total]
    sport, dport = struct.unpack(">HH", tcp[:4])
    if port not in (sport, dport):
        return None
    offset = (tcp[12] >> 4) * 4
    return (ip[12:16], sport, dport), tcp[offset:]


SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--needle", action="append", default=[])
    args = ap.parse_args()

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                         socket.htons(ETH_P_ALL))
    sock.bind(("eth0", 0))
    # Python in a TCG guest reads slower than the link's worker (nice -10)
    # receives: a deep queue (root may exceed rmem_max) keeps every frame.
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 256 << 20)
    sock.settimeout(0.2)
    print("listening", flush=True)
    streams = {}
    seen = 0
    while not os.path.exists(args.stop):
        try:
            frame = sock.recv(65536)
        except socket.timeout:
            continue
        got = tcp_payload(frame, args.port)
        if got and got[1]:
            streams.setdefault(got[0], bytearray()).extend(got[1])
            seen += len(got[1])
    print("bytes", seen)
    for needle in args.needle:
        if any(needle.encode() in s for s in streams.values()):
            print("found", needle)
    return 0


if __name__ == "__main__":
    sys.exit(main())

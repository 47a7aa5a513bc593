#!/usr/bin/python3
"""Raw TCP figures of a link, for comparison with mig's:
  tcpbench.py serve PORT            (answers pings, swallows bulk data)
  tcpbench.py rate ADDR PORT MIB    -> "rate_mbs R"
  tcpbench.py rtt ADDR PORT N       -> "rtt_us T" (1-byte ping-pong)"""

import socket
import sys
import time


def serve(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("", port))
    ls.listen(4)
    while True:
        c, _ = ls.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mode = c.recv(1)
        if mode == b"p":
            while True:
                b = c.recv(1)
                if not b:
                    break
                c.sendall(b)
        else:
            total = 0
            while True:
                b = c.recv(1 << 20)
                if not b:
                    break
                total += len(b)
            c.sendall(b"%d" % total)
        c.close()


def rate(addr, port, mib):
    s = socket.create_connection((addr, port))
    buf = b"\0" * (1 << 20)
    t = time.monotonic()
    s.sendall(b"b")
    for _ in range(mib):
        s.sendall(buf)
    s.shutdown(socket.SHUT_WR)
    s.recv(64)
    print("rate_mbs %.1f" % (mib / (time.monotonic() - t)))


def rtt(addr, port, n):
    s = socket.create_connection((addr, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"p")
    t = time.perf_counter()
    for _ in range(n):
        s.sendall(b"x")
        s.recv(1)
    print("rtt_us %.0f" % ((time.perf_counter() - t) / n * 1e6))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(int(sys.argv[2]))
    elif cmd == "rate":
        rate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        rtt(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))

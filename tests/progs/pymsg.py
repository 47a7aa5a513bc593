#!/usr/bin/python3
"""sendmsg() and recvmsg(), used by a moved process.

pymsg.py SECONDS FILE: prints "ready PID", spins for SECONDS (the test
moves it meanwhile), then, on sockets made at home:
- sends three buffers and a descriptor of FILE (SCM_RIGHTS) over a UNIX
  stream pair, receives them into two buffers, reads FILE through the
  received descriptor: prints "stream DATA" and "fd LINE";
- receives a datagram into a buffer too small: prints "trunc N FLAG";
- sends a UDP datagram to an address on 127.0.0.1 and receives it with
  the sender's address: prints "udp DATA HOST"."""

import array
import os
import socket
import sys
import time

print("ready", os.getpid(), flush=True)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    pass

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
fd = os.open(sys.argv[2], os.O_RDONLY)
a.sendmsg([b"abc", b"def", b"ghij"],
          [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
os.close(fd)
head, rest = bytearray(4), bytearray(16)
n, anc, flags, _ = b.recvmsg_into([head, rest], socket.CMSG_SPACE(4))
print("stream", (bytes(head) + bytes(rest))[:n].decode(), flush=True)
(level, kind, data), = anc
got = array.array("i", data[:4])[0]
print("fd", os.read(got, 100).decode().strip(), flush=True)

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
a.sendmsg([b"0123456789"])
data, _, flags, _ = b.recvmsg(4)
print("trunc", data.decode(), bool(flags & socket.MSG_TRUNC), flush=True)

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v.sendmsg([b"over ", b"udp"], [], 0, u.getsockname())
data, _, _, addr = u.recvmsg(100)
print("udp", data.decode(), addr[0], addr[1] == v.getsockname()[1], flush=True)

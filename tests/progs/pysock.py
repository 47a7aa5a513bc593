#!/usr/bin/python3
"""Sockets and waits on home descriptors, used by a moved process.

pysock.py SECONDS PATH: prints "ready PID", spins for SECONDS (the test
moves it meanwhile), then connects to the UNIX socket PATH (a server at
home), sends a line, waits for the answer with poll() and epoll, and
prints "reply ..." with it."""

import os
import select
import socket
import sys
import time

print("ready", os.getpid(), flush=True)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[2])
s.sendall(b"hello from away\n")
p = select.poll()
p.register(s, select.POLLIN)
assert p.poll(20000), "poll: nothing to read"
ep = select.epoll()
ep.register(s.fileno(), select.EPOLLIN)
assert ep.poll(10), "epoll: nothing to read"
print("reply", s.recv(100).decode().strip(), flush=True)

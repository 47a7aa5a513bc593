#!/usr/bin/python3
"""Benchmark subject: "ready PID", a grace period (to be moved in), then
CPU speed (loop iterations in SECONDS) and the time of N one-byte writes
to a file (forwarded when away). Prints "loops L writes_ns W"."""

import os
import sys
import time

grace, seconds, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
fd = os.open(sys.argv[4], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
print("ready", os.getpid(), flush=True)
end = time.monotonic() + grace
while time.monotonic() < end:
    pass
loops = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    loops += 1
t = time.perf_counter()
for _ in range(n):
    os.write(fd, b"x")
per = (time.perf_counter() - t) / n * 1e9
print("loops %d writes_ns %.0f" % (loops, per), flush=True)

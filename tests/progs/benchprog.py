#!/usr/bin/python3
"""Benchmark subject: "ready PID", a grace period (to be moved in), then
CPU speed (loop iterations in SECONDS) and the time of N one-byte writes
to a file (forwarded when away). Prints "loops L writes_ns W".

    benchprog.py GRACE SECONDS N FILE [noflush]

During the grace it unmaps 64 touched pages every 0.1 s, which makes the
kernel flush the whole TLB: under QEMU's TCG, the emulated TLB is resized
only then, and a process that never causes a flush (nor shares the CPU
with another address space) keeps a TLB sized for whatever ran before it,
at a third of its speed or at full speed by chance. Flushing lets the TLB
follow the loop's working set, at home and away alike. "noflush" leaves
that out, to show the effect."""

import mmap
import os
import sys
import time

grace, seconds, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
fd = os.open(sys.argv[4], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
print("ready", os.getpid(), flush=True)
flush = sys.argv[5:] != ["noflush"]
end = time.monotonic() + grace
tick = 0
while time.monotonic() < end:
    if flush and time.monotonic() > tick:
        tick = time.monotonic() + 0.1
        with mmap.mmap(-1, 64 * 4096) as m:
            m.write(b"x" * (64 * 4096))
loops = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    loops += 1
t = time.perf_counter()
for _ in range(n):
    os.write(fd, b"x")
per = (time.perf_counter() - t) / n * 1e9
print("loops %d writes_ns %.0f" % (loops, per), flush=True)

#!/usr/bin/python3
"""A process for moving: an unmodified interpreter, with an open file,
an environment and a cwd. It prints "ready PID", computes for SECONDS
without system calls of its own, then reports what it sees (pid, ppid,
cwd, environment, the rest of a file it had half read, its own
/proc/self/cmdline and environ) and exits CODE."""

import os
import sys
import time

seconds, code = float(sys.argv[1]), int(sys.argv[2])
f = open(sys.argv[3])
head = f.read(5)
print("ready", os.getpid(), flush=True)
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    n += 1
print("pid", os.getpid(), "ppid", os.getppid(), flush=True)
print("cwd", os.getcwd(), "env", os.environ.get("MIGVAR"), flush=True)
print("file", head + f.read(), end="", flush=True)
# Its own /proc entry (read at home, where the files are): itself.
with open("/proc/self/cmdline") as p:
    print("cmdline", " ".join(p.read().split("\0")[1:-1]), flush=True)
with open("/proc/self/environ") as p:
    env = dict(v.split("=", 1) for v in p.read().split("\0") if "=" in v)
    print("environ", env.get("MIGVAR"), flush=True)
os.chdir("/")
print("cwd2", os.getcwd(), flush=True)
sys.exit(code)

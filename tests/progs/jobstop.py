#!/usr/bin/python3
"""A job and a parent that watches it, as a shell does.

jobstop.py SECONDS [FIFO]: forks a child into a process group of its own
in the same session (so the group is not orphaned: its parent is in
another one). The child prints "ready PID", spins for SECONDS, with FIFO
reads a line from it and prints "got LINE", and exits 7. The parent
prints what waitpid(WUNTRACED | WCONTINUED) tells of it: "stopped
SIG", "continued", "exited CODE", then exits 0."""

import os
import sys
import time

pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    print("ready", os.getpid(), flush=True)
    end = time.monotonic() + float(sys.argv[1])
    while time.monotonic() < end:
        pass
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as fifo:
            print("got", fifo.readline().strip(), flush=True)
    os._exit(7)
while True:
    _, status = os.waitpid(pid, os.WUNTRACED | os.WCONTINUED)
    if os.WIFSTOPPED(status):
        print("stopped", os.WSTOPSIG(status), flush=True)
    elif os.WIFCONTINUED(status):
        print("continued", flush=True)
    else:
        print("exited", os.waitstatus_to_exitcode(status), flush=True)
        break

#!/usr/bin/python3
"""Reads lines from stdin and writes them to stdout until "end"; a
process to move while it is blocked in read() on a pipe."""

import os
import sys

print("ready", os.getpid(), flush=True)
for line in sys.stdin:
    if line.strip() == "end":
        break
    sys.stdout.write(line)
    sys.stdout.flush()
sys.exit(3)

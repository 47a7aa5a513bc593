#!/usr/bin/python3
"""Writes mig's knobs the way an admin tool would, one write() each, and
reports what happened: for every NAME=VALUE argument, in order, it writes
VALUE (no newline) to /sys/kernel/mig/NAME and prints one JSON list of
[name, value, "ok" or the errno's name, what NAME reads afterwards].

    knobs.py balance=2 threshold=1.3 ..."""

import errno
import json
import os
import sys

SYSFS = "/sys/kernel/mig"

results = []
for arg in sys.argv[1:]:
    name, _, value = arg.partition("=")
    path = os.path.join(SYSFS, name)
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, value.encode())
            outcome = "ok"
        finally:
            os.close(fd)
    except OSError as e:
        outcome = errno.errorcode.get(e.errno, str(e.errno))
    try:
        with open(path) as f:
            after = f.read().strip()
    except OSError as e:
        after = "unreadable: %s" % e.strerror
    results.append([name, value, outcome, after])
print(json.dumps(results))

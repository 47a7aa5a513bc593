#!/usr/bin/python3
"""Moves across three nodes: 1 -> 2 -> 3 -> home, the deputy staying at
home throughout; the interpreter's output and exit status are exact."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 3


@test(timeout=600)
def interpreter_tours_three_nodes(c):
    """python3 moved 1 -> 2 -> 3 -> home: output and exit status exact"""
    n1, n2, n3 = c.nodes
    mig.link_all(c.nodes)
    n1.run_ok("mkdir -p /tmp/w && printf 'round trip\\n' > /tmp/w/data")
    sp = n1.spawn("cd /tmp/w && MIGVAR=tour exec python3 %s/tests/progs/pyspin.py "
                  "14 11 /tmp/w/data" % os.getcwd())
    wait_until(lambda: "ready" in sp.output(), timeout=60, what="ready")
    pid = int(sp.output().split()[1])
    mig.move(n1, pid, 2)
    assert mig.migctl_json(n2, "ps")[0]["home_pid"] == pid
    time.sleep(1)
    mig.move(n1, pid, 3)
    (dep,) = mig.migctl_json(n1, "ps")
    assert dep["where"] == 3 and dep["moves"] == 2, dep
    wait_until(lambda: not mig.migctl_json(n2, "ps"), timeout=15, what="2 empty")
    assert mig.migctl_json(n3, "ps")[0]["home_pid"] == pid
    time.sleep(1)
    mig.move(n1, pid, "home")
    assert not mig.migctl_json(n1, "ps")
    assert sp.wait(120) == 11, sp.output()
    out = sp.output().splitlines()
    diag("\n".join(out))
    assert out[2:] == ["cwd /tmp/w env tour", "file round trip", "cwd2 /"], out
    assert out[1].startswith("pid %d ppid " % pid), out


@test(timeout=600)
def missing_file_pages_are_relayed(c):
    """a program from /tmp of nodes 1 and 2 (same file) moved 1 -> 2 -> 3:
    node 3 lacks it and asks through the deputy for node 2's pages"""
    n1, n2, n3 = c.nodes
    mig.link_all(c.nodes)
    spin = "%s/tests/progs/bin/spin" % os.getcwd()
    for n in (n1, n2):
        n.run_ok("cp -p %s /tmp/spin-here" % spin)
    sp = n1.spawn("exec /tmp/spin-here -s 10 -m 4 -x 42")
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    mig.move(n1, sp.pid, 2)
    mig.move(n1, sp.pid, 3)
    assert mig.migctl_json(n3, "ps")[0]["home_pid"] == sp.pid
    assert sp.wait(120) == 42, sp.output()


run()

#!/usr/bin/python3
"""rmmod is safe at any moment. While anything of mig may still run in a
process (a move asked for and queued, a move under way, a move whose
migctl was killed, a deputy, a guest) the module holds a reference and
rmmod is refused ("in use"); the process goes on, and once it is done
the module unloads."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 2
SPIN = "tests/progs/bin/spin"


def start_spin(node, seconds, mib=16):
    sp = node.spawn("exec %s -s %d -m %d" % (SPIN, seconds, mib))
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="spin ready")
    return sp


def rmmod(node):
    """rmmod mig at node: (rc, output). Refused at once when in use: a
    hang (rc 124) is a failure of its own."""
    rc, out = node.run("rmmod mig", timeout=30)
    diag("%s: rmmod -> %d %s" % (node.name, rc, out.strip()))
    return rc, out


def refused(rc, out):
    return rc not in (0, 124) and "in use" in out


def start_move(node, pid, dest):
    return node.spawn("exec %s move %d %s" % (mig.MIGCTL, pid, dest))


def unloads_once_idle(nodes):
    """Every node's module unloads once nothing of mig is left."""
    wait_until(lambda: all(not mig.ps(n) for n in nodes), timeout=30,
               what="no deputy or guest left")
    for n in nodes:
        wait_until(lambda: rmmod(n)[0] == 0, timeout=30, what="rmmod")
        assert not mig.is_loaded(n)


@test
def unload_refused_while_a_move_waits(c):
    """a move queued on a stopped process: rmmod refused, the move goes
    on once the process is continued"""
    n1, n2 = c.nodes
    mig.link_settled(c.nodes)
    sp = start_spin(n1, seconds=8)
    n1.run_ok("kill -STOP %d" % sp.pid)
    mv = start_move(n1, sp.pid, 2)
    time.sleep(1)
    rc, out = rmmod(n1)
    n1.run_ok("kill -CONT %d" % sp.pid)
    assert refused(rc, out), "rmmod with a move queued: %d %s" % (rc, out)
    assert mv.wait(150) == 0, mv.output()
    assert sp.wait(120) == 42, sp.output()
    unloads_once_idle(c.nodes)


@test
def unload_refused_while_moving_and_away(c):
    """rmmod during a transfer, then with a deputy at home and a guest
    there: refused at both ends, the process unharmed"""
    n1, n2 = c.nodes
    mig.link_settled(c.nodes)
    # It runs on while its memory moves (a live move of 64 MiB, seconds
    # under TCG, with many rmmod during it): enough CPU seconds to outlast
    # the pre-copy, which it shares the CPU with, and the rmmods after.
    sp = start_spin(n1, seconds=12, mib=64)
    mv = start_move(n1, sp.pid, 2)
    tries = 0
    while mv.running():
        rc, out = rmmod(n1)
        if mv.running():
            tries += 1
        assert refused(rc, out), "rmmod during a move: %d %s" % (rc, out)
    diag("rmmod refused %d times during the transfer" % tries)
    assert tries >= 1, "the move ended before an rmmod during it"
    assert mv.wait(10) == 0, mv.output()
    assert mig.ps(n2), "not at node 2"
    for n in c.nodes:
        rc, out = rmmod(n)
        assert refused(rc, out), "%s: rmmod with the process away: %d %s" % (
            n.name, rc, out)
    assert sp.wait(150) == 42, sp.output()
    unloads_once_idle(c.nodes)


@test
def unload_after_migctl_was_killed(c):
    """migctl killed while its move waits for a stopped process: rmmod is
    refused until the move's work has run; continued, the process goes on
    at home"""
    n1, n2 = c.nodes
    mig.link_settled(c.nodes)
    sp = start_spin(n1, seconds=6)
    n1.run_ok("kill -STOP %d" % sp.pid)
    mv = start_move(n1, sp.pid, 2)
    time.sleep(1)
    mv.kill()
    assert mv.wait(30) is not None, "migctl did not end"
    rc, out = rmmod(n1)
    # On the old module rmmod succeeded here and SIGCONT then oopsed.
    n1.run_ok("kill -CONT %d" % sp.pid)
    status = sp.wait(120)
    assert refused(rc, out), "rmmod with a move's work queued: %d %s" % (rc, out)
    assert status == 42, sp.output()
    assert not mig.ps(n1) and not mig.ps(n2), "the cancelled move happened"
    unloads_once_idle(c.nodes)


run()

#!/usr/bin/python3
"""Moves across three nodes: 1 -> 2 -> 3 -> home, the deputy staying at
home throughout; the interpreter's output and exit status are exact; an
onward move goes from node to node directly, not through home; a
multi-threaded process tours the three nodes."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402
from threadprog import assert_away, assert_good, finish, nothing_left, phase, start  # noqa: E402

NODES = 3


@test(timeout=600)
def interpreter_tours_three_nodes(c):
    """python3 moved 1 -> 2 -> 3 -> home: output and exit status exact"""
    n1, n2, n3 = c.nodes
    mig.relink(c.nodes)
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
    assert out[2:] == ["cwd /tmp/w env tour", "file round trip",
                       "cmdline %s/tests/progs/pyspin.py 14 11 /tmp/w/data" % os.getcwd(),
                       "environ tour", "cwd2 /"], out
    assert out[1].startswith("pid %d ppid " % pid), out


def tx_bytes(node):
    """Bytes the node's network interface sent so far."""
    return int(node.run_ok("cat /sys/class/net/$(ls /sys/class/net | "
                           "grep -v '^lo$' | head -1)/statistics/tx_bytes"))


@test(timeout=600)
def onward_moves_go_directly(c):
    """a 64 MiB process moved 1 -> 2 -> 3 -> home: from 2 to 3 its state
    goes directly (home's interface sends a few KiB, node 2's all of
    it); its memory is exact at the end"""
    n1, n2, n3 = c.nodes
    mig.relink(c.nodes)
    sp = n1.spawn("exec tests/progs/bin/dirtier -m 64 -r 256")
    pid = mig.ready(sp, timeout=120)
    mig.move(n1, pid, 2)
    home0, node2 = tx_bytes(n1), tx_bytes(n2)
    mig.move(n1, pid, 3)
    home_sent, node2_sent = tx_bytes(n1) - home0, tx_bytes(n2) - node2
    diag("2 -> 3: home sent %d bytes, node 2 sent %d" % (home_sent, node2_sent))
    assert node2_sent > 64 << 20, node2_sent
    assert home_sent < 2 << 20, home_sent
    (dep,) = mig.migctl_json(n1, "ps")
    assert dep["where"] == 3 and dep["moves"] == 2, dep
    wait_until(lambda: not mig.migctl_json(n2, "ps"), timeout=15, what="2 empty")
    (guest,) = mig.migctl_json(n3, "ps")
    assert guest["home_pid"] == pid and guest["state"] == "running", guest
    # Signals and forwarded output still go through home's deputy.
    n1.run_ok("kill -USR2 %d" % pid)
    wait_until(lambda: "gap" in sp.output(), timeout=30, what="its answer")
    mig.move(n1, pid, "home")
    n1.run_ok("kill -USR1 %d" % pid)
    assert sp.wait(120) == 42, sp.output()
    assert "checked 16384 pages" in sp.output(), sp.output()


@test(timeout=600)
def refused_onward_move_leaves_it_there(c):
    """an onward move that node 3 refuses once the state came (root
    process, accept_root 0 there) fails with the reason; the process
    goes on at node 2, unharmed, and moves on once node 3 accepts it"""
    n1, n2, n3 = c.nodes
    mig.relink(c.nodes)
    sp = n1.spawn("exec tests/progs/bin/dirtier -m 8 -r 256")
    pid = mig.ready(sp, timeout=120)
    mig.move(n1, pid, 2)
    mig.set_knobs(n3, accept_root=0)
    try:
        rc, out = mig.move(n1, pid, 3, check=False)
        diag("refused: rc %d: %s" % (rc, out.strip()))
        assert rc != 0 and "EPERM" in out, out
        (dep,) = mig.migctl_json(n1, "ps")
        assert dep["where"] == 2 and dep["moves"] == 1, dep
        (guest,) = mig.migctl_json(n2, "ps")
        assert guest["state"] == "running", guest
        wait_until(lambda: not mig.migctl_json(n3, "ps"), timeout=30,
                   what="nothing left at node 3")
    finally:
        mig.set_knobs(n3, accept_root=1)
    mig.move(n1, pid, 3)
    mig.move(n1, pid, "home")
    n1.run_ok("kill -USR1 %d" % pid)
    assert sp.wait(120) == 42, sp.output()
    assert "checked 2048 pages" in sp.output(), sp.output()


@test(timeout=600)
def missing_file_pages_are_relayed(c):
    """a program from /tmp of nodes 1 and 2 (same file) moved 1 -> 2 -> 3:
    node 3 lacks it and asks node 2 for its pages"""
    n1, n2, n3 = c.nodes
    mig.relink(c.nodes)
    spin = "%s/tests/progs/bin/spin" % os.getcwd()
    for n in (n1, n2):
        n.run_ok("cp -p %s /tmp/spin-here" % spin)
    # CPU seconds: alive through two moves of 4 MiB and a ps.
    sp = n1.spawn("exec /tmp/spin-here -s 6 -m 4 -x 42")
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    mig.move(n1, sp.pid, 2)
    mig.move(n1, sp.pid, 3)
    assert mig.migctl_json(n3, "ps")[0]["home_pid"] == sp.pid
    assert sp.wait(120) == 42, sp.output()


def stat(node, name):
    return mig.status(node)["stats"][name]


def guest_move_entry(node, home_pid):
    for p in mig.ps(node):
        if p.get("home_pid") == home_pid and "move" in p:
            return p
    return None


@test(timeout=900)
def live_chain_each_hop_direct(c):
    """64 MiB rewritten at 1 MiB/s moved 1 -> 2 -> 3 -> home, each hop
    live and direct: node 2 pre-copies it to node 3 and node 3 home,
    home sends a few KiB for the onward hop and its pre-copy; the
    memory is byte-exact at the end"""
    n1, n2, n3 = c.nodes
    mig.relink(c.nodes)
    sp = n1.spawn("exec tests/progs/bin/dirtier -m 64 -r 1024")
    pid = mig.ready(sp, timeout=180)
    live = [stat(n, "moves_live") for n in c.nodes]
    out = mig.migctl(n1, "-j move %d 2" % pid, timeout=300)
    # live, or live-unconverged on a loaded host
    assert '"how":"live' in out.replace(" ", ""), out
    home0, node2 = tx_bytes(n1), tx_bytes(n2)
    mover = n1.spawn("exec %s move %d 3" % (mig.MIGCTL, pid))
    wait_until(lambda: guest_move_entry(n2, pid), timeout=60, interval=0.3,
               what="pre-copy at node 2")
    assert mover.wait(300) == 0, mover.output()
    home_sent, node2_sent = tx_bytes(n1) - home0, tx_bytes(n2) - node2
    diag("2 -> 3: home sent %d bytes, node 2 sent %d" % (home_sent, node2_sent))
    assert node2_sent > 64 << 20, node2_sent
    assert home_sent < 2 << 20, home_sent
    (dep,) = mig.migctl_json(n1, "ps")
    assert dep["where"] == 3 and dep["moves"] == 2, dep
    wait_until(lambda: not mig.migctl_json(n2, "ps"), timeout=15, what="2 empty")
    home0, node3 = tx_bytes(n1), tx_bytes(n3)
    mover = n1.spawn("exec %s move %d home" % (mig.MIGCTL, pid))
    wait_until(lambda: guest_move_entry(n3, pid), timeout=60, interval=0.3,
               what="pre-copy at node 3")
    assert mover.wait(300) == 0, mover.output()
    home_sent, node3_sent = tx_bytes(n1) - home0, tx_bytes(n3) - node3
    diag("3 -> home: home sent %d bytes, node 3 sent %d" % (home_sent,
                                                          node3_sent))
    assert node3_sent > 64 << 20, node3_sent
    assert home_sent < 4 << 20, home_sent
    after = [stat(n, "moves_live") for n in c.nodes]
    diag("moves_live before %s, after %s" % (live, after))
    assert after == [live[0] + 1, live[1] + 1, live[2] + 1], (live, after)
    assert not mig.migctl_json(n1, "ps")
    n1.run_ok("kill -USR1 %d" % pid)
    assert sp.wait(120) == 42, sp.output()
    assert "checked 16384 pages" in sp.output(), sp.output()


@test(timeout=400)
def ring_onward_three_nodes(c):
    """a token ring of 3 threads (tests/progs/threads, see 70-threads.py)
    moves 1 -> 2 -> 3 -> home, checked at each node"""
    n1, n2, n3 = c.nodes
    mig.relink(c.nodes)
    sp, pid, tids = start(n1, "-p 4 ring 3")
    try:
        lines = [phase(n1, sp, pid, 1)]
        for n, dest, node in ((2, 2, n2), (3, 3, n3)):
            mig.move(n1, pid, dest)
            lines.append(phase(n1, sp, pid, n))
            assert_away(node, pid, "at node %d after phase %d" % (dest, n))
        mig.move(n1, pid, "home")
        lines.append(phase(n1, sp, pid, 4))
        finish(sp)
        assert_good(*lines)
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=600)
def onward_destination_dies_mid_precopy(c):
    """node 3 dies while node 2 pre-copies the process to it: the move
    fails with a reason, the process goes on at node 2 unharmed, home's
    deputy still serves it, and it comes home byte-exact"""
    n1, n2, n3 = c.nodes
    mig.relink(c.nodes)
    sp = n1.spawn("exec tests/progs/bin/dirtier -m 64 -r 512")
    pid = mig.ready(sp, timeout=240)
    mig.move(n1, pid, 2, timeout=300)
    mover = n1.spawn("exec %s move %d 3" % (mig.MIGCTL, pid))
    wait_until(lambda: (guest_move_entry(n2, pid) or {}).get(
        "bytes_sent", 0) > 8 << 20, timeout=120, interval=0.3,
        what="pre-copy at node 2")
    n3.kill()
    rc = mover.wait(180)
    diag("migctl: rc %s: %s" % (rc, mover.output().strip()))
    assert rc != 0, mover.output()
    (dep,) = mig.migctl_json(n1, "ps")
    assert dep["where"] == 2 and dep["moves"] == 1, dep
    wait_until(lambda: [p["state"] for p in mig.migctl_json(n2, "ps")] ==
               ["running"], timeout=60, what="node 2: the guest alone")
    n1.run_ok("kill -USR2 %d" % pid)
    wait_until(lambda: "gap" in sp.output(), timeout=30, what="its answer")
    mig.move(n1, pid, "home", timeout=300)
    n1.run_ok("kill -USR1 %d" % pid)
    assert sp.wait(180) == 42, sp.output()
    assert "checked 16384 pages" in sp.output(), sp.output()


run()

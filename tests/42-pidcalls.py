#!/usr/bin/python3
"""System calls that name a process by pid, from a moved process: pid 0
and its own (home) pid reach the process itself where it runs, any other
pid the process of that pid at home, never an unrelated process of the
node it runs at. Processes sharing their memory with another process
(vfork, CLONE_VM) are refused at move and go on at home, and so is a
process that made a thread after its move was accepted."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 2
FIFO = "/tmp/w/pidcalls.fifo"


def rounds(sp, pid):
    """The rounds pidcalls printed so far, each a list of lines."""
    out = sp.output().split("ready %d\n" % pid, 1)[1]
    return [b.strip().splitlines() for b in out.split("end\n")[:-1]]


def one_round(node, sp, pid):
    """Asks pidcalls for a round; returns its lines."""
    before = len(rounds(sp, pid))
    node.run_ok("echo go > %s" % FIFO)
    wait_until(lambda: len(rounds(sp, pid)) > before, timeout=60, what="round")
    return rounds(sp, pid)[before]


def nice(node, pid):
    return int(node.run_ok("ps -o ni= -p %d" % pid).strip())


def unused_pid(n1, n2, sp):
    """A process at node 2 whose pid is not in use at node 1."""
    for _ in range(20):
        s = n2.spawn("exec nice -n 3 sleep 600")
        if n1.run("kill -0 %d" % s.pid)[0] != 0:
            return s
        s.kill()
    raise AssertionError("no pid free at node 1")


@test
def pid_calls_reach_the_right_process(c):
    """nice, rlimits, affinity, scheduler and robust list by pid: the same
    answers at home and away, none from a process of the destination"""
    n1, n2 = c.nodes
    mig.link_settled(c.nodes, reuse=True)
    other = n1.spawn("exec nice -n 5 chrt -b 0 prlimit --nofile=33:44 sleep 600")
    stranger = unused_pid(n1, n2, other)
    n1.run_ok("mkdir -p /tmp/w && rm -f %s && mkfifo %s" % (FIFO, FIFO))
    sp = n1.spawn("exec tests/progs/bin/pidcalls %d %d %s"
                  % (other.pid, stranger.pid, FIFO))
    pid = mig.ready(sp)

    home = one_round(n1, sp, pid)
    diag("at home:\n" + "\n".join(home))
    for line in ("self0 prio=13", "selfpid prio=13", "self0 nofile=77:99",
                 "selfpid nofile=77:99", "other prio=15", "other nofile=33:44",
                 "other sched=3 param=0:0", "setother prio=0", "other prio=14",
                 "stranger prio=-3", "stranger nofile=-3", "setstranger prio=-3"):
        assert line in home, "%r not in the round at home" % line
    assert nice(n1, other.pid) == 6

    n1.run_ok("renice -n 5 -p %d" % other.pid)
    mig.move(n1, pid, 2)
    away = one_round(n1, sp, pid)
    diag("away:\n" + "\n".join(away))
    (guest,) = mig.ps(n2)
    assert guest["home_pid"] == pid, "the process went home for a call"
    assert away == home, "answers differ away:\n%s" % "\n".join(
        "%s | %s" % (h, a) for h, a in zip(home, away) if h != a)
    assert nice(n1, other.pid) == 6, "setpriority did not reach OTHER at home"
    assert nice(n2, stranger.pid) == 3, "a process of the destination was reniced"
    # Set for itself there, through its home pid: the guest's own values.
    gpid = guest["pid"]
    assert nice(n2, gpid) == 7, "the guest's nice is not what it set"
    lim = n2.run_ok("grep 'Max open files' /proc/%d/limits" % gpid).split()
    assert lim[3:5] == ["77", "99"], lim

    n1.run_ok("echo quit > %s" % FIFO)
    assert sp.wait(60) == 0, sp.output()
    other.kill()
    stranger.kill()


@test
def processes_sharing_memory_are_refused(c):
    """a vfork child and its parent, a CLONE_VM child and its parent: the
    move is refused with a reason and they run on; alone again, it moves"""
    n1, n2 = c.nodes
    mig.link_settled(c.nodes, reuse=True)
    for mode in ("vfork", "clonevm"):
        sp = n1.spawn("exec tests/progs/bin/sharer %s 8" % mode)
        wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
        parent, child = map(int, sp.output().split("ready", 1)[1].split()[:2])
        for pid in (parent, child):
            rc, out = mig.move(n1, pid, 2, check=False)
            diag("%s: move %d -> %d: %s" % (mode, pid, rc, out.strip()))
            assert rc != 0, "%s: the move of %d was accepted" % (mode, pid)
            assert "shares its memory" in out, out
        assert not mig.ps(n1) and not mig.ps(n2)
        if mode == "clonevm":
            wait_until(lambda: "alone" in sp.output(), timeout=60, what="alone")
            mig.move(n1, parent, 2)
            assert mig.ps(n2), "not at node 2"
        assert sp.wait(120) == 0, sp.output()
        assert sp.output().rstrip().endswith("done"), sp.output()


@test
def thread_made_after_the_move_was_accepted(c):
    """a process held (traced) after the move's check, that then makes a
    thread before its capture: the capture parks and takes both threads,
    which run at node 2 (each a deputy at home), and die together"""
    n1, n2 = c.nodes
    mig.link_settled(c.nodes, reuse=True)
    fifo = "/tmp/w/late.fifo"
    n1.run_ok("mkdir -p /tmp/w && rm -f %s && mkfifo %s" % (fifo, fifo))
    sp = n1.spawn("exec tests/progs/bin/latethread %s" % fifo)
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    child = int(sp.output().split("ready", 1)[1].split()[1])
    mv = n1.spawn("exec %s move %d 2" % (mig.MIGCTL, child))
    time.sleep(2)
    assert mv.running(), "the move did not wait: %s" % mv.output()
    n1.run_ok("echo go > %s" % fifo)
    rc = mv.wait(90)
    diag("move -> %s: %s" % (rc, mv.output().strip()))
    assert rc == 0, "the move failed: %s" % mv.output()
    status = n1.run_ok("grep -E '^(State|Threads):' /proc/%d/status" % child)
    assert "Threads:\t2" in status, status
    guests = mig.migctl_json(n2, "ps")
    assert [g["home_pid"] for g in guests] == [child], guests
    there = guests[0]["pid"]
    status = n2.run_ok("grep -E '^Threads:' /proc/%d/status" % there)
    assert "Threads:\t2" in status, "at node 2: %s" % status
    n1.run_ok("kill -KILL %d" % child)
    assert sp.wait(30) == 0, sp.output()
    wait_until(lambda: not mig.ps(n1) and not mig.ps(n2), timeout=30,
               what="both ends gone")


run()

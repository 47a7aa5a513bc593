#!/usr/bin/python3
"""Multi-threaded processes move (issue 12): every thread is captured and
resumes where it was, keeps its home tid, and threads created, ending,
signalled or calling exit_group while away behave as at home.

The checks run inside tests/progs/threads (pthreads: a token ring under a
process-shared mutex and condition variables, __thread counters, a reader
blocked in read() on a pipe), tests/progs/pythreads.py (threading and
queue) and tests/progs/bin/gothreads (Go, when it was built), at home,
away and back, on one shared 2-node cluster (the tour of three nodes,
ring_onward_three_nodes, is in 50-three-nodes.py, whose cluster has them)."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, skip, test, wait_until  # noqa: E402
import mig  # noqa: E402
from threadprog import (THREADS, all_tids, assert_away, assert_good, finish,  # noqa: E402
                        guests_of, home_tasks, nothing_left, phase, start)

NODES = 2

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHREADS = "tests/progs/pythreads.py"
GOTHREADS = "tests/progs/bin/gothreads"
SIGUSR2, SIGRT = 12, 36         # SIGRTMIN + 2 of glibc: threads' SIG_RT


def home_proc_of_threads(n1, pid, tids):
    """/proc/PID/task/TID/status at home of each thread away names node 2;
    status shows the process's memory, not the deputies' few pages."""
    def node_lines():
        out = n1.run_ok("grep -H -e ^Mig_node: -e ^VmRSS: %s" % " ".join(
            "/proc/%d/task/%d/status" % (pid, t) for t in tids))
        return [ln for ln in out.splitlines() if "Mig_node:\t2" in ln]
    wait_until(lambda: len(node_lines()) == len(tids), timeout=30,
               what="every thread's status at home naming node 2")
    vm = dict(ln.split(":")[0:2] for ln in n1.run_ok(
        "grep -e ^VmSize: -e ^VmRSS: /proc/%d/status" % pid).splitlines())
    size, rss = int(vm["VmSize"].split()[0]), int(vm["VmRSS"].split()[0])
    # 6 threads' stacks, 8 MiB each, and the pages that moved
    assert size >= 32 << 10 and rss > 0, "at home: %s: the deputy's" % vm
    states = n1.run_ok("cat %s" % " ".join("/proc/%d/task/%d/stat" % (pid, t)
                                          for t in tids))
    assert len(states.splitlines()) == len(tids), states


@test(timeout=400)
def ring_there_and_home(c):
    """a token ring of 4 threads, TLS, shared futexes, a reader blocked in
    read(): to node 2 and home; tids kept at home and in /proc/PID/task"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp, pid, tids = start(n1, "ring 4")
    try:
        p1 = phase(n1, sp, pid, 1)
        every = all_tids(sp, tids)
        assert len(every) == 6 and home_tasks(n1, pid) == every, \
            "/proc/%d/task %s, the program says %s" % (pid, home_tasks(n1, pid), every)
        mig.move(n1, pid, 2)
        assert_away(n2, pid, "after the move")
        assert home_tasks(n1, pid) == every, \
            "away: /proc/%d/task at home %s, not %s" % (pid, home_tasks(n1, pid), every)
        p2 = phase(n1, sp, pid, 2)
        diag("away: " + " | ".join(ln for ln in p2 if not ln.startswith("ok ")))
        assert_away(n2, pid, "after phase 2")
        assert home_tasks(n1, pid) == every
        home_proc_of_threads(n1, pid, every)
        mig.move(n1, pid, "home")
        assert not guests_of(n2, pid), "still at node 2 after coming home"
        assert home_tasks(n1, pid) == every, \
            "back: /proc/%d/task %s, not %s" % (pid, home_tasks(n1, pid), every)
        p3 = phase(n1, sp, pid, 3)      # its last: it joins its threads and ends
        finish(sp)
        assert_good(p1, p2, p3)
        for lines in (p1, p2, p3):
            ring = [ln for ln in lines if ln.startswith("ring passes")][0]
            assert ring.endswith(" " + ",".join(map(str, tids["ring"]))), ring
        assert "joined 5" in sp.output(), sp.output()
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=300)
def python_threads(c):
    """python3 threading + queue pipeline: to node 2 and home"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp, pid, tids = start(n1, "%s 3 3" % PYTHREADS, prog="python3")
    try:
        p1 = phase(n1, sp, pid, 1)
        mig.move(n1, pid, 2)
        p2 = phase(n1, sp, pid, 2)
        assert_away(n2, pid, "after phase 2")
        mig.move(n1, pid, "home")
        p3 = phase(n1, sp, pid, 3)
        finish(sp)
        assert_good(p1, p2, p3)
        items = [int([ln for ln in p if ln.startswith("items ")][0].split()[1])
                 for p in (p1, p2, p3)]
        assert items[0] < items[1] < items[2], "no progress: %s" % items
        # workers, producer, consumer, reader
        assert "joined 6" in sp.output(), sp.output()
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=400)
def spawn_and_exit_while_away(c):
    """a thread exits away (joined, its robust mutex owner-dead), one is
    created (which brings the process home), it moves again with it"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp, pid, tids = start(n1, "-p 4 spawn 2")
    try:
        p1 = phase(n1, sp, pid, 1)
        (victim,) = tids["victim"]
        assert victim in home_tasks(n1, pid)
        mig.move(n1, pid, 2)
        assert_away(n2, pid, "after the move")
        p2 = phase(n1, sp, pid, 2)
        diag("phase 2: " + " | ".join(ln for ln in p2 if not ln.startswith("ok ")))
        assert "exited %d" % victim in p2, p2
        born = int([ln for ln in p2 if ln.startswith("born ")][0].split()[1])
        # pthread_create() away brought it home, for good.
        wait_until(lambda: mig.where(n1, [pid])[pid] == 1, timeout=30,
                   what="the process home after creating a thread")
        assert not guests_of(n2, pid), mig.ps(n2)
        back = [p for p in mig.migctl_json(n1, "ps --history")
                if p["pid"] == pid and p.get("role") == "returned"]
        diag("ps --history: %s" % back)
        assert back and back[-1]["reason"] == "syscall" and \
            back[-1]["syscall"] in (56, 435), back     # clone, clone3
        tasks = home_tasks(n1, pid)
        assert victim not in tasks and born in tasks, \
            "/proc/%d/task: %s (victim %d, born %d)" % (pid, tasks, victim, born)
        mig.move(n1, pid, 2)
        p3 = phase(n1, sp, pid, 3)
        assert_away(n2, pid, "after phase 3")
        assert born in home_tasks(n1, pid)
        mig.move(n1, pid, "home")
        p4 = phase(n1, sp, pid, 4)
        finish(sp)
        assert_good(p1, p2, p3, p4)
        assert "ok born-tid" in p3 and "ok born-tid" in p4, (p3, p4)
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


def sig_hits(lines, name):
    """[(tid, "alt"|"main")] of a phase's "sig NAME ..." line."""
    line = [ln for ln in lines if ln.startswith("sig %s" % name)][0]
    return sorted((int(t), w) for t, w in (h.split(":") for h in line.split()[2:]))


def tgkill(node, pid, tid, sig):
    node.run_ok("%s tgkill %d %d %d" % (THREADS, pid, tid, sig))


@test(timeout=300)
def pthread_kill_one_thread_away(c):
    """tgkill at home to one thread away reaches that thread (on its
    alternate stack); a process-wide signal reaches the one thread that
    does not block it, another any one thread"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp, pid, tids = start(n1, "-p 4 kill 3")
    try:
        p1 = phase(n1, sp, pid, 1)
        (target,), (catcher,) = tids["target"], tids["catcher"]
        ring1 = tids["ring"][1]
        mig.move(n1, pid, 2)
        tgkill(n1, pid, target, SIGUSR2)
        tgkill(n1, pid, ring1, SIGUSR2)
        tgkill(n1, pid, 0, SIGRT)          # kill(): the whole process
        p2 = phase(n1, sp, pid, 2)
        assert_away(n2, pid, "after phase 2")
        n1.run_ok("kill -USR2 %d" % pid)
        p3 = phase(n1, sp, pid, 3)
        assert_away(n2, pid, "after phase 3")
        mig.move(n1, pid, "home")
        tgkill(n1, pid, target, SIGUSR2)
        p4 = phase(n1, sp, pid, 4)
        finish(sp)
        assert_good(p1, p2, p3, p4)
        assert sig_hits(p1, "usr2") == [] and sig_hits(p1, "rt") == [], p1
        assert sig_hits(p2, "usr2") == sorted([(target, "alt"), (ring1, "alt")]), p2
        assert sig_hits(p2, "rt") == [(catcher, "alt")], p2
        (hit,) = sig_hits(p3, "usr2")
        assert hit[0] in all_tids(sp, tids), "SIGUSR2 by an unknown thread: %s" % p3
        assert sig_hits(p3, "rt") == [], p3
        assert sig_hits(p4, "usr2") == [(target, "alt")], p4
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=300)
def exit_group_from_a_thread_away(c):
    """exit(7) from a non-main thread away ends every thread; home's
    parent sees status 7"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp, pid, tids = start(n1, "exitgroup 3")
    try:
        assert_good(phase(n1, sp, pid, 1))
        mig.move(n1, pid, 2)
        assert_away(n2, pid, "after the move")
        n1.run_ok("kill -USR1 %d" % pid)
        finish(sp, 7)
        by = [int(ln.split()[3]) for ln in sp.output().splitlines()
              if ln.startswith("exit 7 from ")]
        assert by and by[0] not in tids["main"] + tids["ring"], sp.output()
        assert n1.run("test -e /proc/%d" % pid)[0] != 0, "pid still there"
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=300)
def execve_from_a_thread_away(c):
    """a thread calls execve() away: the process comes home for it (the
    call only home runs), where the kernel's exec ends its other threads
    and the new program runs under the same pid"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    prog = ("import os, sys, threading, time; "
            "go = threading.Event(); "
            "t = threading.Thread(target=lambda: (go.wait(), "
            "os.execv('/bin/sh', ['sh', '-c', 'echo execed $$; exit 5'])), daemon=True); "
            "t.start(); "
            "threading.Thread(target=time.sleep, args=(600,), daemon=True).start(); "
            "import signal; signal.signal(signal.SIGUSR1, lambda *a: go.set()); "
            "print('ready', os.getpid(), flush=True); "
            "[time.sleep(0.1) for _ in range(6000)]")
    sp = n1.spawn("exec python3 -c \"%s\"" % prog)
    pid = mig.ready(sp)
    try:
        assert len(home_tasks(n1, pid)) == 3, home_tasks(n1, pid)
        mig.move(n1, pid, 2)
        assert_away(n2, pid, "after the move")
        n1.run_ok("kill -USR1 %d" % pid)
        finish(sp, 5)
        assert "execed %d" % pid in sp.output(), sp.output()
        back = [r for r in mig.migctl_json(n1, "ps --history")
                if r.get("pid") == pid and r.get("role") == "returned"]
        assert back and back[0].get("syscall") == 59, back
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=300)
def pending_signals_come_home(c):
    """a signal sent at home to a process away that blocks it stays
    pending there; when the process comes home it is pending at home, and
    taken as soon as the process unblocks it"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    prog = ("import os, signal, sys, threading, time; "
            "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2}); "
            "got = []; go = []; "
            "signal.signal(signal.SIGUSR2, lambda *a: got.append(1)); "
            "signal.signal(signal.SIGUSR1, lambda *a: go.append(1)); "
            "threading.Thread(target=time.sleep, args=(600,), daemon=True).start(); "
            "print('ready', os.getpid(), flush=True); "
            "[time.sleep(0.1) for _ in range(3000) if not go]; "
            "print('pending', sorted(int(s) for s in signal.sigpending()), flush=True); "
            "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR2}); "
            "time.sleep(0.5); print('got', len(got), flush=True); "
            "sys.exit(5 if got else 6)")
    sp = n1.spawn("exec python3 -c \"%s\"" % prog)
    pid = mig.ready(sp)
    try:
        mig.move(n1, pid, 2)
        assert_away(n2, pid, "after the move")
        n1.run_ok("kill -USR2 %d" % pid)
        time.sleep(2)
        assert "got" not in sp.output(), sp.output()
        mig.move(n1, pid, "home")
        assert not guests_of(n2, pid), "still at node 2"
        n1.run_ok("kill -USR1 %d" % pid)
        finish(sp, 5)
        assert "pending [%d]" % SIGUSR2 in sp.output(), sp.output()
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=200)
def main_thread_ended_is_refused(c):
    """a process whose main thread called pthread_exit() while another
    runs on is refused with its reason, and runs on unharmed"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    prog = ("import ctypes, os, threading, time; "
            "t = threading.Thread(target=lambda: (time.sleep(8), os._exit(9))); "
            "t.start(); print('ready', os.getpid(), flush=True); time.sleep(1); "
            "ctypes.CDLL(None).pthread_exit(None)")
    sp = n1.spawn("exec python3 -c \"%s\"" % prog)
    pid = mig.ready(sp)
    try:
        wait_until(lambda: "Z" in n1.run_ok("cat /proc/%d/task/%d/stat | cut -d' ' -f3"
                                            % (pid, pid)),
                   timeout=20, what="main thread ended")
        rc, out = mig.move(n1, pid, 2, check=False)
        diag("move: %d %s" % (rc, out.strip()))
        assert rc != 0 and "main thread has ended" in out, out
        finish(sp, 9)
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=300)
def sleepers_resume(c):
    """threads blocked in nanosleep, FUTEX_WAIT (private, shared, timed),
    poll and read on pipes when moved: each returns what and when it must"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    secs = 10   # threads' default: the move takes a second or two of it
    sp, pid, tids = start(n1, "-S %d sleepers 2" % secs)
    try:
        p1 = phase(n1, sp, pid, 1)
        assert "sleeping %d s" % secs in p1, p1
        t0 = time.monotonic()
        mig.move(n1, pid, 2)
        took = time.monotonic() - t0
        diag("moved with its sleepers blocked in %.1f s (they sleep %d s)" % (took, secs))
        assert took < secs - 2, "the move took too long to test the sleepers"
        p2 = phase(n1, sp, pid, 2, timeout=secs + 90)
        diag("away: " + " | ".join(ln for ln in p2 if not ln.startswith("ok ")))
        assert_away(n2, pid, "after phase 2")
        mig.move(n1, pid, "home")
        p3 = phase(n1, sp, pid, 3)
        finish(sp)
        assert_good(p1, p2, p3)
        for what in ("nanosleep", "nanosleep-spans-phase-2", "futex-private",
                     "futex-shared", "futex-timeout", "poll", "reader-data"):
            assert "ok " + what in p2, "%s not checked: %s" % (what, p2)
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=600)
def twenty_threaded_moves_at_once(c):
    """20 processes of 4 threads each moved to node 2 at once, checked
    there, moved home at once, checked"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    count = 20
    sps = [n1.spawn("exec %s -p 2 -d 20000 ring 2" % THREADS) for _ in range(count)]
    try:
        pids = [mig.ready(sp, timeout=120) for sp in sps]
        res = mig.moves_at_once(c.workdir, [(n1, p, 2) for p in pids])
        failed = {k: v for k, v in res.items() if v[0] != 0}
        assert not failed, "moves failed: %s" % failed
        away = {g["home_pid"] for g in mig.ps(n2)}
        assert away == set(pids), "at node 2: %s" % sorted(away)

        def all_done(n):
            n1.run_ok("kill -USR1 %s" % " ".join(map(str, pids)))
            wait_until(lambda: all("done %d\n" % n in sp.output() for sp in sps),
                       timeout=180, interval=1, what="phase %d of all" % n)
        all_done(1)
        away = {g["home_pid"] for g in mig.ps(n2)}
        assert away == set(pids), "phase 1 brought some home: %s" % sorted(set(pids) - away)
        res = mig.moves_at_once(c.workdir, [(n1, p, "home") for p in pids])
        failed = {k: v for k, v in res.items() if v[0] != 0}
        assert not failed, "moves home failed: %s" % failed
        all_done(2)
        for sp in sps:
            finish(sp)
            assert "bad " not in sp.output(), sp.output()
        nothing_left(c)
    finally:
        for sp in sps:
            if sp.running():
                sp.kill()


@test(timeout=300)
def exec_threaded_program(c):
    """migctl exec 2 -- threads ring 4: it runs right, wherever it ends"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp = n1.spawn("exec %s exec 2 -- %s -t 1 ring 4" % (mig.MIGCTL, THREADS))
    try:
        finish(sp, 0, timeout=180)
        out = sp.output()
        assert "done 3\n" in out and "joined 5" in out and "bad " not in out, out
        # Placed at node 2 single-threaded, it creates its first thread
        # there: that clone brings it home (and it stays there).
        back = [p for p in mig.migctl_json(n1, "ps --history")
                if p["pid"] == sp.pid and p.get("role") == "returned"]
        diag("ps --history: %s" % back)
        assert back and back[-1]["reason"] == "syscall" and \
            back[-1]["syscall"] in (56, 435), back     # clone, clone3
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


@test(timeout=300)
def sigkill_mid_move(c):
    """kill -9 while a 256 MiB process of 5 threads moves: it dies, no
    trace in migctl ps, no oops"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp, pid, tids = start(n1, "-m 256 ring 4")
    mover = n1.spawn("exec %s move %d 2" % (mig.MIGCTL, pid))
    try:
        time.sleep(2)       # 256 MiB take several seconds to stream
        assert mover.running(), "the move ended before the kill: rc %s: %s" % (
            mover.wait(1), mover.output())
        n1.run_ok("kill -KILL %d" % pid)
        assert sp.wait(60) == 128 + 9, sp.output()
        rc = mover.wait(120)
        diag("migctl move of a process killed meanwhile: rc %s: %s"
             % (rc, mover.output().strip()))
        assert rc is not None, "migctl move never ended"
        nothing_left(c)
    finally:
        for p in (sp, mover):
            if p.running():
                p.kill()


@test(timeout=400)
def destination_dies_mid_move(c):
    """node 2 dies while a 256 MiB threaded process streams to it: the
    process stays home, all its threads intact"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp, pid, tids = start(n1, "-m 256 ring 4")
    mover = n1.spawn("exec %s move %d 2" % (mig.MIGCTL, pid))
    try:
        time.sleep(2)
        assert mover.running(), "the move ended before the kill: rc %s: %s" % (
            mover.wait(1), mover.output())
        n2.kill()
        rc = mover.wait(180)
        diag("migctl move with the destination killed: rc %s: %s"
             % (rc, mover.output().strip()))
        assert rc is not None and rc != 0, "the move claims success"
        assert not mig.ps(n1), "a deputy was left"
        phases = [phase(n1, sp, pid, n) for n in (1, 2, 3)]
        finish(sp)
        assert_good(*phases)
    finally:
        for p in (sp, mover):
            if p.running():
                p.kill()


@test(timeout=300)
def go_program(c):
    """a Go program (runtime threads, locked goroutines): there and home"""
    if not os.path.exists(os.path.join(REPO, GOTHREADS)):
        skip("no %s (golang-go not installed when built)" % GOTHREADS)
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp, pid, tids = start(n1, "3 4", prog=GOTHREADS)
    try:
        p1 = phase(n1, sp, pid, 1)
        mig.move(n1, pid, 2)
        p2 = phase(n1, sp, pid, 2)
        # The Go runtime may start a thread of its own at any time: that
        # brings it home, as it must.
        where = mig.where(n1, [pid])[pid]
        diag("after phase 2 it runs at node %s" % where)
        if where == 2:
            mig.move(n1, pid, "home")
        p3 = phase(n1, sp, pid, 3)
        finish(sp)
        assert_good(p1, p2, p3)
        assert "joined 4" in sp.output(), sp.output()
        nothing_left(c)
    finally:
        if sp.running():
            sp.kill()


run()

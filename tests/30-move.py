#!/usr/bin/python3
"""Preemptive migration of a running process: it moves mid-loop, keeps its
registers, vector state, heap and TLS, runs at the destination, and its
exit status or death reaches the home shell through the deputy. Moves
that cannot be done are refused with a reason, and leave the process
running at home, unharmed."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 2
SPIN = "tests/progs/bin/spin"


def start_spin(node, seconds=10, mib=16, code=42):
    """Starts spin at node; returns its Spawned once it says ready."""
    sp = node.spawn("exec %s -s %d -m %d -x %d" % (SPIN, seconds, mib, code))
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="spin ready")
    return sp


def cpu_ticks(node, pid):
    """utime + stime of pid at node, in clock ticks."""
    fields = node.run_ok("cat /proc/%d/stat" % pid).rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def ps(node):
    return mig.migctl_json(node, "ps")


@test
def cpu_bound_process_moves_and_exits_home(c):
    """registers, vectors, heap, TLS survive; CPU time is spent away"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    out0, in0 = mig.status(n1)["stats"]["moves_out"], mig.status(n2)["stats"]["moves_in"]
    sp = start_spin(n1, seconds=12, mib=64)
    mig.move(n1, sp.pid, 2)

    (dep,) = ps(n1)
    assert dep["pid"] == sp.pid and dep["role"] == "deputy"
    assert dep["where"] == 2 and dep["state"] == "away", dep
    assert dep["bytes_sent"] > 64 << 20, "the heap was not sent"
    (guest,) = ps(n2)
    assert guest["home"] == 1 and guest["home_pid"] == sp.pid, guest
    assert guest["state"] == "running", guest

    # It really runs away: CPU time grows there, not at home (the
    # deputy's own; its stat at home counts the time away).
    home0, away0 = own_cpu_ms(n1, sp.pid), cpu_ticks(n2, guest["pid"])
    time.sleep(2)
    home1, away1 = own_cpu_ms(n1, sp.pid), cpu_ticks(n2, guest["pid"])
    diag("in 2s: deputy %d ms, guest %d ticks" % (home1 - home0, away1 - away0))
    assert away1 - away0 >= 50, "the guest does not run"
    assert home1 - home0 <= 50, "the deputy burns CPU at home"

    # spin checks its registers, vectors, heap, stack, data and TLS all
    # along and exits 42 only if every one of them is intact.
    assert sp.wait(120) == 42, sp.output()
    wait_until(lambda: not ps(n1) and not ps(n2), timeout=15, what="ps empty")
    st1, st2 = mig.status(n1)["stats"], mig.status(n2)["stats"]
    assert st1["moves_out"] == out0 + 1 and st2["moves_in"] == in0 + 1, (st1, st2)


@test
def signals_at_home_reach_the_process(c):
    """SIGTERM sent to the pid at home ends the process away, and home sees it"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp = start_spin(n1, seconds=300)
    mig.move(n1, sp.pid, 2)
    n1.run_ok("kill -TERM %d" % sp.pid)
    assert sp.wait(60) == 128 + 15
    wait_until(lambda: not ps(n2), timeout=15, what="guest gone")


def own_cpu_ms(node, pid):
    """The CPU time pid's own task at node ran, in ms: schedstat, which
    mig leaves as it is (a deputy's stat at home counts its process's
    time away too)."""
    return int(node.run_ok("cat /proc/%d/schedstat" % pid).split()[0]) // 10 ** 6


def proc_state(node, pid):
    return node.run_ok("cat /proc/%d/stat" % pid).rsplit(")", 1)[1].split()[0]


@test
def sigstop_and_sigcont_reach_both_ends(c):
    """SIGSTOP at home stops the process where it runs and the deputy
    (home sees it stopped); SIGCONT resumes both"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp = start_spin(n1, seconds=10)
    mig.move(n1, sp.pid, 2)
    gpid = ps(n2)[0]["pid"]
    n1.run_ok("kill -STOP %d" % sp.pid)
    wait_until(lambda: proc_state(n1, sp.pid) == "T" and proc_state(n2, gpid) == "T",
               timeout=10, what="stopped at both ends")
    ticks = cpu_ticks(n2, gpid)
    time.sleep(2)
    assert cpu_ticks(n2, gpid) == ticks, "stopped, yet it runs"
    n1.run_ok("kill -CONT %d" % sp.pid)
    # at home too: R is the process computing there (the deputy waits)
    wait_until(lambda: proc_state(n2, gpid) == "R" and proc_state(n1, sp.pid) == "R",
               timeout=10, what="running again")
    assert sp.wait(120) == 42, sp.output()


@test
def signal_state_moves(c):
    """signal mask, ignored and caught signals, a pending signal and one
    sent at home while away are all there after the move"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp = n1.spawn("exec tests/progs/bin/sigstate -s 10 -u")
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    mig.move(n1, sp.pid, 2)
    n1.run_ok("kill -USR2 %d" % sp.pid)
    assert sp.wait(120) == 42, sp.output()
    assert "signal state intact" in sp.output()


@test
def credentials_move(c):
    """uids, gids and supplementary groups are the process's there"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp = n1.spawn("exec setpriv --reuid=65534 --regid=65534 --groups=100,200,300 "
                  "%s -s 4 -m 4" % SPIN)
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    mig.move(n1, sp.pid, 2)
    status = n2.run_ok("grep -E '^(Uid|Gid|Groups):' /proc/%d/status"
                       % ps(n2)[0]["pid"]).split("\n")
    assert status[0].split()[1:] == ["65534"] * 4, status
    assert status[1].split()[1:] == ["65534"] * 4, status
    assert status[2].split()[1:] == ["100", "200", "300"], status
    assert sp.wait(120) == 42, sp.output()


@test
def sleeping_process_moves_and_sleeps_on(c):
    """a process asleep in nanosleep() moves there, and back home, in the
    middle of its sleep: the sleep goes on, neither cut short nor lost"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    # 15 s: both moves must fall in the sleep, even on a loaded machine
    # where each command and each move takes seconds
    sp = n1.spawn("exec python3 -c 'import os, time; print(\"ready\", os.getpid(), flush=True); "
                  "t = time.monotonic(); time.sleep(15); "
                  "print(\"slept %.2f\" % (time.monotonic() - t), flush=True)'")
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    time.sleep(1)
    mig.move(n1, sp.pid, 2)
    assert ps(n2), "not at node 2"
    mig.move(n1, sp.pid, "home")
    assert "slept" not in sp.output(), "the sleep ended before the move home"
    assert sp.wait(60) == 0, sp.output()
    slept = float(sp.output().split("slept")[1])
    diag("asked for 15 s, slept %.2f s across two moves" % slept)
    assert slept >= 15.0, "the sleep was cut short"


@test
def process_waiting_moves_and_waits_on(c):
    """a process asleep in epoll_wait() (which a signal would end with
    EINTR) or in poll() with a timeout (whose deadline only its kernel
    knows) moves there and back home without seeing the move; a line
    written at home then wakes it"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    for mode in ("epoll", "poll"):
        sp, pid, fifo = mig.start_waiter(n1, mode)
        time.sleep(1)
        mig.move(n1, pid, 2)
        assert ps(n2), "%s: not at node 2" % mode
        time.sleep(1)
        mig.move(n1, pid, "home")
        time.sleep(1)
        n1.run_ok("echo hello > %s" % fifo)
        assert sp.wait(30) == 0, "%s: %s" % (mode, sp.output())
        assert sp.output().splitlines()[1:] == ["got hello"], sp.output()


@test
def process_in_a_timed_futex_wait_moves(c):
    """futex waits with a relative timeout and with an absolute deadline
    move there and back home mid-wait and time out, not before their
    time"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sps = [n1.spawn("exec tests/progs/bin/waiter " + m)
           for m in ("futex", "futexabs")]
    pids = [mig.ready(sp) for sp in sps]
    time.sleep(1)
    for pid in pids:
        mig.move(n1, pid, 2)
    assert len(ps(n2)) == 2, "not at node 2"
    time.sleep(1)
    for pid in pids:
        mig.move(n1, pid, "home")
    for sp in sps:
        assert sp.wait(60) == 0, sp.output()
        assert sp.output().splitlines()[1].startswith("timedout"), sp.output()


@test
def sigkill_at_home_ends_both(c):
    """SIGKILL of the deputy kills the guest too"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp = start_spin(n1, seconds=300)
    mig.move(n1, sp.pid, 2)
    n1.run_ok("kill -KILL %d" % sp.pid)
    assert sp.wait(60) == 128 + 9
    wait_until(lambda: not ps(n2), timeout=15, what="guest gone")


def refused(node, args, *words, user=None):
    cmd = "%s %s" % (mig.MIGCTL, args)
    if user:
        cmd = "setpriv --reuid=%d --regid=%d --clear-groups %s" % (user, user, cmd)
    rc, out = node.run(cmd, timeout=150)
    diag("migctl %s -> %d: %s" % (args, rc, out.strip()))
    assert rc != 0, "accepted: migctl %s" % args
    for w in words:
        assert w.lower() in out.lower(), "%r not in %r" % (w, out)


@test
def bad_moves_refused_process_unharmed(c):
    """bad pid, unknown node, stranger, shared memory: refused"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    failed0 = mig.status(n1)["stats"]["moves_failed"]
    # CPU seconds: alive through the refusals that name it (the shared
    # process comes after).
    sp = start_spin(n1, seconds=12)
    refused(n1, "move 999999 2", "no such process")
    refused(n1, "move %d 9" % sp.pid, "unknown node")
    refused(n1, "move %d 1" % sp.pid, "this node")
    refused(n1, "move %d home" % sp.pid, "at home")
    refused(n1, "move 1 2", "init")
    refused(n1, "move %d 2" % sp.pid, "not permitted", user=65534)

    # Memory really shared: a child maps it too.
    shm = n1.spawn("exec python3 -c 'import mmap, os, time; m = mmap.mmap(-1, 4096); "
                   "m[0:5] = b\"hello\"; os.fork() or time.sleep(60); "
                   "print(\"ready\", flush=True); time.sleep(60)'")
    wait_until(lambda: "ready" in shm.output(), timeout=30, what="shared map")
    refused(n1, "move %d 2" % shm.pid, "shared")
    assert shm.running(), "the refused process died"
    shm.kill()

    assert not ps(n1) and not ps(n2)
    assert sp.wait(120) == 42, "the refused process was harmed"
    assert mig.status(n1)["stats"]["moves_failed"] >= failed0 + 1


@test
def shared_anonymous_memory_moves(c):
    """MAP_SHARED anonymous memory and a closed memfd that only the process
    maps move there and back with their content, two views of the same
    pages still one"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp = n1.spawn("exec tests/progs/bin/shmem -s 12 -x 42")
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    mig.move(n1, sp.pid, 2)
    assert ps(n2), "not at node 2"
    time.sleep(1)
    mig.move(n1, sp.pid, "home")
    assert sp.wait(120) == 42, sp.output()
    assert "shared memory intact" in sp.output()


@test
def files_missing_at_the_destination_travel_as_pages(c):
    """a program run from a file node 2 lacks (its /tmp is its own), and
    one mapping a file node 2 has in another version: their pages are
    sent, and both run there and verify themselves"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    n1.run_ok("cp %s /tmp/spin-copy" % SPIN)
    n2.run_ok("rm -f /tmp/spin-other; cp %s /tmp/spin-other" % SPIN)
    n1.run_ok("cp %s /tmp/spin-other && touch -d '2001-01-01' /tmp/spin-other"
              % SPIN)
    before = mig.status(n1)["stats"]["moves_out"]
    spins = [n1.spawn("exec /tmp/%s -s 8 -m 4 -x 42" % name)
             for name in ("spin-copy", "spin-other")]
    for sp in spins:
        wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
        mig.move(n1, sp.pid, 2)
    assert len(ps(n2)) == 2
    for sp in spins:
        assert sp.wait(120) == 42, sp.output()
    assert mig.status(n1)["stats"]["moves_out"] == before + 2


@test
def failed_restore_leaves_process_home(c):
    """a destination that cannot restore it: the process goes on at home"""
    n1, n2 = c.nodes
    mig.setup([n1], peers=[n1, n2])
    if mig.is_loaded(n2):
        mig.unload(n2)
    mig.load(n2, umh_path="/nonexistent/helper")
    mig.set_key(n2)
    mig.migctl(n2, "node add 1 %s" % n1.ip)
    mig.wait_state(n1, 2, "up", timeout=60)
    sp = start_spin(n1, seconds=5)
    refused(n1, "move %d 2" % sp.pid)
    assert not ps(n1)
    assert sp.wait(120) == 42, sp.output()


@test
def dead_destination_ends_the_deputy(c):
    """the destination dies after the move: the deputy ends with SIGKILL"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp = start_spin(n1, seconds=300)
    mig.move(n1, sp.pid, 2)
    timeout_s = mig.status(n1)["heartbeat_timeout_ms"] / 1000.0
    n2.kill()
    killed = time.monotonic()
    assert sp.wait(timeout_s + 30) == 128 + 9
    took = time.monotonic() - killed
    diag("deputy ended %.1fs after its destination died" % took)
    assert took < timeout_s + 10
    assert not ps(n1)


@test
def destination_dies_mid_move(c):
    """the destination dies while the state streams: the process stays home"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    failed0 = mig.status(n1)["stats"]["moves_failed"]
    # -s is CPU seconds: it runs during the pre-copy and, at home, after
    # the failed move; 12 leaves it running well past the kill.
    sp = start_spin(n1, seconds=12, mib=256)
    mover = n1.spawn("exec %s move %d 2" % (mig.MIGCTL, sp.pid))
    time.sleep(2)		# 256 MiB take several seconds to stream
    n2.kill()
    rc = mover.wait(180)
    diag("migctl move with the destination killed: rc %s: %s"
         % (rc, mover.output().strip()))
    assert rc != 0, "the move claims success"
    assert not ps(n1), "a deputy was left"
    # Still running at home, its state intact: it exits 42 on its own.
    assert sp.wait(300) == 42, sp.output()
    assert mig.status(n1)["stats"]["moves_failed"] == failed0 + 1


def uptime(node):
    return float(node.run_ok("cut -d' ' -f1 /proc/uptime"))


def clock_report(out):
    """{clock: (back_ns, jump_ns)} from clockwatch's closing lines."""
    found = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) == 4 and words[1].startswith("back="):
            found[words[0]] = (int(words[1][5:]), int(words[2][5:]))
    return found


@test
def clocks_go_on_across_moves(c):
    """CLOCK_MONOTONIC/BOOTTIME, vDSO and syscall, neither go back nor leap
    when moved to a node booted later and back"""
    n1, n2 = c.nodes
    if uptime(n1) - uptime(n2) < 20:
        n2.kill()
        wait_until(lambda: uptime(n1) >= 25, timeout=60, interval=1,
                   what="node 1 up for 25s")
        n2.boot()
    mig.relink(c.nodes)
    gap = uptime(n1) - uptime(n2)
    sp = n1.spawn("exec tests/progs/bin/clockwatch")
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    mig.move(n1, sp.pid, 2)
    (guest,) = ps(n2)
    # Its time namespace holds the difference between the two nodes.
    offsets = n2.run_ok("cat /proc/%d/timens_offsets" % guest["pid"])
    diag("node 1 up %.1fs longer; guest offsets: %s"
         % (gap, " ".join(offsets.split())))
    mono = [w for w in offsets.splitlines() if w.startswith("monotonic")]
    assert mono and abs(int(mono[0].split()[1]) - gap) < 5, offsets
    time.sleep(2)
    mig.move(n1, sp.pid, "home")
    time.sleep(1)
    assert sp.running(), "died back home: rc %s: %s" % (sp.wait(5), sp.output())
    n1.run_ok("kill -USR1 %d" % sp.pid)
    rc = sp.wait(60)
    report = clock_report(sp.output())
    diag(sp.output().strip())
    assert set(report) == {"monotonic", "boottime", "monotonic-syscall"}, report
    for clock, (back, jump) in report.items():
        assert back == 0, "%s went back %d ns" % (clock, back)
        # A move freezes the process for a second or so; a clock that
        # followed the node it ran on would leap by the uptime gap.
        assert jump < gap / 2 * 1e9, "%s leapt %d ns" % (clock, jump)
    assert rc == 0, sp.output()


TRACING = "/sys/kernel/debug/tracing"


def trace_start(node):
    node.run_ok("echo 0 > %s/tracing_on && echo > %s/trace && "
                "echo 1 > %s/events/mig/enable && echo 1 > %s/tracing_on"
                % ((TRACING,) * 4))


def trace_events(node):
    """The mig events recorded at node: [(name, {field: value})]."""
    out = node.run_ok("cat %s/trace" % TRACING)
    events = []
    for line in out.splitlines():
        if line.startswith("#") or ": " not in line:
            continue
        head, _, rest = line.partition(": ")
        name, _, fields = rest.partition(": ")
        if name not in TRACE_EVENTS:
            continue
        events.append((name, dict(f.split("=", 1) for f in fields.split() if "=" in f)))
    return events


TRACE_EVENTS = ("move_begin", "move_end", "move_in", "forward", "homecoming",
                "deputy_exit", "link_up", "link_down", "balance_decision")


def traced(events, name, **want):
    return [f for n, f in events if n == name and
            all(f.get(k) == str(v) for k, v in want.items())]


@test
def tracepoints_follow_a_move(c):
    """the mig trace system (tracefs events/mig) shows a move there, home
    and there again, the calls forwarded, the homecoming's reason, the
    process's exit as its deputy's, and a link going down and up"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    avail = n1.run_ok("grep '^mig:' %s/available_events" % TRACING).split()
    assert sorted(avail) == sorted("mig:" + e for e in TRACE_EVENTS), avail
    for n in c.nodes:
        trace_start(n)
    sp = n1.spawn("exec tests/progs/bin/waiter sigsuspend")
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    mig.move(n1, pid, "home")
    mig.move(n1, pid, 2)
    n1.run_ok("kill -USR1 %d" % pid)
    assert sp.wait(60) == 0, sp.output()
    wait_until(lambda: traced(trace_events(n1), "deputy_exit", pid=pid),
               what="deputy_exit traced")
    t1, t2 = trace_events(n1), trace_events(n2)
    for name, f in t1 + t2:
        diag("%s %s" % (name, " ".join("%s=%s" % kv for kv in sorted(f.items()))))

    assert len(traced(t1, "move_begin", pid=pid, to=2, mode="auto")) == 2, t1
    ends = traced(t1, "move_end", pid=pid, to=2, err=0)
    assert len(ends) == 2 and all(int(f["bytes"]) > 0 and int(f["elapsed_us"]) > 0
                                  for f in ends), ends
    assert traced(t1, "move_begin", pid=pid, to=0)
    assert traced(t1, "move_end", pid=pid, to=0, err=0)
    assert traced(t1, "move_in", pid=pid, **{"from": 2}), t1
    assert traced(t1, "deputy_exit", pid=pid, where=2, status="0x0"), t1
    assert len(traced(t2, "move_in", home="1:%d" % pid)) == 2, t2
    assert traced(t2, "homecoming", home="1:%d" % pid, reason="asked"), t2
    # The handler's "signal" line: a write(2) answered by home.
    assert traced(t2, "forward", nr=1), t2

    trace_start(n1)
    mig.migctl(n2, "node del 1")
    mig.wait_state(n1, 2, "down", timeout=60)
    mig.migctl(n2, "node add 1 %s" % n1.ip)
    mig.wait_state(n1, 2, "up", timeout=60)
    t1 = trace_events(n1)
    assert traced(t1, "link_down", node=2) and traced(t1, "link_up", node=2), t1
    # The module stays loaded for the next test (mig.relink()): tracing off.
    for n in c.nodes:
        n.run_ok("echo 0 > %s/events/mig/enable && echo 0 > %s/tracing_on" % (TRACING, TRACING))


@test(timeout=900)
def twenty_moves_at_once(c):
    """20 processes moved concurrently, each verified"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    in0 = mig.status(n2)["stats"]["moves_in"]
    # Started together, each under a subshell that keeps its exit status.
    n1.run_ok("rm -rf /tmp/twenty && mkdir /tmp/twenty && cd /tmp/twenty && "
              "for i in $(seq 20); do (%s/%s -s 3 -m 4 > out.$i; echo $? > rc.$i) "
              ">/dev/null 2>&1 & done" % (os.getcwd(), SPIN))
    wait_until(lambda: n1.run("cat /tmp/twenty/out.* | grep -c ready")[1].strip() == "20",
               timeout=120, what="20 ready")
    pids = n1.run_ok("cat /tmp/twenty/out.* | awk '{print $2}'").split()
    out = n1.run_ok("for p in %s; do (%s move $p 2 || echo FAILED $p) & done; wait"
                    % (" ".join(pids), mig.MIGCTL), timeout=600)
    assert "FAILED" not in out, out
    diag("%d of 20 away right after the moves" % len(ps(n1)))
    wait_until(lambda: n1.run("ls /tmp/twenty | grep -c rc")[1].strip() == "20",
               timeout=600, what="20 exits")
    codes = n1.run_ok("cat /tmp/twenty/rc.*").split()
    assert codes == ["42"] * 20, codes
    assert mig.status(n2)["stats"]["moves_in"] == in0 + 20
    wait_until(lambda: not ps(n1) and not ps(n2), timeout=30, what="ps empty")

run()

#!/usr/bin/python3
"""Per-task system call interception (kmod/syscall_hook.c) on one node,
driven through the test knob /sys/kernel/debug/mig/hook_pid of a module
loaded with debug_hooks=1: a marked task gets 4242 from getppid() (both
the x86-64 and the int $0x80 one) and runs every other syscall locally."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 1

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOOKTEST = "tests/progs/bin/hooktest"
KNOB = "/sys/kernel/debug/mig/hook_pid"
ENABLED = "/sys/kernel/debug/tracing/enabled_functions"
FAKE_PPID = 4242


def build_progs():
    """The guests see the repository read-only: build on the host."""
    r = subprocess.run(["make", "-s", "-C", os.path.join(REPO, "tests", "progs")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise AssertionError("building tests/progs failed:\n" + r.stdout)


def load(n, linger_ms=0):
    """Loaded with the test knob; by default the hook is disarmed as soon
    as its last task leaves, so that the tests can see it."""
    build_progs()
    if mig.is_loaded(n):
        mig.unload(n)
    mig.load(n, debug_hooks=1, hook_linger_ms=linger_ms)


def unload(n):
    """rmmod; a guest that just went away may still hold the module for a
    moment (its last syscall is on its way out)."""
    wait_until(lambda: n.run("rmmod mig")[0] == 0, timeout=20, what="rmmod mig")


def state(n):
    """The knob's read side as a dict: ints, and "pids" as a list."""
    st = {}
    for line in n.run_ok("cat %s" % KNOB).splitlines():
        key, _, val = line.partition(" ")
        if key == "pids":
            st[key] = [int(p) for p in val.split()]
        else:
            st[key] = int(val)
    return st


def mark(n, pid):
    n.run_ok("echo %d > %s" % (pid, KNOB))


def unmark(n, pid):
    n.run_ok("echo -%d > %s" % (pid, KNOB))


def hooked_functions(n):
    """Functions ftrace currently sends to our handler."""
    out = n.run_ok("grep -c mig_hook_ftrace %s || true" % ENABLED).strip()
    return int(out or 0)


def refcnt(n):
    return int(n.run_ok("cat /sys/module/mig/refcnt").strip())


def real_ppid(n, pid):
    stat = n.run_ok("cat /proc/%d/stat" % pid)
    return int(stat.rsplit(")", 1)[1].split()[1])


def ticks(proc):
    """[(tick, ppid, ppid32, kill32, usr1)] printed so far by `hooktest loop`."""
    out = []
    for line in proc.output().splitlines():
        f = line.split()
        if len(f) == 10 and f[0] == "tick":
            out.append(tuple(int(x) for x in f[1::2]))
    return out


def new_ticks(proc, count=3, timeout=30):
    """The next `count` ticks after the ones already printed; the first
    one is dropped, as it may have started before the caller's change."""
    last = len(ticks(proc))
    wait_until(lambda: len(ticks(proc)) >= last + count + 1, timeout=timeout,
               what="%d more ticks" % count)
    return ticks(proc)[last + 1:]


def assert_ppid(t, ppid):
    """getppid() (both entries) gave ppid; kill(self, 0) (ia32) worked."""
    bad = [x for x in t if x[1] != ppid or x[2] != ppid or x[3] != 0]
    assert not bad, "getppid != %d or kill32 != 0 in ticks %s" % (ppid, bad)


@test
def getppid_answered(c):
    """marked: getppid() is 4242 and other syscalls still work; unmarked:
    real again, hook unregistered, rmmod refused only while a guest exists"""
    n = c.node(1)
    load(n)
    p = n.spawn("exec %s loop" % HOOKTEST)
    try:
        wait_until(lambda: ticks(p), what="hooktest started")
        ppid = real_ppid(n, p.pid)
        assert ppid != FAKE_PPID
        assert_ppid(new_ticks(p), ppid)
        st = state(n)
        assert st["armed"] == 0 and st["guests"] == 0, st
        assert hooked_functions(n) == 0

        mark(n, p.pid)
        st = state(n)
        assert st["armed"] == 1 and st["guests"] == 1 and st["pids"] == [p.pid], st
        hooked = n.run_ok("grep mig_hook_ftrace %s || true" % ENABLED).split()
        diag("hooked %s; filter %.1f ms (first time), register %.1f ms"
             % (hooked[:1], st["filter_us"] / 1e3, st["arm_us"] / 1e3))
        # One function: seccomp's entry, which only flagged tasks call.
        assert hooked[:1] == ["__secure_computing"] and hooked_functions(n) == 1, hooked
        # write() and nanosleep() keep working: the ticks keep coming.
        assert_ppid(new_ticks(p), FAKE_PPID)
        st = state(n)
        assert st["handled"] > 0 and st["calls"] > st["handled"], st

        # A signal handler (rt_sigreturn runs locally) and a stop/continue
        # in nanosleep (restarted through restart_syscall).
        n.run_ok("kill -USR1 %d" % p.pid)
        wait_until(lambda: ticks(p)[-1][4] == 1, what="SIGUSR1 handled")
        n.run_ok("kill -STOP %d; sleep 0.3; kill -CONT %d" % (p.pid, p.pid))
        assert_ppid(new_ticks(p), FAKE_PPID)

        rc, out = n.run("rmmod mig")
        assert rc != 0 and mig.is_loaded(n), "rmmod with a guest: %r" % out

        unmark(n, p.pid)
        assert state(n)["guests"] == 0
        # Detached until its next syscall, which drops the flag.
        wait_until(lambda: state(n)["armed"] == 0, what="hook unregistered")
        st = state(n)
        assert st["detached"] == 0 and st["unflagged"] >= 1, st
        assert hooked_functions(n) == 0
        diag("unregister %.1f ms" % (st["disarm_us"] / 1e3))
        assert_ppid(new_ticks(p), ppid)

        p.kill("TERM")
        assert p.wait(30) == 0, p.output()[-500:]
    finally:
        p.kill()
    unload(n)


@test
def hook_lingers_after_its_last_task(c):
    """with hook_linger_ms, the hook stays armed that long after its last
    task left, is reused by the next one, then disarms; rmmod while it
    lingers works"""
    n = c.node(1)
    load(n, linger_ms=3000)
    p = n.spawn("exec %s loop" % HOOKTEST)
    try:
        wait_until(lambda: ticks(p), what="hooktest started")
        ppid = real_ppid(n, p.pid)
        for _ in range(2):
            mark(n, p.pid)
            assert_ppid(new_ticks(p), FAKE_PPID)
            unmark(n, p.pid)
            st = state(n)
            assert st["armed"] == 1 and st["guests"] == 0, st
            assert_ppid(new_ticks(p), ppid)
        wait_until(lambda: state(n)["armed"] == 0, timeout=20, what="hook disarmed")
        assert hooked_functions(n) == 0
        mark(n, p.pid)
        unmark(n, p.pid)
        assert state(n)["armed"] == 1
        assert_ppid(new_ticks(p), ppid)
    finally:
        p.kill()
    unload(n)
    assert not mig.is_loaded(n)


@test
def guest_exit_cleanup(c):
    """guests that exit (exit_group) or are killed leave no entry, no hook,
    no module reference; rmmod works after"""
    n = c.node(1)
    load(n)
    procs = []
    try:
        for sig in ("TERM", "KILL"):
            p = n.spawn("exec %s loop" % HOOKTEST)
            procs.append(p)
            wait_until(lambda: ticks(p), what="hooktest started")
            mark(n, p.pid)
            assert_ppid(new_ticks(p, 2), FAKE_PPID)
            p.kill(sig)
            assert p.wait(30) is not None
            wait_until(lambda: state(n)["armed"] == 0, what="hook unregistered")
            st = state(n)
            assert st["guests"] == 0 and st["pids"] == [], st
            assert hooked_functions(n) == 0
            wait_until(lambda: refcnt(n) == 0, what="module references dropped")

        # Several guests dying together, one of them a zombie for a while.
        group = [n.spawn("exec %s loop" % HOOKTEST) for _ in range(4)]
        procs += group
        for p in group:
            wait_until(lambda: ticks(p), what="hooktest started")
            mark(n, p.pid)
        assert sorted(state(n)["pids"]) == sorted(p.pid for p in group)
        for p in group:
            p.kill()
        for p in group:
            assert p.wait(30) is not None
        wait_until(lambda: state(n)["armed"] == 0, what="hook unregistered")
        assert state(n)["guests"] == 0
        assert hooked_functions(n) == 0
    finally:
        for p in procs:
            p.kill()
    unload(n)
    assert not mig.is_loaded(n)


@test
def guest_sleeping_in_hook(c):
    """a guest asleep in a pause() when it stops being a guest keeps its
    (detached) entry and the module until its next syscall"""
    n = c.node(1)
    load(n)
    p = n.spawn("exec %s pause" % HOOKTEST)
    try:
        wait_until(lambda: "start" in p.output(), what="hooktest started")
        mark(n, p.pid)
        # End the pause() that began before the mark; the next one goes
        # through the hook and runs locally.
        calls = state(n)["calls"]
        n.run_ok("kill -USR1 %d" % p.pid)
        wait_until(lambda: "woke 1" in p.output(), what="first wake-up")
        wait_until(lambda: state(n)["calls"] >= calls + 3,
                   what="write, rt_sigreturn and pause intercepted")
        time.sleep(0.5)
        unmark(n, p.pid)
        st = state(n)
        assert st["armed"] == 1 and st["guests"] == 0 and st["detached"] == 1, st
        assert refcnt(n) == 1, "the detached entry should pin the module"
        rc, _ = n.run("rmmod mig")
        assert rc != 0 and mig.is_loaded(n), "rmmod while a call sleeps in the module"

        n.run_ok("kill -USR1 %d" % p.pid)
        wait_until(lambda: "woke 2" in p.output(), what="second wake-up")
        wait_until(lambda: refcnt(n) == 0, what="module released")
        unload(n)
        # Still alive and well after returning through the (gone) hook.
        n.run_ok("kill -USR1 %d" % p.pid)
        wait_until(lambda: "woke 3" in p.output(), what="third wake-up")
        p.kill("TERM")
        assert p.wait(30) == 0, p.output()
    finally:
        p.kill()
        if mig.is_loaded(n):
            unload(n)


@test
def children_of_a_guest(c):
    """a guest's fork, run locally, makes ordinary children: they never reach
    the hook, and nothing is left flagged when it goes"""
    n = c.node(1)
    load(n)
    out = "/tmp/children.out"
    p = n.spawn("exec sh -c 'while :; do sh -c \"echo ppid \\$PPID\" >> %s; "
                "sleep 0.05; done'" % out)
    try:
        wait_until(lambda: n.run("grep -c ppid %s" % out)[1].strip() not in ("", "0"),
                   what="children started")
        mark(n, p.pid)
        before = int(n.run_ok("grep -c ppid %s" % out))
        wait_until(lambda: int(n.run_ok("grep -c ppid %s" % out)) >= before + 20,
                   what="20 children of the guest")
        st = state(n)
        assert st["guests"] == 1 and st["calls"] > 0, st
        # A child that kept its parent's flag would have come through the
        # hook without an entry: the fork probe cleared it first.
        assert st["unflagged"] == 0, st
        # The children's getppid() is their own: the shell's pid.
        ppids = set(n.run_ok("tail -n 5 %s" % out).split()[1::2])
        assert ppids == {str(p.pid)}, ppids
        unmark(n, p.pid)
        wait_until(lambda: state(n)["armed"] == 0, what="hook unregistered")
        assert state(n)["unflagged"] == 1
        # Forks go on with the hook gone: no flag left anywhere to BUG() on.
        before = int(n.run_ok("grep -c ppid %s" % out))
        wait_until(lambda: int(n.run_ok("grep -c ppid %s" % out)) >= before + 20,
                   what="20 children after the hook went")
    finally:
        p.kill()
    unload(n)


STRESS = r"""
K=%(knob)s
H=%(hooktest)s
# This shell must keep up with 60 busy processes on one emulated CPU.
# (Not more: unregistering the hook waits for an RCU-tasks grace period,
# which every preempted busy task delays; with 200 under TCG it took
# over a minute and tripped the hung-task detector.)
renice -n -10 $$ > /dev/null
pids=""
for i in $(seq 60); do
    nice -n 19 $H spin 300 > /dev/null &
    pids="$pids $!"
done
echo started $(echo $pids | wc -w)
# Phase 1: 20 of them become guests; 10 are killed as guests, 10 released.
set -- $pids
marked=""
for i in $(seq 20); do
    eval p=\${$i}
    echo $p > $K && marked="$marked $p"
done
echo marked $(echo $marked | wc -w)
sleep 2
i=0
killed=""
for p in $marked; do
    i=$((i + 1))
    if [ $((i %% 2)) = 0 ]; then
        kill -9 $p && killed="$killed $p"
    else
        echo -$p > $K
    fi
done
# A guest killed on a loaded emulated CPU takes a moment to run its exit:
# wait for each (and see that SIGKILL is what ended it) instead of
# guessing how long that takes.
rc=0
for p in $killed; do
    wait $p
    st=$?
    [ $st = 137 ] || { echo "$p: killed guest, status $st"; rc=1; }
done
echo reaped $(echo $killed | wc -w)
alive=""
for p in $pids; do
    case " $killed " in *" $p "*) ;; *) alive="$alive $p" ;; esac
done
pids=$alive
# Phase 2: one more guest comes and goes; without another guest, that
# registers and unregisters the hook each time, under load.
for round in 1 2 3 4 5; do
    echo ${30} > $K || echo "round $round: mark failed"
    sleep 0.3
    echo -${30} > $K || echo "round $round: unmark failed"
done
running=0
for p in $pids; do
    kill -0 $p 2>/dev/null && running=$((running + 1))
done
echo running $running
kill $pids 2>/dev/null
for p in $pids; do
    wait $p
    st=$?
    case $st in 137|143) ;; *) echo "$p: status $st"; rc=1 ;; esac
done
echo all done rc=$rc
"""


def stress(n):
    out = n.run_ok(STRESS % {"knob": KNOB, "hooktest": HOOKTEST}, timeout=300)
    # (the shell reports the spinners it killed as "Terminated")
    print("\n".join(l for l in out.splitlines() if l != "Terminated"))
    assert "all done rc=0" in out and "failed" not in out, out
    assert "marked 20" in out and "reaped 10" in out, out
    assert "running 50" in out, out


@test(timeout=600)
def stress_busy(c):
    """60 processes doing syscalls while guests come, die and go, and the
    hook is registered and unregistered under load: no crash"""
    n = c.node(1)
    load(n)
    g = n.spawn("exec %s loop" % HOOKTEST)
    try:
        # With a permanent guest: the hook stays registered throughout.
        wait_until(lambda: ticks(g), what="hooktest started")
        mark(n, g.pid)
        stress(n)
        st = state(n)
        assert st["guests"] == 1 and st["pids"] == [g.pid], st
        assert_ppid(new_ticks(g, 2), FAKE_PPID)
        g.kill()
        assert g.wait(30) is not None
        wait_until(lambda: state(n)["armed"] == 0, what="hook unregistered")
        # Without it: phase 2 registers and unregisters the hook.
        stress(n)
        wait_until(lambda: state(n)["armed"] == 0, what="hook unregistered")
        st = state(n)
        assert st["guests"] == 0 and st["detached"] == 0, st
        diag("syscalls intercepted: %d, answered: %d" % (st["calls"], st["handled"]))
    finally:
        g.kill()
    unload(n)


def bench(n, calls):
    out = n.run_ok("%s bench %d" % (HOOKTEST, calls), timeout=120)
    return float(out.split()[5])  # "getpid N calls T s X ns/call"


@test
def overhead(c):
    """cost of the registered hook for a process that is not a guest"""
    n = c.node(1)
    load(n)
    calls = 1000000
    g = n.spawn("exec sleep 1000")
    idle, hooked = [], []
    try:
        for _ in range(3):
            idle.append(bench(n, calls))
            mark(n, g.pid)
            hooked.append(bench(n, calls))
            unmark(n, g.pid)
        st = state(n)
    finally:
        g.kill()
    unload(n)
    diag("getpid() of a non-guest, %d calls, best of 3 (TCG):" % calls)
    diag("  hook not registered: %.0f ns/call" % min(idle))
    diag("  hook registered:     %.0f ns/call (+%.0f ns)"
         % (min(hooked), min(hooked) - min(idle)))
    diag("  register %.1f ms, unregister %.1f ms, filter set-up %.1f ms (once)"
         % (st["arm_us"] / 1e3, st["disarm_us"] / 1e3, st["filter_us"] / 1e3))


run()

#!/usr/bin/python3
"""Kernel-held state travels with a moved process, or the move is refused
with a reason; a moved process reads its own /proc files where it runs;
forwarded reads and writes of any size; many mappings of a file missing
at the destination (issue 13).

Each check runs inside tests/progs/statecheck, at home, away, and back
home; one shared 2-node cluster."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import jobs  # noqa: E402
import mig  # noqa: E402

NODES = 2

PROG = "tests/progs/bin/statecheck"

# What statecheck's smaps tells of the locked and advised mappings.
SMAPS_CHECKS = ["mlock-onfault", "mlock", "mlockall-future-onfault",
                "madvise-dc", "madvise-dd", "madvise-wf", "madvise-sr",
                "madvise-rr"]


def phase(node, sp, pid, n, timeout=90):
    """Runs check phase n of statecheck (SIGUSR1 at home, relayed if it is
    away); returns its "ok"/"bad" lines."""
    node.run_ok("kill -USR1 %d" % pid)
    wait_until(lambda: "done %d" % n in sp.output(), timeout=timeout,
               what="phase %d" % n)
    out = sp.output().split("phase %d\n" % n, 1)[1].split("done %d" % n)[0]
    return out.splitlines()


def bad_lines(lines):
    return [ln for ln in lines if not ln.startswith("ok ")]


def there_and_back(c, args, away_checks=None, while_away=None, env="",
                   live=False):
    """statecheck ARGS at node 1: checked at home, at node 2, at home
    again; every check must pass each time, and the process must stay
    away during phase 2; with live, the move away must pre-copy (migctl
    says nothing of a homecoming's rounds). Returns the phase outputs."""
    n1, n2 = c.nodes
    mig.link_all(c.nodes)
    sp = n1.spawn("%sexec %s %s" % (env, PROG, args))
    pid = mig.ready(sp)
    try:
        p1 = phase(n1, sp, pid, 1)
        assert not bad_lines(p1), "at home, before any move: %s" % p1
        out = mig.move(n1, pid, 2)[1]
        assert not live or "live:" in out, "not a live move: %s" % out
        p2 = phase(n1, sp, pid, 2)
        diag("away: " + " ".join(p2))
        guests = mig.migctl_json(n2, "ps")
        assert [g["home_pid"] for g in guests] == [pid], \
            "phase 2 brought the process home: %s" % guests
        if while_away:
            while_away(n1, pid)
        mig.move(n1, pid, "home")
        p3 = phase(n1, sp, pid, 3)
        assert sp.wait(60) is not None
        failed = bad_lines(p2) + ["(back home) " + ln for ln in bad_lines(p3)]
        assert not failed, "\n".join(failed)
        if away_checks:
            for name in away_checks:
                assert "ok " + name in p2, "%s not checked away: %s" % (name, p2)
        return p1, p2, p3
    finally:
        if sp.running():
            sp.kill()


def home_proc_shows_the_process(n1, pid):
    """/proc/PID at home, of the process away: its cmdline and environ."""
    cmdline = n1.run_ok("cat /proc/%d/cmdline | tr '\\0' ' '" % pid)
    assert cmdline.strip() == PROG + " state", "cmdline: %r" % cmdline
    environ = n1.run_ok("tr '\\0' '\\n' < /proc/%d/environ" % pid)
    assert "MIGSTATE=kept" in environ.splitlines(), "environ: %r" % environ
    args = n1.run_ok("ps -o args= -p %d" % pid).strip()
    assert args == PROG + " state", "ps: %r" % args


@test(timeout=400)
def kernel_state_there_and_back(c):
    """itimers, membarrier, mlock/mlockall, madvise, sched, prctl state;
    /proc/PID/cmdline and environ at home while away"""
    there_and_back(c, "state", env="MIGSTATE=kept ",
                   while_away=home_proc_shows_the_process, away_checks=[
        "itimer-real-fires", "itimer-virtual-fires", "itimer-prof-fires",
        "itimer-1-interval", "membarrier", "nice", "sched-policy",
        "timerslack", "thp-disable", "dumpable", "name", "map-away"] +
        SMAPS_CHECKS)


@test(timeout=400)
def kernel_state_live_there_and_back(c):
    """the same state after live moves both ways (16 MiB pre-copied): the
    locked and advised mappings keep their flags (smaps away and back)"""
    there_and_back(c, "state live", live=True, away_checks=[
        "big-memory", "membarrier", "nice", "timerslack"] + SMAPS_CHECKS)


def home_ps_shows_it_away(n1, pid):
    """ps at home: the process's name and arguments; migctl ps: away, at
    node 2"""
    out = n1.run_ok("ps -o comm=,args= -p %d" % pid).split()
    assert out == ["statecheck", PROG, "proc", "tag1"], "ps: %r" % out
    mine = [p for p in mig.migctl_json(n1, "ps") if p["pid"] == pid]
    assert mine and mine[0].get("where") == 2 and \
        mine[0].get("state") == "away", "migctl ps: %s" % mine


@test(timeout=400)
def own_proc_files_away(c):
    """/proc/self/{maps,smaps_rollup,status,stat,statm,comm,cmdline,
    environ}, /proc/HOMEPID/status and /proc/thread-self/stat read by the
    process show itself, with its home pids, at home, away and back"""
    there_and_back(c, "proc tag0", env="MIGSTATE=kept ",
                   while_away=home_ps_shows_it_away, away_checks=[
        "maps", "smaps-rollup", "status-pids", "status-rss", "status-name",
        "stat", "statm", "comm", "cmdline", "environ", "home-pid-status",
        "thread-self", "task-statm", "proc-fd"])


@test(timeout=400)
def large_reads_and_writes_away(c):
    """one 16 MiB write()/read(), 3 MiB pread(), 1 MiB pwrite() away"""
    n1 = c.node(1)
    n1.run_ok("mkdir -p /tmp/w && rm -f /tmp/w/big")
    there_and_back(c, "io /tmp/w/big", away_checks=[
        "io-write-16m", "io-read-16m", "io-read-offset", "io-pread-3m",
        "io-pwrite-1m", "io-positional-offset"])
    assert n1.run_ok("stat -c %s /tmp/w/big").strip() == str(16 << 20)


@test(timeout=600)
def many_mappings_of_a_home_only_file(c):
    """10240 private mappings of a file only home has: moved, content sent"""
    n1, n2 = c.nodes
    n1.run_ok("mkdir -p /tmp/w && python3 -c \"import sys\n"
              "sys.stdout.write(''.join(chr(97 + i) * 4095 + '\\n' "
              "for i in range(4)))\" > /tmp/w/homeonly")
    n2.run_ok("rm -f /tmp/w/homeonly")
    there_and_back(c, "maps /tmp/w/homeonly 10240",
                   away_checks=["maps-content"])


def signalfd_phases(c, args):
    """statecheck ARGS (signalfd mode) at node 1, at node 2, back home:
    in each phase, kill -USR2 at home while it polls its signalfd; every
    check passes and the signal's sender is the kill."""
    n1, n2 = c.nodes
    mig.link_all(c.nodes)
    sp = n1.spawn("exec %s %s" % (PROG, args))
    pid = mig.ready(sp)
    failed = []
    try:
        for n, where in ((1, None), (2, 2), (3, "home")):
            if where:
                mig.move(n1, pid, where)
            if n == 2:
                guests = mig.migctl_json(n2, "ps")
                assert [g["home_pid"] for g in guests] == [pid], guests
                want = 2 if "threads" in args else 1
                assert guests[0]["threads"] == want, guests

            def said(what, n=n):
                parts = sp.output().split("phase %d\n" % n, 1)
                return len(parts) == 2 and what in parts[1]

            n1.run_ok("kill -USR1 %d" % pid)
            wait_until(lambda: said("ok sigfd-poll-wait"), timeout=60,
                       what="phase %d polls its signalfd" % n)
            killer = int(n1.run_ok("sh -c 'echo $$; exec kill -USR2 %d'" %
                                   pid).split()[0])
            wait_until(lambda: said("done %d" % n), timeout=60,
                       what="phase %d" % n)
            lines = sp.output().split("phase %d\n" % n, 1)[1] \
                .split("done %d" % n)[0].splitlines()
            diag("phase %d (killer %d): %s" % (n, killer, " ".join(lines)))
            failed += ["(phase %d) %s" % (n, ln) for ln in bad_lines(lines)]
            if "ok sigfd-usr2-pid %d" % killer not in lines:
                failed.append("(phase %d) SIGUSR2 not from %d" % (n, killer))
            if n == 2:
                assert [g["home_pid"] for g in mig.migctl_json(n2, "ps")] == \
                    [pid], "phase 2 brought the process home"
        assert sp.wait(60) is not None
        assert not failed, "\n".join(failed)
    finally:
        if sp.running():
            sp.kill()


@test
def signalfd_there_and_back(c):
    """a signalfd of SIGUSR2 and SIGALRM, read at home, away and back:
    kill -USR2 at home (its sender's pid) and its own timer reach it,
    an unwatched signal still runs its handler"""
    signalfd_phases(c, "signalfd")


@test
def signalfd_threads_there_and_back(c):
    """the same with a second thread, which blocks every signal"""
    signalfd_phases(c, "signalfd threads")


@test
def unknown_node_still_named(c):
    """migctl names an unknown node as such, and only then"""
    n1 = c.node(1)
    mig.link_all(c.nodes)
    sp = n1.spawn("exec %s state" % PROG)
    pid = mig.ready(sp)
    try:
        rc, out = mig.move(n1, pid, 9, check=False)
        assert rc != 0 and out.splitlines()[0].endswith("unknown node 9"), out
    finally:
        sp.kill()


def home_stat(n1, pid, task=None):
    """From /proc/PID/stat (or task/TASK/stat) at home: the state letter,
    utime + stime (clock ticks), rss (pages)."""
    path = "/proc/%d/task/%d/stat" % (pid, task) if task else "/proc/%d/stat" % pid
    f = n1.run_ok("cat " + path).rsplit(")", 1)[1].split()
    return f[0], int(f[11]) + int(f[12]), int(f[21])


def home_status(n1, pid):
    out = n1.run_ok("cat /proc/%d/status" % pid)
    return dict(ln.split(":", 1) for ln in out.splitlines() if ":" in ln)


def kb(value):
    return int(value.split()[0])


# A 32 MiB heap, in KiB, less what the allocator never touched.
MIB30 = 30 << 10


@test(timeout=400)
def home_proc_shows_how_and_where_it_runs(c):
    """/proc/PID at home of a CPU-bound 32 MiB process away: stat and
    status say R, its CPU time grows there, VmRSS, statm and ps show its
    memory, status names the node; stopped, T; home again, itself"""
    n1, n2 = c.nodes
    mig.link_all(c.nodes)
    job = jobs.start_cpujob(n1, 1000, seed=7, mib=32, hold=True)
    pid = job.pid
    try:
        mig.move(n1, pid, 2)
        wait_until(lambda: home_stat(n1, pid)[0] == "R" and
                   home_status(n1, pid).get("Mig_node") == "\t2",
                   timeout=30, what="/proc/PID at home: running at node 2")
        state, ticks, rss = home_stat(n1, pid)
        st = home_status(n1, pid)
        diag("away, at home: stat %s %d ticks rss %d; status %s" % (
            state, ticks, rss, {k: st[k].strip() for k in
                                ("State", "VmSize", "VmRSS", "RssAnon")}))
        assert st["State"].strip() == "R (running)", st["State"]
        assert rss * 4 >= MIB30, "stat rss %d pages" % rss
        assert kb(st["VmRSS"]) >= MIB30 and kb(st["RssAnon"]) >= MIB30, st
        assert kb(st["VmSize"]) >= kb(st["VmRSS"]), st
        statm = [int(v) for v in n1.run_ok("cat /proc/%d/statm" % pid).split()]
        assert statm[1] * 4 >= MIB30 and statm[0] >= statm[1], statm
        ps = n1.run_ok("ps -o stat=,rss= -p %d" % pid).split()
        assert ps[0].startswith("R") and int(ps[1]) >= MIB30, "ps: %s" % ps
        assert home_stat(n1, pid, task=pid)[0] == "R"
        # top -b at home: VIRT RES SHR S %CPU ... the process's
        top = n1.run_ok("top -b -n 1 -p %d | tail -1" % pid).split()
        assert top[0] == str(pid) and top[7] == "R" and \
            int(top[5]) >= MIB30, "top: %s" % top
        # A second of CPU time there shows at home (USER_HZ 100).
        wait_until(lambda: home_stat(n1, pid)[1] >= ticks + 100, timeout=60,
                   what="its CPU time away counted at home")
        n1.run_ok("kill -STOP %d" % pid)
        wait_until(lambda: home_stat(n1, pid)[0] == "T", timeout=30,
                   what="stopped at home")
        n1.run_ok("kill -CONT %d" % pid)
        wait_until(lambda: home_stat(n1, pid)[0] == "R", timeout=30,
                   what="running again")
        # usage_ms at the node it runs at: bad values refused; 0 stops the
        # reports, and home shows its deputy's memory again once the last
        # one is 5 s old (still where it runs); back on, the process's
        out = n2.run_ok("python3 tests/progs/knobs.py usage_ms=99 "
                        "usage_ms=60001 usage_ms=x usage_ms=0")
        assert [r[2] for r in json.loads(out)] == \
            ["EINVAL"] * 3 + ["ok"], out
        wait_until(lambda: kb(home_status(n1, pid)["VmRSS"]) < MIB30,
                   timeout=30, what="the deputy shown once reports stopped")
        assert home_status(n1, pid).get("Mig_node") == "\t2"
        mig.set_knobs(n2, usage_ms=1000)
        wait_until(lambda: kb(home_status(n1, pid)["VmRSS"]) >= MIB30,
                   timeout=30, what="the process shown again")
        mig.move(n1, pid, "home")
        st = home_status(n1, pid)
        assert "Mig_node" not in st and kb(st["VmRSS"]) >= MIB30, st
        jobs.release([job])
        jobs.check(job, timeout=120)
    finally:
        if job.sp.running():
            job.sp.kill()


run()

"""Helpers for tests of tests/progs/threads (and the other programs
that speak its protocol: pythreads.py, gothreads): start one, run its
check phases, read its lines. Used by 70-threads.py and
50-three-nodes.py."""

from cluster import wait_until
import mig

THREADS = "tests/progs/bin/threads"


def start(node, args, prog=THREADS):
    """Spawns `prog args` at node; returns (Spawned, pid, tids) once it is
    ready, tids being its "tids" line as {name: [tid, ...]}."""
    sp = node.spawn("exec %s %s" % (prog, args))
    pid = mig.ready(sp)
    return sp, pid, tids_of(sp.output())


def tids_of(out):
    line = [ln for ln in out.splitlines() if ln.startswith("tids ")][0]
    return {k: [int(t) for t in v.split(",")]
            for k, v in (w.split("=") for w in line.split()[1:])}


def phase(node, sp, pid, n, timeout=90):
    """Runs check phase n (SIGUSR1 at home, relayed if the process is
    away); returns its lines."""
    node.run_ok("kill -USR1 %d" % pid)
    wait_until(lambda: "done %d\n" % n in sp.output() or not sp.running(),
               timeout=timeout, what="phase %d" % n)
    out = sp.output()
    assert "done %d\n" % n in out, "phase %d did not end: %s" % (n, out)
    return out.split("phase %d\n" % n, 1)[1].split("done %d\n" % n)[0].splitlines()


def bad_lines(lines):
    return [ln for ln in lines if ln.startswith("bad ")]


def assert_good(*phases):
    failed = ["phase %d: %s" % (i, ln) for i, lines in enumerate(phases, 1)
              for ln in bad_lines(lines)]
    assert not failed, "\n".join(failed)


def guests_of(node, pid):
    """node's guest rows of home pid `pid`."""
    return [g for g in mig.ps(node) if g.get("home_pid") == pid]


def assert_away(n2, pid, when):
    assert guests_of(n2, pid), "%s: not away at node 2: %s" % (when, mig.ps(n2))


def home_tasks(node, pid):
    """The tids /proc/PID/task lists at node."""
    return sorted(int(t) for t in node.run_ok("ls /proc/%d/task" % pid).split())


def all_tids(sp, tids):
    """Every tid of a threads process: its "tids" line and the reader's."""
    found = [t for v in tids.values() for t in v]
    line = [ln for ln in sp.output().splitlines() if ln.startswith("reader ")]
    if line:
        found.append(int(line[0].split()[1]))
    return sorted(found)


def nothing_left(c):
    for n in c.nodes:
        if n.alive:
            wait_until(lambda: not mig.ps(n), timeout=30,
                       what="%s: migctl ps empty" % n.name)


def finish(sp, code=0, timeout=60):
    rc = sp.wait(timeout)
    assert rc == code, "exit status %s, not %d: %s" % (rc, code, sp.output())

"""Jobs with known results for the balancing and crossing-move tests:
tests/progs/cpujob (CPU-bound, deterministic output and exit status) and
tests/progs/iojob (I/O-heavy), started in the guests and checked at home.

    job = start_cpujob(node, iters, seed=3, mib=64, hold=True)
    ...               # it computes, then spins until released
    release([job])
    check(job)        # output and exit status exactly the expected ones

cpujob_expected() computes what cpujob prints and the status it exits
with, by jump-ahead of its generator: milliseconds for any ITER.
"""

import time

from cluster import wait_until

CPUJOB = "tests/progs/bin/cpujob"
IOJOB = "tests/progs/bin/iojob"

M64 = (1 << 64) - 1
LCG_A = 6364136223846793005
LCG_C = 1442695040888963407
BLOCK = 65536
PARTS = 4


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def _jump(n):
    """(a, c) with n steps of x -> x * A + C equal to x -> x * a + c."""
    a, c = 1, 0                     # the identity
    sa, sc = LCG_A, LCG_C           # 2^k steps
    while n:
        if n & 1:
            a, c = (a * sa) & M64, (c * sa + sc) & M64
        sa, sc = (sa * sa) & M64, (sc * sa + sc) & M64
        n >>= 1
    return a, c


def cpujob_expected(iters, seed=1, mib=0):
    """(lines after "ready PID", exit status) of cpujob -m mib -s seed iters."""
    words = mib << 17
    key = (seed * 0x9e3779b97f4a7c15) & M64
    block = _jump(BLOCK)
    x, done, lines = _mix(seed), 0, []
    for k in range(1, PARTS + 1):
        stop = iters // PARTS * k + (iters % PARTS if k == PARTS else 0)
        if not words:               # nothing happens between the parts
            a, c = _jump(stop - done)
            x, done = (x * a + c) & M64, stop
        while done < stop:
            n = min(BLOCK - done % BLOCK, stop - done)
            a, c = block if n == BLOCK else _jump(n)
            x = (x * a + c) & M64
            done += n
            if words and done % BLOCK == 0:
                x ^= _mix((key + (x >> 17) % words) & M64)
        lines.append("part %d/%d x=%016x" % (k, PARTS, x))
    lines += ["memory intact", "checksum %016x" % x]
    return lines, 16 + x % 100


class Job:
    """A job spawned at a node: .sp (Spawned), .pid, .expected (lines,
    status) or None, .name for messages."""

    def __init__(self, node, sp, expected, name):
        self.node, self.sp, self.expected, self.name = node, sp, expected, name
        self.pid = None

    def __repr__(self):
        return "%s(pid %s at %s)" % (self.name, self.pid, self.node.name)


def _ready(job, timeout):
    wait_until(lambda: "ready" in job.sp.output() or not job.sp.running(),
               timeout=timeout, interval=0.3, what="%s ready" % job.name)
    out = job.sp.output()
    assert "ready" in out, "%s did not start: %s" % (job.name, out)
    job.pid = int(out.split("ready", 1)[1].split()[0])
    return job


def spawn_cpujob(node, iters, seed=1, mib=0, prefix="", hold=False):
    """Starts cpujob at node (prefix, e.g. "migctl exec 2 --", goes before
    it); returns its Job without waiting for it to be ready. With hold,
    the job spins on after its ITER steps until release(): it lasts as
    long as the test needs, however fast the machine."""
    sp = node.spawn("exec %s%s -m %d -s %d%s %d" % (prefix, CPUJOB, mib, seed,
                                                    " -w" if hold else "", iters))
    return Job(node, sp, cpujob_expected(iters, seed, mib),
               "cpujob seed %d" % seed)


def start_cpujob(node, iters, seed=1, mib=0, prefix="", hold=False, timeout=90):
    """spawn_cpujob(), then waits for its "ready PID"."""
    return _ready(spawn_cpujob(node, iters, seed, mib, prefix, hold), timeout)


def start_cpujobs(node, iters, seeds, mib=0, hold=False, timeout=120):
    """Several cpujobs started together at node, one seed each (mib: one
    size for all, or one per seed): [Job], once all are ready."""
    sizes = mib if isinstance(mib, (list, tuple)) else [mib] * len(seeds)
    js = [spawn_cpujob(node, iters, s, m, hold=hold) for s, m in zip(seeds, sizes)]
    logs = " ".join(j.sp.log for j in js)
    # One command polls them all: a command costs 0.1-0.2 s under TCG.
    wait_until(lambda: node.run("head -qn1 %s | grep -c ^ready" % logs)[1].strip()
               == str(len(js)), timeout=timeout, interval=0.5,
               what="%d cpujobs ready at %s" % (len(js), node.name))
    return [_ready(j, 5) for j in js]


def release(js):
    """SIGUSR1 to each job at its home: held cpujobs go on to their end,
    an iojob stops writing and checks its file."""
    by_home = {}
    for j in js:
        by_home.setdefault(j.node, []).append(str(j.pid))
    for node, pids in by_home.items():
        node.run_ok("kill -USR1 %s" % " ".join(pids))


def start_iojob(node, seconds, path="/tmp/iojob.dat", timeout=60):
    sp = node.spawn("exec %s -s %s %s" % (IOJOB, seconds, path))
    return _ready(Job(node, sp, None, "iojob"), timeout)


def check(job, timeout=300):
    """Waits for job to end at its home node and compares its output and
    exit status with the expected ones (iojob: exit 0, "file intact")."""
    rc = job.sp.wait(timeout)
    out = job.sp.output().splitlines()
    assert rc is not None, "%r still running after %ds: %s" % (job, timeout, out)
    if job.expected is None:
        assert rc == 0 and "file intact" in out, "%r: rc %s: %s" % (job, rc, out)
        return
    lines, status = job.expected
    assert out[:1] == ["ready %d" % job.pid], "%r: %s" % (job, out)
    assert out[1:] == lines, "%r: output\n%s\nexpected\n%s" % (
        job, "\n".join(out[1:]), "\n".join(lines))
    assert rc == status, "%r: exit status %s, expected %d" % (job, rc, status)


def check_all(jobs, timeout=300):
    """check() every job, all within timeout seconds from now."""
    deadline = time.monotonic() + timeout
    for j in jobs:
        check(j, max(1, deadline - time.monotonic()))


def calibrate(node, iters=20000000, least=1.5):
    """cpujob iterations per second at node, its CPU otherwise idle:
    timed runs there, each 4 times longer, until one lasts `least`
    seconds (a short one would mostly time the program's start)."""
    while True:
        out = node.run_ok("t0=$(date +%%s.%%N); %s %d >/dev/null; date +%%s.%%N; echo $t0"
                          % (CPUJOB, iters), timeout=300)
        t1, t0 = (float(v) for v in out.split())
        if t1 - t0 >= least:
            return iters / (t1 - t0)
        iters *= 4 if t1 - t0 < least / 4 else 2

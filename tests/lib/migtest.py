"""Minimal kselftest-style TAP runner for mig test files.

A test file (tests/NN-name.py) looks like:

    #!/usr/bin/python3
    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
    from migtest import test, run, skip, diag

    NODES = 2                       # size of the file's shared cluster
    MEMORY = 2048                   # MiB per node (default 1024), optional

    @test
    def nodes_link(c):
        '''node1 reaches node2'''
        assert c.node(1).ping(c.node(2).ip), "no ping reply"

    @test(nodes=3)                  # own cluster, booted for this test only
    def three_nodes(c): ...

    @test(memory=2048)              # own cluster of the file's size, 2 GiB each
    def big_moves(c): ...

    run()

The shared cluster is booted once, lazily, and reused; a test that fails
tears it down so the next test starts from clean VMs. After every test the
kernel logs of all nodes are checked and new WARNING/BUG/Oops/... lines fail
that test. Output is TAP 13; the exit status is 0 only if nothing failed.
Command-line arguments, if any, select tests by name.
"""

import io
import os
import signal
import sys
import time
import traceback

from cluster import (Cluster, CommandFailed, NodeDown, NodeUnresponsive,
                     TestbedError, wait_until)

__all__ = ["test", "run", "skip", "diag", "Skip", "TestTimeout", "Cluster",
           "CommandFailed", "NodeDown", "NodeUnresponsive", "TestbedError", "wait_until"]

DEFAULT_TIMEOUT = 300
DEFAULT_MEMORY = 1024     # MiB per node, as Cluster()'s default
_tests = []


class Skip(Exception):
    pass


class TestTimeout(Exception):
    pass


def skip(reason):
    """Stop the current test and report it as skipped."""
    raise Skip(reason)


def diag(*args):
    """Print a TAP diagnostic line (shown by run.py, ignored by parsers)."""
    text = " ".join(str(a) for a in args)
    out = getattr(sys.stdout, "raw", sys.stdout)
    for line in text.splitlines() or [""]:
        out.write("# %s\n" % line)
    out.flush()


class _Test:
    def __init__(self, fn, nodes, fresh, timeout, memory):
        self.fn, self.nodes, self.fresh, self.timeout = fn, nodes, fresh, timeout
        self.memory = memory
        self.name = fn.__name__
        self.doc = (fn.__doc__ or "").strip().splitlines()[0:1]


def test(fn=None, *, nodes=None, fresh=False, timeout=DEFAULT_TIMEOUT,
         memory=None):
    """Register a test: a function taking the Cluster (None when it needs
    no nodes). nodes=N, memory=MiB (other than the file's) or fresh=True
    gives the test a cluster of its own, booted before and destroyed after
    it; timeout is in seconds."""
    def register(f):
        _tests.append(_Test(f, nodes, fresh, timeout, memory))
        return f
    return register(fn) if fn is not None else register


class _DiagWriter(io.TextIOBase):
    """Stands in for stdout while a test runs: a stray print() must not be
    read as a TAP result line, so every line gets the "# " prefix."""

    def __init__(self, raw):
        self.raw = raw
        self.partial = ""

    def write(self, s):
        self.partial += s
        *lines, self.partial = self.partial.split("\n")
        for line in lines:
            self.raw.write("# %s\n" % line)
        return len(s)

    def flush(self):
        if self.partial:
            self.raw.write("# %s\n" % self.partial)
            self.partial = ""
        self.raw.flush()


def _on_alarm(_signum, _frame):
    raise TestTimeout("test exceeded its timeout")


class _Runner:
    def __init__(self, nodes, selected, memory=DEFAULT_MEMORY, forward=None):
        self.nodes, self.memory, self.forward = nodes, memory, forward
        self.tests = [t for t in _tests if not selected or t.name in selected]
        unknown = set(selected) - {t.name for t in _tests}
        if unknown:
            sys.exit("unknown test(s): %s" % ", ".join(sorted(unknown)))
        self.shared = None
        self.script = os.path.abspath(sys.argv[0])
        self.failed = 0

    # -- clusters

    def _stop_shared(self, failed=False, announce=True):
        if self.shared is not None:
            self.shared.failed |= failed
            self.shared.stop(announce)
            self.shared = None

    def _cluster_for(self, t):
        """(cluster, owned) for test t; owned clusters die with the test."""
        nodes = self.nodes if t.nodes is None else t.nodes
        memory = self.memory if t.memory is None else t.memory
        if nodes == 0:
            return None, False
        if t.fresh or nodes != self.nodes or memory != self.memory:
            # Two clusters at once would only compete for the CPUs.
            self._stop_shared()
            return _boot(nodes, t.name, memory, self.forward), True
        if self.shared is None:
            self.shared = _boot(nodes, _file_stem(self.script), memory, self.forward)
        else:
            for n in self.shared.nodes:  # a previous test may have killed one
                if not n.alive:
                    n.boot()
        return self.shared, False

    # -- one test

    def run_test(self, num, t):
        for line in t.doc:
            print("# %s: %s" % (t.name, line), flush=True)
        start = time.monotonic()
        cluster, owned, verdict, lines = None, False, "ok", []
        try:
            cluster, owned = self._cluster_for(t)
            verdict, lines = self._call(t, cluster)
        except Skip as e:
            verdict = "skip:" + str(e)
        except Exception as e:
            verdict = "not ok"
            lines = ["cluster set-up failed: %s" % e]
            self._stop_shared(failed=True)
        problems = self._kernel_problems(cluster)
        if problems:
            verdict = "not ok"
            lines += ["kernel log problems:"] + problems
        if verdict == "not ok":
            self._report_failure(t, cluster, owned, lines)
        elif owned:
            cluster.stop()
        lines.append("%s took %.1fs" % (t.name, time.monotonic() - start))
        self._emit(num, t, verdict, lines)

    def _call(self, t, cluster):
        if cluster is not None:
            for n in cluster.nodes:
                n.history.clear()
            try:
                cluster.mark("migtest: === %s: %s ===" % (_file_stem(self.script), t.name))
            except TestbedError as e:
                return "not ok", ["cannot reach the cluster: %s" % e]
        saved = sys.stdout
        sys.stdout = _DiagWriter(saved)
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(int(t.timeout))
        try:
            t.fn(cluster)
            return "ok", []
        except Skip:
            raise
        except Exception as e:
            return "not ok", self._explain(e, cluster)
        finally:
            signal.alarm(0)
            sys.stdout.flush()
            sys.stdout = saved

    def _kernel_problems(self, cluster):
        if cluster is None or not cluster._running:
            return []
        try:
            return cluster.kernel_log_problems(context=15)
        except Exception as e:
            return ["testbed: cannot read kernel logs: %s" % e]

    def _explain(self, exc, cluster):
        """Diagnostic lines for a failed test: the failing lines of the test
        file, the error, and the last commands each node ran."""
        tb = traceback.extract_tb(exc.__traceback__)
        mine = [f for f in tb if os.path.abspath(f.filename) == self.script] or tb
        lines = ["%s:%d in %s: %s" % (os.path.basename(f.filename), f.lineno, f.name,
                                      (f.line or "").strip()) for f in mine]
        lines += ("%s: %s" % (type(exc).__name__, exc)).splitlines()
        if cluster is not None and not isinstance(exc, CommandFailed):
            for n in cluster.nodes:
                for cmd, rc, out in n.history:
                    lines.append("%s$ %s   -> rc=%s" % (n.name, cmd, rc))
                    lines += ["  " + l for l in out.rstrip().splitlines()[-20:]]
        return lines

    def _report_failure(self, t, cluster, owned, lines):
        self.failed += 1
        if cluster is None:
            return
        cluster.failed = True
        lines.append("console logs: %s" % cluster.workdir)
        # Whatever state the failure left behind must not leak into the
        # next test: stop the cluster, its logs are kept.
        if owned:
            cluster.stop(announce=False)
        else:
            self._stop_shared(failed=True, announce=False)

    @staticmethod
    def _emit(num, t, verdict, lines):
        out = sys.stdout
        for line in lines:
            out.write("# %s\n" % line)
        if verdict.startswith("skip:"):
            out.write("ok %d - %s # SKIP %s\n" % (num, t.name, verdict[5:]))
        else:
            out.write("%s %d - %s\n" % (verdict, num, t.name))
        out.flush()

    # -- whole file

    def run_all(self):
        print("TAP version 13")
        print("1..%d" % len(self.tests), flush=True)
        try:
            for num, t in enumerate(self.tests, 1):
                self.run_test(num, t)
        except (KeyboardInterrupt, SystemExit) as e:
            print("Bail out! interrupted (%s)" % type(e).__name__, flush=True)
            self._stop_shared(failed=True)
            raise
        self._stop_shared()
        return 1 if self.failed else 0


def _boot(nodes, name, memory=None, forward=None):
    start = time.monotonic()
    c = Cluster(nodes=nodes, name=name, memory=memory or DEFAULT_MEMORY, forward=forward)
    c.start()
    diag("booted %d node(s)%s in %.1fs" % (
        nodes, "" if memory in (None, DEFAULT_MEMORY) else " of %d MiB" % memory,
        time.monotonic() - start))
    return c


def _file_stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def run(nodes=None):
    """Run the registered tests and exit. nodes defaults to the calling
    file's NODES (2 if unset); 0 means the tests need no VMs. The file's
    MEMORY, if set, is each node's memory in MiB (default 1024). FORWARD,
    if set, is {node index: [guest TCP ports]} forwarded from 127.0.0.1
    on the host (Node.forwarded: guest port -> host port)."""
    main = sys.modules["__main__"]
    if nodes is None:
        nodes = getattr(main, "NODES", 2)
    runner = _Runner(nodes, sys.argv[1:], getattr(main, "MEMORY", DEFAULT_MEMORY),
                     getattr(main, "FORWARD", None))
    sys.exit(runner.run_all())

#!/usr/bin/python3
"""Run the mig VM tests and summarise their TAP output.

    tests/run.py                     every tests/NN-*.py, in order
    tests/run.py 00-testbed 10-foo   just these files (name, stem or path)
    tests/run.py -k migrate          files whose name contains "migrate"
    tests/run.py --timeout 1200      per-file time limit in seconds
    tests/run.py -j 2                two files at a time (see below)

Each file runs as its own process group with a time limit; its TAP is
streamed as it comes. A file that crashes or times out counts as failed
(every test it did not report, or one failure if it reported them all).
The last line is "N passed, N failed" (", N skipped" when any); the exit
status is 1 if anything failed.

With -j N, N files run at the same time, each printed as one block when
it ends; a file whose clusters have three nodes or more runs alone. On a
machine with few cores the VMs of two files compete for the CPUs: see
Documentation/testing.rst before using it.

Nothing is built here: `make` builds kmod/mig.ko and migctl first.
"""

import argparse
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
sys.path.insert(0, str(TESTS_DIR / "lib"))
import cluster  # noqa: E402  (only for find_kernel and paths; builds nothing)

PYTHON = "/usr/bin/python3"
MODULE = REPO_ROOT / "kmod" / "mig.ko"
TERM_GRACE = 30       # seconds a file gets to tear its VMs down after SIGTERM
KEEP_RUNS_DAYS = 7    # failed runs' VM logs older than this are pruned

OK_RE = re.compile(r"^ok (\d+)\b(.*)$")
NOT_OK_RE = re.compile(r"^not ok (\d+)\b(.*)$")
PLAN_RE = re.compile(r"^1\.\.(\d+)")
SKIP_RE = re.compile(r"#\s*skip\b", re.I)


class Result:
    def __init__(self, name):
        self.name = name
        self.passed = self.failed = self.skipped = 0
        self.failures = []     # names of failed tests, for the summary
        self.interrupted = False

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures += other.failures


# ------------------------------------------------------------ selection

def discover(names, substr):
    files = sorted(p for p in TESTS_DIR.glob("[0-9][0-9]-*.py") if p.is_file())
    if names:
        chosen = []
        for name in names:
            match = [p for p in files if name in (p.name, p.stem, str(p))
                     or Path(name).resolve() == p]
            if not match:
                sys.exit("run.py: no test file matches %r" % name)
            chosen += [p for p in match if p not in chosen]
        files = chosen
    if substr:
        files = [p for p in files if substr in p.name]
    return files


def runs_alone(path):
    """With -j: files with clusters of three nodes or more (NODES = 3, or
    a test's nodes=3) run with no other file beside them."""
    text = path.read_text()
    sizes = [int(n) for n in re.findall(r"^NODES\s*=\s*(\d+)", text, re.M)]
    sizes += [int(n) for n in re.findall(r"@test\([^)]*\bnodes\s*=\s*(\d+)", text)]
    return any(n >= 3 for n in sizes)


def needs_module(path):
    """Files that test only the test bed say NEEDS_MODULE = False."""
    return not re.search(r"^NEEDS_MODULE\s*=\s*False\b", path.read_text(), re.M)


def preflight(files):
    """Problems that would make every VM test fail; empty if none."""
    problems = []
    if not shutil.which(cluster.QEMU):
        problems.append("%s not found (apt-get install qemu-system-x86)" % cluster.QEMU)
    if not Path("/bin/busybox").exists():
        problems.append("/bin/busybox not found (apt-get install busybox-static)")
    try:
        kver, _ = cluster.find_kernel()
    except cluster.TestbedError as e:
        problems.append(str(e))
        kver = None
    if any(needs_module(p) for p in files):
        problems += check_module(kver)
    return problems


def check_module(kver):
    if not MODULE.exists():
        return ["kmod/mig.ko is missing: build it first (make)"]
    if kver is None:
        return []
    r = subprocess.run(["/sbin/modinfo", "-F", "vermagic", str(MODULE)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    vermagic = r.stdout.strip()
    if r.returncode != 0 or not vermagic.startswith(kver + " "):
        return ["kmod/mig.ko was built for %r, but the guests boot %s" % (vermagic, kver)]
    return []


# ------------------------------------------------------------- running

def stream_lines(proc, lines):
    for line in proc.stdout:
        lines.put(line)
    lines.put(None)


def stop_group(proc):
    """SIGTERM the file's process group so it can kill its VMs, then
    SIGKILL whatever is left (its qemus die with it: PDEATHSIG)."""
    for sig, grace in ((signal.SIGTERM, TERM_GRACE), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            pass


def _child_setup():
    # If run.py itself is killed, the file still gets its SIGTERM and tears
    # its VMs down (it runs in a session of its own, out of reach of ^C).
    cluster._libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def _on_sigterm(_signum, _frame):
    raise KeyboardInterrupt


class _Echo:
    """Where a file's output goes: straight to stdout, or (-j) kept until
    the file ends and printed as one block."""

    lock = threading.Lock()

    def __init__(self, buffered):
        self.buffered = buffered
        self.lines = []

    def write(self, line):
        if self.buffered:
            self.lines.append(line)
        else:
            sys.stdout.write(line)
            sys.stdout.flush()

    def flush_block(self):
        with self.lock:
            sys.stdout.write("".join(self.lines))
            sys.stdout.flush()
        self.lines = []


def run_file(path, timeout, echo=None, stop=None):
    """Run one test file, echoing its output; returns its Result. A set
    `stop` event ends it as if interrupted."""
    echo = echo or _Echo(False)
    res = Result(path.stem)
    env = dict(os.environ, PYTHONUNBUFFERED="1",
               PYTHONPATH=str(TESTS_DIR / "lib"))
    proc = subprocess.Popen([PYTHON, str(path)], cwd=REPO_ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace",
                            start_new_session=True, preexec_fn=_child_setup)
    lines = queue.Queue()
    threading.Thread(target=stream_lines, args=(proc, lines), daemon=True).start()
    deadline = time.monotonic() + timeout
    plan, seen, timed_out = None, set(), False
    try:
        while True:
            if stop is not None and stop.is_set():
                res.interrupted = True
                break
            try:
                line = lines.get(timeout=min(1.0, max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    timed_out = True
                    break
                continue
            if line is None:
                break
            echo.write(line)
            plan = count_line(line.rstrip("\n"), res, seen, plan)
    except KeyboardInterrupt:
        res.interrupted = True
    if timed_out or res.interrupted:
        echo.write("# %s: %s, stopping it\n" % (
            path.name, "interrupted" if res.interrupted else "timed out after %ds" % timeout))
        stop_group(proc)
        drain(lines, echo)  # what it said while shutting down (e.g. where its logs are)
    rc = proc.wait()
    account_for_crash(res, plan, seen, rc, timed_out, res.interrupted)
    return res


def drain(lines, echo):
    while True:
        try:
            line = lines.get(timeout=5)
        except queue.Empty:
            return
        if line is None:
            return
        echo.write(line)


def count_line(line, res, seen, plan):
    m = PLAN_RE.match(line)
    if m and plan is None:
        return int(m.group(1))
    m = OK_RE.match(line)
    if m:
        seen.add(int(m.group(1)))
        if SKIP_RE.search(m.group(2)):
            res.skipped += 1
        else:
            res.passed += 1
        return plan
    m = NOT_OK_RE.match(line)
    if m:
        seen.add(int(m.group(1)))
        res.failed += 1
        res.failures.append("%s: %s" % (res.name, m.group(2).lstrip(" -") or m.group(1)))
    return plan


def account_for_crash(res, plan, seen, rc, timed_out, interrupted):
    why = ("interrupted" if interrupted else "timed out" if timed_out
           else "exited with status %d" % rc)
    missing = (plan - len(seen)) if plan is not None else (0 if seen else 1)
    if missing > 0:
        res.failed += missing
        res.failures.append("%s: %d test(s) not reported (%s)" % (res.name, missing, why))
    elif (rc != 0 or timed_out) and res.failed == 0:
        res.failed += 1
        res.failures.append("%s: %s after reporting every test" % (res.name, why))


# ---------------------------------------------------------------- main

def prune_old_runs():
    cutoff = time.time() - KEEP_RUNS_DAYS * 86400
    if not cluster.STATE_DIR.is_dir():
        return
    for d in cluster.STATE_DIR.iterdir():
        if d.is_dir() and re.match(r"\d{8}-\d{6}-\d+$", d.name) and d.stat().st_mtime < cutoff:
            shutil.rmtree(d, ignore_errors=True)


def summary_line(total):
    line = "%d passed, %d failed" % (total.passed, total.failed)
    if total.skipped:
        line += ", %d skipped" % total.skipped
    return line


def run_parallel(files, args, total):
    """-j: up to args.jobs files at a time; the files that runs_alone()
    first, one by one, then the others in name order, as a slot frees.
    Each file's output is printed as one block when it ends."""
    # The files that run alone first: the others then pair up to the end.
    todo = [p for p in files if runs_alone(p)] + [p for p in files if not runs_alone(p)]
    running = {}            # thread -> path
    done = queue.Queue()
    stop = threading.Event()

    def one(path):
        echo = _Echo(True)
        echo.write("# ===== %s =====\n" % path.name)
        t = time.monotonic()
        res = run_file(path, args.timeout, echo, stop)
        echo.write("# ===== %s: %s in %.0fs =====\n" % (path.name, summary_line(res),
                                                       time.monotonic() - t))
        echo.flush_block()
        done.put((threading.current_thread(), res))

    try:
        while todo or running:
            alone = todo and runs_alone(todo[0])
            while todo and not stop.is_set() and len(running) < args.jobs and \
                    not (alone and running) and \
                    not any(runs_alone(p) for p in running.values()):
                path = todo.pop(0)
                th = threading.Thread(target=one, args=(path,), daemon=True)
                running[th] = path
                th.start()
                alone = todo and runs_alone(todo[0])
            if not running:
                break
            th, res = done.get()
            th.join()
            del running[th]
            total.add(res)
            if res.interrupted:
                stop.set()
                todo = []
    except KeyboardInterrupt:
        stop.set()
        for th in list(running):
            th.join()
        while not done.empty():
            total.add(done.get()[1])
        total.failed += 1
        total.failures.append("interrupted")


def main():
    ap = argparse.ArgumentParser(description="Run the mig VM tests.")
    ap.add_argument("files", nargs="*", help="test files: 00-testbed, 00-testbed.py or a path")
    ap.add_argument("-k", dest="substr", help="only files whose name contains this")
    ap.add_argument("--timeout", type=int, default=900, help="per-file limit (s), default 900")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("MIG_TEST_JOBS", "1")),
                    help="files run at the same time (default 1, or $MIG_TEST_JOBS)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, _on_sigterm)

    files = discover(args.files, args.substr)
    if not files:
        sys.exit("run.py: no test files selected")
    problems = preflight(files)
    if problems:
        for p in problems:
            print("run.py: cannot run the tests: %s" % p, file=sys.stderr)
        sys.exit(2)
    prune_old_runs()
    os.environ.setdefault("MIG_TEST_RUN", "%s-%d" % (time.strftime("%Y%m%d-%H%M%S"), os.getpid()))

    total = Result("all")
    start = time.monotonic()
    if args.jobs > 1:
        run_parallel(files, args, total)
    else:
        for path in files:
            print("# ===== %s =====" % path.name, flush=True)
            t = time.monotonic()
            try:
                res = run_file(path, args.timeout)
            except KeyboardInterrupt:  # between two lines of output handling
                res = Result(path.stem)
                res.interrupted = True
                res.failed, res.failures = 1, ["%s: interrupted" % path.stem]
            print("# ===== %s: %s in %.0fs =====" % (path.name, summary_line(res),
                                                    time.monotonic() - t), flush=True)
            total.add(res)
            if res.interrupted:
                break
    for f in total.failures:
        print("# FAILED %s" % f)
    print("# total time %.0fs" % (time.monotonic() - start))
    print(summary_line(total), flush=True)
    sys.exit(1 if total.failed else 0)


if __name__ == "__main__":
    main()

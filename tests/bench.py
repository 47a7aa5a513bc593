#!/usr/bin/python3
"""make bench: figures of a 2-node virtual cluster, then of a 3-node one,
printed, not asserted.

Move time and data rate for processes of 16, 64 and 256 MiB beside the
raw TCP rate of the same link; live moves of 16, 64 and 256 MiB, idle
and with a writer dirtying 1 and 10 MiB/s, beside stopped moves of the
same process (freeze seen by the process, whole time, bytes sent per
resident byte) and CRIU's dump to a page server; 64 MiB under each cipher of the
sealed link (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305); a forwarded 1-byte write beside a raw
TCP round trip; 64 MiB moved with 1 and with 8 threads, and forwarded
writes by 1 and by 4 threads at once; a CPU-bound loop's speed away
versus at home. Then, on
three nodes, automatic balancing: the makespan of 6 equal CPU-bound jobs
started on node 1, balancing off and on, beside the ideal; how long they
took to spread and how often each moved; and what a system call costs
on a node hosting guests beside one hosting none. Under TCG absolute
figures are slow and noisy: compare within one run."""

import collections
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cluster import Cluster  # noqa: E402
import jobs  # noqa: E402
import mig  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGS = os.path.join(REPO, "tests", "progs")


def bench_moves(n1, n2, rows):
    """Time of the move as migctl measures it around its request (its own
    start-up, slow over 9p under emulation, left out), and the rate. The
    first move of a node pays once for the helper program's first exec
    and the syscall hook's arming (tens of ms each): a 1 MiB process goes
    first, on its own row. Stopped moves (--stop-copy): the rate of the
    copy itself; live moves have rows of their own (bench_live)."""
    for mib in (1, 16, 64, 256):
        sp = n1.spawn("exec %s/bin/spin -s 600 -m %d" % (PROGS, mib))
        pid = mig.ready(sp)
        done = mig.migctl_json(n1, "move --stop-copy %d 2" % pid)
        secs = done["elapsed_us"] / 1e6
        sent = mig.migctl_json(n1, "ps")[0]["bytes_sent"]
        what = "first move, 1 MiB (cold)" if mib == 1 else "stopped move %3d MiB" % mib
        rows.append((what, "%.2f s" % secs, "%.1f MB/s" % (sent / 1e6 / secs)))
        n1.run("kill -KILL %d" % pid)
        sp.wait(60)


def bench_threads(n1, n2, rows):
    """Threads: a stopped move of 64 MiB with 1 thread and with 8 (the
    others parked, each captured and sent as THREAD, each a deputy at
    home), alternated, the best of 2 each (the link's rate varies); then
    forwarded 64-byte writes away, 1 thread beside 4 writing at once
    (each thread forwards on its own channel to its own deputy)."""
    best = {}
    for threads in (1, 8, 1, 8):
        sp = n1.spawn("exec %s/bin/thrbench mem 64 %d" % (PROGS, threads))
        pid = mig.ready(sp)
        done = mig.migctl_json(n1, "move --stop-copy %d 2" % pid)
        secs = (done["elapsed_us"] / 1e6, done["freeze_us"] / 1e6,
                done["bytes_sent"])
        if threads not in best or secs < best[threads]:
            best[threads] = secs
        n1.run("kill -KILL %d" % pid)
        sp.wait(60)
    for threads in (1, 8):
        secs, frozen, sent = best[threads]
        rows.append(("stopped move 64 MiB, %d thr" % threads, "%.2f s" % secs,
                     "frozen %.2f s, %.1f MB sent" % (frozen, sent / 1e6)))
    rows.append(("  8 threads vs 1", "", "%.2f x the time"
                 % (best[8][0] / best[1][0])))
    rate = {}
    for threads in (1, 4):
        sp = n1.spawn("exec %s/bin/thrbench write %d 5 64" % (PROGS, threads))
        pid = mig.ready(sp)
        mig.move(n1, pid, 2)
        n1.run_ok("kill -USR1 %d" % pid)
        assert sp.wait(120) == 0, sp.output()
        rate[threads] = float(sp.output().split("rate", 1)[1].split("/")[0])
        rows.append(("forwarded writes, %d thread%s" % (threads, "s" * (threads > 1)),
                     "", "%.0f writes/s" % rate[threads]))
    rows.append(("  4 writers vs 1", "", "%.2f x the rate" % (rate[4] / rate[1])))


def bench_ciphers(n1, raw, rows):
    """A 64 MiB move under each cipher, against the raw TCP rate measured
    in the same run. Setting the key again re-keys the link at once, with
    the cipher the calling node (node 1) now proposes."""
    for name in ("aes128-gcm", "aes256-gcm", "chacha20-poly1305"):
        mig.set_knobs(n1, cipher=name)
        mig.set_key(n1)
        mig.wait_state(n1, 2, "up", timeout=60)
        sp = n1.spawn("exec %s/bin/spin -s 600 -m 64" % PROGS)
        pid = mig.ready(sp)
        secs = mig.migctl_json(n1, "move --stop-copy %d 2" % pid)["elapsed_us"] / 1e6
        rate = mig.migctl_json(n1, "ps")[0]["bytes_sent"] / 1e6 / secs
        rows.append(("move 64 MiB, %s" % name, "%.2f s" % secs,
                     "%.1f MB/s (%.2f of raw TCP)" % (rate, rate / raw)))
        n1.run("kill -KILL %d" % pid)
        sp.wait(60)
    mig.set_knobs(n1, cipher="aes128-gcm")
    # What one emulated CPU encrypts, for comparison: a sealed move pays
    # it at each end, on top of the copy.
    for evp, name in (("aes-128-gcm", "aes128-gcm"),
                      ("chacha20-poly1305", "chacha20-poly1305")):
        rc, out = n1.run("openssl speed -seconds 2 -bytes 16384 -evp %s "
                         "2>/dev/null | tail -1" % evp, timeout=120)
        if rc == 0 and out.split():
            rows.append(("%s, one CPU (openssl)" % name, "",
                         "%.1f MB/s" % (float(out.split()[-1].rstrip("k")) / 1000)))


def dirtier_move(n1, mib, rate_kib, opts):
    """One move of tests/progs/dirtier: (freeze the process saw in s,
    migctl's JSON)."""
    sp = n1.spawn("exec %s/bin/dirtier -m %d -r %d" % (PROGS, mib, rate_kib))
    pid = mig.ready(sp, timeout=300)
    time.sleep(1)
    res = json.loads(n1.run_ok("%s -j move %s %d 2 2>/dev/null" % (
        mig.MIGCTL, opts, pid), timeout=900))
    n1.run("kill -USR1 %d" % pid)
    rc = sp.wait(300)
    out = sp.output()
    assert rc == 42, out[-500:]
    return int(out.rsplit("max gap ", 1)[1].split()[0]) / 1e6, res


def criu_warm(nodes):
    """criu's first run on a node probes the kernel's features for seconds
    (sock diag modules...) and caches them in /run/criu.kdat, printing
    "Error" lines for what this kernel lacks (tun: "No such file or
    directory"): run that once before anything is timed."""
    for n in nodes:
        n.run("criu check >/dev/null 2>&1", timeout=300)


def criu_dump(n1, n2, mib, rate_kib):
    """Seconds CRIU takes to dump the same process to a page server on
    node 2 (leaving it running), or None where criu is not installed.
    Success is criu's exit status and the pages arriving at node 2, not
    the absence of "Error" in its log."""
    if n1.run("command -v criu")[0] != 0:
        return None
    n2.run("rm -rf /tmp/criu; mkdir -p /tmp/criu")
    srv = n2.spawn("exec criu page-server --images-dir /tmp/criu --port 2222")
    time.sleep(2)
    sp = n1.spawn("exec setsid %s/bin/dirtier -m %d -r %d </dev/null" % (
        PROGS, mib, rate_kib))
    pid = mig.ready(sp, timeout=300)
    n1.run("rm -rf /tmp/criu; mkdir -p /tmp/criu")
    t0 = time.monotonic()
    rc, out = n1.run("criu dump -t %d --images-dir /tmp/criu --page-server "
                     "--address %s --port 2222 --leave-running --shell-job "
                     "--ext-unix-sk >/tmp/criu.out 2>&1; echo rc $?; "
                     "tail -3 /tmp/criu.out" % (pid, n2.ip), timeout=600)
    secs = time.monotonic() - t0
    n1.run("kill -KILL %d" % pid)
    sp.wait(60)
    srv.wait(10)
    srv.kill()
    pages = n2.run("cat /tmp/criu/pages-*.img 2>/dev/null | wc -c")[1].strip()
    ok = out.startswith("rc 0") and pages.isdigit() and int(pages) >= mib << 20
    return secs if ok else "failed (%s bytes of pages there): %s" % (
        pages, " ".join(out.split())[-120:])


def dirtier_home(n1, n2, mib, rate_kib, opts):
    """A homecoming of tests/progs/dirtier moved to node 2 first: (freeze
    the process saw in s, seconds, bytes node 2's interface sent)."""
    sp = n1.spawn("exec %s/bin/dirtier -m %d -r %d" % (PROGS, mib, rate_kib))
    pid = mig.ready(sp, timeout=300)
    n1.run_ok("%s move %d 2" % (mig.MIGCTL, pid), timeout=900)
    time.sleep(1)
    n1.run_ok("kill -USR2 %d" % pid)
    mig.wait_until(lambda: "gap " in sp.output(), timeout=60, what="gap")
    tx = "cat /sys/class/net/eth0/statistics/tx_bytes"
    tx0 = int(n2.run_ok(tx))
    t0 = time.monotonic()
    n1.run_ok("%s move %s %d home" % (mig.MIGCTL, opts, pid), timeout=900)
    secs = time.monotonic() - t0
    sent = int(n2.run_ok(tx)) - tx0
    n1.run("kill -USR1 %d" % pid)
    rc = sp.wait(300)
    out = sp.output()
    assert rc == 42, out[-500:]
    return int(out.rsplit("max gap ", 1)[1].split()[0]) / 1e6, secs, sent


def bench_live(n1, n2, rows):
    """Live (pre-copy) beside stopped moves of the same process: the
    freeze as the process itself saw it (its longest gap between two
    clock reads), the whole move, bytes sent per resident byte; and
    CRIU's page-server dump of it where criu is installed."""
    for mib in (16, 64, 256):
        for rate in (0, 1024, 10240):
            stop_gap, stop = dirtier_move(n1, mib, rate, "--stop-copy")
            live_gap, live = dirtier_move(n1, mib, rate, "--live")
            what = "%3d MiB, writer %s" % (mib, "idle" if not rate else
                                          "%d MiB/s" % (rate // 1024))
            rows.append(("live " + what, "%.2f s" % (live["move_us"] / 1e6),
                         "frozen %.3f s (%.3f x stopped %.2f s), %.2f x its "
                         "time, sent %.2f x resident, %d rounds, %s" % (
                             live_gap, live_gap / stop_gap, stop_gap,
                             live["move_us"] / max(1, stop["move_us"]),
                             live["bytes_sent"] / max(1, live["resident"]),
                             live["rounds"], live["how"])))
    stop_gap, stop_secs, _ = dirtier_home(n1, n2, 256, 1024, "--stop-copy")
    live_gap, live_secs, sent = dirtier_home(n1, n2, 256, 1024, "--live")
    rows.append(("live home 256 MiB, 1 MiB/s", "%.2f s" % live_secs,
                 "frozen %.3f s (%.3f x stopped %.2f s), %.2f x its time, "
                 "node 2 sent %.2f x 256 MiB" % (
                     live_gap, live_gap / stop_gap, stop_gap,
                     live_secs / max(0.001, stop_secs), sent / (256 << 20))))
    criu_warm((n1, n2))
    for mib in (16, 64, 256):
        secs = criu_dump(n1, n2, mib, 1024)
        if secs is None:
            rows.append(("criu dump %d MiB" % mib, "", "criu not installed "
                         "(apt-get install criu)"))
        else:
            rows.append(("criu dump %d MiB, page server" % mib,
                         "%.2f s" % secs if isinstance(secs, float) else "",
                         "" if isinstance(secs, float) else secs))


def bench_python(n1, n2):
    runs = {}
    # "placed": started on node 2 by migctl exec, so its memory was built
    # there, not restored: tells a restore effect from a node effect.
    # "noflush": moved, without the flushes that benchprog.py makes to
    # keep the emulator's TLB sized for it (see there).
    for where in ("home", "away", "placed", "noflush"):
        # A long grace: after the move the interpreter first faults its code
        # pages in again (over 9p here), which is not the loop's speed.
        prog = "python3 %s/benchprog.py 10 3 2000 /tmp/bench.out" % PROGS
        if where == "placed":
            prog = "%s exec 2 -- %s" % (mig.MIGCTL, prog)
        if where == "noflush":
            prog += " noflush"
        sp = n1.spawn("exec " + prog)
        pid = mig.ready(sp)
        if where in ("away", "noflush"):
            mig.move(n1, pid, 2)
        assert sp.wait(300) == 0, sp.output()
        f = sp.output().split()
        runs[where] = (int(f[f.index("loops") + 1]), float(f[f.index("writes_ns") + 1]))
    return runs


def bench_cpu(n1, rows):
    """A native loop: vDSO clock reads and a fixed loop, home vs away."""
    res = {}
    for where in ("home", "away"):
        sp = n1.spawn("exec %s/bin/cpuloop 8" % PROGS)
        pid = mig.ready(sp)
        if where == "away":
            mig.move(n1, pid, 2)
        assert sp.wait(300) == 0, sp.output()
        f = sp.output().split()
        res[where] = (int(f[f.index("clockloops") + 1]),
                      float(f[f.index("fixedloop_s") + 1]))
    rows.append(("C loop, clock reads away", "",
                 "%.2f of home" % (res["away"][0] / res["home"][0])))
    rows.append(("C fixed loop away", "",
                 "%.3f s vs %.3f s at home (%.2f)" % (res["away"][1], res["home"][1],
                                                      res["home"][1] / res["away"][1])))


# The balancing figures: 6 jobs of BAL_JOB_SECONDS each (alone, on an
# idle node) started on node 1 of 3.
BAL_JOBS = 6
BAL_JOB_SECONDS = 15


def run_six(c, it, seeds, balance):
    """Starts BAL_JOBS cpujobs at node 1 and waits for all: (makespan from
    the first start to the last exit, seconds until they were spread
    evenly or None, {pid: most moves seen}, how many ended with their
    exact output)."""
    n1, nodes = c.node(1), c.nodes
    t0 = time.monotonic()
    js = jobs.start_cpujobs(n1, it, seeds)
    spread_at, most = None, collections.Counter()
    even = BAL_JOBS // len(nodes)
    while True:
        left = [j for j in js if j.sp.wait(0) is None]
        if not left:
            break
        if balance:
            rows = {r["pid"]: r for r in mig.ps(n1)}
            for j in js:
                most[j.pid] = max(most[j.pid], (rows.get(j.pid) or {}).get("moves") or 0)
            if spread_at is None and len(left) == BAL_JOBS:
                place = collections.Counter(mig.where(n1, [j.pid for j in js]).values())
                if all(place[n.index] == even for n in nodes):
                    spread_at = time.monotonic() - t0
        time.sleep(1)
    makespan = time.monotonic() - t0
    exact = 0
    for j in js:
        try:
            jobs.check(j, 5)
            exact += 1
        except AssertionError:
            pass
    return makespan, spread_at, most, exact


def syscall_cost(node):
    """ns per getppid() at node, from tests/progs/syscost."""
    f = node.run_ok("%s/bin/syscost 2000000" % PROGS, timeout=300).split()
    return float(f[f.index("ns/call") - 1])


def bench_balance(rows):
    with Cluster(nodes=3, name="bench-balance") as c:
        n1, n2, n3 = c.nodes
        mig.link_all(c.nodes)
        it = int(jobs.calibrate(n1) * BAL_JOB_SECONDS)
        t0 = time.monotonic()
        alone = jobs.start_cpujob(n1, it, seed=90)
        alone.sp.wait(600)
        single = time.monotonic() - t0
        cpus = os.cpu_count()
        ideal = single * BAL_JOBS / min(3, cpus)
        rows.append(("one cpujob alone", "%.1f s" % single, ""))
        rows.append(("ideal: alone x 6 / min(3, N)", "%.1f s" % ideal,
                     "N = %d CPUs of this machine" % cpus))
        off, _, _, exact_off = run_six(c, it, range(91, 97), balance=False)
        rows.append(("6 jobs from node 1, no balance", "%.1f s" % off,
                     "makespan, %.2f x ideal; %d/6 exact" % (off / ideal, exact_off)))
        mig.set_all(c.nodes, balance=1)
        on, spread, most, exact_on = run_six(c, it, range(101, 107), balance=True)
        mig.set_all(c.nodes, balance=0)
        rows.append(("6 jobs from node 1, balance on", "%.1f s" % on,
                     "makespan, %.2f x ideal; %d/6 exact" % (on / ideal, exact_on)))
        rows.append(("time until spread 2/2/2", "%.1f s" % spread if spread else "never",
                     "after the first start"))
        auto = mig.stats_sum(c.nodes, "bal_moves")
        rows.append(("moves per job, balance on", "",
                     "%s (%d automatic moves in all)"
                     % (" ".join(str(m) for m in sorted(most.values())), auto)))

        # The same node before and after it hosts two sleeping guests (the
        # fairer figure: VMs differ), and node 3, which hosts none, beside.
        # The hook stays armed hook_linger_ms (10 s) after the jobs' guests.
        time.sleep(12)
        before = min(syscall_cost(n2) for _ in range(2))
        guests = []
        for _ in range(2):
            sp = n1.spawn("exec %s/bin/waiter sigsuspend" % PROGS)
            pid = mig.ready(sp)
            mig.move(n1, pid, 2)
            guests.append((sp, pid))
        # Alternated, best of 4 each: the VMs share the machine's cores, and
        # whatever else runs there slows one sample or another.
        with_guests, without = float("inf"), float("inf")
        for _ in range(4):
            with_guests = min(with_guests, syscall_cost(n2))
            without = min(without, syscall_cost(n3))
        rows.append(("getppid(), node with no guest", "", "%.0f ns/call" % without))
        rows.append(("getppid(), node with 2 guests", "", "%.0f ns/call (%.2f x)"
                     % (with_guests, with_guests / without)))
        rows.append(("getppid(), same node, 2 guests", "",
                     "%.0f ns/call before, %.2f x after" % (before, with_guests / before)))
        for sp, pid in guests:
            n1.run("kill -USR1 %d" % pid)
            sp.wait(60)


def main():
    rows = []
    with Cluster(nodes=2, name="bench", memory=1536) as c:
        n1, n2 = c.nodes
        mig.setup(c.nodes)
        mig.wait_state(n1, 2, "up", timeout=60)
        srv = n2.spawn("exec python3 %s/tcpbench.py serve 7900" % PROGS)
        time.sleep(1)
        raw = n1.run_ok("python3 %s/tcpbench.py rate %s 7900 256" % (PROGS, n2.ip),
                        timeout=600).split()[1]
        rtt = n1.run_ok("python3 %s/tcpbench.py rtt %s 7900 2000" % (PROGS, n2.ip),
                        timeout=600).split()[1]
        rows.append(("raw TCP rate, same link", "", "%s MB/s" % raw))
        if os.environ.get("MIG_BENCH_ONLY") == "live":
            bench_live(n1, n2, rows)
            print_rows(rows)
            return 0
        if os.environ.get("MIG_BENCH_ONLY") == "threads":
            bench_threads(n1, n2, rows)
            print_rows(rows)
            return 0
        bench_moves(n1, n2, rows)
        bench_threads(n1, n2, rows)
        bench_live(n1, n2, rows)
        bench_ciphers(n1, float(raw), rows)
        runs = bench_python(n1, n2)
        rows.append(("raw TCP round trip (1 byte)", "", "%s us" % rtt))
        rows.append(("write(1 byte) at home", "", "%.0f us" % (runs["home"][1] / 1000)))
        rows.append(("write(1 byte) forwarded", "", "%.0f us" % (runs["away"][1] / 1000)))
        rows.append(("python loop at home", "", "%d loops/3s" % runs["home"][0]))
        rows.append(("python loop away", "", "%d loops/3s (%.2f of home)"
                     % (runs["away"][0], runs["away"][0] / runs["home"][0])))
        rows.append(("python loop placed by exec", "", "%d loops/3s (%.2f of home)"
                     % (runs["placed"][0], runs["placed"][0] / runs["home"][0])))
        rows.append(("python away, no TLB flush", "", "%d loops/3s (%.2f of home)"
                     % (runs["noflush"][0], runs["noflush"][0] / runs["home"][0])))
        bench_cpu(n1, rows)
        srv.kill()
    bench_balance(rows)
    print_rows(rows)
    return 0


def print_rows(rows):
    print("%-30s %-10s %s" % ("measure", "time", "figure"))
    for r in rows:
        print("%-30s %-10s %s" % r)


if __name__ == "__main__":
    sys.exit(main())

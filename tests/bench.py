#!/usr/bin/python3
"""make bench: figures of a 2-node virtual cluster, printed, not asserted.

Move time and data rate for processes of 16, 64 and 256 MiB beside the
raw TCP rate of the same link; a forwarded 1-byte write beside a raw
TCP round trip; a CPU-bound loop's speed away versus at home. Under TCG
absolute figures are slow and noisy: compare within one run."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cluster import Cluster  # noqa: E402
import mig  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGS = os.path.join(REPO, "tests", "progs")


def bench_moves(n1, n2, rows):
    """Time of the move as migctl measures it around its request (its own
    start-up, slow over 9p under emulation, left out), and the rate. The
    first move of a node pays once for the helper program's first exec
    and the syscall hook's arming (tens of ms each): a 1 MiB process goes
    first, on its own row."""
    for mib in (1, 16, 64, 256):
        sp = n1.spawn("exec %s/bin/spin -s 600 -m %d" % (PROGS, mib))
        pid = mig.ready(sp)
        done = mig.migctl_json(n1, "move %d 2" % pid)
        secs = done["elapsed_us"] / 1e6
        sent = mig.migctl_json(n1, "ps")[0]["bytes_sent"]
        what = "first move, 1 MiB (cold)" if mib == 1 else "move %3d MiB process" % mib
        rows.append((what, "%.2f s" % secs, "%.1f MB/s" % (sent / 1e6 / secs)))
        n1.run("kill -KILL %d" % pid)
        sp.wait(60)


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
        bench_moves(n1, n2, rows)
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
    print("%-30s %-10s %s" % ("measure", "time", "figure"))
    for r in rows:
        print("%-30s %-10s %s" % r)
    return 0


if __name__ == "__main__":
    sys.exit(main())

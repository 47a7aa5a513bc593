#!/usr/bin/python3
"""Live migration (issue 11): a process's memory goes while it runs, in
pre-copy rounds, and it stops only for what it wrote since the last one.
Memory compared byte for byte at the destination (tests/progs/dirtier
checks every page against its generation), the freeze measured from
inside the process, and everything that may happen during the pre-copy:
the process exits, forks, execs; the destination dies; the writer is
faster than the link."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 2
DIRTIER = "tests/progs/bin/dirtier"


def ensure_linked(c):
    if not all(mig.is_loaded(n) for n in c.nodes) or \
            mig.nodes(c.nodes[0]).get(2, {}).get("state") != "up":
        mig.link_all(c.nodes)


def move_json(node, pid, dest, opts="", timeout=300):
    out = node.run_ok("%s -j move %s %d %s" % (mig.MIGCTL, opts, pid, dest),
                      timeout=timeout)
    return json.loads(out)


def check_exit(sp, pid, node, pages):
    """SIGUSR1 at home: the process checks its memory and exits 42."""
    node.run_ok("kill -USR1 %d" % pid)
    rc = sp.wait(180)
    out = sp.output()
    assert rc == 42, "exit %s: %s" % (rc, out[-2000:])
    assert "checked %d pages" % pages in out, out[-2000:]
    return out


def gap_us(out):
    return int(out.rsplit("max gap ", 1)[1].split()[0])


@test(timeout=900)
def live_256_byte_exact(c):
    """256 MiB rewritten at 1 MiB/s moves live: converged, bytes sent
    <= 1.2 x resident, memory byte-exact at the destination"""
    n1, n2 = c.nodes
    ensure_linked(c)
    sp = n1.spawn("exec %s -m 256 -r 1024" % DIRTIER)
    pid = mig.ready(sp, timeout=240)
    res = move_json(n1, pid, 2)
    diag(json.dumps(res))
    assert [p.get("where") for p in mig.ps(n1) if p["pid"] == pid] == [2]
    out = check_exit(sp, pid, n1, 65536)
    diag("freeze seen by the process: %d us; by home %d us" % (
        gap_us(out), res["freeze_us"]))
    _, log = n1.run("dmesg | grep -E 'round|final|capture'")
    diag(log)
    _, log = n2.run("dmesg | grep -E 'restore'")
    diag(log)
    assert res["how"] == "live", res
    assert res["rounds"] >= 2, res
    assert res["bytes_sent"] <= 1.2 * res["resident"], res


run()

#!/usr/bin/python3
"""make demo: boots a 2-node virtual cluster, loads mig on both nodes with
the same cluster key, links them, and shows what an admin would see; then
moves a running python3 program to node 2 and back home while it counts,
and shows that it never noticed."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cluster import Cluster  # noqa: E402
import mig  # noqa: E402


def show(node, cmd):
    print("%s# migctl %s" % (node.name, cmd))
    out = mig.migctl(node, cmd).rstrip()
    if out:
        print(out)
    print()


# Counts, computing a second between ticks, and says who and where it is
# (pid, parent, cwd: all answered by home, wherever it runs).
COUNTER = ("import os, time\n"
           "print('ready', os.getpid(), flush=True)\n"
           "for i in range(1, 17):\n"
           "    end = time.monotonic() + 1\n"
           "    while time.monotonic() < end:\n"
           "        pass\n"
           "    print('tick', i, 'pid', os.getpid(), 'ppid', os.getppid(),\n"
           "          'cwd', os.getcwd(), flush=True)\n")


def demo_move(n1, n2):
    """A counting python3 moved to node 2 mid-loop, then home again."""
    n1.run_ok("mkdir -p /tmp/demo && cat > /tmp/demo/counter.py", input=COUNTER)
    sp = n1.spawn("cd /tmp/demo && exec python3 counter.py")
    pid = mig.ready(sp)
    print("%s# python3 counter.py &   (pid %d)" % (n1.name, pid))
    time.sleep(3)
    show(n1, "move %d 2" % pid)
    show(n1, "ps")
    show(n2, "ps")
    time.sleep(2)
    # ps at home shows the program as it runs there, not its deputy.
    cmd = "ps -o pid,stat,rss,time,args -p %d; grep Mig_node /proc/%d/status" % (pid, pid)
    print("%s# %s" % (n1.name, cmd))
    print(n1.run_ok(cmd).rstrip() + "\n")
    time.sleep(1)
    show(n1, "move %d home" % pid)
    rc = sp.wait(60)
    print("its output, at home:")
    print(sp.output().rstrip())
    print("exit status %d\n" % rc)
    return rc


def main():
    print("booting a 2-node virtual cluster (QEMU, Debian's kernel)...")
    with Cluster(nodes=2, name="demo") as c:
        n1, n2 = c.nodes
        mig.setup(c.nodes)
        for a, b in ((n1, n2), (n2, n1)):
            mig.wait_state(a, b.index, "up", timeout=60)
            mig.wait_rtt(a, b.index)
        for n in c.nodes:
            show(n, "node list")
        show(n1, "status")
        rc = demo_move(n1, n2)
        problems = c.kernel_log_problems()
        if problems:
            print("kernel log problems:\n" + "\n".join(problems))
            return 1
    if rc:
        print("the moved program failed")
        return 1
    print("demo done: both nodes linked and authenticated; a running "
          "program went to node 2 and back home without noticing")
    return 0


if __name__ == "__main__":
    sys.exit(main())

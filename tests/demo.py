#!/usr/bin/python3
"""make demo: boots a 2-node virtual cluster, loads mig on both nodes with
the same cluster key, links them, and shows what an admin would see."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cluster import Cluster  # noqa: E402
import mig  # noqa: E402


def show(node, cmd):
    print("%s# migctl %s" % (node.name, cmd))
    print(mig.migctl(node, cmd).rstrip())
    print()


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
        problems = c.kernel_log_problems()
        if problems:
            print("kernel log problems:\n" + "\n".join(problems))
            return 1
    print("demo done: both nodes linked and authenticated")
    return 0


if __name__ == "__main__":
    sys.exit(main())

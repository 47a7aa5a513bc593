#!/usr/bin/python3
"""Smoke test of the VM test bed itself; needs no mig module.

Checks what every other test relies on: nodes boot and see the host and
the repository, /tmp is private per node, the network links nodes and
breaks when one dies, a dead node comes back, hung commands time out
without wedging the agent, and the kernel log checker sees problems.
"""

import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import NodeDown, diag, run, skip, test, wait_until  # noqa: E402
from cluster import REPO_ROOT  # noqa: E402

NODES = 2
NEEDS_MODULE = False  # tells run.py not to insist on kmod/mig.ko


def boot_times(c):
    diag("boot to agent ready: " + ", ".join(
        "%s %.1fs" % (n.name, n.boot_seconds) for n in c.nodes))


@test
def guests_see_host_and_repo(c):
    """each node runs in the repo at the host path, with its own identity"""
    boot_times(c)
    for n in c.nodes:
        assert n.run_ok("pwd").strip() == str(REPO_ROOT), "cwd is not the repo root"
        n.run_ok("test -f tests/vm/agent.py && test -x /usr/bin/python3")
        assert n.run_ok("hostname").strip() == n.name
        assert "inet %s/24" % n.ip in n.run_ok("ip -4 addr show dev eth0")
        assert n.run_ok("id -u").strip() == "0"
        # The root share is read-only: a test cannot damage the build machine.
        rc, _ = n.run("touch /var/tmp/mig-testbed-write-probe")
        assert rc != 0, "host root is writable from the guest"


@test
def host_files_are_live(c):
    """a file the host writes outside /tmp after boot is visible at once"""
    if str(c.workdir).startswith("/tmp/"):
        skip("MIG_TEST_STATE is under /tmp, which the guests do not share")
    probe = c.workdir / ("live-%s" % uuid.uuid4().hex)
    probe.write_text("hello from the host\n")
    try:
        for n in c.nodes:
            assert n.run_ok("cat %s" % probe) == "hello from the host\n"
    finally:
        probe.unlink()


@test
def tmp_is_private(c):
    """/tmp is a tmpfs of each node's own"""
    name = "/tmp/private-%s" % uuid.uuid4().hex
    for n in c.nodes:
        assert n.run_ok("stat -f -c %T /tmp").strip() == "tmpfs"
    c.node(1).run_ok("echo secret > %s" % name)
    assert c.node(1).run_ok("cat %s" % name) == "secret\n"
    rc, _ = c.node(2).run("test -e %s" % name)
    assert rc != 0, "node2 sees node1's /tmp"


@test
def nodes_ping(c):
    """node1 and node2 reach each other"""
    assert c.node(1).ping(c.node(2).ip), "node1 cannot ping node2"
    assert c.node(2).ping(c.node(1).ip), "node2 cannot ping node1"


@test
def node_death_and_reboot(c):
    """a killed node drops off the network and comes back after boot()"""
    n1, n2 = c.node(1), c.node(2)
    n2.run_ok("touch /tmp/from-before")
    n2.kill()
    assert not n2.alive
    try:
        n2.run("true")
        raise AssertionError("run() on a killed node did not raise NodeDown")
    except NodeDown:
        pass
    assert not n1.ping(n2.ip), "node1 still pings the killed node2"
    t = time.monotonic()
    n2.boot()
    diag("node2 reboot to agent ready: %.1fs" % (time.monotonic() - t))
    assert n1.wait_ping(n2.ip, timeout=30), "node1 cannot ping node2 after reboot"
    rc, _ = n2.run("test -e /tmp/from-before")
    assert rc != 0, "/tmp survived the reboot"


@test
def hung_command_times_out(c):
    """a hanging command gets rc 124, its whole tree dies, the agent lives on"""
    n = c.node(1)
    long_run = n.spawn("exec sleep 30")
    t = time.monotonic()
    # A tree that ignores SIGTERM and forks: only a group SIGKILL ends it.
    rc, out = n.run("trap '' TERM; sleep 1001 & sleep 1002; echo never", timeout=3)
    took = time.monotonic() - t
    assert rc == 124, "rc %d, expected 124" % rc
    assert "never" not in out
    assert took < 10, "timeout took %.1fs" % took
    assert n.run_ok("echo alive") == "alive\n"
    # Concurrent requests: the long background job did not block anything.
    assert long_run.running()
    wait_until(lambda: "sleep 100" not in n.run_ok("ps -eo args"), timeout=10,
               what="the timed-out command's children to die")
    long_run.kill()
    assert long_run.wait(10) == 128 + 9


@test
def spawn_and_input(c):
    """background commands report output and exit status; stdin is fed"""
    n = c.node(2)
    p = n.spawn("echo started; sleep 0.5; echo done; exit 7")
    assert p.wait(20) == 7
    assert p.output() == "started\ndone\n"
    assert n.run_ok("tr a-z A-Z", input="hello\n") == "HELLO\n"
    rc, out = n.run("echo oops >&2; exit 3")
    assert (rc, out) == (3, "oops\n")


@test
def kernel_log_checker(c):
    """WARNING lines and crashes are found, live and from a dead node's console"""
    n1, n2 = c.node(1), c.node(2)
    assert c.kernel_log_problems() == [], "kernel log not clean at start"
    n1.run_ok("echo 'WARNING: testbed self-check' > /dev/kmsg")
    found = c.kernel_log_problems()
    assert any("node1: " in l and "WARNING: testbed self-check" in l for l in found), found
    assert c.kernel_log_problems() == [], "problems reported twice"
    # A crash: the VM exits (panic=-1 with -no-reboot) and only its console
    # log can tell what happened.
    try:
        n2.run("echo c > /proc/sysrq-trigger", timeout=30)
    except NodeDown:
        pass
    wait_until(lambda: not n2.alive, timeout=30, what="node2 to die")
    found = c.kernel_log_problems()
    assert any("node2: " in l and "Kernel panic" in l for l in found), found
    assert any("died unexpectedly" in l for l in found), found
    n2.boot()
    assert c.kernel_log_problems() == [], "stale problems after reboot"


run()

#!/usr/bin/python3
"""mig.ko on one node: loading, unloading, parameters, and configuration
input that must be refused without changing anything."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test  # noqa: E402
import mig  # noqa: E402

NODES = 1


# Shell words that become the mig kernel threads, on one line.
KTHREADS = "$(ps -e -o comm= | grep '^mig_')"


def tcp_sockets(node):
    """TCP sockets in use, from /proc/net/sockstat."""
    out = node.run_ok("cat /proc/net/sockstat")
    for line in out.splitlines():
        if line.startswith("TCP:"):
            fields = line.split()
            return int(fields[fields.index("inuse") + 1])
    raise AssertionError("no TCP line in sockstat")


@test
def load_unload_20_times(c):
    """20 load/unload cycles leave no thread, socket or warning behind"""
    n = c.node(1)
    before = tcp_sockets(n)
    for i in range(20):
        # One shell command a cycle, what mig.load(), set_key(), migctl
        # and kthread listings would run one by one: fewer round trips.
        cmd = ["rm -f %s" % mig.LINKED_FILE, mig._load_cmd(n)]
        if i % 2:
            # Half the cycles with a key and a (dead) peer: a link worker
            # then runs and dials while the module goes away.
            cmd += [mig._key_cmd("good"), "%s node add 7 10.99.0.7" % mig.MIGCTL]
        cmd += ["echo loaded: " + KTHREADS, "rmmod mig", "echo unloaded: " + KTHREADS]
        out = n.run_ok(" && ".join(cmd))
        said = dict(ln.split(":", 1) for ln in out.splitlines() if ":" in ln)
        loaded, unloaded = said["loaded"].split(), said["unloaded"].split()
        assert loaded, "cycle %d: no mig kthread while loaded: %s" % (i, out)
        assert not unloaded, "cycle %d: kthreads left after rmmod: %s" % (i, unloaded)
    assert tcp_sockets(n) <= before, "TCP sockets leaked"
    assert n.run("ss -tln | grep -q ':7711 '")[0] != 0, "port 7711 still open"


@test
def parameters_visible(c):
    """node_id and port show under /sys/module/mig/parameters"""
    n = c.node(1)
    mig.load(n, node_id=42, port=7800)
    try:
        p = "/sys/module/mig/parameters"
        assert n.run_ok("cat %s/node_id" % p).strip() == "42"
        assert n.run_ok("cat %s/port" % p).strip() == "7800"
        assert n.run_ok("cat /sys/kernel/mig/node_id").strip() == "42"
        st = mig.status(n)
        assert st["node_id"] == 42 and st["port"] == 7800 and not st["key"]
        n.run_ok("ss -tln | grep -q ':7800 '")
    finally:
        mig.unload(n)


@test
def node_id_required(c):
    """insmod without node_id fails and says why in dmesg"""
    n = c.node(1)
    rc, out = n.run("insmod %s" % mig.MODULE)
    assert rc != 0, "insmod without node_id succeeded"
    assert not mig.is_loaded(n)
    n.run_ok("dmesg | grep -q 'node_id parameter missing'")


@test
def no_module_message(c):
    """migctl without the module says to load it"""
    n = c.node(1)
    rc, out = mig.migctl(n, "node list", check=False)
    assert rc != 0 and "not loaded" in out and "insmod" in out, out


def refused(n, args, *words, user=None):
    cmd = "%s %s" % (mig.MIGCTL, args)
    if user:
        cmd = "setpriv --reuid=%d --regid=%d --clear-groups %s" % (user, user, cmd)
    rc, out = n.run(cmd)
    diag("migctl %s -> rc %d: %s" % (args, rc, out.strip()))
    assert rc != 0, "accepted: migctl %s" % args
    for w in words:
        assert w.lower() in out.lower(), "%r not in %r" % (w, out)


@test
def bad_configuration_refused(c):
    """unknown node, bad address, short or exposed key, non-root: refused"""
    n = c.node(1)
    mig.load(n)
    try:
        mig.set_key(n)
        mig.migctl(n, "node add 2 10.99.0.2")
        before = (mig.nodes(n), mig.status(n)["key"])

        refused(n, "node del 9", "unknown node")
        refused(n, "node add 3 300.1.2.3", "address")
        refused(n, "node add 3 not-an-address", "address")
        refused(n, "node add 3 224.0.0.1", "address")
        refused(n, "node add 0 10.99.0.3", "id")
        refused(n, "node add 70000 10.99.0.3", "id")
        refused(n, "node add 1 10.99.0.3", "own")
        refused(n, "node add 2 10.99.0.9", "exists")
        n.run_ok("umask 077; head -c 16 /dev/urandom > /tmp/short.key")
        refused(n, "key set /tmp/short.key", "too short")
        n.run_ok("head -c 32 /dev/urandom > /tmp/open.key; chmod 644 /tmp/open.key")
        refused(n, "key set /tmp/open.key", "chmod 600")
        refused(n, "key set /tmp/missing.key", "missing.key")
        refused(n, "node add 3 10.99.0.3", "not permitted", user=65534)
        refused(n, "node del 2", "not permitted", user=65534)
        n.run_ok("chmod 644 %s" % mig.KEY_FILE)
        refused(n, "key set %s" % mig.KEY_FILE, "readable", user=0)
        n.run_ok("chmod 600 %s; cp %s /tmp/nobody.key; chown 65534 /tmp/nobody.key"
                 % (mig.KEY_FILE, mig.KEY_FILE))
        refused(n, "key set /tmp/nobody.key", "not permitted", user=65534)

        after = (mig.nodes(n), mig.status(n)["key"])
        assert before == after, "configuration changed: %s -> %s" % (before, after)
        # Nobody may use the unprivileged path to learn the key back.
        assert "6d69672d" not in n.run_ok("%s -j status" % mig.MIGCTL)
    finally:
        mig.unload(n)


run()

#!/usr/bin/python3
"""Node links on a 3-node cluster: authentication with the cluster key,
hostile input on the link port, and heartbeats noticing a dead peer.
First the test bed's own bridge of three nodes (see 00-testbed.py)."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test  # noqa: E402
import mig  # noqa: E402

NODES = 3
WIRE = "tests/progs/migwire.py"
FAKE_PEER = 9		# configured on node 2, played by migwire.py


def link_up(a, b):
    entry, secs = mig.wait_state(a, b.index, "up", timeout=60)
    assert entry["rtt_us"] > 0 or mig.wait_rtt(a, b.index) > 0
    return entry


@test
def three_nodes_bridge(c):
    """3 nodes on the namespace bridge: all pairs ping, a node can come back
    (a test of the test bed, here where a cluster of three boots anyway)"""
    diag("boot to agent ready: " + ", ".join(
        "%s %.1fs" % (n.name, n.boot_seconds) for n in c.nodes))
    for a in c.nodes:
        for b in c.nodes:
            if a is not b:
                assert a.ping(b.ip), "%s cannot ping %s" % (a.name, b.name)
    c.node(3).kill()
    assert not c.node(1).ping(c.node(3).ip), "node3 still answers after kill"
    c.node(3).boot()
    assert c.node(1).wait_ping(c.node(3).ip), "node3 unreachable after reboot"
    assert c.node(3).ping(c.node(2).ip)


@test
def same_key_links_wrong_key_refused(c):
    """1 and 2 share a key and link up; 3 has another and is refused by both"""
    n1, n2, n3 = c.nodes
    mig.setup(c.nodes, keys={3: "bad"})
    link_up(n1, n2)
    link_up(n2, n1)
    for a, b in ((n1, n3), (n2, n3), (n3, n1), (n3, n2)):
        mig.wait_state(a, b.index, "auth-failed", timeout=60)
    for n in c.nodes:
        assert mig.status(n)["stats"]["auth_failed"] > 0, n.name
    e = mig.nodes(n1)[2]
    diag("node1 -> node2: rtt %d us, up %ds" % (e["rtt_us"], e["up_secs"]))
    assert e["auth_failures"] == 0
    # A refused node stays refused: it never comes up on its own.
    time.sleep(3)
    assert mig.nodes(n1)[3]["state"] == "auth-failed"


def wire(node, target, mode, *extra):
    out = node.run_ok("python3 %s %s %d %s %s" % (WIRE, target.ip, 7711, mode,
                                                   " ".join(extra)), timeout=60)
    return out.split()


def wire_modes(node, target, modes, *extra):
    """Several modes in one migwire run: {mode: its words}."""
    out = node.run_ok("python3 %s %s %d %s %s" % (WIRE, target.ip, 7711, ",".join(modes),
                                                   " ".join(extra)), timeout=60 * len(modes))
    lines = {}
    for line in out.splitlines():
        mode, *words = line.split()
        lines[mode] = words
    assert sorted(lines) == sorted(modes), out
    return lines


GARBAGE = [
    ("random", "bad_magic"),
    ("truncated", "truncated"),
    ("huge", "bad_length"),
    ("badversion", "bad_version"),
    ("badtype", "bad_type"),
    ("preauth", "preauth_frame"),
    ("hello", "unknown_peer"),
]


@test
def garbage_is_dropped_and_counted(c):
    """random bytes, short or huge frames, frames out of turn: dropped, counted"""
    n1, n2, n3 = c.nodes
    mig.setup([n1, n2])
    mig.migctl(n2, "node add %d 10.99.0.%d" % (FAKE_PEER, FAKE_PEER))
    link_up(n1, n2)
    # One migwire run per group (a Python start costs seconds under TCG):
    # each mode's verdict, and each counter up by at least its modes.
    def batch(modes, *extra):
        before = mig.status(n2)["stats"]
        lines = wire_modes(n3, n2, [m for m, _ in modes], *extra)
        after = mig.status(n2)["stats"]
        for mode, counter in modes:
            diag("%-20s -> %s, %s %d -> %d" % (mode, " ".join(lines[mode]), counter,
                                                before[counter], after[counter]))
        for counter in set(c for _, c in modes):
            want = sum(1 for _, c in modes if c == counter)
            assert after[counter] >= before[counter] + want, \
                "%s: %d -> %d, %d modes" % (counter, before[counter], after[counter], want)
        return lines, before, after

    lines, before, after = batch(GARBAGE)
    for mode, _ in GARBAGE:
        assert lines[mode][-1] == "dropped", "%s: connection kept open" % mode
    assert after["conn_dropped"] >= before["conn_dropped"] + len(GARBAGE)

    # Garbage after a successful handshake: dropped too.
    key = mig.KEYS["good"]
    auth = ["--key", key, "--src", str(FAKE_PEER), "--dst", "2"]
    lines, _, _ = batch((("auth-then-random", "bad_magic"),
                         ("auth-then-hugeping", "bad_length"),
                         ("auth-then-huge", "bad_type"),
                         ("auth-then-hello", "bad_type"),
                         ("auth-then-shortstop", "bad_length"),
                         # Records the link's keys did not seal: the record
                         # layer refuses them before any frame is read.
                         ("auth-then-flip", "bad_record"),
                         ("auth-then-replay", "bad_record"),
                         ("auth-then-inject", "bad_record")), *auth)
    for mode, verdict in lines.items():
        assert verdict == ["auth-ok", "dropped"], (mode, verdict)

    # A wrong proof: the answering node hangs up without a proof of its own.
    # Signals and job stops for processes that are not there: refused one
    # by one, the link kept.
    before = mig.status(n2)["stats"]
    lines = wire_modes(n3, n2, ["badproof", "auth-then-strays"], *auth, "--wait", "3")
    after = mig.status(n2)["stats"]
    assert lines["badproof"] == ["refused"], lines
    assert after["auth_failed"] > before["auth_failed"]
    assert lines["auth-then-strays"] == ["auth-ok", "open"], lines
    assert after["bad_stream"] >= before["bad_stream"] + 3

    # A client that connects and says nothing is cut off by the handshake
    # timeout, and all this time the real link stayed up.
    verdict = wire(n3, n2, "slow", "--wait", "20")
    assert verdict[-1] == "dropped"
    assert mig.status(n2)["stats"]["handshake_timeout"] > 0
    assert mig.nodes(n1)[2]["state"] == "up"
    assert mig.nodes(n2)[1]["state"] == "up"
    assert mig.nodes(n2)[1]["up_secs"] >= 1


@test
def dead_peer_goes_down_and_comes_back(c):
    """a killed node is down within the heartbeat timeout, up after reboot"""
    n1, n2, _ = c.nodes
    mig.setup([n1, n2])
    link_up(n1, n2)
    timeout_s = mig.status(n1)["heartbeat_timeout_ms"] / 1000.0
    n2.kill()
    killed = time.monotonic()
    mig.wait_state(n1, 2, "down", timeout=timeout_s + 30)
    took = time.monotonic() - killed
    diag("node2 killed: node1 saw it down after %.1fs (timeout %.1fs)" % (took, timeout_s))
    # Polling and TCG add a few seconds; a heartbeat that failed would
    # leave it up until the TCP retransmissions gave up, minutes later.
    assert took < timeout_s + 10, "down only after %.1fs" % took
    assert mig.status(n1)["stats"]["heartbeat_timeout"] > 0
    n2.boot()
    mig.setup([n2], peers=[n1, n2])
    link_up(n1, n2)
    link_up(n2, n1)


run()

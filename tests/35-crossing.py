#!/usr/bin/python3
"""Crossing moves: moves started at the same moment in opposite directions
between two nodes all succeed, the link stays up while large states
stream both ways, and every process runs on with its memory intact, its
output and exit status exact. A refused move names its real cause."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import jobs  # noqa: E402
import mig  # noqa: E402

NODES = 2
# Five processes of 64-128 MiB at home and five guests of as much on each
# node, with the buffers of ten moves at once: more than the default
# 1024 MiB holds safely. 480 MiB each way stream for much longer than the
# heartbeat timeout under TCG, which is what the link must survive.
MEMORY = 2048
SIZES = (64, 80, 96, 112, 128)
# Seconds of CPU a job computes for on an idle node, five of them sharing
# a node's CPU while they move; then it spins until the test releases it.
JOB_SECONDS = 4
_rate = []


def iters(node):
    """ITER for a JOB_SECONDS cpujob, its speed measured once per file."""
    if not _rate:
        _rate.append(jobs.calibrate(node))
        diag("cpujob: %.0f million iterations/s alone" % (_rate[0] / 1e6))
    return int(_rate[0] * JOB_SECONDS)


def link_counters(nodes):
    """Counters that grow when a link breaks, summed over the nodes."""
    return {k: mig.stats_sum(nodes, k) for k in ("heartbeat_timeout", "conn_dropped")}


def check_moves(results):
    failed = {k: v for k, v in results.items() if v[0] != 0}
    for (node, pid), (rc, out) in sorted(results.items()):
        diag("node%d: move %d -> rc %s %s" % (node, pid, rc, out.strip().replace("\n", " | ")))
    assert not failed, "%d of %d moves failed: %s" % (len(failed), len(results), failed)


@test(timeout=400)
def two_moves_cross(c):
    """one move 1 -> 2 and one 2 -> 1 started at the same moment, the
    first of each node since its module loaded: both succeed"""
    n1, n2 = c.nodes
    mig.link_all(c.nodes)
    it = iters(n1)
    a = jobs.start_cpujob(n1, it, seed=101, mib=64, hold=True)
    b = jobs.start_cpujob(n2, it, seed=102, mib=64, hold=True)
    links = link_counters(c.nodes)
    check_moves(mig.moves_at_once(c.workdir, [(n1, a.pid, 2), (n2, b.pid, 1)]))
    for node, job, peer, guest_of in ((n1, a, 2, b), (n2, b, 1, a)):
        rows = mig.ps(node)
        assert sorted((r["role"], r["pid"] if r["role"] == "deputy" else r["home_pid"],
                       r["where"] if r["role"] == "deputy" else r["home"], r["state"])
                      for r in rows) == [("deputy", job.pid, peer, "away"),
                                         ("guest", guest_of.pid, peer, "running")], rows
    jobs.release([a, b])
    jobs.check_all([a, b], timeout=240)
    assert link_counters(c.nodes) == links, "a link broke: %s" % link_counters(c.nodes)
    for n in c.nodes:
        st = mig.status(n)["stats"]
        assert (st["moves_out"], st["moves_in"], st["moves_failed"]) == (1, 1, 0), st


@test(timeout=600)
def five_moves_each_way_at_once(c):
    """5 processes of 64-128 MiB moved 1 -> 2 and 5 moved 2 -> 1, all at
    the same moment: the 10 moves succeed, the link stays up, every
    process's memory, output and exit status are exact"""
    n1, n2 = c.nodes
    mig.link_all(c.nodes)
    it = iters(n1)
    mine = jobs.start_cpujobs(n1, it, seeds=range(11, 16), mib=SIZES, hold=True)
    theirs = jobs.start_cpujobs(n2, it, seeds=range(21, 26), mib=SIZES, hold=True)
    links = link_counters(c.nodes)
    results = mig.moves_at_once(c.workdir, [(n1, j.pid, 2) for j in mine] +
                                [(n2, j.pid, 1) for j in theirs])
    check_moves(results)
    secs = [mig_json_elapsed(out) for _, out in results.values()]
    diag("move times: %s s" % " ".join("%.1f" % s for s in sorted(secs)))

    # Each node: five deputies away at the other, five guests from it.
    for node, own, other, peer in ((n1, mine, theirs, 2), (n2, theirs, mine, 1)):
        rows = mig.ps(node)
        deputies = sorted((r["pid"], r["where"], r["state"]) for r in rows
                          if r["role"] == "deputy")
        assert deputies == sorted((j.pid, peer, "away") for j in own), rows
        guests = sorted((r["home"], r["home_pid"], r["state"]) for r in rows
                        if r["role"] == "guest")
        assert guests == sorted((peer, j.pid, "running") for j in other), rows
        sent = {r["pid"]: r["bytes_sent"] for r in rows if r["role"] == "deputy"}
        for j, mib in zip(own, SIZES):
            assert sent[j.pid] >= mib << 20, "%r: only %d bytes sent" % (j, sent[j.pid])
    assert link_counters(c.nodes) == links, "a link broke: %s" % link_counters(c.nodes)
    for n in c.nodes:
        assert mig.nodes(n)[3 - n.index]["state"] == "up"

    jobs.release(mine + theirs)
    jobs.check_all(mine + theirs, timeout=420)
    wait_until(lambda: not mig.ps(n1) and not mig.ps(n2), timeout=30, what="ps empty")
    for n in c.nodes:
        st = mig.status(n)["stats"]
        assert (st["moves_out"], st["moves_in"], st["moves_failed"]) == (5, 5, 0), st
    assert link_counters(c.nodes) == links, "a link broke: %s" % link_counters(c.nodes)


def mig_json_elapsed(out):
    """Seconds of a move from `migctl -j move`'s output."""
    for line in out.splitlines():
        if line.startswith("{"):
            return json.loads(line)["elapsed_us"] / 1e6
    return float("nan")


@test(timeout=400)
def refused_move_names_its_cause(c):
    """node 2 accepts no new guests (block) and moves one of its own to
    node 1 as node 1 moves one to it: node 2's move succeeds, node 1's is
    refused saying that node 2 accepts no new guests, not that memory ran
    out; both processes run on, exact"""
    n1, n2 = c.nodes
    mig.link_all(c.nodes)
    try:
        # Node 2 reports its load rarely: node 1 may not know of the block
        # yet, and send the process for node 2 itself to refuse.
        mig.set_knobs(n2, interval_ms=60000)
        mig.set_knobs(n2, block=1)
        assert mig.knob(n2, "block") == "1"
        it = iters(n1)
        a = jobs.start_cpujob(n1, it, seed=31, mib=64, hold=True)
        b = jobs.start_cpujob(n2, it, seed=32, mib=64, hold=True)
        res = mig.moves_at_once(c.workdir, [(n1, a.pid, 2), (n2, b.pid, 1)])
        rc_a, out_a = res[(1, a.pid)]
        rc_b, out_b = res[(2, b.pid)]
        diag("move to the blocked node -> rc %s: %s" % (rc_a, out_a.strip()))
        assert rc_b == 0, "the move out of the blocked node failed: %s" % out_b
        assert rc_a != 0, "the blocked node took a guest"
        assert "no new guests" in out_a.lower(), out_a
        assert "out of memory" not in out_a.lower(), out_a
        assert not [r for r in mig.ps(n1) if r["role"] == "deputy"], mig.ps(n1)
        assert not [r for r in mig.ps(n2) if r["role"] == "guest"], mig.ps(n2)
        diag("refused %s" % ("by node 2 itself" if mig.status(n2)["stats"]["refused_blocked"]
                             else "at node 1, from node 2's load report"))
        jobs.release([a, b])
        jobs.check_all([a, b], timeout=240)
    finally:
        mig.reset_knobs(c.nodes)


run()

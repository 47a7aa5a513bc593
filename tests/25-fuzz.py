#!/usr/bin/python3
"""Fuzzing (issue 10 item 7): a hostile authenticated peer sends mutated
frames of every message type over sealed links, made from streams the
node itself sent it; strangers send mutated frames before authenticating;
the generic netlink family gets random and mutated requests as root and
as nobody. Afterwards the kernel log is clean, every refusal was counted,
a real process still moves there and back, and the module unloads.

MIG_FUZZ_FRAMES (default 20, a short run for `make check`) is the number
of mutated frames of each type; `make fuzz` runs this file with 100000
(tests/fuzz.py)."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 2
FAKE = 3                 # node id the fuzzer plays, configured at node 1
WIRE = "tests/progs/fuzzwire.py"
NL = "tests/progs/fuzznl.py"
SPIN = "tests/progs/bin/spin"
FRAMES = int(os.environ.get("MIG_FUZZ_FRAMES", "20"))
SCALE = max(1.0, FRAMES / 300)
# HELLO, AUTH and SWITCH after the handshake each end a link: fewer of them.
OOT = int(os.environ.get("MIG_FUZZ_OOT", str(max(5, FRAMES // 10))))
PREAUTH = int(os.environ.get("MIG_FUZZ_PREAUTH", str(max(100, FRAMES // 5))))
NLCOUNT = int(os.environ.get("MIG_FUZZ_NETLINK", str(max(300, FRAMES // 5))))
SEED = os.environ.get("MIG_FUZZ_SEED")
# Counters the run must make grow at node 1, and which fuzzer makes them.
WIRE_COUNTERS = ("bad_stream", "bad_type", "bad_length", "bad_magic",
                 "bad_version", "frames_rx", "conn_dropped")
PREAUTH_COUNTERS = ("preauth_frame", "conn_accepted", "conn_dropped")
RESULTS = {}


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def grown(before, after, names):
    return {n: after[n] - before[n] for n in names}


def seed_arg():
    return " --seed %s" % SEED if SEED else ""


def ensure_linked(c):
    n1, n2 = c.nodes
    if not (mig.is_loaded(n1) and mig.is_loaded(n2)) or \
            mig.nodes(n1).get(2, {}).get("state") != "up":
        mig.link_all(c.nodes)
    if FAKE not in mig.nodes(n1):
        mig.migctl(n1, "node add %d 10.99.0.%d" % (FAKE, FAKE))


@test(timeout=int(900 * SCALE))
def authenticated_peer_fuzz(c):
    """mutated frames of every type from an authenticated peer: refused and
    counted, the real link to node 2 stays up"""
    n1, n2 = c.nodes
    ensure_linked(c)
    before = mig.status(n1)["stats"]
    start = time.monotonic()
    out = n1.run_ok("python3 %s auth %s --key %s --src %d --dst 1 --frames %d "
                    "--oot %d --verbose%s" % (WIRE, n1.ip, mig.KEYS["good"], FAKE, FRAMES,
                                    OOT, seed_arg()),
                    timeout=int(850 * SCALE))
    res = last_json(out)
    after = mig.status(n1)["stats"]
    RESULTS["auth"] = res
    diag("seed %s, %d frames in %.0f s (%d connections, %d links dropped "
         "on purpose, %d replaced by the next one, %d dropped unexpectedly)" % (
             res["seed"], res["total"], time.monotonic() - start,
             res["connections"], res["links_dropped_expected"],
             res["links_replaced"], res["links_dropped_unexpected"]))
    diag("sent per type: %s" % " ".join("%s=%d" % kv for kv in sorted(res["sent"].items())))
    diag("link-ending frames: %s" % res["dropping_frames"])
    diag("recorded from the node: %s" % res["recorded"])
    diag("received: %s" % res["received"])
    diag("deep streams %d (homecomings to a deputy %d), guests restored %d, "
         "deputies made %d, ACK errnos %s" % (
             res["deep_streams"], res["homecomings"], res["guests_restored"],
             res["deputies_made"], res["acks_by_errno"]))
    counted = grown(before, after, WIRE_COUNTERS + ("truncated", "moves_in", "moves_failed"))
    diag("node 1 counters grew: %s" % counted)
    for name, n in res["sent"].items():
        want = OOT if name in ("HELLO", "AUTH", "SWITCH") else FRAMES
        assert n >= want, "%s: only %d frames sent" % (name, n)
    assert res["recorded"].get("TASK") and res["recorded"].get("PAGES"), res["recorded"]
    assert not res["unexpected"], "links dropped or kept against the rules: %s" % \
        json.dumps(res["unexpected"])[:3000]
    # Frames the node read (frames_rx also counts node 2's and the
    # fuzzer's barrier PINGs: a lower bound is what can be checked).
    readable = res["total"] - sum(res["dropping_frames"].values())
    diag("node 1 read %d frames, %d of the mutated ones had a valid header" % (
        counted["frames_rx"], readable))
    assert counted["frames_rx"] >= 0.9 * readable, "frames sent but never read"
    # Every kind of damage sent is counted (a short run may not send all).
    for name in WIRE_COUNTERS:
        if name in ("bad_type", "bad_length", "bad_magic", "bad_version") and \
                not res["dropping_frames"].get(name):
            continue
        assert counted[name] > 0, "%s not counted" % name
    _, restores = n1.run("dmesg | grep -E 'not restored: -51[2-6]|prelude step' | head -5")
    if restores.strip():
        diag("internal errnos in refusals: %s" % restores.strip())
    assert mig.nodes(n1)[2]["state"] == "up", "the real link went down"


@test(timeout=300)
def abort_while_restoring(c):
    """reproducer: a guest killed (ABORT, KILL) while it starts answers
    its BEGIN with an ACK carrying a real errno, not -ERESTARTSYS (512)"""
    n1, n2 = c.nodes
    ensure_linked(c)
    out = n1.run_ok("python3 %s case %s --case abort_while_restoring --key %s "
                    "--src %d --dst 1 --frames 12%s" % (
                        WIRE, n1.ip, mig.KEYS["good"], FAKE, seed_arg()),
                    timeout=200)
    res = last_json(out)
    diag(json.dumps(res, sort_keys=True))
    _, log = n1.run("dmesg | grep -E 'not restored: -51[2-6]|prelude step' | head -5")
    assert res["verdict"] == "ok", "ACK values %s; kernel log: %s" % (
        res["acks_by_errno"], log.strip())


@test(timeout=int(600 * SCALE))
def unauthenticated_fuzz(c):
    """mutated HELLO, AUTH and other frames before authentication: every
    connection dropped, counted, the real link untouched"""
    n1, n2 = c.nodes
    ensure_linked(c)
    before = mig.status(n1)["stats"]
    out = n1.run_ok("python3 %s preauth %s --src %d --dst 1 --frames %d%s" % (
        WIRE, n1.ip, FAKE, PREAUTH, seed_arg()), timeout=int(550 * SCALE))
    res = last_json(out)
    RESULTS["preauth"] = res
    after = mig.status(n1)["stats"]
    counted = grown(before, after, PREAUTH_COUNTERS + (
        "bad_magic", "bad_version", "bad_type", "bad_length", "truncated",
        "unknown_peer", "auth_failed", "handshake_timeout"))
    diag("seed %s: %d connections in %s s, kinds %s, verdicts %s" % (
        res["seed"], res["connections"], res["seconds"], res["kinds"], res["verdicts"]))
    diag("node 1 counters grew: %s" % counted)
    for name in PREAUTH_COUNTERS:
        assert counted[name] > 0, "%s not counted" % name
    assert counted["conn_accepted"] >= PREAUTH * 0.9, counted
    assert mig.nodes(n1)[2]["state"] == "up", "the real link went down"


@test(timeout=int(600 * SCALE))
def netlink_fuzz(c):
    """random and mutated generic netlink requests as nobody (admin
    commands refused) and as root; the configuration is then restored"""
    n1, n2 = c.nodes
    ensure_linked(c)
    victim = n1.spawn("exec sleep 3000")
    # As nobody first, with the cluster as it is.
    out = n1.run_ok("setpriv --reuid=65534 --regid=65534 --clear-groups "
                    "python3 %s --count %d --pid %d%s" % (
                        NL, NLCOUNT, victim.pid, seed_arg()),
                    timeout=int(550 * SCALE))
    res = last_json(out)
    RESULTS["netlink_nobody"] = res
    diag("as nobody: %s" % json.dumps(res, sort_keys=True))
    assert res["answers"].get("EPERM"), "no admin command refused"
    assert mig.nodes(n1)[2]["state"] == "up"
    # As root, with no peer to move anything to.
    mig.migctl(n1, "node del 2")
    mig.migctl(n1, "node del %d" % FAKE)
    try:
        out = n1.run_ok("python3 %s --count %d --pid %d%s" % (
            NL, NLCOUNT, victim.pid, seed_arg()), timeout=int(550 * SCALE))
        res = last_json(out)
        RESULTS["netlink_root"] = res
        diag("as root: %s" % json.dumps(res, sort_keys=True))
    finally:
        victim.kill()
        restore(n1)
    mig.wait_state(n1, 2, "up", timeout=60)


def restore(n1):
    """The configuration before the root netlink fuzzer: the key, node 2
    and the fake peer, nothing else."""
    for a in (1, 2, 3):
        rc, _ = n1.run("true")
        if rc == 0:
            break
    mig.set_key(n1)
    for node_id in mig.nodes(n1):
        mig.migctl(n1, "node del %d" % node_id)
    mig.migctl(n1, "node add 2 10.99.0.2")
    mig.migctl(n1, "node add %d 10.99.0.%d" % (FAKE, FAKE))
    n1.run("rm -rf /tmp/mig-exec-place")


@test(timeout=400)
def node_still_works(c):
    """after all of it: a real process moves there and back, exits 42; the
    module unloads on both nodes"""
    n1, n2 = c.nodes
    ensure_linked(c)
    mig.wait_state(n1, 2, "up", timeout=60)
    sp = n1.spawn("exec %s -s 6 -m 8 -x 42" % SPIN)
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    assert [p.get("where") for p in mig.ps(n1) if p["pid"] == pid] == [2], mig.ps(n1)
    mig.move(n1, pid, "home")
    assert sp.wait(120) == 42, sp.output()
    st = mig.status(n1)["stats"]
    diag("node 1 counters: %s" % " ".join("%s=%d" % (k, v) for k, v in sorted(st.items())))
    for name, res in sorted(RESULTS.items()):
        diag("%s: %s" % (name, json.dumps(res, sort_keys=True)[:1500]))
    kml = n1.run("test -e /sys/kernel/debug/kmemleak")[0] == 0
    diag("kmemleak %s" % ("present" if kml else "not available (CONFIG_DEBUG_KMEMLEAK "
                                                  "is not set in the Debian kernel)"))
    # No reference left behind: the module goes.
    for n in (n1, n2):
        wait_until(lambda: n.run("rmmod mig")[0] == 0, timeout=60,
                   what="%s: rmmod mig" % n.name)
        assert not mig.is_loaded(n)


run()

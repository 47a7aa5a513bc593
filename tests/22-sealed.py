#!/usr/bin/python3
"""Sealed links: after the handshake every byte between two nodes is a
TLS 1.3 record under keys only the two ends have. An eavesdropper on the
link sees neither a moved process's memory nor what it writes home;
links are replaced by freshly keyed ones after a byte or time limit
without the processes moved over them noticing; each cipher works."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 2
SPIN = "tests/progs/bin/spin"
CAPTURE = "tests/progs/capture.py"
PORT = 7711
CIPHERS = ("aes128-gcm", "aes256-gcm", "chacha20-poly1305")

# Pieces joined only at run time, so the whole needle exists nowhere but
# in the moved process's heap (HEAP_NEEDLE) or in what it writes (LINE).
SECRET = r"""
import os, signal, sys, time
memory = bytearray(("mig-" + "heap-secret-" + "q7Zx-") * 50000, "ascii")
print("ready", os.getpid(), flush=True)
go = []
signal.signal(signal.SIGUSR1, lambda *a: go.append(1))
while not go:
    time.sleep(0.05)
print("typed: " + "hunter2-" + "pw9c1e", flush=True)
print("heap", memory.count(b"mig-heap-secret-q7Zx-"), flush=True)
"""
HEAP_NEEDLE = "mig-heap-secret-q7Zx-"
LINE = "hunter2-pw9c1e"


def start_spin(node, seconds=10, mib=16):
    sp = node.spawn("exec %s -s %d -m %d -x 42" % (SPIN, seconds, mib))
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="spin ready")
    return sp


def link_view(node, peer):
    return mig.nodes(node)[peer]


@test
def capture_holds_no_plaintext(c):
    """a capture of a move and of a forwarded write holds neither in clear"""
    n1, n2 = c.nodes
    mig.link_all(c.nodes)
    n2.run_ok("rm -f /tmp/cap.stop")
    cap = n2.spawn("exec nice -n -19 python3 %s --port %d --stop /tmp/cap.stop "
                   "--needle %s --needle %s" % (CAPTURE, PORT, HEAP_NEEDLE, LINE))
    wait_until(lambda: "listening" in cap.output(), what="capture running")
    n1.run_ok("cat > /tmp/secret.py << 'EOF'\n%s\nEOF" % SECRET)
    sp = n1.spawn("exec python3 /tmp/secret.py")
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    n1.run_ok("kill -USR1 %d" % pid)
    assert sp.wait(60) == 0, sp.output()
    n2.run_ok("touch /tmp/cap.stop")
    assert cap.wait(30) == 0, cap.output()

    out, seen = sp.output(), cap.output()
    # The process really ran away and really wrote that line home.
    assert "typed: " + LINE in out and "heap 50000" in out, out
    assert link_view(n1, 2)["cipher"] == "aes128-gcm"
    nbytes = int(seen.split("bytes", 1)[1].split()[0])
    diag("captured %d bytes of the link during the move" % nbytes)
    assert nbytes > 1 << 20, "the capture missed the move: %s" % seen
    assert "found" not in seen, "plaintext on the wire: %s" % seen


@test
def knobs_validated(c):
    """cipher and rekey knobs: bad values are refused and change nothing"""
    n1 = c.node(1)
    mig.setup(c.nodes)
    assert mig.knob(n1, "cipher") == \
        "[aes128-gcm] aes256-gcm chacha20-poly1305"
    bad = ["cipher=rot13", "cipher=aes", "rekey_mib=0", "rekey_mib=x",
           "rekey_secs=9", "rekey_secs=-1"]
    out = n1.run_ok("python3 tests/progs/knobs.py %s" % " ".join(bad))
    before = {"cipher": "[aes128-gcm] aes256-gcm chacha20-poly1305",
              "rekey_mib": "4096", "rekey_secs": "3600"}
    for name, value, outcome, after in json.loads(out):
        assert outcome == "EINVAL", (name, value, outcome)
        assert after == before[name], (name, value, after)
    mig.set_knobs(n1, cipher="chacha20-poly1305", rekey_mib=64,
                  rekey_secs=600)
    assert mig.knob(n1, "cipher") == \
        "aes128-gcm aes256-gcm [chacha20-poly1305]"
    mig.set_knobs(n1, cipher="aes128-gcm", rekey_mib=4096, rekey_secs=3600)


@test
def rekeyed_while_processes_move(c):
    """with rekey_mib=1 the link is replaced again and again while moves
    cross in both directions; the processes moved over it never notice,
    the link never goes down"""
    n1, n2 = c.nodes
    mig.link_all(c.nodes)
    up0 = link_view(n1, 2)["up_secs"]
    st1, st2 = mig.status(n1)["stats"], mig.status(n2)["stats"]
    # The calling node (the smaller id) decides when keys are due.
    mig.set_knobs(n1, rekey_mib=1)
    try:
        ones = [start_spin(n1, seconds=12, mib=16) for _ in range(2)]
        twos = [start_spin(n2, seconds=12, mib=16) for _ in range(2)]
        # Both ways at once: each side's senders block on full buffers
        # while its receive loop must keep reading through every switch.
        done = mig.moves_at_once(c.workdir, [(n1, sp.pid, 2) for sp in ones] +
                                 [(n2, sp.pid, 1) for sp in twos])
        assert all(rc == 0 for rc, _ in done.values()), done
        mig.move(n1, ones[0].pid, "home")
        for sp in ones + twos:
            assert sp.wait(120) == 42, sp.output()
    finally:
        mig.set_knobs(n1, rekey_mib=4096)
    after1, after2 = mig.status(n1)["stats"], mig.status(n2)["stats"]
    rekeys = after1["rekeys"] - st1["rekeys"]
    diag("link replaced %d times during %d MiB of moves" % (rekeys, 5 * 16))
    assert rekeys >= 5, rekeys
    assert after2["rekeys"] - st2["rekeys"] >= 5
    for before, after in ((st1, after1), (st2, after2)):
        for counter in ("conn_dropped", "heartbeat_timeout", "bad_record"):
            assert after[counter] == before[counter], counter
    view = link_view(n1, 2)
    assert view["state"] == "up" and view["up_secs"] >= up0, view
    assert view["key_secs"] <= view["up_secs"]


@test
def every_cipher_carries_moves(c):
    """the caller's cipher knob picks the cipher of the next keys; a
    process moves there and back under each"""
    n1, n2 = c.nodes
    mig.link_all(c.nodes)
    try:
        for name in CIPHERS:
            # Loading the key again re-keys the links at once.
            mig.set_knobs(n1, cipher=name)
            mig.set_key(n1)
            mig.wait_state(n1, 2, "up", timeout=60)
            assert link_view(n1, 2)["cipher"] == name
            assert link_view(n2, 1)["cipher"] == name
            sp = start_spin(n1, seconds=5, mib=8)
            mig.move(n1, sp.pid, 2)
            mig.move(n1, sp.pid, "home")
            assert sp.wait(60) == 42, sp.output()
            diag("%s: moved there and back" % name)
    finally:
        mig.set_knobs(n1, cipher="aes128-gcm")


run()

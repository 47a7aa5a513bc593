#!/usr/bin/python3
"""Least privilege at the destination: files a moved process maps are
opened there with its own credentials and must be the same files as at
home; who may move a process follows ptrace's rule; processes with a
root id need accept_root at the destination; a chroot, a mount namespace
or seccomp keep a process home; capability sets and no_new_privs arrive
as they were. Every refused move leaves the process running at home."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 2
SPIN = "tests/progs/bin/spin"
MAPREAD = "tests/progs/bin/mapread"
# An ordinary user: nobody, no supplementary groups.
AS_USER = "setpriv --reuid=65534 --regid=65534 --clear-groups"
# Both copies of a test file get this mtime: size and mtime alike.
MTIME = "2020-02-02 02:02:02"


def linked(c, accept_root=0):
    """Both nodes loaded and linked (once per cluster), accept_root set."""
    n1, n2 = c.nodes
    up = all(mig.is_loaded(n) for n in c.nodes) and \
        mig.nodes(n1).get(2, {}).get("state") == "up" and \
        mig.nodes(n2).get(1, {}).get("state") == "up"
    if not up:
        mig.link_all(c.nodes, accept_root=accept_root)
    mig.set_all(c.nodes, accept_root=accept_root)
    return n1, n2


def ps(node):
    return mig.migctl_json(node, "ps")


def refused(node, pid, dest, *words, user=False):
    """migctl move PID DEST fails at node, its message holding words."""
    cmd = "%s move %d %s" % (mig.MIGCTL, pid, dest)
    rc, out = node.run("%s %s" % (AS_USER, cmd) if user else cmd, timeout=150)
    diag("move %d %s%s -> %d: %s" % (pid, dest, " (as nobody)" if user else "",
                                    rc, out.strip()))
    assert rc != 0, "accepted: " + cmd
    for w in words:
        assert w.lower() in out.lower(), "%r not in %r" % (w, out)


def put_file(node, path, text, mode):
    node.run_ok("mkdir -p -m 755 %s && printf '%s\\n' > %s && chmod %s %s && "
                "touch -d '%s' %s" % (os.path.dirname(path), text, path, mode,
                                      path, MTIME, path))


def read_mapping_away(c, path, home_text, away_text, away_mode):
    """A user's process maps path at node 1 (home_text there); node 2 has
    away_text, of the same size and mtime, mode away_mode. Returns what
    the process reads through its mapping after moving to node 2."""
    n1, n2 = linked(c)
    assert len(home_text) == len(away_text)
    put_file(n1, path, home_text, "644")
    put_file(n2, path, away_text, away_mode)
    sp = n1.spawn("exec %s %s %s" % (AS_USER, MAPREAD, path))
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    assert [g["home_pid"] for g in ps(n2)] == [pid], "not at node 2"
    n1.run_ok("kill -USR1 %d" % pid)
    assert sp.wait(60) == 0, sp.output()
    return sp.output()


@test
def accept_root_knob(c):
    """accept_root: 0 after loading, takes 0 and 1 only, root's to write"""
    mig.link_all(c.nodes, accept_root=None)
    n1 = c.node(1)
    assert mig.knob(n1, "accept_root") == "0"
    assert n1.run_ok("stat -c %a " + mig.SYSFS + "/accept_root").strip() == "644"
    for bad in ("2", "-1", "yes", "''"):
        rc, out = n1.run("/bin/echo %s > %s/accept_root" % (bad, mig.SYSFS))
        assert rc != 0 and "invalid argument" in out.lower(), (bad, out)
    rc, _ = n1.run("%s sh -c 'echo 1 > %s/accept_root'" % (AS_USER, mig.SYSFS))
    assert rc != 0, "nobody wrote accept_root"
    mig.set_knobs(n1, accept_root=1)
    assert mig.knob(n1, "accept_root") == "1"
    mig.set_knobs(n1, accept_root=0)
    assert mig.knob(n1, "accept_root") == "0"


@test
def root_only_file_is_not_read_through_a_mapping(c):
    """node 2's root-only copy of a file a user maps at home is opened as
    the user: denied, the content comes from home"""
    out = read_mapping_away(c, "/tmp/priv/data", "home-content-ok",
                            "root-secret-xyz", "600")
    assert "content: home-content-ok" in out, out
    assert "secret" not in out, "the user read a root-only file: " + out


@test
def another_version_of_same_size_and_mtime_is_not_mapped(c):
    """a readable copy at node 2 with the same size and mtime but other
    content: the digest tells them apart, the content comes from home"""
    out = read_mapping_away(c, "/tmp/priv/version", "version-1-at-home",
                            "version-2-at-node", "644")
    assert "content: version-1-at-home" in out, out


@test
def setuid_program_moves_only_with_ptrace_rights(c):
    """a setuid program a user runs: the user may not move it (EPERM),
    root may; refused, it runs on at home"""
    n1, n2 = linked(c, accept_root=1)
    n1.run_ok("cp %s /tmp/suid-spin && chown root:root /tmp/suid-spin && "
              "chmod 4755 /tmp/suid-spin" % SPIN)
    sp = n1.spawn("exec %s /tmp/suid-spin -s 6 -m 4" % AS_USER)
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    euid = n1.run_ok("grep ^Uid: /proc/%d/status" % sp.pid).split()[2]
    assert euid == "0", "not running setuid root"
    refused(n1, sp.pid, 2, "not permitted", "ptrace", user=True)
    assert sp.running() and not ps(n1), "the refused process was harmed"
    mig.move(n1, sp.pid, 2)
    assert [g["home_pid"] for g in ps(n2)] == [sp.pid]
    assert sp.wait(120) == 42, sp.output()
    wait_until(lambda: not ps(n2), timeout=30, what="guest gone")


@test
def setuid_program_is_placed_only_with_ptrace_rights(c):
    """migctl exec NODE -- a setuid program: a user's placement is dropped
    after the exec (it runs at home), root's is made"""
    n1, n2 = linked(c, accept_root=1)
    n1.run_ok("cp %s /tmp/suid-spin && chown root:root /tmp/suid-spin && "
              "chmod 4755 /tmp/suid-spin" % SPIN)
    for user, placed in ((True, False), (False, True)):
        sp = n1.spawn("exec %s %s exec 2 -- /tmp/suid-spin -s 6 -m 4"
                      % (AS_USER if user else "", mig.MIGCTL))
        wait_until(lambda: "ready" in sp.output(), timeout=60, what="ready")
        there = [g["home_pid"] for g in ps(n2)] == [sp.pid]
        diag("%s: placed %s" % ("nobody" if user else "root", there))
        assert there == placed, "placed" if there else "not placed"
        assert sp.wait(120) == 42, sp.output()
        wait_until(lambda: not ps(n2), timeout=30, what="guest gone")


@test
def root_guest_needs_accept_root(c):
    """a root process: refused by a destination with accept_root 0 (EPERM,
    the reason at migctl), it runs on at home; accepted with 1"""
    n1, n2 = linked(c, accept_root=0)
    # sp (CPU seconds) must outlast the refusals and capped's whole run.
    sp = n1.spawn("exec %s -s 12 -m 4" % SPIN)
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
    refused(n1, sp.pid, 2, "not permitted", "accept_root")
    assert sp.running() and not ps(n1) and not ps(n2), "left a trace"
    # Capabilities make a process as mighty as root, whatever its ids.
    capped = n1.spawn("exec %s --inh-caps=+net_raw --ambient-caps=+net_raw %s -s 3 -m 4"
                      % (AS_USER, SPIN))
    wait_until(lambda: "ready" in capped.output(), timeout=30, what="ready")
    refused(n1, capped.pid, 2, "not permitted", "accept_root")
    assert capped.wait(120) == 42, capped.output()
    mig.set_knobs(n2, accept_root=1)
    mig.move(n1, sp.pid, 2)
    assert [g["home_pid"] for g in ps(n2)] == [sp.pid]
    assert sp.wait(120) == 42, sp.output()


SECCOMP_ALLOW_ALL = (
    "import ctypes, time; libc = ctypes.CDLL(None, use_errno=True); "
    "f = (ctypes.c_ushort * 4)(6, 0, 0, 0x7fff); "  # BPF_RET|BPF_K, ALLOW
    "prog = (ctypes.c_ushort * 8)(1); "
    "ctypes.memmove(ctypes.addressof(prog) + 8, "
    "ctypes.byref(ctypes.c_void_p(ctypes.addressof(f))), 8); "
    "assert libc.prctl(38, 1, 0, 0, 0) == 0; "          # NO_NEW_PRIVS
    "assert libc.prctl(22, 2, ctypes.c_void_p(ctypes.addressof(prog)), 0, 0) == 0, "
    "ctypes.get_errno(); "                              # SECCOMP filter
    "print('ready', flush=True); time.sleep(60)")


@test
def chroot_namespace_and_seccomp_stay_home(c):
    """a chroot, a mount namespace, a seccomp filter: refused with a
    reason, the processes run on"""
    n1, n2 = linked(c, accept_root=1)
    n1.run_ok("mkdir -p /tmp/cr && cp %s-static /tmp/cr/spin" % SPIN)
    procs = [(n1.spawn("exec chroot /tmp/cr /spin -s 60 -m 4"), "chroot"),
             (n1.spawn("exec unshare -m %s -s 60 -m 4" % SPIN), "mount namespace"),
             (n1.spawn("exec python3 -c \"%s\"" % SECCOMP_ALLOW_ALL), "seccomp")]
    for sp, why in procs:
        wait_until(lambda: "ready" in sp.output(), timeout=30, what=why)
        if why == "seccomp":
            assert n1.run_ok("grep ^Seccomp: /proc/%d/status"
                             % sp.pid).split()[1] == "2", "no filter"
        refused(n1, sp.pid, 2, "not permitted", why)
    for sp, why in procs:
        assert sp.running(), "%s: the refused process died" % why
        sp.kill()
    assert not ps(n1) and not ps(n2)


CAP_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")


def cap_status(node, pid):
    out = node.run_ok("grep -E '^(%s):' /proc/%d/status" % ("|".join(CAP_FIELDS), pid))
    return dict(line.split(":\t") for line in out.splitlines())


@test
def capabilities_and_no_new_privs_move(c):
    """capability sets, bounding and ambient included, and no_new_privs
    are the same at the destination: for root with a cut bounding set,
    and for a user with an ambient capability"""
    n1, n2 = linked(c, accept_root=1)
    cmds = ["setpriv --no-new-privs --bounding-set=-all,+net_raw,+kill",
            AS_USER + " --inh-caps=+net_raw --ambient-caps=+net_raw "
            "--bounding-set=-all,+net_raw --no-new-privs"]
    for cmd in cmds:
        sp = n1.spawn("exec %s %s -s 20 -m 4" % (cmd, SPIN))
        wait_until(lambda: "ready" in sp.output(), timeout=30, what="ready")
        home = cap_status(n1, sp.pid)
        diag("at home: %s" % home)
        assert home["NoNewPrivs"] == "1" and home["CapPrm"] != "0" * 16, home
        mig.move(n1, sp.pid, 2)
        (guest,) = [g for g in ps(n2) if g["home_pid"] == sp.pid]
        away = cap_status(n2, guest["pid"])
        assert away == home, "at node 2: %s" % away
        sp.kill()
        wait_until(lambda: not ps(n2), timeout=30, what="guest gone")


def spin_at(node, seconds=8):
    sp = node.spawn("exec %s -s %d -m 4 -x 42" % (SPIN, seconds))
    wait_until(lambda: "ready" in sp.output(), timeout=30, what="spin ready")
    return sp


def guest_cgroup(node, home_pid):
    """The cgroup of the guest of home_pid at node, as /proc shows it."""
    (g,) = [e for e in ps(node) if e.get("home_pid") == home_pid]
    return node.run_ok("cat /proc/%d/cgroup" % g["pid"]).strip()


@test
def guests_run_in_their_cgroup(c):
    """guests join the guest_cgroup knob's cgroup (made on first use), so
    its limits hold; one that cannot be joined keeps the process home"""
    n1, n2 = linked(c, accept_root=1)
    try:
        assert mig.knob(n2, "guest_cgroup") == "mig-guests"
        out = n2.run_ok("python3 tests/progs/knobs.py guest_cgroup=../x "
                        "guest_cgroup=/abs guest_cgroup=a//b guest_cgroup=. "
                        "'guest_cgroup=a b'")
        for name, value, outcome, after in json.loads(out):
            assert outcome == "EINVAL" and after == "mig-guests", (value, outcome)

        sp = spin_at(n1)
        mig.move(n1, sp.pid, 2)
        assert guest_cgroup(n2, sp.pid) == "0::/mig-guests"
        procs = n2.run_ok("cat /sys/fs/cgroup/mig-guests/cgroup.procs").split()
        assert len(procs) == 1, procs

        mig.set_knobs(n2, guest_cgroup="batch/mig")
        sp2 = spin_at(n1)
        mig.move(n1, sp2.pid, 2)
        assert guest_cgroup(n2, sp2.pid) == "0::/batch/mig"

        # No cgroup2 there: refused with the reason, the process stays home.
        n2.run_ok("mount -t tmpfs none /sys/fs/cgroup")
        sp3 = spin_at(n1)
        refused(n1, sp3.pid, 2, "cgroup")
        n2.run_ok("umount /sys/fs/cgroup")
        for p in (sp, sp2, sp3):
            assert p.wait(120) == 42, p.output()
    finally:
        mig.set_knobs(n2, guest_cgroup="mig-guests")


@test
def peer_quota_refuses_with_reason(c):
    """past peer_max_guests a move is refused (EUSERS), counted, and the
    process runs on at home"""
    n1, n2 = linked(c, accept_root=1)
    mig.set_knobs(n2, peer_max_guests=1)
    try:
        before = mig.status(n2)["stats"]["refused_quota"]
        sp = spin_at(n1)
        mig.move(n1, sp.pid, 2)
        sp2 = spin_at(n1)
        refused(n1, sp2.pid, 2, "as many processes of this node")
        assert mig.status(n2)["stats"]["refused_quota"] == before + 1
        for p in (sp, sp2):
            assert p.wait(120) == 42, p.output()
        out = n2.run_ok("python3 tests/progs/knobs.py peer_max_guests=0 "
                        "peer_max_incoming=0 peer_max_incoming=x")
        for name, value, outcome, after in json.loads(out):
            assert outcome == "EINVAL", (name, value, outcome)
    finally:
        mig.set_knobs(n2, peer_max_guests=256)


run()

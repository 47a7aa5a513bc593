#!/usr/bin/python3
"""mig as a cluster service: one cluster map applied with `migctl up` on
every node (the own entry accepted), a changed map adding and removing a
peer, a bad map refused with its line and changing nothing, `migctl down`
bringing a guest and a process away home before removing the peers; the
version, the man pages, the bash completion and the systemd unit."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, skip, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 2
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The version of module and migctl alike (None before there was one).
VERSION = (open(os.path.join(REPO, "VERSION")).read().strip()
           if os.path.exists(os.path.join(REPO, "VERSION")) else None)
DIR = "/tmp/mig"
MAP = DIR + "/cluster.conf"
KEY = DIR + "/cluster.key"
SPIN = "tests/progs/bin/spin"

# The map of the two nodes, the same on both (node 3 is nobody).
BASE = """# the test cluster
key cluster.key
node 1 10.99.0.1
node 2 10.99.0.2
"""


def host(cmd, **kw):
    """A command on the build machine: (rc, output)."""
    p = subprocess.run(cmd, shell=True, cwd=REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, **kw)
    return p.returncode, p.stdout


def write_map(node, text, path=MAP):
    node.run_ok("mkdir -p %s && cat > %s" % (DIR, path), input=text)


def write_key(node, name="good", mode="600"):
    octal = "".join("\\%03o" % b for b in bytes.fromhex(mig.KEYS[name]))
    node.run_ok("mkdir -p %s && (umask 077; printf '%s' > %s) && chmod %s %s"
                % (DIR, octal, KEY, mode, KEY))


def up(node, args="", check=True):
    rc, out = node.run("%s up %s %s" % (mig.MIGCTL, args, MAP), timeout=60)
    diag("%s: migctl up %s -> %d\n%s" % (node.name, args, rc, out.rstrip()))
    assert rc == 0 or not check, out
    return rc, out


def config(node):
    """What `up` may change: the peers with their addresses, the key."""
    peers = {i: (e["address"], e["port"]) for i, e in mig.nodes(node).items()}
    return peers, mig.status(node)["key"]


def up_secs(node, peer):
    return mig.nodes(node)[peer].get("up_secs") or 0


def fresh_modules(c):
    """Both nodes: the module loaded with no key and no peer."""
    mig.on_each(c.nodes, lambda n: n.run_ok(
        "if test -d /sys/module/mig; then rmmod mig; fi; %s; %s"
        % (mig.WARM_CRYPTO, mig._load_cmd(n))))


def map_up(c):
    """The shared cluster with the base map applied (once)."""
    n1, n2 = c.nodes
    if all(mig.is_loaded(n) for n in c.nodes) and \
            mig.nodes(n1).get(2, {}).get("state") == "up" and \
            mig.nodes(n2).get(1, {}).get("state") == "up":
        return n1, n2
    fresh_modules(c)
    for n in c.nodes:
        write_key(n)
        write_map(n, BASE)
        up(n)
    mig.wait_state(n1, 2, "up", timeout=90)
    mig.wait_state(n2, 1, "up", timeout=90)
    return n1, n2


# ------------------------------------------------ on the build machine

@test(nodes=0)
def man_pages_render(c):
    """man -l renders migctl(8) and mig(7) without warnings; migctl(8)
    names every command of `migctl help`"""
    if not shutil.which("man"):
        skip("no man on this machine")
    for page, words in (("man/migctl.8", ("migctl up", "migctl down", "EXIT STATUS",
                                          "CLUSTER MAP", "EXAMPLES")),
                        ("man/mig.7", ("node_id", "heartbeat_timeout_ms", "expel",
                                       "live_min_kb", "peer_max_guests", "accept_root"))):
        rc, out = host("MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l %s 2>&1 >/dev/null" % page)
        assert rc == 0 and not out.strip(), "%s: %s" % (page, out)
        rc, out = host("MANWIDTH=80 LC_ALL=C.UTF-8 man -l %s | col -b" % page)
        assert rc == 0, out
        for w in words:
            assert w in out, "%s does not mention %s" % (page, w)
    _, helptext = host("userspace-ctl/migctl help")
    _, page = host("MANWIDTH=200 LC_ALL=C.UTF-8 man -l man/migctl.8 | col -b")
    page = re.sub(r"\s+", " ", page)
    for line in helptext.split("Commands:")[1].split("Options:")[0].splitlines():
        words = line.split()
        if not words:
            continue
        cmd = " ".join(w for w in words[:2] if re.match(r"^[a-z]+$", w))
        assert "migctl " + cmd in page, "migctl(8) lacks 'migctl %s'" % cmd


@test(nodes=0)
def version_and_completion(c):
    """migctl --version says VERSION; bash completes commands, subcommands
    and options"""
    assert VERSION, "no file VERSION"
    rc, out = host("userspace-ctl/migctl --version")
    assert rc == 0 and ("migctl %s " % VERSION) in out, out
    rc, out = host("modinfo -F version kmod/mig.ko")
    assert out.strip() == VERSION, out
    dkms = open(os.path.join(REPO, "dkms.conf")).read()
    assert 'PACKAGE_VERSION="%s"' % VERSION in dkms, "dkms.conf's version is not VERSION"
    if not shutil.which("bash"):
        skip("no bash")

    def complete(line):
        """What completing the last word of line offers."""
        words = line.split(" ")
        script = ("source completion/migctl; PATH=%s/userspace-ctl:$PATH; "
                  "COMP_LINE=\"$1\"; shift; COMP_WORDS=(\"$@\"); "
                  "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_POINT=${#COMP_LINE}; "
                  "_migctl; printf '%%s\\n' \"${COMPREPLY[@]}\"" % REPO)
        p = subprocess.run(["bash", "-c", script, "bash", line] + words, cwd=REPO,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        assert p.returncode == 0, p.stdout
        return set(p.stdout.split())

    got = complete("migctl ")
    assert {"up", "down", "node", "map", "move", "status", "ps"} <= got, got
    assert complete("migctl node ") == {"add", "del", "list"}
    assert complete("migctl map ") == {"check", "params"}
    assert "--dry-run" in complete("migctl up --")
    assert "home" in complete("migctl move 1 ")


@test(nodes=0)
def systemd_unit_verifies(c):
    """the unit passes systemd-analyze verify"""
    if not shutil.which("systemd-analyze"):
        skip("no systemd-analyze on this machine")
    d = tempfile.mkdtemp()
    try:
        rc, out = host("make -s -C %s service-files SBINDIR=%s/userspace-ctl O=%s"
                       % (REPO, REPO, d))
        assert rc == 0, out
        unit = os.path.join(d, "mig.service")
        text = open(unit).read()
        for w in ("migctl up", "migctl down", "map params", "modprobe"):
            assert w in text, "the unit lacks %s" % w
        # systemd would expand a lone $NAME itself: the shell's are $$.
        for line in text.splitlines():
            if line.startswith("Exec"):
                assert "$" not in line.replace("$$", ""), line
        # The module's load, as systemd runs it: with a map (this host
        # named by this_node) and echo for modprobe.
        pre = [ln for ln in text.splitlines() if ln.startswith("ExecStartPre=")][0]
        cmd = pre.split("=", 1)[1].replace("$$", "$")
        cmd = cmd.replace("/etc/mig/cluster.conf", d + "/cluster.conf")
        cmd = cmd.replace("/sbin/modprobe", "echo")
        with open(d + "/cluster.conf", "w") as f:
            f.write("node 1 192.0.2.201\nnode 7 192.0.2.207:7800\n")
        with open(d + "/this_node", "w") as f:
            f.write("7\n")
        rc, out = host(cmd)
        assert rc == 0 and out.strip() == "mig node_id=7 port=7800", (cmd, out)
        # Documentation= names the man pages: found as installed.
        for sec, page in (("7", "mig.7"), ("8", "migctl.8")):
            os.makedirs(os.path.join(d, "man", "man" + sec))
            shutil.copy(os.path.join(REPO, "man", page), os.path.join(d, "man", "man" + sec))
        rc, out = host("MANPATH=%s/man systemd-analyze verify %s" % (d, unit))
        diag(out.strip())
        assert rc == 0, out
    finally:
        shutil.rmtree(d)


# ------------------------------------------------ in the virtual cluster

@test
def one_map_brings_links_up(c):
    """the same map with `migctl up` on both nodes: the own entry is
    accepted, the key loaded, the links come up; again: nothing changes"""
    fresh_modules(c)
    n1, n2 = c.nodes
    for n in c.nodes:
        write_key(n)
        write_map(n, BASE)
        out = n.run_ok("%s map params %s" % (mig.MIGCTL, MAP)).strip()
        assert out == "node_id=%d" % n.index, out
        _, out = up(n)
        assert "this node: %d at %s:7711" % (n.index, n.ip) in out, out
        assert "key: loaded" in out and "1 added" in out, out
        st = mig.status(n)
        assert st["address"] == n.ip and st["key"], st
    mig.wait_state(n1, 2, "up", timeout=90)
    mig.wait_state(n2, 1, "up", timeout=90)
    # Again: the key is the same, the link stays.
    time.sleep(2)
    before = up_secs(n1, 2)
    _, out = up(n1)
    assert "key: unchanged" in out and "0 added, 0 changed, 0 removed, 1 unchanged" in out, out
    time.sleep(1.5)
    assert mig.nodes(n1)[2]["state"] == "up" and up_secs(n1, 2) > before, \
        "the link was dropped by a second up"
    # node add of the own id: accepted with this host's address only.
    mig.migctl(n1, "node add 1 10.99.0.1")
    rc, out = mig.migctl(n1, "node add 1 10.99.0.9", check=False)
    assert rc == 1 and "not an address of this host" in out, out
    rc, out = mig.migctl(n1, "node add 1 10.99.0.1:7800", check=False)
    assert rc == 1 and "port" in out, out


@test
def changed_map_adds_and_removes_a_peer(c):
    """a map with node 3 more adds it (dry run first: no change); without
    it again, it goes; the link between 1 and 2 is never touched"""
    n1, n2 = map_up(c)
    before = up_secs(n1, 2)
    write_map(n1, BASE + "node 3 10.99.0.3:7800\n")
    _, out = up(n1, "--dry-run")
    assert "would add node 3 at 10.99.0.3:7800" in out, out
    assert 3 not in mig.nodes(n1), "a dry run changed the peers"
    _, out = up(n1)
    assert "added node 3 at 10.99.0.3:7800" in out and "key: unchanged" in out, out
    assert mig.nodes(n1)[3]["port"] == 7800
    write_map(n1, BASE.replace("10.99.0.2", "10.99.0.2:7711") + "node 3 10.99.0.3\n")
    _, out = up(n1)
    assert "changed node 3: 10.99.0.3:7800 -> 10.99.0.3:7711" in out, out
    write_map(n1, BASE)
    _, out = up(n1)
    assert "removed node 3" in out and "1 unchanged" in out, out
    assert sorted(mig.nodes(n1)) == [2]
    assert mig.nodes(n1)[2]["state"] == "up" and up_secs(n1, 2) >= before, \
        "the link to node 2 was dropped"


@test
def bad_map_changes_nothing(c):
    """bad lines, no own entry, a wrong own address or port, an exposed
    key, another host's this_node: each refused with the file and line,
    exit status 2, the peers and key as they were"""
    n1, n2 = map_up(c)
    before = config(n1)
    bad = {
        BASE + "node 3 10.99.0.3\nnod 4 10.99.0.4\n": "cluster.conf:6: unknown keyword 'nod'",
        BASE + "node 2 10.99.0.7\n": "cluster.conf:5: node 2 is at line 4 already",
        BASE + "node 3 127.0.0.1\n": "cluster.conf:5: 127.0.0.1 is not a unicast",
        BASE + "node 70000 10.99.0.3\n": "cluster.conf:5: invalid node ID '70000'",
        BASE + "node 3 10.99.0.2\n": "cluster.conf:5: 10.99.0.2:7711 is node 2's address",
        BASE + "key other.key\n": "cluster.conf:5: a second key line",
        BASE.replace("node 1 10.99.0.1\n", "") + "node 3 10.99.0.3\n":
            "has no entry for this node",
        BASE.replace("10.99.0.1", "10.99.0.9"): "cluster.conf:3: 10.99.0.9 is not an address of this host",
        BASE.replace("10.99.0.1", "10.99.0.1:7800"): "cluster.conf:3: node 1 (this node) has port 7800",
        "# nothing\n": "no node in the map",
    }
    for text, words in bad.items():
        write_map(n1, text)
        rc, out = up(n1, check=False)
        assert rc == 2 and words in out, "%r -> %d: %s" % (words, rc, out)
    write_map(n1, BASE + "node 3 10.99.0.3\n")
    write_key(n1, "bad", mode="644")
    rc, out = up(n1, check=False)
    assert rc == 2 and "chmod 600" in out and "cluster.conf:2:" in out, out
    write_key(n1, "good")
    # this_node next to the map names node 2: this host is not node 1.
    n1.run_ok("echo 2 > %s/this_node" % DIR)
    try:
        assert n1.run_ok("%s map params %s" % (mig.MIGCTL, MAP)).strip() == "node_id=2"
        rc, out = up(n1, check=False)
        assert rc == 2 and "module runs as node 1" in out, out
    finally:
        n1.run_ok("rm -f %s/this_node" % DIR)
    assert config(n1) == before, "changed: %s -> %s" % (before, config(n1))
    assert mig.nodes(n1)[2]["state"] == "up"
    write_map(n1, BASE)


@test(timeout=400)
def down_brings_everything_home(c):
    """node 1 with a guest of node 2 and a process away at node 2:
    `migctl down` sends the guest home, brings its process home, then
    removes its peer; both finish intact; `migctl up` links it again"""
    n1, n2 = map_up(c)
    mig.set_all(c.nodes, accept_root=1)
    away = n1.spawn("exec %s -s 25 -m 4" % SPIN)
    away_pid = mig.ready(away)
    guest = n2.spawn("exec %s -s 25 -m 4" % SPIN)
    guest_pid = mig.ready(guest)
    mig.move(n1, away_pid, 2)
    mig.move(n2, guest_pid, 1)
    roles = sorted(p["role"] for p in mig.ps(n1))
    assert roles == ["deputy", "guest"], mig.ps(n1)
    rc, out = n1.run("%s down -t 120" % mig.MIGCTL, timeout=200)
    diag(out.rstrip())
    assert rc == 0, out
    assert "pid %d home from node 2" % away_pid in out, out
    assert "removed node 2" in out and "out of the cluster: 1 peer removed" in out, out
    assert mig.ps(n1) == [], mig.ps(n1)
    assert mig.nodes(n1) == {}, mig.nodes(n1)
    assert mig.status(n1)["address"] is None
    assert mig.knob(n1, "expel") == "0" and mig.knob(n1, "block") == "0"
    assert mig.knob(n1, "balance") == "0"
    wait_until(lambda: not mig.ps(n2), timeout=30, what="node 2's guest gone, its process home")
    assert away.wait(120) == 42, away.output()
    assert guest.wait(120) == 42, guest.output()
    mig.wait_state(n2, 1, "down", timeout=30)
    # Back in the cluster with the same map.
    _, out = up(n1)
    assert "added node 2" in out and "key: unchanged" in out, out
    mig.wait_state(n1, 2, "up", timeout=90)
    mig.wait_state(n2, 1, "up", timeout=90)


@test
def version_in_status(c):
    """migctl status and /sys/module/mig/version show VERSION"""
    assert VERSION, "no file VERSION"
    n1 = c.node(1)
    if not mig.is_loaded(n1):
        mig.load(n1)
    assert mig.status(n1)["version"] == VERSION
    assert n1.run_ok("cat /sys/module/mig/version").strip() == VERSION
    out = mig.migctl(n1, "status")
    assert re.search(r"module version:\s+%s\n" % re.escape(VERSION), out), out
    out = mig.migctl(n1, "--version")
    assert "migctl %s " % VERSION in out, out


run()

"""mig-specific helpers for tests: load the module on a node, configure
it with migctl, read its state back as JSON."""

import json
import os
import threading
import time

from cluster import CommandFailed, wait_until

MIGCTL = "userspace-ctl/migctl"
MODULE = "kmod/mig.ko"
KEY_FILE = "/tmp/mig.key"
# Node N uses key byte pattern KEYS[name]; nodes sharing a name share a key.
KEYS = {
    "good": "6d69672d746573742d6b65792d676f6f642d3031323334353637383961626364",
    "bad": "6d69672d746573742d6b65792d7772726f6e672d303132333435363738396162",
}


def migctl(node, args, check=True, timeout=30):
    """Runs migctl on node; returns (rc, output) or output when check."""
    rc, out = node.run("%s %s" % (MIGCTL, args), timeout=timeout)
    if check and rc != 0:
        raise CommandFailed(node.name, "migctl " + args, rc, out)
    return out if check else (rc, out)


def migctl_json(node, args):
    out = node.run_ok("%s -j %s 2>/dev/null" % (MIGCTL, args))
    return json.loads(out)


def _load_cmd(node, node_id=None, accept_root=1, **params):
    params.setdefault("node_id", node_id or node.index)
    args = " ".join("%s=%s" % kv for kv in params.items())
    cmd = "insmod %s %s" % (MODULE, args)
    if accept_root is not None:
        cmd += " && echo %d > %s/accept_root" % (accept_root, SYSFS)
    return cmd


def load(node, node_id=None, accept_root=1, **params):
    """insmod mig.ko on node, node_id defaulting to the node's index.

    accept_root (the /sys/kernel/mig knob, 0 by default in the module) is
    set to 1 here unless told otherwise: most tests move processes of the
    harness, which run as root, and a destination with accept_root 0
    refuses them (tests/45-privilege.py tests the knob itself)."""
    node.run_ok("rm -f %s; %s" % (LINKED_FILE, _load_cmd(node, node_id, accept_root, **params)))


def unload(node):
    node.run_ok("rm -f %s; rmmod mig" % LINKED_FILE)


def is_loaded(node):
    return node.run("test -d /sys/module/mig")[0] == 0


def _key_cmd(name):
    """Shell words that write key `name` into KEY_FILE (mode 600) and give
    it to the module: printf with octal escapes, no python3 to start."""
    octal = "".join("\\%03o" % b for b in bytes.fromhex(KEYS[name]))
    return ("(umask 077; printf '%s' > %s) && %s key set %s"
            % (octal, KEY_FILE, MIGCTL, KEY_FILE))


def set_key(node, name="good"):
    node.run_ok("rm -f %s; %s" % (LINKED_FILE, _key_cmd(name)))


# The first sealed link after a node boots loads tls, gcm, ctr, ghash and
# curve25519 and instantiates gcm(aes), whose self-tests take seconds
# under TCG: the first handshake then outlasts its 5 s limit, the link
# comes up 10-15 s late and flaps once. Done here first (once per boot,
# gcm being loaded tells), the links come up in a second. It changes
# nothing the module does: the same algorithms, already there.
WARM_CRYPTO = ("{ test -d /sys/module/gcm || { modprobe -a tls gcm ctr ghash_generic "
               "ghash_clmulni_intel curve25519_x86_64 curve25519_generic; python3 -c "
               "'import socket; socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET)"
               ".bind((\"aead\", \"gcm(aes)\"))'; } ; true; }")


def on_each(nodes, fn):
    """Calls fn(node) for every node at once, each in a thread of its own
    (every guest has its own CPU), and waits for all; re-raises the first
    error, in node order."""
    errors = [None] * len(nodes)

    def one(i, n):
        try:
            fn(n)
        except BaseException as e:  # noqa: B902 - handed to the caller
            errors[i] = e

    threads = [threading.Thread(target=one, args=(i, n), daemon=True)
               for i, n in enumerate(nodes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e


def setup(nodes, peers=None, key="good", keys=None, **params):
    """Loads the module on each node, sets its key and adds every other
    node of `peers` (default: nodes) as a peer.

    Every node of `nodes` unloads first, then they all load together: a
    node loaded while a peer still ran its old module would link to that
    module and see the link drop when the peer unloads. Each node's set-up
    is one shell command (one agent round trip), run on the nodes in
    parallel."""
    peers = peers or nodes
    keys = keys or {}
    on_each(nodes, lambda n: n.run_ok("rm -f %s; if test -d /sys/module/mig; then rmmod mig; fi"
                                      % LINKED_FILE))

    def one(n):
        cmd = [WARM_CRYPTO, _load_cmd(n, **params), _key_cmd(keys.get(n.index, key))]
        cmd += ["%s node add %d %s" % (MIGCTL, p.index, p.ip) for p in peers if p is not n]
        n.run_ok(" && ".join(cmd))
    on_each(nodes, one)


def nodes(node):
    """{id: entry} from `migctl -j node list`."""
    return {e["id"]: e for e in migctl_json(node, "node list")}


def status(node):
    return migctl_json(node, "status")


def wait_state(node, peer_id, state, timeout=30):
    """Waits until node shows peer_id in state; returns the entry and the
    seconds it took."""
    start = time.monotonic()
    deadline = start + timeout
    entry = None
    while True:
        entry = nodes(node).get(peer_id)
        if entry and entry["state"] == state:
            return entry, time.monotonic() - start
        if time.monotonic() > deadline:
            raise AssertionError("%s: node %d is %s, not %s after %ds" %
                                 (node.name, peer_id, entry and entry["state"],
                                  state, timeout))
        time.sleep(0.3)


def link_all(nodes, timeout=90, **params):
    """setup() on every node, then waits until each sees each other up.
    A plain link_all(nodes) (no parameters) leaves each node a note of
    its module's set-up, for relink()."""
    setup(nodes, **params)
    for a in nodes:
        for b in nodes:
            if a is not b:
                wait_state(a, b.index, "up", timeout=timeout)
    if not params:
        on_each(nodes, lambda n: _write_note(n, nodes))


# What a plain link_all() left at a node, written to LINKED_FILE (tmpfs,
# gone with a reboot): the module instance (its listener thread's pid,
# new at every insmod), every /sys/kernel/mig knob and module parameter
# (the load figures aside) and the peers it was linked to. The library's
# load(), unload(), set_key() and setup() remove the file.
LINKED_FILE = "/run/migtest.linked"
# The instance and the knobs, in few processes: an exec is 0.1-0.3 s
# under TCG. The listener's pid from /proc with shell builtins only.
_INSTANCE = ("for p in /proc/[0-9]*; do read -r c < $p/comm && [ \"$c\" = mig_listen ] && "
             "echo listener=${p#/proc/}; done 2>/dev/null; "
             "grep -s . /sys/kernel/mig/* /sys/module/mig/parameters/*")


def _linked_note(node, nodes, instance):
    """The note of LINKED_FILE from _INSTANCE's output."""
    lines = [ln for ln in instance.splitlines()
             if ln.strip() and not ln.startswith("/sys/kernel/mig/load:")]
    return "\n".join(["peers=%s" % ",".join(str(p.index) for p in nodes if p is not node)]
                     + lines) + "\n"


def _write_note(node, nodes):
    note = _linked_note(node, nodes, node.run_ok(_INSTANCE))
    assert "listener=" in note, "no mig_listen thread: %s" % note
    node.run_ok("cat > %s" % LINKED_FILE, input=note)


def _still_linked(node, nodes):
    """True if node's module is the one a plain link_all(nodes) set up,
    its knobs and parameters unchanged, no process of mig there (no
    deputy, guest, pinned process or move) and every link up."""
    rc, out = node.run("cat %s && echo @@ && { %s; } && echo @@ && %s -j ps && echo @@ && "
                       "%s -j node list" % (LINKED_FILE, _INSTANCE, MIGCTL, MIGCTL))
    parts = out.split("@@\n")
    if rc != 0 or len(parts) != 4:
        return False
    note, instance, ps_out, links = parts
    if note != _linked_note(node, nodes, instance):
        return False
    try:
        if json.loads(ps_out) != []:
            return False
        links = {e["id"]: e["state"] for e in json.loads(links)}
    except ValueError:
        return False
    return links == {p.index: "up" for p in nodes if p is not node}


def relink(nodes, timeout=90):
    """link_all(nodes), unless every node is still as the previous plain
    link_all(nodes) left it (see _still_linked()): then the module is not
    loaded again. For tests that need a linked cluster but not a module
    just loaded: its counters go on from the tests before (compare them
    with a baseline) and its links may have been up for long."""
    start = time.monotonic()
    ok = [False] * len(nodes)

    def check(i, n):
        ok[i] = n.alive and _still_linked(n, nodes)
    on_each(nodes, lambda n: check(nodes.index(n), n))
    if all(ok):
        print("relink: module kept (%.1fs)" % (time.monotonic() - start))
        return
    link_all(nodes, timeout=timeout)
    print("relink: linked anew (%.1fs; kept at no node, or not at: %s)" % (
        time.monotonic() - start,
        ", ".join(n.name for n, k in zip(nodes, ok) if not k)))


def link_settled(group, secs=5, reuse=False, **params):
    """link_all() (relink() with reuse), then waits until every link has
    been up for secs: a link may go down and up once in its first seconds
    (an older peer's connection), which would fail a move made
    meanwhile."""
    if reuse:
        assert not params, "reuse=True with module parameters"
        relink(group)
    else:
        link_all(group, **params)
    for a in group:
        for b in group:
            if a is not b:
                wait_until(lambda: (nodes(a).get(b.index) or {}).get(
                    "up_secs", 0) >= secs, timeout=60,
                    what="link %s -> %d up for %d s" % (a.name, b.index, secs))


def ready(sp, timeout=60):
    """Waits for a spawned test program's "ready PID" line; returns PID."""
    wait_until(lambda: "ready" in sp.output(), timeout=timeout, what="ready")
    return int(sp.output().split("ready", 1)[1].split()[0])


def start_waiter(node, mode):
    """Starts tests/progs/waiter MODE on a fresh FIFO at node: returns
    (Spawned, pid, fifo path) once it is ready."""
    fifo = "/tmp/w/%s.fifo" % mode
    node.run_ok("mkdir -p /tmp/w && rm -f %s && mkfifo %s" % (fifo, fifo))
    sp = node.spawn("exec tests/progs/bin/waiter %s %s" % (mode, fifo))
    return sp, ready(sp), fifo


def move(node, pid, dest, check=True, timeout=150):
    """migctl move PID DEST (a node id or "home") at node: (rc, output);
    with check, a failed move fails the test with migctl's message."""
    rc, out = migctl(node, "move %d %s" % (pid, dest), check=False,
                     timeout=timeout)
    assert rc == 0 or not check, out
    return rc, out


def wait_rtt(node, peer_id, timeout=15):
    """Waits for a heartbeat round trip to be measured; returns it in us."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rtt = nodes(node).get(peer_id, {}).get("rtt_us") or 0
        if rtt > 0:
            return rtt
        time.sleep(0.3)
    return 0


def ps(node):
    """`migctl -j ps` at node: its deputies, guests and pinned processes."""
    return migctl_json(node, "ps")


def moves_at_once(workdir, moves, timeout=600):
    """Starts every (node, pid, dest) move of `moves` at the same moment:
    one shell per node waits for a file in the cluster's work directory
    (which every guest sees), then starts its `migctl -j move`s in
    parallel. Returns {(node index, pid): (rc, output)}."""
    go = os.path.join(str(workdir), "go.%d" % time.monotonic_ns())
    by_node = {}
    for node, pid, dest in moves:
        by_node.setdefault(node, []).append("%d:%s" % (pid, dest))
    shells = []
    for node, todo in by_node.items():
        script = ("d=$(mktemp -d); while [ ! -e %s ]; do sleep 0.02; done; "
                  "for m in %s; do (%s -j move ${m%%:*} ${m#*:} >$d/${m%%:*} 2>&1; "
                  "echo \"rc $?\" >>$d/${m%%:*}) & done; wait; "
                  "for m in %s; do echo \"== ${m%%:*}\"; cat $d/${m%%:*}; done"
                  % (go, " ".join(todo), MIGCTL, " ".join(todo)))
        shells.append((node, node.spawn(script)))
    open(go, "w").close()
    results = {}
    try:
        for node, sp in shells:
            rc = sp.wait(timeout)
            out = sp.output()
            assert rc == 0, "%s: moves did not end: %s" % (node.name, out)
            for block in out.split("== ")[1:]:
                head, _, body = block.partition("\n")
                lines = body.rstrip("\n").splitlines()
                rc = int(lines[-1].split()[1]) if lines and lines[-1].startswith("rc ") else None
                results[(node.index, int(head))] = (rc, "\n".join(lines[:-1]))
    finally:
        os.unlink(go)
    return results


# ------------------------------------------------ load balancing knobs

SYSFS = "/sys/kernel/mig"
KNOB_DEFAULTS = {"balance": "0", "interval_ms": "500", "threshold": "1.300",
                 "min_runtime_ms": "3000", "block": "0", "expel": "0"}


def knob(node, name):
    """The value /sys/kernel/mig/NAME reads, stripped."""
    return node.run_ok("cat %s/%s" % (SYSFS, name)).strip()


def set_knobs(node, **values):
    """Writes /sys/kernel/mig knobs at node, in order; a refused write
    fails the test."""
    for name, value in values.items():
        rc, out = node.run("echo %s > %s/%s" % (value, SYSFS, name))
        assert rc == 0, "%s: %s=%s refused: %s" % (node.name, name, value, out)


def set_all(nodes, **values):
    for n in nodes:
        set_knobs(n, **values)


def reset_knobs(nodes):
    """expel 0, block 0, balance 0 and the other knobs' defaults (speed is
    left alone) on every live node; errors are ignored, the module may
    be gone."""
    cmd = "; ".join("echo %s > %s/%s" % (v, SYSFS, k) for k, v in
                    (("expel", 0), ("block", 0), ("balance", 0), ("interval_ms", 500),
                     ("threshold", "1.3"), ("min_runtime_ms", 3000)))
    for n in nodes:
        if n.alive:
            n.run(cmd + " 2>/dev/null")


def load_file(node):
    """/sys/kernel/mig/load as {key: float}."""
    out = node.run_ok("cat %s/load" % SYSFS)
    return {k: float(v) for k, v in (line.split() for line in out.splitlines() if line.strip())}


def peer_loads(node):
    """{peer id: its last load report, as `migctl -j node list` shows it
    (a dict), or None}."""
    return {i: e.get("load") for i, e in nodes(node).items()}


def load_value(report):
    """The load figure of a report (dict from node list, top or status):
    a float, or None when there is none."""
    if not report or report.get("load") is None:
        return None
    return float(report["load"])


def top(node):
    """`migctl -j top` at node: {node id: entry}."""
    return {e["node"]: e for e in migctl_json(node, "top")["nodes"]}


def wait_loads(viewer, expected, below=0.6, above=1.2, timeout=40):
    """Waits until viewer sees every {node id: load} of expected, within
    `below` under it and `above` over it (the commands of the test itself
    load a node under emulation: as much as one process more), its own
    load from its status, its peers' from node list; returns what it saw."""
    seen = {}

    def settled():
        peers = peer_loads(viewer)
        for nid, want in expected.items():
            if nid == viewer.index:
                got = load_value(status(viewer).get("load"))
            else:
                got = load_value(peers.get(nid))
            seen[nid] = got
            if got is None or not want - below <= got <= want + above:
                return False
        return True

    try:
        wait_until(settled, timeout=timeout, interval=0.5, what="loads %s" % expected)
    except AssertionError:
        raise AssertionError("%s: loads %s, not %s after %ds"
                             % (viewer.name, seen, expected, timeout))
    return seen


def ps_by_pid(node):
    """{pid: row} of node's ps; should a pid be listed twice, its deputy
    row, which says more than a local one."""
    rows = {}
    for r in ps(node):
        if r["pid"] not in rows or r.get("role") == "deputy":
            rows[r["pid"]] = r
    return rows


def where(home, pids):
    """{pid: node it runs at} for processes of node `home`, from home's
    ps: a deputy's WHERE when away, home's id when not listed or local,
    None while it moves."""
    rows = ps_by_pid(home)
    found = {}
    for pid in pids:
        r = rows.get(pid)
        if r is None or r.get("role") == "local":
            found[pid] = home.index
        elif r.get("state") == "away":
            found[pid] = r["where"]
        else:
            found[pid] = None
    return found


def stats_sum(nodes_, key):
    """The sum of one status counter over the live nodes."""
    return sum(status(n)["stats"].get(key) or 0 for n in nodes_ if n.alive)

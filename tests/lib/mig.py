"""mig-specific helpers for tests: load the module on a node, configure
it with migctl, read its state back as JSON."""

import json
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


def load(node, node_id=None, **params):
    """insmod mig.ko on node, node_id defaulting to the node's index."""
    params.setdefault("node_id", node_id or node.index)
    args = " ".join("%s=%s" % kv for kv in params.items())
    node.run_ok("insmod %s %s" % (MODULE, args))


def unload(node):
    node.run_ok("rmmod mig")


def is_loaded(node):
    return node.run("test -d /sys/module/mig")[0] == 0


def set_key(node, name="good"):
    hexkey = KEYS[name]
    node.run_ok("umask 077; python3 -c 'import sys; "
                "sys.stdout.buffer.write(bytes.fromhex(\"%s\"))' > %s"
                % (hexkey, KEY_FILE))
    migctl(node, "key set %s" % KEY_FILE)


def setup(nodes, peers=None, key="good", keys=None, **params):
    """Loads the module on each node, sets its key and adds every other
    node of `peers` (default: nodes) as a peer."""
    peers = peers or nodes
    keys = keys or {}
    for n in nodes:
        if is_loaded(n):
            unload(n)
        load(n, **params)
        set_key(n, keys.get(n.index, key))
        for p in peers:
            if p is not n:
                migctl(n, "node add %d %s" % (p.index, p.ip))


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
    """setup() on every node, then waits until each sees each other up."""
    setup(nodes, **params)
    for a in nodes:
        for b in nodes:
            if a is not b:
                wait_state(a, b.index, "up", timeout=timeout)


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

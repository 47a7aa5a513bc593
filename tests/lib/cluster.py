"""Virtual cluster of QEMU guests for the mig tests.

    with Cluster(nodes=2, name="demo") as c:
        rc, out = c.node(1).run("uname -r")
        c.node(2).kill()          # simulate a node dying
        c.node(2).boot()          # same address, ports and tap
        assert not c.kernel_log_problems()

Each guest boots the host's Debian kernel with a small initramfs
(tests/vm/mkinitramfs.sh), mounts the build machine's root read-only over
9p, gets a private tmpfs /tmp and /run, sees the repository at the host's
path and runs tests/vm/agent.py, which executes our commands. The agent
talks over a virtio-serial port exposed as a unix socket in the work dir;
the serial console only feeds WORKDIR/nodeN.console.log.

Guest N is 10.99.0.N/24 on eth0. Two nodes are wired back to back with a
UDP socket netdev on loopback; three or more share a bridge inside a
network namespace created for the cluster. Nothing else is reachable.
"""

import atexit
import collections
import ctypes
import fcntl
import json
import lzma
import os
import queue
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import zlib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VM_DIR = REPO_ROOT / "tests" / "vm"
STATE_DIR = Path(os.environ.get("MIG_TEST_STATE", "/var/tmp/mig-test"))
QEMU = "qemu-system-x86_64"
SUBNET = "10.99.0"
BOOT_TIMEOUT = 120
# Extra time we give the agent to answer beyond a command's own timeout:
# under TCG on a loaded 2-core machine replies can lag a few seconds.
REPLY_GRACE = 15

PROBLEM_RE = re.compile(
    r"BUG:|WARNING:|Oops|general protection|blocked for more than|"
    r"Call Trace|kernel BUG|UBSAN|KASAN|list_add corruption|"
    r"list_del corruption|refcount_t|Kernel panic|rcu.*detected stall"
)
CONSOLE_TS_RE = re.compile(r"^\[\s*(\d+)\.(\d{6})\]")


class TestbedError(Exception):
    """The test bed itself failed (boot, agent, network set-up)."""


class BootError(TestbedError):
    pass


class NodeDown(TestbedError):
    """The node's VM is not running (killed, crashed or never booted)."""


class NodeUnresponsive(TestbedError):
    """The node's agent did not answer in time: the guest is probably hung."""


class CommandFailed(AssertionError):
    """run_ok() got a non-zero exit status. An AssertionError, so a test
    reports it as an ordinary failure."""

    def __init__(self, node, cmd, rc, out):
        self.node, self.cmd, self.rc, self.out = node, cmd, rc, out
        super().__init__("%s: command failed (rc=%d): %s\n%s"
                         % (node, rc, cmd, out.rstrip()))


# ---------------------------------------------------------------- kernel

def _version_key(kver):
    return [int(x) for x in re.findall(r"\d+", kver)]


def find_kernel():
    """(kver, vmlinuz path) of the newest /boot/vmlinuz-*-amd64 whose
    modules are installed. Raises TestbedError if there is none."""
    found = []
    for path in Path("/boot").glob("vmlinuz-*-amd64"):
        kver = path.name[len("vmlinuz-"):]
        if Path("/lib/modules", kver, "kernel").is_dir():
            found.append((_version_key(kver), kver, path))
    if not found:
        raise TestbedError("no guest kernel: need /boot/vmlinuz-*-amd64 with "
                           "/lib/modules/<kver>/kernel (apt-get install linux-image-amd64)")
    _, kver, path = max(found)
    return kver, str(path)


def initramfs(kver):
    """Path of the guest initramfs for kver, rebuilt when it is missing or
    older than its sources. A lock file keeps concurrent harnesses from
    building it twice."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    out = STATE_DIR / ("initramfs-%s.cpio.gz" % kver)
    sources = [VM_DIR / "mkinitramfs.sh", VM_DIR / "init"]

    def fresh():
        return out.exists() and all(
            out.stat().st_mtime >= s.stat().st_mtime for s in sources)

    if fresh():
        return str(out)
    with open(STATE_DIR / ".initramfs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not fresh():
            r = subprocess.run(["/bin/sh", str(VM_DIR / "mkinitramfs.sh"), str(out), kver],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise TestbedError("mkinitramfs.sh failed:\n" + r.stdout)
    return str(out)


def _has_pvh_note(path):
    """True if the ELF file at path carries XEN_ELFNOTE_PHYS32_ENTRY, the
    note QEMU needs to boot an uncompressed kernel directly (PVH)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:5] != b"\x7fELF\x02":
            return False
        phoff = struct.unpack_from("<Q", head, 32)[0]
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        phdrs = f.read(phentsize * phnum)
        for i in range(phnum):
            p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", phdrs, i * phentsize)
            if p_type != 4:  # PT_NOTE
                continue
            f.seek(p_offset)
            notes, pos = f.read(p_filesz), 0
            while pos + 12 <= len(notes):
                namesz, descsz, ntype = struct.unpack_from("<III", notes, pos)
                name = notes[pos + 12:pos + 12 + namesz].rstrip(b"\0")
                if name == b"Xen" and ntype == 18:
                    return True
                pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def _decompress_kernel(vmlinuz):
    """The ELF vmlinux inside a bzImage, or None for an unknown format."""
    with open(vmlinuz, "rb") as f:
        data = f.read()
    for magic, unpack in ((b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor().decompress(b)),
                          (b"\x1f\x8b\x08", lambda b: zlib.decompressobj(31).decompress(b)),
                          (b"\x28\xb5\x2f\xfd", _unzstd)):
        off = data.find(magic)
        while off >= 0:
            try:
                out = unpack(data[off:])
                if out and out[:4] == b"\x7fELF":
                    return out
            except Exception:
                pass
            off = data.find(magic, off + 1)
    return None


def _unzstd(data):
    if not shutil.which("zstd"):
        return None
    r = subprocess.run(["zstd", "-qdc"], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    return r.stdout


def boot_image(kver, vmlinuz):
    """What to give qemu -kernel. An uncompressed vmlinux with a PVH note
    boots about 2 s faster under TCG than the xz bzImage (no emulated
    decompression, no real-mode set-up), so extract and cache it; fall
    back to the bzImage if that is not possible or MIG_TEST_PVH=0."""
    if os.environ.get("MIG_TEST_PVH", "1") == "0":
        return vmlinuz
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    out = STATE_DIR / ("vmlinux-%s" % kver)
    bad = STATE_DIR / ("vmlinux-%s.unusable" % kver)

    def fresh(p):
        return p.exists() and p.stat().st_mtime >= os.stat(vmlinuz).st_mtime

    if fresh(out):
        return str(out)
    if fresh(bad):
        return vmlinuz
    with open(STATE_DIR / ".kernel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if fresh(out):
            return str(out)
        elf = _decompress_kernel(vmlinuz)
        tmp = "%s.tmp.%d" % (out, os.getpid())
        if elf:
            with open(tmp, "wb") as f:
                f.write(elf)
        if elf and _has_pvh_note(tmp):
            os.rename(tmp, out)
            return str(out)
        if elf:
            os.unlink(tmp)
        bad.touch()  # remember, so we do not try again for every cluster
        return vmlinuz


# ------------------------------------------------------- process hygiene

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # Runs in the child before exec: if the harness is SIGKILLed (e.g. by
    # run.py's timeout), the kernel kills qemu for us.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class _Launcher:
    """Forks every qemu from one thread that lives as long as the harness.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child exits,
    so a test that boots a node from a short-lived thread of its own would
    otherwise see the VM die with that thread.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.jobs = None

    def popen(self, argv, **kwargs):
        with self.lock:
            if self.jobs is None:
                self.jobs = queue.Queue()
                threading.Thread(target=self._loop, name="qemu-launcher", daemon=True).start()
        done, box = threading.Event(), []
        self.jobs.put((argv, kwargs, box, done))
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    def _loop(self):
        while True:
            argv, kwargs, box, done = self.jobs.get()
            try:
                box.append(subprocess.Popen(argv, preexec_fn=_die_with_parent, **kwargs))
            except BaseException as e:
                box.append(e)
            done.set()


_launcher = _Launcher()


_live_clusters = set()


def _stop_all():
    for cluster in list(_live_clusters):
        cluster.stop()


def _on_signal(signum, _frame):
    # Turn SIGTERM/SIGHUP into an exception so `with Cluster()` blocks and
    # finally clauses unwind and tear the VMs and namespace down.
    raise SystemExit(128 + signum)


def _install_cleanup():
    atexit.register(_stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)


_cleanup_installed = False


def _quote_qemu(value):
    """Escape a value for QEMU's comma-separated option syntax."""
    return str(value).replace(",", ",,")


def _run_cmd(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise TestbedError("%s failed: %s" % (" ".join(argv), r.stdout.strip()))
    return r.stdout


# --------------------------------------------------------------- network

def _free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A forwarded port (Cluster(forward=...)) reaches the guest over a second
# NIC, QEMU user networking with restrict=on: the guest cannot send
# anything anywhere through it, only answer connections made to the
# forward, which QEMU accepts on 127.0.0.1 only.
FWD_GUEST_IP = "10.0.2.15"
FWD_NET = "10.0.2.0/24"


class _UdpPair:
    """One or two nodes: a point-to-point UDP tunnel on loopback. Each side
    owns a fixed port, so either VM can die and come back at will."""

    def __init__(self, nodes):
        self.ports = [_free_udp_port() for _ in range(2)]

    def setup(self):
        pass

    def teardown(self):
        pass

    def wrap(self, argv):
        return argv

    def netdev(self, index):
        mine, peer = self.ports[index - 1], self.ports[2 - index]
        return "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (peer, mine)


class _Bridge:
    """Three or more nodes: taps on a bridge in a private network namespace;
    qemu runs inside the namespace so the host's network is untouched."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.ns = "mig-%d-%04x" % (os.getpid(), random.getrandbits(16))
        self.created = False

    def setup(self):
        _remove_stale_namespaces()
        _run_cmd(["ip", "netns", "add", self.ns])
        self.created = True
        ip = ["ip", "-n", self.ns]
        _run_cmd(ip + ["link", "set", "lo", "up"])
        _run_cmd(ip + ["link", "add", "br0", "type", "bridge", "forward_delay", "0"])
        for i in range(1, self.nodes + 1):
            tap = "tap%d" % i
            _run_cmd(ip + ["tuntap", "add", "dev", tap, "mode", "tap"])
            _run_cmd(ip + ["link", "set", tap, "master", "br0"])
            _run_cmd(ip + ["link", "set", tap, "up"])
        _run_cmd(ip + ["link", "set", "br0", "up"])

    def teardown(self):
        if self.created:
            subprocess.run(["ip", "netns", "del", self.ns],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.created = False

    def wrap(self, argv):
        # `ip netns exec` execs qemu in place, so the pid stays qemu's.
        return ["ip", "netns", "exec", self.ns] + argv

    def netdev(self, index):
        return "tap,id=n0,ifname=tap%d,script=no,downscript=no" % index


def _remove_stale_namespaces():
    """Delete mig-PID-* namespaces left by harnesses that were SIGKILLed."""
    r = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    for line in r.stdout.splitlines():
        m = re.match(r"(mig-(\d+)-[0-9a-f]+)\b", line)
        if m and not Path("/proc", m.group(2)).exists():
            subprocess.run(["ip", "netns", "del", m.group(1)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ----------------------------------------------------------------- agent

class _AgentLink:
    """Host end of one VM's agent channel (unix socket of a virtserialport).

    A reader thread dispatches replies to waiting requests by id. When the
    VM goes away every pending request fails with NodeDown at once; when
    the agent restarts (a second ready line) they fail too, since their
    replies will never come.
    """

    def __init__(self, name, sock_path):
        self.name = name
        self.sock_path = sock_path
        self.sock = None
        self.ready = threading.Event()
        self.ready_info = None
        self.closed = False
        self.lock = threading.Lock()
        self.pending = {}
        self.next_id = 1

    def connect(self, proc, deadline):
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.sock_path)
                break
            except OSError:
                s.close()
                if proc.poll() is not None:
                    raise BootError("%s: qemu exited with status %s before "
                                    "opening its agent socket" % (self.name, proc.returncode))
                if time.monotonic() > deadline:
                    raise BootError("%s: cannot connect to %s" % (self.name, self.sock_path))
                time.sleep(0.02)
        # A hung guest stops draining the socket; sends must not block for
        # ever (the reader is unaffected: this only bounds send()).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 20, 0))
        self.sock = s
        threading.Thread(target=self._reader, name=self.name + "-agent", daemon=True).start()

    def _reader(self):
        f = self.sock.makefile("rb")
        try:
            for line in f:
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                self._dispatch(msg)
        except OSError:
            pass
        self._fail_pending(NodeDown("%s: VM went away" % self.name), closing=True)

    def _dispatch(self, msg):
        if msg.get("ready"):
            if self.ready.is_set():
                self._fail_pending(TestbedError("%s: agent restarted, request lost" % self.name))
            self.ready_info = msg
            self.ready.set()
            return
        with self.lock:
            slot = self.pending.get(msg.get("id"))
        if slot is not None:
            slot[1] = msg
            slot[0].set()

    def _fail_pending(self, exc, closing=False):
        with self.lock:
            if closing:
                self.closed = True
            slots = list(self.pending.values())
        for slot in slots:
            if slot[1] is None:
                slot[1] = exc
                slot[0].set()

    def request(self, msg, wait):
        """Send msg and return the reply dict; raise NodeDown or
        NodeUnresponsive instead of waiting longer than `wait` seconds."""
        slot = [threading.Event(), None]
        with self.lock:
            if self.closed:
                raise NodeDown("%s: VM is not running" % self.name)
            msg = dict(msg, id=self.next_id)
            self.next_id += 1
            self.pending[msg["id"]] = slot
            try:
                self.sock.sendall((json.dumps(msg) + "\n").encode())
            except OSError as e:
                del self.pending[msg["id"]]
                if isinstance(e, (BlockingIOError, socket.timeout)):
                    raise NodeUnresponsive("%s: guest does not take requests" % self.name)
                raise NodeDown("%s: VM is not running" % self.name)
        try:
            if not slot[0].wait(wait):
                raise NodeUnresponsive(
                    "%s: agent did not answer within %.0fs: %s"
                    % (self.name, wait, msg.get("cmd", msg.get("op"))))
        finally:
            with self.lock:
                self.pending.pop(msg["id"], None)
        if isinstance(slot[1], Exception):
            raise slot[1]
        return slot[1]

    def close(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


# ------------------------------------------------------------------ node

class Spawned:
    """A command started with Node.spawn(); it runs in its own session."""

    def __init__(self, node, req_id, pid, log):
        self.node, self.req_id, self.pid, self.log = node, req_id, pid, log

    def wait(self, timeout=60):
        """Exit status, or None if still running after timeout seconds."""
        reply = self.node._request({"op": "bgwait", "bg": self.req_id, "timeout": timeout},
                                   timeout + REPLY_GRACE)
        if "exit" not in reply:  # e.g. the agent restarted and forgot it
            raise TestbedError("%s: cannot wait for %r: %s"
                               % (self.node.name, self, reply.get("out", "").strip()))
        return reply["exit"]

    def running(self):
        return self.wait(0) is None

    def output(self):
        """Everything the command printed so far (stdout and stderr)."""
        return self.node.run_ok("cat %s" % self.log)

    def kill(self, sig="KILL"):
        """Signal the command's whole process group."""
        # dash's kill takes "-PGID" but not "--".
        self.node.run("kill -%s -%d" % (sig, self.pid))

    def __repr__(self):
        return "<Spawned %s pid %d>" % (self.node.name, self.pid)


class Node:
    """One VM of a Cluster. Nodes are numbered from 1."""

    def __init__(self, cluster, index):
        self.cluster = cluster
        self.index = index
        self.name = "node%d" % index
        self.ip = "%s.%d" % (SUBNET, index)
        self.mac = "52:54:00:99:00:%02x" % index
        self.fwd_mac = "52:54:00:99:01:%02x" % index
        # guest TCP port -> host port on 127.0.0.1 (Cluster(forward=...))
        self.forwarded = {port: _free_tcp_port()
                          for port in (cluster.forward or {}).get(index, ())}
        work = cluster.workdir
        self.console_log = str(work / ("%s.console.log" % self.name))
        self.qemu_log = str(work / ("%s.qemu.log" % self.name))
        self.sock_path = str(work / ("%s.agent.sock" % self.name))
        self._proc = None
        self._link = None
        self._killed = True          # not running, and that is expected
        self._death_reported = False
        self._boots = 0
        self.boot_seconds = None     # last boot's qemu start -> agent ready
        # Recent (cmd, rc, output) of run(), shown when a test fails.
        self.history = collections.deque(maxlen=4)
        # Kernel log bookkeeping, see kernel_log_problems().
        self._kmsg_seq = -1
        self._kmsg_usec = -1
        self._console_pos = 0
        self._carry_lines = []      # console of earlier boots, not yet checked
        self._carry_problems = []

    # -- state

    @property
    def alive(self):
        return self._proc is not None and self._proc.poll() is None

    def __repr__(self):
        return "<Node %s %s %s>" % (self.name, self.ip, "up" if self.alive else "down")

    # -- commands

    def run(self, cmd, timeout=60, check=False, input=None):
        """Run a shell command as root in the guest, cwd = repository root.
        Returns (rc, output) with stdout and stderr merged; rc 124 means
        the command hit its timeout and its process group was killed."""
        msg = {"cmd": cmd, "timeout": timeout}
        if input is not None:
            msg["input"] = input
        try:
            reply = self._request(msg, timeout + REPLY_GRACE)
        except TestbedError as e:
            self.history.append((cmd, None, str(e)))
            raise
        rc, out = reply["rc"], reply.get("out", "")
        self.history.append((cmd, rc, out))
        if check and rc != 0:
            raise CommandFailed(self.name, cmd, rc, out)
        return rc, out

    def run_ok(self, cmd, timeout=60, input=None):
        """Like run() but raise CommandFailed unless rc == 0; returns output."""
        return self.run(cmd, timeout=timeout, check=True, input=input)[1]

    def spawn(self, cmd):
        """Start cmd detached (own session, output to a log file in the
        guest's /tmp) and return a Spawned handle at once. Prefix the
        command with `exec` to make Spawned.pid the program's own pid."""
        reply = self._request({"cmd": cmd, "background": True}, REPLY_GRACE)
        if "pid" not in reply:
            raise TestbedError("%s: spawn failed: %s" % (self.name, reply.get("out")))
        return Spawned(self, reply["id"], reply["pid"], reply["log"])

    def ping(self, ip, wait=1):
        """True if one ICMP echo to ip is answered within `wait` seconds."""
        return self.run("busybox ping -c 1 -W %d %s" % (wait, ip), timeout=wait + 10)[0] == 0

    def wait_ping(self, ip, timeout=30):
        """Poll (inside the guest, one request) until ip answers a ping.
        Returns True on success, False after timeout seconds."""
        loop = ("end=$(($(cut -d. -f1 /proc/uptime) + %d)); "
                "until busybox ping -c 1 -W 1 %s >/dev/null 2>&1; do "
                "[ $(cut -d. -f1 /proc/uptime) -ge $end ] && exit 1; done" % (timeout, ip))
        return self.run(loop, timeout=timeout + 10)[0] == 0

    def mark(self, text):
        """Write a line into the node's kernel log (and so its console log)."""
        self._request({"op": "mark", "text": text}, REPLY_GRACE)

    def _request(self, msg, wait):
        if not self.alive or self._link is None:
            raise NodeDown("%s: VM is not running" % self.name)
        return self._link.request(msg, wait)

    # -- life cycle

    def kill(self):
        """SIGKILL the VM, as if the machine lost power."""
        self._killed = True
        self._terminate()

    def boot(self, timeout=BOOT_TIMEOUT):
        """(Re)start this node with the same address, ports and tap, and
        wait for its agent."""
        self._start()
        self._wait_ready(time.monotonic() + timeout)

    def _start(self):
        if self.alive:
            raise TestbedError("%s is already running" % self.name)
        self._finish_boot_log()
        self._boots += 1
        with open(self.console_log, "a") as f:
            f.write("\n===== mig testbed: %s boot %d at %s =====\n"
                    % (self.name, self._boots, time.strftime("%H:%M:%S")))
        try:
            os.unlink(self.sock_path)
        except FileNotFoundError:
            pass
        argv = self.cluster._qemu_argv(self)
        self._started_at = time.monotonic()
        with open(self.qemu_log, "a") as log:
            self._proc = _launcher.popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self._killed = False
        self._death_reported = False
        self._link = _AgentLink(self.name, self.sock_path)
        try:
            self._link.connect(self._proc, time.monotonic() + 30)
        except BootError as e:
            self._terminate()
            raise BootError("%s\n%s" % (e, self._diagnostics()))

    def _wait_ready(self, deadline):
        while not self._link.ready.wait(0.1):
            if not self.alive:
                rc = self._proc.returncode
                self._killed = True
                raise BootError("%s: VM exited (status %s) while booting\n%s"
                                % (self.name, rc, self._diagnostics()))
            if time.monotonic() > deadline:
                self._terminate()
                self._killed = True
                raise BootError("%s: agent not ready after %.0fs\n%s"
                                % (self.name, time.monotonic() - self._started_at,
                                   self._diagnostics()))
        if self.forwarded:
            self._configure_forward()
        self.boot_seconds = time.monotonic() - self._started_at

    def _configure_forward(self):
        """The second NIC, found by its MAC, gets the address QEMU's
        forwards connect to."""
        rc, out = self.run(
            "dev=$(grep -l %s /sys/class/net/*/address | cut -d/ -f5) && "
            "ip addr add %s/24 dev $dev && ip link set $dev up" % (
                self.fwd_mac, FWD_GUEST_IP))
        if rc != 0:
            self._terminate()
            self._killed = True
            raise BootError("%s: cannot configure the forwarded NIC: %s" % (self.name, out))

    def _terminate(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        if self._proc is not None:
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self._link is not None:
            self._link.close()

    def _diagnostics(self):
        return "--- %s (last lines) ---\n%s--- %s ---\n%s" % (
            self.console_log, _tail(self.console_log, 25),
            self.qemu_log, _tail(self.qemu_log, 10))

    # -- kernel log

    def _finish_boot_log(self):
        """Before a new boot: keep what the previous one left on the
        console that we have not seen through the agent yet."""
        if self._boots:
            self._carry_lines += self._read_console()
            self._carry_problems += self._unexpected_death()
        self._kmsg_seq = -1
        self._kmsg_usec = -1

    def _read_console(self):
        """Console lines not yet looked at and not already delivered by
        the agent from /dev/kmsg."""
        try:
            with open(self.console_log, "rb") as f:
                f.seek(self._console_pos)
                data = f.read()
        except FileNotFoundError:
            return []
        self._console_pos += len(data)
        lines = []
        for raw in data.decode("utf-8", "replace").splitlines():
            # Everything unread here is from the current boot (_start()
            # reads the previous one first), so lines the agent delivered
            # are those up to the last timestamp it returned.
            m = CONSOLE_TS_RE.match(raw)
            if m and int(m.group(1)) * 10**6 + int(m.group(2)) <= self._kmsg_usec:
                continue
            lines.append(raw.rstrip("\r"))
        return lines

    def _read_kmsg(self):
        reply = self._request({"op": "kmsg", "since": self._kmsg_seq}, 20)
        records = reply.get("records", [])
        if records:
            self._kmsg_seq = records[-1][0]
            self._kmsg_usec = records[-1][2]
        return ["[%5d.%06d] %s" % (usec // 10**6, usec % 10**6, text)
                for _seq, _lvl, usec, text in records]

    def kernel_log_problems(self, context=0):
        """New suspicious kernel log lines since the previous call, each
        prefixed with the node name. context > 0 adds that many following
        lines (e.g. the call trace) after each hit."""
        found = _problems(self._carry_lines, context) + self._carry_problems
        self._carry_lines, self._carry_problems = [], []
        if self.alive:
            try:
                found += _problems(self._read_kmsg(), context)
            except (NodeUnresponsive, NodeDown) as e:
                found.append("testbed: %s" % e)
                found += _problems(self._read_console(), context)
        else:
            found += _problems(self._read_console(), context)
            found += self._unexpected_death()
        return ["%s: %s" % (self.name, line) for line in found]

    def _unexpected_death(self):
        """A report line, once, if the VM is down although nobody killed it."""
        if self.alive or self._killed or self._death_reported:
            return []
        self._death_reported = True
        return ["testbed: VM died unexpectedly (qemu status %s), see %s"
                % (self._proc.returncode, self.console_log)]


def _problems(lines, context):
    """Lines matching PROBLEM_RE, each followed by up to `context` lines."""
    keep = set()
    for i, line in enumerate(lines):
        if PROBLEM_RE.search(line):
            keep.update(range(i, min(len(lines), i + 1 + context)))
    return [lines[i] for i in sorted(keep)]


def _tail(path, n):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 64 * 1024))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return "(missing)\n"
    return "".join(line + "\n" for line in lines[-n:])


# --------------------------------------------------------------- cluster

_cluster_seq = 0


def _run_id():
    # run.py exports MIG_TEST_RUN so that all files of one run share a dir.
    rid = os.environ.get("MIG_TEST_RUN")
    if not rid:
        rid = "%s-%d" % (time.strftime("%Y%m%d-%H%M%S"), os.getpid())
        os.environ["MIG_TEST_RUN"] = rid
    return rid


class Cluster:
    """A set of VMs booted together; use as a context manager.

    Cluster(nodes=2, name=None, memory=1024, boot_timeout=120)

    Work dir: /var/tmp/mig-test/<run>/<name>/ with nodeN.console.log,
    nodeN.qemu.log and the agent sockets. It is deleted on a clean stop
    and kept (and its path printed) when the cluster failed.
    """

    def __init__(self, nodes=2, name=None, memory=1024, boot_timeout=BOOT_TIMEOUT,
                 forward=None):
        global _cluster_seq, _cleanup_installed
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        _cluster_seq += 1
        self.name = name or "cluster%d" % _cluster_seq
        self.memory = memory
        self.boot_timeout = boot_timeout
        self.forward = forward
        self.failed = False
        self.kver, self.vmlinuz = find_kernel()
        self.workdir = STATE_DIR / _run_id() / ("%s-%d" % (self.name, _cluster_seq))
        if len(str(self.workdir / "node99.agent.sock")) > 100:
            raise TestbedError("work dir path too long for a unix socket: %s" % self.workdir)
        if re.search(r"\s", str(REPO_ROOT)):
            raise TestbedError("repository path contains white space: %s" % REPO_ROOT)
        self.nodes = [Node(self, i) for i in range(1, nodes + 1)]
        self._net = (_UdpPair if nodes <= 2 else _Bridge)(nodes)
        self._initrd = self._kernel = None
        self._running = False
        if not _cleanup_installed:
            _install_cleanup()
            _cleanup_installed = True

    def node(self, i):
        """Node i, counting from 1."""
        if not 1 <= i <= len(self.nodes):
            raise IndexError("no node %d in a %d-node cluster" % (i, len(self.nodes)))
        return self.nodes[i - 1]

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.stop()
        return False

    def start(self):
        """Boot all nodes in parallel and wait until every agent is ready."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._initrd = initramfs(self.kver)
        self._kernel = boot_image(self.kver, self.vmlinuz)
        _live_clusters.add(self)
        self._running = True
        try:
            self._net.setup()
            for n in self.nodes:
                n._start()
            deadline = time.monotonic() + self.boot_timeout
            for n in self.nodes:
                n._wait_ready(deadline)
        except BaseException:
            self.failed = True
            self.stop()
            raise

    def stop(self, announce=True):
        """Kill every VM and remove the network namespace. Idempotent.
        If the cluster failed, its logs are kept and (announce) the path
        is printed."""
        if not self._running:
            return
        self._running = False
        for n in self.nodes:
            n._killed = True
            try:
                n._terminate()
            except Exception:
                pass
        self._net.teardown()
        _live_clusters.discard(self)
        if self.failed:
            if announce:
                print("# %s: VM logs kept in %s" % (self.name, self.workdir), flush=True)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
            try:
                self.workdir.parent.rmdir()  # the run dir, once it is empty
            except OSError:
                pass

    def kernel_log_problems(self, context=0):
        """Suspicious kernel log lines ("nodeN: ...") that appeared on any
        node since the previous call: read from the live kernel through the
        agent, or from the console log for nodes that are down. A VM that
        died without kill() is reported too."""
        found = []
        for n in self.nodes:
            found += n.kernel_log_problems(context)
        return found

    def mark(self, text):
        """Write text into the kernel log of every running node."""
        for n in self.nodes:
            if n.alive:
                n.mark(text)

    # -- qemu command line

    def _qemu_argv(self, node):
        append = " ".join([
            "console=ttyS0", "panic=-1", "loglevel=5", "8250.nr_uarts=1",
            "migvm.node=%d" % node.index,
            "migvm.ip=%s/24" % node.ip,
            "migvm.repo=%s" % REPO_ROOT,
        ])
        q = _quote_qemu
        argv = [
            QEMU, "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", str(self.memory),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-name", "mig-%s" % node.name,
            "-kernel", self._kernel, "-initrd", self._initrd, "-append", append,
            "-chardev", "file,id=con,path=%s,append=on" % q(node.console_log),
            "-serial", "chardev:con",
            "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,"
                       "readonly=on,multidevs=remap",
            "-virtfs", "local,path=%s,mount_tag=repo,security_model=none,"
                       "readonly=on,multidevs=remap" % q(REPO_ROOT),
            "-netdev", self._net.netdev(node.index),
            "-device", "virtio-net-pci,netdev=n0,mac=%s" % node.mac,
            "-device", "virtio-serial-pci",
            "-chardev", "socket,id=agent,path=%s,server=on,wait=off" % q(node.sock_path),
            "-device", "virtserialport,chardev=agent,name=org.mig.agent",
        ]
        if node.forwarded:
            fwd = ",".join("hostfwd=tcp:127.0.0.1:%d-%s:%d" % (host, FWD_GUEST_IP, guest)
                           for guest, host in sorted(node.forwarded.items()))
            argv += ["-netdev", "user,id=n1,restrict=on,net=%s,%s" % (FWD_NET, fwd),
                     "-device", "virtio-net-pci,netdev=n1,mac=%s" % node.fwd_mac]
        return self._net.wrap(argv)


def wait_until(predicate, timeout=30, interval=0.2, what="condition"):
    """Poll predicate() until it returns a true value (which is returned);
    raise AssertionError naming `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)

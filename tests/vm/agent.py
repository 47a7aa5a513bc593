#!/usr/bin/python3
"""Guest side of the mig test bed: runs the host's commands inside a VM.

Started by tests/vm/init (chrooted into the host's root, cwd anywhere).
Talks JSON lines over the virtio-serial port named org.mig.agent:

  host -> guest  {"id": N, "cmd": "shell command", "timeout": S,
                  "input": "optional stdin", "background": false}
  guest -> host  {"id": N, "rc": int, "out": "stdout+stderr"}
                 {"id": N, "rc": 0, "pid": P, "log": PATH}   (background)

Extra operations ("op" field): "kmsg" returns kernel log records newer
than "since", "mark" writes a line into the kernel log, "bgwait" waits
for a background command to exit, "ping" answers at once. Every request runs in its own thread, so a long command never
blocks the others. On start the agent sends {"ready": true, ...}.
"""

import errno
import glob
import json
import os
import signal
import subprocess
import sys
import threading
import time

PORT_NAME = "org.mig.agent"
BG_DIR = "/tmp/mig-agent"
# Guard against a runaway command filling guest memory and the channel.
MAX_OUTPUT = 8 << 20
# After the shell exits, how long to wait for background children that
# inherited its stdout to close it before replying anyway.
DRAIN_GRACE = 0.5


def find_port():
    """Return the /dev node of our virtio-serial port.

    There is no udev in the guest, so /dev/virtio-ports/NAME does not
    exist; sysfs maps the vportNpM device names to port names.
    """
    for _ in range(100):
        for d in glob.glob("/sys/class/virtio-ports/*"):
            try:
                with open(os.path.join(d, "name")) as f:
                    if f.read().strip() == PORT_NAME:
                        return "/dev/" + os.path.basename(d)
            except OSError:
                pass
        time.sleep(0.1)
    sys.exit("agent: no virtio-serial port named " + PORT_NAME)


class Channel:
    """Line-oriented, thread-safe access to the virtio-serial port."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR)
        self.wlock = threading.Lock()
        self.buf = b""

    def send(self, obj):
        data = (json.dumps(obj) + "\n").encode()
        with self.wlock:
            while data:
                n = os.write(self.fd, data)
                data = data[n:]

    def lines(self):
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except InterruptedError:
                continue
            if not chunk:
                # The port reads EOF while the host side is disconnected.
                time.sleep(0.1)
                continue
            self.buf += chunk
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                if line.strip():
                    yield line


def command_env():
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    repo = os.environ.get("MIG_REPO", "/")
    env["PYTHONPATH"] = os.path.join(repo, "tests", "lib")
    for k in ("MIG_NODE", "MIG_NODE_IP", "MIG_REPO"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


ENV = command_env()
CWD = os.environ.get("MIG_REPO", "/")


def read_output(pipe, sink):
    """Collect a pipe into sink (a list of bytes) up to MAX_OUTPUT."""
    size = 0
    while True:
        try:
            chunk = pipe.read1(1 << 16)
        except (OSError, ValueError):
            return
        if not chunk:
            return
        if size < MAX_OUTPUT:
            sink.append(chunk[: MAX_OUTPUT - size])
        size += len(chunk)
        if size >= MAX_OUTPUT and sink and sink[-1] is not None:
            sink.append(None)  # truncation marker


def run_foreground(req):
    timeout = float(req.get("timeout", 60))
    data = req.get("input")
    proc = subprocess.Popen(
        ["/bin/sh", "-c", req["cmd"]],
        stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=CWD,
        env=ENV,
        # Own process group, so a timeout kills the whole command tree.
        start_new_session=True,
    )
    sink = []
    reader = threading.Thread(target=read_output, args=(proc.stdout, sink), daemon=True)
    reader.start()
    if data is not None:
        threading.Thread(target=feed_input, args=(proc.stdin, data), daemon=True).start()
    timed_out = False
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        proc.wait()
        timed_out = True
    reader.join(DRAIN_GRACE)
    out = b"".join(c for c in sink if c is not None).decode("utf-8", "replace")
    if None in sink:
        out += "\n[agent: output truncated at %d bytes]\n" % MAX_OUTPUT
    if timed_out:
        out += "\n[agent: timed out after %gs, process group killed]\n" % timeout
        return {"rc": 124, "out": out}
    if rc < 0:
        rc = 128 - rc  # killed by a signal: report it the way a shell does
    return {"rc": rc, "out": out}


def feed_input(pipe, data):
    try:
        pipe.write(data.encode())
        pipe.close()
    except OSError:
        pass  # the command did not read all of its input


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# Background commands by request id: (Popen, Event set when it exited).
BACKGROUND = {}


def run_background(req):
    """Start a detached command; its output goes to a file in /tmp."""
    os.makedirs(BG_DIR, exist_ok=True)
    log = open(os.path.join(BG_DIR, "bg-%d.log" % req["id"]), "wb")
    proc = subprocess.Popen(
        ["/bin/sh", "-c", req["cmd"]],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=CWD,
        env=ENV,
        start_new_session=True,
    )
    log.close()
    done = threading.Event()
    BACKGROUND[req["id"]] = (proc, done)
    threading.Thread(target=reap, args=(proc, done), daemon=True).start()
    return {"rc": 0, "pid": proc.pid, "log": log.name}


def reap(proc, done):
    proc.wait()
    done.set()


def wait_background(req):
    """Wait up to "timeout" s for a background command; exit is null if
    it is still running."""
    proc, done = BACKGROUND[req["bg"]]
    if not done.wait(float(req.get("timeout", 0))):
        return {"rc": 0, "exit": None}
    rc = proc.returncode
    return {"rc": 0, "exit": 128 - rc if rc < 0 else rc}


def read_kmsg(req):
    """Kernel log records with sequence number > since, as
    [seq, level, usec since boot, text]."""
    since = int(req.get("since", -1))
    records = []
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    try:
        while True:
            try:
                rec = os.read(fd, 8192)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == errno.EPIPE:
                    continue  # record overwritten while reading; skip it
                raise
            head, _, text = rec.decode("utf-8", "replace").partition(";")
            fields = head.split(",")
            seq = int(fields[1])
            if seq > since:
                # Continuation lines (" KEY=value") are metadata, not text.
                msg = text.split("\n", 1)[0]
                records.append([seq, int(fields[0]) & 7, int(fields[2]), msg])
    finally:
        os.close(fd)
    return {"rc": 0, "records": records}


def write_mark(req):
    with open("/dev/kmsg", "w") as f:
        f.write("<5>" + req.get("text", "mark") + "\n")
    return {"rc": 0}


OPS = {
    "kmsg": read_kmsg,
    "mark": write_mark,
    "bgwait": wait_background,
    "ping": lambda req: {"rc": 0},
}


def handle(chan, req):
    try:
        op = req.get("op", "sh")
        if op in OPS:
            reply = OPS[op](req)
        elif req.get("background"):
            reply = run_background(req)
        else:
            reply = run_foreground(req)
    except Exception as e:  # report, never die: the host is waiting
        reply = {"rc": 125, "out": "agent: %s: %s\n" % (type(e).__name__, e)}
    reply["id"] = req.get("id")
    chan.send(reply)


def boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def main():
    chan = Channel(find_port())
    chan.send({"ready": True, "node": os.environ.get("MIG_NODE"),
               "pid": os.getpid(), "boot_id": boot_id()})
    for line in chan.lines():
        try:
            req = json.loads(line)
        except ValueError:
            chan.send({"id": None, "rc": 125, "out": "agent: bad request line\n"})
            continue
        threading.Thread(target=handle, args=(chan, req), daemon=True).start()


if __name__ == "__main__":
    main()

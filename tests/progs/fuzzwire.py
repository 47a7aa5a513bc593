#!/usr/bin/python3
"""Fuzzes a node's link port, as an authenticated hostile peer and as an
unauthenticated stranger (issue 10, item 7).

    fuzzwire.py auth    ADDR --key HEX --src ID --dst ID [options]
    fuzzwire.py preauth ADDR [--src ID --dst ID] [options]
    fuzzwire.py case NAME ADDR --key HEX --src ID --dst ID

Run on the node it attacks (ADDR its own address), or imported (parse_args(),
run()) with a node object that does the few things it needs there: "auth"
makes real moves of tests/progs/bin/spin to the fake peer it plays (node
--src, configured at the node with `migctl node add`). LocalNode runs
them locally; tests/25-fuzz.py runs the fuzzer on the build machine, much
faster than in a TCG guest, against a port forwarded to 127.0.0.1
(--port), with its VmNode doing them through the test agent.

auth: over sealed links (tests/progs/migwire.py: the v5 handshake and the
TLS 1.3 record layer) it first records real traffic: it lets the node move
a spin process to it and answers the stream with an ACK carrying ENOSPC,
so the process stays home (BEGIN, TASK, VMA, PAGES, END recorded); later
moves it accepts (ACK 0), so the node holds a deputy it can talk to as
the guest (SYSCALL answered by SYSRET, SIGNAL, EXIT...). Everything the
node sends is recorded and becomes the corpus (PING, LOAD, SYSRET, ACK...);
types the node never sends in this set-up come from templates of the
structs in uapi/mig_wire.h. Then it sends --frames mutated frames of
every type 1..25: bit flips, bytes and fields set to boundary values,
field-aware changes (counts, lengths, ids, addresses, signals, syscall
numbers), truncation/extension within the type's bounds, and, for the
stream types, whole streams (BEGIN..END of a recorded move, re-homed to
the fake peer's ids, or sent back to a live deputy as a homecoming) with
some frames mutated, out of order, duplicated or spliced from another
stream. Frames that must drop the link (header damage, lengths outside
the bounds: about 1 in --drop-every; HELLO/AUTH after the handshake,
--oot of each) end a connection; it then reconnects and goes on. A link
that drops after a frame that should have kept it is reported with the
frames before it. SWITCH (--switches) is mostly a rekey: a connection
whose HELLO says REKEY, then SWITCH on the old one, the link going on.
Guests the node starts for it are limited to --spawn-rate a second:
beyond that, a BEGIN the node would admit is made to be refused cheaply.

preauth: at least --frames connections that each send random or mutated
HELLO, AUTH and other frames (or raw bytes) before authenticating, and
as many as it takes to send --hellos mutated HELLOs and --auths AUTHs.

Prints a JSON summary on the last line of its output.

case NAME: one named reproducer (see CASES), printed verdict.
"""

import argparse
import collections
import json
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import migwire  # noqa: E402
from migwire import MAGIC, VERSION, header  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIGCTL = os.path.join(REPO, "userspace-ctl", "migctl")
SPIN = os.path.join(REPO, "tests", "progs", "bin", "spin")
PORT = 7711

(HELLO, AUTH, PING, PONG, BEGIN, TASK, VMA, PAGES, END, ABORT, ACK, EXIT,
 KILL, SYSCALL, SYSRET, RECALL, WANT, INTR, SIGNAL, STOP, LOAD, PIN,
 SWITCH, FORGET, STATE, THREAD, SIGFD, USAGE) = range(1, 29)
NAMES = {1: "HELLO", 2: "AUTH", 3: "PING", 4: "PONG", 5: "BEGIN", 6: "TASK",
         7: "VMA", 8: "PAGES", 9: "END", 10: "ABORT", 11: "ACK", 12: "EXIT",
         13: "KILL", 14: "SYSCALL", 15: "SYSRET", 16: "RECALL", 17: "WANT",
         18: "INTR", 19: "SIGNAL", 20: "STOP", 21: "LOAD", 22: "PIN",
         23: "SWITCH", 24: "FORGET", 25: "STATE", 26: "THREAD",
         27: "SIGFD", 28: "USAGE"}
FIRST_UNKNOWN = max(NAMES) + 1
# Fixed parts of TASK and VMA (uapi/mig_wire.h; kmod/wire.c pins them).
TASK_LEN = 3088
THREAD_LEN = 344
VMA_LEN = 88
# Registered payload bounds (Documentation/wire-protocol.rst, the table).
BOUNDS = {HELLO: (72, 72), AUTH: (32, 32), PING: (16, 16), PONG: (16, 16),
          BEGIN: (56, 56), TASK: (TASK_LEN, TASK_LEN + 16384),
          VMA: (VMA_LEN, VMA_LEN + 4096),
          PAGES: (8 + 4104, 8 + 64 * 4104), END: (16, 16), ABORT: (16, 16),
          ACK: (16, 16), EXIT: (16, 16), KILL: (16, 16),
          SYSCALL: (64, 64 + (512 << 10)), SYSRET: (16, 16 + (512 << 10)),
          RECALL: (16, 16), WANT: (24, 24), INTR: (16, 16), SIGNAL: (40, 40),
          STOP: (16, 16), LOAD: (48, 48), PIN: (16, 16), SWITCH: (0, 0),
          FORGET: (8 + 8, 8 + 512 * 8), STATE: (104, 104),
          THREAD: (THREAD_LEN, THREAD_LEN + 16384), SIGFD: (16, 16),
          USAGE: (192, 192)}
BEGIN_HOMECOMING, BEGIN_PINNED, BEGIN_LIVE = 0x1, 0x2, 0x4
HELLO_REKEY = 0x1
# A frame that ends the connection it arrives on: after the handshake
# HELLO and AUTH are refused (bad_type); SWITCH is the sender's last frame.
ENDING = (HELLO, AUTH, SWITCH)
CTL_TYPES = (END, ABORT, ACK, EXIT, KILL, RECALL, INTR, STOP, PIN)
STREAM_TYPES = tuple(range(BEGIN, STOP + 1)) + (FORGET, STATE, THREAD, SIGFD,
                                                USAGE)
# Message fields (offset, width) the field-aware mutator aims at.
FIELDS = {
    HELLO: [(0, 2), (2, 2), (4, 1), (5, 1), (6, 2)],
    PING: [(0, 8), (8, 8)], PONG: [(0, 8), (8, 8)],
    BEGIN: [(0, 4), (4, 4), (8, 2), (10, 2), (12, 4), (16, 1), (31, 1),
            (32, 8), (40, 8), (48, 4), (52, 4)],
    TASK: [(0, 4), (4, 4), (136, 8), (144, 8), (152, 8), (160, 8), (168, 8),
           (176, 8), (184, 8), (224, 4), (228, 4), (256, 4), (260, 4),
           (264, 8), (272, 8), (280, 8), (288, 4), (292, 4), (296, 8)] +
          [(304 + 8 * i, 8) for i in range(13)] +
          [(408 + 32 * i + j, 8) for i in (0, 9, 10, 16, 63) for j in (0, 8, 16, 24)] +
          [(2456 + 16 * i, 8) for i in range(16)] +
          [(2712, 4), (2716, 4), (2720, 4), (2976, 8), (2984, 8), (2992, 4),
           (2996, 4)],
    VMA: [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 8),
          (48, 4), (52, 2), (54, 2)],
    PAGES: [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8)],
    FORGET: [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8)],
    STATE: [(0, 4), (4, 4)] + [(8 + 8 * i, 8) for i in range(6)] +
           [(56 + 4 * i, 4) for i in range(6)] + [(80, 8), (88, 4), (92, 4),
                                                  (96, 8)],
    SYSCALL: [(0, 4), (4, 4)] + [(8 + 8 * i, 8) for i in range(6)] +
             [(56, 4), (60, 4)],
    SYSRET: [(0, 4), (4, 4), (8, 8)],
    WANT: [(0, 4), (4, 4), (8, 8), (16, 8)],
    SIGNAL: [(0, 4), (4, 4), (8, 4), (12, 4), (16, 4), (20, 4), (24, 8),
             (32, 4), (36, 4)],
    THREAD: [(0, 4), (4, 4), (8, 4), (12, 4), (144, 8), (152, 8),
             (232, 8), (256, 8), (272, 8), (280, 8), (288, 8), (296, 8),
             (304, 8), (312, 4), (316, 4)],
    SIGFD: [(0, 4), (4, 4), (8, 8)],
    USAGE: [(0, 4), (4, 1), (5, 1), (6, 2)] + [(8 + 8 * i, 8) for i in range(23)],
    LOAD: [(0, 8), (8, 4), (12, 4), (16, 2), (18, 2), (20, 4), (24, 4),
           (28, 4), (32, 8), (40, 8)],
}
for _t in CTL_TYPES:
    FIELDS[_t] = [(0, 4), (4, 4), (8, 4), (12, 4)]

BOUNDARY = {
    1: [0, 1, 0x7F, 0x80, 0xFF],
    2: [0, 1, 2, 3, 0x7FFF, 0x8000, 0xFFFF, 4095, 4096, 4097],
    4: [0, 1, 2, 9, 19, 64, 65, 4095, 4096, 16384, 16385, 0x7FFFFFFF,
        0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x10000],
    8: [0, 1, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF,
        0x7FFFFFFFF000, 0x7FFFFFFFFFFF, 0x800000000000, 0xFFFF888000000000,
        0xFFFFFFFF81000000, 4096, 0xFFFFFFFFFFFFF000],
}
# Syscalls a live deputy may run for us: harmless at home whatever the
# arguments (a mutated number in the forwarding table outside this set is
# replaced: kill(-1, 9), unlink()... would hurt the test node itself).
SAFE_NR = (1, 5, 8, 32, 39, 79, 95, 102, 104, 107, 108, 110, 186, 0x10000)
ENOSPC = 28


def now():
    return time.monotonic()


# ------------------------------------------------------------- templates

def ctl(mid, value=0, pid=0, reserved=0):
    return struct.pack(">IIII", mid, value, pid, reserved)


def template(t, mid, rng):
    if t == HELLO:
        return migwire.hello(3, 1, 1, 0, os.urandom(32))[12:]
    if t == AUTH:
        return os.urandom(32)
    if t in (PING, PONG):
        return struct.pack(">QQ", rng.randrange(1 << 20), int(now() * 1e9))
    if t == BEGIN:
        return struct.pack(">IIHHI16sQQII", mid, 4242, mid >> 16, 0, 0,
                           b"fuzz", 10 ** 9, 10 ** 9, 0, 0)
    if t == TASK:
        return struct.pack(">II", mid, 0) + bytes(TASK_LEN - 8)
    if t == VMA:
        path = b"/usr/bin/true"
        return struct.pack(">IIQQQQQIHH32s", mid, 1, 0x400000, 0x401000, 0,
                           4096, 0, 5, len(path), 0, bytes(32)) + path
    if t == PAGES:
        n = rng.randint(1, 2)
        return (struct.pack(">II", mid, n) +
                b"".join(struct.pack(">Q", 0x400000 + 4096 * i) for i in range(n)) +
                bytes(4096 * n))
    if t == STATE:
        return struct.pack(">II", mid, 0) + bytes(48) + struct.pack(
            ">IIIIiIQiIQ", 0, 0, 0, 0, 0, 0, 50000, 0, 0x33, 0)
    if t == FORGET:
        n = rng.randint(1, 4)
        return struct.pack(">II", mid, n) + b"".join(
            struct.pack(">Q", 0x7F0000000000 + 4096 * rng.randrange(256)) for i in range(n))
    if t in CTL_TYPES:
        return ctl(mid, rng.choice([0, 9, 19, 1]))
    if t == SYSCALL:
        data = b"fuzz\n"
        return struct.pack(">II6QII", mid, 1, 1, 0, len(data), 0, 0, 0,
                           len(data), 0) + data
    if t == SYSRET:
        return struct.pack(">IIq", mid, 0, 0)
    if t == WANT:
        return struct.pack(">IIQQ", mid, 0, 0x400000, 0x401000)
    if t == SIGNAL:
        return struct.pack(">IIiIIIQII", mid, 10, 0, 1, 0, 0, 0, 0, 0)
    if t == SIGFD:
        return struct.pack(">IIQ", mid, 0, 1 << 11)
    if t == USAGE:
        return (struct.pack(">IBxH", mid, ord("R"), 5) +
                struct.pack(">8Q", 10 ** 9, 10 ** 8, 10 ** 9, 10 ** 8, 100, 1,
                            100, 1) +
                struct.pack(">15Q", *[4096 * (i + 1) for i in range(15)]))
    if t == LOAD:
        return struct.pack(">QIIHHIIIQQ", 1, 1000, 1000, 1, 0, 0, 0, 500,
                           1 << 19, 1 << 20)
    return b""


# ------------------------------------------------------------- mutators

def put(buf, off, width, value):
    if off + width <= len(buf):
        buf[off:off + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "big")


def get(buf, off, width):
    return int.from_bytes(buf[off:off + width], "big") if off + width <= len(buf) else 0


def resize(t, buf, rng):
    lo, hi = BOUNDS[t]
    if lo == hi:
        return buf
    if rng.random() < 0.5:
        new = rng.randint(lo, min(hi, max(lo, len(buf))))
        return buf[:new]
    new = min(hi, len(buf) + rng.choice([1, 7, 8, 16, 64, 1000, 4096, 4104,
                                         rng.randint(1, 20000) if rng.random() < 0.1 else 3]))
    return buf + (bytes(new - len(buf)) if rng.random() < 0.5 else os.urandom(new - len(buf)))


def mutate_fields(t, buf, rng):
    """Field-aware: counts, lengths, ids, addresses to boundary values."""
    fields = FIELDS.get(t)
    if not fields or not buf:
        return buf
    off, width = rng.choice(fields)
    old = get(buf, off, width)
    r = rng.random()
    if r < 0.5:
        val = rng.choice(BOUNDARY[width])
    elif r < 0.7:
        val = old + rng.choice([-4096, -1, 1, 4096, 1 << 12, 1 << 20])
    elif r < 0.85:
        val = old ^ (1 << rng.randrange(8 * width))
    else:
        val = rng.getrandbits(8 * width)
    put(buf, off, width, val)
    # Type-specific: lengths that agree, or not, with the frame.
    if t == PAGES and rng.random() < 0.3:
        n = rng.choice([1, 2, 63, 64, 65, 0, 0xFFFFFFFF])
        put(buf, 4, 4, n)
    if t == FORGET and rng.random() < 0.3:
        put(buf, 4, 4, rng.choice([(len(buf) - 8) // 8, (len(buf) - 8) // 8 + 1,
                                   0, 511, 512, 513, 0xFFFFFFFF]))
    if t == TASK and rng.random() < 0.3:
        put(buf, 4, 4, rng.choice([len(buf) - TASK_LEN, len(buf) - TASK_LEN + 1,
                                   16384, 512, 576, 0]))
    if t == VMA and rng.random() < 0.3:
        put(buf, 52, 2, rng.choice([len(buf) - VMA_LEN, len(buf) - VMA_LEN + 1,
                                    0, 4096, 0xFFFF]))
    if t == SYSCALL and rng.random() < 0.3:
        put(buf, 56, 4, rng.choice([len(buf) - 64, len(buf) - 63, 0, 0xFFFFFFFF]))
    if t == SYSRET and rng.random() < 0.3:
        put(buf, 4, 4, rng.choice([len(buf) - 16, len(buf) - 15, 0, 0x80000]))
    return buf


def mutate(t, payload, rng, rounds=None):
    buf = bytearray(payload)
    for _ in range(rounds or rng.choice([1, 1, 1, 2, 3])):
        r = rng.random()
        if r < 0.25 and buf:
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(buf))
                buf[i] ^= 1 << rng.randrange(8)
        elif r < 0.4 and buf:
            i = rng.randrange(len(buf))
            buf[i] = rng.choice([0, 0xFF, 0x7F, 0x80, 1])
        elif r < 0.5 and len(buf) >= 4:
            i = rng.randrange(len(buf) - 3)
            buf[i:i + 4] = rng.choice([b"\0\0\0\0", b"\xff\xff\xff\xff",
                                       b"\x7f\xff\xff\xff", b"\x80\0\0\0"])
        elif r < 0.85:
            buf = mutate_fields(t, buf, rng)
        else:
            buf = bytearray(resize(t, bytes(buf), rng))
    return bytes(buf)


HOSTILE = [0.1, 0.3, 0.4, 0.5, 0.7, 0.9]


def hostile_header(t, payload, rng, kind=None):
    """A frame whose header alone must make the node drop the link, and
    the counter that should grow; kind (0..5) picks the damage."""
    r = rng.random() if kind is None else HOSTILE[kind % len(HOSTILE)]
    lo, hi = BOUNDS[t]
    if r < 0.2:
        return struct.pack(">IBBHI", MAGIC ^ (1 << rng.randrange(32)), VERSION, t, 0,
                           len(payload)) + payload, "bad_magic"
    if r < 0.35:
        return struct.pack(">IBBHI", MAGIC, rng.choice([0, VERSION - 1, VERSION + 1, 255]), t, 0,
                           len(payload)) + payload, "bad_version"
    if r < 0.45:
        return struct.pack(">IBBHI", MAGIC, VERSION, t, rng.choice([1, 0x8000, 0xFFFF]),
                           len(payload)) + payload, "bad_version"
    if r < 0.6:
        return header(rng.choice([0, FIRST_UNKNOWN, FIRST_UNKNOWN + 1, 0x7F, 0x80, 0xFF]),
                      len(payload)) + payload, "bad_type"
    n = rng.choice([hi + 1, lo - 1, 0xFFFFFFFF, 0x7FFFFFFF, 1 << 20, (1 << 20) + 1])
    if n < 0 or lo <= n <= hi:
        n = hi + 1
    # Only the header: the node must refuse before reading (or allocating).
    return header(t, n & 0xFFFFFFFF), "bad_length"


# ------------------------------------------------------------- the link

class Peer:
    """One authenticated connection, its receive thread and what it saw."""

    def __init__(self, fz, flags=0):
        self.fz = fz
        self.sock = socket.create_connection((fz.addr, fz.port), timeout=10)
        # A PING after a batch must not wait for the batch's ACK (Nagle,
        # then a delayed ACK: 40 ms a barrier).
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.link = migwire.handshake(self.sock, fz.key, fz.src, fz.dst,
                                      fz.cipher, flags)
        self.sock.settimeout(None)
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.outq = collections.deque()
        self.queued = 0
        self.finished = False
        self.failed = None
        self.dead = False
        self.why = None
        self.born = now()
        # Frames sent since the node last answered our PING; 1 at first:
        # until it answers one, the node may not have taken the connection
        # up, and a rekey now would replace it instead of the link.
        self.since_barrier = 1
        self.closed_by_us = False
        self.rx = threading.Thread(target=self.reader, daemon=True)
        self.rx.start()
        self.tx = threading.Thread(target=self.writer, daemon=True)
        self.tx.start()

    def send(self, data):
        """Queues data for the writer thread: never blocks. The receive
        thread answers the node (PONG, KILL...) and must go on reading
        while the node is not reading us (its receive loop may wait for a
        guest to take a stream's frames, and the guest for our answer)."""
        with self.lock:
            if self.failed:
                raise OSError("connection failed: %s" % self.failed)
            if self.finished:
                raise OSError("connection finished")
            rec = self.link.tx.seal(data)
            self.outq.append(rec)
            self.queued += len(rec)
            self.wake.notify()

    def flow(self, limit=4 << 20):
        """Waits while more than limit bytes wait to be sent."""
        while self.queued > limit and not self.failed and not self.dead:
            time.sleep(0.001)

    def writer(self):
        while True:
            with self.lock:
                while not self.outq:
                    self.wake.wait()
                rec = self.outq.popleft()
            try:
                if rec is None:
                    self.sock.shutdown(socket.SHUT_WR)
                    return
                self.sock.sendall(rec)
            except OSError as e:
                with self.lock:
                    self.failed = repr(e)
                    self.outq.clear()
                    self.queued = 0
                return
            with self.lock:
                self.queued -= len(rec)

    def finish(self):
        """Nothing more from us: the node reads what we sent up to our
        FIN; the reader drains the node's frames until it closes, so that
        closing never resets the connection under frames still unread."""
        self.closed_by_us = True
        with self.lock:
            if not self.finished:
                self.finished = True
                self.outq.append(None)
                self.wake.notify()

    def close(self, wait=0.0):
        self.finish()
        deadline = now() + wait
        while not self.dead and now() < deadline:
            time.sleep(0.002)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def reader(self):
        buf = b""
        try:
            while True:
                buf += self.link.rx.open(self.sock)
                while len(buf) >= 12:
                    magic, ver, t, flags, n = struct.unpack(">IBBHI", buf[:12])
                    if magic != MAGIC:
                        raise EOFError("node sent a bad frame")
                    if len(buf) < 12 + n:
                        break
                    payload, buf = buf[12:12 + n], buf[12 + n:]
                    self.fz.received(self, t, payload)
        except EOFError as e:
            self.why = str(e)
        except Exception as e:  # noqa: BLE001 - reset, forged record, closed
            self.why = repr(e)
        self.dead = True
        if self.closed_by_us:
            self.sock.close()   # drained: nothing unread left behind


class LocalNode:
    """What the fuzzer asks of the node it attacks, when it runs on it:
    start a spin, move it, signal or kill it."""

    def spin(self, mib=1):
        sp = subprocess.Popen([SPIN, "-s", "3600", "-m", str(mib), "-x", "42"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        sp.mig_pid = int(sp.stdout.readline().decode().split()[1])
        return sp

    def move(self, pid, dest):
        r = subprocess.run([MIGCTL, "move", str(pid), str(dest)],
                           capture_output=True, timeout=120)
        return r.returncode, (r.stdout + r.stderr).decode().strip()

    def signal(self, sp, sig):
        try:
            os.kill(sp.mig_pid, sig)
        except OSError:
            pass

    def kill(self, sp):
        if sp.poll() is None:
            sp.kill()
        sp.wait()


class Fuzzer:
    def __init__(self, args, node=None):
        self.args = args
        self.node = node or LocalNode()
        self.addr, self.port = args.addr, args.port
        self.key = bytes.fromhex(args.key)
        self.src, self.dst = args.src, args.dst
        self.cipher = 1
        self.rng = random.Random(args.seed)
        self.sent = {t: 0 for t in NAMES}
        self.dropping = {}
        self.got = {}
        self.acks = {}
        self.corpus = {t: [] for t in NAMES}      # payloads per type
        self.streams = []                         # recorded moves: [(type, payload)]
        self.moving = {}                          # id -> frames of a move to us
        self.deputies = {}                        # id -> Popen of the spin
        self.ack_policy = ENOSPC                  # for the next move to us
        self.sessions = {}                        # our guest ids -> time sent
        self.next_id = 1
        self.stats = {"connections": 0, "links_dropped_expected": 0,
                      "links_dropped_unexpected": 0, "handshake_failures": 0,
                      "deep_streams": 0, "homecomings": 0, "guests_restored": 0,
                      "deputies_made": 0, "moves_to_peer": 0, "links_replaced": 0,
                      "begins_made_cheap": 0, "old_links_left_open": 0,
                      "barrier_nudges": 0,
                      "barrier_timeouts": 0}
        self.unexpected = []
        self.kept = []
        self.recent = []
        self.old_peers = []
        self.peer = None                          # the connection in use
        self.switches = {}
        self.tokens, self.tokens_at = 3.0, now()
        self.lock = threading.Lock()
        self.spins = []
        self.pongs = set()
        self.barriers = 0

    def barrier(self, peer, timeout=20):
        """Waits until the node has read everything sent so far: its
        receive loop answers a PING only after the frames before it.
        Without it, frames still unread when the next connection replaces
        this one would be thrown away unread."""
        self.barriers += 1
        ping = struct.pack(">QQ", 0xFEED000000000000 | self.barriers, 0)
        try:
            peer.send(header(PING, 16) + ping)
        except OSError:
            return False
        deadline = now() + timeout
        nudge, wait = now() + 0.004, 0.004
        # Only a PONG on this connection will do: the node answers on the
        # connection it sends on, which after a rekey is the new one only
        # once its switch work ran; until then the rekey connection is
        # still its "incoming" one, and another connection now would
        # replace (and release) it while its receive loop reads it.
        ping_id = (id(peer), ping)
        while ping_id not in self.pongs and not peer.dead and now() < deadline:
            time.sleep(0.0005)
            if now() > nudge:
                # The node's PONG may wait behind an ACK QEMU's user
                # networking delays (Nagle at the node): anything we send
                # carries that ACK. The same PING again does.
                self.stats["barrier_nudges"] += 1
                wait = min(wait * 2, 0.1)
                nudge = now() + wait
                try:
                    peer.send(header(PING, 16) + ping)
                except OSError:
                    return False
        if ping_id in self.pongs:
            self.pongs.discard(ping_id)
            peer.since_barrier = 0
            return True
        return False

    # -- what the node sends us
    def received(self, peer, t, p):
        with self.lock:
            self.got[NAMES.get(t, t)] = self.got.get(NAMES.get(t, t), 0) + 1
            if t in NAMES and len(self.corpus[t]) < 40 and (t != PAGES or len(self.corpus[t]) < 8):
                self.corpus[t].append(p)
        mid = struct.unpack(">I", p[:4])[0] if len(p) >= 4 else 0
        if t == PING:
            self._answer(peer, header(PONG, len(p)) + p)
        elif t == PONG and len(p) == 16:
            self.pongs.add((id(peer), p))
        elif t == BEGIN:
            self.moving[mid] = [(t, p)]
        elif t in (TASK, VMA, PAGES) and mid in self.moving:
            self.moving[mid].append((t, p))
        elif t == END and mid in self.moving:
            self.moving[mid].append((t, p))
            with self.lock:
                self.streams.append(self.moving.pop(mid))
                self.stats["moves_to_peer"] += 1
            value = self.ack_policy
            self._answer(peer, header(ACK, 16) + ctl(mid, value, 0 if value else 4242))
            if value == 0:
                self.deputies[mid] = None
        elif t == ACK:
            v = struct.unpack(">I", p[4:8])[0]
            with self.lock:
                self.acks[v] = self.acks.get(v, 0) + 1
                self.sessions.pop(mid, None)
                if v == 0:
                    self.stats["guests_restored"] += 1
            if v == 0:   # a mutated stream came alive: end it
                self._answer(peer, header(KILL, 16) + ctl(mid, 9))
        elif t == SYSCALL:   # a restored guest of ours asks its home
            self._answer(peer, header(KILL, 16) + ctl(mid, 9))
        elif t == WANT:
            self._answer(peer, header(END, 16) + ctl(mid))
        elif t == EXIT:
            self.deputies.pop(mid, None)

    def _answer(self, peer, frame):
        # Not on a connection we switched away from: the node no longer
        # reads it (a KILL for a guest that came alive would be lost).
        if peer.closed_by_us and self.peer is not None:
            peer = self.peer
        try:
            peer.send(frame)
        except OSError:
            pass

    # -- real moves to the fake peer, for recordings and deputies
    def start_move(self, policy):
        """Moves a fresh spin to the fake peer; returns the thread."""
        def run():
            sp = self.node.spin()
            pid = sp.mig_pid
            self.spins.append(sp)
            self.ack_policy = policy
            for _ in range(40):   # the node may not have the link up yet
                rc, out = self.node.move(pid, self.src)
                if rc == 0 or "is not up" not in out:
                    break
                time.sleep(0.25)
            if rc != 0 and policy == 0 or self.args.verbose:
                print("move %d (ACK %d): rc %d %s" % (pid, policy, rc, out),
                      file=sys.stderr, flush=True)
            if policy == 0 and rc == 0:
                self.stats["deputies_made"] += 1
            if rc != 0 or policy != 0:
                self.node.kill(sp)
            self.ack_policy = ENOSPC
        th = threading.Thread(target=run, daemon=True)
        th.start()
        return th

    def connect(self, flags=0):
        for attempt in range(50):
            try:
                peer = Peer(self, flags)
                self.stats["connections"] += 1
                self.peer = peer
                return peer
            except (OSError, EOFError, SystemExit):
                self.stats["handshake_failures"] += 1
                time.sleep(0.2 + 0.1 * attempt)
        raise SystemExit("cannot link to %s as node %d" % (self.addr, self.src))

    def record(self, peer):
        """A move refused with ENOSPC (the process stays home), then one
        accepted, the node now a deputy, to which we forward calls and
        which relays us a signal."""
        self.start_move(ENOSPC).join(150)
        deadline = now() + 30
        while not self.streams and now() < deadline:
            time.sleep(0.1)
        assert self.streams, "no move was recorded"
        self.start_move(0).join(150)
        deadline = now() + 10
        while not self.deputies and now() < deadline:
            time.sleep(0.1)
        for mid in list(self.deputies):
            getpid = struct.pack(">II6QII", mid, 39, 0, 0, 0, 0, 0, 0, 0, 0)
            data = b"fuzz recorded write\n"
            write = struct.pack(">II6QII", mid, 1, 1, 0, len(data), 0, 0, 0,
                                len(data), 0) + data
            for f in (getpid, write):
                self.corpus[SYSCALL].append(f)
                peer.send(header(SYSCALL, len(f)) + f)
                time.sleep(0.5)
        for sp in self.spins:
            self.node.signal(sp, 10)        # SIGUSR1 to the deputy: relayed
        time.sleep(1)

    # -- choosing ids and payloads
    def pick_id(self, t):
        r = self.rng.random()
        deps = [d for d in self.deputies]
        if deps and r < 0.3:
            return self.rng.choice(deps)
        if r < 0.5 and self.sessions:
            return self.rng.choice(list(self.sessions))
        if r < 0.7:
            return (self.src << 16) | self.rng.randrange(1, 0x10000)
        if r < 0.85:
            return (1 << 16) | self.rng.randrange(1, 64)
        return self.rng.choice(BOUNDARY[4] + [self.rng.getrandbits(32)])

    def base(self, t):
        pool = self.corpus.get(t)
        if t == SWITCH:
            return b""
        if pool and self.rng.random() < 0.8:
            return pool[self.rng.randrange(len(pool))]
        return template(t, 0, self.rng)

    def frame(self, t):
        """A mutated frame of type t whose header is valid."""
        p = bytearray(self.base(t))
        if t == PAGES and len(p) > 8 + 4 * 4104 and self.rng.random() < 0.9:
            n = self.rng.choice([1, 1, 1, 2, 4])   # keep most PAGES small
            p = p[:8] + p[8:8 + 8 * n] + p[8 + 8 * get(p, 4, 4):][:4096 * n]
            put(p, 4, 4, n)
            p = p[:8 + 4104 * n]
        if t in STREAM_TYPES and len(p) >= 4:
            put(p, 0, 4, self.pick_id(t))
        if t == BEGIN:   # mostly a valid new guest's fields
            put(p, 8, 2, get(p, 0, 4) >> 16)
        p = mutate(t, bytes(p), self.rng)
        if t == BEGIN and len(p) == 56 and self.admitted(p):
            if self.spawn_token():
                self.sessions[get(p, 0, 4)] = now()
            else:
                p = self.cheap_begin(p)
        if t == SYSCALL and len(p) >= 8:
            nr = get(p, 4, 4)
            if nr < 0x10000 and nr not in SAFE_NR:
                p = bytearray(p)
                put(p, 4, 4, self.rng.choice(SAFE_NR))
                p = bytes(p)
        lo, hi = BOUNDS[t]
        if not lo <= len(p) <= hi:
            p = (p + bytes(lo))[:max(lo, min(hi, len(p)))]
        return header(t, len(p)) + p

    def stream_frames(self):
        """A recorded move, re-homed to us or sent home to a deputy, then
        mutated: frames damaged, out of order, duplicated, spliced."""
        rec = self.rng.choice(self.streams)
        deps = list(self.deputies)
        home = deps and self.rng.random() < 0.3
        if home:
            mid = self.rng.choice(deps)
            self.stats["homecomings"] += 1
        else:
            mid = (self.src << 16) | (self.next_id & 0xFFFF)
            self.next_id = self.next_id % 0xFFFF + 1
            self.sessions[mid] = now()
        out = []
        full = self.rng.random() < 0.2
        for t, p in rec:
            p = bytearray(p)
            if t == PAGES and not full:   # most streams carry a few pages
                if self.rng.random() < 0.6:
                    continue
                n = min(get(p, 4, 4), 64, self.rng.choice([1, 2, 8]))
                p = p[:8] + p[8:8 + 8 * n] + p[8 + 8 * get(p, 4, 4):][:4096 * n]
                put(p, 4, 4, n)
            put(p, 0, 4, mid)
            if t == BEGIN:
                put(p, 8, 2, 1 if home else self.src)
                put(p, 10, 2, 1 if home else 0)
            out.append([t, bytes(p)])
        n = len(out)
        for _ in range(self.rng.choice([1, 1, 2, 3, 5])):
            r = self.rng.random()
            i = self.rng.randrange(n)
            if r < 0.55:
                out[i][1] = mutate(out[i][0], out[i][1], self.rng)
            elif r < 0.65:
                j = self.rng.randrange(n)
                out[i], out[j] = out[j], out[i]
            elif r < 0.75:
                out.insert(i, list(out[i]))
            elif r < 0.85:
                del out[i]
                n -= 1
                if n <= 1:
                    break
            else:   # spliced from another recorded stream
                other = self.rng.choice(self.streams)
                t, p = self.rng.choice(other)
                p = bytearray(p)
                put(p, 0, 4, mid)
                out.insert(i, [t, bytes(p)])
            n = len(out)
        frames = []
        for t, p in out:
            lo, hi = BOUNDS[t]
            if not lo <= len(p) <= hi:
                p = (p + bytes(lo))[:max(lo, min(hi, len(p)))]
            frames.append((t, header(t, len(p)) + p))
        self.stats["deep_streams"] += 1
        return frames

    # -- guests the node starts for us
    def spawn_token(self):
        """A BEGIN the node would admit starts a guest process, the
        costliest thing a peer can make it do (a usermode helper, seconds
        under TCG): at most --spawn-rate of them a second (0: no limit)."""
        rate = self.args.spawn_rate
        if not rate:
            return True
        t = now()
        self.tokens = min(3.0, self.tokens + (t - self.tokens_at) * rate)
        self.tokens_at = t
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def admitted(self, p):
        """Whether the node would start a guest for BEGIN payload p
        (kmod/guest.c, mig_guest_check_begin(), as of wire v7)."""
        mid, _, home, flags, reserved = struct.unpack(">IIHHI", p[:16])
        mono, boot, reason, pad = struct.unpack(">QQII", p[32:56])
        return (not flags & BEGIN_HOMECOMING and mid >> 16 == self.src and
                home == self.src and not reserved and not reason and not pad and
                not flags & ~(BEGIN_PINNED | BEGIN_LIVE) and
                mono <= (1 << 62) and boot <= (1 << 62) and mid not in self.sessions)

    def cheap_begin(self, p):
        """BEGIN payload p changed so that the node refuses it without
        starting a guest: an id in use, a bad field, another node's id."""
        p = bytearray(p)
        r = self.rng.random()
        if r < 0.4 and self.sessions:
            put(p, 0, 4, self.rng.choice(list(self.sessions)))      # EEXIST
        elif r < 0.6:
            put(p, 12, 4, self.rng.choice(BOUNDARY[4][1:]))          # reserved
        elif r < 0.75:
            put(p, 8, 2, self.rng.choice([0, 1, 2, 0xFFFF]))         # home node
        elif r < 0.85:
            put(p, 10, 2, self.rng.choice([8, 0x10, 0x8000, 0xFFF8]))  # flags
        else:
            put(p, 0, 4, (1 << 16) | self.rng.randrange(1, 0x10000))  # not ours
        self.stats["begins_made_cheap"] += 1
        return bytes(p)

    # -- SWITCH: the last frame on a connection
    def switch(self, peer):
        """Sends a SWITCH and returns the connection to go on with. Mostly
        a rekey as the protocol has it (a new connection whose HELLO says
        REKEY, then SWITCH on the old one: the link and everything on it
        goes on, nothing is lost); sometimes SWITCH first and the rekey
        after it, or SWITCH out of the blue followed by a plain new link
        (which replaces the old one)."""
        frame = header(SWITCH, 0)
        self.recent = (self.recent + [frame])[-6:]
        r = self.rng.random()
        # The node must have moved to the connection of the previous
        # rekey before it gets another one: a second rekey connection
        # would replace the first, frames sent on it unread.
        if peer.since_barrier and not self.barrier(peer):
            self.stats["barrier_timeouts"] += 1
            return peer
        if r < 0.9:
            new = self.connect(HELLO_REKEY)
            peer.send(frame)
            kind = "rekey"
        elif r < 0.98:
            peer.send(frame)
            new = self.connect(HELLO_REKEY)
            kind = "switch_then_rekey"
        else:
            peer.send(frame)
            new = self.connect()
            kind = "switch_then_new_link"
        peer.finish()
        self.old_peers.append(peer)
        self.sent[SWITCH] += 1
        self.switches[kind] = self.switches.get(kind, 0) + 1
        return new

    def reap_old_peers(self, final=False):
        """Connections we switched away from: the node closes them once
        it moved on (our reader then closes them); a rekey's old connection
        that stays open is counted."""
        keep = []
        for p in self.old_peers:
            if p.dead:
                continue
            if final or now() - p.born > 30:
                p.close()
                self.stats["old_links_left_open"] += 1
                continue
            keep.append(p)
        self.old_peers = keep

    # -- the run
    def run_auth(self):
        start = now()
        peer = self.connect()
        self.record(peer)
        recorded = {NAMES[t]: len(v) for t, v in self.corpus.items() if v}
        quota = {t: self.args.frames for t in NAMES}
        quota[HELLO] = quota[AUTH] = self.args.oot
        quota[SWITCH] = self.args.switches if self.args.switches is not None else self.args.oot
        plain = [t for t in NAMES if t not in ENDING]
        last_deputy = 0
        mover = None
        drop_every = self.args.drop_every
        since_drop = 0
        next_report = now() + 60
        while True:
            todo = [t for t in plain if self.sent[t] < quota[t]]
            oot = [t for t in (HELLO, AUTH) if self.sent[t] < quota[t]]
            switches = self.sent[SWITCH] < quota[SWITCH]
            if not todo and not oot and not switches:
                break
            if self.args.verbose and now() > next_report:
                next_report = now() + 60
                print("%.0f s: %d frames, %d connections" % (
                    now() - start, sum(self.sent.values()), self.stats["connections"]),
                    file=sys.stderr, flush=True)
            if peer.dead or peer.sock.fileno() < 0:
                if not peer.closed_by_us:
                    self.unexpected_drop(peer)
                self.deputies.clear()    # killed with the link
                self.sessions.clear()
                peer = self.connect()
                since_drop = 0
            # Keep a deputy around to talk to as its guest.
            if (todo and not self.deputies and
                    now() - last_deputy > self.args.deputy_every and
                    (mover is None or not mover.is_alive())):
                last_deputy = now()
                mover = self.start_move(0)
            self.reap_sessions(peer)
            self.reap_old_peers()
            batch = []
            if todo and self.streams and self.rng.random() < self.args.stream_rate and \
                    self.spawn_token():
                batch += self.stream_frames()
            for _ in range(self.args.batch if todo else 0):
                t = self.rng.choice(todo)
                batch.append((t, self.frame(t)))
            since_drop += len(batch)
            try:
                if batch:
                    for t, f in batch:
                        self.sent[t] += 1
                    self.recent = (self.recent + [f[:96] for _, f in batch])[-6:]
                    peer.send(b"".join(f for _, f in batch))
                    peer.since_barrier += len(batch)
                    peer.flow()
                # Not while a move to us runs: it would fail with the link.
                busy = mover is not None and mover.is_alive()
                if not busy and (since_drop >= drop_every or
                                 oot and self.rng.random() < self.args.oot_rate):
                    peer = self.end_link(peer, todo, oot)
                    since_drop = 0
                elif switches and (not todo or self.rng.random() < self.args.switch_rate):
                    peer = self.switch(peer)
            except OSError:
                peer.dead = True
        self.reap_sessions(peer, final=True)
        if not peer.dead:
            self.barrier(peer)
        peer.close(wait=1)
        self.reap_old_peers(final=True)
        for sp in self.spins:
            self.node.kill(sp)
        return {"mode": "auth", "seconds": round(now() - start, 1),
                "sent": {NAMES[t]: n for t, n in self.sent.items()},
                "total": sum(self.sent.values()),
                "dropping_frames": self.dropping, "received": self.got,
                "acks_by_errno": {str(k): v for k, v in self.acks.items()},
                "switches": self.switches,
                "recorded": recorded, "unexpected": self.unexpected[:10],
                "kept_after_ending_frame": self.kept,
                **self.stats}

    def run_switches(self, count):
        """Only SWITCH, count of them, on a link of our own (another fake
        node): rekeys are bound by round trips, not by the node's CPU, so
        several of these run beside run_auth()."""
        start = now()
        peer = self.connect()
        while self.sent[SWITCH] < count:
            if peer.dead:
                if not peer.closed_by_us:
                    self.unexpected_drop(peer)
                peer = self.connect()
            try:
                peer = self.switch(peer)
            except OSError:
                peer.dead = True
        if not peer.dead:
            self.barrier(peer)
        peer.close(wait=1)
        self.reap_old_peers(final=True)
        return {"mode": "switches", "src": self.src, "seconds": round(now() - start, 1),
                "sent": {"SWITCH": self.sent[SWITCH]}, "switches": self.switches,
                "unexpected": self.unexpected[:10], **self.stats}

    def end_link(self, peer, todo, oot):
        """A frame that must make the node drop the link: HELLO or AUTH
        after the handshake, or a damaged header. The node must have read
        everything before it first; then a new link."""
        t = self.rng.choice(oot) if oot and self.rng.random() < 0.5 else \
            self.rng.choice(todo or [t for t in NAMES if t not in ENDING])
        if t in ENDING:
            f, counter = self.frame(t), "bad_type"
        else:
            f, counter = hostile_header(t, self.frame(t)[12:], self.rng,
                                        self.stats["connections"])
        if peer.since_barrier and not self.barrier(peer):
            self.stats["barrier_timeouts"] += 1
        if peer.dead:   # before the frame that should end it
            return peer
        self.recent = (self.recent + [f[:96]])[-6:]
        peer.send(f)
        self.sent[t] += 1
        self.dropping[counter] = self.dropping.get(counter, 0) + 1
        # No FIN from us before the node has dropped the link itself: a
        # frame it took as valid must show as a link kept.
        deadline = now() + 3
        while not peer.dead and now() < deadline:
            time.sleep(0.002)
        peer.finish()
        if peer.dead:
            self.stats["links_dropped_expected"] += 1
        else:
            self.stats["links_replaced"] += 1
            if len(self.kept) < 10:
                self.kept.append({"kept_after": f[:96].hex(), "counter": counter})
        peer.close()
        return self.connect()

    def unexpected_drop(self, peer):
        self.stats["links_dropped_unexpected"] += 1
        if len(self.unexpected) < 10:
            self.unexpected.append({"why": peer.why,
                                    "dropped_after": [f.hex() for f in self.recent]})

    def reap_sessions(self, peer, final=False):
        """Guests of ours that got no ACK within seconds are aborted."""
        for mid, t0 in list(self.sessions.items()):
            if final or now() - t0 > 3 or len(self.sessions) > 8:
                self.sessions.pop(mid, None)
                try:
                    peer.send(header(ABORT, 16) + ctl(mid))
                except OSError:
                    return


# ------------------------------------------------------------- preauth

def run_preauth(args):
    """--frames connections at least, and on as many as it takes to send
    --hellos mutated HELLO and --auths mutated AUTH frames (the types are
    meaningful only here: after the handshake their header alone ends a
    link)."""
    rng = random.Random(args.seed)
    start = now()
    kinds = {}
    sent = {"HELLO": 0, "AUTH": 0}
    verdicts = {"dropped": 0, "answered": 0, "refused": 0}
    i = 0
    while i < args.frames or sent["HELLO"] < args.hellos or sent["AUTH"] < args.auths:
        i += 1
        try:
            sock = socket.create_connection((args.addr, args.port), timeout=5)
        except OSError:
            verdicts["refused"] += 1
            time.sleep(0.2)
            continue
        r = rng.random()
        if i > args.frames:   # only HELLO and AUTH quotas left
            r = 0.35 + 0.15 * rng.random() if sent["AUTH"] < args.auths else 0.3 * rng.random()
        priv = os.urandom(32)
        good = migwire.hello(args.src, args.dst, 1, 0, priv)
        if r < 0.35:
            kind = "hello"
            data = header(HELLO, 72) + mutate(HELLO, good[12:], rng)
            sent["HELLO"] += 1
        elif r < 0.5:
            kind = "hello+auth"
            # Half of the HELLOs damaged where the node still takes them
            # (nonce, X25519 share: a low-order or zero point must not
            # give it a key), then a mutated proof.
            hello = bytearray(good)
            if rng.random() < 0.5:
                off = 12 + 8 + rng.randrange(64)
                hello[off:off + 4] = rng.choice([b"\0\0\0\0", b"\xff\xff\xff\xff",
                                                 os.urandom(4)])
                if rng.random() < 0.2:
                    hello[12 + 40:] = rng.choice([bytes(32), b"\x01" + bytes(31),
                                                  b"\xff" * 32, os.urandom(32)])
                sent["HELLO"] += 1
            data = bytes(hello) + header(AUTH, 32) + mutate(AUTH, os.urandom(32), rng)
            sent["AUTH"] += 1
        elif r < 0.7:
            kind = "other"
            t = rng.choice([t for t in NAMES if t not in (HELLO, AUTH)])
            p = template(t, rng.getrandbits(32), rng)
            data = header(t, len(p)) + mutate(t, p, rng)
        elif r < 0.8:
            kind = "header"
            t = rng.choice(list(NAMES))
            data, _ = hostile_header(t, template(t, 0, rng), rng)
        elif r < 0.9:
            kind = "random"
            data = os.urandom(rng.choice([1, 11, 12, 13, 84, 300, 4096]))
        else:
            kind = "truncated"
            data = good[:rng.randrange(1, len(good))]
        kinds[kind] = kinds.get(kind, 0) + 1
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(2)
            got = sock.recv(256)
            verdicts["answered" if got else "dropped"] += 1
            while got:      # to its end: closing never resets unread bytes
                got = sock.recv(256)
        except (OSError, socket.timeout):
            verdicts["dropped"] += 1
        sock.close()
    return {"mode": "preauth", "connections": i, "kinds": kinds, "sent": sent,
            "verdicts": verdicts, "seconds": round(now() - start, 1)}


# ------------------------------------------------------------- named cases

def case_abort_while_restoring(args, node=None):
    """BEGIN for a new guest (and a recorded stream up to a file mapping),
    then at once or a little later ABORT, or KILL with SIGKILL: the guest
    dies while it starts or restores (opens a mapped file). The
    node answers the BEGIN with an ACK; its value must be an errno a
    sender can show (1..4095, not a kernel-internal -ERESTART* one, 512
    to 516). Seen in the fuzz run of 2026-11-30: ACK value 512."""
    fz = Fuzzer(args, node)
    peer = fz.connect()
    fz.start_move(ENOSPC).join(150)   # a real stream, file mappings in it
    deadline = now() + 30
    while not fz.streams and now() < deadline:
        time.sleep(0.1)
    ids = []
    rng = random.Random(args.seed)
    for i in range(args.frames):
        mid = (args.src << 16) | (0x8000 + i)
        ids.append(mid)
        frames = []
        for t, p in (fz.streams[0] if fz.streams and i % 4 else
                     [(BEGIN, template(BEGIN, mid, rng))]):
            p = bytearray(p)
            put(p, 0, 4, mid)
            if t == BEGIN:
                put(p, 8, 2, args.src)
                put(p, 10, 2, 0)
            frames.append(header(t, len(p)) + bytes(p))
            # Killed while it opens the first file mappings (slow on 9p).
            if t == VMA and get(p, 4, 4) & 1 and rng.random() < 0.5:
                break
        peer.send(b"".join(frames))
        time.sleep(rng.choice([0, 0.001, 0.01, 0.05, 0.1]))
        t = ABORT if i % 2 == 0 else KILL
        peer.send(header(t, 16) + ctl(mid, 9 if t == KILL else 0))
    deadline = now() + 40
    while now() < deadline and sum(fz.acks.values()) < len(ids):
        time.sleep(0.2)
    peer.close()
    for sp in fz.spins:
        fz.node.kill(sp)
    bad = {k: v for k, v in fz.acks.items() if not 0 <= k < 512}
    return {"case": "abort_while_restoring", "begins": len(ids),
            "acks_by_errno": {str(k): v for k, v in fz.acks.items()},
            "verdict": "internal-errno-on-wire" if bad else "ok"}


def case_rekey_released_while_read(args, node=None):
    """A rekey connection the node's receive loop already reads (it took
    it as the next one on our SWITCH, "switch work on its way") stays the
    node's "incoming" connection until its switch work has run; a
    connection authenticated in that window replaces it, and
    mig_link_hand_over() releases it under the loop, which releases it
    again when the link ends: kernel BUG at fs/inode.c:1848 (iput) in
    mig_link/N. Found by the fuzz run of 2026-11-30 with seven fake nodes
    rekeying at once.

    The window is a work item's scheduling delay, so this hammers it:
    --peers fake nodes from --src on (configured at the node), each
    --frames times: a REKEY connection, SWITCH on the old one, a moment,
    then a plain connection. The verdict is in the node's kernel log,
    which the test checks."""
    rounds = {}

    def hammer(src):
        a = argparse.Namespace(**vars(args))
        a.src = src
        fz = Fuzzer(a, node)
        rng = random.Random(args.seed + src)
        peer = fz.connect()
        n = 0
        for i in range(args.frames):
            try:
                if peer.dead:
                    peer = fz.connect()
                new = fz.connect(HELLO_REKEY)
                peer.send(header(SWITCH, 0))
                peer.finish()
                fz.old_peers.append(peer)
                time.sleep(rng.choice([0, 0.001, 0.002, 0.005, 0.01, 0.02]))
                peer = fz.connect()     # replaces new if its switch has not run
                new.finish()
                fz.old_peers.append(new)
                n += 1
            except (OSError, SystemExit):
                time.sleep(0.1)
            fz.reap_old_peers()
        peer.close(wait=1)
        fz.reap_old_peers(final=True)
        rounds[src] = n

    threads = [threading.Thread(target=hammer, args=(args.src + k,), daemon=True)
               for k in range(args.peers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return {"case": "rekey_released_while_read", "rounds": rounds,
            "verdict": "see the node's kernel log"}


CASES = {"abort_while_restoring": case_abort_while_restoring,
         "rekey_released_while_read": case_rekey_released_while_read}


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["auth", "preauth", "case"])
    ap.add_argument("addr")
    ap.add_argument("--case")
    ap.add_argument("--key", default="")
    ap.add_argument("--src", type=int, default=3)
    ap.add_argument("--dst", type=int, default=1)
    ap.add_argument("--port", type=int, default=PORT)
    ap.add_argument("--frames", type=int, default=2000,
                    help="auth: frames per type; preauth: connections")
    ap.add_argument("--oot", type=int, default=200,
                    help="auth: HELLO and AUTH after the handshake (each ends a link)")
    ap.add_argument("--switches", type=int, default=None,
                    help="auth: SWITCH frames, each on a connection of its own "
                         "(default: --oot)")
    ap.add_argument("--oot-rate", type=float, default=0.35,
                    help="auth: chance a batch ends with HELLO or AUTH")
    ap.add_argument("--switch-rate", type=float, default=0.35,
                    help="auth: chance a batch ends with a SWITCH")
    ap.add_argument("--spawn-rate", type=float, default=0,
                    help="auth: guests the node may start for us a second (0: any)")
    ap.add_argument("--hellos", type=int, default=0,
                    help="preauth: at least this many mutated HELLO frames")
    ap.add_argument("--auths", type=int, default=0,
                    help="preauth: at least this many mutated AUTH frames")
    ap.add_argument("--peers", type=int, default=6,
                    help="case rekey_released_while_read: fake nodes from --src on")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--stream-rate", type=float, default=0.15)
    ap.add_argument("--drop-every", type=int, default=400)
    ap.add_argument("--deputy-every", type=float, default=5)
    args = ap.parse_args(argv)
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "big")
    return args


def run(args, node=None):
    """The JSON summary of one mode; node: what runs commands on the
    attacked node (LocalNode when we run on it)."""
    if args.mode == "auth":
        out = Fuzzer(args, node).run_auth()
    elif args.mode == "preauth":
        out = run_preauth(args)
    else:
        out = CASES[args.case](args, node)
    out["seed"] = args.seed
    return out


def main():
    args = parse_args()
    print("seed", args.seed, flush=True)
    print(json.dumps(run(args), sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Fuzzes the "mig" generic netlink family with raw AF_NETLINK sockets.

    fuzznl.py [--count N] [--seed S] [--pid PID]

Resolves the family with CTRL_CMD_GETFAMILY, then sends N requests: every
command of uapi/mig.h (and numbers beside them), random versions and
flags, with random or mutated attributes: known types with right and
wrong lengths, unknown types, nested attributes (one level or more),
attribute lengths that overrun the message, huge (up to 64 KiB) and
empty values, messages whose length is cut or padded. Run it as root
(configuration changes happen: the caller restores them) or as an
unprivileged user (every admin command must fail with EPERM).

--pid: a process the MOVE and PIN requests may name besides the fuzzer
itself and pids that do not exist (never the node's other processes).

Prints a JSON summary on its last line: requests per command, answers by
errno, requests that got no answer.
"""

import argparse
import errno
import json
import os
import random
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000

CMDS = {0: "UNSPEC", 1: "NODE_ADD", 2: "NODE_DEL", 3: "NODE_LIST",
        4: "KEY_SET", 5: "STATUS", 6: "MOVE", 7: "PS", 8: "EXEC_PLACE",
        9: "PIN"}
# uapi/mig.h enum mig_attr: the width of each (0: binary, -1: flag,
# -2: nested).
ATTRS = {1: 4, 2: 4, 3: 2, 4: 1, 5: 4, 6: 4, 7: 4, 8: 0, 9: 4, 10: 2,
         11: 1, 12: -2, 13: 4, 14: 4, 15: 1, 16: 8, 17: 4, 18: 4, 19: 4,
         20: 4, 21: 1, 22: 4, 23: 8, 24: 1, 25: -1, 26: 1, 27: -2, 28: 1,
         29: 4}
A_NODE_ID, A_NODE_ADDR4, A_KEY, A_PID = 1, 2, 8, 17
ADDRS = [0, 0x7F000001, 0xFFFFFFFF, 0xE0000001, 0x0A6300C8, 0x0A6300FA,
         0x0A6300FE]


def nla(atype, data):
    # nla_len is 16 bits: nested attributes around a 64 KiB value are cut
    # to the largest attribute there is (they crashed the fuzzer).
    data = data[:0xFFFF - 4]
    n = 4 + len(data)
    return struct.pack("=HH", n, atype) + data + bytes((4 - n % 4) % 4)


def msg(family, cmd, version, flags, seq, attrs):
    body = struct.pack("=BBH", cmd, version, 0) + attrs
    return struct.pack("=IHHII", 16 + len(body), family, flags, seq, 0) + body


class Fuzz:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.seq = 1
        self.pids = [os.getpid(), 0, 0xFFFFFFFF, 0x80000000, 4194305, 999999]
        if args.pid:
            self.pids.append(args.pid)
        self.family = self.resolve()
        self.sent = {}
        self.errnos = {}
        self.silent = 0
        self.ok = 0

    def request(self, data, timeout=0.3):
        """Sends data; returns the errno of the answer (0: success,
        None: no answer), reading a dump to its end."""
        self.sock.send(data)
        self.sock.settimeout(timeout)
        result = None
        try:
            while True:
                buf = self.sock.recv(1 << 20)
                off = 0
                while off + 16 <= len(buf):
                    n, t, _, seq, _ = struct.unpack_from("=IHHII", buf, off)
                    if n < 16:
                        return result
                    if t == NLMSG_ERROR:
                        return -struct.unpack_from("=i", buf, off + 16)[0]
                    if t == NLMSG_DONE:
                        return 0
                    result = 0
                    off += (n + 3) & ~3
        except socket.timeout:
            return result

    def resolve(self):
        data = msg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_REQUEST | NLM_F_ACK,
                   0, nla(CTRL_ATTR_FAMILY_NAME, b"mig\0"))
        self.sock.send(data)
        self.sock.settimeout(2)
        buf = self.sock.recv(65536)
        off = 20
        while off + 4 <= len(buf):
            n, t = struct.unpack_from("=HH", buf, off)
            if t == CTRL_ATTR_FAMILY_ID:
                return struct.unpack_from("=H", buf, off + 4)[0]
            off += (n + 3) & ~3
        raise SystemExit("no mig family")

    def value(self, atype):
        r = self.rng
        width = ATTRS.get(atype, 0)
        if atype == A_PID and r.random() < 0.8:
            return struct.pack("=I", r.choice(self.pids))
        if atype == A_NODE_ADDR4 and r.random() < 0.8:
            return struct.pack(">I", r.choice(ADDRS))
        if atype == A_NODE_ID and r.random() < 0.7:
            return struct.pack("=I", r.choice([0, 1, 3, 4, 5, 17, 40, 65535,
                                               65536, 0xFFFFFFFF]))
        if atype == A_KEY and r.random() < 0.8:
            return os.urandom(r.choice([0, 1, 31, 32, 32, 33, 64, 255, 256, 257, 4096]))
        if width == -2 or r.random() < 0.05:
            return self.attrs(depth=1)
        roll = r.random()
        if width > 0 and roll < 0.3:
            return r.choice([0, 1, 2, 3]).to_bytes(width, "little")
        if width == -1 and roll < 0.5:
            return b""
        if width > 0 and roll < 0.6:
            return r.getrandbits(8 * width).to_bytes(width, "little")
        if roll < 0.7:
            return b""
        if roll < 0.8:
            return os.urandom(r.choice([1, 2, 3, 5, 7, 9, 16]))
        if roll < 0.85:
            return os.urandom(r.choice([1000, 4096, 16384, 65000]))
        return bytes(r.choice([4, 8]))

    def attrs(self, depth=0):
        r = self.rng
        out = b""
        for _ in range(r.choice([0, 1, 1, 2, 2, 3, 4, 8])):
            atype = r.choice(list(ATTRS) + [0, 30, 31, 0x7FFF, 0xFFFF])
            if r.random() < 0.1:
                atype |= NLA_F_NESTED
            data = self.value(atype & 0x7FFF) if depth < 4 else b""
            if len(data) > 65000:
                data = data[:65000]
            a = nla(atype, data)
            if r.random() < 0.05:   # a length that lies
                a = struct.pack("=HH", r.choice([0, 1, 3, 5, 0xFFFF]), atype) + a[4:]
            out += a
        return out

    def proper(self, cmd):
        """The attributes cmd takes, with fuzzed values, in random order,
        some left out, some repeated."""
        r = self.rng
        want = {1: [1, 2, 3], 2: [1], 4: [8], 6: [17, 1, 25], 8: [1, 26],
                9: [17, 26]}.get(cmd, [])
        want = [a for a in want if r.random() < 0.9] + \
            ([r.choice(want)] if want and r.random() < 0.1 else [])
        r.shuffle(want)
        out = b"".join(nla(a, self.value(a)) for a in want)
        if r.random() < 0.3:
            out += self.attrs()
        return out

    def one(self):
        r = self.rng
        cmd = r.choice(list(CMDS) * 4 + [10, 11, 0x7F, 0xFF])
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if r.random() < 0.2 else 0)
        version = r.choice([1] * 8 + [0, 2, 0xFF])
        attrs = self.proper(cmd) if r.random() < 0.6 else self.attrs()
        data = bytearray(msg(self.family, cmd, version, flags, self.seq, attrs))
        self.seq += 1
        roll = r.random()
        if roll < 0.03:
            data = data[:r.randrange(16, len(data) + 1)]   # cut, nlmsg_len unchanged
        elif roll < 0.06:
            struct.pack_into("=I", data, 0, r.choice([16, 17, 19, len(data) + 4]))
        elif roll < 0.08 and len(data) > 20:
            i = r.randrange(20, len(data))
            data[i] ^= 1 << r.randrange(8)
        name = CMDS.get(cmd, str(cmd))
        self.sent[name] = self.sent.get(name, 0) + 1
        try:
            err = self.request(bytes(data))
        except OSError as e:
            err = e.errno
        if err is None:
            self.silent += 1
        else:
            key = errno.errorcode.get(err, str(err)) if err else "ok"
            self.errnos[key] = self.errnos.get(key, 0) + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--pid", type=int, default=0)
    args = ap.parse_args()
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "big")
    start = time.monotonic()
    fz = Fuzz(args)
    for _ in range(args.count):
        fz.one()
    print(json.dumps({"uid": os.getuid(), "seed": args.seed, "requests": args.count,
                      "family": fz.family, "by_cmd": fz.sent, "answers": fz.errnos,
                      "no_answer": fz.silent,
                      "seconds": round(time.monotonic() - start, 1)}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

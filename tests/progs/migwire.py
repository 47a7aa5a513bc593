#!/usr/bin/python3
"""A hostile (or merely honest) peer for mig's node link port.

    migwire.py ADDR PORT MODE [--key HEX --src ID --dst ID]

Sends one kind of input and reports what the node did with it: prints
"dropped" when the node closed the connection, "open" when it still held
it after the wait, "auth-ok" after a successful handshake. Modes:
random, truncated, huge, badversion, badtype, preauth (a valid PING before
any handshake), slow (connect and send nothing), and, with --key,
auth-then-random, auth-then-huge, auth-then-hello, auth-then-shortstop (a
STOP frame of the wrong size), auth-then-strays (SIGNAL and STOP for no
process: to be refused with the link kept) after authenticating.
"""

import argparse
import hashlib
import hmac
import os
import re
import socket
import struct
import sys
import time

MAGIC = 0x4D494721
HELLO, AUTH, PING = 1, 2, 3
SIGNAL, STOP = 19, 20
LABEL = b"mig-auth-v1"


def wire_version():
    """MIG_WIRE_VERSION, read from the contract so it never goes stale."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "..", "uapi", "mig_wire.h")
    with open(path) as f:
        return int(re.search(r"#define MIG_WIRE_VERSION\s+(\d+)",
                             f.read()).group(1))


VERSION = wire_version()


def header(mtype, length, magic=MAGIC, version=VERSION, flags=0):
    return struct.pack(">IBBHI", magic, version, mtype, flags, length)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def handshake(sock, key, src, dst):
    nonce = os.urandom(32)
    sock.sendall(header(HELLO, 40) + struct.pack(">HHI", src, dst, 0) + nonce)
    recv_exact(sock, 12)
    peer_nonce = recv_exact(sock, 40)[8:]
    mac = hmac.new(key, LABEL + struct.pack(">HH", src, dst) + nonce + peer_nonce,
                   hashlib.sha256).digest()
    sock.sendall(header(AUTH, 32) + mac)
    recv_exact(sock, 12)
    peer_mac = recv_exact(sock, 32)
    expect = hmac.new(key, LABEL + struct.pack(">HH", dst, src) + peer_nonce + nonce,
                      hashlib.sha256).digest()
    if not hmac.compare_digest(peer_mac, expect):
        raise SystemExit("peer proof wrong")


PAYLOADS = {
    "random": lambda: os.urandom(4096),
    "truncated": lambda: header(HELLO, 40)[:7],
    "huge": lambda: header(HELLO, 0xFFFFFFFF),
    "badversion": lambda: header(HELLO, 40, version=9) + bytes(40),
    "badtype": lambda: header(200, 16) + bytes(16),
    "preauth": lambda: header(PING, 16) + bytes(16),
    "slow": lambda: b"",
    "hello": lambda: header(HELLO, 40) + bytes(40),
    # Well-formed process messages for no process: refused, link kept.
    "strays": lambda: (header(SIGNAL, 32) + struct.pack(">IIiIIIQ", 0xDEAD, 10, 0, 1, 0, 0, 0) +
                       header(STOP, 16) + struct.pack(">IIII", 0xDEAD, 20, 0, 0) +
                       header(SIGNAL, 32) + struct.pack(">IIiIIIQ", 0xDEAD, 0, -1, 0, 0, 0, 0)),
    "shortstop": lambda: header(STOP, 8) + bytes(8),
}


def wait_closed(sock, seconds):
    """True if the peer closes (or resets) the connection within seconds;
    data it sends meanwhile, heartbeats for instance, is read and ignored."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            sock.settimeout(deadline - time.monotonic())
            if not sock.recv(65536):
                return True
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("mode")
    ap.add_argument("--key")
    ap.add_argument("--src", type=int, default=0)
    ap.add_argument("--dst", type=int, default=0)
    ap.add_argument("--wait", type=float, default=15)
    args = ap.parse_args()

    sock = socket.create_connection((args.addr, args.port), timeout=10)
    mode = args.mode
    if mode.startswith("auth-then-"):
        handshake(sock, bytes.fromhex(args.key), args.src, args.dst)
        print("auth-ok")
        mode = mode[len("auth-then-"):]
    elif mode == "auth":
        handshake(sock, bytes.fromhex(args.key), args.src, args.dst)
        print("auth-ok")
        return 0
    try:
        sock.sendall(PAYLOADS[mode]())
        if mode == "truncated":
            sock.shutdown(socket.SHUT_WR)
    except (ConnectionResetError, BrokenPipeError):
        print("dropped")
        return 0
    print("dropped" if wait_closed(sock, args.wait) else "open")
    return 0


if __name__ == "__main__":
    sys.exit(main())

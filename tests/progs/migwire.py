#!/usr/bin/python3
"""A hostile (or merely honest) peer for mig's node link port.

    migwire.py ADDR PORT MODE [--key HEX --src ID --dst ID]

Sends one kind of input and reports what the node did with it: prints
"dropped" when the node closed the connection, "open" when it still held
it after the wait, "auth-ok" after a successful handshake. Modes:
random, truncated, huge, badversion, badtype, preauth (a valid PING before
any handshake), slow (connect and send nothing), and, with --key,
badproof (a wrong proof: "refused" when the node hangs up without proving
anything), auth (handshake only), and after authenticating and sealing:
auth-then-random, auth-then-huge (a HELLO, no longer acceptable),
auth-then-hugeping, auth-then-hello, auth-then-shortstop (a
STOP frame of the wrong size), auth-then-strays (SIGNAL and STOP for no
process: to be refused with the link kept), all sealed; auth-then-flip (a
sealed record with a bit flipped), auth-then-replay (a sealed record sent
twice), auth-then-inject (a record made without the keys).
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

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

MAGIC = 0x4D494721
HELLO, AUTH, PING = 1, 2, 3
SIGNAL, STOP = 19, 20
HELLO_LEN = 72
REKEY = 0x1
# enum mig_cipher: id -> (AEAD class, key length)
CIPHERS = {1: (AESGCM, 16), 2: (AESGCM, 32), 3: (ChaCha20Poly1305, 32)}
CIPHER_NAMES = {"aes128-gcm": 1, "aes256-gcm": 2, "chacha20-poly1305": 3}


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


def hmac256(key, *parts):
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def hkdf_expand(prk, info, length):
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac256(prk, block, info, bytes([i]))
        out += block
        i += 1
    return out[:length]


class Sealed:
    """One direction of a sealed link: TLS 1.3 records, application data
    only, keys from the handshake (Documentation/wire-protocol.rst)."""

    def __init__(self, cipher, okm):
        aead, keylen = CIPHERS[cipher]
        self.aead = aead(okm[:keylen])
        self.base = okm[32:44]
        self.seq = 0

    def _nonce(self):
        seq = self.seq.to_bytes(12, "big")
        self.seq += 1
        return bytes(a ^ b for a, b in zip(self.base, seq))

    def seal(self, data):
        """data as records of at most 16 KiB each."""
        out = b""
        for i in range(0, max(len(data), 1), 16384):
            inner = data[i:i + 16384] + b"\x17"
            hdr = struct.pack(">BHH", 0x17, 0x0303, len(inner) + 16)
            out += hdr + self.aead.encrypt(self._nonce(), inner, hdr)
        return out

    def open(self, sock):
        """The next record's content (raises on a forged one)."""
        hdr = recv_exact(sock, 5)
        body = recv_exact(sock, struct.unpack(">BHH", hdr)[2])
        inner = self.aead.decrypt(self._nonce(), body, hdr).rstrip(b"\0")
        return inner[:-1]


class Link:
    """A peer's end of a link after the handshake."""

    def __init__(self, sock, tx, rx):
        self.sock, self.tx, self.rx = sock, tx, rx

    def send(self, data):
        self.sock.sendall(self.tx.seal(data))


def hello(src, dst, cipher, flags, share):
    body = struct.pack(">HHBBH", src, dst, cipher, flags, 0) + os.urandom(32) + share
    return header(HELLO, HELLO_LEN) + body


def handshake(sock, key, src, dst, cipher=1, flags=0, proof=None):
    """Calls the node as node src (the caller's side of the handshake);
    proof, if given, replaces our proof (to see it refused)."""
    priv = X25519PrivateKey.generate()
    share = priv.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    mine = hello(src, dst, cipher, flags, share)
    sock.sendall(mine)
    theirs = recv_exact(sock, 12 + HELLO_LEN)
    transcript = hashlib.sha256(b"mig-transcript-v5" + mine + theirs).digest()
    sock.sendall(header(AUTH, 32) +
                 (proof or hmac256(key, b"mig-proof-caller-v5", transcript)))
    recv_exact(sock, 12)
    if not hmac.compare_digest(recv_exact(sock, 32),
                               hmac256(key, b"mig-proof-answer-v5", transcript)):
        raise SystemExit("peer proof wrong")
    dh = priv.exchange(X25519PublicKey.from_public_bytes(theirs[12 + 40:]))
    prk = hmac256(key, b"mig-keys-v5", transcript, dh)
    return Link(sock, Sealed(cipher, hkdf_expand(prk, b"mig caller to answer", 44)),
                Sealed(cipher, hkdf_expand(prk, b"mig answer to caller", 44)))


PAYLOADS = {
    "random": lambda: os.urandom(4096),
    "truncated": lambda: header(HELLO, HELLO_LEN)[:7],
    "huge": lambda: header(HELLO, 0xFFFFFFFF),
    "hugeping": lambda: header(PING, 0xFFFFFFFF),
    "badversion": lambda: header(HELLO, HELLO_LEN, version=VERSION + 1) + bytes(HELLO_LEN),
    "badtype": lambda: header(200, 16) + bytes(16),
    "preauth": lambda: header(PING, 16) + bytes(16),
    "slow": lambda: b"",
    "hello": lambda: header(HELLO, HELLO_LEN) + bytes(HELLO_LEN),
    # Well-formed process messages for no process: refused, link kept.
    "strays": lambda: (header(SIGNAL, 40) + struct.pack(">IIiIIIQII", 0xDEAD, 10, 0, 1, 0, 0, 0, 0, 0) +
                       header(STOP, 16) + struct.pack(">IIII", 0xDEAD, 20, 0, 0) +
                       header(SIGNAL, 40) + struct.pack(">IIiIIIQII", 0xDEAD, 0, -1, 0, 0, 0, 0, 1, 0)),
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


def forged(link, mode):
    """Bytes that are not what the link's keys seal: the record layer
    must refuse them before any frame is read."""
    ping = header(PING, 16) + bytes(16)
    if mode == "flip":          # one bit of a sealed record's ciphertext
        rec = bytearray(link.tx.seal(ping))
        rec[10] ^= 0x01
        return bytes(rec)
    if mode == "replay":        # the same sealed record twice
        rec = link.tx.seal(ping)
        return rec + rec
    if mode == "inject":        # a record made without the keys
        return struct.pack(">BHH", 0x17, 0x0303, 64) + os.urandom(64)
    return None


def run_one(args, mode):
    """One connection in @mode: the words it ends with ("auth-ok",
    "dropped", "open", "refused")."""
    sock = socket.create_connection((args.addr, args.port), timeout=10)
    said = []
    link = None
    if mode.startswith("auth") or mode == "badproof":
        key = bytes.fromhex(args.key)
        proof = os.urandom(32) if mode == "badproof" else None
        try:
            link = handshake(sock, key, args.src, args.dst,
                             CIPHER_NAMES[args.cipher], proof=proof)
        except (EOFError, ConnectionResetError):
            # The answering node hangs up on a wrong proof, proving nothing.
            return ["refused"]
        said.append("auth-ok")
        if mode == "auth":
            return said
        mode = mode[len("auth-then-"):]
    try:
        data = forged(link, mode) if link else None
        if data is None:
            data = PAYLOADS[mode]()
            if link:
                data = link.tx.seal(data)
        sock.sendall(data)
        if mode == "truncated":
            sock.shutdown(socket.SHUT_WR)
    except (ConnectionResetError, BrokenPipeError):
        return said + ["dropped"]
    return said + ["dropped" if wait_closed(sock, args.wait) else "open"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("mode", help="a mode, or several separated by commas "
                    "(one connection each, in turn; one line each: MODE WORDS)")
    ap.add_argument("--key")
    ap.add_argument("--src", type=int, default=0)
    ap.add_argument("--dst", type=int, default=0)
    ap.add_argument("--cipher", default="aes128-gcm")
    ap.add_argument("--wait", type=float, default=15)
    args = ap.parse_args()

    modes = args.mode.split(",")
    for mode in modes:
        said = run_one(args, mode)
        print(" ".join(said) if len(modes) == 1 else "%s %s" % (mode, " ".join(said)))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""make fuzz: the long fuzzing run of tests/25-fuzz.py.

    tests/fuzz.py [FRAMES]

FRAMES mutated frames of every message type from the authenticated peer
(default 100000; HELLO and AUTH after the handshake, which each end a
link, a tenth of that), FRAMES/5 unauthenticated connections and FRAMES/5
generic netlink requests as nobody and again as root. The figures (frames
sent per type, links dropped, counters, duration) are printed as the
tests' diagnostics. MIG_FUZZ_SEED=N repeats a run; MIG_FUZZ_OOT,
MIG_FUZZ_PREAUTH and MIG_FUZZ_NETLINK override the derived counts."""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    env = dict(os.environ, MIG_FUZZ_FRAMES=str(frames))
    # 25-fuzz.py scales its own per-test limits with FRAMES; the file's
    # limit is their sum.
    limit = int(900 + 2500 * max(1.0, frames / 300))
    start = time.monotonic()
    rc = subprocess.call([sys.executable, os.path.join(HERE, "run.py"),
                          "--timeout", str(limit), "25-fuzz"], env=env)
    print("# make fuzz: %d frames per type, %.0f s, exit %d" %
          (frames, time.monotonic() - start, rc))
    return rc


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""make fuzz: the long fuzzing run of tests/25-fuzz.py.

    tests/fuzz.py [FRAMES]

FRAMES mutated frames of every message type (default 100000): the
authenticated peer sends FRAMES of each type but HELLO and AUTH (a
hundredth of that after the handshake, where their header alone ends the
link; FRAMES of each go to the stranger, before authenticating) and
SWITCH (FRAMES, most of them from seven more fake nodes at once); at
least FRAMES/5 stranger connections, FRAMES/5 generic netlink requests
as nobody and again as root. Node 1 starts at most one guest in five seconds
for the fuzzer. The figures (frames sent per type, connections, links
dropped, counters, duration) are printed as the tests' diagnostics.
MIG_FUZZ_SEED=N repeats a run; MIG_FUZZ_OOT, MIG_FUZZ_HELLOS,
MIG_FUZZ_SWITCHES, MIG_FUZZ_SWITCH_PEERS, MIG_FUZZ_SPAWN_RATE,
MIG_FUZZ_DROP_EVERY, MIG_FUZZ_PREAUTH and MIG_FUZZ_NETLINK override the
derived counts."""

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

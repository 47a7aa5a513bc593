#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""pythreads: python3 threads passing items through queues, checked from
inside at home, away and back (tests/70-threads.py).

    pythreads.py [PHASES [WORKERS]]     defaults 3 and 3

A producer thread feeds numbers into a pipeline of WORKERS threads, one
queue.Queue between each two; worker i adds i + 1 to each item and counts
it in a threading.local; a consumer sums what comes out; a reader thread
is blocked in os.read() on a pipe the main thread writes once per phase.

Prints "tids main=T workers=T,T,.. producer=T consumer=T reader=T" and
"ready PID", then one check phase per SIGUSR1 (blocked in every thread,
taken by the main thread with sigwait): "phase N", "ok WHAT" or "bad WHAT:
why" lines, "done N". Each phase pauses the producer, drains the
pipeline, sends a report marker through it and checks: every item came
out, the sum is right, each worker's thread-local count equals the items
produced, and every thread's native id is the one of phase 1. After the
last phase the threads stop and are joined ("joined N"). Exit status 0,
1 when a check failed.
"""

import os
import queue
import signal
import sys
import threading
import time

PHASES = int(sys.argv[1]) if len(sys.argv) > 1 else 3
WORKERS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
MARK = object()      # the report marker
STOP = object()

queues = [queue.Queue(maxsize=64) for _ in range(WORKERS + 1)]
running = threading.Event()      # set: the producer produces
stopping = threading.Event()
local = threading.local()
lock = threading.Lock()
state = {"produced": 0, "sent_sum": 0, "consumed": 0, "got_sum": 0}
reports = {}                     # name -> (native id, thread-local count)
marker_out = threading.Event()
bad = 0


def check(ok, what, why=""):
    global bad
    if ok:
        print("ok %s" % what, flush=True)
    else:
        bad += 1
        print("bad %s: %s" % (what, why), flush=True)


def producer():
    n = 0
    while not stopping.is_set():
        if not running.wait(0.2):
            continue
        n += 1
        with lock:
            state["produced"] += 1
            state["sent_sum"] += n
        queues[0].put(n)
        time.sleep(0.001)
    queues[0].put(STOP)


def worker(i):
    local.count = 0
    name = "worker%d" % i
    while True:
        item = queues[i].get()
        if item is MARK:
            reports[name] = (threading.get_native_id(), local.count)
        elif item is not STOP:
            local.count += 1
            item += i + 1
        queues[i + 1].put(item)
        queues[i].task_done()
        if item is STOP:
            return


def consumer():
    q = queues[WORKERS]
    while True:
        item = q.get()
        if item is MARK:
            reports["consumer"] = (threading.get_native_id(), 0)
            marker_out.set()
        elif item is STOP:
            q.task_done()
            return
        else:
            with lock:
                state["consumed"] += 1
                state["got_sum"] += item
        q.task_done()


rd, wr = os.pipe()
reads = []
read_event = threading.Event()


def reader():
    while True:
        data = os.read(rd, 64)
        reads.append((threading.get_native_id(), data))
        read_event.set()
        if not data or data == b"quit":
            return


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    threads = [threading.Thread(target=worker, args=(i,), name="worker%d" % i)
               for i in range(WORKERS)]
    threads += [threading.Thread(target=producer, name="producer"),
                threading.Thread(target=consumer, name="consumer"),
                threading.Thread(target=reader, name="reader")]
    for t in threads:
        t.start()
    running.set()
    first = None
    print("tids main=%d workers=%s %s" % (
        threading.get_native_id(),
        ",".join(str(t.native_id) for t in threads[:WORKERS]),
        " ".join("%s=%d" % (t.name, t.native_id) for t in threads[WORKERS:])),
        flush=True)
    print("ready %d" % os.getpid(), flush=True)
    for phase in range(1, PHASES + 1):
        signal.sigwait({signal.SIGUSR1})
        print("phase %d" % phase, flush=True)
        with lock:
            before = state["produced"]
        end = time.monotonic() + 10
        while time.monotonic() < end and state["produced"] == before:
            time.sleep(0.02)
        check(state["produced"] > before, "produces", "nothing produced in 10 s")

        running.clear()
        time.sleep(0.05)         # the producer's last put is done
        marker_out.clear()
        queues[0].put(MARK)
        check(marker_out.wait(60), "marker", "the report marker did not come out in 60 s")
        for q in queues:
            q.join()
        with lock:
            s = dict(state)
        expect_sum = s["sent_sum"] + s["produced"] * WORKERS * (WORKERS + 1) // 2
        check(s["consumed"] == s["produced"], "all-items",
              "%d produced, %d consumed" % (s["produced"], s["consumed"]))
        check(s["got_sum"] == expect_sum, "sum", "%d, not %d" % (s["got_sum"], expect_sum))
        counts = {k: v[1] for k, v in reports.items() if k.startswith("worker")}
        check(all(c == s["produced"] for c in counts.values()) and len(counts) == WORKERS,
              "thread-local-counts", "%s, produced %d" % (counts, s["produced"]))
        ids = {k: v[0] for k, v in reports.items()}
        if first is None:
            first = ids
        check(ids == first, "native-ids", "%s, at phase 1 %s" % (ids, first))

        read_event.clear()
        msg = b"phase %d" % phase
        os.write(wr, msg)
        check(read_event.wait(30) and reads[-1][1] == msg, "reader",
              "read %s" % (reads[-1:],))
        check(len({r[0] for r in reads}) == 1, "reader-id", str(reads))
        print("items %d" % s["produced"], flush=True)
        running.set()
        print("done %d" % phase, flush=True)
    stopping.set()
    running.set()
    os.write(wr, b"quit")
    for t in threads:
        t.join(60)
    alive = [t.name for t in threads if t.is_alive()]
    check(not alive, "joined", "still running: %s" % alive)
    print("joined %d" % (len(threads) - len(alive)), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""A background job that reads its terminal, under a shell-like parent.

ttyjob.py SECONDS: makes a terminal (a pty) and a session that has it as
controlling terminal; the session leader (the "shell") starts a job in a
process group of its own, in the background. The job prints "ready PID",
spins for SECONDS (the test moves it meanwhile), then reads a line from
the terminal: being in the background, the terminal stops it with
SIGTTIN. The shell prints what waitpid(WUNTRACED | WCONTINUED) tells:
"stopped SIG"; then puts the job in the foreground and continues it
("continued"), types "hello" on the terminal, and the job prints "got
LINE" and exits 7 ("exited 7"). Exit status 0 when all went so."""

import os
import signal
import sys
import time


def job(tty):
    os.setpgid(0, 0)
    print("ready", os.getpid(), flush=True)
    end = time.monotonic() + float(sys.argv[1])
    while time.monotonic() < end:
        pass
    try:
        line = os.read(tty, 100)
    except OSError as e:
        print("read failed:", e.strerror, flush=True)
        os._exit(1)
    print("got", line.decode().strip(), flush=True)
    os._exit(7)


def shell(master, slave_name):
    os.setsid()
    tty = os.open(slave_name, os.O_RDWR)    # becomes the controlling tty
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)   # as shells do
    pid = os.fork()
    if pid == 0:
        job(tty)
    os.setpgid(pid, pid)
    while True:
        _, status = os.waitpid(pid, os.WUNTRACED | os.WCONTINUED)
        if os.WIFSTOPPED(status):
            print("stopped", os.WSTOPSIG(status), flush=True)
            os.tcsetpgrp(tty, pid)          # "fg"
            os.kill(pid, signal.SIGCONT)
        elif os.WIFCONTINUED(status):
            print("continued", flush=True)
            os.write(master, b"hello\n")
        else:
            code = os.waitstatus_to_exitcode(status)
            print("exited", code, flush=True)
            os._exit(0 if code == 7 else 1)


master, slave = os.openpty()
slave_name = os.ttyname(slave)
os.close(slave)
leader = os.fork()
if leader == 0:
    shell(master, slave_name)
_, status = os.waitpid(leader, 0)
sys.exit(os.waitstatus_to_exitcode(status))

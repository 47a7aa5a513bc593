#!/usr/bin/python3
"""Syscall forwarding: a moved process keeps using its home's files,
pipes, cwd, pid and parent through the deputy."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from migtest import diag, run, test, wait_until  # noqa: E402
import mig  # noqa: E402

NODES = 2


@test
def interpreter_moves_and_keeps_home_resources(c):
    """python3 moved mid-run: its pid, ppid, cwd, env, file offset, stdout,
    its /proc/self/cmdline and environ; at home, ps shows it"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    in0 = mig.status(n2)["stats"]["moves_in"]
    n1.run_ok("mkdir -p /tmp/w && printf 'hello, moved world\\n' > /tmp/w/data")
    sp = n1.spawn("cd /tmp/w && MIGVAR=kept exec python3 %s/tests/progs/pyspin.py "
                  "8 7 /tmp/w/data" % os.getcwd())
    pid = mig.ready(sp)
    ppid = n1.run_ok("ps -o ppid= -p %d" % pid).strip()
    mig.move(n1, pid, 2)
    (guest,) = mig.migctl_json(n2, "ps")
    assert guest["home_pid"] == pid
    # At home, /proc/PID and ps show the process, not an empty deputy.
    args = n1.run_ok("ps -o args= -p %d" % pid).strip()
    assert args.endswith("pyspin.py 8 7 /tmp/w/data") and args.startswith("python3"), args
    environ = n1.run_ok("tr '\\0' '\\n' < /proc/%d/environ" % pid).split()
    assert "MIGVAR=kept" in environ, environ
    assert sp.wait(120) == 7, sp.output()
    out = sp.output().splitlines()
    diag("\n".join(out))
    assert out == ["ready %d" % pid,
                   "pid %d ppid %s" % (pid, ppid),
                   "cwd /tmp/w env kept",
                   "file hello, moved world",
                   "cmdline %s/tests/progs/pyspin.py 8 7 /tmp/w/data" % os.getcwd(),
                   "environ kept",
                   "cwd2 /"], out
    # The guest's chdir("/") happened at home, to the deputy: the process
    # at home is gone now, but the guest ran at node 2 all along.
    assert mig.status(n2)["stats"]["moves_in"] == in0 + 1


@test
def reader_blocked_on_a_pipe_moves_mid_stream(c):
    """a read() blocked on a pipe restarts at the destination; no line lost"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    out0 = mig.status(n1)["stats"]["moves_out"]
    n1.run_ok("rm -f /tmp/fifo && mkfifo /tmp/fifo")
    sp = n1.spawn("exec python3 %s/tests/progs/linecat.py < /tmp/fifo"
                  % os.getcwd())
    feeder = n1.spawn("exec python3 -c 'import time\n"
                      "with open(\"/tmp/fifo\", \"w\") as f:\n"
                      "  for i in range(300):\n"
                      "    f.write(\"line %d\\n\" % i); f.flush(); time.sleep(0.02)\n"
                      "  f.write(\"end\\n\")'")
    pid = mig.ready(sp)
    time.sleep(1)		# in the middle of the stream, blocked in read()
    mig.move(n1, pid, 2)
    assert feeder.wait(120) == 0
    assert sp.wait(120) == 3, sp.output()
    lines = sp.output().splitlines()[1:]
    assert lines == ["line %d" % i for i in range(300)], lines[:5]
    assert mig.status(n1)["stats"]["moves_out"] == out0 + 1


@test
def moved_there_and_back_home(c):
    """migctl move PID home: the process continues at home, output exact"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    in0 = mig.status(n1)["stats"]["moves_in"]
    n1.run_ok("mkdir -p /tmp/w && printf 'there and back\\n' > /tmp/w/data")
    sp = n1.spawn("cd /tmp/w && MIGVAR=round exec python3 %s/tests/progs/pyspin.py "
                  "10 9 /tmp/w/data" % os.getcwd())
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    time.sleep(1)
    mig.move(n1, pid, "home")
    assert not mig.migctl_json(n1, "ps") and not mig.migctl_json(n2, "ps")
    assert sp.wait(120) == 9, sp.output()
    out = sp.output().splitlines()
    assert out[1:] == ["pid %d ppid %s" % (pid, out[1].split()[3]),
                       "cwd /tmp/w env round", "file there and back",
                       "cmdline %s/tests/progs/pyspin.py 10 9 /tmp/w/data" % os.getcwd(),
                       "environ round", "cwd2 /"], out
    assert mig.status(n1)["stats"]["moves_in"] == in0 + 1


@test
def sockets_and_polls_are_forwarded(c):
    """a moved process connects to a UNIX socket at home, sends, waits
    with poll() and epoll and receives, all without coming home"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n2)["stats"]["moves_out"]
    n1.run_ok("mkdir -p /tmp/w && rm -f /tmp/w/srv")
    srv = n1.spawn("exec python3 -c 'import socket; l = socket.socket(socket.AF_UNIX); "
                   "l.bind(\"/tmp/w/srv\"); l.listen(); print(\"listening\", flush=True); "
                   "c, _ = l.accept(); c.sendall(c.recv(100).upper())'")
    wait_until(lambda: "listening" in srv.output(), timeout=30, what="server")
    sp = n1.spawn("exec python3 %s/tests/progs/pysock.py 6 /tmp/w/srv" % os.getcwd())
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    assert sp.wait(120) == 0, sp.output()
    assert sp.output().splitlines()[1:] == ["reply HELLO FROM AWAY"], sp.output()
    assert srv.wait(30) == 0, srv.output()
    assert mig.status(n2)["stats"]["moves_out"] == before, "it went home"


@test
def sendmsg_and_recvmsg_are_forwarded(c):
    """a moved process sends and receives messages in several buffers, a
    descriptor (SCM_RIGHTS) of a file only home has, a datagram cut short
    (MSG_TRUNC), a UDP sender's address, and several datagrams in one
    sendmmsg()/recvmmsg(), at home, without coming home"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n2)["stats"]["moves_out"]
    n1.run_ok("mkdir -p /tmp/w && echo only at home > /tmp/w/homefile")
    sp = n1.spawn("exec python3 %s/tests/progs/pymsg.py 6 /tmp/w/homefile"
                  % os.getcwd())
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    assert sp.wait(120) == 0, sp.output()
    assert sp.output().splitlines()[1:] == [
        "stream abcdefghij", "fd only at home", "trunc 0123 True",
        "udp over udp 127.0.0.1 True"], sp.output()
    assert mig.status(n2)["stats"]["moves_out"] == before, "it went home"

    # sendmmsg() and recvmmsg(): a forwarded message at a time.
    sp = n1.spawn("exec tests/progs/bin/mmsg 5")
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    assert sp.wait(120) == 0, sp.output()
    assert sp.output().splitlines()[1:] == [
        "sent 3", "got 3: 3:one 3:two 5:three"], sp.output()
    assert mig.status(n2)["stats"]["moves_out"] == before, "mmsg went home"


@test
def waits_with_a_signal_mask_are_forwarded(c):
    """select(), ppoll(), pselect() and epoll_pwait() wait at home
    without bringing the process home; the masked ones take a SIGUSR1
    sent at home under the call's mask and then have the process's own
    mask back, also after a move home mid-wait; a process moved in
    sigsuspend() keeps its own mask too"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n2)["stats"]["moves_out"]
    for mode in ("select", "ppoll", "pselect", "epwait"):
        sp, pid, fifo = mig.start_waiter(n1, mode)
        time.sleep(0.5)
        mig.move(n1, pid, 2)
        want = ["got hello"]
        if mode != "select":
            n1.run_ok("kill -USR1 %d" % pid)
            wait_until(lambda: "signal" in sp.output(), timeout=20,
                       what="%s: the handler" % mode)
            want.insert(0, "signal")
        time.sleep(1)
        assert mig.status(n2)["stats"]["moves_out"] == before, \
            "%s: it went home" % mode
        mig.move(n1, pid, "home")
        before = mig.status(n2)["stats"]["moves_out"]
        n1.run_ok("echo hello > %s" % fifo)
        assert sp.wait(30) == 0, "%s: %s" % (mode, sp.output())
        assert sp.output().splitlines()[1:] == want, sp.output()

    sp = n1.spawn("exec tests/progs/bin/waiter sigsuspend")
    pid = mig.ready(sp)
    time.sleep(0.5)
    mig.move(n1, pid, 2)
    n1.run_ok("kill -USR1 %d" % pid)
    assert sp.wait(30) == 0, sp.output()
    assert sp.output().splitlines()[1:] == ["signal"], sp.output()


@test
def relayed_signals_say_who_sent_them(c):
    """a process moved while it waits in sigwaitinfo() gets the signals
    sent to it at home with the sender's pid and uid and sigqueue()'s
    value; one it raises names itself; it never comes home"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n2)["stats"]["moves_out"]
    sp = n1.spawn("exec tests/progs/bin/siginfo")
    pid = mig.ready(sp)
    time.sleep(0.5)
    mig.move(n1, pid, 2)
    time.sleep(1)
    kill1 = n1.run_ok("sh -c 'echo $$; exec /bin/kill -s USR1 %d'" % pid)
    wait_until(lambda: "usr1" in sp.output(), timeout=20, what="SIGUSR1")
    kill2 = n1.run_ok("sh -c 'echo $$; exec /bin/kill -q 42 -s RTMIN %d'"
                      % pid)
    assert sp.wait(30) == 0, sp.output()
    lines = sp.output().splitlines()[1:]
    assert lines[:2] == ["usr1 0 %s 0" % kill1.split()[0],
                         "rt -1 %s 42" % kill2.split()[0]], lines
    assert lines[2] in ("raise 0 1", "raise -6 1"), lines
    assert mig.status(n2)["stats"]["moves_out"] == before, "it went home"


@test
def job_control_stops_a_moved_process(c):
    """SIGTSTP sent at home to a moved process that leaves it the default
    action stops it there and its deputy at home with SIGTSTP, as its
    parent's waitpid() sees, computing or blocked in a forwarded read();
    SIGCONT continues both"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    sp = n1.spawn("exec python3 %s/tests/progs/jobstop.py 15" % os.getcwd())
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    (guest,) = mig.migctl_json(n2, "ps")
    n1.run_ok("kill -TSTP %d" % pid)
    wait_until(lambda: "stopped" in sp.output(), timeout=20,
               what="the parent to see the stop")
    stat = n2.run_ok("cat /proc/%d/stat" % guest["pid"])
    assert stat.rsplit(")", 1)[1].split()[0] == "T", "not stopped: " + stat
    n1.run_ok("kill -CONT %d" % pid)
    assert sp.wait(60) == 0, sp.output()
    assert sp.output().splitlines()[1:] == [
        "stopped 20", "continued", "exited 7"], sp.output()

    # Stopped while it waits in a read() that runs at home.
    n1.run_ok("mkdir -p /tmp/w && rm -f /tmp/w/job && mkfifo /tmp/w/job")
    holder = n1.spawn("exec sleep 600 > /tmp/w/job")   # a writer stays
    sp = n1.spawn("exec python3 %s/tests/progs/jobstop.py 0 /tmp/w/job"
                  % os.getcwd())
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    time.sleep(1)
    n1.run_ok("kill -TSTP %d" % pid)
    wait_until(lambda: "stopped" in sp.output(), timeout=20,
               what="the parent to see the stop")
    n1.run_ok("kill -CONT %d" % pid)
    n1.run_ok("echo line > /tmp/w/job")
    assert sp.wait(60) == 0, sp.output()
    assert sp.output().splitlines()[1:] == [
        "stopped 20", "continued", "got line", "exited 7"], sp.output()
    holder.kill()


@test
def background_job_reading_its_home_terminal_stops(c):
    """a moved job in the background that reads its home terminal is
    stopped by SIGTTIN, as its shell sees; put in the foreground and
    continued (SIGCONT, which it ignores, must not fail the read), it
    reads the line typed there"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n2)["stats"]["moves_out"]
    sp = n1.spawn("exec python3 %s/tests/progs/ttyjob.py 5" % os.getcwd())
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    assert sp.wait(90) == 0, sp.output()
    assert sp.output().splitlines()[1:] == [
        "stopped 21", "continued", "got hello", "exited 7"], sp.output()
    assert mig.status(n2)["stats"]["moves_out"] == before, "it went home"


@test
def signals_interrupt_a_forwarded_read(c):
    """a moved process blocked in a read() that runs at home: a caught
    SIGUSR1 runs its handler away and the read goes on; SIGINT interrupts
    it (KeyboardInterrupt)"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n2)["stats"]["moves_out"]
    prog = ("import os, signal, sys, time\n"
            "signal.signal(signal.SIGUSR1, lambda *a: print('usr1', flush=True))\n"
            "print('ready', os.getpid(), flush=True)\n"
            "end = time.monotonic() + 5\n"
            "while time.monotonic() < end: pass\n"
            "print('reading', flush=True)\n"
            "print('got', sys.stdin.readline().strip(), flush=True)\n"
            "print('reading', flush=True)\n"
            "try:\n"
            "    sys.stdin.readline()\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted', flush=True)\n"
            "    sys.exit(3)\n")
    n1.run_ok("mkdir -p /tmp/w && cat > /tmp/w/reader.py", input=prog)
    n1.run_ok("rm -f /tmp/w/fifo && mkfifo /tmp/w/fifo")
    holder = n1.spawn("exec sleep 600 > /tmp/w/fifo")  # a writer stays
    sp = n1.spawn("exec python3 /tmp/w/reader.py < /tmp/w/fifo")
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    wait_until(lambda: sp.output().count("reading") == 1, what="reading")
    time.sleep(1)
    n1.run_ok("kill -USR1 %d" % pid)
    wait_until(lambda: "usr1" in sp.output(), timeout=10, what="handler")
    n1.run_ok("echo line1 > /tmp/w/fifo")
    wait_until(lambda: sp.output().count("reading") == 2, what="2nd read")
    time.sleep(1)
    n1.run_ok("kill -INT %d" % pid)
    assert sp.wait(30) == 3, sp.output()
    assert sp.output().splitlines()[1:] == [
        "reading", "usr1", "got line1", "reading", "interrupted"], sp.output()
    assert mig.status(n2)["stats"]["moves_out"] == before, "it went home"
    holder.kill()


@test
def fork_brings_the_process_home(c):
    """a syscall only home can run (fork, execve) brings the process home;
    home counts why, and ps --history lists it with the call"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n1)["stats"]
    out0 = mig.status(n2)["stats"]["moves_out"]
    prog = ("import os, sys, time\n"
            "print('ready', os.getpid(), flush=True)\n"
            "end = time.monotonic() + 6\n"
            "while time.monotonic() < end: pass\n"
            "r = os.system('echo child says hi')\n"
            "print('system', r, flush=True)\n"
            "sys.exit(5)\n")
    n1.run_ok("cat > /tmp/forker.py", input=prog)
    sp = n1.spawn("exec python3 /tmp/forker.py")
    pid = mig.ready(sp)
    mig.move(n1, pid, 2)
    assert mig.migctl_json(n1, "ps"), "not away"
    assert sp.wait(120) == 5, sp.output()
    assert sp.output().splitlines()[1:] == ["child says hi", "system 0"], sp.output()
    assert not mig.migctl_json(n1, "ps")
    assert mig.status(n2)["stats"]["moves_out"] == out0 + 1
    after = mig.status(n1)["stats"]
    assert after["home_syscall"] == before["home_syscall"] + 1, after
    (back,) = [p for p in mig.migctl_json(n1, "ps --history") if p["pid"] == pid]
    diag("ps --history: %s" % back)
    assert back["role"] == "returned" and back["reason"] == "syscall", back
    # clone, clone3 or vfork, as this python's os.system() makes it
    assert back["syscall"] in (56, 58, 435) and back["age_ms"] < 600000, back
    out = n1.run_ok("%s ps --history" % mig.MIGCTL)
    assert "returned" in out and "back " in out and "syscall" in out, out


@test
def exec_says_when_the_program_came_straight_home(c):
    """migctl exec on a terminal: a program placed away that comes home at
    once (its shell forks) is reported, with the reason"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n2)["stats"]["moves_in"]
    out = n1.run_ok("script -qec \"%s exec 2 -- sh -c '/bin/true; sleep 5'\" /dev/null"
                    % mig.MIGCTL, timeout=120)
    diag(out.strip())
    assert "came back home by itself: syscall" in out, out
    assert mig.status(n2)["stats"]["moves_in"] == before + 1


@test
def exec_places_a_program_on_another_node(c):
    """migctl exec NODE -- CMD: CMD runs there from its first instruction
    (its loader maps libc there), with migctl's pid, parent and stdout,
    and its exit status at home"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n2)["stats"]
    sp = n1.spawn("exec %s exec 2 -- tests/progs/bin/spin -s 6 -m 8 -x 33"
                  % mig.MIGCTL)
    pid = mig.ready(sp)
    assert pid == sp.pid, "CMD does not have migctl's pid"
    (dep,) = mig.migctl_json(n1, "ps")
    assert dep["pid"] == pid and dep["where"] == 2, dep
    (guest,) = mig.migctl_json(n2, "ps")
    assert guest["home_pid"] == pid, guest
    assert sp.wait(120) == 33, sp.output()
    assert not mig.migctl_json(n1, "ps")
    after = mig.status(n2)["stats"]
    assert after["moves_in"] == before["moves_in"] + 1
    assert after["moves_out"] == before["moves_out"], "it went home"


@test
def exec_runs_an_interpreter_there(c):
    """migctl exec 2 -- python3: it starts there, imports a C extension
    (mapped from node 2's copy of the file) and never comes home"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    before = mig.status(n2)["stats"]
    prog = ("import _decimal, os, sys\n"
            "print(_decimal.Decimal(1) / 8, os.getpid(), os.getppid(), flush=True)\n"
            "sys.exit(4)\n")
    n1.run_ok("cat > /tmp/placed.py", input=prog)
    sp = n1.spawn("exec %s exec 2 -- python3 /tmp/placed.py" % mig.MIGCTL)
    assert sp.wait(180) == 4, sp.output()
    ppid = n1.run_ok("echo $PPID").strip()  # the agent spawns both
    out = sp.output().split()
    assert out[:2] == ["0.125", str(sp.pid)], out
    after = mig.status(n2)["stats"]
    assert after["moves_in"] == before["moves_in"] + 1
    assert after["moves_out"] == before["moves_out"], "it went home"
    assert out[2] == ppid, "its parent is not migctl's (%s)" % ppid


@test
def exec_refusals_leave_nothing_behind(c):
    """migctl exec to an unknown node or one that is down fails with a
    reason before anything runs"""
    n1, n2 = c.nodes
    mig.relink(c.nodes)
    rc, out = n1.run("%s exec 9 -- true" % mig.MIGCTL)
    assert rc == 125 and "node 9" in out, (rc, out)
    rc, out = n1.run("%s exec 1 -- true" % mig.MIGCTL)
    assert rc == 125 and "this node" in out, (rc, out)
    rc, out = n1.run("%s exec 2 -- no-such-program-here" % mig.MIGCTL)
    assert rc == 127 and "not found" in out, (rc, out)
    assert n1.run_ok("%s exec 2 -- sh -c 'exit 0' && echo ok" % mig.MIGCTL) \
        .strip().endswith("ok")


run()

// SPDX-License-Identifier: GPL-2.0
/*
 * latethread: a process that becomes multi-threaded after a move of it
 * was accepted, before it could be captured.
 *
 *   latethread FIFO
 *
 * Forks a child that asks to be traced and loops on getppid(). The parent
 * (the tracer) holds the child at the entry of one getppid(), prints
 * "ready TRACER CHILD" and waits for a line "go" on FIFO (opened
 * read-write). A move of the child asked for meanwhile is accepted (one
 * thread) and queued: a traced stop is not a safe point. On "go" the
 * tracer turns that getppid() into a clone(CLONE_THREAD | CLONE_VM ...)
 * of a thread that sleeps for good, and detaches: the child returns from
 * the clone with two threads, the queued move runs then and must refuse.
 * The parent prints "released", waits for the child (the test kills it)
 * and exits 0; 1 on an error, 64 on bad usage.
 *
 * The new thread starts after the syscall instruction of glibc's
 * syscall() with rax 0 and its own stack, whose first word is where its
 * ret goes: sleeper(). The child is a fork of the parent, so the stack
 * and the function are at the same addresses in both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "latethread is x86-64 only"
#endif

static unsigned long stack[8192] __attribute__((aligned(16)));

static void sleeper(void)
{
	for (;;)
		syscall(SYS_pause);
}

static void child(void)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(1);
	raise(SIGSTOP);
	for (;;)
		syscall(SYS_getppid);
}

/* Runs the child to its next system call stop. */
static int to_syscall_stop(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) ||
	    waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80) ?
	       0 : -1;
}

/* Runs the child to the entry of a getppid() (rax is -ENOSYS there). */
static int to_getppid_entry(pid_t pid)
{
	struct user_regs_struct r;
	int i;

	for (i = 0; i < 16; i++) {
		if (to_syscall_stop(pid) ||
		    ptrace(PTRACE_GETREGS, pid, NULL, &r))
			return -1;
		if (r.orig_rax == SYS_getppid && (long)r.rax == -ENOSYS)
			return 0;
	}
	return -1;
}

/* That system call becomes a clone() of a thread that runs sleeper(). */
static int inject_thread(pid_t pid)
{
	unsigned long *top = &stack[8192 - 2];
	struct user_regs_struct r;

	*top = (unsigned long)sleeper;		/* the same in the child */
	if (ptrace(PTRACE_POKEDATA, pid, top, (void *)*top) ||
	    ptrace(PTRACE_GETREGS, pid, NULL, &r))
		return -1;
	r.orig_rax = SYS_clone;
	r.rdi = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
		CLONE_THREAD | CLONE_SYSVSEM;
	r.rsi = (unsigned long)top;
	r.rdx = r.r10 = r.r8 = 0;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &r))
		return -1;
	return ptrace(PTRACE_DETACH, pid, NULL, NULL);
}

int main(int argc, char **argv)
{
	char line[16];
	int status, fd;
	FILE *in;
	pid_t pid;

	if (argc != 2) {
		fputs("usage: latethread FIFO\n", stderr);
		return 64;
	}
	fd = open(argv[1], O_RDWR);
	in = fd < 0 ? NULL : fdopen(fd, "r");
	if (!in)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid)
		child();
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) ||
	    to_getppid_entry(pid))
		return 1;
	printf("ready %d %d\n", (int)getpid(), (int)pid);
	while (fgets(line, sizeof(line), in) && strncmp(line, "go", 2))
		;
	if (inject_thread(pid))
		return 1;
	printf("released\n");
	waitpid(pid, &status, 0);
	return 0;
}

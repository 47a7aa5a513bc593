// SPDX-License-Identifier: GPL-2.0
/*
 * sharer: two processes sharing one address space.
 *
 *   sharer vfork|clonevm SECONDS
 *
 * vfork: the parent vforks; the child (on the parent's memory, the
 * parent waiting for it) prints "ready PARENT CHILD", sleeps SECONDS and
 * _exits. clonevm: clone(CLONE_VM) without CLONE_THREAD: the child
 * sleeps SECONDS on a stack of its own; the parent prints "ready PARENT
 * CHILD", waits for it, prints "alone", then spins SECONDS of CPU time
 * on its own memory. Both print "done" and exit 0 at the end; 1 on an
 * error, 64 on bad usage.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK	(256 * 1024)

static int seconds;

static int child_sleeps(void *arg)
{
	struct timespec ts = { seconds, 0 };

	nanosleep(&ts, NULL);
	return 0;
}

/* CPU time on the process's own memory, after the sharer is gone. */
static void spin(void)
{
	struct timespec ts;
	volatile unsigned long n = 0;

	do {
		for (int i = 0; i < 1000000; i++)
			n++;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	} while (ts.tv_sec < seconds);
}

static int by_vfork(void)
{
	pid_t parent = getpid(), child = vfork();
	char msg[64];
	int len, status;

	if (child < 0)
		return 1;
	if (!child) {
		len = snprintf(msg, sizeof(msg), "ready %d %d\n", (int)parent,
			       (int)getpid());
		if (write(1, msg, len) != len)
			_exit(1);
		child_sleeps(NULL);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || status)
		return 1;
	printf("done\n");
	return 0;
}

static int by_clone(void)
{
	char *stack = malloc(STACK);
	int status;
	pid_t child;

	if (!stack)
		return 1;
	child = clone(child_sleeps, stack + STACK, CLONE_VM | SIGCHLD, NULL);
	if (child < 0)
		return 1;
	printf("ready %d %d\n", (int)getpid(), (int)child);
	if (waitpid(child, &status, 0) != child || status)
		return 1;
	printf("alone\n");
	spin();
	printf("done\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (seconds = atoi(argv[2])) <= 0) {
		fputs("usage: sharer vfork|clonevm SECONDS\n", stderr);
		return 64;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "vfork"))
		return by_vfork();
	if (!strcmp(argv[1], "clonevm"))
		return by_clone();
	fputs("usage: sharer vfork|clonevm SECONDS\n", stderr);
	return 64;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * hooktest: system calls for tests/15-syscall-hook.py to watch.
 *
 *   hooktest loop          every 100 ms print getppid() (the x86-64 call and
 *                          the int $0x80 one), the result of an int $0x80
 *                          kill(self, 0) and a count of SIGUSR1 seen, until
 *                          SIGTERM or SIGINT
 *   hooktest pause         print "woke N" each time a SIGUSR1 ends pause(),
 *                          until SIGTERM or SIGINT
 *   hooktest bench N       time N getpid() system calls, print ns per call
 *   hooktest spin SECONDS  a mix of system calls in a loop for that long
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "now.h"

static volatile sig_atomic_t stop, usr1;

static void on_stop(int sig)
{
	stop = 1;
}

static void on_usr1(int sig)
{
	usr1++;
}

/* getppid through the ia32 entry (int $0x80, __NR_getppid is 64 there) */
static long getppid32(void)
{
	long ret = 64;

	asm volatile("int $0x80" : "+a"(ret) : : "memory");
	return ret;
}

/* kill(pid, sig) through the ia32 entry (__NR_kill is 37 there) */
static long kill32(int pid, int sig)
{
	long ret = 37;

	asm volatile("int $0x80" : "+a"(ret) : "b"(pid), "c"(sig) : "memory");
	return ret;
}

static int loop(void)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	struct sigaction sa;
	unsigned long tick = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);

	printf("start pid %d\n", getpid());
	fflush(stdout);
	while (!stop) {
		printf("tick %lu ppid %ld ppid32 %ld kill32 %ld usr1 %d\n",
		       tick++, syscall(SYS_getppid), getppid32(),
		       kill32(getpid(), 0), (int)usr1);
		if (fflush(stdout))
			return 1;
		nanosleep(&ts, NULL);
	}
	printf("stop after %lu ticks\n", tick);
	return 0;
}

static int pause_loop(void)
{
	struct sigaction sa;
	int n = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);

	printf("start pid %d\n", getpid());
	fflush(stdout);
	while (!stop) {
		pause();
		printf("woke %d usr1 %d\n", ++n, (int)usr1);
		fflush(stdout);
	}
	printf("stop\n");
	return 0;
}

static int bench(long n)
{
	double t0, t1;
	long i;

	t0 = now();
	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
	t1 = now();
	printf("getpid %ld calls %.3f s %.1f ns/call\n", n, t1 - t0,
	       (t1 - t0) * 1e9 / n);
	return 0;
}

static int spin(double seconds)
{
	struct timespec ts = { 0, 1000 };
	double end = now() + seconds;
	unsigned long n = 0;
	FILE *null = fopen("/dev/null", "w");

	if (!null)
		return 1;
	while (now() < end) {
		syscall(SYS_getppid);
		syscall(SYS_getpid);
		fprintf(null, "%lu\n", n);
		fflush(null);
		if (!(++n % 64))
			nanosleep(&ts, NULL);
	}
	fclose(null);
	printf("%lu rounds\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "loop"))
		return loop();
	if (argc == 2 && !strcmp(argv[1], "pause"))
		return pause_loop();
	if (argc == 3 && !strcmp(argv[1], "bench"))
		return bench(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "spin"))
		return spin(atof(argv[2]));
	fprintf(stderr, "usage: hooktest loop | pause | bench N | spin SECONDS\n");
	return 2;
}

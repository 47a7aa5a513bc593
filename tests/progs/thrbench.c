// SPDX-License-Identifier: GPL-2.0
/*
 * thrbench: processes of several threads, for make bench.
 *
 *   thrbench mem MIB THREADS
 *	MIB of private memory, every page written, and THREADS threads in
 *	all (the main one included), each blocked in a futex wait. Prints
 *	"ready PID", then waits for SIGTERM and exits 0.
 *   thrbench write THREADS SECONDS SIZE
 *	Makes THREADS threads, prints "ready PID" and waits for SIGUSR1;
 *	then the threads each write SIZE bytes to /dev/null (opened once,
 *	shared) as fast as they can for SECONDS, and it prints "writes N
 *	rate R/s" (all threads together) and exits 0.
 *
 * 64 on bad usage, 1 on an error.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "now.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int fd, started;
static size_t size;
static double until;
static long total;

static void *idle_thread(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;)
		pthread_cond_wait(&never, &mu);
	return NULL;
}

static void *writer(void *arg)
{
	char *buf = calloc(1, size);
	long n = 0;

	if (!buf)
		exit(1);
	/* Made before the move: a thread made away would bring it home. */
	pthread_mutex_lock(&mu);
	while (!started)
		pthread_cond_wait(&go, &mu);
	pthread_mutex_unlock(&mu);
	while (now() < until) {
		if (write(fd, buf, size) != (ssize_t)size)
			exit(1);
		n++;
	}
	__atomic_add_fetch(&total, n, __ATOMIC_RELAXED);
	free(buf);
	return NULL;
}

static int wait_for(int sig)
{
	sigset_t set;
	int got;

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigwait(&set, &got);
}

static void block(int sig)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int mem(long mib, int threads)
{
	size_t len = (size_t)mib << 20;
	pthread_t t;
	char *p;
	int i;

	block(SIGTERM);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (size_t off = 0; off < len; off += 4096)
		p[off] = (char)(off >> 12) | 1;
	for (i = 1; i < threads; i++)
		if (pthread_create(&t, NULL, idle_thread, NULL))
			return 1;
	printf("ready %d\n", getpid());
	fflush(stdout);
	wait_for(SIGTERM);
	return 0;
}

static int writes(int threads, double secs)
{
	pthread_t t[256];
	int i;

	if (threads < 1 || threads > 256)
		return 64;
	block(SIGUSR1);
	fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		return 1;
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, writer, NULL))
			return 1;
	printf("ready %d\n", getpid());
	fflush(stdout);
	wait_for(SIGUSR1);
	pthread_mutex_lock(&mu);
	until = now() + secs;
	started = 1;
	pthread_cond_broadcast(&go);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("writes %ld rate %.0f/s\n", total, total / secs);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "mem"))
		return mem(atol(argv[2]), atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "write")) {
		size = atol(argv[4]);
		return size ? writes(atoi(argv[2]), atof(argv[3])) : 64;
	}
	fprintf(stderr, "usage: thrbench mem MIB THREADS | write THREADS SECONDS SIZE\n");
	return 64;
}

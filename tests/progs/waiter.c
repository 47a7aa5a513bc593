// SPDX-License-Identifier: GPL-2.0
/*
 * waiter: a process that waits in a system call when it is moved.
 *
 *   waiter MODE FIFO
 *   waiter futex|futexabs|sigsuspend
 *
 * Opens FIFO read-write (so the open does not wait for a writer), prints
 * "ready PID" and waits, by MODE:
 *
 *   epoll    epoll_wait(), no timeout
 *   poll     poll(), a 120 s timeout
 *   select   select() (pselect6 with glibc), a 120 s timeout
 *   ppoll    ppoll(), 120 s, SIGUSR1 unblocked only during the wait
 *   pselect  pselect(), the same
 *   epwait   epoll_pwait(), the same
 *   futex    FUTEX_WAIT, a relative 10 s timeout, on a word nobody wakes
 *   futexabs FUTEX_WAIT_BITSET, a CLOCK_MONOTONIC deadline 10 s away
 *   sigsuspend  sigsuspend() with SIGUSR1 unblocked, until a SIGUSR1
 *
 * The FIFO modes read one line once it is readable, print "got LINE" and
 * exit 0. In the masked modes a SIGUSR1 ends the wait with EINTR after its
 * handler ran: "signal" is printed, SIGUSR1 must be blocked again (else
 * exit 4) and the wait starts over (sigsuspend exits 0 then). The futex
 * modes print "timedout SECS" and exit 0, or 5 if the wait ended before
 * its time. EINTR that no signal explains (a move showing through) exits
 * 3; anything else 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "now.h"

#define WAIT_SECS	120
#define FUTEX_SECS	10

static volatile sig_atomic_t signals;

static void on_usr1(int sig)
{
	signals++;
}

/* SIGUSR1 blocked but for the wait itself, with a handler that counts. */
static void mask_usr1(sigset_t *during)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t usr1;

	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, during);
	sigdelset(during, SIGUSR1);
}

static int usr1_blocked(void)
{
	sigset_t now;

	sigprocmask(SIG_BLOCK, NULL, &now);
	return sigismember(&now, SIGUSR1);
}

/* One wait for @fd to be readable: 1 if it is, -1 with errno if not. */
static int wait_once(const char *mode, int fd, int ep, const sigset_t *mask)
{
	struct timespec ts = { .tv_sec = WAIT_SECS };
	struct timeval tv = { .tv_sec = WAIT_SECS };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct epoll_event got;
	fd_set set;

	FD_ZERO(&set);
	FD_SET(fd, &set);
	if (!strcmp(mode, "epoll"))
		return epoll_wait(ep, &got, 1, -1);
	if (!strcmp(mode, "epwait"))
		return epoll_pwait(ep, &got, 1, -1, mask);
	if (!strcmp(mode, "poll"))
		return poll(&pfd, 1, WAIT_SECS * 1000);
	if (!strcmp(mode, "ppoll"))
		return ppoll(&pfd, 1, &ts, mask);
	if (!strcmp(mode, "select"))
		return select(fd + 1, &set, NULL, NULL, &tv);
	if (!strcmp(mode, "pselect"))
		return pselect(fd + 1, &set, NULL, NULL, &ts, mask);
	errno = EINVAL;
	return -1;
}

static int wait_fifo(const char *mode, const char *path)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int masked = !strcmp(mode, "ppoll") || !strcmp(mode, "pselect") ||
		     !strcmp(mode, "epwait");
	sigset_t during;
	char line[256];
	ssize_t len;
	int fd, ep, n;

	fd = open(path, O_RDWR);
	ep = epoll_create1(0);
	if (fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		perror("waiter: set-up");
		return 2;
	}
	if (masked)
		mask_usr1(&during);
	printf("ready %d\n", getpid());
	fflush(stdout);
	for (;;) {
		n = wait_once(mode, fd, ep, masked ? &during : NULL);
		if (n == 1)
			break;
		if (n < 0 && errno == EINTR && signals) {
			printf("signal\n");
			fflush(stdout);
			signals = 0;
			if (!usr1_blocked())
				return 4;
			continue;
		}
		printf("%s: %d (%s)\n", mode, n, n < 0 ? strerror(errno) : "");
		return n < 0 && errno == EINTR ? 3 : 1;
	}
	len = read(fd, line, sizeof(line) - 1);
	if (len <= 0)
		return 1;
	line[len] = '\0';
	printf("got %s", line);
	return masked && !usr1_blocked() ? 4 : 0;
}

/* sigsuspend() with SIGUSR1 unblocked until one comes. */
static int wait_signal(void)
{
	sigset_t during;

	mask_usr1(&during);
	printf("ready %d\n", getpid());
	fflush(stdout);
	if (sigsuspend(&during) != -1 || errno != EINTR || !signals) {
		printf("sigsuspend: %s\n", strerror(errno));
		return 1;
	}
	printf("signal\n");
	return usr1_blocked() ? 0 : 4;
}

static int wait_futex(const char *mode)
{
	int absolute = !strcmp(mode, "futexabs");
	struct timespec ts = { .tv_sec = FUTEX_SECS };
	double start = now();
	unsigned int word = 0;
	long r;

	printf("ready %d\n", getpid());
	fflush(stdout);
	if (absolute) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		start = ts.tv_sec + ts.tv_nsec / 1e9;
		ts.tv_sec += FUTEX_SECS;
		r = syscall(SYS_futex, &word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
			    0, &ts, NULL, FUTEX_BITSET_MATCH_ANY);
	} else {
		r = syscall(SYS_futex, &word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
			    0, &ts, NULL, 0);
	}
	if (r == 0 || errno != ETIMEDOUT) {
		printf("%s: %ld (%s)\n", mode, r, r ? strerror(errno) : "woken");
		return r && errno == EINTR ? 3 : 1;
	}
	printf("timedout %.1f\n", now() - start);
	return now() - start >= FUTEX_SECS ? 0 : 5;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strncmp(argv[1], "futex", 5))
		return wait_futex(argv[1]);
	if (argc == 2 && !strcmp(argv[1], "sigsuspend"))
		return wait_signal();
	if (argc != 3) {
		fprintf(stderr, "usage: waiter MODE FIFO\n");
		return 2;
	}
	return wait_fifo(argv[1], argv[2]);
}

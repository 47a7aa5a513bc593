// SPDX-License-Identifier: GPL-2.0
/*
 * clockwatch: reads CLOCK_MONOTONIC and CLOCK_BOOTTIME in a loop, through
 * the vDSO (clock_gettime) and through the system call itself, and keeps
 * the largest step back and the largest step forward of each clock.
 *
 * Prints "ready PID" once running; on SIGUSR1 prints one line per clock
 *   CLOCK back=NS jump=NS reads=N
 * and exits 0 if no clock ever went back, 1 otherwise.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct watch {
	const char *name;
	clockid_t id;
	int raw;		/* the syscall, not the vDSO */
	int64_t last;
	int64_t back;		/* largest step back, ns (positive) */
	int64_t jump;		/* largest step forward, ns */
	uint64_t reads;
};

static volatile sig_atomic_t done;

static void on_usr1(int sig)
{
	(void)sig;
	done = 1;
}

static int64_t read_clock(const struct watch *w)
{
	struct timespec ts;

	if (w->raw)
		syscall(SYS_clock_gettime, w->id, &ts);
	else
		clock_gettime(w->id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void step(struct watch *w)
{
	int64_t now = read_clock(w);
	int64_t delta = now - w->last;

	if (w->reads && -delta > w->back)
		w->back = -delta;
	if (w->reads && delta > w->jump)
		w->jump = delta;
	w->last = now;
	w->reads++;
}

int main(void)
{
	struct watch w[] = {
		{ "monotonic", CLOCK_MONOTONIC, 0 },
		{ "boottime", CLOCK_BOOTTIME, 0 },
		{ "monotonic-syscall", CLOCK_MONOTONIC, 1 },
	};
	const int n = sizeof(w) / sizeof(w[0]);
	int i, bad = 0;
	uint64_t loops = 0;

	signal(SIGUSR1, on_usr1);
	printf("ready %d\n", getpid());
	fflush(stdout);
	while (!done) {
		for (i = 0; i < n; i++)
			/* The syscall costs more: one read in 64 is plenty. */
			if (!w[i].raw || (loops & 63) == 0)
				step(&w[i]);
		loops++;
	}
	for (i = 0; i < n; i++) {
		printf("%s back=%lld jump=%lld reads=%llu\n", w[i].name,
		       (long long)w[i].back, (long long)w[i].jump,
		       (unsigned long long)w[i].reads);
		bad |= w[i].back > 0;
	}
	return bad;
}

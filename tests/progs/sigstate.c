// SPDX-License-Identifier: GPL-2.0
/*
 * sigstate: signal state that must survive a move.
 *
 *   sigstate [-s SECONDS] [-u]
 *
 * Sets a SIGUSR1 handler, ignores SIGINT, blocks SIGUSR1 and SIGUSR2 and
 * raises SIGUSR1, so that it is pending. Prints "ready PID" and spins for
 * about SECONDS (default 8). Then checks: the mask is exactly {USR1,
 * USR2}; SIGUSR1 is pending (and SIGUSR2 too with -u: the test sends it
 * while the process is away); SIGINT is still ignored and the handler
 * still set; unblocking SIGUSR1 runs the handler exactly once. Exits 42
 * if all holds, else 1 with a line saying what broke.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "now.h"

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static int fail(const char *what)
{
	printf("broken: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	int seconds = 8, want_usr2 = 0, opt, sig;
	volatile unsigned long spins = 0;
	sigset_t set, mask, pending;
	double end;

	while ((opt = getopt(argc, argv, "s:u")) != -1) {
		if (opt == 's')
			seconds = atoi(optarg);
		else if (opt == 'u')
			want_usr2 = 1;
		else
			return 2;
	}
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &sa, NULL) || signal(SIGINT, SIG_IGN) == SIG_ERR)
		return fail("set up");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);

	printf("ready %d\n", getpid());
	fflush(stdout);
	for (end = now() + seconds; now() < end; )
		spins++;

	sigprocmask(SIG_BLOCK, NULL, &mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(&mask, sig) != sigismember(&set, sig))
			return fail("signal mask");
	sigpending(&pending);
	if (!sigismember(&pending, SIGUSR1))
		return fail("SIGUSR1 no longer pending");
	if (want_usr2 && !sigismember(&pending, SIGUSR2))
		return fail("SIGUSR2 sent at home not pending");
	if (sigaction(SIGINT, NULL, &old) || old.sa_handler != SIG_IGN)
		return fail("SIGINT no longer ignored");
	if (sigaction(SIGUSR1, NULL, &old) || old.sa_handler != on_usr1 ||
	    !(old.sa_flags & SA_RESTART))
		return fail("SIGUSR1 handler");
	if (handled)
		return fail("handler ran while blocked");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (handled != 1)
		return fail("handler did not run once on unblocking");
	printf("signal state intact\n");
	return 42;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * siginfo: what a signal tells of its sender, when it was sent to the
 * process at home and the process runs elsewhere.
 *
 *   siginfo
 *
 * Blocks SIGUSR1, SIGUSR2 and SIGRTMIN, prints "ready PID" and waits for
 * them with sigwaitinfo(), first SIGUSR1 then SIGRTMIN (the test moves it
 * while it waits), then SIGUSR2 which it raise()s. Prints "usr1 CODE PID
 * UID", "rt CODE PID VALUE" and "raise CODE SELF" (SELF: 1 if the sender
 * is getpid()) from their siginfo and exits 0; 3 if a wait fails with
 * EINTR, 1 on other errors.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int wait_for(int sig, siginfo_t *info)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigwaitinfo(&set, info) == sig)
		return 0;
	printf("sigwaitinfo(%d): %s\n", sig, strerror(errno));
	return errno == EINTR ? 3 : 1;
}

int main(void)
{
	siginfo_t info;
	sigset_t set;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready %d\n", getpid());
	fflush(stdout);

	err = wait_for(SIGUSR1, &info);
	if (err)
		return err;
	printf("usr1 %d %d %d\n", info.si_code, info.si_pid, info.si_uid);
	fflush(stdout);
	err = wait_for(SIGRTMIN, &info);
	if (err)
		return err;
	printf("rt %d %d %d\n", info.si_code, info.si_pid, info.si_value.sival_int);
	fflush(stdout);
	raise(SIGUSR2);
	err = wait_for(SIGUSR2, &info);
	if (err)
		return err;
	printf("raise %d %d\n", info.si_code, info.si_pid == getpid());
	return 0;
}

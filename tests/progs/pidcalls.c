// SPDX-License-Identifier: GPL-2.0
/*
 * pidcalls: system calls that name a process by pid, asked about itself
 * (pid 0 and its own pid) and about another process.
 *
 *   pidcalls OTHER STRANGER FIFO
 *
 * Opens FIFO read-write, prints "ready PID" and then, for every line
 * "go" read from it, one round of lines (below) ending with "end"; "quit"
 * exits 0. Each round sets its own nice value, RLIMIT_NOFILE and CPU
 * affinity through its own pid, reads them back through pid 0 and its
 * pid, then reads the same of process OTHER (and its robust list head)
 * and renices it to 6 ("setother"); STRANGER gets the same, as "stranger"
 * (a pid that is not in use at home). A round's output does not depend
 * on where the process runs: only on which process each call reached.
 * Results are raw: a value, or -errno.
 *
 * Exits 1 on a set-up error, 64 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A raw system call's result: the value, or -errno. */
static long sys(long nr, long a, long b, long c, long d)
{
	long ret = syscall(nr, a, b, c, d);

	return ret == -1 ? -errno : ret;
}

/* 20 - nice, as the system call returns it (no glibc conversion). */
static long prio(pid_t pid)
{
	return sys(SYS_getpriority, PRIO_PROCESS, pid, 0, 0);
}

static void nofile(const char *what, pid_t pid)
{
	struct rlimit old;
	long ret = sys(SYS_prlimit64, pid, RLIMIT_NOFILE, 0, (long)&old);

	if (ret)
		printf("%s nofile=%ld\n", what, ret);
	else
		printf("%s nofile=%llu:%llu\n", what,
		       (unsigned long long)old.rlim_cur,
		       (unsigned long long)old.rlim_max);
}

static void affinity(const char *what, pid_t pid)
{
	unsigned long mask[16] = { 0 };
	long ret = sys(SYS_sched_getaffinity, pid, sizeof(mask), (long)mask, 0);

	printf("%s affinity=%ld:%lx\n", what, ret, ret > 0 ? mask[0] : 0);
}

static void sched(const char *what, pid_t pid)
{
	struct sched_param sp = { 0 };
	long pol = sys(SYS_sched_getscheduler, pid, 0, 0, 0);
	long ret = sys(SYS_sched_getparam, pid, (long)&sp, 0, 0);

	printf("%s sched=%ld param=%ld:%d\n", what, pol, ret,
	       ret ? 0 : sp.sched_priority);
}

/* glibc registered a robust list for the thread at start: its head. */
static void robust(const char *what, pid_t pid)
{
	size_t len = 0;
	void *head = NULL;
	long ret = sys(SYS_get_robust_list, pid, (long)&head, (long)&len, 0);

	printf("%s robust=%ld:%s:%zu\n", what, ret, head ? "set" : "none", len);
}

static void round_self(pid_t me)
{
	struct rlimit lim = { 77, 99 };
	unsigned long one = 1;

	printf("setself prio=%ld nofile=%ld affinity=%ld\n",
	       sys(SYS_setpriority, PRIO_PROCESS, me, 7, 0),
	       sys(SYS_prlimit64, me, RLIMIT_NOFILE, (long)&lim, 0),
	       sys(SYS_sched_setaffinity, me, sizeof(one), (long)&one, 0));
	printf("self0 prio=%ld\n", prio(0));
	printf("selfpid prio=%ld\n", prio(me));
	nofile("self0", 0);
	nofile("selfpid", me);
	affinity("self0", 0);
	affinity("selfpid", me);
	sched("selfpid", me);
}

static void round_other(const char *what, pid_t other)
{
	printf("%s prio=%ld\n", what, prio(other));
	nofile(what, other);
	sched(what, other);
	robust(what, other);
	printf("set%s prio=%ld\n", what,
	       sys(SYS_setpriority, PRIO_PROCESS, other, 6, 0));
	printf("%s prio=%ld\n", what, prio(other));
}

int main(int argc, char **argv)
{
	char line[64];
	pid_t other, stranger, me = getpid();
	FILE *in;
	int fd;

	if (argc != 4 || (other = atoi(argv[1])) <= 0 ||
	    (stranger = atoi(argv[2])) <= 0) {
		fputs("usage: pidcalls OTHER STRANGER FIFO\n", stderr);
		return 64;
	}
	fd = open(argv[3], O_RDWR);
	in = fd < 0 ? NULL : fdopen(fd, "r");
	if (!in) {
		perror(argv[3]);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", (int)me);
	while (fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "quit", 4))
			return 0;
		if (strncmp(line, "go", 2))
			continue;
		round_self(me);
		round_other("other", other);
		round_other("stranger", stranger);
		printf("end\n");
	}
	return 1;
}

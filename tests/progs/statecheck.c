// SPDX-License-Identifier: GPL-2.0
/*
 * statecheck: kernel-held state a process sets up, checked from inside
 * it at home, away and back (tests/47-state.py).
 *
 *   statecheck state [live]   interval timers, membarrier, mlock, madvise,
 *                         scheduling, prctl state; with "live", 16 MiB more
 *                         (written, unlocked), so that its moves pre-copy
 *   statecheck proc TAG   its own /proc files: maps, smaps, status, stat,
 *                         statm, comm, cmdline (TAG is rewritten in place
 *                         to "tagN" in phase N), environ
 *   statecheck io FILE    one read()/write()/pread()/pwrite() of 16 MiB
 *   statecheck maps FILE N   N private mappings of FILE (one page each)
 *   statecheck signalfd   reads a signalfd of SIGUSR2 and SIGALRM (both
 *                         blocked): in each phase it prints "ok
 *                         sigfd-poll-wait" and polls it for the SIGUSR2
 *                         the test sends at home (printing the sender's
 *                         pid), then reads its own ITIMER_REAL's SIGALRM,
 *                         fired while it reads and while it computes; a
 *                         signal it does not watch (SIGURG) runs its
 *                         handler; away it then closes the signalfd,
 *                         and a SIGUSR2 sent at home is relayed to it
 *                         (made again back home); with "threads", a second thread
 *                         blocking every signal sleeps meanwhile
 *
 * Prints "ready PID" after the set-up, then runs one check phase per
 * SIGUSR1 (the test moves it in between): "phase N" and a line "ok WHAT"
 * or "bad WHAT: why" per check, then "done N". Phase 2 runs away, and
 * makes no call that would bring the process home; phase 3 is back home
 * and also reads /proc/self. Exits 0 after phase 3 (with "bad" lines
 * printed if any).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "now.h"

#define PG		4096
#define IO_SIZE		(16 << 20)

static volatile sig_atomic_t go, alrm, vtalrm, prof, urg;
static sigset_t wait_mask;	/* kept blocked between phases */

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else if (sig == SIGURG)
		urg++;
	else if (sig == SIGALRM)
		alrm++;
	else if (sig == SIGVTALRM)
		vtalrm++;
	else if (sig == SIGPROF)
		prof++;
}


static void wait_phase(int phase)
{
	while (!go)
		sigsuspend(&wait_mask);
	go = 0;
	printf("phase %d\n", phase);
}

static void done(int phase)
{
	printf("done %d\n", phase);
	fflush(stdout);
}

static void spin_cpu(double secs)
{
	volatile unsigned long x = 0;
	double end = now() + secs;

	while (now() < end)
		x++;
}

/* ---- state ---- */

/* Separate mappings, each with one madvise() flag. */
static const struct { int advice; const char *flag; } advices[] = {
	{ MADV_DONTFORK, "dc" }, { MADV_DONTDUMP, "dd" },
	{ MADV_HUGEPAGE, "hg" }, { MADV_NOHUGEPAGE, "nh" },
	{ MADV_MERGEABLE, "mg" }, { MADV_WIPEONFORK, "wf" },
	{ MADV_SEQUENTIAL, "sr" }, { MADV_RANDOM, "rr" },
};
#define NADV (sizeof(advices) / sizeof(advices[0]))

static char *adv_map[NADV];
static int adv_set[NADV];
static char *lock_a, *lock_b, *future_c;
static char *big;

#define BIG_SIZE	(16 << 20)

/* Memory all written, before mlockall(): pre-copied by a live move. */
static int big_setup(void)
{
	big = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED)
		return 1;
	memset(big, 0x5a, BIG_SIZE);
	return 0;
}

static char *map_apart(size_t pages)
{
	/* A guard page on each side, so that no two test mappings merge. */
	char *p = mmap(NULL, (pages + 2) * PG, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + PG, pages * PG, PROT_READ | PROT_WRITE))
		return NULL;
	return p + PG;
}

/* The VmFlags line of the mapping at @addr in /proc/self/smaps. */
static int vmflags(void *addr, char *out, size_t len)
{
	char line[512], want[32];
	int found = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			found = 1;
		else if (found && !strncmp(line, "VmFlags:", 8)) {
			snprintf(out, len, "%s", line + 8);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

static int has_flag(const char *flags, const char *flag)
{
	char pad[600];
	char f[8];

	snprintf(pad, sizeof(pad), " %s ", flags);
	pad[strcspn(pad, "\n")] = ' ';
	snprintf(f, sizeof(f), " %s ", flag);
	return strstr(pad, f) != NULL;
}

static int resident(void *p, size_t pages)
{
	unsigned char vec[64];
	size_t i;
	int n = 0;

	if (pages > sizeof(vec) || mincore(p, pages * PG, vec))
		return -1;
	for (i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

static const struct itimerval timers[3] = {
	{ { 0, 200000 }, { 0, 200000 } },	/* REAL */
	{ { 0, 20000 }, { 0, 20000 } },		/* VIRTUAL */
	{ { 0, 30000 }, { 0, 30000 } },		/* PROF */
};

static int state_setup(int live)
{
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_RESTART };
	size_t i;

	if (live && big_setup())
		return perror("mmap"), 1;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGVTALRM, &sa, NULL);
	sigaction(SIGPROF, &sa, NULL);
	for (i = 0; i < 3; i++)
		if (setitimer(i, &timers[i], NULL))
			return perror("setitimer"), 1;
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0))
		return perror("membarrier"), 1;
	lock_a = map_apart(4);
	lock_b = map_apart(4);
	if (!lock_a || !lock_b)
		return perror("mmap"), 1;
	if (syscall(SYS_mlock2, lock_a, 4 * PG, MLOCK_ONFAULT) ||
	    mlock(lock_b, 4 * PG) ||
	    mlockall(MCL_FUTURE | MCL_ONFAULT))
		return perror("mlock"), 1;
	for (i = 0; i < NADV; i++) {
		adv_map[i] = map_apart(4);
		if (!adv_map[i])
			return perror("mmap"), 1;
		adv_map[i][0] = 1;
		/* No KSM or THP in this kernel: that flag is not checked. */
		adv_set[i] = !madvise(adv_map[i], 4 * PG, advices[i].advice);
	}
	if (setpriority(PRIO_PROCESS, 0, 7))
		return perror("setpriority"), 1;
	{
		struct sched_param sp = { 0 };

		if (sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &sp))
			return perror("sched_setscheduler"), 1;
	}
	if (prctl(PR_SET_TIMERSLACK, 123456UL, 0, 0, 0) ||
	    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ||
	    prctl(PR_SET_NAME, "stcheck", 0, 0, 0) ||
	    prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0) ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		return perror("prctl"), 1;
	if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
		    (3 << 13) /* IOPRIO_CLASS_IDLE */))
		return perror("ioprio_set"), 1;
	return 0;
}

static void state_checks(int phase)
{
	int a0 = alrm, v0 = vtalrm, p0 = prof, i, n;
	struct itimerval it;
	char name[32] = "";
	char flags[512];

	/* CPU time for the CPU timers, real time for ITIMER_REAL. */
	spin_cpu(0.8);
	check(alrm - a0 >= 2, "itimer-real-fires", "%d SIGALRM in 0.8 s",
	      alrm - a0);
	check(vtalrm - v0 >= 5, "itimer-virtual-fires",
	      "%d SIGVTALRM in 0.8 s of CPU", vtalrm - v0);
	check(prof - p0 >= 5, "itimer-prof-fires", "%d SIGPROF in 0.8 s of CPU",
	      prof - p0);
	for (i = 0; i < 3; i++) {
		char what[32];

		snprintf(what, sizeof(what), "itimer-%d-interval", i);
		n = getitimer(i, &it);
		check(!n && it.it_interval.tv_usec == timers[i].it_interval.tv_usec &&
		      it.it_interval.tv_sec == 0 &&
		      (it.it_value.tv_sec || it.it_value.tv_usec), what,
		      "getitimer %d: interval %ld.%06ld value %ld.%06ld", n,
		      (long)it.it_interval.tv_sec, (long)it.it_interval.tv_usec,
		      (long)it.it_value.tv_sec, (long)it.it_value.tv_usec);
	}
	n = syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	check(n == 0, "membarrier", "PRIVATE_EXPEDITED: %s",
	      n ? strerror(errno) : "0");
	n = getpriority(PRIO_PROCESS, 0);
	check(n == 7, "nice", "nice %d, not 7", n);
	n = sched_getscheduler(0);
	check(n == (SCHED_BATCH | SCHED_RESET_ON_FORK), "sched-policy",
	      "policy %#x, not SCHED_BATCH|SCHED_RESET_ON_FORK", n);
	n = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	check(n == 123456, "timerslack", "%d", n);
	n = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	check(n == 1, "thp-disable", "%d", n);
	n = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	check(n == 0, "dumpable", "%d", n);
	prctl(PR_GET_NAME, name, 0, 0, 0);
	check(!strcmp(name, "stcheck"), "name", "%s", name);
	if (big) {
		for (i = 0, n = 0; i < BIG_SIZE; i += PG)
			n += big[i] != 0x5a;
		check(!n, "big-memory", "%d pages wrong", n);
	}
	if (phase == 2) {
		/* mlockall(MCL_FUTURE | MCL_ONFAULT), applied away. */
		future_c = map_apart(4);
		check(future_c != NULL, "map-away", "mmap failed");
	} else {
		/* At home: what only home's calls tell. */
		n = syscall(SYS_ioprio_get, 1, 0);
		check(n == (3 << 13), "ioprio", "%#x", n);
		n = 0;
		prctl(PR_GET_PDEATHSIG, &n, 0, 0, 0);
		check(n == SIGUSR2, "pdeathsig", "%d", n);
		n = 0;
		prctl(PR_GET_CHILD_SUBREAPER, &n, 0, 0, 0);
		check(n == 1, "subreaper", "%d", n);
	}
	/* /proc/self/smaps: read where the process runs (phase 2 away). */
	n = vmflags(lock_a, flags, sizeof(flags));
	check(!n && has_flag(flags, "lo") && resident(lock_a, 4) == 0,
	      "mlock-onfault", "%s resident %d", n ? "?" : flags,
	      resident(lock_a, 4));
	n = vmflags(lock_b, flags, sizeof(flags));
	check(!n && has_flag(flags, "lo") && resident(lock_b, 4) == 4,
	      "mlock", "%s resident %d", n ? "?" : flags, resident(lock_b, 4));
	if (future_c) {
		n = vmflags(future_c, flags, sizeof(flags));
		check(!n && has_flag(flags, "lo") && resident(future_c, 4) == 0,
		      "mlockall-future-onfault", "%s resident %d",
		      n ? "?" : flags, resident(future_c, 4));
	}
	for (i = 0; i < (int)NADV; i++) {
		char what[32];

		if (!adv_set[i])
			continue;
		snprintf(what, sizeof(what), "madvise-%s", advices[i].flag);
		n = vmflags(adv_map[i], flags, sizeof(flags));
		check(!n && has_flag(flags, advices[i].flag), what, "%s",
		      n ? "no such mapping" : flags);
	}
}

/* ---- its own /proc files ---- */

static char *tag;		/* argv[2], rewritten in place each phase */

/* The whole of FILE (at most @len - 1 bytes, NUL-terminated); its length or -1. */
static int slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY), n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1 &&
	       (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

/* The number after "KEY:" in @text, or -1. */
static long field(const char *text, const char *key)
{
	char want[32];
	const char *p;

	snprintf(want, sizeof(want), "\n%s:", key);
	p = strstr(text, want);
	return p ? strtol(p + strlen(want), NULL, 10) : -1;
}

static char procbuf[1 << 20];

static void proc_checks(int phase)
{
	long pid = getpid(), ppid = getppid(), pgrp = getpgrp(), sid = getsid(0);
	char path[64], want[64], *p;
	int n, fd, lo, st_pid, st_ppid, st_pgrp, st_sid;
	long rss;

	tag[3] = '0' + phase;
	n = slurp("/proc/self/maps", procbuf, sizeof(procbuf));
	snprintf(want, sizeof(want), "\n%lx-", (unsigned long)big);
	check(n > 0 && strstr(procbuf, want), "maps", "no mapping at %p in %d bytes",
	      big, n);
	n = slurp("/proc/self/smaps_rollup", procbuf, sizeof(procbuf));
	rss = field(procbuf, "Rss");
	check(rss >= BIG_SIZE / 1024, "smaps-rollup", "Rss %ld kB", rss);
	n = slurp("/proc/self/status", procbuf + 1, sizeof(procbuf) - 1);
	procbuf[0] = '\n';
	check(field(procbuf, "Pid") == pid && field(procbuf, "Tgid") == pid &&
	      field(procbuf, "PPid") == ppid && field(procbuf, "NSpid") == pid,
	      "status-pids", "Pid %ld Tgid %ld PPid %ld NSpid %ld, not %ld %ld",
	      field(procbuf, "Pid"), field(procbuf, "Tgid"),
	      field(procbuf, "PPid"), field(procbuf, "NSpid"), pid, ppid);
	/* VmRSS and statm count in batches: half is well above a deputy's. */
	rss = field(procbuf, "VmRSS");
	check(rss >= BIG_SIZE / 2048, "status-rss", "VmRSS %ld kB", rss);
	check(!strncmp(procbuf, "\nName:\tstatecheck\n", 18), "status-name",
	      "%.30s", procbuf + 1);
	n = slurp("/proc/self/stat", procbuf, sizeof(procbuf));
	p = strrchr(procbuf, ')');
	st_pid = atoi(procbuf);
	check(n > 0 && p &&
	      sscanf(p + 1, " %*c %d %d %d", &st_ppid, &st_pgrp, &st_sid) == 3 &&
	      st_pid == pid && st_ppid == ppid && st_pgrp == pgrp &&
	      st_sid == sid && !strncmp(strchr(procbuf, '('), "(statecheck)", 12),
	      "stat", "%.80s (want %ld %ld %ld %ld)", procbuf, pid, ppid, pgrp,
	      sid);
	n = slurp("/proc/self/statm", procbuf, sizeof(procbuf));
	check(n > 0 && sscanf(procbuf, "%*d %ld", &rss) == 1 &&
	      rss >= BIG_SIZE / PG / 2, "statm", "%s", procbuf);
	n = slurp("/proc/self/comm", procbuf, sizeof(procbuf));
	check(!strcmp(procbuf, "statecheck\n"), "comm", "%s", procbuf);
	n = slurp("/proc/self/cmdline", procbuf, sizeof(procbuf));
	snprintf(want, sizeof(want), "proc%ctag%d", 0, phase);
	p = memchr(procbuf, 0, n > 0 ? n : 0);
	check(p && n == (int)(p - procbuf) + 11 && !memcmp(p + 1, want, 10),
	      "cmdline", "%d bytes, ...%s", n, p ? p + 1 : "?");
	n = slurp("/proc/self/environ", procbuf, sizeof(procbuf));
	for (p = procbuf; p < procbuf + n && strcmp(p, "MIGSTATE=kept");
	     p += strlen(p) + 1)
		;
	check(p < procbuf + n, "environ", "MIGSTATE=kept not in %d bytes", n);
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	n = slurp(path, procbuf + 1, sizeof(procbuf) - 1);
	procbuf[0] = '\n';
	check(field(procbuf, "Pid") == pid && field(procbuf, "VmRSS") >=
	      BIG_SIZE / 2048, "home-pid-status", "Pid %ld VmRSS %ld",
	      field(procbuf, "Pid"), field(procbuf, "VmRSS"));
	n = slurp("/proc/thread-self/stat", procbuf, sizeof(procbuf));
	check(n > 0 && atol(procbuf) == pid, "thread-self", "%.40s", procbuf);
	snprintf(path, sizeof(path), "/proc/self/task/%ld/statm", pid);
	n = slurp(path, procbuf, sizeof(procbuf));
	check(n > 0 && sscanf(procbuf, "%*d %ld", &rss) == 1 &&
	      rss >= BIG_SIZE / PG / 2, "task-statm", "%s", procbuf);
	/* An ordinary read-only descriptor, the lowest free number. */
	lo = dup(0);
	close(lo);
	fd = open("/proc/self/status", O_RDONLY);
	n = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	check(fd == lo && n >= 0 && (n & O_ACCMODE) == O_RDONLY &&
	      write(fd, "x", 1) < 0 && lseek(fd, 5, SEEK_SET) == 5 &&
	      read(fd, want, 4) == 4 && !memcmp(want, "\tst", 3),
	      "proc-fd", "fd %d (lowest %d), flags %#x", fd, lo, n);
	if (fd >= 0)
		close(fd);
}

/* ---- large I/O ---- */

static void io_checks(const char *path, int phase)
{
	char *w = malloc(IO_SIZE), *r = malloc(IO_SIZE);
	ssize_t n;
	off_t off;
	int fd, i;

	if (!w || !r) {
		check(0, "io-alloc", "no memory");
		return;
	}
	for (i = 0; i < IO_SIZE; i++)
		w[i] = (char)(i * 7 + phase + i / 4093);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0, "io-open", "%s", strerror(errno));
	n = write(fd, w, IO_SIZE);
	check(n == IO_SIZE, "io-write-16m", "write returned %zd", n);
	off = lseek(fd, 0, SEEK_CUR);
	check(off == IO_SIZE, "io-write-offset", "offset %lld", (long long)off);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, r, IO_SIZE);
	check(n == IO_SIZE && !memcmp(r, w, IO_SIZE), "io-read-16m",
	      "read returned %zd", n);
	off = lseek(fd, 0, SEEK_CUR);
	check(off == IO_SIZE, "io-read-offset", "offset %lld", (long long)off);
	n = read(fd, r, 1 << 20);
	check(n == 0, "io-read-eof", "read at the end returned %zd", n);
	memset(r, 0, IO_SIZE);
	n = pread(fd, r, 3 << 20, 1 << 20);
	check(n == 3 << 20 && !memcmp(r, w + (1 << 20), 3 << 20), "io-pread-3m",
	      "pread returned %zd", n);
	n = pread(fd, r, 2 << 20, IO_SIZE - (1 << 20));
	check(n == 1 << 20, "io-pread-short-at-eof", "pread returned %zd", n);
	n = pwrite(fd, w, 1 << 20, 2 << 20);
	check(n == 1 << 20, "io-pwrite-1m", "pwrite returned %zd", n);
	off = lseek(fd, 0, SEEK_CUR);
	check(off == IO_SIZE, "io-positional-offset", "offset %lld",
	      (long long)off);
	close(fd);
	free(w);
	free(r);
}

/* ---- signalfd ---- */

static int sfd = -1;

static int sigfd_setup(void)
{
	struct sigaction sa = { .sa_handler = on_sig };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	wait_mask = set;
	sfd = signalfd(-1, &set, 0);
	if (sfd < 0)
		return perror("signalfd"), 1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGURG, &sa, NULL);
	return 0;
}

/* A thread that takes no signal: they all go to the main thread. */
static void *sigfd_sleeper(void *arg)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;)
		usleep(200000);
	return arg;
}

static int sigfd_threads(void)
{
	pthread_t t;

	return pthread_create(&t, NULL, sigfd_sleeper, NULL);
}

/* One signalfd_siginfo, or ssi_signo 0. */
static struct signalfd_siginfo sigfd_read(void)
{
	struct signalfd_siginfo si;

	memset(&si, 0, sizeof(si));
	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		si.ssi_signo = 0;
	return si;
}

static void sigfd_alarm(long usec)
{
	struct itimerval it = { .it_value.tv_usec = usec };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void sigfd_checks(int phase)
{
	struct pollfd p = { .fd = sfd, .events = POLLIN };
	struct signalfd_siginfo si;
	struct timespec ts = { 5, 0 };
	struct epoll_event ev;
	siginfo_t info;
	double t0, dt;
	int n, ep;

	if (sfd < 0) {
		sfd = signalfd(-1, &wait_mask, 0);
		p.fd = sfd;
	}

	/* kill -USR2 PID at home, sent when it says it waits. */
	printf("ok sigfd-poll-wait\n");
	fflush(stdout);
	n = poll(&p, 1, 60000);
	check(n == 1 && p.revents & POLLIN, "sigfd-poll", "poll returned %d, revents %#x",
	      n, p.revents);
	si = sigfd_read();
	check(si.ssi_signo == SIGUSR2 && si.ssi_code == SI_USER &&
	      si.ssi_uid == getuid() && si.ssi_pid > 0, "sigfd-usr2",
	      "read signo %u code %d pid %u uid %u", si.ssi_signo,
	      si.ssi_code, si.ssi_pid, si.ssi_uid);
	printf("ok sigfd-usr2-pid %u\n", si.ssi_pid);

	/* Its own timer, firing while it waits in read(). */
	t0 = now();
	sigfd_alarm(300000);
	si = sigfd_read();
	dt = now() - t0;
	check(si.ssi_signo == SIGALRM && si.ssi_code == SI_KERNEL &&
	      si.ssi_pid == 0 && dt > 0.25 && dt < 5, "sigfd-alarm-read",
	      "read signo %u code %d pid %u after %.3f s", si.ssi_signo,
	      si.ssi_code, si.ssi_pid, dt);

	/* ... and while it computes: pending here, then an epoll wait. */
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	sigfd_alarm(50000);
	spin_cpu(0.3);
	n = epoll_wait(ep, &ev, 1, 5000);
	si = sigfd_read();
	check(n == 1 && si.ssi_signo == SIGALRM && si.ssi_code == SI_KERNEL,
	      "sigfd-alarm-pending", "epoll_wait %d, read signo %u code %d", n,
	      si.ssi_signo, si.ssi_code);
	close(ep);

	/* A signal it does not watch runs its handler, wherever it runs. */
	urg = 0;
	kill(getpid(), SIGURG);
	t0 = now();
	while (!urg && now() - t0 < 5)
		usleep(10000);
	check(urg == 1, "sigfd-unwatched-handler", "SIGURG handled %d times",
	      (int)urg);
	p.revents = 0;
	n = poll(&p, 1, 0);
	check(n == 0, "sigfd-empty", "poll returned %d, revents %#x", n,
	      p.revents);
	if (phase != 2)
		return;

	/* Closed away: home relays SIGUSR2 again, pending here. */
	close(sfd);
	sfd = -1;
	kill(getpid(), SIGUSR2);
	memset(&info, 0, sizeof(info));
	n = sigtimedwait(&wait_mask, &info, &ts);
	check(n == SIGUSR2 && info.si_code == SI_USER &&
	      info.si_pid == getpid(), "sigfd-closed-relayed",
	      "sigtimedwait %d, code %d, pid %d", n, info.si_code,
	      info.si_pid);
}

/* ---- many mappings of one file ---- */

static char **maps;
static int nmaps;

static int maps_setup(const char *path, int n)
{
	int fd = open(path, O_RDONLY), i;

	if (fd < 0)
		return perror(path), 1;
	maps = calloc(n, sizeof(*maps));
	for (i = 0; i < n; i++) {
		/* Apart: a private file mapping next to another may merge. */
		maps[i] = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd,
			       (off_t)(i % 4) * PG);
		if (maps[i] == MAP_FAILED)
			return perror("mmap"), 1;
	}
	nmaps = n;
	close(fd);
	return 0;
}

static void maps_checks(void)
{
	int i, wrong = 0;

	for (i = 0; i < nmaps; i++)
		wrong += maps[i][0] != 'a' + i % 4 || maps[i][PG - 1] != '\n';
	check(!wrong, "maps-content", "%d of %d mappings read wrong", wrong,
	      nmaps);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_RESTART };
	const char *mode = argc > 1 ? argv[1] : "";
	int phase;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&wait_mask);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (!strcmp(mode, "state")) {
		if (state_setup(argc > 2 && !strcmp(argv[2], "live")))
			return 1;
	} else if (!strcmp(mode, "proc") && argc > 2 && strlen(argv[2]) == 4) {
		tag = argv[2];
		if (big_setup())
			return perror("mmap"), 1;
	} else if (!strcmp(mode, "maps") && argc > 3) {
		if (maps_setup(argv[2], atoi(argv[3])))
			return 1;
	} else if (!strcmp(mode, "signalfd")) {
		if (sigfd_setup())
			return 1;
		if (argc > 2 && !strcmp(argv[2], "threads") && sigfd_threads())
			return perror("pthread_create"), 1;
	} else if (strcmp(mode, "io") || argc < 3) {
		fprintf(stderr, "usage: statecheck state [live]|proc TAG|io FILE|maps FILE N|signalfd\n");
		return 2;
	}
	printf("ready %d\n", getpid());
	for (phase = 1; phase <= 3; phase++) {
		wait_phase(phase);
		if (!strcmp(mode, "state"))
			state_checks(phase);
		else if (!strcmp(mode, "proc"))
			proc_checks(phase);
		else if (!strcmp(mode, "io"))
			io_checks(argv[2], phase);
		else if (!strcmp(mode, "maps"))
			maps_checks();
		else if (!strcmp(mode, "signalfd"))
			sigfd_checks(phase);
		done(phase);
	}
	return check_failures ? 1 : 0;
}

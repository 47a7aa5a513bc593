// SPDX-License-Identifier: GPL-2.0
/*
 * threads: a multi-threaded process checked from inside at home, away and
 * back (tests/70-threads.py).
 *
 *   threads [OPTIONS] MODE [N]
 *   threads tgkill PID TID SIG     send SIG to thread TID of PID (TID 0:
 *                                  kill(PID, SIG), to the whole process)
 *
 * Every mode runs a ring of N threads (default 3, at most 16) passing a
 * token round-robin under one mutex with a condition variable each (both
 * PTHREAD_PROCESS_SHARED: the shared-futex path), each counting its passes
 * in a __thread counter, plus a reader thread blocked in read() on a pipe
 * that the main thread writes once per phase. Each ring thread has its
 * own name, signal mask and alternate signal stack, and does some FPU
 * work per pass whose result it checks.
 *
 * Modes add threads of their own:
 *   ring       nothing more
 *   spawn      a "victim" thread holds a robust mutex; at phase -s (2) it
 *              exits (joined, the mutex found owner-dead), then a new thread
 *              "born" starts (its TLS must be the initial image) and
 *              reports at every later phase
 *   kill       a "target" thread in pause(), a "catcher" thread, the only
 *              one not blocking SIGRTMIN+2; SIGUSR2 (blocked nowhere) and
 *              SIGRTMIN+2 handlers record gettid() and whether they ran on
 *              the thread's alternate stack; each phase prints them as
 *              "sig usr2 TID:alt|main ..." and "sig rt TID:... ..." (sorted)
 *              and forgets them
 *   exitgroup  at phase -x (2) a "quitter" thread calls exit(7) while the
 *              main thread waits in pthread_join() for it
 *   sleepers   at the end of phase 1, threads block in clock_nanosleep()
 *              of -S seconds (10), FUTEX_WAIT (private and shared, no
 *              timeout), FUTEX_WAIT with a timeout of -S seconds, and
 *              poll() on a pipe; phase 2 wakes the futexes and writes the
 *              pipe, then checks what each returned and when
 *
 * Options:
 *   -p PHASES  number of phases (3)
 *   -t SECS    a phase starts SECS after the previous one if no SIGUSR1
 *              came first (for `migctl exec`, nobody to signal it)
 *   -d USEC    each ring thread sleeps USEC after a pass (1000)
 *   -m MIB     MIB of heap, filled, and checked at each phase
 *   -s PHASE   spawn's phase (2)     -x PHASE  exitgroup's phase (2)
 *   -S SECS    sleepers' sleep (10)
 *
 * Prints "tids main=T ring=T,T,.. reader=T [mode's threads]" and "ready
 * PID", then one check phase per SIGUSR1 (it is blocked in every thread;
 * the main thread takes it with sigwait, so a process-wide SIGUSR1 sent
 * to the process at home while it is away reaches it): "phase N", a line
 * "ok WHAT" or "bad WHAT: why" per check, then "done N". Every phase
 * checks that each thread's gettid() and TLS address are those of phase 1,
 * that the passes of the token equal the sum of the threads' __thread
 * counters, names, masks, alternate stacks and rseq registrations. No
 * check makes a call that would bring the process home (no clone, no
 * /proc/self). After the last phase all threads stop and are joined
 * ("joined N"). Exit status 0, 1 when a check failed, 2 on bad usage,
 * 7 from exitgroup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "now.h"

#define MAXRING		16
#define ALTSZ		65536
#define MSGSZ		32
#define SIG_RT		(SIGRTMIN + 2)
#define MAXHITS		64

static int nring = 3, nphases = 3, auto_secs, delay_us = 1000, heap_mib;
static int spawn_phase = 2, exit_phase = 2, sleep_secs = 10;
static const char *mode = "";

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}


static void die(const char *what, int err)
{
	fprintf(stderr, "threads: %s: %s\n", what, strerror(err));
	exit(1);
}

/*
 * The mailbox: one private mutex and condition variable (CLOCK_MONOTONIC)
 * for every hand-over between the main thread and the others but the
 * ring's; waits are bounded, a thread that never answers is a "bad" line,
 * not a hang.
 */
static pthread_mutex_t mb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mb_cv;

static void mb_signal(void)
{
	pthread_cond_broadcast(&mb_cv);
	pthread_mutex_unlock(&mb_lock);
}

/* With mb_lock held: waits until *word != old or secs pass. */
static int mb_wait_change(volatile int *word, int old, double secs)
{
	struct timespec ts;
	double end = now() + secs;

	ts.tv_sec = (time_t)end;
	ts.tv_nsec = (long)((end - (double)ts.tv_sec) * 1e9);
	while (*word == old)
		if (pthread_cond_timedwait(&mb_cv, &mb_lock, &ts) == ETIMEDOUT)
			return *word != old;
	return 1;
}

/* ---- per-thread state every thread checks of itself ---- */

static __thread long tls_count;
static __thread int tls_magic = 0x5eed;

struct self {
	char name[16];
	sigset_t mask;
	stack_t alt;
};

static int sig_mask_equal(const sigset_t *a, const sigset_t *b)
{
	int s;

	for (s = 1; s <= SIGRTMAX; s++)
		if (sigismember(a, s) != sigismember(b, s))
			return 0;
	return 1;
}

/* Name, extra blocked signal and alternate stack of the calling thread. */
static void self_setup(struct self *me, const char *name, int block, char *alt)
{
	sigset_t set;

	snprintf(me->name, sizeof(me->name), "%s", name);
	prctl(PR_SET_NAME, me->name, 0, 0, 0);
	if (block) {
		sigemptyset(&set);
		sigaddset(&set, block);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}
	pthread_sigmask(SIG_BLOCK, NULL, &me->mask);
	me->alt.ss_sp = alt;
	me->alt.ss_size = ALTSZ;
	me->alt.ss_flags = 0;
	if (alt && sigaltstack(&me->alt, NULL))
		die("sigaltstack", errno);
}

/* rseq still registered by glibc's area: the kernel says EBUSY. */
static int rseq_registered(void)
{
	struct rseq *rs;

	if (!__rseq_size)
		return 1;	/* glibc did not register: nothing to compare */
	rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
	if (syscall(SYS_rseq, rs, 32, 0, RSEQ_SIG) == 0)
		return 0;	/* was not registered: it is now */
	return errno == EBUSY && (int)rs->cpu_id >= 0;
}

/* What a thread says of itself: 0 when all is as set up, else a bit per
 * difference (1 name, 2 mask, 4 alt stack, 8 rseq). */
static int self_diff(const struct self *me)
{
	char name[16] = "";
	sigset_t mask;
	stack_t alt;
	int diff = 0;

	prctl(PR_GET_NAME, name, 0, 0, 0);
	if (strcmp(name, me->name))
		diff |= 1;
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	if (!sig_mask_equal(&mask, &me->mask))
		diff |= 2;
	if (sigaltstack(NULL, &alt) || alt.ss_flags != me->alt.ss_flags ||
	    (me->alt.ss_sp && (alt.ss_sp != me->alt.ss_sp ||
			       alt.ss_size != me->alt.ss_size)) ||
	    (!me->alt.ss_sp && alt.ss_flags != SS_DISABLE))
		diff |= 4;
	if (!rseq_registered())
		diff |= 8;
	return diff;
}

static void self_nostack(struct self *me)
{
	me->alt.ss_sp = NULL;
	me->alt.ss_flags = SS_DISABLE;
}

/* A sum done in registers; 1 when it comes out wrong. */
static int fpu_work(int i)
{
	double x = 0, m = i + 1;
	int k;

	for (k = 1; k <= 2000; k++)
		x += k * m;
	return x != 2001000.0 * m;
}

/* ---- the ring ---- */

static pthread_mutex_t ring_lock;		/* process-shared */
static pthread_cond_t ring_cv[MAXRING];		/* process-shared */
static pthread_barrier_t ring_bar;
static pthread_t ring_th[MAXRING];
static int turn, paused, stop, report_gen;
static long passes;

static struct report {
	pid_t tid;
	long tls;
	void *tls_addr;
	int diff;
	int fpu_bad;
} rep[MAXRING];

static char altstacks[MAXRING + 4][ALTSZ] __attribute__((aligned(16)));

static void *ring_thread(void *arg)
{
	int i = (int)(long)arg, seen = 0, fpu_bad = 0;
	struct self me;
	char name[16];

	snprintf(name, sizeof(name), "ring%d", i);
	self_setup(&me, name, SIGRTMIN + 3 + i, altstacks[i]);
	pthread_mutex_lock(&ring_lock);
	for (;;) {
		if (report_gen != seen) {
			seen = report_gen;
			rep[i].tid = gettid_();
			rep[i].tls = tls_count;
			rep[i].tls_addr = &tls_count;
			rep[i].diff = self_diff(&me);
			rep[i].fpu_bad = fpu_bad;
			pthread_mutex_unlock(&ring_lock);
			pthread_barrier_wait(&ring_bar);
			pthread_mutex_lock(&ring_lock);
			continue;
		}
		if (stop)
			break;
		if (paused || turn != i) {
			pthread_cond_wait(&ring_cv[i], &ring_lock);
			continue;
		}
		tls_count++;
		passes++;
		turn = (i + 1) % nring;
		pthread_cond_signal(&ring_cv[turn]);
		pthread_mutex_unlock(&ring_lock);
		fpu_bad += fpu_work(i);
		if (delay_us)
			usleep(delay_us);
		pthread_mutex_lock(&ring_lock);
	}
	pthread_mutex_unlock(&ring_lock);
	return (void *)(long)(100 + i);
}

static pid_t ring_tid0[MAXRING];
static void *ring_addr0[MAXRING];

static void ring_setup(void)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	int i, e;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&ring_lock, &ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	for (i = 0; i < nring; i++)
		pthread_cond_init(&ring_cv[i], &ca);
	pthread_barrier_init(&ring_bar, NULL, nring + 1);
	for (i = 0; i < nring; i++) {
		e = pthread_create(&ring_th[i], NULL, ring_thread, (void *)(long)i);
		if (e)
			die("pthread_create", e);
	}
}

/* Pauses the ring, has every ring thread report, checks, resumes it. */
static void ring_checks(int phase)
{
	long before, sum = 0;
	double end = now() + 10;
	int i, moved = 0, addr = 0, fpu = 0, distinct = 1, j;
	char diffs[256] = "";

	pthread_mutex_lock(&ring_lock);
	before = passes;
	pthread_mutex_unlock(&ring_lock);
	while (now() < end) {
		usleep(20000);
		pthread_mutex_lock(&ring_lock);
		i = passes != before;
		pthread_mutex_unlock(&ring_lock);
		if (i)
			break;
	}
	check(now() < end, "ring-turns", "no pass of the token in 10 s");

	pthread_mutex_lock(&ring_lock);
	paused = 1;
	report_gen = phase;
	for (i = 0; i < nring; i++)
		pthread_cond_signal(&ring_cv[i]);
	pthread_mutex_unlock(&ring_lock);
	pthread_barrier_wait(&ring_bar);

	pthread_mutex_lock(&ring_lock);
	for (i = 0; i < nring; i++) {
		sum += rep[i].tls;
		if (phase == 1) {
			ring_tid0[i] = rep[i].tid;
			ring_addr0[i] = rep[i].tls_addr;
		}
		moved += rep[i].tid != ring_tid0[i];
		addr += rep[i].tls_addr != ring_addr0[i];
		fpu += rep[i].fpu_bad;
		for (j = 0; j < i; j++)
			distinct &= rep[j].tid != rep[i].tid &&
				    rep[j].tls_addr != rep[i].tls_addr;
		if (rep[i].diff)
			snprintf(diffs + strlen(diffs), sizeof(diffs) - strlen(diffs),
				 " ring%d:%s%s%s%s", i,
				 rep[i].diff & 1 ? "name," : "",
				 rep[i].diff & 2 ? "mask," : "",
				 rep[i].diff & 4 ? "altstack," : "",
				 rep[i].diff & 8 ? "rseq," : "");
	}
	printf("ring passes %ld tids", passes);
	for (i = 0; i < nring; i++)
		printf("%c%d", i ? ',' : ' ', rep[i].tid);
	printf("\n");
	check(passes == sum, "ring-count", "%ld passes, the threads' counters sum to %ld",
	      passes, sum);
	check(!moved, "ring-tids", "%d ring threads have another tid than at phase 1",
	      moved);
	check(!addr && distinct, "ring-tls", "%d TLS addresses changed, distinct %d",
	      addr, distinct);
	check(!fpu, "ring-fpu", "%d wrong sums", fpu);
	check(!diffs[0], "ring-self", "differs:%s", diffs);
	paused = 0;
	for (i = 0; i < nring; i++)
		pthread_cond_signal(&ring_cv[i]);
	pthread_mutex_unlock(&ring_lock);
}

static void ring_stop(void)
{
	int i;
	void *ret;

	pthread_mutex_lock(&ring_lock);
	stop = 1;
	for (i = 0; i < nring; i++)
		pthread_cond_signal(&ring_cv[i]);
	pthread_mutex_unlock(&ring_lock);
	for (i = 0; i < nring; i++) {
		pthread_join(ring_th[i], &ret);
		check(ret == (void *)(long)(100 + i), "ring-join", "ring%d returned %p",
		      i, ret);
	}
}

/* ---- the reader, blocked in read() on a pipe the main thread writes ---- */

static int rd_pipe[2];
static pthread_t rd_th;
static int rd_gen;
static pid_t rd_tid, rd_tid0;
static char rd_buf[MSGSZ + 1];
static ssize_t rd_len;

static void *reader_thread(void *arg)
{
	char buf[MSGSZ + 1];
	struct self me;
	ssize_t n;

	(void)arg;
	self_setup(&me, "reader", 0, NULL);
	self_nostack(&me);
	do {
		n = read(rd_pipe[0], buf, MSGSZ);
		if (n < 0 && errno == EINTR)
			continue;
		pthread_mutex_lock(&mb_lock);
		memcpy(rd_buf, buf, n > 0 ? n : 0);
		rd_buf[n > 0 ? n : 0] = 0;
		rd_len = n;
		rd_tid = gettid_();
		if (self_diff(&me))
			rd_tid = -rd_tid;
		rd_gen++;
		mb_signal();
	} while (n > 0 && strcmp(buf, "quit"));
	return (void *)7L;
}

static void reader_checks(int phase)
{
	char msg[MSGSZ] = "";
	int gen;

	snprintf(msg, sizeof(msg), "phase %d", phase);
	pthread_mutex_lock(&mb_lock);
	gen = rd_gen;
	pthread_mutex_unlock(&mb_lock);
	check(write(rd_pipe[1], msg, MSGSZ) == MSGSZ, "pipe-write", "%s", strerror(errno));
	pthread_mutex_lock(&mb_lock);
	if (!mb_wait_change(&rd_gen, gen, 30)) {
		check(0, "reader", "nothing read in 30 s");
	} else {
		if (phase == 1)
			rd_tid0 = rd_tid;
		check(rd_len == MSGSZ && !strcmp(rd_buf, msg), "reader-data",
		      "read %zd: \"%s\"", rd_len, rd_buf);
		check(rd_tid == rd_tid0, "reader-tid", "tid %d, at phase 1 %d%s",
		      rd_tid, rd_tid0, rd_tid < 0 ? " (its own state differs)" : "");
	}
	pthread_mutex_unlock(&mb_lock);
}

static void reader_stop(void)
{
	char msg[MSGSZ] = "quit";
	void *ret;

	if (write(rd_pipe[1], msg, MSGSZ) != MSGSZ)
		die("write", errno);
	pthread_join(rd_th, &ret);
	check(ret == (void *)7L, "reader-join", "returned %p", ret);
}

/* ---- heap ---- */

static unsigned long *heap;
static size_t heap_words;

static void heap_setup(void)
{
	size_t i;

	heap_words = (size_t)heap_mib << 17;
	heap = malloc(heap_words * sizeof(*heap));
	if (!heap)
		die("malloc", ENOMEM);
	for (i = 0; i < heap_words; i++)
		heap[i] = i * 0x9e3779b97f4a7c15UL;
}

static void heap_checks(void)
{
	size_t i, wrong = 0;

	for (i = 0; i < heap_words; i += 509)
		wrong += heap[i] != i * 0x9e3779b97f4a7c15UL;
	check(!wrong, "heap", "%zu words of %zu checked are wrong", wrong,
	      heap_words / 509);
}

/* ---- spawn ---- */

static pthread_mutex_t robust;
static pthread_t victim_th, born_th;
static int victim_go, born_gen, born_seen, born_quit;
static pid_t victim_tid, born_tid, born_tid0;
static int born_tls_ok, born_diff;

static void *victim_thread(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "victim", 0, 0, 0);
	pthread_mutex_lock(&robust);
	pthread_mutex_lock(&mb_lock);
	victim_tid = gettid_();
	pthread_cond_broadcast(&mb_cv);
	while (!victim_go)
		pthread_cond_wait(&mb_cv, &mb_lock);
	pthread_mutex_unlock(&mb_lock);
	return (void *)77L;	/* robust still held: the kernel marks it */
}

static void *born_thread(void *arg)
{
	struct self me;

	(void)arg;
	self_setup(&me, "born", 0, altstacks[MAXRING]);
	pthread_mutex_lock(&mb_lock);
	born_tls_ok = tls_magic == 0x5eed && tls_count == 0;
	tls_count = 1000;
	while (!born_quit) {
		if (born_seen != born_gen) {
			born_seen = born_gen;
			born_tid = gettid_();
			born_diff = self_diff(&me) | (tls_count != 1000) << 4;
			pthread_cond_broadcast(&mb_cv);
		}
		pthread_cond_wait(&mb_cv, &mb_lock);
	}
	pthread_mutex_unlock(&mb_lock);
	return (void *)88L;
}

static void spawn_setup(void)
{
	pthread_mutexattr_t ma;
	int e;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &ma);
	e = pthread_create(&victim_th, NULL, victim_thread, NULL);
	if (e)
		die("pthread_create", e);
	pthread_mutex_lock(&mb_lock);
	while (!victim_tid)
		pthread_cond_wait(&mb_cv, &mb_lock);
	pthread_mutex_unlock(&mb_lock);
}

static void born_ask(int phase)
{
	int seen;

	pthread_mutex_lock(&mb_lock);
	born_gen = phase;
	pthread_cond_broadcast(&mb_cv);
	seen = born_seen;
	if (!mb_wait_change(&born_seen, seen, 30) || born_seen != phase)
		check(0, "born-answers", "no answer in 30 s");
	pthread_mutex_unlock(&mb_lock);
}

static void spawn_checks(int phase)
{
	struct timespec ts;
	void *ret = NULL;
	int e;

	if (phase == spawn_phase) {
		pthread_mutex_lock(&mb_lock);
		victim_go = 1;
		mb_signal();
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 30;
		e = pthread_timedjoin_np(victim_th, &ret, &ts);
		check(!e && ret == (void *)77L, "victim-joined", "join: %s, returned %p",
		      strerror(e), ret);
		printf("exited %d\n", victim_tid);
		e = pthread_mutex_lock(&robust);
		check(e == EOWNERDEAD, "robust-owner-died", "lock: %s", strerror(e));
		if (e == EOWNERDEAD)
			pthread_mutex_consistent(&robust);
		if (!e || e == EOWNERDEAD)
			pthread_mutex_unlock(&robust);

		e = pthread_create(&born_th, NULL, born_thread, NULL);
		check(!e, "born-created", "pthread_create: %s", strerror(e));
		if (e)
			return;
		born_ask(phase);
		born_tid0 = born_tid;
		printf("born %d\n", born_tid);
		check(born_tls_ok, "born-tls-init", "a new thread's TLS is not the initial image");
	} else if (phase > spawn_phase) {
		born_ask(phase);
	} else {
		return;
	}
	check(born_tid == born_tid0 && born_tid != victim_tid, "born-tid",
	      "tid %d, first %d, victim's %d", born_tid, born_tid0, victim_tid);
	check(!born_diff, "born-self", "differs: %#x", born_diff);
}

static void spawn_stop(void)
{
	void *ret = NULL;

	if (!born_tid0)
		return;
	pthread_mutex_lock(&mb_lock);
	born_quit = 1;
	mb_signal();
	pthread_join(born_th, &ret);
	check(ret == (void *)88L, "born-join", "returned %p", ret);
}

/* ---- kill ---- */

static struct hit {
	pid_t tid;
	int onalt;
} usr2_hits[MAXHITS], rt_hits[MAXHITS];
static int usr2_n, rt_n;
static pid_t target_tid, catcher_tid;

static void on_hit(int sig)
{
	struct hit *h = sig == SIGUSR2 ? usr2_hits : rt_hits;
	int *n = sig == SIGUSR2 ? &usr2_n : &rt_n;
	int i = __atomic_fetch_add(n, 1, __ATOMIC_SEQ_CST);
	stack_t ss;
	char here;

	if (i >= MAXHITS)
		return;
	h[i].onalt = !sigaltstack(NULL, &ss) && (ss.ss_flags & SS_ONSTACK) &&
		     &here >= (char *)ss.ss_sp && &here < (char *)ss.ss_sp + ss.ss_size;
	h[i].tid = gettid_();
}

static void *pauser_thread(void *arg)
{
	int catcher = arg != NULL;
	struct self me;
	sigset_t set;

	self_setup(&me, catcher ? "catcher" : "target", 0,
		   altstacks[MAXRING + 1 + catcher]);
	if (catcher) {
		sigemptyset(&set);
		sigaddset(&set, SIG_RT);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	}
	pthread_mutex_lock(&mb_lock);
	*(catcher ? &catcher_tid : &target_tid) = gettid_();
	mb_signal();
	for (;;)
		pause();
	return NULL;
}

static void kill_setup(void)
{
	struct sigaction sa = { .sa_handler = on_hit, .sa_flags = SA_ONSTACK | SA_RESTART };
	pthread_t th;
	int e;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIG_RT, &sa, NULL);
	e = pthread_create(&th, NULL, pauser_thread, NULL);
	if (!e)
		e = pthread_create(&th, NULL, pauser_thread, (void *)1L);
	if (e)
		die("pthread_create", e);
	pthread_mutex_lock(&mb_lock);
	while (!target_tid || !catcher_tid)
		pthread_cond_wait(&mb_cv, &mb_lock);
	pthread_mutex_unlock(&mb_lock);
}

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	return x->tid != y->tid ? x->tid - y->tid : x->onalt - y->onalt;
}

static void print_hits(const char *name, struct hit *h, int *np)
{
	int n = __atomic_exchange_n(np, 0, __ATOMIC_SEQ_CST), i;

	if (n > MAXHITS)
		n = MAXHITS;
	qsort(h, n, sizeof(*h), cmp_hit);
	printf("sig %s", name);
	for (i = 0; i < n; i++)
		printf(" %d:%s", h[i].tid, h[i].onalt ? "alt" : "main");
	printf("\n");
}

static void kill_checks(void)
{
	usleep(200000);		/* signals sent just before the phase land */
	print_hits("usr2", usr2_hits, &usr2_n);
	print_hits("rt", rt_hits, &rt_n);
}

/* ---- exitgroup ---- */

static int quit_now;

static void *quitter_thread(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "quitter", 0, 0, 0);
	pthread_mutex_lock(&mb_lock);
	while (!quit_now)
		pthread_cond_wait(&mb_cv, &mb_lock);
	pthread_mutex_unlock(&mb_lock);
	printf("exit 7 from %d\n", gettid_());
	exit(7);
}

static pthread_t quitter_th;

static void exitgroup_checks(int phase)
{
	if (phase != exit_phase)
		return;
	pthread_mutex_lock(&mb_lock);
	quit_now = 1;
	mb_signal();
	pthread_join(quitter_th, NULL);
	printf("bad exitgroup: the quitter ended and the process did not\n");
	exit(1);
}

/* ---- sleepers ---- */

enum { SL_NANO, SL_FUTEX_PRIV, SL_FUTEX_SHARED, SL_FUTEX_TIMEOUT, SL_POLL, NSL };
static const char *const sl_names[NSL] = {
	"nanosleep", "futex-private", "futex-shared", "futex-timeout", "poll"
};
static int sl_go, sl_started, sl_done;
static struct sleeper {
	pid_t tid;
	long rc;
	int err, extra;
	double start, end;
} sl[NSL];
static int futex_priv, futex_shared, futex_never, poll_pipe[2];
static pthread_t sl_th[NSL];

static long futex(int *word, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

static void *sleeper_thread(void *arg)
{
	int k = (int)(long)arg;
	struct sleeper *s = &sl[k];
	struct timespec ts = { sleep_secs, 0 };
	struct pollfd pfd = { .fd = poll_pipe[0], .events = POLLIN };
	char buf[MSGSZ + 1] = "";
	char name[16];
	long rc = 0;

	snprintf(name, sizeof(name), "sl-%.12s", sl_names[k]);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	pthread_mutex_lock(&mb_lock);
	s->tid = gettid_();
	pthread_cond_broadcast(&mb_cv);
	while (!sl_go)
		pthread_cond_wait(&mb_cv, &mb_lock);
	sl_started++;
	mb_signal();
	s->start = now();
	switch (k) {
	case SL_NANO:
		rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		s->err = rc;
		break;
	case SL_FUTEX_PRIV:
	case SL_FUTEX_SHARED: {
		int *w = k == SL_FUTEX_PRIV ? &futex_priv : &futex_shared;
		int op = k == SL_FUTEX_PRIV ? FUTEX_WAIT_PRIVATE : FUTEX_WAIT;

		/* extra: returns before the word changed (spurious) */
		while (!__atomic_load_n(w, __ATOMIC_SEQ_CST)) {
			rc = futex(w, op, 0, NULL);
			s->extra += !__atomic_load_n(w, __ATOMIC_SEQ_CST);
		}
		break;
	}
	case SL_FUTEX_TIMEOUT:
		rc = futex(&futex_never, FUTEX_WAIT_PRIVATE, 0, &ts);
		s->err = rc ? errno : 0;
		break;
	case SL_POLL:
		rc = poll(&pfd, 1, -1);
		s->err = rc < 0 ? errno : 0;
		s->extra = pfd.revents;
		if (rc == 1 && read(poll_pipe[0], buf, MSGSZ) == MSGSZ &&
		    strcmp(buf, "wake-poll"))
			s->extra = -1;
		break;
	}
	s->end = now();
	s->rc = rc;
	pthread_mutex_lock(&mb_lock);
	sl_done++;
	mb_signal();
	return NULL;
}

static void sleepers_setup(void)
{
	int k, e;

	if (pipe(poll_pipe))
		die("pipe", errno);
	for (k = 0; k < NSL; k++) {
		e = pthread_create(&sl_th[k], NULL, sleeper_thread, (void *)(long)k);
		if (e)
			die("pthread_create", e);
	}
	pthread_mutex_lock(&mb_lock);
	while (!sl[NSL - 1].tid || !sl[0].tid || !sl[1].tid || !sl[2].tid || !sl[3].tid)
		pthread_cond_wait(&mb_cv, &mb_lock);
	pthread_mutex_unlock(&mb_lock);
}

static void sleepers_checks(int phase)
{
	char msg[MSGSZ] = "wake-poll";
	double woke, end;
	int k;

	if (phase == 1) {
		/* Block them now: the test moves the process after "done 1". */
		pthread_mutex_lock(&mb_lock);
		sl_go = 1;
		pthread_cond_broadcast(&mb_cv);
		while (sl_started < NSL)
			pthread_cond_wait(&mb_cv, &mb_lock);
		pthread_mutex_unlock(&mb_lock);
		usleep(300000);
		printf("sleeping %d s\n", sleep_secs);
		return;
	}
	if (phase != 2)
		return;
	pthread_mutex_lock(&mb_lock);
	k = sl_done;
	pthread_mutex_unlock(&mb_lock);
	check(k == 0, "sleepers-still-blocked", "%d returned before phase 2", k);
	woke = now();
	__atomic_store_n(&futex_priv, 1, __ATOMIC_SEQ_CST);
	futex(&futex_priv, FUTEX_WAKE_PRIVATE, 1, NULL);
	__atomic_store_n(&futex_shared, 1, __ATOMIC_SEQ_CST);
	futex(&futex_shared, FUTEX_WAKE, 1, NULL);
	check(write(poll_pipe[1], msg, MSGSZ) == MSGSZ, "poll-pipe-write", "%s",
	      strerror(errno));
	end = now() + sleep_secs + 60;
	pthread_mutex_lock(&mb_lock);
	while (sl_done < NSL && now() < end)
		mb_wait_change(&sl_done, sl_done, end - now());
	pthread_mutex_unlock(&mb_lock);
	for (k = 0; k < NSL; k++) {
		struct sleeper *s = &sl[k];
		double took = s->end - s->start;

		printf("%s: tid %d rc %ld err %d extra %d took %.3f s, ended %.3f s after phase 2\n",
		       sl_names[k], s->tid, s->rc, s->err, s->extra, s->end ? took : -1.0,
		       s->end ? s->end - woke : -1.0);
		if (!s->end) {
			check(0, sl_names[k], "still blocked %d s after phase 2",
			      sleep_secs + 60);
			continue;
		}
		switch (k) {
		case SL_NANO:
			check(s->rc == 0 && took >= sleep_secs - 0.01 &&
			      took < sleep_secs + 5, "nanosleep",
			      "rc %ld, slept %.3f s of %d", s->rc, took, sleep_secs);
			check(s->end > woke, "nanosleep-spans-phase-2",
			      "ended %.3f s before phase 2", woke - s->end);
			break;
		case SL_FUTEX_PRIV:
		case SL_FUTEX_SHARED:
			check(s->end >= woke && s->rc == 0, sl_names[k],
			      "rc %ld, woken %.3f s after phase 2 began", s->rc,
			      s->end - woke);
			break;
		case SL_FUTEX_TIMEOUT:
			check(s->rc == -1 && s->err == ETIMEDOUT &&
			      took >= sleep_secs - 0.01 && took < sleep_secs + 5,
			      sl_names[k], "rc %ld errno %d after %.3f s of %d",
			      s->rc, s->err, took, sleep_secs);
			break;
		case SL_POLL:
			check(s->rc == 1 && s->extra == POLLIN && s->end >= woke,
			      "poll", "rc %ld revents %#x (-1: wrong data) after phase 2: %.3f s",
			      s->rc, s->extra, s->end - woke);
			break;
		}
	}
	for (k = 0; k < NSL; k++)
		if (sl[k].end)
			pthread_join(sl_th[k], NULL);
}

/* ---- main ---- */

static int wait_phase(int phase)
{
	struct timespec ts = { auto_secs, 0 };
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (auto_secs) {
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig < 0 && errno != EAGAIN && errno != EINTR)
			die("sigtimedwait", errno);
	} else {
		while (sigwait(&set, &sig))
			;
	}
	printf("phase %d\n", phase);
	return 0;
}

static int tgkill_cmd(int argc, char **argv)
{
	long r;

	if (argc != 5)
		return 2;
	if (atoi(argv[3]))
		r = syscall(SYS_tgkill, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	else
		r = kill(atoi(argv[2]), atoi(argv[4]));
	if (r)
		perror("tgkill");
	return r ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: threads [-p PHASES] [-t SECS] [-d USEC] [-m MIB] [-s PHASE]"
		" [-x PHASE] [-S SECS] ring|spawn|kill|exitgroup|sleepers [N]\n"
		"       threads tgkill PID TID SIG\n");
	return 2;
}

int main(int argc, char **argv)
{
	pthread_condattr_t ca;
	sigset_t set;
	int opt, phase, i, e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "tgkill"))
		return tgkill_cmd(argc, argv);
	while ((opt = getopt(argc, argv, "+p:t:d:m:s:x:S:")) != -1) {
		switch (opt) {
		case 'p': nphases = atoi(optarg); break;
		case 't': auto_secs = atoi(optarg); break;
		case 'd': delay_us = atoi(optarg); break;
		case 'm': heap_mib = atoi(optarg); break;
		case 's': spawn_phase = atoi(optarg); break;
		case 'x': exit_phase = atoi(optarg); break;
		case 'S': sleep_secs = atoi(optarg); break;
		default: return usage();
		}
	}
	if (optind >= argc)
		return usage();
	mode = argv[optind];
	if (optind + 1 < argc)
		nring = atoi(argv[optind + 1]);
	if (nring < 1 || nring > MAXRING || nphases < 1 ||
	    (strcmp(mode, "ring") && strcmp(mode, "spawn") && strcmp(mode, "kill") &&
	     strcmp(mode, "exitgroup") && strcmp(mode, "sleepers")))
		return usage();

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&mb_cv, &ca);
	/* Every thread blocks SIGUSR1 (the main thread sigwaits for it) and
	 * the real-time signal only the catcher of "kill" takes. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIG_RT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (heap_mib)
		heap_setup();
	if (pipe(rd_pipe))
		die("pipe", errno);
	e = pthread_create(&rd_th, NULL, reader_thread, NULL);
	if (e)
		die("pthread_create", e);
	ring_setup();
	if (!strcmp(mode, "spawn"))
		spawn_setup();
	else if (!strcmp(mode, "kill"))
		kill_setup();
	else if (!strcmp(mode, "sleepers"))
		sleepers_setup();
	else if (!strcmp(mode, "exitgroup") &&
		 (e = pthread_create(&quitter_th, NULL, quitter_thread, NULL)))
		die("pthread_create", e);

	/* After the first clone: placed away by `migctl exec`, it is that
	 * clone that brings the process home. */
	prctl(PR_SET_NAME, "threads-main", 0, 0, 0);

	/* The ring's tids, as each thread says: one report, not a phase. */
	pthread_mutex_lock(&ring_lock);
	paused = 1;
	report_gen = -1;
	for (i = 0; i < nring; i++)
		pthread_cond_signal(&ring_cv[i]);
	pthread_mutex_unlock(&ring_lock);
	pthread_barrier_wait(&ring_bar);
	pthread_mutex_lock(&ring_lock);
	paused = 0;
	for (i = 0; i < nring; i++)
		pthread_cond_signal(&ring_cv[i]);
	pthread_mutex_unlock(&ring_lock);
	printf("tids main=%d ring=", gettid_());
	for (i = 0; i < nring; i++)
		printf("%s%d", i ? "," : "", rep[i].tid);
	/* The reader tells its tid when it first reads: phase 1. */
	if (target_tid)
		printf(" target=%d catcher=%d", target_tid, catcher_tid);
	if (victim_tid)
		printf(" victim=%d", victim_tid);
	if (sl[0].tid) {
		printf(" sleepers=");
		for (i = 0; i < NSL; i++)
			printf("%s%d", i ? "," : "", sl[i].tid);
	}
	printf("\nrseq %s\n", !__rseq_size ? "unused" :
	       rseq_registered() ? "registered" : "BROKEN");
	printf("ready %d\n", getpid());

	for (phase = 1; phase <= nphases; phase++) {
		wait_phase(phase);
		if (!strcmp(mode, "exitgroup"))
			exitgroup_checks(phase);
		else if (!strcmp(mode, "spawn"))
			spawn_checks(phase);
		else if (!strcmp(mode, "kill"))
			kill_checks();
		else if (!strcmp(mode, "sleepers"))
			sleepers_checks(phase);
		ring_checks(phase);
		reader_checks(phase);
		if (phase == 1)
			printf("reader %d\n", rd_tid0);
		if (heap_mib)
			heap_checks();
		printf("done %d\n", phase);
		fflush(stdout);
	}
	ring_stop();
	reader_stop();
	spawn_stop();
	printf("joined %d\n", nring + 1 + (born_tid0 != 0));
	return check_failures ? 1 : 0;
}

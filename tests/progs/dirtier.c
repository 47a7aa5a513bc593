// SPDX-License-Identifier: GPL-2.0
/*
 * dirtier: a process that keeps rewriting its memory, for live moves.
 *
 *   dirtier [-m MiB] [-r KiB/s] [-x EXITCODE] [-f | -e COMMAND] [-z]
 *
 * Maps MiB (default 64) of private anonymous memory and fills every page
 * with a pattern derived from the page's number and its generation, kept
 * in a separate table. Prints "ready PID" (flushed), then rewrites pages
 * one after the other, cyclically, each with its next generation, at
 * KiB/s (default 1024; 0: none, it only watches the clock; -1: as fast as
 * it can). It reads CLOCK_MONOTONIC before every page and remembers the
 * longest gap between two readings: the time it stood still.
 *
 * -z: the memory's layout changes too: every 64 rewrites, 16 pages are
 * dropped with MADV_DONTNEED (they read as zeros), and every 2048
 * rewrites 16 pages are unmapped and mapped anew (zeros again); the
 * rewrites come back to them later.
 *
 * SIGHUP, with -f: fork a child that exits 7 at once (and reap it),
 * printing "forked PID"; with -e: exec /bin/sh -c COMMAND.
 *
 * SIGUSR1: check every page against its generation (a page being
 * rewritten when the signal came is finished first), print
 *   "checked PAGES pages, WRITES rewrites, max gap US us"
 * and exit with EXITCODE (default 42), or print the first wrong word and
 * exit with 3. SIGUSR2: print "gap US us" and start measuring afresh.
 *
 * The process may be stopped or moved at any instruction: its memory at
 * the destination must be exactly what it was, or the check fails.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define WORDS		(PAGE / sizeof(uint64_t))
#define ZEROED		0xffffffffU	/* a generation: reads as zeros */
#define CHUNK		16

static volatile sig_atomic_t check_asked, gap_asked, hup;

static void on_usr1(int sig)
{
	(void)sig;
	check_asked = 1;
}

static void on_usr2(int sig)
{
	(void)sig;
	gap_asked = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

static void on_hangup(int do_fork, const char *cmd)
{
	pid_t child;

	hup = 0;
	if (cmd) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		perror("dirtier: exec");
		exit(2);
	}
	if (!do_fork)
		return;
	child = fork();
	if (child == 0)
		_exit(7);
	waitpid(child, NULL, 0);
	printf("forked %d\n", (int)child);
	fflush(stdout);
}

/* -z: pages that go, at a place away from the one being rewritten. */
static void reshape(uint64_t *mem, uint32_t *gen, uint64_t pages,
		    uint64_t cur, uint64_t writes)
{
	uint64_t at, k;

	if (pages < 4 * CHUNK || writes % 64)
		return;
	at = ((cur + pages / 2) % pages) / CHUNK * CHUNK;
	if (at + CHUNK > pages)
		return;
	if (writes % 2048) {
		madvise(mem + at * WORDS, CHUNK * PAGE, MADV_DONTNEED);
	} else {
		munmap(mem + at * WORDS, CHUNK * PAGE);
		if (mmap(mem + at * WORDS, CHUNK * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
			perror("dirtier: mmap");
			exit(2);
		}
	}
	for (k = 0; k < CHUNK; k++)
		gen[at + k] = ZEROED;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t word(uint64_t page, uint64_t gen, uint64_t j)
{
	uint64_t x = (page << 32) ^ (gen << 12) ^ j ^ 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x;
}

static void fill(uint64_t *p, uint64_t page, uint64_t gen)
{
	uint64_t j;

	for (j = 0; j < WORDS; j++)
		p[j] = word(page, gen, j);
}

static int check(const uint64_t *mem, const uint32_t *gen, uint64_t pages)
{
	uint64_t i, j;

	for (i = 0; i < pages; i++)
		for (j = 0; j < WORDS; j++)
			if (mem[i * WORDS + j] !=
			    (gen[i] == ZEROED ? 0 : word(i, gen[i], j))) {
				printf("page %lu word %lu: %#lx, want %#lx (generation %u)\n",
				       (unsigned long)i, (unsigned long)j,
				       (unsigned long)mem[i * WORDS + j],
				       (unsigned long)word(i, gen[i], j), gen[i]);
				return 0;
			}
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t pages, i, cur = 0, writes = 0, t, last, gap = 0, start;
	long mib = 64, rate_kib = 1024;
	int opt, code = 42, do_fork = 0, shapes = 0;
	const char *cmd = NULL;
	uint64_t *mem;
	uint32_t *gen;

	while ((opt = getopt(argc, argv, "m:r:x:fe:z")) != -1) {
		switch (opt) {
		case 'm':
			mib = atol(optarg);
			break;
		case 'r':
			rate_kib = atol(optarg);
			break;
		case 'x':
			code = atoi(optarg);
			break;
		case 'f':
			do_fork = 1;
			break;
		case 'e':
			cmd = optarg;
			break;
		case 'z':
			shapes = 1;
			break;
		default:
			fprintf(stderr, "usage: dirtier [-m MiB] [-r KiB/s] [-x EXITCODE] [-f | -e COMMAND] [-z]\n");
			return 2;
		}
	}
	pages = (uint64_t)mib * 256;
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gen = calloc(pages ? pages : 1, sizeof(*gen));
	if (mem == MAP_FAILED || !gen) {
		perror("dirtier: memory");
		return 2;
	}
	for (i = 0; i < pages; i++)
		fill(mem + i * WORDS, i, 0);
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	signal(SIGHUP, on_hup);
	printf("ready %d\n", getpid());
	fflush(stdout);

	start = last = now_ns();
	for (;;) {
		t = now_ns();
		if (t - last > gap)
			gap = t - last;
		last = t;
		if (check_asked)
			break;
		if (hup)
			on_hangup(do_fork, cmd);
		if (gap_asked) {
			printf("gap %lu us\n", (unsigned long)(gap / 1000));
			fflush(stdout);
			gap = 0;
			gap_asked = 0;
		}
		/* Ahead of the rate: wait, watching the clock. */
		if (rate_kib == 0 || (rate_kib > 0 &&
		    writes * 4 * 1000000000ULL > (t - start) * (uint64_t)rate_kib)) {
			struct timespec ms = { 0, 1000000 };

			nanosleep(&ms, NULL);
			continue;
		}
		if (!pages)
			continue;
		gen[cur] = gen[cur] == ZEROED - 1 ? 0 : gen[cur] + 1;
		fill(mem + cur * WORDS, cur, gen[cur]);
		writes++;
		if (shapes)
			reshape(mem, gen, pages, cur, writes);
		cur = (cur + 1) % pages;
	}
	if (!check(mem, gen, pages))
		return 3;
	printf("checked %lu pages, %lu rewrites, max gap %lu us\n",
	       (unsigned long)pages, (unsigned long)writes,
	       (unsigned long)(gap / 1000));
	fflush(stdout);
	return code;
}

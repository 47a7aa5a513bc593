// SPDX-License-Identifier: GPL-2.0
/*
 * cpujob: a CPU-bound job whose every output line and exit status is known
 * in advance, for the balancing and crossing-move tests.
 *
 *   cpujob [-m MiB] [-s SEED] [-w] ITER
 *
 * Fills MiB (default 0) of heap with a pattern derived from SEED (default
 * 1), prints "ready PID" and then runs ITER steps of a 64-bit linear
 * congruential generator, x = x * A + C, starting from mix(SEED). At the
 * end of every block of 65536 steps, when it has memory, it folds one
 * heap word into x (x ^= heap[(x >> 17) % words]), so a damaged heap
 * changes the result, not only the final check. It makes no system call
 * in its loop but four writes of a progress line, after each quarter of
 * ITER:
 *
 *   part K/4 x=%016x
 *
 * then checks every heap word and prints "memory intact" (or "memory
 * damaged at word N" and exits 3), then "checksum %016x" (the final x),
 * and exits with 16 + checksum % 100.
 *
 * With -w it waits for a SIGUSR1 before that check, spinning on (still
 * CPU-bound, still without a system call): a test decides how long the
 * job lasts, whatever the speed of the machine, and its output is the
 * same. A SIGUSR1 that comes earlier is remembered.
 *
 * tests/lib/jobs.py computes the same lines and status in a few
 * milliseconds (jump-ahead of the generator), so a test can compare a
 * job's whole output, wherever it ran, with the expected one.
 *
 * Exit status: 16..115 as above; 3 heap damaged; 64 bad usage; 71 no
 * memory or cannot print.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define LCG_A		6364136223846793005ULL
#define LCG_C		1442695040888963407ULL
#define BLOCK		65536
#define PARTS		4

static volatile sig_atomic_t released;

static void on_usr1(int sig)
{
	released = 1;
}

/* The 64-bit finaliser of splitmix: a good mix of every input bit. */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Heap word i holds mix(key + i), key = SEED * golden ratio. */
static uint64_t word(uint64_t key, uint64_t i)
{
	return mix(key + i);
}

/* n steps of the generator: kept out of line so the loop stays a loop. */
static __attribute__((noinline)) uint64_t run(uint64_t x, uint64_t n)
{
	while (n--)
		x = x * LCG_A + LCG_C;
	return x;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (fflush(stdout))
		exit(71);
}

static int usage(void)
{
	fprintf(stderr, "usage: cpujob [-m MiB] [-s SEED] [-w] ITER\n");
	return 64;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, iters, words, key, x, done = 0, i;
	volatile uint64_t *heap = NULL;
	unsigned long mib = 0;
	bool hold = false;
	char *end;
	int opt, k;

	while ((opt = getopt(argc, argv, "m:s:w")) != -1) {
		switch (opt) {
		case 'm':
			mib = strtoul(optarg, &end, 10);
			if (*end || mib > 65536)
				return usage();
			break;
		case 's':
			seed = strtoull(optarg, &end, 0);
			if (*end)
				return usage();
			break;
		case 'w':
			hold = true;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc - 1)
		return usage();
	iters = strtoull(argv[optind], &end, 0);
	if (*end || !iters)
		return usage();

	signal(SIGUSR1, on_usr1);
	words = (uint64_t)mib << 17;
	key = seed * 0x9e3779b97f4a7c15ULL;
	if (words) {
		heap = malloc(words * sizeof(*heap));
		if (!heap)
			return 71;
		for (i = 0; i < words; i++)
			heap[i] = word(key, i);
	}
	say("ready %d\n", (int)getpid());

	x = mix(seed);
	for (k = 1; k <= PARTS; k++) {
		uint64_t stop = iters / PARTS * k + (k == PARTS ? iters % PARTS : 0);

		while (done < stop) {
			uint64_t n = BLOCK - done % BLOCK;

			if (n > stop - done)
				n = stop - done;
			x = run(x, n);
			done += n;
			if (words && done % BLOCK == 0)
				x ^= heap[(x >> 17) % words];
		}
		say("part %d/%d x=%016" PRIx64 "\n", k, PARTS, x);
	}
	for (i = x; hold && !released; )
		i = run(i, BLOCK);
	for (i = 0; i < words; i++) {
		if (heap[i] != word(key, i)) {
			say("memory damaged at word %" PRIu64 "\n", i);
			return 3;
		}
	}
	say("memory intact\n");
	say("checksum %016" PRIx64 "\n", x);
	return 16 + (int)(x % 100);
}

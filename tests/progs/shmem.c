// SPDX-License-Identifier: GPL-2.0
/*
 * shmem: MAP_SHARED anonymous memory that only this process maps, the way
 * allocators and start-up code use it, must move with its content.
 *
 *   shmem [-s SECONDS] [-x EXITCODE]
 *
 * Maps 8 MiB MAP_SHARED|MAP_ANONYMOUS (pattern written in half of its
 * pages, the rest never touched), a second view of the same pages
 * (mremap with old size 0), a read-only stretch in the middle (split
 * mapping), and a memfd mapped shared and then closed. Prints "ready PID"
 * and spins for about SECONDS (default 8); then checks every byte, that a
 * write through one view shows through the other, and that the untouched
 * pages read as zeros. Exits EXITCODE (default 42) if all holds, else 1
 * with a line saying what broke.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "now.h"

#define SIZE		(8UL << 20)
#define MEMFD_SIZE	(1UL << 20)
#define PAGE		4096UL

static uint8_t pattern(unsigned long off, unsigned int seed)
{
	return (uint8_t)(off * 31 + seed + (off >> 12));
}

static int fail(const char *what, unsigned long off)
{
	printf("broken: %s at offset %lu\n", what, off);
	return 1;
}

int main(int argc, char **argv)
{
	int seconds = 8, code = 42, opt, fd;
	uint8_t *p, *view, *m;
	unsigned long off;
	volatile unsigned long spins = 0;
	double end;

	while ((opt = getopt(argc, argv, "s:x:")) != -1) {
		if (opt == 's')
			seconds = atoi(optarg);
		else if (opt == 'x')
			code = atoi(optarg);
		else
			return 2;
	}
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return fail("mmap", 0);
	/* Every other page written; the others stay holes. */
	for (off = 0; off < SIZE; off++)
		if ((off / PAGE) % 2 == 0)
			p[off] = pattern(off, 1);
	view = mremap(p, 0, SIZE, MREMAP_MAYMOVE);
	if (view == MAP_FAILED)
		return fail("mremap", 0);
	if (mprotect(p + SIZE / 2, 16 * PAGE, PROT_READ))
		return fail("mprotect", 0);

	fd = memfd_create("shmem-test", 0);
	if (fd < 0 || ftruncate(fd, MEMFD_SIZE))
		return fail("memfd", 0);
	m = mmap(NULL, MEMFD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail("memfd mmap", 0);
	close(fd);
	for (off = 0; off < MEMFD_SIZE; off++)
		m[off] = pattern(off, 2);

	printf("ready %d\n", getpid());
	fflush(stdout);
	for (end = now() + seconds; now() < end; )
		spins++;

	for (off = 0; off < SIZE; off++) {
		uint8_t want = (off / PAGE) % 2 == 0 ? pattern(off, 1) : 0;

		if (p[off] != want)
			return fail("shared anonymous content", off);
		if (view[off] != want)
			return fail("second view content", off);
	}
	for (off = 0; off < MEMFD_SIZE; off++)
		if (m[off] != pattern(off, 2))
			return fail("memfd content", off);
	p[PAGE + 5] = 0xa5;
	if (view[PAGE + 5] != 0xa5)
		return fail("views no longer share", PAGE + 5);
	view[3 * PAGE] = 0x5a;
	if (p[3 * PAGE] != 0x5a)
		return fail("views no longer share", 3 * PAGE);
	printf("shared memory intact\n");
	return code;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iojob: an I/O-heavy job, busy all the time but in system calls: the
 * process a balancing policy should not pick while a CPU-bound one is
 * there to move.
 *
 *   iojob [-s SECONDS] FILE
 *
 * Prints "ready PID", then for SECONDS (default 10, CLOCK_MONOTONIC, read
 * through the vDSO every 256 records), or until a SIGUSR1, writes
 * numbered 32-byte records to FILE with pwrite(), one call each, around
 * a ring of 4096 slots. Then it
 * reads the file back and checks that every slot holds the latest record
 * written there, and prints "records N" (how many it wrote, which depends
 * on the speed) and "file intact", and exits 0.
 *
 * Exit status: 0 as above; 3 the file does not hold what was written; 64
 * bad usage; 71 cannot open, write or read the file, or print.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "now.h"

#define REC	32
#define SLOTS	4096

static volatile sig_atomic_t stop;

static void on_usr1(int sig)
{
	stop = 1;
}

static void record(char *buf, uint64_t n)
{
	snprintf(buf, REC + 1, "rec %027" PRIu64 "\n", n);
}

int main(int argc, char **argv)
{
	char buf[REC + 1], got[REC];
	double seconds = 10, end;
	uint64_t n = 0, slot;
	int opt, fd;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's')
			goto usage;
		seconds = atof(optarg);
	}
	if (optind != argc - 1)
		goto usage;
	signal(SIGUSR1, on_usr1);
	fd = open(argv[optind], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 71;
	printf("ready %d\n", (int)getpid());
	if (fflush(stdout))
		return 71;

	end = now() + seconds;
	do {
		for (int i = 0; i < 256; i++, n++) {
			record(buf, n);
			if (pwrite(fd, buf, REC, (off_t)(n % SLOTS) * REC) != REC)
				return 71;
		}
	} while (!stop && now() < end);

	/* n records, n a multiple of 256: slot s holds the last one written. */
	for (slot = 0; slot < SLOTS && slot < n; slot++) {
		uint64_t last = n - 1 - ((n - 1 - slot) % SLOTS);

		if (pread(fd, got, REC, (off_t)slot * REC) != REC)
			return 71;
		record(buf, last);
		if (memcmp(got, buf, REC)) {
			printf("slot %" PRIu64 " holds %.*s", slot, REC, got);
			return 3;
		}
	}
	printf("records %" PRIu64 "\nfile intact\n", n);
	return fflush(stdout) ? 71 : 0;

usage:
	fprintf(stderr, "usage: iojob [-s SECONDS] FILE\n");
	return 64;
}

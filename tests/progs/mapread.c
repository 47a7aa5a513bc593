// SPDX-License-Identifier: GPL-2.0
/*
 * mapread: a process that maps a file and reads the mapping only when
 * told, wherever it runs then.
 *
 *   mapread FILE [SECONDS]
 *
 * Maps the first page of FILE (MAP_PRIVATE, read-only) without touching
 * it, closes the descriptor, prints "ready PID" and sleeps until a
 * SIGUSR1 (or SECONDS, default 120, have passed). Then it prints
 * "content: " and the mapping's first line, and exits 0; 1 on an error,
 * 2 on the timeout.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "now.h"

static volatile sig_atomic_t told;

static void on_usr1(int sig)
{
	(void)sig;
	told = 1;
}

int main(int argc, char **argv)
{
	double limit = argc > 2 ? atof(argv[2]) : 120, start = now();
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	const char *p;
	size_t len;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: mapread FILE [SECONDS]\n");
		return 1;
	}
	signal(SIGUSR1, on_usr1);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	close(fd);
	printf("ready %d\n", getpid());
	fflush(stdout);
	while (!told) {
		if (now() - start > limit)
			return 2;
		nanosleep(&tick, NULL);
	}
	len = strcspn(p, "\n");
	printf("content: %.*s\n", (int)len, p);
	fflush(stdout);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * syscost: the cost of a trivial system call, for tests/bench.py.
 *
 *   syscost N
 *
 * Times N getppid() system calls (made with syscall(), so no C library
 * can answer from a cache) and prints "getppid N calls T s X ns/call".
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "now.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0, i;
	double t0, t1;

	if (argc != 2 || n <= 0) {
		fprintf(stderr, "usage: syscost N\n");
		return 64;
	}
	t0 = now();
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	t1 = now();
	printf("getppid %ld calls %.3f s %.1f ns/call\n", n, t1 - t0,
	       (t1 - t0) * 1e9 / n);
	return 0;
}

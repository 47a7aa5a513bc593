// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark subject: prints "ready PID", waits GRACE seconds (time to be
 * moved), then counts CLOCK_MONOTONIC reads (vDSO) for 3 s and times a
 * fixed loop of 3e8 additions. Prints "clockloops N fixedloop_s T".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "now.h"

int main(int argc, char **argv)
{
	double grace = argc > 1 ? atof(argv[1]) : 8, end, t0;
	volatile unsigned long x = 0;
	unsigned long n = 0, i;

	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	end = now() + grace;
	while (now() < end)
		;
	end = now() + 3;
	while (now() < end)
		n++;
	t0 = now();
	for (i = 0; i < 300000000UL; i++)
		x += i;
	printf("clockloops %lu fixedloop_s %.3f\n", n, now() - t0);
	return 0;
}

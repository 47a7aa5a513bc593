/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the test programs: CLOCK_MONOTONIC in seconds. */
#ifndef MIG_TEST_NOW_H
#define MIG_TEST_NOW_H

#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif

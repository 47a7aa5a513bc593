/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the test programs that report checks: one line per check,
 * "ok WHAT" or "bad WHAT: why", which the tests read; check_failures
 * counts the bad ones for the exit status.
 */
#ifndef MIG_TEST_CHECK_H
#define MIG_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int check_failures;

static void check(int ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok %s\n", what);
		return;
	}
	check_failures++;
	printf("bad %s: ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing of command arguments. Everything is checked here, before any
 * netlink traffic, so that typos get a precise message (and exit status 2)
 * instead of a terse EINVAL from the kernel.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../uapi/mig.h"
#include "parse.h"

/*
 * Plain decimal only: strtoul() would also take "-1" (wrapping it),
 * leading blanks, "+5" and hex, none of which is a sensible node ID.
 */
static int parse_digits(const char *s, size_t len, unsigned long max,
			unsigned long *val)
{
	unsigned long v = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned long d = (unsigned long)(s[i] - '0');

		if (!isdigit((unsigned char)s[i]))
			return -1;
		/* Checked before it is computed: no wrap on 32-bit longs. */
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*val = v;
	return 0;
}

static int parse_decimal(const char *s, unsigned long max,
			 unsigned long *val)
{
	return parse_digits(s, strlen(s), max, val);
}

int parse_node_id(const char *s, uint32_t *id, char *err)
{
	unsigned long v;

	if (parse_decimal(s, MIG_NODE_ID_MAX, &v) || v < MIG_NODE_ID_MIN) {
		snprintf(err, PARSE_ERR_LEN,
			 "invalid node ID '%s': must be a number from %d to %d",
			 s, MIG_NODE_ID_MIN, MIG_NODE_ID_MAX);
		return -1;
	}
	*id = (uint32_t)v;
	return 0;
}

/* Any pid the kernel could hand out; whether it exists is its business. */
int parse_pid(const char *s, uint32_t *pid, char *err)
{
	unsigned long v;

	if (parse_decimal(s, INT_MAX, &v) || v == 0) {
		snprintf(err, PARSE_ERR_LEN,
			 "invalid PID '%s': must be a positive number", s);
		return -1;
	}
	*pid = (uint32_t)v;
	return 0;
}

int parse_dest_node(const char *s, uint32_t *id, char *err)
{
	unsigned long v;

	if (!strcmp(s, "home")) {
		*id = MIGCTL_NODE_HOME;
		return 0;
	}
	if (!strcmp(s, "balance")) {
		*id = MIGCTL_NODE_BALANCE;
		return 0;
	}
	if (parse_decimal(s, MIG_NODE_ID_MAX, &v) || v < MIG_NODE_ID_MIN) {
		snprintf(err, PARSE_ERR_LEN,
			 "invalid node '%s': must be a node ID from %d to %d, 'home' or 'balance'",
			 s, MIG_NODE_ID_MIN, MIG_NODE_ID_MAX);
		return -1;
	}
	*id = (uint32_t)v;
	return 0;
}

int parse_count(const char *s, uint32_t *n, char *err)
{
	unsigned long v;

	if (parse_decimal(s, INT_MAX, &v)) {
		snprintf(err, PARSE_ERR_LEN,
			 "invalid count '%s': must be a number from 0 (no end) to %d",
			 s, INT_MAX);
		return -1;
	}
	*n = (uint32_t)v;
	return 0;
}

/* "1", "0.25": whole seconds, then up to three decimals. */
static int parse_ms(const char *s, unsigned long *ms)
{
	const char *dot = strchr(s, '.');
	size_t whole = dot ? (size_t)(dot - s) : strlen(s);
	size_t decimals = dot ? strlen(dot + 1) : 0;
	unsigned long secs, frac = 0;

	if (parse_digits(s, whole, MIGCTL_DELAY_MAX_MS / 1000, &secs))
		return -1;
	if (dot && (decimals > 3 ||
		    parse_digits(dot + 1, decimals, 999, &frac)))
		return -1;
	for (; decimals < 3; decimals++)
		frac *= 10;
	*ms = secs * 1000 + frac;
	return 0;
}

int parse_delay(const char *s, uint32_t *ms, char *err)
{
	unsigned long v;

	if (parse_ms(s, &v) || v < MIGCTL_DELAY_MIN_MS ||
	    v > MIGCTL_DELAY_MAX_MS) {
		snprintf(err, PARSE_ERR_LEN,
			 "invalid delay '%s': must be seconds from %d.%d to %d, such as 2 or 0.5",
			 s, MIGCTL_DELAY_MIN_MS / 1000,
			 MIGCTL_DELAY_MIN_MS % 1000 / 100,
			 MIGCTL_DELAY_MAX_MS / 1000);
		return -1;
	}
	*ms = (uint32_t)v;
	return 0;
}

static int parse_port(const char *s, uint16_t *port, char *err)
{
	unsigned long v;

	if (parse_decimal(s, 65535, &v) || v == 0) {
		snprintf(err, PARSE_ERR_LEN,
			 "invalid port '%s': must be a number from 1 to 65535",
			 s);
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

/* Explain why a non-IPv4 string was refused, guessing what it was meant as. */
static void explain_bad_addr(const char *s, char *err)
{
	const char *what = "not an IPv4 address";

	if (strchr(s, ':') || s[0] == '[')
		what = "IPv6 is not supported";
	else if (strspn(s, "0123456789.") != strlen(s))
		what = "host names are not resolved";
	snprintf(err, PARSE_ERR_LEN,
		 "invalid address '%s': %s; give a dotted quad such as 10.0.0.2",
		 s, what);
}

int parse_addr_port(const char *s, struct in_addr *addr, uint16_t *port,
		    char *err)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);

	*port = MIG_DEFAULT_PORT;
	/* A second colon means IPv6 (or garbage), never ADDR:PORT. */
	if (colon && strchr(colon + 1, ':')) {
		explain_bad_addr(s, err);
		return -1;
	}
	if (len == 0 || len >= sizeof(host)) {
		explain_bad_addr(s, err);
		return -1;
	}
	memcpy(host, s, len);
	host[len] = '\0';
	/* inet_pton, unlike inet_aton, takes only the strict a.b.c.d form. */
	if (inet_pton(AF_INET, host, addr) != 1) {
		explain_bad_addr(host, err);
		return -1;
	}
	if (colon)
		return parse_port(colon + 1, port, err);
	return 0;
}

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
static int parse_decimal(const char *s, unsigned long max,
			 unsigned long *val)
{
	unsigned long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	*val = v;
	return 0;
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
	if (parse_decimal(s, MIG_NODE_ID_MAX, &v) || v < MIG_NODE_ID_MIN) {
		snprintf(err, PARSE_ERR_LEN,
			 "invalid node '%s': must be a node ID from %d to %d, or 'home'",
			 s, MIG_NODE_ID_MIN, MIG_NODE_ID_MAX);
		return -1;
	}
	*id = (uint32_t)v;
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

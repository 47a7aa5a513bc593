/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_DUMP_H
#define MIGCTL_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "nl.h"

/* The records of one dump, in a growable array. */
struct dump_array {
	void *v;
	size_t size;		/* bytes per record */
	size_t n, cap;
};

/*
 * Room for one more record, zeroed, or NULL when out of memory. Called
 * by a dump's parse callback, whose arg is the struct dump_array.
 */
void *dump_add(struct dump_array *a);

/* What sets one listing apart: its request, records and columns. */
struct dump_ops {
	uint8_t cmd;		/* the dump request */
	size_t size;		/* bytes per record */
	mig_nl_parse_fn parse;	/* one reply: checks it, dump_add()s it */
	void (*report)(const struct mig_nl_error *e);	/* a failed dump */
	int (*cmp)(const void *a, const void *b);	/* order shown */
	void (*header)(void);				/* table header */
	void (*row)(const void *rec);			/* table row */
	void (*json)(struct json *j, const void *rec);	/* JSON object */
};

/*
 * Fetch the whole list into *a and sort it; only cmd, size, parse,
 * report and cmp of ops are used. Returns 0 (free *a with dump_free()),
 * or -1 after the failure was reported (nothing to free).
 */
int dump_fetch(const struct dump_ops *ops, struct dump_array *a);
const void *dump_at(const struct dump_array *a, size_t i);
void dump_free(struct dump_array *a);

/*
 * Fetch the whole list, sort it, then print it as a table or as a JSON
 * array. Returns 0, or -1 after the failure was reported.
 */
int dump_list(const struct dump_ops *ops, bool json);

#endif /* MIGCTL_DUMP_H */

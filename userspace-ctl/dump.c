// SPDX-License-Identifier: GPL-2.0
/*
 * Listings fetched with a netlink dump (node list, ps, top): the records
 * are collected into an array first, so that they can be sorted before
 * any is printed, and nothing is printed when the dump fails midway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

void *dump_add(struct dump_array *a)
{
	void *rec;

	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;

		rec = realloc(a->v, cap * a->size);
		if (!rec)
			return NULL;
		a->v = rec;
		a->cap = cap;
	}
	rec = (char *)a->v + a->n++ * a->size;
	memset(rec, 0, a->size);
	return rec;
}

const void *dump_at(const struct dump_array *a, size_t i)
{
	return (const char *)a->v + i * a->size;
}

void dump_free(struct dump_array *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

static void print_table(const struct dump_ops *ops,
			const struct dump_array *a)
{
	size_t i;

	ops->header();
	for (i = 0; i < a->n; i++)
		ops->row(dump_at(a, i));
}

static void print_json(const struct dump_ops *ops, const struct dump_array *a)
{
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_array_begin(&j, NULL);
	for (i = 0; i < a->n; i++)
		ops->json(&j, dump_at(a, i));
	json_array_end(&j);
	json_finish(&j);
}

int dump_fetch(const struct dump_ops *ops, struct dump_array *a)
{
	struct mig_nl_error e;
	int ret;

	memset(a, 0, sizeof(*a));
	a->size = ops->size;
	ret = mig_nl_request(ops->cmd, NLM_F_DUMP, NULL, ops->parse, a, &e);
	if (ret == -1)
		ops->report(&e);
	if (ret) {
		dump_free(a);
		return -1;
	}
	/* Dump order is the module's (hash order): sort for people. */
	if (a->n)
		qsort(a->v, a->n, a->size, ops->cmp);
	return 0;
}

int dump_list(const struct dump_ops *ops, bool json)
{
	struct dump_array a;

	if (dump_fetch(ops, &a))
		return -1;
	if (json)
		print_json(ops, &a);
	else
		print_table(ops, &a);
	dump_free(&a);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_JSON_H
#define MIGCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A tiny streaming JSON writer producing compact, one-line output.
 *
 * Every value call takes a key: pass the member name inside an object and
 * NULL inside an array or at the top level. Commas are inserted for you.
 */
#define JSON_MAX_DEPTH 8

struct json {
	FILE *f;
	int depth;
	bool has_items[JSON_MAX_DEPTH];	/* per level: need a comma next */
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *val);
void json_uint(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* val, or null when it is not known (where a table would show "-"). */
void json_opt_uint(struct json *j, const char *key, bool known, uint64_t val);
void json_opt_string(struct json *j, const char *key, bool known,
		     const char *val);
/* A number given in thousandths, exactly: 2000 is 2.0, 1234 is 1.234. */
void json_milli(struct json *j, const char *key, uint64_t milli);
/* Ends the document with a newline. */
void json_finish(struct json *j);

#endif /* MIGCTL_JSON_H */

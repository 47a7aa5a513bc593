// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal JSON emitter shared by every listing. It writes as it goes (no
 * document tree), which is all a command-line dump needs.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->has_items[0] = false;
}

/*
 * Escape per RFC 8259: quote, backslash and control characters. Other
 * bytes pass through untouched, so UTF-8 input stays UTF-8.
 */
static void put_escaped(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator and member name in front of every value. */
static void begin_value(struct json *j, const char *key)
{
	if (j->has_items[j->depth])
		fputc(',', j->f);
	j->has_items[j->depth] = true;
	if (key) {
		put_escaped(j->f, key);
		fputc(':', j->f);
	}
}

static void open_level(struct json *j, const char *key, char c)
{
	begin_value(j, key);
	fputc(c, j->f);
	/* Nesting is fixed by our own code, never by input: a bug. */
	if (j->depth + 1 >= JSON_MAX_DEPTH)
		abort();
	j->has_items[++j->depth] = false;
}

static void close_level(struct json *j, char c)
{
	if (j->depth == 0)
		abort();
	j->depth--;
	fputc(c, j->f);
}

void json_object_begin(struct json *j, const char *key)
{
	open_level(j, key, '{');
}

void json_object_end(struct json *j)
{
	close_level(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	open_level(j, key, '[');
}

void json_array_end(struct json *j)
{
	close_level(j, ']');
}

void json_string(struct json *j, const char *key, const char *val)
{
	begin_value(j, key);
	put_escaped(j->f, val);
}

void json_uint(struct json *j, const char *key, uint64_t val)
{
	begin_value(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	begin_value(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	begin_value(j, key);
	fputs("null", j->f);
}

void json_opt_uint(struct json *j, const char *key, bool known, uint64_t val)
{
	if (known)
		json_uint(j, key, val);
	else
		json_null(j, key);
}

void json_opt_string(struct json *j, const char *key, bool known,
		     const char *val)
{
	if (known)
		json_string(j, key, val);
	else
		json_null(j, key);
}

/*
 * Printed from integers rather than as a double, so that 1100 is 1.1 and
 * not 1.1000000000000001. Trailing zeros go, but one decimal stays to
 * mark the value as a fraction.
 */
void json_milli(struct json *j, const char *key, uint64_t milli)
{
	unsigned int frac = (unsigned int)(milli % 1000);
	int digits = 3;

	while (digits > 1 && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	begin_value(j, key);
	fprintf(j->f, "%" PRIu64 ".%0*u", milli / 1000, digits, frac);
}

void json_finish(struct json *j)
{
	if (j->depth != 0)
		abort();
	fputc('\n', j->f);
}

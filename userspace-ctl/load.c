// SPDX-License-Identifier: GPL-2.0
/*
 * Load figures of a node (MIG_A_LOAD), shared by status, node list and
 * top so that they read the same everywhere: decoding, table cells and
 * JSON members.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "load.h"
#include "migctl.h"

static const struct {
	uint32_t bit;
	const char *name;
} load_flags[] = {
	{ MIG_LOAD_F_BALANCE,	"balance" },
	{ MIG_LOAD_F_BLOCK,	"block" },
	{ MIG_LOAD_F_EXPEL,	"expel" },
};

/* Every figure is a u32 but the memory sizes. */
static int load_attr_len(int type)
{
	if (type == MIG_LOAD_A_FREE_KB || type == MIG_LOAD_A_TOTAL_KB)
		return (int)sizeof(uint64_t);
	return (int)sizeof(uint32_t);
}

/*
 * A newer module may add figures (past ours) or pad differently: skip
 * whatever we do not know or whose size is off, rather than refuse the
 * whole listing over one figure.
 */
void load_read(struct nlattr *nest, struct load_info *l)
{
	struct nlattr *a;
	int rem;

	memset(l, 0, sizeof(*l));
	l->reported = true;
	nla_for_each_nested(a, nest, rem) {
		int type = nla_type(a);

		if (type < 1 || type > MIG_LOAD_A_MAX ||
		    type == MIG_LOAD_A_PAD || nla_len(a) != load_attr_len(type))
			continue;
		l->has |= 1U << type;
		l->v[type] = load_attr_len(type) == (int)sizeof(uint64_t) ?
			     nla_get_u64(a) : nla_get_u32(a);
	}
}

bool load_has(const struct load_info *l, int attr)
{
	return l->has & (1U << attr);
}

/* A flag's name; bits from a newer module show as hex, not vanish. */
static const char *flag_name(uint32_t bit, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(load_flags); i++)
		if (load_flags[i].bit == bit)
			return load_flags[i].name;
	snprintf(buf, len, "0x%x", bit);
	return buf;
}

/* "balance,block", or "-" when no flag is set or none was reported. */
static void format_flags(const struct load_info *l, char *buf, size_t len)
{
	uint32_t flags = (uint32_t)l->v[MIG_LOAD_A_FLAGS];
	char name[16];
	size_t used = 0;
	int bit;

	snprintf(buf, len, "-");
	if (!load_has(l, MIG_LOAD_A_FLAGS))
		return;
	for (bit = 0; bit < 32; bit++) {
		if (!(flags & (1U << bit)) || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "",
					 flag_name(1U << bit, name,
						   sizeof(name)));
	}
}

static void cell_uint(const struct load_info *l, int attr, char *buf,
		      size_t len)
{
	if (load_has(l, attr))
		snprintf(buf, len, "%" PRIu64, l->v[attr]);
	else
		snprintf(buf, len, "-");
}

/* Memory comes in KiB: a cell in the units of ps's SENT column. */
static void cell_kib(const struct load_info *l, int attr, char *buf,
		     size_t len)
{
	if (load_has(l, attr))
		format_bytes(l->v[attr] * 1024, buf, len);
	else
		snprintf(buf, len, "-");
}

void load_cells(const struct load_info *l, struct load_cells *c)
{
	snprintf(c->load, sizeof(c->load), "-");
	if (load_has(l, MIG_LOAD_A_LOAD))
		format_milli(l->v[MIG_LOAD_A_LOAD], c->load, sizeof(c->load));
	snprintf(c->age, sizeof(c->age), "-");
	if (load_has(l, MIG_LOAD_A_AGE_MS))
		format_age_ms((uint32_t)l->v[MIG_LOAD_A_AGE_MS], c->age,
			      sizeof(c->age));
	cell_uint(l, MIG_LOAD_A_CPUS, c->cpus, sizeof(c->cpus));
	cell_uint(l, MIG_LOAD_A_SPEED, c->speed, sizeof(c->speed));
	cell_kib(l, MIG_LOAD_A_FREE_KB, c->free, sizeof(c->free));
	cell_kib(l, MIG_LOAD_A_TOTAL_KB, c->total, sizeof(c->total));
	cell_uint(l, MIG_LOAD_A_GUESTS, c->guests, sizeof(c->guests));
	cell_uint(l, MIG_LOAD_A_AWAY, c->away, sizeof(c->away));
	format_flags(l, c->flags, sizeof(c->flags));
}

static void json_flags(struct json *j, const struct load_info *l)
{
	uint32_t flags = (uint32_t)l->v[MIG_LOAD_A_FLAGS];
	char name[16];
	int bit;

	if (!load_has(l, MIG_LOAD_A_FLAGS)) {
		json_null(j, "flags");
		return;
	}
	json_array_begin(j, "flags");
	for (bit = 0; bit < 32; bit++)
		if (flags & (1U << bit))
			json_string(j, NULL,
				    flag_name(1U << bit, name, sizeof(name)));
	json_array_end(j);
}

static void json_figure(struct json *j, const char *key,
			const struct load_info *l, int attr)
{
	json_opt_uint(j, key, load_has(l, attr), l->v[attr]);
}

void load_json_members(struct json *j, const struct load_info *l)
{
	if (load_has(l, MIG_LOAD_A_LOAD))
		json_milli(j, "load", l->v[MIG_LOAD_A_LOAD]);
	else
		json_null(j, "load");
	json_figure(j, "cpus", l, MIG_LOAD_A_CPUS);
	json_figure(j, "speed", l, MIG_LOAD_A_SPEED);
	json_figure(j, "free_kb", l, MIG_LOAD_A_FREE_KB);
	json_figure(j, "total_kb", l, MIG_LOAD_A_TOTAL_KB);
	json_figure(j, "guests", l, MIG_LOAD_A_GUESTS);
	json_figure(j, "away", l, MIG_LOAD_A_AWAY);
	json_figure(j, "age_ms", l, MIG_LOAD_A_AGE_MS);
	json_flags(j, l);
}

void load_json(struct json *j, const char *key, const struct load_info *l)
{
	if (!l->reported) {
		json_null(j, key);
		return;
	}
	json_object_begin(j, key);
	load_json_members(j, l);
	json_object_end(j);
}

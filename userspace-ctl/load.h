/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_LOAD_H
#define MIGCTL_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/attr.h>

#include "../uapi/mig.h"
#include "json.h"

/*
 * A node's load figures (MIG_A_LOAD): this node's in a STATUS reply, a
 * peer's last report in NODE_LIST. Any figure may be missing.
 */
struct load_info {
	bool reported;			/* MIG_A_LOAD came at all */
	uint32_t has;			/* bit n: MIG_LOAD_A_n came */
	uint64_t v[__MIG_LOAD_A_MAX];	/* indexed by MIG_LOAD_A_* */
};

_Static_assert(__MIG_LOAD_A_MAX <= 32, "load_info.has is too small");

/* The figures as table cells, "-" for each one that did not come. */
struct load_cells {
	char load[16], cpus[12], speed[12], free[16], total[16];
	char guests[12], away[12], age[16], flags[48];
};

/* Copy the nested MIG_A_LOAD attribute out of a reply. */
void load_read(struct nlattr *nest, struct load_info *l);
bool load_has(const struct load_info *l, int attr);
void load_cells(const struct load_info *l, struct load_cells *c);

/*
 * The figures as members of the current JSON object: "load" (a decimal,
 * 1.0 being one CPU-bound process), "cpus", "speed", "free_kb",
 * "total_kb", "guests", "away", "age_ms" and "flags" (an array of names),
 * each null when it did not come.
 */
void load_json_members(struct json *j, const struct load_info *l);
/* key: {the members above}, or key: null when no load was reported. */
void load_json(struct json *j, const char *key, const struct load_info *l);

#endif /* MIGCTL_LOAD_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_STATUS_H
#define MIGCTL_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "load.h"

/* Counters we do not know (from a newer module) still show, by number. */
#define MAX_STATS 64

/* A value that the reply may or may not carry. */
struct opt {
	bool set;
	uint64_t v;
};

/* Copied out of the STATUS reply, which is freed before we print. */
struct status {
	struct opt local_id, port, key, hb_interval, hb_timeout, wire;
	struct opt stats[MAX_STATS];
	struct load_info load;		/* this node's own figures */
	char version[64];		/* the module's, "" when not sent */
	struct in_addr addr;		/* this node's own entry, if has_addr */
	bool has_addr;
	bool got_reply;
};

/*
 * Ask the module for its status (status, top). Returns 0, or -1 after
 * the failure was reported.
 */
int query_status(struct status *s);

#endif /* MIGCTL_STATUS_H */

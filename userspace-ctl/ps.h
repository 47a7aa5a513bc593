/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_PS_H
#define MIGCTL_PS_H

#include <stdbool.h>
#include <stdint.h>

#include "dump.h"

/* One process of the dump; has_* tell which optional attributes came. */
struct proc_info {
	uint32_t pid, home_node, home_pid, where, moves, threads;
	uint64_t bytes_sent;
	uint8_t role, state;
	bool has_role, has_home, has_home_pid, has_where, has_state,
	     has_moves, has_bytes, has_threads;
	bool pinned;		/* absent means not pinned */
	/* A live move under way (MOVE_MODE present). */
	bool moving;
	uint8_t how;
	uint32_t round;
	uint64_t total, rate, elapsed_us;
	/* MIG_ROLE_RETURNED */
	uint8_t reason;
	uint32_t reason_nr, age_ms;
};

/* The process list (ps, down): struct proc_info records, by PID. */
extern const struct dump_ops ps_ops;

#endif /* MIGCTL_PS_H */

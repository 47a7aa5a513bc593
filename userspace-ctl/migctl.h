/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migctl: shared declarations of the command dispatcher.
 *
 * Every command lives in its own file and is reached through the table in
 * migctl.c; a handler gets only its positional arguments (options already
 * stripped by the dispatcher, but for its own with CMD_F_OPTS) and
 * returns the process exit status.
 */
#ifndef MIGCTL_H
#define MIGCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* From the file VERSION at the top (userspace-ctl/Makefile). */
#ifndef MIGCTL_VERSION
#define MIGCTL_VERSION "unknown"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif

/* Exit statuses: 1 when something failed at run time, 2 for bad usage. */
enum {
	EXIT_OK		= 0,
	EXIT_RUNTIME	= 1,
	EXIT_USAGE	= 2,
};

/* Command table flags. */
#define CMD_F_JSON	0x1	/* accepts -j/--json */
#define CMD_F_DEFAULT	0x2	/* runs when its group is named alone */
#define CMD_F_CMDLINE	0x4	/* a command line follows the first argument */
/*
 * The handler parses options of its own: the dispatcher passes those it
 * does not know on, in place, and the handler refuses what it does not
 * know either. With CMD_F_CMDLINE they come before the first argument
 * and take no value.
 */
#define CMD_F_OPTS	0x8

struct opts {
	bool json;
};

struct command;
typedef int (*cmd_fn)(const struct command *cmd, int argc, char **argv,
		      const struct opts *o);

struct command {
	const char *group;	/* first word: "node", "status", ... */
	const char *name;	/* second word, or NULL for one-word commands */
	cmd_fn fn;
	const char *args;	/* arguments for the usage line */
	const char *summary;	/* one line for "migctl help" */
	const char *help;	/* longer text for "migctl help CMD", or NULL */
	unsigned int flags;
};

void pr_err(const char *fmt, ...) __printf(1, 2);
int usage_error(const struct command *cmd, const char *fmt, ...)
	__printf(2, 3);
/* "-x" or "--xyz", but not "-" or "-1" (a bad number, not an option). */
bool is_option(const char *arg);

/* Handlers, one file per concern. */
int cmd_node_add(const struct command *cmd, int argc, char **argv,
		 const struct opts *o);
int cmd_node_del(const struct command *cmd, int argc, char **argv,
		 const struct opts *o);
int cmd_node_list(const struct command *cmd, int argc, char **argv,
		  const struct opts *o);
int cmd_key_set(const struct command *cmd, int argc, char **argv,
		const struct opts *o);
int cmd_status(const struct command *cmd, int argc, char **argv,
	       const struct opts *o);
int cmd_move(const struct command *cmd, int argc, char **argv,
	     const struct opts *o);
int cmd_exec(const struct command *cmd, int argc, char **argv,
	     const struct opts *o);
/* move.c: "live", "stop-copy"... for an enum mig_move_how */
const char *move_how_name(uint8_t how);
/* ps.c: a move under way of pid, as one line of text */
int ps_move_progress(uint32_t pid, char *buf, size_t len);
int ps_came_home(uint32_t pid, uint32_t within_ms, char *buf, size_t len);
int cmd_ps(const struct command *cmd, int argc, char **argv,
	   const struct opts *o);
int cmd_pin(const struct command *cmd, int argc, char **argv,
	    const struct opts *o);
int cmd_unpin(const struct command *cmd, int argc, char **argv,
	      const struct opts *o);
int cmd_top(const struct command *cmd, int argc, char **argv,
	    const struct opts *o);
int cmd_map_check(const struct command *cmd, int argc, char **argv,
		  const struct opts *o);
int cmd_map_params(const struct command *cmd, int argc, char **argv,
		   const struct opts *o);
int cmd_up(const struct command *cmd, int argc, char **argv,
	   const struct opts *o);
int cmd_down(const struct command *cmd, int argc, char **argv,
	     const struct opts *o);

#endif /* MIGCTL_H */

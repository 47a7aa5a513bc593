// SPDX-License-Identifier: GPL-2.0
/*
 * migctl top [-n COUNT] [-d SECONDS]: the load of every node, live.
 *
 * A snapshot is one STATUS request (this node: its ID and own load) and
 * one NODE_LIST dump (each peer: link state, RTT, last load report), the
 * same requests status and node list make. The terminal is only written
 * to, never switched to another mode, so Ctrl-C has nothing to restore:
 * it just ends the loop between two snapshots.
 */
#define _GNU_SOURCE		/* ppoll() */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"
#include "format.h"
#include "json.h"
#include "load.h"
#include "migctl.h"
#include "node.h"
#include "parse.h"
#include "status.h"

struct top_opts {
	uint32_t count;		/* snapshots to show, 0: until interrupted */
	uint32_t delay_ms;	/* between two snapshots */
};

/* One line of the view, this node's or a peer's. */
struct top_row {
	bool self;
	bool has_id, has_rtt;
	uint32_t id, rtt_us;
	const char *state;		/* NULL when not known */
	const struct load_info *load;
};

/* What one refresh shows; free with snapshot_free(). */
struct snapshot {
	struct status st;
	struct dump_array peers;	/* struct node_info, by ID */
};

static volatile sig_atomic_t top_stop;

static void on_stop(int sig)
{
	(void)sig;
	top_stop = 1;
}

/* Returns 0, or -1 after the failure was reported. */
static int snapshot_take(struct snapshot *s)
{
	if (query_status(&s->st))
		return -1;
	return dump_fetch(&node_list_ops, &s->peers);
}

static void snapshot_free(struct snapshot *s)
{
	dump_free(&s->peers);
}

static void self_row(const struct status *st, struct top_row *r)
{
	memset(r, 0, sizeof(*r));
	r->self = true;
	r->has_id = st->local_id.set;
	r->id = (uint32_t)st->local_id.v;
	r->state = "self";
	r->load = &st->load;
}

static void peer_row(const struct node_info *n, struct top_row *r)
{
	memset(r, 0, sizeof(*r));
	r->has_id = true;
	r->id = n->id;
	r->has_rtt = node_rtt_known(n);
	r->rtt_us = n->rtt_us;
	r->state = n->has_state ? node_state_name(n) : NULL;
	r->load = &n->load;
}

/* Row i of the view: this node first, then the peers by ID. */
static void snapshot_row(const struct snapshot *s, size_t i,
			 struct top_row *r)
{
	if (i == 0)
		self_row(&s->st, r);
	else
		peer_row(dump_at(&s->peers, i - 1), r);
}

#define TOP_ROW "%-5s  %-11s  %6s  %4s  %5s  %9s  %6s  %5s  %9s  %6s\n"

static void print_row(const struct top_row *r)
{
	char id[16] = "-", rtt[16] = "-";
	struct load_cells c;

	if (r->has_id)
		snprintf(id, sizeof(id), "%u", r->id);
	if (r->has_rtt)
		format_us_as_ms(r->rtt_us, rtt, sizeof(rtt));
	load_cells(r->load, &c);
	printf(TOP_ROW, id, r->state ? r->state : "-", c.load, c.cpus,
	       c.speed, c.free, c.guests, c.away, rtt, c.age);
}

static void print_table(const struct snapshot *s)
{
	struct top_row r;
	size_t i;

	printf(TOP_ROW, "NODE", "STATE", "LOAD", "CPUS", "SPEED", "FREE",
	       "GUESTS", "AWAY", "RTT(ms)", "AGE");
	for (i = 0; i <= s->peers.n; i++) {
		snapshot_row(s, i, &r);
		print_row(&r);
	}
}

/* Flat: the load figures sit next to the node's own members. */
static void json_row(struct json *j, const struct top_row *r)
{
	json_object_begin(j, NULL);
	json_opt_uint(j, "node", r->has_id, r->id);
	json_bool(j, "self", r->self);
	json_opt_string(j, "state", r->state != NULL, r->state);
	load_json_members(j, r->load);
	json_opt_uint(j, "rtt_us", r->has_rtt, r->rtt_us);
	json_object_end(j);
}

static void print_json(const struct snapshot *s)
{
	struct top_row r;
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "nodes");
	for (i = 0; i <= s->peers.n; i++) {
		snapshot_row(s, i, &r);
		json_row(&j, &r);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

/*
 * One refresh. A terminal is redrawn from the top left, after the
 * requests so that it never stands blank while they run; elsewhere (a
 * file, a pipe) snapshots follow each other, a blank line apart.
 * Returns 0, or -1 when it failed (reported, or stdout broke).
 */
static int show_snapshot(bool tty, bool redraw)
{
	struct snapshot s;

	if (snapshot_take(&s))
		return -1;
	if (redraw)
		fputs("\033[H\033[J", stdout);
	print_table(&s);
	if (!tty)
		putchar('\n');
	snapshot_free(&s);
	/* Each one as it comes, for whoever reads the pipe. */
	return fflush(stdout) == EOF ? -1 : 0;
}

/*
 * SIGINT and SIGTERM stay blocked but while we sleep (ppoll() lets them
 * in atomically), so neither lands in the middle of a request or between
 * checking top_stop and going to sleep.
 */
static int catch_stop(sigset_t *sleep_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, sleep_mask) ||
	    sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		pr_err("cannot set up Ctrl-C handling: %s", strerror(errno));
		return -1;
	}
	sigdelset(sleep_mask, SIGINT);
	sigdelset(sleep_mask, SIGTERM);
	return 0;
}

/* Sleep ms unless stopped first; returns whether to go on. */
static bool wait_next(uint32_t ms, const sigset_t *sleep_mask)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	if (!top_stop)
		ppoll(NULL, 0, &ts, sleep_mask);
	return !top_stop;
}

static int run_top(const struct top_opts *t)
{
	bool tty = isatty(STDOUT_FILENO);
	/* One snapshot on a terminal is a table like any other: no clear. */
	bool redraw = tty && t->count != 1;
	sigset_t sleep_mask;
	uint32_t i;

	if (catch_stop(&sleep_mask))
		return EXIT_RUNTIME;
	for (i = 0; !t->count || i < t->count; i++) {
		if (i && !wait_next(t->delay_ms, &sleep_mask))
			break;
		if (show_snapshot(tty, redraw))
			return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* -n COUNT and -d SECONDS, kept in argv for us by the dispatcher. */
static int top_options(const struct command *cmd, int argc, char **argv,
		       struct top_opts *t)
{
	char err[PARSE_ERR_LEN];
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool count = !strcmp(a, "-n");

		if (!count && strcmp(a, "-d")) {
			if (is_option(a))
				return usage_error(cmd, "unknown option '%s'",
						   a);
			return usage_error(cmd, "unexpected argument '%s'", a);
		}
		if (++i == argc)
			return usage_error(cmd, "option %s needs a value", a);
		if (count ? parse_count(argv[i], &t->count, err)
			  : parse_delay(argv[i], &t->delay_ms, err))
			return usage_error(cmd, "%s", err);
	}
	return EXIT_OK;
}

int cmd_top(const struct command *cmd, int argc, char **argv,
	    const struct opts *o)
{
	struct top_opts t = { .count = 0, .delay_ms = 1000 };
	struct snapshot s;
	int ret;

	ret = top_options(cmd, argc, argv, &t);
	if (ret != EXIT_OK)
		return ret;
	if (!o->json)
		return run_top(&t);
	/* JSON is for programs: one snapshot, they poll at their own pace. */
	if (snapshot_take(&s))
		return EXIT_RUNTIME;
	print_json(&s);
	snapshot_free(&s);
	return EXIT_OK;
}

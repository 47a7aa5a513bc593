// SPDX-License-Identifier: GPL-2.0
/*
 * migctl ps: the migrated processes this node knows of, deputies (its own
 * processes running elsewhere), guests (other nodes' processes running
 * here) and local processes (its own, at home, listed for being pinned);
 * with --history, also its processes that came home by themselves lately,
 * and why.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dump.h"
#include "format.h"
#include "json.h"
#include "migctl.h"
#include "nl.h"
#include "ps.h"

static const char *const role_names[] = {
	[MIG_ROLE_DEPUTY]	= "deputy",
	[MIG_ROLE_GUEST]	= "guest",
	[MIG_ROLE_LOCAL]	= "local",
	[MIG_ROLE_RETURNED]	= "returned",
};
_Static_assert(ARRAY_SIZE(role_names) == MIG_ROLE_RETURNED + 1,
	       "role_names[] out of sync with enum mig_role");

static const char *const home_reason_names[] = {
	[MIG_HOME_UNSAID]	= "unsaid",
	[MIG_HOME_ASKED]	= "asked",
	[MIG_HOME_SYSCALL]	= "syscall",
	[MIG_HOME_FILE]		= "file",
	[MIG_HOME_BALANCE]	= "balance",
	[MIG_HOME_EXPEL]	= "expel",
};
_Static_assert(ARRAY_SIZE(home_reason_names) == __MIG_HOME_REASON_MAX,
	       "home_reason_names[] out of sync with enum mig_home_reason");

/* Whether the dump keeps the processes that came home (ps --history). */
static bool ps_history;

static const char *const proc_state_names[] = {
	[MIG_PROC_MOVING]	= "moving",
	[MIG_PROC_AWAY]		= "away",
	[MIG_PROC_RUNNING]	= "running",
	[MIG_PROC_RETURNING]	= "returning",
	[MIG_PROC_HOME]		= "home",
};
_Static_assert(ARRAY_SIZE(proc_state_names) == __MIG_PROC_STATE_MAX,
	       "proc_state_names[] out of sync with enum mig_proc_state");

/* "-" when absent, "unknown" for values from a newer module. */
static const char *enum_name(bool has, uint8_t v, const char *const *names,
			     size_t n)
{
	if (!has)
		return "-";
	if (v >= n || !names[v])
		return "unknown";
	return names[v];
}

static const char *role_name(const struct proc_info *p)
{
	return enum_name(p->has_role, p->role, role_names,
			 ARRAY_SIZE(role_names));
}

static const char *proc_state_name(const struct proc_info *p)
{
	return enum_name(p->has_state, p->state, proc_state_names,
			 ARRAY_SIZE(proc_state_names));
}

static void read_proc(struct nlattr **tb, struct proc_info *p)
{
	p->pid = nla_get_u32(tb[MIG_A_PID]);
	p->has_role = tb[MIG_A_ROLE];
	p->has_home = tb[MIG_A_HOME_NODE];
	p->has_home_pid = tb[MIG_A_HOME_PID];
	p->has_where = tb[MIG_A_WHERE_NODE];
	p->has_state = tb[MIG_A_MIG_STATE];
	p->has_moves = tb[MIG_A_MOVES];
	p->has_bytes = tb[MIG_A_BYTES_SENT];
	if (p->has_role)
		p->role = nla_get_u8(tb[MIG_A_ROLE]);
	if (p->has_home)
		p->home_node = nla_get_u32(tb[MIG_A_HOME_NODE]);
	if (p->has_home_pid)
		p->home_pid = nla_get_u32(tb[MIG_A_HOME_PID]);
	if (p->has_where)
		p->where = nla_get_u32(tb[MIG_A_WHERE_NODE]);
	if (p->has_state)
		p->state = nla_get_u8(tb[MIG_A_MIG_STATE]);
	if (p->has_moves)
		p->moves = nla_get_u32(tb[MIG_A_MOVES]);
	if (p->has_bytes)
		p->bytes_sent = nla_get_u64(tb[MIG_A_BYTES_SENT]);
	p->pinned = tb[MIG_A_PINNED] && nla_get_u8(tb[MIG_A_PINNED]);
	p->has_threads = tb[MIG_A_THREADS];
	if (p->has_threads)
		p->threads = nla_get_u32(tb[MIG_A_THREADS]);
	if (tb[MIG_A_HOME_REASON])
		p->reason = nla_get_u8(tb[MIG_A_HOME_REASON]);
	if (tb[MIG_A_HOME_SYSCALL])
		p->reason_nr = nla_get_u32(tb[MIG_A_HOME_SYSCALL]);
	if (tb[MIG_A_HOME_AGE_MS])
		p->age_ms = nla_get_u32(tb[MIG_A_HOME_AGE_MS]);
	p->moving = tb[MIG_A_MOVE_MODE];
	if (!p->moving)
		return;
	p->how = nla_get_u8(tb[MIG_A_MOVE_MODE]);
	if (tb[MIG_A_MOVE_ROUND])
		p->round = nla_get_u32(tb[MIG_A_MOVE_ROUND]);
	if (tb[MIG_A_MOVE_TOTAL])
		p->total = nla_get_u64(tb[MIG_A_MOVE_TOTAL]);
	if (tb[MIG_A_MOVE_RATE])
		p->rate = nla_get_u64(tb[MIG_A_MOVE_RATE]);
	if (tb[MIG_A_MOVE_ELAPSED_US])
		p->elapsed_us = nla_get_u64(tb[MIG_A_MOVE_ELAPSED_US]);
}

/* "round 2: 120.3MiB of 262.1MiB sent, 15.1MiB/s, ETA 9s" */
static void format_progress(const struct proc_info *p, char *buf, size_t len)
{
	char sent[16], total[16], rate[16], eta[16] = "-";
	uint64_t left = p->total > p->bytes_sent ? p->total - p->bytes_sent : 0;

	format_bytes(p->bytes_sent, sent, sizeof(sent));
	format_bytes(p->total, total, sizeof(total));
	format_bytes(p->rate, rate, sizeof(rate));
	if (p->rate)
		format_uptime((uint32_t)(left / p->rate), eta, sizeof(eta));
	snprintf(buf, len, "pre-copy round %u: %s of %s sent, %s/s, ETA %s",
		 p->round, sent, total, rate, eta);
}

static const char *home_reason_name(const struct proc_info *p)
{
	return enum_name(true, p->reason, home_reason_names,
			 ARRAY_SIZE(home_reason_names));
}

/* "syscall 57 (only home runs it)" */
static void format_reason(const struct proc_info *p, char *buf, size_t len)
{
	static const char *const why[] = {
		[MIG_HOME_UNSAID]	= "",
		[MIG_HOME_ASKED]	= " (asked)",
		[MIG_HOME_SYSCALL]	= " (only home runs it)",
		[MIG_HOME_FILE]		= " (a file it maps is only here)",
		[MIG_HOME_BALANCE]	= " (the balancer: home was less busy)",
		[MIG_HOME_EXPEL]	= " (its node was drained)",
	};
	char nr[16] = "";

	if (p->reason == MIG_HOME_SYSCALL || p->reason == MIG_HOME_FILE)
		snprintf(nr, sizeof(nr), " %u", p->reason_nr);
	snprintf(buf, len, "%s%s%s", home_reason_name(p), nr,
		 p->reason < ARRAY_SIZE(why) ? why[p->reason] : "");
}

/* "back 12s ago: syscall 57 (only home runs it)" */
static void format_returned(const struct proc_info *p, char *buf, size_t len)
{
	int n = snprintf(buf, len, "back %us ago: ", p->age_ms / 1000);

	if (n > 0 && (size_t)n < len)
		format_reason(p, buf + n, len - n);
}

static const char *parse_proc(struct nlattr **tb, void *arg)
{
	struct proc_info *p;

	if (!tb[MIG_A_PID])
		return "malformed reply from the mig module: process without a PID";
	if (!ps_history && tb[MIG_A_ROLE] &&
	    nla_get_u8(tb[MIG_A_ROLE]) == MIG_ROLE_RETURNED)
		return NULL;
	p = dump_add(arg);
	if (!p)
		return "out of memory";
	read_proc(tb, p);
	return NULL;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_info *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void format_opt(bool has, uint32_t v, char *buf, size_t len)
{
	if (has)
		snprintf(buf, len, "%u", v);
	else
		snprintf(buf, len, "-");
}

#define PS_ROW "%-7s  %-6s  %-13s  %-5s  %-9s  %7s  %-6s  %5s  %9s%s%s\n"

static void print_proc_row(const void *rec)
{
	const struct proc_info *p = rec;
	char pid[16], home[16], hpid[16], homepid[40], where[16], moves[16];
	char threads[16];
	char sent[16] = "-", progress[128] = "";

	snprintf(pid, sizeof(pid), "%u", p->pid);
	format_opt(p->has_home, p->home_node, home, sizeof(home));
	format_opt(p->has_home_pid, p->home_pid, hpid, sizeof(hpid));
	if (p->has_home || p->has_home_pid)
		snprintf(homepid, sizeof(homepid), "%s:%s", home, hpid);
	else
		snprintf(homepid, sizeof(homepid), "-");
	format_opt(p->has_where, p->where, where, sizeof(where));
	format_opt(p->has_moves, p->moves, moves, sizeof(moves));
	format_opt(p->has_threads, p->threads, threads, sizeof(threads));
	if (p->has_bytes)
		format_bytes(p->bytes_sent, sent, sizeof(sent));
	if (p->moving)
		format_progress(p, progress, sizeof(progress));
	else if (p->has_role && p->role == MIG_ROLE_RETURNED)
		format_returned(p, progress, sizeof(progress));
	printf(PS_ROW, pid, role_name(p), homepid, where, proc_state_name(p),
	       threads, p->pinned ? "yes" : "-", moves, sent,
	       *progress ? "  " : "", progress);
}

static void print_proc_header(void)
{
	printf(PS_ROW, "PID", "ROLE", "HOME", "WHERE", "STATE", "THREADS",
	       "PINNED", "MOVES", "SENT", "", "");
}

static void print_proc_json(struct json *j, const void *rec)
{
	const struct proc_info *p = rec;

	json_object_begin(j, NULL);
	json_uint(j, "pid", p->pid);
	json_opt_string(j, "role", p->has_role, role_name(p));
	json_opt_uint(j, "home", p->has_home, p->home_node);
	json_opt_uint(j, "home_pid", p->has_home_pid, p->home_pid);
	json_opt_uint(j, "where", p->has_where, p->where);
	json_opt_string(j, "state", p->has_state, proc_state_name(p));
	json_bool(j, "pinned", p->pinned);
	json_opt_uint(j, "moves", p->has_moves, p->moves);
	json_opt_uint(j, "threads", p->has_threads, p->threads);
	json_opt_uint(j, "bytes_sent", p->has_bytes, p->bytes_sent);
	if (p->has_role && p->role == MIG_ROLE_RETURNED) {
		json_string(j, "reason", home_reason_name(p));
		if (p->reason == MIG_HOME_SYSCALL || p->reason == MIG_HOME_FILE)
			json_uint(j, "syscall", p->reason_nr);
		json_uint(j, "age_ms", p->age_ms);
	}
	if (p->moving) {
		json_object_begin(j, "move");
		json_string(j, "how", move_how_name(p->how));
		json_uint(j, "round", p->round);
		json_uint(j, "total", p->total);
		json_uint(j, "rate", p->rate);
		json_uint(j, "elapsed_us", p->elapsed_us);
		json_object_end(j);
	}
	json_object_end(j);
}

static void ps_error(const struct mig_nl_error *e)
{
	const char *cause = mig_nl_denied(e,
		"not permitted: the mig module refused to list processes (run as root?)");

	/* A module older than MIG_CMD_PS: say what it cannot do. */
	if (e->errnum == EOPNOTSUPP)
		cause = "the loaded mig module cannot list processes (are migctl and mig.ko from the same version?)";
	mig_nl_report(e, cause, NULL, "cannot list migrated processes");
}

const struct dump_ops ps_ops = {
	.cmd	= MIG_CMD_PS,
	.size	= sizeof(struct proc_info),
	.parse	= parse_proc,
	.report	= ps_error,
	.cmp	= cmp_proc,
	.header	= print_proc_header,
	.row	= print_proc_row,
	.json	= print_proc_json,
};

/*
 * The progress of a move of @pid under way here, as ps shows it, in buf;
 * 0, or -1 if there is none (or the list failed: nothing is printed).
 */
int ps_move_progress(uint32_t pid, char *buf, size_t len)
{
	struct dump_array a;
	size_t i;
	int found = -1;

	if (dump_fetch(&ps_ops, &a))
		return -1;
	for (i = 0; i < a.n; i++) {
		const struct proc_info *p = dump_at(&a, i);

		if (p->pid == pid && p->moving) {
			format_progress(p, buf, len);
			found = 0;
		}
	}
	dump_free(&a);
	return found;
}

/*
 * Why @pid came home by itself within the last @within_ms, as ps --history
 * says it, in buf: 0, or -1 if it did not (or the list failed).
 */
int ps_came_home(uint32_t pid, uint32_t within_ms, char *buf, size_t len)
{
	struct dump_array a;
	bool saved = ps_history;
	size_t i;
	int found = -1;

	ps_history = true;
	if (dump_fetch(&ps_ops, &a)) {
		ps_history = saved;
		return -1;
	}
	ps_history = saved;
	for (i = 0; i < a.n; i++) {
		const struct proc_info *p = dump_at(&a, i);

		if (p->pid == pid && p->has_role &&
		    p->role == MIG_ROLE_RETURNED && p->age_ms <= within_ms) {
			format_reason(p, buf, len);
			found = 0;
		}
	}
	dump_free(&a);
	return found;
}

int cmd_ps(const struct command *cmd, int argc, char **argv,
	   const struct opts *o)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--history") || !strcmp(argv[i], "-H"))
			ps_history = true;
		else
			return usage_error(cmd, "unknown argument '%s'", argv[i]);
	}
	return dump_list(&ps_ops, o->json) ? EXIT_RUNTIME : EXIT_OK;
}

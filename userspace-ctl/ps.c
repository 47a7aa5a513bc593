// SPDX-License-Identifier: GPL-2.0
/*
 * migctl ps: the migrated processes this node knows of, deputies (its own
 * processes running elsewhere) and guests (other nodes' processes running
 * here).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "migctl.h"
#include "nl.h"

/* One process of the dump; has_* tell which optional attributes came. */
struct proc_info {
	uint32_t pid, home_node, home_pid, where, moves;
	uint64_t bytes_sent;
	uint8_t role, state;
	bool has_role, has_home, has_home_pid, has_where, has_state,
	     has_moves, has_bytes;
};

struct proc_list {
	struct proc_info *v;
	size_t n, cap;
};

static const char *const role_names[] = {
	[MIG_ROLE_DEPUTY]	= "deputy",
	[MIG_ROLE_GUEST]	= "guest",
};
_Static_assert(ARRAY_SIZE(role_names) == MIG_ROLE_GUEST + 1,
	       "role_names[] out of sync with enum mig_role");

static const char *const proc_state_names[] = {
	[MIG_PROC_MOVING]	= "moving",
	[MIG_PROC_AWAY]		= "away",
	[MIG_PROC_RUNNING]	= "running",
	[MIG_PROC_RETURNING]	= "returning",
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
}

static const char *parse_proc(struct nlattr **tb, void *arg)
{
	struct proc_list *l = arg;
	struct proc_info *v;

	if (!tb[MIG_A_PID])
		return "malformed reply from the mig module: process without a PID";
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		v = realloc(l->v, l->cap * sizeof(*v));
		if (!v)
			return "out of memory";
		l->v = v;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	read_proc(tb, &l->v[l->n++]);
	return NULL;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_info *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* "512B", "4.0KiB", "16.3MiB": binary units, one decimal past bytes. */
static void format_bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	double v = (double)b;
	size_t u = 0;

	if (b < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", b);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%s", v, units[u]);
}

static void format_opt(bool has, uint32_t v, char *buf, size_t len)
{
	if (has)
		snprintf(buf, len, "%u", v);
	else
		snprintf(buf, len, "-");
}

#define PS_ROW "%-7s  %-6s  %-13s  %-5s  %-9s  %5s  %9s\n"

static void print_proc_row(const struct proc_info *p)
{
	char pid[16], home[16], hpid[16], homepid[40], where[16], moves[16];
	char sent[16] = "-";

	snprintf(pid, sizeof(pid), "%u", p->pid);
	format_opt(p->has_home, p->home_node, home, sizeof(home));
	format_opt(p->has_home_pid, p->home_pid, hpid, sizeof(hpid));
	if (p->has_home || p->has_home_pid)
		snprintf(homepid, sizeof(homepid), "%s:%s", home, hpid);
	else
		snprintf(homepid, sizeof(homepid), "-");
	format_opt(p->has_where, p->where, where, sizeof(where));
	format_opt(p->has_moves, p->moves, moves, sizeof(moves));
	if (p->has_bytes)
		format_bytes(p->bytes_sent, sent, sizeof(sent));
	printf(PS_ROW, pid, role_name(p), homepid, where, proc_state_name(p),
	       moves, sent);
}

static void print_proc_table(const struct proc_list *l)
{
	size_t i;

	printf(PS_ROW, "PID", "ROLE", "HOME", "WHERE", "STATE", "MOVES",
	       "SENT");
	for (i = 0; i < l->n; i++)
		print_proc_row(&l->v[i]);
}

static void json_opt_uint(struct json *j, const char *key, bool known,
			  uint64_t v)
{
	if (known)
		json_uint(j, key, v);
	else
		json_null(j, key);
}

static void json_opt_string(struct json *j, const char *key, bool known,
			    const char *v)
{
	if (known)
		json_string(j, key, v);
	else
		json_null(j, key);
}

static void print_proc_json(struct json *j, const struct proc_info *p)
{
	json_object_begin(j, NULL);
	json_uint(j, "pid", p->pid);
	json_opt_string(j, "role", p->has_role, role_name(p));
	json_opt_uint(j, "home", p->has_home, p->home_node);
	json_opt_uint(j, "home_pid", p->has_home_pid, p->home_pid);
	json_opt_uint(j, "where", p->has_where, p->where);
	json_opt_string(j, "state", p->has_state, proc_state_name(p));
	json_opt_uint(j, "moves", p->has_moves, p->moves);
	json_opt_uint(j, "bytes_sent", p->has_bytes, p->bytes_sent);
	json_object_end(j);
}

static void print_procs_json(const struct proc_list *l)
{
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_array_begin(&j, NULL);
	for (i = 0; i < l->n; i++)
		print_proc_json(&j, &l->v[i]);
	json_array_end(&j);
	json_finish(&j);
}

static int dump_procs(struct proc_list *l)
{
	struct mig_nl_error e;
	struct mig_nl *nl;
	struct nl_msg *msg;
	int ret;

	nl = mig_nl_open();
	if (!nl)
		return -1;
	msg = mig_nl_msg(nl, MIG_CMD_PS, NLM_F_DUMP);
	if (!msg) {
		mig_nl_close(nl);
		return -1;
	}
	ret = mig_nl_talk(nl, msg, parse_proc, l, &e);
	if (ret)
		mig_nl_report(&e, e.errnum == EPERM || e.errnum == EACCES ?
			      "not permitted: the mig module refused to list processes (run as root?)" :
			      e.errnum == EOPNOTSUPP ?
			      "the loaded mig module cannot list processes (are migctl and mig.ko from the same version?)" :
			      NULL, NULL, "cannot list migrated processes");
	nlmsg_free(msg);
	mig_nl_close(nl);
	return ret;
}

int cmd_ps(const struct command *cmd, int argc, char **argv,
	   const struct opts *o)
{
	struct proc_list l = { .v = NULL };
	int ret;

	(void)argv;
	if (argc != 0)
		return usage_error(cmd, "too many arguments");
	ret = dump_procs(&l);
	if (!ret) {
		/* Dump order is the module's: sort for people. */
		if (l.n)
			qsort(l.v, l.n, sizeof(*l.v), cmp_proc);
		if (o->json)
			print_procs_json(&l);
		else
			print_proc_table(&l);
	}
	free(l.v);
	return ret ? EXIT_RUNTIME : EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * migctl status: the local node's settings, load and the module's counters.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "load.h"
#include "migctl.h"
#include "nl.h"
#include "status.h"

/*
 * Counter names, indexed by enum mig_stat: the one place they are spelled.
 * The asserts break the build when uapi/mig.h grows a counter that is not
 * named here; a counter inserted in the middle leaves a NULL hole, which
 * stat_name() still prints sensibly.
 */
static const char *const stat_names[] = {
	[MIG_STAT_CONN_ACCEPTED]	= "conn_accepted",
	[MIG_STAT_CONN_DROPPED]		= "conn_dropped",
	[MIG_STAT_BAD_MAGIC]		= "bad_magic",
	[MIG_STAT_BAD_VERSION]		= "bad_version",
	[MIG_STAT_BAD_TYPE]		= "bad_type",
	[MIG_STAT_BAD_LENGTH]		= "bad_length",
	[MIG_STAT_TRUNCATED]		= "truncated",
	[MIG_STAT_PREAUTH_FRAME]	= "preauth_frame",
	[MIG_STAT_AUTH_FAILED]		= "auth_failed",
	[MIG_STAT_UNKNOWN_PEER]		= "unknown_peer",
	[MIG_STAT_NO_KEY]		= "no_key",
	[MIG_STAT_HANDSHAKE_TIMEOUT]	= "handshake_timeout",
	[MIG_STAT_HEARTBEAT_TIMEOUT]	= "heartbeat_timeout",
	[MIG_STAT_FRAMES_RX]		= "frames_rx",
	[MIG_STAT_FRAMES_TX]		= "frames_tx",
	[MIG_STAT_MOVES_OUT]		= "moves_out",
	[MIG_STAT_MOVES_IN]		= "moves_in",
	[MIG_STAT_MOVES_FAILED]		= "moves_failed",
	[MIG_STAT_BAD_STREAM]		= "bad_stream",
	[MIG_STAT_LOAD_TX]		= "load_tx",
	[MIG_STAT_LOAD_RX]		= "load_rx",
	[MIG_STAT_BAL_DECISIONS]	= "bal_decisions",
	[MIG_STAT_BAL_MOVES]		= "bal_moves",
	[MIG_STAT_BAL_FAILED]		= "bal_failed",
	[MIG_STAT_BAL_HOMECOMINGS]	= "bal_homecomings",
	[MIG_STAT_EXPELLED]		= "expelled",
	[MIG_STAT_REFUSED_BLOCKED]	= "refused_blocked",
	[MIG_STAT_BAD_RECORD]		= "bad_record",
	[MIG_STAT_REKEYS]		= "rekeys",
	[MIG_STAT_REFUSED_QUOTA]	= "refused_quota",
	[MIG_STAT_MOVES_LIVE]		= "moves_live",
	[MIG_STAT_LIVE_UNCONVERGED]	= "live_unconverged",
	[MIG_STAT_LIVE_ABORTED]		= "live_aborted",
	[MIG_STAT_HOME_UNSAID]		= "home_unsaid",
	[MIG_STAT_HOME_ASKED]		= "home_asked",
	[MIG_STAT_HOME_SYSCALL]		= "home_syscall",
	[MIG_STAT_HOME_FILE]		= "home_file",
	[MIG_STAT_HOME_BALANCE]		= "home_balance",
	[MIG_STAT_HOME_EXPEL]		= "home_expel",
};
_Static_assert(ARRAY_SIZE(stat_names) == __MIG_STAT_MAX,
	       "stat_names[] out of sync with enum mig_stat in uapi/mig.h");
_Static_assert(MIG_STAT_HOME_EXPEL == __MIG_STAT_MAX - 1,
	       "a counter was added after MIG_STAT_REFUSED_QUOTA: name it");
_Static_assert(__MIG_STAT_MAX <= MAX_STATS, "MAX_STATS is too small");

static void set_opt(struct opt *o, uint64_t v)
{
	o->set = true;
	o->v = v;
}

static const char *stat_name(unsigned int i, char *buf, size_t len)
{
	if (i < ARRAY_SIZE(stat_names) && stat_names[i])
		return stat_names[i];
	snprintf(buf, len, "stat_%u", i);
	return buf;
}

/* Known counters always show; unknown ones only when the module sent them. */
static bool stat_shown(const struct status *s, unsigned int i)
{
	return i < ARRAY_SIZE(stat_names) || s->stats[i].set;
}

/*
 * Counters are u64 attributes; the module pads them for alignment with
 * zero-length MIG_STAT_ATTR_PAD attributes. A newer module has its pad
 * type past ours, so skip anything that is not a u64 rather than fail.
 */
static void read_stats(struct nlattr *nest, struct status *s)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		int type = nla_type(a);

		if (type == MIG_STAT_ATTR_PAD ||
		    nla_len(a) != (int)sizeof(uint64_t))
			continue;
		/* Netlink type 0 is reserved: the type is the enum plus one. */
		if (type < 1 || type > MAX_STATS)
			continue;
		set_opt(&s->stats[type - 1], nla_get_u64(a));
	}
}

/* Attribute sizes were checked against the policy in nl.c. */
static const char *parse_status(struct nlattr **tb, void *arg)
{
	struct status *s = arg;

	s->got_reply = true;
	if (tb[MIG_A_LOCAL_ID])
		set_opt(&s->local_id, nla_get_u32(tb[MIG_A_LOCAL_ID]));
	if (tb[MIG_A_LOCAL_PORT])
		set_opt(&s->port, nla_get_u16(tb[MIG_A_LOCAL_PORT]));
	if (tb[MIG_A_KEY_PRESENT])
		set_opt(&s->key, nla_get_u8(tb[MIG_A_KEY_PRESENT]));
	if (tb[MIG_A_HB_INTERVAL_MS])
		set_opt(&s->hb_interval, nla_get_u32(tb[MIG_A_HB_INTERVAL_MS]));
	if (tb[MIG_A_HB_TIMEOUT_MS])
		set_opt(&s->hb_timeout, nla_get_u32(tb[MIG_A_HB_TIMEOUT_MS]));
	if (tb[MIG_A_WIRE_VERSION])
		set_opt(&s->wire, nla_get_u8(tb[MIG_A_WIRE_VERSION]));
	if (tb[MIG_A_STATS])
		read_stats(tb[MIG_A_STATS], s);
	if (tb[MIG_A_LOAD])
		load_read(tb[MIG_A_LOAD], &s->load);
	if (tb[MIG_A_VERSION])
		nla_strlcpy(s->version, tb[MIG_A_VERSION], sizeof(s->version));
	s->has_addr = tb[MIG_A_LOCAL_ADDR4];
	if (s->has_addr)
		s->addr.s_addr = nla_get_u32(tb[MIG_A_LOCAL_ADDR4]);
	return NULL;
}

static void print_line(const char *label, const struct opt *o,
		       const char *unit)
{
	if (o->set)
		printf("%-20s %" PRIu64 "%s\n", label, o->v, unit);
	else
		printf("%-20s -\n", label);
}

/* This node's own figures: no age, they are measured as we ask. */
static void print_load_text(const struct load_info *l)
{
	struct load_cells c;

	if (!l->reported) {
		printf("\n%-20s -\n", "load:");
		return;
	}
	load_cells(l, &c);
	puts("\nload:");
	printf("  %-20s %s\n", "load", c.load);
	printf("  %-20s %s\n", "cpus", c.cpus);
	printf("  %-20s %s\n", "speed", c.speed);
	printf("  %-20s %s free of %s\n", "memory", c.free, c.total);
	printf("  %-20s %s\n", "guests here", c.guests);
	printf("  %-20s %s\n", "processes away", c.away);
	printf("  %-20s %s\n", "flags", c.flags);
}

static void print_status_text(const struct status *s)
{
	char buf[16], ip[INET_ADDRSTRLEN] = "-";
	unsigned int i;

	if (s->has_addr)
		inet_ntop(AF_INET, &s->addr, ip, sizeof(ip));
	printf("%-20s %s\n", "module version:", s->version[0] ? s->version : "-");
	print_line("node id:", &s->local_id, "");
	printf("%-20s %s\n", "address:", ip);
	print_line("port:", &s->port, "");
	printf("%-20s %s\n", "key:", !s->key.set ? "-" :
	       s->key.v ? "loaded" :
	       "not loaded (load one with: migctl key set FILE)");
	print_line("heartbeat interval:", &s->hb_interval, " ms");
	print_line("heartbeat timeout:", &s->hb_timeout, " ms");
	print_line("wire version:", &s->wire, "");
	print_load_text(&s->load);
	puts("\ncounters:");
	for (i = 0; i < MAX_STATS; i++) {
		if (!stat_shown(s, i))
			continue;
		if (s->stats[i].set)
			printf("  %-20s %" PRIu64 "\n",
			       stat_name(i, buf, sizeof(buf)), s->stats[i].v);
		else
			printf("  %-20s -\n", stat_name(i, buf, sizeof(buf)));
	}
}

static void json_opt(struct json *j, const char *key, const struct opt *o)
{
	if (o->set)
		json_uint(j, key, o->v);
	else
		json_null(j, key);
}

static void print_status_json(const struct status *s)
{
	char ip[INET_ADDRSTRLEN];
	struct json j;
	char buf[16];
	unsigned int i;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_opt_string(&j, "version", s->version[0], s->version);
	json_opt(&j, "node_id", &s->local_id);
	if (s->has_addr && inet_ntop(AF_INET, &s->addr, ip, sizeof(ip)))
		json_string(&j, "address", ip);
	else
		json_null(&j, "address");
	json_opt(&j, "port", &s->port);
	if (s->key.set)
		json_bool(&j, "key", s->key.v);
	else
		json_null(&j, "key");
	json_opt(&j, "heartbeat_interval_ms", &s->hb_interval);
	json_opt(&j, "heartbeat_timeout_ms", &s->hb_timeout);
	json_opt(&j, "wire_version", &s->wire);
	load_json(&j, "load", &s->load);
	json_object_begin(&j, "stats");
	for (i = 0; i < MAX_STATS; i++)
		if (stat_shown(s, i))
			json_opt(&j, stat_name(i, buf, sizeof(buf)),
				 &s->stats[i]);
	json_object_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

static void status_error(const struct mig_nl_error *e)
{
	const char *cause = mig_nl_denied(e,
		"not permitted: the mig module refused the status query (run as root?)");

	mig_nl_report(e, cause, NULL, "cannot get the status");
}

int query_status(struct status *s)
{
	struct mig_nl_error e;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = mig_nl_request(MIG_CMD_STATUS, 0, NULL, parse_status, s, &e);
	if (ret == -1)
		status_error(&e);
	else if (!ret && !s->got_reply)
		pr_err("cannot get the status: the mig module acknowledged the request but sent no data");
	return ret || !s->got_reply ? -1 : 0;
}

int cmd_status(const struct command *cmd, int argc, char **argv,
	       const struct opts *o)
{
	struct status s;

	(void)argv;
	if (argc != 0)
		return usage_error(cmd, "too many arguments");
	if (query_status(&s))
		return EXIT_RUNTIME;
	if (o->json)
		print_status_json(&s);
	else
		print_status_text(&s);
	return EXIT_OK;
}

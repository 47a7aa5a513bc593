// SPDX-License-Identifier: GPL-2.0
/*
 * migctl node add|del|list: the set of peer nodes this node talks to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../uapi/mig_wire.h"
#include "dump.h"
#include "format.h"
#include "json.h"
#include "load.h"
#include "migctl.h"
#include "nl.h"
#include "node.h"
#include "parse.h"

/* What node add (and, without addr, node del) sends. */
struct node_attrs {
	uint32_t id;
	const struct in_addr *addr;
	uint16_t port;
};

static const char *put_node(struct nl_msg *msg, void *arg)
{
	const struct node_attrs *a = arg;

	if (nla_put_u32(msg, MIG_A_NODE_ID, a->id) < 0 ||
	    (a->addr &&
	     (nla_put_u32(msg, MIG_A_NODE_ADDR4, a->addr->s_addr) < 0 ||
	      nla_put_u16(msg, MIG_A_NODE_PORT, a->port) < 0)))
		return "message too long";
	return NULL;
}

int node_request(uint8_t cmd, uint32_t id, const struct in_addr *addr,
			uint16_t port, struct mig_nl_error *e)
{
	struct node_attrs a = { .id = id, .addr = addr, .port = port };

	return mig_nl_request(cmd, 0, put_node, NULL, &a, e);
}

void node_add_error(const struct mig_nl_error *e, uint32_t id,
		    const char *where)
{
	const char *cause = NULL, *hint = NULL;
	char buf[96];

	switch (e->errnum) {
	case EEXIST:
		cause = "node ID already exists";
		snprintf(buf, sizeof(buf),
			 "remove it first with: migctl node del %u", id);
		hint = buf;
		break;
	case EINVAL:
		cause = "invalid node: bad ID, an unusable address, or this node's own ID with another port than it listens on";
		hint = "'migctl status' shows the local ID and port; a peer's ADDR must be a unicast address of another host";
		break;
	case EADDRNOTAVAIL:
		cause = "that is this node's own ID, and ADDR is not an address of this host";
		hint = "'ip -4 addr' shows this host's addresses; 'migctl status' the local ID";
		break;
	case ENOSPC:
		cause = "too many nodes";
		snprintf(buf, sizeof(buf),
			 "at most %d nodes fit; remove unused ones with: migctl node del ID",
			 MIG_MAX_NODES);
		hint = buf;
		break;
	}
	mig_nl_report(e, cause, hint, "cannot add node %u at %s", id, where);
}

int cmd_node_add(const struct command *cmd, int argc, char **argv,
		 const struct opts *o)
{
	char err[PARSE_ERR_LEN];
	struct mig_nl_error e;
	struct in_addr addr;
	uint16_t port;
	uint32_t id;
	int ret;

	(void)o;
	if (argc != 2)
		return usage_error(cmd, argc < 2 ? "missing arguments"
						 : "too many arguments");
	if (parse_node_id(argv[0], &id, err) ||
	    parse_addr_port(argv[1], &addr, &port, err))
		return usage_error(cmd, "%s", err);
	ret = node_request(MIG_CMD_NODE_ADD, id, &addr, port, &e);
	if (ret == -1)
		node_add_error(&e, id, argv[1]);
	return ret ? EXIT_RUNTIME : EXIT_OK;
}

void node_del_error(const struct mig_nl_error *e, uint32_t id)
{
	const char *cause = NULL, *hint = NULL;

	switch (e->errnum) {
	case ENOENT:
		cause = "unknown node ID";
		hint = "see the configured nodes with: migctl node list";
		break;
	case EINVAL:
		cause = "invalid node ID";
		break;
	}
	mig_nl_report(e, cause, hint, "cannot remove node %u", id);
}

int cmd_node_del(const struct command *cmd, int argc, char **argv,
		 const struct opts *o)
{
	char err[PARSE_ERR_LEN];
	struct mig_nl_error e;
	uint32_t id;
	int ret;

	(void)o;
	if (argc != 1)
		return usage_error(cmd, argc < 1 ? "missing node ID"
						 : "too many arguments");
	if (parse_node_id(argv[0], &id, err))
		return usage_error(cmd, "%s", err);
	ret = node_request(MIG_CMD_NODE_DEL, id, NULL, 0, &e);
	if (ret == -1)
		node_del_error(&e, id);
	return ret ? EXIT_RUNTIME : EXIT_OK;
}

/* --- node list --- */

static const char *const state_names[] = {
	[MIG_NODE_DOWN]		= "down",
	[MIG_NODE_CONNECTING]	= "connecting",
	[MIG_NODE_UP]		= "up",
	[MIG_NODE_AUTH_FAILED]	= "auth-failed",
};
_Static_assert(ARRAY_SIZE(state_names) == __MIG_NODE_STATE_MAX,
	       "state_names[] out of sync with enum mig_node_state");

const char *node_state_name(const struct node_info *n)
{
	if (!n->has_state)
		return "-";
	if (n->state >= ARRAY_SIZE(state_names))
		return "unknown";	/* from a newer module */
	return state_names[n->state];
}

static bool node_is_up(const struct node_info *n)
{
	return n->has_state && n->state == MIG_NODE_UP;
}

/* RTT means nothing without a live link; the module may send 0 then. */
bool node_rtt_known(const struct node_info *n)
{
	return n->has_rtt && (n->rtt_us || node_is_up(n));
}

static bool uptime_known(const struct node_info *n)
{
	return n->has_up && node_is_up(n);
}

static void read_node(struct nlattr **tb, struct node_info *n)
{
	n->id = nla_get_u32(tb[MIG_A_NODE_ID]);
	n->has_addr = tb[MIG_A_NODE_ADDR4];
	n->has_port = tb[MIG_A_NODE_PORT];
	n->has_state = tb[MIG_A_NODE_STATE];
	n->has_rtt = tb[MIG_A_NODE_RTT_US];
	n->has_up = tb[MIG_A_NODE_UP_SECS];
	n->has_fails = tb[MIG_A_NODE_AUTH_FAILS];
	if (n->has_addr)
		n->addr.s_addr = nla_get_u32(tb[MIG_A_NODE_ADDR4]);
	if (n->has_port)
		n->port = nla_get_u16(tb[MIG_A_NODE_PORT]);
	if (n->has_state)
		n->state = nla_get_u8(tb[MIG_A_NODE_STATE]);
	if (n->has_rtt)
		n->rtt_us = nla_get_u32(tb[MIG_A_NODE_RTT_US]);
	if (n->has_up)
		n->up_secs = nla_get_u32(tb[MIG_A_NODE_UP_SECS]);
	if (n->has_fails)
		n->auth_fails = nla_get_u32(tb[MIG_A_NODE_AUTH_FAILS]);
	n->has_cipher = tb[MIG_A_NODE_CIPHER];
	if (n->has_cipher)
		n->cipher = nla_get_u8(tb[MIG_A_NODE_CIPHER]);
	n->has_key_secs = tb[MIG_A_NODE_KEY_SECS];
	if (n->has_key_secs)
		n->key_secs = nla_get_u32(tb[MIG_A_NODE_KEY_SECS]);
	if (tb[MIG_A_LOAD])
		load_read(tb[MIG_A_LOAD], &n->load);
}

static const char *parse_node(struct nlattr **tb, void *arg)
{
	struct node_info *n;

	if (!tb[MIG_A_NODE_ID])
		return "malformed reply from the mig module: node without an ID";
	n = dump_add(arg);
	if (!n)
		return "out of memory";
	read_node(tb, n);
	return NULL;
}

static int cmp_node(const void *a, const void *b)
{
	const struct node_info *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The names the module's "cipher" knob takes. */
static const char *cipher_name(const struct node_info *n)
{
	static const char *const names[__MIG_CIPHER_MAX] = {
		[MIG_CIPHER_AES128_GCM]		= "aes128-gcm",
		[MIG_CIPHER_AES256_GCM]		= "aes256-gcm",
		[MIG_CIPHER_CHACHA20_POLY1305]	= "chacha20-poly1305",
	};

	if (!n->has_cipher || !node_is_up(n))
		return "-";
	if (n->cipher >= __MIG_CIPHER_MAX || !names[n->cipher])
		return "unknown";
	return names[n->cipher];
}

static void format_address(const struct node_info *n, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN] = "-";

	if (n->has_addr)
		inet_ntop(AF_INET, &n->addr, ip, sizeof(ip));
	if (n->has_port)
		snprintf(buf, len, "%s:%u", ip, n->port);
	else
		snprintf(buf, len, "%s", ip);
}

#define NODE_ROW "%-5s  %-21s  %-11s  %9s  %-8s  %-17s  %8s  %6s  %4s  %5s  " \
		 "%9s  %6s  %5s  %s\n"

static void print_node_row(const void *rec)
{
	const struct node_info *n = rec;
	char id[16], addr[32], rtt[16] = "-", up[16] = "-", fails[16] = "-";
	struct load_cells c;

	snprintf(id, sizeof(id), "%u", n->id);
	format_address(n, addr, sizeof(addr));
	if (node_rtt_known(n))
		format_us_as_ms(n->rtt_us, rtt, sizeof(rtt));
	if (uptime_known(n))
		format_uptime(n->up_secs, up, sizeof(up));
	if (n->has_fails)
		snprintf(fails, sizeof(fails), "%u", n->auth_fails);
	load_cells(&n->load, &c);
	printf(NODE_ROW, id, addr, node_state_name(n), rtt, up, cipher_name(n),
	       fails, c.load,
	       c.cpus, c.speed, c.free, c.guests, c.away, c.flags);
}

static void print_node_header(void)
{
	printf(NODE_ROW, "ID", "ADDRESS", "STATE", "RTT(ms)", "UPTIME",
	       "CIPHER", "AUTHFAIL", "LOAD", "CPUS", "SPEED", "FREE", "GUESTS", "AWAY",
	       "FLAGS");
}

/* Optional numbers become null in JSON exactly where the table says "-". */
static void print_node_json(struct json *j, const void *rec)
{
	const struct node_info *n = rec;
	char ip[INET_ADDRSTRLEN];

	json_object_begin(j, NULL);
	json_uint(j, "id", n->id);
	if (n->has_addr && inet_ntop(AF_INET, &n->addr, ip, sizeof(ip)))
		json_string(j, "address", ip);
	else
		json_null(j, "address");
	json_opt_uint(j, "port", n->has_port, n->port);
	json_opt_string(j, "state", n->has_state, node_state_name(n));
	json_opt_uint(j, "rtt_us", node_rtt_known(n), n->rtt_us);
	json_opt_uint(j, "up_secs", uptime_known(n), n->up_secs);
	json_opt_uint(j, "auth_failures", n->has_fails, n->auth_fails);
	if (strcmp(cipher_name(n), "-"))
		json_string(j, "cipher", cipher_name(n));
	else
		json_null(j, "cipher");
	json_opt_uint(j, "key_secs", n->has_key_secs && node_is_up(n),
		      n->key_secs);
	load_json(j, "load", &n->load);
	json_object_end(j);
}

static void node_list_error(const struct mig_nl_error *e)
{
	const char *cause = mig_nl_denied(e,
		"not permitted: the mig module refused to list nodes (run as root?)");

	mig_nl_report(e, cause, NULL, "cannot list nodes");
}

const struct dump_ops node_list_ops = {
	.cmd	= MIG_CMD_NODE_LIST,
	.size	= sizeof(struct node_info),
	.parse	= parse_node,
	.report	= node_list_error,
	.cmp	= cmp_node,
	.header	= print_node_header,
	.row	= print_node_row,
	.json	= print_node_json,
};

int cmd_node_list(const struct command *cmd, int argc, char **argv,
		  const struct opts *o)
{
	(void)argv;
	if (argc != 0)
		return usage_error(cmd, "too many arguments");
	return dump_list(&node_list_ops, o->json) ? EXIT_RUNTIME : EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the generic netlink family "mig", migctl's way in. Commands that
 * change configuration need CAP_NET_ADMIN (GENL_ADMIN_PERM); every
 * attribute is validated by the policy before a handler sees it.
 */
#include <linux/inetdevice.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/route.h>

#include "balance.h"
#include "mig.h"

static struct genl_family mig_genl_family;

/* The policy's inline bounds are s16: a u16-wide range needs its own. */
static struct netlink_range_validation mig_node_id_range = {
	.min = MIG_NODE_ID_MIN,
	.max = MIG_NODE_ID_MAX,
};

static const struct nla_policy mig_genl_policy[MIG_A_MAX + 1] = {
	[MIG_A_NODE_ID] = NLA_POLICY_FULL_RANGE(NLA_U32, &mig_node_id_range),
	[MIG_A_NODE_ADDR4] = { .type = NLA_BE32 },
	[MIG_A_NODE_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[MIG_A_KEY] = NLA_POLICY_RANGE(NLA_BINARY, MIG_KEY_MIN_LEN,
				       MIG_KEY_MAX_LEN),
	[MIG_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[MIG_A_BALANCE] = { .type = NLA_FLAG },
	[MIG_A_PINNED] = NLA_POLICY_MAX(NLA_U8, 1),
	[MIG_A_MOVE_MODE] = NLA_POLICY_MAX(NLA_U8, __MIG_MOVE_MODE_MAX - 1),
	[MIG_A_KEY_KEEP_SAME] = { .type = NLA_FLAG },
};

/*
 * The address of this node's own entry in the cluster map, or 0: only
 * recorded (migctl up adds every entry of the map, its own included)
 * and shown in STATUS.
 */
static __be32 mig_self_addr;

static bool mig_addr_is_peer(__be32 addr)
{
	return !(ipv4_is_zeronet(addr) || ipv4_is_loopback(addr) ||
		 ipv4_is_multicast(addr) || ipv4_is_lbcast(addr));
}

/*
 * NODE_ADD of this node's own id: the same map is applied on every node,
 * so its own entry is not an error, but it must describe this node.
 */
static int mig_node_add_self(struct genl_info *info, __be32 addr, u16 port)
{
	if (inet_addr_type(&init_net, addr) != RTN_LOCAL) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MIG_A_NODE_ADDR4],
				    "this node's own id, with an address that is not one of this host's");
		return -EADDRNOTAVAIL;
	}
	if (port != mig_port) {
		NL_SET_ERR_MSG(info->extack,
			       "this node's own id, with another port than the one it listens on (module parameter port)");
		return -EINVAL;
	}
	WRITE_ONCE(mig_self_addr, addr);
	return 0;
}

static int mig_cmd_node_add(struct sk_buff *skb, struct genl_info *info)
{
	u16 port = MIG_DEFAULT_PORT;
	__be32 addr;
	u32 id;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MIG_A_NODE_ID) ||
	    GENL_REQ_ATTR_CHECK(info, MIG_A_NODE_ADDR4))
		return -EINVAL;
	id = nla_get_u32(info->attrs[MIG_A_NODE_ID]);
	addr = nla_get_be32(info->attrs[MIG_A_NODE_ADDR4]);
	if (info->attrs[MIG_A_NODE_PORT])
		port = nla_get_u16(info->attrs[MIG_A_NODE_PORT]);

	if (id == mig_node_id)
		return mig_node_add_self(info, addr, port);
	if (!mig_addr_is_peer(addr)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MIG_A_NODE_ADDR4],
				    "not a unicast address of another host");
		return -EINVAL;
	}
	err = mig_node_add(id, addr, port);
	if (err == -EEXIST)
		NL_SET_ERR_MSG(info->extack, "a node with this id exists");
	else if (err == -ENOSPC)
		NL_SET_ERR_MSG(info->extack, "node table full");
	return err;
}

static int mig_cmd_node_del(struct sk_buff *skb, struct genl_info *info)
{
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MIG_A_NODE_ID))
		return -EINVAL;
	if (nla_get_u32(info->attrs[MIG_A_NODE_ID]) == mig_node_id)
		/* Forget the own entry's address; there is no peer to drop. */
		err = xchg(&mig_self_addr, 0) ? 0 : -ENOENT;
	else
		err = mig_node_del(nla_get_u32(info->attrs[MIG_A_NODE_ID]));
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MIG_A_NODE_ID],
				    "no such node");
	return err;
}

/* A node's figures, nested; @age_ms < 0 for this node's own. */
static int mig_put_load(struct sk_buff *skb, const struct mig_load *l,
			s64 age_ms)
{
	struct nlattr *nest = nla_nest_start(skb, MIG_A_LOAD);

	if (!nest ||
	    nla_put_u32(skb, MIG_LOAD_A_LOAD, l->load) ||
	    nla_put_u32(skb, MIG_LOAD_A_CPUS, l->cpus) ||
	    nla_put_u32(skb, MIG_LOAD_A_SPEED, l->speed) ||
	    nla_put_u64_64bit(skb, MIG_LOAD_A_FREE_KB, l->free_kb,
			      MIG_LOAD_A_PAD) ||
	    nla_put_u64_64bit(skb, MIG_LOAD_A_TOTAL_KB, l->total_kb,
			      MIG_LOAD_A_PAD) ||
	    nla_put_u32(skb, MIG_LOAD_A_GUESTS, l->guests) ||
	    nla_put_u32(skb, MIG_LOAD_A_AWAY, l->away) ||
	    nla_put_u32(skb, MIG_LOAD_A_FLAGS, l->flags) ||
	    (age_ms >= 0 && nla_put_u32(skb, MIG_LOAD_A_AGE_MS, age_ms)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int mig_put_peer_load(struct sk_buff *skb, u16 id)
{
	struct mig_load l;
	bool fresh;
	u32 age;

	if (!mig_load_peer(id, &l, &age, &fresh))
		return 0;
	return mig_put_load(skb, &l, age);
}

static int mig_put_node(struct sk_buff *skb, struct mig_node *node)
{
	u32 up_secs = 0, key_secs = 0, rtt_us, auth_fails;
	enum mig_node_state state;
	u8 cipher;

	mutex_lock(&node->lock);
	state = node->state;
	rtt_us = node->rtt_us;
	auth_fails = node->auth_fails;
	cipher = node->cipher;
	if (state == MIG_NODE_UP) {
		up_secs = div_u64(ktime_get_boottime_ns() - node->up_since_ns,
				  NSEC_PER_SEC);
		key_secs = div_u64(ktime_get_boottime_ns() - node->keyed_ns,
				   NSEC_PER_SEC);
	}
	mutex_unlock(&node->lock);

	if (nla_put_u32(skb, MIG_A_NODE_ID, node->id) ||
	    nla_put_be32(skb, MIG_A_NODE_ADDR4, node->addr) ||
	    nla_put_u16(skb, MIG_A_NODE_PORT, node->port) ||
	    nla_put_u8(skb, MIG_A_NODE_STATE, state) ||
	    nla_put_u32(skb, MIG_A_NODE_AUTH_FAILS, auth_fails))
		return -EMSGSIZE;
	if (state == MIG_NODE_UP &&
	    (nla_put_u32(skb, MIG_A_NODE_RTT_US, rtt_us) ||
	     nla_put_u32(skb, MIG_A_NODE_UP_SECS, up_secs) ||
	     nla_put_u8(skb, MIG_A_NODE_CIPHER, cipher) ||
	     nla_put_u32(skb, MIG_A_NODE_KEY_SECS, key_secs)))
		return -EMSGSIZE;
	return mig_put_peer_load(skb, node->id);
}

/* One message per node; cb->args[0] is the index to resume from. */
/*
 * One message per entry of a dump, from where the previous part of it
 * stopped (cb->args[0]) until the skb is full: put(skb, entries, i) adds
 * entry i's attributes.
 */
static int mig_dump_entries(struct sk_buff *skb, struct netlink_callback *cb,
			    u8 cmd, const void *entries, int count,
			    int (*put)(struct sk_buff *, const void *, int))
{
	int i;

	for (i = cb->args[0]; i < count; i++) {
		void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, &mig_genl_family,
					NLM_F_MULTI, cmd);

		if (!hdr)
			break;
		if (put(skb, entries, i)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = i;
	return skb->len;
}

static int mig_put_node_at(struct sk_buff *skb, const void *nodes, int i)
{
	return mig_put_node(skb, ((struct mig_node * const *)nodes)[i]);
}

static int mig_dump_nodes(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mig_node **nodes;
	int count, len;

	count = mig_node_snapshot(&nodes);
	if (count < 0)
		return count;
	len = mig_dump_entries(skb, cb, MIG_CMD_NODE_LIST, nodes, count,
			       mig_put_node_at);
	mig_nodes_put_snapshot(nodes, count);
	return len;
}

/* KEY_SET with KEY_KEEP_SAME: whether the key loaded changed. */
static int mig_key_set_reply(struct genl_info *info, bool changed)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mig_genl_family, 0,
				MIG_CMD_KEY_SET);
	if (!hdr || nla_put_u8(msg, MIG_A_KEY_CHANGED, changed)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int mig_cmd_key_set(struct sk_buff *skb, struct genl_info *info)
{
	const struct nlattr *key = info->attrs[MIG_A_KEY];
	bool keep;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MIG_A_KEY))
		return -EINVAL;
	keep = info->attrs[MIG_A_KEY_KEEP_SAME];
	if (keep && mig_auth_key_is(nla_data(key), nla_len(key)))
		return mig_key_set_reply(info, false);
	err = mig_auth_set_key(nla_data(key), nla_len(key));
	if (err) {
		NL_SET_ERR_MSG_ATTR(info->extack, key, "key rejected");
		return err;
	}
	mig_nodes_reset_links();
	return keep ? mig_key_set_reply(info, true) : 0;
}

static int mig_put_stats(struct sk_buff *msg)
{
	struct nlattr *nest = nla_nest_start(msg, MIG_A_STATS);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < __MIG_STAT_MAX; i++)
		if (nla_put_u64_64bit(msg, i + 1, atomic64_read(&mig_stats[i]),
				      MIG_STAT_ATTR_PAD))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int mig_cmd_status(struct sk_buff *skb, struct genl_info *info)
{
	__be32 self = READ_ONCE(mig_self_addr);
	struct sk_buff *msg;
	struct mig_load l;
	void *hdr;

	mig_load_local(&l);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mig_genl_family, 0,
				MIG_CMD_STATUS);
	if (!hdr)
		goto nospace;
	if (nla_put_u32(msg, MIG_A_LOCAL_ID, mig_node_id) ||
	    nla_put_u16(msg, MIG_A_LOCAL_PORT, mig_port) ||
	    nla_put_u8(msg, MIG_A_KEY_PRESENT, mig_auth_has_key()) ||
	    nla_put_u32(msg, MIG_A_HB_INTERVAL_MS, mig_hb_interval_ms) ||
	    nla_put_u32(msg, MIG_A_HB_TIMEOUT_MS, mig_hb_timeout_ms) ||
	    nla_put_u8(msg, MIG_A_WIRE_VERSION, MIG_WIRE_VERSION) ||
	    nla_put_string(msg, MIG_A_VERSION, MIG_VERSION) ||
	    (self && nla_put_be32(msg, MIG_A_LOCAL_ADDR4, self)) ||
	    mig_put_load(msg, &l, -1) ||
	    mig_put_stats(msg))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* "why" is always a string literal: it outlives the request. */
static void mig_set_why(struct genl_info *info, const char *why)
{
	if (why && info->extack)
		info->extack->_msg = why;
}

/* A move's reply: how it went (migctl prints the summary). */
static int mig_move_reply(struct genl_info *info, u32 pid, u32 dest,
			  const struct mig_move_report *rep)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mig_genl_family, 0, MIG_CMD_MOVE);
	if (!hdr || nla_put_u32(msg, MIG_A_PID, pid) ||
	    nla_put_u32(msg, MIG_A_WHERE_NODE, dest))
		goto nospace;
	/* Moves home and onward are the remote node's: no figures here. */
	if (rep->valid &&
	    (nla_put_u8(msg, MIG_A_MOVE_MODE, rep->how) ||
	    nla_put_u32(msg, MIG_A_MOVE_ROUND, rep->rounds) ||
	    nla_put_u64_64bit(msg, MIG_A_BYTES_SENT, rep->bytes_sent,
			      MIG_A_PAD) ||
	    nla_put_u64_64bit(msg, MIG_A_MOVE_RESIDENT, rep->resident,
			      MIG_A_PAD) ||
	    nla_put_u64_64bit(msg, MIG_A_MOVE_FREEZE_US, rep->freeze_us,
			      MIG_A_PAD) ||
	    nla_put_u64_64bit(msg, MIG_A_MOVE_ELAPSED_US, rep->elapsed_us,
			      MIG_A_PAD)))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int mig_cmd_move(struct sk_buff *skb, struct genl_info *info)
{
	struct mig_move_report rep = { .how = MIG_MOVED_STOP_COPY };
	const char *why = NULL;
	u8 mode = MIG_MOVE_AUTO;
	u32 pid, dest;
	u16 picked;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MIG_A_PID))
		return -EINVAL;
	pid = nla_get_u32(info->attrs[MIG_A_PID]);
	if (info->attrs[MIG_A_BALANCE]) {
		if (info->attrs[MIG_A_NODE_ID]) {
			NL_SET_ERR_MSG(info->extack,
				       "give a node or ask for balance, not both");
			return -EINVAL;
		}
		/* The reply says where it went; no figures (!rep.valid). */
		err = mig_balance_move(pid, &picked, &why);
		dest = picked;
	} else {
		if (info->attrs[MIG_A_MOVE_MODE])
			mode = nla_get_u8(info->attrs[MIG_A_MOVE_MODE]);
		/* No node id means home. */
		dest = info->attrs[MIG_A_NODE_ID] ?
		       nla_get_u32(info->attrs[MIG_A_NODE_ID]) : 0;
		err = mig_move_how(pid, dest, mode, &rep, &why);
	}
	if (err) {
		mig_set_why(info, why);
		return err;
	}
	return mig_move_reply(info, pid, dest, &rep);
}

/* The caller goes to NODE_ID at its next successful exec. */
static int mig_cmd_exec_place(struct sk_buff *skb, struct genl_info *info)
{
	const char *why = NULL;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MIG_A_NODE_ID))
		return -EINVAL;
	err = mig_place_at_exec(nla_get_u32(info->attrs[MIG_A_NODE_ID]), &why);
	/* Pinned before the exec: the flag travels with the placement. */
	if (!err && info->attrs[MIG_A_PINNED] &&
	    nla_get_u8(info->attrs[MIG_A_PINNED]))
		err = mig_pin_set(task_tgid_vnr(current), true, &why);
	if (err)
		mig_set_why(info, why);
	return err;
}

/* PID is kept from automatic moves, or no longer. */
static int mig_cmd_pin(struct sk_buff *skb, struct genl_info *info)
{
	const char *why = NULL;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MIG_A_PID) ||
	    GENL_REQ_ATTR_CHECK(info, MIG_A_PINNED))
		return -EINVAL;
	err = mig_pin_set(nla_get_u32(info->attrs[MIG_A_PID]),
			  nla_get_u8(info->attrs[MIG_A_PINNED]), &why);
	if (err)
		mig_set_why(info, why);
	return err;
}

#define MIG_PS_MAX	4096

static int mig_put_ps_entry(struct sk_buff *skb, const struct mig_ps_entry *e)
{
	if (nla_put_u8(skb, MIG_A_ROLE, e->role) ||
	    nla_put_u32(skb, MIG_A_PID, e->pid) ||
	    nla_put_u32(skb, MIG_A_HOME_NODE, e->home_node) ||
	    nla_put_u32(skb, MIG_A_HOME_PID, e->home_pid) ||
	    nla_put_u32(skb, MIG_A_WHERE_NODE, e->where) ||
	    nla_put_u8(skb, MIG_A_MIG_STATE, e->state) ||
	    nla_put_u32(skb, MIG_A_MOVES, e->moves) ||
	    nla_put_u64_64bit(skb, MIG_A_BYTES_SENT, e->bytes_sent, MIG_A_PAD) ||
	    nla_put_u8(skb, MIG_A_PINNED, e->pinned) ||
	    (e->threads && nla_put_u32(skb, MIG_A_THREADS, e->threads)))
		return -EMSGSIZE;
	if (e->role == MIG_ROLE_RETURNED &&
	    (nla_put_u8(skb, MIG_A_HOME_REASON, e->home_reason) ||
	     nla_put_u32(skb, MIG_A_HOME_SYSCALL, e->home_nr) ||
	     nla_put_u32(skb, MIG_A_HOME_AGE_MS, e->home_age_ms)))
		return -EMSGSIZE;
	if (e->moving &&
	    (nla_put_u8(skb, MIG_A_MOVE_MODE, e->how) ||
	     nla_put_u32(skb, MIG_A_MOVE_ROUND, e->round) ||
	     nla_put_u64_64bit(skb, MIG_A_MOVE_TOTAL, e->total, MIG_A_PAD) ||
	     nla_put_u64_64bit(skb, MIG_A_MOVE_RATE, e->rate, MIG_A_PAD) ||
	     nla_put_u64_64bit(skb, MIG_A_MOVE_ELAPSED_US, e->elapsed_us,
			       MIG_A_PAD)))
		return -EMSGSIZE;
	return 0;
}

/* One message per deputy, then per guest; cb->args[0] is where to resume. */
static int mig_put_ps_at(struct sk_buff *skb, const void *e, int i)
{
	return mig_put_ps_entry(skb, (const struct mig_ps_entry *)e + i);
}

static int mig_dump_ps(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mig_ps_entry *e;
	int count, len, i;

	e = kvcalloc(MIG_PS_MAX, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	count = mig_deputy_ps(e, MIG_PS_MAX);
	for (i = 0; i < count; i++)
		e[i].pinned = mig_pin_test_pid(e[i].pid);
	count += mig_guest_ps(e + count, MIG_PS_MAX - count);
	count += mig_pin_ps(e + count, MIG_PS_MAX - count);
	count += mig_live_ps(e + count, MIG_PS_MAX - count);
	count += mig_home_ps(e + count, MIG_PS_MAX - count);
	len = mig_dump_entries(skb, cb, MIG_CMD_PS, e, count, mig_put_ps_at);
	kvfree(e);
	return len;
}

static const struct genl_small_ops mig_genl_ops[] = {
	{
		.cmd = MIG_CMD_NODE_ADD,
		.doit = mig_cmd_node_add,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = MIG_CMD_NODE_DEL,
		.doit = mig_cmd_node_del,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = MIG_CMD_NODE_LIST,
		.dumpit = mig_dump_nodes,
	}, {
		.cmd = MIG_CMD_KEY_SET,
		.doit = mig_cmd_key_set,
		.flags = GENL_ADMIN_PERM,
	}, {
		.cmd = MIG_CMD_STATUS,
		.doit = mig_cmd_status,
	}, {
		/* Permission is per process: checked in mig_move(). */
		.cmd = MIG_CMD_MOVE,
		.doit = mig_cmd_move,
	}, {
		.cmd = MIG_CMD_PS,
		.dumpit = mig_dump_ps,
	}, {
		/* The caller places itself: nothing to check beyond that. */
		.cmd = MIG_CMD_EXEC_PLACE,
		.doit = mig_cmd_exec_place,
	}, {
		/* Permission is per process: checked in mig_pin_set(). */
		.cmd = MIG_CMD_PIN,
		.doit = mig_cmd_pin,
	},
};

static struct genl_family mig_genl_family __ro_after_init = {
	.name = MIG_GENL_NAME,
	.version = MIG_GENL_VERSION,
	.maxattr = MIG_A_MAX,
	.policy = mig_genl_policy,
	.module = THIS_MODULE,
	/* A move blocks until the process runs elsewhere: don't hold others. */
	.parallel_ops = true,
	.small_ops = mig_genl_ops,
	.n_small_ops = ARRAY_SIZE(mig_genl_ops),
};

int __init mig_genl_init(void)
{
	return genl_register_family(&mig_genl_family);
}

void mig_genl_exit(void)
{
	genl_unregister_family(&mig_genl_family);
}

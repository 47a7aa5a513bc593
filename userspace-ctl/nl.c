// SPDX-License-Identifier: GPL-2.0
/*
 * Talking to the mig module over generic netlink: socket setup, family
 * lookup, one request/reply exchange with extended-ack decoding, and the
 * wording of kernel errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "errname.h"
#include "migctl.h"
#include "nl.h"

/* Older userspace headers lack these; values are kernel ABI. */
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

struct mig_nl {
	struct nl_sock *sk;
	int family;
};

/* Type checks for everything the module may send; see uapi/mig.h. */
static struct nla_policy mig_policy[MIG_A_MAX + 1] = {
	[MIG_A_NODE_ID]		= { .type = NLA_U32 },
	[MIG_A_NODE_ADDR4]	= { .type = NLA_U32 },
	[MIG_A_NODE_PORT]	= { .type = NLA_U16 },
	[MIG_A_NODE_STATE]	= { .type = NLA_U8 },
	[MIG_A_NODE_RTT_US]	= { .type = NLA_U32 },
	[MIG_A_NODE_UP_SECS]	= { .type = NLA_U32 },
	[MIG_A_NODE_AUTH_FAILS]	= { .type = NLA_U32 },
	[MIG_A_NODE_CIPHER]	= { .type = NLA_U8 },
	[MIG_A_NODE_KEY_SECS]	= { .type = NLA_U32 },
	[MIG_A_LOCAL_ID]	= { .type = NLA_U32 },
	[MIG_A_LOCAL_PORT]	= { .type = NLA_U16 },
	[MIG_A_KEY_PRESENT]	= { .type = NLA_U8 },
	[MIG_A_STATS]		= { .type = NLA_NESTED },
	[MIG_A_HB_INTERVAL_MS]	= { .type = NLA_U32 },
	[MIG_A_HB_TIMEOUT_MS]	= { .type = NLA_U32 },
	[MIG_A_WIRE_VERSION]	= { .type = NLA_U8 },
	[MIG_A_PID]		= { .type = NLA_U32 },
	[MIG_A_HOME_NODE]	= { .type = NLA_U32 },
	[MIG_A_HOME_PID]	= { .type = NLA_U32 },
	[MIG_A_WHERE_NODE]	= { .type = NLA_U32 },
	[MIG_A_MIG_STATE]	= { .type = NLA_U8 },
	[MIG_A_MOVES]		= { .type = NLA_U32 },
	[MIG_A_BYTES_SENT]	= { .type = NLA_U64 },
	[MIG_A_ROLE]		= { .type = NLA_U8 },
	[MIG_A_PINNED]		= { .type = NLA_U8 },
	[MIG_A_LOAD]		= { .type = NLA_NESTED },
	[MIG_A_KEY_CHANGED]	= { .type = NLA_U8 },
	[MIG_A_LOCAL_ADDR4]	= { .type = NLA_U32 },
	[MIG_A_VERSION]		= { .type = NLA_STRING },
};

static void set_local(struct mig_nl_error *e, const char *fmt, ...)
	__printf(2, 3);

static void set_local(struct mig_nl_error *e, const char *fmt, ...)
{
	va_list ap;

	e->errnum = 0;
	va_start(ap, fmt);
	vsnprintf(e->local, sizeof(e->local), fmt, ap);
	va_end(ap);
}

/*
 * Ask for the kernel's error strings (extended ack). Capped acks stop the
 * kernel from echoing our request back in errors: shorter, and the echo
 * of "key set" would carry the key. Both are optional (old kernels), so
 * failures are ignored.
 */
static void enable_ext_ack(struct nl_sock *sk)
{
	int fd = nl_socket_get_fd(sk), one = 1;

	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

static int resolve_family(struct nl_sock *sk)
{
	int family = genl_ctrl_resolve(sk, MIG_GENL_NAME);

	if (family == -NLE_OBJ_NOTFOUND)
		pr_err("mig kernel module is not loaded (generic netlink family '%s' not found); load it with: insmod mig.ko node_id=N",
		       MIG_GENL_NAME);
	else if (family < 0)
		pr_err("cannot look up generic netlink family '%s': %s",
		       MIG_GENL_NAME, nl_geterror(family));
	return family;
}

struct mig_nl *mig_nl_open(void)
{
	struct mig_nl *nl = calloc(1, sizeof(*nl));
	int err;

	if (nl)
		nl->sk = nl_socket_alloc();
	if (!nl || !nl->sk) {
		pr_err("cannot allocate a netlink socket: out of memory");
		free(nl);
		return NULL;
	}
	err = genl_connect(nl->sk);
	if (err < 0) {
		pr_err("cannot open a generic netlink socket: %s",
		       nl_geterror(err));
		goto fail;
	}
	enable_ext_ack(nl->sk);
	nl->family = resolve_family(nl->sk);
	if (nl->family < 0)
		goto fail;
	return nl;
fail:
	mig_nl_close(nl);
	return NULL;
}

void mig_nl_close(struct mig_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

struct nl_msg *mig_nl_msg(struct mig_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			       flags, cmd, MIG_GENL_VERSION))
		return msg;
	nlmsg_free(msg);
	pr_err("cannot build a netlink message: out of memory");
	return NULL;
}

/* State of one exchange, shared by the callbacks below. */
struct talk {
	mig_nl_parse_fn parse;
	void *arg;
	struct mig_nl_error *e;
	bool done;
	bool failed;
};

/*
 * Extended ack attributes follow the fixed part of an error or done
 * message (payload bytes after the netlink header), when the kernel
 * flagged them. Only the message string matters to a user.
 */
static void read_ext_ack(struct nlmsghdr *nlh, size_t payload,
			 struct mig_nl_error *e)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(payload);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || nlh->nlmsg_len <= off)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + off),
		      (int)(nlh->nlmsg_len - off), NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(e->kmsg, tb[NLMSGERR_ATTR_MSG], sizeof(e->kmsg));
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
	struct talk *t = arg;
	/* libnl hands us the payload; the header sits right before it. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	size_t payload = sizeof(*err);

	(void)who;
	t->done = true;
	if (t->failed)		/* keep the first failure */
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    err->msg.nlmsg_len > NLMSG_HDRLEN)
		payload += err->msg.nlmsg_len - NLMSG_HDRLEN;
	t->e->errnum = err->error < 0 ? -err->error : err->error;
	read_ext_ack(nlh, payload, t->e);
	t->failed = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;

	(void)msg;
	t->done = true;
	return NL_STOP;
}

/* A dump that fails midway reports its errno in the NLMSG_DONE payload. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err = 0;

	t->done = true;
	if (nlmsg_datalen(nlh) >= (int)sizeof(err))
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (err < 0 && !t->failed) {
		t->e->errnum = -err;
		read_ext_ack(nlh, sizeof(err), t->e);
		t->failed = true;
	}
	return NL_STOP;
}

/*
 * A reply we cannot use fails the request, but we still read on to the
 * final ack or done message, so that the socket is left in step with
 * the kernel rather than holding a stale ack.
 */
static int on_valid(struct nl_msg *msg, void *arg)
{
	struct talk *t = arg;
	struct nlattr *tb[MIG_A_MAX + 1];
	const char *why;
	int err;

	if (t->failed)
		return NL_SKIP;
	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, MIG_A_MAX, mig_policy);
	if (err < 0) {
		set_local(t->e, "malformed reply from the mig module: %s",
			  nl_geterror(err));
		t->failed = true;
		return NL_SKIP;
	}
	why = t->parse ? t->parse(tb, t->arg) : NULL;
	if (why) {
		set_local(t->e, "%s", why);
		t->failed = true;
	}
	return NL_OK;
}

static struct nl_cb *talk_callbacks(struct talk *t)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return NULL;
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, t);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, t);
	return cb;
}

static void mark_interrupted(struct talk *t)
{
	/* The dump still runs to its end, but what we got is inconsistent. */
	if (!t->failed)
		set_local(t->e, "the data changed while it was being read; run the command again");
	t->failed = true;
}

static int receive_error(struct talk *t, int err)
{
	if (!t->failed)
		set_local(t->e, "cannot receive the reply: %s",
			  nl_geterror(err));
	return -1;
}

/* Receive until the ack, the error or the end of the dump. */
static int receive_all(struct mig_nl *nl, struct nl_cb *cb, struct talk *t)
{
	for (;;) {
		int err = nl_recvmsgs(nl->sk, cb);

		/*
		 * A kernel error sets t->done and makes libnl return a
		 * negative err as well: only without t->done is it ours.
		 */
		if (err == -NLE_DUMP_INTR)
			mark_interrupted(t);
		else if (err < 0 && !t->done)
			return receive_error(t, err);
		if (t->done)
			return t->failed ? -1 : 0;
	}
}

int mig_nl_talk(struct mig_nl *nl, struct nl_msg *msg, mig_nl_parse_fn parse,
		void *arg, struct mig_nl_error *e)
{
	struct talk t = { .parse = parse, .arg = arg, .e = e };
	struct nl_cb *cb;
	int err;

	memset(e, 0, sizeof(*e));
	cb = talk_callbacks(&t);
	if (!cb) {
		set_local(e, "out of memory");
		return -1;
	}
	/* nl_send_auto() also sets NLM_F_ACK, so every request ends. */
	err = nl_send_auto(nl->sk, msg);
	if (err < 0) {
		set_local(e, "cannot send the request: %s", nl_geterror(err));
		nl_cb_put(cb);
		return -1;
	}
	err = receive_all(nl, cb, &t);
	nl_cb_put(cb);
	return err;
}

/*
 * Requests may carry the cluster key (key set): wipe every one before it
 * is freed, rather than rely on each caller to remember.
 */
static void free_wiped(struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	explicit_bzero(nlmsg_data(nlh), (size_t)nlmsg_datalen(nlh));
	nlmsg_free(msg);
}

uint64_t mig_nl_talk_us;

static uint64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int mig_nl_request(uint8_t cmd, int flags, mig_nl_put_fn put,
		   mig_nl_parse_fn parse, void *arg, struct mig_nl_error *e)
{
	struct mig_nl *nl = mig_nl_open();
	struct nl_msg *msg;
	const char *why;
	int ret = -1;

	if (!nl)
		return -2;
	msg = mig_nl_msg(nl, cmd, flags);
	if (!msg) {
		mig_nl_close(nl);
		return -2;
	}
	why = put ? put(msg, arg) : NULL;
	if (why) {
		memset(e, 0, sizeof(*e));
		set_local(e, "%s", why);
	} else {
		uint64_t start = monotonic_us();

		ret = mig_nl_talk(nl, msg, parse, arg, e);
		mig_nl_talk_us = monotonic_us() - start;
	}
	free_wiped(msg);
	mig_nl_close(nl);
	return ret;
}

const char *mig_nl_denied(const struct mig_nl_error *e, const char *denied)
{
	return e->errnum == EPERM || e->errnum == EACCES ? denied : NULL;
}

/* The cause to show when the command has nothing more specific. */
static const char *generic_cause(int errnum)
{
	switch (errnum) {
	case EPERM:
	case EACCES:
		return "not permitted: changing mig configuration needs CAP_NET_ADMIN (run as root)";
	case EOPNOTSUPP:
		return "the loaded mig module does not know this request (are migctl and mig.ko from the same version?)";
	case ENOMEM:
		return "the kernel ran out of memory";
	default:
		return "the mig module refused the request";
	}
}

void mig_nl_report(const struct mig_nl_error *e, const char *cause,
		   const char *hint, const char *action_fmt, ...)
{
	char action[160];
	va_list ap;

	va_start(ap, action_fmt);
	vsnprintf(action, sizeof(action), action_fmt, ap);
	va_end(ap);
	if (!e->errnum) {
		pr_err("%s: %s", action, e->local);
		return;
	}
	pr_err("%s: %s", action, cause ? cause : generic_cause(e->errnum));
	pr_err("kernel said: %s (%s)%s%s", errname(e->errnum),
	       strerror(e->errnum), e->kmsg[0] ? ": " : "", e->kmsg);
	if (hint)
		pr_err("%s", hint);
}

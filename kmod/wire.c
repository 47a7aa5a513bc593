// SPDX-License-Identifier: GPL-2.0
/*
 * mig: framed messages on a node link. Every byte read here comes from the
 * network and is checked before it is believed: the header's magic,
 * version, flags and type, and the payload length against the exact bounds
 * its owner registered for that type, before anything is allocated.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "mig.h"

/*
 * The message types a link accepts, each registered by the part of the
 * module that owns it (mig_msg_register()) before any link exists, and
 * read locklessly by every receive loop afterwards.
 */
static const struct mig_msg_handler *mig_msg_types[__MIG_MSG_MAX];
static DEFINE_MUTEX(mig_msg_types_lock);

static bool mig_msg_type_valid(const struct mig_msg_handler *t)
{
	return t->type && t->type < __MIG_MSG_MAX && t->owner &&
	       t->min_len <= t->max_len && t->max_len <= MIG_WIRE_MAX_PAYLOAD;
}

/* Adds @n message types; all or none. -EEXIST if one is taken. */
int mig_msg_register(const struct mig_msg_handler *types, unsigned int n)
{
	unsigned int i;
	int err = 0;

	mutex_lock(&mig_msg_types_lock);
	for (i = 0; i < n && !err; i++) {
		if (!mig_msg_type_valid(&types[i]))
			err = -EINVAL;
		else if (mig_msg_types[types[i].type])
			err = -EEXIST;
	}
	for (i = 0; i < n && !err; i++)
		WRITE_ONCE(mig_msg_types[types[i].type], &types[i]);
	mutex_unlock(&mig_msg_types_lock);
	if (err)
		pr_err("mig: message types of %s not registered: %d\n",
		       n ? types[0].owner : "?", err);
	return err;
}

/* Only once no link can deliver them any more. */
void mig_msg_unregister(const struct mig_msg_handler *types, unsigned int n)
{
	unsigned int i;

	mutex_lock(&mig_msg_types_lock);
	for (i = 0; i < n; i++)
		if (mig_msg_types[types[i].type] == &types[i])
			WRITE_ONCE(mig_msg_types[types[i].type], NULL);
	mutex_unlock(&mig_msg_types_lock);
}

const struct mig_msg_handler *mig_msg_lookup(u8 type)
{
	return type < __MIG_MSG_MAX ? READ_ONCE(mig_msg_types[type]) : NULL;
}

/* The wire format's sizes are part of the protocol: pin them. */
static_assert(sizeof(struct mig_wire_hdr) == 12);
static_assert(sizeof(struct mig_msg_hello) == 72);
static_assert(sizeof(struct mig_msg_auth) == 32);
static_assert(sizeof(struct mig_msg_ping) == 16);
static_assert(sizeof(struct mig_msg_begin) == 56);
static_assert(sizeof(struct mig_fileinfo) == 64);
static_assert(sizeof(struct mig_msg_want) == 24);
static_assert(sizeof(struct mig_msg_ctl) == 16);
static_assert(sizeof(struct mig_wire_regs) == 216);
static_assert(sizeof(struct mig_msg_vma) == 88);
static_assert(sizeof(struct mig_msg_pages) == 8);
static_assert(sizeof(struct mig_msg_syscall) == 64);
static_assert(sizeof(struct mig_msg_sysret) == 16);
static_assert(sizeof(struct mig_msg_load) == 48);
static_assert(sizeof(struct mig_wire_itimer) == 16);
static_assert(sizeof(struct mig_msg_state) == 8 + 3 * 16 + 24 + 8 + 8 + 8);
/* id+len, regs, 8 ids, personality+umask, blocked, altstack sp+size,
 * altstack flags+rseq_sig, rseq, 11 mm fields, vdso+vvar, actions, limits,
 * ngroups+reserved, groups, sleep left+rmtp, sleep clock+flags, five
 * capability sets, securebits+cred_flags
 */
static_assert(sizeof(struct mig_msg_task) ==
	      8 + 216 + 32 + 8 + 8 + 16 + 8 + 8 + 88 + 16 +
	      MIG_NSIG * 32 + MIG_NRLIMITS * 16 + 8 + MIG_NGROUPS * 4 +
	      16 + 8 + 40 + 8 + 24 + 16);
static_assert(sizeof(struct mig_msg_thread) ==
	      16 + 216 + 40 + 24 + 24 + 16 + 8);
static_assert(sizeof(struct mig_msg_signal) == 40);
static_assert(sizeof(struct mig_msg_sigfd) == 16);
static_assert(sizeof(struct mig_msg_usage) == 8 + 8 * 8 + 8 * MIG_USAGE_VM_NR);
static_assert(MIG_USAGE_VM_NR == 15);
static_assert(sizeof(struct mig_msg_pages) +
	      MIG_PAGES_PER_MSG * (8 + MIG_PAGE_SIZE) <= MIG_WIRE_MAX_PAYLOAD);

void mig_sock_set_timeouts(struct socket *sock, unsigned int rcv_ms,
			   unsigned int snd_ms)
{
	struct sock *sk = sock->sk;

	lock_sock(sk);
	sk->sk_rcvtimeo = msecs_to_jiffies(rcv_ms);
	sk->sk_sndtimeo = msecs_to_jiffies(snd_ms);
	release_sock(sk);
}

void mig_rx_init(struct mig_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void mig_rx_reset(struct mig_rx *rx)
{
	kvfree(rx->payload);
	mig_rx_init(rx);
}

/*
 * Checks a header against the types acceptable in the link's state, so
 * nothing is allocated for a frame the link would refuse once read.
 */
static int mig_check_header(const struct mig_wire_hdr *hdr, u8 expect)
{
	u32 len = be32_to_cpu(hdr->len);
	const struct mig_msg_handler *t;

	if (be32_to_cpu(hdr->magic) != MIG_WIRE_MAGIC) {
		mig_stat_inc(MIG_STAT_BAD_MAGIC);
		return -EPROTO;
	}
	if (hdr->version != MIG_WIRE_VERSION || hdr->flags) {
		mig_stat_inc(MIG_STAT_BAD_VERSION);
		return -EPROTO;
	}
	t = mig_msg_lookup(hdr->type);
	if (expect && t && hdr->type != expect) {
		mig_stat_inc(MIG_STAT_PREAUTH_FRAME);
		return -EPROTO;
	}
	if (!t || (!expect && t->handshake)) {
		mig_stat_inc(MIG_STAT_BAD_TYPE);
		return -EPROTO;
	}
	if (len < t->min_len || len > t->max_len) {
		mig_stat_inc(MIG_STAT_BAD_LENGTH);
		return -EMSGSIZE;
	}
	return 0;
}

static int mig_recv_some(struct socket *sock, void *buf, size_t len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };

	return kernel_recvmsg(sock, &msg, &vec, 1, len, MSG_NOSIGNAL);
}

static bool mig_rx_complete(const struct mig_rx *rx)
{
	return rx->got >= sizeof(rx->hdr) &&
	       rx->got == sizeof(rx->hdr) + be32_to_cpu(rx->hdr.len);
}

/*
 * Reads what the socket has towards the next frame, with one receive call
 * at most, so callers keep their deadlines even against a peer that
 * trickles bytes. Returns 1 when a whole frame is in @rx, 0 when it is
 * not yet (call again: progress is kept), or a negative errno, after
 * which the connection must be dropped.
 */
int mig_rx_poll(struct socket *sock, struct mig_rx *rx)
{
	const size_t hdr_len = sizeof(rx->hdr);
	size_t want;
	void *dst;
	int n, err;

	if (rx->got < hdr_len) {
		dst = (u8 *)&rx->hdr + rx->got;
		want = hdr_len - rx->got;
	} else {
		dst = rx->payload + (rx->got - hdr_len);
		want = hdr_len + be32_to_cpu(rx->hdr.len) - rx->got;
	}
	n = mig_recv_some(sock, dst, want);
	if (n == -EAGAIN)
		return 0;
	if (n < 0) {
		/* From the record layer of a sealed link: forged or damaged. */
		if (n == -EBADMSG || n == -EINVAL || n == -EIO ||
		    n == -EMSGSIZE)
			mig_stat_inc(MIG_STAT_BAD_RECORD);
		return n;
	}
	if (n == 0) {
		if (rx->got)
			mig_stat_inc(MIG_STAT_TRUNCATED);
		return -ECONNRESET;
	}
	rx->got += n;
	if (rx->got == hdr_len) {
		err = mig_check_header(&rx->hdr, rx->expect);
		if (err)
			return err;
		if (rx->hdr.len) {
			rx->payload = kvmalloc(be32_to_cpu(rx->hdr.len),
					       GFP_KERNEL);
			if (!rx->payload)
				return -ENOMEM;
		}
	}
	if (!mig_rx_complete(rx))
		return 0;
	mig_stat_inc(MIG_STAT_FRAMES_RX);
	return 1;
}

/* Sends one frame whose payload is the concatenation of @vec[0..n). */
int mig_send_framev(struct socket *sock, u8 type, const struct kvec *vec,
		    unsigned int n)
{
	struct kvec iov[MIG_SEND_MAX_VEC + 1];
	struct mig_wire_hdr hdr = {
		.magic = cpu_to_be32(MIG_WIRE_MAGIC),
		.version = MIG_WIRE_VERSION,
		.type = type,
	};
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	size_t len = 0, total;
	unsigned int i;
	int sent;

	if (WARN_ON_ONCE(n > MIG_SEND_MAX_VEC))
		return -EINVAL;
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	for (i = 0; i < n; i++) {
		iov[i + 1] = vec[i];
		len += vec[i].iov_len;
	}
	hdr.len = cpu_to_be32(len);
	total = sizeof(hdr) + len;

	/*
	 * The send timeout bounds one call, not the frame: a large frame on
	 * a busy link may take longer, and is given up only when a whole
	 * timeout passes without a byte taken. Bytes left unsent of a frame
	 * begun break the stream: the caller must then drop the connection.
	 */
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, iov, n + 1, total);
	while (msg_data_left(&msg)) {
		sent = sock_sendmsg(sock, &msg);
		if (sent == -EAGAIN)
			return msg_data_left(&msg) == total ? -EAGAIN : -EIO;
		if (sent < 0)
			return sent;
		if (!sent)
			return -EIO;
	}
	mig_stat_inc(MIG_STAT_FRAMES_TX);
	return 0;
}

int mig_send_frame(struct socket *sock, u8 type, const void *payload, u32 len)
{
	struct kvec vec = { .iov_base = (void *)payload, .iov_len = len };

	return mig_send_framev(sock, type, &vec, len ? 1 : 0);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: framed messages on a node link. Every byte read here comes from the
 * network and is checked before it is believed: the header's magic,
 * version, flags and type, and the payload length against the exact bounds
 * of that type, before anything is allocated.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "mig.h"

struct mig_len_bounds {
	u32 min;
	u32 max;
};

#define MIG_EXACT(type) { sizeof(type), sizeof(type) }

static const struct mig_len_bounds mig_msg_len[__MIG_MSG_MAX] = {
	[MIG_MSG_HELLO] = MIG_EXACT(struct mig_msg_hello),
	[MIG_MSG_AUTH] = MIG_EXACT(struct mig_msg_auth),
	[MIG_MSG_PING] = MIG_EXACT(struct mig_msg_ping),
	[MIG_MSG_PONG] = MIG_EXACT(struct mig_msg_ping),
};

static void __maybe_unused mig_wire_layout_checks(void)
{
	BUILD_BUG_ON(sizeof(struct mig_wire_hdr) != 12);
	BUILD_BUG_ON(sizeof(struct mig_msg_hello) != 40);
	BUILD_BUG_ON(sizeof(struct mig_msg_auth) != 32);
	BUILD_BUG_ON(sizeof(struct mig_msg_ping) != 16);
}

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

static int mig_check_header(const struct mig_wire_hdr *hdr)
{
	u32 len = be32_to_cpu(hdr->len);

	if (be32_to_cpu(hdr->magic) != MIG_WIRE_MAGIC) {
		mig_stat_inc(MIG_STAT_BAD_MAGIC);
		return -EPROTO;
	}
	if (hdr->version != MIG_WIRE_VERSION || hdr->flags) {
		mig_stat_inc(MIG_STAT_BAD_VERSION);
		return -EPROTO;
	}
	if (hdr->type >= __MIG_MSG_MAX || !mig_msg_len[hdr->type].max) {
		mig_stat_inc(MIG_STAT_BAD_TYPE);
		return -EPROTO;
	}
	if (len < mig_msg_len[hdr->type].min ||
	    len > mig_msg_len[hdr->type].max || len > MIG_WIRE_MAX_PAYLOAD) {
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

/*
 * Reads what the socket has towards the next frame. Returns 1 when a whole
 * frame is in @rx, 0 when the receive timeout passed first (call again to
 * go on: partial progress is kept), or a negative errno, after which the
 * connection must be dropped.
 */
int mig_rx_poll(struct socket *sock, struct mig_rx *rx)
{
	const size_t hdr_len = sizeof(rx->hdr);
	int n, err;

	for (;;) {
		size_t frame_len = hdr_len;
		void *dst;

		if (rx->got >= hdr_len)
			frame_len += be32_to_cpu(rx->hdr.len);
		if (rx->got == frame_len && rx->got >= hdr_len) {
			mig_stat_inc(MIG_STAT_FRAMES_RX);
			return 1;
		}

		if (rx->got < hdr_len)
			dst = (u8 *)&rx->hdr + rx->got;
		else
			dst = rx->payload + (rx->got - hdr_len);
		n = mig_recv_some(sock, dst, frame_len - rx->got);
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return n;
		if (n == 0) {
			if (rx->got)
				mig_stat_inc(MIG_STAT_TRUNCATED);
			return -ECONNRESET;
		}
		rx->got += n;
		if (rx->got != hdr_len)
			continue;

		err = mig_check_header(&rx->hdr);
		if (err)
			return err;
		if (rx->hdr.len) {
			rx->payload = kvmalloc(be32_to_cpu(rx->hdr.len),
					       GFP_KERNEL);
			if (!rx->payload)
				return -ENOMEM;
		}
	}
}

int mig_send_frame(struct socket *sock, u8 type, const void *payload, u32 len)
{
	struct mig_wire_hdr hdr = {
		.magic = cpu_to_be32(MIG_WIRE_MAGIC),
		.version = MIG_WIRE_VERSION,
		.type = type,
		.len = cpu_to_be32(len),
	};
	struct kvec vec[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	size_t total = sizeof(hdr) + len;
	int n;

	n = kernel_sendmsg(sock, &msg, vec, len ? 2 : 1, total);
	if (n < 0)
		return n;
	if (n != total)
		return -EIO;
	mig_stat_inc(MIG_STAT_FRAMES_TX);
	return 0;
}

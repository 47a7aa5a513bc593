// SPDX-License-Identifier: GPL-2.0
/*
 * mig: mutual authentication of a new node link.
 *
 *   initiator                          acceptor
 *   HELLO(src, dst, nonce_i)   ->
 *                              <-      HELLO(src, dst, nonce_a)
 *   AUTH(mac_i)                <->     AUTH(mac_a)
 *
 * Each side proves the cluster key with HMAC(key, label, own id, peer id,
 * own nonce, peer nonce) and checks the peer's proof on its own, so a wrong
 * key is refused, and reported, at both ends. Until the proof checks out
 * only HELLO and AUTH are acceptable; anything else drops the connection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <linux/jiffies.h>
#include <linux/random.h>

#include "mig.h"

struct mig_hs_state {
	struct socket *sock;
	struct mig_rx rx;
	unsigned long deadline;
	u16 peer_id;
	u8 nonce[MIG_NONCE_LEN];
	u8 peer_nonce[MIG_NONCE_LEN];
};

/* Waits for the next whole frame of the expected type, or fails. */
static int mig_hs_recv(struct mig_hs_state *hs, u8 type)
{
	int ret;

	mig_rx_reset(&hs->rx);
	for (;;) {
		ret = mig_rx_poll(hs->sock, &hs->rx);
		if (ret < 0)
			return ret;
		if (ret > 0)
			break;
		if (time_after(jiffies, hs->deadline)) {
			mig_stat_inc(MIG_STAT_HANDSHAKE_TIMEOUT);
			return -ETIMEDOUT;
		}
	}
	if (hs->rx.hdr.type != type) {
		mig_stat_inc(MIG_STAT_PREAUTH_FRAME);
		return -EPROTO;
	}
	return 0;
}

static int mig_hs_send_hello(struct mig_hs_state *hs)
{
	struct mig_msg_hello hello = {
		.src_node = cpu_to_be16(mig_node_id),
		.dst_node = cpu_to_be16(hs->peer_id),
	};

	memcpy(hello.nonce, hs->nonce, MIG_NONCE_LEN);
	return mig_send_frame(hs->sock, MIG_MSG_HELLO, &hello, sizeof(hello));
}

/*
 * Checks the peer's HELLO. The initiator knows whom it called; the
 * acceptor learns it here and looks the node up in the table.
 */
static int mig_hs_recv_hello(struct mig_hs_state *hs, struct mig_node **peer)
{
	const struct mig_msg_hello *hello;
	u16 src, dst;
	int err;

	err = mig_hs_recv(hs, MIG_MSG_HELLO);
	if (err)
		return err;
	hello = (const struct mig_msg_hello *)hs->rx.payload;
	src = be16_to_cpu(hello->src_node);
	dst = be16_to_cpu(hello->dst_node);
	if (hello->reserved) {
		mig_stat_inc(MIG_STAT_PREAUTH_FRAME);
		return -EPROTO;
	}
	if (dst != mig_node_id || (*peer && src != (*peer)->id)) {
		mig_stat_inc(MIG_STAT_UNKNOWN_PEER);
		return -ENOENT;
	}
	if (!*peer) {
		*peer = mig_node_get(src);
		if (!*peer) {
			mig_stat_inc(MIG_STAT_UNKNOWN_PEER);
			pr_warn_ratelimited("connection from unconfigured node %u refused\n",
					    src);
			return -ENOENT;
		}
	}
	hs->peer_id = src;
	memcpy(hs->peer_nonce, hello->nonce, MIG_NONCE_LEN);
	return 0;
}

static void mig_hs_auth_failed(struct mig_node *peer)
{
	bool first;

	mig_stat_inc(MIG_STAT_AUTH_FAILED);
	mutex_lock(&peer->lock);
	peer->auth_fails++;
	first = peer->state != MIG_NODE_AUTH_FAILED;
	/* A forged attempt must not hide a link that is up. */
	if (peer->state != MIG_NODE_UP)
		peer->state = MIG_NODE_AUTH_FAILED;
	mutex_unlock(&peer->lock);
	/* Retries come every second: say it once per episode. */
	if (first)
		pr_warn("node %u failed authentication: different cluster key?\n",
			peer->id);
}

static int mig_hs_prove(struct mig_hs_state *hs, struct mig_node *peer)
{
	struct mig_msg_auth auth;
	u8 expect[MIG_MAC_LEN];
	int err;

	err = mig_auth_mac(mig_node_id, hs->peer_id, hs->nonce, hs->peer_nonce,
			   auth.mac);
	if (!err)
		err = mig_send_frame(hs->sock, MIG_MSG_AUTH, &auth, sizeof(auth));
	if (!err)
		err = mig_hs_recv(hs, MIG_MSG_AUTH);
	if (!err)
		err = mig_auth_mac(hs->peer_id, mig_node_id, hs->peer_nonce,
				   hs->nonce, expect);
	if (err == -ENOKEY)
		mig_stat_inc(MIG_STAT_NO_KEY);
	if (err)
		return err;

	if (crypto_memneq(expect, hs->rx.payload, MIG_MAC_LEN)) {
		mig_hs_auth_failed(peer);
		return -EKEYREJECTED;
	}
	return 0;
}

/*
 * Runs the handshake on a connected socket. With *peer set this side
 * called that node; with *peer NULL it accepted, and on success *peer
 * holds a reference to the authenticated node.
 */
int mig_handshake(struct socket *sock, struct mig_node **peer)
{
	bool initiator = *peer;
	struct mig_hs_state hs = {
		.sock = sock,
		.deadline = jiffies + msecs_to_jiffies(MIG_HANDSHAKE_TIMEOUT_MS),
		.peer_id = initiator ? (*peer)->id : 0,
	};
	int err;

	mig_rx_init(&hs.rx);
	get_random_bytes(hs.nonce, sizeof(hs.nonce));

	err = initiator ? mig_hs_send_hello(&hs) : 0;
	if (!err)
		err = mig_hs_recv_hello(&hs, peer);
	if (!err && !initiator)
		err = mig_hs_send_hello(&hs);
	if (!err)
		err = mig_hs_prove(&hs, *peer);

	mig_rx_reset(&hs.rx);
	memzero_explicit(&hs, sizeof(hs));
	if (err && !initiator && *peer) {
		mig_node_put(*peer);
		*peer = NULL;
	}
	return err;
}

/* Accepted only while a connection authenticates: no handler after. */
static const struct mig_msg_handler mig_handshake_msgs[] = {
	{ MIG_MSG_FIXED(MIG_MSG_HELLO, struct mig_msg_hello),
	  .owner = "handshake" },
	{ MIG_MSG_FIXED(MIG_MSG_AUTH, struct mig_msg_auth),
	  .owner = "handshake" },
};

int mig_handshake_init(void)
{
	return mig_msg_register(mig_handshake_msgs,
				ARRAY_SIZE(mig_handshake_msgs));
}

void mig_handshake_exit(void)
{
	mig_msg_unregister(mig_handshake_msgs, ARRAY_SIZE(mig_handshake_msgs));
}

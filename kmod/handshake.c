// SPDX-License-Identifier: GPL-2.0
/*
 * mig: mutual authentication of a new node link, and its keys.
 *
 *   caller                                   answering node
 *   HELLO(src, dst, cipher, flags, nonce, share) ->
 *                           <- HELLO(src, dst, cipher, flags, nonce, share)
 *   AUTH(proof of the caller)                ->
 *                                              checks it, then only:
 *                           <- AUTH(proof of the answering node)
 *   both: keys from the cluster key, the transcript and X25519; sealed.
 *
 * Both proofs are HMACs with the cluster key over the hash of the whole
 * transcript (both HELLOs, so both node ids, nonces, X25519 shares, the
 * cipher and the flags), each with its own role label, so neither can be
 * replayed, reflected or used on another link. The answering node, which
 * anybody can reach, proves nothing until the caller has: it is never an
 * oracle for someone without the key. The caller only proves to the
 * address it was configured to call, over a transcript holding its own
 * fresh nonce and share. Until the proofs check out only HELLO and AUTH
 * are acceptable; anything else drops the connection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <crypto/sha2.h>
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/uio.h>

#include "mig.h"

struct mig_hs_state {
	struct socket *sock;
	struct mig_rx rx;
	unsigned long deadline;
	bool caller;
	u16 peer_id;
	u8 cipher;
	u8 flags;
	struct crypto_kpp *kpp;		/* our X25519 secret */
	u8 share[MIG_SHARE_LEN];
	u8 peer_share[MIG_SHARE_LEN];
	struct sha256_state transcript;
	u8 hash[SHA256_DIGEST_SIZE];	/* of the transcript, once complete */
};

/* Waits for the next whole frame of the expected type, or fails. */
static int mig_hs_recv(struct mig_hs_state *hs, u8 type)
{
	int ret;

	mig_rx_reset(&hs->rx);
	hs->rx.expect = type;
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

/* Adds a HELLO frame to the transcript exactly as it went on the wire. */
static void mig_hs_record(struct mig_hs_state *hs,
			  const struct mig_wire_hdr *hdr,
			  const struct mig_msg_hello *hello)
{
	sha256_update(&hs->transcript, (const u8 *)hdr, sizeof(*hdr));
	sha256_update(&hs->transcript, (const u8 *)hello, sizeof(*hello));
}

static int mig_hs_send_hello(struct mig_hs_state *hs)
{
	struct mig_wire_hdr hdr = {
		.magic = cpu_to_be32(MIG_WIRE_MAGIC),
		.version = MIG_WIRE_VERSION,
		.type = MIG_MSG_HELLO,
		.len = cpu_to_be32(sizeof(struct mig_msg_hello)),
	};
	struct mig_msg_hello hello = {
		.src_node = cpu_to_be16(mig_node_id),
		.dst_node = cpu_to_be16(hs->peer_id),
		.cipher = hs->cipher,
		.flags = hs->flags,
	};

	get_random_bytes(hello.nonce, MIG_NONCE_LEN);
	memcpy(hello.share, hs->share, MIG_SHARE_LEN);
	mig_hs_record(hs, &hdr, &hello);
	return mig_send_frame(hs->sock, MIG_MSG_HELLO, &hello, sizeof(hello));
}

/*
 * The answering node takes the caller's cipher and flags if it knows
 * them; the caller wants its own repeated.
 */
static int mig_hs_check_terms(struct mig_hs_state *hs,
			      const struct mig_msg_hello *hello)
{
	if (hello->reserved || hello->flags & ~MIG_HELLO_REKEY ||
	    !mig_seal_key_len(hello->cipher))
		return -EPROTO;
	if (hs->caller)
		return hello->cipher == hs->cipher &&
		       hello->flags == hs->flags ? 0 : -EPROTO;
	hs->cipher = hello->cipher;
	hs->flags = hello->flags;
	return 0;
}

/*
 * Checks the peer's HELLO. The caller knows whom it called; the
 * answering node learns it here and looks the node up in the table.
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
	if (mig_hs_check_terms(hs, hello)) {
		mig_stat_inc(MIG_STAT_PREAUTH_FRAME);
		return -EPROTO;
	}
	hs->peer_id = src;
	memcpy(hs->peer_share, hello->share, MIG_SHARE_LEN);
	mig_hs_record(hs, &hs->rx.hdr, hello);
	return 0;
}

static void mig_hs_auth_failed(struct mig_node *peer, const char *why)
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
		pr_warn("node %u %s: different cluster key?\n", peer->id, why);
}

/* The proof of the caller (@caller) or of the answering node. */
static int mig_hs_proof(struct mig_hs_state *hs, bool caller,
			u8 mac[MIG_MAC_LEN])
{
	const char *label = caller ? MIG_PROOF_CALLER_LABEL :
				     MIG_PROOF_ANSWER_LABEL;
	struct kvec parts[] = {
		{ .iov_base = (void *)label, .iov_len = strlen(label) },
		{ .iov_base = hs->hash, .iov_len = sizeof(hs->hash) },
	};

	return mig_auth_hmac(parts, ARRAY_SIZE(parts), mac);
}

static int mig_hs_send_proof(struct mig_hs_state *hs)
{
	struct mig_msg_auth auth;
	int err = mig_hs_proof(hs, hs->caller, auth.mac);

	if (!err)
		err = mig_send_frame(hs->sock, MIG_MSG_AUTH, &auth,
				     sizeof(auth));
	memzero_explicit(&auth, sizeof(auth));
	return err;
}

static int mig_hs_check_proof(struct mig_hs_state *hs, struct mig_node *peer)
{
	u8 expect[MIG_MAC_LEN];
	int err;

	err = mig_hs_recv(hs, MIG_MSG_AUTH);
	if (err == -ECONNRESET && hs->caller) {
		/* The answering node hangs up on a proof it cannot check. */
		mig_hs_auth_failed(peer, "refused our proof");
		return -EKEYREJECTED;
	}
	if (!err)
		err = mig_hs_proof(hs, !hs->caller, expect);
	if (err)
		return err;
	if (crypto_memneq(expect, hs->rx.payload, MIG_MAC_LEN)) {
		mig_hs_auth_failed(peer, "failed authentication");
		err = -EKEYREJECTED;
	}
	memzero_explicit(expect, sizeof(expect));
	return err;
}

/*
 * Each direction's record keys: HKDF-Extract with the cluster key over
 * the transcript hash and the X25519 secret, then HKDF-Expand with a
 * label naming the direction.
 */
static int mig_hs_seal(struct mig_hs_state *hs)
{
	struct mig_seal_keys keys[2];	/* [0]: caller to answering node */
	u8 dh[MIG_SHARE_LEN], prk[MIG_MAC_LEN];
	struct kvec parts[] = {
		{ .iov_base = MIG_KEYS_LABEL,
		  .iov_len = sizeof(MIG_KEYS_LABEL) - 1 },
		{ .iov_base = hs->hash, .iov_len = sizeof(hs->hash) },
		{ .iov_base = dh, .iov_len = sizeof(dh) },
	};
	int err;

	err = mig_kx_shared(hs->kpp, hs->peer_share, dh);
	if (!err)
		err = mig_auth_hmac(parts, ARRAY_SIZE(parts), prk);
	if (!err)
		err = mig_hkdf_expand(prk, "mig caller to answer", (u8 *)&keys[0],
				      sizeof(keys[0]));
	if (!err)
		err = mig_hkdf_expand(prk, "mig answer to caller", (u8 *)&keys[1],
				      sizeof(keys[1]));
	if (!err)
		err = mig_seal_install(hs->sock, hs->cipher,
				       &keys[hs->caller ? 0 : 1],
				       &keys[hs->caller ? 1 : 0]);
	memzero_explicit(keys, sizeof(keys));
	memzero_explicit(dh, sizeof(dh));
	memzero_explicit(prk, sizeof(prk));
	return err;
}

static int mig_hs_run(struct mig_hs_state *hs, struct mig_node **peer)
{
	int err;

	if (hs->caller) {
		err = mig_hs_send_hello(hs);
		if (!err)
			err = mig_hs_recv_hello(hs, peer);
	} else {
		err = mig_hs_recv_hello(hs, peer);
		if (!err)
			err = mig_hs_send_hello(hs);
	}
	if (err)
		return err;
	sha256_final(&hs->transcript, hs->hash);

	if (hs->caller) {
		err = mig_hs_send_proof(hs);
		if (!err)
			err = mig_hs_check_proof(hs, *peer);
	} else {
		err = mig_hs_check_proof(hs, *peer);
		if (!err)
			err = mig_hs_send_proof(hs);
	}
	if (err == -ENOKEY)
		mig_stat_inc(MIG_STAT_NO_KEY);
	return err ?: mig_hs_seal(hs);
}

/*
 * Runs the handshake on a connected socket and seals it. With *peer set
 * this side called that node, proposing *flags (MIG_HELLO_*); with *peer
 * NULL it answered, and on success *peer holds a reference to the
 * authenticated node and *flags what the caller proposed.
 */
int mig_handshake(struct socket *sock, struct mig_node **peer, u8 *flags)
{
	bool caller = *peer;
	struct mig_hs_state *hs;
	int err;

	hs = kzalloc(sizeof(*hs), GFP_KERNEL);
	if (!hs)
		return -ENOMEM;
	hs->sock = sock;
	hs->deadline = jiffies + msecs_to_jiffies(MIG_HANDSHAKE_TIMEOUT_MS);
	hs->caller = caller;
	hs->peer_id = caller ? (*peer)->id : 0;
	hs->cipher = READ_ONCE(mig_cipher);
	hs->flags = caller ? *flags : 0;
	mig_rx_init(&hs->rx);
	sha256_init(&hs->transcript);
	sha256_update(&hs->transcript, MIG_TRANSCRIPT_LABEL,
		      sizeof(MIG_TRANSCRIPT_LABEL) - 1);

	err = mig_kx_new(&hs->kpp, hs->share);
	if (!err)
		err = mig_hs_run(hs, peer);
	if (!err) {
		*flags = hs->flags;
		mutex_lock(&(*peer)->lock);
		(*peer)->cipher = hs->cipher;
		(*peer)->keyed_ns = ktime_get_boottime_ns();
		mutex_unlock(&(*peer)->lock);
	}

	mig_rx_reset(&hs->rx);
	mig_kx_free(hs->kpp);
	kfree_sensitive(hs);
	if (err && !caller && *peer) {
		mig_node_put(*peer);
		*peer = NULL;
	}
	return err;
}

/* Accepted only while a connection authenticates: no handler after. */
static const struct mig_msg_handler mig_handshake_msgs[] = {
	{ MIG_MSG_FIXED(MIG_MSG_HELLO, struct mig_msg_hello),
	  .owner = "handshake", .handshake = true },
	{ MIG_MSG_FIXED(MIG_MSG_AUTH, struct mig_msg_auth),
	  .owner = "handshake", .handshake = true },
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

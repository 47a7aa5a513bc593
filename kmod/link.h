/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: the link layer: the configured peers, the cluster key, framed
 * messages and the table of their types, the handshake, and the worker
 * that keeps each peer's link. Included through mig.h.
 */
#ifndef _MIG_LINK_H
#define _MIG_LINK_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#define MIG_CONNECT_TIMEOUT_MS	2000
#define MIG_HANDSHAKE_TIMEOUT_MS 5000
#define MIG_SEND_TIMEOUT_MS	10000
#define MIG_RETRY_MS		1000
#define MIG_MAX_PENDING_HS	16

/* node.c: the table of configured peers */
struct mig_node {
	struct list_head list;		/* in mig_nodes, under mig_nodes_lock */
	struct kref ref;
	u16 id;
	__be32 addr;
	u16 port;

	struct mutex lock;		/* protects the fields below */
	enum mig_node_state state;
	struct socket *sock;		/* the established link, if any */
	struct socket *incoming;	/* accepted and authenticated, for the worker */
	bool incoming_rekey;		/* incoming replaces sock, which stays up */
	struct socket *reading;		/* the receive loop's; only it releases it */
	struct socket *dialing;		/* a rekey's new connection, until sealed */
	bool stopping;
	u32 rtt_us;
	u64 up_since_ns;		/* boottime when the link came up */
	u32 auth_fails;
	u8 cipher;			/* of the last link sealed */
	u64 keyed_ns;			/* boottime when its keys were made */

	struct mutex send_lock;		/* one frame at a time on sock */
	wait_queue_head_t wait;		/* worker waits here for incoming */
	struct task_struct *worker;

	/* Bytes of this peer's frames waiting in channels (stream.c). */
	atomic_long_t rx_queued;

	/* Frames posted by receive loops, sent by post_work (link.c). */
	spinlock_t post_lock;
	struct list_head posted;
	unsigned int nr_posted;
	struct work_struct post_work;

	/* The caller's replacement of a link whose keys are due (link.c). */
	struct work_struct rekey_work;
	bool rekey_pending;		/* from rekey_work queued to the switch */
	/* What the receive loop does, since when (jiffies): for diagnostics. */
	const char *rx_doing;
	u8 rx_type;
	unsigned long rx_since;
	unsigned long rekey_after;	/* jiffies: not before, after a failure */
	struct work_struct switch_work;	/* moves sending to the rekeyed one */
};

int mig_node_add(u16 id, __be32 addr, u16 port);
int mig_node_del(u16 id);
struct mig_node *mig_node_get(u16 id);
void mig_node_put(struct mig_node *node);
int mig_node_snapshot(struct mig_node ***nodes);
void mig_nodes_put_snapshot(struct mig_node **nodes, int count);
void mig_nodes_reset_links(void);
void mig_nodes_exit(void);

/* auth.c: the cluster key and HMAC proofs */
int mig_auth_init(void);
void mig_auth_exit(void);
int mig_auth_set_key(const u8 *key, unsigned int len);
bool mig_auth_has_key(void);
bool mig_auth_key_is(const u8 *key, unsigned int len);
int mig_auth_hmac(const struct kvec *parts, unsigned int n,
		  u8 mac[MIG_MAC_LEN]);

/* keys.c: X25519 and HKDF for the keys of each link */
struct crypto_kpp;
int mig_keys_init(void);
int mig_kx_new(struct crypto_kpp **kpp, u8 share[MIG_SHARE_LEN]);
int mig_kx_shared(struct crypto_kpp *kpp, const u8 peer[MIG_SHARE_LEN],
		  u8 out[MIG_SHARE_LEN]);
void mig_kx_free(struct crypto_kpp *kpp);
int mig_hkdf_expand(const u8 prk[MIG_MAC_LEN], const char *info, u8 *out,
		    unsigned int len);

/* seal.c: the kernel's TLS record layer on an authenticated link */
#define MIG_SEAL_KEY_MAX	32
#define MIG_SEAL_NONCE_LEN	12
struct mig_seal_keys {
	u8 key[MIG_SEAL_KEY_MAX];
	u8 nonce[MIG_SEAL_NONCE_LEN];	/* the per-record nonce's base */
};

extern u8 mig_cipher;
extern unsigned int mig_rekey_mib;
extern unsigned int mig_rekey_secs;
unsigned int mig_seal_key_len(u8 cipher);
int mig_seal_install(struct socket *sock, u8 cipher,
		     const struct mig_seal_keys *tx,
		     const struct mig_seal_keys *rx);
int mig_seal_init(void);
void mig_seal_exit(void);

/* wire.c: framed messages on a TCP socket */
struct mig_rx {
	struct mig_wire_hdr hdr;
	u8 *payload;
	size_t got;			/* bytes of header + payload received */
	u8 expect;			/* handshake: the one type acceptable next;
					 * 0: an established link's types */
};

void mig_rx_init(struct mig_rx *rx);
void mig_rx_reset(struct mig_rx *rx);
int mig_rx_poll(struct socket *sock, struct mig_rx *rx);
#define MIG_SEND_MAX_VEC	4
int mig_send_framev(struct socket *sock, u8 type, const struct kvec *vec,
		    unsigned int n);
int mig_send_frame(struct socket *sock, u8 type, const void *payload,
		   u32 len);
void mig_sock_set_timeouts(struct socket *sock, unsigned int rcv_ms,
			   unsigned int snd_ms);

/*
 * A message type a link accepts, registered by the file that owns it: its
 * payload's length bounds, checked before anything is allocated, and its
 * handler.
 */
struct mig_msg_handler {
	u8 type;			/* enum mig_msg_type */
	u32 min_len;
	u32 max_len;
	const char *owner;		/* for messages about the table */
	bool handshake;			/* only during a handshake, never after */
	/*
	 * Called by the link's receive loop with a whole frame from @node.
	 * It must never wait for a send (see mig_link_post()): the loop
	 * that would drain the peer's sends is the caller. An error drops
	 * the link. NULL: the type is not accepted on an established link.
	 */
	int (*rx)(struct mig_node *node, struct mig_rx *rx);
};

#define MIG_MSG_FIXED(t, s)	.type = (t), .min_len = sizeof(s), \
				.max_len = sizeof(s)

int mig_msg_register(const struct mig_msg_handler *types, unsigned int n);
void mig_msg_unregister(const struct mig_msg_handler *types, unsigned int n);
const struct mig_msg_handler *mig_msg_lookup(u8 type);

/* handshake.c: mutual authentication of a new connection */
int mig_handshake(struct socket *sock, struct mig_node **peer, u8 *flags);
int mig_handshake_init(void);
void mig_handshake_exit(void);

/* link.c: the per-node worker that keeps the link to a peer */
int mig_link_start(struct mig_node *node);
void mig_link_stop(struct mig_node *node);
void mig_link_hand_over(struct mig_node *node, struct socket *sock, u8 flags);
void mig_link_kick(struct mig_node *node);
int mig_link_sendv(u16 node_id, u8 type, const struct kvec *vec,
		   unsigned int n);
int mig_link_post(u16 node_id, u8 type, const void *payload, u32 len);
void mig_link_node_init(struct mig_node *node);
bool mig_link_is_up(u16 node_id);
u32 mig_link_rtt_us(u16 node_id);
int mig_link_init(void);
void mig_link_exit(void);

/* listener.c: accepts connections from peers */
int mig_listener_start(void);
void mig_listener_stop(void);

#endif /* _MIG_LINK_H */

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
	bool stopping;
	u32 rtt_us;
	u64 up_since_ns;		/* boottime when the link came up */
	u32 auth_fails;

	struct mutex send_lock;		/* one frame at a time on sock */
	wait_queue_head_t wait;		/* worker waits here for incoming */
	struct task_struct *worker;

	/* Frames posted by receive loops, sent by post_work (link.c). */
	spinlock_t post_lock;
	struct list_head posted;
	unsigned int nr_posted;
	struct work_struct post_work;
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
int mig_auth_mac(u16 src, u16 dst, const u8 *src_nonce, const u8 *dst_nonce,
		 u8 mac[MIG_MAC_LEN]);

/* wire.c: framed messages on a TCP socket */
struct mig_rx {
	struct mig_wire_hdr hdr;
	u8 *payload;
	size_t got;			/* bytes of header + payload received */
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
int mig_handshake(struct socket *sock, struct mig_node **peer);
int mig_handshake_init(void);
void mig_handshake_exit(void);

/* link.c: the per-node worker that keeps the link to a peer */
int mig_link_start(struct mig_node *node);
void mig_link_stop(struct mig_node *node);
void mig_link_hand_over(struct mig_node *node, struct socket *sock);
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

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the link to one peer. A kthread per configured node owns the
 * connection: it dials the peer (the node with the smaller id calls, so a
 * pair has a single connection), adopts connections the listener
 * authenticated for it, answers and sends heartbeats, and declares the
 * peer down when nothing has arrived within the heartbeat timeout.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/kthread.h>
#include <linux/timekeeping.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "mig.h"

/* Publishes @sock as the node's current socket so mig_link_stop can abort it. */
static bool mig_link_publish(struct mig_node *node, struct socket *sock)
{
	bool ok;

	mutex_lock(&node->lock);
	ok = !node->stopping;
	if (ok)
		node->sock = sock;
	mutex_unlock(&node->lock);
	return ok;
}

static void mig_link_close(struct mig_node *node, struct socket *sock)
{
	mutex_lock(&node->lock);
	if (node->sock == sock)
		node->sock = NULL;
	mutex_unlock(&node->lock);
	kernel_sock_shutdown(sock, SHUT_RDWR);
	/* Senders of other threads hold send_lock while they use the socket. */
	mutex_lock(&node->send_lock);
	mutex_unlock(&node->send_lock);
	sock_release(sock);
}

static struct socket *mig_link_take_incoming(struct mig_node *node)
{
	struct socket *sock;

	mutex_lock(&node->lock);
	sock = node->stopping ? NULL : node->incoming;
	if (sock) {
		node->incoming = NULL;
		node->sock = sock;
	}
	mutex_unlock(&node->lock);
	return sock;
}

/* Calls the peer and authenticates; NULL when it cannot be reached. */
static struct socket *mig_link_dial(struct mig_node *node)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = node->addr,
		.sin_port = htons(node->port),
	};
	struct mig_node *peer = node;
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		return NULL;
	/* connect() waits at most the send timeout for the SYN's answer. */
	mig_sock_set_timeouts(sock, MIG_HANDSHAKE_TIMEOUT_MS / 10,
			      MIG_CONNECT_TIMEOUT_MS);
	if (!mig_link_publish(node, sock)) {
		sock_release(sock);
		return NULL;
	}
	err = kernel_connect(sock, (struct sockaddr *)&sin, sizeof(sin), 0);
	if (!err) {
		mig_sock_set_timeouts(sock, MIG_HANDSHAKE_TIMEOUT_MS / 10,
				      MIG_SEND_TIMEOUT_MS);
		err = mig_handshake(sock, &peer);
		if (err)
			mig_stat_inc(MIG_STAT_CONN_DROPPED);
	}
	if (err) {
		mig_link_close(node, sock);
		return NULL;
	}
	return sock;
}

static int mig_link_send(struct mig_node *node, struct socket *sock, u8 type,
			 const void *payload, u32 len)
{
	int err;

	mutex_lock(&node->send_lock);
	err = mig_send_frame(sock, type, payload, len);
	mutex_unlock(&node->send_lock);
	return err;
}

static int mig_link_ping(struct mig_node *node, struct socket *sock, u64 seq)
{
	struct mig_msg_ping ping = {
		.seq = cpu_to_be64(seq),
		.stamp_ns = cpu_to_be64(ktime_get_ns()),
	};

	return mig_link_send(node, sock, MIG_MSG_PING, &ping, sizeof(ping));
}

static void mig_link_pong(struct mig_node *node, const struct mig_msg_ping *pong)
{
	u64 sent = be64_to_cpu(pong->stamp_ns), now = ktime_get_ns();

	/* The stamp is ours, echoed; still, believe only a sane one. */
	if (sent > now || now - sent > (u64)mig_hb_timeout_ms * NSEC_PER_MSEC)
		return;
	mutex_lock(&node->lock);
	node->rtt_us = div_u64(now - sent, NSEC_PER_USEC);
	mutex_unlock(&node->lock);
}

static int mig_link_dispatch(struct mig_node *node, struct socket *sock,
			     struct mig_rx *rx)
{
	switch (rx->hdr.type) {
	case MIG_MSG_PING:
		return mig_link_send(node, sock, MIG_MSG_PONG, rx->payload,
				     sizeof(struct mig_msg_ping));
	case MIG_MSG_PONG:
		mig_link_pong(node, (const struct mig_msg_ping *)rx->payload);
		return 0;
	case MIG_MSG_MOVE_BEGIN ... __MIG_MSG_MAX - 1:	/* all the rest */
		return mig_stream_rx(node->id, rx);
	default:
		/* HELLO or AUTH again on an established link. */
		mig_stat_inc(MIG_STAT_BAD_TYPE);
		return -EPROTO;
	}
}

static void mig_link_set_state(struct mig_node *node, enum mig_node_state state)
{
	mutex_lock(&node->lock);
	if (state == MIG_NODE_UP) {
		node->up_since_ns = ktime_get_boottime_ns();
		node->rtt_us = 0;
	} else if (node->state != MIG_NODE_UP) {
		/* Keep auth-failed visible until a link comes up. */
		mutex_unlock(&node->lock);
		return;
	}
	node->state = state;
	mutex_unlock(&node->lock);
}

/* Serves an authenticated link until it fails or the worker is stopped. */
static void mig_link_run(struct mig_node *node, struct socket *sock)
{
	unsigned long interval = msecs_to_jiffies(mig_hb_interval_ms);
	unsigned long timeout = msecs_to_jiffies(mig_hb_timeout_ms);
	unsigned long last_rx = jiffies, last_ping = jiffies - interval;
	struct mig_rx rx;
	u64 seq = 0;
	int err = 0;

	mig_rx_init(&rx);
	mig_sock_set_timeouts(sock, max(mig_hb_interval_ms / 2, 50U),
			      MIG_SEND_TIMEOUT_MS);
	mig_link_set_state(node, MIG_NODE_UP);
	pr_info("link to node %u up\n", node->id);

	while (!kthread_should_stop()) {
		if (time_after_eq(jiffies, last_ping + interval)) {
			err = mig_link_ping(node, sock, ++seq);
			if (err)
				break;
			last_ping = jiffies;
		}
		err = mig_rx_poll(sock, &rx);
		if (err < 0)
			break;
		if (!err) {
			if (time_after(jiffies, last_rx + timeout)) {
				mig_stat_inc(MIG_STAT_HEARTBEAT_TIMEOUT);
				err = -ETIMEDOUT;
				break;
			}
			continue;
		}
		last_rx = jiffies;
		err = mig_link_dispatch(node, sock, &rx);
		mig_rx_reset(&rx);
		if (err)
			break;
	}

	mig_rx_reset(&rx);
	mig_link_set_state(node, MIG_NODE_DOWN);
	mig_link_close(node, sock);
	mig_stream_node_down(node->id);
	if (err && err != -ECONNRESET && err != -EPIPE)
		mig_stat_inc(MIG_STAT_CONN_DROPPED);
	pr_info("link to node %u down (%d)\n", node->id, err);
}

/*
 * Sends one frame to a peer from any thread. Fails with -EHOSTUNREACH
 * unless the link is up and authenticated.
 */
int mig_link_sendv(u16 node_id, u8 type, const struct kvec *vec,
		   unsigned int n)
{
	struct mig_node *node = mig_node_get(node_id);
	struct socket *sock;
	int err = -EHOSTUNREACH;

	if (!node)
		return -ENOENT;
	mutex_lock(&node->send_lock);
	mutex_lock(&node->lock);
	sock = node->state == MIG_NODE_UP ? node->sock : NULL;
	mutex_unlock(&node->lock);
	if (sock)
		err = mig_send_framev(sock, type, vec, n);
	mutex_unlock(&node->send_lock);
	if (err && sock)
		mig_link_kick(node);
	mig_node_put(node);
	return err;
}

bool mig_link_is_up(u16 node_id)
{
	struct mig_node *node = mig_node_get(node_id);
	bool up;

	if (!node)
		return false;
	mutex_lock(&node->lock);
	up = node->state == MIG_NODE_UP;
	mutex_unlock(&node->lock);
	mig_node_put(node);
	return up;
}

static bool mig_link_has_incoming(struct mig_node *node)
{
	return READ_ONCE(node->incoming);
}

static int mig_link_worker(void *data)
{
	struct mig_node *node = data;

	while (!kthread_should_stop()) {
		struct socket *sock = mig_link_take_incoming(node);

		if (!sock && mig_node_id < node->id && mig_auth_has_key())
			sock = mig_link_dial(node);
		if (sock) {
			mig_link_run(node, sock);
			continue;
		}
		wait_event_interruptible_timeout(node->wait,
						 kthread_should_stop() ||
						 mig_link_has_incoming(node),
						 msecs_to_jiffies(MIG_RETRY_MS));
	}
	return 0;
}

int mig_link_start(struct mig_node *node)
{
	struct task_struct *task;

	task = kthread_run(mig_link_worker, node, "mig_link/%u", node->id);
	if (IS_ERR(task))
		return PTR_ERR(task);
	node->worker = task;
	return 0;
}

/* Aborts whatever the link is doing; the worker then starts over. */
void mig_link_kick(struct mig_node *node)
{
	mutex_lock(&node->lock);
	if (node->sock)
		kernel_sock_shutdown(node->sock, SHUT_RDWR);
	mutex_unlock(&node->lock);
}

void mig_link_stop(struct mig_node *node)
{
	struct socket *incoming;

	mutex_lock(&node->lock);
	node->stopping = true;
	if (node->sock)
		kernel_sock_shutdown(node->sock, SHUT_RDWR);
	mutex_unlock(&node->lock);

	kthread_stop(node->worker);

	mutex_lock(&node->lock);
	incoming = node->incoming;
	node->incoming = NULL;
	mutex_unlock(&node->lock);
	if (incoming)
		sock_release(incoming);
}

/*
 * Gives the worker a connection the listener authenticated. A peer that
 * authenticates anew has restarted or lost the old link, so the old one,
 * if any, is aborted in favour of the new.
 */
void mig_link_hand_over(struct mig_node *node, struct socket *sock)
{
	struct socket *old = NULL;

	mutex_lock(&node->lock);
	if (node->stopping) {
		old = sock;
	} else {
		old = node->incoming;
		node->incoming = sock;
		if (node->sock)
			kernel_sock_shutdown(node->sock, SHUT_RDWR);
	}
	mutex_unlock(&node->lock);
	if (old)
		sock_release(old);
	wake_up(&node->wait);
}

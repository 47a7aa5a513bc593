// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the link to one peer. A kthread per configured node owns the
 * connection: it dials the peer (the node with the smaller id calls, so a
 * pair has a single connection), adopts connections the listener
 * authenticated for it, answers and sends heartbeats, and declares the
 * peer down when nothing has arrived within the heartbeat timeout. Its
 * receive loop hands each frame to the handler its type's owner
 * registered, and never waits to send: while a large frame is being
 * written each way, both receive loops must go on reading.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/kthread.h>
#include <linux/timekeeping.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "mig.h"
#include "trace.h"

/* Publishes @sock as the node's current socket so mig_link_stop can abort it. */
static bool mig_link_publish(struct mig_node *node, struct socket *sock)
{
	bool ok;

	mutex_lock(&node->lock);
	ok = !node->stopping;
	if (ok) {
		node->sock = sock;
		node->reading = sock;
	}
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
		node->incoming_rekey = false;
		node->sock = sock;
		node->reading = sock;
	}
	mutex_unlock(&node->lock);
	return sock;
}

/*
 * Calls the peer, authenticates and seals; NULL when it cannot be
 * reached. Until then the socket is node->dialing, which
 * mig_link_stop() aborts.
 */
static struct socket *mig_link_call(struct mig_node *node, u8 flags)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = node->addr,
		.sin_port = htons(node->port),
	};
	struct mig_node *peer = node;
	struct socket *sock;
	bool ok;
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		return NULL;
	/* connect() waits at most the send timeout for the SYN's answer. */
	mig_sock_set_timeouts(sock, MIG_HANDSHAKE_TIMEOUT_MS / 10,
			      MIG_CONNECT_TIMEOUT_MS);
	mutex_lock(&node->lock);
	ok = !node->stopping && !node->dialing;
	if (ok)
		node->dialing = sock;
	mutex_unlock(&node->lock);
	if (!ok) {
		sock_release(sock);
		return NULL;
	}
	err = kernel_connect(sock, (struct sockaddr *)&sin, sizeof(sin), 0);
	if (!err) {
		mig_sock_set_timeouts(sock, MIG_HANDSHAKE_TIMEOUT_MS / 10,
				      MIG_SEND_TIMEOUT_MS);
		err = mig_handshake(sock, &peer, &flags);
		if (err)
			mig_stat_inc(MIG_STAT_CONN_DROPPED);
	}
	mutex_lock(&node->lock);
	node->dialing = NULL;
	mutex_unlock(&node->lock);
	if (err) {
		kernel_sock_shutdown(sock, SHUT_RDWR);
		sock_release(sock);
		return NULL;
	}
	return sock;
}

static struct socket *mig_link_dial(struct mig_node *node)
{
	struct socket *sock = mig_link_call(node, 0);

	if (sock && !mig_link_publish(node, sock)) {
		sock_release(sock);
		return NULL;
	}
	return sock;
}

/*
 * A frame posted by a receive loop, which must not wait for the send
 * lock: a sender of another thread may hold it, blocked in TCP until the
 * peer reads, and the peer's receive loop may be waiting the same way for
 * ours. A work item sends posted frames instead.
 */
struct mig_posted {
	struct list_head list;
	u8 type;
	u32 len;
	u8 data[];
};

/* Enough for every control frame a burst of messages can ask for. */
#define MIG_MAX_POSTED		256

static void mig_link_post_work(struct work_struct *work)
{
	struct mig_node *node = container_of(work, struct mig_node, post_work);
	struct mig_posted *p;
	struct kvec vec;

	for (;;) {
		spin_lock(&node->post_lock);
		p = list_first_entry_or_null(&node->posted, struct mig_posted,
					     list);
		if (p) {
			list_del(&p->list);
			node->nr_posted--;
		}
		spin_unlock(&node->post_lock);
		if (!p)
			break;
		vec.iov_base = p->data;
		vec.iov_len = p->len;
		mig_link_sendv(node->id, p->type, &vec, p->len ? 1 : 0);
		kfree(p);
	}
	mig_node_put(node);	/* the one mig_link_post() gave the work */
}

/*
 * Replaces a link whose keys are due with a fresh connection, handshake
 * and keys (the record layer cannot change keys in place), made before
 * the old one is broken: the two nodes then move their frames over with
 * SWITCH (mig_link_switch_work(), mig_link_switch_rx()), so no frame is
 * lost and nothing that runs over the link notices. Only the calling node starts one.
 */
static void mig_link_rekey_work(struct work_struct *work)
{
	struct mig_node *node = container_of(work, struct mig_node,
					     rekey_work);
	struct socket *sock = mig_link_call(node, MIG_HELLO_REKEY);

	pr_debug("node %u: rekey connection %s\n", node->id, sock ? "sealed" : "failed");
	if (sock) {
		mig_link_hand_over(node, sock, MIG_HELLO_REKEY);
		return;		/* rekey_pending ends with the switch */
	}
	/* Try again later; the old link serves meanwhile. */
	WRITE_ONCE(node->rekey_after, jiffies + 10 * HZ);
	WRITE_ONCE(node->rekey_pending, false);
}

static void mig_link_switch_work(struct work_struct *work);

void mig_link_node_init(struct mig_node *node)
{
	spin_lock_init(&node->post_lock);
	INIT_LIST_HEAD(&node->posted);
	INIT_WORK(&node->post_work, mig_link_post_work);
	INIT_WORK(&node->rekey_work, mig_link_rekey_work);
	INIT_WORK(&node->switch_work, mig_link_switch_work);
	node->rekey_after = jiffies;
}

/*
 * Queues a frame for @node_id without waiting for the send lock: from
 * receive loops and work items that must not block. It goes out on the link that is up when its turn comes, or
 * nowhere; a full queue drops it (-ENOBUFS).
 */
int mig_link_post(u16 node_id, u8 type, const void *payload, u32 len)
{
	struct mig_node *node = mig_node_get(node_id);
	struct mig_posted *p;
	int err = 0;

	if (!node)
		return -ENOENT;
	p = kmalloc(struct_size(p, data, len), GFP_KERNEL);
	if (!p) {
		mig_node_put(node);
		return -ENOMEM;
	}
	p->type = type;
	p->len = len;
	memcpy(p->data, payload, len);
	spin_lock(&node->post_lock);
	if (node->nr_posted < MIG_MAX_POSTED) {
		list_add_tail(&p->list, &node->posted);
		node->nr_posted++;
		p = NULL;
	} else {
		err = -ENOBUFS;
	}
	spin_unlock(&node->post_lock);
	kfree(p);
	if (err)
		pr_warn_ratelimited("frames to node %u dropped: its link is stuck\n",
				    node_id);
	else if (queue_work(system_unbound_wq, &node->post_work))
		return 0;	/* our reference is the work's now */
	mig_node_put(node);
	return err;
}

/* Drops what was posted and not sent; for a node going away. */
static void mig_link_drop_posted(struct mig_node *node)
{
	struct mig_posted *p, *tmp;
	LIST_HEAD(list);

	flush_work(&node->post_work);
	spin_lock(&node->post_lock);
	list_splice_init(&node->posted, &list);
	node->nr_posted = 0;
	spin_unlock(&node->post_lock);
	list_for_each_entry_safe(p, tmp, &list, list)
		kfree(p);
}

/*
 * A heartbeat, posted like every frame the receive loop sends: while a
 * large frame is being written the ping waits its turn, and the peer
 * counts that frame's bytes as signs of life meanwhile.
 */
static void mig_link_ping(struct mig_node *node, u64 seq)
{
	struct mig_msg_ping ping = {
		.seq = cpu_to_be64(seq),
		.stamp_ns = cpu_to_be64(ktime_get_ns()),
	};

	mig_link_post(node->id, MIG_MSG_PING, &ping, sizeof(ping));
}

static int mig_link_rx_ping(struct mig_node *node, struct mig_rx *rx)
{
	mig_link_post(node->id, MIG_MSG_PONG, rx->payload,
		      sizeof(struct mig_msg_ping));
	return 0;
}

static int mig_link_rx_pong(struct mig_node *node, struct mig_rx *rx)
{
	const struct mig_msg_ping *pong = (const void *)rx->payload;
	u64 sent = be64_to_cpu(pong->stamp_ns), now = ktime_get_ns();

	/* The stamp is ours, echoed; still, believe only a sane one. */
	if (sent > now || now - sent > (u64)mig_hb_timeout_ms * NSEC_PER_MSEC)
		return 0;
	mutex_lock(&node->lock);
	node->rtt_us = div_u64(now - sent, NSEC_PER_USEC);
	mutex_unlock(&node->lock);
	return 0;
}

static const struct mig_msg_handler mig_link_msgs[] = {
	/* Taken by the receive loop itself: mig_link_switch_rx(). */
	{ .type = MIG_MSG_SWITCH, .owner = "link" },
	{ MIG_MSG_FIXED(MIG_MSG_PING, struct mig_msg_ping),
	  .owner = "link", .rx = mig_link_rx_ping },
	{ MIG_MSG_FIXED(MIG_MSG_PONG, struct mig_msg_ping),
	  .owner = "link", .rx = mig_link_rx_pong },
};

static int mig_link_dispatch(struct mig_node *node, struct mig_rx *rx)
{
	const struct mig_msg_handler *t = mig_msg_lookup(rx->hdr.type);

	if (!t || !t->rx) {
		/* HELLO or AUTH again on an established link. */
		mig_stat_inc(MIG_STAT_BAD_TYPE);
		return -EPROTO;
	}
	return t->rx(node, rx);
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

/*
 * Moves this node's sending to the connection a rekey sealed: SWITCH is
 * the last frame on the old one, everything after goes on the new one.
 * A work item, not the receive loop: it waits for the send lock, which a
 * sender may hold, blocked until the peer reads.
 */
static void mig_link_switch_work(struct work_struct *work)
{
	struct mig_node *node = container_of(work, struct mig_node,
					     switch_work);
	struct socket *old, *next;

	mutex_lock(&node->send_lock);
	mutex_lock(&node->lock);
	old = node->sock;
	next = node->incoming_rekey && !node->stopping ? node->incoming : NULL;
	if (next) {
		node->incoming = NULL;
		node->incoming_rekey = false;
	}
	mutex_unlock(&node->lock);
	if (next) {
		int err;

		/* A failure shows on the old socket's receive side. */
		err = mig_send_frame(old, MIG_MSG_SWITCH, NULL, 0);
		pr_debug("node %u: SWITCH sent: %d\n", node->id, err);
		mutex_lock(&node->lock);
		node->sock = next;
		mutex_unlock(&node->lock);
	}
	mutex_unlock(&node->send_lock);
	wake_up(&node->wait);	/* the worker may close the old one now */
}

/*
 * The sealed connection that replaces @old, once there is one. From here
 * on the receive loop reads it, maybe while it is still node->incoming:
 * mig_link_hand_over() must then leave it to the loop. The answering node
 * of a rekey switches its own sending now, after the caller's SWITCH: a
 * rekey the caller gave up on at the last moment is never half done.
 */
static struct socket *mig_link_next_sock(struct mig_node *node,
					 struct socket *old)
{
	struct socket *next = NULL;

	mutex_lock(&node->lock);
	if (node->sock != old) {
		next = node->sock;		/* we switched already */
	} else if (node->incoming_rekey) {
		next = node->incoming;		/* our turn to switch */
		queue_work(system_unbound_wq, &node->switch_work);
	}
	if (next)
		node->reading = next;
	mutex_unlock(&node->lock);
	return next;
}

static bool mig_link_has_next(struct mig_node *node, struct socket *old,
			      struct socket **next)
{
	*next = mig_link_next_sock(node, old);
	return *next || kthread_should_stop();
}

/*
 * The peer's SWITCH: nothing more comes on *@rx_sock, the peer's frames
 * continue on the new connection, read from now on. The peer sealed it
 * first, so it may take our side of the rekey a moment to finish. The
 * old connection is closed once this node has said its last word on it
 * too (mig_link_close_drained()).
 */
static int mig_link_switch_rx(struct mig_node *node, struct socket **rx_sock)
{
	struct socket *next = NULL;
	long left;

	left = wait_event_interruptible_timeout(node->wait,
			mig_link_has_next(node, *rx_sock, &next),
			msecs_to_jiffies(MIG_HANDSHAKE_TIMEOUT_MS));
	if (!next) {
		if (!left)
			pr_warn("link to node %u: its keys changed, ours did not follow in time\n",
				node->id);
		return left > 0 ? -ESHUTDOWN : -ETIMEDOUT;
	}
	pr_debug("node %u: peer switched, reading the next connection\n", node->id);
	*rx_sock = next;
	return 0;
}

/*
 * Closes @old once neither direction uses it: the receive loop moved on
 * and the node sends on another socket. True when it was closed.
 */
static bool mig_link_close_drained(struct mig_node *node, struct socket *old)
{
	bool done;

	mutex_lock(&node->lock);
	done = node->sock != old;
	mutex_unlock(&node->lock);
	if (!done)
		return false;
	pr_debug("node %u: old connection closed\n", node->id);
	kernel_sock_shutdown(old, SHUT_RDWR);
	sock_release(old);
	WRITE_ONCE(node->rekey_pending, false);
	mig_stat_inc(MIG_STAT_REKEYS);
	return true;
}

/*
 * The calling node replaces the link after rekey_mib MiB either way or
 * rekey_secs seconds, whichever comes first.
 */
static void mig_link_check_rekey(struct mig_node *node, u64 sealed_at)
{
	const struct tcp_sock *tp;
	struct socket *sock;
	u64 bytes = 0;

	if (mig_node_id > node->id || READ_ONCE(node->rekey_pending) ||
	    time_before(jiffies, READ_ONCE(node->rekey_after)))
		return;
	mutex_lock(&node->lock);
	sock = node->sock;
	if (sock) {
		tp = tcp_sk(sock->sk);
		bytes = READ_ONCE(tp->bytes_received) +
			READ_ONCE(tp->bytes_acked);
	}
	mutex_unlock(&node->lock);
	if (bytes < (u64)READ_ONCE(mig_rekey_mib) << 20 &&
	    ktime_get_boottime_seconds() - sealed_at <
	    READ_ONCE(mig_rekey_secs))
		return;
	WRITE_ONCE(node->rekey_pending, true);
	queue_work(system_unbound_wq, &node->rekey_work);
}

/*
 * Closes what the link still holds: the socket read, the one written, and
 * one a rekey left behind. The one written goes last: mig_link_close()
 * waits for its senders.
 */
static void mig_link_close_all(struct mig_node *node, struct socket *rx_sock,
			       struct socket *drained)
{
	struct socket *tx;

	/* First unblock a SWITCH being written where nobody reads now. */
	kernel_sock_shutdown(rx_sock, SHUT_RDWR);
	if (drained)
		kernel_sock_shutdown(drained, SHUT_RDWR);
	cancel_work_sync(&node->switch_work);

	mutex_lock(&node->lock);
	tx = node->sock;
	node->reading = NULL;
	/* Read from already, but never sent on: not for the next link. */
	if (node->incoming == rx_sock) {
		node->incoming = NULL;
		node->incoming_rekey = false;
	}
	mutex_unlock(&node->lock);
	if (drained && drained != tx)
		sock_release(drained);
	if (tx && tx != rx_sock) {
		sock_release(rx_sock);
		rx_sock = tx;
	}
	mig_link_close(node, rx_sock);
}

static void mig_link_rx_doing(struct mig_node *node, const char *what, u8 type)
{
	WRITE_ONCE(node->rx_type, type);
	WRITE_ONCE(node->rx_since, jiffies);
	WRITE_ONCE(node->rx_doing, what);
}

/* Serves an authenticated link until it fails or the worker is stopped. */
static void mig_link_run(struct mig_node *node, struct socket *sock)
{
	unsigned long interval = msecs_to_jiffies(mig_hb_interval_ms);
	unsigned long timeout = msecs_to_jiffies(mig_hb_timeout_ms);
	unsigned long last_rx = jiffies, last_ping = jiffies - interval;
	u64 sealed_at = ktime_get_boottime_seconds();
	struct socket *drained = NULL;	/* read to its end, maybe still sent on */
	struct mig_rx rx;
	u64 seq = 0;
	size_t got;
	int err = 0;

	mig_rx_init(&rx);
	mig_sock_set_timeouts(sock, max(mig_hb_interval_ms / 2, 50U),
			      MIG_SEND_TIMEOUT_MS);
	mig_link_set_state(node, MIG_NODE_UP);
	trace_link_up(node->id);
	pr_info("link to node %u up\n", node->id);

	while (!kthread_should_stop()) {
		if (time_after_eq(jiffies, last_ping + interval)) {
			mig_link_ping(node, ++seq);
			last_ping = jiffies;
		}
		if (drained)
			mig_link_rx_doing(node, "closing the old connection", 0);
		if (drained && mig_link_close_drained(node, drained)) {
			drained = NULL;
			sealed_at = ktime_get_boottime_seconds();
		}
		mig_link_check_rekey(node, sealed_at);
		got = rx.got;
		mig_link_rx_doing(node, "reading", 0);
		err = mig_rx_poll(sock, &rx);
		if (err < 0)
			break;
		/* Part of a large frame is a sign of life too. */
		if (rx.got != got)
			last_rx = jiffies;
		if (!err) {
			if (time_after(jiffies, last_rx + timeout)) {
				mig_stat_inc(MIG_STAT_HEARTBEAT_TIMEOUT);
				pr_warn("link to node %u: nothing received for %u ms\n",
					node->id, jiffies_to_msecs(jiffies - last_rx));
				err = -ETIMEDOUT;
				break;
			}
			continue;
		}
		last_rx = jiffies;
		if (rx.hdr.type == MIG_MSG_SWITCH) {
			struct socket *old = sock;

			/*
			 * The next rekey's SWITCH may come as the first frame
			 * on the new connection: settle the last one first.
			 * Still sending on the one before is out of turn.
			 */
			mig_link_rx_doing(node, "switching", MIG_MSG_SWITCH);
			if (drained && mig_link_close_drained(node, drained))
				drained = NULL;
			err = drained ? -EPROTO : mig_link_switch_rx(node, &sock);
			if (!err) {
				drained = old;
				mig_sock_set_timeouts(sock,
						      max(mig_hb_interval_ms / 2, 50U),
						      MIG_SEND_TIMEOUT_MS);
			}
		} else {
			mig_link_rx_doing(node, "handling", rx.hdr.type);
			err = mig_link_dispatch(node, &rx);
		}
		mig_rx_reset(&rx);
		if (err)
			break;
	}

	mig_rx_reset(&rx);
	mig_link_set_state(node, MIG_NODE_DOWN);
	mig_link_close_all(node, sock, drained);
	mig_stream_node_down(node->id);
	if (err && err != -ECONNRESET && err != -EPIPE)
		mig_stat_inc(MIG_STAT_CONN_DROPPED);
	if (err == -EBADMSG)
		pr_warn("link to node %u dropped: a record failed authentication\n",
			node->id);
	trace_link_down(node->id, err);
	pr_info("link to node %u down (%d)\n", node->id, err);
}

/* A frame that found no room within the send timeout: what the link did. */
static void mig_link_report_stuck(struct mig_node *node, struct socket *sock,
				  u8 type)
{
	bool read, current_sock, incoming;

	mutex_lock(&node->lock);
	read = node->reading == sock;
	current_sock = node->sock == sock;
	incoming = node->incoming;
	mutex_unlock(&node->lock);
	pr_warn("link to node %u: a frame of type %u made no progress for %u ms (socket read here: %d, still the link's: %d, rekey pending: %d, connection waiting: %d; receive loop %s, type %u, for %u ms)\n",
		node->id, type, MIG_SEND_TIMEOUT_MS, read, current_sock,
		READ_ONCE(node->rekey_pending), incoming,
		READ_ONCE(node->rx_doing) ?: "idle", READ_ONCE(node->rx_type),
		jiffies_to_msecs(jiffies - READ_ONCE(node->rx_since)));
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
	if (err && sock) {
		pr_debug("node %u: send of type %u failed: %d\n", node->id, type, err);
		if (err == -EIO || err == -EAGAIN)
			mig_link_report_stuck(node, sock, type);
		mig_link_kick(node);
	}
	mig_node_put(node);
	return err;
}

/* The last heartbeat round trip to @node_id; 0 when unknown. */
u32 mig_link_rtt_us(u16 node_id)
{
	struct mig_node *node = mig_node_get(node_id);
	u32 rtt = 0;

	if (!node)
		return 0;
	mutex_lock(&node->lock);
	if (node->state == MIG_NODE_UP)
		rtt = node->rtt_us;
	mutex_unlock(&node->lock);
	mig_node_put(node);
	return rtt;
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

int mig_link_init(void)
{
	return mig_msg_register(mig_link_msgs, ARRAY_SIZE(mig_link_msgs));
}

void mig_link_exit(void)
{
	mig_msg_unregister(mig_link_msgs, ARRAY_SIZE(mig_link_msgs));
}

/*
 * The worker decrypts everything the peer sends: at the weight of one of
 * the processes that keep running during a live move, a busy node would
 * read its link at a fraction of the rate the link carries.
 */
int mig_link_start(struct mig_node *node)
{
	struct task_struct *task;

	task = kthread_create(mig_link_worker, node, "mig_link/%u", node->id);
	if (IS_ERR(task))
		return PTR_ERR(task);
	set_user_nice(task, MIG_COPY_NICE);
	node->worker = task;
	wake_up_process(task);
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
	if (node->dialing)
		kernel_sock_shutdown(node->dialing, SHUT_RDWR);
	mutex_unlock(&node->lock);

	cancel_work_sync(&node->rekey_work);
	kthread_stop(node->worker);
	cancel_work_sync(&node->switch_work);

	mutex_lock(&node->lock);
	incoming = node->incoming;
	node->incoming = NULL;
	mutex_unlock(&node->lock);
	if (incoming)
		sock_release(incoming);
	mig_link_drop_posted(node);
}

/*
 * Gives the worker a connection that was authenticated and sealed. A
 * rekey (MIG_HELLO_REKEY) replaces the link that is up, which goes on
 * until both sides switched. Otherwise a peer that authenticates anew has
 * restarted or lost the old link, so the old one, if any, is aborted in
 * favour of the new. A connection replaced while the receive loop
 * already reads it (a rekey whose switch has not run yet) is only shut
 * down: the loop fails on it and releases it with the link.
 */
void mig_link_hand_over(struct mig_node *node, struct socket *sock, u8 flags)
{
	struct socket *old = NULL;

	mutex_lock(&node->lock);
	if (node->stopping) {
		old = sock;
	} else {
		old = node->incoming;
		if (old && old == node->reading) {
			kernel_sock_shutdown(old, SHUT_RDWR);
			old = NULL;
		}
		node->incoming = sock;
		node->incoming_rekey = flags & MIG_HELLO_REKEY &&
				       node->state == MIG_NODE_UP && node->sock;
		if (!node->incoming_rekey) {
			if (node->sock)
				kernel_sock_shutdown(node->sock, SHUT_RDWR);
		} else if (mig_node_id < node->id) {
			/* The caller switches first (mig_link_next_sock()). */
			queue_work(system_unbound_wq, &node->switch_work);
		}
	}
	mutex_unlock(&node->lock);
	if (old)
		sock_release(old);
	wake_up(&node->wait);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the TCP listener of the node links. A kthread accepts connections
 * and queues each on a workqueue for its handshake, so a slow or hostile
 * client cannot hold up the others; a bounded number wait at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "mig.h"

struct mig_pending_hs {
	struct work_struct work;
	struct list_head list;		/* in mig_hs_pending */
	struct socket *sock;
};

static struct socket *mig_listen_sock;
static struct task_struct *mig_listen_task;
static struct workqueue_struct *mig_hs_wq;

/* The pending list lets unload abort handshakes blocked in recv. */
static LIST_HEAD(mig_hs_pending);
static DEFINE_MUTEX(mig_hs_lock);
static unsigned int mig_hs_count;

static void mig_hs_work(struct work_struct *work)
{
	struct mig_pending_hs *hs = container_of(work, struct mig_pending_hs,
						 work);
	struct mig_node *peer = NULL;
	u8 flags = 0;
	int err;

	err = mig_handshake(hs->sock, &peer, &flags);

	mutex_lock(&mig_hs_lock);
	list_del(&hs->list);
	mig_hs_count--;
	mutex_unlock(&mig_hs_lock);

	if (err) {
		mig_stat_inc(MIG_STAT_CONN_DROPPED);
		kernel_sock_shutdown(hs->sock, SHUT_RDWR);
		sock_release(hs->sock);
	} else {
		mig_link_hand_over(peer, hs->sock, flags);
		mig_node_put(peer);
	}
	kfree(hs);
}

static void mig_hs_queue(struct socket *sock)
{
	struct mig_pending_hs *hs;

	hs = kzalloc(sizeof(*hs), GFP_KERNEL);
	if (!hs)
		goto drop;
	INIT_WORK(&hs->work, mig_hs_work);
	hs->sock = sock;

	mutex_lock(&mig_hs_lock);
	if (mig_hs_count >= MIG_MAX_PENDING_HS) {
		mutex_unlock(&mig_hs_lock);
		kfree(hs);
		goto drop;
	}
	list_add_tail(&hs->list, &mig_hs_pending);
	mig_hs_count++;
	mutex_unlock(&mig_hs_lock);

	mig_sock_set_timeouts(sock, MIG_HANDSHAKE_TIMEOUT_MS / 10,
			      MIG_SEND_TIMEOUT_MS);
	queue_work(mig_hs_wq, &hs->work);
	return;

drop:
	mig_stat_inc(MIG_STAT_CONN_DROPPED);
	sock_release(sock);
}

static int mig_listener(void *data)
{
	while (!kthread_should_stop()) {
		struct socket *sock;
		int err;

		err = kernel_accept(mig_listen_sock, &sock, 0);
		if (err == -EAGAIN)
			continue;	/* the half-second receive timeout */
		if (err) {
			/* Shut down on unload, or out of memory: don't spin. */
			msleep_interruptible(100);
			continue;
		}
		mig_stat_inc(MIG_STAT_CONN_ACCEPTED);
		if (!mig_auth_has_key()) {
			/* Without a key nothing is accepted: say nothing. */
			mig_stat_inc(MIG_STAT_NO_KEY);
			sock_release(sock);
			continue;
		}
		mig_hs_queue(sock);
	}
	return 0;
}

static int mig_listen_socket(struct socket **out)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_ANY),
		.sin_port = htons(mig_port),
	};
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		return err;
	sock_set_reuseaddr(sock->sk);
	/* accept() returns every half second to notice kthread_stop(). */
	mig_sock_set_timeouts(sock, 500, 500);
	err = kernel_bind(sock, (struct sockaddr *)&sin, sizeof(sin));
	if (err) {
		pr_err("cannot bind TCP port %u: %d (port in use? load with port=N)\n",
		       mig_port, err);
		goto err_release;
	}
	err = kernel_listen(sock, 64);
	if (err)
		goto err_release;
	*out = sock;
	return 0;

err_release:
	sock_release(sock);
	return err;
}

int mig_listener_start(void)
{
	struct task_struct *task;
	int err;

	mig_hs_wq = alloc_workqueue("mig_hs", WQ_UNBOUND, 0);
	if (!mig_hs_wq)
		return -ENOMEM;
	err = mig_listen_socket(&mig_listen_sock);
	if (err)
		goto err_wq;
	task = kthread_run(mig_listener, NULL, "mig_listen");
	if (IS_ERR(task)) {
		err = PTR_ERR(task);
		goto err_sock;
	}
	mig_listen_task = task;
	return 0;

err_sock:
	sock_release(mig_listen_sock);
	mig_listen_sock = NULL;
err_wq:
	destroy_workqueue(mig_hs_wq);
	mig_hs_wq = NULL;
	return err;
}

void mig_listener_stop(void)
{
	struct mig_pending_hs *hs;

	if (!mig_listen_task)
		return;
	kernel_sock_shutdown(mig_listen_sock, SHUT_RDWR);
	kthread_stop(mig_listen_task);
	mig_listen_task = NULL;
	sock_release(mig_listen_sock);
	mig_listen_sock = NULL;

	mutex_lock(&mig_hs_lock);
	list_for_each_entry(hs, &mig_hs_pending, list)
		kernel_sock_shutdown(hs->sock, SHUT_RDWR);
	mutex_unlock(&mig_hs_lock);
	/* Waits for every queued handshake to finish. */
	destroy_workqueue(mig_hs_wq);
	mig_hs_wq = NULL;
}

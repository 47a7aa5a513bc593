// SPDX-License-Identifier: GPL-2.0
/*
 * mig: guests, the processes that run here for another (home) node.
 *
 * A stream's BEGIN makes a new user process with the usermode-helper
 * machinery: it execs a harmless program (umh_path) and, before that
 * program's first instruction, a task_work replaces the whole process with
 * the one in the stream (restore.c). The helper's worker waits for the
 * guest to end and reports its wait status home, where the deputy exits
 * with it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/umh.h>
#include <linux/workqueue.h>

#include "mig.h"

static char *mig_umh_path = "/bin/true";
module_param_named(umh_path, mig_umh_path, charp, 0444);
MODULE_PARM_DESC(umh_path,
		 "Program a guest process starts from before it is replaced (default /bin/true)");

struct mig_guest {
	struct list_head list;		/* in mig_guests */
	struct work_struct work;
	struct callback_head restore_work;
	struct mig_chan *chan;
	u16 home_node;
	u32 home_pid;
	pid_t pid;
	u8 comm[MIG_COMM_LEN];
	unsigned long tramp;
	bool restore_ran;
	bool restored;
};

static LIST_HEAD(mig_guests);
static DEFINE_SPINLOCK(mig_guests_lock);
static struct workqueue_struct *mig_guest_wq;

static void mig_guest_set_comm(const u8 *comm)
{
	task_lock(current);
	strscpy_pad(current->comm, comm, sizeof(current->comm));
	task_unlock(current);
}

/* In the new process, after exec, before its first user instruction. */
static void mig_guest_restore(struct callback_head *cb)
{
	struct mig_guest *g = container_of(cb, struct mig_guest, restore_work);
	int err;

	/* The helper's exec failed: this runs from do_exit(), without an mm. */
	if (current->flags & PF_EXITING || !current->mm)
		return;
	g->restore_ran = true;
	err = mig_restore(g->chan, true, &g->tramp);
	if (!err) {
		mig_guest_set_comm(g->comm);
		g->restored = true;
		mig_stat_inc(MIG_STAT_MOVES_IN);
	}
	mig_chan_send_ctl(g->chan, MIG_MSG_MOVE_ACK, err ? -err : 0, g->pid);
	if (err) {
		pr_info("guest from node %u (pid %u) not restored: %d\n",
			g->home_node, g->home_pid, err);
		send_sig(SIGKILL, current, 1);
	}
}

static int mig_guest_umh_init(struct subprocess_info *info, struct cred *new)
{
	struct mig_guest *g = info->data;
	int err;

	init_task_work(&g->restore_work, mig_guest_restore);
	err = task_work_add(current, &g->restore_work, TWA_RESUME);
	if (err)
		return err;
	g->pid = task_pid_nr(current);
	mig_chan_set_task(g->chan, current);
	return 0;
}

static void mig_guest_free(struct mig_guest *g)
{
	spin_lock(&mig_guests_lock);
	list_del(&g->list);
	spin_unlock(&mig_guests_lock);
	mig_chan_set_task(g->chan, NULL);
	mig_chan_close(g->chan);
	kfree(g);
}

/* Runs the guest's whole life, then tells home how it ended. */
static void mig_guest_run(struct work_struct *work)
{
	struct mig_guest *g = container_of(work, struct mig_guest, work);
	/* The usermode-helper API takes non-const argv and envp. */
	char *argv[] = { mig_umh_path, NULL };
	char *envp[] = { "HOME=/", "PATH=/usr/bin:/bin", NULL };
	struct subprocess_info *info;
	int status = 0;

	info = call_usermodehelper_setup(mig_umh_path, argv, envp, GFP_KERNEL,
					 mig_guest_umh_init, NULL, g);
	if (info)
		status = call_usermodehelper_exec(info, UMH_WAIT_PROC);

	if (!g->restore_ran)
		mig_chan_send_ctl(g->chan, MIG_MSG_MOVE_ACK, ECHILD, 0);
	else if (g->restored)
		mig_chan_send_ctl(g->chan, MIG_MSG_EXIT, status, g->pid);
	mig_guest_free(g);
}

static void mig_guest_refuse(u16 peer, const struct mig_msg_begin *begin,
			     int err)
{
	struct mig_msg_ctl ack = {
		.mig_id = begin->mig_id,
		.value = cpu_to_be32(-err),
	};
	struct kvec vec = { &ack, sizeof(ack) };

	mig_stat_inc(MIG_STAT_BAD_STREAM);
	mig_link_sendv(peer, MIG_MSG_MOVE_ACK, &vec, 1);
}

/* A process arrives from its home node @peer. */
int mig_guest_begin(u16 peer, const struct mig_msg_begin *begin)
{
	struct mig_guest *g;
	struct mig_chan *chan;

	if (be16_to_cpu(begin->home_node) != peer || begin->reserved ||
	    be16_to_cpu(begin->flags)) {
		mig_guest_refuse(peer, begin, -EPROTO);
		return 0;
	}
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	chan = mig_chan_open(peer, be32_to_cpu(begin->mig_id));
	if (IS_ERR(chan)) {
		kfree(g);
		mig_guest_refuse(peer, begin, PTR_ERR(chan));
		return 0;
	}
	g->chan = chan;
	g->home_node = peer;
	g->home_pid = be32_to_cpu(begin->home_pid);
	memcpy(g->comm, begin->comm, sizeof(g->comm));
	g->comm[MIG_COMM_LEN - 1] = 0;
	INIT_WORK(&g->work, mig_guest_run);

	spin_lock(&mig_guests_lock);
	list_add_tail(&g->list, &mig_guests);
	spin_unlock(&mig_guests_lock);
	queue_work(mig_guest_wq, &g->work);
	return 0;
}

int mig_guest_ps(struct mig_ps_entry *e, int max)
{
	struct mig_guest *g;
	int n = 0;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list) {
		if (n == max)
			break;
		e[n].role = MIG_ROLE_GUEST;
		e[n].pid = g->pid;
		e[n].home_node = g->home_node;
		e[n].home_pid = g->home_pid;
		e[n].where = mig_node_id;
		e[n].state = g->restored ? MIG_PROC_RUNNING : MIG_PROC_MOVING;
		e[n].moves = 1;
		e[n].bytes_sent = 0;
		n++;
	}
	spin_unlock(&mig_guests_lock);
	return n;
}

int mig_guest_init(void)
{
	mig_guest_wq = alloc_workqueue("mig_guest", WQ_UNBOUND, 0);
	return mig_guest_wq ? 0 : -ENOMEM;
}

/* Guests die with their links (nodes_exit ran first); wait for them. */
void mig_guest_exit(void)
{
	struct mig_guest *g;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list)
		mig_chan_set_task(g->chan, NULL);
	spin_unlock(&mig_guests_lock);
	destroy_workqueue(mig_guest_wq);
}

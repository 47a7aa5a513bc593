// SPDX-License-Identifier: GPL-2.0
/*
 * mig: pinned processes, which the balancer never moves ("migctl pin",
 * "migctl exec --pin"). Moving them by hand still works. A process of this
 * node is pinned here, by its struct pid, wherever it runs; when it runs
 * elsewhere the node running it is told (a PIN message, and a flag in the
 * BEGIN of every later move), because that node's balancer is the one that
 * could send it home. A guest can be pinned on the node it runs on too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "balance.h"
#include "mig.h"

struct mig_pinned {
	struct list_head list;
	struct pid *pid;		/* its thread group, referenced */
};

/* Enough for every process of a node that an admin would pin by hand. */
#define MIG_MAX_PINNED		4096

static LIST_HEAD(mig_pinned_list);
static DEFINE_SPINLOCK(mig_pinned_lock);
static unsigned int mig_nr_pinned;

static struct mig_pinned *mig_pinned_find(struct pid *pid)
{
	struct mig_pinned *p;

	lockdep_assert_held(&mig_pinned_lock);
	list_for_each_entry(p, &mig_pinned_list, list)
		if (p->pid == pid)
			return p;
	return NULL;
}

bool mig_pin_test(struct task_struct *task)
{
	struct pid *pid = task_tgid(task);
	bool pinned;

	spin_lock(&mig_pinned_lock);
	pinned = mig_pinned_find(pid);
	spin_unlock(&mig_pinned_lock);
	return pinned;
}

/* The same, by pid number: for "migctl ps" of processes away. */
bool mig_pin_test_pid(pid_t nr)
{
	struct pid *pid;
	bool pinned;

	rcu_read_lock();
	pid = find_vpid(nr);
	spin_lock(&mig_pinned_lock);
	pinned = pid && mig_pinned_find(pid);
	spin_unlock(&mig_pinned_lock);
	rcu_read_unlock();
	return pinned;
}

static int mig_pin_add(struct pid *pid)
{
	struct mig_pinned *p = kzalloc(sizeof(*p), GFP_KERNEL);
	int err = 0;

	if (!p)
		return -ENOMEM;
	spin_lock(&mig_pinned_lock);
	if (mig_pinned_find(pid)) {
		err = -EEXIST;
	} else if (mig_nr_pinned >= MIG_MAX_PINNED) {
		err = -ENOSPC;
	} else {
		p->pid = get_pid(pid);
		list_add_tail(&p->list, &mig_pinned_list);
		mig_nr_pinned++;
		p = NULL;
	}
	spin_unlock(&mig_pinned_lock);
	kfree(p);
	return err == -EEXIST ? 0 : err;
}

static void mig_pin_del(struct pid *pid)
{
	struct mig_pinned *p;

	spin_lock(&mig_pinned_lock);
	p = mig_pinned_find(pid);
	if (p) {
		list_del(&p->list);
		mig_nr_pinned--;
	}
	spin_unlock(&mig_pinned_lock);
	if (p) {
		put_pid(p->pid);
		kfree(p);
	}
}

/* Tells the node running deputy @task's process about its pin. */
static void mig_pin_tell(struct task_struct *task, bool pinned)
{
	struct mig_msg_ctl ctl = { .value = cpu_to_be32(pinned) };
	u16 where;
	u32 id;

	if (!mig_deputy_where(task_tgid_nr(task), &where, &id))
		return;
	ctl.mig_id = cpu_to_be32(id);
	mig_link_post(where, MIG_MSG_PIN, &ctl, sizeof(ctl));
}

/* "migctl pin/unpin PID": the caller may move @pid_nr. */
int mig_pin_set(u32 pid_nr, bool pinned, const char **why)
{
	struct task_struct *task = mig_get_task(pid_nr, why);
	int err = 0;

	if (!task)
		return -ESRCH;
	if (!mig_may_move(task)) {
		*why = "not permitted: not your process";
		err = -EPERM;
	} else if (task->flags & PF_KTHREAD) {
		*why = "kernel threads never move";
		err = -EINVAL;
	} else if (mig_guest_set_pinned_local(task_tgid_nr(task), pinned)) {
		/* A guest here: pinned where it runs. */
	} else if (pinned) {
		err = mig_pin_add(task_tgid(task));
		if (err == -ENOSPC)
			*why = "too many pinned processes (4096)";
		else if (err)
			*why = "out of memory";
	} else {
		mig_pin_del(task_tgid(task));
	}
	if (!err)
		mig_pin_tell(task, pinned);
	put_task_struct(task);
	return err;
}

/* The processes pinned here that run here: "migctl ps" lists them too. */
int mig_pin_ps(struct mig_ps_entry *e, int max)
{
	struct mig_pinned *p;
	int n = 0;
	u16 where;

	spin_lock(&mig_pinned_lock);
	list_for_each_entry(p, &mig_pinned_list, list) {
		pid_t nr = pid_vnr(p->pid);

		if (n == max)
			break;
		/* One that runs elsewhere is listed as a deputy. */
		if (!nr || !pid_has_task(p->pid, PIDTYPE_TGID) ||
		    mig_deputy_where(nr, &where, NULL))
			continue;
		memset(&e[n], 0, sizeof(e[n]));
		e[n].role = MIG_ROLE_LOCAL;
		e[n].state = MIG_PROC_HOME;
		e[n].pid = nr;
		e[n].home_node = mig_node_id;
		e[n].home_pid = nr;
		e[n].where = mig_node_id;
		e[n].pinned = true;
		n++;
	}
	spin_unlock(&mig_pinned_lock);
	return n;
}

/* Forgets processes that ended; from the balancer's tick. */
void mig_pin_prune(void)
{
	struct mig_pinned *p, *tmp;
	LIST_HEAD(gone);

	spin_lock(&mig_pinned_lock);
	list_for_each_entry_safe(p, tmp, &mig_pinned_list, list) {
		if (pid_has_task(p->pid, PIDTYPE_TGID))
			continue;
		list_move(&p->list, &gone);
		mig_nr_pinned--;
	}
	spin_unlock(&mig_pinned_lock);
	list_for_each_entry_safe(p, tmp, &gone, list) {
		put_pid(p->pid);
		kfree(p);
	}
}

/* Home (un)pins its process that runs here. */
static int mig_pin_rx(struct mig_node *node, struct mig_rx *rx)
{
	const struct mig_msg_ctl *ctl = (const void *)rx->payload;
	u32 value = be32_to_cpu(ctl->value);

	if (value > 1 || ctl->pid || ctl->reserved ||
	    !mig_guest_set_pinned(node->id, be32_to_cpu(ctl->mig_id), value))
		mig_stat_inc(MIG_STAT_BAD_STREAM);
	return 0;
}

static const struct mig_msg_handler mig_pin_msgs[] = {
	{ MIG_MSG_FIXED(MIG_MSG_PIN, struct mig_msg_ctl),
	  .owner = "pin", .rx = mig_pin_rx },
};

int mig_pin_init(void)
{
	return mig_msg_register(mig_pin_msgs, ARRAY_SIZE(mig_pin_msgs));
}

void mig_pin_exit(void)
{
	struct mig_pinned *p, *tmp;

	mig_msg_unregister(mig_pin_msgs, ARRAY_SIZE(mig_pin_msgs));
	list_for_each_entry_safe(p, tmp, &mig_pinned_list, list) {
		put_pid(p->pid);
		kfree(p);
	}
	INIT_LIST_HEAD(&mig_pinned_list);
	mig_nr_pinned = 0;
}

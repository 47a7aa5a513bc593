// SPDX-License-Identifier: GPL-2.0
/*
 * mig: moving a process away from its home node, and the deputy it leaves.
 *
 * "migctl move PID NODE" queues a task_work on the process with
 * TWA_SIGNAL: whether it spins in user mode or sleeps in a system call, it
 * runs the work on its way back to user mode, in its own context, where
 * its registers, FPU state and memory are at hand (capture.c). Once the
 * destination says the process runs there, the same task stays behind as
 * the deputy under the same pid: it waits for the guest's end and then ends
 * the same way, so its parent's wait() sees the guest's status. If anything
 * fails before that, the work simply returns and the process goes on at
 * home as if nothing happened.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "mig.h"

#define MIG_MOVE_TIMEOUT	(120 * HZ)
#define MIG_ACK_TIMEOUT		(60 * HZ)

struct mig_move_req {
	struct callback_head work;
	struct kref ref;
	struct completion done;
	u16 dest;
	int result;
	const char *why;
	bool cancelled;
};

struct mig_deputy {
	struct list_head list;		/* in mig_deputies */
	struct mig_chan *chan;
	pid_t pid;
	u16 where;
	u32 moves;
	u64 bytes_sent;
};

static LIST_HEAD(mig_deputies);
static DEFINE_SPINLOCK(mig_deputies_lock);
static atomic_t mig_next_id = ATOMIC_INIT(0);

static void mig_req_free(struct kref *ref)
{
	kfree(container_of(ref, struct mig_move_req, ref));
}

static bool mig_is_deputy(pid_t pid)
{
	struct mig_deputy *d;
	bool found = false;

	spin_lock(&mig_deputies_lock);
	list_for_each_entry(d, &mig_deputies, list)
		found |= d->pid == pid;
	spin_unlock(&mig_deputies_lock);
	return found;
}

/* Ends the deputy the way its process ended at the destination. */
static void mig_deputy_finish(int status)
{
	int sig = status & 0x7f;

	if (sig) {
		kernel_sigaction(sig, SIG_DFL);
		force_sig(sig);
		return;
	}
	if (mig_exit_via_stub((status >> 8) & 0xff))
		force_sig(SIGKILL);
}

/*
 * Signals sent to the pid at home are for the process, which runs
 * elsewhere: take them off the deputy and send them on. Its handlers,
 * its mask and its default actions apply there.
 */
static void mig_deputy_relay_signals(struct mig_deputy *dep)
{
	sigset_t all;

	sigemptyset(&all);
	for (;;) {
		kernel_siginfo_t info;
		enum pid_type type;
		int sig;

		spin_lock_irq(&current->sighand->siglock);
		sig = dequeue_signal(current, &all, &info, &type);
		spin_unlock_irq(&current->sighand->siglock);
		if (sig <= 0)
			break;
		mig_chan_send_ctl(dep->chan, MIG_MSG_KILL, sig, 0);
	}
}

/*
 * The deputy: waits, in the process's own context at home, until the
 * guest ends, the link to it fails, or the process is killed here.
 */
static void mig_deputy_run(struct mig_deputy *dep)
{
	int status = SIGKILL;

	mig_unmap_all();
	for (;;) {
		struct mig_frame *f = mig_chan_recv_any(dep->chan,
							MAX_SCHEDULE_TIMEOUT,
							true);

		if (PTR_ERR(f) == -EINTR && fatal_signal_pending(current)) {
			/* SIGKILL at home: take the guest along. */
			mig_chan_send_ctl(dep->chan, MIG_MSG_KILL, SIGKILL, 0);
			status = SIGKILL;
			break;
		}
		if (PTR_ERR(f) == -EINTR) {
			mig_deputy_relay_signals(dep);
			continue;
		}
		if (IS_ERR(f)) {
			if (PTR_ERR(f) == -ETIMEDOUT)
				continue;
			pr_warn("pid %d: link to node %u lost, process killed\n",
				dep->pid, dep->where);
			break;
		}
		if (f->type == MIG_MSG_EXIT) {
			const struct mig_msg_ctl *ctl = f->data;

			status = be32_to_cpu(ctl->value) & 0xffff;
			mig_frame_free(f);
			break;
		}
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		mig_frame_free(f);
	}

	spin_lock(&mig_deputies_lock);
	list_del(&dep->list);
	spin_unlock(&mig_deputies_lock);
	mig_chan_close(dep->chan);
	kfree(dep);
	mig_deputy_finish(status);
}

static int mig_wait_ack(struct mig_chan *chan)
{
	struct mig_frame *f = mig_chan_recv(chan, MIG_ACK_TIMEOUT);
	int err;

	if (IS_ERR(f))
		return PTR_ERR(f);
	if (f->type == MIG_MSG_MOVE_ACK)
		err = -(int)min_t(u32, be32_to_cpu(((struct mig_msg_ctl *)
						   f->data)->value), 4095);
	else
		err = -EPROTO;
	mig_frame_free(f);
	return err;
}

static void mig_move_done(struct mig_move_req *req, int result,
			  const char *why)
{
	req->result = result;
	req->why = why;
	complete(&req->done);
	kref_put(&req->ref, mig_req_free);
}

static const char *mig_explain(int err)
{
	switch (err) {
	case -EBUSY:
		return "a writable shared mapping (shared memory) pins the process here";
	case -EAGAIN:
		return "the process sleeps in a call that cannot restart elsewhere; try again";
	case -ENOLINK:
	case -EHOSTUNREACH:
		return "the link to the destination failed during the move";
	case -ETIMEDOUT:
		return "the destination did not answer in time";
	case -ECHILD:
		return "the destination could not start a process (check its umh_path)";
	case -ENOENT:
	case -ESTALE:
		return "a file the process maps is missing or different at the destination";
	default:
		return "the move failed; the process goes on here";
	}
}

/* Runs in the process that moves, on its way back to user mode. */
static void mig_move_work(struct callback_head *work)
{
	struct mig_move_req *req = container_of(work, struct mig_move_req, work);
	struct mig_capture_info info = {
		.home_node = mig_node_id,
		.home_pid = task_tgid_nr(current),
	};
	struct mig_deputy *dep;
	struct mig_chan *chan;
	int err;

	if (READ_ONCE(req->cancelled) || fatal_signal_pending(current)) {
		mig_move_done(req, -ECANCELED, "move cancelled");
		return;
	}
	dep = kzalloc(sizeof(*dep), GFP_KERNEL);
	chan = mig_chan_open(req->dest, atomic_inc_return(&mig_next_id));
	if (!dep || IS_ERR(chan)) {
		kfree(dep);
		if (!IS_ERR(chan))
			mig_chan_close(chan);
		mig_move_done(req, -ENOMEM, "out of memory");
		return;
	}

	err = mig_capture_send(chan, &info);
	if (!err)
		err = mig_wait_ack(chan);
	if (err) {
		mig_chan_send_ctl(chan, MIG_MSG_MOVE_ABORT, 0, 0);
		mig_chan_close(chan);
		kfree(dep);
		mig_stat_inc(MIG_STAT_MOVES_FAILED);
		pr_info("pid %d stays home: move to node %u failed: %d\n",
			info.home_pid, req->dest, err);
		mig_move_done(req, err, mig_explain(err));
		return;
	}

	mig_stat_inc(MIG_STAT_MOVES_OUT);
	dep->chan = chan;
	dep->pid = info.home_pid;
	dep->where = req->dest;
	dep->moves = 1;
	dep->bytes_sent = info.bytes_sent;
	spin_lock(&mig_deputies_lock);
	list_add_tail(&dep->list, &mig_deputies);
	spin_unlock(&mig_deputies_lock);
	mig_move_done(req, 0, NULL);
	mig_deputy_run(dep);
}

/* The caller may move what it may signal (same uid), or has CAP_SYS_ADMIN. */
static bool mig_may_move(struct task_struct *task)
{
	const struct cred *cred = current_cred(), *tcred;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(cred->euid, tcred->suid) || uid_eq(cred->euid, tcred->uid) ||
	     uid_eq(cred->uid, tcred->suid) || uid_eq(cred->uid, tcred->uid);
	rcu_read_unlock();
	return ok || capable(CAP_SYS_ADMIN);
}

static int mig_check_movable(struct task_struct *task, const char **why)
{
	if (!mig_may_move(task)) {
		*why = "not permitted: not your process";
		return -EPERM;
	}
	if (task->flags & PF_KTHREAD) {
		*why = "kernel threads do not move";
		return -EINVAL;
	}
	if (is_global_init(task) || task_tgid_nr(task) == 1) {
		*why = "init does not move";
		return -EPERM;
	}
	if (get_nr_threads(task) > 1) {
		*why = "multi-threaded processes do not move yet";
		return -EBUSY;
	}
	if (!task->mm || task->flags & PF_EXITING) {
		*why = "the process is exiting";
		return -ESRCH;
	}
	if (!list_empty(&task->sysvshm.shm_clist)) {
		*why = "the process has SysV shared memory attached";
		return -EBUSY;
	}
	return 0;
}

static int mig_check_dest(u32 dest, bool away, const char **why)
{
	if (away) {
		*why = dest ? "moving on from a destination is not supported yet" :
			      "bringing a process home is not supported yet";
		return -EOPNOTSUPP;
	}
	if (!dest) {
		*why = "the process is at home already";
		return -EINVAL;
	}
	if (dest == mig_node_id) {
		*why = "that is this node";
		return -EINVAL;
	}
	if (!mig_link_is_up(dest)) {
		struct mig_node *node = mig_node_get(dest);

		if (!node) {
			*why = "unknown node";
			return -ENOENT;
		}
		mig_node_put(node);
		*why = "the link to that node is not up";
		return -EHOSTUNREACH;
	}
	return 0;
}

static int mig_move_task(struct task_struct *task, u16 dest, const char **why)
{
	struct mig_move_req *req;
	long left;
	int err;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	kref_init(&req->ref);
	kref_get(&req->ref);		/* one for the task_work */
	init_completion(&req->done);
	req->dest = dest;
	init_task_work(&req->work, mig_move_work);

	err = task_work_add(task, &req->work, TWA_SIGNAL);
	if (err) {
		kref_put(&req->ref, mig_req_free);
		kref_put(&req->ref, mig_req_free);
		*why = "the process is exiting";
		return -ESRCH;
	}
	left = wait_for_completion_killable_timeout(&req->done,
						    MIG_MOVE_TIMEOUT);
	if (left <= 0) {
		WRITE_ONCE(req->cancelled, true);
		err = left ? -EINTR : -ETIMEDOUT;
		*why = "the process did not reach a safe point in time (stopped?)";
	} else {
		err = req->result;
		*why = req->why;
	}
	kref_put(&req->ref, mig_req_free);
	return err;
}

int mig_move(u32 pid, u32 dest, const char **why)
{
	struct task_struct *task;
	int err;

	rcu_read_lock();
	task = pid_task(find_vpid(pid), PIDTYPE_PID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	if (!task) {
		*why = "no such process";
		return -ESRCH;
	}
	err = mig_check_movable(task, why);
	if (!err)
		err = mig_check_dest(dest, mig_is_deputy(task_tgid_nr(task)),
				     why);
	if (!err)
		err = mig_move_task(task, dest, why);
	put_task_struct(task);
	return err;
}

int mig_deputy_ps(struct mig_ps_entry *e, int max)
{
	struct mig_deputy *d;
	int n = 0;

	spin_lock(&mig_deputies_lock);
	list_for_each_entry(d, &mig_deputies, list) {
		if (n == max)
			break;
		e[n].role = MIG_ROLE_DEPUTY;
		e[n].pid = d->pid;
		e[n].home_node = mig_node_id;
		e[n].home_pid = d->pid;
		e[n].where = d->where;
		e[n].state = MIG_PROC_AWAY;
		e[n].moves = d->moves;
		e[n].bytes_sent = d->bytes_sent;
		n++;
	}
	spin_unlock(&mig_deputies_lock);
	return n;
}

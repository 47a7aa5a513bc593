// SPDX-License-Identifier: GPL-2.0
/*
 * mig: moving a process away from its home node, and calling it back.
 *
 * "migctl move PID NODE" queues a task_work on the process with
 * TWA_SIGNAL: whether it spins in user mode or sleeps in a system call, it
 * runs the work on its way back to user mode, in its own context, where
 * its registers, FPU state and memory are at hand (capture.c). Once the
 * destination says the process runs there, the same task stays behind as
 * the deputy under the same pid (deputy.c). If anything fails before
 * that, the work simply returns and the process goes on at home as if
 * nothing happened. For a process that runs elsewhere, the same command
 * asks its node to send it home (RECALL), or on through home to NODE.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "mig.h"
#include "syscall_hook.h"
#include "trace.h"

#define MIG_MOVE_TIMEOUT	(120 * HZ)
/* A process away may pre-copy its way back: give it longer. */
#define MIG_RECALL_TIMEOUT	(600 * HZ)

struct mig_move_req {
	struct callback_head work;
	struct kref ref;
	struct completion done;
	u16 dest;
	int result;
	const char *why;
	bool cancelled;
	bool started;		/* the process is being sent */
	struct mig_live *live;	/* pre-copied: the rest to send */
	u64 freeze_us;		/* from the stop until it ran there */
	u64 bytes_sent;		/* by the stopped process */
	bool live_used;		/* the rest went on the live channel */
};


static void mig_req_free(struct kref *ref)
{
	struct mig_move_req *req = container_of(ref, struct mig_move_req, ref);

	if (req->live)
		mig_live_end(req->live, NULL);
	kfree(req);
}

static const struct mig_policy_ops *mig_policy_ops;

/* A policy (balance.c) registers what the move code must ask it. */
void mig_policy_set(const struct mig_policy_ops *ops)
{
	WRITE_ONCE(mig_policy_ops, ops);
}

const struct mig_policy_ops *mig_policy(void)
{
	return READ_ONCE(mig_policy_ops);
}

/* BEGIN's flags for @task: whether it stays out of automatic moves. */
u16 mig_begin_flags(struct task_struct *task)
{
	const struct mig_policy_ops *ops = mig_policy();

	return ops && ops->pinned && ops->pinned(task) ? MIG_BEGIN_PINNED : 0;
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
	case -ENOMEM:
		return "out of memory";
	case -EOVERFLOW:
		return "the process has more supplementary groups than move (64)";
	case -EBUSY:
		return "a writable shared mapping (shared memory) pins the process here";
	case -EAGAIN:
		return "the process sleeps in a call that cannot restart elsewhere; try again";
	case -EUSERS:
		return "the destination runs as many guests of this node as its peer_max_guests allows";
	case -ENOBUFS:
		return "the destination takes no more moves from this node at once (peer_max_incoming)";
	case -ENOMEDIUM:
		return "the destination cannot put guests in their cgroup (its guest_cgroup knob; is cgroup2 mounted at /sys/fs/cgroup there?)";
	case -ENOLINK:
	case -EHOSTUNREACH:
	case -EIO:
	case -ECONNRESET:
	case -EPIPE:
		return "the link to the destination failed during the move";
	case -ETIMEDOUT:
		return "the destination did not answer in time";
	case -ECHILD:
		return "the destination could not start a process (check its umh_path)";
	case -ENOENT:
	case -ESTALE:
		return "a file the process maps is missing or different at the destination";
	case -ECONNREFUSED:
		return "the destination accepts no new guests (its block or expel knob is set, or mig is being unloaded there)";
	case -EEXIST:
		return "the destination has a process under the same id; try again";
	case -EPERM:
		return "the destination refuses the process's credentials (a root id or capabilities need accept_root=1 there)";
	case -ELOOP:
	case -ENODEV:
		return "a file the process maps is a symbolic link or not a regular file at the destination";
	default:
		return "the move failed; the process goes on here";
	}
}

/*
 * The channel the rest goes on: that of the pre-copy if the rounds still
 * hold (the process did not exec since), else a new one.
 */
static struct mig_chan *mig_away_chan(u16 dest, struct mig_live *live,
				      struct mig_capture_info *info)
{
	struct mig_chan *chan;

	if (live && mig_live_usable(live)) {
		chan = mig_live_take_chan(live);
		if (chan) {
			info->flags |= MIG_BEGIN_LIVE;
			info->begun = true;
			info->hooks = &mig_live_capture_hooks;
			info->hooks_ctx = live;
			return chan;
		}
	}
	return mig_chan_open_new(dest);
}

/*
 * Sends current to @dest, after the pre-copy @live if there was one. On
 * success it is registered as a deputy, still to enter its stub; on
 * error nothing of it has changed.
 */
static int mig_send_away(u16 dest, struct mig_live *live,
			 struct mig_park *park, struct mig_deputy **depp,
			 u64 *bytes)
{
	struct mig_capture_info info = {
		.home_node = mig_node_id,
		.home_pid = task_tgid_nr(current),
		.flags = mig_begin_flags(current),
		.park = park,
	};
	struct mig_deputy *dep;
	struct mig_chan *chan;
	int err;

	dep = mig_deputy_alloc();
	if (!dep)
		return -ENOMEM;
	/* Each other thread: a deputy, with a channel of its own. */
	err = park ? mig_deputy_alloc_threads(dep, park, dest) : 0;
	if (err) {
		mig_deputy_free(dep);
		return err;
	}
	chan = mig_away_chan(dest, live, &info);
	if (IS_ERR(chan)) {
		mig_deputy_free(dep);
		return PTR_ERR(chan);
	}

	{
		ktime_t t0 = ktime_get(), t1;

		err = mig_capture_send(chan, &info);
		t1 = ktime_get();
		if (!err)
			err = mig_capture_wait_ack(chan, &info);
		pr_debug("pid %d: sent in %lld us, running there %lld us later, %llu bytes\n",
			 info.home_pid,
			ktime_us_delta(t1, t0), ktime_us_delta(ktime_get(), t1),
			info.bytes_sent);
	}
	*bytes = info.bytes_sent;
	if (err) {
		mig_chan_send_ctl(chan, MIG_MSG_MOVE_ABORT, 0, 0);
		mig_chan_close(chan);
		mig_deputy_free(dep);
		mig_stat_inc(MIG_STAT_MOVES_FAILED);
		pr_info("pid %d stays home: move to node %u failed: %d\n",
			info.home_pid, dest, err);
		return err;
	}

	mig_stat_inc(MIG_STAT_MOVES_OUT);
	if (info.hooks) {
		info.bytes_sent += mig_live_bytes_sent(live);
		mig_live_count(live);
	}
	mig_deputy_add(dep, chan, dest, info.bytes_sent);
	*depp = dep;
	return 0;
}

/*
 * Sends current to @dest; once there, current becomes its deputy, or
 * *enter_err says why it could not.
 */
static int mig_leave(u16 dest, struct mig_live *live, struct mig_park *park,
		     struct mig_deputy **depp, int *enter_err, u64 *bytes)
{
	int err;

	/* The deputy's syscall hook is armed while the memory travels. */
	mig_hook_hold();
	err = mig_send_away(dest, live, park, depp, bytes);
	if (!err) {
		mig_state_left();	/* its timers went with it */
		*enter_err = mig_deputy_enter(*depp);
		/* Half a deputy: both ends die (mig_deputy_stay()). */
		if (*enter_err && park)
			send_sig(SIGKILL, current, 1);
	}
	/* Its other threads stay as they were, or become deputies. */
	mig_park_release(park, err);
	mig_hook_release();
	return err;
}

/*
 * Runs in the process that moves, on its way back to user mode. It was
 * checked when the move was asked for, but it ran since: a thread or a
 * CLONE_VM child made in a clone() under way then refuses it here.
 */
static void mig_move_run(struct mig_move_req *req)
{
	ktime_t stopped = ktime_get();
	struct mig_deputy *dep;
	struct mig_park *park;
	const char *why = NULL;
	int err, enter_err;

	if (READ_ONCE(req->cancelled) || fatal_signal_pending(current) ||
	    current->flags & PF_EXITING) {
		mig_move_done(req, -ECANCELED, "move cancelled");
		return;
	}
	if (mig_in_vdso()) {
		mig_move_done(req, -EINPROGRESS, NULL);	/* again soon */
		return;
	}
	/* It may have chrooted, taken a filter or a thread since migctl checked. */
	err = mig_check_confined(current, &why);
	if (!err)
		err = mig_check_alone(current, &why);
	if (!err)
		err = mig_check_kernel_state(current, &why);
	if (err) {
		mig_move_done(req, err, why);
		return;
	}
	/*
	 * Continued after a stop, the process may run this from the resume
	 * work rather than from get_signal(), with the TWA_SIGNAL flag still
	 * set: as a pending signal it would cut every send short. Works
	 * queued with it run in this same task_work_run() anyway.
	 */
	clear_notify_signal();
	/* Its other threads stop too, each where it is (threads.c). */
	park = mig_park_others(&mig_deputy_park_ops, NULL, &why);
	if (IS_ERR(park)) {
		err = PTR_ERR(park);
		if (err == -EINTR && !fatal_signal_pending(current))
			err = -EAGAIN;
		mig_move_done(req, err, why ?: mig_explain(err));
		return;
	}
	WRITE_ONCE(req->started, true);
	/* Ready to relay signals before migctl returns. */
	err = mig_leave(req->dest, req->live, park, &dep, &enter_err,
			&req->bytes_sent);
	if (err) {
		mig_move_done(req, err, mig_explain(err));
		return;
	}
	req->freeze_us = ktime_us_delta(ktime_get(), stopped);
	mig_move_done(req, 0, NULL);
	mig_deputy_stay(dep, enter_err);
}

/* The task_work: it holds a module reference from its queueing on. */
static void mig_move_work(struct callback_head *work)
{
	mig_move_run(container_of(work, struct mig_move_req, work));
	mig_work_put();
}

/*
 * Moves current, from its own context on its way to user mode, with
 * nobody waiting for the answer (placement at exec). On error it goes on
 * here.
 */
int mig_move_current(u16 dest)
{
	struct mig_deputy *dep;
	const char *why;
	int err, enter_err;
	u64 bytes;

	if (fatal_signal_pending(current))
		return -ECANCELED;
	err = mig_check_alone(current, &why);
	if (err)
		return err;
	err = mig_leave(dest, NULL, NULL, &dep, &enter_err, &bytes);
	if (!err)
		mig_deputy_stay(dep, enter_err);
	return err;
}

/*
 * Whether another process uses @task's memory: a vfork child and its
 * parent, a CLONE_VM child, a kernel thread working in it. Each holds
 * mm_users, but so do brief users (a /proc reader): only a process found
 * with the same mm counts.
 */
static bool mig_mm_shared(struct task_struct *task)
{
	struct mm_struct *mm = READ_ONCE(task->mm);
	struct task_struct *p;
	bool shared = false;

	if (!mm || atomic_read(&mm->mm_users) <= get_nr_threads(task))
		return false;
	rcu_read_lock();
	for_each_process(p) {
		if (!same_thread_group(p, task) && READ_ONCE(p->mm) == mm) {
			shared = true;
			break;
		}
	}
	rcu_read_unlock();
	return shared;
}

/*
 * Only one task's state moves: the process must be alone in its memory
 * and its SysV segments. Checked when a move is asked for, and again by
 * the process itself just before it is captured.
 */
int mig_check_alone(struct task_struct *task, const char **why)
{
	if (get_nr_threads(task) > MIG_THREADS_MAX) {
		*why = "the process has more threads than move (256)";
		return -E2BIG;
	}
	if (mig_mm_shared(task)) {
		*why = "the process shares its memory with another process (vfork, CLONE_VM)";
		return -EBUSY;
	}
	if (!list_empty(&task->sysvshm.shm_clist)) {
		*why = "the process has SysV shared memory attached";
		return -EBUSY;
	}
	return 0;
}

/*
 * Whether @task, whoever asks, is in a state to move: 0, or -errno and
 * *why.
 */
int mig_check_task_state(struct task_struct *task, const char **why)
{
	int err;

	if (task->flags & PF_KTHREAD) {
		*why = "kernel threads do not move";
		return -EINVAL;
	}
	if (is_global_init(task) || task_tgid_nr(task) == 1) {
		*why = "init does not move";
		return -EPERM;
	}
	if (task->exit_state && !thread_group_empty(task)) {
		*why = "the process's main thread has ended (its other threads run on): such a process does not move";
		return -EBUSY;
	}
	if (!task->mm || task->flags & PF_EXITING) {
		*why = "the process is exiting";
		return -ESRCH;
	}
	err = mig_check_alone(task, why);
	if (!err)
		err = mig_check_confined(task, why);
	return err ?: mig_check_kernel_state(task, why);
}

/* May current move @task, and may @task move now? */
int mig_check_movable(struct task_struct *task, const char **why)
{
	if (!mig_may_move(task)) {
		*why = "not permitted: you may not ptrace the process (another user's, or setuid); CAP_SYS_PTRACE may";
		return -EPERM;
	}
	return mig_check_task_state(task, why);
}

int mig_check_dest(u32 dest, bool away, const char **why)
{
	const struct mig_policy_ops *ops;

	if (away && !dest)
		return 0;
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
	ops = mig_policy();
	return ops && ops->check_dest ? ops->check_dest(dest, why) : 0;
}

/*
 * Queues the move on @task, with a reference on the request and one on
 * the module: the work runs even if nobody waits for it any more (migctl
 * killed while the process is stopped), and rmmod must wait for that.
 */
static int mig_move_queue(struct task_struct *task, struct mig_move_req *req)
{
	if (!mig_work_get())
		return -ESRCH;
	kref_get(&req->ref);
	reinit_completion(&req->done);
	init_task_work(&req->work, mig_move_work);
	if (!task_work_add(task, &req->work, TWA_SIGNAL))
		return 0;
	kref_put(&req->ref, mig_req_free);
	mig_work_put();
	return -ESRCH;
}

/*
 * The pre-copy rounds of a live move, while @task runs: 0 with *live set
 * for the final stop, or 0 with *live NULL when it moves stopped
 * (small, asked so, or the rounds could not hold), or the error that
 * leaves it here.
 */
static int mig_move_precopy(struct task_struct *task, u16 dest, u8 mode,
			    struct mig_live **livep, const char **why)
{
	struct mig_live_target to = {
		.peer = dest,
		.home_node = mig_node_id,
		.home_pid = task_tgid_nr(task),
		.flags = mig_begin_flags(task) | MIG_BEGIN_LIVE,
	};
	struct mig_live *live = mig_live_start(task, &to, mode, why);
	int err;

	*livep = NULL;
	if (IS_ERR_OR_NULL(live))
		return PTR_ERR_OR_ZERO(live);
	err = mig_live_precopy(live, why);
	if (err) {
		mig_live_end(live, NULL);
		if (err == -ESTALE)
			return 0;	/* it moves stopped, from scratch */
		mig_stat_inc(MIG_STAT_MOVES_FAILED);
		pr_info("pid %d stays home: pre-copy to node %u failed: %d\n",
			task_tgid_nr(task), dest, err);
		if (!*why)
			*why = mig_explain(err);
		return err;
	}
	*livep = live;
	return 0;
}

static void mig_move_report(struct mig_move_req *req,
			    struct mig_move_report *rep, ktime_t start)
{
	struct mig_live *live = req->live;

	if (!rep)
		return;
	memset(rep, 0, sizeof(*rep));
	rep->valid = true;
	rep->freeze_us = req->freeze_us;
	rep->bytes_sent = req->bytes_sent;
	rep->how = MIG_MOVED_STOP_COPY;
	if (live) {
		req->live = NULL;
		mig_live_end(live, rep);
	}
	rep->elapsed_us = ktime_us_delta(ktime_get(), start);
}

static int mig_move_task(struct task_struct *task, u16 dest, u8 mode,
			 struct mig_move_report *rep, const char **why)
{
	unsigned long deadline;
	struct mig_move_req *req;
	ktime_t start = ktime_get();
	long left;
	int err;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	kref_init(&req->ref);
	init_completion(&req->done);
	req->dest = dest;
	err = mig_move_precopy(task, dest, mode, &req->live, why);
	if (err) {
		kref_put(&req->ref, mig_req_free);
		return err;
	}
	deadline = jiffies + MIG_MOVE_TIMEOUT;
	/* Caught inside the vDSO, it is asked again a moment later. */
	do {
		err = mig_move_queue(task, req);
		if (err) {
			kref_put(&req->ref, mig_req_free);
			*why = "the process is exiting";
			return err;
		}
		left = wait_for_completion_killable_timeout(&req->done,
							    max_t(long, deadline - jiffies, 1));
		/*
		 * The limit is on reaching a safe point; a transfer under way
		 * has timeouts of its own (the link's, the ACK's).
		 */
		if (!left && READ_ONCE(req->started))
			left = wait_for_completion_killable(&req->done) ? -EINTR : 1;
		if (left <= 0 && READ_ONCE(req->started)) {
			err = -EINTR;
			*why = "interrupted while the process was being sent; see migctl ps";
			break;
		}
		if (left <= 0) {
			WRITE_ONCE(req->cancelled, true);
			err = left ? -EINTR : -ETIMEDOUT;
			*why = "the process did not reach a safe point in time (stopped?)";
			break;
		}
		err = req->result;
		*why = req->why;
		if (err == -EINPROGRESS)
			schedule_timeout_killable(1);
	} while (err == -EINPROGRESS && time_before(jiffies, deadline));
	if (err == -EINPROGRESS) {
		err = -ETIMEDOUT;
		*why = "the process did not reach a safe point in time (stopped?)";
	}
	/* Else the work may still run: the request's end ends the pre-copy. */
	if (left > 0)
		mig_move_report(req, rep, start);
	kref_put(&req->ref, mig_req_free);
	return err;
}

/*
 * A direct onward move: node @onward is told to await process @pid from
 * node @where (BEGIN with AWAIT, on a channel of home's own, whose id is
 * the ticket the RECALL carries). Returns that channel.
 */
static struct mig_chan *mig_recall_await(struct task_struct *task, u16 onward,
					 u16 where)
{
	struct mig_msg_begin begin = {
		.home_pid = cpu_to_be32(task_tgid_nr(task)),
		.home_node = cpu_to_be16(mig_node_id),
		.flags = cpu_to_be16(mig_begin_flags(task) | MIG_BEGIN_AWAIT),
		.reserved = cpu_to_be32(where),
	};
	struct kvec vec = { &begin, sizeof(begin) };
	struct mig_chan *to = mig_chan_open_new(onward);
	u64 monotonic, boottime;
	int err;

	if (IS_ERR(to))
		return to;
	begin.mig_id = cpu_to_be32(to->id);
	get_task_comm(begin.comm, task);
	/* The process reads this node's clocks, wherever it runs. */
	mig_clock_sample(&monotonic, &boottime);
	begin.monotonic_ns = cpu_to_be64(monotonic);
	begin.boottime_ns = cpu_to_be64(boottime);
	err = mig_chan_send(to, MIG_MSG_MOVE_BEGIN, &vec, 1);
	if (!err)
		err = mig_deputy_recall_onward(task_tgid_nr(task), onward, to);
	if (err) {
		mig_chan_close(to);
		return ERR_PTR(err);
	}
	return to;
}

/*
 * Sends RECALL to the node running @task: it is to send the process
 * home, or straight on to @onward if that is not 0.
 */
static int mig_recall_ask(struct task_struct *task, u16 onward, u8 mode,
			  const char **why)
{
	pid_t pid = task_tgid_nr(task);
	struct mig_msg_ctl ctl = { 0 };
	struct kvec vec = { &ctl, sizeof(ctl) };
	struct mig_chan *to;
	u32 id;
	u16 where;
	int err;

	err = mig_deputy_recall_begin(pid, onward, &id, &where);
	if (err == -ESRCH) {
		*why = "the process is at home already";
		return -EINVAL;
	}
	if (err == -EBUSY) {
		*why = "a move of this process is under way (see migctl ps)";
		return err;
	}
	if (err) {
		*why = "the process runs there already";
		return -EINVAL;
	}
	if (onward) {
		to = mig_recall_await(task, onward, where);
		if (IS_ERR(to)) {
			mig_deputy_recall_cancel(pid);
			*why = "the destination cannot be reached";
			return PTR_ERR(to);
		}
		ctl.value = cpu_to_be32(onward);
		ctl.pid = cpu_to_be32(to->id);
	}
	ctl.mig_id = cpu_to_be32(id);
	ctl.reserved = cpu_to_be32(mode);
	err = mig_link_sendv(where, MIG_MSG_RECALL, &vec, 1);
	if (err)
		*why = "the node running the process cannot be reached";
	return err;
}

/*
 * Asks the node running @pid to send it home, and waits until it is here
 * (@onward 0) or, relayed by the deputy, runs at node @onward; @mode as
 * for a move from home (the node it runs at pre-copies, or not).
 */
static int mig_recall(struct task_struct *task, u16 onward, u8 mode,
		      const char **why)
{
	unsigned long deadline = jiffies + MIG_RECALL_TIMEOUT;
	pid_t pid = task_tgid_nr(task);
	enum mig_recall_state state;
	int err;

	err = mig_recall_ask(task, onward, mode, why);
	if (err)
		return err;
	for (;;) {
		if (schedule_timeout_killable(HZ / 10))
			return -EINTR;
		state = mig_deputy_recall_state(pid, onward, &err);
		if (state == MIG_RECALL_THERE)
			return 0;
		if (state == MIG_RECALL_HOME)
			break;
		if (state == MIG_RECALL_FAILED) {
			*why = mig_explain(err);
			return err;
		}
		if (time_after(jiffies, deadline)) {
			*why = "the process did not come home in time";
			return -ETIMEDOUT;
		}
	}
	rcu_read_lock();
	err = pid_task(find_vpid(pid), PIDTYPE_PID) ? 0 : -ESRCH;
	rcu_read_unlock();
	if (err)
		*why = "the process died on its way home";
	return err;
}

/* The process @pid names, referenced; NULL, and *why, if there is none. */
struct task_struct *mig_get_task(u32 pid, const char **why)
{
	struct task_struct *task;

	rcu_read_lock();
	task = pid_task(find_vpid(pid), PIDTYPE_PID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	if (!task)
		*why = "no such process";
	return task;
}

static int mig_move_pid(u32 pid, u32 dest, u8 mode,
			struct mig_move_report *rep, const char **why)
{
	struct task_struct *task = mig_get_task(pid, why);
	int err;

	if (!task)
		return -ESRCH;
	err = mig_check_movable(task, why);
	if (!err)
		err = mig_check_dest(dest, mig_is_deputy(task_tgid_nr(task)),
				     why);
	/*
	 * A process of several threads goes on through home: each thread's
	 * deputy here holds its channel, which a direct move cannot carry.
	 */
	if (!err && mig_is_deputy(task_tgid_nr(task)) && dest &&
	    get_nr_threads(task) > 1) {
		err = mig_recall(task, 0, mode, why);
		if (!err)
			err = mig_move_task(task, dest, mode, rep, why);
	} else if (!err && mig_is_deputy(task_tgid_nr(task))) {
		err = mig_recall(task, dest, mode, why);
	} else if (!err) {
		err = mig_move_task(task, dest, mode, rep, why);
	}
	put_task_struct(task);
	return err;
}

/*
 * "migctl move", or the balancer's: @mode is an enum mig_move_mode, and
 * @rep, if not NULL, says how it went. The request holds a module
 * reference while it runs: rmmod is refused meanwhile, and a move cannot
 * start once rmmod has begun.
 */
int mig_move_how(u32 pid, u32 dest, u8 mode, struct mig_move_report *rep,
		 const char **why)
{
	struct mig_move_report local;
	ktime_t start = ktime_get();
	int err;

	if (!mig_work_get()) {
		*why = "the mig module is being unloaded";
		return -ESHUTDOWN;
	}
	trace_move_begin(pid, mig_node_id, dest, mode);
	if (!rep && trace_move_end_enabled())
		rep = &local;
	if (rep)
		rep->valid = false;
	err = mig_move_pid(pid, dest, mode, rep, why);
	if (rep && rep->valid)
		trace_move_end(pid, mig_node_id, dest, err, rep->bytes_sent,
			       rep->elapsed_us, rep->freeze_us);
	else	/* a recall: the stream is the other node's to count */
		trace_move_end(pid, mig_node_id, dest, err, 0,
			       ktime_us_delta(ktime_get(), start), 0);
	mig_work_put();
	return err;
}

int mig_move(u32 pid, u32 dest, const char **why)
{
	return mig_move_how(pid, dest, MIG_MOVE_AUTO, NULL, why);
}

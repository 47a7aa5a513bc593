// SPDX-License-Identifier: GPL-2.0
/*
 * mig: guests, the processes that run here for another (home) node.
 *
 * A stream's BEGIN makes a new user process with the usermode-helper
 * machinery: it execs a harmless program (umh_path) and, before that
 * program's first instruction, a task_work sends it into a prelude
 * (timens.c) that moves it into a time namespace carrying its home node's
 * clocks. The prelude traps back into the module, and there the whole
 * process is replaced with the one in the stream (restore.c). From the
 * prelude on the syscall hook sees every syscall of it, and its exit: the
 * wait status goes home, where the deputy exits with it. (Nothing waits
 * for the guest in a sleep of its own: a guest may run for days.)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/futex.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/umh.h>
#include <linux/workqueue.h>
#include <asm/futex.h>

#include "mig.h"
#include "syscall_hook.h"
#include "trace.h"

static char *mig_umh_path = "/bin/true";
module_param_named(umh_path, mig_umh_path, charp, 0444);
MODULE_PARM_DESC(umh_path,
		 "Program a guest process starts from before it is replaced (default /bin/true)");

struct mig_guest {
	struct mig_hooked hooked;	/* first: the syscall hook's view */
	struct kref ref;		/* worker, task_work, hook: one each */
	struct list_head list;		/* in mig_guests */
	struct work_struct work;
	struct work_struct exit_work;
	struct callback_head recall_work;
	struct delayed_work recall_retry;	/* caught in the vDSO */
	bool recall_queued;
	/*
	 * Going home or on live: the pre-copy runs in precopy_work, outside
	 * the process (precopy_task), then the final stop builds on it.
	 */
	u8 mode;			/* enum mig_move_mode */
	struct work_struct precopy_work;
	struct task_struct *precopy_task;
	struct mig_live *live_out;
	bool pinned;			/* never sent home automatically */
	bool live;			/* pre-copy rounds come first */
	bool gone_home;			/* it left: its exit means nothing */
	int exit_status;
	struct callback_head start_work;
	struct mig_clock_offsets clocks;
	unsigned long prelude_start;	/* where its trap comes from */
	unsigned long prelude_end;
	struct mig_chan *chan;		/* to and from home */
	/*
	 * A direct onward move: the node the state comes from, and its
	 * channel once its BEGIN came; until then the guest waits (AWAIT).
	 */
	u16 await_from;
	struct mig_chan *stream;
	struct delayed_work await_timeout;
	/* At the node it leaves: where home sends it, with which ticket. */
	u16 onward;
	u32 ticket;
	u32 home_reason;		/* going home: MIG_BEGIN_REASON() */
	u16 home_node;
	u32 home_pid;
	pid_t pid;
	u8 comm[MIG_COMM_LEN];
	unsigned long tramp;
	struct mig_sleep sleep;		/* a nanosleep() to finish here */
	bool restore_ran;
	bool restored;
	bool acked;			/* home has its answer to the move */
	/*
	 * A multi-threaded process: the thread restored first (whose hook
	 * this is) owns the process's channel; each other thread has its
	 * own (struct mig_gthread). Its trampoline clones them, the hook
	 * adopts each clone, and the move is answered once all are made.
	 */
	u32 home_tid;			/* of the owning thread */
	struct list_head threads;	/* under mig_guests_lock */
	struct mig_restore_threads rt;	/* while they are made */
	int adopted;
	bool spawning;
	struct completion spawned;	/* made, answered: they may run */
	int spawn_err;
};

/* Another thread of a guest, away with its own channel to its deputy. */
struct mig_gthread {
	struct mig_hooked hooked;	/* first: the syscall hook's view */
	struct mig_guest *g;		/* referenced */
	struct list_head node;		/* in g->threads */
	struct mig_chan *chan;
	struct task_struct *task;	/* referenced, once adopted */
	u32 home_tid;
	int index;			/* in the restore's records */
	struct mig_msg_thread rec;	/* what it takes at its start */
	struct mig_sleep sleep;
	bool started;
	int exit_status;
	struct work_struct exit_work;
};

/* How long a guest waits for the state home announced (AWAIT). */
#define MIG_AWAIT_TIMEOUT	(60 * HZ)

/* A sender's clock reading past this (146 years) is not a clock. */
#define MIG_CLOCK_MAX_NS	(S64_MAX / 2)

static void mig_guest_recall_retry(struct work_struct *work);
static void mig_guest_claim_early(struct mig_guest *g);
static const struct mig_hooked_ops mig_guest_ops;
static const struct mig_hooked_ops mig_gthread_ops;
static const struct mig_park_ops mig_guest_park_ops;

static LIST_HEAD(mig_guests);
static DEFINE_SPINLOCK(mig_guests_lock);
static struct workqueue_struct *mig_guest_wq;

static void mig_guest_free(struct kref *ref)
{
	struct mig_guest *g = container_of(ref, struct mig_guest, ref);

	mig_restore_threads_free(&g->rt);	/* died while making them */
	mig_chan_set_task(g->chan, NULL);
	mig_chan_close(g->chan);
	if (g->stream) {
		mig_chan_set_task(g->stream, NULL);
		mig_chan_close(g->stream);
	}
	kfree(g);
	mig_work_put();		/* the guest's, from its BEGIN on */
}

static void mig_guest_put(struct mig_guest *g)
{
	kref_put(&g->ref, mig_guest_free);
}

static void mig_guest_unlist(struct mig_guest *g)
{
	spin_lock(&mig_guests_lock);
	list_del_init(&g->list);
	spin_unlock(&mig_guests_lock);
}

static void mig_guest_set_comm(const u8 *comm)
{
	task_lock(current);
	strscpy_pad(current->comm, comm, sizeof(current->comm));
	task_unlock(current);
}

/*
 * The answer to the move: to home, and on a direct onward move to the
 * node the process leaves as well (whose copy ends on 0, else goes on).
 */
static void mig_guest_ack(struct mig_guest *g, int err)
{
	g->acked = true;
	if (g->stream)
		mig_chan_send_ctl(g->stream, MIG_MSG_MOVE_ACK,
				  mig_ack_value(err), g->pid);
	mig_chan_send_ctl(g->chan, MIG_MSG_MOVE_ACK, mig_ack_value(err),
			  g->pid);
}

/* The guest could not become its process: home keeps it, this copy dies. */
static void mig_guest_fail(struct mig_guest *g, int err)
{
	mig_guest_ack(g, err);
	pr_info("guest from node %u (pid %u) not restored: %d\n",
		g->home_node, g->home_pid, err);
	mig_guest_unlist(g);
	send_sig(SIGKILL, current, 1);
}

/* In the new process, after exec, before its first user instruction. */
static void mig_guest_start(struct callback_head *cb)
{
	struct mig_guest *g = container_of(cb, struct mig_guest, start_work);
	int err;

	/* The helper's exec failed: this runs from do_exit(), without an mm. */
	if (current->flags & PF_EXITING || !current->mm) {
		mig_guest_put(g);
		return;
	}
	/* Within the limits set for guests, or not at all. */
	err = mig_account_join();
	if (err) {
		mig_guest_fail(g, err);
		mig_guest_put(g);
		return;
	}
	/* From now on no syscall of it runs here unless the table says so. */
	kref_get(&g->ref);	/* the hook's, dropped at exit */
	err = mig_hook_add_task(current, &g->hooked);
	if (err) {
		kref_put(&g->ref, mig_guest_free);
	} else {
		err = mig_timens_prelude(&g->clocks, &g->prelude_start,
					 &g->prelude_end);
	}
	if (err)
		mig_guest_fail(g, err);
	mig_guest_put(g);
}

/* It runs here: counted, traced, and home told. */
static void mig_guest_arrived(struct mig_guest *g)
{
	mig_stat_inc(MIG_STAT_MOVES_IN);
	trace_move_in(g->pid, g->await_from ?: g->home_node, g->home_node,
		      g->home_pid);
	mig_guest_ack(g, 0);
}

/*
 * The threads of the stream, before anything changed: each names a
 * channel home made, and a direct onward move carries one thread only
 * (a process of more goes through home).
 */
static int mig_guest_check_threads(struct mig_restore_threads *rt)
{
	struct mig_guest *g = rt->ctx;
	int i;

	if (rt->n > 1 && g->await_from)
		return -EOPNOTSUPP;
	for (i = 1; i < rt->n; i++)
		if (mig_chan_id_node(be32_to_cpu(rt->t[i].msg.chan_id)) !=
		    g->home_node)
			return -EPROTO;
	return 0;
}

static void mig_gthread_free(struct mig_gthread *gt)
{
	if (gt->chan) {
		mig_chan_set_task(gt->chan, NULL);
		mig_chan_close(gt->chan);
	}
	if (gt->task)
		put_task_struct(gt->task);
	mig_guest_put(gt->g);
	kfree(gt);
}

/* The guest's other threads, each with its channel, still to be made. */
static int mig_guest_make_threads(struct mig_guest *g)
{
	struct mig_gthread *gt, *tmp;
	LIST_HEAD(made);
	int i;

	for (i = 1; i < g->rt.n; i++) {
		const struct mig_msg_thread *m = &g->rt.t[i].msg;
		struct mig_chan *chan;

		gt = kzalloc(sizeof(*gt), GFP_KERNEL);
		if (!gt)
			goto fail;
		chan = mig_chan_open(g->home_node, be32_to_cpu(m->chan_id));
		if (IS_ERR(chan)) {
			kfree(gt);
			goto fail;
		}
		gt->hooked.ops = &mig_gthread_ops;
		gt->chan = chan;
		gt->home_tid = be32_to_cpu(m->home_tid);
		gt->index = i;
		gt->rec = *m;
		kref_get(&g->ref);
		gt->g = g;
		list_add_tail(&gt->node, &made);
	}
	spin_lock(&mig_guests_lock);
	list_splice_tail(&made, &g->threads);
	spin_unlock(&mig_guests_lock);
	return 0;
fail:
	list_for_each_entry_safe(gt, tmp, &made, node)
		mig_gthread_free(gt);
	return -ENOMEM;
}

/*
 * The hook asks, in the parent before the child first runs: a clone of
 * the trampoline is the guest's next thread. Atomic context.
 */
static struct mig_hooked *mig_guest_forked(struct mig_hooked *h,
					   struct task_struct *child)
{
	struct mig_guest *g = container_of(h, struct mig_guest, hooked);
	struct mig_gthread *gt, *found = NULL;

	if (!READ_ONCE(g->spawning) || !same_thread_group(child, current))
		return NULL;
	spin_lock(&mig_guests_lock);
	list_for_each_entry(gt, &g->threads, node) {
		if (gt->index == g->adopted + 1 && !gt->task) {
			found = gt;
			get_task_struct(child);
			gt->task = child;
			g->adopted++;
			break;
		}
	}
	spin_unlock(&mig_guests_lock);
	return found ? &found->hooked : NULL;
}

static bool mig_guest_is_prelude_trap(struct mig_guest *g,
				      const struct pt_regs *regs)
{
	return regs->orig_ax == __NR_ioctl && (int)regs->di == -1 &&
	       (u32)regs->si == MIG_TRAP_MAGIC &&
	       regs->ip > g->prelude_start && regs->ip <= g->prelude_end;
}

/*
 * Before the guest is restored only its prelude runs, natively; its trap
 * says whether the time namespace is in place, and the restore follows.
 */
static bool mig_guest_prelude_syscall(struct mig_guest *g,
				      const struct pt_regs *regs, long *ret)
{
	long status = regs->dx;
	int err;

	if (!mig_guest_is_prelude_trap(g, regs))
		return false;
	*ret = 0;
	if (g->restore_ran)
		return true;
	g->restore_ran = true;
	if (status) {
		pr_info("guest from node %u: cannot enter a time namespace (prelude step %lu: %ld); is /proc mounted?\n",
			g->home_node, regs->r10, status);
		err = status < 0 && status >= -MAX_ERRNO ? status : -EINVAL;
		mig_guest_fail(g, err);
		return true;
	}
	g->rt = (struct mig_restore_threads){
		.mode = MIG_THREADS_SPAWN,
		.home_pid = g->home_pid,
		.check = mig_guest_check_threads,
		.ctx = g,
	};
	err = mig_restore(g->stream ?: g->chan, true,
			  g->live ? MIG_RESTORE_PRECOPY : MIG_RESTORE_STOPPED,
			  &g->tramp, &g->sleep, &g->rt);
	if (!err)
		err = mig_guest_make_threads(g);
	if (err) {
		mig_restore_threads_free(&g->rt);
		mig_guest_fail(g, err);
		return true;
	}
	g->home_tid = be32_to_cpu(g->rt.t[0].msg.home_tid);
	mig_guest_set_comm(g->comm);
	g->restored = true;
	if (g->rt.n > 1) {
		/* Answered once its trampoline made them all. */
		g->spawning = true;
		return true;
	}
	mig_restore_threads_free(&g->rt);
	mig_guest_arrived(g);
	return true;
}

/* Its trampoline, made of its threads, traps in: 0, or a clone's error. */
static bool mig_guest_spawned(struct mig_guest *g, const struct pt_regs *regs,
			      long *ret)
{
	long status = regs->dx;
	int err = 0;

	if (!mig_tramp_trap(&g->rt, regs))
		return false;
	*ret = 0;
	if (status < 0 && status >= -MAX_ERRNO)
		err = status;
	else if (status || g->adopted != g->rt.n - 1)
		err = -ECHILD;
	g->spawning = false;
	g->spawn_err = err;
	mig_restore_threads_free(&g->rt);
	if (err)
		mig_guest_fail(g, err);
	else
		mig_guest_arrived(g);
	complete_all(&g->spawned);
	return true;
}

static int mig_guest_umh_init(struct subprocess_info *info, struct cred *new)
{
	struct mig_guest *g = info->data;
	int err;

	init_task_work(&g->start_work, mig_guest_start);
	kref_get(&g->ref);	/* the task_work's */
	err = task_work_add(current, &g->start_work, TWA_RESUME);
	if (err) {
		kref_put(&g->ref, mig_guest_free);
		return err;
	}
	g->pid = task_pid_nr(current);
	mig_chan_set_task(g->chan, current);
	if (g->stream)
		mig_chan_set_task(g->stream, current);
	return 0;
}

static void mig_gthread_free(struct mig_gthread *gt);

/* Threads of a restore never made (it failed): nothing else frees them. */
static void mig_guest_drop_unborn(struct mig_guest *g)
{
	struct mig_gthread *gt, *tmp;
	LIST_HEAD(unborn);

	spin_lock(&mig_guests_lock);
	list_for_each_entry_safe(gt, tmp, &g->threads, node)
		if (!gt->task)
			list_move(&gt->node, &unborn);
	spin_unlock(&mig_guests_lock);
	list_for_each_entry_safe(gt, tmp, &unborn, node)
		mig_gthread_free(gt);
}

/* The guest ended: its home's deputy ends the same way. */
static void mig_guest_exit_work(struct work_struct *work)
{
	struct mig_guest *g = container_of(work, struct mig_guest, exit_work);

	mig_guest_drop_unborn(g);

	/* Died before it became its process (a fault in the prelude...). */
	if (!g->acked)
		mig_guest_ack(g, -ECHILD);
	else if (g->restored && !g->gone_home)
		mig_chan_send_ctl(g->chan, MIG_MSG_EXIT, g->exit_status, g->pid);
	mig_guest_unlist(g);
	mig_guest_put(g);
}

/* From the hook's exit probe, atomic context, in the exiting guest. */
static void mig_guest_exited(struct mig_hooked *h)
{
	struct mig_guest *g = container_of(h, struct mig_guest, hooked);

	g->exit_status = current->exit_code & 0xffff;
	mig_live_cancel(g->pid);
	INIT_WORK(&g->exit_work, mig_guest_exit_work);
	queue_work(mig_guest_wq, &g->exit_work);
}

/* Starts the guest's process; its restore takes it from there. */
static void mig_guest_run(struct work_struct *work)
{
	struct mig_guest *g = container_of(work, struct mig_guest, work);
	/* The usermode-helper API takes non-const argv and envp. */
	char *argv[] = { mig_umh_path, NULL };
	char *envp[] = { "HOME=/", "PATH=/usr/bin:/bin", NULL };
	struct subprocess_info *info;
	int err = -ENOMEM;

	info = call_usermodehelper_setup(mig_umh_path, argv, envp, GFP_KERNEL,
					 mig_guest_umh_init, NULL, g);
	if (info)
		err = call_usermodehelper_exec(info, UMH_WAIT_EXEC);
	if (err) {
		pr_info("cannot start a guest process with %s: %d\n",
			mig_umh_path, err);
		mig_guest_ack(g, -ECHILD);
		mig_guest_unlist(g);
	}
	mig_guest_put(g);
}

static void mig_guest_refuse(u16 peer, const struct mig_msg_begin *begin,
			     int err)
{
	struct mig_msg_ctl ack = {
		.mig_id = begin->mig_id,
		.value = cpu_to_be32(mig_ack_value(err)),
	};

	/* From the receive loop, which must not wait to send. */
	mig_link_post(peer, MIG_MSG_MOVE_ACK, &ack, sizeof(ack));
}

/* The guests of @peer here, and how many of them are still arriving. */
static void mig_guest_count_from(u16 peer, unsigned int *guests,
				 unsigned int *arriving)
{
	struct mig_guest *g;

	*guests = *arriving = 0;
	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list) {
		if (g->home_node != peer || READ_ONCE(g->gone_home))
			continue;
		(*guests)++;
		*arriving += !READ_ONCE(g->acked);
	}
	spin_unlock(&mig_guests_lock);
}

/*
 * Whether a BEGIN from @peer is well formed and within what the peer may
 * have here: 0, or the refusal's errno.
 */
static int mig_guest_check_begin(u16 peer, const struct mig_msg_begin *begin)
{
	const struct mig_policy_ops *ops = mig_policy();
	unsigned int guests, arriving;
	int err;
	u16 flags = be16_to_cpu(begin->flags);
	u32 reserved = be32_to_cpu(begin->reserved);

	if (be16_to_cpu(begin->home_node) != peer ||
	    flags & ~(MIG_BEGIN_PINNED | MIG_BEGIN_LIVE | MIG_BEGIN_AWAIT) ||
	    (flags & MIG_BEGIN_AWAIT ?
	     !reserved || reserved > U16_MAX || reserved == peer ||
	     reserved == mig_node_id || flags & MIG_BEGIN_LIVE : reserved) ||
	    begin->home_reason || begin->pad ||
	    be64_to_cpu(begin->monotonic_ns) > MIG_CLOCK_MAX_NS ||
	    be64_to_cpu(begin->boottime_ns) > MIG_CLOCK_MAX_NS) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return -EPROTO;
	}
	mig_guest_count_from(peer, &guests, &arriving);
	err = mig_quota_admit(peer, guests, arriving);
	if (err) {
		mig_stat_inc(MIG_STAT_REFUSED_QUOTA);
		return err;
	}
	err = ops && ops->admit_guest ? ops->admit_guest(peer) : 0;
	if (err)
		mig_stat_inc(MIG_STAT_REFUSED_BLOCKED);
	return err;
}

/* Home gave up a direct onward move before the state came (ABORT). */
void mig_guest_abort_await(u16 peer, u32 id)
{
	struct mig_guest *g, *found = NULL;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list) {
		if (g->home_node == peer && g->chan->id == id &&
		    g->await_from && !g->stream) {
			found = g;
			break;
		}
	}
	if (found && cancel_delayed_work(&found->await_timeout))
		list_del_init(&found->list);
	else
		found = NULL;
	spin_unlock(&mig_guests_lock);
	if (found) {
		mig_guest_put(found);	/* the timeout's */
		mig_guest_put(found);	/* the BEGIN's */
	}
}

/* The state home announced never came from the node it was on. */
static void mig_guest_await_timeout(struct work_struct *work)
{
	struct mig_guest *g = container_of(to_delayed_work(work),
					   struct mig_guest, await_timeout);

	mig_guest_ack(g, -ETIMEDOUT);
	mig_guest_unlist(g);
	mig_guest_put(g);	/* its own */
	mig_guest_put(g);	/* the BEGIN's: no helper was started */
}

/*
 * A process arrives from its home node @peer. Whatever goes wrong is
 * answered to the sender and harms no other process on the link.
 */
int mig_guest_begin(u16 peer, const struct mig_msg_begin *begin)
{
	struct mig_guest *g;
	struct mig_chan *chan;
	int err;

	err = mig_guest_check_begin(peer, begin);
	if (err) {
		mig_guest_refuse(peer, begin, err);
		return 0;
	}
	/*
	 * A guest holds the module from here until it is freed: rmmod is
	 * refused while one exists, and none comes in once rmmod began.
	 */
	if (!mig_work_get()) {
		mig_guest_refuse(peer, begin, -ECONNREFUSED);
		return 0;
	}
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g) {
		mig_work_put();
		mig_guest_refuse(peer, begin, -ENOMEM);
		return 0;
	}
	chan = mig_chan_open(peer, be32_to_cpu(begin->mig_id));
	if (IS_ERR(chan)) {
		kfree(g);
		mig_work_put();
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		mig_guest_refuse(peer, begin, PTR_ERR(chan));
		return 0;
	}
	g->pinned = be16_to_cpu(begin->flags) & MIG_BEGIN_PINNED;
	g->live = be16_to_cpu(begin->flags) & MIG_BEGIN_LIVE;
	if (be16_to_cpu(begin->flags) & MIG_BEGIN_AWAIT)
		g->await_from = be32_to_cpu(begin->reserved);
	g->hooked.ops = &mig_guest_ops;
	kref_init(&g->ref);
	g->chan = chan;
	g->home_node = peer;
	g->home_pid = be32_to_cpu(begin->home_pid);
	memcpy(g->comm, begin->comm, sizeof(g->comm));
	g->comm[MIG_COMM_LEN - 1] = 0;
	mig_clock_offsets(be64_to_cpu(begin->monotonic_ns),
			  be64_to_cpu(begin->boottime_ns), &g->clocks);
	INIT_WORK(&g->work, mig_guest_run);
	INIT_DELAYED_WORK(&g->recall_retry, mig_guest_recall_retry);
	INIT_DELAYED_WORK(&g->await_timeout, mig_guest_await_timeout);
	INIT_LIST_HEAD(&g->threads);
	init_completion(&g->spawned);

	spin_lock(&mig_guests_lock);
	list_add_tail(&g->list, &mig_guests);
	spin_unlock(&mig_guests_lock);
	if (g->await_from) {
		/* The state comes from another node: wait for it, not forever. */
		kref_get(&g->ref);
		queue_delayed_work(mig_guest_wq, &g->await_timeout,
				   MIG_AWAIT_TIMEOUT);
		mig_guest_claim_early(g);
		return 0;
	}
	queue_work(mig_guest_wq, &g->work);
	return 0;
}

/*
 * An ONWARD BEGIN may overtake home's AWAIT (two links, two receive
 * loops): its channel is opened at once, so that the stream queues
 * there, and it waits here for its AWAIT, a few of them at most and
 * for MIG_EARLY_TIMEOUT at most.
 */
#define MIG_EARLY_MAX		16
#define MIG_EARLY_PER_PEER	4
#define MIG_EARLY_TIMEOUT	(10 * HZ)

struct mig_early {
	struct list_head list;
	u16 peer;
	unsigned long since;
	struct mig_chan *chan;
	struct mig_msg_begin begin;
};

static LIST_HEAD(mig_earlies);		/* under mig_guests_lock */
static unsigned int mig_nr_early;
static void mig_early_sweep(struct work_struct *work);
static DECLARE_DELAYED_WORK(mig_early_work, mig_early_sweep);

static bool mig_onward_matches(const struct mig_guest *g, u16 peer,
			       const struct mig_msg_begin *begin)
{
	return g->home_node == be16_to_cpu(begin->home_node) &&
	       g->chan->id == be32_to_cpu(begin->reserved) &&
	       g->await_from == peer && !g->stream &&
	       g->home_pid == be32_to_cpu(begin->home_pid);
}

/*
 * The awaited state comes: the guest starts, its restore reading from
 * @chan. Called with a reference on @g, which it drops; false if @g's
 * wait just timed out (@chan is then the caller's).
 */
static bool mig_guest_attach(struct mig_guest *g, struct mig_chan *chan,
			     const struct mig_msg_begin *begin)
{
	if (!cancel_delayed_work(&g->await_timeout)) {
		mig_guest_put(g);
		return false;
	}
	mig_guest_put(g);		/* the timeout's */
	mig_guest_put(g);		/* ours: the BEGIN's starts it */
	g->stream = chan;
	/* The AWAIT could not say: only the node it comes from knows. */
	g->live = be16_to_cpu(begin->flags) & MIG_BEGIN_LIVE;
	memcpy(g->comm, begin->comm, sizeof(g->comm));
	g->comm[MIG_COMM_LEN - 1] = 0;
	queue_work(mig_guest_wq, &g->work);
	return true;
}

/* An ONWARD BEGIN that no AWAIT claimed in time is refused. */
static void mig_early_refuse(struct mig_early *e, int err)
{
	mig_stat_inc(MIG_STAT_BAD_STREAM);
	pr_info_ratelimited("onward stream from node %u for %u:%u refused: %d\n",
			    e->peer, be16_to_cpu(e->begin.home_node),
			    be32_to_cpu(e->begin.home_pid), err);
	mig_chan_send_ctl(e->chan, MIG_MSG_MOVE_ACK, mig_ack_value(err), 0);
	mig_chan_close(e->chan);
	kfree(e);
}

static void mig_early_sweep(struct work_struct *work)
{
	struct mig_early *e, *tmp;
	LIST_HEAD(old);

	spin_lock(&mig_guests_lock);
	list_for_each_entry_safe(e, tmp, &mig_earlies, list) {
		if (time_before(jiffies, e->since + MIG_EARLY_TIMEOUT))
			continue;
		list_move(&e->list, &old);
		mig_nr_early--;
	}
	if (mig_nr_early)
		mod_delayed_work(mig_guest_wq, &mig_early_work, HZ);
	spin_unlock(&mig_guests_lock);
	list_for_each_entry_safe(e, tmp, &old, list)
		mig_early_refuse(e, -ETIMEDOUT);
}

/* How many early ONWARD BEGINs of @peer wait (under mig_guests_lock). */
static unsigned int mig_early_from(u16 peer)
{
	struct mig_early *e;
	unsigned int n = 0;

	list_for_each_entry(e, &mig_earlies, list)
		n += e->peer == peer;
	return n;
}

/* After an AWAIT: its state may have come first. */
static void mig_guest_claim_early(struct mig_guest *g)
{
	struct mig_early *e, *found = NULL;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(e, &mig_earlies, list) {
		if (mig_onward_matches(g, e->peer, &e->begin)) {
			found = e;
			list_del(&e->list);
			mig_nr_early--;
			kref_get(&g->ref);
			break;
		}
	}
	spin_unlock(&mig_guests_lock);
	if (!found)
		return;
	if (!mig_guest_attach(g, found->chan, &found->begin)) {
		mig_early_refuse(found, -ETIMEDOUT);
		return;
	}
	kfree(found);
}

/*
 * The state of a process of @home that this node awaits (AWAIT) arrives
 * from @peer (ONWARD): the guest starts, its restore reading from the
 * channel @peer opened; or the BEGIN waits for its AWAIT.
 */
int mig_guest_onward(u16 peer, const struct mig_msg_begin *begin)
{
	u16 home = be16_to_cpu(begin->home_node);
	struct mig_guest *g, *found = NULL;
	struct mig_early *e = NULL;
	struct mig_chan *chan;
	int err = -EPROTO;

	if (be16_to_cpu(begin->flags) & ~(MIG_BEGIN_ONWARD | MIG_BEGIN_PINNED |
					  MIG_BEGIN_LIVE) ||
	    home == peer || home == mig_node_id ||
	    mig_chan_id_node(be32_to_cpu(begin->mig_id)) != peer)
		goto refuse;
	chan = mig_chan_open(peer, be32_to_cpu(begin->mig_id));
	err = PTR_ERR_OR_ZERO(chan);
	if (err)
		goto refuse;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list) {
		if (mig_onward_matches(g, peer, begin)) {
			found = g;
			kref_get(&g->ref);
			break;
		}
	}
	if (!found && e && mig_nr_early < MIG_EARLY_MAX &&
	    mig_early_from(peer) < MIG_EARLY_PER_PEER) {
		e->peer = peer;
		e->since = jiffies;
		e->chan = chan;
		e->begin = *begin;
		list_add_tail(&e->list, &mig_earlies);
		if (!mig_nr_early++)
			mod_delayed_work(mig_guest_wq, &mig_early_work, HZ);
		e = NULL;
		chan = NULL;
	}
	spin_unlock(&mig_guests_lock);
	kfree(e);
	if (!chan)
		return 0;		/* waits for its AWAIT */
	if (found && mig_guest_attach(found, chan, begin))
		return 0;
	mig_chan_close(chan);
	err = found ? -ETIMEDOUT : -EBUSY;
refuse:
	mig_stat_inc(MIG_STAT_BAD_STREAM);
	pr_info_ratelimited("onward stream from node %u for %u:%u refused: %d\n",
			    peer, home, be32_to_cpu(begin->home_pid), err);
	mig_guest_refuse(peer, begin, err);
	return 0;
}

/*
 * Sends the process back to its home node, from its own context; the
 * deputy there becomes the process again. On success this copy ends
 * quietly; on failure it goes on here.
 */
static int mig_guest_go_home(struct mig_guest *g, struct mig_gthread *gt,
			     bool rewind)
{
	struct mig_capture_info info = {
		.home_node = g->home_node,
		.home_pid = g->home_pid,
		.home_tid = gt ? gt->home_tid : g->home_tid,
		.flags = MIG_BEGIN_HOMECOMING,
		.reason = g->home_reason,
		.skip_start = g->tramp,
		.rewind_syscall = rewind,
		.sleep = gt ? &gt->sleep : &g->sleep,
	};
	struct mig_live *live = rewind ? NULL : g->live_out;
	struct mig_chan *rounds = NULL;
	const char *why = NULL;
	struct mig_park *park;
	int err;

	trace_homecoming(g->pid, g->home_node, g->home_pid,
			 mig_home_reason_name(MIG_BEGIN_REASON_OF(g->home_reason)),
			 MIG_BEGIN_REASON_NR(g->home_reason));
	/* Called home by a system call: a pre-copy under way is in vain. */
	if (rewind)
		mig_live_cancel(g->pid);

	/* Its other threads stop where they are, each captured. */
	park = mig_park_others(&mig_guest_park_ops, g, &why);
	if (IS_ERR(park)) {
		pr_info("guest %d cannot go home now: %ld%s%s\n", g->pid,
			PTR_ERR(park), why ? ": " : "", why ?: "");
		return PTR_ERR(park);
	}
	info.park = park;

	/*
	 * After a pre-copy the rest goes on the process's own channel, its
	 * BEGIN naming the rounds' channel, which home has taken in.
	 */
	if (live && mig_live_usable(live))
		rounds = mig_live_take_chan(live);
	if (rounds) {
		info.flags |= MIG_BEGIN_LIVE;
		info.ticket = rounds->id;
		info.hooks = &mig_live_capture_hooks;
		info.hooks_ctx = live;
	}
	err = mig_capture_send(g->chan, &info);
	if (!err)
		err = mig_capture_wait_ack(g->chan, &info);
	if (rounds) {
		if (err)
			mig_chan_send_ctl(rounds, MIG_MSG_MOVE_ABORT, 0, 0);
		mig_chan_close(rounds);
	}
	if (err) {
		mig_park_release(park, err);
		pr_info("guest %d could not go home to node %u: %d\n",
			g->pid, g->home_node, err);
		/* It cancelled a pre-copy home asked for: tell home why. */
		if (rewind && READ_ONCE(g->recall_queued))
			mig_chan_send_ctl(g->chan, MIG_MSG_MOVE_ACK,
					  mig_ack_value(err), g->pid);
		return err;
	}
	g->gone_home = true;
	mig_stat_inc(MIG_STAT_MOVES_OUT);
	if (rounds)
		mig_live_count(live);
	/* Every thread of this copy ends, the parked ones without running. */
	send_sig(SIGKILL, current, 1);
	mig_park_release(park, 0);
	return 0;
}

/*
 * A direct onward move: the process goes from here straight to the node
 * home named, which awaits it under home's ticket. Once the stream is
 * all sent, this copy goes on only if that node said it failed: when its
 * answer is lost, the process may run there, and home decides.
 */
static int mig_guest_go_onward(struct mig_guest *g)
{
	struct mig_capture_info info = {
		.home_node = g->home_node,
		.home_pid = g->home_pid,
		.home_tid = g->home_tid,
		.flags = MIG_BEGIN_ONWARD | (g->pinned ? MIG_BEGIN_PINNED : 0),
		.ticket = g->ticket,
		.skip_start = g->tramp,
		.sleep = &g->sleep,
	};
	struct mig_live *live = g->live_out;
	struct mig_chan *chan = NULL;
	bool sent;
	int err;

	/* A process of threads goes on through home (mig_deputy's recall). */
	if (get_nr_threads(current) > 1)
		return -EOPNOTSUPP;
	/* After a pre-copy the rest follows the rounds, as from home. */
	if (live && mig_live_usable(live))
		chan = mig_live_take_chan(live);
	if (chan) {
		info.flags |= MIG_BEGIN_LIVE;
		info.begun = true;
		info.hooks = &mig_live_capture_hooks;
		info.hooks_ctx = live;
	} else {
		chan = mig_chan_open_new(g->onward);
	}
	if (IS_ERR(chan))
		return PTR_ERR(chan);
	err = mig_capture_send(chan, &info);
	sent = !err;
	if (!err)
		err = mig_capture_wait_ack(chan, &info);
	if (err && !info.answered)
		mig_chan_send_ctl(chan, MIG_MSG_MOVE_ABORT, 0, 0);
	mig_chan_close(chan);
	/* Not all sent, or refused there: it goes on here. */
	if (err && (!sent || info.answered)) {
		pr_info("guest %d could not move on to node %u: %d (%s)\n",
			g->pid, g->onward, err,
			info.answered ? "refused there" : "not sent");
		return err;
	}
	/* Gone there (or maybe): no EXIT for home from this copy. */
	g->gone_home = !err;
	if (!err)
		mig_stat_inc(MIG_STAT_MOVES_OUT);
	if (!err && info.hooks)
		mig_live_count(live);
	else if (err)
		pr_warn("guest %d: no answer from node %u after its state went (%d); this copy ends, home decides\n",
			g->pid, g->onward, err);
	send_sig(SIGKILL, current, 1);
	return 0;
}

/* The recall found the guest inside the vDSO: ask again. */
static void mig_guest_recall_retry(struct work_struct *work)
{
	struct mig_guest *g = container_of(to_delayed_work(work),
					   struct mig_guest, recall_retry);
	struct task_struct *task;

	spin_lock(&g->chan->lock);
	task = g->chan->task;
	if (task)
		get_task_struct(task);
	spin_unlock(&g->chan->lock);
	if (!task || task_work_add(task, &g->recall_work, TWA_SIGNAL)) {
		g->recall_queued = false;
		mig_guest_put(g);
	}
	if (task)
		put_task_struct(task);
}

static void mig_guest_recall_work(struct callback_head *cb)
{
	struct mig_guest *g = container_of(cb, struct mig_guest, recall_work);
	struct mig_live *live;
	int err;

	if (!(current->flags & PF_EXITING) && mig_in_vdso()) {
		init_task_work(&g->recall_work, mig_guest_recall_work);
		mig_queue_delayed_work(&g->recall_retry, 1);
		return;
	}

	clear_notify_signal();	/* as in mig_move_run(): not a signal */
	/* Dying, or gone home for a call meanwhile: nothing to send. */
	if (current->flags & PF_EXITING || READ_ONCE(g->gone_home))
		err = -ESRCH;
	else
		err = g->onward ? mig_guest_go_onward(g) :
				  mig_guest_go_home(g, NULL, false);
	if (err && !READ_ONCE(g->gone_home))	/* tell the deputy */
		mig_chan_send_ctl(g->chan, MIG_MSG_MOVE_ACK,
				  mig_ack_value(err), g->pid);
	live = g->live_out;
	g->live_out = NULL;
	if (live)
		mig_live_end(live, NULL);
	g->recall_queued = false;
	mig_guest_put(g);
}

/*
 * The pre-copy of a guest going home or on, from a worker while it runs:
 * its rounds go to home's deputy, or to the node that awaits it, and the
 * final stop (mig_guest_recall_work()) builds on them. A pre-copy that
 * fails leaves the process running here and tells the deputy why.
 */
static void mig_guest_precopy_work(struct work_struct *work)
{
	struct mig_guest *g = container_of(work, struct mig_guest,
					   precopy_work);
	struct task_struct *task = g->precopy_task;
	struct mig_live_target to = {
		.home_node = g->home_node,
		.home_pid = g->home_pid,
	};
	struct mig_live *live = NULL;
	const char *why = NULL;
	int err = 0;

	g->precopy_task = NULL;
	if (g->onward) {
		to.peer = g->onward;
		to.flags = MIG_BEGIN_ONWARD | MIG_BEGIN_LIVE |
			   (g->pinned ? MIG_BEGIN_PINNED : 0);
		to.reserved = g->ticket;
	} else {
		to.peer = g->home_node;
		to.flags = MIG_BEGIN_HOMECOMING | MIG_BEGIN_ROUNDS;
		to.reserved = g->chan->id;
	}
	if (!READ_ONCE(g->gone_home))
		live = mig_live_start(task, &to, g->mode, &why);
	if (IS_ERR(live)) {
		err = PTR_ERR(live);
		live = NULL;
	} else if (live) {
		err = mig_live_precopy(live, &why);
		if (err) {
			mig_live_end(live, NULL);
			live = NULL;
			if (err == -ESTALE)
				err = 0;	/* it goes stopped */
		}
	}
	if (!err) {
		g->live_out = live;
		init_task_work(&g->recall_work, mig_guest_recall_work);
		if (task_work_add(task, &g->recall_work, TWA_SIGNAL)) {
			g->live_out = NULL;
			err = -ESRCH;
		}
	}
	if (err) {
		if (live)
			mig_live_end(live, NULL);
		pr_info("guest %d: pre-copy to node %u failed (%d%s%s); it goes on here\n",
			g->pid, to.peer, err, why ? ": " : "", why ?: "");
		/*
		 * Cancelled: it went home for a system call, whose stream
		 * may still be on its way (nothing may cut into it), or it
		 * exits. Either way home learns it from the process.
		 */
		if (err != -ECANCELED && !READ_ONCE(g->gone_home))
			mig_chan_send_ctl(g->chan, MIG_MSG_MOVE_ACK,
					  mig_ack_value(err), g->pid);
		g->recall_queued = false;
		mig_guest_put(g);
	}
	put_task_struct(task);
}

/*
 * Names a guest: by its home's node and channel id, or by its pid here;
 * and where it is to go (0: home, with its ticket there).
 */
struct mig_guest_key {
	u16 peer;
	u32 id;
	pid_t pid;
	u16 onward;
	u32 ticket;
	enum mig_home_reason reason;
	u8 mode;			/* enum mig_move_mode */
};

static bool mig_guest_is(const struct mig_guest *g,
			 const struct mig_guest_key *k)
{
	return k->pid ? g->pid == k->pid :
			g->home_node == k->peer && g->chan->id == k->id;
}

/* Sends the guest @k names home from its own context; -ESRCH if none. */
static int mig_guest_call_home(const struct mig_guest_key *k)
{
	struct task_struct *task = NULL;
	struct mig_guest *g, *found = NULL;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list) {
		if (!mig_guest_is(g, k) || !g->restored || g->recall_queued ||
		    g->spawning)
			continue;
		spin_lock(&g->chan->lock);
		task = g->chan->task;
		if (task)
			get_task_struct(task);
		spin_unlock(&g->chan->lock);
		if (task) {
			found = g;
			g->recall_queued = true;
			g->onward = k->onward;
			g->ticket = k->ticket;
			g->home_reason = MIG_BEGIN_REASON(k->reason, 0);
			g->mode = k->mode;
			kref_get(&g->ref);
		}
		break;
	}
	spin_unlock(&mig_guests_lock);
	if (!found)
		return -ESRCH;
	/* Live unless asked not to; the pre-copy decides by its size. */
	if (found->mode != MIG_MOVE_STOP_COPY) {
		found->precopy_task = task;	/* the work's reference */
		INIT_WORK(&found->precopy_work, mig_guest_precopy_work);
		queue_work(mig_guest_wq, &found->precopy_work);
		return 0;
	}
	init_task_work(&found->recall_work, mig_guest_recall_work);
	if (task_work_add(task, &found->recall_work, TWA_SIGNAL)) {
		found->recall_queued = false;
		mig_guest_put(found);
		found = NULL;
	}
	put_task_struct(task);
	return found ? 0 : -ESRCH;
}

/*
 * Home asks for process @id back (migctl move PID home), or, @onward not
 * 0, to send it on to that node, which awaits it under @ticket.
 */
void mig_guest_recall(u16 peer, u32 id, u16 onward, u32 ticket, u8 mode)
{
	struct mig_guest_key k = {
		.peer = peer, .id = id, .onward = onward, .ticket = ticket,
		.reason = MIG_HOME_ASKED,
		.mode = mode,
	};

	if (onward && (onward == mig_node_id || onward == peer ||
		       mig_chan_id_node(ticket) != peer ||
		       !mig_link_is_up(onward))) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return;
	}
	if (mig_guest_call_home(&k))
		mig_stat_inc(MIG_STAT_BAD_STREAM);
}

/* This node sends guest @pid home: the balancer, or expel. */
int mig_guest_send_home(pid_t pid, enum mig_home_reason reason)
{
	struct mig_guest_key k = { .pid = pid, .reason = reason };

	return pid ? mig_guest_call_home(&k) : -ESRCH;
}

static bool mig_guest_pin(const struct mig_guest_key *k, bool pinned)
{
	struct mig_guest *g;
	bool found = false;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list) {
		if (mig_guest_is(g, k)) {
			g->pinned = pinned;
			found = true;
			break;
		}
	}
	spin_unlock(&mig_guests_lock);
	return found;
}

/* Its home (un)pinned process @id; false if no such guest. */
bool mig_guest_set_pinned(u16 peer, u32 id, bool pinned)
{
	struct mig_guest_key k = { .peer = peer, .id = id };

	return mig_guest_pin(&k, pinned);
}

/* "migctl pin" of a guest here; false if @pid is not one. */
bool mig_guest_set_pinned_local(pid_t pid, bool pinned)
{
	struct mig_guest_key k = { .pid = pid };

	return pid && mig_guest_pin(&k, pinned);
}

/* The guests here, for the balancer; returns how many. */
int mig_guest_brief(struct mig_guest_brief *b, int max)
{
	struct mig_guest *g;
	int n = 0;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list) {
		if (n == max)
			break;
		b[n].pid = g->pid;
		b[n].home = g->home_node;
		b[n].pinned = g->pinned;
		b[n].leaving = !g->restored || g->recall_queued ||
			       g->gone_home || g->spawning;
		n++;
	}
	spin_unlock(&mig_guests_lock);
	return n;
}

int mig_guest_count(void)
{
	struct mig_guest *g;
	int n = 0;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list)
		n += g->restored && !g->gone_home;
	spin_unlock(&mig_guests_lock);
	return n;
}

static void mig_syscall_args(const struct pt_regs *regs, u64 *args)
{
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
}

/*
 * A call that names the process by its home pid: here that pid means
 * nothing, or another process. It runs here, where the process is, with
 * 0 (itself) in its place. False: run it; true: *ret is the error.
 */
static bool mig_guest_run_self(int arg, long *ret)
{
	*ret = mig_hook_local_arg(arg, 0);
	return *ret != 0;
}

/* A call home answers; traced with its round trip when asked for. */
static long mig_guest_forward(struct mig_guest *g, struct mig_chan *chan,
			      unsigned long nr, u64 *args,
			      struct mig_fwd_plan *plan)
{
	u64 t0 = trace_forward_enabled() ? ktime_get_ns() : 0;
	long ret;

	if (!mig_proc_self_open(chan, g->home_pid, nr, args, &ret))
		ret = mig_fwd_call(chan, nr, args, plan);

	if (t0)
		trace_forward(nr, ret, ktime_get_ns() - t0);
	return ret;
}

/*
 * A thread ends away holding robust mutexes: their futex words name it by
 * its home tid, which this kernel's exit does not know as its own. Each
 * word of its robust list (and the one being changed) that names it gets
 * its tid here instead, so that the exit, which runs next, marks the
 * mutex owner-dead and wakes a waiter, as at home. Bounded as the
 * kernel's walk is; a bad list is left to the kernel.
 */
#define MIG_ROBUST_LIMIT	2048

static void mig_robust_retag(u32 __user *uaddr, u32 home_tid)
{
	u32 val, cur, tid = task_pid_vnr(current);
	int tries;

	for (tries = 0; tries < 16; tries++) {
		if (get_user(val, uaddr) ||
		    (val & FUTEX_TID_MASK) != home_tid)
			return;
		if (futex_atomic_cmpxchg_inatomic(&cur, uaddr, val,
						  (val & ~FUTEX_TID_MASK) | tid))
			return;
		if (cur == val)
			return;
	}
}

static void mig_guest_robust_exit(u32 home_tid)
{
	struct robust_list_head __user *head = current->robust_list;
	unsigned long entry, pending, limit = MIG_ROBUST_LIMIT;
	long offset;

	if (!head || home_tid == task_pid_vnr(current) ||
	    get_user(entry, (unsigned long __user *)&head->list.next) ||
	    get_user(offset, &head->futex_offset) ||
	    get_user(pending, (unsigned long __user *)&head->list_op_pending))
		return;
	while (entry != (unsigned long)&head->list && limit--) {
		unsigned long next;

		if (get_user(next, (unsigned long __user *)(entry & ~1UL)))
			return;
		if ((entry & ~1UL) != (pending & ~1UL))
			mig_robust_retag((u32 __user *)((entry & ~1UL) + offset),
					 home_tid);
		entry = next;
		cond_resched();
	}
	if (pending)
		mig_robust_retag((u32 __user *)((pending & ~1UL) + offset),
				 home_tid);
}

/*
 * One syscall of the guest's thread @gt (NULL: the owning thread), on
 * its channel @chan: run here, forwarded, or the process goes home for it.
 */
static bool mig_guest_serve(struct mig_guest *g, struct mig_gthread *gt,
			    const struct pt_regs *regs, long *ret)
{
	struct mig_sleep *sleep = gt ? &gt->sleep : &g->sleep;
	struct mig_chan *chan = gt ? gt->chan : g->chan;
	unsigned long nr = regs->orig_ax;
	struct mig_fwd_plan plan;
	u64 args[6];
	int err;

	if (in_ia32_syscall()) {
		*ret = -ENOSYS;
		return true;
	}
	/* The trampoline's own calls run before the sleep is resumed. */
	if (sleep->active && !mig_in_tramp(&g->rt, regs)) {
		if (nr == __NR_restart_syscall) {
			*ret = mig_sleep_resume(sleep);
			return true;
		}
		sleep->active = false;	/* a handler ran: it is over */
	}
	mig_syscall_args(regs, args);
	switch (mig_fwd_classify(nr, args, g->home_pid, &plan)) {
	case MIG_SYS_LOCAL:
		if (nr == __NR_exit && gt)
			mig_guest_robust_exit(gt->home_tid);
		/*
		 * The owning thread holds the process's channel: it does not
		 * end before the others. Its exit runs at home.
		 */
		if (nr != __NR_exit || gt || get_nr_threads(current) == 1)
			return false;
		break;
	case MIG_SYS_SELF:
		return mig_guest_run_self(plan.self_arg, ret);
	case MIG_SYS_FORWARD:
		mig_sigfd_flush(chan);	/* for a signalfd read at home */
		*ret = mig_guest_forward(g, chan, nr, args, &plan);
		return true;
	case MIG_SYS_FORWARD_MSG:
		mig_sigfd_flush(chan);
		*ret = mig_fwd_msg_call(chan, nr, args);
		return true;
	case MIG_SYS_MAP_FILE:
		if (mig_guest_map_file(chan, args, ret))
			return true;
		break;
	}
	/* Only home can run it: go home and run it there. */
	*ret = 0;
	g->home_reason = MIG_BEGIN_REASON(nr == __NR_mmap ? MIG_HOME_FILE :
					  MIG_HOME_SYSCALL, nr);
	err = mig_guest_go_home(g, gt, true);
	if (!err)
		return true;
	if (err == -EAGAIN || err == -EINTR) {
		/* Another thread moves it, or parks it: the call comes again. */
		schedule_timeout_interruptible(1);
		*ret = -ERESTARTNOINTR;
		return true;
	}
	pr_info_ratelimited("guest %d (home %u:%u): syscall %lu needs the home node; refused\n",
			    g->pid, g->home_node, g->home_pid, nr);
	*ret = -ENOSYS;
	return true;
}

/* Every syscall of a guest comes here first (syscall_hook.c). */
static bool mig_guest_syscall(struct mig_hooked *h, const struct pt_regs *regs,
			      long *ret)
{
	struct mig_guest *g = container_of(h, struct mig_guest, hooked);

	if (!g->restored)
		return mig_guest_prelude_syscall(g, regs, ret);
	/* Its trampoline making its threads: its own calls, run here. */
	if (g->spawning)
		return mig_guest_spawned(g, regs, ret);
	return mig_guest_serve(g, NULL, regs, ret);
}

static const struct mig_hooked_ops mig_guest_ops = {
	.name = "guest",
	.syscall = mig_guest_syscall,
	.exited = mig_guest_exited,
	.forked = mig_guest_forked,
};

/*
 * A new thread's first call, from the trampoline with its index: it
 * takes its registrations and name, and waits until the move is
 * answered. Its other calls there (its GS base) run here.
 */
static bool mig_gthread_start(struct mig_gthread *gt,
			      const struct pt_regs *regs, long *ret)
{
	struct mig_guest *g = gt->g;

	if (!mig_tramp_trap(&g->rt, regs))
		return false;
	if (regs->dx != gt->index) {
		*ret = -EINVAL;
		return true;
	}
	if (wait_for_completion_killable(&g->spawned) || g->spawn_err) {
		*ret = -ECANCELED;
		return true;
	}
	mig_restore_thread_kernel(&gt->rec, true);
	if (mig_sleep_restore(&gt->rec.sleep, &gt->sleep))
		memset(&gt->sleep, 0, sizeof(gt->sleep));
	/* Blocked (its parent's mask) until its frame's mask. */
	mig_signal_raise(be64_to_cpu(gt->rec.pending), false);
	mig_chan_set_task(gt->chan, current);
	gt->started = true;
	*ret = 0;
	return true;
}

static bool mig_gthread_syscall(struct mig_hooked *h,
				const struct pt_regs *regs, long *ret)
{
	struct mig_gthread *gt = container_of(h, struct mig_gthread, hooked);

	if (!gt->started)
		return mig_gthread_start(gt, regs, ret);
	return mig_guest_serve(gt->g, gt, regs, ret);
}

/* The thread ended here: its deputy at home ends too. */
static void mig_gthread_exit_work(struct work_struct *work)
{
	struct mig_gthread *gt = container_of(work, struct mig_gthread,
					      exit_work);
	struct mig_guest *g = gt->g;

	if (gt->started && g->restored && !READ_ONCE(g->gone_home))
		mig_chan_send_ctl(gt->chan, MIG_MSG_EXIT, gt->exit_status,
				  g->pid);
	spin_lock(&mig_guests_lock);
	list_del_init(&gt->node);
	spin_unlock(&mig_guests_lock);
	mig_gthread_free(gt);
}

static void mig_gthread_exited(struct mig_hooked *h)
{
	struct mig_gthread *gt = container_of(h, struct mig_gthread, hooked);

	gt->exit_status = current->exit_code & 0xffff;
	INIT_WORK(&gt->exit_work, mig_gthread_exit_work);
	queue_work(mig_guest_wq, &gt->exit_work);
}

static const struct mig_hooked_ops mig_gthread_ops = {
	.name = "guest thread",
	.syscall = mig_gthread_syscall,
	.exited = mig_gthread_exited,
};

/*
 * In each thread the one going home parks (threads.c): which thread it
 * is at home, and the sleep it may be finishing here.
 */
static void mig_guest_park_prepare(struct mig_parked *p)
{
	struct mig_hooked *h = mig_hook_guest(current);
	struct mig_guest *g;
	struct mig_gthread *gt;

	if (!h)
		return;
	p->pending = true;
	if (h->ops == &mig_gthread_ops) {
		gt = container_of(h, struct mig_gthread, hooked);
		p->home_tid = gt->home_tid;
		p->sleep = &gt->sleep;
		p->chan = gt->chan;
	} else if (h->ops == &mig_guest_ops) {
		g = container_of(h, struct mig_guest, hooked);
		p->home_tid = g->home_tid;
		p->sleep = &g->sleep;
		p->chan = g->chan;
	}
}

static const struct mig_park_ops mig_guest_park_ops = {
	.prepare = mig_guest_park_prepare,
};

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
		e[n].pinned = g->pinned;
		e[n].threads = 1 + list_count_nodes(&g->threads);
		if (g->restored && READ_ONCE(g->recall_queued))
			mig_live_ps_guest(g->pid, &e[n]);
		n++;
	}
	spin_unlock(&mig_guests_lock);
	return n;
}

/*
 * The channels of the threads running here that home may want to hear
 * about (procview.c), referenced: each restored guest's, and those of its
 * threads that have started. At most @max; how many.
 */
int mig_guest_chans(struct mig_chan **chans, int max)
{
	struct mig_gthread *t;
	struct mig_guest *g;
	int n = 0;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list) {
		if (!g->restored || g->gone_home || !g->chan)
			continue;
		if (n == max)
			break;
		kref_get(&g->chan->ref);
		chans[n++] = g->chan;
		list_for_each_entry(t, &g->threads, node) {
			if (n == max)
				break;
			if (!t->started || !t->chan)
				continue;
			kref_get(&t->chan->ref);
			chans[n++] = t->chan;
		}
	}
	spin_unlock(&mig_guests_lock);
	return n;
}

/* Work that must be finished before the module goes away. */
void mig_queue_work(struct work_struct *work)
{
	queue_work(mig_guest_wq, work);
}

void mig_queue_delayed_work(struct delayed_work *work, unsigned long delay)
{
	queue_delayed_work(mig_guest_wq, work, delay);
}

int mig_guest_init(void)
{
	mig_guest_wq = alloc_workqueue("mig_guest", WQ_UNBOUND, 0);
	return mig_guest_wq ? 0 : -ENOMEM;
}

/* Guests die with their links (nodes_exit ran first); wait for them. */
void mig_guest_exit(void)
{
	struct mig_early *e, *tmp;
	struct mig_guest *g;

	cancel_delayed_work_sync(&mig_early_work);
	list_for_each_entry_safe(e, tmp, &mig_earlies, list) {
		list_del(&e->list);
		mig_chan_close(e->chan);
		kfree(e);
	}
	mig_nr_early = 0;

	spin_lock(&mig_guests_lock);
	list_for_each_entry(g, &mig_guests, list)
		mig_chan_set_task(g->chan, NULL);
	spin_unlock(&mig_guests_lock);
	destroy_workqueue(mig_guest_wq);
}

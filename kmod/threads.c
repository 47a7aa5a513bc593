// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the other threads of a multi-threaded process, stopped while the
 * process is captured.
 *
 * One thread captures the process (the *captain*: the thread a move's
 * task_work runs in at home, or the guest thread that goes home). Before
 * it reads anything it parks every other thread of the process: each
 * gets a task_work (TWA_SIGNAL), so it stops at a safe point on its way
 * to user mode as the captain did, whether it computes or sleeps in a
 * system call (an interrupted call restarts as after any signal). There
 * the thread captures its own state (registers, FPU, mask, stacks,
 * registrations, a sleep under way) into a THREAD record, and waits for
 * the captain's verdict: the move failed, and it simply returns to where
 * it was; or the process moved, and it does what its owner said
 * (mig_park_ops.moved: at home it becomes the deputy of its thread).
 *
 * Lifetimes: the park is referenced by the captain and by every queued
 * task_work; a work that runs after the captain gave up (a thread that
 * was stopped, say) finds the verdict given and returns at once. Each
 * queued work also holds the module (mig_work_get()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "mig.h"

struct mig_park {
	struct kref ref;
	struct list_head claim;		/* in mig_parkings */
	struct signal_struct *signal;	/* the process parked */
	int n;
	atomic_t pending;		/* threads still to park, and +1 */
	struct completion all_parked;
	struct completion verdict;
	int result;			/* 0: the process moved */
	bool decided;
	const struct mig_park_ops *ops;
	void *ctx;
	struct mig_parked t[];
};

/* How long the captain waits for the others to reach a safe point. */
#define MIG_PARK_TIMEOUT	(30 * HZ)
/* Tries when one of them is inside the vDSO (not a safe point). */
#define MIG_PARK_TRIES		50

/*
 * One parking per process at a time: two threads each parking the other
 * would each wait for the other to stop. The second is refused at once.
 */
static LIST_HEAD(mig_parkings);
static DEFINE_SPINLOCK(mig_parkings_lock);

static bool mig_park_claim(struct mig_park *park)
{
	struct mig_park *p;
	bool free = true;

	spin_lock(&mig_parkings_lock);
	list_for_each_entry(p, &mig_parkings, claim)
		free &= p->signal != current->signal;
	if (free) {
		park->signal = current->signal;
		list_add(&park->claim, &mig_parkings);
	}
	spin_unlock(&mig_parkings_lock);
	return free;
}

static void mig_park_unclaim(struct mig_park *park)
{
	spin_lock(&mig_parkings_lock);
	if (park->signal)
		list_del(&park->claim);
	park->signal = NULL;
	spin_unlock(&mig_parkings_lock);
}

static void mig_park_free(struct kref *ref)
{
	struct mig_park *park = container_of(ref, struct mig_park, ref);
	int i;

	for (i = 0; i < park->n; i++) {
		kvfree(park->t[i].xstate);
		if (park->t[i].task)
			put_task_struct(park->t[i].task);
	}
	kfree(park);
}

static void mig_park_put(struct mig_park *park)
{
	kref_put(&park->ref, mig_park_free);
}

/* In the parked thread: its own state, as its owner says to read it. */
static int mig_park_capture(struct mig_parked *p)
{
	struct mig_park *park = p->park;
	int err;

	if (current->flags & PF_EXITING || fatal_signal_pending(current))
		return -ESRCH;
	if (mig_in_vdso())
		return -EINPROGRESS;
	if (park->ops && park->ops->prepare)
		park->ops->prepare(p);
	err = mig_capture_thread(&p->msg, &p->xstate, &p->xstate_len,
				 p->sleep, false, p->pending);
	if (!err && p->home_tid)
		p->msg.home_tid = cpu_to_be32(p->home_tid);
	return err;
}

static void mig_park_work(struct callback_head *cb)
{
	struct mig_parked *p = container_of(cb, struct mig_parked, work);
	struct mig_park *park = p->park;

	/* The flag that queued this is not a signal to the calls below. */
	clear_notify_signal();
	if (!READ_ONCE(park->decided)) {
		p->err = mig_park_capture(p);
		WRITE_ONCE(p->parked, true);
		if (atomic_dec_and_test(&park->pending))
			complete(&park->all_parked);
		if (!wait_for_completion_killable(&park->verdict) &&
		    !park->result && !p->err && park->ops && park->ops->moved)
			park->ops->moved(p);
	}
	mig_park_put(park);
	mig_work_put();
}

/* The captain gives its verdict: 0, the process moved; else it stays. */
void mig_park_release(struct mig_park *park, int result)
{
	if (!park)
		return;
	park->result = result;
	mig_park_unclaim(park);
	WRITE_ONCE(park->decided, true);
	complete_all(&park->verdict);
	mig_park_put(park);
}

/* Every thread of current's process but current and those exiting. */
static int mig_park_collect(struct mig_park *park, int room)
{
	struct task_struct *t;
	int n = 0;

	rcu_read_lock();
	for_each_thread(current, t) {
		if (t == current || t->flags & PF_EXITING)
			continue;
		if (n == room) {
			n = -EAGAIN;
			break;
		}
		get_task_struct(t);
		park->t[n++].task = t;
	}
	rcu_read_unlock();
	return n;
}

/* Whether a thread was made or left the exit since they were parked. */
static bool mig_park_complete(struct mig_park *park)
{
	struct task_struct *t;
	bool ok = true;
	int i;

	rcu_read_lock();
	for_each_thread(current, t) {
		if (t == current || t->flags & PF_EXITING)
			continue;
		for (i = 0; i < park->n; i++)
			if (park->t[i].task == t)
				break;
		if (i == park->n) {
			ok = false;
			break;
		}
	}
	rcu_read_unlock();
	return ok;
}

static int mig_park_queue(struct mig_park *park)
{
	int i;

	for (i = 0; i < park->n; i++) {
		struct mig_parked *p = &park->t[i];

		if (!mig_work_get())
			break;
		kref_get(&park->ref);
		init_task_work(&p->work, mig_park_work);
		if (task_work_add(p->task, &p->work, TWA_SIGNAL)) {
			/* It is exiting: it counts as parked, with nothing. */
			mig_park_put(park);
			mig_work_put();
			p->err = -ESRCH;
			p->parked = true;
			if (atomic_dec_and_test(&park->pending))
				complete(&park->all_parked);
			continue;
		}
	}
	return i == park->n ? 0 : -ENODEV;
}

/* The first error of the parked threads, 0 if none; exits are fine. */
static int mig_park_error(struct mig_park *park)
{
	int i;

	for (i = 0; i < park->n; i++) {
		int err = park->t[i].err;

		if (err && err != -ESRCH)
			return err;
	}
	return 0;
}

static struct mig_park *mig_park_try(const struct mig_park_ops *ops,
				     void *ctx, const char **why)
{
	int nr = get_nr_threads(current) - 1, n, err;
	struct mig_park *park;
	long left;

	if (nr + 1 > MIG_THREADS_MAX) {
		*why = "the process has more threads than move (256)";
		return ERR_PTR(-E2BIG);
	}
	park = kzalloc(struct_size(park, t, nr), GFP_KERNEL);
	if (!park)
		return ERR_PTR(-ENOMEM);
	kref_init(&park->ref);
	init_completion(&park->all_parked);
	init_completion(&park->verdict);
	park->ops = ops;
	park->ctx = ctx;
	if (!mig_park_claim(park)) {
		mig_park_put(park);
		*why = "another thread of the process is being moved; try again";
		return ERR_PTR(-EAGAIN);
	}
	n = mig_park_collect(park, nr);
	if (n < 0) {
		mig_park_unclaim(park);
		mig_park_put(park);
		*why = "a thread was made while the move began; try again";
		return ERR_PTR(-EAGAIN);
	}
	park->n = n;
	for (n = 0; n < park->n; n++)
		park->t[n].park = park;
	atomic_set(&park->pending, park->n + 1);
	err = mig_park_queue(park);
	if (atomic_dec_and_test(&park->pending))
		complete(&park->all_parked);
	if (!err) {
		left = wait_for_completion_killable_timeout(&park->all_parked,
							    MIG_PARK_TIMEOUT);
		if (left == 0) {
			*why = "a thread of the process did not reach a safe point in time (stopped, or in an uninterruptible sleep?)";
			err = -ETIMEDOUT;
		} else if (left < 0) {
			err = -EINTR;
		}
	}
	if (!err)
		err = mig_park_error(park);
	if (!err && !mig_park_complete(park)) {
		*why = "a thread was made while the move began; try again";
		err = -EAGAIN;
	}
	if (err) {
		mig_park_release(park, err);
		return ERR_PTR(err);
	}
	return park;
}

/*
 * From the captain: parks every other thread of current's process, each
 * with its state captured. NULL for a process of one thread; else the
 * park, which mig_park_release() ends; or an ERR_PTR and *why.
 */
struct mig_park *mig_park_others(const struct mig_park_ops *ops, void *ctx,
				 const char **why)
{
	struct mig_park *park;
	int tries = 0;

	if (get_nr_threads(current) <= 1)
		return NULL;
	for (;;) {
		park = mig_park_try(ops, ctx, why);
		/* One of them was inside the vDSO: a moment later. */
		if (PTR_ERR_OR_ZERO(park) != -EINPROGRESS ||
		    ++tries == MIG_PARK_TRIES)
			break;
		schedule_timeout_killable(1);
		if (fatal_signal_pending(current))
			return ERR_PTR(-EINTR);
	}
	if (IS_ERR(park) && PTR_ERR(park) == -EINPROGRESS)
		*why = "a thread keeps running inside the vDSO; try again";
	return park;
}

/* How many threads it parked (without the captain). */
int mig_park_count(const struct mig_park *park)
{
	return park ? park->n : 0;
}

struct mig_parked *mig_park_thread(struct mig_park *park, int i)
{
	return &park->t[i];
}

void *mig_park_ctx(const struct mig_park *park)
{
	return park->ctx;
}

/*
 * Sends THREAD for each parked thread (not one that exited meanwhile),
 * after the process's STATE; each names its own channel.
 */
int mig_park_send(struct mig_park *park, struct mig_chan *chan, u64 *bytes)
{
	int i, err;

	for (i = 0; i < park->n; i++) {
		struct mig_parked *p = &park->t[i];
		struct kvec vec[2] = {
			{ &p->msg, sizeof(p->msg) },
			{ p->xstate, p->xstate_len },
		};

		if (p->err)
			continue;
		if (!p->chan)
			return -EINVAL;
		p->msg.mig_id = cpu_to_be32(chan->id);
		p->msg.chan_id = cpu_to_be32(p->chan->id);
		p->msg.xstate_len = cpu_to_be32(p->xstate_len);
		err = mig_chan_send(chan, MIG_MSG_MOVE_THREAD, vec, 2);
		if (err)
			return err;
		*bytes += sizeof(p->msg) + p->xstate_len;
	}
	return 0;
}

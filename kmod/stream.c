// SPDX-License-Identifier: GPL-2.0
/*
 * mig: per-process message channels. Every migrated process has one at
 * each end, named by the peer's node id and the process's mig_id. The
 * link's receive loop drops each migration message into its channel; the
 * process's own context (capturing, restoring, or acting as deputy) takes
 * them out in order. A channel whose link went down is dead: waiters are
 * woken and see -ENOLINK.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "mig.h"

/*
 * Unread data a peer may leave waiting: past the soft limits the receive
 * loop waits a while for the readers; past the hard ones the channel the
 * frame is for is broken (its process ends, the link stays up), since
 * either its reader is stuck or the peer floods it.
 */
#define MIG_CHAN_MAX_QUEUED	(64UL << 20)
#define MIG_CHAN_HARD_QUEUED	(2 * MIG_CHAN_MAX_QUEUED)
#define MIG_LINK_MAX_QUEUED	(128UL << 20)
#define MIG_LINK_HARD_QUEUED	(2 * MIG_LINK_MAX_QUEUED)

static DEFINE_HASHTABLE(mig_chans, 6);
static DEFINE_SPINLOCK(mig_chans_lock);

static u32 mig_chan_hash(u16 peer, u32 id)
{
	return id ^ ((u32)peer << 16);
}

static struct mig_chan *mig_chan_find_locked(u16 peer, u32 id)
{
	struct mig_chan *chan;

	hash_for_each_possible(mig_chans, chan, hnode, mig_chan_hash(peer, id))
		if (chan->peer == peer && chan->id == id)
			return chan;
	return NULL;
}

/* The channel @id with @peer, referenced; NULL if there is none. */
struct mig_chan *mig_chan_lookup(u16 peer, u32 id)
{
	struct mig_chan *chan;

	spin_lock(&mig_chans_lock);
	chan = mig_chan_find_locked(peer, id);
	if (chan)
		kref_get(&chan->ref);
	spin_unlock(&mig_chans_lock);
	return chan;
}

struct mig_chan *mig_chan_open(u16 peer, u32 id)
{
	struct mig_chan *chan = kzalloc(sizeof(*chan), GFP_KERNEL);

	if (!chan)
		return ERR_PTR(-ENOMEM);
	kref_init(&chan->ref);
	chan->peer = peer;
	chan->id = id;
	spin_lock_init(&chan->lock);
	INIT_LIST_HEAD(&chan->frames);
	init_waitqueue_head(&chan->wait);
	chan->dead = !mig_link_is_up(peer);

	spin_lock(&mig_chans_lock);
	if (mig_chan_find_locked(peer, id)) {
		spin_unlock(&mig_chans_lock);
		kfree(chan);
		return ERR_PTR(-EEXIST);
	}
	hash_add(mig_chans, &chan->hnode, mig_chan_hash(peer, id));
	spin_unlock(&mig_chans_lock);
	return chan;
}

/*
 * Opens a channel to @peer under a new id of ours: this node's id in the
 * top 16 bits, so that ids made at the two ends of a link never collide
 * (two moves crossing each other between the same nodes), and a counter
 * below, skipping ids still in use once it wraps.
 */
struct mig_chan *mig_chan_open_new(u16 peer)
{
	static atomic_t next = ATOMIC_INIT(0);
	struct mig_chan *chan = ERR_PTR(-EBUSY);
	int tries;

	for (tries = 0; tries < 64; tries++) {
		u32 low = (u32)atomic_inc_return(&next) & 0xffff;

		chan = mig_chan_open(peer, (u32)mig_node_id << 16 | low);
		if (!IS_ERR(chan) || PTR_ERR(chan) != -EEXIST)
			break;
	}
	return chan;
}

void mig_frame_free(struct mig_frame *frame)
{
	if (!frame)
		return;
	kvfree(frame->data);
	kfree(frame);
}

/* A frame leaves its channel: its bytes no longer count for its link. */
static void mig_frame_dequeued(struct mig_frame *frame)
{
	if (!frame->from)
		return;
	atomic_long_sub(frame->len, &frame->from->rx_queued);
	mig_node_put(frame->from);
	frame->from = NULL;
}

static void mig_chan_free(struct kref *ref)
{
	struct mig_chan *chan = container_of(ref, struct mig_chan, ref);
	struct mig_frame *frame, *tmp;

	list_for_each_entry_safe(frame, tmp, &chan->frames, list) {
		mig_frame_dequeued(frame);
		mig_frame_free(frame);
	}
	if (chan->task)
		put_task_struct(chan->task);
	if (chan->deputy)
		put_task_struct(chan->deputy);
	kfree(chan);
}

void mig_chan_put(struct mig_chan *chan)
{
	kref_put(&chan->ref, mig_chan_free);
}

/* Unlists the channel (no more messages reach it) and drops the caller's ref. */
void mig_chan_close(struct mig_chan *chan)
{
	mig_chan_set_deputy(chan, NULL);	/* nothing left to interrupt */
	spin_lock(&mig_chans_lock);
	if (!hlist_unhashed(&chan->hnode))
		hash_del(&chan->hnode);
	spin_unlock(&mig_chans_lock);
	mig_chan_put(chan);
}

/* Points @slot (a task field of @chan) at @task, references moved along. */
static void mig_chan_swap_task(struct mig_chan *chan,
			       struct task_struct **slot,
			       struct task_struct *task)
{
	struct task_struct *old;

	if (task)
		get_task_struct(task);
	spin_lock(&chan->lock);
	old = *slot;
	*slot = task;
	spin_unlock(&chan->lock);
	if (old)
		put_task_struct(old);
}

/* The deputy that runs this channel's forwarded calls, or NULL. */
void mig_chan_set_deputy(struct mig_chan *chan, struct task_struct *task)
{
	mig_chan_swap_task(chan, &chan->deputy, task);
}

/*
 * The guest wants the call its deputy runs interrupted (a signal came), or
 * has ended: a task_work with TWA_SIGNAL wakes the deputy out of an
 * interruptible wait, and on its way out turns the call's restart into
 * -EINTR (mig_deputy_intr_work()).
 */
void mig_chan_interrupt(struct mig_chan *chan)
{
	bool failed = false;

	spin_lock(&chan->lock);
	/* The work's references: the channel, and the module (its text). */
	if (chan->deputy && !test_and_set_bit(0, &chan->intr_queued)) {
		if (!mig_work_get()) {
			clear_bit(0, &chan->intr_queued);
			goto out;
		}
		kref_get(&chan->ref);
		init_task_work(&chan->intr_work, mig_deputy_intr_work);
		if (task_work_add(chan->deputy, &chan->intr_work, TWA_SIGNAL)) {
			clear_bit(0, &chan->intr_queued);
			failed = true;
		}
	}
out:
	spin_unlock(&chan->lock);
	if (failed) {
		mig_chan_put(chan);
		mig_work_put();
	}
}

/*
 * Does a signal wait for the channel's deputy, other than those in
 * @ignore (left for signalfds)? A lockless look at its pending sets (a
 * stale answer only delays the relay by a round).
 */
bool mig_chan_deputy_signalled(struct mig_chan *chan, u64 ignore)
{
	struct task_struct *t;
	bool pending = false;

	spin_lock(&chan->lock);
	t = chan->deputy;
	if (t)
		pending = (READ_ONCE(t->pending.signal.sig[0]) |
			   READ_ONCE(t->signal->shared_pending.signal.sig[0])) &
			  ~ignore;
	spin_unlock(&chan->lock);
	return pending;
}

/* A guest's channel: its task, referenced; NULL if it has none now. */
struct task_struct *mig_chan_get_task(struct mig_chan *chan)
{
	struct task_struct *task;

	spin_lock(&chan->lock);
	task = chan->task;
	if (task)
		get_task_struct(task);
	spin_unlock(&chan->lock);
	return task;
}

/* A deputy's channel: what its thread's node says of it, for how long. */
void mig_chan_set_usage(struct mig_chan *chan, const struct mig_msg_usage *u)
{
	unsigned long until = jiffies + be16_to_cpu(u->valid_s) * HZ;

	spin_lock(&chan->lock);
	chan->usage = *u;
	chan->usage_until = until ?: 1;
	spin_unlock(&chan->lock);
}

/* ... and what it said last, if that still stands. */
bool mig_chan_usage(struct mig_chan *chan, struct mig_msg_usage *to)
{
	bool has;

	spin_lock(&chan->lock);
	has = chan->usage_until && time_before(jiffies, chan->usage_until);
	if (has)
		*to = chan->usage;
	spin_unlock(&chan->lock);
	return has;
}

void mig_chan_set_task(struct mig_chan *chan, struct task_struct *task)
{
	mig_chan_swap_task(chan, &chan->task, task);
}

static void mig_chan_signal(struct mig_chan *chan, int sig)
{
	spin_lock(&chan->lock);
	if (chan->task)
		send_sig(sig, chan->task, 1);
	spin_unlock(&chan->lock);
}

/*
 * Queues job stop work @fn on @task (the channel's guest or deputy), one
 * at a time. Called from the receive loop with chan->lock held: its own
 * reference keeps the channel, so the work's can be dropped here if the
 * task is exiting. False if nothing was queued.
 */
static bool mig_chan_queue_stop(struct mig_chan *chan, struct task_struct *task,
				task_work_func_t fn, const kernel_siginfo_t *info)
{
	if (!task || test_and_set_bit(0, &chan->stop_queued))
		return false;
	/* The work's references: the channel, and the module (its text). */
	if (!mig_work_get()) {
		clear_bit(0, &chan->stop_queued);
		return false;
	}
	chan->stop_info = *info;
	kref_get(&chan->ref);
	init_task_work(&chan->stop_work, fn);
	if (!task_work_add(task, &chan->stop_work, TWA_SIGNAL))
		return true;
	clear_bit(0, &chan->stop_queued);
	kref_put(&chan->ref, mig_chan_free);	/* never the last one */
	mig_work_put();
	return false;
}

/*
 * A relayed signal, with its sender as home saw it (sigrelay.c); at
 * home (the channel's deputy), one the guest took for a signalfd held
 * there (sigfd.c).
 */
static void mig_chan_signal_info(struct mig_chan *chan,
				 const struct mig_msg_signal *m)
{
	bool group = be32_to_cpu(m->flags) & MIG_SIGNAL_GROUP;
	kernel_siginfo_t info;

	if (!mig_signal_decode(m, &info)) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return;
	}
	spin_lock(&chan->lock);
	if (!chan->task && chan->deputy) {
		/* A stop is never left to a signalfd: it is not the guest's. */
		if (info.si_signo == SIGSTOP)
			mig_stat_inc(MIG_STAT_BAD_STREAM);
		else
			mig_sigfd_raise_home(chan->deputy, &info, group);
	} else if (chan->task &&
	    (!mig_signal_is_job_stop(info.si_signo) ||
	     !mig_chan_queue_stop(chan, chan->task, mig_guest_stop_work, &info))) {
		struct task_struct *to = chan->task;

		rcu_read_lock();
		if (group)
			to = mig_signal_target(to, info.si_signo);
		/*
		 * Blocked by every thread: pending on the main thread, with
		 * its siginfo (no export queues one on the process), where
		 * sigwait(), sigpending() and a homecoming find it.
		 */
		if (!to)
			to = chan->task->group_leader;
		send_sig_info(info.si_signo, &info, to);
		rcu_read_unlock();
	}
	spin_unlock(&chan->lock);
}

/* The guest asks its deputy to take a job stop (sigrelay.c). */
static void mig_chan_job_stop(struct mig_chan *chan, const struct mig_msg_ctl *m)
{
	kernel_siginfo_t info;

	clear_siginfo(&info);
	info.si_signo = be32_to_cpu(m->value);
	if (!mig_signal_is_job_stop(info.si_signo)) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return;
	}
	spin_lock(&chan->lock);
	mig_chan_queue_stop(chan, chan->deputy, mig_deputy_stop_work, &info);
	spin_unlock(&chan->lock);
}

/* Whether a frame waits in @chan, or it is dead: a wait may end. */
bool mig_chan_ready(struct mig_chan *chan)
{
	return READ_ONCE(chan->dead) || !list_empty(&chan->frames);
}

/*
 * Waits up to @timeout jiffies for the next message. Returns it (the
 * caller frees it with mig_frame_free) or an ERR_PTR: -ENOLINK when the
 * link is gone, -ETIMEDOUT, or -EINTR on a fatal signal; with
 * @interruptible, any signal ends the wait with -EINTR.
 */
struct mig_frame *mig_chan_recv_any(struct mig_chan *chan, long timeout,
				    bool interruptible)
{
	struct mig_frame *frame = NULL;
	long left;

	if (interruptible)
		left = wait_event_interruptible_timeout(chan->wait,
							mig_chan_ready(chan),
							timeout);
	else
		left = wait_event_killable_timeout(chan->wait,
						   mig_chan_ready(chan),
						   timeout);
	if (left < 0)
		return ERR_PTR(-EINTR);
	spin_lock(&chan->lock);
	frame = list_first_entry_or_null(&chan->frames, struct mig_frame, list);
	if (frame) {
		list_del(&frame->list);
		chan->queued -= frame->len;
	}
	spin_unlock(&chan->lock);
	if (frame) {
		mig_frame_dequeued(frame);
		wake_up_all(&chan->wait);
		return frame;
	}
	if (READ_ONCE(chan->dead))
		return ERR_PTR(-ENOLINK);
	return ERR_PTR(-ETIMEDOUT);
}

struct mig_frame *mig_chan_recv(struct mig_chan *chan, long timeout)
{
	return mig_chan_recv_any(chan, timeout, false);
}

static bool mig_chan_has_room(struct mig_chan *chan, struct mig_node *node,
			      size_t len, size_t chan_max, long link_max)
{
	return READ_ONCE(chan->queued) + len <= chan_max &&
	       atomic_long_read(&node->rx_queued) + (long)len <= link_max;
}

static bool mig_chan_may_queue(struct mig_chan *chan, struct mig_node *node,
			       size_t len)
{
	return READ_ONCE(chan->dead) ||
	       mig_chan_has_room(chan, node, len, MIG_CHAN_MAX_QUEUED,
				 MIG_LINK_MAX_QUEUED);
}

/* Ends the process of a channel whose stream cannot go on; not the link. */
static void mig_chan_break(struct mig_chan *chan)
{
	mig_stat_inc(MIG_STAT_BAD_STREAM);
	pr_warn_ratelimited("process stream %#x from node %u dropped: too much unread data\n",
			    chan->id, chan->peer);
	WRITE_ONCE(chan->dead, true);
	mig_chan_signal(chan, SIGKILL);
	wake_up_all(&chan->wait);
}

static int mig_chan_queue(struct mig_chan *chan, struct mig_node *node,
			  struct mig_rx *rx)
{
	size_t len = be32_to_cpu(rx->hdr.len);
	struct mig_frame *frame;

	/* Back-pressure, bounded so heartbeats are still answered in time. */
	wait_event_timeout(chan->wait, mig_chan_may_queue(chan, node, len),
			   msecs_to_jiffies(mig_hb_interval_ms));
	if (!mig_chan_has_room(chan, node, len, MIG_CHAN_HARD_QUEUED,
			       MIG_LINK_HARD_QUEUED)) {
		if (!READ_ONCE(chan->dead))
			mig_chan_break(chan);
		return 0;
	}
	frame = kmalloc(sizeof(*frame), GFP_KERNEL);
	if (!frame)
		return -ENOMEM;
	frame->type = rx->hdr.type;
	frame->len = len;
	frame->data = rx->payload;
	rx->payload = NULL;
	frame->from = node;
	kref_get(&node->ref);
	atomic_long_add(len, &node->rx_queued);

	spin_lock(&chan->lock);
	list_add_tail(&frame->list, &chan->frames);
	chan->queued += frame->len;
	spin_unlock(&chan->lock);
	wake_up_all(&chan->wait);
	return 0;
}

int mig_chan_send(struct mig_chan *chan, u8 type, const struct kvec *vec,
		  unsigned int n)
{
	return mig_link_sendv(chan->peer, type, vec, n);
}

int mig_chan_send_ctl(struct mig_chan *chan, u8 type, u32 value, u32 pid)
{
	struct mig_msg_ctl ctl = {
		.mig_id = cpu_to_be32(chan->id),
		.value = cpu_to_be32(value),
		.pid = cpu_to_be32(pid),
	};
	struct kvec vec = { .iov_base = &ctl, .iov_len = sizeof(ctl) };

	return mig_chan_send(chan, type, &vec, 1);
}

/* The errno an ACK carries (positive on the wire), bounded. */
int mig_ctl_errno(const struct mig_frame *f)
{
	const struct mig_msg_ctl *ctl = f->data;

	u32 value = be32_to_cpu(ctl->value);

	/* From a peer that sent a restart code (mig_ack_value()). */
	if (value >= ERESTARTSYS && value <= ERESTART_RESTARTBLOCK)
		return -EINTR;
	return -(int)min_t(u32, value, MAX_ERRNO);
}

/*
 * The handlers below are called by the link's receive loop for the
 * migration messages of @node, each type's length already checked. A
 * malformed or unexpected message is refused and counted; it never takes
 * the link down, and it only ever harms the process it names.
 */
static u32 mig_msg_chan_id(const struct mig_rx *rx)
{
	return be32_to_cpup((__be32 *)rx->payload);
}

/* The channel a message names, or NULL (counted) when there is none. */
struct mig_chan *mig_msg_chan(struct mig_node *node, const struct mig_rx *rx)
{
	struct mig_chan *chan = mig_chan_lookup(node->id, mig_msg_chan_id(rx));

	if (!chan)
		mig_stat_inc(MIG_STAT_BAD_STREAM);
	return chan;
}

/* A message for the process's own context: queued in its channel. */
int mig_stream_rx_queue(struct mig_node *node, struct mig_rx *rx)
{
	struct mig_chan *chan = mig_msg_chan(node, rx);
	int err;

	if (!chan)
		return 0;
	/*
	 * An abort that crosses a late ACK would leave the process running
	 * at both ends: the sender keeps it, so end ours.
	 */
	if (rx->hdr.type == MIG_MSG_MOVE_ABORT) {
		mig_chan_signal(chan, SIGKILL);
		mig_guest_abort_await(node->id, chan->id);
	}
	/* A deputy deep in a forwarded call must see the end. */
	if (rx->hdr.type == MIG_MSG_EXIT)
		mig_chan_interrupt(chan);
	err = mig_chan_queue(chan, node, rx);
	mig_chan_put(chan);
	return err;
}

/*
 * A stream starts: a new guest, unless the process comes home. Ids are
 * made by the node that opens the channel (mig_chan_open_new()): a peer
 * opening one must use its own prefix, so that it can never name one of
 * ours.
 */
static int mig_stream_rx_begin(struct mig_node *node, struct mig_rx *rx)
{
	const struct mig_msg_begin *begin = (const void *)rx->payload;

	if (be16_to_cpu(begin->flags) & MIG_BEGIN_ROUNDS)
		return mig_deputy_rounds_begin(node->id, begin);
	if (be16_to_cpu(begin->flags) & MIG_BEGIN_HOMECOMING)
		return mig_stream_rx_queue(node, rx);
	if (be16_to_cpu(begin->flags) & MIG_BEGIN_ONWARD)
		return mig_guest_onward(node->id, begin);
	if (mig_chan_id_node(be32_to_cpu(begin->mig_id)) != node->id) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return 0;
	}
	return mig_guest_begin(node->id, begin);
}

static int mig_stream_rx_recall(struct mig_node *node, struct mig_rx *rx)
{
	const struct mig_msg_ctl *m = (const void *)rx->payload;
	u32 onward = be32_to_cpu(m->value);
	u32 mode = be32_to_cpu(m->reserved);

	if (onward > U16_MAX || mode >= __MIG_MOVE_MODE_MAX) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return 0;
	}
	mig_guest_recall(node->id, mig_msg_chan_id(rx), onward,
			 be32_to_cpu(m->pid), mode);
	return 0;
}

static int mig_stream_rx_intr(struct mig_node *node, struct mig_rx *rx)
{
	struct mig_chan *chan = mig_msg_chan(node, rx);

	if (chan) {
		mig_chan_interrupt(chan);
		mig_chan_put(chan);
	}
	return 0;
}

static int mig_stream_rx_kill(struct mig_node *node, struct mig_rx *rx)
{
	u32 sig = be32_to_cpu(((struct mig_msg_ctl *)rx->payload)->value);
	struct mig_chan *chan = mig_msg_chan(node, rx);

	if (!chan)
		return 0;
	if (sig && valid_signal(sig))
		mig_chan_signal(chan, sig);
	else
		mig_stat_inc(MIG_STAT_BAD_STREAM);
	mig_chan_put(chan);
	return 0;
}

static int mig_stream_rx_signal(struct mig_node *node, struct mig_rx *rx)
{
	struct mig_chan *chan = mig_msg_chan(node, rx);

	if (chan) {
		mig_chan_signal_info(chan, (void *)rx->payload);
		mig_chan_put(chan);
	}
	return 0;
}

/* What the signalfds at home watch: for the guest thread of the channel. */
static int mig_stream_rx_sigfd(struct mig_node *node, struct mig_rx *rx)
{
	const struct mig_msg_sigfd *m = (const void *)rx->payload;
	struct mig_chan *chan = mig_msg_chan(node, rx);
	u64 mask = be64_to_cpu(m->mask);

	if (!chan)
		return 0;
	if (m->pad || mask & MIG_SIGFD_NEVER)
		mig_stat_inc(MIG_STAT_BAD_STREAM);
	else
		WRITE_ONCE(chan->sigfd, mask);
	mig_chan_put(chan);
	return 0;
}

static int mig_stream_rx_stop(struct mig_node *node, struct mig_rx *rx)
{
	struct mig_chan *chan = mig_msg_chan(node, rx);

	if (chan) {
		mig_chan_job_stop(chan, (void *)rx->payload);
		mig_chan_put(chan);
	}
	return 0;
}

#define MIG_STREAM_MSG(t, min, max, fn) \
	{ .type = (t), .min_len = (min), .max_len = (max), \
	  .owner = "stream", .rx = (fn) }
#define MIG_STREAM_CTL(t, fn) \
	MIG_STREAM_MSG(t, sizeof(struct mig_msg_ctl), \
		       sizeof(struct mig_msg_ctl), fn)

static const struct mig_msg_handler mig_stream_msgs[] = {
	MIG_STREAM_MSG(MIG_MSG_MOVE_BEGIN, sizeof(struct mig_msg_begin),
		       sizeof(struct mig_msg_begin), mig_stream_rx_begin),
	MIG_STREAM_MSG(MIG_MSG_MOVE_TASK, sizeof(struct mig_msg_task),
		       sizeof(struct mig_msg_task) + MIG_XSTATE_MAX,
		       mig_stream_rx_queue),
	MIG_STREAM_MSG(MIG_MSG_MOVE_STATE, sizeof(struct mig_msg_state),
		       sizeof(struct mig_msg_state), mig_stream_rx_queue),
	MIG_STREAM_MSG(MIG_MSG_MOVE_THREAD, sizeof(struct mig_msg_thread),
		       sizeof(struct mig_msg_thread) + MIG_XSTATE_MAX,
		       mig_stream_rx_queue),
	MIG_STREAM_MSG(MIG_MSG_MOVE_VMA, sizeof(struct mig_msg_vma),
		       sizeof(struct mig_msg_vma) + MIG_PATH_MAX,
		       mig_stream_rx_queue),
	MIG_STREAM_MSG(MIG_MSG_MOVE_PAGES,
		       sizeof(struct mig_msg_pages) + 8 + MIG_PAGE_SIZE,
		       sizeof(struct mig_msg_pages) +
		       MIG_PAGES_PER_MSG * (8 + MIG_PAGE_SIZE),
		       mig_stream_rx_queue),
	MIG_STREAM_CTL(MIG_MSG_MOVE_END, mig_stream_rx_queue),
	MIG_STREAM_CTL(MIG_MSG_MOVE_ABORT, mig_stream_rx_queue),
	MIG_STREAM_CTL(MIG_MSG_MOVE_ACK, mig_stream_rx_queue),
	MIG_STREAM_CTL(MIG_MSG_EXIT, mig_stream_rx_queue),
	MIG_STREAM_CTL(MIG_MSG_KILL, mig_stream_rx_kill),
	MIG_STREAM_MSG(MIG_MSG_SYSCALL, sizeof(struct mig_msg_syscall),
		       sizeof(struct mig_msg_syscall) + MIG_FWD_MAX_DATA,
		       mig_stream_rx_queue),
	MIG_STREAM_MSG(MIG_MSG_SYSRET, sizeof(struct mig_msg_sysret),
		       sizeof(struct mig_msg_sysret) + MIG_FWD_MAX_DATA,
		       mig_stream_rx_queue),
	MIG_STREAM_CTL(MIG_MSG_RECALL, mig_stream_rx_recall),
	MIG_STREAM_MSG(MIG_MSG_MOVE_WANT, sizeof(struct mig_msg_want),
		       sizeof(struct mig_msg_want), mig_stream_rx_queue),
	MIG_STREAM_CTL(MIG_MSG_INTR, mig_stream_rx_intr),
	MIG_STREAM_MSG(MIG_MSG_SIGNAL, sizeof(struct mig_msg_signal),
		       sizeof(struct mig_msg_signal), mig_stream_rx_signal),
	MIG_STREAM_CTL(MIG_MSG_STOP, mig_stream_rx_stop),
	MIG_STREAM_MSG(MIG_MSG_SIGFD, sizeof(struct mig_msg_sigfd),
		       sizeof(struct mig_msg_sigfd), mig_stream_rx_sigfd),
};

int mig_stream_init(void)
{
	return mig_msg_register(mig_stream_msgs, ARRAY_SIZE(mig_stream_msgs));
}

void mig_stream_exit(void)
{
	mig_msg_unregister(mig_stream_msgs, ARRAY_SIZE(mig_stream_msgs));
}

/* The link to @peer is gone: wake everyone waiting on it. */
void mig_stream_node_down(u16 peer)
{
	struct mig_chan *chan;
	int bkt;

	spin_lock(&mig_chans_lock);
	hash_for_each(mig_chans, bkt, chan, hnode) {
		if (chan->peer != peer)
			continue;
		WRITE_ONCE(chan->dead, true);
		/* A guest whose home is gone has nobody left to serve it. */
		mig_chan_signal(chan, SIGKILL);
		wake_up_all(&chan->wait);
	}
	spin_unlock(&mig_chans_lock);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the deputy, what stays at home of a process that runs elsewhere.
 *
 * Once the destination says a moving process runs there (migrate.c), the
 * task that moved stays behind as its deputy under the same pid, so its
 * parent, process group, session, files and cwd stay where they were.
 * The deputy runs the system calls its guest forwards (forward.c),
 * relays the signals sent to the pid here, stops with the guest on a job
 * stop, and when the guest ends it ends the same way, so its parent's
 * wait() sees the guest's status. If the process comes home, the deputy
 * rebuilds it and becomes it again; if it is sent on to another node, the
 * node it runs on sends it there directly, to await it there told by home
 * (MIG_BEGIN_AWAIT), and the deputy stays, now of the new guest.
 *
 * A deputy killed at home takes its guest along: the process must not
 * live on at the destination without its home.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "emit.h"
#include "mig.h"
#include "syscall_hook.h"
#include "trace.h"

/*
 * The deputy runs forwarded syscalls natively, from a stub in its own
 * (otherwise empty) address space: it loads a request block, makes the
 * syscall, stores the result, and traps back into the module with an
 * ioctl() the syscall hook recognises by its address. The block and the
 * buffers the call uses live in a scratch mapping next to it.
 */
#define MIG_DEPUTY_SCRATCH	(MIG_FWD_MAX_DATA + PAGE_SIZE)
#define MIG_BLK_RESULT		56	/* offset of the result in the block */
#define MIG_BLK_DATA		64	/* buffers start here */

struct mig_deputy {
	struct mig_hooked hooked;	/* first: the syscall hook's view */
	struct list_head list;		/* in mig_deputies */
	struct mig_chan *chan;
	unsigned long blk;		/* request block, then scratch */
	unsigned long code;		/* the stub's page */
	unsigned long trap_ip;		/* user ip right after the trap */
	unsigned long call_ip;		/* ... after the forwarded call */
	bool pending;			/* a forwarded call is running */
	bool stop_self;			/* SIGSTOP relayed: stop here too */
	bool reblock;			/* a job stop unblocked its signal */
	int recall_err;			/* why "move home" failed */
	u16 onward;			/* recalled to go on to this node */
	struct mig_chan *onward_chan;	/* ... which awaits it on this one */
	bool exit_held;			/* the old copy ended meanwhile, so: */
	int held_status;
	unsigned long nr;
	u64 args[6];
	struct mig_fwd_plan plan;
	struct work_struct gone_work;	/* died outside mig's control */
	struct delayed_work sig_watch;	/* signals during a forwarded call */
	pid_t pid;
	u16 where;
	u32 moves;
	u64 bytes_sent;
	struct mig_rounds *rounds;	/* a live homecoming's pre-copy */
	struct mig_span keep[3];	/* its memory once away, sorted */
	int nkeep;			/* 0 until then */
	/*
	 * A multi-threaded process: each of its threads at home is the
	 * deputy of its thread away, serving that thread's calls on its own
	 * channel. The process's deputy (the *owner*, whose thread moved
	 * it) holds the process's channel and everything the process has as
	 * a whole; the others point to it and are on its list. Each has a
	 * slot in the owner's stub and scratch mappings.
	 */
	struct kref ref;		/* owner: itself and each thread's */
	struct mig_deputy *owner;	/* a thread's: the process's */
	struct list_head threads;	/* owner: its threads' deputies */
	struct list_head tnode;		/* a thread's: in owner->threads */
	int slot, nslots;
	/* A homecoming: the owner's threads wait to be handed theirs. */
	struct mig_hand *hand;
	/* owner: from its restore until its trampoline traps in */
	struct mig_restore_threads rt;
	struct mig_sleep sleep;
	bool handing;
	/* a thread's: where it resumes once handed its thread back */
	pid_t tid;
	struct mig_hand *waiting;	/* the hand it waits for */
	unsigned long resume_ip;
	struct mig_msg_thread rec;
	bool has_rec;
	/*
	 * signalfds (sigfd.c): what the process's watch, the owner's for
	 * all its threads; what this deputy last told its thread away; and
	 * whether to look at the file table again before the next call.
	 */
	u64 sigfd_watch;
	u64 sigfd_told;
	bool sigfd_check;
};

/*
 * A homecoming of a multi-threaded process: the owner gathers its
 * threads' deputies (each waits in the kernel, out of its stub, which
 * the restore unmaps), rebuilds the process, and once its trampoline has
 * put the vDSO and the process's state in place, hands each thread's
 * deputy where to resume (restore.c's resume code), or exit(0) for a
 * thread that ended away. Refused before anything changed, they serve on.
 */
struct mig_hand {
	struct kref ref;		/* the owner's, and each waiter's */
	wait_queue_head_t gathered;	/* a thread's deputy waits now */
	struct completion decided;
	int result;			/* 0 handed; else they serve on */
};

/* How long the owner waits for its threads' deputies to gather. */
#define MIG_GATHER_TIMEOUT	(30 * HZ)

static void mig_hand_free(struct kref *ref)
{
	kfree(container_of(ref, struct mig_hand, ref));
}

/*
 * The pre-copy of a live homecoming arrives on a channel of its own
 * while the process still runs away and the deputy serves its calls, so
 * neither waits for the other: a worker writes the pages into the
 * deputy's memory from outside (kthread_use_mm()), into stand-in
 * mappings as at a destination, never over the deputy's own two
 * mappings. The final stream then comes on the process's channel, and
 * the deputy takes what is left of the rounds itself before rebuilding
 * the process on them.
 */
struct mig_rounds {
	struct work_struct work;
	struct mig_chan *chan;
	struct mm_struct *mm;		/* the deputy's, mmget() */
	/* Its stub, scratch and argument pages, sorted: never written. */
	struct mig_span avoid[3];
	int navoid;
	struct completion done;		/* the worker returned */
	bool stop;			/* the deputy takes over, or gives up */
	int err;			/* the worker failed: no homecoming on it */
};

static LIST_HEAD(mig_deputies);
static DEFINE_SPINLOCK(mig_deputies_lock);

/* One look at a process's file table for its signalfds at a time. */
static DEFINE_MUTEX(mig_sigfd_lock);

static const struct mig_hooked_ops mig_deputy_ops;

/* The deputy current is, if it is one: its hook says so. */
static struct mig_deputy *mig_current_deputy(void)
{
	struct mig_hooked *h = mig_hook_guest(current);

	if (!h || h->ops != &mig_deputy_ops)
		return NULL;
	return container_of(h, struct mig_deputy, hooked);
}

/* Whether @pid is a process of this node that runs elsewhere now. */
bool mig_is_deputy(pid_t pid)
{
	struct mig_deputy *d;
	bool found = false;

	spin_lock(&mig_deputies_lock);
	list_for_each_entry(d, &mig_deputies, list)
		found |= d->pid == pid;
	spin_unlock(&mig_deputies_lock);
	return found;
}

/* The signals the process's signalfds watch: left pending here for them. */
static u64 mig_deputy_sigfd(struct mig_deputy *dep)
{
	return READ_ONCE((dep->owner ?: dep)->sigfd_watch);
}

/*
 * Looks at the file table again when a call may have changed its
 * signalfds (sigfd.c), and tells the thread away what they watch when
 * that is not what it was told.
 */
static void mig_deputy_sigfd_update(struct mig_deputy *dep)
{
	struct mig_deputy *own = dep->owner ?: dep;
	u64 watch;

	if (dep->sigfd_check) {
		dep->sigfd_check = false;
		mutex_lock(&mig_sigfd_lock);
		WRITE_ONCE(own->sigfd_watch, mig_sigfd_watched_now());
		mutex_unlock(&mig_sigfd_lock);
	}
	watch = READ_ONCE(own->sigfd_watch);
	if (watch != dep->sigfd_told && !mig_sigfd_tell(dep->chan, watch))
		dep->sigfd_told = watch;
}

/*
 * Signals sent to the pid at home are for the process, which runs
 * elsewhere: take them off the deputy and send them on. Its handlers,
 * its mask and its default actions apply there. Those a signalfd of the
 * process watches stay, for the signalfd, read here (sigfd.c).
 */
static void mig_deputy_relay_signals(struct mig_deputy *dep)
{
	sigset_t keep;

	/*
	 * SIGKILL is not relayed: it ends the deputy, which ends the guest.
	 * A relayed SIGSTOP stops the deputy too (see mig_deputy_next()).
	 */
	sigemptyset(&keep);
	keep.sig[0] = mig_deputy_sigfd(dep);
	sigaddset(&keep, SIGKILL);
	for (;;) {
		kernel_siginfo_t info;
		enum pid_type type;
		int sig;

		if (dep->stop_self)
			sigaddset(&keep, SIGSTOP);

		spin_lock_irq(&current->sighand->siglock);
		sig = dequeue_signal(current, &keep, &info, &type);
		spin_unlock_irq(&current->sighand->siglock);
		if (sig <= 0)
			break;
		mig_signal_relay(dep->chan, &info, type != PIDTYPE_PID);
		if (sig == SIGSTOP)
			dep->stop_self = true;
	}
}

/*
 * On the deputy's way to user mode, after its guest asked for the call it
 * runs to be interrupted (a signal arrived there) or ended: a call that
 * would restart returns -EINTR to the stub instead, whose trap sends that
 * home. Anywhere else there is nothing to do.
 */
void mig_deputy_intr_work(struct callback_head *cb)
{
	struct mig_chan *chan = container_of(cb, struct mig_chan, intr_work);
	struct mig_deputy *dep = mig_current_deputy();
	struct pt_regs *regs = task_pt_regs(current);

	clear_bit(0, &chan->intr_queued);
	if (dep && !(current->flags & PF_EXITING)) {
		switch (regs->ax) {
		case -ERESTARTSYS:
		case -ERESTARTNOINTR:
		case -ERESTARTNOHAND:
		case -ERESTART_RESTARTBLOCK:
			if (regs->ip == dep->call_ip)
				regs->ax = -EINTR;
		}
	}
	mig_chan_put(chan);
	mig_work_put();		/* the work's, taken when it was queued */
}

/*
 * While the deputy runs a forwarded call, natively and with every signal
 * blocked, a signal sent to it at home wakes nothing: look every 100 ms,
 * and interrupt the call if one waits; the trap after the call relays it
 * (mig_deputy_syscall()).
 */
static void mig_deputy_watch(struct work_struct *work)
{
	struct mig_deputy *dep = container_of(to_delayed_work(work),
					      struct mig_deputy, sig_watch);

	if (!READ_ONCE(dep->pending))
		return;
	if (mig_chan_deputy_signalled(dep->chan, mig_deputy_sigfd(dep)))
		mig_chan_interrupt(dep->chan);
	else
		mig_queue_delayed_work(&dep->sig_watch, HZ / 10);
}

/*
 * Back to the stub with a harmless getpid() to run and no result to send:
 * whatever waits for the way to user mode (a stop, a task_work) happens.
 */
static bool mig_deputy_idle_round(struct mig_deputy *dep)
{
	u64 nr = __NR_getpid;

	return !put_user(nr, (u64 __user *)dep->blk);
}

/* Every signal is for relaying: none may run a handler in the deputy. */
static void mig_deputy_block_all(void)
{
	spin_lock_irq(&current->sighand->siglock);
	sigfillset(&current->blocked);
	sigdelsetmask(&current->blocked, sigmask(SIGKILL) | sigmask(SIGSTOP));
	recalc_sigpending();
	spin_unlock_irq(&current->sighand->siglock);
}

/*
 * A job stop is to stop current with its signal (sigrelay.c), which it
 * unblocks: true if current is a deputy, which blocks it again at its
 * next trap.
 */
bool mig_deputy_may_stop(void)
{
	struct mig_deputy *dep = mig_current_deputy();

	if (!dep)
		return false;
	dep->reblock = true;
	return true;
}

/*
 * The guest was sent SIGSTOP: the deputy stops as well, so that home sees
 * the process stopped (ps, the parent's waitpid(WUNTRACED)). It queues
 * SIGSTOP to itself and goes back to its stub with a harmless getpid()
 * to run: the way back to user mode stops it; SIGCONT, relayed to the
 * guest as any signal, lets the stub go on to its next trap.
 */
static bool mig_deputy_stop_too(struct mig_deputy *dep)
{
	dep->stop_self = false;
	if (!mig_deputy_idle_round(dep))
		return false;
	send_sig(SIGSTOP, current, 1);
	return true;
}

/*
 * A deputy holds the module from its move until it is freed, including
 * its gone_work after an exit nobody saw coming.
 */
static void mig_deputy_free_owner(struct kref *ref)
{
	struct mig_deputy *dep = container_of(ref, struct mig_deputy, ref);

	mig_restore_threads_free(&dep->rt);	/* killed while handing */
	kfree(dep);
	mig_work_put();
}

static void mig_deputy_release(struct mig_deputy *dep)
{
	struct mig_deputy *owner = dep->owner;

	if (!owner) {
		kref_put(&dep->ref, mig_deputy_free_owner);
		return;
	}
	spin_lock(&mig_deputies_lock);
	list_del(&dep->tnode);
	spin_unlock(&mig_deputies_lock);
	if (dep->chan)
		mig_chan_close(dep->chan);
	kfree(dep);
	kref_put(&owner->ref, mig_deputy_free_owner);
}

static void mig_deputy_onward_done(struct mig_deputy *dep, int err,
				   bool tell);

/*
 * What the deputy keeps of its memory (mig_deputy_drop_memory()), which
 * no page of the process may overwrite while it serves: how many.
 */
static int mig_deputy_spans(const struct mig_deputy *dep,
			    struct mig_span *keep)
{
	memcpy(keep, dep->keep, sizeof(dep->keep));
	return dep->nkeep;
}

/* Every frame of the rounds, until told to stop or the peer gives up. */
static void mig_rounds_work(struct work_struct *work)
{
	struct mig_rounds *rs = container_of(work, struct mig_rounds, work);
	struct mig_frame *f;
	long nice = mig_copy_boost();
	int err = 0;

	kthread_use_mm(rs->mm);
	/* Stand-ins of an earlier pre-copy that failed go first. */
	mig_unmap_all_but(rs->avoid, rs->navoid);
	for (;;) {
		/* The deputy's stop wakes this at once: it is in its freeze. */
		wait_event_timeout(rs->chan->wait, READ_ONCE(rs->stop) ||
				   mig_chan_ready(rs->chan), HZ);
		if (READ_ONCE(rs->stop))
			break;
		f = mig_chan_recv(rs->chan, 0);
		if (PTR_ERR(f) == -ETIMEDOUT)
			continue;
		if (IS_ERR(f)) {
			err = PTR_ERR(f);
			break;
		}
		if (f->type == MIG_MSG_MOVE_ABORT)
			err = -ECANCELED;
		else
			err = mig_precopy_frame(f, rs->avoid,
						rs->navoid);
		mig_frame_free(f);
		if (err)
			break;
		cond_resched();
	}
	if (err) {
		/* The sender falls back to a stopped homecoming, or gives up. */
		if (err != -ECANCELED)
			mig_chan_send_ctl(rs->chan, MIG_MSG_MOVE_ACK,
					  mig_ack_value(err), 0);
		mig_unmap_all_but(rs->avoid, rs->navoid);
		pr_info("live homecoming: pre-copy not taken in (%d)\n", err);
	}
	WRITE_ONCE(rs->err, err);
	kthread_unuse_mm(rs->mm);
	mig_copy_unboost(nice);
	complete_all(&rs->done);
}

/* Stops the worker and frees what it holds (the stand-ins stay). */
static void mig_rounds_stop(struct mig_rounds *rs)
{
	WRITE_ONCE(rs->stop, true);
	wake_up_all(&rs->chan->wait);
	wait_for_completion(&rs->done);
}

static void mig_rounds_free(struct mig_rounds *rs)
{
	mig_rounds_stop(rs);
	mig_chan_close(rs->chan);
	mmput(rs->mm);
	kfree(rs);
}

/* The deputy drops its pre-copy, if any (a stopped homecoming, its end). */
static void mig_deputy_drop_rounds(struct mig_deputy *dep)
{
	struct mig_rounds *rs;

	spin_lock(&mig_deputies_lock);
	rs = dep->rounds;
	dep->rounds = NULL;
	spin_unlock(&mig_deputies_lock);
	if (rs)
		mig_rounds_free(rs);
}

/*
 * A thread's deputy ends: its thread ended away (@sig 0: exit(0) from the
 * stub, unhooked), or the whole process is killed (@sig).
 */
static void mig_deputy_thread_finish(struct mig_deputy *dep, int sig)
{
	u64 blk[2] = { __NR_exit, 0 };

	mig_hook_del_task(current);
	cancel_delayed_work_sync(&dep->sig_watch);
	if (!sig && copy_to_user((void __user *)dep->blk, blk, sizeof(blk)))
		sig = SIGKILL;
	mig_deputy_release(dep);
	if (sig)
		force_sig(SIGKILL);
}

/*
 * Ends the deputy the way its process ended: by the same signal, or by
 * exit_group(code) from the stub, which then runs unhooked.
 */
static void mig_deputy_finish(struct mig_deputy *dep, int status)
{
	int sig = status & 0x7f;
	u64 blk[2] = { __NR_exit_group, (status >> 8) & 0xff };

	trace_deputy_exit(task_tgid_nr(current), dep->where, status);
	spin_lock(&mig_deputies_lock);
	list_del(&dep->list);
	spin_unlock(&mig_deputies_lock);
	mig_hook_del_task(current);
	if (!sig && copy_to_user((void __user *)dep->blk, blk, sizeof(blk)))
		sig = SIGKILL;
	mig_deputy_drop_rounds(dep);
	if (dep->onward_chan)
		mig_deputy_onward_done(dep, -ECANCELED, true);
	mig_chan_close(dep->chan);
	cancel_delayed_work_sync(&dep->sig_watch);
	mig_deputy_release(dep);
	if (sig) {
		kernel_sigaction(sig, SIG_DFL);
		force_sig(sig);
	}
}

/*
 * The deputy died without going through mig_deputy_finish(): killed
 * between the move and its first wait, for instance. Its process must
 * not live on alone at the destination.
 */
static void mig_deputy_gone(struct work_struct *work)
{
	struct mig_deputy *dep = container_of(work, struct mig_deputy,
					      gone_work);

	if (dep->owner) {
		/* Its process is dying here: the owner takes the guest along. */
		cancel_delayed_work_sync(&dep->sig_watch);
		mig_deputy_release(dep);
		return;
	}
	mig_chan_send_ctl(dep->chan, MIG_MSG_KILL, SIGKILL, 0);
	spin_lock(&mig_deputies_lock);
	list_del(&dep->list);
	spin_unlock(&mig_deputies_lock);
	mig_deputy_drop_rounds(dep);
	if (dep->onward_chan)
		mig_deputy_onward_done(dep, -ECANCELED, true);
	mig_chan_close(dep->chan);
	cancel_delayed_work_sync(&dep->sig_watch);
	mig_deputy_release(dep);
}

/* At the deputy's exit, from the hook's exit probe: atomic context. */
static void mig_deputy_exited(struct mig_hooked *h)
{
	struct mig_deputy *dep = container_of(h, struct mig_deputy, hooked);

	INIT_WORK(&dep->gone_work, mig_deputy_gone);
	mig_queue_work(&dep->gone_work);
}

/*
 * The deputy keeps every signal blocked (nothing may run a handler in its
 * empty address space), and a blocked signal wakes no one: look for
 * pending ones between waits, but those left for signalfds.
 */
static bool mig_deputy_has_signals(struct mig_deputy *dep)
{
	u64 left = mig_deputy_sigfd(dep);
	bool any;

	spin_lock_irq(&current->sighand->siglock);
	any = (current->pending.signal.sig[0] |
	       current->signal->shared_pending.signal.sig[0]) & ~left;
	spin_unlock_irq(&current->sighand->siglock);
	return any;
}

/*
 * Processes that came home by themselves lately (a call only home runs,
 * the balancer, a drain), for migctl ps: MIG_HOME_HISTORY_SECS each, the
 * newest MIG_HOME_HISTORY kept.
 */
#define MIG_HOME_HISTORY	64

static_assert(MIG_STAT_HOME_EXPEL - MIG_STAT_HOME_UNSAID == MIG_HOME_EXPEL);

struct mig_home_record {
	pid_t pid;
	u16 from;
	u8 reason;			/* enum mig_home_reason */
	u16 nr;
	unsigned long at;		/* jiffies */
};

static struct mig_home_record mig_home_history[MIG_HOME_HISTORY];
static unsigned int mig_home_next;
static DEFINE_SPINLOCK(mig_home_lock);

static const char *const mig_home_reasons[__MIG_HOME_REASON_MAX] = {
	[MIG_HOME_UNSAID] = "unsaid",
	[MIG_HOME_ASKED] = "asked",
	[MIG_HOME_SYSCALL] = "syscall",
	[MIG_HOME_FILE] = "file",
	[MIG_HOME_BALANCE] = "balance",
	[MIG_HOME_EXPEL] = "expel",
};

const char *mig_home_reason_name(unsigned int reason)
{
	return reason < ARRAY_SIZE(mig_home_reasons) ?
	       mig_home_reasons[reason] : "unsaid";
}

/* Back home for @v (a BEGIN's MIG_BEGIN_REASON(), from a peer: any value). */
static void mig_home_record(pid_t pid, u16 from, u32 v)
{
	unsigned int reason = MIG_BEGIN_REASON_OF(v);
	struct mig_home_record *r;

	if (reason >= __MIG_HOME_REASON_MAX)
		reason = MIG_HOME_UNSAID;
	mig_stat_inc(MIG_STAT_HOME_UNSAID + reason);
	if (reason == MIG_HOME_UNSAID || reason == MIG_HOME_ASKED)
		return;
	spin_lock(&mig_home_lock);
	r = &mig_home_history[mig_home_next++ % MIG_HOME_HISTORY];
	*r = (struct mig_home_record){
		.pid = pid, .from = from, .reason = reason,
		.nr = reason == MIG_HOME_SYSCALL || reason == MIG_HOME_FILE ?
		      MIG_BEGIN_REASON_NR(v) : 0,
		.at = jiffies,
	};
	spin_unlock(&mig_home_lock);
}

int mig_home_ps(struct mig_ps_entry *e, int max)
{
	unsigned long keep = MIG_HOME_HISTORY_SECS * HZ;
	int i, n = 0;

	spin_lock(&mig_home_lock);
	for (i = 0; i < MIG_HOME_HISTORY && n < max; i++) {
		const struct mig_home_record *r = &mig_home_history[i];

		if (!r->pid || time_after(jiffies, r->at + keep))
			continue;
		e[n] = (struct mig_ps_entry){
			.role = MIG_ROLE_RETURNED,
			.state = MIG_PROC_HOME,
			.pid = r->pid,
			.home_node = mig_node_id,
			.home_pid = r->pid,
			.where = mig_node_id,
			.home_reason = r->reason,
			.home_nr = r->nr,
			.home_age_ms = jiffies_to_msecs(jiffies - r->at),
		};
		n++;
	}
	spin_unlock(&mig_home_lock);
	return n;
}

/*
 * The final BEGIN of a live homecoming names its rounds' channel: take
 * in what the worker left of them. 0 when the process can be rebuilt on
 * them; else nothing changed and the deputy goes on.
 */
static int mig_deputy_take_rounds(struct mig_deputy *dep, u32 id)
{
	unsigned long deadline = jiffies + MIG_ACK_TIMEOUT;
	struct mig_rounds *rs;
	struct mig_frame *f;
	int err;

	spin_lock(&mig_deputies_lock);
	rs = dep->rounds;
	if (rs && rs->chan->id == id)
		dep->rounds = NULL;
	else
		rs = NULL;
	spin_unlock(&mig_deputies_lock);
	if (!rs)
		return -ESTALE;
	mig_rounds_stop(rs);
	err = READ_ONCE(rs->err) ? -ESTALE : 0;
	/* Sent before this BEGIN, so queued by now: the last of them. */
	while (!err) {
		if (time_after(jiffies, deadline)) {
			err = -ETIMEDOUT;	/* more keeps coming: hostile */
			break;
		}
		f = mig_chan_recv(rs->chan, 0);
		if (PTR_ERR(f) == -ETIMEDOUT)
			break;
		if (IS_ERR(f))
			err = PTR_ERR(f);
		else if (f->type == MIG_MSG_MOVE_ABORT)
			err = -ESTALE;
		else
			err = mig_precopy_frame(f, rs->avoid,
						rs->navoid);
		if (!IS_ERR(f))
			mig_frame_free(f);
	}
	if (err)
		mig_unmap_all_but(rs->avoid, rs->navoid);
	mig_rounds_free(rs);
	return err;
}

/*
 * A live homecoming that cannot build on its rounds is refused before
 * anything of the deputy changed: its stream, up to END, is dropped and
 * the process goes on where it runs.
 */
static void mig_deputy_refuse_homecoming(struct mig_deputy *dep, int err)
{
	unsigned long deadline = jiffies + MIG_ACK_TIMEOUT;
	struct mig_frame *f;
	bool end = false;

	pr_info("pid %d: live homecoming refused (%d): it stays at node %u\n",
		task_tgid_nr(current), err, dep->where);
	mig_chan_send_ctl(dep->chan, MIG_MSG_MOVE_ACK, mig_ack_value(err),
			  task_tgid_nr(current));
	/* Bounded: a sender that trickles frames cannot hold the deputy. */
	while (!end && time_before(jiffies, deadline)) {
		f = mig_chan_recv(dep->chan, HZ);
		if (IS_ERR(f))
			break;
		end = f->type == MIG_MSG_MOVE_END ||
		      f->type == MIG_MSG_MOVE_ABORT;
		mig_frame_free(f);
	}
}

/* A thread's deputy is on the owner's list and waits for this hand. */
static bool mig_deputy_all_gathered(struct mig_deputy *dep,
				    struct mig_hand *hand)
{
	struct mig_deputy *td;
	bool all = true;

	spin_lock(&mig_deputies_lock);
	list_for_each_entry(td, &dep->threads, tnode)
		all &= READ_ONCE(td->waiting) == hand;
	spin_unlock(&mig_deputies_lock);
	return all;
}

/*
 * Before the restore unmaps their stubs: every thread's deputy leaves it
 * and waits in the kernel (mig_deputy_thread_wait()). 0, or -errno and
 * none waits.
 */
static int mig_deputy_gather(struct mig_deputy *dep)
{
	struct mig_hand *hand;
	struct mig_deputy *td;
	long left;

	if (list_empty(&dep->threads))
		return 0;
	hand = kzalloc(sizeof(*hand), GFP_KERNEL);
	if (!hand)
		return -ENOMEM;
	kref_init(&hand->ref);
	init_waitqueue_head(&hand->gathered);
	init_completion(&hand->decided);
	spin_lock(&mig_deputies_lock);
	dep->hand = hand;
	list_for_each_entry(td, &dep->threads, tnode)
		wake_up_all(&td->chan->wait);
	spin_unlock(&mig_deputies_lock);
	left = wait_event_killable_timeout(hand->gathered,
					   mig_deputy_all_gathered(dep, hand),
					   MIG_GATHER_TIMEOUT);
	if (left > 0)
		return 0;
	pr_info("pid %d: a thread's deputy did not stop for the homecoming (stopped?)\n",
		dep->pid);
	return left ? -EINTR : -ETIMEDOUT;
}

/* The owner's verdict for its gathered threads' deputies. */
static void mig_deputy_decide(struct mig_deputy *dep, int result)
{
	struct mig_hand *hand;

	spin_lock(&mig_deputies_lock);
	hand = dep->hand;
	dep->hand = NULL;
	spin_unlock(&mig_deputies_lock);
	if (!hand)
		return;
	hand->result = result;
	complete_all(&hand->decided);
	kref_put(&hand->ref, mig_hand_free);
}

/* Whether each thread of the stream has its deputy here (restore.c). */
static int mig_deputy_check_threads(struct mig_restore_threads *rt)
{
	struct mig_deputy *dep = rt->ctx, *td;
	int i, known;

	for (i = 0; i < rt->n; i++) {
		u32 tid = be32_to_cpu(rt->t[i].msg.home_tid);

		if (tid == rt->self_tid)
			continue;
		known = 0;
		spin_lock(&mig_deputies_lock);
		list_for_each_entry(td, &dep->threads, tnode)
			known += td->tid == tid;
		spin_unlock(&mig_deputies_lock);
		if (!known)
			return -EPROTO;
	}
	return 0;
}

/* Back home for good: the owner's deputy lets go of the process. */
static void mig_deputy_home(struct mig_deputy *dep)
{
	spin_lock(&mig_deputies_lock);
	list_del(&dep->list);
	spin_unlock(&mig_deputies_lock);
	mig_hook_del_task(current);
	mig_chan_close(dep->chan);
	cancel_delayed_work_sync(&dep->sig_watch);
	mig_restore_threads_free(&dep->rt);
	/* Caught in nanosleep() away: the rest of it is slept here. */
	if (dep->sleep.active && mig_sleeper_start(&dep->sleep))
		pr_warn("pid %d: its sleep cannot be resumed; it ends early\n",
			task_tgid_nr(current));
	mig_deputy_release(dep);
}

/*
 * The process's trampoline traps in: its vDSO and state are in place.
 * Each thread's deputy resumes its thread (or exits, for one that ended
 * away), and the owner lets go.
 */
static bool mig_deputy_handover(struct mig_deputy *dep,
				const struct pt_regs *regs, long *ret)
{
	struct mig_restore_threads *rt = &dep->rt;
	struct mig_deputy *td;
	int i;

	if (!mig_tramp_trap(rt, regs))
		return false;
	spin_lock(&mig_deputies_lock);
	list_for_each_entry(td, &dep->threads, tnode) {
		td->resume_ip = rt->exit_ip;
		for (i = 1; i < rt->n; i++) {
			if (be32_to_cpu(rt->t[i].msg.home_tid) != td->tid)
				continue;
			td->rec = rt->t[i].msg;
			td->has_rec = true;
			td->resume_ip = rt->t[i].resume_ip;
		}
	}
	spin_unlock(&mig_deputies_lock);
	mig_deputy_decide(dep, 0);
	dep->handing = false;
	mig_deputy_home(dep);
	*ret = 0;
	return true;
}

/*
 * The process comes back: the deputy rebuilds it from the stream, in its
 * own context, and returns to user mode as the process. If that fails
 * half-way nothing is left to go back to: both ends are killed. @begin
 * says how it comes, and why. False once the deputy is gone (the process
 * is back, or dead) or is handing its threads back.
 */
static bool mig_deputy_homecoming(struct mig_deputy *dep,
				  const struct mig_msg_begin *begin)
{
	enum mig_restore_live live = MIG_RESTORE_STOPPED;
	struct mig_span keep[3];
	unsigned long tramp;
	int i, n, err;

	err = mig_deputy_gather(dep);
	if (!err && be16_to_cpu(begin->flags) & MIG_BEGIN_LIVE)
		err = mig_deputy_take_rounds(dep, be32_to_cpu(begin->reserved));
	if (err) {
		mig_deputy_decide(dep, err);
		mig_deputy_refuse_homecoming(dep, err);
		return true;
	}
	if (be16_to_cpu(begin->flags) & MIG_BEGIN_LIVE) {
		/* From here on the deputy is the process being rebuilt. */
		n = mig_deputy_spans(dep, keep);
		for (i = 0; i < n; i++)
			vm_munmap(keep[i].start, keep[i].end - keep[i].start);
		live = MIG_RESTORE_PRECOPIED;
	} else {
		mig_deputy_drop_rounds(dep);
	}
	dep->rt = (struct mig_restore_threads){
		.mode = MIG_THREADS_HAND,
		.home_pid = dep->pid,
		.self_tid = task_pid_nr(current),
		/* Its threads' deputies wait, even if none of them comes back. */
		.trap = !list_empty(&dep->threads),
		.check = mig_deputy_check_threads,
		.ctx = dep,
	};
	err = mig_restore(dep->chan, false, live, &tramp, &dep->sleep,
			  &dep->rt);
	mig_chan_send_ctl(dep->chan, MIG_MSG_MOVE_ACK, mig_ack_value(err),
			  task_tgid_nr(current));
	if (err) {
		pr_warn("pid %d: coming home failed (%d): process killed\n",
			task_tgid_nr(current), err);
		mig_restore_threads_free(&dep->rt);
		mig_chan_send_ctl(dep->chan, MIG_MSG_KILL, SIGKILL, 0);
		mig_deputy_decide(dep, err);
		mig_deputy_finish(dep, SIGKILL);
		return false;
	}
	mig_stat_inc(MIG_STAT_MOVES_IN);
	mig_home_record(task_tgid_nr(current), dep->where,
			be32_to_cpu(begin->home_reason));
	trace_move_in(task_tgid_nr(current), dep->where, mig_node_id,
		      task_tgid_nr(current));
	if (list_empty(&dep->threads)) {
		mig_deputy_home(dep);
		return false;
	}
	/* Its trampoline traps in when its threads may resume. */
	dep->handing = true;
	return false;
}

/*
 * A direct onward move is over, one way or the other; @tell: the node it
 * was going to must drop what it has of it.
 */
static void mig_deputy_onward_done(struct mig_deputy *dep, int err, bool tell)
{
	struct mig_chan *to = dep->onward_chan;

	spin_lock(&mig_deputies_lock);
	if (!err) {
		dep->chan = to;
		dep->sigfd_told = 0;	/* a new guest: tell it again */
		dep->where = dep->onward;
		dep->moves++;
	} else {
		dep->recall_err = err;
	}
	dep->onward = 0;
	dep->onward_chan = NULL;
	spin_unlock(&mig_deputies_lock);
	if (err) {
		if (tell)
			mig_chan_send_ctl(to, MIG_MSG_MOVE_ABORT, 0, 0);
		mig_chan_close(to);
	}
}

/*
 * A direct onward move (migctl move PID OTHER of a process away): the
 * node it goes to answers on home's channel to it. 0 there: the process
 * runs there and that channel is the deputy's from now on (the old
 * node's copy ended); an errno: it stays where it was, if it still runs
 * there. False when the deputy is done.
 */
static bool mig_deputy_onward_answer(struct mig_deputy *dep)
{
	struct mig_frame *f = mig_chan_recv(dep->onward_chan, 0);
	struct mig_chan *old = dep->chan;
	int err;

	if (PTR_ERR(f) == -ETIMEDOUT)
		return true;
	if (IS_ERR(f)) {
		err = PTR_ERR(f);
	} else {
		err = f->type == MIG_MSG_MOVE_ACK ? mig_ctl_errno(f) : -EPROTO;
		mig_frame_free(f);
	}
	/* Its own failure needs no ABORT; a bad answer does. */
	mig_deputy_onward_done(dep, err, IS_ERR(f) || err == -EPROTO);
	if (!err) {
		mig_chan_set_deputy(dep->chan, current);
		mig_chan_close(old);
		dep->exit_held = false;
		return true;
	}
	/* Its old copy ended while it was sent: nothing runs it now. */
	if (dep->exit_held) {
		mig_deputy_finish(dep, dep->held_status);
		return false;
	}
	return true;
}

/*
 * A thread's deputy, while its owner takes the process home: it waits out
 * of its stub. 1: handed its thread (its registers say where it resumes);
 * 0: it serves on; -1: gone.
 */
static int mig_deputy_thread_wait(struct mig_deputy *dep)
{
	struct mig_deputy *owner = dep->owner;
	struct pt_regs *regs = task_pt_regs(current);
	struct mig_sleep sleep;
	struct mig_hand *hand;
	int result;

	spin_lock(&mig_deputies_lock);
	hand = owner->hand;
	if (hand)
		kref_get(&hand->ref);
	spin_unlock(&mig_deputies_lock);
	if (!hand)
		return 0;
	WRITE_ONCE(dep->waiting, hand);
	wake_up_all(&hand->gathered);
	if (wait_for_completion_killable(&hand->decided))
		result = -EINTR;
	else
		result = hand->result;
	WRITE_ONCE(dep->waiting, NULL);
	kref_put(&hand->ref, mig_hand_free);
	if (result == -EINTR && fatal_signal_pending(current)) {
		mig_deputy_thread_finish(dep, SIGKILL);
		return -1;
	}
	if (result)
		return 0;
	/* Home again: the thread resumes where it was away. */
	mig_hook_del_task(current);
	cancel_delayed_work_sync(&dep->sig_watch);
	if (dep->has_rec) {
		mig_restore_thread_kernel(&dep->rec, false);
		/* A deputy blocks them all, until its frame's mask. */
		mig_signal_raise(be64_to_cpu(dep->rec.pending), false);
		if (!mig_sleep_restore(&dep->rec.sleep, &sleep) &&
		    sleep.active && mig_sleeper_start(&sleep))
			pr_warn("pid %d: a thread's sleep cannot be resumed; it ends early\n",
				task_tgid_nr(current));
	}
	regs->ip = dep->resume_ip;
	regs->orig_ax = -1;
	mig_deputy_release(dep);
	return 1;
}

/* Hands the next request to the stub; false when the deputy is done. */
static bool mig_deputy_next(struct mig_deputy *dep)
{
	for (;;) {
		struct mig_frame *f;
		int err;

		if (dep->owner && READ_ONCE(dep->owner->hand)) {
			err = mig_deputy_thread_wait(dep);
			if (err)
				return false;
		}
		mig_deputy_sigfd_update(dep);
		if (mig_deputy_has_signals(dep) && !fatal_signal_pending(current))
			mig_deputy_relay_signals(dep);
		if (dep->stop_self && mig_deputy_stop_too(dep))
			return true;
		/* Another thread's stop stops the process: this one too. */
		if (current->jobctl & JOBCTL_STOP_PENDING &&
		    mig_deputy_idle_round(dep))
			return true;
		if (dep->onward_chan && !mig_deputy_onward_answer(dep))
			return false;
		f = mig_chan_recv_any(dep->chan, HZ / 10, true);

		if (PTR_ERR(f) == -EINTR && fatal_signal_pending(current)) {
			if (dep->owner) {
				mig_deputy_thread_finish(dep, SIGKILL);
				return false;
			}
			/* SIGKILL at home: take the guest along. */
			mig_chan_send_ctl(dep->chan, MIG_MSG_KILL, SIGKILL, 0);
			mig_deputy_finish(dep, SIGKILL);
			return false;
		}
		if (PTR_ERR(f) == -EINTR) {
			mig_deputy_relay_signals(dep);
			/* A late interrupt: let its task_work run. */
			if (test_thread_flag(TIF_NOTIFY_SIGNAL) &&
			    mig_deputy_idle_round(dep))
				return true;
			continue;
		}
		if (PTR_ERR(f) == -ETIMEDOUT)
			continue;
		if (IS_ERR(f)) {
			pr_warn("pid %d: link to its node lost, process killed\n",
				task_tgid_nr(current));
			if (dep->owner)
				mig_deputy_thread_finish(dep, SIGKILL);
			else
				mig_deputy_finish(dep, SIGKILL);
			return false;
		}
		if (dep->owner && f->type == MIG_MSG_EXIT) {
			/* Its thread ended away: it ends here. */
			mig_frame_free(f);
			mig_deputy_thread_finish(dep, 0);
			return false;
		}
		if (dep->owner && f->type != MIG_MSG_SYSCALL) {
			mig_stat_inc(MIG_STAT_BAD_STREAM);
			mig_frame_free(f);
			continue;
		}
		if (f->type == MIG_MSG_EXIT) {
			int status = be32_to_cpu(((struct mig_msg_ctl *)
						  f->data)->value) & 0xffff;

			mig_frame_free(f);
			/* Moving on: the new node's answer decides. */
			if (dep->onward_chan) {
				dep->exit_held = true;
				dep->held_status = status;
				continue;
			}
			mig_deputy_finish(dep, status);
			return false;
		}
		if (f->type == MIG_MSG_MOVE_BEGIN) {
			struct mig_msg_begin begin;

			memcpy(&begin, f->data, sizeof(begin));
			mig_frame_free(f);
			if (dep->onward_chan)	/* it came home instead */
				mig_deputy_onward_done(dep, -ECANCELED, true);
			if (mig_deputy_homecoming(dep, &begin))
				continue;	/* refused: it runs there still */
			return false;
		}
		if (f->type == MIG_MSG_MOVE_ACK) {
			/* The guest could not come home (or move on) when asked. */
			err = mig_ctl_errno(f) ?: -EIO;
			mig_frame_free(f);
			if (dep->onward_chan)
				mig_deputy_onward_done(dep, err, true);
			spin_lock(&mig_deputies_lock);
			dep->recall_err = err;
			spin_unlock(&mig_deputies_lock);
			continue;
		}
		if (f->type != MIG_MSG_SYSCALL) {
			mig_stat_inc(MIG_STAT_BAD_STREAM);
			mig_frame_free(f);
			continue;
		}
		if (mig_fwd_is_question(f)) {
			mig_deputy_answer(dep->chan, f);
			mig_frame_free(f);
			continue;
		}
		err = mig_fwd_prepare(f, dep->blk + MIG_BLK_DATA,
				      MIG_DEPUTY_SCRATCH - MIG_BLK_DATA,
				      dep->args, &dep->nr, &dep->plan);
		mig_frame_free(f);
		if (!err) {
			u64 blk[7] = { dep->nr };

			memcpy(&blk[1], dep->args, sizeof(dep->args));
			if (copy_to_user((void __user *)dep->blk, blk,
					 sizeof(blk)))
				err = -EFAULT;
		}
		if (err) {
			if (err == -EPROTO)
				mig_stat_inc(MIG_STAT_BAD_STREAM);
			mig_fwd_reply_error(dep->chan, err);
			continue;
		}
		if (mig_signal_allow_job_stops(dep->plan.flags))
			dep->reblock = true;
		dep->pending = true;
		mig_queue_delayed_work(&dep->sig_watch, HZ / 10);
		return true;
	}
}

/*
 * Every syscall of a deputy comes here. The forwarded call itself runs
 * natively (return false); the trap after it sends its result home and
 * fetches the next request.
 */
static bool mig_deputy_syscall(struct mig_hooked *h,
			       const struct pt_regs *regs, long *ret)
{
	struct mig_deputy *dep = container_of(h, struct mig_deputy, hooked);
	u64 result;

	if (dep->handing)
		return mig_deputy_handover(dep, regs, ret);
	if (regs->ip != dep->trap_ip || regs->orig_ax != __NR_ioctl)
		return false;
	*ret = 0;
	if (dep->reblock) {
		dep->reblock = false;
		mig_deputy_block_all();
	}
	if (dep->pending) {
		WRITE_ONCE(dep->pending, false);
		cancel_delayed_work_sync(&dep->sig_watch);
		if (get_user(result, (u64 __user *)(dep->blk + MIG_BLK_RESULT)))
			result = -EFAULT;
		/* Signals first: an interrupted call's -EINTR follows them. */
		if (mig_deputy_has_signals(dep) && !fatal_signal_pending(current))
			mig_deputy_relay_signals(dep);
		/* A signalfd closed or brought: the guest knows first. */
		if (mig_sigfd_may_change(dep->nr, mig_deputy_sigfd(dep))) {
			dep->sigfd_check = true;
			mig_deputy_sigfd_update(dep);
		}
		mig_fwd_reply(dep->chan, &dep->plan, dep->args, result);
	}
	mig_deputy_next(dep);
	return true;
}

static const struct mig_hooked_ops mig_deputy_ops = {
	.name = "deputy",
	.syscall = mig_deputy_syscall,
	.exited = mig_deputy_exited,
};

/* The stub: trap; load the block; syscall; store the result; again. */
static size_t mig_deputy_stub(u8 *code, unsigned long blk,
			      unsigned long *trap_off, unsigned long *call_off)
{
	static const u8 load_and_call[] = {
		0x48, 0x8b, 0x03,		/* mov rax, [rbx] */
		0x48, 0x8b, 0x7b, 0x08,		/* mov rdi, [rbx+8] */
		0x48, 0x8b, 0x73, 0x10,		/* mov rsi, [rbx+16] */
		0x48, 0x8b, 0x53, 0x18,		/* mov rdx, [rbx+24] */
		0x4c, 0x8b, 0x53, 0x20,		/* mov r10, [rbx+32] */
		0x4c, 0x8b, 0x43, 0x28,		/* mov r8, [rbx+40] */
		0x4c, 0x8b, 0x4b, 0x30,		/* mov r9, [rbx+48] */
		0x0f, 0x05,			/* syscall */
		0x48, 0x89, 0x43, MIG_BLK_RESULT, /* mov [rbx+56], rax */
	};
	struct mig_code c = { code };
	u8 *loop;

	mig_emit_movabs(&c, 0xbb, blk);			/* movabs rbx, blk */
	loop = c.p;
	mig_emit_trap(&c);
	*trap_off = c.p - code;
	/* The call's syscall instruction ends 4 bytes before the block. */
	*call_off = *trap_off + sizeof(load_and_call) - 4;
	mig_emit(&c, load_and_call, sizeof(load_and_call));
	mig_emit(&c, "\xeb", 1);			/* jmp loop */
	*c.p = (u8)(loop - (c.p + 1));
	return c.p + 1 - code;
}

/* What no deputy may keep of its process: handlers, registrations. */
static void mig_deputy_leave_thread(void)
{
	mig_deputy_block_all();
	/* Left inside ppoll() or sigsuspend(), it must not unblock them. */
	clear_restore_sigmask();
	/* Addresses in the memory that goes: a return or an exit uses them. */
	current->rseq = NULL;
	current->rseq_sig = 0;
	current->clear_child_tid = NULL;
	current->robust_list = NULL;
}

/* Deputy @dep's stub in slot @slot of the owner's two mappings. */
static int mig_deputy_place(struct mig_deputy *dep, unsigned long blk,
			    unsigned long code, int slot)
{
	unsigned long trap_off, call_off;
	u8 stub[128];
	size_t len;

	dep->slot = slot;
	dep->blk = blk + slot * MIG_DEPUTY_SCRATCH;
	dep->code = code + slot * PAGE_SIZE;
	len = mig_deputy_stub(stub, dep->blk, &trap_off, &call_off);
	if (copy_to_user((void __user *)dep->code, stub, len))
		return -EFAULT;
	dep->trap_ip = dep->code + trap_off;
	dep->call_ip = dep->code + call_off;
	return 0;
}

/* Leaves for the stub on the way back to user mode. */
static int mig_deputy_go_stub(struct mig_deputy *dep)
{
	struct pt_regs *regs = task_pt_regs(current);
	int err;

	mig_chan_set_deputy(dep->chan, current);
	err = mig_hook_add_task(current, &dep->hooked);
	if (err)
		return err;
	regs->ip = dep->code;
	regs->orig_ax = -1;	/* no syscall restart on the way out */
	return 0;
}

/*
 * The process now runs elsewhere: keep every signal for relaying (none
 * may run a handler in an empty address space), map the stubs (one slot
 * for the owner, one for each of its threads) and leave for its own on
 * the way back to user mode. The memory goes later (mig_deputy_stay());
 * the threads' deputies enter theirs from their own contexts
 * (mig_deputy_thread_enter()).
 */
int mig_deputy_enter(struct mig_deputy *dep)
{
	unsigned long blk, code;
	struct mig_deputy *td;
	int err;

	mig_deputy_leave_thread();
	blk = vm_mmap(NULL, 0, dep->nslots * MIG_DEPUTY_SCRATCH,
		      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	code = vm_mmap(NULL, 0, dep->nslots * PAGE_SIZE,
		       PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(blk) || IS_ERR_VALUE(code))
		return -ENOMEM;
	err = mig_deputy_place(dep, blk, code, 0);
	list_for_each_entry(td, &dep->threads, tnode)
		if (!err)
			err = mig_deputy_place(td, blk, code, td->slot);
	return err ?: mig_deputy_go_stub(dep);
}

/* A parked thread of a process that moved becomes its thread's deputy. */
static void mig_deputy_thread_enter(struct mig_parked *p)
{
	struct mig_deputy *td = p->priv;

	mig_deputy_leave_thread();
	if (!td || !td->code || mig_deputy_go_stub(td)) {
		pr_warn("pid %d: a thread cannot serve as deputy: process killed\n",
			task_tgid_nr(current));
		force_sig(SIGKILL);
	}
}

/* What the move's capture does with the other threads (threads.c). */
const struct mig_park_ops mig_deputy_park_ops = {
	.moved = mig_deputy_thread_enter,
};

/*
 * Allocated before the move, so that a move that succeeds has its deputy.
 * The caller (a move) holds a module reference, so this one cannot fail
 * for an unload under way.
 */
struct mig_deputy *mig_deputy_alloc(void)
{
	struct mig_deputy *dep;

	if (!mig_work_get())
		return NULL;
	dep = kzalloc(sizeof(*dep), GFP_KERNEL);
	if (!dep) {
		mig_work_put();
		return NULL;
	}
	kref_init(&dep->ref);
	INIT_LIST_HEAD(&dep->threads);
	dep->nslots = 1;
	dep->sigfd_check = true;	/* its signalfds, once it serves */
	return dep;
}

/*
 * Before the capture: a deputy for each thread parked (@park), each with
 * its channel to @dest, which its THREAD names.
 */
int mig_deputy_alloc_threads(struct mig_deputy *dep, struct mig_park *park,
			     u16 dest)
{
	int i, n = mig_park_count(park);

	for (i = 0; i < n; i++) {
		struct mig_parked *p = mig_park_thread(park, i);
		struct mig_deputy *td;

		if (p->err)
			continue;
		td = kzalloc(sizeof(*td), GFP_KERNEL);
		if (!td)
			return -ENOMEM;
		td->chan = mig_chan_open_new(dest);
		if (IS_ERR(td->chan)) {
			int err = PTR_ERR(td->chan);

			kfree(td);
			return err;
		}
		td->tid = task_pid_nr(p->task);
		td->slot = dep->nslots++;
		p->chan = td->chan;
		p->priv = td;
		list_add_tail(&td->tnode, &dep->threads);
	}
	return 0;
}

/* For a deputy that was never added: its move failed. */
void mig_deputy_free(struct mig_deputy *dep)
{
	struct mig_deputy *td, *tmp;

	list_for_each_entry_safe(td, tmp, &dep->threads, tnode) {
		list_del(&td->tnode);
		mig_chan_close(td->chan);
		kfree(td);
	}
	mig_deputy_release(dep);
}

/*
 * current has moved to @where over @chan: @dep stands for it from now on
 * (ps, recall), still to enter its stub; so do its threads' deputies.
 */
void mig_deputy_add(struct mig_deputy *dep, struct mig_chan *chan, u16 where,
		    u64 bytes_sent)
{
	struct mig_deputy *td;

	dep->hooked.ops = &mig_deputy_ops;
	INIT_DELAYED_WORK(&dep->sig_watch, mig_deputy_watch);
	dep->chan = chan;
	dep->pid = task_tgid_nr(current);
	dep->where = where;
	dep->moves = 1;
	dep->bytes_sent = bytes_sent;
	list_for_each_entry(td, &dep->threads, tnode) {
		td->hooked.ops = &mig_deputy_ops;
		INIT_DELAYED_WORK(&td->sig_watch, mig_deputy_watch);
		td->pid = dep->pid;
		td->where = where;
		td->owner = dep;
		kref_get(&dep->ref);
	}
	spin_lock(&mig_deputies_lock);
	list_add_tail(&dep->list, &mig_deputies);
	spin_unlock(&mig_deputies_lock);
}

/* Keeping more of the stack than this for the strings is not worth it. */
#define MIG_DEPUTY_ARGS_MAX	(1UL << 20)

/*
 * The pages holding the process's argument and environment strings, which
 * /proc/PID/cmdline and environ read (ps at home, and the process itself:
 * its reads of /proc/self are forwarded here). False if they look odd.
 */
static bool mig_deputy_args_span(struct mig_span *span)
{
	struct mm_struct *mm = current->mm;
	unsigned long start, end;

	spin_lock(&mm->arg_lock);
	start = min(mm->arg_start, mm->env_start);
	end = max(mm->arg_end, mm->env_end);
	spin_unlock(&mm->arg_lock);
	if (!start || end <= start || end > TASK_SIZE)
		return false;
	span->start = round_down(start, PAGE_SIZE);
	span->end = round_up(end, PAGE_SIZE);
	return span->end - span->start <= MIG_DEPUTY_ARGS_MAX;
}

static int mig_span_cmp(const void *a, const void *b)
{
	const struct mig_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The process's memory lives at the destination now: the deputy keeps only
 * its own two mappings and the pages of the process's arguments and
 * environment (so that /proc/PID tells who it stands for). Done after
 * migctl has its answer, as freeing a large address space takes a while.
 */
static void mig_deputy_drop_memory(struct mig_deputy *dep)
{
	struct mig_span keep[3] = {
		{ dep->blk, dep->blk + dep->nslots * MIG_DEPUTY_SCRATCH },
		{ dep->code, dep->code + dep->nslots * PAGE_SIZE },
	};
	int i, n = 2;

	if (mig_deputy_args_span(&keep[2]))
		n = 3;
	sort(keep, n, sizeof(keep[0]), mig_span_cmp, NULL);
	/* Overlapping the deputy's own (never seen): its own win. */
	for (i = 1; i < n; i++) {
		if (keep[i].start < keep[i - 1].end) {
			n = 2;
			keep[0] = (struct mig_span){
				dep->blk,
				dep->blk + dep->nslots * MIG_DEPUTY_SCRATCH };
			keep[1] = (struct mig_span){
				dep->code, dep->code + dep->nslots * PAGE_SIZE };
			sort(keep, n, sizeof(keep[0]), mig_span_cmp, NULL);
			break;
		}
	}
	mig_unmap_all_but(keep, n);
	spin_lock(&mig_deputies_lock);
	memcpy(dep->keep, keep, sizeof(dep->keep));
	dep->nkeep = n;
	spin_unlock(&mig_deputies_lock);
}

/*
 * current, moved away, stays as its deputy (@enter_err: what
 * mig_deputy_enter() returned); if it cannot, both ends die.
 */
void mig_deputy_stay(struct mig_deputy *dep, int enter_err)
{
	if (!enter_err) {
		mig_deputy_drop_memory(dep);
		return;
	}
	pr_warn("pid %d: cannot serve as deputy (%d): process killed\n",
		dep->pid, enter_err);
	mig_chan_send_ctl(dep->chan, MIG_MSG_KILL, SIGKILL, 0);
	mig_deputy_finish(dep, SIGKILL);
}

static struct mig_deputy *mig_find_deputy(pid_t pid)
{
	struct mig_deputy *d;

	lockdep_assert_held(&mig_deputies_lock);
	list_for_each_entry(d, &mig_deputies, list)
		if (d->pid == pid)
			return d;
	return NULL;
}

/*
 * "migctl move PID NODE" for a process away, to be sent home (@onward 0)
 * or on to node @onward: the channel's id and the node it runs at for the
 * RECALL. -ESRCH if @pid has no deputy, -EALREADY if it runs at @onward.
 */
int mig_deputy_recall_begin(pid_t pid, u16 onward, u32 *id, u16 *where)
{
	struct mig_deputy *dep;
	int err = 0;

	spin_lock(&mig_deputies_lock);
	dep = mig_find_deputy(pid);
	if (!dep) {
		err = -ESRCH;
	} else if (dep->where == onward) {
		err = -EALREADY;
	} else if (dep->onward || dep->onward_chan) {
		err = -EBUSY;
	} else {
		dep->recall_err = 0;
		dep->onward = onward;
		*id = dep->chan->id;
		*where = dep->where;
	}
	spin_unlock(&mig_deputies_lock);
	return err;
}

/*
 * The channel on which node @onward awaits the process of deputy @pid
 * (a direct onward move): its answer comes there. Fails if the recall
 * was given up meanwhile.
 */
int mig_deputy_recall_onward(pid_t pid, u16 onward, struct mig_chan *to)
{
	struct mig_deputy *dep;
	int err = -ESRCH;

	spin_lock(&mig_deputies_lock);
	dep = mig_find_deputy(pid);
	if (dep && dep->onward == onward && !dep->onward_chan) {
		dep->onward_chan = to;
		err = 0;
	}
	spin_unlock(&mig_deputies_lock);
	return err;
}

/* The recall could not even be asked for. */
void mig_deputy_recall_cancel(pid_t pid)
{
	struct mig_deputy *dep;

	spin_lock(&mig_deputies_lock);
	dep = mig_find_deputy(pid);
	if (dep && !dep->onward_chan)
		dep->onward = 0;
	spin_unlock(&mig_deputies_lock);
}

/* How far the recall of @pid (to @onward, 0: home) has come; *err: why not. */
enum mig_recall_state mig_deputy_recall_state(pid_t pid, u16 onward,
					      int *err)
{
	enum mig_recall_state state = MIG_RECALL_WAITING;
	struct mig_deputy *dep;

	spin_lock(&mig_deputies_lock);
	dep = mig_find_deputy(pid);
	if (!dep) {
		state = MIG_RECALL_HOME;
	} else if (onward && dep->where == onward) {
		state = MIG_RECALL_THERE;
	} else if (dep->recall_err) {
		*err = dep->recall_err;
		state = MIG_RECALL_FAILED;
	}
	spin_unlock(&mig_deputies_lock);
	return state;
}

/* Where the process of deputy @pid runs, and its channel's id. */
bool mig_deputy_where(pid_t pid, u16 *where, u32 *id)
{
	struct mig_deputy *dep;

	spin_lock(&mig_deputies_lock);
	dep = mig_find_deputy(pid);
	if (dep) {
		*where = dep->where;
		if (id)
			*id = dep->chan->id;
	}
	spin_unlock(&mig_deputies_lock);
	return dep;
}

/* The deputy that is @task, owner or thread; under mig_deputies_lock. */
static struct mig_deputy *mig_deputy_of_task(struct task_struct *task)
{
	pid_t tgid = task_tgid_nr(task), tid = task_pid_nr(task);
	struct mig_deputy *d, *td;

	lockdep_assert_held(&mig_deputies_lock);
	d = mig_find_deputy(tgid);
	if (!d || tid == tgid)
		return d;
	list_for_each_entry(td, &d->threads, tnode)
		if (td->tid == tid)
			return td;
	return NULL;
}

/*
 * What /proc at home may show of deputy @task's thread away (procview.c):
 * false if @task is no deputy. Any context that may take a spinlock.
 */
bool mig_deputy_view(struct task_struct *task, struct mig_view *v)
{
	struct mig_deputy *dep;

	spin_lock(&mig_deputies_lock);
	dep = mig_deputy_of_task(task);
	if (dep) {
		struct mig_deputy *owner = dep->owner ?: dep;

		v->where = owner->where;
		v->in_call = READ_ONCE(dep->pending);
		v->has_thread = mig_chan_usage(dep->chan, &v->thread);
		v->has_process = mig_chan_usage(owner->chan, &v->process);
	}
	spin_unlock(&mig_deputies_lock);
	return dep;
}

int mig_deputy_count(void)
{
	struct mig_deputy *d;
	int n = 0;

	spin_lock(&mig_deputies_lock);
	list_for_each_entry(d, &mig_deputies, list)
		n++;
	spin_unlock(&mig_deputies_lock);
	return n;
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
		e[n].threads = 1 + list_count_nodes(&d->threads);
		n++;
	}
	spin_unlock(&mig_deputies_lock);
	return n;
}

/*
 * From the receive loop: the node process @begin names runs at starts
 * its live homecoming, the pre-copy rounds on a channel of its own. The
 * deputy's worker takes them into its memory; anything amiss refuses
 * them (the sender then brings the process home stopped, or not).
 */
int mig_deputy_rounds_begin(u16 peer, const struct mig_msg_begin *begin)
{
	u32 id = be32_to_cpu(begin->mig_id), of = be32_to_cpu(begin->reserved);
	struct mig_rounds *rs = NULL, *old = NULL;
	struct task_struct *task = NULL;
	struct mig_deputy *dep;
	struct mig_msg_ctl ack = {
		.mig_id = begin->mig_id,
	};
	int err = -EPROTO;

	if (mig_chan_id_node(id) != peer) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return 0;	/* unanswered: the id is not the peer's */
	}
	if (be16_to_cpu(begin->flags) !=
	    (MIG_BEGIN_HOMECOMING | MIG_BEGIN_ROUNDS) ||
	    be16_to_cpu(begin->home_node) != mig_node_id)
		goto refuse;
	rs = kzalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs) {
		err = -ENOMEM;
		goto refuse;
	}
	INIT_WORK(&rs->work, mig_rounds_work);
	init_completion(&rs->done);
	spin_lock(&mig_deputies_lock);
	dep = mig_find_deputy(be32_to_cpu(begin->home_pid));
	if (dep && dep->where == peer && dep->chan->id == of && dep->nkeep &&
	    !dep->onward && !dep->onward_chan) {
		spin_lock(&dep->chan->lock);
		task = dep->chan->deputy;
		if (task)
			get_task_struct(task);
		spin_unlock(&dep->chan->lock);
		rs->navoid = mig_deputy_spans(dep, rs->avoid);
	}
	spin_unlock(&mig_deputies_lock);
	if (!task)
		goto refuse;
	rs->mm = get_task_mm(task);
	put_task_struct(task);
	if (!rs->mm) {
		err = -ESRCH;
		goto refuse;
	}
	rs->chan = mig_chan_open(peer, id);
	if (IS_ERR(rs->chan)) {
		err = PTR_ERR(rs->chan);
		mmput(rs->mm);
		goto refuse;
	}
	err = -EBUSY;
	spin_lock(&mig_deputies_lock);
	dep = mig_find_deputy(be32_to_cpu(begin->home_pid));
	if (dep && dep->where == peer && dep->chan->id == of &&
	    (!dep->rounds || completion_done(&dep->rounds->done))) {
		old = dep->rounds;
		dep->rounds = rs;
		err = 0;
	}
	spin_unlock(&mig_deputies_lock);
	if (err) {
		mig_chan_close(rs->chan);
		mmput(rs->mm);
		goto refuse;
	}
	if (old)
		mig_rounds_free(old);	/* its worker is done */
	mig_queue_work(&rs->work);
	return 0;
refuse:
	kfree(rs);
	mig_stat_inc(MIG_STAT_BAD_STREAM);
	pr_info_ratelimited("live homecoming of pid %u from node %u refused: %d\n",
			    be32_to_cpu(begin->home_pid), peer, err);
	ack.value = cpu_to_be32(mig_ack_value(err));
	/* The receive loop must not wait to send. */
	mig_link_post(peer, MIG_MSG_MOVE_ACK, &ack, sizeof(ack));
	return 0;
}

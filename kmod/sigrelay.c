// SPDX-License-Identifier: GPL-2.0
/*
 * mig: signals sent to the process at home reach it where it runs, with
 * what their siginfo says of the sender.
 *
 * The deputy dequeues the signals sent to it (it blocks them all) and
 * relays each as a SIGNAL message. Only what a sender can say travels,
 * by si_code: the pid and uid of kill() and tgkill(), the value of
 * sigqueue() and POSIX message queues, and SIGCHLD's child pid and
 * status. Everything else is delivered as from the kernel (SI_KERNEL):
 * the receiving end never takes a code it does not know from the wire.
 *
 * Job control: SIGTSTP, SIGTTIN and SIGTTOU stop a process only if their
 * action is the default (the guest knows) and its process group is not
 * orphaned (home knows). The guest, offered one with the default action,
 * asks home (STOP); the deputy, unless its group is orphaned, relays
 * SIGSTOP to the guest and stops itself with the very signal, so the
 * parent's waitpid() sees what it would have. SIGCONT continues both as
 * it does after SIGSTOP.
 */
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>

#include "mig.h"

static bool mig_sig_has_sender(int code)
{
	return code == SI_USER || code == SI_TKILL || code == SI_QUEUE ||
	       code == SI_MESGQ;
}

static bool mig_sig_has_value(int code)
{
	return code == SI_QUEUE || code == SI_MESGQ;
}

static bool mig_sig_is_child(int sig, int code)
{
	return sig == SIGCHLD && code >= CLD_EXITED && code <= CLD_CONTINUED;
}

/*
 * Sends signal @info (dequeued by the deputy) to the thread on @chan, or
 * with @group to its process, whichever thread of it takes it.
 */
int mig_signal_relay(struct mig_chan *chan, const kernel_siginfo_t *info,
		     bool group)
{
	struct mig_msg_signal m = {
		.mig_id = cpu_to_be32(chan->id),
		.signo = cpu_to_be32(info->si_signo),
		.code = cpu_to_be32(SI_KERNEL),
		.flags = cpu_to_be32(group ? MIG_SIGNAL_GROUP : 0),
	};
	struct kvec vec = { &m, sizeof(m) };
	int code = info->si_code;

	if (mig_sig_has_sender(code) || mig_sig_is_child(info->si_signo, code)) {
		m.code = cpu_to_be32(code);
		m.pid = cpu_to_be32(info->si_pid);
		m.uid = cpu_to_be32(info->si_uid);
	}
	if (mig_sig_has_value(code))
		m.value = cpu_to_be64((unsigned long)info->si_ptr);
	if (mig_sig_is_child(info->si_signo, code))
		m.status = cpu_to_be32(info->si_status);
	return mig_chan_send(chan, MIG_MSG_SIGNAL, &vec, 1);
}

/*
 * The siginfo to deliver relayed signal @m with, built field by field;
 * false for a message no deputy sends.
 */
bool mig_signal_decode(const struct mig_msg_signal *m, kernel_siginfo_t *info)
{
	u32 sig = be32_to_cpu(m->signo);
	int code = (s32)be32_to_cpu(m->code);

	if (!sig || !valid_signal(sig) || sig == SIGKILL ||
	    be32_to_cpu(m->flags) & ~MIG_SIGNAL_GROUP || m->pad)
		return false;
	clear_siginfo(info);
	info->si_signo = sig;
	info->si_code = SI_KERNEL;
	if (mig_sig_has_sender(code) || mig_sig_is_child(sig, code)) {
		info->si_code = code;
		info->si_pid = be32_to_cpu(m->pid);
		info->si_uid = be32_to_cpu(m->uid);
	}
	if (mig_sig_has_value(code))
		info->si_ptr = (void __user *)(unsigned long)be64_to_cpu(m->value);
	if (mig_sig_is_child(sig, code))
		info->si_status = be32_to_cpu(m->status);
	return true;
}

bool mig_signal_is_job_stop(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* The terminal's job stops, and their MIG_SYSCALL_* flags. */
static const struct {
	int sig;
	u32 flag;
} mig_tty_stops[] = {
	{ SIGTTIN, MIG_SYSCALL_TTIN_DFL },
	{ SIGTTOU, MIG_SYSCALL_TTOU_DFL },
};

/* Would @sig take its default action in current: not caught, not blocked? */
static bool mig_signal_default_locked(int sig)
{
	return current->sighand->action[sig - 1].sa.sa_handler == SIG_DFL &&
	       !sigismember(&current->blocked, sig);
}

static bool mig_signal_default_here(int sig)
{
	bool dfl;

	spin_lock_irq(&current->sighand->siglock);
	dfl = mig_signal_default_locked(sig);
	spin_unlock_irq(&current->sighand->siglock);
	return dfl;
}

/*
 * For a call the guest forwards: which terminal job stops would stop it
 * (MIG_SYSCALL_*), for the deputy to let the home terminal do so.
 */
u32 mig_signal_job_flags(void)
{
	u32 flags = 0;
	int i;

	spin_lock_irq(&current->sighand->siglock);
	for (i = 0; i < ARRAY_SIZE(mig_tty_stops); i++)
		if (mig_signal_default_locked(mig_tty_stops[i].sig))
			flags |= mig_tty_stops[i].flag;
	spin_unlock_irq(&current->sighand->siglock);
	return flags;
}

/*
 * In the deputy, before it runs a forwarded call: the terminal driver
 * takes a blocked SIGTTIN/SIGTTOU for an ignored one (a background read
 * fails with EIO instead of stopping the job). Where the guest leaves the
 * signal to its default action, unblock it for the call, so the home
 * terminal stops the deputy as it would the process; true if the caller
 * must block it again after the call.
 */
bool mig_signal_allow_job_stops(u32 flags)
{
	sigset_t allow;
	int i;

	sigemptyset(&allow);
	for (i = 0; i < ARRAY_SIZE(mig_tty_stops); i++) {
		if (!(flags & mig_tty_stops[i].flag))
			continue;
		kernel_sigaction(mig_tty_stops[i].sig, SIG_DFL);
		sigaddset(&allow, mig_tty_stops[i].sig);
	}
	if (sigisemptyset(&allow))
		return false;
	sigprocmask(SIG_UNBLOCK, &allow, NULL);
	return true;
}

/*
 * Signals that were pending where the process ran (its capture's pending
 * masks): pending again here, on current's thread or, @group, on its
 * process, as the kernel's own (SI_KERNEL: their siginfo did not travel).
 * Called with every signal blocked, until the trampoline's rt_sigreturn
 * puts the process's mask back.
 */
void mig_signal_raise(u64 mask, bool group)
{
	int sig;

	mask &= ~((u64)sigmask(SIGKILL) | (u64)sigmask(SIGSTOP));
	for (sig = 1; sig <= 64 && mask; sig++) {
		if (!(mask & BIT_ULL(sig - 1)))
			continue;
		mask &= ~BIT_ULL(sig - 1);
		if (group)
			kill_pid(task_tgid(current), sig, 1);
		else
			send_sig(sig, current, 1);
	}
}

/*
 * The thread of @task's process a signal for the whole process goes to:
 * the first that does not block it, as the kernel would pick; NULL if
 * all block it (the caller then picks the main thread). Under RCU.
 */
struct task_struct *mig_signal_target(struct task_struct *task, int sig)
{
	struct task_struct *t;

	for_each_thread(task, t)
		if (!(t->flags & PF_EXITING) && !sigismember(&t->blocked, sig))
			return t;
	return NULL;
}

/*
 * In the guest: a job stop signal relayed from home. Caught, ignored or
 * blocked, it is delivered as any signal; with the default action, the
 * stop is home's to decide.
 */
void mig_guest_stop_work(struct callback_head *cb)
{
	struct mig_chan *chan = container_of(cb, struct mig_chan, stop_work);
	kernel_siginfo_t info = chan->stop_info;

	clear_bit(0, &chan->stop_queued);
	if (mig_signal_default_here(info.si_signo))
		mig_chan_send_ctl(chan, MIG_MSG_STOP, info.si_signo, 0);
	else
		send_sig_info(info.si_signo, &info, current);
	mig_chan_put(chan);
	mig_work_put();		/* the work's, taken when it was queued */
}

/*
 * Is current's process group orphaned: has none of its members a parent
 * in another group of the same session? Then the kernel discards job
 * stop signals (POSIX: nobody is left to continue the job). Looked at
 * under RCU, so the answer may be a moment old, as a signal's is anyway.
 */
static bool mig_pgrp_orphaned(void)
{
	struct task_struct *p, *parent;
	bool orphaned = true;
	struct pid *pgrp;

	rcu_read_lock();
	pgrp = task_pgrp(current);
	do_each_pid_task(pgrp, PIDTYPE_PGID, p) {
		parent = rcu_dereference(p->real_parent);
		if (!p->exit_state && !is_global_init(parent) &&
		    task_pgrp(parent) != pgrp &&
		    task_session(parent) == task_session(p))
			orphaned = false;
	} while_each_pid_task(pgrp, PIDTYPE_PGID, p);
	rcu_read_unlock();
	return orphaned;
}

/*
 * In the deputy, on its way to user mode: its guest takes a job stop with
 * the default action. Stop the guest (SIGSTOP) and the deputy with the
 * signal itself: set to its default action and forced (which unblocks
 * it; the deputy blocks it again at its next trap).
 */
void mig_deputy_stop_work(struct callback_head *cb)
{
	struct mig_chan *chan = container_of(cb, struct mig_chan, stop_work);
	int sig = chan->stop_info.si_signo;
	kernel_siginfo_t stop;

	clear_bit(0, &chan->stop_queued);
	if (!(current->flags & PF_EXITING) && !mig_pgrp_orphaned() &&
	    mig_deputy_may_stop()) {
		clear_siginfo(&stop);
		stop.si_signo = SIGSTOP;
		stop.si_code = SI_KERNEL;
		mig_signal_relay(chan, &stop, true);
		kernel_sigaction(sig, SIG_DFL);
		force_sig(sig);
	}
	mig_chan_put(chan);
	mig_work_put();		/* the work's, taken when it was queued */
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: a nanosleep() cut short by a move goes on after it.
 *
 * A process caught sleeping in nanosleep() or a relative clock_nanosleep()
 * returns -ERESTART_RESTARTBLOCK: its kernel means to finish the sleep
 * with restart_syscall(), from a restart block that only that kernel has
 * (and that the trampoline's rt_sigreturn would reset anyway). So the move
 * carries the time left, the clock and where to report the time left
 * (rmtp); the process resumes on restart_syscall(), and that one call is
 * taken by the syscall hook: at the destination by the guest, at home
 * after a homecoming by a short-lived "sleeper" hook. Time spent moving
 * does not count as sleep. An absolute clock_nanosleep() restarts as it
 * is (-ERESTARTNOHAND), and its clock is the process's own.
 */
#include <linux/hrtimer.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/time.h>
#include <linux/uaccess.h>
#include <asm/unistd.h>

#include "mig.h"
#include "syscall_hook.h"

static ktime_t mig_clock_now(clockid_t clockid)
{
	switch (clockid) {
	case CLOCK_MONOTONIC:
		return ktime_get();
	case CLOCK_BOOTTIME:
		return ktime_get_boottime();
	case CLOCK_TAI:
		return ktime_get_clocktai();
	}
	return ktime_get_real();
}

static bool mig_clock_ok(clockid_t clockid)
{
	return clockid == CLOCK_MONOTONIC || clockid == CLOCK_BOOTTIME ||
	       clockid == CLOCK_REALTIME || clockid == CLOCK_TAI;
}

/*
 * The sleep current was in when captured, into @t: from @s (a sleep mig
 * resumed, then interrupted again) or from this kernel's restart block.
 * -EAGAIN for any other restart block (a CPU clock, a restarted call).
 */
int mig_sleep_capture(long orig_nr, const struct mig_sleep *s,
		      struct mig_wire_sleep *t)
{
	struct restart_block *rb = &current->restart_block;
	clockid_t clockid;
	ktime_t left;
	u64 rmtp;

	if (orig_nr == __NR_restart_syscall && s && s->active) {
		clockid = s->clockid;
		left = ktime_sub(s->expires, mig_clock_now(clockid));
		rmtp = s->rmtp;
	} else if (orig_nr == __NR_nanosleep ||
		   orig_nr == __NR_clock_nanosleep) {
		clockid = rb->nanosleep.clockid;
		if (!mig_clock_ok(clockid) || rb->nanosleep.type == TT_COMPAT)
			return -EAGAIN;
		left = ktime_sub(rb->nanosleep.expires, mig_clock_now(clockid));
		rmtp = rb->nanosleep.type == TT_NATIVE ?
		       (unsigned long)rb->nanosleep.rmtp : 0;
	} else {
		return -EAGAIN;
	}
	t->flags |= cpu_to_be32(MIG_TASK_SLEEPING);
	t->clockid = cpu_to_be32(clockid);
	t->left_ns = cpu_to_be64(max_t(s64, ktime_to_ns(left), 0));
	t->rmtp = cpu_to_be64(rmtp);
	return 0;
}

/* The sleep @t carries, to finish from now on. */
int mig_sleep_restore(const struct mig_wire_sleep *t, struct mig_sleep *s)
{
	clockid_t clockid = be32_to_cpu(t->clockid);
	u64 left = be64_to_cpu(t->left_ns);

	memset(s, 0, sizeof(*s));
	if (be32_to_cpu(t->flags) & ~MIG_TASK_SLEEPING)
		return -EPROTO;
	if (!(be32_to_cpu(t->flags) & MIG_TASK_SLEEPING))
		return 0;
	/* A sleep of more than 100 years is not one. */
	if (!mig_clock_ok(clockid) || left > 100ULL * 365 * 24 * 3600 * NSEC_PER_SEC)
		return -EPROTO;
	s->active = true;
	s->clockid = clockid;
	s->expires = ktime_add_ns(mig_clock_now(clockid), left);
	s->rmtp = be64_to_cpu(t->rmtp);
	return 0;
}

/*
 * The process's restart_syscall(): sleeps until the sleep's end. A signal
 * ends it early as nanosleep() would: the time left goes to rmtp and
 * -ERESTART_RESTARTBLOCK lets signal delivery choose between -EINTR (a
 * handler ran) and coming back here.
 */
long mig_sleep_resume(struct mig_sleep *s)
{
	struct timespec64 ts;
	ktime_t left;

	for (;;) {
		ktime_t expires = s->expires;

		set_current_state(TASK_INTERRUPTIBLE);
		if (!schedule_hrtimeout_range_clock(&expires, 50 * NSEC_PER_USEC,
						    HRTIMER_MODE_ABS,
						    s->clockid)) {
			s->active = false;
			return 0;
		}
		if (signal_pending(current))
			break;
	}
	left = ktime_sub(s->expires, mig_clock_now(s->clockid));
	if (s->rmtp && ktime_to_ns(left) > 0) {
		ts = ktime_to_timespec64(left);
		if (put_timespec64(&ts, (void __user *)s->rmtp))
			return -EFAULT;
	}
	return -ERESTART_RESTARTBLOCK;
}

/* At home, after a homecoming: only the one restart_syscall is taken. */
struct mig_sleeper {
	struct mig_hooked hooked;	/* first: the syscall hook's view */
	struct mig_sleep sleep;
	struct callback_head done_work;
	bool exited;
};

/* Holds a module reference: it may run after the hook's is gone (exit). */
static void mig_sleeper_done(struct callback_head *cb)
{
	struct mig_sleeper *sl = container_of(cb, struct mig_sleeper, done_work);

	if (!sl->exited)
		mig_hook_del_task(current);
	kfree(sl);
	mig_work_put();
}

static bool mig_sleeper_syscall(struct mig_hooked *h,
				const struct pt_regs *regs, long *ret)
{
	struct mig_sleeper *sl = container_of(h, struct mig_sleeper, hooked);
	bool mine = regs->orig_ax == __NR_restart_syscall && sl->sleep.active;

	if (mine)
		*ret = mig_sleep_resume(&sl->sleep);
	/* Done with the sleep (or it was never resumed): let go after it. */
	if ((!mine || *ret != -ERESTART_RESTARTBLOCK) && !sl->done_work.func &&
	    mig_work_get()) {
		sl->sleep.active = false;
		init_task_work(&sl->done_work, mig_sleeper_done);
		if (task_work_add(current, &sl->done_work, TWA_RESUME)) {
			sl->done_work.func = NULL;
			mig_work_put();
		}
	}
	return mine;
}

/* From the hook's exit probe, atomic context, in the exiting task. */
static void mig_sleeper_exited(struct mig_hooked *h)
{
	struct mig_sleeper *sl = container_of(h, struct mig_sleeper, hooked);

	if (sl->done_work.func)
		sl->exited = true;	/* the queued work frees it */
	else
		kfree(sl);
}

static const struct mig_hooked_ops mig_sleeper_ops = {
	.name = "sleeper",
	.syscall = mig_sleeper_syscall,
	.exited = mig_sleeper_exited,
};

/* current, back home with a sleep to finish, gets the sleeper hook. */
int mig_sleeper_start(const struct mig_sleep *s)
{
	struct mig_sleeper *sl;
	int err;

	sl = kzalloc(sizeof(*sl), GFP_KERNEL);
	if (!sl)
		return -ENOMEM;
	sl->hooked.ops = &mig_sleeper_ops;
	sl->sleep = *s;
	err = mig_hook_add_task(current, &sl->hooked);
	if (err)
		kfree(sl);
	return err;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: placement at exec ("migctl exec NODE -- CMD").
 *
 * migctl asks for itself to be placed on NODE, then execs CMD. The module
 * hooks the caller's system calls; on execve or execveat it queues a
 * task_work and lets the call run natively. The work runs on the way back
 * to user mode: if the exec succeeded, that is before the new program's
 * first instruction, and the process moves from there as "migctl move"
 * would move it (same pid, parent and stdio, a deputy at home). A failed
 * exec (execvp() tries every PATH entry) leaves the placement armed for
 * the next one. A failed move leaves the program running here; the
 * destination was checked when the placement was asked for.
 *
 * The program exec'd may not be the caller's to move (a setuid program
 * is not dumpable, and has other ids): after the exec the rules of
 * "migctl move" are checked again, with the caller's credentials from
 * before the exec, and a refusal leaves the program running here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "mig.h"
#include "syscall_hook.h"

struct mig_placer {
	struct mig_hooked hooked;	/* first: the syscall hook's view */
	struct callback_head work;
	const struct cred *caller;	/* who asked, before the exec */
	bool privileged;		/* and whether with CAP_SYS_PTRACE */
	u16 dest;
	bool queued;			/* the work owns it from exit on */
	bool exited;
};

static void mig_placer_free(struct mig_placer *p)
{
	put_cred(p->caller);
	kfree(p);
}

/* May the program now running be moved by whoever asked? */
static int mig_place_check(const struct mig_placer *p, const char **why)
{
	if (!mig_may_place(p->caller, p->privileged)) {
		*why = "not permitted: the program exec'd is not the caller's to move (setuid?)";
		return -EPERM;
	}
	return mig_check_task_state(current, why);
}

static void mig_place_run(struct mig_placer *p)
{
	long exec_result = task_pt_regs(current)->ax;
	u16 dest = p->dest;
	const char *why = NULL;
	int err;

	p->queued = false;
	if (p->exited) {
		mig_placer_free(p);
		return;
	}
	if (exec_result)	/* the exec failed: wait for the next one */
		return;
	mig_hook_del_task(current);
	err = mig_place_check(p, &why);
	mig_placer_free(p);
	if (err) {
		pr_info("pid %d (%s) runs here: not placed on node %u: %s\n",
			task_tgid_nr(current), current->comm, dest, why);
		return;
	}
	err = mig_move_current(dest);
	if (err)
		pr_info("pid %d (%s) runs here: placing it on node %u failed: %d\n",
			task_tgid_nr(current), current->comm, dest, err);
}

/*
 * The work holds a module reference of its own: the hook's goes with the
 * placement (or the task's exit) while the work still has to run.
 */
static void mig_place_work(struct callback_head *cb)
{
	mig_place_run(container_of(cb, struct mig_placer, work));
	mig_work_put();
}

/* Every syscall of a process waiting to be placed: all run here. */
static bool mig_placer_syscall(struct mig_hooked *h,
			       const struct pt_regs *regs, long *ret)
{
	struct mig_placer *p = container_of(h, struct mig_placer, hooked);

	if (in_ia32_syscall() || p->queued)
		return false;
	if (regs->orig_ax != __NR_execve && regs->orig_ax != __NR_execveat)
		return false;
	if (!mig_work_get())
		return false;
	init_task_work(&p->work, mig_place_work);
	if (!task_work_add(current, &p->work, TWA_RESUME))
		p->queued = true;
	else
		mig_work_put();
	return false;
}

/* From the hook's exit probe, atomic context, in the exiting task. */
static void mig_placer_exited(struct mig_hooked *h)
{
	struct mig_placer *p = container_of(h, struct mig_placer, hooked);

	if (p->queued)
		p->exited = true;	/* the work still runs, and frees it */
	else
		mig_placer_free(p);
}

static const struct mig_hooked_ops mig_placer_ops = {
	.name = "placer",
	.syscall = mig_placer_syscall,
	.exited = mig_placer_exited,
};

static int mig_place_arm(u32 dest, const char **why)
{
	struct mig_placer *p;
	int err;

	err = mig_check_movable(current, why);
	if (!err)
		err = mig_check_dest(dest, false, why);
	if (err)
		return err;
	if (mig_hook_guest(current)) {
		*why = "a placement is already pending for this process";
		return -EBUSY;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->hooked.ops = &mig_placer_ops;
	p->dest = dest;
	p->caller = get_current_cred();
	p->privileged = capable(CAP_SYS_PTRACE);
	err = mig_hook_add_task(current, &p->hooked);
	if (err) {
		mig_placer_free(p);
		*why = "cannot watch the process's exec (ftrace busy?)";
	}
	return err;
}

/*
 * The caller (migctl exec) asks to be placed on @dest at its next exec.
 * The placement's hook entry holds the module until it is done.
 */
int mig_place_at_exec(u32 dest, const char **why)
{
	int err;

	if (!mig_work_get()) {
		*why = "the mig module is being unloaded";
		return -ESHUTDOWN;
	}
	err = mig_place_arm(dest, why);
	mig_work_put();
	return err;
}

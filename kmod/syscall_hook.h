/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: per-task system call interception ("guests").
 *
 * A hooked task carries the kernel's seccomp work flag, and while at least
 * one exists an ftrace hook sits on __secure_computing(), which the syscall
 * entry calls for flagged tasks only: each syscall of a hooked task goes to
 * the callback given to mig_hook_init(), before the call runs; other tasks
 * pay nothing. With no hooked task the hook is not registered at all.
 *
 * Not given to the callback: numbers beyond this kernel's table (they get
 * -ENOSYS as anywhere), the vDSO (clock_gettime, gettimeofday, time, getcpu
 * never enter the kernel). The vsyscall page emulation's three calls are
 * given with their own numbers.
 */
#ifndef _MIG_SYSCALL_HOOK_H
#define _MIG_SYSCALL_HOOK_H

#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/types.h>

/*
 * What to do with one syscall of a guest. Return true when handled (the
 * syscall then returns *ret to user space), false to run it locally. Runs in
 * the guest's context, may sleep.
 *
 * regs are the guest's user registers; the number is regs->orig_ax, in the
 * ia32 numbering (asm/unistd_32_ia32.h) when in_ia32_syscall().
 *
 * Must return (not exit the task), and should let run locally what only
 * makes sense here: exit and exit_group (handling them keeps the task
 * alive), rt_sigreturn, and restart_syscall for a syscall that ran locally.
 * *ret goes through the usual syscall exit: -ERESTARTSYS, -ERESTARTNOINTR
 * and -ERESTARTNOHAND restart the syscall, which comes back here;
 * -ERESTART_RESTARTBLOCK needs current->restart_block set up, since the
 * restart arrives as restart_syscall.
 *
 * A syscall the callback lets run locally creates no guest: children of a
 * local fork/clone/vfork are ordinary tasks. The callback runs before
 * ptrace's syscall-exit report but after its entry report and
 * Syscall User Dispatch; a call it handles skips audit and the sys_enter
 * tracepoint, as a seccomp SECCOMP_RET_ERRNO does.
 */
typedef bool (*mig_syscall_fn)(void *guest, const struct pt_regs *regs,
			       long *ret);

/* At module load: remembers fn (NULL: all syscalls run locally), registers
 * nothing. With debug_hooks=1 it also creates /sys/kernel/debug/mig/hook_pid.
 */
int mig_hook_init(mig_syscall_fn fn);

/* At unload, after all guests are gone (they pin the module anyway). */
void mig_hook_exit(void);

/*
 * task becomes a guest. The first guest registers the hook (sleeps: a few
 * ms under TCG, plus the filter's set-up the very first time).
 * Errors: -EEXIST already a guest, -ESRCH exiting, -EINVAL kernel thread,
 * -EPERM under a seccomp filter or strict mode of its own, -EBUSY another
 * IPMODIFY user (livepatch...) owns __secure_computing() or ftrace is
 * disabled.
 * A guest holds a reference on its task and on the module. A guest reaching
 * do_exit() (exit_group, fatal signal) is removed there automatically.
 */
int mig_hook_add_task(struct task_struct *task, void *guest);

/*
 * Keeps the hook armed, arming it in the background if it is not, for a
 * task about to be added; so the add does not wait for the arming.
 * Every hold is released, added task or not.
 */
void mig_hook_hold(void);
void mig_hook_release(void);

/*
 * task, which must be current, stops being a guest; no-op if it is not one
 * (e.g. already removed at its exit). The hook is unregistered hook_linger_ms after the last guest
 * left (at once, sleeping ~80 ms under TCG, if that is 0).
 * Does not wait for a callback already running for task: keep the guest
 * object alive until the task can no longer be in a syscall, or refcount it
 * in the callback.
 */
void mig_hook_del_task(struct task_struct *task);

/* fn(guest) for a guest reaching do_exit(); atomic context: queue work. */
void mig_hook_set_exit_fn(void (*fn)(void *guest));

/*
 * fn(guest, child) when a hooked task forks, in the parent, before the
 * child first runs (atomic context): the child's guest pointer to hook it
 * from its first instruction, or NULL (the usual: it is nobody's guest).
 */
void mig_hook_set_fork_fn(void *(*fn)(void *guest, struct task_struct *child));

/*
 * From a callback only, for the syscall it was called for: argument @arg
 * (0-5, in x86-64 order) is @val while the call runs here natively (the
 * callback then returns false); the task's register is put back before it
 * returns to user space. 0, or -ENOMEM, or -ESRCH if the task is exiting.
 */
int mig_hook_local_arg(int arg, unsigned long val);

/* The guest pointer of task, or NULL. Any context. */
void *mig_hook_guest(struct task_struct *task);

#endif /* _MIG_SYSCALL_HOOK_H */

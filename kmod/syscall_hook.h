/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: per-task system call interception ("guests").
 *
 * While at least one guest exists, an ftrace hook sits on every system call
 * entry point: __x64_sys_*, the SYSCALL_DEFINE0 bodies __do_sys_* that the
 * 0-argument ones alias, and the ia32 entry points (int $0x80, 32-bit
 * tasks). Each syscall of a guest goes to the callback given to
 * mig_hook_init(); other tasks pay for one hash-bucket test on top of
 * ftrace's own cost. With no guest the hook is not registered at all.
 *
 * Not intercepted: syscall numbers this kernel does not implement (they end
 * in __x64_sys_ni_syscall, which cannot be traced, and return -ENOSYS), x32
 * syscalls (disabled in Debian's kernel: -ENOSYS the same way), the vDSO
 * (clock_gettime, gettimeofday, time, getcpu never enter the kernel) and the
 * legacy vsyscall page emulation of the same three.
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
 * local fork/clone/vfork are ordinary tasks.
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
 * task becomes a guest. The first guest registers the hook (sleeps: about
 * 50 ms under TCG, plus 200 ms the very first time to build the filter).
 * Errors: -EEXIST already a guest, -ESRCH exiting, -EINVAL kernel thread,
 * -EBUSY another IPMODIFY user (livepatch...) owns one of the entry points
 * or ftrace is disabled.
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
 * task stops being a guest; no-op if it is not one (e.g. already removed at
 * its exit). The hook is unregistered hook_linger_ms after the last guest
 * left (at once, sleeping ~80 ms under TCG, if that is 0).
 * Does not wait for a callback already running for task: keep the guest
 * object alive until the task can no longer be in a syscall, or refcount it
 * in the callback.
 */
void mig_hook_del_task(struct task_struct *task);

/* fn(guest) for a guest reaching do_exit(); atomic context: queue work. */
void mig_hook_set_exit_fn(void (*fn)(void *guest));

/*
 * From a callback only: runs the syscall it was called for here, natively,
 * with regs, a changed copy of the task's (same orig_ax). Returns its result.
 */
long mig_hook_run_copy(const struct pt_regs *regs);

/* The guest pointer of task, or NULL. Any context. */
void *mig_hook_guest(struct task_struct *task);

#endif /* _MIG_SYSCALL_HOOK_H */

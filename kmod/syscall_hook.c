// SPDX-License-Identifier: GPL-2.0
/*
 * mig: per-task system call interception.
 *
 * A hooked task carries the kernel's seccomp work flag
 * (SYSCALL_WORK_SECCOMP): the syscall entry then calls __secure_computing()
 * before each of its calls, and skips the call when that returns -1 with
 * the result in regs->ax, as it does for a filter's SECCOMP_RET_ERRNO. One
 * ftrace_ops with IPMODIFY on that single function sends a hooked task to
 * mig_hook_redirect(), which gives the call to the callback: handled
 * (forwarded, answered), the call is skipped with the callback's result;
 * otherwise it runs here, natively, as if nothing had looked at it. A task
 * without the flag never calls the function, so on a node with guests
 * every other process pays nothing (a hook on every syscall entry point,
 * as before, cost each of their calls an ftrace trampoline: 7-14 % of a
 * getppid() under TCG).
 *
 * The flag is the kernel's, so:
 *  - a task with a seccomp filter or strict mode of its own is never
 *    redirected: the kernel enforces its filter, and such a task cannot be
 *    hooked (mig_hook_add_task() refuses it; a process under seccomp does
 *    not move anyway, creds.c);
 *  - __secure_computing() BUG()s for a task with the flag and no seccomp
 *    mode: the flag must never outlive the hook. It is set and cleared only
 *    by the task itself (or at its exit), so no task can be between reading
 *    it and calling the function when it goes. fork copies it: a probe on
 *    sched_process_fork clears it on the child before the child first runs,
 *    and a task reaching the hook without an entry clears it
 *    (mig_hook_unflag()). The debugfs knob, which releases another task,
 *    detaches its entry and leaves the clearing to that task.
 *
 * To run a call here with an argument changed (a call that names the
 * process by its home pid), mig_hook_local_arg() changes the user register
 * and queues a task_work that puts it back before the task returns to user
 * space; if a signal is to be delivered, get_signal() runs the task_work
 * before the frame saves the registers. The syscall ABI preserves the
 * argument registers, and compiled code relies on it.
 *
 * Lifetimes:
 *  - An entry holds a reference on its task (the key can never be a
 *    recycled task_struct) and one on the module (no rmmod while hooked
 *    tasks exist). It is freed after an RCU grace period; the handler looks
 *    it up with preemption disabled.
 *  - Each redirected call holds its own module reference from the handler
 *    until the callback returned, so a guest sleeping in the callback keeps
 *    the module text in place even if its entry is deleted meanwhile. The
 *    few instructions after that module_put(), and mig_hook_unflag(), are
 *    covered by synchronize_rcu_tasks() at unload. A call the callback lets
 *    run here runs outside the module.
 *  - A hooked task reaching do_exit() is removed by a sched_process_exit
 *    probe; if it was the last one, a work item unregisters the hook after
 *    hook_linger_ms.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/ftrace.h>
#include <linux/hash.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rculist.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/seccomp.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/task_work.h>
#include <linux/thread_info.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <asm/unistd.h>

#include "syscall_hook.h"

#define MIG_HOOK_BITS	10		/* 1024 buckets: 8 KiB of heads */

/* The one function hooked: seccomp's entry, called only for flagged tasks */
#define MIG_HOOK_FUNC	"__secure_computing"

struct mig_hook_entry {
	struct hlist_node node;		/* in mig_hook_table, RCU */
	struct task_struct *task;	/* referenced */
	void *guest;			/* NULL: detached, see mig_hook_write() */
	struct rcu_head rcu;
};

/* A register to put back before the task returns to user space. */
struct mig_hook_restore {
	struct callback_head work;
	unsigned long *reg;		/* in the task's pt_regs */
	unsigned long val;
};

static bool debug_hooks;
module_param(debug_hooks, bool, 0444);
MODULE_PARM_DESC(debug_hooks,
		 "Test knob /sys/kernel/debug/mig/hook_pid (default off)");

static unsigned int hook_linger_ms = 10000;
module_param(hook_linger_ms, uint, 0444);
MODULE_PARM_DESC(hook_linger_ms,
		 "How long the syscall hook stays armed after its last task, in ms (default 10000)");

static mig_syscall_fn mig_hook_fn;

static struct hlist_head mig_hook_table[1 << MIG_HOOK_BITS];
static DEFINE_SPINLOCK(mig_hook_lock);	/* table changes, the counts */
static unsigned int mig_hook_count;	/* entries, detached ones too */
static unsigned int mig_hook_detached;

static DEFINE_MUTEX(mig_hook_mutex);	/* arming; tasks are added under it */
static bool mig_hook_armed;
static bool mig_hook_ever_armed;
static bool mig_hook_filtered;
static struct tracepoint *mig_hook_exit_tp, *mig_hook_fork_tp;
static struct delayed_work mig_hook_disarm_work;
static struct work_struct mig_hook_arm_work;
static atomic_t mig_hook_holds;		/* mig_hook_hold() callers */

/* Figures for the debugfs knob, in ns */
static u64 mig_hook_filter_ns, mig_hook_arm_ns, mig_hook_disarm_ns;
static atomic_long_t mig_hook_calls, mig_hook_handled, mig_hook_unflagged;

static void mig_hook_ftrace(unsigned long ip, unsigned long parent_ip,
			    struct ftrace_ops *ops, struct ftrace_regs *fregs);

#ifdef CONFIG_DYNAMIC_FTRACE_WITH_ARGS
#define MIG_HOOK_SAVE_REGS	0
#else
#define MIG_HOOK_SAVE_REGS	FTRACE_OPS_FL_SAVE_REGS
#endif

static struct ftrace_ops mig_hook_ops = {
	.func = mig_hook_ftrace,
	/*
	 * No FTRACE_OPS_FL_RECURSION: the handler calls nothing traceable.
	 * PERMANENT: ftrace_enabled=0 must not let a flagged task reach the
	 * BUG() of the original. No SAVE_REGS: with ftrace's WITH_ARGS
	 * (x86-64 since 5.17) the plain trampoline takes a new ip too.
	 */
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT |
		 MIG_HOOK_SAVE_REGS,
};

/* Sends the task, on its way into the hooked function, to @ip instead. */
static __always_inline void mig_hook_set_ip(struct ftrace_regs *fregs,
					    unsigned long ip)
{
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_ARGS
	ftrace_instruction_pointer_set(fregs, ip);
#else
	instruction_pointer_set(ftrace_get_regs(fregs), ip);
#endif
}

static inline struct hlist_head *mig_hook_bucket(const struct task_struct *t)
{
	return &mig_hook_table[hash_ptr(t, MIG_HOOK_BITS)];
}

/* Under RCU, preemption disabled, or mig_hook_lock */
static inline struct mig_hook_entry *mig_hook_find(struct task_struct *task)
{
	struct mig_hook_entry *e;

	hlist_for_each_entry_rcu_notrace(e, mig_hook_bucket(task), node)
		if (e->task == task)
			return e;
	return NULL;
}

static inline unsigned long mig_hook_nr_max(void)
{
#ifdef CONFIG_IA32_EMULATION
	if (in_ia32_syscall())
		return IA32_NR_syscalls;
#endif
	return NR_syscalls;
}

/* The built-in decision of the debugfs knob: getppid() answers 4242. */
static char mig_hook_test_guest;

static bool mig_hook_test_fn(void *guest, const struct pt_regs *regs,
			     long *ret)
{
	unsigned long nr = in_ia32_syscall() ? __NR_ia32_getppid :
					       __NR_getppid;

	if (regs->orig_ax != nr)
		return false;
	*ret = 4242;
	return true;
}

static bool mig_hook_remove(struct task_struct *task, void **guest);
static void mig_hook_idle_later(void);

/*
 * Where a flagged task without an entry goes instead of the original (which
 * would BUG() on it): a child that got the flag by fork before the probe
 * saw it, or a task the debugfs knob detached. It runs the call here.
 */
static int mig_hook_unflag(const struct seccomp_data *sd)
{
	if (mig_hook_remove(current, NULL))
		mig_hook_idle_later();
	clear_task_syscall_work(current, SECCOMP);
	atomic_long_inc(&mig_hook_unflagged);
	return 0;
}

/*
 * Where a hooked task's syscall goes instead of __secure_computing(): 0 runs
 * the call, -1 skips it with regs->ax as its result.
 */
static int mig_hook_redirect(const struct seccomp_data *sd)
{
	struct pt_regs *regs = current_pt_regs();
	mig_syscall_fn fn = NULL;
	int verdict = 0;
	void *guest;
	long ret;

	atomic_long_inc(&mig_hook_calls);
	/* Removed or detached since the handler ran: not hooked any more. */
	guest = mig_hook_guest(current);
	if (!guest) {
		module_put(THIS_MODULE);
		return mig_hook_unflag(sd);
	}
	fn = guest == &mig_hook_test_guest ? mig_hook_test_fn :
					     READ_ONCE(mig_hook_fn);
	/*
	 * A number this kernel does not have ends in -ENOSYS here, as it
	 * did before the move; the vsyscall emulation passes its own three.
	 */
	if (fn && regs->orig_ax < mig_hook_nr_max() &&
	    fn(guest, regs, &ret)) {
		atomic_long_inc(&mig_hook_handled);
		regs->ax = ret;
		verdict = -1;
	}
	module_put(THIS_MODULE);
	return verdict;
}

static void notrace mig_hook_ftrace(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *ops,
				    struct ftrace_regs *fregs)
{
	unsigned long target = (unsigned long)mig_hook_unflag;

	/* A filter or strict mode of its own: the kernel's to enforce. */
	if (READ_ONCE(current->seccomp.mode) != SECCOMP_MODE_DISABLED)
		return;
	/* Our RCU read side for the lookup */
	preempt_disable_notrace();
	if (mig_hook_find(current) && try_module_get(THIS_MODULE))
		target = (unsigned long)mig_hook_redirect;
	preempt_enable_notrace();
	mig_hook_set_ip(fregs, target);
}

static void mig_hook_restore_fn(struct callback_head *head)
{
	struct mig_hook_restore *r = container_of(head, struct mig_hook_restore,
						  work);

	*r->reg = r->val;
	kfree(r);
	module_put(THIS_MODULE);
}

/*
 * From a callback, for the call it was given: argument @arg (0-5, x86-64
 * order) becomes @val while the call runs here; the task's register is put
 * back before it returns to user space. The callback then returns false.
 */
int mig_hook_local_arg(int arg, unsigned long val)
{
	struct pt_regs *regs = current_pt_regs();
	unsigned long *reg[6] = {
		&regs->di, &regs->si, &regs->dx, &regs->r10, &regs->r8,
		&regs->r9,
	};
	struct mig_hook_restore *r;
	int err;

	if (WARN_ON_ONCE(arg < 0 || arg >= ARRAY_SIZE(reg)))
		return -EINVAL;
	r = kmalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->reg = reg[arg];
	r->val = *r->reg;
	init_task_work(&r->work, mig_hook_restore_fn);
	__module_get(THIS_MODULE);	/* the task_work's text */
	err = task_work_add(current, &r->work, TWA_RESUME);
	if (err) {
		module_put(THIS_MODULE);
		kfree(r);
		return err;
	}
	*r->reg = val;
	return 0;
}

static void mig_hook_free_rcu(struct rcu_head *rcu)
{
	struct mig_hook_entry *e = container_of(rcu, struct mig_hook_entry,
						rcu);

	put_task_struct(e->task);
	kfree(e);
}

/*
 * Unhash task's entry, from any context. Returns true if that made the
 * table empty; the caller then arranges the disarming. A task that removes
 * itself drops the flag too; an exiting one makes no more calls.
 */
static bool mig_hook_remove(struct task_struct *task, void **guest)
{
	struct mig_hook_entry *e;
	bool empty = false;

	spin_lock(&mig_hook_lock);
	e = mig_hook_find(task);
	if (e) {
		hlist_del_rcu(&e->node);
		empty = !--mig_hook_count;
		if (!e->guest)
			mig_hook_detached--;
		if (guest)
			*guest = e->guest;
	}
	spin_unlock(&mig_hook_lock);
	if (task == current &&
	    READ_ONCE(task->seccomp.mode) == SECCOMP_MODE_DISABLED)
		clear_task_syscall_work(task, SECCOMP);
	if (!e)
		return false;
	call_rcu(&e->rcu, mig_hook_free_rcu);
	module_put(THIS_MODULE);
	return empty;
}

static void (*mig_hook_exit_fn)(void *guest);

/*
 * The last task left (or hold released). Arming and disarming cost tens of
 * ms each, so the hook lingers a while for the next move.
 */
static void mig_hook_idle_later(void)
{
	mod_delayed_work(system_wq, &mig_hook_disarm_work,
			 msecs_to_jiffies(READ_ONCE(hook_linger_ms)));
}

static void mig_hook_exit_probe(void *data, struct task_struct *task)
{
	void *guest = NULL;
	bool empty;

	/*
	 * PF_EXITING was set before; pairs with the barrier in
	 * mig_hook_add_task(): it sees PF_EXITING, or we see its entry.
	 */
	smp_mb();
	if (likely(hlist_empty(mig_hook_bucket(task))))
		return;
	empty = mig_hook_remove(task, &guest);
	if (guest && guest != &mig_hook_test_guest && mig_hook_exit_fn)
		mig_hook_exit_fn(guest);
	if (empty)
		mig_hook_idle_later();
}

static void *(*mig_hook_fork_fn)(void *guest, struct task_struct *child);

void mig_hook_set_fork_fn(void *(*fn)(void *guest, struct task_struct *child))
{
	mig_hook_fork_fn = fn;
}

/*
 * The parent's owner may keep the child hooked (a restore's threads, made
 * by clones of its trampoline): an entry for it before it runs, so its
 * flag stays. Atomic context; false if not.
 */
static bool mig_hook_adopt(struct task_struct *parent,
			   struct task_struct *child)
{
	void *(*fn)(void *guest, struct task_struct *child);
	struct mig_hook_entry *e;
	void *guest, *pguest;

	fn = READ_ONCE(mig_hook_fork_fn);
	pguest = parent == current ? mig_hook_guest(parent) : NULL;
	if (!fn || !pguest || pguest == &mig_hook_test_guest)
		return false;
	e = kzalloc(sizeof(*e), GFP_ATOMIC);
	if (!e)
		return false;
	guest = fn(pguest, child);
	if (!guest) {
		kfree(e);
		return false;
	}
	e->task = child;
	e->guest = guest;
	get_task_struct(child);
	__module_get(THIS_MODULE);
	spin_lock(&mig_hook_lock);
	hlist_add_head_rcu(&e->node, mig_hook_bucket(child));
	mig_hook_count++;
	spin_unlock(&mig_hook_lock);
	return true;
}

/*
 * fork copied the flag of a hooked parent: unless its owner adopts it, the
 * child is nobody's guest, and must not reach the original with it. It
 * has not run yet.
 */
static void mig_hook_fork_probe(void *data, struct task_struct *parent,
				struct task_struct *child)
{
	if (unlikely(test_task_syscall_work(child, SECCOMP)) &&
	    READ_ONCE(child->seccomp.mode) == SECCOMP_MODE_DISABLED &&
	    !mig_hook_adopt(parent, child))
		clear_task_syscall_work(child, SECCOMP);
}

static void mig_hook_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exit"))
		mig_hook_exit_tp = tp;
	else if (!strcmp(tp->name, "sched_process_fork"))
		mig_hook_fork_tp = tp;
}

static int mig_hook_set_filter(void)
{
	char name[] = MIG_HOOK_FUNC;	/* ftrace_set_filter() edits it */
	u64 t0 = ktime_get_ns();
	int err;

	err = ftrace_set_filter(&mig_hook_ops, name, strlen(name), 1);
	if (err) {
		/* An empty filter would mean every function. */
		ftrace_free_filter(&mig_hook_ops);
		pr_err("cannot hook %s: %d\n", MIG_HOOK_FUNC, err);
		return err;
	}
	mig_hook_filter_ns = ktime_get_ns() - t0;
	mig_hook_filtered = true;
	return 0;
}

static int mig_hook_register_probes(void)
{
	int err;

	if (!mig_hook_exit_tp || !mig_hook_fork_tp) {
		for_each_kernel_tracepoint(mig_hook_find_tp, NULL);
		if (!mig_hook_exit_tp || !mig_hook_fork_tp) {
			pr_err("no sched_process_exit/fork tracepoint\n");
			return -ENOENT;
		}
	}
	err = tracepoint_probe_register(mig_hook_exit_tp, mig_hook_exit_probe,
					NULL);
	if (err)
		return err;
	err = tracepoint_probe_register(mig_hook_fork_tp, mig_hook_fork_probe,
					NULL);
	if (err)
		tracepoint_probe_unregister(mig_hook_exit_tp,
					    mig_hook_exit_probe, NULL);
	return err;
}

static void mig_hook_unregister_probes(void)
{
	tracepoint_probe_unregister(mig_hook_fork_tp, mig_hook_fork_probe,
				    NULL);
	tracepoint_probe_unregister(mig_hook_exit_tp, mig_hook_exit_probe,
				    NULL);
}

/* Under mig_hook_mutex */
static int mig_hook_arm(void)
{
	u64 t0;
	int err;

	if (!mig_hook_filtered) {
		err = mig_hook_set_filter();
		if (err)
			return err;
	}
	t0 = ktime_get_ns();
	err = mig_hook_register_probes();
	if (err)
		return err;
	err = register_ftrace_function(&mig_hook_ops);
	if (err) {
		pr_err("cannot register the syscall hook: %d\n", err);
		mig_hook_unregister_probes();
		return err;
	}
	mig_hook_arm_ns = ktime_get_ns() - t0;
	mig_hook_armed = true;
	mig_hook_ever_armed = true;
	return 0;
}

/*
 * Under mig_hook_mutex: unregister if there is no hooked task left. None
 * then has the flag: each cleared its own, or exited; a child forked by
 * one had it cleared by the fork probe, which goes last.
 */
static void mig_hook_disarm_if_idle(void)
{
	u64 t0;

	if (!mig_hook_armed || READ_ONCE(mig_hook_count) ||
	    atomic_read(&mig_hook_holds))
		return;
	t0 = ktime_get_ns();
	unregister_ftrace_function(&mig_hook_ops);
	mig_hook_unregister_probes();
	mig_hook_armed = false;
	mig_hook_disarm_ns = ktime_get_ns() - t0;
}

/* Under mig_hook_mutex */
static void mig_hook_idle(void)
{
	if (READ_ONCE(hook_linger_ms))
		mig_hook_idle_later();
	else
		mig_hook_disarm_if_idle();
}

static void mig_hook_disarm_workfn(struct work_struct *work)
{
	mutex_lock(&mig_hook_mutex);
	mig_hook_disarm_if_idle();
	mutex_unlock(&mig_hook_mutex);
}

static void mig_hook_arm_workfn(struct work_struct *work)
{
	mutex_lock(&mig_hook_mutex);
	/* Released meanwhile: nobody needs it any more. */
	if (!mig_hook_armed && atomic_read(&mig_hook_holds))
		mig_hook_arm();
	mutex_unlock(&mig_hook_mutex);
}

/*
 * Arming patches a function and registers two tracepoint probes, which
 * takes milliseconds (more under emulation). A task about to become hooked (a process being sent
 * away, to stay as its deputy) holds the hook: it is armed in the
 * background meanwhile, and stays armed until mig_hook_release().
 */
void mig_hook_hold(void)
{
	atomic_inc(&mig_hook_holds);
	if (!READ_ONCE(mig_hook_armed))
		schedule_work(&mig_hook_arm_work);
}

void mig_hook_release(void)
{
	if (atomic_dec_and_test(&mig_hook_holds))
		mig_hook_idle_later();
}

/* Under mig_hook_lock: a detached entry of task taken back (debugfs). */
static int mig_hook_reattach(struct mig_hook_entry *e, void *guest)
{
	if (e->guest)
		return -EEXIST;
	e->guest = guest;
	mig_hook_detached--;
	return 0;
}

int mig_hook_add_task(struct task_struct *task, void *guest)
{
	struct mig_hook_entry *e, *old;
	int err = 0;

	if (task->flags & PF_KTHREAD)
		return -EINVAL;		/* no system calls to intercept */
	/* The hook is the seccomp flag, which a filter needs to itself. */
	if (READ_ONCE(task->seccomp.mode) != SECCOMP_MODE_DISABLED)
		return -EPERM;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->task = task;
	e->guest = guest;

	mutex_lock(&mig_hook_mutex);
	if (!mig_hook_armed) {
		err = mig_hook_arm();
		if (err)
			goto out;
	}
	spin_lock(&mig_hook_lock);
	old = mig_hook_find(task);
	if (old) {
		err = mig_hook_reattach(old, guest);
		spin_unlock(&mig_hook_lock);
		goto out;
	}
	get_task_struct(task);
	__module_get(THIS_MODULE);
	hlist_add_head_rcu(&e->node, mig_hook_bucket(task));
	mig_hook_count++;
	spin_unlock(&mig_hook_lock);
	e = NULL;

	/* Pairs with mig_hook_exit_probe(), see there. */
	smp_mb();
	if (READ_ONCE(task->flags) & PF_EXITING) {
		mig_hook_remove(task, NULL);
		err = -ESRCH;
		goto out;
	}
	/* Hashed first: its next syscall finds the entry. */
	set_task_syscall_work(task, SECCOMP);
out:
	if (err)
		mig_hook_idle();
	mutex_unlock(&mig_hook_mutex);
	kfree(e);
	return err;
}

void mig_hook_del_task(struct task_struct *task)
{
	/* Only a task itself may drop its flag; see the top of the file. */
	if (WARN_ON_ONCE(task != current))
		return;
	mutex_lock(&mig_hook_mutex);
	if (mig_hook_remove(task, NULL))
		mig_hook_idle();
	mutex_unlock(&mig_hook_mutex);
}

/*
 * Another task stops being hooked: its entry stays, detached, until the
 * task's next syscall removes it and clears the flag (mig_hook_unflag()),
 * or its exit does. For the debugfs knob.
 */
static int mig_hook_detach(struct task_struct *task, void *guest)
{
	struct mig_hook_entry *e;
	int err = -ENOENT;

	if (task == current) {
		mig_hook_del_task(task);
		return 0;
	}
	spin_lock(&mig_hook_lock);
	e = mig_hook_find(task);
	if (e && e->guest == guest) {
		e->guest = NULL;
		mig_hook_detached++;
		err = 0;
	}
	spin_unlock(&mig_hook_lock);
	return err;
}

void *mig_hook_guest(struct task_struct *task)
{
	struct mig_hook_entry *e;
	void *guest = NULL;

	rcu_read_lock();
	e = mig_hook_find(task);
	if (e)
		guest = e->guest;
	rcu_read_unlock();
	return guest;
}

/*
 * /sys/kernel/debug/mig/hook_pid (debug_hooks=1): write PID to make that
 * task a guest answered by mig_hook_test_fn(), -PID to release it (its
 * entry is detached until its next syscall or its exit); read for the
 * state.
 */
static struct dentry *mig_hook_dir, *mig_hook_file;
static bool mig_hook_own_dir;

static int mig_hook_show(struct seq_file *m, void *v)
{
	struct mig_hook_entry *e;
	unsigned int bkt;

	mutex_lock(&mig_hook_mutex);
	spin_lock(&mig_hook_lock);
	seq_printf(m, "armed %d\nguests %u\ndetached %u\n", mig_hook_armed,
		   mig_hook_count - mig_hook_detached, mig_hook_detached);
	spin_unlock(&mig_hook_lock);
	seq_printf(m, "filter_us %llu\narm_us %llu\ndisarm_us %llu\n",
		   div_u64(mig_hook_filter_ns, 1000),
		   div_u64(mig_hook_arm_ns, 1000),
		   div_u64(mig_hook_disarm_ns, 1000));
	seq_printf(m, "calls %ld\nhandled %ld\nunflagged %ld\npids",
		   atomic_long_read(&mig_hook_calls),
		   atomic_long_read(&mig_hook_handled),
		   atomic_long_read(&mig_hook_unflagged));
	spin_lock(&mig_hook_lock);
	for (bkt = 0; bkt < ARRAY_SIZE(mig_hook_table); bkt++)
		hlist_for_each_entry(e, &mig_hook_table[bkt], node)
			if (e->guest)
				seq_printf(m, " %d", task_pid_nr(e->task));
	spin_unlock(&mig_hook_lock);
	seq_putc(m, '\n');
	mutex_unlock(&mig_hook_mutex);
	return 0;
}

static int mig_hook_open(struct inode *inode, struct file *file)
{
	return single_open(file, mig_hook_show, NULL);
}

static ssize_t mig_hook_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct task_struct *task;
	struct pid *pid;
	int nr, err;

	err = kstrtoint_from_user(buf, count, 0, &nr);
	if (err)
		return err;
	if (!nr || nr == INT_MIN)
		return -EINVAL;
	pid = find_get_pid(abs(nr));
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return -ESRCH;
	if (nr > 0)
		err = mig_hook_add_task(task, &mig_hook_test_guest);
	else
		err = mig_hook_detach(task, &mig_hook_test_guest);
	put_task_struct(task);
	return err ?: count;
}

static const struct file_operations mig_hook_fops = {
	.owner = THIS_MODULE,
	.open = mig_hook_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = mig_hook_write,
};

static void mig_hook_debugfs_init(void)
{
	mig_hook_dir = debugfs_lookup("mig", NULL);
	if (!mig_hook_dir) {
		mig_hook_dir = debugfs_create_dir("mig", NULL);
		mig_hook_own_dir = true;
	}
	mig_hook_file = debugfs_create_file("hook_pid", 0600, mig_hook_dir,
					    NULL, &mig_hook_fops);
}

static void mig_hook_debugfs_exit(void)
{
	debugfs_remove(mig_hook_file);
	if (mig_hook_own_dir)
		debugfs_remove(mig_hook_dir);
	else
		dput(mig_hook_dir);	/* the reference of debugfs_lookup() */
	mig_hook_dir = NULL;
	mig_hook_file = NULL;
}

/*
 * fn(guest) runs, in atomic context, when a task that is still a guest
 * reaches do_exit(): it may only queue work.
 */
void mig_hook_set_exit_fn(void (*fn)(void *guest))
{
	mig_hook_exit_fn = fn;
}

int mig_hook_init(mig_syscall_fn fn)
{
	mig_hook_fn = fn;
	INIT_DELAYED_WORK(&mig_hook_disarm_work, mig_hook_disarm_workfn);
	INIT_WORK(&mig_hook_arm_work, mig_hook_arm_workfn);
	if (debug_hooks)
		mig_hook_debugfs_init();
	return 0;
}

void mig_hook_exit(void)
{
	if (debug_hooks)
		mig_hook_debugfs_exit();

	mutex_lock(&mig_hook_mutex);
	/*
	 * Hooked tasks pin the module. Disarming under one would leave it
	 * its flag and nobody to take it: the original would BUG().
	 */
	if (!WARN_ON_ONCE(mig_hook_count))
		mig_hook_disarm_if_idle();
	mutex_unlock(&mig_hook_mutex);

	if (mig_hook_ever_armed) {
		/*
		 * An exit probe may still run, after dropping the last guest's
		 * module reference; then it queues the disarm work.
		 */
		tracepoint_synchronize_unregister();
		/*
		 * Tasks preempted on their way out of mig_hook_redirect() or
		 * mig_hook_unflag() after their last module_put(), or out of
		 * mig_hook_restore_fn().
		 */
		synchronize_rcu_tasks();
	}
	cancel_work_sync(&mig_hook_arm_work);
	cancel_delayed_work_sync(&mig_hook_disarm_work);
	rcu_barrier();			/* mig_hook_free_rcu() is our text */
	if (mig_hook_filtered)
		ftrace_free_filter(&mig_hook_ops);
}

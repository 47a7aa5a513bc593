// SPDX-License-Identifier: GPL-2.0
/*
 * mig: per-task system call interception.
 *
 * One ftrace_ops with SAVE_REGS | IPMODIFY covers the syscall entry points.
 * Its handler runs for every syscall of every task while registered, so the
 * common case is a single test: is the hash bucket of `current` empty? Only
 * for a guest does it take a module reference and point the saved ip at
 * mig_hook_redirect(), which has the entry points' own signature
 * long (const struct pt_regs *) and so receives the user registers.
 *
 * The redirect function learns which entry point was hit from a table filled
 * by the handler: sys[abi][orig_ax] = ip. Nothing is passed in registers
 * other than ip, so it works when a BPF trampoline shares the function.
 *
 * To run a syscall locally, mig_hook_run_local() calls the original entry
 * point. ftrace fires again; the handler sees that the caller (parent_ip) is
 * this module and lets the original run. That costs nothing per task and
 * needs no state that could go stale if the task is killed in the syscall.
 *
 * Lifetimes:
 *  - A guest entry holds a reference on its task (the key can never be a
 *    recycled task_struct) and one on the module (no rmmod while guests
 *    exist). It is freed after an RCU grace period; the handler looks it up
 *    with preemption disabled.
 *  - Each redirected call holds its own module reference, taken in the
 *    handler and dropped when the call is over, so a guest sleeping in the
 *    callback or in a local syscall keeps the module text in place even if
 *    its entry is deleted meanwhile. exit and exit_group drop it before
 *    running, as they never return. The few instructions after the final
 *    module_put() are covered by synchronize_rcu_tasks() at unload.
 *  - A guest reaching do_exit() is removed by a sched_process_exit probe;
 *    if it was the last one, a work item unregisters the hook after
 *    hook_linger_ms: arming costs tens of ms, and moves come in runs.
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
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/trace_recursion.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <asm/ibt.h>
#include <asm/unistd.h>

#include "syscall_hook.h"

#define MIG_HOOK_BITS	10		/* 1024 buckets: 8 KiB of heads */

#ifdef CONFIG_IA32_EMULATION
#define MIG_HOOK_ABIS	2		/* [1]: int $0x80 and 32-bit tasks */
#define MIG_HOOK_NR	(NR_syscalls > IA32_NR_syscalls ? NR_syscalls : \
			 IA32_NR_syscalls)
#else
#define MIG_HOOK_ABIS	1
#define MIG_HOOK_NR	NR_syscalls
#endif

typedef long (*mig_sys_t)(const struct pt_regs *regs);

struct mig_hook_entry {
	struct hlist_node node;		/* in mig_hook_table, RCU */
	struct task_struct *task;	/* referenced */
	void *guest;
	struct rcu_head rcu;
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
static DEFINE_SPINLOCK(mig_hook_lock);	/* table changes, mig_hook_count */
static unsigned int mig_hook_count;

/* Entry points seen per ABI and syscall number, filled by the handler. */
static unsigned long mig_hook_sys[MIG_HOOK_ABIS][MIG_HOOK_NR];

static DEFINE_MUTEX(mig_hook_mutex);	/* arming; guests are added under it */
static bool mig_hook_armed;
static bool mig_hook_ever_armed;
static bool mig_hook_filtered;
static struct tracepoint *mig_hook_exit_tp;
static struct delayed_work mig_hook_disarm_work;
static struct work_struct mig_hook_arm_work;
static atomic_t mig_hook_holds;		/* mig_hook_hold() callers */

/* Figures for the debugfs knob, in ns */
static u64 mig_hook_filter_ns, mig_hook_arm_ns, mig_hook_disarm_ns;
static atomic_long_t mig_hook_calls, mig_hook_handled;

/*
 * The entry points: the x86-64 stubs; the SYSCALL_DEFINE0 bodies, which the
 * 0-argument stubs alias (ftrace knows them under the __do_ name only); and
 * the same for the ia32 entry points. A traceable __do_sys_* is always such
 * a body: the N-argument __do_sys_* helpers are inline, hence notrace.
 */
static const struct {
	const char *glob;
	bool required;
} mig_hook_globs[] = {
	{ "__x64_sys_*", true },
	{ "__do_sys_*", true },
#ifdef CONFIG_IA32_EMULATION
	{ "__ia32_sys_*", false },
	{ "__ia32_compat_sys_*", false },
	{ "__do_compat_sys_*", false },
#endif
};

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
	 * No FTRACE_OPS_FL_RECURSION: it would put ftrace_ops_assist_func()
	 * in front of every call; the handler guards itself, after the
	 * cheap test. PERMANENT: ftrace_enabled=0 must not silently let
	 * guests run syscalls locally. No SAVE_REGS: with ftrace's
	 * WITH_ARGS (x86-64 since 5.17) the plain trampoline takes a new
	 * ip too, and saves far less on every syscall of every task.
	 */
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT |
		 MIG_HOOK_SAVE_REGS,
};

/* Sends the task, on its way into an entry point, to @ip instead. */
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

static inline bool mig_hook_noreturn(unsigned long nr, int abi)
{
	if (abi)
		return nr == __NR_ia32_exit || nr == __NR_ia32_exit_group;
	return nr == __NR_exit || nr == __NR_exit_group;
}

static inline int mig_hook_abi(void)
{
	return MIG_HOOK_ABIS > 1 && in_ia32_syscall();
}

static inline unsigned long mig_hook_nr_max(int abi)
{
#ifdef CONFIG_IA32_EMULATION
	if (abi)
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

/* The original entry point, called so that it cannot be a tail call. */
static noinline long mig_hook_run_local(mig_sys_t sys,
					const struct pt_regs *regs)
{
	long ret = sys(regs);

	/* The call must return here: parent_ip is how the handler knows. */
	OPTIMIZER_HIDE_VAR(ret);
	return ret;
}

/*
 * For a callback: the syscall being intercepted, run here with @regs, a
 * copy of the task's registers with an argument changed. The handler
 * filled the entry point's slot before it sent the task to the callback.
 */
long mig_hook_run_copy(const struct pt_regs *regs)
{
	int abi = mig_hook_abi();
	mig_sys_t sys;

	/* Not the call the handler saw: a caller's bug. */
	if (WARN_ON_ONCE(regs->orig_ax >= mig_hook_nr_max(abi)))
		return -EINVAL;
	sys = (mig_sys_t)READ_ONCE(mig_hook_sys[abi][regs->orig_ax]);
	if (WARN_ON_ONCE(!sys))
		return -EINVAL;
	return mig_hook_run_local(sys, regs);
}

/* Where a guest's syscall goes instead of its entry point. */
static long mig_hook_redirect(const struct pt_regs *regs)
{
	int abi = mig_hook_abi();
	unsigned long nr = regs->orig_ax;
	mig_syscall_fn fn = NULL;
	mig_sys_t sys;
	void *guest;
	long ret;

	atomic_long_inc(&mig_hook_calls);
	/* Removed since the handler ran? Then it is no longer a guest. */
	guest = mig_hook_guest(current);
	if (guest)
		fn = guest == &mig_hook_test_guest ? mig_hook_test_fn :
						     READ_ONCE(mig_hook_fn);
	if (fn && fn(guest, regs, &ret)) {
		atomic_long_inc(&mig_hook_handled);
		goto out;
	}

	/* The handler checked nr and filled the slot before sending us. */
	sys = (mig_sys_t)READ_ONCE(mig_hook_sys[abi][nr]);
	if (mig_hook_noreturn(nr, abi)) {
		module_put(THIS_MODULE);
		return mig_hook_run_local(sys, regs);
	}
	ret = mig_hook_run_local(sys, regs);
out:
	module_put(THIS_MODULE);
	return ret;
}

static void notrace mig_hook_ftrace(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *ops,
				    struct ftrace_regs *fregs)
{
	unsigned long nr, entry, old;
	int bit, abi;

	/* Everybody but a guest (or a task sharing its bucket) stops here. */
	if (likely(hlist_empty(mig_hook_bucket(current))))
		return;
	/* mig_hook_run_local() calling the original: let it run. */
	if (within_module_core(parent_ip, THIS_MODULE))
		return;

	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0)
		return;
	/* Preemption is now off: that is our RCU read side. */
	if (!mig_hook_find(current))
		goto out;

	abi = mig_hook_abi();
	nr = task_pt_regs(current)->orig_ax;
	/*
	 * Out of range: the vsyscall page emulation, which calls its three
	 * entry points with orig_ax = -1. Like the vDSO, it runs locally.
	 */
	if (nr >= mig_hook_nr_max(abi))
		goto out;
	entry = ip;
	if (ENDBR_INSN_SIZE && is_endbr(*(u32 *)(ip - ENDBR_INSN_SIZE)))
		entry -= ENDBR_INSN_SIZE;
	old = READ_ONCE(mig_hook_sys[abi][nr]);
	if (unlikely(old != entry)) {
		if (!old)
			old = cmpxchg(&mig_hook_sys[abi][nr], 0, entry);
		if (old && old != entry) {
			/*
			 * Another syscall's entry point, called by the one
			 * that already went through here: let it be.
			 */
			pr_warn_once("%ps called in syscall %lu (abi %d), not %ps\n",
				     (void *)entry, nr, abi, (void *)old);
			goto out;
		}
	}

	if (try_module_get(THIS_MODULE))
		mig_hook_set_ip(fregs, (unsigned long)mig_hook_redirect);
out:
	ftrace_test_recursion_unlock(bit);
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
 * table empty; the caller then arranges the disarming.
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
		if (guest)
			*guest = e->guest;
	}
	spin_unlock(&mig_hook_lock);
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
	/*
	 * PF_EXITING was set before; pairs with the barrier in
	 * mig_hook_add_task(): it sees PF_EXITING, or we see its entry.
	 */
	smp_mb();
	void *guest = NULL;
	bool empty;

	if (likely(hlist_empty(mig_hook_bucket(task))))
		return;
	empty = mig_hook_remove(task, &guest);
	if (guest && guest != &mig_hook_test_guest && mig_hook_exit_fn)
		mig_hook_exit_fn(guest);
	if (empty)
		mig_hook_idle_later();
}

static void mig_hook_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exit"))
		*(struct tracepoint **)priv = tp;
}

static int mig_hook_set_filter(void)
{
	char glob[32];
	bool any = false;
	u64 t0 = ktime_get_ns();
	int i, err;

	for (i = 0; i < ARRAY_SIZE(mig_hook_globs); i++) {
		/* ftrace_set_filter() edits the buffer it parses */
		strscpy(glob, mig_hook_globs[i].glob, sizeof(glob));
		err = ftrace_set_filter(&mig_hook_ops, glob, strlen(glob),
					!any);
		if (err && mig_hook_globs[i].required) {
			pr_err("cannot hook %s: %d\n",
			       mig_hook_globs[i].glob, err);
			/* An empty filter would mean every function. */
			ftrace_free_filter(&mig_hook_ops);
			return err;
		}
		any |= !err;
	}
	mig_hook_filter_ns = ktime_get_ns() - t0;
	mig_hook_filtered = true;
	return 0;
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
	if (!mig_hook_exit_tp) {
		for_each_kernel_tracepoint(mig_hook_find_tp, &mig_hook_exit_tp);
		if (!mig_hook_exit_tp) {
			pr_err("no sched_process_exit tracepoint\n");
			return -ENOENT;
		}
	}
	t0 = ktime_get_ns();
	err = tracepoint_probe_register(mig_hook_exit_tp, mig_hook_exit_probe,
					NULL);
	if (err)
		return err;
	err = register_ftrace_function(&mig_hook_ops);
	if (err) {
		pr_err("cannot register the syscall hook: %d\n", err);
		tracepoint_probe_unregister(mig_hook_exit_tp,
					    mig_hook_exit_probe, NULL);
		return err;
	}
	mig_hook_arm_ns = ktime_get_ns() - t0;
	mig_hook_armed = true;
	mig_hook_ever_armed = true;
	return 0;
}

/* Under mig_hook_mutex: unregister if there is no guest left. */
static void mig_hook_disarm_if_idle(void)
{
	u64 t0;

	if (!mig_hook_armed || READ_ONCE(mig_hook_count) ||
	    atomic_read(&mig_hook_holds))
		return;
	t0 = ktime_get_ns();
	unregister_ftrace_function(&mig_hook_ops);
	tracepoint_probe_unregister(mig_hook_exit_tp, mig_hook_exit_probe,
				    NULL);
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
 * Arming patches hundreds of entry points, which takes tens of ms (more
 * under emulation). A task about to become hooked (a process being sent
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

int mig_hook_add_task(struct task_struct *task, void *guest)
{
	struct mig_hook_entry *e;
	int err = 0;

	if (task->flags & PF_KTHREAD)
		return -EINVAL;		/* no system calls to intercept */
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
	if (mig_hook_find(task)) {
		spin_unlock(&mig_hook_lock);
		err = -EEXIST;
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
	}
out:
	if (err)
		mig_hook_idle();
	mutex_unlock(&mig_hook_mutex);
	kfree(e);
	return err;
}

void mig_hook_del_task(struct task_struct *task)
{
	mutex_lock(&mig_hook_mutex);
	if (mig_hook_remove(task, NULL))
		mig_hook_idle();
	mutex_unlock(&mig_hook_mutex);
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
 * task a guest answered by mig_hook_test_fn(), -PID to release it; read
 * for the state.
 */
static struct dentry *mig_hook_dir, *mig_hook_file;
static bool mig_hook_own_dir;

static int mig_hook_show(struct seq_file *m, void *v)
{
	struct mig_hook_entry *e;
	unsigned int bkt, seen = 0;
	int abi, nr;

	mutex_lock(&mig_hook_mutex);
	seq_printf(m, "armed %d\nguests %u\n", mig_hook_armed,
		   READ_ONCE(mig_hook_count));
	seq_printf(m, "filter_us %llu\narm_us %llu\ndisarm_us %llu\n",
		   div_u64(mig_hook_filter_ns, 1000),
		   div_u64(mig_hook_arm_ns, 1000),
		   div_u64(mig_hook_disarm_ns, 1000));
	seq_printf(m, "calls %ld\nhandled %ld\n",
		   atomic_long_read(&mig_hook_calls),
		   atomic_long_read(&mig_hook_handled));
	for (abi = 0; abi < MIG_HOOK_ABIS; abi++)
		for (nr = 0; nr < MIG_HOOK_NR; nr++)
			seen += !!READ_ONCE(mig_hook_sys[abi][nr]);
	seq_printf(m, "entry_points %u\npids", seen);
	spin_lock(&mig_hook_lock);
	for (bkt = 0; bkt < ARRAY_SIZE(mig_hook_table); bkt++)
		hlist_for_each_entry(e, &mig_hook_table[bkt], node)
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
	else if (mig_hook_guest(task) != &mig_hook_test_guest)
		err = -ENOENT;
	else
		mig_hook_del_task(task);
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
	unsigned int bkt;

	if (debug_hooks)
		mig_hook_debugfs_exit();

	mutex_lock(&mig_hook_mutex);
	/* Guests pin the module, so there is none unless init failed. */
	for (bkt = 0; bkt < ARRAY_SIZE(mig_hook_table); bkt++)
		while (!hlist_empty(&mig_hook_table[bkt]))
			mig_hook_remove(hlist_entry(mig_hook_table[bkt].first,
						    struct mig_hook_entry,
						    node)->task, NULL);
	mig_hook_disarm_if_idle();
	mutex_unlock(&mig_hook_mutex);

	if (mig_hook_ever_armed) {
		/*
		 * An exit probe may still run, after dropping the last guest's
		 * module reference; then it queues the disarm work.
		 */
		tracepoint_synchronize_unregister();
		/*
		 * Tasks preempted on their way out of mig_hook_redirect(),
		 * after its last module_put().
		 */
		synchronize_rcu_tasks();
	}
	cancel_work_sync(&mig_hook_arm_work);
	cancel_delayed_work_sync(&mig_hook_disarm_work);
	rcu_barrier();			/* mig_hook_free_rcu() is our text */
	if (mig_hook_filtered)
		ftrace_free_filter(&mig_hook_ops);
}

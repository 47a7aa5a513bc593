// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the kernel-held state of a process that is neither its registers
 * nor its memory, and what of it moves (Documentation/migration.rst,
 * "Kernel state").
 *
 * Capture reads it in the process's own context into STATE, and the
 * per-mapping flags of mlock() and madvise() into each VMA. The restore
 * checks every field first; it makes each mapping with its flags, sets
 * what the kernel lets a module set (scheduling, I/O priority, timer
 * slack, THP, dumpable, coredump filter, oom_score_adj, mlockall()'s
 * future flags), and leaves to the process itself, through its
 * trampoline, what only its own system calls do well: the interval
 * timers (setitimer()) and the membarrier registrations.
 *
 * What cannot move refuses the move, with a reason: POSIX timers, a
 * SCHED_DEADLINE policy, userfaultfd registrations, a NUMA memory
 * policy, syscall user dispatch, a disabled TSC, speculation controls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/iocontext.h>
#include <linux/ioprio.h>
#include <linux/ksm.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/oom.h>
#include <linux/posix-timers.h>
#include <linux/sched/coredump.h>
#include <linux/sched/cputime.h>
#include <linux/sched/mm.h>
#include <linux/sched/prio.h>
#include <linux/sched/signal.h>
#include <linux/time.h>
#include <linux/userfaultfd_k.h>
#include <uapi/linux/membarrier.h>
#include <uapi/linux/sched.h>
#include <uapi/linux/sched/types.h>
#include <asm/unistd.h>

#include "emit.h"
#include "mig.h"

/* A timer further away than this (34 years) is not a timer. */
#define MIG_ITIMER_MAX_NS	(1ULL << 60)

static bool mig_rt_policy(unsigned int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* ---- what refuses a move ---- */

/* Mappings whose state lives outside the memory: userfaultfd, mbind(). */
static const char *mig_vma_state_why(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	const char *why = NULL;

	mmap_read_lock(mm);
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (userfaultfd_armed(vma)) {
				why = "a mapping of the process is registered with userfaultfd, which does not move";
				break;
			}
#ifdef CONFIG_NUMA
			if (vma->vm_policy) {
				why = "a mapping of the process has a NUMA memory policy (mbind), whose nodes are this machine's";
				break;
			}
#endif
		}
	}
	mmap_read_unlock(mm);
	return why;
}

/*
 * State of @task that does not move: -EBUSY with *@why saying what, or 0.
 * Checked when the move is asked for and again in the process itself.
 */
int mig_check_kernel_state(struct task_struct *task, const char **why)
{
	struct mm_struct *mm;

	*why = NULL;
	if (task->policy == SCHED_DEADLINE)
		*why = "the process runs under SCHED_DEADLINE, whose bandwidth is this node's";
	else if (!list_empty(&task->signal->posix_timers))
		*why = "the process has POSIX timers (timer_create), which do not move yet";
#ifdef CONFIG_NUMA
	else if (task->mempolicy)
		*why = "the process has a NUMA memory policy (set_mempolicy), whose nodes are this machine's";
#endif
	else if (test_tsk_thread_flag(task, TIF_NOTSC))
		*why = "the process disabled its TSC (PR_SET_TSC), which does not move";
	else if (task_spec_ssb_disable(task) || task_spec_ib_disable(task))
		*why = "the process set speculation controls (PR_SET_SPECULATION_CTRL), which do not move";
	else if (test_task_syscall_work(task, SYSCALL_USER_DISPATCH))
		*why = "the process uses syscall user dispatch, which does not move";
	if (*why)
		return -EBUSY;
	mm = get_task_mm(task);
	if (mm) {
		*why = mig_vma_state_why(mm);
		mmput(mm);
	}
	return *why ? -EBUSY : 0;
}

/* ---- capture, in the process's context ---- */

/* The mlock() and madvise() flags of a mapping, as MIG_VMA_* bits. */
u32 mig_vma_advice(unsigned long vm_flags)
{
	u32 flags = 0;

	if (vm_flags & VM_LOCKED)
		flags |= MIG_VMA_LOCKED;
	if (vm_flags & VM_LOCKONFAULT)
		flags |= MIG_VMA_LOCKONFAULT;
	if (vm_flags & VM_DONTCOPY)
		flags |= MIG_VMA_DONTFORK;
	if (vm_flags & VM_DONTDUMP)
		flags |= MIG_VMA_DONTDUMP;
	if (vm_flags & VM_HUGEPAGE)
		flags |= MIG_VMA_HUGEPAGE;
	if (vm_flags & VM_NOHUGEPAGE)
		flags |= MIG_VMA_NOHUGEPAGE;
	if (vm_flags & VM_MERGEABLE)
		flags |= MIG_VMA_MERGEABLE;
	if (vm_flags & VM_WIPEONFORK)
		flags |= MIG_VMA_WIPEONFORK;
	if (vm_flags & VM_SEQ_READ)
		flags |= MIG_VMA_SEQ_READ;
	if (vm_flags & VM_RAND_READ)
		flags |= MIG_VMA_RAND_READ;
	return flags;
}

static void mig_put_itimer(struct mig_wire_itimer *w, u64 value, u64 interval)
{
	w->value_ns = cpu_to_be64(value);
	w->interval_ns = cpu_to_be64(interval);
}

/*
 * ITIMER_VIRTUAL and ITIMER_PROF expire at a CPU time of the process;
 * what travels is the CPU time left until then, as getitimer() says.
 */
static void mig_capture_cpu_itimer(struct mig_wire_itimer *w, int clock)
{
	struct signal_struct *sig = current->signal;
	struct cpu_itimer *it = &sig->it[clock];
	struct task_cputime_atomic *ct = &sig->cputimer.cputime_atomic;
	u64 now, value, interval;

	spin_lock_irq(&current->sighand->siglock);
	value = it->expires;
	interval = it->incr;
	if (value) {
		now = atomic64_read(&ct->utime);
		if (clock == CPUCLOCK_PROF)
			now += atomic64_read(&ct->stime);
		value = value > now ? value - now : NSEC_PER_USEC;
	}
	spin_unlock_irq(&current->sighand->siglock);
	mig_put_itimer(w, value, interval);
}

static void mig_capture_itimers(struct mig_msg_state *s)
{
	struct signal_struct *sig = current->signal;
	s64 left = 0;
	u64 interval;

	spin_lock_irq(&current->sighand->siglock);
	interval = ktime_to_ns(sig->it_real_incr);
	if (hrtimer_active(&sig->real_timer)) {
		left = ktime_to_ns(hrtimer_get_remaining(&sig->real_timer));
		if (left < (s64)NSEC_PER_USEC)
			left = NSEC_PER_USEC;	/* due: fires at once there */
	} else if (interval) {
		/*
		 * Fired, and its SIGALRM not taken yet: the kernel re-arms a
		 * periodic timer only when that signal is dequeued, which
		 * here will not be. It goes armed, one interval on.
		 */
		left = interval;
	}
	spin_unlock_irq(&current->sighand->siglock);
	mig_put_itimer(&s->itimer[ITIMER_REAL], left, interval);
	mig_capture_cpu_itimer(&s->itimer[ITIMER_VIRTUAL], CPUCLOCK_VIRT);
	mig_capture_cpu_itimer(&s->itimer[ITIMER_PROF], CPUCLOCK_PROF);
}

static u32 mig_capture_membarrier(struct mm_struct *mm)
{
	int state = atomic_read(&mm->membarrier_state);
	u32 m = 0;

	if (state & MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY)
		m |= MIG_MEMBARRIER_PRIVATE;
	if (state & MEMBARRIER_STATE_GLOBAL_EXPEDITED_READY)
		m |= MIG_MEMBARRIER_GLOBAL;
	if (state & MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY)
		m |= MIG_MEMBARRIER_SYNC_CORE;
	if (state & MEMBARRIER_STATE_PRIVATE_EXPEDITED_RSEQ_READY)
		m |= MIG_MEMBARRIER_RSEQ;
	return m;
}

static u16 mig_raw_ioprio(struct task_struct *task)
{
	u16 ioprio = 0;

	task_lock(task);
	if (task->io_context)
		ioprio = task->io_context->ioprio;
	task_unlock(task);
	return ioprio_valid(ioprio) ? ioprio : 0;
}

/*
 * STATE for current; 0, or -EBUSY (logged) for what cannot move unless
 * !@refuse (going home: home takes it as it can).
 */
int mig_capture_state(struct mig_msg_state *s, bool refuse)
{
	struct mm_struct *mm = current->mm;
	unsigned long mmf = READ_ONCE(mm->flags);
	const char *why;
	u32 flags = 0;

	if (refuse && mig_check_kernel_state(current, &why)) {
		pr_info("pid %d: %s; refuses the move\n",
			task_pid_nr(current), why);
		return -EBUSY;
	}
	mig_capture_itimers(s);
	s->membarrier = cpu_to_be32(mig_capture_membarrier(mm));
	s->def_flags = cpu_to_be32(mig_vma_advice(READ_ONCE(mm->def_flags)) &
				   (MIG_VMA_LOCKED | MIG_VMA_LOCKONFAULT));
	if (current->policy != SCHED_DEADLINE) {
		s->policy = cpu_to_be32(current->policy);
		if (mig_rt_policy(current->policy))
			s->rt_priority = cpu_to_be32(current->rt_priority);
	}
	s->nice = cpu_to_be32(task_nice(current));
	s->ioprio = cpu_to_be32(mig_raw_ioprio(current));
	s->timer_slack_ns = cpu_to_be64(current->timer_slack_ns);
	s->oom_score_adj = cpu_to_be32(current->signal->oom_score_adj);
	s->coredump_filter = cpu_to_be32((mmf & MMF_DUMP_FILTER_MASK) >>
					 MMF_DUMP_FILTER_SHIFT);
	if (test_bit(MMF_DISABLE_THP, &mm->flags))
		flags |= MIG_STATE_THP_DISABLE;
	if (current->sched_reset_on_fork)
		flags |= MIG_STATE_RESET_ON_FORK;
	if ((mmf & MMF_DUMPABLE_MASK) == SUID_DUMP_USER)
		flags |= MIG_STATE_DUMPABLE;
	s->flags = cpu_to_be32(flags);
	return 0;
}

/*
 * The process has left: its timers go with it, and must not fire here
 * in the deputy too (ITIMER_REAL's signal would be relayed a second
 * time; the deputy's own CPU time is not the process's).
 */
void mig_state_left(void)
{
	struct signal_struct *sig = current->signal;
	int i;

	spin_lock_irq(&current->sighand->siglock);
	while (hrtimer_try_to_cancel(&sig->real_timer) < 0) {
		spin_unlock_irq(&current->sighand->siglock);
		cpu_relax();
		spin_lock_irq(&current->sighand->siglock);
	}
	sig->it_real_incr = 0;
	for (i = 0; i < CPUCLOCK_MAX && i < ARRAY_SIZE(sig->it); i++) {
		sig->it[i].expires = 0;
		sig->it[i].incr = 0;
	}
	spin_unlock_irq(&current->sighand->siglock);
}

/* ---- restore ---- */

static bool mig_itimer_ok(const struct mig_wire_itimer *w)
{
	return be64_to_cpu(w->value_ns) < MIG_ITIMER_MAX_NS &&
	       be64_to_cpu(w->interval_ns) < MIG_ITIMER_MAX_NS;
}

/* Every field of a STATE, before anything is set: 0 or -EPROTO. */
int mig_state_check(const struct mig_msg_state *s)
{
	u32 policy = be32_to_cpu(s->policy);
	u32 prio = be32_to_cpu(s->rt_priority);
	s32 nice = (s32)be32_to_cpu(s->nice);
	s32 oom = (s32)be32_to_cpu(s->oom_score_adj);
	u32 def = be32_to_cpu(s->def_flags);
	u32 ioprio = be32_to_cpu(s->ioprio);
	int i;

	for (i = 0; i < MIG_ITIMERS; i++)
		if (!mig_itimer_ok(&s->itimer[i]))
			return -EPROTO;
	if (be32_to_cpu(s->flags) & ~MIG_STATE_KNOWN ||
	    be32_to_cpu(s->membarrier) & ~MIG_MEMBARRIER_KNOWN ||
	    def & ~(MIG_VMA_LOCKED | MIG_VMA_LOCKONFAULT) ||
	    def == MIG_VMA_LOCKONFAULT ||
	    nice < MIN_NICE || nice > MAX_NICE ||
	    oom < OOM_SCORE_ADJ_MIN || oom > OOM_SCORE_ADJ_MAX ||
	    be32_to_cpu(s->coredump_filter) >= BIT(MMF_DUMP_FILTER_BITS) ||
	    ioprio > U16_MAX || (ioprio && !ioprio_valid(ioprio)) ||
	    s->reserved)
		return -EPROTO;
	switch (policy) {
	case SCHED_FIFO:
	case SCHED_RR:
		return prio >= 1 && prio < MAX_RT_PRIO ? 0 : -EPROTO;
	case SCHED_NORMAL:
	case SCHED_BATCH:
	case SCHED_IDLE:
		return prio ? -EPROTO : 0;
	}
	return -EPROTO;
}

/* Flags a VMA message may carry, for a mapping of its kind. */
int mig_vma_advice_check(u32 flags)
{
	bool anon = !(flags & (MIG_VMA_FILE | MIG_VMA_SHMEM));
	bool shared = flags & (MIG_VMA_SHARED | MIG_VMA_SHMEM);

	if ((flags & MIG_VMA_LOCKONFAULT && !(flags & MIG_VMA_LOCKED)) ||
	    (flags & MIG_VMA_HUGEPAGE && flags & MIG_VMA_NOHUGEPAGE) ||
	    (flags & MIG_VMA_SEQ_READ && flags & MIG_VMA_RAND_READ) ||
	    (flags & MIG_VMA_WIPEONFORK && !anon) ||
	    (flags & MIG_VMA_MERGEABLE && shared))
		return -EPROTO;
	return 0;
}

static unsigned long mig_vm_advice(u32 flags)
{
	unsigned long vm = 0;

	if (flags & MIG_VMA_LOCKED)
		vm |= VM_LOCKED;
	if (flags & MIG_VMA_LOCKONFAULT)
		vm |= VM_LOCKONFAULT;
	if (flags & MIG_VMA_DONTFORK)
		vm |= VM_DONTCOPY;
	if (flags & MIG_VMA_DONTDUMP)
		vm |= VM_DONTDUMP;
	if (flags & MIG_VMA_HUGEPAGE)
		vm |= VM_HUGEPAGE;
	if (flags & MIG_VMA_NOHUGEPAGE)
		vm |= VM_NOHUGEPAGE;
	if (flags & MIG_VMA_MERGEABLE)
		vm |= VM_MERGEABLE;
	if (flags & MIG_VMA_WIPEONFORK)
		vm |= VM_WIPEONFORK;
	if (flags & MIG_VMA_SEQ_READ)
		vm |= VM_SEQ_READ;
	if (flags & MIG_VMA_RAND_READ)
		vm |= VM_RAND_READ;
	return vm;
}

/*
 * Makes mapping [@addr, @addr + @len) with its advice flags, by vm_mmap()
 * (the kernel puts mm->def_flags on every new mapping, so they are given
 * there for this one mapping only, and never merge it with a neighbour
 * that lacks them): a locked mapping is charged to RLIMIT_MEMLOCK and
 * populated as mlock() does. Returns what vm_mmap() does.
 */
unsigned long mig_mmap_advised(struct file *file, unsigned long addr,
			       unsigned long len, unsigned long prot,
			       unsigned long mflags, unsigned long off,
			       u32 flags)
{
	struct mm_struct *mm = current->mm;
	unsigned long vm = mig_vm_advice(flags), ret, saved;
	struct vm_area_struct *vma;
	unsigned long vm_flags;

	mmap_write_lock(mm);
	saved = mm->def_flags;
	mm->def_flags = vm;
	mmap_write_unlock(mm);
	ret = vm_mmap(file, addr, len, prot, mflags, off);
	mmap_write_lock(mm);
	mm->def_flags = saved;
	/* KSM must know the mm for its scan: as madvise() tells it. */
	if (!IS_ERR_VALUE(ret) && vm & VM_MERGEABLE) {
		vma = find_vma(mm, ret);
		if (vma && vma->vm_start <= ret) {
			vm_flags = vma->vm_flags & ~VM_MERGEABLE;
			if (!ksm_madvise(vma, vma->vm_start, vma->vm_end,
					 MADV_MERGEABLE, &vm_flags))
				vma->vm_flags = vm_flags;
		}
	}
	mmap_write_unlock(mm);
	return ret;
}

static void mig_set_dumpable(struct mm_struct *mm, unsigned long value)
{
	unsigned long old, new;

	do {
		old = READ_ONCE(mm->flags);
		new = (old & ~MMF_DUMPABLE_MASK) | value;
	} while (cmpxchg(&mm->flags, old, new) != old);
}

static void mig_set_dump_filter(struct mm_struct *mm, unsigned long filter)
{
	unsigned long old, new;

	do {
		old = READ_ONCE(mm->flags);
		new = (old & ~MMF_DUMP_FILTER_MASK) |
		      (filter << MMF_DUMP_FILTER_SHIFT);
	} while (cmpxchg(&mm->flags, old, new) != old);
}

/*
 * Whether the process may have the scheduling of @s by itself, as
 * sched_setattr() would let it: a higher priority than its limits allow
 * needs CAP_SYS_NICE.
 */
static bool mig_sched_allowed(const struct mig_msg_state *s,
			      const struct cred *cred)
{
	s32 nice = (s32)be32_to_cpu(s->nice);
	u32 policy = be32_to_cpu(s->policy);
	u32 prio = be32_to_cpu(s->rt_priority);

	if (cap_raised(cred->cap_effective, CAP_SYS_NICE))
		return true;
	if ((policy == SCHED_FIFO || policy == SCHED_RR) &&
	    prio > task_rlimit(current, RLIMIT_RTPRIO))
		return false;
	return nice >= 0 || nice_to_rlimit(nice) <= task_rlimit(current, RLIMIT_NICE);
}

static void mig_restore_sched(const struct mig_msg_state *s,
			      const struct cred *cred)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = be32_to_cpu(s->policy),
		.sched_priority = be32_to_cpu(s->rt_priority),
		.sched_nice = (s32)be32_to_cpu(s->nice),
	};
	u32 ioprio = be32_to_cpu(s->ioprio);
	int err;

	if (be32_to_cpu(s->flags) & MIG_STATE_RESET_ON_FORK)
		attr.sched_flags = SCHED_FLAG_RESET_ON_FORK;
	if (!mig_sched_allowed(s, cred)) {
		pr_info("pid %d: its scheduling (policy %u, nice %d) is not its own to take here; keeps the default\n",
			task_pid_nr(current), attr.sched_policy, attr.sched_nice);
	} else {
		err = sched_setattr_nocheck(current, &attr);
		/* A real-time policy keeps a nice value of its own. */
		if (!err && mig_rt_policy(attr.sched_policy))
			set_user_nice(current, attr.sched_nice);
		if (err)
			pr_info("pid %d: scheduling policy %u not set: %d\n",
				task_pid_nr(current), attr.sched_policy, err);
	}
	/* The real-time I/O class needs what ioprio_set() asks for it. */
	if (ioprio && (IOPRIO_PRIO_CLASS(ioprio) != IOPRIO_CLASS_RT ||
		       cap_raised(cred->cap_effective, CAP_SYS_ADMIN) ||
		       cap_raised(cred->cap_effective, CAP_SYS_NICE)))
		set_task_ioprio(current, ioprio);
}

/*
 * After the mappings and the credentials: what the kernel lets a module
 * set, in the process's context. @cred: the process's credentials.
 */
void mig_restore_state(const struct mig_msg_state *s, const struct cred *cred)
{
	struct mm_struct *mm = current->mm;
	u32 flags = be32_to_cpu(s->flags);
	s32 oom = (s32)be32_to_cpu(s->oom_score_adj);

	mmap_write_lock(mm);
	mm->def_flags = mig_vm_advice(be32_to_cpu(s->def_flags));
	mmap_write_unlock(mm);
	if (flags & MIG_STATE_THP_DISABLE)
		set_bit(MMF_DISABLE_THP, &mm->flags);
	else
		clear_bit(MMF_DISABLE_THP, &mm->flags);
	mig_set_dumpable(mm, flags & MIG_STATE_DUMPABLE ? SUID_DUMP_USER :
						       SUID_DUMP_DISABLE);
	mig_set_dump_filter(mm, be32_to_cpu(s->coredump_filter));
	current->timer_slack_ns = be64_to_cpu(s->timer_slack_ns);
	mig_restore_sched(s, cred);
	/* Lowering it below its minimum takes CAP_SYS_RESOURCE. */
	if (oom >= current->signal->oom_score_adj_min ||
	    cap_raised(cred->cap_effective, CAP_SYS_RESOURCE))
		current->signal->oom_score_adj = oom;
}

/* ---- the trampoline's part ---- */

/* rdx, r10: movabs with REX.W (and REX.B for r10). */
static void mig_emit_call(struct mig_code *c, u32 nr, u64 a0, u64 a1, u64 a2)
{
	static const u8 syscall[] = { 0x0f, 0x05 };

	mig_emit_op_imm32(c, 0xb8, nr);		/* mov eax, nr */
	mig_emit_movabs(c, 0xbf, a0);		/* movabs rdi, a0 */
	mig_emit_movabs(c, 0xbe, a1);		/* movabs rsi, a1 */
	mig_emit_movabs(c, 0xba, a2);		/* movabs rdx, a2 */
	mig_emit(c, syscall, sizeof(syscall));
}

struct mig_old_itimerval {
	s64 interval_sec, interval_usec;
	s64 value_sec, value_usec;
};

static void mig_ns_to_tv(u64 ns, s64 *sec, s64 *usec)
{
	u64 us = DIV_ROUND_UP_ULL(ns, NSEC_PER_USEC);

	*sec = div_u64(us, USEC_PER_SEC);
	*usec = us - *sec * USEC_PER_SEC;
}

/*
 * Code for the trampoline, before its rt_sigreturn: setitimer() for
 * each armed timer, with its itimerval in @data (at @data_addr in the
 * process, MIG_STATE_TRAMP_DATA bytes), and membarrier() for each
 * registration. The calls are valid by mig_state_check(), so they do
 * not fail; the timers start when the process runs.
 */
void mig_state_emit(struct mig_code *c, const struct mig_msg_state *s,
		    void *data, unsigned long data_addr)
{
	static const struct { u32 bit; int cmd; } memb[] = {
		{ MIG_MEMBARRIER_PRIVATE, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED },
		{ MIG_MEMBARRIER_GLOBAL, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED },
		{ MIG_MEMBARRIER_SYNC_CORE,
		  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE },
		{ MIG_MEMBARRIER_RSEQ, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ },
	};
	struct mig_old_itimerval *tv = data;
	u32 m = be32_to_cpu(s->membarrier);
	int i;

	for (i = 0; i < MIG_ITIMERS; i++) {
		u64 value = be64_to_cpu(s->itimer[i].value_ns);

		if (!value)
			continue;
		mig_ns_to_tv(value, &tv[i].value_sec, &tv[i].value_usec);
		mig_ns_to_tv(be64_to_cpu(s->itimer[i].interval_ns),
			     &tv[i].interval_sec, &tv[i].interval_usec);
		mig_emit_call(c, __NR_setitimer, i, data_addr + i * sizeof(*tv), 0);
	}
	for (i = 0; i < ARRAY_SIZE(memb); i++)
		if (m & memb[i].bit)
			mig_emit_call(c, __NR_membarrier, memb[i].cmd, 0, 0);
}

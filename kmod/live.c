// SPDX-License-Identifier: GPL-2.0
/*
 * mig: live migration (pre-copy). While the process keeps running at
 * home, its memory goes to the destination in rounds: the first sends
 * every page it has, each later one the pages it wrote since the round
 * before. Only then is it stopped (migrate.c, capture.c), and what it
 * wrote since the last round goes with its task state: the freeze no
 * longer grows with its size.
 *
 * Which pages were written is the kernel's soft-dirty tracking: writing
 * "4" to /proc/PID/clear_refs clears the bits, /proc/PID/pagemap reports
 * them. Reading the bits and clearing them must be one step as far as
 * the process is concerned, or a write in between would be lost: both
 * run in the process's own context, in a task_work (a stop of a few
 * milliseconds a round). The pages themselves are copied from outside,
 * with get_user_pages_remote(), while it runs: a page it writes
 * meanwhile is dirty again and goes in the next round.
 *
 * Only private, anonymous, read-write mappings are pre-copied (heap,
 * anonymous mmap: where a large process keeps its memory), and of those
 * not the ones with mlock() or madvise() flags, which the destination
 * must make anew with their flags and so fills at the final stop. There the
 * destination keeps what it got whatever becomes of the mapping, as both
 * ends apply the same rule to the final list of mappings
 * (mig_live_mapping()); home remembers every page it sent, and its final
 * pass sends what is dirty or new and FORGETs what was sent but is gone
 * (unmapped, MADV_DONTNEED, the zero page).
 *
 * Files: the controller runs in the context of whoever asked for the move
 * (migctl, or the balancer's worker); the round work in the process.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/task_work.h>
#include <linux/xarray.h>

#include "mig.h"

/* /proc/PID/pagemap's entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define MIG_PM_PFN		(BIT_ULL(55) - 1)
#define MIG_PM_SOFT_DIRTY	BIT_ULL(55)
#define MIG_PM_FILE		BIT_ULL(61)
#define MIG_PM_SWAP		BIT_ULL(62)
#define MIG_PM_PRESENT		BIT_ULL(63)

/* The buffer pagemap is read into: 8192 entries, 32 MiB of memory. */
#define MIG_BOUNCE_SIZE		(64 << 10)
/*
 * Pages sent in the last round few enough to stop: 4 MiB (a write to a
 * transparent huge page dirties 2 MiB of it).
 */
#define MIG_LIVE_CONVERGED	1024
/* How long a round's work may wait for the process to take it. */
#define MIG_ROUND_TIMEOUT	(2 * HZ)
/* Pages in one get_user_pages_remote() call. */
#define MIG_GUP_RUN		16
/* Pages sent per bit of the sent set's entries. */
#define MIG_SENT_SHIFT		5

/* Every move above live_min_kb is live unless the knob says otherwise. */
static bool mig_live_auto = true;
static unsigned int mig_live_min_kb = 8192;
static unsigned int mig_live_max_rounds = 8;

/* One mapping whose pages are pre-copied, and, at the end, their fate. */
struct mig_live_range {
	unsigned long start, end;
	u8 *fate;			/* final pass: enum mig_page_fate */
};

enum mig_page_fate {
	MIG_PAGE_NONE,			/* nothing there, nothing sent */
	MIG_PAGE_KEEP,			/* the destination has it */
	MIG_PAGE_SEND,			/* new or written since */
	MIG_PAGE_FORGET,		/* sent, but gone since */
};

struct mig_live {
	struct kref ref;
	struct list_head list;		/* in mig_lives, for ps */
	pid_t pid;			/* here */
	struct mig_live_target to;	/* where the rounds go, their BEGIN */
	struct task_struct *task;
	struct mm_struct *mm;		/* mmget(): the memory pre-copied */
	struct mig_chan *chan;		/* until the final stop takes it */
	/* Opened by the process at round 0, with kernel credentials. */
	struct file *pagemap;
	struct file *clear_refs;
	/* Pages sent: page index >> MIG_SENT_SHIFT -> mask of them. */
	struct xarray sent;
	/* The last round's scan: addresses to send. */
	unsigned long *todo;
	unsigned long ntodo, todo_max;
	/* BEGIN's, sampled by the process itself at round 0. */
	u64 monotonic_ns, boottime_ns;
	char comm[TASK_COMM_LEN];
	/* The final pass's view of the pre-copied mappings. */
	struct mig_live_range *ranges;
	int nranges;
	bool converged;
	bool begun;			/* BEGIN sent: the peer knows the channel */
	bool cancelled;			/* the process left another way */
	/* Progress, read by ps without a lock. */
	u8 how;
	u32 round;
	u64 bytes_sent, total, resident, rate;
	ktime_t start;
};

static LIST_HEAD(mig_lives);
static DEFINE_SPINLOCK(mig_lives_lock);

static void mig_live_free(struct kref *ref)
{
	struct mig_live *live = container_of(ref, struct mig_live, ref);
	int i;

	if (live->pagemap)
		fput(live->pagemap);
	if (live->clear_refs)
		fput(live->clear_refs);
	for (i = 0; i < live->nranges; i++)
		kvfree(live->ranges[i].fate);
	kvfree(live->ranges);
	kvfree(live->todo);
	xa_destroy(&live->sent);
	if (live->mm)
		mmput(live->mm);
	put_task_struct(live->task);
	kfree(live);
}

static void mig_live_put(struct mig_live *live)
{
	kref_put(&live->ref, mig_live_free);
}

/* --- the pages sent: what the destination holds --- */

static int mig_live_mark_sent(struct mig_live *live, unsigned long addr)
{
	unsigned long idx = addr >> (PAGE_SHIFT + MIG_SENT_SHIFT);
	unsigned long bit = BIT((addr >> PAGE_SHIFT) & ((1 << MIG_SENT_SHIFT) - 1));
	void *old = xa_load(&live->sent, idx);
	unsigned long mask = old ? xa_to_value(old) : 0;

	if (mask & bit)
		return 0;
	return xa_err(xa_store(&live->sent, idx, xa_mk_value(mask | bit),
			       GFP_KERNEL));
}

static bool mig_live_was_sent(struct mig_live *live, unsigned long addr)
{
	void *v = xa_load(&live->sent, addr >> (PAGE_SHIFT + MIG_SENT_SHIFT));

	return v && xa_to_value(v) &
		    BIT((addr >> PAGE_SHIFT) & ((1 << MIG_SENT_SHIFT) - 1));
}

/* --- in the process: the pagemap --- */

/* A page with content: present (not the zero page) or in swap. */
static bool mig_pm_has_page(u64 e)
{
	if (e & MIG_PM_SWAP)
		return true;
	return (e & MIG_PM_PRESENT) && !(e & MIG_PM_FILE) &&
	       !is_zero_pfn(e & MIG_PM_PFN);
}

static bool mig_live_vma(const struct vm_area_struct *vma)
{
	u32 prot = (vma->vm_flags & VM_READ ? PROT_READ : 0) |
		   (vma->vm_flags & VM_WRITE ? PROT_WRITE : 0) |
		   (vma->vm_flags & VM_EXEC ? PROT_EXEC : 0);

	if (vma->vm_file || vma->vm_flags & (VM_SHARED | VM_IO | VM_PFNMAP |
					     VM_MIXEDMAP | VM_GROWSDOWN))
		return false;
	return mig_live_mapping(mig_vma_advice(vma->vm_flags), prot);
}

/*
 * Whether current's mapping at @start has mlock() or madvise() flags: the
 * capture's wire flags for it lack them, the VMA message has them.
 */
static bool mig_live_advised(unsigned long start)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool advised;

	mmap_read_lock(mm);
	vma = find_vma(mm, start);
	advised = vma && vma->vm_start == start &&
		  mig_vma_advice(vma->vm_flags);
	mmap_read_unlock(mm);
	return advised;
}

/* The pre-copied mappings of current, in address order. */
static int mig_live_list_ranges(struct mig_live_range **out, int *count)
{
	struct mm_struct *mm = current->mm;
	struct mig_live_range *r;
	struct vm_area_struct *vma;
	int n = 0;

	mmap_read_lock(mm);
	r = kvcalloc(mm->map_count, sizeof(*r), GFP_KERNEL);
	if (!r) {
		mmap_read_unlock(mm);
		return -ENOMEM;
	}
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (n >= mm->map_count)
				break;
			if (!mig_live_vma(vma))
				continue;
			r[n].start = vma->vm_start;
			r[n].end = vma->vm_end;
			n++;
		}
	}
	mmap_read_unlock(mm);
	*out = r;
	*count = n;
	return 0;
}

typedef int (*mig_pm_fn)(struct mig_live *live, struct mig_live_range *r,
			 unsigned long addr, u64 entry);

/*
 * Calls @fn for the pagemap entry of every page of @ranges. pagemap has
 * no read_iter, so it is read as the process would, into a buffer mapped
 * in its memory for the time of the walk (shared: it merges with no
 * mapping of the process, and is never pre-copied).
 */
static int mig_live_walk(struct mig_live *live, struct mig_live_range *ranges,
			 int nranges, mig_pm_fn fn, bool clear)
{
	unsigned long ubuf, addr, n, i;
	u64 *kbuf;
	int err = 0, k;

	kbuf = kvmalloc(MIG_BOUNCE_SIZE, GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;
	ubuf = vm_mmap(NULL, 0, MIG_BOUNCE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(ubuf)) {
		kvfree(kbuf);
		return (long)ubuf;
	}
	for (k = 0; k < nranges && !err; k++) {
		for (addr = ranges[k].start; addr < ranges[k].end && !err;
		     addr += n << PAGE_SHIFT) {
			loff_t pos = (addr >> PAGE_SHIFT) * sizeof(u64);
			ssize_t got;

			n = min_t(unsigned long, MIG_BOUNCE_SIZE / sizeof(u64),
				  (ranges[k].end - addr) >> PAGE_SHIFT);
			got = live->pagemap->f_op->read(live->pagemap,
							(char __user *)ubuf,
							n * sizeof(u64), &pos);
			/* Not the pagemap this code knows: move stopped. */
			if (got != n * sizeof(u64)) {
				err = got < 0 ? got : -EOPNOTSUPP;
				break;
			}
			if (copy_from_user(kbuf, (void __user *)ubuf, got)) {
				err = -EFAULT;
				break;
			}
			for (i = 0; i < n && !err; i++)
				err = fn(live, &ranges[k],
					 addr + (i << PAGE_SHIFT), kbuf[i]);
		}
	}
	/* A round also clears the bits, through the same buffer. */
	if (!err && clear) {
		loff_t pos = 0;
		ssize_t done;

		if (put_user('4', (char __user *)ubuf))
			err = -EFAULT;
		else {
			done = live->clear_refs->f_op->write(live->clear_refs,
							     (char __user *)ubuf,
							     1, &pos);
			if (done != 1)
				err = done < 0 ? done : -EOPNOTSUPP;
		}
	}
	vm_munmap(ubuf, MIG_BOUNCE_SIZE);
	kvfree(kbuf);
	return err;
}

static int mig_live_add_todo(struct mig_live *live, unsigned long addr)
{
	if (live->ntodo == live->todo_max) {
		unsigned long max = max_t(unsigned long, 1024, live->todo_max * 2);
		unsigned long *t = kvmalloc_array(max, sizeof(*t), GFP_KERNEL);

		if (!t)
			return -ENOMEM;
		if (live->ntodo)
			memcpy(t, live->todo, live->ntodo * sizeof(*t));
		kvfree(live->todo);
		live->todo = t;
		live->todo_max = max;
	}
	live->todo[live->ntodo++] = addr;
	return 0;
}

/* Round 0: every page with content; later rounds: those written since. */
static int mig_pm_first(struct mig_live *live, struct mig_live_range *r,
			unsigned long addr, u64 e)
{
	return mig_pm_has_page(e) ? mig_live_add_todo(live, addr) : 0;
}

static int mig_pm_dirty(struct mig_live *live, struct mig_live_range *r,
			unsigned long addr, u64 e)
{
	if (!(e & MIG_PM_SOFT_DIRTY) || !mig_pm_has_page(e))
		return 0;
	return mig_live_add_todo(live, addr);
}

/* The files of current's pagemap, opened as the kernel: no checks fail. */
static int mig_live_open_files(struct mig_live *live)
{
	const struct cred *old;
	struct cred *kcred;
	struct file *f;
	int err = 0;

	kcred = prepare_kernel_cred(NULL);
	if (!kcred)
		return -ENOMEM;
	old = override_creds(kcred);
	f = filp_open("/proc/self/pagemap", O_RDONLY, 0);
	if (IS_ERR(f)) {
		err = PTR_ERR(f);
		goto out;
	}
	live->pagemap = f;
	f = filp_open("/proc/self/clear_refs", O_WRONLY, 0);
	if (IS_ERR(f)) {
		err = PTR_ERR(f);
		goto out;
	}
	live->clear_refs = f;
	if (!live->pagemap->f_op->read || !live->clear_refs->f_op->write)
		err = -EOPNOTSUPP;
out:
	revert_creds(old);
	put_cred(kcred);
	return err;
}

/* One round's scan, in the process: what to send, and the bits cleared. */
static int mig_live_scan(struct mig_live *live, bool first)
{
	struct mig_live_range *ranges;
	int n, err;

	if (first) {
		err = mig_live_open_files(live);
		if (err)
			return err;
		mig_clock_sample(&live->monotonic_ns, &live->boottime_ns);
		get_task_comm(live->comm, current);
	}
	err = mig_live_list_ranges(&ranges, &n);
	if (err)
		return err;
	live->ntodo = 0;
	err = mig_live_walk(live, ranges, n, first ? mig_pm_first : mig_pm_dirty,
			    true);
	kvfree(ranges);
	return err;
}

/*
 * An epoll wait or sigtimedwait() cut short by the round's work would
 * return -EINTR: it runs again instead, as after a move (capture.c).
 */
static void mig_live_resume_syscall(void)
{
	struct pt_regs *regs = task_pt_regs(current);

	if ((long)regs->orig_ax >= 0 && regs->ax == (unsigned long)-EINTR &&
	    mig_sys_never_restarts(regs->orig_ax) && !task_sigpending(current)) {
		regs->ax = regs->orig_ax;
		regs->ip -= 2;
	}
}

/* --- a round: the work in the process, and its controller --- */

enum {
	MIG_ROUND_QUEUED,
	MIG_ROUND_RUNNING,
	MIG_ROUND_CANCELLED,
};

struct mig_live_round {
	struct callback_head work;
	struct kref ref;
	struct completion done;
	struct mig_live *live;
	atomic_t state;
	bool first;
	int err;
};

/*
 * The pagemap is read and the bits cleared in one stop of the process: of
 * all its threads, or one of them could write a page in between whose
 * bit is then cleared unsent.
 */
static int mig_live_scan_parked(struct mig_live *live, bool first)
{
	const char *why = NULL;
	struct mig_park *park = mig_park_others(NULL, NULL, &why);
	int err;

	if (IS_ERR(park))
		return PTR_ERR(park);
	err = mig_live_scan(live, first);
	mig_park_release(park, -ECANCELED);	/* they all go on */
	return err;
}

static void mig_round_free(struct kref *ref)
{
	struct mig_live_round *round = container_of(ref, struct mig_live_round,
						    ref);

	mig_live_put(round->live);
	kfree(round);
}

static void mig_live_round_work(struct callback_head *cb)
{
	struct mig_live_round *round = container_of(cb, struct mig_live_round,
						    work);
	struct mig_live *live = round->live;

	if (atomic_cmpxchg(&round->state, MIG_ROUND_QUEUED,
			   MIG_ROUND_RUNNING) == MIG_ROUND_QUEUED) {
		if (current->flags & PF_EXITING) {
			round->err = -ESRCH;
		} else if (current->mm != live->mm) {
			round->err = -ESTALE;
		} else {
			/* As in mig_move_run(): the flag would cut the reads short. */
			clear_notify_signal();
			round->err = mig_live_scan_parked(live, round->first);
			mig_live_resume_syscall();
		}
		complete(&round->done);
	}
	kref_put(&round->ref, mig_round_free);
	mig_work_put();
}

/*
 * Has the process scan its memory (and clear the bits) and waits for it.
 * -ETIMEDOUT if it did not take the work in time (stopped, or in an
 * uninterruptible sleep): no scan then happened, or will.
 */
static int mig_live_round(struct mig_live *live, bool first)
{
	struct mig_live_round *round;
	long left;
	int err;

	round = kzalloc(sizeof(*round), GFP_KERNEL);
	if (!round)
		return -ENOMEM;
	kref_init(&round->ref);
	init_completion(&round->done);
	kref_get(&live->ref);
	round->live = live;
	round->first = first;
	atomic_set(&round->state, MIG_ROUND_QUEUED);
	init_task_work(&round->work, mig_live_round_work);
	if (!mig_work_get()) {
		err = -ESHUTDOWN;
		goto out;
	}
	kref_get(&round->ref);
	if (task_work_add(live->task, &round->work, TWA_SIGNAL)) {
		kref_put(&round->ref, mig_round_free);
		mig_work_put();
		err = -ESRCH;
		goto out;
	}
	left = wait_for_completion_killable_timeout(&round->done,
						    MIG_ROUND_TIMEOUT);
	if (left <= 0 &&
	    atomic_cmpxchg(&round->state, MIG_ROUND_QUEUED,
			   MIG_ROUND_CANCELLED) == MIG_ROUND_QUEUED) {
		err = left ? -EINTR : -ETIMEDOUT;
		goto out;
	}
	/* It runs: a scan that cleared bits must be waited for and used. */
	if (left <= 0)
		wait_for_completion(&round->done);
	err = round->err;
out:
	kref_put(&round->ref, mig_round_free);
	return err;
}

/* --- the controller: sending the rounds --- */

/* Copies the page at @addr of the process, if it is worth sending. */
static int mig_live_copy_run(struct mig_live *live, unsigned long addr,
			     unsigned long n, struct mig_page_batch *b)
{
	struct page *pages[MIG_GUP_RUN];
	long got, i;
	int err = 0;

	mmap_read_lock(live->mm);
	got = get_user_pages_remote(live->mm, addr, n, 0, pages, NULL, NULL);
	mmap_read_unlock(live->mm);
	if (got <= 0)
		return 1;	/* unmapped since: the final pass sees to it */
	for (i = 0; i < got; i++) {
		struct page *page = pages[i];

		if (!err && PageAnon(page) && !is_zero_pfn(page_to_pfn(page))) {
			memcpy_from_page(mig_batch_slot(b), page, 0, PAGE_SIZE);
			err = mig_live_mark_sent(live, addr + (i << PAGE_SHIFT));
			if (!err)
				err = mig_batch_add(live->chan, b,
						    addr + (i << PAGE_SHIFT),
						    &live->bytes_sent);
		}
		put_page(page);
	}
	return err ?: got;
}

/* The destination gave up (an ACK with its errno) or the link went. */
static int mig_live_check_peer(struct mig_live *live)
{
	struct mig_frame *f = mig_chan_recv(live->chan, 0);
	int err;

	if (PTR_ERR(f) == -ETIMEDOUT)
		return 0;
	if (IS_ERR(f))
		return PTR_ERR(f);
	err = f->type == MIG_MSG_MOVE_ACK ? mig_ctl_errno(f) : -EPROTO;
	mig_frame_free(f);
	return err ?: -EPROTO;	/* an ACK 0 now is no answer to anything */
}

static int mig_live_send_round(struct mig_live *live, struct mig_page_batch *b)
{
	ktime_t t0 = ktime_get();
	u64 sent0 = live->bytes_sent;
	unsigned long i = 0, n, unchecked = 0;
	s64 us;
	int done, err;

	live->total += (u64)live->ntodo * (MIG_PAGE_SIZE + 8);
	while (i < live->ntodo) {
		if (fatal_signal_pending(current))
			return -EINTR;
		if (READ_ONCE(live->cancelled))
			return -ECANCELED;
		if (live->task->mm != live->mm)
			return -ESTALE;
		for (n = 1; n < MIG_GUP_RUN && i + n < live->ntodo &&
		     live->todo[i + n] == live->todo[i] + (n << PAGE_SHIFT); n++)
			;
		done = mig_live_copy_run(live, live->todo[i], n, b);
		if (done < 0)
			return done;
		i += done;
		unchecked += done;
		if (unchecked >= 1024) {
			unchecked = 0;
			err = mig_live_check_peer(live);
			if (err)
				return err;
		}
		us = ktime_us_delta(ktime_get(), t0);
		if (us > 100000)
			WRITE_ONCE(live->rate, div64_u64((live->bytes_sent - sent0) *
						       USEC_PER_SEC, us));
		cond_resched();
	}
	err = mig_batch_flush(live->chan, b, &live->bytes_sent);
	return err ?: mig_live_check_peer(live);
}

static int mig_live_send_begin(struct mig_live *live)
{
	struct mig_msg_begin begin = {
		.mig_id = cpu_to_be32(live->chan->id),
		.home_pid = cpu_to_be32(live->to.home_pid),
		.home_node = cpu_to_be16(live->to.home_node),
		.flags = cpu_to_be16(live->to.flags),
		.reserved = cpu_to_be32(live->to.reserved),
		.monotonic_ns = cpu_to_be64(live->monotonic_ns),
		.boottime_ns = cpu_to_be64(live->boottime_ns),
	};
	struct kvec vec = { &begin, sizeof(begin) };

	memcpy(begin.comm, live->comm, sizeof(begin.comm));
	begin.comm[sizeof(begin.comm) - 1] = 0;
	live->bytes_sent += sizeof(begin);
	live->begun = true;
	return mig_chan_send(live->chan, MIG_MSG_MOVE_BEGIN, &vec, 1);
}

/* Whether to stop after a round that sent @n pages, the one before @prev. */
static bool mig_live_enough(struct mig_live *live, unsigned long n,
			    unsigned long prev)
{
	if (n <= MIG_LIVE_CONVERGED) {
		live->converged = true;
		return true;
	}
	if (live->round >= READ_ONCE(mig_live_max_rounds))
		return true;
	/* Not shrinking: it writes about as fast as the link carries. */
	return n * 10 > prev * 9;
}

/*
 * The pre-copy rounds. 0: the process is to be stopped for the rest;
 * -ESTALE: it exec'ed or could not be scanned, and moves the usual way;
 * another error: the move fails, the process untouched at home.
 */
int mig_live_precopy(struct mig_live *live, const char **why)
{
	struct mig_page_batch *b = mig_batch_alloc();
	unsigned long prev = ULONG_MAX;
	long nice;
	int err;

	if (!b)
		return -ENOMEM;
	nice = mig_copy_boost();
	for (;;) {
		err = mig_live_round(live, live->round == 0);
		if (READ_ONCE(live->cancelled))
			err = -ECANCELED;
		if (err == -ETIMEDOUT && live->round) {
			err = 0;	/* the final stop does the rest */
			break;
		}
		if (!err && !live->begun)
			err = mig_live_send_begin(live);
		if (!err)
			err = mig_live_send_round(live, b);
		if (err)
			break;
		pr_debug("pid %d: round %u: %lu pages, %lld ms\n", live->pid,
			 live->round, live->ntodo,
			 ktime_ms_delta(ktime_get(), live->start));
		WRITE_ONCE(live->round, live->round + 1);
		if (live->round > 1 && mig_live_enough(live, live->ntodo, prev))
			break;
		prev = live->ntodo;
	}
	mig_copy_unboost(nice);
	mig_batch_free(b);
	kvfree(live->todo);
	live->todo = NULL;
	live->ntodo = live->todo_max = 0;
	if (!err) {
		WRITE_ONCE(live->how, live->converged ? MIG_MOVED_LIVE :
						       MIG_MOVED_LIVE_UNCONVERGED);
		return 0;
	}
	/* -EADDRINUSE: a homecoming's page would land on the deputy's own. */
	if (err == -ETIMEDOUT || err == -ESTALE || err == -ENOENT ||
	    err == -EOPNOTSUPP || err == -EADDRINUSE) {
		pr_info("pid %d: no pre-copy (%d): it moves stopped\n", live->pid,
			err);
		return -ESTALE;
	}
	if (err == -EINTR)
		*why = "interrupted during the pre-copy; the process goes on here";
	else if (err == -ESRCH)
		*why = "the process exited during the pre-copy";
	return err;
}

/* --- the final stop: in the process, from capture.c --- */

static int mig_pm_fate(struct mig_live *live, struct mig_live_range *r,
		       unsigned long addr, u64 e)
{
	bool has = mig_pm_has_page(e), sent = mig_live_was_sent(live, addr);
	u8 *fate = &r->fate[(addr - r->start) >> PAGE_SHIFT];

	if (has && (!sent || e & MIG_PM_SOFT_DIRTY))
		*fate = MIG_PAGE_SEND;
	else if (has)
		*fate = MIG_PAGE_KEEP;
	else
		*fate = sent ? MIG_PAGE_FORGET : MIG_PAGE_NONE;
	return 0;
}

/* Before the mappings are listed: what each pre-copied page needs. */
static int mig_live_final_prepare(void *ctx)
{
	struct mig_live *live = ctx;
	int i, err;

	if (current->mm != live->mm)
		return -ESTALE;
	err = mig_live_list_ranges(&live->ranges, &live->nranges);
	for (i = 0; i < live->nranges && !err; i++) {
		struct mig_live_range *r = &live->ranges[i];

		r->fate = kvzalloc((r->end - r->start) >> PAGE_SHIFT, GFP_KERNEL);
		if (!r->fate)
			err = -ENOMEM;
	}
	{
		ktime_t t0 = ktime_get();

		err = err ?: mig_live_walk(live, live->ranges, live->nranges,
					   mig_pm_fate, false);
		pr_debug("pid %d: final scan %lld us\n", live->pid,
			 ktime_us_delta(ktime_get(), t0));
	}
	return err;
}

static int mig_live_send_forget(struct mig_chan *chan, __be64 *addrs,
				unsigned int *n, u64 *bytes)
{
	struct mig_msg_pages hdr = {
		.mig_id = cpu_to_be32(chan->id),
		.count = cpu_to_be32(*n),
	};
	struct kvec vec[2] = {
		{ &hdr, sizeof(hdr) },
		{ addrs, *n * sizeof(*addrs) },
	};

	if (!*n)
		return 0;
	*bytes += sizeof(hdr) + *n * sizeof(*addrs);
	*n = 0;
	return mig_chan_send(chan, MIG_MSG_MOVE_FORGET, vec, 2);
}

static int mig_live_final_pages(void *ctx, struct mig_chan *chan,
				unsigned long start, unsigned long end,
				u32 flags, u32 prot, struct mig_page_batch *b,
				u64 *bytes)
{
	struct mig_live *live = ctx;
	struct mig_live_range *r = NULL;
	unsigned int nforget = 0;
	unsigned long addr;
	__be64 *forget;
	int i, err = 0;

	if (!mig_live_mapping(flags, prot) || mig_live_advised(start))
		return 0;
	for (i = 0; i < live->nranges; i++)
		if (live->ranges[i].start == start && live->ranges[i].end == end)
			r = &live->ranges[i];
	/* The destination keeps pages here: every one must be accounted. */
	if (!r)
		return -ESTALE;
	forget = kmalloc_array(MIG_FORGET_PER_MSG, sizeof(*forget), GFP_KERNEL);
	if (!forget)
		return -ENOMEM;
	for (addr = start; addr < end && !err; addr += PAGE_SIZE) {
		switch (r->fate[(addr - start) >> PAGE_SHIFT]) {
		case MIG_PAGE_SEND:
			if (copy_from_user(mig_batch_slot(b),
					   (void __user *)addr, PAGE_SIZE))
				err = -EFAULT;
			else
				err = mig_batch_add(chan, b, addr, bytes);
			break;
		case MIG_PAGE_FORGET:
			forget[nforget++] = cpu_to_be64(addr);
			if (nforget == MIG_FORGET_PER_MSG)
				err = mig_live_send_forget(chan, forget,
							   &nforget, bytes);
			break;
		}
	}
	if (!err)
		err = mig_live_send_forget(chan, forget, &nforget, bytes);
	kfree(forget);
	return err ?: 1;
}

const struct mig_capture_hooks mig_live_capture_hooks = {
	.prepare = mig_live_final_prepare,
	.send_pages = mig_live_final_pages,
};

/* Whether the final stop can build on the rounds (it runs in current). */
bool mig_live_usable(struct mig_live *live)
{
	return current->mm == live->mm && live->chan;
}

u64 mig_live_bytes_sent(const struct mig_live *live)
{
	return live->bytes_sent;
}

/* The move it began succeeded: counted by how. */
void mig_live_count(const struct mig_live *live)
{
	mig_stat_inc(MIG_STAT_MOVES_LIVE);
	if (!live->converged)
		mig_stat_inc(MIG_STAT_LIVE_UNCONVERGED);
}

struct mig_chan *mig_live_take_chan(struct mig_live *live)
{
	return xchg(&live->chan, NULL);
}

/* --- start, end, ps --- */

static bool mig_live_worth_it(struct mm_struct *mm, u8 mode)
{
	u64 kb = get_mm_rss(mm) << (PAGE_SHIFT - 10);

	if (mode == MIG_MOVE_STOP_COPY)
		return false;
	return mode == MIG_MOVE_LIVE ||
	       (READ_ONCE(mig_live_auto) && kb >= READ_ONCE(mig_live_min_kb));
}

/*
 * A live move of @task as @to says, or NULL if it moves stopped (asked
 * so, small, or no channel; *why is then unset) or cannot move
 * (ERR_PTR). @task runs here: at home, or as a guest.
 */
struct mig_live *mig_live_start(struct task_struct *task,
				const struct mig_live_target *to, u8 mode,
				const char **why)
{
	struct mm_struct *mm = get_task_mm(task);
	struct mig_live *live;
	struct mig_chan *chan;

	if (!mm)
		return NULL;
	if (!mig_live_worth_it(mm, mode)) {
		mmput(mm);
		return NULL;
	}
	if (mig_live_busy(task_tgid_nr(task))) {
		mmput(mm);
		*why = "a move of this process is under way (see migctl ps)";
		return ERR_PTR(-EBUSY);
	}
	live = kzalloc(sizeof(*live), GFP_KERNEL);
	chan = live ? mig_chan_open_new(to->peer) : ERR_PTR(-ENOMEM);
	if (IS_ERR(chan)) {
		kfree(live);
		mmput(mm);
		return NULL;
	}
	kref_init(&live->ref);
	xa_init(&live->sent);
	live->task = get_task_struct(task);
	live->pid = task_tgid_nr(task);
	live->to = *to;
	live->mm = mm;
	live->chan = chan;
	live->how = MIG_MOVED_PRECOPY;
	live->resident = get_mm_rss(mm) << PAGE_SHIFT;
	live->start = ktime_get();
	spin_lock(&mig_lives_lock);
	list_add_tail(&live->list, &mig_lives);
	spin_unlock(&mig_lives_lock);
	return live;
}

/*
 * The move is over, one way or the other: a channel the final stop did
 * not take is abandoned (the destination drops what it got), the report
 * filled in, and @live gone.
 */
void mig_live_end(struct mig_live *live, struct mig_move_report *rep)
{
	struct mig_chan *chan = mig_live_take_chan(live);

	if (chan) {
		/* A peer that never saw BEGIN has nothing to drop. */
		if (live->begun) {
			mig_chan_send_ctl(chan, MIG_MSG_MOVE_ABORT, 0, 0);
			mig_stat_inc(MIG_STAT_LIVE_ABORTED);
		}
		mig_chan_close(chan);
	}
	spin_lock(&mig_lives_lock);
	list_del(&live->list);
	spin_unlock(&mig_lives_lock);
	if (rep) {
		rep->rounds = live->round;
		rep->bytes_sent += live->bytes_sent;
		rep->resident = live->resident;
		rep->how = live->how;
	}
	mig_live_put(live);
}

/*
 * Process @pid of this node is leaving, or gone, another way (a guest
 * called home by a system call, or exiting): its pre-copy, if one runs,
 * stops sending at once. Atomic context is fine.
 */
void mig_live_cancel(pid_t pid)
{
	struct mig_live *live;

	spin_lock(&mig_lives_lock);
	list_for_each_entry(live, &mig_lives, list)
		if (live->pid == pid)
			WRITE_ONCE(live->cancelled, true);
	spin_unlock(&mig_lives_lock);
}

bool mig_live_busy(pid_t pid)
{
	struct mig_live *live;
	bool busy = false;

	spin_lock(&mig_lives_lock);
	list_for_each_entry(live, &mig_lives, list)
		busy |= live->pid == pid;
	spin_unlock(&mig_lives_lock);
	return busy;
}

static void mig_live_fill(const struct mig_live *live, struct mig_ps_entry *e)
{
	e->state = MIG_PROC_MOVING;
	e->where = live->to.peer;
	e->moving = true;
	e->how = READ_ONCE(live->how);
	e->round = READ_ONCE(live->round);
	e->bytes_sent = READ_ONCE(live->bytes_sent);
	e->total = READ_ONCE(live->total);
	e->rate = READ_ONCE(live->rate);
	e->elapsed_us = ktime_us_delta(ktime_get(), live->start);
}

/* The processes of this node moving away live, one line each. */
int mig_live_ps(struct mig_ps_entry *e, int max)
{
	struct mig_live *live;
	int n = 0;

	spin_lock(&mig_lives_lock);
	list_for_each_entry(live, &mig_lives, list) {
		if (n == max)
			break;
		if (live->to.home_node != mig_node_id)
			continue;	/* a guest's: on the guest's line */
		e[n].role = MIG_ROLE_LOCAL;
		e[n].pid = live->pid;
		e[n].home_node = mig_node_id;
		e[n].home_pid = live->pid;
		mig_live_fill(live, &e[n]);
		n++;
	}
	spin_unlock(&mig_lives_lock);
	return n;
}

/* A guest's line: its pre-copy home or on, if one runs. */
void mig_live_ps_guest(pid_t pid, struct mig_ps_entry *e)
{
	struct mig_live *live;

	spin_lock(&mig_lives_lock);
	list_for_each_entry(live, &mig_lives, list)
		if (live->pid == pid && live->to.home_node != mig_node_id)
			mig_live_fill(live, e);
	spin_unlock(&mig_lives_lock);
}

/* --- knobs and messages --- */

MIG_KNOB_BOOL(live_auto, mig_live_auto, .flags = MIG_KNOB_YESNO);
MIG_KNOB(live_min_kb, mig_live_min_kb, 0, U32_MAX);
MIG_KNOB(live_max_rounds, mig_live_max_rounds, 1, 64);

static const struct attribute *const mig_live_attrs[] = {
	&live_auto_knob.attr.attr,
	&live_min_kb_knob.attr.attr,
	&live_max_rounds_knob.attr.attr,
	NULL,
};

/* FORGET goes to the channel like the rest of a stream (restore.c). */
static const struct mig_msg_handler mig_live_msgs[] = {
	{
		.type = MIG_MSG_MOVE_FORGET,
		.min_len = sizeof(struct mig_msg_pages) + sizeof(__be64),
		.max_len = sizeof(struct mig_msg_pages) +
			   MIG_FORGET_PER_MSG * sizeof(__be64),
		.owner = "live",
		.rx = mig_stream_rx_queue,
	},
};

int mig_live_init(void)
{
	int err = mig_msg_register(mig_live_msgs, ARRAY_SIZE(mig_live_msgs));

	if (err)
		return err;
	err = mig_sysfs_add(mig_live_attrs);
	if (err)
		mig_msg_unregister(mig_live_msgs, ARRAY_SIZE(mig_live_msgs));
	return err;
}

void mig_live_exit(void)
{
	mig_sysfs_remove(mig_live_attrs);
	mig_msg_unregister(mig_live_msgs, ARRAY_SIZE(mig_live_msgs));
}

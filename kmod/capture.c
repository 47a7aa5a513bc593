// SPDX-License-Identifier: GPL-2.0
/*
 * mig: capture. Runs in the context of the process that moves, stopped at
 * a safe point on its way back to user mode, and streams its state to the
 * peer: BEGIN, TASK (registers, FPU/vector state, signal state, limits,
 * credentials), one VMA message per mapping, the pages worth sending, END.
 *
 * Pages sent: present pages of anonymous mappings (never the shared zero
 * page), and the privately modified (anonymous) pages of private file
 * mappings; the rest of a file mapping is mapped again from the file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/elf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/futex.h>
#include <linux/mm.h>
#include <linux/magic.h>
#include <linux/mman.h>
#include <linux/regset.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/ptrace.h>
#include <asm/user.h>

#include "mig.h"

struct mig_vma_snap {
	unsigned long start, end, pgoff;
	unsigned long vm_flags;
	struct file *file;
	u32 flags;			/* MIG_VMA_* */
	u16 shm_id;			/* MIG_VMA_SHMEM: which object */
};

static const struct user_regset *mig_find_regset(unsigned int note)
{
	const struct user_regset_view *view = task_user_regset_view(current);
	unsigned int i;

	for (i = 0; i < view->n; i++)
		if (view->regsets[i].core_note_type == note)
			return &view->regsets[i];
	return NULL;
}

/*
 * The epoll waits and sigtimedwait() end with -EINTR, never restarted,
 * when anything interrupts them, our capture included. Without a signal
 * of its own to take, the process must not see that: it waits again (for
 * its whole timeout, as the time already waited is not known).
 */
static bool mig_interrupted_by_us(const struct user_regs_struct *r)
{
	return mig_sys_never_restarts(r->orig_ax) && !task_sigpending(current);
}

/*
 * A poll() or a futex wait with a timeout keeps its deadline in the
 * restart block, which no other kernel has. Both may simply be called
 * again with the arguments still in the registers: an absolute futex
 * deadline stays exact, a relative timeout starts over (the call waits
 * longer, never shorter), and a wait that is over returns at once.
 */
static bool mig_restarts_from_scratch(const struct user_regs_struct *r)
{
	return r->orig_ax == __NR_poll || r->orig_ax == __NR_futex;
}

/*
 * A task stopped inside an interrupted system call has the restart still
 * to do; do it here, as signal delivery would, so the call starts over
 * wherever the process resumes.
 */
static int mig_fixup_restart(struct user_regs_struct *r,
			     struct mig_wire_sleep *sl,
			     const struct mig_sleep *sleep)
{
	int err;

	if ((long)r->orig_ax < 0)
		return 0;
	switch ((long)r->ax) {
	case -ERESTART_RESTARTBLOCK:
		if (!mig_restarts_from_scratch(r)) {
			/*
			 * Its restart state lives in this kernel only: a
			 * sleep travels (sleep.c), anything else cannot
			 * move now.
			 */
			err = mig_sleep_capture(r->orig_ax, sleep, sl);
			if (err)
				return err;
			r->ax = __NR_restart_syscall;
			r->ip -= 2;
			return 0;
		}
		break;
	case -EINTR:
		if (!mig_interrupted_by_us(r))
			return 0;
		break;
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
		break;
	default:
		return 0;
	}
	r->ax = r->orig_ax;
	r->ip -= 2;
	return 0;
}

static void mig_put_regs(struct mig_wire_regs *w, const struct user_regs_struct *r)
{
	w->r15 = cpu_to_be64(r->r15);
	w->r14 = cpu_to_be64(r->r14);
	w->r13 = cpu_to_be64(r->r13);
	w->r12 = cpu_to_be64(r->r12);
	w->rbp = cpu_to_be64(r->bp);
	w->rbx = cpu_to_be64(r->bx);
	w->r11 = cpu_to_be64(r->r11);
	w->r10 = cpu_to_be64(r->r10);
	w->r9 = cpu_to_be64(r->r9);
	w->r8 = cpu_to_be64(r->r8);
	w->rax = cpu_to_be64(r->ax);
	w->rcx = cpu_to_be64(r->cx);
	w->rdx = cpu_to_be64(r->dx);
	w->rsi = cpu_to_be64(r->si);
	w->rdi = cpu_to_be64(r->di);
	w->orig_rax = cpu_to_be64(r->orig_ax);
	w->rip = cpu_to_be64(r->ip);
	w->cs = cpu_to_be64(r->cs);
	w->eflags = cpu_to_be64(r->flags);
	w->rsp = cpu_to_be64(r->sp);
	w->ss = cpu_to_be64(r->ss);
	w->fs_base = cpu_to_be64(r->fs_base);
	w->gs_base = cpu_to_be64(r->gs_base);
	w->ds = cpu_to_be64(r->ds);
	w->es = cpu_to_be64(r->es);
	w->fs = cpu_to_be64(r->fs);
	w->gs = cpu_to_be64(r->gs);
}

static int mig_capture_regs(struct mig_msg_thread *th, void **xstate,
			    unsigned int *xstate_len,
			    const struct mig_sleep *sleep, bool rewind)
{
	const struct user_regset *gen = mig_find_regset(NT_PRSTATUS);
	const struct user_regset *xs = mig_find_regset(NT_X86_XSTATE);
	struct user_regs_struct regs;
	unsigned int len;
	void *buf;
	int ret;

	if (!gen || !xs)
		return -EOPNOTSUPP;
	ret = regset_get(current, gen, sizeof(regs), &regs);
	if (ret < 0)
		return ret;
	if (rewind) {
		/* Captured inside a syscall that must run again elsewhere. */
		regs.ax = regs.orig_ax;
		regs.ip -= 2;
	} else {
		ret = mig_fixup_restart(&regs, &th->sleep, sleep);
		if (ret)
			return ret;
	}
	mig_put_regs(&th->regs, &regs);

	len = xs->n * xs->size;
	if (len > MIG_XSTATE_MAX)
		return -EOPNOTSUPP;
	buf = kvzalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = regset_get(current, xs, len, buf);
	if (ret < 0) {
		kvfree(buf);
		return ret;
	}
	*xstate = buf;
	*xstate_len = len;
	return 0;
}

static void mig_capture_actions(struct mig_msg_task *t)
{
	struct sighand_struct *sighand = current->sighand;
	int i;

	spin_lock_irq(&sighand->siglock);
	for (i = 0; i < MIG_NSIG && i < _NSIG; i++) {
		const struct sigaction *sa = &sighand->action[i].sa;

		t->action[i].handler = cpu_to_be64((unsigned long)sa->sa_handler);
		t->action[i].flags = cpu_to_be64(sa->sa_flags);
		t->action[i].restorer = cpu_to_be64((unsigned long)sa->sa_restorer);
		t->action[i].mask = cpu_to_be64(sa->sa_mask.sig[0]);
	}
	spin_unlock_irq(&sighand->siglock);
}

/* What is current's own, not its process's: mask, stacks, registrations. */
static void mig_capture_thread_misc(struct mig_msg_thread *th)
{
	struct sighand_struct *sighand = current->sighand;

	/*
	 * Inside sigsuspend(), ppoll() and the like the mask is the call's;
	 * the thread's own is saved, to be put back on the way out. The
	 * call is rewound and swaps its mask in again wherever it resumes.
	 */
	spin_lock_irq(&sighand->siglock);
	th->blocked = cpu_to_be64(test_restore_sigmask() ?
				  current->saved_sigmask.sig[0] :
				  current->blocked.sig[0]);
	spin_unlock_irq(&sighand->siglock);

	th->altstack_sp = cpu_to_be64(current->sas_ss_sp);
	th->altstack_size = cpu_to_be64(current->sas_ss_size);
	th->altstack_flags = cpu_to_be32(current->sas_ss_flags);
	th->rseq = cpu_to_be64((unsigned long)current->rseq);
	th->rseq_sig = cpu_to_be32(current->rseq_sig);
	th->clear_child_tid = cpu_to_be64((unsigned long)current->clear_child_tid);
	th->robust_list = cpu_to_be64((unsigned long)current->robust_list);
	th->robust_len = cpu_to_be64(current->robust_list ?
				     sizeof(*current->robust_list) : 0);
	th->home_tid = cpu_to_be32(task_pid_nr(current));
	get_task_comm(th->comm, current);
}

/* Signals pending on current's thread, and on its process. */
static void mig_capture_pending(__be64 *own, __be64 *shared)
{
	spin_lock_irq(&current->sighand->siglock);
	*own = cpu_to_be64(current->pending.signal.sig[0]);
	if (shared)
		*shared = cpu_to_be64(current->signal->shared_pending.signal.sig[0]);
	spin_unlock_irq(&current->sighand->siglock);
}

/*
 * The state of current's own thread (registers, FPU, mask, stacks...),
 * from its context: 0 with *xstate allocated, or -errno. @sleep: a sleep
 * mig resumed for it, if any; @rewind: it is inside a call to run again
 * elsewhere.
 */
int mig_capture_thread(struct mig_msg_thread *th, void **xstate,
		       unsigned int *xstate_len, const struct mig_sleep *sleep,
		       bool rewind, bool pending)
{
	int err = mig_capture_regs(th, xstate, xstate_len, sleep, rewind);

	if (err)
		return err;
	mig_capture_thread_misc(th);
	if (pending)
		mig_capture_pending(&th->pending, NULL);
	th->xstate_len = cpu_to_be32(*xstate_len);
	return 0;
}

/* The capturing thread's own state goes in TASK. */
static void mig_task_from_thread(struct mig_msg_task *t,
				 const struct mig_msg_thread *th)
{
	t->regs = th->regs;
	t->blocked = th->blocked;
	t->altstack_sp = th->altstack_sp;
	t->altstack_size = th->altstack_size;
	t->altstack_flags = th->altstack_flags;
	t->rseq = th->rseq;
	t->rseq_sig = th->rseq_sig;
	t->sleep = th->sleep;
	t->home_tid = th->home_tid;
	t->clear_child_tid = th->clear_child_tid;
	t->robust_list = th->robust_list;
	t->robust_len = th->robust_len;
	t->pending = th->pending;
}

static void mig_capture_misc(struct mig_msg_task *t)
{
	struct mm_struct *mm = current->mm;
	int i;

	task_lock(current->group_leader);
	for (i = 0; i < MIG_NRLIMITS && i < RLIM_NLIMITS; i++) {
		t->rlim[i].cur = cpu_to_be64(current->signal->rlim[i].rlim_cur);
		t->rlim[i].max = cpu_to_be64(current->signal->rlim[i].rlim_max);
	}
	task_unlock(current->group_leader);
	t->personality = cpu_to_be32(current->personality);
	t->umask = cpu_to_be32(current->fs->umask);

	mmap_read_lock(mm);
	t->start_code = cpu_to_be64(mm->start_code);
	t->end_code = cpu_to_be64(mm->end_code);
	t->start_data = cpu_to_be64(mm->start_data);
	t->end_data = cpu_to_be64(mm->end_data);
	t->start_brk = cpu_to_be64(mm->start_brk);
	t->brk = cpu_to_be64(mm->brk);
	t->start_stack = cpu_to_be64(mm->start_stack);
	t->arg_start = cpu_to_be64(mm->arg_start);
	t->arg_end = cpu_to_be64(mm->arg_end);
	t->env_start = cpu_to_be64(mm->env_start);
	t->env_end = cpu_to_be64(mm->env_end);
	t->vdso = cpu_to_be64((unsigned long)mm->context.vdso);
	mmap_read_unlock(mm);
}

static bool mig_vma_is_special(const struct vm_area_struct *vma)
{
	return vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP);
}

/*
 * MAP_SHARED anonymous memory: a tmpfs object with no name (the kernel's
 * own for MAP_SHARED|MAP_ANONYMOUS, a memfd, a deleted /dev/shm file).
 * Whether anyone else maps it is checked over the whole snapshot.
 */
static bool mig_vma_is_anon_shmem(struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file;

	return (vma->vm_flags & VM_SHARED) && file &&
	       file_inode(file)->i_sb->s_magic == TMPFS_MAGIC &&
	       d_unhashed(file->f_path.dentry);
}

/*
 * Gives each shared memory object of the snapshot an id, and refuses an
 * object that is not this process's alone: each of its mappings here holds
 * one reference and the snapshot another, so any more is another process's
 * mapping or an open file descriptor.
 */
static int mig_number_shmem(struct mig_vma_snap *snap, int count)
{
	int i, j, refs, ids = 0;

	for (i = 0; i < count; i++) {
		if (!(snap[i].flags & MIG_VMA_SHMEM) || snap[i].shm_id)
			continue;
		if (++ids > MIG_SHM_MAX)
			return -EBUSY;
		refs = 0;
		for (j = i; j < count; j++) {
			if (snap[j].file != snap[i].file)
				continue;
			snap[j].shm_id = ids;
			refs += 2;
		}
		if (file_count(snap[i].file) != refs) {
			pr_info("pid %d: shared memory at %lx is shared with another process or open as a file; refuses the move\n",
				task_pid_nr(current), snap[i].start);
			return -EBUSY;
		}
	}
	return 0;
}

/* Takes a stable list of the mappings, so no lock is held while sending. */
static int mig_snapshot_vmas(struct mig_capture_info *info,
			     struct mig_msg_task *t,
			     struct mig_vma_snap **out, int *count)
{
	struct mm_struct *mm = current->mm;
	unsigned long vdso = be64_to_cpu(t->vdso);
	struct vm_area_struct *vma;
	struct mig_vma_snap *snap;
	int n = 0, err = 0;

	mmap_read_lock(mm);
	snap = kvcalloc(mm->map_count, sizeof(*snap), GFP_KERNEL);
	if (!snap) {
		mmap_read_unlock(mm);
		return -ENOMEM;
	}
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (vma->vm_start == vdso || vma->vm_start == info->skip_start)
				continue;
			if (mig_vma_is_special(vma)) {
				if (vma->vm_end == vdso)
					t->vvar = cpu_to_be64(vma->vm_start);
				continue;
			}
			if ((vma->vm_flags & VM_SHARED) &&
			    (vma->vm_flags & VM_MAYWRITE) &&
			    !mig_vma_is_anon_shmem(vma)) {
				pr_info("pid %d: writable shared mapping at %lx refuses the move\n",
					task_pid_nr(current), vma->vm_start);
				err = -EBUSY;
				break;
			}
			if (n >= mm->map_count)
				break;
			snap[n].start = vma->vm_start;
			snap[n].end = vma->vm_end;
			snap[n].pgoff = vma->vm_pgoff;
			snap[n].vm_flags = vma->vm_flags;
			if (vma->vm_file) {
				snap[n].file = get_file(vma->vm_file);
				snap[n].flags |= MIG_VMA_FILE;
			}
			if (mig_vma_is_anon_shmem(vma))
				snap[n].flags = MIG_VMA_SHMEM;
			else if (vma->vm_flags & VM_SHARED)
				snap[n].flags |= MIG_VMA_SHARED;
			if (vma->vm_flags & VM_GROWSDOWN)
				snap[n].flags |= MIG_VMA_GROWSDOWN;
			if (vma->vm_start <= mm->start_brk &&
			    vma->vm_end >= mm->brk && !vma->vm_file)
				snap[n].flags |= MIG_VMA_HEAP;
			n++;
		}
	}
	mmap_read_unlock(mm);
	*out = snap;
	*count = n;
	return err ?: mig_number_shmem(snap, n);
}

static void mig_free_snapshot(struct mig_vma_snap *snap, int count)
{
	while (count--)
		if (snap[count].file)
			fput(snap[count].file);
	kvfree(snap);
}

static u32 mig_vm_prot(unsigned long vm_flags)
{
	return (vm_flags & VM_READ ? PROT_READ : 0) |
	       (vm_flags & VM_WRITE ? PROT_WRITE : 0) |
	       (vm_flags & VM_EXEC ? PROT_EXEC : 0);
}

/*
 * The last file digested: a file mapped several times (text, data,
 * RELRO...) is read for its digest once.
 */
struct mig_digest_cache {
	struct inode *inode;
	u64 size;
	u8 digest[MIG_DIGEST_LEN];
};

static int mig_vma_digest(const struct mig_vma_snap *v, u64 size,
			  struct mig_digest_cache *cache, u8 *digest)
{
	struct inode *inode = file_inode(v->file);
	int err;

	if (!S_ISREG(inode->i_mode))
		return 0;	/* never mapped from a copy: left 0 */
	if (cache->inode != inode || cache->size != size) {
		cache->inode = NULL;
		err = mig_file_digest(v->file, size, cache->digest);
		if (err)
			return err;
		cache->inode = inode;
		cache->size = size;
	}
	memcpy(digest, cache->digest, MIG_DIGEST_LEN);
	return 0;
}

static int mig_send_vma(struct mig_chan *chan, const struct mig_vma_snap *v,
			char *pathbuf, struct mig_digest_cache *cache,
			struct mig_capture_info *info)
{
	struct mig_msg_vma msg = {
		.mig_id = cpu_to_be32(chan->id),
		.flags = cpu_to_be32(v->flags | mig_vma_advice(v->vm_flags)),
		.start = cpu_to_be64(v->start),
		.end = cpu_to_be64(v->end),
		.pgoff = cpu_to_be64(v->pgoff),
		.prot = cpu_to_be32(mig_vm_prot(v->vm_flags)),
	};
	struct kvec vec[2] = { { &msg, sizeof(msg) } };
	unsigned int n = 1;

	if (v->flags & MIG_VMA_SHMEM) {
		msg.file_size = cpu_to_be64(i_size_read(file_inode(v->file)));
		msg.shm_id = cpu_to_be16(v->shm_id);
	} else if (v->file) {
		struct kstat st;
		char *path = d_path(&v->file->f_path, pathbuf, MIG_PATH_MAX);
		int err;

		if (IS_ERR(path))
			return PTR_ERR(path);
		err = vfs_getattr(&v->file->f_path, &st, STATX_SIZE | STATX_MTIME,
				  AT_STATX_SYNC_AS_STAT);
		if (!err)
			err = mig_vma_digest(v, st.size, cache, msg.file_digest);
		if (err)
			return err;
		msg.file_size = cpu_to_be64(st.size);
		msg.file_mtime_ns = cpu_to_be64(timespec64_to_ns(&st.mtime));
		msg.path_len = cpu_to_be16(strlen(path));
		vec[1].iov_base = path;
		vec[1].iov_len = strlen(path);
		n = 2;
	}
	info->bytes_sent += sizeof(msg) + vec[1].iov_len;
	return mig_chan_send(chan, MIG_MSG_MOVE_VMA, vec, n);
}

struct mig_page_batch {
	struct mig_msg_pages hdr;
	__be64 addr[MIG_PAGES_PER_MSG];
	u8 *data;
	unsigned int count;
};

/* Sends the pages queued in @b, if any; counts the bytes in *@bytes. */
int mig_batch_flush(struct mig_chan *chan, struct mig_page_batch *b,
		    u64 *bytes)
{
	struct kvec vec[3];
	int err;

	if (!b->count)
		return 0;
	b->hdr.mig_id = cpu_to_be32(chan->id);
	b->hdr.count = cpu_to_be32(b->count);
	vec[0].iov_base = &b->hdr;
	vec[0].iov_len = sizeof(b->hdr);
	vec[1].iov_base = b->addr;
	vec[1].iov_len = b->count * sizeof(b->addr[0]);
	vec[2].iov_base = b->data;
	vec[2].iov_len = b->count * MIG_PAGE_SIZE;
	err = mig_chan_send(chan, MIG_MSG_MOVE_PAGES, vec, 3);
	*bytes += vec[0].iov_len + vec[1].iov_len + vec[2].iov_len;
	b->count = 0;
	return err;
}

/* Where the next page's content goes before mig_batch_add(). */
void *mig_batch_slot(struct mig_page_batch *b)
{
	return b->data + b->count * MIG_PAGE_SIZE;
}

/* The page in mig_batch_slot() is that of @addr; sends a full batch. */
int mig_batch_add(struct mig_chan *chan, struct mig_page_batch *b,
		  unsigned long addr, u64 *bytes)
{
	b->addr[b->count++] = cpu_to_be64(addr);
	if (b->count < MIG_PAGES_PER_MSG)
		return 0;
	return mig_batch_flush(chan, b, bytes);
}

static int mig_flush_pages(struct mig_chan *chan, struct mig_page_batch *b,
			   struct mig_capture_info *info)
{
	return mig_batch_flush(chan, b, &info->bytes_sent);
}

/*
 * Is there a page at @addr the peer needs from us? The fast lookup sees
 * pages that are present; a miss may still be a page in swap, so fault
 * it in (a never-touched anonymous page then maps the zero page, which
 * is not sent).
 */
static bool mig_page_wanted(unsigned long addr, bool file_backed,
			    bool may_fault)
{
	struct page *page;
	bool wanted;
	long got;

	got = get_user_pages_fast_only(addr, 1, 0, &page);
	/*
	 * A part of a huge page may be of the huge zero page, which is not
	 * the zero pfn (a read of a huge-page-sized stretch never written,
	 * a thread's stack say): the slow way below knows it.
	 */
	if (got == 1 && PageCompound(page) && may_fault) {
		put_page(page);
		got = 0;
	}
	if (got != 1) {
		if (!may_fault)
			return false;
		/*
		 * FOLL_DUMP, as for a core dump: a page never written (no
		 * page, or a zero page) is none, and is not faulted in; a
		 * page in swap is read back.
		 */
		mmap_read_lock(current->mm);
		got = get_user_pages(addr, 1, FOLL_DUMP, &page, NULL);
		mmap_read_unlock(current->mm);
		if (got != 1)
			return false;
	}
	wanted = !is_zero_pfn(page_to_pfn(page)) &&
		 (!file_backed || PageAnon(page));
	put_page(page);
	return wanted;
}

static int mig_queue_page(struct mig_chan *chan, struct mig_page_batch *b,
			  unsigned long addr, struct mig_capture_info *info)
{
	return mig_batch_add(chan, b, addr, &info->bytes_sent);
}

/*
 * Shared memory is read from its object, whatever the mapping's
 * protection: each page the object holds (in memory or in swap), none of
 * its holes (they read as zeros at the destination too).
 */
static int mig_send_shmem_pages(struct mig_chan *chan,
				const struct mig_vma_snap *v,
				struct mig_page_batch *b,
				struct mig_capture_info *info)
{
	struct address_space *mapping = v->file->f_mapping;
	loff_t size = i_size_read(file_inode(v->file));
	unsigned long addr;
	int err;

	for (addr = v->start; addr < v->end; addr += PAGE_SIZE) {
		pgoff_t index = v->pgoff + ((addr - v->start) >> PAGE_SHIFT);
		loff_t pos = (loff_t)index << PAGE_SHIFT;
		u8 *dst = b->data + b->count * MIG_PAGE_SIZE;
		ssize_t got;

		if (fatal_signal_pending(current))
			return -EINTR;
		if (pos >= size)
			break;
		if (!xa_load(&mapping->i_pages, index))
			continue;
		memset(dst, 0, MIG_PAGE_SIZE);
		got = kernel_read(v->file, dst, MIG_PAGE_SIZE, &pos);
		if (got < 0)
			return got;
		err = mig_queue_page(chan, b, addr, info);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

/*
 * The pages of [v->start, v->end) the peer needs. @all_pages: every page
 * that reads (a file mapping the peer cannot map); else only those that
 * exist nowhere else (see mig_page_wanted()).
 */
static int mig_send_range_pages(struct mig_chan *chan,
				const struct mig_vma_snap *v, bool all_pages,
				struct mig_page_batch *b,
				struct mig_capture_info *info)
{
	bool file_backed = v->file && !all_pages;
	/*
	 * Faulting a read-only file mapping would read the whole file for
	 * nothing: its pages come from the file at the destination. (A
	 * swapped-out private copy in one, a RELRO page say, is the limit.)
	 */
	bool may_fault = all_pages || !v->file || (v->vm_flags & VM_WRITE);
	unsigned long addr;
	int err;

	for (addr = v->start; addr < v->end; addr += PAGE_SIZE) {
		u8 *dst = b->data + b->count * MIG_PAGE_SIZE;

		if (fatal_signal_pending(current))
			return -EINTR;
		if (!mig_page_wanted(addr, file_backed, may_fault))
			continue;
		if (v->vm_flags & VM_READ) {
			if (copy_from_user(dst, (void __user *)addr, PAGE_SIZE))
				continue;
		} else if (access_process_vm(current, addr, dst, PAGE_SIZE,
					     FOLL_FORCE) != PAGE_SIZE) {
			continue;
		}
		err = mig_queue_page(chan, b, addr, info);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

static int mig_send_vma_pages(struct mig_chan *chan,
			      const struct mig_vma_snap *v,
			      struct mig_page_batch *b,
			      struct mig_capture_info *info)
{
	const struct mig_capture_hooks *hooks = info->hooks;
	int done;

	if (v->flags & MIG_VMA_SHMEM)
		return mig_send_shmem_pages(chan, v, b, info);
	if (v->vm_flags & VM_SHARED)
		return 0;
	if (hooks && hooks->send_pages) {
		done = hooks->send_pages(info->hooks_ctx, chan, v->start, v->end,
					 v->flags, mig_vm_prot(v->vm_flags), b,
					 &info->bytes_sent);
		if (done)
			return done < 0 ? done : 0;
	}
	return mig_send_range_pages(chan, v, false, b, info);
}

struct mig_page_batch *mig_batch_alloc(void)
{
	struct mig_page_batch *b = kzalloc(sizeof(*b), GFP_KERNEL);

	if (b)
		b->data = kvmalloc(MIG_PAGES_PER_MSG * MIG_PAGE_SIZE, GFP_KERNEL);
	if (b && !b->data) {
		kfree(b);
		b = NULL;
	}
	return b;
}

void mig_batch_free(struct mig_page_batch *b)
{
	if (b)
		kvfree(b->data);
	kfree(b);
}

static int mig_send_mm(struct mig_chan *chan, struct mig_capture_info *info,
		       struct mig_vma_snap *snap, int count)
{
	struct mig_digest_cache cache = { 0 };
	struct mig_page_batch *b;
	char *pathbuf;
	int i, err = 0;

	b = mig_batch_alloc();
	pathbuf = kmalloc(MIG_PATH_MAX, GFP_KERNEL);
	if (!b || !pathbuf) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count && !err; i++)
		err = mig_send_vma(chan, &snap[i], pathbuf, &cache, info);
	for (i = 0; i < count && !err; i++)
		err = mig_send_vma_pages(chan, &snap[i], b, info);
	if (!err)
		err = mig_flush_pages(chan, b, info);
out:
	mig_batch_free(b);
	kfree(pathbuf);
	return err;
}

static int mig_send_begin(struct mig_chan *chan, struct mig_capture_info *info)
{
	struct mig_msg_begin begin = {
		.mig_id = cpu_to_be32(chan->id),
		.home_pid = cpu_to_be32(info->home_pid),
		.home_node = cpu_to_be16(info->home_node),
		.flags = cpu_to_be16(info->flags),
		.reserved = cpu_to_be32(info->ticket),
		.home_reason = cpu_to_be32(info->flags & MIG_BEGIN_HOMECOMING ?
					   info->reason : 0),
	};
	struct kvec vec = { &begin, sizeof(begin) };
	u64 monotonic, boottime;

	get_task_comm(begin.comm, current);
	mig_clock_sample(&monotonic, &boottime);
	begin.monotonic_ns = cpu_to_be64(monotonic);
	begin.boottime_ns = cpu_to_be64(boottime);
	return mig_chan_send(chan, MIG_MSG_MOVE_BEGIN, &vec, 1);
}

static int mig_send_state(struct mig_chan *chan, struct mig_msg_state *s,
			  struct mig_capture_info *info)
{
	struct kvec vec = { s, sizeof(*s) };

	s->mig_id = cpu_to_be32(chan->id);
	info->bytes_sent += sizeof(*s);
	return mig_chan_send(chan, MIG_MSG_MOVE_STATE, &vec, 1);
}

static int mig_send_task(struct mig_chan *chan, struct mig_msg_task *t,
			 void *xstate, unsigned int xstate_len,
			 struct mig_capture_info *info)
{
	struct kvec vec[2] = {
		{ t, sizeof(*t) },
		{ xstate, xstate_len },
	};

	t->mig_id = cpu_to_be32(chan->id);
	t->xstate_len = cpu_to_be32(xstate_len);
	info->bytes_sent += sizeof(*t) + xstate_len;
	return mig_chan_send(chan, MIG_MSG_MOVE_TASK, vec, 2);
}

/*
 * From the capture to the ACK no signal may cut a send short (a pending
 * one does: the frame half sent breaks the link). They stay pending,
 * for the deputy to relay or for the process to take if it stays.
 */
static void mig_capture_hold_signals(struct mig_capture_info *info)
{
	sigset_t all;

	sigfillset(&all);
	sigdelsetmask(&all, sigmask(SIGKILL) | sigmask(SIGSTOP));
	sigprocmask(SIG_SETMASK, &all, &info->saved_blocked);
	info->signals_held = true;
}

/* The move failed: the process goes on here with its own mask. */
static void mig_capture_release_signals(struct mig_capture_info *info)
{
	if (!info->signals_held)
		return;
	info->signals_held = false;
	sigprocmask(SIG_SETMASK, &info->saved_blocked, NULL);
}

/*
 * Sends the whole state of current. On error nothing of the process has
 * changed; the caller tells the peer to drop what it got.
 */
int mig_capture_send(struct mig_chan *chan, struct mig_capture_info *info)
{
	struct mig_vma_snap *snap = NULL;
	unsigned int xstate_len = 0;
	struct mig_msg_state state = { 0 };
	struct mig_msg_thread *th;
	struct mig_msg_task *t;
	void *xstate = NULL;
	int count = 0, err;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	th = kzalloc(sizeof(*th), GFP_KERNEL);
	if (!t || !th) {
		err = -ENOMEM;
		goto out;
	}
	err = mig_capture_thread(th, &xstate, &xstate_len, info->sleep,
				 info->rewind_syscall, false);
	if (err)
		goto out;
	if (info->home_tid)
		th->home_tid = cpu_to_be32(info->home_tid);
	mig_task_from_thread(t, th);
	/* Leaving a guest: its pending signals exist only here. */
	if (info->flags & (MIG_BEGIN_HOMECOMING | MIG_BEGIN_ONWARD))
		mig_capture_pending(&t->pending, &t->shared_pending);
	err = mig_capture_creds(t);
	if (err)
		goto out;
	mig_capture_actions(t);
	mig_capture_hold_signals(info);
	mig_capture_misc(t);
	/* Home always takes its own process back. */
	err = mig_capture_state(&state,
				!(info->flags & MIG_BEGIN_HOMECOMING));
	if (err)
		goto out;
	/* Before the list of mappings: it may map and unmap a buffer. */
	if (info->hooks && info->hooks->prepare)
		err = info->hooks->prepare(info->hooks_ctx);
	if (!err)
		err = mig_snapshot_vmas(info, t, &snap, &count);
	if (err)
		goto out;

	/* A live move's BEGIN may have gone before its pre-copy rounds. */
	if (!info->begun)
		err = mig_send_begin(chan, info);
	if (!err)
		err = mig_send_task(chan, t, xstate, xstate_len, info);
	if (!err)
		err = mig_send_state(chan, &state, info);
	if (!err && info->park)
		err = mig_park_send(info->park, chan, &info->bytes_sent);
	if (!err)
		err = mig_send_mm(chan, info, snap, count);
	if (!err)
		err = mig_chan_send_ctl(chan, MIG_MSG_MOVE_END, 0, 0);
out:
	if (err)
		mig_capture_release_signals(info);
	if (snap)
		mig_free_snapshot(snap, count);
	kvfree(xstate);
	kfree(th);
	kfree(t);
	return err;
}

/*
 * Answers a WANT: the content of one file mapping of current that the
 * receiver could not map from its own copy of the file. Anything but
 * exactly one such mapping is a bad request.
 */
static int mig_send_wanted(struct mig_chan *chan, const struct mig_frame *f,
			   struct mig_capture_info *info)
{
	const struct mig_msg_want *w = f->data;
	u64 start = be64_to_cpu(w->start), end = be64_to_cpu(w->end);
	struct mm_struct *mm = current->mm;
	struct mig_vma_snap v = { 0 };
	struct vm_area_struct *vma;
	struct mig_page_batch *b;
	int err;

	mmap_read_lock(mm);
	vma = find_vma(mm, start);
	if (vma && vma->vm_start == start && vma->vm_end == end &&
	    vma->vm_file && start != info->skip_start &&
	    !mig_vma_is_special(vma) && !mig_vma_is_anon_shmem(vma)) {
		v.start = start;
		v.end = end;
		v.vm_flags = vma->vm_flags;
		v.file = get_file(vma->vm_file);
	}
	mmap_read_unlock(mm);
	if (!v.file) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return -EPROTO;
	}
	b = mig_batch_alloc();
	err = b ? mig_send_range_pages(chan, &v, true, b, info) : -ENOMEM;
	if (!err)
		err = mig_flush_pages(chan, b, info);
	if (!err)
		err = mig_chan_send_ctl(chan, MIG_MSG_MOVE_END, 0, 0);
	mig_batch_free(b);
	fput(v.file);
	return err;
}

/*
 * After the stream, until the receiver's ACK: its errno, 0 once the
 * process runs there. Meanwhile the receiver may ask for the content of
 * mappings it could not make from a file; at most one request per
 * mapping.
 */
int mig_capture_wait_ack(struct mig_chan *chan, struct mig_capture_info *info)
{
	int wants = 0, err;

	for (;;) {
		struct mig_frame *f = mig_chan_recv(chan, MIG_ACK_TIMEOUT);

		if (IS_ERR(f)) {
			mig_capture_release_signals(info);
			return PTR_ERR(f);
		}
		if (f->type == MIG_MSG_MOVE_WANT &&
		    ++wants <= current->mm->map_count) {
			err = mig_send_wanted(chan, f, info);
			mig_frame_free(f);
			if (err) {
				mig_capture_release_signals(info);
				return err;
			}
			continue;
		}
		info->answered = f->type == MIG_MSG_MOVE_ACK;
		err = info->answered ? mig_ctl_errno(f) : -EPROTO;
		mig_frame_free(f);
		if (err)
			mig_capture_release_signals(info);
		return err;
	}
}

/*
 * Not a safe point: inside the vDSO. Its code reads the vvar pages as
 * this node lays them out (a time namespace's page first, or not), and
 * resumed half-way on another node it would read the other layout (coming
 * home from a time namespace: a SIGBUS). Callers try again a moment later.
 */
bool mig_in_vdso(void)
{
	struct mm_struct *mm = current->mm;
	unsigned long ip = task_pt_regs(current)->ip;
	unsigned long start = mm ? (unsigned long)mm->context.vdso : 0;

	return start && mm->context.vdso_image &&
	       ip >= start && ip < start + mm->context.vdso_image->size;
}

/*
 * Drops every user mapping of current (its state lives elsewhere now) but
 * the @nkeep ranges of @keep, which are sorted and apart.
 */
void mig_unmap_all_but(const struct mig_span *keep, int nkeep)
{
	unsigned long from = 0, to;
	int i;

	/*
	 * The rseq area goes with the memory; a registration left behind
	 * would make the next return to user mode fault on it.
	 */
	current->rseq = NULL;
	current->rseq_sig = 0;

	for (i = 0; i <= nkeep; i++) {
		to = i < nkeep ? keep[i].start : TASK_SIZE;
		if (to > from)
			vm_munmap(from, to - from);
		if (i < nkeep)
			from = keep[i].end;
	}
}

void mig_unmap_all(void)
{
	mig_unmap_all_but(NULL, 0);
}

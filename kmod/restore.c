// SPDX-License-Identifier: GPL-2.0
/*
 * mig: restore. Runs in the context of the process being rebuilt (a fresh
 * process at a destination, or the deputy at home when its process comes
 * back) on its way to user mode. Every message is checked before use: a
 * bad stream fails the restore, and only ever harms this process, which
 * the caller then ends.
 *
 * The last step hands over to user mode through a small trampoline page:
 * it maps the vDSO where the process had it (arch_prctl(ARCH_MAP_VDSO_64)),
 * sets the FS and GS bases, and ends with rt_sigreturn on a frame built
 * here, so the kernel's own signal-return path restores the general
 * registers, the full XSAVE state, the signal mask and the sigaltstack.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/futex.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/prctl.h>
#include <asm/sigframe.h>
#include <asm/fpu/types.h>
#include <uapi/asm/sigcontext.h>
#include <uapi/asm/ucontext.h>

#include "emit.h"
#include "mig.h"

#define MIG_STREAM_TIMEOUT	(30 * HZ)
/* fs.nr_open is not exported: never raise a limit past its default. */
#define MIG_NR_OPEN_DEFAULT	(1024 * 1024)
/*
 * File mappings per move whose content may be asked for: any number a
 * process may have (vm.max_map_count is 65530 by default).
 */
#define MIG_WANT_MAX		(1U << 20)
#define MIG_WANT_FIRST		64
/* Shared memory objects larger than this are not believed (1 TiB). */
#define MIG_SHM_SIZE_MAX	BIT_ULL(40)
#define MIG_SA_KNOWN	(SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | \
			 SA_ONSTACK | SA_RESTART | SA_NODEFER | \
			 SA_RESETHAND | SA_RESTORER)

struct mig_restore {
	struct mig_chan *chan;
	struct mig_msg_task task;
	struct mig_msg_state state;	/* kernel-held state (state.c) */
	void *xstate;
	u32 xstate_len;
	struct file *shm[MIG_SHM_MAX + 1];	/* by shm_id; [0] unused */
	/* File mappings made anonymous here, their content asked for. */
	struct mig_range { u64 start, end; } *want;
	unsigned int nwant, want_room;
	/* At a destination: the process's own, to open files and to keep. */
	struct cred *cred;
	/* The last file found the same as at home, not digested again. */
	struct inode *same_inode;
	u8 same_digest[MIG_DIGEST_LEN];
	/*
	 * A live move: pages came before TASK into stand-in mappings; the
	 * mappings after it keep them where mig_live_mapping() says, and
	 * everything below @live_end not in a mapping so far is gone.
	 */
	ktime_t t_task;
	/* The threads: the capturing one's (TASK) first, then THREADs. */
	struct mig_restore_threads *rt;
	struct mig_frame *after_threads;	/* the first frame after them */
	bool live;
	bool live_mapped;		/* all mappings are in place */
	unsigned long live_end;
};

static struct mig_frame *mig_restore_next(struct mig_restore *r)
{
	struct mig_frame *f = mig_chan_recv(r->chan, MIG_STREAM_TIMEOUT);

	if (!IS_ERR(f) && f->type == MIG_MSG_MOVE_ABORT) {
		mig_frame_free(f);
		return ERR_PTR(-ECANCELED);
	}
	return f;
}

static int mig_bad_stream(const char *what)
{
	mig_stat_inc(MIG_STAT_BAD_STREAM);
	pr_warn_ratelimited("refused migration stream: %s\n", what);
	return -EPROTO;
}

/* TASK's thread part, as a record like those of THREAD. */
static void mig_thread_from_task(struct mig_msg_thread *th,
				 const struct mig_msg_task *t, u32 home_pid)
{
	memset(th, 0, sizeof(*th));
	th->regs = t->regs;
	th->blocked = t->blocked;
	th->altstack_sp = t->altstack_sp;
	th->altstack_size = t->altstack_size;
	th->altstack_flags = t->altstack_flags;
	th->rseq = t->rseq;
	th->rseq_sig = t->rseq_sig;
	th->sleep = t->sleep;
	th->home_tid = t->home_tid ?: cpu_to_be32(home_pid);
	th->clear_child_tid = t->clear_child_tid;
	th->robust_list = t->robust_list;
	th->robust_len = t->robust_len;
	th->xstate_len = t->xstate_len;
	th->pending = t->pending;
}

static int mig_restore_take_task(struct mig_restore *r, struct mig_frame *f)
{
	const struct mig_msg_task *t = f->data;
	struct mig_restore_threads *rt = r->rt;
	u32 xlen;

	if (f->type != MIG_MSG_MOVE_TASK)
		return mig_bad_stream("no task state first");
	xlen = be32_to_cpu(t->xstate_len);
	if (xlen != f->len - sizeof(*t) || xlen < 576)
		return mig_bad_stream("xstate size");
	memcpy(&r->task, t, sizeof(*t));
	rt->t = kvcalloc(MIG_THREADS_MAX, sizeof(*rt->t), GFP_KERNEL);
	if (!rt->t)
		return -ENOMEM;
	rt->t[0].xstate = kvmalloc(xlen, GFP_KERNEL);
	if (!rt->t[0].xstate)
		return -ENOMEM;
	memcpy(rt->t[0].xstate, t + 1, xlen);
	rt->t[0].xstate_len = xlen;
	mig_thread_from_task(&rt->t[0].msg, t, rt->home_pid);
	rt->n = 1;
	return 0;
}

static bool mig_thread_tid_known(const struct mig_restore_threads *rt, u32 tid)
{
	int i;

	for (i = 0; i < rt->n; i++)
		if (be32_to_cpu(rt->t[i].msg.home_tid) == tid)
			return true;
	return false;
}

/* One THREAD: checked alone here, as a set by the caller's check(). */
static int mig_restore_take_thread(struct mig_restore *r, struct mig_frame *f)
{
	const struct mig_msg_thread *m = f->data;
	struct mig_restore_threads *rt = r->rt;
	struct mig_rthread *th;
	u32 xlen = be32_to_cpu(m->xstate_len);
	u32 tid = be32_to_cpu(m->home_tid);

	if (rt->n == MIG_THREADS_MAX)
		return mig_bad_stream("too many threads");
	if (xlen != f->len - sizeof(*m) || xlen < 576 ||
	    xlen != r->rt->t[0].xstate_len)
		return mig_bad_stream("thread xstate size");
	if (!tid || tid > PID_MAX_LIMIT || mig_thread_tid_known(rt, tid) ||
	    !m->chan_id || be32_to_cpu(m->mig_id) != r->chan->id)
		return mig_bad_stream("thread");
	th = &rt->t[rt->n];
	th->xstate = kvmalloc(xlen, GFP_KERNEL);
	if (!th->xstate)
		return -ENOMEM;
	memcpy(&th->msg, m, sizeof(*m));
	memcpy(th->xstate, m + 1, xlen);
	th->xstate_len = xlen;
	rt->n++;
	return 0;
}

/* The THREADs after STATE, and the frame that follows them. */
static int mig_restore_take_threads(struct mig_restore *r)
{
	struct mig_frame *f;
	int err;

	for (;;) {
		f = mig_restore_next(r);
		if (IS_ERR(f))
			return PTR_ERR(f);
		if (f->type != MIG_MSG_MOVE_THREAD) {
			r->after_threads = f;
			break;
		}
		err = mig_restore_take_thread(r, f);
		mig_frame_free(f);
		if (err)
			return err;
	}
	if (r->rt->check)
		return r->rt->check(r->rt);
	return r->rt->n > 1 ? mig_bad_stream("threads nobody takes") : 0;
}

/* The caller's thread, at home, is the one whose record it restores. */
static int mig_restore_own_first(struct mig_restore_threads *rt)
{
	struct mig_rthread tmp;
	int i;

	if (rt->mode != MIG_THREADS_HAND)
		return 0;
	for (i = 0; i < rt->n; i++) {
		if (be32_to_cpu(rt->t[i].msg.home_tid) != rt->self_tid)
			continue;
		tmp = rt->t[0];
		rt->t[0] = rt->t[i];
		rt->t[i] = tmp;
		return 0;
	}
	return mig_bad_stream("no state for the thread restoring it");
}

void mig_restore_threads_free(struct mig_restore_threads *rt)
{
	int i;

	if (!rt->t)
		return;
	for (i = 0; i < rt->n; i++)
		kvfree(rt->t[i].xstate);
	kvfree(rt->t);
	rt->t = NULL;
	rt->n = 0;
}

/* STATE, right after TASK, checked whole before anything is set. */
static int mig_restore_take_state(struct mig_restore *r)
{
	struct mig_frame *f = mig_restore_next(r);
	int err = 0;

	if (IS_ERR(f))
		return PTR_ERR(f);
	if (f->type != MIG_MSG_MOVE_STATE || f->len != sizeof(r->state))
		err = mig_bad_stream("no kernel state after the task's");
	else
		memcpy(&r->state, f->data, sizeof(r->state));
	mig_frame_free(f);
	if (!err && mig_state_check(&r->state))
		err = mig_bad_stream("kernel state");
	return err;
}

static bool mig_user_range_ok(u64 start, u64 end)
{
	return start < end && end <= TASK_SIZE_MAX &&
	       PAGE_ALIGNED(start) && PAGE_ALIGNED(end);
}

/* The file must be the one the process had at home. */
static int mig_check_file(struct mig_restore *r, struct file *file,
			  const struct mig_msg_vma *v)
{
	struct inode *inode = file_inode(file);
	int err;

	if (inode == r->same_inode &&
	    !memcmp(r->same_digest, v->file_digest, MIG_DIGEST_LEN) &&
	    i_size_read(inode) == be64_to_cpu(v->file_size))
		return 0;
	err = mig_file_matches(file, be64_to_cpu(v->file_size),
			       be64_to_cpu(v->file_mtime_ns), v->file_digest);
	if (!err) {
		r->same_inode = inode;
		memcpy(r->same_digest, v->file_digest, MIG_DIGEST_LEN);
	}
	return err;
}

/*
 * The shared memory object @id of @size bytes: made at its first mapping,
 * the same for every other. Returns a reference for the caller.
 */
static struct file *mig_restore_shm(struct mig_restore *r, u16 id, u64 size)
{
	struct file *file;

	if (!id || id > MIG_SHM_MAX || !size || size > MIG_SHM_SIZE_MAX)
		return ERR_PTR(mig_bad_stream("shared memory object"));
	file = r->shm[id];
	if (file) {
		if (i_size_read(file_inode(file)) != size)
			return ERR_PTR(mig_bad_stream("shared memory size"));
		return get_file(file);
	}
	/* The name MAP_SHARED|MAP_ANONYMOUS gives it: "/dev/zero (deleted)". */
	file = shmem_file_setup("dev/zero", size, VM_NORESERVE);
	if (IS_ERR(file))
		return file;
	r->shm[id] = file;
	return get_file(file);
}

/*
 * Opens the file of mapping @v, with the current credentials: the
 * process's (mig_restore_mm()).
 */
static struct file *mig_restore_open(struct mig_restore *r,
				     const struct mig_msg_vma *v)
{
	u16 path_len = be16_to_cpu(v->path_len);
	struct file *file;
	char *path;
	int err;

	path = kmemdup_nul((const char *)(v + 1), path_len, GFP_KERNEL);
	if (!path)
		return ERR_PTR(-ENOMEM);
	file = mig_open_mapped(path);
	if (IS_ERR(file)) {
		pr_info("cannot open %s here: %ld\n", path, PTR_ERR(file));
	} else {
		err = mig_check_file(r, file, v);
		if (err) {
			pr_info("%s differs here from the home node's\n", path);
			fput(file);
			file = ERR_PTR(err);
		}
	}
	kfree(path);
	return file;
}

/* Room for twice as many wanted mappings. */
static int mig_want_grow(struct mig_restore *r)
{
	unsigned int room = r->want_room ? 2 * r->want_room : MIG_WANT_FIRST;
	struct mig_range *want;

	if (r->want_room >= MIG_WANT_MAX)
		return -E2BIG;
	want = kvmalloc_array(room, sizeof(*want), GFP_KERNEL);
	if (!want)
		return -ENOMEM;
	if (r->nwant)
		memcpy(want, r->want, r->nwant * sizeof(*want));
	kvfree(r->want);
	r->want = want;
	r->want_room = room;
	return 0;
}

/*
 * A file the home node maps is not here, or not the same: the mapping
 * becomes anonymous, and its content will be asked for after END. False
 * if that cannot help (another error, or too many of them).
 */
static bool mig_want_content(struct mig_restore *r, int err, u64 start,
			     u64 end)
{
	if (err != -ENOENT && err != -ESTALE && err != -EACCES &&
	    err != -ENOTDIR && err != -ELOOP && err != -ENODEV)
		return false;
	if (r->nwant == r->want_room && mig_want_grow(r))
		return false;
	r->want[r->nwant].start = start;
	r->want[r->nwant].end = end;
	r->nwant++;
	return true;
}

/* Anonymous read-write memory wherever [start, end) has no mapping. */
static int mig_map_holes(unsigned long start, unsigned long end)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long hole_end, addr;

	while (start < end) {
		mmap_read_lock(mm);
		vma = find_vma(mm, start);
		if (vma && vma->vm_start <= start) {
			start = min(vma->vm_end, end);
			mmap_read_unlock(mm);
			continue;
		}
		hole_end = vma ? min(vma->vm_start, end) : end;
		mmap_read_unlock(mm);
		addr = vm_mmap(NULL, start, hole_end - start,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0);
		if (IS_ERR_VALUE(addr))
			return (long)addr;
		if (addr != start)
			return -EFAULT;
		start = hole_end;
	}
	return 0;
}

/*
 * A mapping of a live move, in address order: what lies between it and
 * the one before goes; where the pre-copied pages stay valid the
 * stand-ins are kept and completed, else the mapping is made anew.
 * 1 when done, 0 to map it the usual way.
 */
static int mig_restore_live_vma(struct mig_restore *r, u64 start, u64 end,
				u32 flags, u32 prot)
{
	if (start < r->live_end)
		return mig_bad_stream("mappings out of order");
	if (start > r->live_end)
		vm_munmap(r->live_end, start - r->live_end);
	r->live_end = end;
	if (!mig_live_mapping(flags, prot))
		return 0;
	return mig_map_holes(start, end) ?: 1;
}

/* After the last mapping: no stand-in of the pre-copy is left. */
static void mig_restore_live_done(struct mig_restore *r)
{
	if (!r->live || r->live_mapped)
		return;
	r->live_mapped = true;
	if (r->live_end < TASK_SIZE)
		vm_munmap(r->live_end, TASK_SIZE - r->live_end);
}

static int mig_restore_vma(struct mig_restore *r, struct mig_frame *f)
{
	const struct mig_msg_vma *v = f->data;
	u64 start = be64_to_cpu(v->start), end = be64_to_cpu(v->end);
	u32 flags = be32_to_cpu(v->flags), prot = be32_to_cpu(v->prot);
	u16 path_len = be16_to_cpu(v->path_len);
	unsigned long mflags = MAP_FIXED_NOREPLACE, addr;
	struct file *file = NULL;

	if (!mig_user_range_ok(start, end) || prot & ~7U ||
	    flags & ~MIG_VMA_KNOWN || path_len != f->len - sizeof(*v) ||
	    !!(flags & MIG_VMA_FILE) != !!path_len ||
	    ((flags & MIG_VMA_SHMEM) &&
	     (flags & ~(MIG_VMA_SHMEM | MIG_VMA_ADVICE))) ||
	    (!(flags & MIG_VMA_SHMEM) && v->shm_id) ||
	    mig_vma_advice_check(flags) ||
	    be64_to_cpu(v->pgoff) > (ULONG_MAX >> PAGE_SHIFT))
		return mig_bad_stream("mapping");
	if (r->live) {
		int done;

		if (r->live_mapped)
			return mig_bad_stream("mapping after pages");
		done = mig_restore_live_vma(r, start, end, flags, prot);
		if (done)
			return done < 0 ? done : 0;
	}

	if (flags & MIG_VMA_SHMEM) {
		file = mig_restore_shm(r, be16_to_cpu(v->shm_id),
				       be64_to_cpu(v->file_size));
		mflags |= MAP_SHARED;
	} else if (flags & MIG_VMA_FILE) {
		file = mig_restore_open(r, v);
		mflags |= flags & MIG_VMA_SHARED ? MAP_SHARED : MAP_PRIVATE;
		if (IS_ERR(file) && mig_want_content(r, PTR_ERR(file), start, end)) {
			file = NULL;
			mflags = MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS;
		}
	} else {
		mflags |= MAP_PRIVATE | MAP_ANONYMOUS;
		if (flags & MIG_VMA_GROWSDOWN)
			mflags |= MAP_GROWSDOWN;
	}
	if (IS_ERR(file))
		return PTR_ERR(file);
	if (r->live)
		vm_munmap(start, end - start);	/* stand-ins of the pre-copy */
	addr = mig_mmap_advised(file, start, end - start, prot, mflags,
				be64_to_cpu(v->pgoff) << PAGE_SHIFT, flags);
	if (file)
		fput(file);
	if (IS_ERR_VALUE(addr))
		return (long)addr;
	return addr == start ? 0 : -EFAULT;
}

/* A page of shared memory goes into its object, whatever the protection. */
static int mig_write_shm_page(struct file *file, loff_t pos, const void *data)
{
	loff_t size = i_size_read(file_inode(file));
	ssize_t done;

	if (pos >= size)
		return mig_bad_stream("page past the end of shared memory");
	done = kernel_write(file, data, min_t(loff_t, PAGE_SIZE, size - pos),
			    &pos);
	return done < 0 ? done : 0;
}

static bool mig_is_restored_shm(struct mig_restore *r, struct file *file)
{
	int i;

	for (i = 1; i <= MIG_SHM_MAX; i++)
		if (file && r->shm[i] == file)
			return true;
	return false;
}

static int mig_write_page(struct mig_restore *r, unsigned long addr,
			  const void *data)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct file *shm = NULL;
	loff_t pos = 0;
	bool writable;
	int err;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr && vma->vm_flags & VM_SHARED &&
	    mig_is_restored_shm(r, vma->vm_file)) {
		shm = get_file(vma->vm_file);
		pos = ((loff_t)vma->vm_pgoff << PAGE_SHIFT) + addr - vma->vm_start;
	} else if (!vma || vma->vm_start > addr || vma->vm_flags & VM_SHARED) {
		mmap_read_unlock(mm);
		return mig_bad_stream("page outside a private mapping");
	}
	writable = vma->vm_flags & VM_WRITE;
	mmap_read_unlock(mm);

	if (shm) {
		err = mig_write_shm_page(shm, pos, data);
		fput(shm);
		return err;
	}
	if (writable)
		return copy_to_user((void __user *)addr, data, PAGE_SIZE) ?
		       -EFAULT : 0;
	/* Read-only now (RELRO, text): write as a debugger would. */
	if (access_process_vm(current, addr, (void *)data, PAGE_SIZE,
			      FOLL_FORCE | FOLL_WRITE) != PAGE_SIZE)
		return -EFAULT;
	return 0;
}

static int mig_restore_pages(struct mig_restore *r, struct mig_frame *f)
{
	const struct mig_msg_pages *p = f->data;
	u32 count = be32_to_cpu(p->count), i;
	const __be64 *addrs = (const __be64 *)(p + 1);
	const u8 *data = (const u8 *)(addrs + count);
	int err;

	if (!count || count > MIG_PAGES_PER_MSG ||
	    f->len != sizeof(*p) + count * (8 + MIG_PAGE_SIZE))
		return mig_bad_stream("page batch size");
	for (i = 0; i < count; i++) {
		u64 addr = be64_to_cpu(addrs[i]);

		if (!mig_user_range_ok(addr, addr + PAGE_SIZE))
			return mig_bad_stream("page address");
		err = mig_write_page(r, addr, data + i * MIG_PAGE_SIZE);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Pages sent before TASK that the process no longer has: each is in a
 * mapping that kept its pre-copied pages, and reads as zeros again.
 */
static int mig_restore_forget(struct mig_frame *f)
{
	const struct mig_msg_pages *p = f->data;
	const __be64 *addrs = (const __be64 *)(p + 1);
	u32 count = be32_to_cpu(p->count), i;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool ok;

	if (!count || count > MIG_FORGET_PER_MSG ||
	    f->len != sizeof(*p) + count * sizeof(*addrs))
		return mig_bad_stream("forget size");
	for (i = 0; i < count; i++) {
		u64 addr = be64_to_cpu(addrs[i]);

		if (!mig_user_range_ok(addr, addr + PAGE_SIZE))
			return mig_bad_stream("forget address");
		mmap_read_lock(mm);
		vma = find_vma(mm, addr);
		ok = vma && vma->vm_start <= addr && !vma->vm_file &&
		     (vma->vm_flags & (VM_SHARED | VM_WRITE)) == VM_WRITE;
		mmap_read_unlock(mm);
		if (!ok)
			return mig_bad_stream("forget outside a kept mapping");
		if (clear_user((void __user *)addr, PAGE_SIZE))
			return -EFAULT;
	}
	return 0;
}

/*
 * One page of a pre-copy round: into a stand-in mapping (anonymous,
 * read-write) made for it if none covers it yet; pages in a run are
 * usually fresh together, so a run is mapped at once.
 */
static int mig_precopy_map(unsigned long addr, unsigned long len)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long got;
	bool free;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	free = !vma || vma->vm_start >= addr + len;
	mmap_read_unlock(mm);
	if (!free)
		return len == PAGE_SIZE ? 0 : -EEXIST;
	got = vm_mmap(NULL, addr, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0);
	if (IS_ERR_VALUE(got))
		return (long)got;
	return got == addr ? 0 : -EFAULT;
}

static bool mig_spans_meet(const struct mig_span *avoid, int navoid,
			   u64 start, u64 end)
{
	int i;

	for (i = 0; i < navoid; i++)
		if (start < avoid[i].end && avoid[i].start < end)
			return true;
	return false;
}

/*
 * One PAGES frame of a pre-copy round, into current's memory (a guest's,
 * or the deputy's own); pages must not meet the @navoid ranges of
 * @avoid (the deputy's stub and scratch): -EADDRINUSE if one does.
 */
int mig_precopy_frame(struct mig_frame *f, const struct mig_span *avoid,
		      int navoid)
{
	const struct mig_msg_pages *p = f->data;
	u32 count, i, n;
	const __be64 *addrs = (const __be64 *)(p + 1);
	const u8 *data;
	int err;

	if (f->type != MIG_MSG_MOVE_PAGES)
		return mig_bad_stream("unexpected message in a pre-copy");
	count = be32_to_cpu(p->count);
	data = (const u8 *)(addrs + count);
	if (!count || count > MIG_PAGES_PER_MSG ||
	    f->len != sizeof(*p) + count * (8 + MIG_PAGE_SIZE))
		return mig_bad_stream("page batch size");
	for (i = 0; i < count; i += n) {
		u64 addr = be64_to_cpu(addrs[i]);

		for (n = 1; i + n < count &&
		     be64_to_cpu(addrs[i + n]) == addr + n * PAGE_SIZE; n++)
			;
		if (!mig_user_range_ok(addr, addr + n * PAGE_SIZE))
			return mig_bad_stream("page address");
		if (mig_spans_meet(avoid, navoid, addr, addr + n * PAGE_SIZE))
			return -EADDRINUSE;
		err = mig_precopy_map(addr, n * PAGE_SIZE);
		if (err == -EEXIST) {	/* partly mapped: page by page */
			n = 1;
			err = mig_precopy_map(addr, PAGE_SIZE);
		}
		if (err)
			return err;
		if (copy_to_user((void __user *)addr, data + i * MIG_PAGE_SIZE,
				 n * PAGE_SIZE))
			return -EFAULT;
	}
	return 0;
}

/*
 * A live move's pre-copy: its rounds of PAGES, up to TASK, which is
 * returned in *@fp. The process's own memory goes first, all of it.
 */
static int mig_restore_precopy(struct mig_restore *r, struct mig_frame **fp)
{
	struct mig_frame *f;
	int err;

	mig_unmap_all();
	for (;;) {
		f = mig_restore_next(r);
		if (IS_ERR(f))
			return PTR_ERR(f);
		if (f->type != MIG_MSG_MOVE_PAGES) {
			*fp = f;
			return 0;
		}
		err = mig_precopy_frame(f, NULL, 0);
		mig_frame_free(f);
		if (err)
			return err;
		cond_resched();
	}
}

/* Asks for every wanted mapping's content, then takes it in. */
static int mig_restore_wanted(struct mig_restore *r)
{
	unsigned int i, ends = 0;
	struct mig_frame *f;
	int err = 0;

	for (i = 0; i < r->nwant && !err; i++) {
		struct mig_msg_want w = {
			.mig_id = cpu_to_be32(r->chan->id),
			.start = cpu_to_be64(r->want[i].start),
			.end = cpu_to_be64(r->want[i].end),
		};
		struct kvec vec = { &w, sizeof(w) };

		err = mig_chan_send(r->chan, MIG_MSG_MOVE_WANT, &vec, 1);
	}
	while (!err && ends < r->nwant) {
		f = mig_restore_next(r);
		if (IS_ERR(f))
			return PTR_ERR(f);
		if (f->type == MIG_MSG_MOVE_PAGES)
			err = mig_restore_pages(r, f);
		else if (f->type == MIG_MSG_MOVE_END)
			ends++;
		else
			err = mig_bad_stream("unexpected message");
		mig_frame_free(f);
	}
	return err;
}

/* The mappings and pages, up to END, and the content asked for after. */
static int mig_restore_mm(struct mig_restore *r)
{
	struct mig_frame *f;
	int err;

	for (;;) {
		f = r->after_threads ?: mig_restore_next(r);
		r->after_threads = NULL;
		if (IS_ERR(f))
			return PTR_ERR(f);
		if (f->type != MIG_MSG_MOVE_VMA)
			mig_restore_live_done(r);
		if (f->type == MIG_MSG_MOVE_END) {
			mig_frame_free(f);
			break;
		}
		if (f->type == MIG_MSG_MOVE_VMA)
			err = mig_restore_vma(r, f);
		else if (f->type == MIG_MSG_MOVE_PAGES)
			err = mig_restore_pages(r, f);
		else if (f->type == MIG_MSG_MOVE_FORGET && r->live)
			err = mig_restore_forget(f);
		else
			err = mig_bad_stream("unexpected message");
		mig_frame_free(f);
		if (err)
			return err;
	}
	return r->nwant ? mig_restore_wanted(r) : 0;
}

/*
 * mig_restore_mm() as the process: a guest's helper is root, but the
 * files mapped are opened, and the mappings made, with the credentials
 * the process is to have, so it maps nothing it could not at home.
 */
static int mig_restore_mm_as(struct mig_restore *r)
{
	const struct cred *old;
	int err;

	if (!r->cred)
		return mig_restore_mm(r);
	old = override_creds(r->cred);
	err = mig_restore_mm(r);
	revert_creds(old);
	return err;
}

static int mig_restore_mm_fields(const struct mig_msg_task *t)
{
	struct mm_struct *mm = current->mm;
	u64 v[] = {
		be64_to_cpu(t->start_code), be64_to_cpu(t->end_code),
		be64_to_cpu(t->start_data), be64_to_cpu(t->end_data),
		be64_to_cpu(t->start_brk), be64_to_cpu(t->brk),
		be64_to_cpu(t->start_stack),
		be64_to_cpu(t->arg_start), be64_to_cpu(t->arg_end),
		be64_to_cpu(t->env_start), be64_to_cpu(t->env_end),
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i] > TASK_SIZE_MAX)
			return mig_bad_stream("mm layout");
	if (v[0] > v[1] || v[2] > v[3] || v[4] > v[5] || v[7] > v[8] ||
	    v[9] > v[10])
		return mig_bad_stream("mm layout order");

	mmap_write_lock(mm);
	mm->start_code = v[0];
	mm->end_code = v[1];
	mm->start_data = v[2];
	mm->end_data = v[3];
	mm->start_brk = v[4];
	mm->brk = v[5];
	mm->start_stack = v[6];
	mm->arg_start = v[7];
	mm->arg_end = v[8];
	mm->env_start = v[9];
	mm->env_end = v[10];
	mmap_write_unlock(mm);
	return 0;
}

static void mig_restore_sigactions(const struct mig_msg_task *t)
{
	struct sighand_struct *sighand = current->sighand;
	int i;

	spin_lock_irq(&sighand->siglock);
	for (i = 0; i < MIG_NSIG && i < _NSIG; i++) {
		struct sigaction *sa = &sighand->action[i].sa;

		if (i + 1 == SIGKILL || i + 1 == SIGSTOP)
			continue;
		sa->sa_handler = (__sighandler_t)(unsigned long)
				 be64_to_cpu(t->action[i].handler);
		sa->sa_flags = be64_to_cpu(t->action[i].flags) & MIG_SA_KNOWN;
		sa->sa_restorer = (__sigrestore_t)(unsigned long)
				  be64_to_cpu(t->action[i].restorer);
		sa->sa_mask.sig[0] = be64_to_cpu(t->action[i].mask) &
				     ~(sigmask(SIGKILL) | sigmask(SIGSTOP));
	}
	spin_unlock_irq(&sighand->siglock);
}

/*
 * What the kernel holds for one thread, from its record, in its own
 * context: the rseq, clear_child_tid and robust list registrations (only
 * addresses in the process's memory; the kernel checks them when it uses
 * them, and raises SIGSEGV on a bad rseq) and, @name, its name.
 */
void mig_restore_thread_kernel(const struct mig_msg_thread *th, bool name)
{
	u64 rseq = be64_to_cpu(th->rseq);
	u64 ctid = be64_to_cpu(th->clear_child_tid);
	u64 robust = be64_to_cpu(th->robust_list);

	if (rseq && rseq < TASK_SIZE_MAX && IS_ALIGNED(rseq, 32)) {
		current->rseq = (struct rseq __user *)(unsigned long)rseq;
		current->rseq_sig = be32_to_cpu(th->rseq_sig);
		rseq_set_notify_resume(current);
	}
	current->clear_child_tid = ctid < TASK_SIZE_MAX ?
				   (int __user *)(unsigned long)ctid : NULL;
	if (robust < TASK_SIZE_MAX &&
	    be64_to_cpu(th->robust_len) == sizeof(*current->robust_list))
		current->robust_list = (void __user *)(unsigned long)robust;
	if (name) {
		/* set_task_comm() is not exported: what it does, but tracing */
		task_lock(current);
		strscpy_pad(current->comm, th->comm, sizeof(current->comm));
		task_unlock(current);
	}
}

static void mig_restore_limits(const struct mig_msg_task *t)
{
	struct task_struct *leader = current->group_leader;
	int i;

	task_lock(leader);
	for (i = 0; i < MIG_NRLIMITS && i < RLIM_NLIMITS; i++) {
		u64 cur = be64_to_cpu(t->rlim[i].cur);
		u64 max = be64_to_cpu(t->rlim[i].max);

		if (cur > max || (i == RLIMIT_NOFILE && max > MIG_NR_OPEN_DEFAULT))
			continue;
		current->signal->rlim[i].rlim_cur = cur;
		current->signal->rlim[i].rlim_max = max;
	}
	task_unlock(leader);
	current->personality = be32_to_cpu(t->personality);
	current->fs->umask = be32_to_cpu(t->umask) & 0777;
}

static void mig_emit_syscall(struct mig_code *c, u32 nr, u32 arg1, u64 arg2)
{
	static const u8 syscall[] = { 0x0f, 0x05 };

	mig_emit_op_imm32(c, 0xb8, nr);		/* mov eax, nr */
	mig_emit_op_imm32(c, 0xbf, arg1);	/* mov edi, arg1 */
	mig_emit_movabs(c, 0xbe, arg2);		/* movabs rsi, arg2 */
	mig_emit(c, syscall, sizeof(syscall));
}

static void mig_emit_bail_if_error(struct mig_code *c)
{
	/* test rax, rax; jns +2; ud2 (ARCH_MAP_VDSO_64 returns a size) */
	static const u8 check[] = { 0x48, 0x85, 0xc0, 0x79, 0x02, 0x0f, 0x0b };

	mig_emit(c, check, sizeof(check));
}

static void mig_restore_block_all(void)
{
	sigset_t all;

	sigfillset(&all);
	sigdelsetmask(&all, sigmask(SIGKILL) | sigmask(SIGSTOP));
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/*
 * The trampoline: code first (the restoring thread's, then a few
 * instructions for each other thread), the state's data at the end of
 * the code, then one signal frame for each thread, with its XSAVE image.
 */
#define MIG_TRAMP_CODE		1152
#define MIG_TRAMP_PER_THREAD	128
#define MIG_FRAME_FPSTATE	ALIGN(sizeof(struct rt_sigframe), 64)
#define MIG_CLONE_THREAD_FLAGS	(CLONE_VM | CLONE_FS | CLONE_FILES | \
				 CLONE_SIGHAND | CLONE_THREAD | \
				 CLONE_SYSVSEM | CLONE_SETTLS)

static void mig_fill_frame(struct rt_sigframe *frame,
			   const struct mig_msg_thread *t, unsigned long fpstate)
{
	const struct mig_wire_regs *w = &t->regs;
	struct sigcontext_64 *sc = (void *)&frame->uc.uc_mcontext;
	u64 ss_size = be64_to_cpu(t->altstack_size);

	frame->uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS |
			     UC_STRICT_RESTORE_SS;
	frame->uc.uc_stack.ss_sp = (void __user *)(unsigned long)
				   be64_to_cpu(t->altstack_sp);
	frame->uc.uc_stack.ss_size = ss_size;
	frame->uc.uc_stack.ss_flags = ss_size ?
		be32_to_cpu(t->altstack_flags) & SS_AUTODISARM : SS_DISABLE;
	frame->uc.uc_sigmask.sig[0] = be64_to_cpu(t->blocked) &
				      ~(sigmask(SIGKILL) | sigmask(SIGSTOP));
	sc->r8 = be64_to_cpu(w->r8);
	sc->r9 = be64_to_cpu(w->r9);
	sc->r10 = be64_to_cpu(w->r10);
	sc->r11 = be64_to_cpu(w->r11);
	sc->r12 = be64_to_cpu(w->r12);
	sc->r13 = be64_to_cpu(w->r13);
	sc->r14 = be64_to_cpu(w->r14);
	sc->r15 = be64_to_cpu(w->r15);
	sc->di = be64_to_cpu(w->rdi);
	sc->si = be64_to_cpu(w->rsi);
	sc->bp = be64_to_cpu(w->rbp);
	sc->bx = be64_to_cpu(w->rbx);
	sc->dx = be64_to_cpu(w->rdx);
	sc->ax = be64_to_cpu(w->rax);
	sc->cx = be64_to_cpu(w->rcx);
	sc->sp = be64_to_cpu(w->rsp);
	sc->ip = be64_to_cpu(w->rip);
	sc->flags = be64_to_cpu(w->eflags);
	sc->cs = __USER_CS;
	sc->ss = __USER_DS;
	sc->fpstate = fpstate;
}

/* The XSAVE image becomes a signal frame's fpstate: mark it so. */
static void mig_fix_xstate(void *xstate, u32 len)
{
	struct fxregs_state *fx = xstate;
	struct _fpx_sw_bytes *sw = (void *)fx->sw_reserved;
	u64 xfeatures = sw->magic1 == FP_XSTATE_MAGIC1 ? sw->xfeatures : 0;

	if (!xfeatures)
		xfeatures = *(u64 *)((u8 *)xstate + 512) | XFEATURE_MASK_FPSSE;
	sw->magic1 = FP_XSTATE_MAGIC1;
	sw->xstate_size = len;
	sw->extended_size = len + FP_XSTATE_MAGIC2_SIZE;
	sw->xfeatures = xfeatures;
}

static size_t mig_frame_size(const struct mig_rthread *t)
{
	return ALIGN(MIG_FRAME_FPSTATE + t->xstate_len + FP_XSTATE_MAGIC2_SIZE,
		     64);
}

/* Thread @t's frame at @off of the trampoline (@buf, mapped at @base). */
static void mig_put_frame(u8 *buf, unsigned long base, size_t off,
			  struct mig_rthread *t)
{
	u32 magic2 = FP_XSTATE_MAGIC2;

	mig_fill_frame((struct rt_sigframe *)(buf + off), &t->msg,
		       base + off + MIG_FRAME_FPSTATE);
	mig_fix_xstate(t->xstate, t->xstate_len);
	memcpy(buf + off + MIG_FRAME_FPSTATE, t->xstate, t->xstate_len);
	memcpy(buf + off + MIG_FRAME_FPSTATE + t->xstate_len, &magic2,
	       sizeof(magic2));
}

/* rsp at the frame, rt_sigreturn (which finds it 8 bytes below rsp). */
static void mig_emit_sigreturn(struct mig_code *c, unsigned long frame)
{
	mig_emit_movabs(c, 0xbc, frame + 8);		/* movabs rsp, frame+8 */
	mig_emit_op_imm32(c, 0xb8, __NR_rt_sigreturn);
	mig_emit(c, "\x0f\x05\x0f\x0b", 4);		/* syscall; ud2 */
}

static void mig_emit_set_base(struct mig_code *c, u32 code, u64 base)
{
	mig_emit_syscall(c, __NR_arch_prctl, code, base);
}

/* jcc rel32 to be patched: returns where the offset goes. */
static u8 *mig_emit_jcc(struct mig_code *c, u8 cc)
{
	u8 op[2] = { 0x0f, cc };
	u32 zero = 0;
	u8 *at;

	mig_emit(c, op, 2);
	at = c->p;
	mig_emit(c, &zero, 4);
	return at;
}

static void mig_patch_jcc(u8 *at, const u8 *to)
{
	s32 rel = to - (at + 4);

	memcpy(at, &rel, 4);
}

/*
 * At a destination: clone the other threads, each into its own frame
 * with its FS base (CLONE_SETTLS); the syscall hook adopts each child
 * (mig_guest's forked()) before it runs. A child sets its GS base if it
 * had one, traps in with its index (r12) to take its kernel state, and
 * returns to its frame. The restoring thread then traps with 0, or with
 * the clone's error.
 */
static void mig_emit_spawn(struct mig_code *c, struct mig_restore_threads *rt,
			   unsigned long base, const size_t *frame_off)
{
	u8 *over, *skip, *child, *fail;
	int i;

	/* The children's code and the failure first: jumped to backwards. */
	mig_emit(c, "\xe9", 1);					/* jmp rel32 */
	over = c->p;
	mig_emit(c, "\0\0\0\0", 4);

	fail = c->p;
	mig_emit(c, "\x48\x89\xc2", 3);			/* mov rdx, rax */
	mig_emit_trap(c);
	mig_emit(c, "\x0f\x0b", 2);				/* ud2 */

	child = c->p;
	mig_emit(c, "\x4d\x85\xed\x74", 4);		/* test r13; jz */
	skip = c->p;
	mig_emit(c, "\x00", 1);
	mig_emit_op_imm32(c, 0xb8, __NR_arch_prctl);
	mig_emit_op_imm32(c, 0xbf, ARCH_SET_GS);
	mig_emit(c, "\x4c\x89\xee\x0f\x05", 5);		/* mov rsi, r13; syscall */
	*skip = c->p - (skip + 1);
	mig_emit(c, "\x4c\x89\xe2", 3);			/* mov rdx, r12 */
	mig_emit_trap(c);
	mig_emit_op_imm32(c, 0xb8, __NR_rt_sigreturn);
	mig_emit(c, "\x0f\x05\x0f\x0b", 4);
	mig_patch_jcc(over, c->p);

	for (i = 1; i < rt->n; i++) {
		const struct mig_wire_regs *w = &rt->t[i].msg.regs;
		u64 gs = be64_to_cpu(w->gs_base), fs = be64_to_cpu(w->fs_base);

		mig_emit(c, "\x41\xbc", 2);			/* mov r12d, i */
		mig_emit(c, &i, 4);
		mig_emit(c, "\x49\xbd", 2);			/* movabs r13, gs */
		mig_emit(c, &gs, 8);
		mig_emit_op_imm32(c, 0xb8, __NR_clone);
		mig_emit_op_imm32(c, 0xbf, MIG_CLONE_THREAD_FLAGS);
		mig_emit_movabs(c, 0xbe, base + frame_off[i] + 8);
		mig_emit(c, "\x31\xd2\x45\x31\xd2", 5);	/* edx, r10d = 0 */
		mig_emit(c, "\x49\xb8", 2);			/* movabs r8, fs */
		mig_emit(c, &fs, 8);
		mig_emit(c, "\x0f\x05\x48\x85\xc0", 5);	/* syscall; test */
		mig_patch_jcc(mig_emit_jcc(c, 0x84), child);	/* jz child */
		mig_patch_jcc(mig_emit_jcc(c, 0x88), fail);	/* js fail */
	}
	mig_emit(c, "\x31\xd2", 2);				/* xor edx, edx */
	mig_emit_trap(c);
	mig_emit_sigreturn(c, base + frame_off[0]);
}

/*
 * At home: the deputy of each other thread leaves for its own few
 * instructions here once the restoring thread trapped in (its vDSO and
 * state are in place by then): its FS and GS bases, then its frame. A
 * deputy whose thread ended away leaves for exit(0).
 */
static void mig_emit_resume(struct mig_code *c, struct mig_restore_threads *rt,
			    unsigned long base, const size_t *frame_off,
			    const u8 *code)
{
	int i;

	mig_emit(c, "\x31\xd2", 2);				/* xor edx, edx */
	mig_emit_trap(c);
	mig_emit_sigreturn(c, base + frame_off[0]);
	for (i = 1; i < rt->n; i++) {
		const struct mig_wire_regs *w = &rt->t[i].msg.regs;

		rt->t[i].resume_ip = base + (c->p - code);
		mig_emit_set_base(c, ARCH_SET_FS, be64_to_cpu(w->fs_base));
		mig_emit_set_base(c, ARCH_SET_GS, be64_to_cpu(w->gs_base));
		mig_emit_sigreturn(c, base + frame_off[i]);
	}
	rt->exit_ip = base + (c->p - code);
	mig_emit_op_imm32(c, 0xb8, __NR_exit);
	mig_emit(c, "\x31\xff\x0f\x05\x0f\x0b", 6);	/* edi 0; syscall */
}

static int mig_enter_trampoline(struct mig_restore *r, unsigned long *tramp)
{
	struct mig_restore_threads *rt = r->rt;
	const struct mig_msg_task *t = &r->task;
	size_t code_size = MIG_TRAMP_CODE + (rt->n - 1) * MIG_TRAMP_PER_THREAD;
	struct pt_regs *regs = task_pt_regs(current);
	size_t *frame_off, size;
	unsigned long base;
	struct mig_code c;
	u8 *buf;
	int i, err = 0;

	frame_off = kcalloc(rt->n, sizeof(*frame_off), GFP_KERNEL);
	if (!frame_off)
		return -ENOMEM;
	size = ALIGN(code_size, 64);
	for (i = 0; i < rt->n; i++) {
		frame_off[i] = size;
		size += mig_frame_size(&rt->t[i]);
	}
	size = PAGE_ALIGN(size);
	buf = kvzalloc(size, GFP_KERNEL);
	if (!buf) {
		kfree(frame_off);
		return -ENOMEM;
	}
	base = vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(base)) {
		kvfree(buf);
		kfree(frame_off);
		return (long)base;
	}

	c.p = buf;
	if (be64_to_cpu(t->vdso)) {
		mig_emit_syscall(&c, __NR_arch_prctl, ARCH_MAP_VDSO_64,
				 be64_to_cpu(t->vvar));
		mig_emit_bail_if_error(&c);
	}
	mig_emit_set_base(&c, ARCH_SET_FS,
			  be64_to_cpu(rt->t[0].msg.regs.fs_base));
	mig_emit_set_base(&c, ARCH_SET_GS,
			  be64_to_cpu(rt->t[0].msg.regs.gs_base));
	/* Timers and membarrier, by the process's own calls. */
	mig_state_emit(&c, &r->state, buf + code_size - MIG_STATE_TRAMP_DATA,
		       base + code_size - MIG_STATE_TRAMP_DATA);
	if (rt->mode == MIG_THREADS_HAND && (rt->n > 1 || rt->trap))
		mig_emit_resume(&c, rt, base, frame_off, buf);
	else if (rt->n > 1)
		mig_emit_spawn(&c, rt, base, frame_off);
	else
		mig_emit_sigreturn(&c, base + frame_off[0]);
	/* Bounded by construction; never let frames hide an overrun. */
	if (c.p - buf > code_size - MIG_STATE_TRAMP_DATA) {
		pr_err("trampoline code overran its room\n");
		err = -EINVAL;
	}
	for (i = 0; i < rt->n; i++)
		mig_put_frame(buf, base, frame_off[i], &rt->t[i]);

	if (!err && copy_to_user((void __user *)base, buf, size))
		err = -EFAULT;
	kvfree(buf);
	kfree(frame_off);
	if (err)
		return err;

	rt->tramp_start = base;
	rt->tramp_end = base + code_size;
	regs->ip = base;
	regs->sp = base + size;
	regs->flags = X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	regs->orig_ax = -1;	/* no syscall restart on the way out */
	*tramp = base;
	return 0;
}

/* Whether the task's user ip is in the trampoline's code (after a call). */
bool mig_in_tramp(const struct mig_restore_threads *rt,
		  const struct pt_regs *regs)
{
	return regs->ip > rt->tramp_start && regs->ip <= rt->tramp_end;
}

/* Its trap (ioctl(-1, MIG_TRAP_MAGIC, rdx)) from the trampoline's code. */
bool mig_tramp_trap(const struct mig_restore_threads *rt,
		    const struct pt_regs *regs)
{
	return regs->orig_ax == __NR_ioctl && (int)regs->di == -1 &&
	       (u32)regs->si == MIG_TRAP_MAGIC && mig_in_tramp(rt, regs);
}

/*
 * Rebuilds current from the stream on @chan (after BEGIN). On success the
 * task returns to user mode as the migrated process; on error the task is
 * no longer what it was and the caller must end it.
 */
/*
 * The pages just written were counted in current's own split RSS cache
 * (mm_types_task.h), which the kernel folds into the process's counters
 * only at current's 64th fault or an unmap of its own: a restored thread
 * that rarely faults left VmRSS 0 in /proc/PID/status for good. Unmapping
 * a page of its own, written, folds them now.
 */
static void mig_restore_sync_rss(void)
{
	unsigned long addr;

	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return;
	/* Written, it has a page table, whose zap folds the cache. */
	put_user(0, (int __user *)addr);
	vm_munmap(addr, PAGE_SIZE);
}

int mig_restore(struct mig_chan *chan, bool set_creds,
		enum mig_restore_live live, unsigned long *tramp,
		struct mig_sleep *sleep, struct mig_restore_threads *rt)
{
	struct mig_restore *r;
	struct mig_frame *f;
	int i, err;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->chan = chan;
	r->rt = rt;
	r->live = live != MIG_RESTORE_STOPPED;

	if (live == MIG_RESTORE_PRECOPY) {
		long nice = mig_copy_boost();

		err = mig_restore_precopy(r, &f);
		mig_copy_unboost(nice);
		if (err)
			goto out;
	} else {
		f = mig_restore_next(r);
	}
	if (IS_ERR(f)) {
		err = PTR_ERR(f);
		goto out;
	}
	r->t_task = ktime_get();
	err = mig_restore_take_task(r, f);
	mig_frame_free(f);
	if (!err)
		err = mig_restore_take_state(r);
	if (!err)
		err = mig_restore_take_threads(r);
	if (!err)
		err = mig_restore_own_first(rt);
	if (!err && set_creds) {
		/* Before anything changes: a refusal leaves the helper as is. */
		r->cred = mig_creds_restore(&r->task);
		err = PTR_ERR_OR_ZERO(r->cred);
		if (err)
			r->cred = NULL;
	}
	if (err)
		goto out;

	if (!live)
		mig_unmap_all();
	/* Its own limits count for what it maps (RLIMIT_MEMLOCK...). */
	if (r->cred)
		mig_restore_limits(&r->task);
	err = mig_restore_mm_as(r);
	if (err)
		goto out;
	err = mig_restore_mm_fields(&r->task);
	if (err)
		goto out;
	mig_restore_sigactions(&r->task);
	mig_restore_thread_kernel(&rt->t[0].msg, false);
	/* Its time left counts from now: moving is not sleeping. */
	if (mig_sleep_restore(&rt->t[0].msg.sleep, sleep)) {
		err = mig_bad_stream("sleep");
		goto out;
	}
	if (r->cred) {
		err = commit_creds(r->cred);
		r->cred = NULL;		/* commit_creds() took it */
		if (err)
			goto out;
		mig_creds_restore_task(&r->task);
	}
	mig_restore_state(&r->state, current_cred());
	/*
	 * Nothing is delivered until the trampoline's rt_sigreturn puts
	 * the process's mask back; signals pending where it ran are again.
	 */
	mig_restore_block_all();
	mig_signal_raise(be64_to_cpu(rt->t[0].msg.pending), false);
	mig_signal_raise(be64_to_cpu(r->task.shared_pending), true);
	err = mig_enter_trampoline(r, tramp);
	if (!err)
		mig_restore_sync_rss();
	pr_debug("restored %lld us after its task state\n",
		 ktime_us_delta(ktime_get(), r->t_task));
out:
	if (r->after_threads && !IS_ERR(r->after_threads))
		mig_frame_free(r->after_threads);
	if (r->cred)
		put_cred(r->cred);
	for (i = 1; i <= MIG_SHM_MAX; i++)
		if (r->shm[i])
			fput(r->shm[i]);	/* the mappings hold their own */
	kvfree(r->want);
	kvfree(r->xstate);
	kfree(r);
	return err;
}

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

static int mig_restore_take_task(struct mig_restore *r, struct mig_frame *f)
{
	const struct mig_msg_task *t = f->data;
	u32 xlen;

	if (f->type != MIG_MSG_MOVE_TASK)
		return mig_bad_stream("no task state first");
	xlen = be32_to_cpu(t->xstate_len);
	if (xlen != f->len - sizeof(*t) || xlen < 576)
		return mig_bad_stream("xstate size");
	memcpy(&r->task, t, sizeof(*t));
	r->xstate = kvmalloc(xlen, GFP_KERNEL);
	if (!r->xstate)
		return -ENOMEM;
	memcpy(r->xstate, t + 1, xlen);
	r->xstate_len = xlen;
	return 0;
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
		f = mig_restore_next(r);
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
 * The registration is only an address in the process's own memory; the
 * kernel checks it (and raises SIGSEGV on a bad one) when it next uses it.
 */
static void mig_restore_rseq(const struct mig_msg_task *t)
{
	u64 rseq = be64_to_cpu(t->rseq);

	if (!rseq || rseq >= TASK_SIZE_MAX || !IS_ALIGNED(rseq, 32))
		return;
	current->rseq = (struct rseq __user *)(unsigned long)rseq;
	current->rseq_sig = be32_to_cpu(t->rseq_sig);
	rseq_set_notify_resume(current);
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

#define MIG_TRAMP_CODE		1024
#define MIG_TRAMP_DATA		(MIG_TRAMP_CODE - MIG_STATE_TRAMP_DATA)
#define MIG_TRAMP_FRAME		MIG_TRAMP_CODE
#define MIG_TRAMP_FPSTATE	ALIGN(MIG_TRAMP_FRAME + sizeof(struct rt_sigframe), 64)

static void mig_fill_frame(struct rt_sigframe *frame, const struct mig_msg_task *t,
			   unsigned long fpstate)
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

static int mig_enter_trampoline(struct mig_restore *r, unsigned long *tramp)
{
	const struct mig_msg_task *t = &r->task;
	size_t size = PAGE_ALIGN(MIG_TRAMP_FPSTATE + r->xstate_len +
				 FP_XSTATE_MAGIC2_SIZE);
	struct pt_regs *regs = task_pt_regs(current);
	u32 magic2 = FP_XSTATE_MAGIC2;
	unsigned long base;
	struct mig_code c;
	u8 *buf;
	int err = 0;

	buf = kvzalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	base = vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(base)) {
		kvfree(buf);
		return (long)base;
	}

	c.p = buf;
	if (be64_to_cpu(t->vdso)) {
		mig_emit_syscall(&c, __NR_arch_prctl, ARCH_MAP_VDSO_64,
				 be64_to_cpu(t->vvar));
		mig_emit_bail_if_error(&c);
	}
	mig_emit_syscall(&c, __NR_arch_prctl, ARCH_SET_FS,
			 be64_to_cpu(t->regs.fs_base));
	mig_emit_syscall(&c, __NR_arch_prctl, ARCH_SET_GS,
			 be64_to_cpu(t->regs.gs_base));
	/* Timers and membarrier, by the process's own calls. */
	mig_state_emit(&c, &r->state, buf + MIG_TRAMP_DATA,
		       base + MIG_TRAMP_DATA);
	/* rt_sigreturn finds its frame 8 bytes below rsp. */
	mig_emit_movabs(&c, 0xbc, base + MIG_TRAMP_FRAME + 8);
	mig_emit_op_imm32(&c, 0xb8, __NR_rt_sigreturn);
	mig_emit(&c, "\x0f\x05\x0f\x0b", 4);	/* syscall; ud2 */

	mig_fill_frame((struct rt_sigframe *)(buf + MIG_TRAMP_FRAME), t,
		       base + MIG_TRAMP_FPSTATE);
	mig_fix_xstate(r->xstate, r->xstate_len);
	memcpy(buf + MIG_TRAMP_FPSTATE, r->xstate, r->xstate_len);
	memcpy(buf + MIG_TRAMP_FPSTATE + r->xstate_len, &magic2, sizeof(magic2));

	if (copy_to_user((void __user *)base, buf, size))
		err = -EFAULT;
	kvfree(buf);
	if (err)
		return err;

	regs->ip = base;
	regs->sp = base + size;
	regs->flags = X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	regs->orig_ax = -1;	/* no syscall restart on the way out */
	*tramp = base;
	return 0;
}

/*
 * Rebuilds current from the stream on @chan (after BEGIN). On success the
 * task returns to user mode as the migrated process; on error the task is
 * no longer what it was and the caller must end it.
 */
int mig_restore(struct mig_chan *chan, bool set_creds,
		enum mig_restore_live live, unsigned long *tramp,
		struct mig_sleep *sleep)
{
	struct mig_restore *r;
	struct mig_frame *f;
	int i, err;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->chan = chan;
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
	mig_restore_rseq(&r->task);
	/* Its time left counts from now: moving is not sleeping. */
	if (mig_sleep_restore(&r->task, sleep)) {
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
	err = mig_enter_trampoline(r, tramp);
	pr_debug("restored %lld us after its task state\n",
		 ktime_us_delta(ktime_get(), r->t_task));
out:
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

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: files mapped at a destination, and a guest's mmap() of a file it
 * opened at home.
 *
 * Whether a move's mappings (restore.c) or a guest's mmap(), a file is
 * mapped from the destination's copy only when that copy is the same
 * file: opened with the process's own credentials, a regular file, at a
 * path that resolves there to itself (no symbolic link or mount the home
 * path did not have), of the same size and mtime, and with the same
 * digest (SHA-256 over the size and sampled blocks of the content).
 * Otherwise the content comes from home.
 *
 * The guest's file descriptors live at home, but a mapping is memory, and
 * memory must be local. When the destination has the same file, the guest
 * maps its local copy: a dynamic loader mapping libraries, an interpreter
 * mapping an extension module, all run at full speed. The deputy says
 * which file the descriptor is (MIG_CALL_FILEINFO); the guest opens that
 * path itself, with the process's credentials.
 *
 * Not mapped here, so the process goes home to map it: a file the
 * destination lacks or has in another version, anything but a regular
 * file, and a MAP_SHARED mapping of a descriptor open for writing (its
 * writes, even after an mprotect(), must reach the home file).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <crypto/sha2.h>

#include "mig.h"

#define MIG_DIGEST_BLOCK	4096
#define MIG_DIGEST_SAMPLES	32

/*
 * The digest of @file, @size bytes long: SHA-256 over the size and up to
 * MIG_DIGEST_SAMPLES blocks spread evenly from the first to the last, so
 * the whole content of a file up to 128 KiB and a sample of a larger one,
 * at a cost bounded whatever the size.
 */
int mig_file_digest(struct file *file, u64 size, u8 *digest)
{
	u64 nblocks = DIV_ROUND_UP(size, MIG_DIGEST_BLOCK), i, n;
	__be64 wire_size = cpu_to_be64(size);
	struct sha256_state sctx;
	ssize_t got = 0;
	u8 *buf;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	buf = kmalloc(MIG_DIGEST_BLOCK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	sha256_init(&sctx);
	sha256_update(&sctx, (const u8 *)&wire_size, sizeof(wire_size));
	n = min_t(u64, nblocks, MIG_DIGEST_SAMPLES);
	for (i = 0; i < n; i++) {
		u64 block = n < 2 ? 0 : div64_u64(i * (nblocks - 1), n - 1);
		loff_t pos = block * MIG_DIGEST_BLOCK;

		got = kernel_read(file, buf, MIG_DIGEST_BLOCK, &pos);
		if (got < 0)
			break;
		sha256_update(&sctx, buf, got);
	}
	sha256_final(&sctx, digest);
	kfree(buf);
	return got < 0 ? got : 0;
}

/* Is @file the one described by @size, @mtime_ns and @digest? */
int mig_file_matches(struct file *file, u64 size, u64 mtime_ns,
		     const u8 *digest)
{
	u8 here[MIG_DIGEST_LEN];
	struct kstat st;
	int err;

	err = vfs_getattr(&file->f_path, &st, STATX_SIZE | STATX_MTIME,
			  AT_STATX_SYNC_AS_STAT);
	if (err)
		return err;
	if (st.size != size || timespec64_to_ns(&st.mtime) != mtime_ns)
		return -ESTALE;
	err = mig_file_digest(file, size, here);
	if (err)
		return err;
	return memcmp(here, digest, MIG_DIGEST_LEN) ? -ESTALE : 0;
}

/* Does @file's path read back as @path (no link or mount in between)? */
static int mig_path_is(struct file *file, const char *path)
{
	char *buf, *p;
	int err;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	p = d_path(&file->f_path, buf, PATH_MAX);
	err = IS_ERR(p) ? PTR_ERR(p) : strcmp(p, path) ? -ELOOP : 0;
	kfree(buf);
	return err;
}

/*
 * Opens @path to map it, with the current credentials (the process's):
 * a regular file only (-ENODEV for any other; a device is not even
 * opened), reached by exactly that path (-ELOOP if a symbolic link or a
 * mount here leads elsewhere).
 */
struct file *mig_open_mapped(const char *path)
{
	struct file *file;
	struct path p;
	int err;

	err = kern_path(path, 0, &p);	/* a final symlink is not followed */
	if (err)
		return ERR_PTR(err);
	err = d_is_symlink(p.dentry) ? -ELOOP : d_is_reg(p.dentry) ? 0 : -ENODEV;
	path_put(&p);
	if (err)
		return ERR_PTR(err);
	file = filp_open(path, O_RDONLY | O_LARGEFILE | O_NOFOLLOW | O_NOCTTY, 0);
	if (IS_ERR(file))
		return file;
	/* It may have been replaced since the look-up. */
	err = S_ISREG(file_inode(file)->i_mode) ? mig_path_is(file, path) : -ENODEV;
	if (err) {
		fput(file);
		return ERR_PTR(err);
	}
	return file;
}

/* ---- deputy side ---- */

static int mig_describe_fd(long fd, struct mig_fileinfo *fi, char *buf,
			   char **path)
{
	struct kstat st;
	struct file *file;
	char *p;
	int err;

	if (fd < 0 || fd > INT_MAX)
		return -EBADF;
	file = fget(fd);
	if (!file)
		return -EBADF;
	err = vfs_getattr(&file->f_path, &st, STATX_SIZE | STATX_MTIME |
			  STATX_MODE, AT_STATX_SYNC_AS_STAT);
	p = d_path(&file->f_path, buf, PATH_MAX);
	if (!err && IS_ERR(p))
		err = PTR_ERR(p);
	if (!err && d_unhashed(file->f_path.dentry))
		err = -ESTALE;	/* the path names another file, or none */
	if (!err && S_ISREG(st.mode))
		err = mig_file_digest(file, st.size, fi->digest);
	if (!err) {
		fi->size = cpu_to_be64(st.size);
		fi->mtime_ns = cpu_to_be64(timespec64_to_ns(&st.mtime));
		fi->mode = cpu_to_be32(st.mode);
		fi->flags = cpu_to_be32(file->f_flags & O_ACCMODE);
		fi->path_len = cpu_to_be32(strlen(p) + 1);
		*path = p;
	}
	fput(file);
	return err;
}

/* MIG_CALL_FDMODE: the type and mode of descriptor @fd, or -EBADF. */
static long mig_fd_mode(u64 fd)
{
	struct fd f;
	long mode;

	if (fd > INT_MAX)
		return -EBADF;
	f = fdget(fd);
	if (!f.file)
		return -EBADF;
	mode = file_inode(f.file)->i_mode;
	fdput(f);
	return mode;
}

/* Answers a MIG_CALL_* request from the guest, in the deputy's context. */
void mig_deputy_answer(struct mig_chan *chan, const struct mig_frame *f)
{
	const struct mig_msg_syscall *m = f->data;
	struct mig_msg_sysret r = { .mig_id = cpu_to_be32(chan->id) };
	struct mig_fileinfo fi = { 0 };
	struct kvec vec[3] = { { &r, sizeof(r) }, { &fi, sizeof(fi) } };
	char *buf = NULL, *path = NULL;
	long err;

	if (f->len == sizeof(*m) && !m->in_len &&
	    be32_to_cpu(m->nr) == MIG_CALL_FDMODE) {
		r.ret = cpu_to_be64(mig_fd_mode(be64_to_cpu(m->args[0])));
		mig_chan_send(chan, MIG_MSG_SYSRET, vec, 1);
		return;
	}
	if (f->len != sizeof(*m) || m->in_len ||
	    be32_to_cpu(m->nr) != MIG_CALL_FILEINFO) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		err = -EPROTO;
	} else {
		buf = kmalloc(PATH_MAX, GFP_KERNEL);
		err = buf ? mig_describe_fd(be64_to_cpu(m->args[0]), &fi, buf,
					    &path) : -ENOMEM;
	}
	r.ret = cpu_to_be64(err);
	if (!err) {
		vec[2].iov_base = path;
		vec[2].iov_len = be32_to_cpu(fi.path_len);
		r.out_len = cpu_to_be32(sizeof(fi) + vec[2].iov_len);
	}
	mig_chan_send(chan, MIG_MSG_SYSRET, vec, err ? 1 : 3);
	kfree(buf);
}

/* ---- guest side ---- */

/* The deputy's answer, checked: a path of the right length, absolute. */
static int mig_parse_fileinfo(const struct mig_frame *f,
			      struct mig_fileinfo *fi, const char **path)
{
	const struct mig_msg_sysret *r = f->data;
	const char *p = (const char *)(r + 1) + sizeof(*fi);
	long ret = (long)be64_to_cpu(r->ret);
	u32 out_len = f->len - sizeof(*r), path_len;

	if (be32_to_cpu(r->out_len) != out_len)
		return -EPROTO;
	if (ret)
		return ret < 0 && ret >= -MAX_ERRNO && !out_len ? ret : -EPROTO;
	if (out_len < sizeof(*fi) + 2)
		return -EPROTO;
	memcpy(fi, r + 1, sizeof(*fi));
	path_len = be32_to_cpu(fi->path_len);
	if (path_len != out_len - sizeof(*fi) || p[0] != '/' ||
	    strnlen(p, path_len) != path_len - 1)
		return -EPROTO;
	*path = p;
	return 0;
}

/*
 * mmap() of a home fd: maps the destination's copy of the file. Returns
 * true with *ret the call's result, or false: the process must go home.
 */
bool mig_guest_map_file(struct mig_chan *chan, const u64 *args, long *ret)
{
	unsigned long flags = args[3];
	struct mig_fileinfo fi;
	struct mig_frame *f;
	struct file *file;
	const char *path;
	int err;

	if ((flags & MAP_TYPE) != MAP_PRIVATE && (flags & MAP_TYPE) != MAP_SHARED)
		return false;
	f = mig_fwd_ask(chan, MIG_CALL_FILEINFO, args[4]);
	if (IS_ERR(f)) {
		*ret = PTR_ERR(f);	/* killed, or home is gone */
		return true;
	}
	err = mig_parse_fileinfo(f, &fi, &path);
	if (err == -EPROTO)
		mig_stat_inc(MIG_STAT_BAD_STREAM);
	if (err == -EBADF || (!err && (be32_to_cpu(fi.flags) & O_ACCMODE) == O_WRONLY)) {
		mig_frame_free(f);
		*ret = err ?: -EACCES;	/* as mmap() would say at home */
		return true;
	}
	if (err || !S_ISREG(be32_to_cpu(fi.mode)) ||
	    ((flags & MAP_TYPE) == MAP_SHARED &&
	     (be32_to_cpu(fi.flags) & O_ACCMODE) != O_RDONLY)) {
		mig_frame_free(f);
		return false;
	}
	/* The guest runs with the process's credentials: they open it. */
	file = mig_open_mapped(path);
	mig_frame_free(f);
	if (IS_ERR(file))
		return false;
	if (mig_file_matches(file, be64_to_cpu(fi.size),
			     be64_to_cpu(fi.mtime_ns), fi.digest)) {
		fput(file);
		return false;
	}
	*ret = vm_mmap(file, args[0], args[1], args[2], flags, args[5]);
	fput(file);
	return true;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: a guest's mmap() of a file it opened at home.
 *
 * The guest's file descriptors live at home, but a mapping is memory, and
 * memory must be local. When the destination has the same file (the same
 * path, size and mtime, as for the mappings a move carries), the guest
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

#include "mig.h"

/* Is @file the one described by @size and @mtime_ns? */
int mig_file_matches(struct file *file, u64 size, u64 mtime_ns)
{
	struct kstat st;
	int err;

	err = vfs_getattr(&file->f_path, &st, STATX_SIZE | STATX_MTIME,
			  AT_STATX_SYNC_AS_STAT);
	if (err)
		return err;
	if (st.size != size || timespec64_to_ns(&st.mtime) != mtime_ns)
		return -ESTALE;
	return 0;
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

/* Answers a MIG_CALL_* request from the guest, in the deputy's context. */
void mig_deputy_answer(struct mig_chan *chan, const struct mig_frame *f)
{
	const struct mig_msg_syscall *m = f->data;
	struct mig_msg_sysret r = { .mig_id = cpu_to_be32(chan->id) };
	struct mig_fileinfo fi = { 0 };
	struct kvec vec[3] = { { &r, sizeof(r) }, { &fi, sizeof(fi) } };
	char *buf = NULL, *path = NULL;
	long err;

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
	file = filp_open(path, O_RDONLY | O_LARGEFILE, 0);
	mig_frame_free(f);
	if (IS_ERR(file))
		return false;
	if (mig_file_matches(file, be64_to_cpu(fi.size),
			     be64_to_cpu(fi.mtime_ns))) {
		fput(file);
		return false;
	}
	*ret = vm_mmap(file, args[0], args[1], args[2], flags, args[5]);
	fput(file);
	return true;
}

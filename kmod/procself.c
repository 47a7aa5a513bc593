// SPDX-License-Identifier: GPL-2.0
/*
 * mig: a moved process reading its own /proc files sees itself.
 *
 * At the destination an open() of /proc/self/maps would be forwarded
 * home, where /proc/self is the deputy. Instead the guest reads the file
 * here, where the process is (its maps, smaps, status, stat...), with the
 * pids in status and stat made the ones it has at home, and hands the
 * text to home as a new descriptor: a memfd that the deputy creates and
 * fills, then reopens read-only through /proc/self/fd (so F_GETFL says
 * O_RDONLY and a write fails with EBADF) under the number the memfd had,
 * the lowest free one, as open() gives. Every later call on it (read,
 * lseek, fstat, close, dup...) is an ordinary forwarded call on a home
 * descriptor, so descriptor numbers stay one set, home's.
 *
 * What the descriptor holds is the file as it was at the open(): a
 * snapshot, as a program that opens, reads and closes sees anyway.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fcntl.h>
#include <linux/fs.h>
#include <uapi/linux/memfd.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <asm/unistd.h>

#include "mig.h"

/* The largest file taken: what is past it is not seen (16 MiB). */
#define MIG_PROC_MAX		(16 << 20)

/* How each file is read here. */
enum {
	MIG_PROC_SEQ,		/* a seq_file, as it is */
	MIG_PROC_STATUS,	/* a seq_file, the ids made home's */
	MIG_PROC_STAT,
	MIG_PROC_ARGS,		/* from the process's memory */
	MIG_PROC_ENV,
};

static const struct {
	const char *name;
	u8 how;
} mig_proc_files[] = {
	{ "maps", MIG_PROC_SEQ },
	{ "smaps", MIG_PROC_SEQ },
	{ "smaps_rollup", MIG_PROC_SEQ },
	{ "numa_maps", MIG_PROC_SEQ },
	{ "statm", MIG_PROC_SEQ },
	{ "comm", MIG_PROC_SEQ },
	{ "limits", MIG_PROC_SEQ },
	{ "personality", MIG_PROC_SEQ },
	{ "timerslack_ns", MIG_PROC_SEQ },
	{ "schedstat", MIG_PROC_SEQ },
	{ "oom_score", MIG_PROC_SEQ },
	{ "io", MIG_PROC_SEQ },
	{ "status", MIG_PROC_STATUS },
	{ "stat", MIG_PROC_STAT },
	{ "cmdline", MIG_PROC_ARGS },
	{ "environ", MIG_PROC_ENV },
};

/* Open flags a snapshot honours; any other keeps the open forwarded. */
#define MIG_PROC_OPEN_FLAGS	(O_CLOEXEC | O_NONBLOCK | O_LARGEFILE | \
				 O_NOCTTY | O_NOFOLLOW | O_NOATIME)

struct mig_proc_text {
	char *buf;
	size_t len, cap;
};

static int mig_proc_room(struct mig_proc_text *t, size_t more)
{
	size_t cap = t->cap ?: PAGE_SIZE;
	char *p;

	if (t->len + more <= t->cap)
		return 0;
	while (cap < t->len + more)
		cap *= 2;
	p = kvmalloc(cap, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	if (t->len)
		memcpy(p, t->buf, t->len);
	kvfree(t->buf);
	t->buf = p;
	t->cap = cap;
	return 0;
}

static int mig_proc_add(struct mig_proc_text *t, const char *s, size_t n)
{
	int err = mig_proc_room(t, n);

	if (!err) {
		memcpy(t->buf + t->len, s, n);
		t->len += n;
	}
	return err;
}

/*
 * Which of the process's own files @path names, as "/proc/self/NAME",
 * "/proc/thread-self/NAME", "/proc/HOME/NAME", "/proc/HOME/task/HOME/NAME"
 * or "/proc/self/task/HOME/NAME" (HOME: its pid at home): its index in
 * mig_proc_files, or -1. *@thread says which of /proc/self and
 * /proc/thread-self to open here.
 */
static int mig_proc_which(const char *path, pid_t home, bool *thread)
{
	char pid[16];
	size_t n, i;

	if (strncmp(path, "/proc/", 6))
		return -1;
	path += 6;
	n = snprintf(pid, sizeof(pid), "%d/", home);
	*thread = false;
	if (!strncmp(path, "self/", 5)) {
		path += 5;
		if (!strncmp(path, "task/", 5) && !strncmp(path + 5, pid, n)) {
			path += 5 + n;
			*thread = true;
		}
	} else if (!strncmp(path, "thread-self/", 12)) {
		path += 12;
		*thread = true;
	} else if (!strncmp(path, pid, n)) {
		path += n;
		if (!strncmp(path, "task/", 5) && !strncmp(path + 5, pid, n)) {
			path += 5 + n;
			*thread = true;
		}
	} else {
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(mig_proc_files); i++)
		if (!strcmp(path, mig_proc_files[i].name))
			return i;
	return -1;
}

/* A seq_file of /proc, read to its end (no read_iter: seq_read's own). */
static int mig_proc_read_seq(struct file *file, struct mig_proc_text *t)
{
	struct kiocb kiocb;
	struct iov_iter iter;
	struct kvec kv;
	ssize_t n;
	int err;

	if (file->f_op->read != seq_read)
		return -EOPNOTSUPP;
	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = 0;
	while (t->len < MIG_PROC_MAX) {
		err = mig_proc_room(t, PAGE_SIZE);
		if (err)
			return err;
		kv.iov_base = t->buf + t->len;
		kv.iov_len = min_t(size_t, t->cap - t->len,
				   MIG_PROC_MAX - t->len);
		iov_iter_kvec(&iter, ITER_DEST, &kv, 1, kv.iov_len);
		n = seq_read_iter(&kiocb, &iter);
		if (n < 0)
			return n;
		if (!n)
			break;
		t->len += n;
	}
	return 0;
}

/*
 * The arguments or the environment, from the process's memory as it is
 * now. Arguments whose end is not a NUL were rewritten in place
 * (setproctitle()): they end at their first NUL, as the kernel shows them.
 */
static int mig_proc_read_args(struct mig_proc_text *t, bool env)
{
	struct mm_struct *mm = current->mm;
	unsigned long start, end;
	size_t len;
	int err;

	spin_lock(&mm->arg_lock);
	start = env ? mm->env_start : mm->arg_start;
	end = env ? mm->env_end : mm->arg_end;
	spin_unlock(&mm->arg_lock);
	if (end <= start)
		return 0;
	len = min_t(unsigned long, end - start, MIG_PROC_MAX);
	err = mig_proc_room(t, len);
	if (err)
		return err;
	if (copy_from_user(t->buf, (const void __user *)start, len))
		return -EFAULT;
	t->len = len;
	if (!env && t->buf[len - 1])
		t->len = strnlen(t->buf, len);
	return 0;
}

/* A call the process's deputy answers with a number (getppid()...). */
static long mig_proc_call(struct mig_chan *chan, unsigned long nr,
			  u64 a0, u64 a1, u64 a2, const void *in, u32 in_len)
{
	u64 args[6] = { a0, a1, a2 };
	struct mig_frame *f;
	long ret;

	f = mig_fwd_exchange(chan, nr, args, (void *)in, in_len, &ret);
	if (IS_ERR(f))
		return PTR_ERR(f);
	mig_frame_free(f);
	return ret;
}

/*
 * status: its Tgid, Pid, PPid, NStgid and NSpid lines get the home
 * values (the pid here is this node's).
 */
static int mig_proc_fix_status(struct mig_proc_text *t, pid_t home,
			       pid_t ppid, pid_t pgrp, pid_t sid)
{
	pid_t val;

	static const char * const keys[] = { "Tgid:", "Pid:", "PPid:",
					     "NStgid:", "NSpid:", "NSpgid:",
					     "NSsid:" };
	struct mig_proc_text out = { };
	char *p = t->buf, *end = t->buf + t->len, *nl;
	char line[32];
	int err = 0;
	size_t i, n;

	while (p < end && !err) {
		nl = memchr(p, '\n', end - p);
		n = nl ? nl + 1 - p : end - p;
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (n > strlen(keys[i]) &&
			    !strncmp(p, keys[i], strlen(keys[i])))
				break;
		if (i < ARRAY_SIZE(keys)) {
			val = i == 2 ? ppid : i == 5 ? pgrp : i == 6 ? sid : home;
			err = mig_proc_add(&out, line,
					   snprintf(line, sizeof(line),
						    "%s\t%d\n", keys[i], val));
		} else {
			err = mig_proc_add(&out, p, n);
		}
		p += n;
	}
	if (err) {
		kvfree(out.buf);
		return err;
	}
	kvfree(t->buf);
	*t = out;
	return 0;
}

/*
 * stat: "pid (comm) state ppid pgrp session ...": the four numbers are
 * made home's. The comm may hold spaces and parentheses: it ends at the
 * last ')'.
 */
static int mig_proc_fix_stat(struct mig_proc_text *t, pid_t home, pid_t ppid,
			     pid_t pgrp, pid_t sid)
{
	struct mig_proc_text out = { };
	char *open, *close = NULL, *p, head[80];
	int err, used = 0, old_ppid, old_pgrp, old_sid;
	char state;
	size_t n;

	open = memchr(t->buf, '(', t->len);
	for (p = t->buf; p < t->buf + t->len; p++)
		if (*p == ')')
			close = p;
	if (!open || !close || close < open || !memchr(close, '\n',
						      t->buf + t->len - close))
		return 0;	/* not what this code knows: left as it is */
	if (sscanf(close + 1, " %c %d %d %d %n", &state, &old_ppid, &old_pgrp,
		   &old_sid, &used) != 4 || !used)
		return 0;
	n = snprintf(head, sizeof(head), "%d ", home);
	err = mig_proc_add(&out, head, n);
	err = err ?: mig_proc_add(&out, open, close + 1 - open);
	n = snprintf(head, sizeof(head), " %c %d %d %d ", state, ppid, pgrp,
		     sid);
	err = err ?: mig_proc_add(&out, head, n);
	p = close + 1 + used;
	err = err ?: mig_proc_add(&out, p, t->buf + t->len - p);
	if (err) {
		kvfree(out.buf);
		return err;
	}
	kvfree(t->buf);
	*t = out;
	return 0;
}

/* The file's text, read here; pids made home's. */
static int mig_proc_snapshot(struct mig_chan *chan, pid_t home, int which,
			     bool thread, struct mig_proc_text *t)
{
	u8 how = mig_proc_files[which].how;
	long ppid, pgrp = 0, sid = 0;
	struct file *file;
	char path[64];
	int err;

	if (how == MIG_PROC_ARGS || how == MIG_PROC_ENV)
		return mig_proc_read_args(t, how == MIG_PROC_ENV);
	snprintf(path, sizeof(path), "/proc/%s/%s",
		 thread ? "thread-self" : "self", mig_proc_files[which].name);
	file = filp_open(path, O_RDONLY | O_LARGEFILE, 0);
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = mig_proc_read_seq(file, t);
	filp_close(file, NULL);
	if (err || how == MIG_PROC_SEQ)
		return err;
	ppid = mig_proc_call(chan, __NR_getppid, 0, 0, 0, NULL, 0);
	pgrp = mig_proc_call(chan, __NR_getpgid, 0, 0, 0, NULL, 0);
	sid = mig_proc_call(chan, __NR_getsid, 0, 0, 0, NULL, 0);
	if (ppid < 0 || pgrp < 0 || sid < 0)
		return ppid < 0 ? ppid : pgrp < 0 ? pgrp : sid;
	if (how == MIG_PROC_STATUS)
		return mig_proc_fix_status(t, home, ppid, pgrp, sid);
	return mig_proc_fix_stat(t, home, ppid, pgrp, sid);
}

/*
 * @t as a new descriptor at home, opened with @flags: its number, or
 * -errno (nothing is left open then).
 */
static long mig_proc_hand_home(struct mig_chan *chan, int which,
			       const struct mig_proc_text *t, u32 flags)
{
	char name[32], path[40];
	long fd, ro, ret = 0;
	size_t done = 0, n;

	n = snprintf(name, sizeof(name), "mig:%s", mig_proc_files[which].name);
	fd = mig_proc_call(chan, __NR_memfd_create, 1, MFD_CLOEXEC, 0, name,
			   n + 1);
	if (fd < 0)
		return fd;
	while (done < t->len) {
		n = min_t(size_t, t->len - done, MIG_FWD_MAX_BUF);
		ret = mig_proc_call(chan, __NR_write, fd, 1, n, t->buf + done,
				    n);
		if (ret != n) {
			ret = ret < 0 ? ret : -EIO;
			goto fail;
		}
		done += n;
	}
	/* Read-only, with the caller's flags, under the memfd's number. */
	n = snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
	ro = mig_proc_call(chan, __NR_open, 1,
			   flags & (O_CLOEXEC | O_NONBLOCK | O_LARGEFILE), 0,
			   path, n + 1);
	if (ro < 0) {
		ret = ro;
		goto fail;
	}
	ret = mig_proc_call(chan, __NR_dup3, ro, fd, flags & O_CLOEXEC, NULL,
			    0);
	mig_proc_call(chan, __NR_close, ro, 0, 0, NULL, 0);
	if (ret == fd)
		return fd;
	ret = ret < 0 ? ret : -EIO;
fail:
	mig_proc_call(chan, __NR_close, fd, 0, 0, NULL, 0);
	return ret;
}

/*
 * open() or openat() of one of the process's own /proc files, at a
 * destination: answered here (true, *@ret the descriptor or -errno), or
 * false to forward it as any open.
 */
bool mig_proc_self_open(struct mig_chan *chan, pid_t home, unsigned long nr,
			const u64 *args, long *ret)
{
	struct mig_proc_text t = { };
	const char __user *upath;
	bool thread;
	char *path;
	int which, err;
	u64 flags;

	if (nr == __NR_open) {
		upath = u64_to_user_ptr(args[0]);
		flags = args[1];
	} else if (nr == __NR_openat) {
		upath = u64_to_user_ptr(args[1]);
		flags = args[2];
	} else {
		return false;
	}
	if ((flags & O_ACCMODE) != O_RDONLY || flags & ~MIG_PROC_OPEN_FLAGS)
		return false;
	path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!path)
		return false;
	if (strncpy_from_user(path, upath, PATH_MAX) <= 0 ||
	    !memchr(path, 0, PATH_MAX)) {
		kfree(path);
		return false;
	}
	which = mig_proc_which(path, home, &thread);
	kfree(path);
	if (which < 0)
		return false;
	err = mig_proc_snapshot(chan, home, which, thread, &t);
	if (err) {
		kvfree(t.buf);
		pr_debug("pid %d: /proc/self/%s not read here (%d): forwarded\n",
			 task_pid_nr(current), mig_proc_files[which].name, err);
		return false;
	}
	*ret = mig_proc_hand_home(chan, which, &t, flags & MIG_PROC_OPEN_FLAGS);
	kvfree(t.buf);
	return true;
}

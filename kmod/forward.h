/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: forwarded system calls: the table both ends read, the calls, the
 * questions a guest asks its deputy, messages and signals. Included
 * through mig.h, after process.h.
 */
#ifndef _MIG_FORWARD_H
#define _MIG_FORWARD_H

#include <linux/signal_types.h>
#include <linux/types.h>

/* forward.c: the forwarding table and forwarded calls */
enum mig_arg_kind {
	MIG_ARG_VAL,		/* a number */
	MIG_ARG_IN,		/* buffer read, length in argument .len */
	MIG_ARG_OUT,		/* buffer written, capacity in .len; result = bytes */
	MIG_ARG_STR,		/* NUL-terminated path, read */
	MIG_ARG_INF,		/* fixed-size struct read */
	MIG_ARG_OUTF,		/* fixed-size struct written (on success) */
	MIG_ARG_INOUTF,		/* fixed-size struct read and written */
	MIG_ARG_INOUTA,		/* array read and written: .len counts .size */
	MIG_ARG_OUTA,		/* array written, result = elements written */
	/* struct written, .size at most, as the int at .len allows */
	MIG_ARG_OUTL,
	MIG_ARG_INOUTB,		/* bitmap read and written: .len counts bits */
	/*
	 * A signal mask the call swaps in while it waits (size at .len),
	 * and pselect6()'s pointer to { mask, size }. The guest applies it
	 * itself: it never travels, and the deputy refuses one.
	 */
	MIG_ARG_SIGMASK,
	MIG_ARG_SIGMASK6,
};

struct mig_arg_desc {
	u8 kind;
	u8 len;			/* index of the length argument */
	u16 size;		/* fixed size */
};

enum {
	MIG_SYS_REFUSE,
	MIG_SYS_LOCAL,
	MIG_SYS_FORWARD,
	MIG_SYS_SPECIAL,
	MIG_SYS_MAP_FILE,
	MIG_SYS_FORWARD_MSG,	/* sendmsg, recvmsg: fwdmsg.c */
	MIG_SYS_SELF,		/* here, with argument .self_arg made 0 */
};

/* A sendmsg()/recvmsg() laid out in the deputy's scratch area. */
struct mig_fwd_msg {
	bool active, recv;
	unsigned long hdr;		/* struct user_msghdr */
	unsigned long name, data, control;
	u32 name_cap, data_cap, control_cap;
};

/* The layout of one call: per argument, bytes in and bytes out. */
struct mig_fwd_plan {
	struct mig_arg_desc arg[6];
	u8 nargs;
	u32 in_len[6];
	u32 out_cap[6];
	u32 room[6];		/* OUTL, guest side: what the caller's fits */
	struct mig_fwd_msg msg;		/* deputy side, sendmsg/recvmsg */
	u32 flags;		/* deputy side: the request's MIG_SYSCALL_* */
	int self_arg;		/* MIG_SYS_SELF: the argument naming itself */
};

int mig_fwd_classify(unsigned long nr, const u64 *args, pid_t self,
		     struct mig_fwd_plan *plan);
long mig_fwd_call(struct mig_chan *chan, unsigned long nr, u64 *args,
		  struct mig_fwd_plan *plan);
int mig_fwd_prepare(const struct mig_frame *f, unsigned long scratch,
		    size_t scratch_size, u64 *args, unsigned long *nr,
		    struct mig_fwd_plan *plan);
int mig_fwd_reply(struct mig_chan *chan, const struct mig_fwd_plan *plan,
		  const u64 *args, long ret);
int mig_fwd_reply_error(struct mig_chan *chan, long err);
struct mig_frame *mig_fwd_ask(struct mig_chan *chan, u32 call, u64 arg);
struct mig_frame *mig_fwd_exchange(struct mig_chan *chan, unsigned long nr,
				   const u64 *args, void *in, u32 in_len,
				   long *ret);

/* sigrelay.c: signals sent at home, relayed with their siginfo */
int mig_signal_relay(struct mig_chan *chan, const kernel_siginfo_t *info,
		     bool group);
struct task_struct *mig_signal_target(struct task_struct *task, int sig);
void mig_signal_raise(u64 mask, bool group);
bool mig_signal_decode(const struct mig_msg_signal *m, kernel_siginfo_t *info);
bool mig_signal_is_job_stop(int sig);
u32 mig_signal_job_flags(void);
bool mig_signal_allow_job_stops(u32 flags);
void mig_guest_stop_work(struct callback_head *cb);
void mig_deputy_stop_work(struct callback_head *cb);

/* procself.c: the process's own /proc files, read where it runs */
bool mig_proc_self_open(struct mig_chan *chan, pid_t home, unsigned long nr,
			const u64 *args, long *ret);

/* fwdmsg.c: sendmsg() and recvmsg(), flattened */
long mig_fwd_msg_call(struct mig_chan *chan, unsigned long nr,
		      const u64 *args);
int mig_fwd_msg_prepare(unsigned long nr, const u8 *in, u32 in_len,
			unsigned long scratch, size_t scratch_size,
			u64 *args, struct mig_fwd_msg *msg);
void *mig_fwd_msg_answer(const struct mig_fwd_msg *msg, long ret,
			 u32 *len);
bool mig_fwd_is_question(const struct mig_frame *f);
bool mig_sys_never_restarts(unsigned long nr);

/* filemap.c: files mapped at a destination; a guest's mmap() of one */
int mig_file_digest(struct file *file, u64 size, u8 *digest);
int mig_file_matches(struct file *file, u64 size, u64 mtime_ns,
		     const u8 *digest);
struct file *mig_open_mapped(const char *path);
void mig_deputy_answer(struct mig_chan *chan, const struct mig_frame *f);
bool mig_guest_map_file(struct mig_chan *chan, const u64 *args, long *ret);

#endif /* _MIG_FORWARD_H */

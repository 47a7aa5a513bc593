/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: internal declarations shared by the files of the module.
 */
#ifndef _MIG_H
#define _MIG_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/signal_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <asm/ptrace.h>

#include "../uapi/mig.h"
#include "../uapi/mig_wire.h"

#define MIG_CONNECT_TIMEOUT_MS	2000
#define MIG_HANDSHAKE_TIMEOUT_MS 5000
#define MIG_SEND_TIMEOUT_MS	10000
#define MIG_RETRY_MS		1000
#define MIG_MAX_PENDING_HS	16

/* main.c: module parameters and global state */
extern unsigned short mig_node_id;
extern unsigned short mig_port;
extern unsigned int mig_hb_interval_ms;
extern unsigned int mig_hb_timeout_ms;

/* stats.c */
extern atomic64_t mig_stats[__MIG_STAT_MAX];

static inline void mig_stat_inc(enum mig_stat stat)
{
	atomic64_inc(&mig_stats[stat]);
}

/* node.c: the table of configured peers */
struct mig_node {
	struct list_head list;		/* in mig_nodes, under mig_nodes_lock */
	struct kref ref;
	u16 id;
	__be32 addr;
	u16 port;

	struct mutex lock;		/* protects the fields below */
	enum mig_node_state state;
	struct socket *sock;		/* the established link, if any */
	struct socket *incoming;	/* accepted and authenticated, for the worker */
	bool stopping;
	u32 rtt_us;
	u64 up_since_ns;		/* boottime when the link came up */
	u32 auth_fails;

	struct mutex send_lock;		/* one frame at a time on sock */
	wait_queue_head_t wait;		/* worker waits here for incoming */
	struct task_struct *worker;
};

int mig_node_add(u16 id, __be32 addr, u16 port);
int mig_node_del(u16 id);
struct mig_node *mig_node_get(u16 id);
void mig_node_put(struct mig_node *node);
int mig_node_snapshot(struct mig_node ***nodes);
void mig_nodes_put_snapshot(struct mig_node **nodes, int count);
void mig_nodes_reset_links(void);
void mig_nodes_exit(void);

/* auth.c: the cluster key and HMAC proofs */
int mig_auth_init(void);
void mig_auth_exit(void);
int mig_auth_set_key(const u8 *key, unsigned int len);
bool mig_auth_has_key(void);
int mig_auth_mac(u16 src, u16 dst, const u8 *src_nonce, const u8 *dst_nonce,
		 u8 mac[MIG_MAC_LEN]);

/* wire.c: framed messages on a TCP socket */
struct mig_rx {
	struct mig_wire_hdr hdr;
	u8 *payload;
	size_t got;			/* bytes of header + payload received */
};

void mig_rx_init(struct mig_rx *rx);
void mig_rx_reset(struct mig_rx *rx);
int mig_rx_poll(struct socket *sock, struct mig_rx *rx);
#define MIG_SEND_MAX_VEC	4
int mig_send_framev(struct socket *sock, u8 type, const struct kvec *vec,
		    unsigned int n);
int mig_send_frame(struct socket *sock, u8 type, const void *payload,
		   u32 len);
void mig_sock_set_timeouts(struct socket *sock, unsigned int rcv_ms,
			   unsigned int snd_ms);

/* handshake.c: mutual authentication of a new connection */
int mig_handshake(struct socket *sock, struct mig_node **peer);

/* link.c: the per-node worker that keeps the link to a peer */
int mig_link_start(struct mig_node *node);
void mig_link_stop(struct mig_node *node);
void mig_link_hand_over(struct mig_node *node, struct socket *sock);
void mig_link_kick(struct mig_node *node);
int mig_link_sendv(u16 node_id, u8 type, const struct kvec *vec,
		   unsigned int n);
bool mig_link_is_up(u16 node_id);

/* stream.c: per-process message channels on a link */
struct mig_frame {
	struct list_head list;
	u8 type;
	u32 len;
	void *data;
};

struct mig_chan {
	struct hlist_node hnode;	/* in the channel table */
	struct kref ref;
	u16 peer;			/* node id at the other end */
	u32 id;				/* mig_id given by the home node */
	spinlock_t lock;		/* frames, queued, task */
	struct list_head frames;
	size_t queued;
	bool dead;			/* the link went down */
	wait_queue_head_t wait;
	struct task_struct *task;	/* a guest: signalled on KILL */
	struct task_struct *deputy;	/* a deputy: interrupted on INTR */
	struct callback_head intr_work;
	unsigned long intr_queued;	/* bit 0: intr_work is queued */
	/* A job stop (SIGTSTP...): its guest decides, then its deputy. */
	struct callback_head stop_work;
	unsigned long stop_queued;	/* bit 0: stop_work is queued */
	kernel_siginfo_t stop_info;
};

struct mig_chan *mig_chan_open(u16 peer, u32 id);
void mig_chan_close(struct mig_chan *chan);
void mig_chan_put(struct mig_chan *chan);
void mig_chan_set_task(struct mig_chan *chan, struct task_struct *task);
void mig_chan_set_deputy(struct mig_chan *chan, struct task_struct *task);
void mig_chan_interrupt(struct mig_chan *chan);
bool mig_chan_deputy_signalled(struct mig_chan *chan);
struct mig_frame *mig_chan_recv(struct mig_chan *chan, long timeout);
struct mig_frame *mig_chan_recv_any(struct mig_chan *chan, long timeout,
				    bool interruptible);
void mig_frame_free(struct mig_frame *frame);
int mig_chan_send(struct mig_chan *chan, u8 type, const struct kvec *vec,
		  unsigned int n);
int mig_chan_send_ctl(struct mig_chan *chan, u8 type, u32 value, u32 pid);
int mig_ctl_errno(const struct mig_frame *f);
int mig_stream_rx(u16 peer, struct mig_rx *rx);
void mig_stream_node_down(u16 peer);

/* capture.c: a process's state, sent from its own context */
/* sleep.c: a nanosleep() cut short by a move, finished after it */
struct mig_sleep {
	bool active;
	clockid_t clockid;
	ktime_t expires;		/* on this node's clock */
	u64 rmtp;			/* user pointer for the time left */
};

int mig_sleep_capture(long orig_nr, const struct mig_sleep *s,
		      struct mig_msg_task *t);
int mig_sleep_restore(const struct mig_msg_task *t, struct mig_sleep *s);
long mig_sleep_resume(struct mig_sleep *s);
int mig_sleeper_start(const struct mig_sleep *s);

struct mig_capture_info {
	u16 home_node;
	u32 home_pid;
	u16 flags;			/* MIG_BEGIN_* */
	unsigned long skip_start;	/* a mig trampoline to leave out */
	bool rewind_syscall;		/* re-run the current syscall there */
	const struct mig_sleep *sleep;	/* a sleep mig resumed, if any */
	u64 bytes_sent;
};

/* How long a sender waits for the receiver to restore the process. */
#define MIG_ACK_TIMEOUT		(60 * HZ)

int mig_capture_send(struct mig_chan *chan, struct mig_capture_info *info);
int mig_capture_wait_ack(struct mig_chan *chan, struct mig_capture_info *info);
bool mig_in_vdso(void);
/* A range of user addresses, [start, end). */
struct mig_span {
	unsigned long start, end;
};

void mig_unmap_all_but(const struct mig_span *keep, int nkeep);
void mig_unmap_all(void);

/* restore.c: rebuild the current process from a channel */
int mig_restore(struct mig_chan *chan, bool set_creds, unsigned long *tramp,
		struct mig_sleep *sleep);

/* timens.c: a moved process keeps its home node's clocks */
struct mig_clock_offsets {
	s64 monotonic;
	s64 boottime;
};

/*
 * User code traps into the module (the deputy's stub, a guest's prelude)
 * with ioctl(-1, MIG_TRAP_MAGIC, ...), recognised by where it comes from.
 */
#define MIG_TRAP_MAGIC		0x6d696721

void mig_clock_sample(u64 *monotonic_ns, u64 *boottime_ns);
void mig_clock_offsets(u64 monotonic_ns, u64 boottime_ns,
		       struct mig_clock_offsets *off);
int mig_timens_prelude(const struct mig_clock_offsets *off,
		       unsigned long *start, unsigned long *end);

/* migrate.c and guest.c: one line of "migctl ps" */
struct mig_ps_entry {
	u8 role;			/* enum mig_role */
	u8 state;			/* enum mig_proc_state */
	pid_t pid;
	u16 home_node;
	u32 home_pid;
	u16 where;
	u32 moves;
	u64 bytes_sent;
};

/* migrate.c: processes of this node that run elsewhere */
int mig_move(u32 pid, u32 dest, const char **why);
int mig_move_current(u16 dest);
void mig_deputy_intr_work(struct callback_head *cb);
bool mig_deputy_may_stop(void);
int mig_check_movable(struct task_struct *task, const char **why);
int mig_check_dest(u32 dest, bool away, const char **why);

int mig_deputy_ps(struct mig_ps_entry *e, int max);

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
};

/* What the syscall hook holds for a task: a guest or a deputy. */
enum {
	MIG_HOOKED_GUEST,
	MIG_HOOKED_DEPUTY,
	MIG_HOOKED_PLACER,
	MIG_HOOKED_SLEEPER,
};

struct mig_hooked {
	u8 kind;
};

int mig_fwd_classify(unsigned long nr, const u64 *args,
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
int mig_signal_relay(struct mig_chan *chan, const kernel_siginfo_t *info);
bool mig_signal_decode(const struct mig_msg_signal *m, kernel_siginfo_t *info);
bool mig_signal_is_job_stop(int sig);
u32 mig_signal_job_flags(void);
bool mig_signal_allow_job_stops(u32 flags);
void mig_guest_stop_work(struct callback_head *cb);
void mig_deputy_stop_work(struct callback_head *cb);

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

/* filemap.c: a guest's mmap() of a home file, made with the local copy */
int mig_file_matches(struct file *file, u64 size, u64 mtime_ns);
void mig_deputy_answer(struct mig_chan *chan, const struct mig_frame *f);
bool mig_guest_map_file(struct mig_chan *chan, const u64 *args, long *ret);
bool mig_on_syscall(void *hooked, const struct pt_regs *regs, long *ret);
bool mig_deputy_syscall(struct mig_hooked *h, const struct pt_regs *regs,
			long *ret);
bool mig_guest_syscall(struct mig_hooked *h, const struct pt_regs *regs,
		       long *ret);

/* place.c: "migctl exec": a process placed on a node at its next exec */
int mig_place_at_exec(u32 dest, const char **why);
bool mig_placer_syscall(struct mig_hooked *h, const struct pt_regs *regs,
			long *ret);
void mig_placer_exited(struct mig_hooked *h);
bool mig_sleeper_syscall(struct mig_hooked *h, const struct pt_regs *regs,
			 long *ret);
void mig_sleeper_exited(struct mig_hooked *h);

/* guest.c: processes running here for another node */
int mig_guest_ps(struct mig_ps_entry *e, int max);
void mig_queue_work(struct work_struct *work);
void mig_queue_delayed_work(struct delayed_work *work, unsigned long delay);
void mig_on_hooked_exit(void *hooked);
void mig_guest_exited(struct mig_hooked *h);
void mig_guest_recall(u16 peer, u32 id);
int mig_guest_begin(u16 peer, const struct mig_msg_begin *begin);
int mig_guest_init(void);
void mig_guest_exit(void);

/* listener.c: accepts connections from peers */
int mig_listener_start(void);
void mig_listener_stop(void);

/* netlink.c */
int __init mig_genl_init(void);
void mig_genl_exit(void);

/* sysfs.c */
int mig_sysfs_init(void);
void mig_sysfs_exit(void);

#endif /* _MIG_H */

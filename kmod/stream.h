/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: per-process message channels on the links. Included through
 * mig.h, after link.h.
 */
#ifndef _MIG_STREAM_H
#define _MIG_STREAM_H

#include <linux/errno.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/signal_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

/* stream.c: per-process message channels on a link */
struct mig_frame {
	struct list_head list;
	u8 type;
	u32 len;
	void *data;
	struct mig_node *from;		/* while queued: its link's account */
};

struct mig_chan {
	struct hlist_node hnode;	/* in the channel table */
	struct kref ref;
	u16 peer;			/* node id at the other end */
	u32 id;				/* made by the node that opened it */
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
	u64 sigfd;			/* a guest's: what signalfds at home watch */
	/* A deputy's: its thread as its node last told (procview.c). */
	struct mig_msg_usage usage;
	unsigned long usage_until;	/* jiffies; 0: none came */
};

struct mig_chan *mig_chan_open(u16 peer, u32 id);
struct mig_chan *mig_chan_open_new(u16 peer);
struct mig_chan *mig_chan_lookup(u16 peer, u32 id);

/* The node that made a channel id (mig_chan_open_new()). */
static inline u16 mig_chan_id_node(u32 id)
{
	return id >> 16;
}

void mig_chan_close(struct mig_chan *chan);
void mig_chan_put(struct mig_chan *chan);
void mig_chan_set_task(struct mig_chan *chan, struct task_struct *task);
void mig_chan_set_deputy(struct mig_chan *chan, struct task_struct *task);
struct task_struct *mig_chan_get_task(struct mig_chan *chan);
void mig_chan_set_usage(struct mig_chan *chan, const struct mig_msg_usage *u);
bool mig_chan_usage(struct mig_chan *chan, struct mig_msg_usage *to);
void mig_chan_interrupt(struct mig_chan *chan);
bool mig_chan_deputy_signalled(struct mig_chan *chan, u64 ignore);
struct mig_frame *mig_chan_recv(struct mig_chan *chan, long timeout);
bool mig_chan_ready(struct mig_chan *chan);
struct mig_frame *mig_chan_recv_any(struct mig_chan *chan, long timeout,
				    bool interruptible);
void mig_frame_free(struct mig_frame *frame);
int mig_chan_send(struct mig_chan *chan, u8 type, const struct kvec *vec,
		  unsigned int n);
int mig_chan_send_ctl(struct mig_chan *chan, u8 type, u32 value, u32 pid);
int mig_ctl_errno(const struct mig_frame *f);

/*
 * An errno as an ACK carries it: positive, and never one of the kernel's
 * internal restart codes (ERESTARTSYS...), which mean nothing to the peer
 * and must not reach a syscall's return there.
 */
static inline u32 mig_ack_value(int err)
{
	if (err <= -ERESTARTSYS && err >= -ERESTART_RESTARTBLOCK)
		err = -EINTR;
	return -err;
}
struct mig_rx;
/* The channel a message from @node names (referenced), or NULL, counted. */
struct mig_chan *mig_msg_chan(struct mig_node *node, const struct mig_rx *rx);
/* A message handler (link.h) that queues it in the channel it names. */
int mig_stream_rx_queue(struct mig_node *node, struct mig_rx *rx);
void mig_stream_node_down(u16 peer);
int mig_stream_init(void);
void mig_stream_exit(void);

#endif /* _MIG_STREAM_H */

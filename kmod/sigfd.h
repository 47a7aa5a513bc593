/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: the signalfds of a process away, held at home (sigfd.c).
 */
#ifndef MIG_SIGFD_H
#define MIG_SIGFD_H

#include <linux/signal.h>
#include <linux/types.h>

struct mig_chan;
struct task_struct;

/* Never watched: the kernel keeps them off every signalfd. */
#define MIG_SIGFD_NEVER	(sigmask(SIGKILL) | sigmask(SIGSTOP))

u64 mig_sigfd_watched_now(void);
bool mig_sigfd_may_change(unsigned long nr, bool any);
int mig_sigfd_tell(struct mig_chan *chan, u64 mask);
void mig_sigfd_flush(struct mig_chan *chan);
void mig_sigfd_raise_home(struct task_struct *deputy,
			  const kernel_siginfo_t *info, bool group);

#endif

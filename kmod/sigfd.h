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

/*
 * Never left for a signalfd: the kernel keeps SIGKILL and SIGSTOP off
 * every signalfd, and SIGCONT must reach the process away to continue
 * it, so it is always relayed.
 */
#define MIG_SIGFD_NEVER	(sigmask(SIGKILL) | sigmask(SIGSTOP) | sigmask(SIGCONT))

u64 mig_sigfd_watched_now(void);
bool mig_sigfd_may_change(unsigned long nr, bool any);
int mig_sigfd_tell(struct mig_chan *chan, u64 mask);
void mig_sigfd_flush(struct mig_chan *chan);
void mig_sigfd_raise_home(struct task_struct *deputy,
			  const kernel_siginfo_t *info, bool group);

#endif

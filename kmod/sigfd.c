// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the signalfds of a process away (Documentation/migration.rst,
 * "Kernel state", signalfd).
 *
 * A signalfd is a descriptor, held at home by the deputy like any, so a
 * read(), poll() or epoll wait of it runs at home, forwarded. It reads
 * the pending signals of the task that reads it: the deputy's, which is
 * the process at home. So the signals it watches must be pending there:
 *
 *  - the deputy learns which signals the process's signalfds watch (the
 *    union of their masks, read from each one's fdinfo) when it starts
 *    serving and after each forwarded call that may add or drop a
 *    descriptor, leaves those pending instead of relaying them, and
 *    tells each thread away (SIGFD);
 *  - a thread away, before each call it forwards and every 100 ms while
 *    it waits for one, takes off its own pending signals that are
 *    watched and that it blocks (its interval timer's SIGALRM, a
 *    signal carried pending by the move) and sends them home (SIGNAL,
 *    home-bound), where the deputy raises them again on itself.
 *
 * A signalfd is only read while the process blocks what it watches: a
 * watched signal it leaves unblocked still runs its handler away, if it
 * is raised there.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <asm/unistd.h>

#include "mig.h"

/* fs/signalfd.c names its anonymous inode so; fdinfo says "sigmask:". */
static bool mig_file_is_signalfd(struct file *file)
{
	return file->f_op && file->f_op->show_fdinfo &&
	       file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file->f_path.dentry->d_name.name, "[signalfd]");
}

static int mig_sigfd_find(const void *p, struct file *file, unsigned int fd)
{
	return mig_file_is_signalfd(file) ? fd + 1 : 0;
}

/*
 * The mask of signalfd @file, as its fdinfo shows it: "sigmask:\t" and
 * 16 hex digits, bit (signo - 1). Anything else reads as no signal.
 */
static u64 mig_sigfd_mask_of(struct file *file)
{
	static const char head[] = "sigmask:\t";
	const size_t hl = sizeof(head) - 1;
	char buf[64] = "";
	struct seq_file m = { .buf = buf, .size = sizeof(buf) - 1 };
	unsigned long long mask;

	file->f_op->show_fdinfo(&m, file);
	if (m.count != hl + 17 || memcmp(buf, head, hl) ||
	    buf[hl + 16] != '\n')
		return 0;
	buf[hl + 16] = '\0';
	if (kstrtoull(buf + hl, 16, &mask))
		return 0;
	return mask;
}

/*
 * The signals current's signalfds watch: current is a deputy, whose
 * file table is the process's.
 */
u64 mig_sigfd_watched_now(void)
{
	unsigned int from = 0;
	struct file *file;
	u64 mask = 0;
	int n;

	while ((n = iterate_fd(current->files, from, mig_sigfd_find, NULL)) > 0) {
		file = fget(n - 1);
		if (file) {
			if (mig_file_is_signalfd(file))
				mask |= mig_sigfd_mask_of(file);
			fput(file);
		}
		from = n;
	}
	return mask & ~(u64)MIG_SIGFD_NEVER;
}

/*
 * Whether forwarded call @nr may change what the process's signalfds
 * watch, @any watching something now. A new one is made at home only
 * (signalfd() is not forwarded: the process comes home for it); away,
 * descriptors go (close, dup2 over one) and come from elsewhere
 * (SCM_RIGHTS, pidfd_getfd()).
 */
bool mig_sigfd_may_change(unsigned long nr, bool any)
{
	switch (nr) {
	case __NR_close:
	case __NR_close_range:
	case __NR_dup2:
	case __NR_dup3:
		return any;
	case __NR_recvmsg:
	case __NR_recvmmsg:
	case __NR_pidfd_getfd:
		return true;
	}
	return false;
}

/* Home tells the thread on @chan what the process's signalfds watch. */
int mig_sigfd_tell(struct mig_chan *chan, u64 mask)
{
	struct mig_msg_sigfd m = {
		.mig_id = cpu_to_be32(chan->id),
		.mask = cpu_to_be64(mask),
	};
	struct kvec vec = { &m, sizeof(m) };

	return mig_chan_send(chan, MIG_MSG_SIGFD, &vec, 1);
}

/*
 * Away, in a guest thread about to forward a call or waiting for one:
 * the signals pending here that a signalfd at home watches and that the
 * thread blocks go home, one by one, to be read there.
 */
void mig_sigfd_flush(struct mig_chan *chan)
{
	u64 watched = READ_ONCE(chan->sigfd);
	kernel_siginfo_t info;
	enum pid_type type;
	sigset_t keep;
	int sig;

	if (!watched)
		return;
	for (;;) {
		spin_lock_irq(&current->sighand->siglock);
		sigfillset(&keep);
		keep.sig[0] = ~(watched & current->blocked.sig[0]);
		sig = dequeue_signal(current, &keep, &info, &type);
		spin_unlock_irq(&current->sighand->siglock);
		if (sig <= 0)
			break;
		if (mig_signal_relay(chan, &info, type != PIDTYPE_PID))
			break;	/* home is gone: the process goes with it */
	}
}

/*
 * At home, from the receive loop: a signal the process took away for a
 * signalfd of its own. Raised again on its deputy, which leaves it
 * pending for the signalfd: on the whole process if it was the
 * process's and as from the kernel (a timer's), else on the thread.
 */
void mig_sigfd_raise_home(struct task_struct *deputy,
			  const kernel_siginfo_t *info, bool group)
{
	kernel_siginfo_t copy = *info;
	struct pid *pid;

	if (group && info->si_code == SI_KERNEL) {
		pid = get_task_pid(deputy, PIDTYPE_TGID);
		if (pid) {
			kill_pid(pid, info->si_signo, 1);
			put_pid(pid);
		}
		return;
	}
	send_sig_info(info->si_signo, &copy, deputy);
}

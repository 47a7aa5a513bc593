// SPDX-License-Identifier: GPL-2.0
/*
 * mig: signals sent to the process at home reach it where it runs, with
 * what their siginfo says of the sender.
 *
 * The deputy dequeues the signals sent to it (it blocks them all) and
 * relays each as a SIGNAL message. Only what a sender can say travels,
 * by si_code: the pid and uid of kill() and tgkill(), the value of
 * sigqueue() and POSIX message queues, and SIGCHLD's child pid and
 * status. Everything else is delivered as from the kernel (SI_KERNEL):
 * the receiving end never takes a code it does not know from the wire.
 */
#include <linux/sched/signal.h>
#include <linux/signal.h>

#include "mig.h"

static bool mig_sig_has_sender(int code)
{
	return code == SI_USER || code == SI_TKILL || code == SI_QUEUE ||
	       code == SI_MESGQ;
}

static bool mig_sig_has_value(int code)
{
	return code == SI_QUEUE || code == SI_MESGQ;
}

static bool mig_sig_is_child(int sig, int code)
{
	return sig == SIGCHLD && code >= CLD_EXITED && code <= CLD_CONTINUED;
}

/* Sends signal @info (dequeued by the deputy) to the process on @chan. */
int mig_signal_relay(struct mig_chan *chan, const kernel_siginfo_t *info)
{
	struct mig_msg_signal m = {
		.mig_id = cpu_to_be32(chan->id),
		.signo = cpu_to_be32(info->si_signo),
		.code = cpu_to_be32(SI_KERNEL),
	};
	struct kvec vec = { &m, sizeof(m) };
	int code = info->si_code;

	if (mig_sig_has_sender(code)) {
		m.code = cpu_to_be32(code);
		m.pid = cpu_to_be32(info->si_pid);
		m.uid = cpu_to_be32(info->si_uid);
		if (mig_sig_has_value(code))
			m.value = cpu_to_be64((unsigned long)info->si_ptr);
	} else if (mig_sig_is_child(info->si_signo, code)) {
		m.code = cpu_to_be32(code);
		m.pid = cpu_to_be32(info->si_pid);
		m.uid = cpu_to_be32(info->si_uid);
		m.status = cpu_to_be32(info->si_status);
	}
	return mig_chan_send(chan, MIG_MSG_SIGNAL, &vec, 1);
}

/*
 * The siginfo to deliver relayed signal @m with, built field by field;
 * false for a message no deputy sends.
 */
bool mig_signal_decode(const struct mig_msg_signal *m, kernel_siginfo_t *info)
{
	u32 sig = be32_to_cpu(m->signo);
	int code = (s32)be32_to_cpu(m->code);

	if (!sig || !valid_signal(sig) || sig == SIGKILL)
		return false;
	clear_siginfo(info);
	info->si_signo = sig;
	info->si_code = SI_KERNEL;
	if (mig_sig_has_sender(code) || mig_sig_is_child(sig, code)) {
		info->si_code = code;
		info->si_pid = be32_to_cpu(m->pid);
		info->si_uid = be32_to_cpu(m->uid);
	}
	if (mig_sig_has_value(code))
		info->si_ptr = (void __user *)(unsigned long)be64_to_cpu(m->value);
	if (mig_sig_is_child(sig, code))
		info->si_status = be32_to_cpu(m->status);
	return true;
}

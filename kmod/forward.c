// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the forwarding table, and both ends of a forwarded system call.
 *
 * Every syscall of a guest is classified here, in one place:
 *  - local: it only touches the process's own memory, its CPU or its
 *    signal state, and runs at the destination (brk, anonymous mmap,
 *    futex, clocks, sigaction, exit, ...);
 *  - forwarded: it touches home resources (files, pipes, terminal,
 *    sockets, waits on descriptors, cwd, pids, credentials); the guest
 *    sends it with the data its pointer
 *    arguments point to, and the deputy runs it at home, natively, in the
 *    process's own context, then sends the result and the data written;
 *  - refused: anything else. It is never run at the wrong place: the
 *    process goes home and makes the call there (mig_guest_syscall());
 *    numbers x86-64 never implemented get -ENOSYS here, as anywhere.
 *
 * The argument descriptors say which arguments are buffers, in which
 * direction, and how long: both ends derive the same layout from them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fcntl.h>
#include <linux/futex.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <asm/ioctls.h>
#include <asm/unistd.h>

#include "mig.h"

#define V		{ MIG_ARG_VAL }
#define IN(l)		{ MIG_ARG_IN, l }
#define OUT(l)		{ MIG_ARG_OUT, l }
#define STR		{ MIG_ARG_STR }
#define INF(s)		{ MIG_ARG_INF, 0, s }
#define OUTF(s)		{ MIG_ARG_OUTF, 0, s }
#define INOUTF(s)	{ MIG_ARG_INOUTF, 0, s }
#define INOUTA(l, s)	{ MIG_ARG_INOUTA, l, s }
#define OUTA(l, s)	{ MIG_ARG_OUTA, l, s }
#define OUTL(l, s)	{ MIG_ARG_OUTL, l, s }
#define INOUTB(l)	{ MIG_ARG_INOUTB, l }
#define SIGMASK(l)	{ MIG_ARG_SIGMASK, l }
#define SIGMASK6	{ MIG_ARG_SIGMASK6 }
#define NARGS(...)	(sizeof((struct mig_arg_desc[]){ __VA_ARGS__ }) / \
			 sizeof(struct mig_arg_desc))
#define FWD(...)	{ MIG_SYS_FORWARD, NARGS(__VA_ARGS__), { __VA_ARGS__ } }
#define FWD0		{ MIG_SYS_FORWARD, 0 }
#define LOCAL		{ MIG_SYS_LOCAL }
#define SPECIAL		{ MIG_SYS_SPECIAL }
#define MSGHDR		{ MIG_SYS_FORWARD_MSG, 3 }	/* fwdmsg.c */

struct mig_fwd_desc {
	u8 action;
	u8 nargs;
	struct mig_arg_desc arg[6];
	u8 pid;			/* 1 + the argument naming a process; 0: none */
};

/*
 * Calls naming a process by pid: 0 or the process's own (home) pid is the
 * process itself, which runs here, so the call runs here for itself. Any
 * other pid is a process of the home node: the call is forwarded (PID_FWD)
 * or, when its arguments do not travel, the process goes home for it
 * (PID_HOME). Never does it reach an unrelated process of this node.
 */
#define PID_FWD(p, ...)	{ MIG_SYS_FORWARD, NARGS(__VA_ARGS__), { __VA_ARGS__ }, \
			  (p) + 1 }
#define PID_HOME(p)	{ .action = MIG_SYS_REFUSE, .pid = (p) + 1 }

#define MIG_STAT_SIZE	144	/* struct stat, x86-64 */
#define MIG_STATX_SIZE	256
#define MIG_TERMIOS	36	/* struct termios (TCGETS) */
#define MIG_FLOCK	32	/* struct flock, x86-64 */
#define MIG_POLLFD	8	/* struct pollfd */
#define MIG_EPOLL_EVENT	12	/* struct epoll_event, packed on x86-64 */
#define MIG_TIMEVAL	16
#define MIG_TIMESPEC	16
#define MIG_SIGINFO	128	/* siginfo_t */
#define MIG_SOCKADDR	128	/* struct sockaddr_storage */
#define MIG_SOCKOPT	256	/* the largest option value forwarded */

static const struct mig_fwd_desc mig_fwd_table[__NR_syscalls] = {
	/* Files, pipes, terminals: the home node's descriptors. */
	[__NR_read] = FWD(V, OUT(2), V),
	[__NR_write] = FWD(V, IN(2), V),
	[__NR_pread64] = FWD(V, OUT(2), V, V),
	[__NR_pwrite64] = FWD(V, IN(2), V, V),
	[__NR_open] = FWD(STR, V, V),
	[__NR_openat] = FWD(V, STR, V, V),
	[__NR_creat] = FWD(STR, V),
	[__NR_close] = FWD(V),
	[__NR_close_range] = FWD(V, V, V),
	[__NR_lseek] = FWD(V, V, V),
	[__NR_fstat] = FWD(V, OUTF(MIG_STAT_SIZE)),
	[__NR_stat] = FWD(STR, OUTF(MIG_STAT_SIZE)),
	[__NR_lstat] = FWD(STR, OUTF(MIG_STAT_SIZE)),
	[__NR_newfstatat] = FWD(V, STR, OUTF(MIG_STAT_SIZE), V),
	[__NR_statx] = FWD(V, STR, V, V, OUTF(MIG_STATX_SIZE)),
	[__NR_getdents64] = FWD(V, OUT(2), V),
	[__NR_dup] = FWD(V),
	[__NR_dup2] = FWD(V, V),
	[__NR_dup3] = FWD(V, V, V),
	[__NR_pipe] = FWD(OUTF(8)),
	[__NR_pipe2] = FWD(OUTF(8), V),
	[__NR_fsync] = FWD(V),
	[__NR_fdatasync] = FWD(V),
	[__NR_ftruncate] = FWD(V, V),
	[__NR_truncate] = FWD(STR, V),
	[__NR_fadvise64] = FWD(V, V, V, V),
	[__NR_memfd_create] = FWD(STR, V),
	[__NR_ioctl] = SPECIAL,
	[__NR_fcntl] = SPECIAL,
	[__NR_mmap] = SPECIAL,
	/* Waiting on home descriptors: the wait happens at home. */
	[__NR_poll] = FWD(INOUTA(1, MIG_POLLFD), V, V),
	[__NR_ppoll] = FWD(INOUTA(1, MIG_POLLFD), V, INOUTF(MIG_TIMESPEC),
			   SIGMASK(4), V),
	[__NR_select] = FWD(V, INOUTB(0), INOUTB(0), INOUTB(0),
			    INOUTF(MIG_TIMEVAL)),
	[__NR_pselect6] = FWD(V, INOUTB(0), INOUTB(0), INOUTB(0),
			      INOUTF(MIG_TIMESPEC), SIGMASK6),
	[__NR_epoll_create] = FWD(V),
	[__NR_epoll_create1] = FWD(V),
	[__NR_epoll_ctl] = FWD(V, V, V, INF(MIG_EPOLL_EVENT)),
	[__NR_epoll_wait] = FWD(V, OUTA(2, MIG_EPOLL_EVENT), V, V),
	[__NR_epoll_pwait] = FWD(V, OUTA(2, MIG_EPOLL_EVENT), V, V,
				 SIGMASK(5), V),
	[__NR_epoll_pwait2] = FWD(V, OUTA(2, MIG_EPOLL_EVENT), V,
				  INF(MIG_TIMESPEC), SIGMASK(5), V),
	/* Sockets: the home node's network. */
	[__NR_socket] = FWD(V, V, V),
	[__NR_socketpair] = FWD(V, V, V, OUTF(8)),
	[__NR_bind] = FWD(V, IN(2), V),
	[__NR_connect] = FWD(V, IN(2), V),
	[__NR_listen] = FWD(V, V),
	[__NR_shutdown] = FWD(V, V),
	[__NR_setsockopt] = FWD(V, V, V, IN(4), V),
	[__NR_sendto] = FWD(V, IN(2), V, V, IN(5), V),
	[__NR_recvfrom] = FWD(V, OUT(2), V, V, OUTL(5, MIG_SOCKADDR),
			      INOUTF(4)),
	[__NR_accept] = FWD(V, OUTL(2, MIG_SOCKADDR), INOUTF(4)),
	[__NR_accept4] = FWD(V, OUTL(2, MIG_SOCKADDR), INOUTF(4), V),
	[__NR_getsockname] = FWD(V, OUTL(2, MIG_SOCKADDR), INOUTF(4)),
	[__NR_getpeername] = FWD(V, OUTL(2, MIG_SOCKADDR), INOUTF(4)),
	[__NR_getsockopt] = FWD(V, V, V, OUTL(4, MIG_SOCKOPT), INOUTF(4)),
	[__NR_sendmsg] = MSGHDR,
	[__NR_recvmsg] = MSGHDR,
	[__NR_sendmmsg] = MSGHDR,
	[__NR_recvmmsg] = SPECIAL,
	/* The file system as the home node sees it. */
	[__NR_getcwd] = FWD(OUT(1), V),
	[__NR_chdir] = FWD(STR),
	[__NR_fchdir] = FWD(V),
	[__NR_access] = FWD(STR, V),
	[__NR_faccessat] = FWD(V, STR, V),
	[__NR_faccessat2] = FWD(V, STR, V, V),
	[__NR_readlink] = FWD(STR, OUT(2), V),
	[__NR_readlinkat] = FWD(V, STR, OUT(3), V),
	[__NR_unlink] = FWD(STR),
	[__NR_unlinkat] = FWD(V, STR, V),
	[__NR_mkdir] = FWD(STR, V),
	[__NR_mkdirat] = FWD(V, STR, V),
	[__NR_rmdir] = FWD(STR),
	[__NR_rename] = FWD(STR, STR),
	[__NR_renameat2] = FWD(V, STR, V, STR, V),
	[__NR_chmod] = FWD(STR, V),
	[__NR_fchmod] = FWD(V, V),
	[__NR_umask] = FWD(V),
	/* Who the process is: answered by its home. */
	[__NR_getpid] = FWD0,
	[__NR_getppid] = FWD0,
	[__NR_gettid] = FWD0,
	[__NR_getuid] = FWD0,
	[__NR_geteuid] = FWD0,
	[__NR_getgid] = FWD0,
	[__NR_getegid] = FWD0,
	[__NR_getpgrp] = FWD0,
	[__NR_getpgid] = FWD(V),
	[__NR_getsid] = FWD(V),
	[__NR_kill] = FWD(V, V),
	[__NR_tkill] = FWD(V, V),
	[__NR_tgkill] = FWD(V, V, V),
	[__NR_rt_sigqueueinfo] = FWD(V, V, INF(MIG_SIGINFO)),
	[__NR_rt_tgsigqueueinfo] = FWD(V, V, V, INF(MIG_SIGINFO)),
	[__NR_uname] = FWD(OUTF(sizeof(struct new_utsname))),
	/* Other processes: home's; see PID_FWD. */
	[__NR_sched_getaffinity] = PID_FWD(0, V, V, OUT(1)),
	[__NR_sched_setaffinity] = PID_FWD(0, V, V, IN(1)),
	[__NR_sched_getparam] = PID_FWD(0, V, OUTF(4)),
	[__NR_sched_setparam] = PID_FWD(0, V, INF(4)),
	[__NR_sched_getscheduler] = PID_FWD(0, V),
	[__NR_sched_setscheduler] = PID_FWD(0, V, V, INF(4)),
	[__NR_sched_rr_get_interval] = PID_FWD(0, V, OUTF(MIG_TIMESPEC)),
	[__NR_sched_getattr] = PID_HOME(0),	/* sized by the struct */
	[__NR_sched_setattr] = PID_HOME(0),
	[__NR_prlimit64] = PID_FWD(0, V, V, INF(16), OUTF(16)),
	/* PRIO_PROCESS only: a group's or a user's processes are home's. */
	[__NR_getpriority] = PID_FWD(1, V, V),
	[__NR_setpriority] = PID_FWD(1, V, V, V),
	[__NR_get_robust_list] = PID_FWD(0, V, OUTF(8), OUTF(8)),
	[__NR_process_vm_readv] = PID_HOME(0),	/* iovecs */
	[__NR_process_vm_writev] = PID_HOME(0),
	[__NR_migrate_pages] = PID_HOME(0),
	[__NR_move_pages] = PID_HOME(0),
	/*
	 * Always home's: a pidfd is a descriptor; the deputy, which stands
	 * for the process at home, does its file I/O, so its I/O priority
	 * is the one that counts.
	 */
	[__NR_pidfd_open] = FWD(V, V),
	[__NR_pidfd_send_signal] = FWD(V, V, INF(MIG_SIGINFO), V),
	[__NR_pidfd_getfd] = FWD(V, V, V),
	[__NR_ioprio_get] = FWD(V, V),
	[__NR_ioprio_set] = FWD(V, V, V),
	/* The process's own memory, CPU, clocks and signal state. */
	[__NR_brk] = LOCAL,
	[__NR_munmap] = LOCAL,
	[__NR_mprotect] = LOCAL,
	[__NR_madvise] = LOCAL,
	[__NR_mincore] = LOCAL,
	[__NR_mremap] = LOCAL,
	[__NR_mlock] = LOCAL,
	[__NR_munlock] = LOCAL,
	[__NR_mlock2] = LOCAL,
	[__NR_mlockall] = LOCAL,
	[__NR_munlockall] = LOCAL,
	[__NR_futex] = SPECIAL,
	[__NR_nanosleep] = LOCAL,
	[__NR_clock_nanosleep] = LOCAL,
	[__NR_clock_gettime] = LOCAL,
	[__NR_clock_getres] = LOCAL,
	[__NR_gettimeofday] = LOCAL,
	[__NR_time] = LOCAL,
	[__NR_sched_yield] = LOCAL,
	[__NR_getcpu] = LOCAL,
	[__NR_getrandom] = LOCAL,
	[__NR_rt_sigprocmask] = LOCAL,
	[__NR_rt_sigaction] = LOCAL,
	[__NR_rt_sigpending] = LOCAL,
	[__NR_rt_sigsuspend] = LOCAL,
	[__NR_rt_sigtimedwait] = LOCAL,
	[__NR_rt_sigreturn] = LOCAL,
	[__NR_sigaltstack] = LOCAL,
	[__NR_pause] = LOCAL,
	[__NR_restart_syscall] = LOCAL,
	[__NR_exit] = LOCAL,
	[__NR_exit_group] = LOCAL,
	[__NR_arch_prctl] = LOCAL,
	[__NR_set_tid_address] = LOCAL,
	[__NR_set_robust_list] = LOCAL,
	[__NR_rseq] = LOCAL,
	[__NR_getrusage] = LOCAL,
	[__NR_times] = LOCAL,
	[__NR_getrlimit] = LOCAL,
	[__NR_setrlimit] = LOCAL,
	[__NR_sysinfo] = LOCAL,
	[__NR_membarrier] = LOCAL,
	/* Its interval timers travel with it (state.c). */
	[__NR_setitimer] = LOCAL,
	[__NR_getitimer] = LOCAL,
	[__NR_alarm] = LOCAL,
	[__NR_prctl] = SPECIAL,

	/*
	 * Numbers x86-64 never implemented (-ENOSYS anywhere): answered here
	 * rather than bringing the process home for an error. The gap
	 * between rseq and pidfd_send_signal is mig_fwd_classify()'s.
	 */
	[__NR_uselib] = LOCAL,
	[__NR_create_module] = LOCAL,
	[__NR_get_kernel_syms] = LOCAL,
	[__NR_query_module] = LOCAL,
	[__NR_nfsservctl] = LOCAL,
	[__NR_getpmsg] = LOCAL,
	[__NR_putpmsg] = LOCAL,
	[__NR_afs_syscall] = LOCAL,
	[__NR_tuxcall] = LOCAL,
	[__NR_security] = LOCAL,
	[__NR_set_thread_area] = LOCAL,
	[__NR_get_thread_area] = LOCAL,
	[__NR_epoll_ctl_old] = LOCAL,
	[__NR_epoll_wait_old] = LOCAL,
	[__NR_vserver] = LOCAL,
};

static void mig_plan_val(struct mig_fwd_plan *p, int nargs)
{
	int i;

	p->nargs = nargs;
	for (i = 0; i < 6; i++)
		p->arg[i].kind = MIG_ARG_VAL;
}

static int mig_plan_ioctl(struct mig_fwd_plan *p, const u64 *args)
{
	mig_plan_val(p, 3);
	switch ((u32)args[1]) {
	case TCGETS:
		p->arg[2] = (struct mig_arg_desc)OUTF(MIG_TERMIOS);
		return 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		p->arg[2] = (struct mig_arg_desc)INF(MIG_TERMIOS);
		return 0;
	case TIOCGWINSZ:
		p->arg[2] = (struct mig_arg_desc)OUTF(8);
		return 0;
	case TIOCSWINSZ:
		p->arg[2] = (struct mig_arg_desc)INF(8);
		return 0;
	case FIONREAD:
	case TIOCGPGRP:
		p->arg[2] = (struct mig_arg_desc)OUTF(4);
		return 0;
	case TIOCSPGRP:
	case FIONBIO:
		p->arg[2] = (struct mig_arg_desc)INF(4);
		return 0;
	case FIOCLEX:
	case FIONCLEX:
		return 0;
	}
	return -EOPNOTSUPP;
}

static int mig_plan_fcntl(struct mig_fwd_plan *p, const u64 *args)
{
	mig_plan_val(p, 3);
	switch ((u32)args[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
	case F_GETFD:
	case F_SETFD:
	case F_GETFL:
	case F_SETFL:
		return 0;
	case F_GETLK:
		p->arg[2] = (struct mig_arg_desc){ MIG_ARG_INOUTF, 0, MIG_FLOCK };
		return 0;
	case F_SETLK:
	case F_SETLKW:
		p->arg[2] = (struct mig_arg_desc)INF(MIG_FLOCK);
		return 0;
	}
	return -EOPNOTSUPP;
}

/*
 * prctl() options on state that travels with the process (state.c):
 * run where it runs. The others are home's: the parent, the children,
 * the credentials and the deputy's own state are there.
 */
static bool mig_prctl_is_local(u64 option)
{
	switch (option) {
	case PR_GET_TIMERSLACK:
	case PR_SET_TIMERSLACK:
	case PR_GET_THP_DISABLE:
	case PR_SET_THP_DISABLE:
	case PR_GET_NAME:
	case PR_GET_DUMPABLE:
	case PR_GET_NO_NEW_PRIVS:
		return true;
	}
	return false;
}

/* The argument of call @nr that names a process, or -1. */
static int mig_pid_arg(unsigned long nr, const struct mig_fwd_desc *d,
		       const u64 *args)
{
	if (!d->pid)
		return -1;
	if ((nr == __NR_getpriority || nr == __NR_setpriority) &&
	    args[0] != PRIO_PROCESS)
		return -1;
	return d->pid - 1;
}

/*
 * Whether call @nr names the process itself, as 0 or as @self, its pid at
 * home: MIG_SYS_LOCAL or MIG_SYS_SELF (the argument is in plan->self_arg),
 * else 0.
 */
static int mig_fwd_self(unsigned long nr, const struct mig_fwd_desc *d,
			const u64 *args, pid_t self, struct mig_fwd_plan *plan)
{
	int i = mig_pid_arg(nr, d, args);

	if (i < 0)
		return 0;
	if (!(int)args[i])
		return MIG_SYS_LOCAL;
	if ((int)args[i] != self)
		return 0;
	plan->self_arg = i;
	return MIG_SYS_SELF;
}

/*
 * What to do with syscall @nr and its arguments, for the process whose
 * home pid is @self: MIG_SYS_LOCAL, MIG_SYS_SELF, MIG_SYS_FORWARD with
 * @plan's argument kinds filled, or MIG_SYS_REFUSE.
 */
/*
 * A priority-inheritance futex names its owner by tid in the futex word:
 * the tids of the process are its home ones, which only home's kernel
 * knows. Those operations run at home; the others are the memory's own.
 */
static bool mig_futex_is_pi(u64 op)
{
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_UNLOCK_PI:
	case FUTEX_TRYLOCK_PI:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_CMP_REQUEUE_PI:
		return true;
	}
	return false;
}

int mig_fwd_classify(unsigned long nr, const u64 *args, pid_t self,
		     struct mig_fwd_plan *plan)
{
	const struct mig_fwd_desc *d;
	int i;

	if (nr >= __NR_syscalls)
		return MIG_SYS_REFUSE;
	/* The numbers x86-64 left unused after rseq: -ENOSYS here too. */
	if (nr > __NR_rseq && nr < __NR_pidfd_send_signal)
		return MIG_SYS_LOCAL;
	d = &mig_fwd_table[nr];
	memset(plan, 0, sizeof(*plan));
	i = mig_fwd_self(nr, d, args, self, plan);
	if (i)
		return i;
	switch (d->action) {
	case MIG_SYS_LOCAL:
	case MIG_SYS_REFUSE:
	case MIG_SYS_FORWARD_MSG:
		return d->action;
	case MIG_SYS_FORWARD:
		plan->nargs = d->nargs;
		for (i = 0; i < 6; i++)
			plan->arg[i] = d->arg[i];
		return MIG_SYS_FORWARD;
	}
	/* Special: decided by the arguments. */
	if (nr == __NR_mmap)	/* anonymous memory is the process's own */
		return args[3] & MAP_ANONYMOUS ? MIG_SYS_LOCAL : MIG_SYS_MAP_FILE;
	if (nr == __NR_ioctl)
		return mig_plan_ioctl(plan, args) ? MIG_SYS_REFUSE :
		       MIG_SYS_FORWARD;
	if (nr == __NR_fcntl)
		return mig_plan_fcntl(plan, args) ? MIG_SYS_REFUSE :
		       MIG_SYS_FORWARD;
	if (nr == __NR_prctl)
		return mig_prctl_is_local(args[0]) ? MIG_SYS_LOCAL :
		       MIG_SYS_REFUSE;
	if (nr == __NR_futex)
		return mig_futex_is_pi(args[1]) ? MIG_SYS_REFUSE : MIG_SYS_LOCAL;
	/* Its timeout runs across the messages: that loop is home's. */
	if (nr == __NR_recvmmsg)
		return args[4] ? MIG_SYS_REFUSE : MIG_SYS_FORWARD_MSG;
	return MIG_SYS_REFUSE;
}

static bool mig_arg_reads(u8 kind)
{
	return kind == MIG_ARG_IN || kind == MIG_ARG_STR ||
	       kind == MIG_ARG_INF || kind == MIG_ARG_INOUTF ||
	       kind == MIG_ARG_INOUTA || kind == MIG_ARG_INOUTB;
}

static bool mig_arg_writes(u8 kind)
{
	return kind == MIG_ARG_OUT || kind == MIG_ARG_OUTF ||
	       kind == MIG_ARG_INOUTF || kind == MIG_ARG_INOUTA ||
	       kind == MIG_ARG_OUTA || kind == MIG_ARG_OUTL ||
	       kind == MIG_ARG_INOUTB;
}

/* Bytes the call wrote into argument @i, given its result. */
static u32 mig_out_len(const struct mig_fwd_plan *p, int i, long ret)
{
	switch (p->arg[i].kind) {
	case MIG_ARG_OUT:
		return ret > 0 ? min_t(u64, ret, p->out_cap[i]) : 0;
	case MIG_ARG_OUTF:
	case MIG_ARG_INOUTF:
	case MIG_ARG_OUTL:
		return ret >= 0 ? p->arg[i].size : 0;
	case MIG_ARG_INOUTA:
	case MIG_ARG_INOUTB:
		return ret >= 0 ? p->out_cap[i] : 0;
	case MIG_ARG_OUTA:
		return ret > 0 ? min_t(u64, ret * p->arg[i].size,
				       p->out_cap[i]) : 0;
	}
	return 0;
}

/*
 * Sizes the buffers of a call from its arguments (clamping I/O lengths,
 * which makes large reads and writes short, as they may be). Strings are
 * sized by @strlen_fn. Returns the total of in data, or -errno.
 */
static long mig_plan_sizes(struct mig_fwd_plan *p, u64 *args,
			   long (*strlen_fn)(u64 ptr, void *ctx), void *ctx)
{
	long total_in = 0, total_out = 0, n;
	int i, bits;

	for (i = 0; i < p->nargs; i++) {
		const struct mig_arg_desc *a = &p->arg[i];

		/* A NULL struct or buffer pointer goes through as it is. */
		if (a->kind != MIG_ARG_STR && !args[i])
			p->arg[i].kind = MIG_ARG_VAL;
		switch (a->kind) {
		case MIG_ARG_IN:
		case MIG_ARG_OUT:
			if (a->len >= p->nargs)
				return -EINVAL;
			args[a->len] = min_t(u64, args[a->len], MIG_FWD_MAX_BUF);
			if (a->kind == MIG_ARG_IN)
				p->in_len[i] = args[a->len];
			else
				p->out_cap[i] = args[a->len];
			break;
		case MIG_ARG_STR:
			n = strlen_fn(args[i], ctx);
			if (n < 0)
				return n;
			p->in_len[i] = n;
			break;
		case MIG_ARG_INF:
			p->in_len[i] = a->size;
			break;
		case MIG_ARG_OUTF:
		case MIG_ARG_OUTL:
			p->out_cap[i] = a->size;
			break;
		case MIG_ARG_INOUTF:
			p->in_len[i] = a->size;
			p->out_cap[i] = a->size;
			break;
		case MIG_ARG_INOUTA:
		case MIG_ARG_OUTA:
			/* Arrays are not cut short: too long is an error. */
			if (a->len >= p->nargs ||
			    args[a->len] > MIG_FWD_MAX_BUF / a->size)
				return -EINVAL;
			p->out_cap[i] = args[a->len] * a->size;
			if (a->kind == MIG_ARG_INOUTA)
				p->in_len[i] = p->out_cap[i];
			break;
		case MIG_ARG_INOUTB:
			/* select()'s fd sets: as many longs as bits need. */
			if (a->len >= p->nargs)
				return -EINVAL;
			bits = (int)args[a->len];
			if (bits < 0 || bits > MIG_FWD_MAX_BUF * BITS_PER_BYTE)
				return -EINVAL;
			p->in_len[i] = BITS_TO_LONGS(bits) * sizeof(long);
			p->out_cap[i] = p->in_len[i];
			break;
		case MIG_ARG_SIGMASK:
		case MIG_ARG_SIGMASK6:
			/* The guest has taken it (NULL is a value by now). */
			return -EPROTO;
		}
		total_in += p->in_len[i];
		total_out += p->out_cap[i];
	}
	if (total_in > MIG_FWD_MAX_DATA || total_out > MIG_FWD_MAX_DATA)
		return -E2BIG;
	return total_in;
}

/* ---- guest side ---- */

static long mig_user_strlen(u64 ptr, void *ctx)
{
	long n = strnlen_user((const char __user *)ptr, PATH_MAX);

	if (!n)
		return -EFAULT;
	if (n > PATH_MAX)
		return -ENAMETOOLONG;
	return n;		/* with the NUL */
}

static int mig_gather_in(const struct mig_fwd_plan *p, const u64 *args,
			 u8 *buf)
{
	int i;

	for (i = 0; i < p->nargs; i++) {
		if (!mig_arg_reads(p->arg[i].kind) || !p->in_len[i])
			continue;
		if (copy_from_user(buf, (const void __user *)args[i],
				   p->in_len[i]))
			return -EFAULT;
		if (p->arg[i].kind == MIG_ARG_STR)
			buf[p->in_len[i] - 1] = 0;
		buf += p->in_len[i];
	}
	return 0;
}

/*
 * A sockaddr-like result travels at its full size, but the caller's
 * buffer holds only what its length argument said before the call (the
 * kernel writes no more; the length then says how long the whole was).
 */
static void mig_note_room(struct mig_fwd_plan *p, const u64 *args)
{
	int i, room;

	for (i = 0; i < p->nargs; i++) {
		if (p->arg[i].kind != MIG_ARG_OUTL)
			continue;
		if (!args[p->arg[i].len] ||
		    get_user(room, (int __user *)args[p->arg[i].len]) ||
		    room < 0)
			room = 0;
		p->room[i] = min_t(u32, room, p->arg[i].size);
	}
}

static int mig_scatter_out(const struct mig_fwd_plan *p, const u64 *args,
			   long ret, const u8 *buf, u32 len)
{
	u32 used = 0, n;
	int i;

	for (i = 0; i < p->nargs; i++) {
		n = mig_out_len(p, i, ret);
		if (!mig_arg_writes(p->arg[i].kind) || !n)
			continue;
		if (used + n > len)
			return -EPROTO;
		if (copy_to_user((void __user *)args[i], buf + used,
				 p->arg[i].kind == MIG_ARG_OUTL ?
				 min(n, p->room[i]) : n))
			return -EFAULT;
		used += n;
	}
	return used == len ? 0 : -EPROTO;
}

/*
 * The SYSRET that answers the guest's last SYSCALL on @chan. With
 * @interrupted, a signal for the guest asks home once to interrupt the
 * call (INTR), and *interrupted says it did; the answer still comes.
 * While a signalfd at home watches signals, those the thread takes here
 * meanwhile and blocks (its timer's) go home every 100 ms: the call may
 * be a read of that very signalfd (sigfd.c).
 */
static struct mig_frame *mig_fwd_recv_sysret(struct mig_chan *chan,
					     bool *interrupted)
{
	struct mig_frame *f;

	for (;;) {
		bool wake_on_signal = interrupted && !*interrupted;
		long wait = interrupted && READ_ONCE(chan->sigfd) ?
			    HZ / 10 : MAX_SCHEDULE_TIMEOUT;

		f = mig_chan_recv_any(chan, wait, wake_on_signal);
		if (PTR_ERR(f) == -EINTR && wake_on_signal &&
		    !fatal_signal_pending(current)) {
			*interrupted = true;
			mig_chan_send_ctl(chan, MIG_MSG_INTR, 0, 0);
			continue;
		}
		if (IS_ERR(f)) {
			if (PTR_ERR(f) == -ETIMEDOUT) {
				if (interrupted)
					mig_sigfd_flush(chan);
				continue;
			}
			/* Killed, or home is gone (then we are being killed). */
			return ERR_PTR(-EINTR);
		}
		if (f->type == MIG_MSG_SYSRET)
			return f;
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		mig_frame_free(f);
	}
}

/*
 * What call @nr returns when a signal cuts it short, for the signal's
 * delivery at the guest to decide as it would at home: the poll family
 * restarts only without a handler, epoll waits never, the rest with
 * SA_RESTART.
 */
static long mig_fwd_interrupted(unsigned long nr)
{
	switch (nr) {
	case __NR_poll:
	case __NR_ppoll:
	case __NR_select:
	case __NR_pselect6:
		return -ERESTARTNOHAND;
	}
	return mig_sys_never_restarts(nr) ? -EINTR : -ERESTARTSYS;
}

/*
 * The calls that end with -EINTR, never restarted, whatever interrupts
 * them (a signal handler's SA_RESTART included).
 */
bool mig_sys_never_restarts(unsigned long nr)
{
	switch (nr) {
	case __NR_epoll_wait:
	case __NR_epoll_pwait:
	case __NR_epoll_pwait2:
	case __NR_rt_sigtimedwait:
		return true;
	}
	return false;
}

/*
 * The answer to the guest's call @nr: the SYSRET frame, its out data
 * checked to be as long as it says, and in *@ret the call's result.
 */
static struct mig_frame *mig_fwd_await(struct mig_chan *chan,
				       unsigned long nr, long *ret, bool *again)
{
	const struct mig_msg_sysret *r;
	bool interrupted = false;
	struct mig_frame *f;

	f = mig_fwd_recv_sysret(chan, &interrupted);
	if (IS_ERR(f))
		return f;
	r = f->data;
	if (be32_to_cpu(r->out_len) != f->len - sizeof(*r)) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		mig_frame_free(f);
		return ERR_PTR(-EIO);
	}
	*ret = (long)be64_to_cpu(r->ret);
	/*
	 * The deputy runs calls with every signal blocked: -EINTR from home
	 * means it was cut short for a signal, ours or one sent at home and
	 * relayed ahead of this answer. With that signal pending here, its
	 * delivery decides, as for a local call, whether the call restarts
	 * (SA_RESTART) or fails. If none is pending (a relayed signal that
	 * is ignored here, SIGWINCH or SIGCONT, never got queued), nothing
	 * would have interrupted the call: *@again says to run it again.
	 */
	*again = false;
	if (*ret == -EINTR) {
		if (interrupted || signal_pending(current))
			*ret = mig_fwd_interrupted(nr);
		else
			*again = true;
	}
	return f;
}

/*
 * Asks the deputy question @call (MIG_CALL_*) with argument @arg; returns
 * its SYSRET frame for the caller to check and free.
 */
struct mig_frame *mig_fwd_ask(struct mig_chan *chan, u32 call, u64 arg)
{
	struct mig_msg_syscall msg = {
		.mig_id = cpu_to_be32(chan->id),
		.nr = cpu_to_be32(call),
		.args[0] = cpu_to_be64(arg),
	};
	struct kvec vec = { &msg, sizeof(msg) };

	if (mig_chan_send(chan, MIG_MSG_SYSCALL, &vec, 1))
		return ERR_PTR(-EINTR);
	return mig_fwd_recv_sysret(chan, NULL);
}

/*
 * ppoll(), pselect6() and epoll_pwait*() wait with a signal mask swapped
 * in. The signals are the guest's, so the guest swaps the mask as the
 * kernel would, and the call travels without it (the deputy waits with
 * every signal blocked anyway). Returns 1 if a mask is in place, 0 if the
 * call has none, or -errno as the call would fail.
 */
static int mig_fwd_swap_sigmask(const struct mig_fwd_plan *p, u64 *args)
{
	struct {
		u64 mask;
		u64 size;
	} pack;
	sigset_t mask;
	u64 uptr, size;
	int i;

	for (i = 0; i < p->nargs; i++)
		if (p->arg[i].kind == MIG_ARG_SIGMASK ||
		    p->arg[i].kind == MIG_ARG_SIGMASK6)
			break;
	if (i == p->nargs || !args[i])
		return 0;
	if (p->arg[i].kind == MIG_ARG_SIGMASK6) {
		if (copy_from_user(&pack, u64_to_user_ptr(args[i]),
				   sizeof(pack)))
			return -EFAULT;
		uptr = pack.mask;
		size = pack.size;
	} else {
		uptr = args[i];
		size = args[p->arg[i].len];
	}
	args[i] = 0;
	if (!uptr)
		return 0;
	if (size != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&mask, u64_to_user_ptr(uptr), sizeof(mask)))
		return -EFAULT;
	sigdelsetmask(&mask, sigmask(SIGKILL) | sigmask(SIGSTOP));
	sigprocmask(SIG_SETMASK, &mask, &current->saved_sigmask);
	return 1;
}

/*
 * After the call: the guest's own mask back, unless a signal is to be
 * delivered under the call's; then the delivery puts it back.
 */
static void mig_fwd_restore_sigmask(long ret)
{
	if ((ret == -EINTR || ret == -ERESTARTNOHAND) && signal_pending(current)) {
		set_restore_sigmask();
		return;
	}
	sigprocmask(SIG_SETMASK, &current->saved_sigmask, NULL);
}

/* Sends the guest's call @nr with @in_len bytes of in data. */
static int mig_fwd_request(struct mig_chan *chan, unsigned long nr,
			   const u64 *args, void *in, u32 in_len)
{
	struct mig_msg_syscall msg = {
		.mig_id = cpu_to_be32(chan->id),
		.nr = cpu_to_be32(nr),
		.in_len = cpu_to_be32(in_len),
		.flags = cpu_to_be32(mig_signal_job_flags()),
	};
	struct kvec vec[2] = {
		{ &msg, sizeof(msg) },
		{ in, in_len },
	};
	int i;

	for (i = 0; i < 6; i++)
		msg.args[i] = cpu_to_be64(args[i]);
	if (mig_chan_send(chan, MIG_MSG_SYSCALL, vec, in_len ? 2 : 1))
		return -EINTR;
	return 0;
}

/*
 * Runs the guest's call @nr at home: sends it with @in_len bytes of in
 * data and returns the answer (SYSRET) for the caller to read and free,
 * with the call's result in *@ret.
 */
struct mig_frame *mig_fwd_exchange(struct mig_chan *chan, unsigned long nr,
				   const u64 *args, void *in, u32 in_len,
				   long *ret)
{
	struct mig_frame *f;
	bool again;

	for (;;) {
		if (mig_fwd_request(chan, nr, args, in, in_len))
			return ERR_PTR(-EINTR);
		f = mig_fwd_await(chan, nr, ret, &again);
		if (IS_ERR(f) || !again)
			return f;
		mig_frame_free(f);
	}
}

/* Sends call @nr of the guest and waits for its result. */
static long mig_fwd_send_call(struct mig_chan *chan, unsigned long nr,
			      u64 *args, struct mig_fwd_plan *plan)
{
	const struct mig_msg_sysret *r;
	struct mig_frame *f;
	long in_len, ret;
	u8 *in = NULL;

	in_len = mig_plan_sizes(plan, args, mig_user_strlen, NULL);
	if (in_len < 0)
		return in_len;
	if (in_len) {
		in = kvmalloc(in_len, GFP_KERNEL);
		if (!in)
			return -ENOMEM;
		ret = mig_gather_in(plan, args, in);
		if (ret)
			goto out;
	}
	mig_note_room(plan, args);
	f = mig_fwd_exchange(chan, nr, args, in, in_len, &ret);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		goto out;
	}
	r = f->data;
	if (mig_scatter_out(plan, args, ret, (const u8 *)(r + 1),
			    f->len - sizeof(*r))) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		ret = -EIO;
	}
	mig_frame_free(f);
out:
	kvfree(in);
	return ret;
}

/*
 * Whether descriptor @fd at home reads like a file: a read of it gives
 * all that is asked up to the end, without waiting for more to come.
 */
static bool mig_fwd_fd_is_file(struct mig_chan *chan, u64 fd)
{
	struct mig_frame *f = mig_fwd_ask(chan, MIG_CALL_FDMODE, fd);
	const struct mig_msg_sysret *r;
	long mode;

	if (IS_ERR(f))
		return false;
	r = f->data;
	mode = f->len == sizeof(*r) ? (long)be64_to_cpu(r->ret) : -EPROTO;
	mig_frame_free(f);
	return mode >= 0 && (S_ISREG(mode) || S_ISBLK(mode));
}

static bool mig_fwd_is_rw(unsigned long nr)
{
	return nr == __NR_read || nr == __NR_write ||
	       nr == __NR_pread64 || nr == __NR_pwrite64;
}

/*
 * A read or write larger than one buffer, as several calls of at most
 * MIG_FWD_MAX_BUF bytes each: it transfers what one native call would.
 * A short or failed piece ends it (an error only if nothing moved yet).
 * A write goes on as long as each piece is whole, as a blocking native
 * write does; a read goes on only on a file, where a native read takes
 * everything up to the end, never on a pipe, socket or terminal, where
 * it returns what is there without waiting for the rest.
 */
static long mig_fwd_rw_split(struct mig_chan *chan, unsigned long nr,
			     const u64 *args, const struct mig_fwd_plan *plan)
{
	bool positional = nr == __NR_pread64 || nr == __NR_pwrite64;
	bool reads = nr == __NR_read || nr == __NR_pread64;
	u64 count = min_t(u64, args[2], MAX_RW_COUNT), done = 0, piece;
	struct mig_fwd_plan p;
	bool file = false;
	u64 a[6];
	long ret;

	while (done < count) {
		piece = min_t(u64, count - done, MIG_FWD_MAX_BUF);
		memcpy(a, args, sizeof(a));
		a[1] = args[1] + done;
		a[2] = piece;
		if (positional)
			a[3] = args[3] + done;
		p = *plan;
		ret = mig_fwd_send_call(chan, nr, a, &p);
		if (ret <= 0)
			return done ? done : ret;
		done += ret;
		if (ret < piece || done == count || fatal_signal_pending(current))
			break;
		if (reads && !positional && !file) {
			file = mig_fwd_fd_is_file(chan, args[0]);
			if (!file)
				break;
		}
	}
	return done;
}

/* Runs syscall @nr of the guest on @chan at its home; returns the result. */
long mig_fwd_call(struct mig_chan *chan, unsigned long nr, u64 *args,
		  struct mig_fwd_plan *plan)
{
	int masked;
	long ret;

	if (mig_fwd_is_rw(nr) && args[2] > MIG_FWD_MAX_BUF)
		return mig_fwd_rw_split(chan, nr, args, plan);
	masked = mig_fwd_swap_sigmask(plan, args);
	if (masked < 0)
		return masked;
	ret = mig_fwd_send_call(chan, nr, args, plan);
	if (masked)
		mig_fwd_restore_sigmask(ret);
	return ret;
}

/* ---- deputy side ---- */

/* A MIG_CALL_* question, not a syscall (the frame is long enough). */
bool mig_fwd_is_question(const struct mig_frame *f)
{
	const struct mig_msg_syscall *m = f->data;

	return be32_to_cpu(m->nr) >= MIG_CALL_BASE;
}

struct mig_str_ctx {
	const u8 *data;
	u32 left;
};

/* Strings in a request: NUL-terminated within what is left of in data. */
static long mig_msg_strlen(u64 ptr, void *ctx)
{
	struct mig_str_ctx *c = ctx;
	size_t n = strnlen((const char *)c->data, min_t(u32, c->left, PATH_MAX));

	if (n == min_t(u32, c->left, PATH_MAX))
		return -EPROTO;
	c->data += n + 1;
	c->left -= n + 1;
	return n + 1;
}

/*
 * Checks a request from the guest and lays it out in the deputy's scratch
 * area: pointer arguments are pointed at their copies there. Returns 0
 * and fills @args and @plan, or -errno for the guest.
 */
int mig_fwd_prepare(const struct mig_frame *f, unsigned long scratch,
		    size_t scratch_size, u64 *args, unsigned long *nr,
		    struct mig_fwd_plan *plan)
{
	const struct mig_msg_syscall *m = f->data;
	const u8 *in = (const u8 *)(m + 1);
	u32 in_len = f->len - sizeof(*m);
	struct mig_str_ctx ctx = { in, in_len };
	u32 flags = be32_to_cpu(m->flags);
	unsigned long off = 0;
	long want;
	int i;

	if (be32_to_cpu(m->in_len) != in_len ||
	    (flags & ~(MIG_SYSCALL_TTIN_DFL | MIG_SYSCALL_TTOU_DFL)))
		return -EPROTO;
	*nr = be32_to_cpu(m->nr);
	for (i = 0; i < 6; i++)
		args[i] = be64_to_cpu(m->args[i]);
	/* Calls for the process itself run where it is: never here. */
	switch (mig_fwd_classify(*nr, args, task_tgid_nr(current), plan)) {
	case MIG_SYS_FORWARD:
		plan->flags = flags;
		break;
	case MIG_SYS_FORWARD_MSG:
		plan->flags = flags;
		return mig_fwd_msg_prepare(*nr, in, in_len, scratch,
					   scratch_size, args, &plan->msg);
	default:
		return -EPROTO;
	}
	want = mig_plan_sizes(plan, args, mig_msg_strlen, &ctx);
	if (want < 0)
		return want;
	if (want != in_len)
		return -EPROTO;

	for (i = 0; i < plan->nargs; i++) {
		u32 len = max(plan->in_len[i], plan->out_cap[i]);

		if (plan->arg[i].kind == MIG_ARG_VAL)
			continue;
		if (off + len > scratch_size)
			return -E2BIG;
		args[i] = scratch + off;
		if (plan->in_len[i] &&
		    copy_to_user((void __user *)args[i], in, plan->in_len[i]))
			return -EFAULT;
		in += plan->in_len[i];
		off += ALIGN(len, 16);
	}
	return 0;
}

/* The data a call run at home wrote, @len bytes, as the plan lays out. */
static void *mig_fwd_collect_out(const struct mig_fwd_plan *plan,
				 const u64 *args, long ret, u32 *len)
{
	u32 total = 0, n;
	u8 *out;
	int i;

	for (i = 0; i < plan->nargs; i++)
		total += mig_out_len(plan, i, ret);
	*len = total;
	if (!total)
		return NULL;
	out = kvmalloc(total, GFP_KERNEL);
	if (!out)
		return ERR_PTR(-ENOMEM);
	total = 0;
	for (i = 0; i < plan->nargs; i++) {
		n = mig_out_len(plan, i, ret);
		if (!mig_arg_writes(plan->arg[i].kind) || !n)
			continue;
		if (copy_from_user(out + total, (const void __user *)args[i], n))
			memset(out + total, 0, n);
		total += n;
	}
	return out;
}

/* Sends the result of a call run at home, with the data it wrote. */
int mig_fwd_reply(struct mig_chan *chan, const struct mig_fwd_plan *plan,
		  const u64 *args, long ret)
{
	struct mig_msg_sysret r = {
		.mig_id = cpu_to_be32(chan->id),
		.ret = cpu_to_be64(ret),
	};
	struct kvec vec[2] = { { &r, sizeof(r) } };
	u32 total = 0;
	void *out = NULL;
	int err;

	if (plan && plan->msg.active)
		out = mig_fwd_msg_answer(&plan->msg, ret, &total);
	else if (plan)
		out = mig_fwd_collect_out(plan, args, ret, &total);
	if (IS_ERR(out))
		return PTR_ERR(out);
	r.out_len = cpu_to_be32(total);
	vec[1].iov_base = out;
	vec[1].iov_len = total;
	err = mig_chan_send(chan, MIG_MSG_SYSRET, vec, total ? 2 : 1);
	kvfree(out);
	return err;
}

/* For the deputy: a request that could not be run. */
int mig_fwd_reply_error(struct mig_chan *chan, long err)
{
	return mig_fwd_reply(chan, NULL, NULL, err);
}

/* The hook's callback: each kind of hooked task decides for itself. */
bool mig_on_syscall(void *hooked, const struct pt_regs *regs, long *ret)
{
	struct mig_hooked *h = hooked;

	return h->ops->syscall(h, regs, ret);
}

/* From the syscall hook, in atomic context, at the exit of a hooked task. */
void mig_on_hooked_exit(void *hooked)
{
	struct mig_hooked *h = hooked;

	h->ops->exited(h);
}

/* From the syscall hook, in atomic context, at a fork of a hooked task. */
void *mig_on_hooked_fork(void *hooked, struct task_struct *child)
{
	struct mig_hooked *h = hooked;

	return h->ops->forked ? h->ops->forked(h, child) : NULL;
}

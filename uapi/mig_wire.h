/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mig: the wire format between two nodes' modules (TCP, one connection
 * per pair of nodes). Every field is big-endian and every structure has a
 * fixed size, checked at build time. See Documentation/wire-protocol.rst.
 */
#ifndef _UAPI_MIG_WIRE_H
#define _UAPI_MIG_WIRE_H

#include <linux/types.h>

#define MIG_WIRE_MAGIC		0x4d494721	/* "MIG!" */
#define MIG_WIRE_VERSION	10
#define MIG_NONCE_LEN		32
#define MIG_SHARE_LEN		32		/* X25519 public key */
#define MIG_MAC_LEN		32		/* HMAC-SHA256 */
#define MIG_WIRE_MAX_PAYLOAD	(1U << 20)	/* absolute bound, any type */

enum mig_msg_type {
	MIG_MSG_HELLO = 1,	/* struct mig_msg_hello */
	MIG_MSG_AUTH = 2,	/* struct mig_msg_auth */
	MIG_MSG_PING = 3,	/* struct mig_msg_ping */
	MIG_MSG_PONG = 4,	/* struct mig_msg_ping, echoed */
	MIG_MSG_MOVE_BEGIN = 5,	/* struct mig_msg_begin: a process stream starts */
	MIG_MSG_MOVE_TASK = 6,	/* struct mig_msg_task + xstate bytes */
	MIG_MSG_MOVE_VMA = 7,	/* struct mig_msg_vma + path bytes */
	MIG_MSG_MOVE_PAGES = 8,	/* struct mig_msg_pages + addrs + pages */
	MIG_MSG_MOVE_END = 9,	/* struct mig_msg_ctl: the stream is complete */
	MIG_MSG_MOVE_ABORT = 10, /* struct mig_msg_ctl: sender gave up */
	MIG_MSG_MOVE_ACK = 11,	/* struct mig_msg_ctl: restored (or error) */
	MIG_MSG_EXIT = 12,	/* struct mig_msg_ctl: the guest ended */
	MIG_MSG_KILL = 13,	/* struct mig_msg_ctl: deputy asks guest to die */
	MIG_MSG_SYSCALL = 14,	/* struct mig_msg_syscall + in data: run at home */
	MIG_MSG_SYSRET = 15,	/* struct mig_msg_sysret + out data: its result */
	MIG_MSG_RECALL = 16,	/* struct mig_msg_ctl: home wants its process back */
	MIG_MSG_MOVE_WANT = 17,	/* struct mig_msg_want: send these pages too */
	MIG_MSG_INTR = 18,	/* struct mig_msg_ctl: interrupt the call at home */
	MIG_MSG_SIGNAL = 19,	/* struct mig_msg_signal: relays a signal */
	MIG_MSG_STOP = 20,	/* struct mig_msg_ctl: guest takes a job stop */
	MIG_MSG_LOAD = 21,	/* struct mig_msg_load: the sender's load */
	MIG_MSG_PIN = 22,	/* struct mig_msg_ctl: home (un)pins its process */
	MIG_MSG_SWITCH = 23,	/* no payload: the sender's last frame here */
	MIG_MSG_MOVE_FORGET = 24, /* struct mig_msg_pages + addrs: pages gone */
	MIG_MSG_MOVE_STATE = 25, /* struct mig_msg_state: after TASK */
	MIG_MSG_MOVE_THREAD = 26, /* struct mig_msg_thread + xstate bytes */
	MIG_MSG_SIGFD = 27,	/* struct mig_msg_sigfd: what signalfds watch */
	MIG_MSG_USAGE = 28,	/* struct mig_msg_usage: a thread away, seen there */
	__MIG_MSG_MAX
};

/* Precedes every message; 12 bytes. */
struct mig_wire_hdr {
	__be32 magic;		/* MIG_WIRE_MAGIC */
	__u8 version;		/* MIG_WIRE_VERSION */
	__u8 type;		/* enum mig_msg_type */
	__be16 flags;		/* none defined: must be 0 */
	__be32 len;		/* payload bytes that follow */
};

/*
 * The record protection of a link after its handshake (the Linux kernel's
 * TLS 1.3 record layer, keys from the handshake; no TLS handshake).
 */
enum mig_cipher {
	MIG_CIPHER_AES128_GCM = 1,
	MIG_CIPHER_AES256_GCM = 2,
	MIG_CIPHER_CHACHA20_POLY1305 = 3,
	__MIG_CIPHER_MAX
};

/* mig_msg_hello.flags */
#define MIG_HELLO_REKEY		0x1	/* replaces the link that is up */

/*
 * First message in each direction; 72 bytes. The caller proposes the
 * cipher and the flags; the answering node repeats both or hangs up.
 */
struct mig_msg_hello {
	__be16 src_node;	/* sender's node id */
	__be16 dst_node;	/* the node id the sender believes it talks to */
	__u8 cipher;		/* enum mig_cipher */
	__u8 flags;		/* MIG_HELLO_* */
	__be16 reserved;	/* must be 0 */
	__u8 nonce[MIG_NONCE_LEN];	/* fresh random challenge */
	__u8 share[MIG_SHARE_LEN];	/* fresh X25519 public key */
};

/*
 * Proof of the cluster key; 32 bytes. With T = SHA-256("mig-transcript-v5"
 * || both HELLO frames as sent, header included, the caller's first),
 * mac = HMAC-SHA256(key, label || T), label "mig-proof-caller-v5" or
 * "mig-proof-answer-v5". The caller proves first; the answering node
 * proves only after it checked the caller's proof.
 */
struct mig_msg_auth {
	__u8 mac[MIG_MAC_LEN];
};

/* Heartbeat; 16 bytes. PONG echoes the PING it answers unchanged. */
struct mig_msg_ping {
	__be64 seq;
	__be64 stamp_ns;	/* sender's clock, meaningful to the sender only */
};

/*
 * Load report, sent to every peer each balance interval; 48 bytes. load
 * is in thousandths of a process that wants a whole CPU, speed relative
 * (1000: the reference CPU), memory in KiB.
 */
struct mig_msg_load {
	__be64 seq;		/* increases with every report of the sender */
	__be32 load;
	__be32 speed;
	__be16 cpus;
	__be16 flags;		/* MIG_LOAD_F_* (uapi/mig.h) */
	__be32 guests;		/* guests running at the sender */
	__be32 away;		/* the sender's processes running elsewhere */
	__be32 interval_ms;	/* the sender's report period */
	__be64 free_kb;
	__be64 total_kb;
};

/*
 * Process migration. Every message of one process carries the id of its
 * channel (mig_id); with the peer's node id that names the process on the
 * link. The node that opens a channel (home, or a deputy passing a
 * process on) makes the id, its own node id in the top 16 bits, so ids
 * made at both ends of a link never collide. A stream is BEGIN, TASK, VMA..., PAGES..., END; the receiver
 * answers ACK once the process runs (error 0) or with the errno that made
 * it fail, in which case the process goes on at the sender.
 */
#define MIG_PAGE_SIZE		4096
#define MIG_PAGES_PER_MSG	64
#define MIG_XSTATE_MAX		16384
#define MIG_PATH_MAX		4096
#define MIG_NSIG		64
#define MIG_NRLIMITS		16
#define MIG_COMM_LEN		16
#define MIG_NGROUPS		64

/*
 * A homecoming's BEGIN says why (home_reason): enum mig_home_reason
 * (uapi/mig.h) in the high 16 bits, and for MIG_HOME_SYSCALL and
 * MIG_HOME_FILE the call's number in the low 16. A value out of range is
 * MIG_HOME_UNSAID.
 */
#define MIG_BEGIN_REASON(reason, nr)	((__u32)(reason) << 16 | ((nr) & 0xffff))
#define MIG_BEGIN_REASON_OF(v)		((v) >> 16)
#define MIG_BEGIN_REASON_NR(v)		((v) & 0xffff)

/* mig_msg_begin.flags */
#define MIG_BEGIN_HOMECOMING	0x1	/* to the home node: deputy takes it */
#define MIG_BEGIN_PINNED	0x2	/* never moved automatically */
/*
 * Live (pre-copy): PAGES of the running process come before TASK, in
 * rounds; the stream after TASK then only carries what changed since,
 * and FORGET for pages sent before that the process no longer has.
 */
#define MIG_BEGIN_LIVE		0x4
/*
 * Direct onward moves, a process of home H leaving node A for node B:
 * H sends B a BEGIN with AWAIT on a channel of its own (no stream follows
 * on it; reserved: A's node id), then asks A with RECALL (value: B,
 * pid: that channel's id, the "ticket"); A sends B the stream with a
 * BEGIN carrying ONWARD (home_node: H, reserved: the ticket). B restores
 * it, answers ACK to both, and serves the process's home traffic on H's
 * channel.
 */
#define MIG_BEGIN_AWAIT		0x8
#define MIG_BEGIN_ONWARD	0x10
/*
 * A live homecoming: the pre-copy rounds go on a channel of their own,
 * opened by the node the process leaves (BEGIN with HOMECOMING and
 * ROUNDS, reserved: the id of the process's channel, which home made;
 * then PAGES only), while the process keeps using its own channel. The
 * final stream comes on the process's channel, its BEGIN carrying
 * HOMECOMING and LIVE and, in reserved, the rounds channel's id.
 * A live onward move carries ONWARD and LIVE, its rounds on its stream.
 */
#define MIG_BEGIN_ROUNDS	0x20

/*
 * 56 bytes. monotonic_ns and boottime_ns are CLOCK_MONOTONIC and
 * CLOCK_BOOTTIME as the process itself reads them (its time namespace's
 * offsets included), sampled just before BEGIN is sent: the receiver
 * offsets the process's clocks so that they go on from these values.
 */
struct mig_msg_begin {
	__be32 mig_id;
	__be32 home_pid;
	__be16 home_node;
	__be16 flags;
	/*
	 * AWAIT: node id; ONWARD: ticket; ROUNDS: the process's channel;
	 * HOMECOMING with LIVE: the rounds channel; else 0
	 */
	__be32 reserved;
	__u8 comm[MIG_COMM_LEN];
	__be64 monotonic_ns;
	__be64 boottime_ns;
	__be32 home_reason;	/* HOMECOMING: MIG_BEGIN_REASON(); else 0 */
	__be32 pad;		/* 0 */
};

/* 16 bytes. */
struct mig_msg_ctl {
	__be32 mig_id;
	__be32 value;		/* ACK: errno, 0 = ok; EXIT: wait status;
				 * KILL, STOP: signal; PIN: 0 or 1;
				 * RECALL: 0 home, else the onward node */
	__be32 pid;		/* ACK: pid at the receiver; RECALL: ticket */
	__be32 reserved;	/* RECALL: enum mig_move_mode; else 0 */
};

/*
 * 40 bytes. A signal sent to the process at home, relayed to where it
 * runs with what its siginfo says of the sender. Which fields count
 * depends on code: SI_USER and SI_TKILL pid and uid; SI_QUEUE and
 * SI_MESGQ those and value; SIGCHLD's CLD_* pid, uid and status. Any
 * other code arrives as SI_KERNEL. It goes to the thread of the channel
 * it comes on, or with MIG_SIGNAL_GROUP to the process as a whole.
 */
struct mig_msg_signal {
	__be32 mig_id;
	__be32 signo;
	__be32 code;		/* si_code, two's complement */
	__be32 pid;		/* the sender, in the home's pid namespace */
	__be32 uid;		/* the sender's uid, as home sees it */
	__be32 status;		/* SIGCHLD: si_status */
	__be64 value;		/* si_value */
	__be32 flags;		/* MIG_SIGNAL_* */
	__be32 pad;		/* 0 */
};

/* mig_msg_signal.flags */
#define MIG_SIGNAL_GROUP	0x1	/* sent to the process, not one thread */

/*
 * 16 bytes. Home to the guest, on each thread's channel: the signals the
 * process's signalfds (held at home) watch, bit (signo - 1) of mask; the
 * deputy leaves those pending at home for the signalfds to read, and the
 * guest sends home (SIGNAL, the other way) those it takes itself while
 * it blocks them. Sent again whenever the set changes.
 */
struct mig_msg_sigfd {
	__be32 mig_id;
	__be32 pad;		/* 0 */
	__be64 mask;		/* never SIGKILL, SIGSTOP, SIGCONT */
};

/* mig_msg_usage.vm_kb[]: the memory lines of /proc/PID/status, in order */
enum mig_usage_vm {
	MIG_USAGE_VM_PEAK,	/* VmPeak */
	MIG_USAGE_VM_SIZE,	/* VmSize */
	MIG_USAGE_VM_LCK,	/* VmLck */
	MIG_USAGE_VM_PIN,	/* VmPin */
	MIG_USAGE_VM_HWM,	/* VmHWM */
	MIG_USAGE_VM_RSS,	/* VmRSS: RssAnon + RssFile + RssShmem */
	MIG_USAGE_RSS_ANON,	/* RssAnon */
	MIG_USAGE_RSS_FILE,	/* RssFile */
	MIG_USAGE_RSS_SHMEM,	/* RssShmem */
	MIG_USAGE_VM_DATA,	/* VmData */
	MIG_USAGE_VM_STK,	/* VmStk */
	MIG_USAGE_VM_EXE,	/* VmExe */
	MIG_USAGE_VM_LIB,	/* VmLib */
	MIG_USAGE_VM_PTE,	/* VmPTE */
	MIG_USAGE_VM_SWAP,	/* VmSwap */
	MIG_USAGE_VM_NR
};

/*
 * 192 bytes. From the node a thread runs at to its home, on the thread's
 * channel, every usage_ms: how that node sees the thread and its process,
 * so that /proc/PID at home (ps, top) shows them rather than the idle
 * deputy, for valid_s seconds after it came. Times are since the thread
 * came to that node.
 */
struct mig_msg_usage {
	__be32 mig_id;
	__u8 state;		/* its /proc state letter: R, S, D, T, t or I */
	__u8 pad;		/* 0 */
	__be16 valid_s;		/* 1..65535: how long it stands */
	__be64 utime_ns;	/* this thread's user and system time */
	__be64 stime_ns;
	__be64 group_utime_ns;	/* all threads of the process there */
	__be64 group_stime_ns;
	__be64 min_flt;		/* this thread's page faults */
	__be64 maj_flt;
	__be64 group_min_flt;	/* the process's */
	__be64 group_maj_flt;
	__be64 vm_kb[MIG_USAGE_VM_NR];	/* the process's memory, KiB */
};

/* General registers, the order of struct user_regs_struct; 216 bytes. */
struct mig_wire_regs {
	__be64 r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	__be64 rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
	__be64 fs_base, gs_base, ds, es, fs, gs;
};

/* 32 bytes. */
struct mig_wire_sigaction {
	__be64 handler;
	__be64 flags;
	__be64 restorer;
	__be64 mask;
};

/* 16 bytes. */
struct mig_wire_rlimit {
	__be64 cur;
	__be64 max;
};

/* 24 bytes: a thread caught in nanosleep(), whose sleep goes on there. */
struct mig_wire_sleep {
	__be64 left_ns;			/* MIG_TASK_SLEEPING: nanosleep() left */
	__be64 rmtp;			/* where it reports the rest; 0: nowhere */
	__be32 clockid;
	__be32 flags;			/* MIG_TASK_* */
};

/* Fixed part; xstate_len bytes of XSAVE image (standard format) follow. */
struct mig_msg_task {
	__be32 mig_id;
	__be32 xstate_len;
	struct mig_wire_regs regs;
	__be32 uid, euid, suid, fsuid;
	__be32 gid, egid, sgid, fsgid;
	__be32 personality;
	__be32 umask;
	__be64 blocked;			/* signal mask, bit n-1 for signal n */
	__be64 altstack_sp;
	__be64 altstack_size;
	__be32 altstack_flags;
	__be32 rseq_sig;		/* restartable sequences registration */
	__be64 rseq;
	__be64 start_code, end_code, start_data, end_data;
	__be64 start_brk, brk, start_stack;
	__be64 arg_start, arg_end, env_start, env_end;
	__be64 vdso;			/* vdso text; 0 if none */
	__be64 vvar;			/* its data pages, mapped before it */
	struct mig_wire_sigaction action[MIG_NSIG];
	struct mig_wire_rlimit rlim[MIG_NRLIMITS];
	__be32 ngroups;			/* supplementary groups, <= MIG_NGROUPS */
	__be32 home_tid;		/* the thread captured; 0: home_pid */
	__be32 groups[MIG_NGROUPS];
	struct mig_wire_sleep sleep;
	/*
	 * Capability sets, bit n for capability n; the receiver never grants
	 * more than these (Documentation/migration.rst, "Credentials").
	 */
	__be64 cap_inheritable;
	__be64 cap_permitted;
	__be64 cap_effective;
	__be64 cap_bset;		/* the bounding set */
	__be64 cap_ambient;
	__be32 securebits;		/* SECBIT_* and their locks */
	__be32 cred_flags;		/* MIG_CRED_* */
	__be64 clear_child_tid;		/* set_tid_address() */
	__be64 robust_list;		/* set_robust_list(): head, length */
	__be64 robust_len;
	/*
	 * Signals pending where it ran (a guest going home or on; from home
	 * they stay pending there and are relayed): the thread's own, the
	 * process's. Bit n-1 for signal n; no siginfo.
	 */
	__be64 pending;
	__be64 shared_pending;
};

/*
 * 344 bytes, then xstate_len bytes of XSAVE image: one more thread of a
 * multi-threaded process, after STATE (TASK is the thread that captured
 * it; at most MIG_THREADS_MAX - 1 of these). Its forwarded calls and
 * relayed signals go on a channel of its own, which home made.
 */
struct mig_msg_thread {
	__be32 mig_id;
	__be32 xstate_len;
	__be32 home_tid;		/* its tid at home */
	__be32 chan_id;			/* its channel */
	struct mig_wire_regs regs;
	__be64 blocked;
	__be64 altstack_sp;
	__be64 altstack_size;
	__be32 altstack_flags;
	__be32 rseq_sig;
	__be64 rseq;
	__be64 clear_child_tid;
	__be64 robust_list;
	__be64 robust_len;
	struct mig_wire_sleep sleep;
	__u8 comm[MIG_COMM_LEN];
	__be64 pending;			/* its own pending signals, as TASK's */
};

/* Threads a process may have and move (TASK's and THREADs). */
#define MIG_THREADS_MAX		256

/* mig_msg_task.flags */
#define MIG_TASK_SLEEPING	0x1	/* resumes a nanosleep() (restart_syscall) */

/* mig_msg_task.cred_flags */
#define MIG_CRED_NO_NEW_PRIVS	0x1	/* prctl(PR_SET_NO_NEW_PRIVS) was set */
#define MIG_CRED_KNOWN		MIG_CRED_NO_NEW_PRIVS

/* An interval timer: time to its next expiry and its period, 0: none. */
struct mig_wire_itimer {
	__be64 value_ns;
	__be64 interval_ns;
};

#define MIG_ITIMERS		3	/* ITIMER_REAL, _VIRTUAL, _PROF */

/*
 * 104 bytes, right after TASK: the kernel-held state of the process that
 * is neither registers nor memory (Documentation/migration.rst, "Kernel
 * state"). VIRTUAL and PROF count the process's CPU time, wherever it
 * runs.
 */
struct mig_msg_state {
	__be32 mig_id;
	__be32 flags;			/* MIG_STATE_* */
	struct mig_wire_itimer itimer[MIG_ITIMERS];
	__be32 membarrier;		/* MIG_MEMBARRIER_*: registrations */
	__be32 def_flags;		/* MIG_VMA_LOCKED, _LOCKONFAULT: mlockall(MCL_FUTURE) */
	__be32 policy;			/* SCHED_OTHER, _FIFO, _RR, _BATCH, _IDLE */
	__be32 rt_priority;		/* 1..99 for FIFO and RR, else 0 */
	__be32 nice;			/* -20..19, two's complement */
	__be32 ioprio;			/* IOPRIO_PRIO_VALUE(class, data); 0: none */
	__be64 timer_slack_ns;
	__be32 oom_score_adj;		/* -1000..1000, two's complement */
	__be32 coredump_filter;		/* /proc/PID/coredump_filter, 9 bits */
	__be64 reserved;
};

/* mig_msg_state.flags */
#define MIG_STATE_THP_DISABLE	0x1	/* prctl(PR_SET_THP_DISABLE) */
#define MIG_STATE_RESET_ON_FORK	0x2	/* SCHED_RESET_ON_FORK */
#define MIG_STATE_DUMPABLE	0x4	/* PR_GET_DUMPABLE is 1 */
#define MIG_STATE_KNOWN		0x7

/* mig_msg_state.membarrier */
#define MIG_MEMBARRIER_PRIVATE	0x1	/* ..._REGISTER_PRIVATE_EXPEDITED */
#define MIG_MEMBARRIER_GLOBAL	0x2	/* ..._REGISTER_GLOBAL_EXPEDITED */
#define MIG_MEMBARRIER_SYNC_CORE 0x4	/* ..._PRIVATE_EXPEDITED_SYNC_CORE */
#define MIG_MEMBARRIER_RSEQ	0x8	/* ..._PRIVATE_EXPEDITED_RSEQ */
#define MIG_MEMBARRIER_KNOWN	0xf

/* mig_msg_vma.flags */
#define MIG_VMA_FILE		0x1	/* map path at pgoff; else anonymous */
#define MIG_VMA_GROWSDOWN	0x2	/* the stack */
#define MIG_VMA_HEAP		0x4	/* [start_brk, brk) */
#define MIG_VMA_SHARED		0x8	/* MAP_SHARED of a read-only file */
/*
 * MAP_SHARED anonymous memory (shmem) that only this process maps: no
 * path; pgoff is the offset in the object shm_id (1..MIG_SHM_MAX) of
 * file_size bytes, which every mapping with the same shm_id shares.
 */
#define MIG_VMA_SHMEM		0x10
/*
 * What mlock(), mlockall() and madvise() set on the mapping: VM_LOCKED,
 * VM_LOCKONFAULT (only with LOCKED), VM_DONTCOPY (MADV_DONTFORK),
 * VM_DONTDUMP, VM_HUGEPAGE or VM_NOHUGEPAGE, VM_MERGEABLE (private
 * mappings), VM_WIPEONFORK (private anonymous), VM_SEQ_READ or
 * VM_RAND_READ.
 */
#define MIG_VMA_LOCKED		0x20
#define MIG_VMA_LOCKONFAULT	0x40
#define MIG_VMA_DONTFORK	0x80
#define MIG_VMA_DONTDUMP	0x100
#define MIG_VMA_HUGEPAGE	0x200
#define MIG_VMA_NOHUGEPAGE	0x400
#define MIG_VMA_MERGEABLE	0x800
#define MIG_VMA_WIPEONFORK	0x1000
#define MIG_VMA_SEQ_READ	0x2000
#define MIG_VMA_RAND_READ	0x4000
#define MIG_VMA_ADVICE		(MIG_VMA_LOCKED | MIG_VMA_LOCKONFAULT | \
				 MIG_VMA_DONTFORK | MIG_VMA_DONTDUMP | \
				 MIG_VMA_HUGEPAGE | MIG_VMA_NOHUGEPAGE | \
				 MIG_VMA_MERGEABLE | MIG_VMA_WIPEONFORK | \
				 MIG_VMA_SEQ_READ | MIG_VMA_RAND_READ)
#define MIG_VMA_KNOWN		(MIG_VMA_FILE | MIG_VMA_GROWSDOWN | \
				 MIG_VMA_HEAP | MIG_VMA_SHARED | \
				 MIG_VMA_SHMEM | MIG_VMA_ADVICE)
#define MIG_SHM_MAX		256

/*
 * A digest that tells two copies of a file apart where size and mtime do
 * not: SHA-256 over the size and sampled blocks of the content
 * (Documentation/wire-protocol.rst, "File digests").
 */
#define MIG_DIGEST_LEN		32

/* Fixed part, 88 bytes; path_len bytes of path (no NUL) follow. */
struct mig_msg_vma {
	__be32 mig_id;
	__be32 flags;
	__be64 start;
	__be64 end;
	__be64 pgoff;			/* in pages */
	__be64 file_size;		/* of the file at home, checked */
	__be64 file_mtime_ns;
	__be32 prot;			/* PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4 */
	__be16 path_len;
	__be16 shm_id;			/* MIG_VMA_SHMEM only; else 0 */
	__u8 file_digest[MIG_DIGEST_LEN];	/* MIG_VMA_FILE; else 0 */
};

/*
 * 24 bytes. After END, a receiver that could not map a file the way the
 * sender did (missing, or another version) asks for the content of that
 * mapping, [start, end): the sender answers with PAGES, then END. The
 * range must be exactly one file mapping of the process.
 */
struct mig_msg_want {
	__be32 mig_id;
	__be32 reserved;
	__be64 start;
	__be64 end;
};

/*
 * Fixed part, 8 bytes; count __be64 page addresses, then count pages.
 * FORGET has the same fixed part and addresses, no pages: each names a
 * page sent before TASK in a mapping whose pre-copied pages are kept
 * (private, anonymous, read-write, not a stack) that now reads as zeros.
 */
struct mig_msg_pages {
	__be32 mig_id;
	__be32 count;
};

#define MIG_FORGET_PER_MSG	512

/*
 * Syscall forwarding: the guest sends the call, the deputy runs it at home
 * and answers. Pointer arguments travel as data: in data is the
 * concatenation, in argument order, of every buffer the call reads
 * (strings with their NUL); out data likewise of every buffer it wrote,
 * each as long as the result says. Which argument is what is fixed per
 * syscall by the forwarding table (Documentation/migration.rst); both ends
 * derive the layout from it and check each other's sizes.
 */
#define MIG_FWD_MAX_BUF		(256U << 10)	/* one buffer; larger I/O is split */
#define MIG_FWD_MAX_DATA	(512U << 10)	/* all buffers of one call */

/* 64 bytes. */
struct mig_msg_syscall {
	__be32 mig_id;
	__be32 nr;			/* x86-64 syscall number */
	__be64 args[6];			/* pointers: the guest's values, unused */
	__be32 in_len;
	__be32 flags;			/* MIG_SYSCALL_* */
};

/*
 * The guest leaves SIGTTIN (SIGTTOU) to its default action and unblocked:
 * a terminal at home may stop the process with it during the call.
 */
#define MIG_SYSCALL_TTIN_DFL	0x1
#define MIG_SYSCALL_TTOU_DFL	0x2

/*
 * 16 bytes. sendmsg() and recvmsg(): the struct msghdr, its iovecs and
 * what they point to travel flattened, as this header, then (sendmsg in
 * data, recvmsg out data) name_len bytes of address, data_len bytes of
 * payload (every iovec's, in order) and control_len bytes of control
 * messages. In a recvmsg request the lengths are the caller's room and
 * no bytes follow; in its answer they are what the call wrote (name_len
 * the address's whole length, of which at most the room travels).
 */
struct mig_wire_msghdr {
	__be32 name_len;
	__be32 data_len;
	__be32 control_len;
	__be32 flags;			/* requests: MIG_MSGHDR_*; answers: msg_flags */
};

#define MIG_MSGHDR_NAME		0x1	/* the caller gave msg_name */
#define MIG_MSGHDR_CONTROL	0x2	/* the caller gave msg_control */

#define MIG_FWD_MAX_NAME	128	/* struct sockaddr_storage */
#define MIG_FWD_MAX_CONTROL	(16U << 10)	/* within net.core.optmem_max */

/* 16 bytes. */
struct mig_msg_sysret {
	__be32 mig_id;
	__be32 out_len;
	__be64 ret;			/* the syscall's return value */
};

/*
 * A SYSCALL whose nr is MIG_CALL_BASE or above is a question about the
 * process's home resources, answered by the deputy itself; the SYSRET
 * carries its result and answer.
 */
#define MIG_CALL_BASE		0x10000
/* args[0]: a fd. Out: struct mig_fileinfo, then path_len bytes of path. */
#define MIG_CALL_FILEINFO	0x10000
/* args[0]: a fd. Result: its st_mode, or -errno; no out data. */
#define MIG_CALL_FDMODE		0x10001

/* 64 bytes. */
struct mig_fileinfo {
	__be64 size;
	__be64 mtime_ns;
	__be32 mode;			/* st_mode */
	__be32 flags;			/* the open file's O_ACCMODE bits */
	__be32 path_len;		/* including the NUL */
	__be32 reserved;
	__u8 digest[MIG_DIGEST_LEN];	/* regular files; else 0 */
};

#define MIG_TRANSCRIPT_LABEL	"mig-transcript-v5"
#define MIG_PROOF_CALLER_LABEL	"mig-proof-caller-v5"
#define MIG_PROOF_ANSWER_LABEL	"mig-proof-answer-v5"
#define MIG_KEYS_LABEL		"mig-keys-v5"

#endif /* _UAPI_MIG_WIRE_H */

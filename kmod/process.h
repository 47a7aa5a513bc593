/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: the process layer: capture, restore, moving away and back, the
 * deputy, guests, placement at exec, and what a policy may tell them.
 * Included through mig.h, after stream.h.
 */
#ifndef _MIG_PROCESS_H
#define _MIG_PROCESS_H

#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <asm/ptrace.h>

/* capture.c: a process's state, sent from its own context */
/* sleep.c: a nanosleep() cut short by a move, finished after it */
struct mig_sleep {
	bool active;
	clockid_t clockid;
	ktime_t expires;		/* on this node's clock */
	u64 rmtp;			/* user pointer for the time left */
};

int mig_sleep_capture(long orig_nr, const struct mig_sleep *s,
		      struct mig_wire_sleep *t);
int mig_sleep_restore(const struct mig_wire_sleep *t, struct mig_sleep *s);
long mig_sleep_resume(struct mig_sleep *s);
int mig_sleeper_start(const struct mig_sleep *s);

/*
 * What a move mode adds to the capture (live.c's final pass), called in
 * the process's context; each member may be NULL.
 */
struct mig_page_batch;

struct mig_capture_hooks {
	/* Before the mappings are listed (it may map a buffer): 0 or -errno. */
	int (*prepare)(void *ctx);
	/*
	 * The pages of private mapping [start, end) with wire flags @flags
	 * and protection @prot: 1 if it sent them, 0 to leave them to the
	 * usual pass, or -errno.
	 */
	int (*send_pages)(void *ctx, struct mig_chan *chan,
			  unsigned long start, unsigned long end, u32 flags,
			  u32 prot, struct mig_page_batch *b, u64 *bytes);
};

struct mig_park;

struct mig_capture_info {
	const struct mig_capture_hooks *hooks;
	void *hooks_ctx;
	u16 home_node;
	u32 home_pid;
	u16 flags;			/* MIG_BEGIN_* */
	/* ONWARD: home's channel id; a live homecoming: the rounds' */
	u32 ticket;
	u32 reason;			/* HOMECOMING: MIG_BEGIN_REASON() */
	bool begun;			/* BEGIN went before the rounds */
	bool answered;			/* an ACK came, with its errno */
	unsigned long skip_start;	/* a mig trampoline to leave out */
	bool rewind_syscall;		/* re-run the current syscall there */
	/*
	 * Its signals are held blocked from the capture to the ACK (its
	 * own timers would cut the sends short); its mask, put back if
	 * the move fails.
	 */
	bool signals_held;
	sigset_t saved_blocked;
	const struct mig_sleep *sleep;	/* a sleep mig resumed, if any */
	u32 home_tid;			/* the capturing thread's; 0: its tid */
	struct mig_park *park;		/* the process's other threads */
	u64 bytes_sent;
};

/* threads.c: the other threads of a process, parked for its capture */
struct mig_parked {
	struct callback_head work;
	struct mig_park *park;
	struct task_struct *task;	/* referenced */
	struct mig_msg_thread msg;	/* its THREAD, once parked */
	void *xstate;
	unsigned int xstate_len;
	int err;			/* -ESRCH: it exited, not sent */
	bool parked;
	/* Set by the owner's prepare(), in the thread, before it is read: */
	u32 home_tid;			/* 0: its tid here */
	const struct mig_sleep *sleep;
	bool pending;			/* its pending signals travel too */
	/* The owner's: its channel (named in THREAD), and whatever else. */
	struct mig_chan *chan;
	void *priv;
};

struct mig_park_ops {
	/* In the parked thread, before its state is read. */
	void (*prepare)(struct mig_parked *p);
	/* In the parked thread, once the process moved. */
	void (*moved)(struct mig_parked *p);
};

struct mig_park *mig_park_others(const struct mig_park_ops *ops, void *ctx,
				 const char **why);
void mig_park_release(struct mig_park *park, int result);
int mig_park_count(const struct mig_park *park);
struct mig_parked *mig_park_thread(struct mig_park *park, int i);
void *mig_park_ctx(const struct mig_park *park);
int mig_park_send(struct mig_park *park, struct mig_chan *chan, u64 *bytes);

/* How long a sender waits for the receiver to restore the process. */
#define MIG_ACK_TIMEOUT		(60 * HZ)

int mig_capture_send(struct mig_chan *chan, struct mig_capture_info *info);
int mig_capture_thread(struct mig_msg_thread *th, void **xstate,
		       unsigned int *xstate_len, const struct mig_sleep *sleep,
		       bool rewind, bool pending);

/* Pages sent in PAGES messages of up to MIG_PAGES_PER_MSG. */
struct mig_page_batch *mig_batch_alloc(void);
void mig_batch_free(struct mig_page_batch *b);
void *mig_batch_slot(struct mig_page_batch *b);
int mig_batch_add(struct mig_chan *chan, struct mig_page_batch *b,
		  unsigned long addr, u64 *bytes);
int mig_batch_flush(struct mig_chan *chan, struct mig_page_batch *b,
		    u64 *bytes);

/*
 * Whether pages pre-copied into a private mapping with these wire flags
 * (MIG_VMA_*) and protection stay valid at the destination: anonymous,
 * read-write, not a stack, without mlock() or madvise() flags (such a
 * mapping is made anew with them, and all its pages go with the final
 * stop). Both ends decide with this same rule (live.c sends, restore.c
 * keeps).
 */
static inline bool mig_live_mapping(u32 flags, u32 prot)
{
	return !(flags & (MIG_VMA_FILE | MIG_VMA_GROWSDOWN | MIG_VMA_SHARED |
			  MIG_VMA_SHMEM | MIG_VMA_ADVICE)) &&
	       prot == (PROT_READ | PROT_WRITE);
}
/*
 * A pre-copy competes for the CPU with the processes that keep running,
 * the moving one among them; at the weight of any of them a busy node
 * stretches the move out (2.7 times the stopped copy's time with five
 * CPU-bound jobs a node). Both ends copy at this nice level meanwhile
 * (mig_copy_boost()), and go back to their own after (mig_copy_unboost());
 * the link's worker, which decrypts all that comes, always runs at it.
 */
#define MIG_COPY_NICE	(-10)

static inline long mig_copy_boost(void)
{
	long nice = task_nice(current);

	if (nice > MIG_COPY_NICE)
		set_user_nice(current, MIG_COPY_NICE);
	return nice;
}

static inline void mig_copy_unboost(long nice)
{
	if (task_nice(current) != nice)
		set_user_nice(current, nice);
}

int mig_capture_wait_ack(struct mig_chan *chan, struct mig_capture_info *info);
bool mig_in_vdso(void);
/* A range of user addresses, [start, end). */
struct mig_span {
	unsigned long start, end;
};

void mig_unmap_all_but(const struct mig_span *keep, int nkeep);
void mig_unmap_all(void);

/* restore.c: rebuild the current process from a channel */
enum mig_restore_live {
	MIG_RESTORE_STOPPED,		/* the whole state after BEGIN */
	MIG_RESTORE_PRECOPY,		/* rounds of PAGES first, then TASK */
	MIG_RESTORE_PRECOPIED,		/* rounds already in (a homecoming) */
};

/* One thread of a stream (TASK's or a THREAD), and where it resumes. */
struct mig_rthread {
	struct mig_msg_thread msg;
	void *xstate;
	u32 xstate_len;
	unsigned long resume_ip;	/* at home: where its deputy goes */
};

enum mig_threads_mode {
	MIG_THREADS_SPAWN,		/* a destination: its trampoline clones */
	MIG_THREADS_HAND,		/* home: each deputy resumes its own */
};

/*
 * The threads a restore brings: t[0] is the restoring thread's own (at a
 * destination TASK's; at home the one with its tid), then the others.
 * With more than one, the trampoline traps in (ioctl(-1, MIG_TRAP_MAGIC,
 * rdx) from [tramp_start, tramp_end)) once its own state is in place:
 * rdx 0, or a clone's error; at a destination each new thread traps in
 * too, with its index.
 */
struct mig_restore_threads {
	enum mig_threads_mode mode;
	u32 home_pid;			/* TASK's home_tid 0 means this */
	u32 self_tid;			/* HAND: the restoring thread's */
	bool trap;			/* HAND: trap in even alone (deputies wait) */
	/* All records read, nothing changed yet: 0, or -errno refuses. */
	int (*check)(struct mig_restore_threads *rt);
	void *ctx;
	int n;
	struct mig_rthread *t;
	unsigned long exit_ip;		/* HAND: exit(0), for threads gone */
	unsigned long tramp_start, tramp_end;
};

int mig_restore(struct mig_chan *chan, bool set_creds,
		enum mig_restore_live live, unsigned long *tramp,
		struct mig_sleep *sleep, struct mig_restore_threads *rt);
void mig_restore_threads_free(struct mig_restore_threads *rt);
bool mig_in_tramp(const struct mig_restore_threads *rt,
		  const struct pt_regs *regs);
bool mig_tramp_trap(const struct mig_restore_threads *rt,
		    const struct pt_regs *regs);
void mig_restore_thread_kernel(const struct mig_msg_thread *th, bool name);
int mig_precopy_frame(struct mig_frame *f, const struct mig_span *avoid,
		      int navoid);

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

/* deputy.c and guest.c: one line of "migctl ps" */
struct mig_ps_entry {
	u8 role;			/* enum mig_role */
	bool moving;			/* a live move under way: the rest */
	u8 how;				/* enum mig_move_how */
	u32 round;
	u64 total;
	u64 rate;
	u64 elapsed_us;
	u8 state;			/* enum mig_proc_state */
	pid_t pid;
	u16 home_node;
	u32 home_pid;
	u16 where;
	u32 moves;
	u64 bytes_sent;
	bool pinned;
	u32 threads;			/* 0: not known (a process back home) */
	u8 home_reason;			/* MIG_ROLE_RETURNED */
	u16 home_nr;
	u32 home_age_ms;
};

/* What a move did, for its caller (migctl's summary). */
struct mig_move_report {
	bool valid;			/* a move away from home was made */
	u8 how;				/* enum mig_move_how */
	u32 rounds;			/* pre-copy rounds */
	u64 bytes_sent;
	u64 resident;			/* bytes of memory at the start */
	u64 freeze_us;			/* stopped, until it ran there */
	u64 elapsed_us;
};

/* live.c: pre-copy, the memory sent while the process runs */
struct mig_live;

/*
 * Where the rounds go and what their BEGIN says: to a fresh guest
 * (flags LIVE, or ONWARD and LIVE with the ticket in reserved), or home
 * (HOMECOMING and ROUNDS, reserved: the process's channel). The source
 * side does not care which.
 */
struct mig_live_target {
	u16 peer;
	u16 home_node;
	u32 home_pid;
	u16 flags;			/* MIG_BEGIN_* of the rounds' BEGIN */
	u32 reserved;
};

struct mig_live *mig_live_start(struct task_struct *task,
				const struct mig_live_target *to, u8 mode,
				const char **why);
int mig_live_precopy(struct mig_live *live, const char **why);
bool mig_live_usable(struct mig_live *live);
u64 mig_live_bytes_sent(const struct mig_live *live);
void mig_live_count(const struct mig_live *live);
struct mig_chan *mig_live_take_chan(struct mig_live *live);
extern const struct mig_capture_hooks mig_live_capture_hooks;
void mig_live_end(struct mig_live *live, struct mig_move_report *rep);
bool mig_live_busy(pid_t pid);
void mig_live_cancel(pid_t pid);
int mig_live_ps(struct mig_ps_entry *e, int max);
void mig_live_ps_guest(pid_t pid, struct mig_ps_entry *e);
int mig_live_init(void);
void mig_live_exit(void);

/* procview.c: /proc/PID at home of a process away */
int mig_procview_init(void);
void mig_procview_exit(void);

/* migrate.c: moving a process of this node away, and calling it back */
int mig_move(u32 pid, u32 dest, const char **why);
int mig_move_how(u32 pid, u32 dest, u8 mode, struct mig_move_report *rep,
		 const char **why);
int mig_move_current(u16 dest);
int mig_check_movable(struct task_struct *task, const char **why);
int mig_check_alone(struct task_struct *task, const char **why);
int mig_check_dest(u32 dest, bool away, const char **why);
u16 mig_begin_flags(struct task_struct *task);

/* deputy.c: what stays at home of a process that runs elsewhere */
struct mig_deputy;

/* How far "move home" (or on to another node) has come. */
enum mig_recall_state {
	MIG_RECALL_WAITING,
	MIG_RECALL_HOME,		/* no deputy left: it is here, or died */
	MIG_RECALL_THERE,		/* relayed on: runs at the node asked */
	MIG_RECALL_FAILED,		/* the process stays where it was */
};

struct mig_deputy *mig_deputy_alloc(void);
int mig_deputy_alloc_threads(struct mig_deputy *dep, struct mig_park *park,
			     u16 dest);
extern const struct mig_park_ops mig_deputy_park_ops;
void mig_deputy_free(struct mig_deputy *dep);
void mig_deputy_add(struct mig_deputy *dep, struct mig_chan *chan, u16 where,
		    u64 bytes_sent);
int mig_deputy_enter(struct mig_deputy *dep);
void mig_deputy_stay(struct mig_deputy *dep, int enter_err);
bool mig_is_deputy(pid_t pid);
int mig_deputy_recall_begin(pid_t pid, u16 onward, u32 *id, u16 *where);
int mig_deputy_recall_onward(pid_t pid, u16 onward, struct mig_chan *to);
void mig_deputy_recall_cancel(pid_t pid);
enum mig_recall_state mig_deputy_recall_state(pid_t pid, u16 onward,
					      int *err);
void mig_deputy_intr_work(struct callback_head *cb);
bool mig_deputy_may_stop(void);
int mig_deputy_rounds_begin(u16 peer, const struct mig_msg_begin *begin);
int mig_deputy_ps(struct mig_ps_entry *e, int max);

/* What /proc at home shows of a thread away (procview.c). */
struct mig_view {
	u16 where;			/* the node the process runs at */
	bool in_call;			/* the deputy runs one of its calls */
	bool has_thread;		/* thread: what its node said of it */
	bool has_process;		/* process: of its owner thread */
	struct mig_msg_usage thread;
	struct mig_msg_usage process;
};

bool mig_deputy_view(struct task_struct *task, struct mig_view *v);
int mig_home_ps(struct mig_ps_entry *e, int max);
const char *mig_home_reason_name(unsigned int reason);

/*
 * What the syscall hook holds for a task: a guest (guest.c), a deputy
 * (deputy.c), a process to place at exec (place.c) or one finishing a
 * sleep after its homecoming (sleep.c). Each kind answers for itself.
 */
struct mig_hooked;

struct mig_hooked_ops {
	const char *name;
	/* One syscall of the task: as a mig_syscall_fn (syscall_hook.h). */
	bool (*syscall)(struct mig_hooked *h, const struct pt_regs *regs,
			long *ret);
	/* The task reaches do_exit(): atomic context, so queue any work. */
	void (*exited)(struct mig_hooked *h);
	/*
	 * The task made @child (which has not run yet) with a clone the
	 * hook let run natively: the child's own hooked object to keep it
	 * hooked from its first instruction, or NULL (it is nobody's).
	 * Atomic context. May be NULL.
	 */
	struct mig_hooked *(*forked)(struct mig_hooked *h,
				     struct task_struct *child);
};

struct mig_hooked {
	const struct mig_hooked_ops *ops;
};

/* The syscall hook's callbacks (main.c): through the task's ops. */
bool mig_on_syscall(void *hooked, const struct pt_regs *regs, long *ret);
void mig_on_hooked_exit(void *hooked);
void *mig_on_hooked_fork(void *hooked, struct task_struct *child);

/* place.c: "migctl exec": a process placed on a node at its next exec */
int mig_place_at_exec(u32 dest, const char **why);

/* account.c: the cgroup guests run in */
int mig_account_join(void);
int mig_account_init(void);
void mig_account_exit(void);

/* quota.c: what one peer may make this node hold */
int mig_quota_admit(u16 peer, unsigned int guests, unsigned int arriving);
int mig_quota_init(void);
void mig_quota_exit(void);

/* guest.c: processes running here for another node */
int mig_guest_ps(struct mig_ps_entry *e, int max);
int mig_guest_chans(struct mig_chan **chans, int max);
void mig_queue_work(struct work_struct *work);
void mig_queue_delayed_work(struct delayed_work *work, unsigned long delay);
void mig_guest_recall(u16 peer, u32 id, u16 onward, u32 ticket, u8 mode);
int mig_guest_begin(u16 peer, const struct mig_msg_begin *begin);
int mig_guest_onward(u16 peer, const struct mig_msg_begin *begin);
void mig_guest_abort_await(u16 peer, u32 id);
int mig_guest_init(void);
void mig_guest_exit(void);

/*
 * What a policy (balance.c) tells the move code, which never calls it by
 * name; every member may be NULL.
 */
struct mig_policy_ops {
	/* May a new guest come in from @peer? 0, or the refusal's errno. */
	int (*admit_guest)(u16 peer);
	/* May this node send a process to @dest? 0, or -errno and *why. */
	int (*check_dest)(u16 dest, const char **why);
	/* Is @task kept from automatic moves? Travels with it (BEGIN). */
	bool (*pinned)(struct task_struct *task);
};

void mig_policy_set(const struct mig_policy_ops *ops);
const struct mig_policy_ops *mig_policy(void);

/* A guest, as the balancer sees it (mig_guest_brief()). */
struct mig_guest_brief {
	pid_t pid;
	u16 home;
	bool pinned;
	bool leaving;			/* on its way home, or not restored */
};

int mig_guest_brief(struct mig_guest_brief *g, int max);
int mig_guest_count(void);
int mig_guest_send_home(pid_t pid, enum mig_home_reason reason);
bool mig_guest_set_pinned(u16 peer, u32 id, bool pinned);
bool mig_guest_set_pinned_local(pid_t pid, bool pinned);
int mig_deputy_count(void);
bool mig_deputy_where(pid_t pid, u16 *where, u32 *id);
struct task_struct *mig_get_task(u32 pid, const char **why);

/* creds.c: who may move what; credentials carried and restored */
struct cred;

int mig_creds_init(void);
void mig_creds_exit(void);
bool mig_may_move(struct task_struct *task);
bool mig_may_place(const struct cred *caller, bool privileged);
int mig_check_confined(struct task_struct *task, const char **why);

/* state.c: kernel-held state, moved or refusing the move */
struct mig_code;
int mig_check_kernel_state(struct task_struct *task, const char **why);
u32 mig_vma_advice(unsigned long vm_flags);
int mig_capture_state(struct mig_msg_state *s, bool refuse);
void mig_state_left(void);
int mig_state_check(const struct mig_msg_state *s);
int mig_vma_advice_check(u32 flags);
unsigned long mig_mmap_advised(struct file *file, unsigned long addr,
			       unsigned long len, unsigned long prot,
			       unsigned long mflags, unsigned long off,
			       u32 flags);
void mig_restore_state(const struct mig_msg_state *s, const struct cred *cred);
/* Room in the trampoline for the state's data: three itimervals. */
#define MIG_STATE_TRAMP_DATA	96
void mig_state_emit(struct mig_code *c, const struct mig_msg_state *s,
		    void *data, unsigned long data_addr);
int mig_check_task_state(struct task_struct *task, const char **why);
int mig_capture_creds(struct mig_msg_task *t);
struct cred *mig_creds_restore(const struct mig_msg_task *t);
void mig_creds_restore_task(const struct mig_msg_task *t);

#endif /* _MIG_PROCESS_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: /proc/PID at home of a process that runs elsewhere
 * (Documentation/migration.rst, "/proc of a process away", "At home").
 *
 * At home the process is its deputy: the same pid, parent, descriptors
 * and argument pages, but neither its memory nor its CPU time, and it
 * sleeps while the process computes elsewhere. So that ps and top at home
 * tell the truth:
 *
 *  - the node a thread runs at tells home, every usage_ms, how it sees
 *    the thread and its process (USAGE, on the thread's channel): its
 *    state, CPU times and page faults, and the memory figures of
 *    /proc/PID/status;
 *  - at home, a kretprobe on each of the functions that print
 *    /proc/PID/stat (and task/TID/stat), status and statm edits what the
 *    function has just written into its seq_file, for a deputy only: the
 *    state letter while the deputy waits for the next call (while it
 *    runs one, its own state is the process's: the process is in that
 *    call), CPU times and faults added to the deputy's, memory replaced;
 *    status ends with a "Mig_node:" line, the node the process runs at.
 *
 * The functions themselves are untouched: only numbers in a text the
 * kernel made are rewritten, and a text that no longer fits is left to
 * seq_file to print again into a larger buffer. Without kprobes the
 * module works on, and /proc at home shows the deputies as they are.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/sched/cputime.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "mig.h"

/* How often a node tells home of each thread running here; 0: never. */
static unsigned int mig_usage_ms = 1000;
#define MIG_USAGE_MS_MIN	100
#define MIG_USAGE_MS_MAX	60000

/* Threads reported per round: a node runs no more for other nodes. */
#define MIG_USAGE_BATCH		1024

/* Bounds on what a peer may say: beyond them a report is refused. */
#define MIG_USAGE_NS_MAX	(1ULL << 62)
#define MIG_USAGE_COUNT_MAX	(1ULL << 62)
#define MIG_USAGE_KB_MAX	(1ULL << 50)

static struct delayed_work mig_usage_work;

/* --- away: the node a thread runs at reports it --- */

static u64 mig_kb(unsigned long pages)
{
	return (u64)pages << (PAGE_SHIFT - 10);
}

/*
 * An mm counter as it is: with split RSS counting each thread keeps
 * what it changed until its 64th fault or an unmap, and get_mm_counter()
 * leaves that out; a thread that rarely faults (one that was restored,
 * its pages installed in its name) would show for ever what it had before.
 */
static unsigned long mig_mm_counter(struct task_struct *task,
				    struct mm_struct *mm, int member)
{
	long v = atomic_long_read(&mm->rss_stat.count[member]);
#ifdef SPLIT_RSS_COUNTING
	struct task_struct *t;

	rcu_read_lock();
	for_each_thread(task, t)
		v += READ_ONCE(t->rss_stat.count[member]);
	rcu_read_unlock();
#endif
	return v > 0 ? v : 0;
}

static void mig_usage_fill_mm(struct task_struct *task, struct mm_struct *mm,
			      __be64 *kb)
{
	unsigned long anon = mig_mm_counter(task, mm, MM_ANONPAGES);
	unsigned long file = mig_mm_counter(task, mm, MM_FILEPAGES);
	unsigned long shmem = mig_mm_counter(task, mm, MM_SHMEMPAGES);
	unsigned long rss = anon + file + shmem;
	unsigned long text, exec = mm->exec_vm << PAGE_SHIFT;

	/* As /proc/PID/status splits executable mappings. */
	text = PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK);
	text = min(text, exec);
	kb[MIG_USAGE_VM_PEAK] = cpu_to_be64(mig_kb(max(mm->hiwater_vm,
						      mm->total_vm)));
	kb[MIG_USAGE_VM_SIZE] = cpu_to_be64(mig_kb(mm->total_vm));
	kb[MIG_USAGE_VM_LCK] = cpu_to_be64(mig_kb(mm->locked_vm));
	kb[MIG_USAGE_VM_PIN] = cpu_to_be64(mig_kb(atomic64_read(&mm->pinned_vm)));
	kb[MIG_USAGE_VM_HWM] = cpu_to_be64(mig_kb(max(mm->hiwater_rss, rss)));
	kb[MIG_USAGE_VM_RSS] = cpu_to_be64(mig_kb(rss));
	kb[MIG_USAGE_RSS_ANON] = cpu_to_be64(mig_kb(anon));
	kb[MIG_USAGE_RSS_FILE] = cpu_to_be64(mig_kb(file));
	kb[MIG_USAGE_RSS_SHMEM] = cpu_to_be64(mig_kb(shmem));
	kb[MIG_USAGE_VM_DATA] = cpu_to_be64(mig_kb(mm->data_vm));
	kb[MIG_USAGE_VM_STK] = cpu_to_be64(mig_kb(mm->stack_vm));
	kb[MIG_USAGE_VM_EXE] = cpu_to_be64(text >> 10);
	kb[MIG_USAGE_VM_LIB] = cpu_to_be64((exec - text) >> 10);
	kb[MIG_USAGE_VM_PTE] = cpu_to_be64(mm_pgtables_bytes(mm) >> 10);
	kb[MIG_USAGE_VM_SWAP] =
		cpu_to_be64(mig_kb(mig_mm_counter(task, mm, MM_SWAPENTS)));
}

/* @task's times and faults, and its whole thread group's. */
static void mig_usage_fill_task(struct task_struct *task,
				struct mig_msg_usage *m)
{
	struct signal_struct *sig = task->signal;
	u64 ut, st, gut, gst, gmin, gmaj;
	struct task_struct *t;

	m->state = task_state_to_char(task);
	task_cputime_adjusted(task, &ut, &st);
	m->utime_ns = cpu_to_be64(ut);
	m->stime_ns = cpu_to_be64(st);
	m->min_flt = cpu_to_be64(task->min_flt);
	m->maj_flt = cpu_to_be64(task->maj_flt);

	/* Threads that ended left theirs in the signal struct. */
	gut = READ_ONCE(sig->utime);
	gst = READ_ONCE(sig->stime);
	gmin = READ_ONCE(sig->min_flt);
	gmaj = READ_ONCE(sig->maj_flt);
	rcu_read_lock();
	for_each_thread(task, t) {
		task_cputime_adjusted(t, &ut, &st);
		gut += ut;
		gst += st;
		gmin += READ_ONCE(t->min_flt);
		gmaj += READ_ONCE(t->maj_flt);
	}
	rcu_read_unlock();
	m->group_utime_ns = cpu_to_be64(gut);
	m->group_stime_ns = cpu_to_be64(gst);
	m->group_min_flt = cpu_to_be64(gmin);
	m->group_maj_flt = cpu_to_be64(gmaj);
}

/*
 * How long home believes a report: five of its periods, so that a late
 * one (a busy node) does not flip what home shows; once reports stop
 * (usage_ms 0), home shows its deputy again.
 */
static u16 mig_usage_valid_s(unsigned int ms)
{
	return clamp_t(unsigned int, DIV_ROUND_UP(5 * ms, MSEC_PER_SEC), 5,
		       U16_MAX);
}

static void mig_usage_send(struct mig_chan *chan, unsigned int ms)
{
	struct mig_msg_usage m = {
		.mig_id = cpu_to_be32(chan->id),
		.valid_s = cpu_to_be16(mig_usage_valid_s(ms)),
	};
	struct kvec vec = { &m, sizeof(m) };
	struct task_struct *task = mig_chan_get_task(chan);
	struct mm_struct *mm;

	if (!task)
		return;
	mig_usage_fill_task(task, &m);
	mm = get_task_mm(task);
	if (mm) {
		mig_usage_fill_mm(task, mm, m.vm_kb);
		mmput(mm);
	}
	put_task_struct(task);
	if (!mm)
		return;		/* exiting */
	mig_chan_send(chan, MIG_MSG_USAGE, &vec, 1);
}

/* Unbound: a send may wait for a congested link. */
static void mig_usage_arm(unsigned int ms)
{
	mod_delayed_work(system_unbound_wq, &mig_usage_work,
			 msecs_to_jiffies(ms));
}

static void mig_usage_tick(struct work_struct *work)
{
	unsigned int ms = READ_ONCE(mig_usage_ms);
	struct mig_chan **chans;
	int i, n;

	if (!ms)
		return;		/* the knob starts it again */
	chans = kmalloc_array(MIG_USAGE_BATCH, sizeof(*chans), GFP_KERNEL);
	if (chans) {
		n = mig_guest_chans(chans, MIG_USAGE_BATCH);
		for (i = 0; i < n; i++) {
			mig_usage_send(chans[i], ms);
			mig_chan_put(chans[i]);
		}
		kfree(chans);
	}
	mig_usage_arm(ms);
}

/* --- home: a thread's node reports it --- */

static bool mig_usage_valid(const struct mig_msg_usage *u)
{
	const __be64 *v = &u->utime_ns;
	int i;

	if (!strchr("RSDTtI", u->state) || !u->state || u->pad ||
	    !u->valid_s)
		return false;
	for (i = 0; i < 4; i++)		/* the times */
		if (be64_to_cpu(v[i]) >= MIG_USAGE_NS_MAX)
			return false;
	for (; i < 8; i++)		/* the faults */
		if (be64_to_cpu(v[i]) >= MIG_USAGE_COUNT_MAX)
			return false;
	for (i = 0; i < MIG_USAGE_VM_NR; i++)
		if (be64_to_cpu(u->vm_kb[i]) >= MIG_USAGE_KB_MAX)
			return false;
	return true;
}

/*
 * Kept on the channel it names, whatever is at this end: only a deputy's
 * view reads it. A channel already gone (the thread ended, came home) is
 * no error: the report crossed the news.
 */
static int mig_usage_rx(struct mig_node *node, struct mig_rx *rx)
{
	const struct mig_msg_usage *u = (const void *)rx->payload;
	struct mig_chan *chan;

	if (!mig_usage_valid(u)) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return 0;
	}
	chan = mig_chan_lookup(node->id, be32_to_cpu(u->mig_id));
	if (chan) {
		mig_chan_set_usage(chan, u);
		mig_chan_put(chan);
	}
	return 0;
}

static const struct mig_msg_handler mig_usage_msgs[] = {
	{ MIG_MSG_FIXED(MIG_MSG_USAGE, struct mig_msg_usage),
	  .owner = "procview", .rx = mig_usage_rx },
};

/* --- home: what /proc/PID shows of a deputy --- */

/* What a kretprobe instance keeps from a function's entry to its return. */
struct mig_view_call {
	struct seq_file *m;
	size_t start;			/* where the function's text begins */
	bool whole;			/* stat: the process, not one thread */
	struct mig_view v;
};

/* The edited text, built beside the seq_file's buffer. */
struct mig_text {
	char *buf;
	size_t len, size;
	bool full;
};

static __printf(2, 3) void mig_text_printf(struct mig_text *t,
					   const char *fmt, ...)
{
	va_list args;
	int n;

	if (t->full)
		return;
	va_start(args, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, args);
	va_end(args);
	if (n >= t->size - t->len)
		t->full = true;
	else
		t->len += n;
}

static void mig_text_put(struct mig_text *t, const char *s, size_t n)
{
	if (t->full || n > t->size - t->len) {
		t->full = true;
		return;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

/*
 * Puts @t in place of what the function wrote; if it does not fit, the
 * seq_file has overflowed: it prints the whole again, larger.
 */
static void mig_text_commit(struct mig_view_call *c, struct mig_text *t)
{
	struct seq_file *m = c->m;

	if (t->full || t->len > m->size - c->start) {
		m->count = m->size;
		return;
	}
	memcpy(m->buf + c->start, t->buf, t->len);
	m->count = c->start + t->len;
}

static bool mig_text_alloc(struct mig_view_call *c, struct mig_text *t)
{
	t->size = c->m->size;
	t->len = 0;
	t->full = false;
	t->buf = kmalloc(t->size, GFP_ATOMIC | __GFP_NOWARN);
	return t->buf;
}

static u64 mig_u64(__be64 v)
{
	return be64_to_cpu(v);
}

static u64 mig_clock_t(__be64 ns)
{
	return div_u64(be64_to_cpu(ns), NSEC_PER_SEC / USER_HZ);
}

static u64 mig_pages(const struct mig_msg_usage *u, int i)
{
	return be64_to_cpu(u->vm_kb[i]) >> (PAGE_SHIFT - 10);
}

/*
 * The state letter the process has: R while its thread computes where
 * it runs and the deputy waits for its next call (S). Otherwise the
 * deputy's own is the process's: it runs the process's call, or it is
 * stopped with it, or both sleep (a sleep away and a call at home look
 * alike from here). 0: leave it.
 */
static char mig_view_state(const struct mig_view_call *c, char now)
{
	if (c->v.in_call || now != 'S' || !c->v.has_thread ||
	    c->v.thread.state != 'R')
		return 0;
	return 'R';
}

/* status: "Key:\tvalue" lines; the memory ones as task_mem() prints. */
static const char *const mig_status_vm[MIG_USAGE_VM_NR] = {
	[MIG_USAGE_VM_PEAK] = "VmPeak",
	[MIG_USAGE_VM_SIZE] = "VmSize",
	[MIG_USAGE_VM_LCK] = "VmLck",
	[MIG_USAGE_VM_PIN] = "VmPin",
	[MIG_USAGE_VM_HWM] = "VmHWM",
	[MIG_USAGE_VM_RSS] = "VmRSS",
	[MIG_USAGE_RSS_ANON] = "RssAnon",
	[MIG_USAGE_RSS_FILE] = "RssFile",
	[MIG_USAGE_RSS_SHMEM] = "RssShmem",
	[MIG_USAGE_VM_DATA] = "VmData",
	[MIG_USAGE_VM_STK] = "VmStk",
	[MIG_USAGE_VM_EXE] = "VmExe",
	[MIG_USAGE_VM_LIB] = "VmLib",
	[MIG_USAGE_VM_PTE] = "VmPTE",
	[MIG_USAGE_VM_SWAP] = "VmSwap",
};

static int mig_status_vm_index(const char *line, size_t keylen)
{
	int i;

	for (i = 0; i < MIG_USAGE_VM_NR; i++)
		if (strlen(mig_status_vm[i]) == keylen &&
		    !memcmp(line, mig_status_vm[i], keylen))
			return i;
	return -1;
}

static void mig_status_line(struct mig_view_call *c, struct mig_text *t,
			    const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t key = colon ? colon - line : 0;
	int i;

	if (key == 5 && !memcmp(line, "State", 5) && len > 7 &&
	    mig_view_state(c, line[7])) {
		mig_text_printf(t, "State:\tR (running)\n");
		return;
	}
	i = key ? mig_status_vm_index(line, key) : -1;
	if (i >= 0 && c->v.has_process) {
		mig_text_printf(t, "%s:\t%8llu kB\n", mig_status_vm[i],
				mig_u64(c->v.process.vm_kb[i]));
		return;
	}
	mig_text_put(t, line, len);
}

static void mig_view_status(struct mig_view_call *c)
{
	const char *p = c->m->buf + c->start, *end = c->m->buf + c->m->count;
	struct mig_text t;

	if (!mig_text_alloc(c, &t))
		return;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? nl - p + 1 : end - p;

		mig_status_line(c, &t, p, len);
		p += len;
	}
	mig_text_printf(&t, "Mig_node:\t%u\n", c->v.where);
	mig_text_commit(c, &t);
	kfree(t.buf);
}

/* stat: fields 1-based, as proc(5) numbers them. */
#define MIG_STAT_STATE		3
#define MIG_STAT_MINFLT		10
#define MIG_STAT_MAJFLT		12
#define MIG_STAT_UTIME		14
#define MIG_STAT_STIME		15
#define MIG_STAT_VSIZE		23
#define MIG_STAT_RSS		24

/* What to add to (or put in place of) stat field @field; false: keep. */
static bool mig_stat_field(const struct mig_view_call *c, int field,
			   u64 *add, u64 *set)
{
	const struct mig_msg_usage *th = &c->v.thread, *pr = &c->v.process;
	bool t = c->v.has_thread, p = c->v.has_process;

	*add = 0;
	*set = U64_MAX;
	switch (field) {
	case MIG_STAT_MINFLT:
		*add = c->whole ? mig_u64(pr->group_min_flt) : mig_u64(th->min_flt);
		return c->whole ? p : t;
	case MIG_STAT_MAJFLT:
		*add = c->whole ? mig_u64(pr->group_maj_flt) : mig_u64(th->maj_flt);
		return c->whole ? p : t;
	case MIG_STAT_UTIME:
		*add = mig_clock_t(c->whole ? pr->group_utime_ns : th->utime_ns);
		return c->whole ? p : t;
	case MIG_STAT_STIME:
		*add = mig_clock_t(c->whole ? pr->group_stime_ns : th->stime_ns);
		return c->whole ? p : t;
	case MIG_STAT_VSIZE:
		*set = mig_u64(pr->vm_kb[MIG_USAGE_VM_SIZE]) << 10;
		return p;
	case MIG_STAT_RSS:
		*set = mig_pages(pr, MIG_USAGE_VM_RSS);
		return p;
	}
	return false;
}

static void mig_view_stat(struct mig_view_call *c)
{
	const char *p = c->m->buf + c->start, *end = c->m->buf + c->m->count;
	const char *comm_end = NULL, *q;
	struct mig_text t;
	int field = MIG_STAT_STATE;

	/* "pid (comm) S ...": a comm may hold ") ", the last one ends it. */
	for (q = p; q < end; q++)
		if (*q == ')')
			comm_end = q;
	if (!comm_end || end - comm_end < 4 || !mig_text_alloc(c, &t))
		return;
	mig_text_put(&t, p, comm_end + 2 - p);
	p = comm_end + 2;
	while (p < end) {
		const char *sp = p;
		unsigned long long v;
		char num[24];
		u64 add, set;
		size_t len;

		while (sp < end && *sp != ' ' && *sp != '\n')
			sp++;
		len = sp - p;
		if (field == MIG_STAT_STATE && len == 1 && mig_view_state(c, *p)) {
			mig_text_put(&t, "R", 1);
		} else if (mig_stat_field(c, field, &add, &set) &&
			   len < sizeof(num)) {
			memcpy(num, p, len);
			num[len] = '\0';
			if (kstrtoull(num, 10, &v))
				mig_text_put(&t, p, len);
			else
				mig_text_printf(&t, "%llu",
						set != U64_MAX ? set : v + add);
		} else {
			mig_text_put(&t, p, len);
		}
		if (sp < end)
			mig_text_put(&t, sp++, 1);
		p = sp;
		field++;
	}
	mig_text_commit(c, &t);
	kfree(t.buf);
}

/* statm: "size resident shared text lib data dt", pages. */
static void mig_view_statm(struct mig_view_call *c)
{
	const struct mig_msg_usage *u = &c->v.process;
	struct mig_text t;

	if (!c->v.has_process || !mig_text_alloc(c, &t))
		return;
	mig_text_printf(&t, "%llu %llu %llu %llu 0 %llu 0\n",
			mig_pages(u, MIG_USAGE_VM_SIZE),
			mig_pages(u, MIG_USAGE_VM_RSS),
			mig_pages(u, MIG_USAGE_RSS_FILE) +
			mig_pages(u, MIG_USAGE_RSS_SHMEM),
			mig_pages(u, MIG_USAGE_VM_EXE),
			mig_pages(u, MIG_USAGE_VM_DATA) +
			mig_pages(u, MIG_USAGE_VM_STK));
	mig_text_commit(c, &t);
	kfree(t.buf);
}

/*
 * At the entry of each probed function, whose arguments are (seq_file,
 * pid_namespace, pid, task[, whole]): only a deputy is looked at, and
 * only a hooked task can be one (the flag is a bit test).
 */
static int mig_view_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct task_struct *task = (void *)regs_get_kernel_argument(regs, 3);
	struct mig_view_call *c = (void *)ri->data;

	if (!test_task_syscall_work(task, SECCOMP) ||
	    !mig_deputy_view(task, &c->v))
		return 1;	/* no return handler */
	c->m = (void *)regs_get_kernel_argument(regs, 0);
	c->start = c->m->count;
	c->whole = regs_get_kernel_argument(regs, 4);
	return 0;
}

/* The function printed its text without error, and it fit. */
static struct mig_view_call *mig_view_done(struct kretprobe_instance *ri,
					   struct pt_regs *regs)
{
	struct mig_view_call *c = (void *)ri->data;

	if (regs_return_value(regs) || seq_has_overflowed(c->m) ||
	    c->m->count <= c->start)
		return NULL;
	return c;
}

#define MIG_VIEW_RET(name)						\
static int mig_view_ret_##name(struct kretprobe_instance *ri,		\
			       struct pt_regs *regs)			\
{									\
	struct mig_view_call *c = mig_view_done(ri, regs);		\
									\
	if (c)								\
		mig_view_##name(c);					\
	return 0;							\
}

MIG_VIEW_RET(stat)
MIG_VIEW_RET(status)
MIG_VIEW_RET(statm)

/* Readers of the same file at once, each with an instance. */
#define MIG_VIEW_MAXACTIVE	64

#define MIG_VIEW_PROBE(sym, name) {					\
	.kp.symbol_name = sym,						\
	.entry_handler = mig_view_entry,				\
	.handler = mig_view_ret_##name,					\
	.data_size = sizeof(struct mig_view_call),			\
	.maxactive = MIG_VIEW_MAXACTIVE,				\
}

/* do_task_stat() prints stat and task/TID/stat (whole or not). */
static struct kretprobe mig_view_probes[] = {
	MIG_VIEW_PROBE("do_task_stat", stat),
	MIG_VIEW_PROBE("proc_pid_status", status),
	MIG_VIEW_PROBE("proc_pid_statm", statm),
};

static struct kretprobe *mig_view_probe_ptrs[ARRAY_SIZE(mig_view_probes)];
static bool mig_view_on;

static void mig_view_start(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(mig_view_probes); i++)
		mig_view_probe_ptrs[i] = &mig_view_probes[i];
	err = register_kretprobes(mig_view_probe_ptrs,
				  ARRAY_SIZE(mig_view_probe_ptrs));
	if (err) {
		pr_warn("/proc at home shows the deputies of processes away, not the processes (kretprobes: %d)\n",
			err);
		return;
	}
	mig_view_on = true;
}

/* --- the knob --- */

static int mig_usage_set(u32 v)
{
	WRITE_ONCE(mig_usage_ms, v);
	if (v)
		mig_usage_arm(v);
	return 0;
}

MIG_KNOB(usage_ms, mig_usage_ms, MIG_USAGE_MS_MIN, MIG_USAGE_MS_MAX,
	 .flags = MIG_KNOB_OFF, .set = mig_usage_set);

static const struct attribute *const mig_usage_attrs[] = {
	&usage_ms_knob.attr.attr,
	NULL,
};

int mig_procview_init(void)
{
	int err;

	INIT_DELAYED_WORK(&mig_usage_work, mig_usage_tick);
	err = mig_msg_register(mig_usage_msgs, ARRAY_SIZE(mig_usage_msgs));
	if (err)
		return err;
	err = mig_sysfs_add(mig_usage_attrs);
	if (err) {
		mig_msg_unregister(mig_usage_msgs, ARRAY_SIZE(mig_usage_msgs));
		return err;
	}
	mig_view_start();
	mig_usage_arm(READ_ONCE(mig_usage_ms));
	return 0;
}

void mig_procview_exit(void)
{
	if (mig_view_on)
		unregister_kretprobes(mig_view_probe_ptrs,
				      ARRAY_SIZE(mig_view_probe_ptrs));
	mig_sysfs_remove(mig_usage_attrs);
	/* The knob is gone: nothing arms the work again. */
	WRITE_ONCE(mig_usage_ms, 0);
	cancel_delayed_work_sync(&mig_usage_work);
	mig_msg_unregister(mig_usage_msgs, ARRAY_SIZE(mig_usage_msgs));
}

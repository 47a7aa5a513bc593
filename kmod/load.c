// SPDX-License-Identifier: GPL-2.0
/*
 * mig: what each node knows of the cluster's load. Every balance interval
 * a node measures its own figures (how many processes want a CPU, its
 * CPUs, their relative speed, free memory) and reports them to each peer
 * whose link is up, in a LOAD message; it keeps the last report of each
 * peer, with its age. A report older than three of its sender's intervals
 * is stale: the balancer never sends work to a node it cannot see.
 *
 * The load is how many threads want a CPU: the sum over threads of the
 * share of each interval each spent running or waiting to run, averaged
 * per thread with its share before (mig_decay()). A
 * CPU-bound process counts 1000 whatever else runs; one that mostly
 * sleeps, or a command that lives for a moment, little or nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/bsearch.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/xarray.h>

#include "balance.h"
#include "mig.h"

/* Loop iterations of one speed probe, and the reference CPU's time for it. */
#define MIG_SPEED_ITERS		(1U << 16)
#define MIG_SPEED_REF_NS	125000ULL
#define MIG_SPEED_PROBES	8

/* A report is believed this many of its sender's intervals, plus slack. */
#define MIG_LOAD_STALE_INTERVALS 3
#define MIG_LOAD_STALE_SLACK_MS	1000

/*
 * Load that moved and that the measures do not show yet: a process that
 * left still weighs on its old node's figures, one that came in does not
 * weigh on its new node's yet. Both fade the way the measures catch up.
 */
struct mig_load_adj {
	s32 milli;
	unsigned long since;		/* jiffies */
	u32 interval_ms;
};

struct mig_peer_load {
	struct mig_load load;
	u32 interval_ms;
	unsigned long rx_at;		/* jiffies */
	struct mig_load_adj adj;	/* load we sent it lately */
};

static DEFINE_XARRAY(mig_peer_loads);	/* node id -> struct mig_peer_load */
static DEFINE_SPINLOCK(mig_loads_lock);	/* the entries' contents */

static DEFINE_SPINLOCK(mig_local_lock);
static u32 mig_local_load;		/* milli, the last sample */
static struct mig_load_adj mig_local_adj;	/* load we sent away lately */
static u64 mig_report_seq;

u32 mig_speed = 1000;			/* relative, 1000: the reference CPU */

static u64 mig_speed_sink;

static noinline u64 mig_speed_loop(u64 x, u32 n)
{
	while (n--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

/*
 * Times a fixed integer loop a few times and keeps the fastest run, the
 * one least disturbed by interrupts and other tasks.
 */
static u32 mig_measure_speed(void)
{
	u64 best = U64_MAX, sink = 0x9e3779b97f4a7c15ULL;
	int i;

	for (i = 0; i < MIG_SPEED_PROBES; i++) {
		u64 t0 = ktime_get_ns(), dt;

		sink = mig_speed_loop(sink, MIG_SPEED_ITERS);
		/* Used, so that the loop is not optimised away. */
		WRITE_ONCE(mig_speed_sink, sink);
		dt = ktime_get_ns() - t0;
		best = min(best, max_t(u64, dt, 1));
		cond_resched();
	}
	return clamp_t(u64, div64_u64(MIG_SPEED_REF_NS * 1000, best),
		       MIG_SPEED_MIN, MIG_SPEED_MAX);
}

/*
 * How long @t has wanted a CPU since it started: the time it ran plus the
 * time it waited on a run queue (schedstats' run_delay).
 */
u64 mig_task_runnable_ns(struct task_struct *t)
{
	return READ_ONCE(t->se.sum_exec_runtime) +
	       READ_ONCE(t->sched_info.run_delay);
}

/*
 * Each interval a thread's load keeps 3/4 of what it was and takes 1/4
 * of its share in the interval: a moment's burst of a daemon weighs
 * little. What is adjusted for moves fades at the same pace.
 */
#define MIG_DECAY_KEEP		4

static u32 mig_decay(u32 before, u32 share)
{
	return (before * (MIG_DECAY_KEEP - 1) + share) / MIG_DECAY_KEEP;
}

/* One thread at the last sample. */
struct mig_thread_time {
	pid_t tid;
	u64 start_ns;			/* with tid, names the thread */
	u64 runnable_ns;
	u32 load;			/* milli, decayed */
	u8 samples;			/* how many saw it, up to counting */
};

#define MIG_LOAD_MAX_THREADS	16384

static struct mig_thread_time *mig_threads, *mig_threads_prev;
static int mig_nr_threads, mig_nr_threads_prev;
static u64 mig_sample_ns;		/* when the last sample was taken */

static int mig_thread_cmp(const void *a, const void *b)
{
	const struct mig_thread_time *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int mig_threads_collect(struct mig_thread_time *out)
{
	struct task_struct *p, *t;
	int n = 0;

	rcu_read_lock();
	for_each_process_thread(p, t) {
		if (n == MIG_LOAD_MAX_THREADS)
			break;
		out[n].tid = t->pid;
		out[n].start_ns = t->start_time;
		out[n].runnable_ns = mig_task_runnable_ns(t);
		n++;
	}
	rcu_read_unlock();
	sort(out, n, sizeof(*out), mig_thread_cmp, NULL);
	return n;
}

/*
 * A thread counts from its MIG_LOAD_MIN_SAMPLES-th sample on, with its
 * whole share at first, and decayed after: the commands that come and go
 * all the time (a shell's, a monitoring script's) weigh nothing, while a
 * process that arrived weighs what it will weigh a moment later.
 */
#define MIG_LOAD_MIN_SAMPLES	3

/* @cur's load after @elapsed ns since the previous sample. */
static u32 mig_thread_load(struct mig_thread_time *cur, u64 elapsed)
{
	const struct mig_thread_time *old = NULL;
	u64 share;

	cur->load = 0;
	cur->samples = 1;
	if (mig_nr_threads_prev)
		old = bsearch(cur, mig_threads_prev, mig_nr_threads_prev,
			      sizeof(*cur), mig_thread_cmp);
	if (!old || old->start_ns != cur->start_ns)
		return 0;	/* new since, or unseen: its share is unknown */
	cur->samples = min(old->samples + 1, MIG_LOAD_MIN_SAMPLES);
	if (cur->samples < MIG_LOAD_MIN_SAMPLES)
		return 0;
	share = div64_u64((cur->runnable_ns -
			   min(cur->runnable_ns, old->runnable_ns)) * 1000,
			  elapsed);
	share = min_t(u64, share, 1000);
	cur->load = old->samples < MIG_LOAD_MIN_SAMPLES ? share :
		    mig_decay(old->load, share);
	return cur->load;
}

/*
 * Processes that want a CPU, in milli: each thread's share of the time
 * since the last sample that it ran or waited to run, decayed. Exact,
 * unlike a look at who happens to be runnable at one instant.
 */
static u32 mig_load_sample(void)
{
	u64 now = ktime_get_ns(), sum = 0, elapsed = now - mig_sample_ns;
	int i;

	if (!mig_threads || !mig_threads_prev || !elapsed)
		return 0;
	mig_nr_threads = mig_threads_collect(mig_threads);
	for (i = 0; i < mig_nr_threads; i++)
		if (mig_threads[i].tid != current->pid)
			sum += mig_thread_load(&mig_threads[i], elapsed);
	swap(mig_threads, mig_threads_prev);
	swap(mig_nr_threads, mig_nr_threads_prev);
	mig_sample_ns = now;
	return min_t(u64, sum, MIG_LOAD_MAX);
}

static s64 mig_adj_value(const struct mig_load_adj *a)
{
	unsigned long steps;
	s64 v = a->milli;

	if (!v || !a->interval_ms)
		return 0;
	steps = (jiffies - a->since) / max(msecs_to_jiffies(a->interval_ms),
					   1UL);
	for (; steps && v; steps--)
		v = v * (MIG_DECAY_KEEP - 1) / MIG_DECAY_KEEP;
	return v;
}

static void mig_adj_add(struct mig_load_adj *a, s32 milli, u32 interval_ms)
{
	a->milli = clamp_t(s64, mig_adj_value(a) + milli, -(s64)MIG_LOAD_MAX,
			   MIG_LOAD_MAX);
	a->since = jiffies;
	a->interval_ms = interval_ms;
}

static u32 mig_adj_apply(u32 load, const struct mig_load_adj *a)
{
	return clamp_t(s64, (s64)load + mig_adj_value(a), 0, MIG_LOAD_MAX);
}

/* This node's figures, as reported to its peers. */
void mig_load_local(struct mig_load *l)
{
	struct sysinfo si;

	si_meminfo(&si);
	memset(l, 0, sizeof(*l));
	spin_lock(&mig_local_lock);
	l->load = mig_adj_apply(mig_local_load, &mig_local_adj);
	spin_unlock(&mig_local_lock);
	l->speed = READ_ONCE(mig_speed);
	l->cpus = min_t(unsigned int, num_online_cpus(), U16_MAX);
	l->free_kb = (u64)si.freeram * (si.mem_unit ?: 1) >> 10;
	l->total_kb = (u64)si.totalram * (si.mem_unit ?: 1) >> 10;
	l->guests = mig_guest_count();
	l->away = mig_deputy_count();
	l->flags = mig_balance_flags();
}

/* A process of @milli left: take it off at once, not a few samples later. */
void mig_load_local_sub(u32 milli)
{
	spin_lock(&mig_local_lock);
	mig_adj_add(&mig_local_adj, -(s32)min_t(u32, milli, MIG_LOAD_MAX),
		    mig_balance_interval_ms());
	spin_unlock(&mig_local_lock);
}

static void mig_load_to_wire(const struct mig_load *l, u64 seq,
			     struct mig_msg_load *m)
{
	memset(m, 0, sizeof(*m));
	m->seq = cpu_to_be64(seq);
	m->load = cpu_to_be32(l->load);
	m->speed = cpu_to_be32(l->speed);
	m->cpus = cpu_to_be16(l->cpus);
	m->flags = cpu_to_be16(l->flags);
	m->guests = cpu_to_be32(l->guests);
	m->away = cpu_to_be32(l->away);
	m->interval_ms = cpu_to_be32(mig_balance_interval_ms());
	m->free_kb = cpu_to_be64(l->free_kb);
	m->total_kb = cpu_to_be64(l->total_kb);
}

/* Sends this node's figures to every peer whose link is up. */
static void mig_load_report(const struct mig_load *l)
{
	struct mig_msg_load msg;
	struct mig_node **nodes;
	int i, count;

	mig_load_to_wire(l, ++mig_report_seq, &msg);
	count = mig_node_snapshot(&nodes);
	if (count < 0)
		return;
	for (i = 0; i < count; i++) {
		if (!mig_link_is_up(nodes[i]->id))
			continue;
		if (!mig_link_post(nodes[i]->id, MIG_MSG_LOAD, &msg,
				   sizeof(msg)))
			mig_stat_inc(MIG_STAT_LOAD_TX);
	}
	mig_nodes_put_snapshot(nodes, count);
}

/* Once per balance interval: measure, then tell the peers. */
void mig_load_tick(void)
{
	u32 sample = mig_load_sample();
	struct mig_load l;

	spin_lock(&mig_local_lock);
	mig_local_load = sample;
	spin_unlock(&mig_local_lock);
	mig_load_local(&l);
	mig_load_report(&l);
}

/* Bounds of believable figures; anything else is a broken or hostile peer. */
static bool mig_load_from_wire(const struct mig_msg_load *m,
			       struct mig_load *l, u32 *interval_ms)
{
	l->load = be32_to_cpu(m->load);
	l->speed = be32_to_cpu(m->speed);
	l->cpus = be16_to_cpu(m->cpus);
	l->flags = be16_to_cpu(m->flags);
	l->guests = be32_to_cpu(m->guests);
	l->away = be32_to_cpu(m->away);
	l->free_kb = be64_to_cpu(m->free_kb);
	l->total_kb = be64_to_cpu(m->total_kb);
	*interval_ms = be32_to_cpu(m->interval_ms);
	return l->load <= MIG_LOAD_MAX && l->cpus &&
	       l->speed >= MIG_SPEED_MIN && l->speed <= MIG_SPEED_MAX &&
	       !(l->flags & ~MIG_LOAD_F_KNOWN) &&
	       *interval_ms >= MIG_INTERVAL_MIN_MS &&
	       *interval_ms <= MIG_INTERVAL_MAX_MS &&
	       l->free_kb <= l->total_kb;
}

static struct mig_peer_load *mig_peer_load_get(u16 id)
{
	struct mig_peer_load *p = xa_load(&mig_peer_loads, id), *old;

	if (p)
		return p;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	old = xa_cmpxchg(&mig_peer_loads, id, NULL, p, GFP_KERNEL);
	if (old) {
		kfree(p);
		return xa_is_err(old) ? NULL : old;
	}
	return p;
}

/* From the receive loop of the link to @node. */
static int mig_load_rx(struct mig_node *node, struct mig_rx *rx)
{
	const struct mig_msg_load *m = (const void *)rx->payload;
	struct mig_peer_load *p;
	struct mig_load l;
	u32 interval_ms;

	if (!mig_load_from_wire(m, &l, &interval_ms)) {
		mig_stat_inc(MIG_STAT_BAD_STREAM);
		return 0;
	}
	p = mig_peer_load_get(node->id);
	if (!p)
		return 0;
	/*
	 * The link delivers reports in order, and a peer that restarted
	 * counts from 1 again: the last one is always the one to keep.
	 */
	spin_lock(&mig_loads_lock);
	p->load = l;
	p->interval_ms = interval_ms;
	p->rx_at = jiffies;
	spin_unlock(&mig_loads_lock);
	mig_stat_inc(MIG_STAT_LOAD_RX);
	return 0;
}

static bool mig_peer_load_fresh(const struct mig_peer_load *p)
{
	unsigned long max_age = msecs_to_jiffies(MIG_LOAD_STALE_INTERVALS *
						 p->interval_ms +
						 MIG_LOAD_STALE_SLACK_MS);

	return p->rx_at && time_before(jiffies, p->rx_at + max_age);
}

/*
 * The last report of @id: false if none came. *age_ms says how old it
 * is, *fresh whether it may still be believed; load includes what this
 * node sent there since.
 */
bool mig_load_peer(u16 id, struct mig_load *l, u32 *age_ms, bool *fresh)
{
	struct mig_peer_load *p;
	bool found = false;

	spin_lock(&mig_loads_lock);
	p = xa_load(&mig_peer_loads, id);
	if (p && p->rx_at) {
		*l = p->load;
		l->load = mig_adj_apply(l->load, &p->adj);
		*age_ms = jiffies_to_msecs(jiffies - p->rx_at);
		*fresh = mig_peer_load_fresh(p);
		found = true;
	}
	spin_unlock(&mig_loads_lock);
	return found;
}

/*
 * This node just sent @milli of load to @id: count it there until the
 * peer's own reports can include it.
 */
void mig_load_peer_add(u16 id, u32 milli)
{
	struct mig_peer_load *p;

	spin_lock(&mig_loads_lock);
	p = xa_load(&mig_peer_loads, id);
	if (p)
		mig_adj_add(&p->adj, min_t(u32, milli, MIG_LOAD_MAX),
			    p->interval_ms);
	spin_unlock(&mig_loads_lock);
}

static const struct mig_msg_handler mig_load_msgs[] = {
	{ MIG_MSG_FIXED(MIG_MSG_LOAD, struct mig_msg_load),
	  .owner = "load", .rx = mig_load_rx },
};

int mig_load_init(void)
{
	int err;

	mig_threads = kvcalloc(MIG_LOAD_MAX_THREADS, sizeof(*mig_threads),
			       GFP_KERNEL);
	mig_threads_prev = kvcalloc(MIG_LOAD_MAX_THREADS,
				    sizeof(*mig_threads_prev), GFP_KERNEL);
	if (!mig_threads || !mig_threads_prev) {
		kvfree(mig_threads);
		kvfree(mig_threads_prev);
		return -ENOMEM;
	}
	mig_sample_ns = ktime_get_ns();
	mig_speed = mig_measure_speed();
	pr_info("CPU speed %u (1000: the reference CPU)\n", mig_speed);
	err = mig_msg_register(mig_load_msgs, ARRAY_SIZE(mig_load_msgs));
	if (err) {
		kvfree(mig_threads);
		kvfree(mig_threads_prev);
	}
	return err;
}

void mig_load_exit(void)
{
	struct mig_peer_load *p;
	unsigned long id;

	mig_msg_unregister(mig_load_msgs, ARRAY_SIZE(mig_load_msgs));
	xa_for_each(&mig_peer_loads, id, p)
		kfree(p);
	xa_destroy(&mig_peer_loads);
	kvfree(mig_threads);
	kvfree(mig_threads_prev);
}

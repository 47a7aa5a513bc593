// SPDX-License-Identifier: GPL-2.0
/*
 * mig: automatic load balancing and node drain.
 *
 * Every interval_ms a tick measures this node's load and reports it to the
 * peers (load.c), samples each process that could move, and, with
 * balance on, makes at most one move at a time:
 *
 *  - loads are compared per CPU and relative to this node's CPU speed: a
 *    node twice as fast with the same load counts half as busy;
 *  - a process of ours goes to the least busy peer, and a guest goes back
 *    to its home, only when that node is less busy than this one by more
 *    than threshold (in loads of one process): a move must still leave the
 *    target less busy than we were, or processes would bounce;
 *  - among the processes that may move (not pinned, here at least
 *    min_runtime_ms, single-threaded, with an address space; a process of
 *    threads may want more CPUs than a node has idle: moved by hand), the
 *    one that gains most goes: it wants a CPU (runs or waits to run most of the time),
 *    blocks rarely (every read, write or wait would be a round trip home
 *    once away: its rate times the link's measured round trip is the time
 *    it would lose) and is small (its memory must cross the link). Nothing
 *    is tuned by hand: the costs come from what this node measures.
 *
 * block refuses new guests; expel sends every guest home. The knobs live
 * in /sys/kernel/mig/ (Documentation/admin-guide.rst has units, defaults
 * and the reasoning).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/bsearch.h>
#include <linux/sort.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "balance.h"
#include "mig.h"
#include "syscall_hook.h"
#include "trace.h"

/* The knobs, with their defaults. */
static bool mig_bal_on;
static u32 mig_bal_interval_ms = 500;
static u32 mig_bal_threshold = 1300;	/* milli-processes */
static u32 mig_bal_min_runtime_ms = 3000;
static bool mig_bal_block;
static bool mig_bal_expel;

#define MIG_THRESHOLD_MAX	100000
#define MIG_MIN_RUNTIME_MAX_MS	3600000

/* A process is a candidate from this runnable average (milli) on... */
#define MIG_BAL_CPU_MIN		600
/* ... and moves only if what it gains, net of its costs, is this much. */
#define MIG_BAL_GAIN_MIN	400
/* A round trip home when the link's is not known yet, us. */
#define MIG_BAL_RTT_DEFAULT_US	500
/* Memory cost: KiB per milli of gain (~20 MB/s, amortised over 60 s). */
#define MIG_BAL_KB_PER_MILLI	1228
/* The processes sampled per tick. */
#define MIG_BAL_MAX_PROCS	2048

struct mig_bal_proc {
	pid_t pid;
	u64 start_ns;			/* with pid, names the process */
	u64 here_since;			/* jiffies64: seen here first */
	u64 blocks;			/* reads + writes + voluntary waits */
	u32 cpu;			/* milli, decayed */
	u32 block_rate;			/* per second, decayed */
	u64 rss_kb;
	u16 home;			/* a guest's home node; 0 for ours */
	bool pinned;
	u64 runnable_ns;		/* its runnable time so far */
};

struct mig_bal_table {
	struct mig_bal_proc *procs;
	int count;
};

static struct mig_bal_table mig_bal_now, mig_bal_prev;
static u64 mig_bal_prev_tick;		/* jiffies64 */
static DEFINE_MUTEX(mig_bal_lock);	/* the tables */
static DEFINE_MUTEX(mig_bal_knobs_lock);	/* block and expel, together */

static struct workqueue_struct *mig_bal_wq;
static struct delayed_work mig_bal_tick_work;

/* The one automatic move in flight, if any. */
struct mig_bal_move {
	struct work_struct work;
	pid_t pid;
	u16 dest;			/* 0: a guest goes home */
	u16 home;
	u32 cpu;
	s64 gain;			/* what the policy saw, for the trace */
	u64 load_here, load_there;
};

static struct mig_bal_move mig_bal_move_req;
static atomic_t mig_bal_busy = ATOMIC_INIT(0);

u16 mig_balance_flags(void)
{
	return (READ_ONCE(mig_bal_on) ? MIG_LOAD_F_BALANCE : 0) |
	       (READ_ONCE(mig_bal_block) ? MIG_LOAD_F_BLOCK : 0) |
	       (READ_ONCE(mig_bal_expel) ? MIG_LOAD_F_EXPEL : 0);
}

u32 mig_balance_interval_ms(void)
{
	return READ_ONCE(mig_bal_interval_ms);
}

/* @l's load per CPU, in processes of a CPU as fast as ours (milli). */
static u64 mig_norm_load(const struct mig_load *l)
{
	return div64_u64((u64)l->load * READ_ONCE(mig_speed),
			 (u64)max_t(u32, l->speed, 1) * max_t(u16, l->cpus, 1));
}

static u64 mig_local_norm_load(void)
{
	struct mig_load l;

	mig_load_local(&l);
	return mig_norm_load(&l);
}

/* A peer may take work: up, with a fresh report, not refusing guests. */
static bool mig_peer_load_norm(u16 id, bool as_home, u64 *norm)
{
	struct mig_load l;
	u32 age;
	bool fresh;

	if (!mig_link_is_up(id) || !mig_load_peer(id, &l, &age, &fresh) ||
	    !fresh)
		return false;
	/* Home always takes its own processes back. */
	if (!as_home && l.flags & (MIG_LOAD_F_BLOCK | MIG_LOAD_F_EXPEL))
		return false;
	*norm = mig_norm_load(&l);
	return true;
}

/* The least busy peer that may take a process of ours; 0 if none. */
static u16 mig_least_busy_peer(u16 except, u64 *norm)
{
	struct mig_node **nodes;
	int i, count;
	u16 best = 0;
	u64 n;

	count = mig_node_snapshot(&nodes);
	if (count < 0)
		return 0;
	for (i = 0; i < count; i++) {
		u16 id = nodes[i]->id;

		if (id == except || !mig_peer_load_norm(id, false, &n))
			continue;
		if (!best || n < *norm) {
			best = id;
			*norm = n;
		}
	}
	mig_nodes_put_snapshot(nodes, count);
	return best;
}

/* ---- sampling the processes that could move ---- */

static int mig_bal_cmp_pid(const void *a, const void *b)
{
	const struct mig_bal_proc *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static const struct mig_bal_proc *mig_bal_find(const struct mig_bal_table *t,
					       pid_t pid, u64 start_ns)
{
	struct mig_bal_proc key = { .pid = pid };
	const struct mig_bal_proc *p;

	if (!t->count)
		return NULL;
	p = bsearch(&key, t->procs, t->count, sizeof(*p), mig_bal_cmp_pid);
	return p && p->start_ns == start_ns ? p : NULL;
}

static u64 mig_task_rss_kb(struct task_struct *p)
{
	u64 kb = 0;

	task_lock(p);
	if (p->mm)
		kb = (u64)get_mm_rss(p->mm) << (PAGE_SHIFT - 10);
	task_unlock(p);
	return kb;
}

/*
 * Whether @p could ever be moved by the policy, judged cheaply under RCU;
 * the move code checks again, properly, when it comes to it.
 */
static bool mig_bal_may_consider(struct task_struct *p)
{
	return !(p->flags & (PF_KTHREAD | PF_EXITING)) && p->mm &&
	       !is_global_init(p) && get_nr_threads(p) == 1;
}

/* One sample of @p: what it is doing right now. */
static void mig_bal_sample(struct task_struct *p, u16 home, bool pinned,
			   struct mig_bal_proc *e)
{
	memset(e, 0, sizeof(*e));
	e->pid = task_tgid_nr(p);
	e->start_ns = p->start_boottime;
	e->home = home;
	e->pinned = pinned;
	e->runnable_ns = mig_task_runnable_ns(p);
	e->blocks = READ_ONCE(p->ioac.syscr) + READ_ONCE(p->ioac.syscw) +
		    READ_ONCE(p->nvcsw);
	e->rss_kb = mig_task_rss_kb(p);
}

static int mig_guest_cmp_pid(const void *a, const void *b)
{
	const struct mig_guest_brief *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static const struct mig_guest_brief *
mig_bal_find_guest(const struct mig_guest_brief *guests, int n, pid_t pid)
{
	struct mig_guest_brief key = { .pid = pid };

	return n ? bsearch(&key, guests, n, sizeof(key), mig_guest_cmp_pid) :
		   NULL;
}

/* Samples this node's processes, ours and guests, into mig_bal_now. */
static void mig_bal_collect(const struct mig_guest_brief *guests, int nguests)
{
	struct mig_bal_proc *out = mig_bal_now.procs;
	const struct mig_guest_brief *g;
	struct task_struct *p;
	int n = 0;

	rcu_read_lock();
	for_each_process(p) {
		u16 home = 0;
		bool pinned;

		if (n == MIG_BAL_MAX_PROCS)
			break;
		if (!mig_bal_may_consider(p))
			continue;
		if (mig_hook_guest(p)) {
			/* Hooked: a guest may move; deputies, placers not. */
			g = mig_bal_find_guest(guests, nguests, task_tgid_nr(p));
			if (!g || g->leaving)
				continue;
			home = g->home;
			pinned = g->pinned;
		} else {
			pinned = mig_pin_test(p);
		}
		mig_bal_sample(p, home, pinned, &out[n++]);
	}
	rcu_read_unlock();
	mig_bal_now.count = n;
	sort(out, n, sizeof(*out), mig_bal_cmp_pid, NULL);
}

/*
 * Carries each process's history over from the previous tick: how much
 * of the time since it wanted a CPU, and how often it blocked.
 */
static void mig_bal_age(u64 now, u64 elapsed_ms)
{
	int i;

	for (i = 0; i < mig_bal_now.count; i++) {
		struct mig_bal_proc *e = &mig_bal_now.procs[i];
		const struct mig_bal_proc *old;
		u64 rate, cpu;

		old = mig_bal_find(&mig_bal_prev, e->pid, e->start_ns);
		if (!old || !elapsed_ms) {
			e->here_since = old ? old->here_since : now;
			continue;
		}
		e->here_since = old->here_since;
		cpu = div64_u64((e->runnable_ns - min(e->runnable_ns,
						      old->runnable_ns)),
				elapsed_ms * 1000);
		e->cpu = (old->cpu + min_t(u64, cpu, 1000)) / 2;
		rate = div64_u64((e->blocks - old->blocks) * 1000, elapsed_ms);
		e->block_rate = min_t(u64, (old->block_rate + rate) / 2,
				      U32_MAX);
	}
}

static void mig_bal_sample_all(void)
{
	struct mig_guest_brief *guests;
	u64 now = get_jiffies_64();
	int nguests;

	guests = kcalloc(MIG_BAL_MAX_PROCS, sizeof(*guests), GFP_KERNEL);
	if (!guests)
		return;
	nguests = mig_guest_brief(guests, MIG_BAL_MAX_PROCS);
	sort(guests, nguests, sizeof(*guests), mig_guest_cmp_pid, NULL);
	swap(mig_bal_now, mig_bal_prev);
	mig_bal_collect(guests, nguests);
	mig_bal_age(now, jiffies64_to_msecs(now - mig_bal_prev_tick));
	mig_bal_prev_tick = now;
	kfree(guests);
}

/* ---- choosing ---- */

/*
 * What moving @e to a node @rtt_us away gains, in milli-CPUs: the CPU it
 * wants, less the time its blocking calls would spend crossing the link,
 * less its memory's cost of crossing it. Below zero: never.
 */
static s64 mig_bal_gain(const struct mig_bal_proc *e, u32 rtt_us)
{
	s64 gain = e->cpu;

	gain -= div_u64((u64)e->block_rate * (rtt_us ?: MIG_BAL_RTT_DEFAULT_US),
			1000);
	gain -= div_u64(e->rss_kb, MIG_BAL_KB_PER_MILLI);
	return gain;
}

static bool mig_bal_settled(const struct mig_bal_proc *e, u64 now)
{
	return now - e->here_since >=
	       msecs_to_jiffies(READ_ONCE(mig_bal_min_runtime_ms));
}

/*
 * The best move now, into *m: false if none. Ours go to the least busy
 * peer, guests home, each only past the threshold.
 */
static bool mig_bal_choose(struct mig_bal_move *m)
{
	u64 thr = READ_ONCE(mig_bal_threshold), now = get_jiffies_64();
	u64 me, peer_norm = 0, home_norm;
	s64 best_gain = MIG_BAL_GAIN_MIN - 1;
	struct mig_load local;
	bool peer_ok;
	u16 peer;
	int i;

	mig_load_local(&local);
	me = mig_norm_load(&local);
	peer = mig_least_busy_peer(0, &peer_norm);
	peer_ok = peer && me > peer_norm + thr;
	pr_debug("balance: load %llu, least busy peer %u at %llu\n", me, peer,
		 peer_norm);

	for (i = 0; i < mig_bal_now.count; i++) {
		const struct mig_bal_proc *e = &mig_bal_now.procs[i];
		u16 to = e->home ?: peer;
		s64 gain;

		if (e->pinned || e->cpu < MIG_BAL_CPU_MIN ||
		    !mig_bal_settled(e, now))
			continue;
		/*
		 * Home is "clearly" less busy when it would still be after
		 * taking the guest back: this is not the reverse of the move
		 * that brought it, or noise would send it to and fro.
		 */
		if (e->home && (!mig_peer_load_norm(e->home, true, &home_norm) ||
				me <= home_norm + thr + e->cpu / local.cpus))
			continue;
		if (!e->home && !peer_ok)
			continue;
		gain = mig_bal_gain(e, mig_link_rtt_us(to));
		/* On a tie, a guest going home frees two nodes of work. */
		if (gain > best_gain || (gain == best_gain && e->home)) {
			best_gain = gain;
			m->pid = e->pid;
			m->dest = e->home ? 0 : to;
			m->home = e->home;
			m->cpu = e->cpu;
			m->gain = gain;
			m->load_here = me;
			m->load_there = e->home ? home_norm : peer_norm;
		}
	}
	return best_gain >= MIG_BAL_GAIN_MIN;
}

static void mig_bal_move_work(struct work_struct *work)
{
	struct mig_bal_move *m = container_of(work, struct mig_bal_move, work);
	const char *why = NULL;
	u16 to = m->dest ?: m->home;
	int err;

	if (m->dest)
		err = mig_move(m->pid, m->dest, &why);
	else
		err = mig_guest_send_home(m->pid, MIG_HOME_BALANCE);
	if (err) {
		mig_stat_inc(MIG_STAT_BAL_FAILED);
		pr_info_ratelimited("automatic move of pid %d to node %u failed: %d (%s)\n",
				    m->pid, to, err, why ?: "-");
	} else {
		mig_stat_inc(m->dest ? MIG_STAT_BAL_MOVES :
			     MIG_STAT_BAL_HOMECOMINGS);
		mig_load_local_sub(m->cpu);
		mig_load_peer_add(to, m->cpu);
	}
	atomic_set(&mig_bal_busy, 0);
}

/*
 * A move is made when the imbalance that calls for it was there at three
 * ticks in a row, and not within two ticks of the last move: loads jump
 * for a moment with every command started and every move made (both
 * ends work to move a process), and only what lasts is worth a move.
 */
#define MIG_BAL_PERSIST_TICKS	3
#define MIG_BAL_SETTLE_TICKS	2

static unsigned int mig_bal_seen, mig_bal_quiet;

static void mig_bal_decide(void)
{
	struct mig_bal_move m;

	/* Counted from the end of the move in flight. */
	if (atomic_read(&mig_bal_busy)) {
		mig_bal_seen = 0;
		return;
	}
	if (mig_bal_quiet) {
		mig_bal_quiet--;
		return;
	}
	if (!mig_bal_choose(&m)) {
		mig_bal_seen = 0;
		return;
	}
	if (++mig_bal_seen < MIG_BAL_PERSIST_TICKS)
		return;
	mig_bal_seen = 0;
	mig_bal_quiet = MIG_BAL_SETTLE_TICKS;
	pr_debug("balance: pid %d (cpu %u) to node %u%s\n", m.pid, m.cpu,
		 m.dest ?: m.home, m.dest ? "" : " (home)");
	mig_stat_inc(MIG_STAT_BAL_DECISIONS);
	trace_balance_decision(m.pid, m.dest, m.gain, m.load_here,
			       m.load_there);
	mig_bal_move_req.pid = m.pid;
	mig_bal_move_req.dest = m.dest;
	mig_bal_move_req.home = m.home;
	mig_bal_move_req.cpu = m.cpu;
	atomic_set(&mig_bal_busy, 1);
	queue_work(mig_bal_wq, &mig_bal_move_req.work);
}

/* expel: every guest goes home; those that could not are asked again. */
static void mig_bal_expel_all(void)
{
	struct mig_guest_brief *guests;
	int i, n;

	guests = kcalloc(MIG_BAL_MAX_PROCS, sizeof(*guests), GFP_KERNEL);
	if (!guests)
		return;
	n = mig_guest_brief(guests, MIG_BAL_MAX_PROCS);
	for (i = 0; i < n; i++)
		if (!guests[i].leaving &&
		    !mig_guest_send_home(guests[i].pid, MIG_HOME_EXPEL))
			mig_stat_inc(MIG_STAT_EXPELLED);
	kfree(guests);
}

static void mig_bal_tick(struct work_struct *work)
{
	mig_load_tick();
	mig_pin_prune();
	mutex_lock(&mig_bal_lock);
	mig_bal_sample_all();
	if (READ_ONCE(mig_bal_expel))
		mig_bal_expel_all();
	else if (READ_ONCE(mig_bal_on))
		mig_bal_decide();
	mutex_unlock(&mig_bal_lock);
	queue_delayed_work(mig_bal_wq, &mig_bal_tick_work,
			   msecs_to_jiffies(READ_ONCE(mig_bal_interval_ms)));
}

/* ---- "migctl move PID balance" ---- */

static int mig_balance_pick(struct task_struct *task, u16 *dest,
			    const char **why)
{
	u64 me = mig_local_norm_load(), peer_norm = 0, thr;
	u16 peer;

	if (mig_deputy_where(task_tgid_nr(task), &peer, NULL)) {
		*why = "the process runs on another node: move it home first, or name a node";
		return -EINVAL;
	}
	if (mig_hook_guest(task)) {
		*why = "the process is a guest here or being moved: only its home node moves it";
		return -EINVAL;
	}
	peer = mig_least_busy_peer(0, &peer_norm);
	if (!peer) {
		*why = "no peer can take it: none is up with a fresh load report and accepting guests";
		return -EHOSTUNREACH;
	}
	thr = READ_ONCE(mig_bal_threshold);
	if (me <= peer_norm + thr) {
		*why = "no node is less busy than this one by more than the threshold";
		return -EAGAIN;
	}
	*dest = peer;
	return 0;
}

/* Moves @pid now to the node the policy picks, and says which. */
int mig_balance_move(u32 pid, u16 *dest, const char **why)
{
	struct task_struct *task = mig_get_task(pid, why);
	int err;

	if (!task)
		return -ESRCH;
	err = mig_check_movable(task, why);
	if (!err)
		err = mig_balance_pick(task, dest, why);
	put_task_struct(task);
	if (err)
		return err;
	return mig_move(pid, *dest, why);
}

/* ---- what the move code asks the policy ---- */

static int mig_bal_admit_guest(u16 peer)
{
	return READ_ONCE(mig_bal_block) ? -ECONNREFUSED : 0;
}

static int mig_bal_check_dest(u16 dest, const char **why)
{
	struct mig_load l;
	bool fresh;
	u32 age;

	if (mig_load_peer(dest, &l, &age, &fresh) && fresh &&
	    l.flags & (MIG_LOAD_F_BLOCK | MIG_LOAD_F_EXPEL)) {
		*why = "that node accepts no new guests (its block or expel knob is set)";
		return -ECONNREFUSED;
	}
	return 0;
}

static const struct mig_policy_ops mig_bal_policy = {
	.admit_guest = mig_bal_admit_guest,
	.check_dest = mig_bal_check_dest,
	.pinned = mig_pin_test,
};

/* ---- the knobs, /sys/kernel/mig/ ---- */

static bool mig_all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit(*s))
			return false;
	return true;
}

/* "1", "1.3", "0.125": a decimal with up to 3 decimals, in thousandths. */
static int mig_parse_milli(const char *buf, u32 max, u32 *out)
{
	char s[24], *frac_s;
	u32 whole, frac = 0;
	ssize_t n;

	n = strscpy(s, buf, sizeof(s));
	if (n < 0)
		return -EINVAL;
	if (n && s[n - 1] == '\n')
		s[--n] = 0;
	frac_s = strchr(s, '.');
	if (frac_s) {
		*frac_s++ = 0;
		n = strlen(frac_s);
		if (n > 3 || !mig_all_digits(frac_s) ||
		    kstrtou32(frac_s, 10, &frac))
			return -EINVAL;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (!mig_all_digits(s) || kstrtou32(s, 10, &whole) || whole > max ||
	    (whole == max && frac))
		return -EINVAL;
	*out = whole * 1000 + frac;
	return 0;
}

static int mig_bal_set_interval(u32 v)
{
	WRITE_ONCE(mig_bal_interval_ms, v);
	/* The next tick comes after the new interval, not the old one. */
	mod_delayed_work(mig_bal_wq, &mig_bal_tick_work, msecs_to_jiffies(v));
	return 0;
}

static ssize_t threshold_show(struct kobject *k, struct kobj_attribute *a,
			      char *buf)
{
	u32 v = READ_ONCE(mig_bal_threshold);

	return sysfs_emit(buf, "%u.%03u\n", v / 1000, v % 1000);
}

static ssize_t threshold_store(struct kobject *k, struct kobj_attribute *a,
			       const char *buf, size_t len)
{
	u32 v;

	if (mig_parse_milli(buf, MIG_THRESHOLD_MAX / 1000, &v))
		return -EINVAL;
	WRITE_ONCE(mig_bal_threshold, v);
	return len;
}

static int mig_bal_set_block(u32 v)
{
	bool changed = false;
	int err = 0;

	mutex_lock(&mig_bal_knobs_lock);
	/* Draining keeps the door shut until expel is cleared. */
	if (!v && READ_ONCE(mig_bal_expel)) {
		err = -EBUSY;
	} else {
		changed = READ_ONCE(mig_bal_block) != !!v;
		WRITE_ONCE(mig_bal_block, v);
	}
	mutex_unlock(&mig_bal_knobs_lock);
	/*
	 * The peers learn it from the next load report: send it now, or a
	 * peer would refuse (or send) moves by the old flag for an interval.
	 */
	if (changed)
		mod_delayed_work(mig_bal_wq, &mig_bal_tick_work, 0);
	return err;
}

static int mig_bal_set_expel(u32 v)
{
	mutex_lock(&mig_bal_knobs_lock);
	if (v)
		WRITE_ONCE(mig_bal_block, true);
	WRITE_ONCE(mig_bal_expel, v);
	mutex_unlock(&mig_bal_knobs_lock);
	/* Start at once rather than at the next tick. */
	if (v)
		mod_delayed_work(mig_bal_wq, &mig_bal_tick_work, 0);
	return 0;
}

static ssize_t load_show(struct kobject *k, struct kobj_attribute *a,
			 char *buf)
{
	struct mig_load l;

	mig_load_local(&l);
	return sysfs_emit(buf,
			  "load %u.%03u\ncpus %u\nspeed %u\nfree_kb %llu\ntotal_kb %llu\nguests %u\naway %u\n",
			  l.load / 1000, l.load % 1000, l.cpus, l.speed,
			  l.free_kb, l.total_kb, l.guests, l.away);
}

MIG_KNOB_BOOL(balance, mig_bal_on);
MIG_KNOB(interval_ms, mig_bal_interval_ms, MIG_INTERVAL_MIN_MS,
	 MIG_INTERVAL_MAX_MS, .set = mig_bal_set_interval);
static struct kobj_attribute threshold_attr = __ATTR_RW(threshold);
MIG_KNOB(min_runtime_ms, mig_bal_min_runtime_ms, 0, MIG_MIN_RUNTIME_MAX_MS);
MIG_KNOB(speed, mig_speed, MIG_SPEED_MIN, MIG_SPEED_MAX);
MIG_KNOB_BOOL(block, mig_bal_block, .set = mig_bal_set_block);
MIG_KNOB_BOOL(expel, mig_bal_expel, .set = mig_bal_set_expel);
static struct kobj_attribute load_attr = __ATTR_RO(load);

static const struct attribute *const mig_bal_attrs[] = {
	&balance_knob.attr.attr,
	&interval_ms_knob.attr.attr,
	&threshold_attr.attr,
	&min_runtime_ms_knob.attr.attr,
	&speed_knob.attr.attr,
	&block_knob.attr.attr,
	&expel_knob.attr.attr,
	&load_attr.attr,
	NULL,
};

static void mig_bal_free_tables(void)
{
	kvfree(mig_bal_now.procs);
	kvfree(mig_bal_prev.procs);
	mig_bal_now.procs = NULL;
	mig_bal_prev.procs = NULL;
}

int mig_balance_init(void)
{
	int err;

	mig_bal_now.procs = kvcalloc(MIG_BAL_MAX_PROCS,
				     sizeof(struct mig_bal_proc), GFP_KERNEL);
	mig_bal_prev.procs = kvcalloc(MIG_BAL_MAX_PROCS,
				      sizeof(struct mig_bal_proc), GFP_KERNEL);
	mig_bal_wq = alloc_workqueue("mig_balance", WQ_UNBOUND, 0);
	if (!mig_bal_now.procs || !mig_bal_prev.procs || !mig_bal_wq) {
		err = -ENOMEM;
		goto err_free;
	}
	err = mig_load_init();
	if (err)
		goto err_free;
	err = mig_pin_init();
	if (err)
		goto err_load;
	err = mig_sysfs_add(mig_bal_attrs);
	if (err)
		goto err_pin;
	INIT_WORK(&mig_bal_move_req.work, mig_bal_move_work);
	INIT_DELAYED_WORK(&mig_bal_tick_work, mig_bal_tick);
	mig_policy_set(&mig_bal_policy);
	mig_bal_prev_tick = get_jiffies_64();
	queue_delayed_work(mig_bal_wq, &mig_bal_tick_work, 0);
	return 0;

err_pin:
	mig_pin_exit();
err_load:
	mig_load_exit();
err_free:
	if (mig_bal_wq)
		destroy_workqueue(mig_bal_wq);
	mig_bal_free_tables();
	return err;
}

void mig_balance_exit(void)
{
	mig_sysfs_remove(mig_bal_attrs);
	mig_policy_set(NULL);
	cancel_delayed_work_sync(&mig_bal_tick_work);
	/* A move in flight finishes (or fails) first. */
	flush_work(&mig_bal_move_req.work);
	destroy_workqueue(mig_bal_wq);
	mig_pin_exit();
	mig_load_exit();
	mig_bal_free_tables();
}

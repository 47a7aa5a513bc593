/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: internal declarations shared by the files of the module: global
 * parameters and counters, the control interfaces, and the layers, each
 * in its own header (link.h, stream.h, process.h, forward.h).
 */
#ifndef _MIG_H
#define _MIG_H

#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/types.h>

#include "../uapi/mig.h"
#include "../uapi/mig_wire.h"

/* From the file VERSION (kmod/Kbuild); shared with migctl. */
#ifndef MIG_VERSION
#define MIG_VERSION "unknown"
#endif

/* main.c: module parameters and global state */
extern unsigned short mig_node_id;
extern unsigned short mig_port;
extern unsigned int mig_hb_interval_ms;
extern unsigned int mig_hb_timeout_ms;

/*
 * Work that runs module text after the call that started it returned (a
 * move, a task_work, a guest, a deputy) holds a module reference, so rmmod
 * is refused while any exists. mig_work_get() fails once unloading began.
 */
bool mig_work_get(void);
void mig_work_put(void);

/* stats.c */
extern atomic64_t mig_stats[__MIG_STAT_MAX];

static inline void mig_stat_inc(enum mig_stat stat)
{
	atomic64_inc(&mig_stats[stat]);
}

/* netlink.c */
int __init mig_genl_init(void);
void mig_genl_exit(void);

/* sysfs.c: /sys/kernel/mig; other parts add their own knobs */
int mig_sysfs_init(void);
void mig_sysfs_exit(void);
int mig_sysfs_add(const struct attribute *const *attrs);
void mig_sysfs_remove(const struct attribute *const *attrs);

/*
 * A number knob, root-writable: it reads as "%u\n" (a bool as 0 or 1)
 * and takes a decimal number from min to max, anything else EINVAL. It
 * points to its u32 (val) or to its bool (bval; min 0, max 1). With a
 * set hook, the hook stores the value (with what must go with it) and
 * may refuse it; without, the store is a WRITE_ONCE(). Its file in a
 * group: &NAME_knob.attr.attr.
 */
struct mig_knob {
	struct kobj_attribute attr;
	u32 *val;
	bool *bval;
	u32 min, max;
	unsigned int flags;
	int (*set)(u32 v);
};

#define MIG_KNOB_OFF	BIT(0)	/* 0 too, besides min to max */
#define MIG_KNOB_YESNO	BIT(1)	/* a bool: whatever kstrtobool() takes */

ssize_t mig_knob_show(struct kobject *kobj, struct kobj_attribute *attr,
		      char *buf);
ssize_t mig_knob_store(struct kobject *kobj, struct kobj_attribute *attr,
		       const char *buf, size_t len);

/* A knob's file: anybody reads it, root writes it. */
#define MIG_KNOB_ATTR(_name)						\
	{ .attr = { .name = #_name, .mode = 0644 },			\
	  .show = mig_knob_show, .store = mig_knob_store }

/* MIG_KNOB(name, u32 variable, min, max[, .flags = ..., .set = ...]) */
#define MIG_KNOB(_name, _var, _min, _max, ...)				\
	static struct mig_knob _name##_knob = {				\
		.attr = MIG_KNOB_ATTR(_name),				\
		.val = &(_var), .min = (_min), .max = (_max), __VA_ARGS__ \
	}

/* MIG_KNOB_BOOL(name, bool variable[, .flags = ..., .set = ...]) */
#define MIG_KNOB_BOOL(_name, _var, ...)					\
	static struct mig_knob _name##_knob = {				\
		.attr = MIG_KNOB_ATTR(_name),				\
		.bval = &(_var), .max = 1, __VA_ARGS__			\
	}

#include "link.h"
#include "stream.h"
#include "process.h"
#include "forward.h"
#include "sigfd.h"

#endif /* _MIG_H */

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
struct attribute_group;

int mig_sysfs_init(void);
void mig_sysfs_exit(void);
int mig_sysfs_add(const struct attribute_group *group);
void mig_sysfs_remove(const struct attribute_group *group);

#include "link.h"
#include "stream.h"
#include "process.h"
#include "forward.h"
#include "sigfd.h"

#endif /* _MIG_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: automatic load balancing, between the nodes' load reports (load.c),
 * the policy and its knobs (balance.c) and pinned processes (pin.c).
 * Nothing below these files calls them: they register their message,
 * their knobs and their hooks into the move code.
 */
#ifndef _MIG_BALANCE_H
#define _MIG_BALANCE_H

#include <linux/types.h>

struct mig_ps_entry;
struct task_struct;

#define MIG_SPEED_MIN		1
#define MIG_SPEED_MAX		1000000
#define MIG_LOAD_MAX		(1000U * 1000 * 1000)
#define MIG_INTERVAL_MIN_MS	100
#define MIG_INTERVAL_MAX_MS	60000
#define MIG_LOAD_F_KNOWN	(MIG_LOAD_F_BALANCE | MIG_LOAD_F_BLOCK | \
				 MIG_LOAD_F_EXPEL)

/* One node's figures (enum mig_load_attr says what each is). */
struct mig_load {
	u32 load;			/* milli-processes, decayed */
	u32 speed;
	u16 cpus;
	u16 flags;			/* MIG_LOAD_F_* */
	u32 guests;
	u32 away;
	u64 free_kb;
	u64 total_kb;
};

/* load.c */
extern u32 mig_speed;
int mig_load_init(void);
void mig_load_exit(void);
void mig_load_tick(void);
u64 mig_task_runnable_ns(struct task_struct *t);
void mig_load_local(struct mig_load *l);
void mig_load_local_sub(u32 milli);
bool mig_load_peer(u16 id, struct mig_load *l, u32 *age_ms, bool *fresh);
void mig_load_peer_add(u16 id, u32 milli);

/* balance.c */
int mig_balance_init(void);
void mig_balance_exit(void);
u16 mig_balance_flags(void);
u32 mig_balance_interval_ms(void);
int mig_balance_move(u32 pid, u16 *dest, const char **why);

/* pin.c */
int mig_pin_set(u32 pid, bool pinned, const char **why);
bool mig_pin_test(struct task_struct *task);
bool mig_pin_test_pid(pid_t nr);
int mig_pin_ps(struct mig_ps_entry *e, int max);
void mig_pin_prune(void);
int mig_pin_init(void);
void mig_pin_exit(void);

#endif /* _MIG_BALANCE_H */

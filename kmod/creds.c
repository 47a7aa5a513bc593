// SPDX-License-Identifier: GPL-2.0
/*
 * mig: who may move what, and with which credentials a process runs at
 * its destination.
 *
 * Home side: a caller may move a process it could ptrace (the same rule,
 * as ptrace_may_access() is not exported), and only a process whose
 * paths, credentials and confinement mean the same at any node: its root
 * and mount namespace are the node's own, its user namespace the initial
 * one, no seccomp filter and no security module profile. The TASK message
 * carries its eight ids, groups, capability sets, securebits and
 * no_new_privs.
 *
 * Destination side: the guest is a usermode helper, so it runs as root
 * with every capability until its restore ends. Its credentials become
 * the carried ones, each capability set intersected with the helper's,
 * so never broader than at home; files it maps are opened with them
 * (restore.c). A process with any id 0 is let in only when the
 * accept_root knob says so.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs_struct.h>
#include <linux/kobject.h>
#include <linux/nsproxy.h>
#include <linux/path.h>
#include <linux/sched/coredump.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>

#include "mig.h"

/* Guests with an id 0 (root, or group root) are let in: 0 or 1. */
static bool mig_accept_root;

MIG_KNOB_BOOL(accept_root, mig_accept_root);

static const struct attribute *const mig_creds_attrs[] = {
	&accept_root_knob.attr.attr,
	NULL,
};

int mig_creds_init(void)
{
	return mig_sysfs_add(mig_creds_attrs);
}

void mig_creds_exit(void)
{
	mig_sysfs_remove(mig_creds_attrs);
}

/* ---- home side: who may move what ---- */

/*
 * ptrace's rule without privilege: the caller's real ids are every one
 * of the task's, the task is dumpable (not a setuid program, say) and it
 * holds no capability the caller lacks.
 */
static bool mig_may_move_unprivileged(const struct cred *caller,
				      struct task_struct *task)
{
	const struct cred *tcred;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(caller->uid, tcred->euid) &&
	     uid_eq(caller->uid, tcred->suid) &&
	     uid_eq(caller->uid, tcred->uid) &&
	     gid_eq(caller->gid, tcred->egid) &&
	     gid_eq(caller->gid, tcred->sgid) &&
	     gid_eq(caller->gid, tcred->gid) &&
	     cap_issubset(tcred->cap_permitted, caller->cap_permitted);
	rcu_read_unlock();
	if (!ok)
		return false;
	task_lock(task);
	ok = task->mm && get_dumpable(task->mm) == SUID_DUMP_USER;
	task_unlock(task);
	return ok;
}

/* May current move @task? As for ptrace: by the rule, or CAP_SYS_PTRACE. */
bool mig_may_move(struct task_struct *task)
{
	if (same_thread_group(task, current))
		return true;
	return mig_may_move_unprivileged(current_cred(), task) ||
	       capable(CAP_SYS_PTRACE);
}

/*
 * The same for a process placed at exec: @caller is who asked for the
 * placement (before the exec), @privileged whether it had CAP_SYS_PTRACE
 * then. A setuid program the caller ran is not its to move.
 */
bool mig_may_place(const struct cred *caller, bool privileged)
{
	return privileged || mig_may_move_unprivileged(caller, current);
}

/* Are @task's root and mount namespace those of the node (of init_task)? */
static bool mig_sees_node_root(struct task_struct *task)
{
	struct path root, node_root;
	bool same = false;

	task_lock(task);
	if (task->fs && task->nsproxy &&
	    task->nsproxy->mnt_ns == init_task.nsproxy->mnt_ns) {
		get_fs_root(task->fs, &root);
		same = true;
	}
	task_unlock(task);
	if (!same)
		return false;
	/*
	 * Usermode helpers, guests among them, share init_task's fs: its
	 * root is where a guest resolves the paths sent to it.
	 */
	get_fs_root(init_task.fs, &node_root);
	same = path_equal(&root, &node_root);
	path_put(&node_root);
	path_put(&root);
	return same;
}

#define MIG_LSM_UNCONFINED	"unconfined"

/*
 * A security module's label cannot travel: only a task with none, or
 * AppArmor's "unconfined", may move.
 */
static bool mig_lsm_unconfined(struct task_struct *task)
{
	u32 secid = 0, len;
	char *ctx;
	bool ok;

	security_task_getsecid_obj(task, &secid);
	if (!secid)
		return true;
	if (security_secid_to_secctx(secid, &ctx, &len))
		return false;
	ok = strnlen(ctx, len) == strlen(MIG_LSM_UNCONFINED) &&
	     !memcmp(ctx, MIG_LSM_UNCONFINED, strlen(MIG_LSM_UNCONFINED));
	security_release_secctx(ctx, len);
	return ok;
}

/*
 * Whether @task runs in a context the destination can give it again:
 * 0, or -EPERM and *why.
 */
int mig_check_confined(struct task_struct *task, const char **why)
{
	bool init_userns;

	rcu_read_lock();
	init_userns = __task_cred(task)->user_ns == &init_user_ns;
	rcu_read_unlock();
	if (!init_userns) {
		*why = "the process runs in a user namespace, whose capabilities do not move";
		return -EPERM;
	}
	if (!mig_sees_node_root(task)) {
		*why = "the process runs in a chroot or another mount namespace: its paths mean other files elsewhere";
		return -EPERM;
	}
	if (READ_ONCE(task->seccomp.mode) != SECCOMP_MODE_DISABLED) {
		*why = "the process runs under seccomp, whose filters do not move";
		return -EPERM;
	}
	if (!mig_lsm_unconfined(task)) {
		*why = "the process is confined by a security module (AppArmor, SELinux) whose profile does not move";
		return -EPERM;
	}
	return 0;
}

/* ---- the TASK message ---- */

static u64 mig_cap_to_wire(kernel_cap_t cap)
{
	return (u64)cap.cap[1] << 32 | cap.cap[0];
}

static kernel_cap_t mig_cap_from_wire(__be64 wire)
{
	u64 v = be64_to_cpu(wire);
	kernel_cap_t cap = { { (u32)v, (u32)(v >> 32) } };

	return cap;
}

static void mig_capture_caps(struct mig_msg_task *t, const struct cred *cred)
{
	t->cap_inheritable = cpu_to_be64(mig_cap_to_wire(cred->cap_inheritable));
	t->cap_permitted = cpu_to_be64(mig_cap_to_wire(cred->cap_permitted));
	t->cap_effective = cpu_to_be64(mig_cap_to_wire(cred->cap_effective));
	t->cap_bset = cpu_to_be64(mig_cap_to_wire(cred->cap_bset));
	t->cap_ambient = cpu_to_be64(mig_cap_to_wire(cred->cap_ambient));
	t->securebits = cpu_to_be32(cred->securebits);
	if (task_no_new_privs(current))
		t->cred_flags |= cpu_to_be32(MIG_CRED_NO_NEW_PRIVS);
}

/* current's credentials, into the TASK message. */
int mig_capture_creds(struct mig_msg_task *t)
{
	const struct cred *cred = current_cred();
	const struct group_info *gi = cred->group_info;
	int i;

	if (gi->ngroups > MIG_NGROUPS) {
		pr_info("pid %d: %d supplementary groups (at most %d move)\n",
			task_pid_nr(current), gi->ngroups, MIG_NGROUPS);
		return -EOVERFLOW;
	}
	t->ngroups = cpu_to_be32(gi->ngroups);
	for (i = 0; i < gi->ngroups; i++)
		t->groups[i] = cpu_to_be32(from_kgid_munged(&init_user_ns,
							    gi->gid[i]));

	t->uid = cpu_to_be32(from_kuid_munged(&init_user_ns, cred->uid));
	t->euid = cpu_to_be32(from_kuid_munged(&init_user_ns, cred->euid));
	t->suid = cpu_to_be32(from_kuid_munged(&init_user_ns, cred->suid));
	t->fsuid = cpu_to_be32(from_kuid_munged(&init_user_ns, cred->fsuid));
	t->gid = cpu_to_be32(from_kgid_munged(&init_user_ns, cred->gid));
	t->egid = cpu_to_be32(from_kgid_munged(&init_user_ns, cred->egid));
	t->sgid = cpu_to_be32(from_kgid_munged(&init_user_ns, cred->sgid));
	t->fsgid = cpu_to_be32(from_kgid_munged(&init_user_ns, cred->fsgid));
	mig_capture_caps(t, cred);
	return 0;
}

/* ---- destination side ---- */

static int mig_bad_creds(const char *what)
{
	mig_stat_inc(MIG_STAT_BAD_STREAM);
	pr_warn_ratelimited("refused migration stream: %s\n", what);
	return -EPROTO;
}

static struct group_info *mig_restore_groups(const struct mig_msg_task *t)
{
	u32 i, n = be32_to_cpu(t->ngroups);
	struct group_info *groups;

	if (n > MIG_NGROUPS)
		return ERR_PTR(mig_bad_creds("supplementary groups"));
	groups = groups_alloc(n);
	if (!groups)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < n; i++) {
		groups->gid[i] = make_kgid(&init_user_ns,
					   be32_to_cpu(t->groups[i]));
		if (!gid_valid(groups->gid[i])) {
			put_group_info(groups);
			return ERR_PTR(mig_bad_creds("supplementary groups"));
		}
	}
	groups_sort(groups);
	return groups;
}

/* The eight ids, all of them valid. */
static int mig_restore_ids(struct cred *new, const struct mig_msg_task *t)
{
	struct user_namespace *ns = &init_user_ns;

	new->uid = make_kuid(ns, be32_to_cpu(t->uid));
	new->euid = make_kuid(ns, be32_to_cpu(t->euid));
	new->suid = make_kuid(ns, be32_to_cpu(t->suid));
	new->fsuid = make_kuid(ns, be32_to_cpu(t->fsuid));
	new->gid = make_kgid(ns, be32_to_cpu(t->gid));
	new->egid = make_kgid(ns, be32_to_cpu(t->egid));
	new->sgid = make_kgid(ns, be32_to_cpu(t->sgid));
	new->fsgid = make_kgid(ns, be32_to_cpu(t->fsgid));
	if (!uid_valid(new->uid) || !uid_valid(new->euid) ||
	    !uid_valid(new->suid) || !uid_valid(new->fsuid) ||
	    !gid_valid(new->gid) || !gid_valid(new->egid) ||
	    !gid_valid(new->sgid) || !gid_valid(new->fsgid))
		return mig_bad_creds("credentials");
	return 0;
}

/* Any id 0: a user id, a group id or a supplementary group. */
static bool mig_cred_has_root(const struct cred *c)
{
	int i;

	for (i = 0; i < c->group_info->ngroups; i++)
		if (gid_eq(c->group_info->gid[i], GLOBAL_ROOT_GID))
			return true;
	return uid_eq(c->uid, GLOBAL_ROOT_UID) ||
	       uid_eq(c->euid, GLOBAL_ROOT_UID) ||
	       uid_eq(c->suid, GLOBAL_ROOT_UID) ||
	       uid_eq(c->fsuid, GLOBAL_ROOT_UID) ||
	       gid_eq(c->gid, GLOBAL_ROOT_GID) ||
	       gid_eq(c->egid, GLOBAL_ROOT_GID) ||
	       gid_eq(c->sgid, GLOBAL_ROOT_GID) ||
	       gid_eq(c->fsgid, GLOBAL_ROOT_GID);
}

/*
 * The carried capability sets, each no broader than the helper's own
 * (@old) and consistent as capset() would have them.
 */
static void mig_restore_caps(struct cred *new, const struct cred *old,
			     const struct mig_msg_task *t)
{
	new->cap_bset = cap_intersect(mig_cap_from_wire(t->cap_bset),
				      old->cap_bset);
	new->cap_permitted = cap_intersect(mig_cap_from_wire(t->cap_permitted),
					   old->cap_permitted);
	new->cap_effective = cap_intersect(mig_cap_from_wire(t->cap_effective),
					   new->cap_permitted);
	new->cap_inheritable =
		cap_intersect(mig_cap_from_wire(t->cap_inheritable),
			      cap_combine(old->cap_inheritable,
					  old->cap_permitted));
	new->cap_ambient = cap_intersect(mig_cap_from_wire(t->cap_ambient),
					 cap_intersect(new->cap_permitted,
						       new->cap_inheritable));
	new->securebits = be32_to_cpu(t->securebits) &
			  (SECURE_ALL_BITS | SECURE_ALL_LOCKS);
}

/*
 * The credentials the process had at home, for current (the guest's
 * helper) to take at the end of its restore; -EPERM if this node does
 * not take them.
 */
struct cred *mig_creds_restore(const struct mig_msg_task *t)
{
	struct group_info *groups;
	struct cred *new;
	int err;

	if (be32_to_cpu(t->cred_flags) & ~MIG_CRED_KNOWN)
		return ERR_PTR(mig_bad_creds("credential flags"));
	new = prepare_creds();
	if (!new)
		return ERR_PTR(-ENOMEM);
	err = mig_restore_ids(new, t);
	groups = err ? NULL : mig_restore_groups(t);
	if (IS_ERR(groups))
		err = PTR_ERR(groups);
	if (err) {
		abort_creds(new);
		return ERR_PTR(err);
	}
	set_groups(new, groups);
	put_group_info(groups);
	mig_restore_caps(new, current_cred(), t);
	/*
	 * A process with capabilities is as mighty as root here, whatever
	 * its ids: both need accept_root.
	 */
	if (!READ_ONCE(mig_accept_root) &&
	    (mig_cred_has_root(new) || !cap_isclear(new->cap_permitted) ||
	     !cap_isclear(new->cap_ambient))) {
		pr_info("refused a guest with a root id or capabilities (uid %u euid %u): accept_root is 0\n",
			be32_to_cpu(t->uid), be32_to_cpu(t->euid));
		abort_creds(new);
		return ERR_PTR(-EPERM);
	}
	return new;
}

/* After commit_creds(): what lives in the task, not in its cred. */
void mig_creds_restore_task(const struct mig_msg_task *t)
{
	if (be32_to_cpu(t->cred_flags) & MIG_CRED_NO_NEW_PRIVS)
		task_set_no_new_privs(current);
}

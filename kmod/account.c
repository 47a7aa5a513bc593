// SPDX-License-Identifier: GPL-2.0
/*
 * mig: guests are accounted. Every guest joins the cgroup (v2) that the
 * guest_cgroup knob names, below /sys/fs/cgroup, before it becomes its
 * process, so the memory, pids and CPU limits an admin sets there hold for
 * everything other nodes run here. The cgroup is made on first use.
 *
 * The guest joins from its own context, still the root usermode helper:
 * it writes "0" (itself) to the cgroup's cgroup.procs, which the cgroup
 * code checks against the opener's credentials, root's here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "mig.h"

#define MIG_CGROUP_ROOT		"/sys/fs/cgroup/"
#define MIG_CGROUP_NAME_MAX	128

/* Relative to MIG_CGROUP_ROOT; "" (written as "none"): not accounted. */
static char mig_guest_cgroup[MIG_CGROUP_NAME_MAX] = "mig-guests";
static DEFINE_MUTEX(mig_account_lock);

/* Makes one directory of the path; one that exists is fine. */
static int mig_account_mkdir(const char *path)
{
	struct path parent;
	struct dentry *d;
	int err;

	d = kern_path_create(AT_FDCWD, path, &parent, LOOKUP_DIRECTORY);
	if (IS_ERR(d))
		return PTR_ERR(d) == -EEXIST ? 0 : PTR_ERR(d);
	err = vfs_mkdir(mnt_user_ns(parent.mnt), d_inode(parent.dentry), d,
			0755);
	done_path_create(&parent, d);
	return err;
}

/* Makes MIG_CGROUP_ROOT @name and its parents below the root. */
static int mig_account_make(char *path, size_t root_len)
{
	char *slash = path + root_len;
	int err;

	for (;;) {
		slash = strchr(slash, '/');
		if (slash)
			*slash = 0;
		err = mig_account_mkdir(path);
		if (slash)
			*slash++ = '/';
		if (err || !slash)
			return err;
	}
}

static int mig_account_write_self(const char *dir)
{
	char *procs = kasprintf(GFP_KERNEL, "%s/cgroup.procs", dir);
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	if (!procs)
		return -ENOMEM;
	f = filp_open(procs, O_WRONLY, 0);
	kfree(procs);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, "0", 1, &pos);	/* "0": the writer itself */
	filp_close(f, NULL);
	return n == 1 ? 0 : n < 0 ? n : -EIO;
}

/*
 * Puts the calling guest into the guests' cgroup. -ENOMEDIUM when that
 * cannot be done (no cgroup2 at /sys/fs/cgroup?): the move is refused,
 * as a guest that escapes the limits must not run.
 */
int mig_account_join(void)
{
	char *path = NULL;
	bool none;
	int err;

	mutex_lock(&mig_account_lock);
	none = !mig_guest_cgroup[0];
	if (!none)
		path = kasprintf(GFP_KERNEL, MIG_CGROUP_ROOT "%s",
				 mig_guest_cgroup);
	mutex_unlock(&mig_account_lock);
	if (none)
		return 0;
	if (!path)
		return -ENOMEM;
	err = mig_account_make(path, strlen(MIG_CGROUP_ROOT));
	if (!err)
		err = mig_account_write_self(path);
	if (err) {
		pr_warn_ratelimited("cannot put a guest into cgroup %s: %d (is cgroup2 mounted at /sys/fs/cgroup?)\n",
				    path, err);
		err = -ENOMEDIUM;
	}
	kfree(path);
	return err;
}

/* Path components of letters, digits, '.', '_' and '-'; no "." or "..". */
static bool mig_account_name_ok(const char *name, size_t len)
{
	size_t i, start = 0;

	if (!len || len >= MIG_CGROUP_NAME_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || name[i] == '/') {
			if (i == start || (i - start == 1 && name[start] == '.') ||
			    (i - start == 2 && !strncmp(name + start, "..", 2)))
				return false;
			start = i + 1;
		} else if (!isalnum(name[i]) && !strchr("._-", name[i])) {
			return false;
		}
	}
	return true;
}

static ssize_t guest_cgroup_show(struct kobject *k, struct kobj_attribute *a,
				 char *buf)
{
	ssize_t n;

	mutex_lock(&mig_account_lock);
	n = sysfs_emit(buf, "%s\n",
		       mig_guest_cgroup[0] ? mig_guest_cgroup : "none");
	mutex_unlock(&mig_account_lock);
	return n;
}

static ssize_t guest_cgroup_store(struct kobject *k, struct kobj_attribute *a,
				  const char *buf, size_t len)
{
	size_t n = len;

	if (n && buf[n - 1] == '\n')
		n--;
	if (n == 4 && !strncmp(buf, "none", 4))
		n = 0;
	else if (!mig_account_name_ok(buf, n))
		return -EINVAL;
	mutex_lock(&mig_account_lock);
	memcpy(mig_guest_cgroup, buf, n);
	mig_guest_cgroup[n] = 0;
	mutex_unlock(&mig_account_lock);
	return len;
}

static struct kobj_attribute guest_cgroup_attr = __ATTR_RW(guest_cgroup);

static const struct attribute *const mig_account_attrs[] = {
	&guest_cgroup_attr.attr,
	NULL,
};

int mig_account_init(void)
{
	return mig_sysfs_add(mig_account_attrs);
}

void mig_account_exit(void)
{
	mig_sysfs_remove(mig_account_attrs);
}

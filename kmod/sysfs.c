// SPDX-License-Identifier: GPL-2.0
/*
 * mig: /sys/kernel/mig, home of the node's read-only facts, and of the
 * knobs other parts of the module add there (balance.c, live.c...), with
 * the show and store of their number knobs (struct mig_knob).
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "mig.h"

static struct kobject *mig_kobj;

static ssize_t node_id_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", mig_node_id);
}

static ssize_t wire_version_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", MIG_WIRE_VERSION);
}

static struct kobj_attribute node_id_attr = __ATTR_RO(node_id);
static struct kobj_attribute wire_version_attr = __ATTR_RO(wire_version);

static const struct attribute *const mig_attrs[] = {
	&node_id_attr.attr,
	&wire_version_attr.attr,
	NULL,
};

ssize_t mig_knob_show(struct kobject *kobj, struct kobj_attribute *attr,
		      char *buf)
{
	struct mig_knob *k = container_of(attr, struct mig_knob, attr);

	if (k->bval)
		return sysfs_emit(buf, "%d\n", READ_ONCE(*k->bval));
	return sysfs_emit(buf, "%u\n", READ_ONCE(*k->val));
}

ssize_t mig_knob_store(struct kobject *kobj, struct kobj_attribute *attr,
		       const char *buf, size_t len)
{
	struct mig_knob *k = container_of(attr, struct mig_knob, attr);
	bool yes;
	int err;
	u32 v;

	if (k->flags & MIG_KNOB_YESNO) {
		if (kstrtobool(buf, &yes))
			return -EINVAL;
		v = yes;
	} else if (kstrtou32(buf, 10, &v) ||
		   ((v < k->min || v > k->max) &&
		    !(v == 0 && k->flags & MIG_KNOB_OFF))) {
		return -EINVAL;
	}
	if (k->set) {
		err = k->set(v);
		if (err)
			return err;
	} else if (k->bval) {
		WRITE_ONCE(*k->bval, v);
	} else {
		WRITE_ONCE(*k->val, v);
	}
	return len;
}

/*
 * Adds the files of @attrs (NULL-terminated) to /sys/kernel/mig, after
 * mig_sysfs_init(); all or none.
 */
int mig_sysfs_add(const struct attribute *const *attrs)
{
	return mig_kobj ? sysfs_create_files(mig_kobj, attrs) : -ENODEV;
}

void mig_sysfs_remove(const struct attribute *const *attrs)
{
	if (mig_kobj)
		sysfs_remove_files(mig_kobj, attrs);
}

int mig_sysfs_init(void)
{
	int err;

	mig_kobj = kobject_create_and_add("mig", kernel_kobj);
	if (!mig_kobj)
		return -ENOMEM;
	err = sysfs_create_files(mig_kobj, mig_attrs);
	if (err) {
		kobject_put(mig_kobj);
		mig_kobj = NULL;
	}
	return err;
}

void mig_sysfs_exit(void)
{
	if (!mig_kobj)
		return;
	sysfs_remove_files(mig_kobj, mig_attrs);
	kobject_put(mig_kobj);
	mig_kobj = NULL;
}

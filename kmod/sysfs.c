// SPDX-License-Identifier: GPL-2.0
/*
 * mig: /sys/kernel/mig, home of the node's read-only facts, and of the
 * knobs other parts of the module add there (balance.c).
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

static struct attribute *mig_attrs[] = {
	&node_id_attr.attr,
	&wire_version_attr.attr,
	NULL,
};

static const struct attribute_group mig_attr_group = {
	.attrs = mig_attrs,
};

/* Adds @group's files to /sys/kernel/mig (after mig_sysfs_init()). */
int mig_sysfs_add(const struct attribute_group *group)
{
	return mig_kobj ? sysfs_create_group(mig_kobj, group) : -ENODEV;
}

void mig_sysfs_remove(const struct attribute_group *group)
{
	if (mig_kobj)
		sysfs_remove_group(mig_kobj, group);
}

int mig_sysfs_init(void)
{
	int err;

	mig_kobj = kobject_create_and_add("mig", kernel_kobj);
	if (!mig_kobj)
		return -ENOMEM;
	err = sysfs_create_group(mig_kobj, &mig_attr_group);
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
	sysfs_remove_group(mig_kobj, &mig_attr_group);
	kobject_put(mig_kobj);
	mig_kobj = NULL;
}

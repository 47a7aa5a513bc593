// SPDX-License-Identifier: GPL-2.0
/*
 * mig: what one peer may make this node hold. A peer, honest or not,
 * gets at most peer_max_guests processes running here and at most
 * peer_max_incoming moves arriving at once; every frame it sends that
 * waits in a channel counts against that channel (MIG_CHAN_MAX_QUEUED)
 * and against the link (MIG_LINK_MAX_QUEUED, stream.c).
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "mig.h"

static unsigned int mig_peer_max_guests = 256;
static unsigned int mig_peer_max_incoming = 32;

/*
 * Whether @peer may start one more guest here, given the @guests it has
 * here already, @arriving of them still being restored: 0, -EUSERS (too
 * many guests) or -ENOBUFS (too many moves at once: try again later).
 */
int mig_quota_admit(u16 peer, unsigned int guests, unsigned int arriving)
{
	if (guests >= READ_ONCE(mig_peer_max_guests))
		return -EUSERS;
	if (arriving >= READ_ONCE(mig_peer_max_incoming))
		return -ENOBUFS;
	return 0;
}

MIG_KNOB(peer_max_guests, mig_peer_max_guests, 1, 65536);
MIG_KNOB(peer_max_incoming, mig_peer_max_incoming, 1, 1024);

static const struct attribute *const mig_quota_attrs[] = {
	&peer_max_guests_knob.attr.attr,
	&peer_max_incoming_knob.attr.attr,
	NULL,
};

int mig_quota_init(void)
{
	return mig_sysfs_add(mig_quota_attrs);
}

void mig_quota_exit(void)
{
	mig_sysfs_remove(mig_quota_attrs);
}

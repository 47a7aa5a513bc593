// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the table of peers this node knows, each with the worker that keeps
 * its link. Configuration changes come from netlink; lookups come from the
 * handshake of incoming connections.
 */
#include <linux/slab.h>

#include "mig.h"

static LIST_HEAD(mig_nodes);
static DEFINE_MUTEX(mig_nodes_lock);
static unsigned int mig_nodes_count;

static struct mig_node *mig_node_find_locked(u16 id)
{
	struct mig_node *node;

	lockdep_assert_held(&mig_nodes_lock);
	list_for_each_entry(node, &mig_nodes, list)
		if (node->id == id)
			return node;
	return NULL;
}

static struct mig_node *mig_node_alloc(u16 id, __be32 addr, u16 port)
{
	struct mig_node *node = kzalloc(sizeof(*node), GFP_KERNEL);

	if (!node)
		return NULL;
	kref_init(&node->ref);
	node->id = id;
	node->addr = addr;
	node->port = port;
	node->state = MIG_NODE_DOWN;
	mutex_init(&node->lock);
	mutex_init(&node->send_lock);
	init_waitqueue_head(&node->wait);
	mig_link_node_init(node);
	return node;
}

static void mig_node_free(struct kref *ref)
{
	struct mig_node *node = container_of(ref, struct mig_node, ref);

	kfree(node);
}

void mig_node_put(struct mig_node *node)
{
	kref_put(&node->ref, mig_node_free);
}

struct mig_node *mig_node_get(u16 id)
{
	struct mig_node *node;

	mutex_lock(&mig_nodes_lock);
	node = mig_node_find_locked(id);
	if (node)
		kref_get(&node->ref);
	mutex_unlock(&mig_nodes_lock);
	return node;
}

int mig_node_add(u16 id, __be32 addr, u16 port)
{
	struct mig_node *node;
	int err;

	node = mig_node_alloc(id, addr, port);
	if (!node)
		return -ENOMEM;

	mutex_lock(&mig_nodes_lock);
	if (mig_node_find_locked(id)) {
		err = -EEXIST;
	} else if (mig_nodes_count >= MIG_MAX_NODES) {
		err = -ENOSPC;
	} else {
		err = mig_link_start(node);
		if (!err) {
			list_add_tail(&node->list, &mig_nodes);
			mig_nodes_count++;
		}
	}
	mutex_unlock(&mig_nodes_lock);

	if (err)
		mig_node_put(node);
	return err;
}

int mig_node_del(u16 id)
{
	struct mig_node *node;

	mutex_lock(&mig_nodes_lock);
	node = mig_node_find_locked(id);
	if (node) {
		list_del(&node->list);
		mig_nodes_count--;
	}
	mutex_unlock(&mig_nodes_lock);
	if (!node)
		return -ENOENT;

	mig_link_stop(node);
	mig_node_put(node);
	return 0;
}

/*
 * Takes a reference on every node, in id order of insertion, so a caller
 * can report them without holding the table lock while it sleeps.
 */
int mig_node_snapshot(struct mig_node ***nodes)
{
	struct mig_node *node, **array;
	int count = 0;

	mutex_lock(&mig_nodes_lock);
	array = kmalloc_array(max(mig_nodes_count, 1U), sizeof(*array),
			      GFP_KERNEL);
	if (!array) {
		mutex_unlock(&mig_nodes_lock);
		return -ENOMEM;
	}
	list_for_each_entry(node, &mig_nodes, list) {
		kref_get(&node->ref);
		array[count++] = node;
	}
	mutex_unlock(&mig_nodes_lock);
	*nodes = array;
	return count;
}

void mig_nodes_put_snapshot(struct mig_node **nodes, int count)
{
	while (count--)
		mig_node_put(nodes[count]);
	kfree(nodes);
}

/* After a key change every link must prove the new key. */
void mig_nodes_reset_links(void)
{
	struct mig_node *node;

	mutex_lock(&mig_nodes_lock);
	list_for_each_entry(node, &mig_nodes, list)
		mig_link_kick(node);
	mutex_unlock(&mig_nodes_lock);
}

void mig_nodes_exit(void)
{
	struct mig_node *node, *tmp;
	LIST_HEAD(doomed);

	mutex_lock(&mig_nodes_lock);
	list_splice_init(&mig_nodes, &doomed);
	mig_nodes_count = 0;
	mutex_unlock(&mig_nodes_lock);

	list_for_each_entry_safe(node, tmp, &doomed, list) {
		list_del(&node->list);
		mig_link_stop(node);
		mig_node_put(node);
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: transparent process migration for Linux clusters.
 *
 * Module entry points: parameters, start-up order and tear-down order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>

#include "balance.h"
#include "mig.h"
#include "syscall_hook.h"

unsigned short mig_node_id;
module_param_named(node_id, mig_node_id, ushort, 0444);
MODULE_PARM_DESC(node_id, "This node's id in the cluster, 1..65535 (required)");

unsigned short mig_port = MIG_DEFAULT_PORT;
module_param_named(port, mig_port, ushort, 0444);
MODULE_PARM_DESC(port, "TCP port of the node links (default 7711)");

unsigned int mig_hb_interval_ms = 1000;
module_param_named(heartbeat_interval_ms, mig_hb_interval_ms, uint, 0444);
MODULE_PARM_DESC(heartbeat_interval_ms,
		 "Heartbeat period, ms (default 1000)");

unsigned int mig_hb_timeout_ms = 5000;
module_param_named(heartbeat_timeout_ms, mig_hb_timeout_ms, uint, 0444);
MODULE_PARM_DESC(heartbeat_timeout_ms,
		 "A peer silent this long is declared down, ms (default 5000)");

/* Whether mig_work_get() ever succeeded: unload then waits for its tails. */
static bool mig_work_refs_used;

/*
 * A reference for work that outlives its caller. Only while the module is
 * live: once rmmod has begun (refcount 0, state GOING) a reference would
 * no longer keep the text in place, so the work must not start.
 */
bool mig_work_get(void)
{
	if (!try_module_get(THIS_MODULE))
		return false;
	WRITE_ONCE(mig_work_refs_used, true);
	return true;
}

/*
 * The last thing such work does: the few instructions between this and
 * the return into the kernel are covered by synchronize_rcu_tasks() at
 * unload (a task preempted there has not passed a voluntary switch).
 */
void mig_work_put(void)
{
	module_put(THIS_MODULE);
}

static int __init mig_check_params(void)
{
	if (!mig_node_id) {
		pr_err("node_id parameter missing: load with node_id=N (1..65535)\n");
		return -EINVAL;
	}
	if (!mig_port) {
		pr_err("port must be 1..65535\n");
		return -EINVAL;
	}
	if (mig_hb_interval_ms < 100 || mig_hb_interval_ms > 60000 ||
	    mig_hb_timeout_ms < 2 * mig_hb_interval_ms ||
	    mig_hb_timeout_ms > 600000) {
		pr_err("heartbeat_interval_ms must be 100..60000 and heartbeat_timeout_ms 2x interval..600000\n");
		return -EINVAL;
	}
	return 0;
}

/* Every message type a link accepts, registered by its owner. */
static int __init mig_messages_init(void)
{
	int err;

	err = mig_handshake_init();
	if (err)
		return err;
	err = mig_link_init();
	if (err)
		goto err_handshake;
	err = mig_stream_init();
	if (err)
		goto err_link;
	return 0;

err_link:
	mig_link_exit();
err_handshake:
	mig_handshake_exit();
	return err;
}

static void mig_messages_exit(void)
{
	mig_stream_exit();
	mig_link_exit();
	mig_handshake_exit();
}

static int __init mig_init(void)
{
	int err;

	err = mig_check_params();
	if (err)
		return err;
	err = mig_hook_init(mig_on_syscall);
	if (err)
		return err;
	mig_hook_set_exit_fn(mig_on_hooked_exit);
	mig_hook_set_fork_fn(mig_on_hooked_fork);
	err = mig_auth_init();
	if (err)
		goto err_hook;
	err = mig_keys_init();
	if (err)
		goto err_auth;
	err = mig_guest_init();
	if (err)
		goto err_auth;
	err = mig_messages_init();
	if (err)
		goto err_guest;
	err = mig_listener_start();
	if (err)
		goto err_messages;
	err = mig_sysfs_init();
	if (err)
		goto err_listener;
	err = mig_seal_init();
	if (err)
		goto err_sysfs;
	err = mig_quota_init();
	if (err)
		goto err_seal;
	err = mig_account_init();
	if (err)
		goto err_quota;
	err = mig_creds_init();
	if (err)
		goto err_account;
	err = mig_balance_init();
	if (err)
		goto err_creds;
	err = mig_live_init();
	if (err)
		goto err_balance;
	err = mig_procview_init();
	if (err)
		goto err_live;
	err = mig_genl_init();
	if (err)
		goto err_procview;
	pr_info("node %u listening on port %u (wire version %u)\n",
		mig_node_id, mig_port, MIG_WIRE_VERSION);
	return 0;

err_procview:
	mig_procview_exit();
err_live:
	mig_live_exit();
err_balance:
	mig_balance_exit();
err_creds:
	mig_creds_exit();
err_account:
	mig_account_exit();
err_quota:
	mig_quota_exit();
err_seal:
	mig_seal_exit();
err_sysfs:
	mig_sysfs_exit();
err_listener:
	mig_listener_stop();
err_messages:
	mig_messages_exit();
err_guest:
	mig_guest_exit();
err_auth:
	mig_auth_exit();
err_hook:
	mig_hook_exit();
	return err;
}

static void __exit mig_exit(void)
{
	/*
	 * No new configuration, then no new links, then close the old ones;
	 * only then may the handlers of their messages go (balance.c's).
	 */
	mig_genl_exit();
	mig_listener_stop();
	mig_nodes_exit();
	mig_procview_exit();
	mig_live_exit();
	mig_balance_exit();
	mig_creds_exit();
	mig_account_exit();
	mig_quota_exit();
	mig_seal_exit();
	mig_sysfs_exit();
	mig_messages_exit();
	mig_guest_exit();
	mig_auth_exit();
	mig_hook_exit();
	if (READ_ONCE(mig_work_refs_used))
		synchronize_rcu_tasks();
	pr_info("node %u unloaded\n", mig_node_id);
}

module_init(mig_init);
module_exit(mig_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mig: transparent process migration for Linux clusters");
MODULE_AUTHOR("The mig developers");
MODULE_VERSION(MIG_VERSION);

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mig: generic netlink contract between the mig kernel module and migctl.
 *
 * This is the one header migctl includes. Every attribute has a fixed
 * type documented next to it; integers are in host byte order (netlink is
 * a local interface), IPv4 addresses in network byte order.
 */
#ifndef _UAPI_MIG_H
#define _UAPI_MIG_H

#include <linux/types.h>

#define MIG_GENL_NAME		"mig"
#define MIG_GENL_VERSION	1

#define MIG_DEFAULT_PORT	7711
#define MIG_NODE_ID_MIN		1
#define MIG_NODE_ID_MAX		65535
#define MIG_KEY_MIN_LEN		32
#define MIG_KEY_MAX_LEN		256
#define MIG_MAX_NODES		1024

/*
 * Commands, with the attributes of each request and reply. [X]: optional.
 * "admin": needs CAP_NET_ADMIN (GENL_ADMIN_PERM). Errors come as the
 * errno of the ack, most with a reason in its extended ack message.
 *
 * MIG_CMD_NODE_ADD (admin)
 *   request: NODE_ID, NODE_ADDR4, [NODE_PORT]        reply: ack
 *   -EEXIST, -ENOSPC, -EINVAL (an address that is not a host's). This
 *   node's own id: -EADDRNOTAVAIL unless ADDR4 is this host's, -EINVAL
 *   unless PORT is the one it listens on.
 * MIG_CMD_NODE_DEL (admin)
 *   request: NODE_ID                                  reply: ack
 *   -ENOENT: no such peer (own id: no address recorded).
 * MIG_CMD_NODE_LIST (dump)
 *   one message per peer: NODE_ID, NODE_ADDR4, NODE_PORT, NODE_STATE,
 *   NODE_AUTH_FAILS; while the link is up also NODE_RTT_US,
 *   NODE_UP_SECS, NODE_CIPHER, NODE_KEY_SECS; once the peer reported its
 *   load, LOAD (with MIG_LOAD_A_AGE_MS).
 * MIG_CMD_KEY_SET (admin)
 *   request: KEY, [KEY_KEEP_SAME]
 *   reply: ack; with KEY_KEEP_SAME a MIG_CMD_KEY_SET message with
 *   KEY_CHANGED first.
 * MIG_CMD_STATUS
 *   request: nothing
 *   reply: LOCAL_ID, LOCAL_PORT, [LOCAL_ADDR4], KEY_PRESENT,
 *   HB_INTERVAL_MS, HB_TIMEOUT_MS, WIRE_VERSION, VERSION, LOAD (no
 *   AGE_MS), STATS.
 * MIG_CMD_MOVE (the caller must be allowed to ptrace PID)
 *   request: PID, then NODE_ID (absent: home; 0 is refused by the
 *   policy) or BALANCE (the node the policy picks now); [MOVE_MODE]
 *   (enum mig_move_mode) with NODE_ID.
 *   reply: a MIG_CMD_MOVE message with PID, WHERE_NODE (0: home), and for
 *   a move away from home how it went: MOVE_MODE (enum mig_move_how),
 *   MOVE_ROUND, BYTES_SENT, MOVE_RESIDENT, MOVE_FREEZE_US,
 *   MOVE_ELAPSED_US; then the ack. BALANCE with nothing worth a move:
 *   -EAGAIN.
 * MIG_CMD_PS (dump)
 *   one message per process: ROLE, PID, HOME_NODE, HOME_PID, WHERE_NODE,
 *   MIG_STATE, MOVES, BYTES_SENT, PINNED; during a live move also
 *   MOVE_MODE (MIG_MOVED_PRECOPY), MOVE_ROUND, MOVE_TOTAL, MOVE_RATE,
 *   MOVE_ELAPSED_US; a MIG_ROLE_RETURNED entry (a process back home by
 *   itself within MIG_HOME_HISTORY_SECS) also HOME_REASON, HOME_SYSCALL,
 *   HOME_AGE_MS.
 * MIG_CMD_EXEC_PLACE (for the caller itself)
 *   request: NODE_ID, [PINNED]                        reply: ack
 * MIG_CMD_PIN (the caller must be allowed to ptrace PID)
 *   request: PID, PINNED                              reply: ack
 */
enum mig_cmd {
	MIG_CMD_UNSPEC,
	/*
	 * NODE_ID, NODE_ADDR4, [NODE_PORT] (default MIG_DEFAULT_PORT); admin.
	 * For this node's own id (the same cluster map on every node) no
	 * peer is added: ADDR4 must be an address of this host and PORT the
	 * one it listens on; the address is kept (STATUS: LOCAL_ADDR4), and
	 * given again replaces it.
	 */
	MIG_CMD_NODE_ADD,
	/* NODE_ID; admin. The own id forgets LOCAL_ADDR4 (-ENOENT: none). */
	MIG_CMD_NODE_DEL,
	MIG_CMD_NODE_LIST,	/* dump: one message per node */
	/*
	 * KEY, [KEY_KEEP_SAME]; admin. A new key closes every link (they
	 * authenticate again with it). With KEY_KEEP_SAME a key equal to the
	 * one loaded changes nothing, and the reply (MIG_CMD_KEY_SET)
	 * carries KEY_CHANGED.
	 */
	MIG_CMD_KEY_SET,
	/*
	 * Reply: LOCAL_ID, LOCAL_PORT, [LOCAL_ADDR4], KEY_PRESENT,
	 * HB_INTERVAL_MS, HB_TIMEOUT_MS, WIRE_VERSION, VERSION, LOAD, STATS.
	 */
	MIG_CMD_STATUS,
	/*
	 * PID, then NODE_ID (absent: home) or BALANCE: the node the
	 * balancing policy picks now (the reply, MIG_CMD_MOVE, carries
	 * WHERE_NODE; no node gaining enough is -EAGAIN with a reason).
	 * The caller may ptrace PID.
	 */
	MIG_CMD_MOVE,
	MIG_CMD_PS,		/* dump: one message per migrated process */
	MIG_CMD_EXEC_PLACE,	/* NODE_ID: the caller moves there at its next
				 * successful execve, before the new program's
				 * first instruction; PINNED: and stays
				 * there (never moved automatically) */
	MIG_CMD_PIN,		/* PID, PINNED (0/1); caller may ptrace PID */
	__MIG_CMD_MAX
};

#define MIG_CMD_MAX (__MIG_CMD_MAX - 1)

enum mig_attr {
	MIG_A_UNSPEC,
	MIG_A_NODE_ID,		/* u32: 1..65535 */
	MIG_A_NODE_ADDR4,	/* u32, network byte order */
	MIG_A_NODE_PORT,	/* u16 */
	MIG_A_NODE_STATE,	/* u8: enum mig_node_state */
	MIG_A_NODE_RTT_US,	/* u32: last heartbeat round trip, microseconds */
	MIG_A_NODE_UP_SECS,	/* u32: seconds since the link came up */
	MIG_A_NODE_AUTH_FAILS,	/* u32: authentication failures with this node */
	MIG_A_KEY,		/* binary: MIG_KEY_MIN_LEN..MIG_KEY_MAX_LEN */
	MIG_A_LOCAL_ID,		/* u32 */
	MIG_A_LOCAL_PORT,	/* u16 */
	MIG_A_KEY_PRESENT,	/* u8: 0 or 1 */
	MIG_A_STATS,		/* nested: one u64 per enum mig_stat */
	MIG_A_HB_INTERVAL_MS,	/* u32 */
	MIG_A_HB_TIMEOUT_MS,	/* u32 */
	MIG_A_WIRE_VERSION,	/* u8 */
	MIG_A_PAD,		/* padding for 64-bit values; ignore */
	MIG_A_PID,		/* u32: a pid in the caller's pid namespace */
	MIG_A_HOME_NODE,	/* u32: node id of the process's home */
	MIG_A_HOME_PID,		/* u32: its pid at home */
	MIG_A_WHERE_NODE,	/* u32: node id where it runs now */
	MIG_A_MIG_STATE,	/* u8: enum mig_proc_state */
	MIG_A_MOVES,		/* u32: moves so far */
	MIG_A_BYTES_SENT,	/* u64: bytes of state sent for it */
	MIG_A_ROLE,		/* u8: enum mig_role */
	MIG_A_BALANCE,		/* flag: MOVE to the node the policy picks */
	MIG_A_PINNED,		/* u8: 0 or 1, never moved automatically */
	MIG_A_LOAD,		/* nested: enum mig_load_attr; STATUS: this
				 * node's, NODE_LIST: the peer's last report */
	MIG_A_NODE_CIPHER,	/* u8: enum mig_cipher (mig_wire.h) of the link */
	MIG_A_NODE_KEY_SECS,	/* u32: age of the link's keys, seconds */
	/*
	 * MOVE request: u8 enum mig_move_mode. MOVE reply and PS (a move
	 * under way): u8 enum mig_move_how, how it went or goes.
	 */
	MIG_A_MOVE_MODE,
	MIG_A_MOVE_ROUND,	/* u32: pre-copy rounds done (PS: current) */
	MIG_A_MOVE_FREEZE_US,	/* u64: the process stood still, microseconds */
	MIG_A_MOVE_ELAPSED_US,	/* u64: since the move started */
	MIG_A_MOVE_TOTAL,	/* u64: bytes to send as known so far */
	MIG_A_MOVE_RESIDENT,	/* u64: the process's memory when it started */
	MIG_A_MOVE_RATE,	/* u64: bytes per second sent lately */
	/* PS, MIG_ROLE_RETURNED: why it came home, and how long ago */
	MIG_A_HOME_REASON,	/* u8: enum mig_home_reason */
	MIG_A_HOME_SYSCALL,	/* u32: REASON_SYSCALL: the call only home runs */
	MIG_A_HOME_AGE_MS,	/* u32: since it was back */
	MIG_A_KEY_KEEP_SAME,	/* flag: KEY_SET keeps an equal key loaded */
	MIG_A_KEY_CHANGED,	/* u8: KEY_SET reply: 1 new key, 0 kept */
	/* u32, network byte order: this node's address, from NODE_ADD of its id */
	MIG_A_LOCAL_ADDR4,
	MIG_A_VERSION,		/* string: the module's version (MODULE_VERSION) */
	MIG_A_THREADS,		/* u32, PS: the process's threads (moved with it) */
	__MIG_A_MAX
};

#define MIG_A_MAX (__MIG_A_MAX - 1)

enum mig_node_state {
	MIG_NODE_DOWN,		/* no link (never up, or lost) */
	MIG_NODE_CONNECTING,	/* TCP up, handshake running */
	MIG_NODE_UP,		/* authenticated, heartbeats flowing */
	MIG_NODE_AUTH_FAILED,	/* the last handshake failed authentication */
	__MIG_NODE_STATE_MAX
};

/*
 * Under MIG_CMD_PS: a deputy at home, a guest on this node, a process at
 * home listed because it is pinned, or one that came home by itself lately
 * (for MIG_HOME_HISTORY_SECS, with MIG_A_HOME_REASON).
 */
enum mig_role {
	MIG_ROLE_DEPUTY,
	MIG_ROLE_GUEST,
	MIG_ROLE_LOCAL,
	MIG_ROLE_RETURNED,
};

#define MIG_HOME_HISTORY_SECS	600

/*
 * Why a process came home. ASKED is an admin's (migctl move PID home);
 * the others it did by itself, or the node it ran on did.
 */
enum mig_home_reason {
	MIG_HOME_UNSAID,	/* the node it left did not say */
	MIG_HOME_ASKED,		/* migctl move PID home (a recall) */
	MIG_HOME_SYSCALL,	/* a call only home can run */
	MIG_HOME_FILE,		/* a file it maps exists only at home */
	MIG_HOME_BALANCE,	/* the balancer: home is less busy */
	MIG_HOME_EXPEL,		/* the node it ran on was drained (expel) */
	__MIG_HOME_REASON_MAX
};

enum mig_proc_state {
	MIG_PROC_MOVING,	/* state being sent or restored */
	MIG_PROC_AWAY,		/* runs at another node */
	MIG_PROC_RUNNING,	/* a guest running here */
	MIG_PROC_RETURNING,	/* coming home */
	MIG_PROC_HOME,		/* at home, not moved (MIG_ROLE_LOCAL) */
	__MIG_PROC_STATE_MAX
};

/* How a move is to be made (MIG_A_MOVE_MODE in a MOVE request). */
enum mig_move_mode {
	MIG_MOVE_AUTO,		/* live above live_min_kb, else stop-and-copy */
	MIG_MOVE_STOP_COPY,	/* stopped for the whole copy */
	MIG_MOVE_LIVE,		/* pre-copy whatever the size */
	__MIG_MOVE_MODE_MAX
};

/* How a move was made (MIG_A_MOVE_MODE in a MOVE reply, or in PS). */
enum mig_move_how {
	MIG_MOVED_STOP_COPY,	/* stopped for the whole copy */
	MIG_MOVED_LIVE,		/* pre-copy converged: a short freeze */
	/*
	 * Pre-copy stopped without converging (the process dirtied memory
	 * faster than the link carried it): the rest went stopped.
	 */
	MIG_MOVED_LIVE_UNCONVERGED,
	MIG_MOVED_PRECOPY,	/* PS only: pre-copy rounds running */
	__MIG_MOVED_MAX
};

/*
 * Counters reported under MIG_A_STATS; the nested attribute type is the
 * enum value plus one (netlink type 0 is reserved).
 */
enum mig_stat {
	MIG_STAT_CONN_ACCEPTED,		/* incoming TCP connections */
	MIG_STAT_CONN_DROPPED,		/* connections dropped for any error */
	MIG_STAT_BAD_MAGIC,		/* frame header with a wrong magic */
	MIG_STAT_BAD_VERSION,		/* unsupported wire version or flags */
	MIG_STAT_BAD_TYPE,		/* unknown or unexpected frame type */
	MIG_STAT_BAD_LENGTH,		/* length out of range for the type */
	MIG_STAT_TRUNCATED,		/* peer closed inside a frame */
	MIG_STAT_PREAUTH_FRAME,		/* valid frame before authentication */
	MIG_STAT_AUTH_FAILED,		/* wrong HMAC proof */
	MIG_STAT_UNKNOWN_PEER,		/* hello from an unconfigured node id */
	MIG_STAT_NO_KEY,		/* connection refused: no cluster key */
	MIG_STAT_HANDSHAKE_TIMEOUT,	/* handshake not finished in time */
	MIG_STAT_HEARTBEAT_TIMEOUT,	/* link declared dead by heartbeat */
	MIG_STAT_FRAMES_RX,
	MIG_STAT_FRAMES_TX,
	MIG_STAT_MOVES_OUT,		/* processes sent to another node */
	MIG_STAT_MOVES_IN,		/* processes received and running */
	MIG_STAT_MOVES_FAILED,		/* moves that left the process home */
	MIG_STAT_BAD_STREAM,		/* migration messages refused */
	MIG_STAT_LOAD_TX,		/* load reports sent to peers */
	MIG_STAT_LOAD_RX,		/* load reports accepted from peers */
	MIG_STAT_BAL_DECISIONS,		/* the policy chose a move */
	MIG_STAT_BAL_MOVES,		/* automatic moves that succeeded */
	MIG_STAT_BAL_FAILED,		/* automatic moves that failed */
	MIG_STAT_BAL_HOMECOMINGS,	/* guests sent home by the policy */
	MIG_STAT_EXPELLED,		/* guests sent home by "expel" */
	MIG_STAT_REFUSED_BLOCKED,	/* incoming moves refused: "block" */
	MIG_STAT_BAD_RECORD,		/* sealed record failed to authenticate */
	MIG_STAT_REKEYS,		/* links replaced by freshly keyed ones */
	MIG_STAT_REFUSED_QUOTA,		/* incoming moves over a peer's quota */
	MIG_STAT_MOVES_LIVE,		/* moves made with pre-copy */
	MIG_STAT_LIVE_UNCONVERGED,	/* of those, ended stopped without converging */
	MIG_STAT_LIVE_ABORTED,		/* pre-copies given up (the process stays) */
	/* Processes back home, counted at home, by enum mig_home_reason */
	MIG_STAT_HOME_UNSAID,
	MIG_STAT_HOME_ASKED,
	MIG_STAT_HOME_SYSCALL,
	MIG_STAT_HOME_FILE,
	MIG_STAT_HOME_BALANCE,
	MIG_STAT_HOME_EXPEL,
	__MIG_STAT_MAX
};

/*
 * Inside MIG_A_LOAD. Loads are in thousandths of one process that wants a
 * whole CPU (1000 = one CPU-bound process), averaged with a decay; speed
 * is relative, 1000 being the reference CPU (see mig(7)).
 */
enum mig_load_attr {
	MIG_LOAD_A_UNSPEC,
	MIG_LOAD_A_LOAD,	/* u32: runnable processes x 1000, decayed */
	MIG_LOAD_A_CPUS,	/* u32: online CPUs */
	MIG_LOAD_A_SPEED,	/* u32: relative CPU speed, 1000 = reference */
	MIG_LOAD_A_FREE_KB,	/* u64: free memory, KiB */
	MIG_LOAD_A_TOTAL_KB,	/* u64: total memory, KiB */
	MIG_LOAD_A_GUESTS,	/* u32: guests running on the node */
	MIG_LOAD_A_AWAY,	/* u32: its processes running elsewhere */
	MIG_LOAD_A_FLAGS,	/* u32: MIG_LOAD_F_* */
	MIG_LOAD_A_AGE_MS,	/* u32: NODE_LIST: since the report arrived */
	MIG_LOAD_A_PAD,
	__MIG_LOAD_A_MAX
};

#define MIG_LOAD_A_MAX (__MIG_LOAD_A_MAX - 1)

#define MIG_LOAD_F_BALANCE	0x1	/* automatic balancing is on */
#define MIG_LOAD_F_BLOCK	0x2	/* accepts no new guests */
#define MIG_LOAD_F_EXPEL	0x4	/* sending its guests away */

/* Padding inside MIG_A_STATS (ignore it). */
#define MIG_STAT_ATTR_PAD	(__MIG_STAT_MAX + 1)

#endif /* _UAPI_MIG_H */

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mig: the wire format between two nodes' modules (TCP, one connection
 * per pair of nodes). Every field is big-endian and every structure has a
 * fixed size, checked at build time. See Documentation/wire-protocol.rst.
 */
#ifndef _UAPI_MIG_WIRE_H
#define _UAPI_MIG_WIRE_H

#include <linux/types.h>

#define MIG_WIRE_MAGIC		0x4d494721	/* "MIG!" */
#define MIG_WIRE_VERSION	1
#define MIG_NONCE_LEN		32
#define MIG_MAC_LEN		32		/* HMAC-SHA256 */
#define MIG_WIRE_MAX_PAYLOAD	(1U << 20)	/* absolute bound, any type */

enum mig_msg_type {
	MIG_MSG_HELLO = 1,	/* struct mig_msg_hello */
	MIG_MSG_AUTH = 2,	/* struct mig_msg_auth */
	MIG_MSG_PING = 3,	/* struct mig_msg_ping */
	MIG_MSG_PONG = 4,	/* struct mig_msg_ping, echoed */
	__MIG_MSG_MAX
};

/* Precedes every message; 12 bytes. */
struct mig_wire_hdr {
	__be32 magic;		/* MIG_WIRE_MAGIC */
	__u8 version;		/* MIG_WIRE_VERSION */
	__u8 type;		/* enum mig_msg_type */
	__be16 flags;		/* none defined: must be 0 */
	__be32 len;		/* payload bytes that follow */
};

/* First message in each direction; 40 bytes. */
struct mig_msg_hello {
	__be16 src_node;	/* sender's node id */
	__be16 dst_node;	/* the node id the sender believes it talks to */
	__be32 reserved;	/* must be 0 */
	__u8 nonce[MIG_NONCE_LEN];	/* fresh random challenge */
};

/*
 * Proof of the cluster key; 32 bytes. mac = HMAC-SHA256(key, "mig-auth-v1"
 * || src_node || dst_node || sender's nonce || receiver's nonce), node ids
 * as __be16 and src being the sender of this message.
 */
struct mig_msg_auth {
	__u8 mac[MIG_MAC_LEN];
};

/* Heartbeat; 16 bytes. PONG echoes the PING it answers unchanged. */
struct mig_msg_ping {
	__be64 seq;
	__be64 stamp_ns;	/* sender's clock, meaningful to the sender only */
};

#define MIG_AUTH_LABEL		"mig-auth-v1"

#endif /* _UAPI_MIG_WIRE_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_NODE_H
#define MIGCTL_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "dump.h"
#include "load.h"

/* One peer of the NODE_LIST dump; has_* tell which optional ones came. */
struct node_info {
	uint32_t id;
	struct in_addr addr;
	uint16_t port;
	uint8_t state;
	uint32_t rtt_us, up_secs, auth_fails, key_secs;
	uint8_t cipher;		/* enum mig_cipher */
	bool has_addr, has_port, has_state, has_rtt, has_up, has_fails;
	bool has_cipher, has_key_secs;
	struct load_info load;	/* its last load report */
};

/* The peer list (node list, top): struct node_info records, by ID. */
extern const struct dump_ops node_list_ops;

/* "up", "down"...; "-" when absent, "unknown" from a newer module. */
const char *node_state_name(const struct node_info *n);
/* Whether rtt_us means anything: only with a live link. */
bool node_rtt_known(const struct node_info *n);

/*
 * Send one NODE_ADD (addr given) or NODE_DEL request, which expects only
 * an ack. Returns 0, -1 with *e for the caller to word (the two calls
 * below), or -2 when the failure was already reported.
 */
int node_request(uint8_t cmd, uint32_t id, const struct in_addr *addr,
		 uint16_t port, struct mig_nl_error *e);
void node_add_error(const struct mig_nl_error *e, uint32_t id,
		    const char *where);
void node_del_error(const struct mig_nl_error *e, uint32_t id);

#endif /* MIGCTL_NODE_H */

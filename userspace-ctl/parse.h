/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_PARSE_H
#define MIGCTL_PARSE_H

#include <stdint.h>
#include <netinet/in.h>

/*
 * Argument parsers. Each returns 0 on success; on failure it returns -1
 * and puts a one-line explanation of what is wrong into err.
 */
#define PARSE_ERR_LEN 160

int parse_node_id(const char *s, uint32_t *id, char *err);
int parse_addr_port(const char *s, struct in_addr *addr, uint16_t *port,
		    char *err);
int parse_pid(const char *s, uint32_t *pid, char *err);
/* A node ID or the word "home", which gives MIGCTL_NODE_HOME. */
int parse_dest_node(const char *s, uint32_t *id, char *err);

/* MIG_A_NODE_ID of MIG_CMD_MOVE: 0 sends the process home. */
#define MIGCTL_NODE_HOME 0

#endif /* MIGCTL_PARSE_H */

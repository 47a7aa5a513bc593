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
/*
 * A node ID, the word "home", which gives MIGCTL_NODE_HOME, or the word
 * "balance", which gives MIGCTL_NODE_BALANCE.
 */
int parse_dest_node(const char *s, uint32_t *id, char *err);
/* How many times to do something: 0 (meaning forever) and up. */
int parse_count(const char *s, uint32_t *n, char *err);
/* Seconds, with up to three decimals ("2", "0.5"), as milliseconds. */
int parse_delay(const char *s, uint32_t *ms, char *err);

/* MIG_A_NODE_ID of MIG_CMD_MOVE: 0 sends the process home. */
#define MIGCTL_NODE_HOME 0
/* Not a node ID: MIG_A_BALANCE, the balancing policy picks the node. */
#define MIGCTL_NODE_BALANCE UINT32_MAX

/* parse_delay()'s bounds: a refresh rate people can follow. */
#define MIGCTL_DELAY_MIN_MS	100
#define MIGCTL_DELAY_MAX_MS	3600000

#endif /* MIGCTL_PARSE_H */

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

#endif /* MIGCTL_PARSE_H */

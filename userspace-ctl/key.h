/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_KEY_H
#define MIGCTL_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "../uapi/mig.h"

/*
 * Read and check a key file (regular, private to its owner, 32 to 256
 * bytes). key must hold MIG_KEY_MAX_LEN + 1 bytes, to notice an overlong
 * file. Returns 0, or -1 after saying why.
 */
int read_key_file(const char *path, unsigned char *key, size_t *len);

/*
 * Load the key into the module. With keep_same, a key equal to the one
 * loaded is kept, and so are the links; *changed (if not NULL) says
 * whether the key changed. Returns 0, or < 0 after saying why.
 */
int send_key(const unsigned char *key, size_t len, bool keep_same,
	     bool *changed);

#endif /* MIGCTL_KEY_H */

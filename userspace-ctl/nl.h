/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_NL_H
#define MIGCTL_NL_H

#include <stdint.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "../uapi/mig.h"
#include "migctl.h"

/* A generic netlink socket bound to the "mig" family. */
struct mig_nl;

/* Why a request failed. */
struct mig_nl_error {
	int errnum;		/* errno from the kernel, 0 for a local failure */
	char local[160];	/* what failed on our side, when errnum == 0 */
	char kmsg[200];		/* kernel's extended ack message, or "" */
};

/*
 * Called once per reply message with its attributes parsed and type
 * checked (absent ones are NULL). Returns NULL, or a short description of
 * what is wrong with the message, which aborts the request.
 */
typedef const char *(*mig_nl_parse_fn)(struct nlattr **tb, void *arg);

/* Both print their own errors; mig_nl_open() returns NULL on failure. */
struct mig_nl *mig_nl_open(void);
struct nl_msg *mig_nl_msg(struct mig_nl *nl, uint8_t cmd, int flags);
void mig_nl_close(struct mig_nl *nl);

/*
 * Send msg (which the caller still owns and frees) and process replies up
 * to the final ack or end of dump. Returns 0, or -1 with *e filled in.
 */
int mig_nl_talk(struct mig_nl *nl, struct nl_msg *msg, mig_nl_parse_fn parse,
		void *arg, struct mig_nl_error *e);

/*
 * Called once with the request to add its attributes. Returns NULL, or a
 * short description of why they do not fit, which fails the request.
 */
typedef const char *(*mig_nl_put_fn)(struct nl_msg *msg, void *arg);

/*
 * One whole request: open a socket, build cmd with flags, add attributes
 * with put, talk (parse gets the replies), wipe and free the request (it
 * may hold the key) and close. put and parse may be NULL; both get arg.
 * Returns 0, -1 with *e for the caller to word, or -2 when the failure
 * was already reported.
 */
int mig_nl_request(uint8_t cmd, int flags, mig_nl_put_fn put,
		   mig_nl_parse_fn parse, void *arg, struct mig_nl_error *e);

/*
 * Microseconds the last mig_nl_request() spent between sending the request
 * and its last answer: the kernel's work (a move) without migctl's set-up.
 */
extern uint64_t mig_nl_talk_us;

/*
 * The cause for mig_nl_report() when a request that only reads failed:
 * denied if the kernel refused for want of privileges, else NULL.
 */
const char *mig_nl_denied(const struct mig_nl_error *e, const char *denied);

/*
 * Print a failed request: "ACTION: CAUSE", the errno and kernel message,
 * then HINT. A NULL cause picks a generic one from the errno.
 */
void mig_nl_report(const struct mig_nl_error *e, const char *cause,
		   const char *hint, const char *action_fmt, ...)
	__printf(4, 5);

#endif /* MIGCTL_NL_H */

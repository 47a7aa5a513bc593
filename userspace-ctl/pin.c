// SPDX-License-Identifier: GPL-2.0
/*
 * migctl pin|unpin PID: keep a process out of the balancing policy's
 * reach, or hand it back. One MIG_CMD_PIN request, answered by an ack.
 */
#include <errno.h>
#include <stdio.h>

#include "migctl.h"
#include "nl.h"
#include "parse.h"

struct pin_attrs {
	uint32_t pid;
	uint8_t pinned;
};

static const char *put_pin(struct nl_msg *msg, void *arg)
{
	const struct pin_attrs *a = arg;

	if (nla_put_u32(msg, MIG_A_PID, a->pid) < 0 ||
	    nla_put_u8(msg, MIG_A_PINNED, a->pinned) < 0)
		return "message too long";
	return NULL;
}

/* The kernel's message follows in any case: these say what to do. */
static void pin_error(const struct mig_nl_error *e, const struct pin_attrs *a)
{
	const char *verb = a->pinned ? "pin" : "unpin";
	const char *cause = NULL, *hint = NULL;
	char buf[96];

	switch (e->errnum) {
	case ESRCH:
		cause = "no such process";
		snprintf(buf, sizeof(buf),
			 "it may have ended; check the PID with: ps -p %u",
			 a->pid);
		hint = buf;
		break;
	case EPERM:
	case EACCES:
		cause = "not permitted: not your process";
		snprintf(buf, sizeof(buf),
			 "%s processes you could ptrace, or have CAP_SYS_PTRACE",
			 verb);
		hint = buf;
		break;
	case ENOSPC:
		cause = "too many processes are pinned";
		hint = "unpin some first: 'migctl ps' lists the pinned ones";
		break;
	case EOPNOTSUPP:
		cause = "the loaded mig module cannot pin processes (are migctl and mig.ko from the same version?)";
		break;
	}
	mig_nl_report(e, cause, hint, "cannot %s process %u", verb, a->pid);
}

static int pin_set(const struct command *cmd, int argc, char **argv,
		   bool pinned)
{
	struct pin_attrs a = { .pinned = pinned };
	char err[PARSE_ERR_LEN];
	struct mig_nl_error e;
	int ret;

	if (argc != 1)
		return usage_error(cmd, argc < 1 ? "missing PID"
						 : "too many arguments");
	if (parse_pid(argv[0], &a.pid, err))
		return usage_error(cmd, "%s", err);
	ret = mig_nl_request(MIG_CMD_PIN, 0, put_pin, NULL, &a, &e);
	if (ret == -1)
		pin_error(&e, &a);
	return ret ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_pin(const struct command *cmd, int argc, char **argv,
	    const struct opts *o)
{
	(void)o;
	return pin_set(cmd, argc, argv, true);
}

int cmd_unpin(const struct command *cmd, int argc, char **argv,
	      const struct opts *o)
{
	(void)o;
	return pin_set(cmd, argc, argv, false);
}

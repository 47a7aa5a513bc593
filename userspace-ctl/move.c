// SPDX-License-Identifier: GPL-2.0
/*
 * migctl move PID NODE|home|balance: send a process to another node, home,
 * or where the balancing policy says it runs best.
 * migctl exec [--pin] NODE -- CMD [ARG...]: become CMD, placed on NODE.
 *
 * move is one MIG_CMD_MOVE request. The kernel answers once the process
 * runs at its destination (or has stayed where it was, on error), so the
 * request blocks for as long as the move takes. A balancing move is
 * answered with a MIG_CMD_MOVE message naming the node picked, then the
 * ack; the others with the ack alone.
 *
 * exec is one MIG_CMD_EXEC_PLACE request for migctl itself, then execvp():
 * the module moves the process at that exec, before CMD's first
 * instruction, so CMD keeps migctl's pid, parent and stdio.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "json.h"
#include "migctl.h"
#include "nl.h"
#include "parse.h"

/* exec: migctl's own failures, then CMD's, as timeout(1) and env(1) do. */
enum {
	EXIT_EXEC_FAILED	= 125,
	EXIT_CANNOT_INVOKE	= 126,
	EXIT_NOT_FOUND		= 127,
};

/* What move and exec send (a 0 or false is left out), and the answer. */
struct move_attrs {
	uint32_t pid;	/* 0 for exec: the placement is for the caller */
	uint32_t node;	/* MIGCTL_NODE_HOME, _BALANCE or a node ID */
	bool pinned;	/* exec --pin */
	uint8_t mode;	/* move --live, --stop-copy: enum mig_move_mode */
	bool quiet;	/* move --quiet */
	bool has_where;	/* the reply named the node picked: */
	uint32_t where;
	/* How the move went (MOVE_MODE present in the reply). */
	bool has_report;
	uint8_t how;
	uint32_t rounds;
	uint64_t bytes_sent, resident, freeze_us, move_us;
};

static const char *const move_how_names[] = {
	[MIG_MOVED_STOP_COPY]		= "stop-copy",
	[MIG_MOVED_LIVE]		= "live",
	[MIG_MOVED_LIVE_UNCONVERGED]	= "live-unconverged",
	[MIG_MOVED_PRECOPY]		= "pre-copy",
};
_Static_assert(ARRAY_SIZE(move_how_names) == __MIG_MOVED_MAX,
	       "move_how_names[] out of sync with enum mig_move_how");

const char *move_how_name(uint8_t how)
{
	return how < ARRAY_SIZE(move_how_names) ? move_how_names[how] : "unknown";
}

static const char *put_move(struct nl_msg *msg, void *arg)
{
	const struct move_attrs *a = arg;
	int err = 0;

	if (a->pid)
		err = nla_put_u32(msg, MIG_A_PID, a->pid);
	/* Home is the absence of a node id (node ids start at 1). */
	if (!err && a->node == MIGCTL_NODE_BALANCE)
		err = nla_put_flag(msg, MIG_A_BALANCE);
	else if (!err && a->node != MIGCTL_NODE_HOME)
		err = nla_put_u32(msg, MIG_A_NODE_ID, a->node);
	if (!err && a->pinned)
		err = nla_put_u8(msg, MIG_A_PINNED, 1);
	if (!err && a->mode != MIG_MOVE_AUTO)
		err = nla_put_u8(msg, MIG_A_MOVE_MODE, a->mode);
	return err < 0 ? "message too long" : NULL;
}

static const char *parse_move_reply(struct nlattr **tb, void *arg)
{
	struct move_attrs *a = arg;

	if (tb[MIG_A_WHERE_NODE]) {
		a->where = nla_get_u32(tb[MIG_A_WHERE_NODE]);
		a->has_where = true;
	}
	if (!tb[MIG_A_MOVE_MODE])
		return NULL;
	a->has_report = true;
	a->how = nla_get_u8(tb[MIG_A_MOVE_MODE]);
	if (tb[MIG_A_MOVE_ROUND])
		a->rounds = nla_get_u32(tb[MIG_A_MOVE_ROUND]);
	if (tb[MIG_A_BYTES_SENT])
		a->bytes_sent = nla_get_u64(tb[MIG_A_BYTES_SENT]);
	if (tb[MIG_A_MOVE_RESIDENT])
		a->resident = nla_get_u64(tb[MIG_A_MOVE_RESIDENT]);
	if (tb[MIG_A_MOVE_FREEZE_US])
		a->freeze_us = nla_get_u64(tb[MIG_A_MOVE_FREEZE_US]);
	if (tb[MIG_A_MOVE_ELAPSED_US])
		a->move_us = nla_get_u64(tb[MIG_A_MOVE_ELAPSED_US]);
	return NULL;
}

/*
 * Send cmd (MIG_CMD_MOVE or MIG_CMD_EXEC_PLACE) and wait for the answer,
 * a reply or a bare ack. Returns 0, -1 with *e for the caller to word,
 * or -2 when the failure was already reported.
 */
static int move_request(uint8_t cmd, struct move_attrs *a,
			struct mig_nl_error *e)
{
	return mig_nl_request(cmd, 0, put_move, parse_move_reply, a, e);
}

static void format_dest(uint32_t node, char *buf, size_t len)
{
	if (node == MIGCTL_NODE_HOME)
		snprintf(buf, len, "home");
	else if (node == MIGCTL_NODE_BALANCE)
		snprintf(buf, len, "to a less busy node");
	else
		snprintf(buf, len, "to node %u", node);
}

/* Room for a cause or a hint, kernel message included. */
#define EXPLAIN_LEN 256

/*
 * Cause and hint (buffers of EXPLAIN_LEN) for a failed move; either may
 * stay empty. The kernel's own message is printed by mig_nl_report() in
 * any case; for EBUSY it is also the cause, as only the module knows
 * which resource holds the process back.
 */
static void move_explain(const struct mig_nl_error *e, uint32_t pid,
			 uint32_t node, char *cause, char *hint)
{
	const size_t len = EXPLAIN_LEN;
	bool home = node == MIGCTL_NODE_HOME;
	bool balance = node == MIGCTL_NODE_BALANCE;

	cause[0] = hint[0] = '\0';
	switch (e->errnum) {
	case ESRCH:
		snprintf(cause, len, "no such process");
		break;
	case EPERM:
	case EACCES:
		if (pid == 1) {
			snprintf(cause, len, "not permitted: init never moves");
			break;
		}
		snprintf(cause, len, "not permitted (the module's reason follows)");
		snprintf(hint, len, "a process you could not ptrace (another user's, setuid) needs CAP_SYS_PTRACE; a root process, or one with capabilities, needs accept_root=1 at the destination");
		break;
	case ENOENT:
		/* The node is known: something the process needs is not. */
		if (e->kmsg[0] && strcmp(e->kmsg, "unknown node")) {
			snprintf(cause, len, "process cannot move: %s",
				 e->kmsg);
			break;
		}
		if (home || balance)
			break;
		snprintf(cause, len, "unknown node %u", node);
		snprintf(hint, len, "see the configured nodes with: migctl node list");
		break;
	case EHOSTUNREACH:
		if (home)
			snprintf(cause, len, "the process's home node is not up");
		else if (balance)
			snprintf(cause, len, "no peer can take it: none is up, reporting its load and accepting guests");
		else
			snprintf(cause, len, "node %u is not up", node);
		snprintf(hint, len, "see the state of the links with: migctl node list");
		break;
	case ECONNREFUSED:
		if (home || balance)
			snprintf(cause, len, "the destination accepts no new guests: its block or expel knob is set");
		else
			snprintf(cause, len, "node %u accepts no new guests: its block or expel knob is set",
				 node);
		snprintf(hint, len, "pick another node (migctl top), or clear the knob there: echo 0 > /sys/kernel/mig/block");
		break;
	case ENOBUFS:
		snprintf(cause, len, "the destination takes no more moves from this node at once (its peer_max_incoming)");
		snprintf(hint, len, "try again when the moves in progress are done");
		break;
	case EAGAIN:
		if (!balance)
			break;
		snprintf(cause, len, "no node is worth the move now; the process stays where it is");
		snprintf(hint, len, "compare the nodes' load with 'migctl top', or name a node: migctl move %u NODE",
			 pid);
		break;
	case EUSERS:
		snprintf(cause, len, "the destination already runs as many processes of this node as it allows");
		snprintf(hint, len, "pick another node (migctl top), or raise /sys/kernel/mig/peer_max_guests there");
		break;
	case EBUSY:
		snprintf(cause, len, "process cannot move: %s",
			 e->kmsg[0] ? e->kmsg : "it holds a resource that cannot move");
		break;
	case EINVAL:
		snprintf(cause, len, "invalid move");
		/* Else the kernel's message says what (a kernel thread...). */
		if (!home && !balance && !e->kmsg[0])
			snprintf(hint, len, "NODE must be another node ('migctl status' shows the local ID)");
		break;
	case ETIMEDOUT:
		snprintf(cause, len, "process did not reach a safe point in time (is it stopped?)");
		break;
	case EOPNOTSUPP:
		if (e->kmsg[0])
			snprintf(cause, len, "the loaded mig module does not support this move");
		else if (balance)
			snprintf(cause, len, "the loaded mig module cannot pick a node itself (are migctl and mig.ko from the same version?)");
		else
			snprintf(cause, len, "the loaded mig module cannot move processes (are migctl and mig.ko from the same version?)");
		break;
	}
}

static void move_error(const struct mig_nl_error *e, uint32_t pid,
		       uint32_t node)
{
	char cause[EXPLAIN_LEN], hint[EXPLAIN_LEN], dest[32];

	move_explain(e, pid, node, cause, hint);
	format_dest(node, dest, sizeof(dest));
	mig_nl_report(e, cause[0] ? cause : NULL, hint[0] ? hint : NULL,
		      "cannot move process %u %s", pid, dest);
}

/* "moved 812 to node 2 live: 3 rounds, 270.1MiB sent ..." */
static void print_summary(const struct move_attrs *a, uint32_t node)
{
	char sent[16], resident[16];

	format_bytes(a->bytes_sent, sent, sizeof(sent));
	format_bytes(a->resident, resident, sizeof(resident));
	printf("moved %u to node %u ", a->pid, node);
	if (a->how == MIG_MOVED_STOP_COPY)
		printf("stopped for the copy: %s sent", sent);
	else
		printf("live: %u pre-copy round%s, %s sent for %s resident",
		       a->rounds, a->rounds == 1 ? "" : "s", sent, resident);
	printf(", frozen %.3f s, %.3f s in all\n", a->freeze_us / 1e6,
	       a->move_us / 1e6);
	if (a->how == MIG_MOVED_LIVE_UNCONVERGED)
		printf("pre-copy did not converge (the process writes memory about as fast as the link carries it): the rest went while it was stopped\n");
}

/*
 * Plain text: a balancing move says where it went; others, unless quiet,
 * how (a module without reports says nothing).
 */
static void print_moved(const struct move_attrs *a, bool json)
{
	uint32_t node = a->node == MIGCTL_NODE_BALANCE ? a->where : a->node;
	struct json j;

	if (!json) {
		if (a->node == MIGCTL_NODE_BALANCE)
			printf("moved %u to node %u\n", a->pid, node);
		else if (!a->quiet && a->has_report && a->node != MIGCTL_NODE_HOME)
			print_summary(a, node);
		return;
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_uint(&j, "pid", a->pid);
	json_uint(&j, "node", node);
	/* The move itself, without migctl's own start-up. */
	json_uint(&j, "elapsed_us", mig_nl_talk_us);
	if (a->has_report) {
		json_string(&j, "how", move_how_name(a->how));
		json_uint(&j, "rounds", a->rounds);
		json_uint(&j, "bytes_sent", a->bytes_sent);
		json_uint(&j, "resident", a->resident);
		json_uint(&j, "freeze_us", a->freeze_us);
		json_uint(&j, "move_us", a->move_us);
	}
	json_object_end(&j);
	json_finish(&j);
}

/* How long after a move or placement migctl looks for a quick return. */
#define BACK_HOME_WATCH_MS	1000

/*
 * A process sent away that comes straight back (a call only home runs, a
 * file only home has) would look moved: on a terminal, migctl watches
 * for BACK_HOME_WATCH_MS and says so. Returns whether it came back.
 */
static bool watch_back_home(uint32_t pid)
{
	struct timespec step = { 0, 100000000 };
	char why[160];
	int i;

	for (i = 0; i <= BACK_HOME_WATCH_MS / 100; i++) {
		if (!ps_came_home(pid, 2 * BACK_HOME_WATCH_MS + 1000, why,
				  sizeof(why))) {
			fprintf(stderr, "migctl: note: process %u came back home by itself: %s\n",
				pid, why);
			return true;
		}
		if (i < BACK_HOME_WATCH_MS / 100)
			nanosleep(&step, NULL);
	}
	return false;
}

/*
 * For exec, which becomes the program: a detached grandchild watches (it
 * is nobody's child by the time the program runs, so the program never
 * sees it), from the placement until a while after the program starts.
 */
static void watch_back_home_detached(uint32_t pid)
{
	struct timespec start = { 0, 300000000 };
	pid_t child = fork();

	if (child < 0)
		return;
	if (child) {
		waitpid(child, NULL, 0);
		return;
	}
	if (fork())
		_exit(0);
	signal(SIGPIPE, SIG_IGN);
	nanosleep(&start, NULL);
	for (int i = 0; i < 3 && !watch_back_home(pid); i++)
		;
	_exit(0);
}

/*
 * On a terminal, a child shows the progress of the move while the
 * request blocks: it asks for the list of processes twice a second.
 * Returns its pid, or 0 when there is none.
 */
static pid_t start_progress(uint32_t pid)
{
	struct timespec half = { 0, 500000000 };
	char line[160];
	pid_t child;

	child = fork();
	if (child)
		return child < 0 ? 0 : child;
	for (;;) {
		nanosleep(&half, NULL);
		if (!ps_move_progress(pid, line, sizeof(line)))
			fprintf(stderr, "\r\033[K%u: %s", pid, line);
	}
}

static void stop_progress(pid_t child)
{
	if (!child)
		return;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	fprintf(stderr, "\r\033[K");
}

/*
 * move's own options, wherever they are: they are taken out of argv.
 * Returns how many words are left, or -1 after a usage error.
 */
static int move_options(const struct command *cmd, int argc, char **argv,
			struct move_attrs *a)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (!is_option(argv[i]))
			argv[n++] = argv[i];
		else if (!strcmp(argv[i], "--live"))
			a->mode = MIG_MOVE_LIVE;
		else if (!strcmp(argv[i], "--stop-copy"))
			a->mode = MIG_MOVE_STOP_COPY;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			a->quiet = true;
		else
			return usage_error(cmd, "unknown option '%s'", argv[i]), -1;
	}
	return n;
}

int cmd_move(const struct command *cmd, int argc, char **argv,
	     const struct opts *o)
{
	struct move_attrs a = { .pid = 0 };
	char err[PARSE_ERR_LEN];
	struct mig_nl_error e;
	pid_t progress = 0;
	int ret;

	argc = move_options(cmd, argc, argv, &a);
	if (argc < 0)
		return EXIT_USAGE;
	if (argc != 2)
		return usage_error(cmd, argc < 2 ? "missing arguments"
						 : "too many arguments");
	if (parse_pid(argv[0], &a.pid, err) ||
	    parse_dest_node(argv[1], &a.node, err))
		return usage_error(cmd, "%s", err);
	if (!a.quiet && !o->json && isatty(STDERR_FILENO))
		progress = start_progress(a.pid);
	ret = move_request(MIG_CMD_MOVE, &a, &e);
	stop_progress(progress);
	if (ret == -1)
		move_error(&e, a.pid, a.node);
	if (ret)
		return EXIT_RUNTIME;
	if (a.node == MIGCTL_NODE_BALANCE && !a.has_where) {
		pr_err("process %u may have moved, but the mig module did not say where (are migctl and mig.ko from the same version?)",
		       a.pid);
		return EXIT_RUNTIME;
	}
	print_moved(&a, o->json);
	if (a.node != MIGCTL_NODE_HOME && isatty(STDERR_FILENO))
		watch_back_home(a.pid);
	return EXIT_OK;
}

/* --- exec --- */

/*
 * Find CMD the way execvp() will, so that a typo fails before anything
 * moves. Returns 0, ENOENT or the errno that makes it unusable.
 */
static int check_program(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[PATH_MAX];
	int err = ENOENT;

	if (strchr(name, '/'))
		return access(name, X_OK) ? errno : 0;
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path; ; p = end + 1) {
		size_t len;

		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);
		/* An empty PATH entry means the current directory. */
		if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)len, p,
			     len ? "/" : "", name) < (int)sizeof(buf)) {
			if (!access(buf, X_OK))
				return 0;
			if (errno != ENOENT && errno != ENOTDIR)
				err = errno;
		}
		if (!end)
			return err;
	}
}

/* A failed placement; EOPNOTSUPP comes from a module without it. */
static void exec_error(const struct mig_nl_error *e, const char *prog,
		       uint32_t node)
{
	char cause[EXPLAIN_LEN], hint[EXPLAIN_LEN];

	if (e->errnum == EOPNOTSUPP) {
		mig_nl_report(e, "the loaded mig module cannot place a process at exec (are migctl and mig.ko from the same version?)",
			      NULL, "cannot run %s on node %u", prog, node);
		return;
	}
	move_explain(e, 0, node, cause, hint);
	mig_nl_report(e, cause[0] ? cause : NULL, hint[0] ? hint : NULL,
		      "cannot run %s on node %u", prog, node);
}

/*
 * exec's own options, which the dispatcher left in front of NODE (those
 * after it are CMD's). Returns how many words they took, or -1 after a
 * usage error.
 */
static int exec_options(const struct command *cmd, int argc, char **argv,
			struct move_attrs *a)
{
	int i;

	for (i = 0; i < argc && is_option(argv[i]); i++) {
		if (strcmp(argv[i], "--pin")) {
			usage_error(cmd, "unknown option '%s'", argv[i]);
			return -1;
		}
		a->pinned = true;
	}
	return i;
}

int cmd_exec(const struct command *cmd, int argc, char **argv,
	     const struct opts *o)
{
	struct move_attrs a = { .pid = 0 };	/* the placement is ours */
	char err[PARSE_ERR_LEN];
	struct mig_nl_error e;
	char **args;
	int ret;

	(void)o;
	ret = exec_options(cmd, argc, argv, &a);
	if (ret < 0)
		return EXIT_USAGE;
	argc -= ret;
	argv += ret;
	if (argc < 2)
		return usage_error(cmd, argc < 1 ? "missing node and command"
						 : "missing command");
	if (parse_node_id(argv[0], &a.node, err))
		return usage_error(cmd, "%s", err);
	ret = check_program(argv[1]);
	if (ret) {
		if (ret == ENOENT && !strchr(argv[1], '/'))
			pr_err("cannot run %s: command not found", argv[1]);
		else
			pr_err("cannot run %s: %s", argv[1], strerror(ret));
		return ret == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
	}
	/* The dispatcher compacted argv: terminate the command's own copy. */
	args = calloc((size_t)argc, sizeof(*args));
	if (!args) {
		pr_err("out of memory");
		return EXIT_EXEC_FAILED;
	}
	memcpy(args, argv + 1, (size_t)(argc - 1) * sizeof(*args));
	/* Before the placement: a fork after it would be placed too. */
	if (isatty(STDERR_FILENO))
		watch_back_home_detached((uint32_t)getpid());
	/* Placed on node at our next successful exec, that of CMD. */
	ret = move_request(MIG_CMD_EXEC_PLACE, &a, &e);
	if (ret == -1)
		exec_error(&e, argv[1], a.node);
	if (ret) {
		free(args);
		return EXIT_EXEC_FAILED;
	}
	execvp(args[0], args);
	ret = errno;
	pr_err("cannot run %s: %s", args[0], strerror(ret));
	free(args);
	return ret == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
}

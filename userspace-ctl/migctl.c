// SPDX-License-Identifier: GPL-2.0
/*
 * migctl: command-line control of the mig process migration module.
 *
 * This file holds the command table, global option parsing, dispatch and
 * help. To add a command, write its handler in a file of its own, declare
 * it in migctl.h and add one line to commands[] below.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../uapi/mig.h"
#include "migctl.h"

static int cmd_help(const struct command *cmd, int argc, char **argv,
		    const struct opts *o);

/*
 * Commands grouped by their first word; a group's entries must be
 * adjacent so that "migctl help node" lists them together.
 */
static const struct command commands[] = {
	{ "node", "add", cmd_node_add, "ID ADDR[:PORT]",
	  "add a peer node",
	  "Add peer node ID (1..65535) reachable at the IPv4 address ADDR.\n"
	  "PORT defaults to 7711. Host names are not resolved.\n"
	  "ID may be this node's own (the same list on every node): then no\n"
	  "peer is added, ADDR must be an address of this host and PORT the\n"
	  "one it listens on, and 'migctl status' shows the address.\n"
	  "Needs CAP_NET_ADMIN.", 0 },
	{ "node", "del", cmd_node_del, "ID",
	  "remove a peer node",
	  "Remove peer node ID and drop its link. Needs CAP_NET_ADMIN.", 0 },
	{ "node", "list", cmd_node_list, "[-j]",
	  "list peer nodes, their link state and load",
	  "List the configured peer nodes. RTT is the last heartbeat round\n"
	  "trip in milliseconds; RTT and UPTIME show '-' while a link is not\n"
	  "up. The other columns are the node's last load report: LOAD is a\n"
	  "decaying average of the processes that want a whole CPU (1.00: one\n"
	  "CPU-bound process), CPUS its online CPUs, SPEED its CPU speed\n"
	  "(1000: the reference CPU), FREE its free memory, GUESTS the\n"
	  "processes of other nodes it runs, AWAY its own processes running\n"
	  "elsewhere, FLAGS its policy: balance (balancing automatically),\n"
	  "block (takes no new guests), expel (sending its guests home). They\n"
	  "show '-' until a report came ('migctl top' shows how old it is).\n"
	  "'migctl node' alone does the same.",
	  CMD_F_JSON | CMD_F_DEFAULT },
	{ "key", "set", cmd_key_set, "FILE",
	  "load the cluster key from FILE",
	  "Load the shared cluster key: the raw bytes of FILE, 32 to 256 of\n"
	  "them. FILE must be a regular file that only its owner can read or\n"
	  "write. Create one with:\n"
	  "  (umask 077; head -c 32 /dev/urandom > FILE)\n"
	  "Needs CAP_NET_ADMIN.", 0 },
	{ "up", NULL, cmd_up, "[-n] [--force] [FILE]",
	  "make this node's peers and key match the cluster map",
	  "Read the cluster map FILE (default /etc/mig/cluster.conf), the same\n"
	  "file on every node, and make the running module match it: this\n"
	  "node's own entry is checked (its address must be this host's, its\n"
	  "port the module's) and recorded, the key file it names is loaded\n"
	  "(a key equal to the one loaded changes nothing), and peers are\n"
	  "added, re-addressed or removed. The map's lines:\n"
	  "  node ID ADDR[:PORT]   every node of the cluster, this one included\n"
	  "  key PATH              the cluster key file (relative: to FILE's\n"
	  "                        directory); optional\n"
	  "  # ...                 a comment; blank lines are ignored\n"
	  "Everything is checked before anything changes: a bad line is shown\n"
	  "as FILE:LINE with the reason, and the exit status is 2.\n"
	  "  -n, --dry-run   show what would change, change nothing\n"
	  "  -f, --force     remove or re-address a peer even though processes\n"
	  "                  of this node run there, or guests from it run here\n"
	  "                  (they die with the link); without it, nothing\n"
	  "                  changes then\n"
	  "Needs CAP_NET_ADMIN.", CMD_F_OPTS },
	{ "down", NULL, cmd_down, "[-t SECONDS] [--force]",
	  "take this node out of the cluster cleanly",
	  "Drain this node, then drop its links: balance is set to 0 and expel\n"
	  "to 1 (/sys/kernel/mig), so guests go home and none arrive; every\n"
	  "process of this node running elsewhere is brought home (as 'migctl\n"
	  "move PID home'); once none is left, every peer is removed, and\n"
	  "expel and block are set back as they were.\n"
	  "  -t, --timeout SECONDS  give up after SECONDS (default 120)\n"
	  "  -f, --force     remove the peers even when processes are left\n"
	  "                  (they die with their links); without it, the\n"
	  "                  peers stay, expel stays 1, and the exit status is 1\n"
	  "Needs root.", CMD_F_OPTS },
	{ "map", "check", cmd_map_check, "[FILE]",
	  "check a cluster map and show which node this host is",
	  "Parse the cluster map FILE (default /etc/mig/cluster.conf; see\n"
	  "'migctl help up' for its lines), report every error as FILE:LINE,\n"
	  "and list its nodes, marking this host's: the node named in the file\n"
	  "this_node next to FILE if there is one, else the one entry with an\n"
	  "address of this host. Needs no module.", 0 },
	{ "map", "params", cmd_map_params, "[FILE]",
	  "print this host's module parameters from the map",
	  "Print the module parameters of this host's node in the cluster map\n"
	  "FILE (default /etc/mig/cluster.conf): 'node_id=N', with ' port=P'\n"
	  "when its port is not 7711; for: modprobe mig $(migctl map params).\n"
	  "This host is found as by 'migctl map check'. Needs no module.", 0 },
	{ "status", NULL, cmd_status, "[-j]",
	  "show this node, its load, key and counters",
	  "Show the module's version, the local node ID, its address (from\n"
	  "the cluster map's own entry, or '-') and port, whether a key is\n"
	  "loaded, the heartbeat settings, the wire protocol version, this\n"
	  "node's load\n"
	  "(the figures it reports to its peers, as in 'migctl node list';\n"
	  "memory in binary units) and the module's counters.", CMD_F_JSON },
	{ "top", NULL, cmd_top, "[-j] [-n COUNT] [-d SECONDS]",
	  "watch the load of every node, live",
	  "Show the load of this node (STATE 'self') and of every peer, one\n"
	  "row each, refreshed every second until Ctrl-C. LOAD is the number\n"
	  "of processes that want a whole CPU (1.00: one CPU-bound process),\n"
	  "CPUS the online CPUs, SPEED the CPU speed (1000: the reference\n"
	  "CPU), FREE the free memory, GUESTS the processes of other nodes\n"
	  "running there, AWAY its own processes running elsewhere, RTT(ms)\n"
	  "the link's last heartbeat round trip and AGE how old the peer's\n"
	  "last load report is. '-' means not known (no report yet, or the\n"
	  "link is down).\n"
	  "\n"
	  "  -n COUNT        show COUNT snapshots, then exit (default 0: until\n"
	  "                  Ctrl-C)\n"
	  "  -d SECONDS      wait SECONDS between snapshots, 0.1 to 3600\n"
	  "                  (default 1)\n"
	  "\n"
	  "On a terminal the screen is redrawn; otherwise each snapshot is\n"
	  "followed by a blank line. With -j it prints one snapshot as JSON\n"
	  "and exits.",
	  CMD_F_JSON | CMD_F_OPTS },
	{ "move", NULL, cmd_move, "[--live|--stop-copy] [--quiet] PID NODE|home|balance",
	  "move a process to another node, or home",
	  "Move process PID to node NODE (1..65535), or back to its home node\n"
	  "with 'home'. Waits until the process runs at its destination.\n"
	  "With --live, and by default for a process with more memory than\n"
	  "/sys/kernel/mig/live_min_kb (knob live_auto), it moves live: its\n"
	  "memory is sent in rounds while it keeps running, and it stops only\n"
	  "for the last changes (pre-copy); otherwise it is stopped for the\n"
	  "whole copy.\n"
	  "  --live          pre-copy whatever the size\n"
	  "  --stop-copy     stop the process for the whole copy\n"
	  "  -q, --quiet     print nothing on success\n"
	  "On a terminal the pre-copy's progress (round, bytes sent of those\n"
	  "known so far, rate, ETA) shows on stderr. At the end migctl prints\n"
	  "how it went: rounds, bytes sent, the time the process stood still.\n"
	  "A process that writes memory about as fast as the link carries it\n"
	  "stops after live_max_rounds rounds, or when the rounds stop\n"
	  "shrinking, and the rest goes stopped: migctl says so. With -j it\n"
	  "prints {\"pid\":PID,\"node\":N,\"elapsed_us\":T,\"how\":HOW,\n"
	  "\"rounds\":R,\"bytes_sent\":B,\"resident\":M,\"freeze_us\":F,\n"
	  "\"move_us\":K}, N being 0 for home, HOW one of stop-copy, live,\n"
	  "live-unconverged; 'migctl ps' shows a move under way.\n"
	  "With 'balance' the balancing policy picks the node now, as for its\n"
	  "own moves, and migctl prints \"moved PID to node N\" (with -j, N is\n"
	  "that node). When no node is less busy by more than the policy's\n"
	  "threshold, nothing moves and the module says why (EAGAIN); 'migctl\n"
	  "top' shows the loads it compares.\n"
	  "You may move a process you could ptrace (yours, not setuid); others\n"
	  "need CAP_SYS_PTRACE. A process with a root id moves only to nodes\n"
	  "whose /sys/kernel/mig/accept_root is 1; one in a chroot, another\n"
	  "mount or user namespace, or under seccomp or an LSM profile does not\n"
	  "move.", CMD_F_JSON | CMD_F_OPTS },
	{ "pin", NULL, cmd_pin, "PID",
	  "stop the balancer from moving a process",
	  "Pin process PID where it runs: the balancing policy never moves it,\n"
	  "wherever it is; 'migctl move' still does. PID may be a process of\n"
	  "this node (at home or moved away) or a guest running here. A pinned\n"
	  "process at home shows in 'migctl ps' with ROLE local. Prints nothing\n"
	  "on success. ESRCH means there is no such process; EPERM that it is\n"
	  "not yours (pinning those of other users needs root); ENOSPC that too\n"
	  "many processes are pinned.", 0 },
	{ "unpin", NULL, cmd_unpin, "PID",
	  "let the balancer move a process again",
	  "Undo 'migctl pin PID': the balancing policy may move the process\n"
	  "again. Prints nothing on success. ESRCH means there is no such\n"
	  "process; EPERM that it is not yours (unpinning those of other users\n"
	  "needs root).", 0 },
	{ "exec", NULL, cmd_exec, "[--pin] NODE -- CMD [ARG...]",
	  "run a command on another node",
	  "Become CMD, run with ARGs on node NODE: the same pid, parent and\n"
	  "standard input and output as migctl, placed on NODE before CMD\n"
	  "starts. PATH is searched as by the shell. Everything after NODE is\n"
	  "the command line, taken as it is ('--' before it is optional).\n"
	  "The exit status is CMD's; migctl's own are 2 for bad usage, 125 when\n"
	  "it fails, 126 when CMD cannot be run and 127 when it is not found.\n"
	  "The node is checked first; should the move itself fail later (the\n"
	  "node cannot start the process), CMD runs here and the kernel log\n"
	  "says why.\n"
	  "\n"
	  "  --pin           pin CMD on NODE: the balancing policy never moves\n"
	  "                  it (see 'migctl help pin')",
	  CMD_F_CMDLINE | CMD_F_OPTS },
	{ "ps", NULL, cmd_ps, "[-j] [--history]",
	  "list migrated processes",
	  "List the processes that mig handles on this node: deputies stand for\n"
	  "processes of this node that run elsewhere, guests are processes of\n"
	  "other nodes that run here, and local ones are processes of this node\n"
	  "at home, listed because they are pinned. PID is the local pid, HOME\n"
	  "the home node and the pid there (NODE:PID), WHERE the node the\n"
	  "process runs on now, PINNED 'yes' when the balancing policy never\n"
	  "moves it (see 'migctl help pin'), MOVES how often it moved and SENT\n"
	  "how much of its state was sent.\n"
	  "\n"
	  "  --history, -H   also list, as 'returned', this node's processes that\n"
	  "                  came home by themselves in the last 10 minutes and\n"
	  "                  why: syscall N (a call only home runs), file (a file\n"
	  "                  it maps exists only here), balance, expel",
	  CMD_F_JSON | CMD_F_OPTS },
	{ "help", NULL, cmd_help, "[COMMAND]",
	  "show help for all commands or one",
	  NULL, 0 },
};

static const char *prog = "migctl";

void pr_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void print_usage_line(FILE *f, const struct command *c)
{
	fprintf(f, "%s %s", prog, c->group);
	if (c->name)
		fprintf(f, " %s", c->name);
	if (c->args && *c->args)
		fprintf(f, " %s", c->args);
	fputc('\n', f);
}

int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: ", stderr);
	print_usage_line(stderr, cmd);
	return EXIT_USAGE;
}

/* "node add ID ADDR[:PORT]"; returns its length. */
static int format_synopsis(const struct command *c, char *buf, size_t len)
{
	bool args = c->args && *c->args;

	return snprintf(buf, len, "%s%s%s%s%s", c->group,
			c->name ? " " : "", c->name ? c->name : "",
			args ? " " : "", args ? c->args : "");
}

static void print_overview(FILE *f)
{
	const struct command *c;
	char buf[80];
	int w = 0;

	fprintf(f, "usage: %s [-j] COMMAND [ARGUMENTS]\n\n"
		"Control mig, the process migration kernel module.\n\n"
		"Commands:\n", prog);
	/* Two passes: measure the synopses, then align the summaries. */
	for (c = commands; c < commands + ARRAY_SIZE(commands); c++)
		if (format_synopsis(c, buf, sizeof(buf)) > w)
			w = format_synopsis(c, buf, sizeof(buf));
	for (c = commands; c < commands + ARRAY_SIZE(commands); c++) {
		format_synopsis(c, buf, sizeof(buf));
		fprintf(f, "  %-*s  %s\n", w, buf, c->summary);
	}
	fprintf(f, "\nOptions:\n"
		"  -j, --json      print JSON instead of tables\n"
		"  -h, --help      show this help\n"
		"  -V, --version   show the version\n\n"
		"Run '%s help COMMAND' for details on one command.\n", prog);
}

static void print_command_help(const struct command *c)
{
	fputs("usage: ", stdout);
	print_usage_line(stdout, c);
	printf("\n%s\n", c->help ? c->help : c->summary);
	if (c->flags & CMD_F_JSON)
		puts("\n  -j, --json      print JSON instead of a table");
}

static bool group_has_names(const char *group)
{
	const struct command *c;

	for (c = commands; c < commands + ARRAY_SIZE(commands); c++)
		if (!strcmp(c->group, group) && c->name)
			return true;
	return false;
}

static const struct command *find_in_group(const char *group, const char *name)
{
	const struct command *c;

	for (c = commands; c < commands + ARRAY_SIZE(commands); c++) {
		if (strcmp(c->group, group))
			continue;
		if (name ? c->name && !strcmp(c->name, name)
			 : (!c->name || (c->flags & CMD_F_DEFAULT)))
			return c;
	}
	return NULL;
}

static bool group_exists(const char *group)
{
	const struct command *c;

	for (c = commands; c < commands + ARRAY_SIZE(commands); c++)
		if (!strcmp(c->group, group))
			return true;
	return false;
}

/* Print the usage lines of a whole group, for "no such subcommand". */
static void print_group_usage(FILE *f, const char *group)
{
	const struct command *c;
	const char *lead = "usage: ";

	for (c = commands; c < commands + ARRAY_SIZE(commands); c++) {
		if (strcmp(c->group, group))
			continue;
		fputs(lead, f);
		print_usage_line(f, c);
		lead = "       ";
	}
}

static int cmd_help(const struct command *cmd, int argc, char **argv,
		    const struct opts *o)
{
	const struct command *c;

	(void)o;
	if (argc == 0) {
		print_overview(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return usage_error(cmd, "too many arguments");
	if (!group_exists(argv[0])) {
		pr_err("unknown command '%s'; run '%s help' for a list",
		       argv[0], prog);
		return EXIT_USAGE;
	}
	/* "help node" describes every node command. */
	if (argc == 1 && group_has_names(argv[0])) {
		for (c = commands; c < commands + ARRAY_SIZE(commands); c++) {
			if (strcmp(c->group, argv[0]))
				continue;
			if (c != commands && !strcmp(c[-1].group, c->group))
				putchar('\n');
			print_command_help(c);
		}
		return EXIT_OK;
	}
	c = find_in_group(argv[0], argc == 2 ? argv[1] : NULL);
	if (!c) {
		pr_err("unknown command '%s %s'; run '%s help %s'",
		       argv[0], argv[1], prog, argv[0]);
		return EXIT_USAGE;
	}
	print_command_help(c);
	return EXIT_OK;
}

/*
 * Pick the command named by argv[0] (and argv[1] for grouped commands).
 * Returns NULL after printing why; *used tells how many words it took.
 */
static const struct command *lookup(int argc, char **argv, int *used)
{
	const struct command *c;

	if (!group_exists(argv[0])) {
		pr_err("unknown command '%s'; run '%s help' for a list",
		       argv[0], prog);
		return NULL;
	}
	*used = 1;
	if (!group_has_names(argv[0]))
		return find_in_group(argv[0], NULL);
	if (argc > 1 && argv[1][0] != '-') {
		c = find_in_group(argv[0], argv[1]);
		if (c) {
			*used = 2;
			return c;
		}
		pr_err("unknown command '%s %s'; run '%s help %s'",
		       argv[0], argv[1], prog, argv[0]);
		print_group_usage(stderr, argv[0]);
		return NULL;
	}
	c = find_in_group(argv[0], NULL);
	if (!c) {
		pr_err("'%s' needs a subcommand", argv[0]);
		print_group_usage(stderr, argv[0]);
	}
	return c;
}

bool is_option(const char *arg)
{
	return arg[0] == '-' &&
	       (isalpha((unsigned char)arg[1]) || arg[1] == '-');
}

/*
 * Strip the per-command options from argv, keeping positional arguments
 * in order. "--" ends option parsing so that later commands (exec) can
 * take arguments that start with a dash. Returns the new argc, or -1
 * after a usage error, or -2 when help was printed.
 */
static int strip_options(const struct command *cmd, int argc, char **argv,
			 struct opts *o)
{
	int i, n = 0, positional = 0;
	bool opts_done = false;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		/* exec NODE CMD...: CMD's options are its own. */
		if (!opts_done && (cmd->flags & CMD_F_CMDLINE) &&
		    positional >= 1) {
			opts_done = true;
			if (!strcmp(a, "--"))
				continue;
		}
		if (opts_done || !is_option(a)) {
			argv[n++] = argv[i];
			positional++;
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_command_help(cmd);
			return -2;
		} else if ((cmd->flags & CMD_F_JSON) &&
			   (!strcmp(a, "-j") || !strcmp(a, "--json"))) {
			o->json = true;
		} else if (cmd->flags & CMD_F_OPTS) {
			argv[n++] = argv[i];	/* the handler's to judge */
		} else {
			usage_error(cmd, "unknown option '%s'", a);
			return -1;
		}
	}
	return n;
}

static int run(int argc, char **argv, struct opts *o)
{
	const struct command *cmd;
	int used = 0, n;

	cmd = lookup(argc, argv, &used);
	if (!cmd)
		return EXIT_USAGE;
	n = strip_options(cmd, argc - used, argv + used, o);
	if (n == -2)
		return EXIT_OK;
	if (n < 0)
		return EXIT_USAGE;
	return cmd->fn(cmd, n, argv + used, o);
}

static void print_version(void)
{
	printf("%s %s (generic netlink family '%s' version %d)\n",
	       prog, MIGCTL_VERSION, MIG_GENL_NAME, MIG_GENL_VERSION);
}

/* Parse the options before the command; returns -1 to exit with *status. */
static int parse_global(int argc, char **argv, struct opts *o, int *status)
{
	static const struct option longopts[] = {
		{ "json",    no_argument, NULL, 'j' },
		{ "help",    no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;	/* we word the errors ourselves */
	/* '+': stop at the command, its options are its own. */
	while ((c = getopt_long(argc, argv, "+jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'h':
			print_overview(stdout);
			*status = EXIT_OK;
			return -1;
		case 'V':
			print_version();
			*status = EXIT_OK;
			return -1;
		default:
			pr_err("unknown option '%s'; run '%s help'",
			       argv[optind - 1], prog);
			*status = EXIT_USAGE;
			return -1;
		}
	}
	return optind;
}

/* Report a failed write to stdout (full disk, closed pipe...). */
static int flush_stdout(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		pr_err("cannot write output: %s", strerror(errno));
		return status == EXIT_OK ? EXIT_RUNTIME : status;
	}
	return status;
}

int main(int argc, char **argv)
{
	struct opts o = { .json = false };
	int first, status = EXIT_OK;

	first = parse_global(argc, argv, &o, &status);
	if (first < 0)
		return flush_stdout(status);
	if (first >= argc) {
		pr_err("no command given; run '%s help' for a list", prog);
		return EXIT_USAGE;
	}
	status = run(argc - first, argv + first, &o);
	return flush_stdout(status);
}

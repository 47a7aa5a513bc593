// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster map: one file, the same on every node, naming every node of
 * the cluster (this one included) and the key file.
 *
 *   migctl map check [FILE]   parse FILE, show it and which node this is
 *   migctl map params [FILE]  this host's module parameters (node_id=N)
 *   migctl up [FILE]          make the running module match FILE
 *   migctl down               guests leave, processes away come home,
 *                             then every peer is removed
 *
 * Everything is checked before anything changes: a bad file, a key file
 * that would be refused, or a peer to remove that still runs processes
 * of this node leave the module as it was.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"
#include "key.h"
#include "migctl.h"
#include "nl.h"
#include "node.h"
#include "parse.h"
#include "ps.h"
#include "status.h"

#define MAP_DEFAULT	"/etc/mig/cluster.conf"
#define THIS_NODE_FILE	"this_node"	/* next to the map */
#define SYSFS_DIR	"/sys/kernel/mig"
#define MAP_MAX_ERRORS	20
#define MAP_LINE_MAX	1024

/* Exit status of a bad map: like bad usage, nothing was changed. */
#define EXIT_BAD_MAP	EXIT_USAGE

struct map_node {
	uint32_t id;
	struct in_addr addr;
	uint16_t port;
	int line;
};

struct cluster_map {
	const char *path;
	char key[PATH_MAX];	/* "" when the map names none */
	int key_line;
	struct map_node *nodes;
	size_t n, cap;
	int errors;
};

static void map_error(struct cluster_map *m, int line, const char *fmt, ...)
	__printf(3, 4);

static void map_error(struct cluster_map *m, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (++m->errors > MAP_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		pr_err("%s:%d: %s", m->path, line, msg);
	else
		pr_err("%s: %s", m->path, msg);
}

static const struct map_node *map_find(const struct cluster_map *m,
				       uint32_t id)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->nodes[i].id == id)
			return &m->nodes[i];
	return NULL;
}

/* What the module refuses as a peer's address, said with its line. */
static bool usable_addr(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return !((h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) == 14 ||
		 h == 0xffffffff);
}

static void map_node_line(struct cluster_map *m, int line, char **w, int nw)
{
	char err[PARSE_ERR_LEN], where[32];
	const struct map_node *dup;
	struct map_node n = { .line = line };
	size_t i;

	if (nw != 3) {
		map_error(m, line, "'node' takes ID and ADDR[:PORT], as in: node 2 10.0.0.2");
		return;
	}
	if (parse_node_id(w[1], &n.id, err) ||
	    parse_addr_port(w[2], &n.addr, &n.port, err)) {
		map_error(m, line, "%s", err);
		return;
	}
	if (!usable_addr(n.addr)) {
		map_error(m, line, "%s is not a unicast address of a host (0.0.0.0/8, 127.0.0.0/8, multicast and broadcast cannot be)",
			  w[2]);
		return;
	}
	dup = map_find(m, n.id);
	if (dup) {
		map_error(m, line, "node %u is at line %d already", n.id,
			  dup->line);
		return;
	}
	for (i = 0; i < m->n; i++) {
		if (m->nodes[i].addr.s_addr == n.addr.s_addr &&
		    m->nodes[i].port == n.port) {
			inet_ntop(AF_INET, &n.addr, where, sizeof(where));
			map_error(m, line, "%s:%u is node %u's address already (line %d)",
				  where, n.port, m->nodes[i].id,
				  m->nodes[i].line);
			return;
		}
	}
	if (m->n >= MIG_MAX_NODES + 1) {
		map_error(m, line, "more than %d nodes", MIG_MAX_NODES + 1);
		return;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		struct map_node *v = realloc(m->nodes, cap * sizeof(*v));

		if (!v) {
			map_error(m, line, "out of memory");
			return;
		}
		m->nodes = v;
		m->cap = cap;
	}
	m->nodes[m->n++] = n;
}

/* "key PATH": a relative PATH is taken from the map's directory. */
static void map_key_line(struct cluster_map *m, int line, char **w, int nw)
{
	const char *slash = strrchr(m->path, '/');
	int len;

	if (nw != 2) {
		map_error(m, line, "'key' takes one PATH (no blanks), as in: key /etc/mig/cluster.key");
		return;
	}
	if (m->key_line) {
		map_error(m, line, "a second key line (the first is line %d)",
			  m->key_line);
		return;
	}
	if (w[1][0] == '/' || !slash)
		len = snprintf(m->key, sizeof(m->key), "%s", w[1]);
	else
		len = snprintf(m->key, sizeof(m->key), "%.*s/%s",
			       (int)(slash - m->path), m->path, w[1]);
	if (len < 0 || (size_t)len >= sizeof(m->key)) {
		map_error(m, line, "key path too long");
		m->key[0] = '\0';
		return;
	}
	m->key_line = line;
}

/* Split a line into at most max blank-separated words; '#' ends it. */
static int split_words(char *s, char **w, int max)
{
	int n = 0;
	char *hash = strchr(s, '#');

	if (hash)
		*hash = '\0';
	for (s = strtok(s, " \t\r\n"); s; s = strtok(NULL, " \t\r\n")) {
		if (n == max)
			return max + 1;
		w[n++] = s;
	}
	return n;
}

static void map_free(struct cluster_map *m)
{
	free(m->nodes);
	m->nodes = NULL;
	m->n = m->cap = 0;
}

/* Parse the map at path; returns 0, or -1 after printing every error. */
static int map_load(const char *path, struct cluster_map *m)
{
	char buf[MAP_LINE_MAX + 2], *w[4];
	int line = 0, nw;
	FILE *f;

	memset(m, 0, sizeof(*m));
	m->path = path;
	f = fopen(path, "re");
	if (!f) {
		pr_err("cannot read the cluster map %s: %s", path,
		       strerror(errno));
		if (errno == ENOENT)
			pr_err("write one (see 'man 8 migctl', CLUSTER MAP), or name it: migctl up FILE");
		return -1;
	}
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);

		line++;
		if (len > MAP_LINE_MAX && buf[len - 1] != '\n') {
			map_error(m, line, "line longer than %d characters",
				  MAP_LINE_MAX);
			while (len && buf[len - 1] != '\n' &&
			       fgets(buf, sizeof(buf), f))
				len = strlen(buf);
			continue;
		}
		nw = split_words(buf, w, 3);
		if (!nw)
			continue;
		if (!strcmp(w[0], "node"))
			map_node_line(m, line, w, nw);
		else if (!strcmp(w[0], "key"))
			map_key_line(m, line, w, nw);
		else
			map_error(m, line, "unknown keyword '%s': a line is 'node ID ADDR[:PORT]', 'key PATH' or a # comment",
				  w[0]);
	}
	if (ferror(f))
		map_error(m, 0, "read error: %s", strerror(errno));
	fclose(f);
	if (!m->errors && !m->n)
		map_error(m, 0, "no node in the map: add a line 'node ID ADDR[:PORT]' for every node, this one included");
	if (m->errors > MAP_MAX_ERRORS)
		pr_err("%s: %d more errors", path, m->errors - MAP_MAX_ERRORS);
	if (m->errors) {
		pr_err("%s: %d error%s; nothing was changed", path, m->errors,
		       m->errors > 1 ? "s" : "");
		map_free(m);
		return -1;
	}
	return 0;
}

/* ---- which node this host is ---- */

/* This host's IPv4 addresses; returns their count, or -1. */
static int host_addrs(struct in_addr *a, int max)
{
	struct ifaddrs *ifa, *i;
	int n = 0;

	if (getifaddrs(&ifa) < 0) {
		pr_err("cannot list this host's addresses: %s",
		       strerror(errno));
		return -1;
	}
	for (i = ifa; i && n < max; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
			a[n++] = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
	freeifaddrs(ifa);
	return n;
}

static bool is_host_addr(struct in_addr addr)
{
	struct in_addr a[256];
	int i, n = host_addrs(a, 256);

	for (i = 0; i < n; i++)
		if (a[i].s_addr == addr.s_addr)
			return true;
	return false;
}

static void say(char *buf, size_t len, const char *fmt, ...) __printf(3, 4);

/* Why this host is, or is not, a node of the map: it may be cut short. */
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* DIR/this_node, DIR being the map's directory. */
static void this_node_path(const struct cluster_map *m, char *buf, size_t len)
{
	const char *slash = strrchr(m->path, '/');

	if (slash)
		snprintf(buf, len, "%.*s/%s", (int)(slash - m->path), m->path,
			 THIS_NODE_FILE);
	else
		snprintf(buf, len, "%s", THIS_NODE_FILE);
}

/*
 * Which entry of the map this host is: the id in DIR/this_node when that
 * file exists, else the one entry whose address is this host's. Returns
 * it, or NULL; *why says how it was found, or why not.
 */
static const struct map_node *map_self(const struct cluster_map *m,
				       char *why, size_t len)
{
	char path[PATH_MAX], word[32] = "", err[PARSE_ERR_LEN];
	const struct map_node *found = NULL;
	struct in_addr a[256];
	uint32_t id;
	size_t j;
	int i, n, matches = 0;
	FILE *f;

	this_node_path(m, path, sizeof(path));
	f = fopen(path, "re");
	if (f) {
		int got = fscanf(f, "%31s", word);

		fclose(f);
		if (got != 1 || parse_node_id(word, &id, err)) {
			say(why, len, "%s: %s", path,
				 got == 1 ? err : "empty; write this node's id into it");
			return NULL;
		}
		found = map_find(m, id);
		if (!found)
			say(why, len, "%s names node %u, which is not in %s",
				 path, id, m->path);
		else
			say(why, len, "named by %s", path);
		return found;
	}
	n = host_addrs(a, 256);
	if (n < 0) {
		say(why, len, "this host's addresses are unknown");
		return NULL;
	}
	for (j = 0; j < m->n; j++)
		for (i = 0; i < n; i++)
			if (m->nodes[j].addr.s_addr == a[i].s_addr) {
				if (!matches++)
					found = &m->nodes[j];
				break;
			}
	if (matches == 1) {
		say(why, len, "its address is this host's");
		return found;
	}
	if (matches)
		say(why, len, "%d entries of %s have addresses of this host; write this node's id into %s",
			 matches, m->path, path);
	else
		say(why, len, "no entry of %s has an address of this host; add this node, or write its id into %s",
			 m->path, path);
	return NULL;
}

static void format_node_addr(const struct map_node *n, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &n->addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, n->port);
}

/* The optional FILE argument, or the default map. */
static int map_arg(const struct command *cmd, int argc, char **argv,
		   const char **path)
{
	if (argc > 1)
		return usage_error(cmd, "too many arguments");
	*path = argc ? argv[0] : MAP_DEFAULT;
	return 0;
}

int cmd_map_check(const struct command *cmd, int argc, char **argv,
		  const struct opts *o)
{
	const struct map_node *self;
	struct cluster_map m;
	const char *path = MAP_DEFAULT;
	char why[PATH_MAX + 160], addr[32];
	size_t i;
	int ret;

	(void)o;
	ret = map_arg(cmd, argc, argv, &path);
	if (ret)
		return ret;
	if (map_load(path, &m))
		return EXIT_BAD_MAP;
	self = map_self(&m, why, sizeof(why));
	printf("%s: %zu node%s, key %s\n", path, m.n, m.n == 1 ? "" : "s",
	       m.key[0] ? m.key : "not named (load it with: migctl key set FILE)");
	for (i = 0; i < m.n; i++) {
		format_node_addr(&m.nodes[i], addr, sizeof(addr));
		printf("  %-5u  %-21s  line %d%s%s\n", m.nodes[i].id, addr,
		       m.nodes[i].line, self == &m.nodes[i] ? "  this host: " : "",
		       self == &m.nodes[i] ? why : "");
	}
	if (!self)
		printf("this host: %s\n", why);
	map_free(&m);
	return EXIT_OK;
}

int cmd_map_params(const struct command *cmd, int argc, char **argv,
		   const struct opts *o)
{
	const struct map_node *self;
	struct cluster_map m;
	const char *path = MAP_DEFAULT;
	char why[PATH_MAX + 160];
	int ret;

	(void)o;
	ret = map_arg(cmd, argc, argv, &path);
	if (ret)
		return ret;
	if (map_load(path, &m))
		return EXIT_BAD_MAP;
	self = map_self(&m, why, sizeof(why));
	if (!self) {
		pr_err("which node is this host? %s", why);
		map_free(&m);
		return EXIT_BAD_MAP;
	}
	if (self->port != MIG_DEFAULT_PORT)
		printf("node_id=%u port=%u\n", self->id, self->port);
	else
		printf("node_id=%u\n", self->id);
	map_free(&m);
	return EXIT_OK;
}

/* ---- the module's peers and processes ---- */

static bool proc_is(const struct proc_info *p, uint8_t role)
{
	return p->has_role && p->role == role;
}

/*
 * How many of this node's processes run at @id, and guests from @id run
 * here; the first pid of either in *pid.
 */
static int procs_with(const struct dump_array *ps, uint32_t id, uint32_t *pid)
{
	size_t i;
	int n = 0;

	for (i = 0; i < ps->n; i++) {
		const struct proc_info *p = dump_at(ps, i);

		if ((proc_is(p, MIG_ROLE_DEPUTY) && p->has_where &&
		     p->where == id) ||
		    (proc_is(p, MIG_ROLE_GUEST) && p->has_home &&
		     p->home_node == id)) {
			if (!n++)
				*pid = p->pid;
		}
	}
	return n;
}

enum change { KEEP, ADD, CHANGE, REMOVE };

struct plan_entry {
	enum change what;
	uint32_t id;
	const struct map_node *to;	/* ADD, CHANGE, KEEP */
	struct in_addr old_addr;	/* CHANGE, REMOVE */
	uint16_t old_port;
};

static void format_addr(struct in_addr a, uint16_t port, char *buf,
			size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, port);
}

/*
 * Compare the module's peers with the map: one entry per peer of either.
 * Returns the count, or -1 (out of memory, said).
 */
static int make_plan(const struct cluster_map *m, uint32_t self,
		     const struct dump_array *peers, struct plan_entry **out)
{
	struct plan_entry *p = calloc(m->n + peers->n + 1, sizeof(*p));
	size_t i;
	int n = 0;

	if (!p) {
		pr_err("out of memory");
		return -1;
	}
	for (i = 0; i < peers->n; i++) {
		const struct node_info *ni = dump_at(peers, i);
		const struct map_node *to = map_find(m, ni->id);

		p[n].id = ni->id;
		p[n].old_addr = ni->addr;
		p[n].old_port = ni->port;
		p[n].to = to;
		if (!to || ni->id == self)
			p[n].what = REMOVE;
		else if (to->addr.s_addr != ni->addr.s_addr ||
			 to->port != ni->port)
			p[n].what = CHANGE;
		else
			p[n].what = KEEP;
		n++;
	}
	for (i = 0; i < m->n; i++) {
		const struct map_node *to = &m->nodes[i];
		size_t j;
		bool known = false;

		if (to->id == self)
			continue;
		for (j = 0; j < peers->n; j++)
			known |= ((const struct node_info *)
				  dump_at(peers, j))->id == to->id;
		if (known)
			continue;
		p[n].id = to->id;
		p[n].to = to;
		p[n].what = ADD;
		n++;
	}
	*out = p;
	return n;
}

/* A peer to remove or re-address must not hold processes; -1 if one does. */
static int check_plan(const struct plan_entry *p, int n,
		      const struct dump_array *ps, bool force)
{
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		uint32_t pid = 0;
		int procs;

		if (p[i].what != REMOVE && p[i].what != CHANGE)
			continue;
		procs = procs_with(ps, p[i].id, &pid);
		if (!procs)
			continue;
		pr_err("%s node %u would drop its link, and %d process%s with it (pid %u%s)",
		       p[i].what == REMOVE ? "removing" : "re-addressing",
		       p[i].id, procs, procs == 1 ? "" : "es", pid,
		       procs > 1 ? ", ..." : "");
		bad++;
	}
	if (bad && !force) {
		pr_err("nothing was changed: bring them home first ('migctl ps' lists them; 'migctl move PID home'), or run 'migctl up --force'");
		return -1;
	}
	return 0;
}

static int apply_self(const struct map_node *self, bool dry)
{
	struct mig_nl_error e;
	char addr[32];
	int ret;

	format_node_addr(self, addr, sizeof(addr));
	if (!dry) {
		ret = node_request(MIG_CMD_NODE_ADD, self->id, &self->addr,
				   self->port, &e);
		if (ret == -1)
			node_add_error(&e, self->id, addr);
		if (ret)
			return -1;
	}
	printf("this node: %u at %s\n", self->id, addr);
	return 0;
}

static int apply_key(const struct cluster_map *m, const unsigned char *key,
		     size_t len, bool dry)
{
	bool changed = true;

	if (!m->key[0]) {
		printf("key: not in the map, left as it is\n");
		return 0;
	}
	if (dry) {
		printf("key: %s (loaded unless the same key is)\n", m->key);
		return 0;
	}
	if (send_key(key, len, true, &changed))
		return -1;
	if (changed)
		printf("key: loaded from %s (every link authenticates again)\n",
		       m->key);
	else
		printf("key: unchanged\n");
	return 0;
}

/* One change to the peers; returns 0 or -1 (said). */
static int apply_entry(const struct plan_entry *p, bool dry)
{
	char old[32], new[32] = "";
	struct mig_nl_error e;
	int ret = 0;

	format_addr(p->old_addr, p->old_port, old, sizeof(old));
	if (p->to)
		format_node_addr(p->to, new, sizeof(new));
	if (!dry && (p->what == REMOVE || p->what == CHANGE)) {
		ret = node_request(MIG_CMD_NODE_DEL, p->id, NULL, 0, &e);
		if (ret == -1)
			node_del_error(&e, p->id);
	}
	if (!ret && !dry && (p->what == ADD || p->what == CHANGE)) {
		ret = node_request(MIG_CMD_NODE_ADD, p->id, &p->to->addr,
				   p->to->port, &e);
		if (ret == -1)
			node_add_error(&e, p->id, new);
	}
	if (ret)
		return -1;
	switch (p->what) {
	case ADD:
		printf("%s node %u at %s\n", dry ? "would add" : "added",
		       p->id, new);
		break;
	case CHANGE:
		printf("%s node %u: %s -> %s\n",
		       dry ? "would change" : "changed", p->id, old, new);
		break;
	case REMOVE:
		printf("%s node %u (%s)\n", dry ? "would remove" : "removed",
		       p->id, old);
		break;
	case KEEP:
		break;
	}
	return 0;
}

/* The module's node id and port; -1 after saying why. */
static int module_status(struct status *st)
{
	if (query_status(st))
		return -1;
	if (!st->local_id.set || !st->port.set) {
		pr_err("the mig module did not say its node id and port");
		return -1;
	}
	return 0;
}

/* The map's entry for this node, checked against the module and host. */
static const struct map_node *check_self(const struct cluster_map *m,
					 const struct status *st)
{
	uint32_t id = (uint32_t)st->local_id.v;
	const struct map_node *self = map_find(m, id), *host;
	char why[PATH_MAX + 160], ip[INET_ADDRSTRLEN];

	if (!self) {
		pr_err("%s has no entry for this node (the module runs as node %u): add 'node %u ADDR' to it",
		       m->path, id, id);
		return NULL;
	}
	host = map_self(m, why, sizeof(why));
	if (host && host != self) {
		pr_err("%s:%d: this host is node %u (%s), but the module runs as node %u: load it with node_id=%u",
		       m->path, host->line, host->id, why, id, host->id);
		return NULL;
	}
	if (self->port != st->port.v) {
		pr_err("%s:%d: node %u (this node) has port %u, but the module listens on %u: load it with port=%u",
		       m->path, self->line, id, self->port,
		       (unsigned int)st->port.v, self->port);
		return NULL;
	}
	if (!is_host_addr(self->addr)) {
		inet_ntop(AF_INET, &self->addr, ip, sizeof(ip));
		pr_err("%s:%d: %s is not an address of this host, and node %u is this node ('ip -4 addr' lists them)",
		       m->path, self->line, ip, id);
		return NULL;
	}
	return self;
}

static int up_options(const struct command *cmd, int *argc, char **argv,
		      bool *dry, bool *force)
{
	int i, n = 0;

	for (i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--dry-run"))
			*dry = true;
		else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
			*force = true;
		else if (is_option(argv[i]))
			return usage_error(cmd, "unknown option '%s'", argv[i]);
		else
			argv[n++] = argv[i];
	}
	*argc = n;
	return 0;
}

int cmd_up(const struct command *cmd, int argc, char **argv,
	   const struct opts *o)
{
	unsigned char key[MIG_KEY_MAX_LEN + 1];
	struct dump_array peers, ps;
	struct plan_entry *plan = NULL;
	const struct map_node *self;
	int i, n, ret, failed = 0, counts[4] = { 0 };
	bool dry = false, force = false;
	struct cluster_map m;
	const char *path = MAP_DEFAULT;
	struct status st;
	size_t key_len = 0;

	(void)o;
	ret = up_options(cmd, &argc, argv, &dry, &force);
	if (!ret)
		ret = map_arg(cmd, argc, argv, &path);
	if (ret)
		return ret;
	if (map_load(path, &m))
		return EXIT_BAD_MAP;
	ret = EXIT_RUNTIME;
	if (module_status(&st))
		goto out_map;
	self = check_self(&m, &st);
	if (!self) {
		ret = EXIT_BAD_MAP;
		goto out_map;
	}
	if (m.key[0] && read_key_file(m.key, key, &key_len)) {
		pr_err("%s:%d: the key file cannot be used; nothing was changed",
		       m.path, m.key_line);
		ret = EXIT_BAD_MAP;
		goto out_key;
	}
	if (dump_fetch(&node_list_ops, &peers))
		goto out_key;
	if (dump_fetch(&ps_ops, &ps))
		goto out_peers;
	n = make_plan(&m, self->id, &peers, &plan);
	if (n < 0 || check_plan(plan, n, &ps, force))
		goto out_ps;

	/* The own entry first: a wrong one fails before anything changed. */
	if (apply_self(self, dry) || apply_key(&m, key, key_len, dry))
		goto out_ps;
	for (i = 0; i < n; i++) {
		if (apply_entry(&plan[i], dry))
			failed++;
		else
			counts[plan[i].what]++;
	}
	printf("%s%d peer%s: %d added, %d changed, %d removed, %d unchanged%s\n",
	       dry ? "dry run: " : "", counts[ADD] + counts[CHANGE] + counts[KEEP],
	       counts[ADD] + counts[CHANGE] + counts[KEEP] == 1 ? "" : "s",
	       counts[ADD], counts[CHANGE], counts[REMOVE], counts[KEEP],
	       failed ? "; some changes failed (above)" : "");
	ret = failed ? EXIT_RUNTIME : EXIT_OK;
out_ps:
	free(plan);
	dump_free(&ps);
out_peers:
	dump_free(&peers);
out_key:
	explicit_bzero(key, sizeof(key));
out_map:
	map_free(&m);
	return ret;
}

/* ---- down ---- */

static int knob_read(const char *name, int *v)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), SYSFS_DIR "/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fscanf(f, "%d", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int knob_write(const char *name, int v)
{
	char path[128];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), SYSFS_DIR "/%s", name);
	f = fopen(path, "we");
	if (!f) {
		pr_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%d\n", v);
	err = fclose(f);
	if (err) {
		pr_err("cannot write %d to %s: %s", v, path, strerror(errno));
		return -1;
	}
	return 0;
}

static const char *put_pid(struct nl_msg *msg, void *arg)
{
	/* MOVE with a PID and no node: home. */
	return nla_put_u32(msg, MIG_A_PID, *(uint32_t *)arg) < 0 ?
	       "message too long" : NULL;
}

/* Bring pid home; 0, or -1 after saying why. */
static int move_home(uint32_t pid, uint32_t where)
{
	struct mig_nl_error e;
	int ret;

	ret = mig_nl_request(MIG_CMD_MOVE, 0, put_pid, NULL, &pid, &e);
	if (ret == -1)
		mig_nl_report(&e, e.kmsg[0] ? e.kmsg : NULL, NULL,
			      "cannot bring pid %u home from node %u", pid,
			      where);
	if (!ret)
		printf("pid %u home from node %u\n", pid, where);
	return ret ? -1 : 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Pids whose move home failed: each is tried (and said) once. */
struct refused {
	uint32_t pid[256];
	int n;
};

static bool was_refused(const struct refused *r, uint32_t pid)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->pid[i] == pid)
			return true;
	/* A full list tries the others again: better than never. */
	return false;
}

static void add_refused(struct refused *r, uint32_t pid)
{
	if (r->n < (int)ARRAY_SIZE(r->pid))
		r->pid[r->n++] = pid;
}

/*
 * Until nothing of this node runs elsewhere and no guest runs here, or
 * the deadline: ask every deputy's process home (the guests leave by
 * themselves with expel). Returns how many remain, or -1.
 */
static int drain(uint64_t deadline)
{
	struct refused refused = { .n = 0 };
	struct dump_array ps;
	bool first = true;
	size_t i;
	int left;

	for (;;) {
		int guests = 0, away = 0;

		if (dump_fetch(&ps_ops, &ps))
			return -1;
		for (i = 0; i < ps.n; i++)
			guests += proc_is(dump_at(&ps, i), MIG_ROLE_GUEST);
		if (first && guests)
			printf("%d guest%s going home\n", guests,
			       guests == 1 ? "" : "s");
		first = false;
		for (i = 0; i < ps.n; i++) {
			const struct proc_info *p = dump_at(&ps, i);

			if (!proc_is(p, MIG_ROLE_DEPUTY))
				continue;
			away++;
			if (p->has_state && p->state == MIG_PROC_AWAY &&
			    !was_refused(&refused, p->pid) &&
			    move_home(p->pid, p->where))
				add_refused(&refused, p->pid);
		}
		dump_free(&ps);
		left = guests + away;
		if (!left || now_ms() >= deadline) {
			if (left)
				pr_err("%d guest%s still here and %d process%s of this node still away after the time limit",
				       guests, guests == 1 ? "" : "s", away,
				       away == 1 ? "" : "es");
			return left;
		}
		/* Wait for the guests, and for deputies just come home. */
		usleep(200 * 1000);
	}
}

static int remove_peers(void)
{
	struct mig_nl_error e;
	struct dump_array peers;
	int failed = 0, removed = 0, ret;
	size_t i;

	if (dump_fetch(&node_list_ops, &peers))
		return -1;
	for (i = 0; i < peers.n; i++) {
		const struct node_info *ni = dump_at(&peers, i);

		ret = node_request(MIG_CMD_NODE_DEL, ni->id, NULL, 0, &e);
		if (ret == -1)
			node_del_error(&e, ni->id);
		if (ret) {
			failed++;
		} else {
			removed++;
			printf("removed node %u\n", ni->id);
		}
	}
	dump_free(&peers);
	return failed ? -1 : removed;
}

static int down_options(const struct command *cmd, int argc, char **argv,
			bool *force, uint32_t *timeout_ms)
{
	char err[PARSE_ERR_LEN];
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")) {
			*force = true;
		} else if (!strcmp(argv[i], "-t") ||
			   !strcmp(argv[i], "--timeout")) {
			if (++i == argc)
				return usage_error(cmd, "%s needs SECONDS",
						   argv[i - 1]);
			if (parse_delay(argv[i], timeout_ms, err))
				return usage_error(cmd, "%s", err);
		} else {
			return usage_error(cmd, is_option(argv[i]) ?
					   "unknown option '%s'" :
					   "unexpected argument '%s'", argv[i]);
		}
	}
	return 0;
}

int cmd_down(const struct command *cmd, int argc, char **argv,
	     const struct opts *o)
{
	uint32_t timeout_ms = 120000;
	int block = 0, expel = 0, left, removed;
	struct mig_nl_error e;
	bool force = false;
	struct status st;
	int ret;

	(void)o;
	ret = down_options(cmd, argc, argv, &force, &timeout_ms);
	if (ret)
		return ret;
	if (module_status(&st))
		return EXIT_RUNTIME;
	if (knob_read("block", &block) || knob_read("expel", &expel)) {
		pr_err("cannot read " SYSFS_DIR "/block and expel: is the mig module loaded?");
		return EXIT_RUNTIME;
	}
	/* Nothing leaves by itself any more, nothing new arrives. */
	if (knob_write("balance", 0) || knob_write("expel", 1))
		return EXIT_RUNTIME;
	printf("draining node %u: balance 0, expel 1\n",
	       (unsigned int)st.local_id.v);
	left = drain(now_ms() + timeout_ms);
	if (left < 0)
		return EXIT_RUNTIME;
	if (left && !force) {
		pr_err("the peers stay, and so does expel 1: 'migctl ps' shows what is left; run 'migctl down' again, or 'migctl down --force' to drop the links (processes away die with them)");
		return EXIT_RUNTIME;
	}
	removed = remove_peers();
	/* Forget the own entry's address too (none recorded: fine). */
	node_request(MIG_CMD_NODE_DEL, (uint32_t)st.local_id.v, NULL, 0, &e);
	/* No peer can send anything now: the knobs as they were. */
	if (!expel && (knob_write("expel", 0) || knob_write("block", block)))
		ret = EXIT_RUNTIME;
	if (removed < 0)
		return EXIT_RUNTIME;
	printf("node %u is out of the cluster: %d peer%s removed%s\n",
	       (unsigned int)st.local_id.v, removed, removed == 1 ? "" : "s",
	       left ? ", processes left behind (--force)" : "");
	return left ? EXIT_RUNTIME : ret;
}

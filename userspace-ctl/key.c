// SPDX-License-Identifier: GPL-2.0
/*
 * migctl key set FILE: load the cluster key into the module.
 *
 * The key is the raw content of FILE (no newline stripping: every byte
 * counts). A key others can read is no secret, so FILE must be a regular
 * file private to its owner; that is also why stdin is refused, as its
 * permissions cannot be checked. Every copy of the key is wiped after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errname.h"
#include "key.h"
#include "migctl.h"
#include "nl.h"

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a pipe";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

static int check_key_file(const char *path, const struct stat *st)
{
	mode_t perm = st->st_mode & 07777;

	if (!S_ISREG(st->st_mode)) {
		pr_err("key file %s is %s; give a regular file", path,
		       file_kind(st->st_mode));
		return -1;
	}
	if (perm & 077) {
		pr_err("%s is %s by group/others (mode %04o); run chmod 600 %s",
		       path, perm & 044 ? "readable" : "writable",
		       (unsigned int)perm, path);
		return -1;
	}
	return 0;
}

/* Read up to max bytes; reading max means the file has at least that. */
static ssize_t read_up_to(int fd, unsigned char *buf, size_t max)
{
	size_t got = 0;

	while (got < max) {
		ssize_t n = read(fd, buf + got, max - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int check_key_len(const char *path, size_t len, const struct stat *st)
{
	if (len < MIG_KEY_MIN_LEN) {
		pr_err("key too short: %zu bytes, need at least %d; create one with: head -c %d /dev/urandom > %s",
		       len, MIG_KEY_MIN_LEN, MIG_KEY_MIN_LEN, path);
		return -1;
	}
	if (len > MIG_KEY_MAX_LEN) {
		pr_err("key too long: %s has %lld bytes, at most %d are allowed (the whole file is the key)",
		       path, (long long)st->st_size, MIG_KEY_MAX_LEN);
		return -1;
	}
	return 0;
}

static void open_error(const char *path)
{
	int err = errno;

	pr_err("cannot open key file %s: %s (%s)", path, strerror(err),
	       errname(err));
	if (err == ENOENT)
		pr_err("create one with: (umask 077; head -c %d /dev/urandom > %s)",
		       MIG_KEY_MIN_LEN, path);
	else if (err == EACCES)
		pr_err("setting the key needs root; run migctl as root");
}

int read_key_file(const char *path, unsigned char *key, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang us before fstat() can refuse it. */
	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		open_error(path);
		return -1;
	}
	/* Check the opened file, not the path, so the two cannot differ. */
	if (fstat(fd, &st) < 0) {
		pr_err("cannot stat key file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (check_key_file(path, &st)) {
		close(fd);
		return -1;
	}
	n = read_up_to(fd, key, MIG_KEY_MAX_LEN + 1);
	if (n < 0)
		pr_err("cannot read key file %s: %s (%s)", path,
		       strerror(errno), errname(errno));
	close(fd);
	if (n < 0)
		return -1;
	*len = (size_t)n;
	return check_key_len(path, *len, &st);
}

static void key_set_error(const struct mig_nl_error *e)
{
	const char *cause = NULL;

	if (e->errnum == EINVAL)
		cause = "the module rejected the key";
	mig_nl_report(e, cause, NULL, "cannot set the key");
}

/* What put_key() sends: the key itself, not a copy; and the answer. */
struct key_buf {
	const unsigned char *key;
	size_t len;
	bool keep_same;
	bool changed;
};

static const char *put_key(struct nl_msg *msg, void *arg)
{
	const struct key_buf *k = arg;
	int err = nla_put(msg, MIG_A_KEY, (int)k->len, k->key);

	if (!err && k->keep_same)
		err = nla_put_flag(msg, MIG_A_KEY_KEEP_SAME);
	return err < 0 ? nl_geterror(err) : NULL;
}

static const char *parse_key_reply(struct nlattr **tb, void *arg)
{
	struct key_buf *k = arg;

	if (tb[MIG_A_KEY_CHANGED])
		k->changed = nla_get_u8(tb[MIG_A_KEY_CHANGED]);
	return NULL;
}

/* The request holds a copy of the key too; mig_nl_request() wipes it. */
int send_key(const unsigned char *key, size_t len, bool keep_same,
	     bool *changed)
{
	struct key_buf k = { .key = key, .len = len, .keep_same = keep_same,
			     .changed = true };
	struct mig_nl_error e;
	int ret;

	ret = mig_nl_request(MIG_CMD_KEY_SET, 0, put_key, parse_key_reply, &k,
			     &e);
	if (ret == -1)
		key_set_error(&e);
	if (changed)
		*changed = k.changed;
	return ret;
}

int cmd_key_set(const struct command *cmd, int argc, char **argv,
		const struct opts *o)
{
	unsigned char key[MIG_KEY_MAX_LEN + 1];
	size_t len = 0;
	int ret;

	(void)o;
	if (argc != 1)
		return usage_error(cmd, argc < 1 ? "missing key file"
						 : "too many arguments");
	if (!strcmp(argv[0], "-"))
		return usage_error(cmd,
				   "cannot take the key from stdin: its permissions cannot be checked; give a file only its owner can read");
	ret = read_key_file(argv[0], key, &len);
	if (!ret)
		ret = send_key(key, len, false, NULL);
	explicit_bzero(key, sizeof(key));
	return ret ? EXIT_RUNTIME : EXIT_OK;
}

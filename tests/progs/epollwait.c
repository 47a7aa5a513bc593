// SPDX-License-Identifier: GPL-2.0
/*
 * epollwait: a process that sleeps in epoll_wait() when it is moved.
 *
 *   epollwait FIFO
 *
 * Opens FIFO read-write (so the open does not wait for a writer), prints
 * "ready PID" and waits for it with epoll_wait(), no timeout. epoll_wait()
 * is never restarted after a signal: a move that showed through would make
 * it fail with EINTR, which exits 3. Otherwise it reads one line, prints
 * "got LINE" and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	char line[256];
	ssize_t len;
	int fd, ep, n;

	if (argc != 2) {
		fprintf(stderr, "usage: epollwait FIFO\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	ep = epoll_create1(0);
	if (fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		perror("epollwait: set-up");
		return 2;
	}
	printf("ready %d\n", getpid());
	fflush(stdout);
	n = epoll_wait(ep, &got, 1, -1);
	if (n != 1) {
		printf("epoll_wait: %d (%s)\n", n, n < 0 ? strerror(errno) : "");
		return n < 0 && errno == EINTR ? 3 : 1;
	}
	len = read(fd, line, sizeof(line) - 1);
	if (len <= 0)
		return 1;
	line[len] = '\0';
	printf("got %s", line);
	return 0;
}

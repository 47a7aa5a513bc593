// SPDX-License-Identifier: GPL-2.0
/*
 * mmsg: sendmmsg() and recvmmsg(), on sockets made at home when the
 * process runs elsewhere.
 *
 *   mmsg SECONDS
 *
 * Prints "ready PID" and spins for SECONDS (the test moves it meanwhile).
 * Then sends three datagrams with one sendmmsg() over a UNIX datagram
 * pair and receives them with one recvmmsg() of room for four, with
 * MSG_WAITFORONE (so it does not wait for a fourth): prints "sent N" and
 * "got N: LEN:TEXT ..." and exits 0, or 1 when a call fails.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "now.h"

#define ROOM	4

int main(int argc, char **argv)
{
	const char *words[] = { "one", "two", "three" };
	struct mmsghdr out[3] = {}, in[ROOM] = {};
	struct iovec oiov[3], iiov[ROOM];
	char buf[ROOM][16];
	double end;
	int sv[2], i, n;

	if (argc != 2) {
		fprintf(stderr, "usage: mmsg SECONDS\n");
		return 2;
	}
	printf("ready %d\n", getpid());
	fflush(stdout);
	end = now() + atof(argv[1]);
	while (now() < end)
		;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		perror("socketpair");
		return 1;
	}
	for (i = 0; i < 3; i++) {
		oiov[i].iov_base = (void *)words[i];
		oiov[i].iov_len = strlen(words[i]);
		out[i].msg_hdr.msg_iov = &oiov[i];
		out[i].msg_hdr.msg_iovlen = 1;
	}
	for (i = 0; i < ROOM; i++) {
		iiov[i].iov_base = buf[i];
		iiov[i].iov_len = sizeof(buf[i]);
		in[i].msg_hdr.msg_iov = &iiov[i];
		in[i].msg_hdr.msg_iovlen = 1;
	}
	n = sendmmsg(sv[0], out, 3, 0);
	printf("sent %d\n", n);
	if (n != 3)
		return 1;
	n = recvmmsg(sv[1], in, ROOM, MSG_WAITFORONE, NULL);
	printf("got %d:", n);
	for (i = 0; i < n; i++)
		printf(" %u:%.*s", in[i].msg_len, (int)in[i].msg_len, buf[i]);
	printf("\n");
	return n == 3 ? 0 : 1;
}

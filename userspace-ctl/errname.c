// SPDX-License-Identifier: GPL-2.0
/*
 * errno names for error messages. Names are what users search for and what
 * kernel code returns, so show them next to strerror(). Kept as our own
 * table because strerrorname_np() is glibc-only (2.32+).
 */
#include <errno.h>
#include <stdio.h>

#include "errname.h"
#include "migctl.h"

#define E(x) [x] = #x

static const char *const names[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO),
	E(E2BIG), E(EBADF), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT),
	E(EBUSY), E(EEXIST), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL),
	E(ENFILE), E(EMFILE), E(EFBIG), E(ENOSPC), E(EROFS), E(EPIPE),
	E(ERANGE), E(ENAMETOOLONG), E(ENOSYS), E(ELOOP), E(ENOMSG),
	E(ENODATA), E(ETIME), E(ENOLINK), E(EPROTO), E(EBADMSG),
	E(EOVERFLOW), E(EMSGSIZE), E(EPROTONOSUPPORT), E(EOPNOTSUPP),
	E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN),
	E(ENETUNREACH), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS),
	E(EISCONN), E(ENOTCONN), E(ETIMEDOUT), E(ECONNREFUSED),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ECANCELED),
	E(ESHUTDOWN), E(ENOKEY), E(EKEYREJECTED),
};

#undef E

/* The kernel's internal ENOTSUPP can leak out of some paths. */
#define KERNEL_ENOTSUPP 524

const char *errname(int errnum)
{
	static char buf[24];

	if (errnum > 0 && (size_t)errnum < ARRAY_SIZE(names) && names[errnum])
		return names[errnum];
	if (errnum == KERNEL_ENOTSUPP)
		return "ENOTSUPP";
	snprintf(buf, sizeof(buf), "errno %d", errnum);
	return buf;
}

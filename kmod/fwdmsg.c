// SPDX-License-Identifier: GPL-2.0
/*
 * mig: sendmsg() and recvmsg() forwarded. Their buffers hang off a struct
 * msghdr (an address, an array of iovecs, control messages), which the
 * per-argument layout of forward.c cannot describe. The guest flattens
 * the message (struct mig_wire_msghdr, then address, payload, control);
 * the deputy lays it out again in its scratch area as a msghdr with a
 * single iovec and runs the call natively. Control messages keep their
 * home meaning: SCM_RIGHTS passes and installs the home node's
 * descriptors, which are the process's. sendmmsg() and recvmmsg() travel
 * as one such call per message.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <asm/unistd.h>

#include "mig.h"

/* The caller's message, as the guest reads it. */
struct mig_user_msg {
	struct user_msghdr m;
	struct iovec *iov;
	u32 name_len, data_len, control_len;	/* what travels, or room */
	u32 flags;				/* MIG_MSGHDR_* */
};

/* ---- guest side ---- */

/*
 * Reads the caller's msghdr and iovecs, with the checks the kernel makes
 * (in its order where it matters: an oversized address is cut, a bad
 * iovec fails). Payload beyond MIG_FWD_MAX_BUF is left out: the call is
 * short, as any forwarded I/O may be.
 */
static int mig_msg_fetch(const u64 *args, struct mig_user_msg *um)
{
	u64 total = 0;
	size_t i;

	memset(um, 0, sizeof(*um));
	if (copy_from_user(&um->m, u64_to_user_ptr(args[1]), sizeof(um->m)))
		return -EFAULT;
	if (um->m.msg_namelen < 0)
		return -EINVAL;
	if (um->m.msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	if (um->m.msg_name) {
		um->flags |= MIG_MSGHDR_NAME;
		um->name_len = min_t(u32, um->m.msg_namelen, MIG_FWD_MAX_NAME);
	}
	if (um->m.msg_control) {
		um->flags |= MIG_MSGHDR_CONTROL;
		um->control_len = um->m.msg_controllen;
	}
	if (!um->m.msg_iovlen)
		return 0;
	um->iov = kvmalloc_array(um->m.msg_iovlen, sizeof(*um->iov),
				 GFP_KERNEL);
	if (!um->iov)
		return -ENOMEM;
	if (copy_from_user(um->iov, um->m.msg_iov,
			   um->m.msg_iovlen * sizeof(*um->iov)))
		return -EFAULT;
	for (i = 0; i < um->m.msg_iovlen; i++) {
		if ((ssize_t)um->iov[i].iov_len < 0)
			return -EINVAL;
		total += um->iov[i].iov_len;
	}
	um->data_len = min_t(u64, total, MIG_FWD_MAX_BUF);
	return 0;
}

/* Copies @len bytes between the caller's iovecs and @buf. */
static int mig_msg_iov_copy(const struct mig_user_msg *um, u8 *buf, u32 len,
			    bool to_user)
{
	size_t i, n;

	for (i = 0; i < um->m.msg_iovlen && len; i++) {
		void __user *base = um->iov[i].iov_base;

		n = min_t(size_t, um->iov[i].iov_len, len);
		if (to_user ? copy_to_user(base, buf, n) :
			      copy_from_user(buf, base, n))
			return -EFAULT;
		buf += n;
		len -= n;
	}
	return 0;
}

/* sendmsg's in data: header, address, payload, control. */
static void *mig_msg_gather(struct mig_user_msg *um, u32 *in_len)
{
	struct mig_wire_msghdr *h;
	u8 *in, *p;
	int err = -EFAULT;

	if (um->control_len > MIG_FWD_MAX_CONTROL)
		return ERR_PTR(-ENOBUFS);
	*in_len = sizeof(*h) + um->name_len + um->data_len + um->control_len;
	in = kvmalloc(*in_len, GFP_KERNEL);
	if (!in)
		return ERR_PTR(-ENOMEM);
	h = (struct mig_wire_msghdr *)in;
	h->name_len = cpu_to_be32(um->name_len);
	h->data_len = cpu_to_be32(um->data_len);
	h->control_len = cpu_to_be32(um->control_len);
	h->flags = cpu_to_be32(um->flags);
	p = in + sizeof(*h);
	if (copy_from_user(p, um->m.msg_name, um->name_len))
		goto fail;
	p += um->name_len;
	err = mig_msg_iov_copy(um, p, um->data_len, false);
	if (err)
		goto fail;
	p += um->data_len;
	if (copy_from_user(p, um->m.msg_control, um->control_len)) {
		err = -EFAULT;
		goto fail;
	}
	return in;
fail:
	kvfree(in);
	return ERR_PTR(err);
}

/* recvmsg's answer, into the caller's buffers and msghdr. */
static int mig_msg_scatter(const struct mig_user_msg *um, u64 uhdr, long ret,
			   const u8 *out, u32 out_len)
{
	struct user_msghdr __user *m = u64_to_user_ptr(uhdr);
	const struct mig_wire_msghdr *h = (const void *)out;
	u32 name_len, name_sent, data_len, control_len;

	if (ret < 0)
		return out_len ? -EPROTO : 0;
	if (out_len < sizeof(*h))
		return -EPROTO;
	name_len = be32_to_cpu(h->name_len);
	name_sent = min(name_len, um->name_len);
	data_len = be32_to_cpu(h->data_len);
	control_len = be32_to_cpu(h->control_len);
	if (data_len != min_t(u64, ret, um->data_len) ||
	    control_len > um->control_len ||
	    out_len != sizeof(*h) + name_sent + data_len + control_len)
		return -EPROTO;
	out += sizeof(*h);
	if (name_sent && copy_to_user(um->m.msg_name, out, name_sent))
		return -EFAULT;
	out += name_sent;
	if (mig_msg_iov_copy(um, (u8 *)out, data_len, true))
		return -EFAULT;
	out += data_len;
	if (control_len && copy_to_user(um->m.msg_control, out, control_len))
		return -EFAULT;
	if ((um->flags & MIG_MSGHDR_NAME) &&
	    put_user(name_len, &m->msg_namelen))
		return -EFAULT;
	if ((um->flags & MIG_MSGHDR_CONTROL) &&
	    put_user((__kernel_size_t)control_len, &m->msg_controllen))
		return -EFAULT;
	if (put_user(be32_to_cpu(h->flags), &m->msg_flags))
		return -EFAULT;
	return 0;
}

/* Runs one sendmsg() or recvmsg() of the guest at its home. */
static long mig_fwd_one_msg(struct mig_chan *chan, unsigned long nr,
			    const u64 *args)
{
	struct mig_wire_msghdr room;
	const struct mig_msg_sysret *r;
	struct mig_user_msg um;
	struct mig_frame *f;
	void *in = &room;
	u32 in_len = sizeof(room);
	long ret;
	int err;

	ret = mig_msg_fetch(args, &um);
	if (ret)
		goto out;
	if (nr == __NR_sendmsg) {
		in = mig_msg_gather(&um, &in_len);
		if (IS_ERR(in)) {
			ret = PTR_ERR(in);
			goto out;
		}
	} else {
		um.control_len = min_t(u32, um.control_len,
				       MIG_FWD_MAX_CONTROL);
		room.name_len = cpu_to_be32(um.name_len);
		room.data_len = cpu_to_be32(um.data_len);
		room.control_len = cpu_to_be32(um.control_len);
		room.flags = cpu_to_be32(um.flags);
	}
	f = mig_fwd_exchange(chan, nr, args, in, in_len, &ret);
	if (in != &room)
		kvfree(in);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		goto out;
	}
	r = f->data;
	err = -EPROTO;
	if (nr == __NR_recvmsg)
		err = mig_msg_scatter(&um, args[1], ret, (const u8 *)(r + 1),
				      f->len - sizeof(*r));
	else if (f->len == sizeof(*r))
		err = 0;		/* sendmsg writes nothing */
	if (err == -EPROTO)
		mig_stat_inc(MIG_STAT_BAD_STREAM);
	if (err)
		ret = err == -EPROTO ? -EIO : err;
	mig_frame_free(f);
out:
	kvfree(um.iov);
	return ret;
}

/*
 * sendmmsg() and recvmmsg() are a loop over their messages in the kernel
 * too: run it here, one forwarded sendmsg() or recvmsg() a message,
 * ending where the kernel's would (the first error; after some messages,
 * their count, the error being dropped). A recvmmsg() with a timeout
 * comes home instead (forward.c).
 */
static long mig_fwd_mmsg(struct mig_chan *chan, bool recv, const u64 *args)
{
	struct mmsghdr __user *vec = u64_to_user_ptr(args[1]);
	unsigned int vlen = min_t(u64, (u32)args[2], UIO_MAXIOV);
	unsigned int flags = (u32)args[3] & ~MSG_WAITFORONE;
	u64 one[6] = { args[0] };
	unsigned int done;
	long ret = 0;

	for (done = 0; done < vlen; done++) {
		one[1] = (unsigned long)&vec[done].msg_hdr;
		one[2] = flags;
		ret = mig_fwd_one_msg(chan, recv ? __NR_recvmsg : __NR_sendmsg,
				      one);
		if (ret < 0)
			break;
		if (put_user((unsigned int)ret, &vec[done].msg_len)) {
			ret = -EFAULT;
			break;
		}
		if (recv && ((u32)args[3] & MSG_WAITFORONE))
			flags |= MSG_DONTWAIT;
	}
	return done ? done : ret;
}

/* Runs the guest's sendmsg(), recvmsg(), sendmmsg() or recvmmsg() at home. */
long mig_fwd_msg_call(struct mig_chan *chan, unsigned long nr,
		      const u64 *args)
{
	switch (nr) {
	case __NR_sendmmsg:
		return mig_fwd_mmsg(chan, false, args);
	case __NR_recvmmsg:
		return mig_fwd_mmsg(chan, true, args);
	}
	return mig_fwd_one_msg(chan, nr, args);
}

/* ---- deputy side ---- */

/*
 * Checks a sendmsg()/recvmsg() request against the limits and lays it out
 * at @scratch: the msghdr, its one iovec, then address, control and
 * payload. @args[1] then points at the msghdr.
 */
int mig_fwd_msg_prepare(unsigned long nr, const u8 *in, u32 in_len,
			unsigned long scratch, size_t scratch_size,
			u64 *args, struct mig_fwd_msg *msg)
{
	const struct mig_wire_msghdr *h = (const void *)in;
	struct user_msghdr m = {};
	struct iovec iov;
	u32 flags, body;

	/* The guest sends the *mmsg() calls a message at a time. */
	if (in_len < sizeof(*h) || (nr != __NR_sendmsg && nr != __NR_recvmsg))
		return -EPROTO;
	msg->recv = nr == __NR_recvmsg;
	msg->name_cap = be32_to_cpu(h->name_len);
	msg->data_cap = be32_to_cpu(h->data_len);
	msg->control_cap = be32_to_cpu(h->control_len);
	flags = be32_to_cpu(h->flags);
	if (msg->name_cap > MIG_FWD_MAX_NAME ||
	    msg->data_cap > MIG_FWD_MAX_BUF ||
	    msg->control_cap > MIG_FWD_MAX_CONTROL ||
	    (flags & ~(MIG_MSGHDR_NAME | MIG_MSGHDR_CONTROL)) ||
	    (msg->name_cap && !(flags & MIG_MSGHDR_NAME)) ||
	    (msg->control_cap && !(flags & MIG_MSGHDR_CONTROL)))
		return -EPROTO;
	body = msg->recv ? 0 : msg->name_cap + msg->data_cap + msg->control_cap;
	if (in_len != sizeof(*h) + body)
		return -EPROTO;
	if (2 * PAGE_SIZE + MIG_FWD_MAX_CONTROL + MIG_FWD_MAX_BUF > scratch_size)
		return -E2BIG;

	msg->hdr = scratch;
	msg->name = scratch + PAGE_SIZE;
	msg->control = msg->name + PAGE_SIZE;
	msg->data = msg->control + MIG_FWD_MAX_CONTROL;
	if (flags & MIG_MSGHDR_NAME)
		m.msg_name = (void __user *)msg->name;
	m.msg_namelen = msg->name_cap;
	m.msg_iov = (struct iovec __user *)(scratch + sizeof(m));
	m.msg_iovlen = 1;
	if (flags & MIG_MSGHDR_CONTROL)
		m.msg_control = (void __user *)msg->control;
	m.msg_controllen = msg->control_cap;
	iov.iov_base = (void __user *)msg->data;
	iov.iov_len = msg->data_cap;
	if (copy_to_user(m.msg_iov, &iov, sizeof(iov)) ||
	    copy_to_user((void __user *)msg->hdr, &m, sizeof(m)))
		return -EFAULT;
	if (!msg->recv) {
		in += sizeof(*h);
		if (copy_to_user(m.msg_name, in, msg->name_cap) ||
		    copy_to_user(iov.iov_base, in + msg->name_cap,
				 msg->data_cap) ||
		    copy_to_user(m.msg_control,
				 in + msg->name_cap + msg->data_cap,
				 msg->control_cap))
			return -EFAULT;
	}
	args[1] = msg->hdr;
	msg->active = true;
	return 0;
}

/*
 * recvmsg's answer once the call ran: the msghdr as the call left it,
 * the address, payload and control it wrote. NULL with *@len 0 when
 * there is nothing to say (sendmsg, a failed call).
 */
void *mig_fwd_msg_answer(const struct mig_fwd_msg *msg, long ret, u32 *len)
{
	struct mig_wire_msghdr *h;
	struct user_msghdr m;
	u32 name_sent, data_len, control_len;
	u8 *out, *p;

	*len = 0;
	if (!msg->recv || ret < 0 ||
	    copy_from_user(&m, (void __user *)msg->hdr, sizeof(m)))
		return NULL;
	name_sent = clamp_t(int, m.msg_namelen, 0, msg->name_cap);
	data_len = min_t(u64, ret, msg->data_cap);
	control_len = min_t(u64, m.msg_controllen, msg->control_cap);
	out = kvmalloc(sizeof(*h) + name_sent + data_len + control_len,
		       GFP_KERNEL);
	if (!out)
		return NULL;
	h = (struct mig_wire_msghdr *)out;
	h->name_len = cpu_to_be32(max(m.msg_namelen, 0));
	h->data_len = cpu_to_be32(data_len);
	h->control_len = cpu_to_be32(control_len);
	h->flags = cpu_to_be32(m.msg_flags);
	p = out + sizeof(*h);
	if (copy_from_user(p, (void __user *)msg->name, name_sent) ||
	    copy_from_user(p + name_sent, (void __user *)msg->data, data_len) ||
	    copy_from_user(p + name_sent + data_len,
			   (void __user *)msg->control, control_len)) {
		kvfree(out);
		return NULL;
	}
	*len = sizeof(*h) + name_sent + data_len + control_len;
	return out;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mig: a moved process's clocks.
 *
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME count from each node's boot, so a
 * process moved to a node that booted later would see them go back, and
 * one moved to an older node would see them leap. The process keeps its
 * home node's clocks instead: BEGIN carries the two clocks as the process
 * reads them, and the destination puts the new process into a time
 * namespace of its own whose offsets make its clocks go on from there. The
 * vDSO honours a time namespace (its vvar page carries the offsets), so
 * even the reads that never enter the kernel agree.
 *
 * A time namespace can only be created and joined through system calls,
 * and none of them is exported to modules, so the process enters it
 * itself: before it becomes the moved process, the fresh helper process
 * runs a short prelude written here. The prelude does
 *
 *	unshare(CLONE_NEWTIME);
 *	write("/proc/self/timens_offsets", "monotonic S N\nboottime S N\n");
 *	setns(open("/proc/self/ns/time_for_children"), CLONE_NEWTIME);
 *
 * and traps back into the module with ioctl(-1, MIG_TRAP_MAGIC, status),
 * status being 0 or the first step's negative errno (step number in r10).
 * The helper still has the usermode helper's full capabilities there; the
 * restore that follows gives it the process's own credentials.
 *
 * The offsets are taken when BEGIN arrives, so the process's clocks lag
 * its home node's by the one-way delay of the link: coming home, they
 * step forward by that much, never back.
 */
#include <linux/fcntl.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/time_namespace.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "emit.h"
#include "mig.h"

/* The prelude page: code first, then its data at fixed offsets. */
#define MIG_PRELUDE_OFFSETS_PATH	2048
#define MIG_PRELUDE_NS_PATH		2112
#define MIG_PRELUDE_TEXT		2176
#define MIG_PRELUDE_TEXT_MAX		128

static const char mig_offsets_path[] = "/proc/self/timens_offsets";
static const char mig_ns_path[] = "/proc/self/ns/time_for_children";

/* The process's own view of both clocks, in its context. */
void mig_clock_sample(u64 *monotonic_ns, u64 *boottime_ns)
{
	struct timespec64 mono, boot;

	ktime_get_ts64(&mono);
	ktime_get_boottime_ts64(&boot);
	timens_add_monotonic(&mono);
	timens_add_boottime(&boot);
	*monotonic_ns = timespec64_to_ns(&mono);
	*boottime_ns = timespec64_to_ns(&boot);
}

/* Offsets that continue the sender's clocks from this node's, sampled now. */
void mig_clock_offsets(u64 monotonic_ns, u64 boottime_ns,
		       struct mig_clock_offsets *off)
{
	off->monotonic = (s64)monotonic_ns - ktime_get_ns();
	off->boottime = (s64)boottime_ns - ktime_get_boottime_ns();
}

/* lea REG, [rbx + disp32]; reg is 7 (rdi) or 6 (rsi). */
static void mig_code_lea_rbx(struct mig_code *c, u8 reg, u32 disp)
{
	u8 op[] = { 0x48, 0x8d, 0x83 | reg << 3 };

	mig_emit(c, op, sizeof(op));
	mig_emit(c, &disp, 4);
}

/* The prelude's trap, which never returns to it. */
static void mig_code_trap(struct mig_code *c)
{
	mig_emit_trap(c);
	mig_emit(c, "\x0f\x0b", 2);			/* ud2 */
}

/* A negative rax ends the prelude: trap with it as status, step in r10. */
static void mig_code_bail(struct mig_code *c, u32 step)
{
	static const u8 test_jns[] = { 0x48, 0x85, 0xc0, 0x79 };
	u8 *skip;

	mig_emit(c, test_jns, sizeof(test_jns));	/* test rax, rax; jns */
	skip = c->p++;
	mig_emit(c, "\x48\x89\xc2", 3);			/* mov rdx, rax */
	mig_emit(c, "\x41", 1);				/* mov r10d, step */
	mig_emit_op_imm32(c, 0xba, step);
	mig_code_trap(c);
	*skip = c->p - (skip + 1);
}

static void mig_code_syscall(struct mig_code *c, u32 nr)
{
	mig_emit_op_imm32(c, 0xb8, nr);		/* mov eax, nr */
	mig_emit(c, "\x0f\x05", 2);			/* syscall */
}

/* fd = open(path at data + off, flags), kept in r12; step on failure. */
static void mig_code_open(struct mig_code *c, u32 off, u32 flags, u32 step)
{
	mig_code_lea_rbx(c, 7, off);			/* lea rdi, path */
	mig_emit_op_imm32(c, 0xbe, flags);		/* mov esi, flags */
	mig_code_syscall(c, __NR_open);
	mig_code_bail(c, step);
	mig_emit(c, "\x49\x89\xc4", 3);			/* mov r12, rax */
}

/* close(r12), keeping the previous syscall's result in rax. */
static void mig_code_close_keep_rax(struct mig_code *c)
{
	mig_emit(c, "\x49\x89\xc5", 3);			/* mov r13, rax */
	mig_emit(c, "\x4c\x89\xe7", 3);			/* mov rdi, r12 */
	mig_code_syscall(c, __NR_close);
	mig_emit(c, "\x4c\x89\xe8", 3);			/* mov rax, r13 */
}

static size_t mig_prelude_code(u8 *buf, unsigned long data, u32 text_len)
{
	struct mig_code c = { buf };

	mig_emit_movabs(&c, 0xbb, data);		/* movabs rbx, data */

	mig_emit_op_imm32(&c, 0xbf, CLONE_NEWTIME);	/* mov edi, flag */
	mig_code_syscall(&c, __NR_unshare);
	mig_code_bail(&c, 1);

	mig_code_open(&c, MIG_PRELUDE_OFFSETS_PATH, O_WRONLY | O_CLOEXEC, 2);
	mig_emit(&c, "\x4c\x89\xe7", 3);		/* mov rdi, r12 */
	mig_code_lea_rbx(&c, 6, MIG_PRELUDE_TEXT);	/* lea rsi, text */
	mig_emit_op_imm32(&c, 0xba, text_len);		/* mov edx, len */
	mig_code_syscall(&c, __NR_write);
	mig_code_close_keep_rax(&c);
	mig_code_bail(&c, 3);

	mig_code_open(&c, MIG_PRELUDE_NS_PATH, O_RDONLY | O_CLOEXEC, 4);
	mig_emit(&c, "\x4c\x89\xe7", 3);		/* mov rdi, r12 */
	mig_emit_op_imm32(&c, 0xbe, CLONE_NEWTIME);	/* mov esi, flag */
	mig_code_syscall(&c, __NR_setns);
	mig_code_close_keep_rax(&c);
	mig_code_bail(&c, 5);

	mig_emit(&c, "\x31\xd2", 2);			/* xor edx, edx */
	mig_code_trap(&c);
	return c.p - buf;
}

static int mig_offsets_text(char *text, const struct mig_clock_offsets *off)
{
	struct timespec64 mono = ns_to_timespec64(off->monotonic);
	struct timespec64 boot = ns_to_timespec64(off->boottime);

	return scnprintf(text, MIG_PRELUDE_TEXT_MAX,
			 "monotonic %lld %ld\nboottime %lld %ld\n",
			 (long long)mono.tv_sec, mono.tv_nsec,
			 (long long)boot.tv_sec, boot.tv_nsec);
}

/*
 * Maps the prelude into current (a fresh helper process, on its way to
 * user mode) and points it there. *start and *end bound its code, where
 * the trap comes from.
 */
int mig_timens_prelude(const struct mig_clock_offsets *off,
		       unsigned long *start, unsigned long *end)
{
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long base;
	size_t code_len;
	int text_len;
	u8 *buf;
	int err = 0;

	BUILD_BUG_ON(MIG_PRELUDE_TEXT + MIG_PRELUDE_TEXT_MAX > PAGE_SIZE);
	buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	base = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(base)) {
		kfree(buf);
		return base;
	}
	text_len = mig_offsets_text((char *)buf + MIG_PRELUDE_TEXT, off);
	/* About 300 bytes, far below the data. */
	code_len = mig_prelude_code(buf, base, text_len);
	memcpy(buf + MIG_PRELUDE_OFFSETS_PATH, mig_offsets_path,
	       sizeof(mig_offsets_path));
	memcpy(buf + MIG_PRELUDE_NS_PATH, mig_ns_path, sizeof(mig_ns_path));
	if (copy_to_user((void __user *)base, buf, PAGE_SIZE))
		err = -EFAULT;
	kfree(buf);
	if (err)
		return err;
	regs->ip = base;
	regs->orig_ax = -1;	/* no syscall restart on the way out */
	*start = base;
	*end = base + code_len;
	return 0;
}

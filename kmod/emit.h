/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: a tiny x86-64 code emitter, for the few instructions mig writes
 * into a process: the restore's trampoline, the guest's clock prelude,
 * the deputy's stub.
 */
#ifndef _MIG_EMIT_H
#define _MIG_EMIT_H

#include <linux/string.h>
#include <linux/types.h>
#include <asm/unistd.h>

#include "mig.h"

struct mig_code {
	u8 *p;
};

static inline void mig_emit(struct mig_code *c, const void *bytes, size_t n)
{
	memcpy(c->p, bytes, n);
	c->p += n;
}

/* op imm32: mov r32, imm (op 0xb8 + register) and the like. */
static inline void mig_emit_op_imm32(struct mig_code *c, u8 op, u32 imm)
{
	mig_emit(c, &op, 1);
	mig_emit(c, &imm, 4);
}

/* movabs r64, imm64 (op 0xb8 + register). */
static inline void mig_emit_movabs(struct mig_code *c, u8 op, u64 imm)
{
	u8 rex = 0x48;

	mig_emit(c, &rex, 1);
	mig_emit(c, &op, 1);
	mig_emit(c, &imm, 8);
}

/* ioctl(-1, MIG_TRAP_MAGIC, rdx): the trap the syscall hook knows. */
static inline void mig_emit_trap(struct mig_code *c)
{
	mig_emit_op_imm32(c, 0xb8, __NR_ioctl);		/* mov eax, nr */
	mig_emit_op_imm32(c, 0xbf, (u32)-1);		/* mov edi, -1 */
	mig_emit_op_imm32(c, 0xbe, MIG_TRAP_MAGIC);	/* mov esi, magic */
	mig_emit(c, "\x0f\x05", 2);			/* syscall */
}

#endif /* _MIG_EMIT_H */

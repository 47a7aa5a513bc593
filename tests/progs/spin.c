// SPDX-License-Identifier: GPL-2.0
/*
 * spin: CPU-bound subject for the migration tests (x86-64 only).
 *
 *   spin [-m MiB] [-s SECONDS] [-x EXITCODE]
 *
 * Sets up state that a migration must carry over intact, prints one line
 * "ready PID" (flushed) and then spins for about SECONDS (default 10)
 * without making a single system call. Afterwards it checks all of that
 * state and exits with EXITCODE (default 42) when everything is intact.
 * SECONDS may have decimals; it is CPU time, so the run takes longer on a
 * busy CPU (or a slower node).
 *
 * The state:
 *  - MiB (default 16, may be 0) of malloc()ed heap, every 8-byte word of
 *    it holding a value derived from its index;
 *  - constants in rbx, rsi, rdi, r8-r10 and r12-r15, and in ymm8-ymm15
 *    (xmm8-xmm15 when the CPU or OS has no AVX), loaded once and compared
 *    with their expected values on every iteration of the loop;
 *  - the loop counter in rcx with a mirror (rcx ^ constant) in r11, the
 *    two registers a return through sysret clobbers;
 *  - a __thread variable and the fs base that locates it;
 *  - a non-default MXCSR (round toward zero, flush to zero) and x87
 *    control word (53-bit precision);
 *  - 64 KiB of stack, 32 KiB of .data and 32 KiB of .bss filled with
 *    patterns.
 *
 * The loop is a function written in assembler (below), so no register it
 * checks is ever spilled or reloaded by compiled code. It has no time
 * source: SECONDS becomes an iteration count, calibrated before "ready"
 * with clock_gettime() on the thread's CPU clock (the TSC would jump
 * when the process changes machine). The process may be stopped, resumed
 * or moved at any instruction; a register found changed ends the loop at
 * once.
 *
 * Exit status (the lowest applies when several checks fail; stderr says
 * what was found):
 *   EXITCODE  everything intact (default 42; 1..9 are refused)
 *   1  a general-purpose register changed (rbx, rsi, rdi, r8-r10, r12-r15)
 *   2  a vector register changed (ymm8-ymm15, or xmm8-xmm15)
 *   3  the loop counter rcx and its mirror r11 disagree
 *   4  the heap pattern is damaged
 *   5  the TLS value or the fs base changed
 *   6  MXCSR or the x87 control word changed
 *   7  the stack pattern is damaged
 *   8  the .data or .bss pattern is damaged
 *   9  internal error: the loop returned an impossible result
 *  64  bad usage;  71  set-up failed (out of memory, cannot print)
 *  A signal (SIGSEGV, ...) means state was broken badly enough to crash.
 *
 * Debugging aids, read from the environment:
 *   SPIN_CORRUPT=N  damage the state behind check N (1..8) to see it
 *                   caught: 1 flips a bit of rbx, 2 one of ymm12/xmm12, 3
 *                   one of r11, all half-way through the loop; 4..8
 *                   damage heap, TLS, MXCSR, stack or .data after the
 *                   loop, before the checks (4 needs -m above 0). The
 *                   exit status is then N.
 *   SPIN_NOAVX=1    use xmm8-xmm15 even when AVX is available.
 *
 * Exits with a raw exit_group system call: nothing is flushed or run at
 * exit, "ready" was flushed when it was printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "spin is x86-64 only"
#endif

/* The loop's own results are also spelled in the assembler. */
#define FAIL_GPR	1
#define FAIL_VEC	2
#define FAIL_COUNTER	3

enum {
	FAIL_HEAP = 4,
	FAIL_TLS = 5,
	FAIL_FPU = 6,
	FAIL_STACK = 7,
	FAIL_DATA = 8,
	FAIL_INTERNAL = 9,
	FAIL_MAX = 9,
	EXIT_USAGE = 64,
	EXIT_SETUP = 71,
};

/* Register constants; plain hex so that the assembler takes them too. */
#define K_RBX	0x2e87ef130a9d0255
#define K_RSI	0x90e0c105c4b85d40
#define K_RDI	0x55b9f2e1df2e7b4c
#define K_R8	0x55e94cd6c53c4625
#define K_R9	0xcde4783d6e40bbe8
#define K_R10	0xa25aee964bb54386
#define K_R12	0x27974b4cde6db4bd
#define K_R13	0xa7cb1f8f6327db1a
#define K_R14	0x242efed0467bb7e8
#define K_R15	0x302300dcac7146ec
#define K_CTR	0x4738da200ca1bd2b	/* r11 == rcx ^ K_CTR */

#define NGPR	10
#define NVEC	8

/* ymm8+i must equal spin_vconst[4i..4i+3]; xmm8+i its first half. */
const uint64_t spin_vconst[NVEC * 4]
	__attribute__((aligned(32), visibility("hidden"))) = {
	0x4603d57e827f4b85, 0xb25697c0cd0330f7, 0xd313672c1bf9fdc0, 0x456409e24387d742,
	0x586ed49bca54c40e, 0x58fa74970c9d9ebf, 0x98c0d22a1bd8d646, 0x7191e87a3cf42b3a,
	0xf102241db3eb4b70, 0x7166d6272963d70e, 0x98219ae92bad3310, 0x2f41f4bc2a18840d,
	0x643e0cc85b2ba8de, 0xa78c2eb0eaf45c41, 0x5f8d820b023571a7, 0x909dc9adb6f17c3b,
	0x30bf93f076c6f2c3, 0x708a14be457ad291, 0x9f768a34c7482b3d, 0x578a45895945b5ba,
	0x00bb600234c68367, 0xaa54e3c2fa1df0ba, 0x0e0085a854862807, 0xd7bf004341b267ef,
	0x2a03af2498d2ae63, 0xf5b9ce2049b3361f, 0x0db59a57489e6ce2, 0x053c5bd50651d3d4,
	0x0995acae0c9f8517, 0x7164fbe04838787f, 0x0557bea97a954155, 0x52a3e9573b18c1ee,
};

/* SPIN_CORRUPT=2 xors this into ymm12: a bit in each 128-bit half. */
const uint64_t spin_vflip[4]
	__attribute__((aligned(32), visibility("hidden"))) = { 0x8, 0, 0, 0x20 };

/* Shared with the assembler: the offsets below are checked. */
struct spin_args {
	uint64_t iters;		/* in: iterations to run */
	uint64_t corrupt_at;	/* in: rcx value at which to inject, 0: never */
	uint64_t corrupt_kind;	/* in: FAIL_GPR, FAIL_VEC or FAIL_COUNTER */
	uint64_t left;		/* out: rcx at the end (0 unless it failed) */
	/* out, on failure only: the registers as found */
	uint64_t gpr[NGPR];	/* rbx rsi rdi r8 r9 r10 r12 r13 r14 r15 */
	uint64_t rcx, r11;
	uint64_t vec[NVEC][4];	/* ymm8..15 (xmm: first two words) */
};

#define OFF_ITERS	0
#define OFF_CORRUPT_AT	8
#define OFF_CORRUPT_KIND 16
#define OFF_LEFT	24
#define OFF_GPR		32
#define OFF_RCX		112
#define OFF_R11		120
#define OFF_VEC		128
_Static_assert(offsetof(struct spin_args, iters) == OFF_ITERS, "layout");
_Static_assert(offsetof(struct spin_args, corrupt_at) == OFF_CORRUPT_AT, "layout");
_Static_assert(offsetof(struct spin_args, corrupt_kind) == OFF_CORRUPT_KIND, "layout");
_Static_assert(offsetof(struct spin_args, left) == OFF_LEFT, "layout");
_Static_assert(offsetof(struct spin_args, gpr) == OFF_GPR, "layout");
_Static_assert(offsetof(struct spin_args, rcx) == OFF_RCX, "layout");
_Static_assert(offsetof(struct spin_args, r11) == OFF_R11, "layout");
_Static_assert(offsetof(struct spin_args, vec) == OFF_VEC, "layout");

static const char *const gpr_names[NGPR] = {
	"rbx", "rsi", "rdi", "r8", "r9", "r10", "r12", "r13", "r14", "r15",
};
static const uint64_t gpr_want[NGPR] = {
	K_RBX, K_RSI, K_RDI, K_R8, K_R9, K_R10, K_R12, K_R13, K_R14, K_R15,
};

/*
 * uint64_t spin_loop_avx(struct spin_args *a), spin_loop_sse(...):
 * run a->iters iterations; return 0, or FAIL_GPR, FAIL_VEC or
 * FAIL_COUNTER after storing the registers into *a. SysV ABI: rbx and
 * r12-r15 are saved and restored, everything else is the caller's.
 * Stack frame: 0(%rsp) a, 8(%rsp) corrupt_at, 16(%rsp) corrupt_kind.
 */
#define S(x) #x
#define XS(x) S(x)

#define LOADK(k, reg)	"	movabs $" XS(k) ", %" reg "\n"
#define CHECK(k, reg)	"	movabs $" XS(k) ", %rax\n"		\
			"	cmp %rax, %" reg "\n"			\
			"	jne .Lfail_gpr\\@\n"
#define STORE(i, reg)	"	mov %" reg ", " XS(OFF_GPR + 8 * i) "(%rdx)\n"
#define V(i)		"spin_vconst+" XS(32 * i) "(%rip)"
#define VOFF(i)		XS(OFF_VEC + 32 * i) "(%rdx)"

__asm__(
"	.text\n"
"	.macro SPIN_LOOP name, avx\n"
"	.globl \\name\n"
"	.hidden \\name\n"
"	.type \\name, @function\n"
"	.p2align 4\n"
"\\name:\n"
"	push %rbx\n"
"	push %r12\n"
"	push %r13\n"
"	push %r14\n"
"	push %r15\n"
"	sub $24, %rsp\n"
"	mov %rdi, (%rsp)\n"
"	mov " XS(OFF_CORRUPT_AT) "(%rdi), %rax\n"
"	mov %rax, 8(%rsp)\n"
"	mov " XS(OFF_CORRUPT_KIND) "(%rdi), %rax\n"
"	mov %rax, 16(%rsp)\n"
"	mov " XS(OFF_ITERS) "(%rdi), %rcx\n"
"	movabs $" XS(K_CTR) ", %rdx\n"
"	mov %rcx, %r11\n"
"	xor %rdx, %r11\n"
	LOADK(K_RBX, "rbx") LOADK(K_RSI, "rsi") LOADK(K_RDI, "rdi")
	LOADK(K_R8, "r8") LOADK(K_R9, "r9") LOADK(K_R10, "r10")
	LOADK(K_R12, "r12") LOADK(K_R13, "r13") LOADK(K_R14, "r14")
	LOADK(K_R15, "r15")
"	.if \\avx\n"
"	vmovaps " V(0) ", %ymm8\n"
"	vmovaps " V(1) ", %ymm9\n"
"	vmovaps " V(2) ", %ymm10\n"
"	vmovaps " V(3) ", %ymm11\n"
"	vmovaps " V(4) ", %ymm12\n"
"	vmovaps " V(5) ", %ymm13\n"
"	vmovaps " V(6) ", %ymm14\n"
"	vmovaps " V(7) ", %ymm15\n"
"	.else\n"
"	movaps " V(0) ", %xmm8\n"
"	movaps " V(1) ", %xmm9\n"
"	movaps " V(2) ", %xmm10\n"
"	movaps " V(3) ", %xmm11\n"
"	movaps " V(4) ", %xmm12\n"
"	movaps " V(5) ", %xmm13\n"
"	movaps " V(6) ", %xmm14\n"
"	movaps " V(7) ", %xmm15\n"
"	.endif\n"
"	test %rcx, %rcx\n"
"	jz .Ldone\\@\n"
"	.p2align 4\n"
".Lloop\\@:\n"
"	cmp 8(%rsp), %rcx\n"
"	je .Linject\\@\n"
".Lcheck\\@:\n"
	CHECK(K_RBX, "rbx") CHECK(K_RSI, "rsi") CHECK(K_RDI, "rdi")
	CHECK(K_R8, "r8") CHECK(K_R9, "r9") CHECK(K_R10, "r10")
	CHECK(K_R12, "r12") CHECK(K_R13, "r13") CHECK(K_R14, "r14")
	CHECK(K_R15, "r15")
"	.if \\avx\n"
"	vxorps " V(0) ", %ymm8, %ymm0\n"
"	vxorps " V(1) ", %ymm9, %ymm1\n"
"	vorps %ymm1, %ymm0, %ymm0\n"
"	vxorps " V(2) ", %ymm10, %ymm1\n"
"	vorps %ymm1, %ymm0, %ymm0\n"
"	vxorps " V(3) ", %ymm11, %ymm1\n"
"	vorps %ymm1, %ymm0, %ymm0\n"
"	vxorps " V(4) ", %ymm12, %ymm1\n"
"	vorps %ymm1, %ymm0, %ymm0\n"
"	vxorps " V(5) ", %ymm13, %ymm1\n"
"	vorps %ymm1, %ymm0, %ymm0\n"
"	vxorps " V(6) ", %ymm14, %ymm1\n"
"	vorps %ymm1, %ymm0, %ymm0\n"
"	vxorps " V(7) ", %ymm15, %ymm1\n"
"	vorps %ymm1, %ymm0, %ymm0\n"
"	vptest %ymm0, %ymm0\n"
"	jnz .Lfail_vec\\@\n"
"	.else\n"
"	movaps %xmm8, %xmm0\n"
"	xorps " V(0) ", %xmm0\n"
"	movaps %xmm9, %xmm1\n"
"	xorps " V(1) ", %xmm1\n"
"	orps %xmm1, %xmm0\n"
"	movaps %xmm10, %xmm1\n"
"	xorps " V(2) ", %xmm1\n"
"	orps %xmm1, %xmm0\n"
"	movaps %xmm11, %xmm1\n"
"	xorps " V(3) ", %xmm1\n"
"	orps %xmm1, %xmm0\n"
"	movaps %xmm12, %xmm1\n"
"	xorps " V(4) ", %xmm1\n"
"	orps %xmm1, %xmm0\n"
"	movaps %xmm13, %xmm1\n"
"	xorps " V(5) ", %xmm1\n"
"	orps %xmm1, %xmm0\n"
"	movaps %xmm14, %xmm1\n"
"	xorps " V(6) ", %xmm1\n"
"	orps %xmm1, %xmm0\n"
"	movaps %xmm15, %xmm1\n"
"	xorps " V(7) ", %xmm1\n"
"	orps %xmm1, %xmm0\n"
"	pxor %xmm1, %xmm1\n"
"	pcmpeqb %xmm1, %xmm0\n"
"	pmovmskb %xmm0, %eax\n"
"	cmp $0xffff, %eax\n"
"	jne .Lfail_vec\\@\n"
"	.endif\n"
	/* The counter pair, then the next iteration. */
"	movabs $" XS(K_CTR) ", %rdx\n"
"	mov %r11, %rax\n"
"	xor %rdx, %rax\n"
"	cmp %rax, %rcx\n"
"	jne .Lfail_ctr\\@\n"
"	dec %rcx\n"
"	mov %rcx, %r11\n"
"	xor %rdx, %r11\n"
"	test %rcx, %rcx\n"
"	jnz .Lloop\\@\n"
".Ldone\\@:\n"
"	xor %eax, %eax\n"
"	jmp .Lout\\@\n"
	/* SPIN_CORRUPT, out of the hot path. */
".Linject\\@:\n"
"	mov 16(%rsp), %rax\n"
"	cmp $" XS(FAIL_GPR) ", %rax\n"
"	jne 1f\n"
"	xor $0x10000, %rbx\n"
"	jmp .Lcheck\\@\n"
"1:	cmp $" XS(FAIL_VEC) ", %rax\n"
"	jne 2f\n"
"	.if \\avx\n"
"	vxorps spin_vflip(%rip), %ymm12, %ymm12\n"
"	.else\n"
"	xorps spin_vflip(%rip), %xmm12\n"
"	.endif\n"
"	jmp .Lcheck\\@\n"
"2:	cmp $" XS(FAIL_COUNTER) ", %rax\n"
"	jne .Lcheck\\@\n"
"	xor $1, %r11\n"
"	jmp .Lcheck\\@\n"
	/* A check failed: report the registers as they are now. */
".Lfail_gpr\\@:\n"
"	mov $" XS(FAIL_GPR) ", %eax\n"
"	jmp .Ldump\\@\n"
".Lfail_vec\\@:\n"
"	mov $" XS(FAIL_VEC) ", %eax\n"
"	jmp .Ldump\\@\n"
".Lfail_ctr\\@:\n"
"	mov $" XS(FAIL_COUNTER) ", %eax\n"
".Ldump\\@:\n"
"	mov (%rsp), %rdx\n"
	STORE(0, "rbx") STORE(1, "rsi") STORE(2, "rdi") STORE(3, "r8")
	STORE(4, "r9") STORE(5, "r10") STORE(6, "r12") STORE(7, "r13")
	STORE(8, "r14") STORE(9, "r15")
"	mov %rcx, " XS(OFF_RCX) "(%rdx)\n"
"	mov %r11, " XS(OFF_R11) "(%rdx)\n"
"	.if \\avx\n"
"	vmovups %ymm8, " VOFF(0) "\n"
"	vmovups %ymm9, " VOFF(1) "\n"
"	vmovups %ymm10, " VOFF(2) "\n"
"	vmovups %ymm11, " VOFF(3) "\n"
"	vmovups %ymm12, " VOFF(4) "\n"
"	vmovups %ymm13, " VOFF(5) "\n"
"	vmovups %ymm14, " VOFF(6) "\n"
"	vmovups %ymm15, " VOFF(7) "\n"
"	.else\n"
"	movups %xmm8, " VOFF(0) "\n"
"	movups %xmm9, " VOFF(1) "\n"
"	movups %xmm10, " VOFF(2) "\n"
"	movups %xmm11, " VOFF(3) "\n"
"	movups %xmm12, " VOFF(4) "\n"
"	movups %xmm13, " VOFF(5) "\n"
"	movups %xmm14, " VOFF(6) "\n"
"	movups %xmm15, " VOFF(7) "\n"
"	.endif\n"
".Lout\\@:\n"
"	mov (%rsp), %rdx\n"
"	mov %rcx, " XS(OFF_LEFT) "(%rdx)\n"
"	.if \\avx\n"
"	vzeroupper\n"
"	.endif\n"
"	add $24, %rsp\n"
"	pop %r15\n"
"	pop %r14\n"
"	pop %r13\n"
"	pop %r12\n"
"	pop %rbx\n"
"	ret\n"
"	.size \\name, .-\\name\n"
"	.endm\n"
"	SPIN_LOOP spin_loop_avx, 1\n"
"	SPIN_LOOP spin_loop_sse, 0\n"
"	.purgem SPIN_LOOP\n"
);

typedef uint64_t (*spin_fn)(struct spin_args *a);
uint64_t spin_loop_avx(struct spin_args *a) __attribute__((visibility("hidden")));
uint64_t spin_loop_sse(struct spin_args *a) __attribute__((visibility("hidden")));

/* --- memory patterns --- */

#define STACK_WORDS	8192	/* 64 KiB */
#define DATA_WORDS	4096	/* 32 KiB */

/* A non-zero element keeps the whole array in .data, file-backed. */
static volatile uint64_t data_buf[DATA_WORDS] = { 1 };
static volatile uint64_t bss_buf[DATA_WORDS];
static __thread volatile uint64_t tls_value;

#define SEED_HEAP	0x6865617000000000
#define SEED_STACK	0x737461636b000000
#define SEED_DATA	0x6461746100000000
#define SEED_BSS	0x6273730000000000
#define TLS_VALUE	0x746c73aa55c3e1f0

/* splitmix64 of the index: cheap, and no two words alike. */
static inline uint64_t pattern(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
	return z ^ (z >> 31);
}

static void fill(volatile uint64_t *p, uint64_t n, uint64_t seed)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		p[i] = pattern(seed, i);
}

/* Returns the number of wrong words and reports the first one. */
static uint64_t check(const char *what, const volatile uint64_t *p,
		      uint64_t n, uint64_t seed)
{
	uint64_t i, bad = 0, first = 0;

	for (i = 0; i < n; i++) {
		if (p[i] != pattern(seed, i)) {
			if (!bad++)
				first = i;
		}
	}
	if (bad)
		fprintf(stderr, "spin: %s: %llu of %llu words wrong, first at offset %#llx: %#llx, expected %#llx\n",
			what, (unsigned long long)bad, (unsigned long long)n,
			(unsigned long long)first * 8,
			(unsigned long long)p[first],
			(unsigned long long)pattern(seed, first));
	return bad;
}

/* --- system calls that must not touch errno (TLS) --- */

static long raw_syscall2(long nr, long a, long b)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return ret;
}

static long raw_write(int fd, const char *s, size_t len)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(1L), "D"((long)fd), "S"(s), "d"(len)
			 : "rcx", "r11", "memory");
	return ret;
}

static __attribute__((noreturn)) void raw_exit(int code)
{
	for (;;)
		__asm__ volatile("syscall" : : "a"(231L), "D"((long)code)
				 : "rcx", "r11", "memory");
}

#define ARCH_GET_FS_ 0x1003

static uint64_t fs_base(void)
{
	uint64_t base = 0;

	if (raw_syscall2(158 /* arch_prctl */, ARCH_GET_FS_, (long)&base))
		return 0;
	return base;
}

/* --- floating-point control --- */

#define MXCSR_TEST	0xff80	/* FTZ, round toward zero, all masked */
#define MXCSR_DEFAULT	0x1f80
#define MXCSR_CONTROL	0xffc0	/* without the sticky exception flags */
#define FPUCW_TEST	0x027f	/* 53-bit precision, all masked */
#define FPUCW_DEFAULT	0x037f
#define FPUCW_CONTROL	0x0f3f

static void set_fpu(uint32_t mxcsr, uint16_t cw)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	__asm__ volatile("fldcw %0" : : "m"(cw));
}

static void get_fpu(uint32_t *mxcsr, uint16_t *cw)
{
	__asm__ volatile("stmxcsr %0" : "=m"(*mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(*cw));
}

/* --- reporting a failed loop --- */

static void report_loop(uint64_t status, const struct spin_args *a,
			bool avx)
{
	const char *v = avx ? "ymm" : "xmm";
	unsigned int i, w, words = avx ? 4 : 2;
	bool found = false;

	fprintf(stderr, "spin: the check failed at iteration %llu of %llu\n",
		(unsigned long long)(a->iters - a->left),
		(unsigned long long)a->iters);
	switch (status) {
	case FAIL_GPR:
		for (i = 0; i < NGPR; i++) {
			if (a->gpr[i] == gpr_want[i])
				continue;
			found = true;
			fprintf(stderr, "spin: %s is %#llx, expected %#llx\n",
				gpr_names[i], (unsigned long long)a->gpr[i],
				(unsigned long long)gpr_want[i]);
		}
		if (!found)
			fputs("spin: a register compare failed but all registers hold their values now (rax or the flags changed in between?)\n",
			      stderr);
		break;
	case FAIL_VEC:
		for (i = 0; i < NVEC; i++)
			for (w = 0; w < words; w++) {
				if (a->vec[i][w] == spin_vconst[4 * i + w])
					continue;
				found = true;
				fprintf(stderr, "spin: %s%u bits %u..%u are %#llx, expected %#llx\n",
					v, 8 + i, 64 * w, 64 * w + 63,
					(unsigned long long)a->vec[i][w],
					(unsigned long long)spin_vconst[4 * i + w]);
			}
		if (!found)
			fprintf(stderr, "spin: a vector compare failed but %s8-%s15 hold their values now (ymm0/ymm1 or the flags changed in between?)\n",
				v, v);
		break;
	case FAIL_COUNTER:
		fprintf(stderr, "spin: loop counter rcx=%#llx and its mirror r11=%#llx (expected r11=%#llx) disagree: rcx/r11 clobbered, as by a sysret?\n",
			(unsigned long long)a->rcx, (unsigned long long)a->r11,
			(unsigned long long)(a->rcx ^ K_CTR));
		break;
	}
}

/* --- set-up --- */

static __attribute__((noreturn, format(printf, 1, 2)))
void usage(const char *fmt, ...)
{
	va_list ap;

	fputs("spin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: spin [-m MiB] [-s SECONDS] [-x EXITCODE]\n", stderr);
	raw_exit(EXIT_USAGE);
}

static __attribute__((noreturn)) void setup_failed(const char *what)
{
	fprintf(stderr, "spin: %s: %s\n", what, strerror(errno));
	raw_exit(EXIT_SETUP);
}

static unsigned long parse_ulong(const char *s, unsigned long max,
				 const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v > max)
		usage(what, s);
	return v;
}

/* CPU time: what the loop runs on, whatever else shares the CPU. */
static double cpu_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		setup_failed("clock_gettime");
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Time n iterations; returns 0 when the loop itself failed. */
static double time_loop(spin_fn fn, struct spin_args *a, uint64_t n,
			uint64_t *status)
{
	double t;

	memset(a, 0, sizeof(*a));
	a->iters = n;
	t = cpu_now();
	*status = fn(a);
	t = cpu_now() - t;
	if (*status)
		return 0;
	return t > 0 ? t : 1e-9;
}

/*
 * Iterations per CPU second of the real loop: the best of a few runs of
 * at least 50 ms. Returns 0 when the loop itself failed, with the result
 * in *status and *a.
 */
static double calibrate(spin_fn fn, struct spin_args *a, uint64_t *status)
{
	uint64_t n = 1 << 14;
	double dt, best;
	int i;

	for (;;) {
		dt = time_loop(fn, a, n, status);
		if (!dt)
			return 0;
		if (dt >= 0.05 || n >= (1ULL << 40))
			break;
		n *= 2;
	}
	best = (double)n / dt;
	for (i = 0; i < 3; i++) {
		dt = time_loop(fn, a, n, status);
		if (!dt)
			return 0;
		if ((double)n / dt > best)
			best = (double)n / dt;
	}
	return best;
}

static bool want_avx(void)
{
	const char *no = getenv("SPIN_NOAVX");

	if (no && *no && strcmp(no, "0"))
		return false;
	/* Checks the OS support (XCR0) too, not only CPUID. */
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx");
}

int main(int argc, char **argv)
{
	volatile uint64_t stack_buf[STACK_WORDS];
	unsigned long mib = 16, code = 42, kind = 0;
	double seconds = 10, rate, want;
	uint64_t heap_words, status, fs_before, fs_after;
	const char *env;
	struct spin_args a;
	uint64_t *heap = NULL;
	unsigned int fails = 0;	/* bit n: check n failed */
	uint32_t mxcsr;
	uint16_t cw;
	spin_fn fn;
	bool avx;
	int c;

	opterr = 0;	/* worded below */
	while ((c = getopt(argc, argv, ":m:s:x:")) != -1) {
		char *end;

		switch (c) {
		case 'm':
			mib = parse_ulong(optarg, 1UL << 20,
					  "invalid size '%s': MiB from 0 to 1048576");
			break;
		case 's':
			errno = 0;
			seconds = strtod(optarg, &end);
			if (!*optarg || *end || errno || !isfinite(seconds) ||
			    seconds < 0 || seconds > 1e7)
				usage("invalid duration '%s': seconds from 0 to 10000000", optarg);
			break;
		case 'x':
			code = parse_ulong(optarg, 255,
					   "invalid exit code '%s': 0 or 10 to 255");
			if (code >= 1 && code <= FAIL_MAX)
				usage("invalid exit code '%s': 1 to 9 are the failure codes", optarg);
			break;
		case ':':
			usage("option -%c needs a value", optopt);
		default:
			usage("unknown option -%c", optopt);
		}
	}
	if (optind != argc)
		usage("unexpected argument '%s'", argv[optind]);
	env = getenv("SPIN_CORRUPT");
	if (env && *env)
		kind = parse_ulong(env, FAIL_MAX - 1,
				   "invalid SPIN_CORRUPT '%s': a failure code from 1 to 8");

	heap_words = (uint64_t)mib << 17;
	if (heap_words) {
		heap = malloc(heap_words * 8);
		if (!heap)
			setup_failed("cannot allocate the heap");
		fill(heap, heap_words, SEED_HEAP);
	}
	fill(stack_buf, STACK_WORDS, SEED_STACK);
	fill(data_buf, DATA_WORDS, SEED_DATA);
	fill(bss_buf, DATA_WORDS, SEED_BSS);
	tls_value = TLS_VALUE;
	fs_before = fs_base();
	/* From here on the compiler must assume the loop sees all memory. */
	__asm__ volatile("" : : "r"(heap), "r"(stack_buf) : "memory");

	avx = want_avx();
	fn = avx ? spin_loop_avx : spin_loop_sse;
	rate = calibrate(fn, &a, &status);
	if (rate > 0) {
		want = rate * seconds;
		memset(&a, 0, sizeof(a));
		a.iters = want < 1 ? 1 : want > 0x1p62 ? 1ULL << 62 : (uint64_t)want;
		if (kind >= FAIL_GPR && kind <= FAIL_COUNTER) {
			a.corrupt_kind = kind;
			a.corrupt_at = (a.iters + 1) / 2;
		}
		if (printf("ready %d\n", (int)getpid()) < 0 || fflush(stdout))
			setup_failed("cannot print to stdout");
		set_fpu(MXCSR_TEST, FPUCW_TEST);
		/* The loop: no system call from here... */
		status = fn(&a);
		/* ...to here. */
		get_fpu(&mxcsr, &cw);
		set_fpu(MXCSR_DEFAULT, FPUCW_DEFAULT);
	} else {
		/* Broken before it started: no "ready", the checks below say why. */
		mxcsr = MXCSR_TEST;
		cw = FPUCW_TEST;
	}
	__asm__ volatile("" : : "r"(heap), "r"(stack_buf) : "memory");

	/* Without the right fs base even errno is out of reach: check first. */
	fs_after = fs_base();
	if (fs_after != fs_before) {
		static const char msg[] = "spin: the fs base (TLS pointer) changed\n";

		raw_write(2, msg, sizeof(msg) - 1);
		raw_exit(FAIL_TLS);
	}

	switch (kind) {
	case FAIL_HEAP:
		if (heap)
			heap[heap_words / 2] ^= 1;
		break;
	case FAIL_TLS:
		tls_value ^= 1;
		break;
	case FAIL_FPU:
		mxcsr ^= 0x6000;
		break;
	case FAIL_STACK:
		stack_buf[STACK_WORDS / 2] ^= 1;
		break;
	case FAIL_DATA:
		data_buf[DATA_WORDS / 2] ^= 1;
		break;
	}

	if (status > FAIL_COUNTER) {
		fprintf(stderr, "spin: the loop returned %llu\n",
			(unsigned long long)status);
		fails |= 1U << FAIL_INTERNAL;
	} else if (status) {
		report_loop(status, &a, avx);
		fails |= 1U << status;
	}
	if (heap && check("heap", heap, heap_words, SEED_HEAP))
		fails |= 1U << FAIL_HEAP;
	if (tls_value != TLS_VALUE) {
		fprintf(stderr, "spin: TLS value is %#llx, expected %#llx\n",
			(unsigned long long)tls_value,
			(unsigned long long)TLS_VALUE);
		fails |= 1U << FAIL_TLS;
	}
	if ((mxcsr & MXCSR_CONTROL) != (MXCSR_TEST & MXCSR_CONTROL) ||
	    (cw & FPUCW_CONTROL) != (FPUCW_TEST & FPUCW_CONTROL)) {
		fprintf(stderr, "spin: MXCSR is %#x (expected %#x), x87 control word %#x (expected %#x)\n",
			mxcsr, MXCSR_TEST, cw, FPUCW_TEST);
		fails |= 1U << FAIL_FPU;
	}
	if (check("stack", stack_buf, STACK_WORDS, SEED_STACK))
		fails |= 1U << FAIL_STACK;
	if (check(".data", data_buf, DATA_WORDS, SEED_DATA) |
	    check(".bss", bss_buf, DATA_WORDS, SEED_BSS))
		fails |= 1U << FAIL_DATA;

	if (fails)
		raw_exit(__builtin_ctz(fails));
	raw_exit((int)code);
}

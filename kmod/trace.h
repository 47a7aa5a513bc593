/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig: tracepoints, the "mig" trace system.
 *
 * For perf (perf trace -e 'mig:*', perf record -e mig:move_end), trace-cmd
 * and bpftrace (tracepoint:mig:*), or by hand through tracefs
 * (events/mig/enable). Each event says what an admin asks of a move: which
 * process, between which nodes, how long, how much, and why it ended. A
 * disabled event costs a static branch; figures only an event needs (a
 * forwarded call's latency) are taken only while it is enabled.
 *
 * Node ids: 0 is "home" where an event names a destination. Pids are this
 * node's, except home_pid.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mig

#if !defined(_MIG_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MIG_TRACE_H

#include <linux/tracepoint.h>

#include "uapi/mig.h"

/* A move asked of this node: migctl move, or the balancer's. */
TRACE_EVENT(move_begin,
	TP_PROTO(pid_t pid, u16 from, u16 to, u8 mode),
	TP_ARGS(pid, from, to, mode),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(u16, from)
		__field(u16, to)
		__field(u8, mode)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->from = from;
		__entry->to = to;
		__entry->mode = mode;
	),
	TP_printk("pid=%d from=%u to=%u mode=%s", __entry->pid, __entry->from,
		  __entry->to,
		  __print_symbolic(__entry->mode, { MIG_MOVE_AUTO, "auto" },
				   { MIG_MOVE_STOP_COPY, "stop-copy" },
				   { MIG_MOVE_LIVE, "live" }))
);

/* ... and how it ended: 0 or the errno, what went, how long it took. */
TRACE_EVENT(move_end,
	TP_PROTO(pid_t pid, u16 from, u16 to, int err, u64 bytes,
		 u64 elapsed_us, u64 freeze_us),
	TP_ARGS(pid, from, to, err, bytes, elapsed_us, freeze_us),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(u16, from)
		__field(u16, to)
		__field(int, err)
		__field(u64, bytes)
		__field(u64, elapsed_us)
		__field(u64, freeze_us)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->from = from;
		__entry->to = to;
		__entry->err = err;
		__entry->bytes = bytes;
		__entry->elapsed_us = elapsed_us;
		__entry->freeze_us = freeze_us;
	),
	TP_printk("pid=%d from=%u to=%u err=%d bytes=%llu elapsed_us=%llu freeze_us=%llu",
		  __entry->pid, __entry->from, __entry->to, __entry->err,
		  __entry->bytes, __entry->elapsed_us, __entry->freeze_us)
);

/* A process arrived here and runs: a guest restored, or one back home. */
TRACE_EVENT(move_in,
	TP_PROTO(pid_t pid, u16 from, u16 home_node, u32 home_pid),
	TP_ARGS(pid, from, home_node, home_pid),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(u16, from)
		__field(u16, home_node)
		__field(u32, home_pid)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->from = from;
		__entry->home_node = home_node;
		__entry->home_pid = home_pid;
	),
	TP_printk("pid=%d from=%u home=%u:%u", __entry->pid, __entry->from,
		  __entry->home_node, __entry->home_pid)
);

/* A guest's syscall answered by its home: number, result, round trip. */
TRACE_EVENT(forward,
	TP_PROTO(unsigned long nr, long ret, u64 latency_ns),
	TP_ARGS(nr, ret, latency_ns),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(unsigned long, nr)
		__field(long, ret)
		__field(u64, latency_ns)
	),
	TP_fast_assign(
		__entry->pid = current->pid;
		__entry->nr = nr;
		__entry->ret = ret;
		__entry->latency_ns = latency_ns;
	),
	TP_printk("pid=%d nr=%lu ret=%ld latency_ns=%llu", __entry->pid,
		  __entry->nr, __entry->ret, __entry->latency_ns)
);

/* A guest leaves for home, and why (reason: a short word). */
TRACE_EVENT(homecoming,
	TP_PROTO(pid_t pid, u16 home_node, u32 home_pid, const char *reason,
		 long nr),
	TP_ARGS(pid, home_node, home_pid, reason, nr),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(u16, home_node)
		__field(u32, home_pid)
		__string(reason, reason)
		__field(long, nr)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->home_node = home_node;
		__entry->home_pid = home_pid;
		__assign_str(reason, reason);
		__entry->nr = nr;
	),
	TP_printk("pid=%d home=%u:%u reason=%s nr=%ld", __entry->pid,
		  __entry->home_node, __entry->home_pid, __get_str(reason),
		  __entry->nr)
);

/* A deputy ends as its process ended away (wait status). */
TRACE_EVENT(deputy_exit,
	TP_PROTO(pid_t pid, u16 where, int status),
	TP_ARGS(pid, where, status),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(u16, where)
		__field(int, status)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->where = where;
		__entry->status = status;
	),
	TP_printk("pid=%d where=%u status=0x%x", __entry->pid, __entry->where,
		  __entry->status)
);

TRACE_EVENT(link_up,
	TP_PROTO(u16 node),
	TP_ARGS(node),
	TP_STRUCT__entry(
		__field(u16, node)
	),
	TP_fast_assign(
		__entry->node = node;
	),
	TP_printk("node=%u", __entry->node)
);

/* err: what ended the receive loop (-ETIMEDOUT: no heartbeat...). */
TRACE_EVENT(link_down,
	TP_PROTO(u16 node, int err),
	TP_ARGS(node, err),
	TP_STRUCT__entry(
		__field(u16, node)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->node = node;
		__entry->err = err;
	),
	TP_printk("node=%u err=%d", __entry->node, __entry->err)
);

/*
 * The balancer picks a move: the process, where to (0: its home), what it
 * gains (milli-processes), and the loads it compared (milli, per CPU).
 */
TRACE_EVENT(balance_decision,
	TP_PROTO(pid_t pid, u16 to, s64 gain, u64 load_here, u64 load_there),
	TP_ARGS(pid, to, gain, load_here, load_there),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(u16, to)
		__field(s64, gain)
		__field(u64, load_here)
		__field(u64, load_there)
	),
	TP_fast_assign(
		__entry->pid = pid;
		__entry->to = to;
		__entry->gain = gain;
		__entry->load_here = load_here;
		__entry->load_there = load_there;
	),
	TP_printk("pid=%d to=%u gain=%lld load_here=%llu load_there=%llu",
		  __entry->pid, __entry->to, __entry->gain, __entry->load_here,
		  __entry->load_there)
);

#endif /* _MIG_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>

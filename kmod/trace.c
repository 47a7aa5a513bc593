// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the tracepoints declared in trace.h, defined once here.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"

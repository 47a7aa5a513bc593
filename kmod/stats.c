// SPDX-License-Identifier: GPL-2.0
/*
 * mig: event counters reported by "migctl status".
 */
#include "mig.h"

atomic64_t mig_stats[__MIG_STAT_MAX];

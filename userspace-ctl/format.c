// SPDX-License-Identifier: GPL-2.0
/*
 * Table cells for sizes, durations and fixed-point figures. Integer
 * arithmetic where the value is exact (times, loads), so that a cell
 * never shows a rounding artefact such as "0.999".
 */
#include <inttypes.h>
#include <stdio.h>

#include "format.h"
#include "migctl.h"

void format_bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	double v = (double)b;
	size_t u = 0;

	if (b < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", b);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%s", v, units[u]);
}

void format_uptime(uint32_t s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%us", s);
	else if (s < 3600)
		snprintf(buf, len, "%um%02us", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%uh%02um", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%ud%02uh", s / 86400, s % 86400 / 3600);
}

/* Fresh reports come every second or so: tenths tell them apart. */
void format_age_ms(uint32_t ms, char *buf, size_t len)
{
	if (ms < 10000)
		snprintf(buf, len, "%u.%us", ms / 1000, ms % 1000 / 100);
	else
		format_uptime(ms / 1000, buf, len);
}

void format_us_as_ms(uint32_t us, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%03u", us / 1000, us % 1000);
}

void format_milli(uint64_t milli, char *buf, size_t len)
{
	uint64_t hundredths = milli / 10 + (milli % 10 >= 5);

	snprintf(buf, len, "%" PRIu64 ".%02" PRIu64, hundredths / 100,
		 hundredths % 100);
}

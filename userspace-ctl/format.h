/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_FORMAT_H
#define MIGCTL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Short renderings of quantities for table cells, shared by the listings
 * so that one size or duration reads the same in every command.
 */

/* "512B", "4.0KiB", "16.3MiB": binary units, one decimal past bytes. */
void format_bytes(uint64_t b, char *buf, size_t len);
/* "5s", "2m05s", "3h02m", "4d03h". */
void format_uptime(uint32_t s, char *buf, size_t len);
/* "0.3s" below ten seconds, then as format_uptime(). */
void format_age_ms(uint32_t ms, char *buf, size_t len);
/* Microseconds as milliseconds with three decimals: "0.412". */
void format_us_as_ms(uint32_t us, char *buf, size_t len);
/* Thousandths with two decimals, rounded: 1996 is "2.00". */
void format_milli(uint64_t milli, char *buf, size_t len);

#endif /* MIGCTL_FORMAT_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIGCTL_ERRNAME_H
#define MIGCTL_ERRNAME_H

/*
 * Symbolic name of an errno value ("EEXIST"), or "errno N" for values not
 * in the table. The result may point to a static buffer.
 */
const char *errname(int errnum);

#endif /* MIGCTL_ERRNAME_H */

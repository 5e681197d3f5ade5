/*
 * status.c - achan_strerror.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <achan/common.h>

static const char *const names[] = {
	[ACHAN_OK] = "ACHAN_OK: success",
	[ACHAN_PENDING] = "ACHAN_PENDING: registered; the waker will be called",
	[ACHAN_CLOSED] = "ACHAN_CLOSED: closed (and drained, for receives)",
	[ACHAN_FULL] = "ACHAN_FULL: no room and no waiting receiver",
	[ACHAN_EMPTY] = "ACHAN_EMPTY: nothing to receive yet",
	[ACHAN_TIMEDOUT] = "ACHAN_TIMEDOUT: the deadline passed",
	[ACHAN_EINVAL] = "ACHAN_EINVAL: invalid argument or misuse",
	[ACHAN_EBUSY] = "ACHAN_EBUSY: futures are still registered",
	[ACHAN_EDEADLK] = "ACHAN_EDEADLK: the wait could never end",
	[ACHAN_ENOMEM] = "ACHAN_ENOMEM: out of memory",
	[ACHAN_NEWLY_CLOSED] = "ACHAN_NEWLY_CLOSED: closed by this call",
	[ACHAN_ALREADY_CLOSED] = "ACHAN_ALREADY_CLOSED: was already closed",
	[ACHAN_CANCELLED] = "ACHAN_CANCELLED: cancelled before it completed",
};

const char *
achan_strerror(int status)
{
	if (status < 0 || (unsigned)status >= sizeof(names) / sizeof(names[0]) ||
	    names[status] == NULL)
		return "ACHAN_?: unknown status";
	return names[status];
}

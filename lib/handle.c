/*
 * handle.c - the shared sender/receiver handle layer, written once for every
 * kind (object.h).  A handle is counted, not allocated: the public handle
 * structs are values holding the object pointer, which release clears, so a
 * second release of the same handle is caught (ACHAN_EINVAL).
 *
 * Counts use atomic read-modify-writes in both flavours: clone and release
 * are not on the message path, and one code path is easier to trust.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <achan/common.h>

#include "fault.h"
#include "object.h"

void
achan__object_pair(struct achan__object *o, const struct achan__kind *kind)
{
	o->kind = kind;
	o->senders = 1;
	o->receivers = 1;
	o->refs = 2;
	o->paired = 1;
}

static uint32_t *
role_count(struct achan__object *o, int role)
{
	return role == ACHAN__ROLE_SENDER ? &o->senders : &o->receivers;
}

int
achan__handle_clone(struct achan__object *o, int role)
{
	uint32_t *count = role_count(o, role);
	/* relaxed: a count, as in the CAS below */
	uint32_t n = __atomic_load_n(count, __ATOMIC_RELAXED);

	if (o->kind->single[role])
		return ACHAN_EINVAL;
	/* The caller holds a live handle of this role, so n >= 1 and it can
	 * only grow under us - unless the caller is misusing a released one:
	 * refuse to resurrect a count that already reached 0. */
	do {
		if (n == 0 || n == UINT32_MAX)
			return ACHAN_EINVAL;
		/* relaxed: a count; the caller's handle keeps o alive */
	} while (!__atomic_compare_exchange_n(count, &n, n + 1, 1,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	__atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
	return ACHAN_OK;
}

/* Model: model/handle_close.pml */
int
achan__handle_release(struct achan__object *o, int role)
{
	uint32_t *count = role_count(o, role);
	uint32_t n = __atomic_load_n(count, __ATOMIC_RELAXED);

	do {
		if (n == 0)
			return ACHAN_EINVAL;
		/* acq_rel: the last releaser of a role sees everything the
		 * others did before they let go, then runs the hook */
	} while (!__atomic_compare_exchange_n(count, &n, n - 1, 1,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	ACHAN__FAULT(ACHAN__FP_HANDLE_RELEASE, o);
	if (n == 1) {
		if (role == ACHAN__ROLE_SENDER)
			o->kind->last_sender(o);
		else
			o->kind->last_receiver(o);
	}
	/* acq_rel: every access to o happens-before its free (object.h) */
	if (__atomic_fetch_sub(&o->refs, 1, __ATOMIC_ACQ_REL) == 1)
		o->kind->free(o);
	return ACHAN_OK;
}

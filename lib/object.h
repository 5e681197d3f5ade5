/*
 * object.h - internal only: the part of every channel kind that futures and
 * shared handles need, kind-independent, so the handle layer (handle.c) and
 * the future bookkeeping (waitq_impl.h) are written once for all kinds.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Lifetime of an object made as a pair of handles ("paired"):
 *
 *   refs = live handles + registered futures.  The object is freed by
 *   whoever drops refs to 0: the last handle release, or the finish (poll
 *   returning OK/CLOSED, or cancel) of the last registered future.  Futures
 *   keep the memory alive but are not senders or receivers: releasing the
 *   last sender handle calls kind->last_sender (a channel closes), the last
 *   receiver handle kind->last_receiver (a channel closes and discards what
 *   is buffered), whatever futures are still registered.
 *
 * Objects made with create/init are not paired: refs stays 0 and unused;
 * nfutures alone makes fini/destroy answer EBUSY.  A future counts in one
 * of the two (paired ? refs : nfutures), so registering costs one RMW.
 */
#ifndef ACHAN_LIB_OBJECT_H
#define ACHAN_LIB_OBJECT_H

#include <stdint.h>

#include <achan/common.h>

struct achan__object;

struct achan__kind {
	void (*last_sender)(struct achan__object *o);
	void (*last_receiver)(struct achan__object *o);
	void (*free)(struct achan__object *o);
	/* indexed by role: 1 if that role has exactly one handle, so clone
	 * is refused (a oneshot's sender and receiver).  0, the default of
	 * an initializer that leaves it out, means clonable. */
	uint8_t single[2];
};

struct achan__object {
	uint64_t nfutures;	/* not paired: registered futures (fini: EBUSY) */
	uint64_t refs;		/* paired: handles + registered futures */
	uint32_t senders;	/* paired: live sender handles */
	uint32_t receivers;	/* paired: live receiver handles */
	uint32_t paired;	/* 1: made as a pair; freed through refs */
	uint32_t local;		/* 1: single-thread flavour */
	const struct achan__kind *kind;
};

enum { ACHAN__ROLE_SENDER = 0, ACHAN__ROLE_RECEIVER = 1 };

/* Start a paired object's counts: one sender, one receiver. */
void achan__object_pair(struct achan__object *o, const struct achan__kind *kind);

/* Handle layer (handle.c): count +1 / -1; release runs the kind's hooks and
 * frees the object with the last reference.  ACHAN_EINVAL if that role has
 * no live handle (a release too many), or (clone) is single. */
int achan__handle_clone(struct achan__object *o, int role);
int achan__handle_release(struct achan__object *o, int role);

/*
 * The two helpers behind a kind's public clone and release functions, for
 * an object type T whose handles hold a T * and whose validity check is
 * OK(p) (magic number): written once here, instantiated in each kind's file.
 * Clone clears *out first and fills it on success; release clears the
 * handle's pointer, so a second release of the same handle is caught
 * (ACHAN_EINVAL).  Objects not made as a pair have no handles: EINVAL.
 */
#define ACHAN__DEFINE_HANDLE_HELPERS(T, OK)				\
static int								\
handle_clone(T *p, T **out, int role)					\
{									\
	int r;								\
									\
	if (out == NULL)						\
		return ACHAN_EINVAL;					\
	*out = NULL;							\
	if (!OK(p) || !p->obj.paired)					\
		return ACHAN_EINVAL;					\
	r = achan__handle_clone(&p->obj, role);				\
	if (r == ACHAN_OK)						\
		*out = p;						\
	return r;							\
}									\
									\
static int								\
handle_release(T **slot, int role)					\
{									\
	T *p = *slot;							\
									\
	if (!OK(p) || !p->obj.paired)					\
		return ACHAN_EINVAL;					\
	*slot = NULL;							\
	return achan__handle_release(&p->obj, role);			\
}

#endif /* ACHAN_LIB_OBJECT_H */

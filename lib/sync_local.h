/*
 * sync_local.h - internal only: the single-thread synchronisation policy
 * (ACHAN_LOCAL).  The vocabulary of sync_mt.h, as plain memory operations:
 * no atomic instructions, no fences, no locks, no futex.  One thread (an
 * event loop, a coroutine scheduler) owns the object, so nothing can
 * interleave with these operations; blocking calls that would have to wait
 * answer ACHAN_EDEADLK instead (SYNC_THREADS 0).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_LIB_SYNC_H
#define ACHAN_LIB_SYNC_H

#include "compiler.h"
#include "lock.h"

#define SYNC_THREADS 0

#define sync_load(p, mo)        (*(p))
#define sync_store(p, v, mo)    ((void)(*(p) = (v)))
#define sync_cas(p, expp, v, mo) __extension__ ({ \
	int ok_ = *(p) == *(expp); \
	if (ok_) \
		*(p) = (v); \
	else \
		*(expp) = *(p); \
	ok_; })
#define sync_xchg(p, v, mo) \
	__extension__ ({ __typeof__(*(p)) o_ = *(p); *(p) = (v); o_; })
#define sync_fetch_or(p, v, mo) \
	__extension__ ({ __typeof__(*(p)) o_ = *(p); *(p) = o_ | (v); o_; })
#define sync_fetch_and(p, v, mo) \
	__extension__ ({ __typeof__(*(p)) o_ = *(p); *(p) = o_ & (v); o_; })
#define sync_fetch_add(p, v, mo) \
	__extension__ ({ __typeof__(*(p)) o_ = *(p); *(p) = o_ + (v); o_; })
#define sync_fetch_sub(p, v, mo) \
	__extension__ ({ __typeof__(*(p)) o_ = *(p); *(p) = o_ - (v); o_; })
#define sync_fence_sc()          ((void)0)
#define sync_lock(l)             ((void)(l))
#define sync_unlock(l)           ((void)(l))

#endif /* ACHAN_LIB_SYNC_H */

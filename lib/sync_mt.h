/*
 * sync_mt.h - internal only: the thread-safe synchronisation policy.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The algorithms (ring.h, waitq_impl.h, chan_impl.h) are written once
 * against the small vocabulary below and compiled under two policies: this
 * one, where every operation is the C11 atomic it names, and sync_local.h,
 * where the same operations are plain loads and stores for objects that
 * only one thread ever touches (ACHAN_LOCAL).  Include exactly one policy
 * header before the algorithm headers in a translation unit.
 *
 *   sync_load(p, MO) / sync_store(p, v, MO)   atomic load / store, order MO
 *   sync_cas(p, expp, v, MO)                  weak CAS; failure is relaxed
 *   sync_xchg / sync_fetch_or / sync_fetch_and /
 *   sync_fetch_add / sync_fetch_sub (p, v, MO)
 *   sync_fence_sc()                           the Dekker fence (compiler.h)
 *   sync_lock(l) / sync_unlock(l)             a waiter-queue lock (lock.h)
 *   SYNC_THREADS                              1: blocking calls may park
 *
 * MO is one of RELAXED, ACQUIRE, RELEASE, ACQ_REL, SEQ_CST.
 */
#ifndef ACHAN_LIB_SYNC_H
#define ACHAN_LIB_SYNC_H

#include "compiler.h"
#include "lock.h"

#define SYNC_THREADS 1

#define sync_load(p, mo)        __atomic_load_n((p), __ATOMIC_##mo)
#define sync_store(p, v, mo)    __atomic_store_n((p), (v), __ATOMIC_##mo)
#define sync_cas(p, expp, v, mo) \
	__atomic_compare_exchange_n((p), (expp), (v), 1, __ATOMIC_##mo, \
	    __ATOMIC_RELAXED)
#define sync_xchg(p, v, mo)      __atomic_exchange_n((p), (v), __ATOMIC_##mo)
#define sync_fetch_or(p, v, mo)  __atomic_fetch_or((p), (v), __ATOMIC_##mo)
#define sync_fetch_and(p, v, mo) __atomic_fetch_and((p), (v), __ATOMIC_##mo)
#define sync_fetch_add(p, v, mo) __atomic_fetch_add((p), (v), __ATOMIC_##mo)
#define sync_fetch_sub(p, v, mo) __atomic_fetch_sub((p), (v), __ATOMIC_##mo)
#define sync_fence_sc()          achan__fence_seq_cst()
#define sync_lock(l)             achan__lock_acquire(l)
#define sync_unlock(l)           achan__lock_release(l)

#endif /* ACHAN_LIB_SYNC_H */

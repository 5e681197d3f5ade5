/*
 * compiler.h - internal only: small compiler and CPU helpers shared by every
 * translation unit of libachan.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_LIB_COMPILER_H
#define ACHAN_LIB_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <ck_cc.h>
#include <ck_md.h>

#define achan__likely(x)   __builtin_expect(!!(x), 1)
#define achan__unlikely(x) __builtin_expect(!!(x), 0)

/* The fast paths are measured with everything inlined into the exported
 * call; a slow path grown beside them must not change that. */
#define achan__always_inline inline __attribute__((always_inline))
#define achan__noinline __attribute__((noinline))

/* Cache-line size and alignment come from Concurrency Kit (ck_md / ck_cc). */
#define ACHAN__CACHELINE CK_MD_CACHELINE
#define ACHAN__CACHE_ALIGNED CK_CC_CACHELINE

#define achan__container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* A polite busy-wait step: tells the core we spin (pause on x86). */
static inline void
achan__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* n polite busy-wait steps: the one spin loop of every exponential backoff
 * (ring_backoff, inflight_pause, snooze), each passing 1 << its step. */
static inline void
achan__cpu_relax_n(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		achan__cpu_relax();
}

/* Is this a ThreadSanitizer build (gcc or clang)? */
#if defined(__SANITIZE_THREAD__)
#define ACHAN__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ACHAN__TSAN 1
#endif
#endif

/*
 * The full fence of the store-buffering (Dekker) pattern in the wakeup
 * protocols.  ThreadSanitizer does not model atomic_thread_fence (gcc
 * warns that it is unsupported), so under TSan the fence becomes a seq_cst
 * RMW on one shared word.  On the machine that is still a full barrier (a
 * locked instruction on x86), so the protocol runs as in a normal build.
 * To TSan it is an acquire-release edge between any two threads that pass
 * it - an edge a fence does not give, so it could hide a race between two
 * fencing threads.  It does not model the pairing with the other side's
 * seq_cst operations (TSan checks data races, not store buffering): that
 * argument is chan_impl.h's, checked by the Spin models.  Normal builds
 * keep the plain fence.
 */
#ifdef ACHAN__TSAN
extern uint64_t achan__tsan_fence_word;
static inline void
achan__fence_seq_cst(void)
{
	(void)__atomic_fetch_add(&achan__tsan_fence_word, 0, __ATOMIC_SEQ_CST);
}
#else
static inline void
achan__fence_seq_cst(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
#endif

#endif /* ACHAN_LIB_COMPILER_H */

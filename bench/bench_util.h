/*
 * bench/bench_util.h - small helpers shared by achan-bench and achan-peer.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * What it provides (all static inline, no state):
 *  - bench_now(): CLOCK_MONOTONIC in seconds, the clock every figure uses;
 *  - bench_cpu_seconds(): user + system CPU time of the whole process
 *    (getrusage(RUSAGE_SELF) covers every thread, including joined ones),
 *    so a difference taken around a measured region is that region's CPU;
 *  - bench_slice(): producer p of P sends the values [first, first + count);
 *    the slices of all producers are exactly 0..N-1, whose sum is
 *    bench_expected_sum(N), which the consumers' count and sum are checked
 *    against;
 *  - bench_parse_u64(): strict decimal parsing for the command lines.
 */
#ifndef ACHAN_BENCH_UTIL_H
#define ACHAN_BENCH_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* Keeps per-thread records on their own cache lines. */
#define BENCH_CACHELINE 64

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double bench_tv_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

/* User + system CPU seconds consumed so far by every thread of the process. */
static inline double bench_cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0.0;
	return bench_tv_seconds(&ru.ru_utime) + bench_tv_seconds(&ru.ru_stime);
}

/* Producer p of P sends [*first, *first + *count) out of 0..n-1. */
static inline void bench_slice(uint64_t n, uint64_t producers, uint64_t p,
		uint64_t *first, uint64_t *count)
{
	uint64_t base = n / producers, extra = n % producers;

	*count = base + (p < extra ? 1 : 0);
	*first = p * base + (p < extra ? p : extra);
}

/* 0 + 1 + ... + (n - 1), exact for n < 2^32 and wrapping (like the
 * consumers' sums) beyond: both sides wrap the same way. */
static inline uint64_t bench_expected_sum(uint64_t n)
{
	return n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
}

/* Parse a whole decimal string into *out; 0 on success, -1 otherwise. */
static inline int bench_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (uint64_t)v;
	return 0;
}

#endif /* ACHAN_BENCH_UTIL_H */

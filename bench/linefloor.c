/*
 * bench/linefloor.c - the hardware floor of a cross-core ping-pong, as one
 * more peer of ../shared/peers (same CLI and output line).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 *   linefloor pingpong 1 1 CAP ROUNDTRIPS
 *       linefloor,pingpong,1,1,cap,roundtrips,seconds,ns_per_roundtrip
 *   linefloor stream ...   prints SKIP (it is not a channel)
 *
 * Two threads bounce ONE cache line: the main thread stores an odd counter,
 * the echo thread waits for it and stores the next even one, both spinning
 * with `pause` and never parking.  A round trip is therefore two transfers of
 * a single line between the cores, the least any cross-core handoff can cost:
 * a channel moves at least that line (its "value is ready" word) each way.
 * A peer that beats this figure did not cross cores -- Go's goroutines, with
 * GOMAXPROCS >= 2, often run both ends of a ping-pong on one P and switch in
 * user space.  No channel built on OS threads that sit on two cores can.
 *
 * The start barrier and the clock are as in the peers: all threads exist
 * before the clock starts, CLOCK_MONOTONIC around the round-trip loop.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

static _Atomic uint64_t line __attribute__((aligned(BENCH_CACHELINE)));
static uint64_t rounds;
static pthread_barrier_t start_bar;

static void
wait_for(uint64_t want)
{
	/* acquire: pairs with the other side's release store, so the round
	 * trip is a real happens-before chain, as in a channel */
	while (atomic_load_explicit(&line, memory_order_acquire) != want)
		__builtin_ia32_pause();
}

static void *
echo(void *arg)
{
	uint64_t i;

	pthread_barrier_wait(&start_bar);
	for (i = 1; i <= rounds; i++) {
		wait_for(2 * i - 1);
		/* release: pairs with the main thread's acquire in wait_for */
		atomic_store_explicit(&line, 2 * i, memory_order_release);
	}
	return arg;
}

int
main(int argc, char **argv)
{
	pthread_t t;
	double t0, t1;
	uint64_t i;

	if (argc != 6) {
		fprintf(stderr, "usage: linefloor stream|pingpong PRODUCERS CONSUMERS CAPACITY MESSAGES\n");
		return 2;
	}
	if (strcmp(argv[1], "pingpong") != 0) {
		fprintf(stderr, "NOTE linefloor measures only pingpong\n");
		printf("linefloor,%s,%s,%s,%s,%s,SKIP,SKIP\n", argv[1], argv[2],
		    argv[3], argv[4], argv[5]);
		return 0;
	}
	rounds = strtoull(argv[5], NULL, 10);
	pthread_barrier_init(&start_bar, NULL, 2);
	if (pthread_create(&t, NULL, echo, NULL) != 0) {
		fprintf(stderr, "linefloor: pthread_create failed\n");
		return 1;
	}
	pthread_barrier_wait(&start_bar);
	t0 = bench_now();
	for (i = 1; i <= rounds; i++) {
		/* release: pairs with the echo thread's acquire in wait_for */
		atomic_store_explicit(&line, 2 * i - 1, memory_order_release);
		wait_for(2 * i);
	}
	t1 = bench_now();
	pthread_join(t, NULL);
	printf("linefloor,pingpong,%s,%s,%s,%s,%.6f,%.1f\n", argv[2], argv[3],
	    argv[4], argv[5], t1 - t0,
	    rounds ? (t1 - t0) * 1e9 / (double)rounds : 0.0);
	return 0;
}

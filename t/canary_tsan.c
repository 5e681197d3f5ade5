/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * canary_tsan.c - proves that ThreadSanitizer is awake.
 *
 * Two threads meet at a barrier and then increment a plain int with no
 * synchronisation: a data race that TSan must report.  The program itself
 * always prints a passing TAP line and returns 0; under TSan the report
 * turns the exit status into 66 (TSan's default exitcode).
 *
 * Makefile.am builds it only for --enable-tsan, as t/tsan.canary, judged by
 * exit status and listed in XFAIL_TESTS: exit 66 is the expected failure
 * (XFAIL), while exit 0 means TSan saw nothing (not linked in, or
 * t/tsan.supp suppresses too much) and is an XPASS, which fails
 * `make check`.
 */
#include <pthread.h>
#include <stdio.h>

enum { CANARY_THREADS = 2, CANARY_LOOPS = 100000 };

static pthread_barrier_t canary_start;
static int canary_counter; /* the race: plain int, no lock, no atomics */

static void *canary_worker(void *arg)
{
	(void)arg;
	/* Make the two threads' loops overlap in time, not only in theory
	 * (TSan reports unordered accesses either way). */
	pthread_barrier_wait(&canary_start);
	for (int i = 0; i < CANARY_LOOPS; i++)
		canary_counter++;
	return NULL;
}

int main(void)
{
	pthread_t threads[CANARY_THREADS];

	printf("1..1\n");
	fflush(stdout);
	if (pthread_barrier_init(&canary_start, NULL, CANARY_THREADS) != 0) {
		printf("Bail out! pthread_barrier_init failed\n");
		return 99;
	}
	for (int i = 0; i < CANARY_THREADS; i++) {
		if (pthread_create(&threads[i], NULL, canary_worker, NULL) != 0) {
			printf("Bail out! pthread_create failed\n");
			return 99;
		}
	}
	for (int i = 0; i < CANARY_THREADS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&canary_start);
	printf("ok 1 - raced on a plain int (TSan must report it)\n");
	return 0;
}

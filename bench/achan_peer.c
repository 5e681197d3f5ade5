/*
 * bench/achan_peer.c - achan as one more "peer" of /work/shared/peers, so
 * that peers/run.sh (EXTRA_PEER=/path/to/achan-peer) interleaves it with the
 * other channel libraries in one run on one machine.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * CLI and output are the peers' (peers/README.md "CLI and output"):
 *
 *   achan-peer stream|pingpong|select PRODUCERS CONSUMERS CAPACITY MESSAGES
 *
 *   stream:   achan,stream,P,C,cap,messages,seconds,mmsgs_per_s
 *             P threads send a disjoint slice each of 0..MESSAGES-1 with the
 *             blocking achan_chan_send() into one channel of CAPACITY 8-byte
 *             values; C threads achan_chan_recv() until ACHAN_CLOSED; the last
 *             producer to finish closes the channel.  Count and sum are
 *             checked: a mismatch prints FAIL and exits 1.  Seconds run from
 *             the first worker's start to the last worker's end.
 *   pingpong: achan,pingpong,1,1,cap,roundtrips,seconds,ns_per_roundtrip
 *             two channels of CAPACITY; the main thread sends i on one and
 *             waits for the echo thread to send it back on the other.
 *   select:   achan,select,P,C,cap,messages,seconds,mmsgs_per_s
 *             (peers/run-select.sh) as stream, over two channels A and B of
 *             CAPACITY: producer p sends its slice with achan_chan_send() to
 *             A if p is even, else to B; the last producer of a channel
 *             closes it (B at once when P == 1: it has none, as Go's
 *             WaitGroup of zero and Rust's dropped sender do); each of the C
 *             consumers loops on achan_select() over "recv A" and "recv B"
 *             (default flavour: random start, as Go's select and
 *             crossbeam's select!), switching a case to ACHAN_SELECT_NONE
 *             when it answers ACHAN_CLOSED, until both are closed and
 *             drained.  Count and sum are checked as for stream.
 *             ACHAN_PEER_SELECT=biased uses ACHAN_SELECT_BIASED instead.
 *
 * All threads exist before the clock starts (start barrier); the clock is
 * CLOCK_MONOTONIC.  CAPACITY 0 is achan's native unbuffered (rendezvous)
 * channel, so no capacity NOTE is ever printed (ACHAN_PEER_RUSAGE=1 adds a
 * NOTE of context switches: see report_rusage).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <achan.h>

#include "bench_util.h"

#define PEER "achan"

enum workload { WL_STREAM, WL_PINGPONG, WL_SELECT, WL_BURST };
static const char *const wl_names[] = { "stream", "pingpong", "select", "burst" };

struct args {
	enum workload wl;
	uint64_t producers, consumers, capacity, messages;
	uint64_t batch;		/* burst: values per call (default 32) */
};

#define BURST_MAX 4096

struct worker {
	uint64_t id;
	uint64_t n, sum;
	double t_start, t_end;
	int err;  /* an unexpected achan status, or 0 */
} __attribute__((aligned(BENCH_CACHELINE)));

static struct args A;
/* stream: ch1; pingpong: ch1 there, ch2 back; select: ch1 = A, ch2 = B */
static struct achan_chan *ch1, *ch2;
static pthread_barrier_t start_bar;
/* producers still sending into ch1 (select: [0] into A, [1] into B) */
static atomic_ulong producers_left[2];
static unsigned select_flags;

static void usage(void)
{
	fprintf(stderr, "usage: %s stream|pingpong|select PRODUCERS CONSUMERS CAPACITY MESSAGES\n"
			"       %s burst PRODUCERS CONSUMERS CAPACITY MESSAGES [BATCH]\n",
			PEER, PEER);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	A.batch = 32;
	if (argc == 7 && strcmp(argv[1], "burst") == 0) {
		if (bench_parse_u64(argv[6], &A.batch) || A.batch < 1 ||
				A.batch > BURST_MAX)
			usage();
	} else if (argc != 6) {
		usage();
	}
	if (strcmp(argv[1], "burst") == 0)
		A.wl = WL_BURST;
	else if (strcmp(argv[1], "stream") == 0)
		A.wl = WL_STREAM;
	else if (strcmp(argv[1], "pingpong") == 0)
		A.wl = WL_PINGPONG;
	else if (strcmp(argv[1], "select") == 0)
		A.wl = WL_SELECT;
	else {
		fprintf(stderr, "%s: unknown workload '%s'\n", PEER, argv[1]);
		exit(2);
	}
	if (bench_parse_u64(argv[2], &A.producers) || bench_parse_u64(argv[3], &A.consumers) ||
			bench_parse_u64(argv[4], &A.capacity) ||
			bench_parse_u64(argv[5], &A.messages) || A.producers < 1 ||
			A.consumers < 1 || A.messages < 1 || A.producers > 4096 ||
			A.consumers > 4096) {
		fprintf(stderr, "%s: bad arguments\n", PEER);
		exit(2);
	}
}

/* An achan call answered something it should not have: FAIL and exit 1. */
static void fail_status(const char *what, int st)
{
	int pp = A.wl == WL_PINGPONG;

	printf("%s,%s,%llu,%llu,%llu,%llu,FAIL,FAIL\n", PEER, wl_names[A.wl],
			(unsigned long long)(pp ? 1 : A.producers),
			(unsigned long long)(pp ? 1 : A.consumers),
			(unsigned long long)A.capacity, (unsigned long long)A.messages);
	fprintf(stderr, "FAIL %s: %s returned %s\n", PEER, what, achan_strerror(st));
	exit(1);
}

static struct achan_chan *make_chan(void)
{
	struct achan_chan *ch;
	int st = achan_chan_create(&ch, sizeof(uint64_t), (size_t)A.capacity, 0);

	if (st != ACHAN_OK)
		fail_status("achan_chan_create", st);
	return ch;
}

static void *producer(void *arg)
{
	struct worker *w = arg;
	/* select: even producers feed A (ch1), odd ones B (ch2) */
	unsigned side = A.wl == WL_SELECT ? (unsigned)(w->id % 2) : 0;
	struct achan_chan *ch = side ? ch2 : ch1;
	uint64_t first, count;

	bench_slice(A.messages, A.producers, w->id, &first, &count);
	pthread_barrier_wait(&start_bar);
	w->t_start = bench_now();
	if (A.wl == WL_BURST) {
		/* burst: BATCH values per achan_chan_send_many call */
		uint64_t buf[BURST_MAX], i = 0, b, j;
		size_t sent;
		int st;

		while (i < count) {
			b = count - i < A.batch ? count - i : A.batch;
			for (j = 0; j < b; j++)
				buf[j] = first + i + j;
			st = achan_chan_send_many(ch, buf, (size_t)b, &sent);
			if (st != ACHAN_OK) {
				w->err = st;
				break;
			}
			i += b;
		}
		count = 0;	/* done: skip the single-value loop */
	}
	for (uint64_t i = 0; i < count; i++) {
		uint64_t v = first + i;
		int st = achan_chan_send(ch, &v);

		if (st != ACHAN_OK) {
			w->err = st;
			break;
		}
	}
	/* The last producer out closes: acq_rel orders every producer's sends
	 * before the close. */
	if (atomic_fetch_sub_explicit(&producers_left[side], 1, memory_order_acq_rel) == 1)
		achan_chan_close(ch);
	w->t_end = bench_now();
	return NULL;
}

static void *consumer(void *arg)
{
	struct worker *w = arg;
	uint64_t v, n = 0, sum = 0;
	int st;

	pthread_barrier_wait(&start_bar);
	w->t_start = bench_now();
	if (A.wl == WL_BURST) {
		/* burst: up to BATCH values per achan_chan_recv_many call */
		uint64_t buf[BURST_MAX];
		size_t got, j;

		while ((st = achan_chan_recv_many(ch1, buf, (size_t)A.batch,
				&got)) == ACHAN_OK) {
			for (j = 0; j < got; j++)
				sum += buf[j];
			n += got;
		}
	} else {
		while ((st = achan_chan_recv(ch1, &v)) == ACHAN_OK) {
			n++;
			sum += v;
		}
	}
	w->t_end = bench_now();
	if (st != ACHAN_CLOSED)
		w->err = st;
	w->n = n;
	w->sum = sum;
	return NULL;
}

/* select: wait on "recv A" and "recv B" at once until both are closed and
 * drained; a closed channel's case becomes ACHAN_SELECT_NONE (Go's nil
 * channel, crossbeam's never()). */
static void *consumer_select(void *arg)
{
	struct worker *w = arg;
	struct achan_select_case c[2];
	uint64_t v, n = 0, sum = 0;
	unsigned open = 2;
	size_t i;
	int st = ACHAN_OK;

	achan_select_case_chan_recv(&c[0], ch1, &v);
	achan_select_case_chan_recv(&c[1], ch2, &v);
	pthread_barrier_wait(&start_bar);
	w->t_start = bench_now();
	while (open > 0) {
		st = achan_select(c, 2, select_flags, &i);
		if (st == ACHAN_OK) {
			n++;
			sum += v;
		} else if (st == ACHAN_CLOSED) {
			achan_select_case_none(&c[i]);
			open--;
		} else {
			w->err = st;
			break;
		}
	}
	w->t_end = bench_now();
	w->n = n;
	w->sum = sum;
	return NULL;
}

static void *echo(void *arg)
{
	struct worker *w = arg;
	uint64_t v;
	int st;

	pthread_barrier_wait(&start_bar);
	while ((st = achan_chan_recv(ch1, &v)) == ACHAN_OK) {
		st = achan_chan_send(ch2, &v);
		if (st != ACHAN_OK)
			break;
	}
	if (st != ACHAN_CLOSED)
		w->err = st;
	return NULL;
}

/* stream and select: P producers, C consumers, one clock over all of them */
static void run_stream(void)
{
	int sel = A.wl == WL_SELECT;
	uint64_t P = A.producers, C = A.consumers, n = 0, sum = 0;
	pthread_t *th = calloc(P + C, sizeof(*th));
	struct worker *w = aligned_alloc(BENCH_CACHELINE, (P + C) * sizeof(*w));
	double t0, t1;

	if (th == NULL || w == NULL) {
		fprintf(stderr, "%s: out of memory\n", PEER);
		exit(2);
	}
	memset(w, 0, (P + C) * sizeof(*w));
	ch1 = make_chan();
	if (sel) {
		ch2 = make_chan();
		/* A gets the even producers, B the odd ones */
		atomic_store(&producers_left[0], (unsigned long)((P + 1) / 2));
		atomic_store(&producers_left[1], (unsigned long)(P / 2));
		if (P / 2 == 0)
			achan_chan_close(ch2);  /* no producer: closed from the start */
	} else {
		atomic_store(&producers_left[0], (unsigned long)P);
	}
	pthread_barrier_init(&start_bar, NULL, (unsigned)(P + C + 1));
	for (uint64_t i = 0; i < P + C; i++) {
		w[i].id = i < P ? i : i - P;
		if (pthread_create(&th[i], NULL, i < P ? producer :
				sel ? consumer_select : consumer, &w[i])) {
			fprintf(stderr, "%s: pthread_create failed\n", PEER);
			exit(2);
		}
	}
	pthread_barrier_wait(&start_bar);
	for (uint64_t i = 0; i < P + C; i++)
		pthread_join(th[i], NULL);
	t0 = w[0].t_start;
	t1 = w[0].t_end;
	for (uint64_t i = 0; i < P + C; i++) {
		if (w[i].err)
			fail_status(i < P ? "achan_chan_send" :
					sel ? "achan_select" : "achan_chan_recv", w[i].err);
		if (w[i].t_start < t0)
			t0 = w[i].t_start;
		if (w[i].t_end > t1)
			t1 = w[i].t_end;
		if (i >= P) {
			n += w[i].n;
			sum += w[i].sum;
		}
	}
	if (n != A.messages || sum != bench_expected_sum(A.messages)) {
		printf("%s,%s,%llu,%llu,%llu,%llu,FAIL,FAIL\n", PEER, wl_names[A.wl],
				(unsigned long long)P, (unsigned long long)C,
				(unsigned long long)A.capacity, (unsigned long long)A.messages);
		fprintf(stderr, "FAIL %s: received %llu msgs sum %llu, expected %llu sum %llu\n",
				PEER, (unsigned long long)n, (unsigned long long)sum,
				(unsigned long long)A.messages,
				(unsigned long long)bench_expected_sum(A.messages));
		exit(1);
	}
	printf("%s,%s,%llu,%llu,%llu,%llu,%.6f,%.3f\n", PEER, wl_names[A.wl],
			(unsigned long long)P,
			(unsigned long long)C, (unsigned long long)A.capacity,
			(unsigned long long)A.messages, t1 - t0,
			(double)A.messages / (t1 - t0) / 1e6);
	if (sel)
		achan_chan_destroy(ch2);
	achan_chan_destroy(ch1);
	free(w);
	free(th);
}

static void run_pingpong(void)
{
	struct worker w = { 0 };
	pthread_t th;
	int ok = 1, st = ACHAN_OK;
	double t0, t1;

	ch1 = make_chan();
	ch2 = make_chan();
	pthread_barrier_init(&start_bar, NULL, 2);
	if (pthread_create(&th, NULL, echo, &w)) {
		fprintf(stderr, "%s: pthread_create failed\n", PEER);
		exit(2);
	}
	pthread_barrier_wait(&start_bar);
	t0 = bench_now();
	for (uint64_t i = 0; i < A.messages && ok; i++) {
		uint64_t v = ~i;

		st = achan_chan_send(ch1, &i);
		if (st == ACHAN_OK)
			st = achan_chan_recv(ch2, &v);
		ok = st == ACHAN_OK && v == i;
	}
	t1 = bench_now();
	achan_chan_close(ch1);
	pthread_join(th, NULL);
	if (st != ACHAN_OK)
		fail_status("pingpong send/recv", st);
	if (w.err)
		fail_status("echo send/recv", w.err);
	if (!ok) {
		printf("%s,pingpong,1,1,%llu,%llu,FAIL,FAIL\n", PEER,
				(unsigned long long)A.capacity, (unsigned long long)A.messages);
		fprintf(stderr, "FAIL %s: echoed value mismatch\n", PEER);
		exit(1);
	}
	printf("%s,pingpong,1,1,%llu,%llu,%.6f,%.1f\n", PEER, (unsigned long long)A.capacity,
			(unsigned long long)A.messages, t1 - t0,
			(t1 - t0) * 1e9 / (double)A.messages);
	achan_chan_destroy(ch2);
	achan_chan_destroy(ch1);
}

/*
 * ACHAN_PEER_RUSAGE=1: one more stderr line with the whole process's context
 * switches (voluntary: a thread slept in the kernel, i.e. parked; involuntary:
 * preempted) and CPU, to tell spinning from parking when tuning.  A NOTE,
 * so the peers' runner keeps it in its notes file.
 */
static void report_rusage(void)
{
	struct rusage ru;
	const char *e = getenv("ACHAN_PEER_RUSAGE");

	if (e == NULL || strcmp(e, "1") != 0 || getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	fprintf(stderr, "NOTE %s rusage: %s %llu %llu %llu %llu nvcsw=%ld nivcsw=%ld user=%.3f sys=%.3f\n",
			PEER, wl_names[A.wl],
			(unsigned long long)A.producers, (unsigned long long)A.consumers,
			(unsigned long long)A.capacity, (unsigned long long)A.messages,
			ru.ru_nvcsw, ru.ru_nivcsw,
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

int main(int argc, char **argv)
{
	const char *flavour = getenv("ACHAN_PEER_SELECT");

	parse_args(argc, argv);
	if (flavour != NULL && strcmp(flavour, "biased") == 0)
		select_flags = ACHAN_SELECT_BIASED;
	if (A.wl == WL_PINGPONG)
		run_pingpong();
	else
		run_stream();
	report_rusage();
	return 0;
}

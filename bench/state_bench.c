/*
 * bench/state_bench.c - achan-state-bench: the state broadcast channel
 * against a pthread_rwlock-protected state of the same size.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * One publisher replaces the state, R readers read it as fast as they can
 * (R = 0, 1, 2, 4, 8), for 8-byte and 4 KiB states, with the publisher
 * either at full speed or at 1 kHz (absolute clock_nanosleep ticks).
 * Implementations:
 *
 *   copy    achan_state_send / achan_state_try_recv(st, 0, ...): every read
 *           copies the whole current state out (inside an RCU read-side
 *           section)
 *   borrow  achan_state_borrow / _borrow_end: every read looks at the
 *           current state in place (first and last word)
 *   rw      pthread_rwlock_t (default attributes: reader-preferring)
 *           around the state: the publisher takes the write lock and copies
 *           the new state in; a read takes the read lock and copies the
 *           whole state out
 *   rw-wp   the same with a writer-preferring lock
 *           (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP), so the
 *           publisher is not starved by continuous readers
 *
 * Every read checks its state (word 0 is the id, the last word repeats it):
 * a torn read is a FAIL.  Metrics: reads/s summed over the readers, and the
 * publisher's sends/s.  Method: each cell runs --reps times (default 3),
 * interleaved rep -> cell -> impl, with the impl order rotated each rep;
 * the table shows medians and the ratios achan/rwlock (> 1: achan ahead).
 * The main thread only times a run: it starts every thread at a barrier,
 * sleeps, raises the stop flag, joins.  R = 0 measures the publisher
 * alone.
 *
 * Usage: achan-state-bench [-r REPS] [-t SECONDS_PER_RUN]
 * Default: 3 reps of 0.1 s per run, 18 cells x 4 impls per rep: about
 * 25 s.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <achan.h>

#include "bench_util.h"

#define MAX_READERS 8
#define MAX_REPS 101

enum impl { I_COPY, I_BORROW, I_RW, I_RWWP, NIMPL };
static const char *const impl_name[NIMPL] = { "copy", "borrow", "rw", "rw-wp" };

struct cell {
	size_t size;		/* state bytes: 8 or 4096 */
	int full;		/* 1: publisher at full speed, 0: 1 kHz */
	int readers;
};

struct rwstate {
	pthread_rwlock_t lock;
	uint64_t *words;	/* size / 8 words; word 0 = id = last word */
};

struct run {
	const struct cell *c;
	enum impl impl;
	struct achan_state *st;
	struct rwstate rw;
	size_t nwords;
	atomic_int stop;
	pthread_barrier_t start;
	atomic_ullong bad;
	uint64_t sent;
	int send_failed;
};

struct reader {
	pthread_t t;
	struct run *run;
	uint64_t reads;
	char pad[BENCH_CACHELINE];
};

static int
is_achan(enum impl i)
{
	return i == I_COPY || i == I_BORROW;
}

/* A state: word 0 is its id, and so is the last word (a torn read shows). */
static void
fill(uint64_t *w, size_t nwords, uint64_t id)
{
	w[0] = id;
	w[nwords - 1] = id;
}

static int
consistent(const uint64_t *w, size_t nwords)
{
	return w[0] == w[nwords - 1];
}

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	struct run *r = rd->run;
	size_t n = r->nwords;
	uint64_t *buf = calloc(n, sizeof(uint64_t));
	uint64_t reads = 0, bad = 0, id;
	struct achan_state_borrow b;
	const void *p;
	int rc;

	pthread_barrier_wait(&r->start);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		for (int i = 0; i < 64; i++) {
			switch (r->impl) {
			case I_COPY:
				rc = achan_state_try_recv(r->st, 0, buf, &id);
				bad += rc != ACHAN_OK || buf[0] != id ||
				    !consistent(buf, n);
				break;
			case I_BORROW:
				rc = achan_state_borrow(r->st, 0, &b, &p, &id);
				if (rc != ACHAN_OK) {
					bad++;
					break;
				}
				bad += ((const uint64_t *)p)[0] != id ||
				    !consistent(p, n);
				achan_state_borrow_end(&b);
				break;
			default:	/* I_RW, I_RWWP */
				pthread_rwlock_rdlock(&r->rw.lock);
				memcpy(buf, r->rw.words, n * sizeof(uint64_t));
				pthread_rwlock_unlock(&r->rw.lock);
				bad += !consistent(buf, n);
				break;
			}
		}
		reads += 64;
	}
	free(buf);
	rd->reads = reads;
	if (bad)
		atomic_fetch_add(&r->bad, bad);
	return NULL;
}

static void
tick_add(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

/* The publisher: full speed, or one send per absolute 1 ms tick. */
static void *
publisher_main(void *arg)
{
	struct run *r = arg;
	uint64_t *buf = calloc(r->nwords, sizeof(uint64_t));
	uint64_t id = 1, sent = 0;	/* id 1 was sent before the start */
	struct timespec tick;

	pthread_barrier_wait(&r->start);
	clock_gettime(CLOCK_MONOTONIC, &tick);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		fill(buf, r->nwords, ++id);
		if (is_achan(r->impl)) {
			if (achan_state_send(r->st, buf) != ACHAN_OK)
				r->send_failed = 1;
		} else {
			pthread_rwlock_wrlock(&r->rw.lock);
			memcpy(r->rw.words, buf, r->nwords * sizeof(uint64_t));
			pthread_rwlock_unlock(&r->rw.lock);
		}
		sent++;
		if (!r->c->full) {
			tick_add(&tick, 1000000L);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick,
			    NULL);
		}
	}
	r->sent = sent;
	free(buf);
	return NULL;
}

/*
 * One run of `secs`: the main thread only starts, times and stops it, so
 * a publisher starved by a reader-preferring rwlock cannot stretch it.
 */
static int
run_once(const struct cell *c, enum impl impl, double secs, double *reads_ps,
		double *sends_ps)
{
	struct run r;
	struct reader rd[MAX_READERS];
	pthread_t pub;
	pthread_rwlockattr_t attr;
	uint64_t *first, reads = 0;
	struct timespec nap;
	double t0, t1;
	int i, fail = 0;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.impl = impl;
	r.nwords = c->size / sizeof(uint64_t);
	/* a first state (id 1), so that every read finds one */
	first = calloc(r.nwords, sizeof(uint64_t));
	fill(first, r.nwords, 1);
	if (is_achan(impl)) {
		if (achan_state_create(&r.st, c->size, 0) != ACHAN_OK ||
		    achan_state_send(r.st, first) != ACHAN_OK)
			return -1;
	} else {
		pthread_rwlockattr_init(&attr);
		if (impl == I_RWWP)
			pthread_rwlockattr_setkind_np(&attr,
			    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&r.rw.lock, &attr);
		pthread_rwlockattr_destroy(&attr);
		r.rw.words = first;
		first = NULL;
	}
	pthread_barrier_init(&r.start, NULL, (unsigned)c->readers + 2);
	for (i = 0; i < c->readers; i++) {
		rd[i].run = &r;
		rd[i].reads = 0;
		pthread_create(&rd[i].t, NULL, reader_main, &rd[i]);
	}
	pthread_create(&pub, NULL, publisher_main, &r);
	pthread_barrier_wait(&r.start);
	t0 = bench_now();
	nap.tv_sec = (time_t)secs;
	nap.tv_nsec = (long)((secs - (double)nap.tv_sec) * 1e9);
	while (nanosleep(&nap, &nap) != 0)
		;
	atomic_store(&r.stop, 1);
	t1 = bench_now();
	pthread_join(pub, NULL);
	for (i = 0; i < c->readers; i++) {
		pthread_join(rd[i].t, NULL);
		reads += rd[i].reads;
	}
	*reads_ps = (double)reads / (t1 - t0);
	*sends_ps = (double)r.sent / (t1 - t0);
	if (atomic_load(&r.bad) != 0 || r.send_failed) {
		fprintf(stderr, "FAIL: %s, %zu B, %d readers: %llu bad reads%s\n",
		    impl_name[impl], c->size, c->readers,
		    (unsigned long long)atomic_load(&r.bad),
		    r.send_failed ? ", a send failed" : "");
		fail = 1;
	}
	pthread_barrier_destroy(&r.start);
	if (is_achan(impl)) {
		if (achan_state_destroy(r.st) != ACHAN_OK)
			fail = 1;
	} else {
		pthread_rwlock_destroy(&r.rw.lock);
		free(r.rw.words);
	}
	free(first);
	return fail ? -1 : 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	double s[MAX_REPS];

	memcpy(s, v, (size_t)n * sizeof(double));
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void
fmt_rate(char *out, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(out, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(out, len, "%.1fk", v / 1e3);
	else
		snprintf(out, len, "%.0f", v);
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 8, 4096 };
	static const int nreaders[] = { 0, 1, 2, 4, 8 };
	struct cell cells[2 * 2 * 5];
	static double reads[2 * 2 * 5][NIMPL][MAX_REPS];
	static double sends[2 * 2 * 5][NIMPL][MAX_REPS];
	int ncells = 0, reps = 3, opt, fail = 0;
	double secs = 0.1, t_start = bench_now(), load[3] = { 0, 0, 0 };

	while ((opt = getopt(argc, argv, "r:t:h")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: achan-state-bench [-r REPS] "
			    "[-t SECONDS_PER_RUN]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || !(secs > 0 && secs < 60)) {
		fprintf(stderr, "achan-state-bench: bad -r or -t\n");
		return 2;
	}
	for (size_t s = 0; s < 2; s++)
		for (int full = 1; full >= 0; full--)
			for (int k = 0; k < 5; k++) {
				if (!full && nreaders[k] == 0)
					continue;
				cells[ncells].size = sizes[s];
				cells[ncells].full = full;
				cells[ncells].readers = nreaders[k];
				ncells++;
			}
	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	printf("achan-state-bench: %d reps x %.2f s per run, %ld CPUs online, "
	    "load average %.2f %.2f %.2f\n", reps, secs,
	    sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
	fflush(stdout);

	for (int rep = 0; rep < reps; rep++)
		for (int ci = 0; ci < ncells; ci++)
			for (int k = 0; k < NIMPL; k++) {
				enum impl im = (enum impl)((k + rep) % NIMPL);

				if (run_once(&cells[ci], im, secs,
				    &reads[ci][im][rep], &sends[ci][im][rep]) != 0)
					fail = 1;
			}

	for (int ci = 0; ci < ncells; ci++) {
		const struct cell *c = &cells[ci];
		double mr[NIMPL], ms[NIMPL];
		char rs[NIMPL][16], ss[3][16];

		if (ci == 0 || c->size != cells[ci - 1].size ||
		    c->full != cells[ci - 1].full) {
			printf("\n%zu-byte state, publisher %s\n", c->size,
			    c->full ? "at full speed" : "at 1 kHz");
			printf("        | reads/s, all readers                  "
			    "  achan copy /   borrow | publisher sends/s          "
			    "   achan /\n");
			printf("readers |  a.copy  a.borrow        rw     rw-wp "
			    "|      rw   rw-wp       rw |   achan      rw   rw-wp "
			    "|     rw  rw-wp\n");
		}
		for (int k = 0; k < NIMPL; k++) {
			mr[k] = median(reads[ci][k], reps);
			ms[k] = median(sends[ci][k], reps);
			fmt_rate(rs[k], sizeof(rs[k]), mr[k]);
		}
		fmt_rate(ss[0], sizeof(ss[0]), ms[I_COPY]);
		fmt_rate(ss[1], sizeof(ss[1]), ms[I_RW]);
		fmt_rate(ss[2], sizeof(ss[2]), ms[I_RWWP]);
		if (c->readers == 0)
			printf("%7d | %7s %9s %9s %9s | %7s %7s %8s ",
			    c->readers, "-", "-", "-", "-", "-", "-", "-");
		else
			printf("%7d | %7s %9s %9s %9s | %7.2f %7.2f %8.2f ",
			    c->readers, rs[I_COPY], rs[I_BORROW], rs[I_RW],
			    rs[I_RWWP], mr[I_COPY] / mr[I_RW],
			    mr[I_COPY] / mr[I_RWWP], mr[I_BORROW] / mr[I_RW]);
		printf("| %7s %7s %7s | %6.2f %6.2f\n", ss[0], ss[1], ss[2],
		    ms[I_COPY] / ms[I_RW], ms[I_COPY] / ms[I_RWWP]);
	}
	printf("\nmedians of %d runs of %.2f s; rw: pthread_rwlock, default "
	    "(reader-preferring); rw-wp: writer-preferring;\nachan publisher: "
	    "its copy runs; ratios > 1: achan ahead.  Total %.1f s.\n", reps,
	    secs, bench_now() - t_start);
	if (fail)
		fprintf(stderr, "achan-state-bench: FAILED\n");
	return fail;
}

/*
 * stress/stress.c - achan-stress: the long threaded stress of every kind,
 * for `make stress` (stress/local.mk).
 *
 *   achan-stress [SECONDS]      (default $STRESS_SECONDS, else 120)
 *
 * The time is shared out among seven parts, each a series of runs with
 * different thread counts, capacities and modes:
 *
 *   chan      bounded channels, producers x consumers, capacity 1 .. 1024
 *   unbuf     unbuffered channels (capacity 0)
 *   handles   channels made as a pair: every producer and consumer holds
 *             a clone of its handle; the last sender's release closes, or
 *             (every other run) the consumers let go first and the last
 *             receiver's release discards what is left (counted by the
 *             element destructor)
 *   oneshot   request/response: each request carries a oneshot made in the
 *             requester's stack frame; a replier sends the reply (or closes
 *             it), and the requester tears it down the moment its receive
 *             returns
 *   bcast     rounds: one broadcast oneshot, one sender, three receivers
 *   state     one publisher, readers copying, borrowing, blocking and
 *             polling futures
 *   select    two channels A and B (bounded, unbuffered, or one of each):
 *             producers that select over {send A, send B} or send plain
 *             (p even to A, odd to B), consumers that select over {recv A,
 *             recv B} until both are closed (a case turns NONE once its
 *             channel answered CLOSED), and a third consumer that receives
 *             plain; in some runs A is closed mid-stream and the send
 *             selects go on through B
 *
 * Every user is blocking (plain or with a deadline), a try_ loop, or an
 * async future driven by a flag waker that cancels now and then (selects
 * likewise: achan_select / achan_select_until, achan_select_try, the select
 * future), or in the channel parts a batch user (mode M: send_many /
 * recv_many, their deadline, try and future forms, 1 to 32 values a call,
 * the count of what moved checked as each single value is).  Payload checks: every channel value is {producer id << 48 |
 * sequence, check word}; each consumer checks the check word and that each
 * producer's sequences arrive strictly increasing (per-producer FIFO; for
 * selects, per channel), and at the end, per producer (and channel), the
 * count and a hash sum of the sequences received (plus destroyed) must
 * equal those sent: exactly once, without a bitmap, so 10^9 messages fit
 * in any memory.  A send select counts its value sent on the channel of
 * the case that completed (a cancel answering ACHAN_OK included) and
 * retries the same value otherwise.  Oneshots: the right reply, CLOSED
 * exactly when closed.  Broadcast: every receiver gets the value.  State:
 * ids strictly increase at every reader, each value matches its id, and
 * every reader ends on the final state.  A future that waits 10 s for its
 * wake counts as a lost wakeup; a watchdog ends a run that hangs.
 *
 * At the end: messages moved per part and violations; the exit status is
 * 0 only if there were none (1 on a violation, 2 on a hang).
 *
 * Under ThreadSanitizer: run `make stress` in a build directory configured
 * with --enable-tsan (it links that build's libachan; the stress target
 * passes t/tsan.supp and, where the kernel needs it, runs it under
 * `setarch -R`).  TSan is 5-15x slower, so fewer messages move in the
 * same time; any report makes TSan exit non-zero.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <achan.h>

#define MAXT 8			/* producers or consumers per run */
#define WAKE_TIMEOUT_S 10	/* a future waiting this long lost its wake */

/* --- the parts and their tallies ----------------------------------------- */

enum part {
	P_CHAN, P_UNBUF, P_HANDLES, P_ONESHOT, P_BCAST, P_STATE, P_SELECT, P_N
};
static const char *const part_name[P_N] = {
	"chan", "unbuf", "handles", "oneshot", "bcast", "state", "select"
};
static const char *const part_unit[P_N] = {
	"messages", "messages", "messages", "replies", "copies", "states",
	"messages"
};
/* share of the time, in percent */
static const int part_share[P_N] = { 30, 12, 13, 10, 7, 13, 15 };

static atomic_ullong moved[P_N];	/* messages that went through */
static atomic_ullong extra[P_N];	/* reads (state), destroyed (handles),
					 * selects (select) */
static atomic_ullong viol[P_N];
static atomic_int reported;
static int cur_part;

static void
bad(int part, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bad(int part, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	atomic_fetch_add(&viol[part], 1);
	if (atomic_fetch_add(&reported, 1) >= 20)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "achan-stress: VIOLATION [%s] %s\n", part_name[part], buf);
}

/* --- time, randomness, waking -------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct timespec
in_us(long us)
{
	struct timespec t;
	long long ns;

	clock_gettime(ACHAN_CLOCK, &t);
	ns = t.tv_nsec + (long long)us * 1000;
	t.tv_sec += (time_t)(ns / 1000000000LL);
	t.tv_nsec = (long)(ns % 1000000000LL);
	return t;
}

static void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t
rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* splitmix64's finaliser: the check word and the hash of a sequence */
static uint64_t
mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
futex_wake_all(atomic_uint *a)
{
	syscall(SYS_futex, (unsigned *)a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
	    NULL, 0);
}

/* A flag waker; wait returns 0 after WAKE_TIMEOUT_S (a lost wakeup). */
struct flag {
	atomic_uint v;
	struct achan_waker w;
};

static void
flag_wake(void *arg)
{
	struct flag *f = arg;

	atomic_store_explicit(&f->v, 1, memory_order_release);
	futex_wake_all(&f->v);
}

static void
flag_init(struct flag *f)
{
	atomic_init(&f->v, 0);
	f->w.wake = flag_wake;
	f->w.arg = f;
}

static int
flag_wait(struct flag *f)
{
	double end = now_s() + WAKE_TIMEOUT_S;

	for (int i = 0; i < 200; i++)
		if (atomic_load_explicit(&f->v, memory_order_acquire))
			return 1;
	while (!atomic_load_explicit(&f->v, memory_order_acquire)) {
		struct timespec rel = { 0, 50 * 1000000L };

		if (now_s() > end)
			return 0;
		syscall(SYS_futex, (unsigned *)&f->v, FUTEX_WAIT_PRIVATE, 0u,
		    &rel, NULL, 0);
	}
	return 1;
}

typedef int (*poll_fn)(void *f, const struct achan_waker *w);
typedef int (*cancel_fn)(void *f);

/*
 * Drive a future: OK, CLOSED, or CANCELLED (cancelled first; the value
 * stays with the caller).  Cancels about once in 64 waits, before or after
 * the wake.
 */
static int
drive(struct flag *fl, uint64_t *rng, void *f, poll_fn poll, cancel_fn cancel)
{
	int rc, c;

	atomic_store(&fl->v, 0);
	rc = poll(f, &fl->w);
	while (rc == ACHAN_PENDING) {
		uint64_t r = rnd(rng);

		if ((r & 127) == 0)
			goto cancel;
		if (!flag_wait(fl)) {
			bad(cur_part, "a future waited %d s for its wake",
			    WAKE_TIMEOUT_S);
			goto cancel;
		}
		if (((r >> 8) & 127) == 0)
			goto cancel;
		atomic_store(&fl->v, 0);
		rc = poll(f, &fl->w);
	}
	return rc;
cancel:
	c = cancel(f);
	if (c != ACHAN_OK && c != ACHAN_CANCELLED)
		bad(cur_part, "cancel answered %s", achan_strerror(c));
	return c == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED;
}

/* ===== channels (chan, unbuf, handles) =================================== */

struct msg {
	uint64_t stamp;		/* producer id << 48 | sequence */
	uint64_t check;		/* mix(stamp) */
};

enum { M_BLOCK, M_TRY, M_ASYNC, M_BATCH };
#define BATCH_MAX 32	/* M_BATCH: up to this many values per call */

struct crun {
	int part, np, nc;
	size_t cap;
	int handles, discard;	/* handles part; consumers let go first */
	struct achan_chan *ch;
	struct achan_chan_sender tx;		/* handles: the originals, */
	struct achan_chan_receiver rx;		/* released after cloning */
	atomic_int stop;
	atomic_ullong dcount[MAXT], dhash[MAXT];	/* destroyed */
};

struct cworker {
	pthread_t t;
	struct crun *r;
	int id, mode;
	uint64_t rng;
	struct flag fl;
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	/* producer: sent; consumer: received, per producer */
	uint64_t count[MAXT], hash[MAXT], next[MAXT];
};

static int
s_poll(void *f, const struct achan_waker *w)
{
	return achan_chan_send_poll(f, w);
}

static int
s_cancel(void *f)
{
	return achan_chan_send_cancel(f);
}

static int
r_poll(void *f, const struct achan_waker *w)
{
	return achan_chan_recv_poll(f, w);
}

static int
r_cancel(void *f)
{
	return achan_chan_recv_cancel(f);
}

static int
sm_poll(void *f, const struct achan_waker *w)
{
	size_t n;

	return achan_chan_send_many_poll(f, w, &n);
}

static int
sm_cancel(void *f)
{
	size_t n;

	return achan_chan_send_many_cancel(f, &n);
}

/*
 * Batch mode: send msgs[0..n) with one of the batch calls (blocking, with
 * a deadline, try, or the future, cancelled now and then); *sent is how
 * many went in.  OK (all), or the status that stopped it.
 */
static int
c_send_batch(struct cworker *w, struct achan_chan *ch, const struct msg *m,
		size_t n, size_t *sent)
{
	struct achan_chan_send_many_future f;
	struct timespec dl;
	uint64_t r = rnd(&w->rng);
	size_t k;
	int rc;

	switch (r & 3) {
	case 0:
		return achan_chan_send_many(ch, m, n, sent);
	case 1:
		dl = in_us(500);
		return achan_chan_send_many_until(ch, m, n, &dl, sent);
	case 2:
		rc = achan_chan_try_send_many(ch, m, n, sent);
		if (rc == ACHAN_FULL)
			sched_yield();
		return rc;
	default:
		achan_chan_send_many_future_init(&f, ch, m, n);
		rc = drive(&w->fl, &w->rng, &f, sm_poll, sm_cancel);
		/* finished: cancel answers again, with the count */
		(void)achan_chan_send_many_cancel(&f, &k);
		*sent = k;
		return rc;
	}
}

/* Batch mode: receive up to max; OK (*got >= 1), CLOSED, or a status to
 * retry on. */
static int
c_recv_batch(struct cworker *w, struct achan_chan *ch, struct msg *m,
		size_t max, size_t *got)
{
	struct achan_chan_recv_many_future f;
	struct timespec dl;
	uint64_t r = rnd(&w->rng);
	size_t k;
	int rc;

	switch (r & 3) {
	case 0:
		return achan_chan_recv_many(ch, m, max, got);
	case 1:
		dl = in_us(500);
		return achan_chan_recv_many_until(ch, m, max, &dl, got);
	case 2:
		rc = achan_chan_try_recv_many(ch, m, max, got);
		if (rc == ACHAN_EMPTY)
			sched_yield();
		return rc;
	default:
		achan_chan_recv_many_future_init(&f, ch, m, max);
		atomic_store(&w->fl.v, 0);
		rc = achan_chan_recv_many_poll(&f, &w->fl.w, got);
		while (rc == ACHAN_PENDING) {
			if ((rnd(&w->rng) & 63) == 0 || !flag_wait(&w->fl)) {
				rc = achan_chan_recv_many_cancel(&f, &k);
				*got = k;
				return rc == ACHAN_OK ? ACHAN_OK :
				    ACHAN_CANCELLED;
			}
			atomic_store(&w->fl.v, 0);
			rc = achan_chan_recv_many_poll(&f, &w->fl.w, got);
		}
		return rc;
	}
}

static void
c_dtor(void *elem, void *arg)
{
	struct crun *r = arg;
	struct msg m;
	unsigned pid;

	memcpy(&m, elem, sizeof(m));
	pid = (unsigned)(m.stamp >> 48);
	if (m.check != mix(m.stamp) || pid >= (unsigned)r->np) {
		bad(r->part, "destroyed a corrupt value");
		return;
	}
	atomic_fetch_add_explicit(&r->dcount[pid], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->dhash[pid], mix(m.stamp & 0xffffffffffffull),
	    memory_order_relaxed);
}

/* Send until transferred (retrying a timed-out or cancelled value): OK or
 * CLOSED. */
static int
c_send(struct cworker *w, struct achan_chan *ch, const struct msg *m)
{
	struct achan_chan_send_future f;
	struct timespec dl;
	int rc;

	for (;;) {
		switch (w->mode) {
		case M_BLOCK:
			if ((rnd(&w->rng) & 63) != 0) {
				rc = achan_chan_send(ch, m);
			} else {
				dl = in_us(500);
				rc = achan_chan_send_until(ch, m, &dl);
			}
			break;
		case M_TRY:
			while ((rc = achan_chan_try_send(ch, m)) == ACHAN_FULL)
				sched_yield();
			break;
		default:
			achan_chan_send_future_init(&f, ch, m);
			rc = drive(&w->fl, &w->rng, &f, s_poll, s_cancel);
			break;
		}
		if (rc == ACHAN_OK || rc == ACHAN_CLOSED)
			return rc;
		if (rc != ACHAN_TIMEDOUT && rc != ACHAN_CANCELLED) {
			bad(w->r->part, "send: %s", achan_strerror(rc));
			return ACHAN_CLOSED;
		}
	}
}

static void *
c_producer(void *arg)
{
	struct cworker *w = arg;
	struct crun *r = w->r;
	struct achan_chan *ch = r->handles ? achan_chan_sender_chan(&w->tx) :
	    r->ch;
	uint64_t seq = 0;

	while (w->mode == M_BATCH) {
		struct msg mb[BATCH_MAX];
		size_t n = 1 + (size_t)(rnd(&w->rng) % BATCH_MAX), sent = 0, i;
		int rc;

		if (!r->discard &&
		    atomic_load_explicit(&r->stop, memory_order_relaxed))
			break;
		for (i = 0; i < n; i++) {
			mb[i].stamp = (uint64_t)w->id << 48 | (seq + i);
			mb[i].check = mix(mb[i].stamp);
		}
		rc = c_send_batch(w, ch, mb, n, &sent);
		for (i = 0; i < sent; i++) {	/* what went in counts */
			w->count[0]++;
			w->hash[0] += mix(seq);
			seq++;
		}
		if (rc == ACHAN_CLOSED)
			break;
		if (rc != ACHAN_OK && rc != ACHAN_FULL &&
		    rc != ACHAN_TIMEDOUT && rc != ACHAN_CANCELLED) {
			bad(r->part, "send_many: %s", achan_strerror(rc));
			break;
		}
	}
	for (; w->mode != M_BATCH;) {
		struct msg m;

		/* in the discard runs producers go on until the close */
		if (!r->discard && (seq & 63) == 0 &&
		    atomic_load_explicit(&r->stop, memory_order_relaxed))
			break;
		m.stamp = (uint64_t)w->id << 48 | seq;
		m.check = mix(m.stamp);
		if (c_send(w, ch, &m) != ACHAN_OK)
			break;
		w->count[0]++;
		w->hash[0] += mix(seq);
		seq++;
	}
	if (r->handles && achan_chan_sender_release(&w->tx) != ACHAN_OK)
		bad(r->part, "sender release");
	return NULL;
}

static int
c_recv(struct cworker *w, struct achan_chan *ch, struct msg *m)
{
	struct achan_chan_recv_future f;
	struct timespec dl;
	int rc;

	for (;;) {
		switch (w->mode) {
		case M_BLOCK:
			if ((rnd(&w->rng) & 63) != 0) {
				rc = achan_chan_recv(ch, m);
			} else {
				dl = in_us(500);
				rc = achan_chan_recv_until(ch, m, &dl);
			}
			break;
		case M_TRY:
			while ((rc = achan_chan_try_recv(ch, m)) == ACHAN_EMPTY) {
				if (w->r->discard &&
				    atomic_load_explicit(&w->r->stop,
				    memory_order_relaxed))
					return ACHAN_CLOSED;	/* let go */
				sched_yield();
			}
			break;
		default:
			achan_chan_recv_future_init(&f, ch, m);
			rc = drive(&w->fl, &w->rng, &f, r_poll, r_cancel);
			break;
		}
		if (rc == ACHAN_OK || rc == ACHAN_CLOSED)
			return rc;
		if (rc != ACHAN_TIMEDOUT && rc != ACHAN_CANCELLED) {
			bad(w->r->part, "recv: %s", achan_strerror(rc));
			return ACHAN_CLOSED;
		}
	}
}

static void *
c_consumer(void *arg)
{
	struct cworker *w = arg;
	struct crun *r = w->r;
	struct achan_chan *ch = r->handles ? achan_chan_receiver_chan(&w->rx) :
	    r->ch;
	uint64_t n = 0;
	struct msg m, mb[BATCH_MAX];
	size_t got = 0, at = 0;
	int rc;

	for (;;) {
		if (w->mode == M_BATCH) {
			if (at == got) {
				at = got = 0;
				rc = c_recv_batch(w, ch, mb,
				    1 + (size_t)(rnd(&w->rng) % BATCH_MAX), &got);
				if (rc == ACHAN_CLOSED)
					break;
				if (rc == ACHAN_OK && got == 0)
					bad(r->part, "recv_many: OK with none");
				if (rc != ACHAN_OK && rc != ACHAN_EMPTY &&
				    rc != ACHAN_TIMEDOUT &&
				    rc != ACHAN_CANCELLED) {
					bad(r->part, "recv_many: %s",
					    achan_strerror(rc));
					break;
				}
				if (r->discard && atomic_load_explicit(&r->stop,
				    memory_order_relaxed) && got == 0)
					break;	/* let go */
				continue;
			}
			m = mb[at++];
		} else if (c_recv(w, ch, &m) != ACHAN_OK) {
			break;
		}
		{
		unsigned pid = (unsigned)(m.stamp >> 48);
		uint64_t seq = m.stamp & 0xffffffffffffull;

		if (m.check != mix(m.stamp) || pid >= (unsigned)r->np) {
			bad(r->part, "corrupt value %016llx/%016llx",
			    (unsigned long long)m.stamp,
			    (unsigned long long)m.check);
			continue;
		}
		if (seq < w->next[pid])
			bad(r->part, "producer %u: sequence %llu after %llu "
			    "(duplicate or out of order)", pid,
			    (unsigned long long)seq,
			    (unsigned long long)w->next[pid] - 1);
		w->next[pid] = seq + 1;
		w->count[pid]++;
		w->hash[pid] += mix(seq);
		if ((++n & 1023) == 0 && r->discard &&
		    atomic_load_explicit(&r->stop, memory_order_relaxed))
			break;		/* let go: the last one discards */
		}
	}
	if (r->handles && achan_chan_receiver_release(&w->rx) != ACHAN_OK)
		bad(r->part, "receiver release");
	return NULL;
}

static int
pick_mode(int idx, int k, int producer, size_t cap)
{
	int m = (idx + k + (producer ? 0 : 1)) % 4;

	/* unbuffered: each side needs a user that waits, or try users on
	 * both sides could spin forever without meeting */
	if (cap == 0 && idx == 0 && m == M_TRY)
		m = producer ? M_BLOCK : M_ASYNC;
	return m;
}

static void
c_run(int part, int np, int nc, size_t cap, int discard, double secs, int k)
{
	struct crun *r = calloc(1, sizeof(*r));
	struct cworker *pw = calloc(MAXT, sizeof(*pw));
	struct cworker *cw = calloc(MAXT, sizeof(*cw));
	uint64_t sent[MAXT] = { 0 }, hsent[MAXT] = { 0 }, total = 0, gone = 0;
	char modes[2 * MAXT + 2];

	if (r == NULL || pw == NULL || cw == NULL) {
		fprintf(stderr, "achan-stress: out of memory\n");
		exit(2);
	}
	r->part = part;
	r->np = np;
	r->nc = nc;
	r->cap = cap;
	r->handles = part == P_HANDLES;
	r->discard = discard;
	if (r->handles) {
		if (achan_chan_pair(&r->tx, &r->rx, sizeof(struct msg), cap, 0) !=
		    ACHAN_OK)
			exit(2);
		r->ch = achan_chan_sender_chan(&r->tx);
	} else if (achan_chan_create(&r->ch, sizeof(struct msg), cap, 0) !=
	    ACHAN_OK) {
		exit(2);
	}
	achan_chan_set_elem_dtor(r->ch, c_dtor, r);
	for (int i = 0; i < np; i++) {
		pw[i].r = r;
		pw[i].id = i;
		pw[i].mode = pick_mode(i, k, 1, cap);
		pw[i].rng = mix((uint64_t)(k * 64 + i + 1));
		flag_init(&pw[i].fl);
		if (r->handles)
			achan_chan_sender_clone(&r->tx, &pw[i].tx);
	}
	for (int j = 0; j < nc; j++) {
		cw[j].r = r;
		cw[j].id = j;
		cw[j].mode = pick_mode(j, k, 0, cap);
		cw[j].rng = mix((uint64_t)(k * 64 + j + 33));
		flag_init(&cw[j].fl);
		if (r->handles)
			achan_chan_receiver_clone(&r->rx, &cw[j].rx);
	}
	if (r->handles) {	/* only the workers' clones remain */
		achan_chan_sender_release(&r->tx);
		achan_chan_receiver_release(&r->rx);
	}
	for (int i = 0; i < np; i++)
		pthread_create(&pw[i].t, NULL, c_producer, &pw[i]);
	for (int j = 0; j < nc; j++)
		pthread_create(&cw[j].t, NULL, c_consumer, &cw[j]);
	sleep_us((long)(secs * 1e6));
	atomic_store(&r->stop, 1);
	if (!r->handles) {
		for (int i = 0; i < np; i++)
			pthread_join(pw[i].t, NULL);
		achan_chan_close(r->ch);
		for (int j = 0; j < nc; j++)
			pthread_join(cw[j].t, NULL);
	} else {	/* the last release closes (or discards) */
		for (int j = 0; j < nc; j++)
			pthread_join(cw[j].t, NULL);
		for (int i = 0; i < np; i++)
			pthread_join(pw[i].t, NULL);
	}

	/* destroy runs the destructor on anything close left behind */
	if (!r->handles && achan_chan_destroy(r->ch) != ACHAN_OK)
		bad(part, "destroy");
	for (int i = 0; i < np; i++) {
		uint64_t got = atomic_load(&r->dcount[i]);
		uint64_t h = atomic_load(&r->dhash[i]);

		sent[i] = pw[i].count[0];
		hsent[i] = pw[i].hash[0];
		for (int j = 0; j < nc; j++) {
			got += cw[j].count[i];
			h += cw[j].hash[i];
		}
		if (got != sent[i] || h != hsent[i])
			bad(part, "%dx%d cap %zu%s: producer %d sent %llu, "
			    "received + destroyed %llu%s", np, nc, cap,
			    discard ? " discard" : "", i,
			    (unsigned long long)sent[i], (unsigned long long)got,
			    got == sent[i] ? " (same count, other values)" : "");
		total += sent[i];
		gone += atomic_load(&r->dcount[i]);
	}
	atomic_fetch_add(&moved[part], total);
	atomic_fetch_add(&extra[part], gone);
	for (int i = 0; i < np; i++)
		modes[i] = "BTAM"[pw[i].mode];
	modes[np] = '/';
	for (int j = 0; j < nc; j++)
		modes[np + 1 + j] = "BTAM"[cw[j].mode];
	modes[np + 1 + nc] = '\0';
	printf("  %-8s %dx%d cap %-4zu %-8s %-18s %12llu msgs %11.0f/s",
	    part_name[part], np, nc, cap, discard ? "discard" : "", modes,
	    (unsigned long long)total, (double)total / secs);
	if (gone)
		printf(" (%llu destroyed)", (unsigned long long)gone);
	printf("\n");
	fflush(stdout);
	free(r);
	free(pw);
	free(cw);
}

/* ===== oneshot: request / response ======================================= */

struct req {
	struct achan_oneshot *os;
	uint64_t id;
	int close_instead;
};

static void *
o_replier(void *arg)
{
	struct achan_chan *q = arg;
	struct req *rq;

	while (achan_chan_recv(q, &rq) == ACHAN_OK) {
		int close_instead = rq->close_instead;
		int rc = close_instead ? achan_oneshot_close(rq->os) :
		    achan_oneshot_send(rq->os, &rq->id);

		/* rq may be gone now: the requester tears it down as soon
		 * as its receive returns */
		if (close_instead ? rc != ACHAN_NEWLY_CLOSED : rc != ACHAN_OK)
			bad(P_ONESHOT, "reply: %s", achan_strerror(rc));
	}
	return NULL;
}

struct oworker {
	pthread_t t;
	struct achan_chan *q;
	int id, mode;
	uint64_t rng;
	struct flag fl;
	double end;
	uint64_t replies;
};

static int
o_poll(void *f, const struct achan_waker *w)
{
	return achan_oneshot_recv_poll(f, w);
}

static int
o_cancel(void *f)
{
	return achan_oneshot_recv_cancel(f);
}

static void *
o_requester(void *arg)
{
	struct oworker *w = arg;
	uint64_t n;

	for (n = 0; (n & 63) != 0 || now_s() < w->end; n++) {
		unsigned char mem[ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t))];
		struct achan_oneshot_recv_future f;
		struct achan_oneshot *os;
		struct req rq, *p = &rq;
		uint64_t out = 0;
		int rc;

		if (achan_oneshot_init(mem, sizeof(mem), sizeof(uint64_t), 0,
		    &os) != ACHAN_OK) {
			bad(P_ONESHOT, "init");
			break;
		}
		rq.os = os;
		rq.id = (uint64_t)w->id << 48 | n;
		rq.close_instead = (rnd(&w->rng) & 15) == 0;
		if (achan_chan_send(w->q, &p) != ACHAN_OK) {
			bad(P_ONESHOT, "request queue closed");
			break;
		}
		do {
			switch (w->mode) {
			case M_BLOCK:
				rc = achan_oneshot_recv(os, &out);
				break;
			case M_TRY:
				while ((rc = achan_oneshot_try_recv(os, &out)) ==
				    ACHAN_EMPTY)
					sched_yield();
				break;
			default:
				achan_oneshot_recv_future_init(&f, os, &out);
				rc = drive(&w->fl, &w->rng, &f, o_poll, o_cancel);
				break;
			}
		} while (rc == ACHAN_CANCELLED);
		/* the teardown promise: no wait for the replier */
		if (achan_oneshot_fini(os) != ACHAN_OK)
			bad(P_ONESHOT, "fini right after the receive");
		if (rq.close_instead ? rc != ACHAN_CLOSED :
		    rc != ACHAN_OK || out != rq.id)
			bad(P_ONESHOT, "request %016llx: %s, reply %016llx",
			    (unsigned long long)rq.id, achan_strerror(rc),
			    (unsigned long long)out);
		else if (rc == ACHAN_OK)
			w->replies++;
	}
	return NULL;
}

static void
o_run(double secs, int k)
{
	struct achan_chan *q;
	pthread_t rep[2];
	struct oworker w[3];
	uint64_t total = 0;
	char modes[4];

	if (achan_chan_create(&q, sizeof(struct req *), 16, 0) != ACHAN_OK)
		exit(2);
	for (int i = 0; i < 2; i++)
		pthread_create(&rep[i], NULL, o_replier, q);
	for (int i = 0; i < 3; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].q = q;
		w[i].id = i;
		w[i].mode = (i + k) % 3;
		w[i].rng = mix((uint64_t)(k * 16 + i + 99));
		w[i].end = now_s() + secs;
		flag_init(&w[i].fl);
		modes[i] = "BTA"[w[i].mode];
		pthread_create(&w[i].t, NULL, o_requester, &w[i]);
	}
	modes[3] = '\0';
	for (int i = 0; i < 3; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].replies;
	}
	achan_chan_close(q);
	for (int i = 0; i < 2; i++)
		pthread_join(rep[i], NULL);
	achan_chan_destroy(q);
	atomic_fetch_add(&moved[P_ONESHOT], total);
	printf("  %-8s 3 requesters, 2 repliers  %-18s %12llu replies %8.0f/s\n",
	    "oneshot", modes, (unsigned long long)total, (double)total / secs);
	fflush(stdout);
}

/* ===== broadcast oneshot: rounds ========================================= */

#define B_NR 3

struct bshared {
	struct achan_bcast *b;
	unsigned char mem[ACHAN_BCAST_MEMSIZE(sizeof(uint64_t))];
	uint64_t val;
	int closed;
	atomic_int stop;
	pthread_barrier_t start, end;
};

struct bworker {
	pthread_t t;
	struct bshared *sh;
	int mode;
	uint64_t rng;
	struct flag fl;
	uint64_t copies;
};

static int
b_poll(void *f, const struct achan_waker *w)
{
	return achan_bcast_recv_poll(f, w);
}

static int
b_cancel(void *f)
{
	return achan_bcast_recv_cancel(f);
}

static void *
b_receiver(void *arg)
{
	struct bworker *w = arg;
	struct bshared *sh = w->sh;

	for (;;) {
		struct achan_bcast_recv_future f;
		uint64_t out = 0;
		int rc;

		pthread_barrier_wait(&sh->start);
		if (atomic_load(&sh->stop))
			return NULL;
		do {
			switch (w->mode) {
			case M_BLOCK:
				rc = achan_bcast_recv(sh->b, &out);
				break;
			case M_TRY:
				while ((rc = achan_bcast_try_recv(sh->b, &out)) ==
				    ACHAN_EMPTY)
					sched_yield();
				break;
			default:
				achan_bcast_recv_future_init(&f, sh->b, &out);
				rc = drive(&w->fl, &w->rng, &f, b_poll, b_cancel);
				break;
			}
		} while (rc == ACHAN_CANCELLED);
		if (sh->closed ? rc != ACHAN_CLOSED : rc != ACHAN_OK || out != sh->val)
			bad(P_BCAST, "round %llu: %s, value %llu",
			    (unsigned long long)sh->val, achan_strerror(rc),
			    (unsigned long long)out);
		else if (rc == ACHAN_OK)
			w->copies++;
		pthread_barrier_wait(&sh->end);
	}
}

static void
b_run(double secs, int k)
{
	struct bshared *sh = calloc(1, sizeof(*sh));
	struct bworker w[B_NR];
	double end = now_s() + secs;
	uint64_t total = 0, rounds = 0, rng = mix((uint64_t)k + 7);
	char modes[B_NR + 1];

	if (sh == NULL)
		exit(2);
	pthread_barrier_init(&sh->start, NULL, B_NR + 1);
	pthread_barrier_init(&sh->end, NULL, B_NR + 1);
	for (int i = 0; i < B_NR; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].sh = sh;
		w[i].mode = (i + k) % 3;
		w[i].rng = mix((uint64_t)(k * 16 + i + 5));
		flag_init(&w[i].fl);
		modes[i] = "BTA"[w[i].mode];
		pthread_create(&w[i].t, NULL, b_receiver, &w[i]);
	}
	modes[B_NR] = '\0';
	while ((rounds & 31) != 0 || now_s() < end) {
		if (achan_bcast_init(sh->mem, sizeof(sh->mem), sizeof(uint64_t), 0,
		    &sh->b) != ACHAN_OK)
			exit(2);
		sh->val = rounds;
		sh->closed = (rnd(&rng) & 31) == 0;
		pthread_barrier_wait(&sh->start);
		if ((rnd(&rng) & 3) == 0)
			sched_yield();	/* receivers wait for it */
		if (sh->closed)
			achan_bcast_close(sh->b);
		else if (achan_bcast_send(sh->b, &sh->val) != ACHAN_OK)
			bad(P_BCAST, "send");
		pthread_barrier_wait(&sh->end);
		if (achan_bcast_fini(sh->b) != ACHAN_OK)
			bad(P_BCAST, "fini");
		rounds++;
	}
	atomic_store(&sh->stop, 1);
	pthread_barrier_wait(&sh->start);
	for (int i = 0; i < B_NR; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].copies;
	}
	pthread_barrier_destroy(&sh->start);
	pthread_barrier_destroy(&sh->end);
	free(sh);
	atomic_fetch_add(&moved[P_BCAST], total);
	printf("  %-8s 1 sender, %d receivers    %-18s %12llu copies  %8.0f/s "
	    "(%llu rounds)\n", "bcast", B_NR, modes, (unsigned long long)total,
	    (double)total / secs, (unsigned long long)rounds);
	fflush(stdout);
}

/* ===== state broadcast =================================================== */

#define S_NR 4

struct svalue {
	uint64_t id, check;
};

struct sshared {
	struct achan_state *st;
	uint64_t final_id;	/* written before the close */
};

struct sworker {
	pthread_t t;
	struct sshared *sh;
	int mode;	/* 0 try, 1 borrow, 2 blocking, 3 async */
	uint64_t rng;
	struct flag fl;
	uint64_t reads, last;
};

static int
st_poll(void *f, const struct achan_waker *w)
{
	return achan_state_recv_poll(f, w);
}

static int
st_cancel(void *f)
{
	return achan_state_recv_cancel(f);
}

static void
s_check(struct sworker *w, const struct svalue *v, uint64_t id)
{
	if (id <= w->last)
		bad(P_STATE, "id %llu after %llu", (unsigned long long)id,
		    (unsigned long long)w->last);
	if (v->id != id || v->check != mix(id))
		bad(P_STATE, "id %llu carried the state of %llu",
		    (unsigned long long)id, (unsigned long long)v->id);
	w->last = id;
	w->reads++;
}

static void *
s_reader(void *arg)
{
	struct sworker *w = arg;
	struct achan_state *st = w->sh->st;

	for (;;) {
		struct achan_state_recv_future f;
		struct achan_state_borrow b;
		struct timespec dl;
		struct svalue v;
		const void *p;
		uint64_t id = 0;
		int rc;

		switch (w->mode) {
		case 0:
			while ((rc = achan_state_try_recv(st, w->last, &v, &id)) ==
			    ACHAN_EMPTY)
				sched_yield();
			break;
		case 1:
			while ((rc = achan_state_borrow(st, w->last, &b, &p, &id)) ==
			    ACHAN_EMPTY)
				sched_yield();
			if (rc == ACHAN_OK) {
				memcpy(&v, p, sizeof(v));
				achan_state_borrow_end(&b);
			}
			break;
		case 2:
			if ((rnd(&w->rng) & 15) != 0) {
				rc = achan_state_recv(st, w->last, &v, &id);
			} else {
				dl = in_us(300);
				rc = achan_state_recv_until(st, w->last, &v, &id, &dl);
			}
			break;
		default:
			achan_state_recv_future_init(&f, st, w->last, &v, &id);
			rc = drive(&w->fl, &w->rng, &f, st_poll, st_cancel);
			break;
		}
		if (rc == ACHAN_CLOSED)
			break;
		if (rc == ACHAN_OK)
			s_check(w, &v, id);
		else if (rc != ACHAN_TIMEDOUT && rc != ACHAN_CANCELLED)
			bad(P_STATE, "recv: %s", achan_strerror(rc));
	}
	/* final_id was written before the close, which happens-before our
	 * CLOSED */
	if (w->last != w->sh->final_id)
		bad(P_STATE, "a reader ended on id %llu, the final id is %llu",
		    (unsigned long long)w->last,
		    (unsigned long long)w->sh->final_id);
	return NULL;
}

static void
s_run(double secs, int k)
{
	struct sshared sh;
	struct sworker w[S_NR];
	double end = now_s() + secs;
	uint64_t id = 0, reads = 0;

	(void)k;
	memset(&sh, 0, sizeof(sh));
	if (achan_state_create(&sh.st, sizeof(struct svalue), 0) != ACHAN_OK)
		exit(2);
	for (int i = 0; i < S_NR; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].sh = &sh;
		w[i].mode = i;
		w[i].rng = mix((uint64_t)(k * 16 + i + 11));
		flag_init(&w[i].fl);
		pthread_create(&w[i].t, NULL, s_reader, &w[i]);
	}
	while ((id & 255) != 0 || now_s() < end) {
		struct svalue v = { id + 1, mix(id + 1) };
		int rc = achan_state_send(sh.st, &v);

		if (rc != ACHAN_OK) {
			bad(P_STATE, "send: %s", achan_strerror(rc));
			break;
		}
		id++;
		if ((id & 1023) == 0)
			sleep_us(20);	/* the waiting readers sleep */
	}
	sh.final_id = id;
	if (achan_state_id(sh.st) != id)
		bad(P_STATE, "the final id %llu is not the number of sends %llu",
		    (unsigned long long)achan_state_id(sh.st),
		    (unsigned long long)id);
	achan_state_close(sh.st);
	for (int i = 0; i < S_NR; i++) {
		pthread_join(w[i].t, NULL);
		reads += w[i].reads;
	}
	if (achan_state_destroy(sh.st) != ACHAN_OK)
		bad(P_STATE, "destroy");
	atomic_fetch_add(&moved[P_STATE], id);
	atomic_fetch_add(&extra[P_STATE], reads);
	printf("  %-8s 1 publisher, %d readers   try/borrow/block/async "
	    "%12llu states  %8.0f/s (%llu reads)\n", "state", S_NR,
	    (unsigned long long)id, (double)id / secs, (unsigned long long)reads);
	fflush(stdout);
}

/* ===== select: selects over two channels ================================= */

struct xconf {
	int np, nc;
	size_t cap[2];
	int close_race;		/* A is closed mid-stream */
};

struct xrun {
	struct achan_chan *ch[2];
	int np;
	atomic_int stop;
};

struct xworker {
	pthread_t t;
	struct xrun *r;
	int id, mode;
	int sel;		/* selects over A and B; else plain on chan */
	int chan;
	uint64_t rng;
	struct flag fl;
	/* producer: [c][0] sent on channel c; consumer: [c][p] received */
	uint64_t count[2][MAXT], hash[2][MAXT], next[2][MAXT];
	uint64_t selects, cancelled;
};

enum { X_AGAIN = 1000 };

/* The select future, driven by drive() like every other future. */
struct xsel {
	struct achan_select sel;
	size_t idx;
};

static int
xs_poll(void *f, const struct achan_waker *w)
{
	struct xsel *x = f;

	return achan_select_poll(&x->sel, w, &x->idx);
}

static int
xs_cancel(void *f)
{
	struct xsel *x = f;

	return achan_select_cancel(&x->sel, &x->idx);
}

/* One select in w's mode: ACHAN_OK / ACHAN_CLOSED with *idx, X_AGAIN when no
 * case completed (deadline, try, cancel), or -1 (reported). */
static int
x_select(struct xworker *w, struct achan_select_case *cs, size_t n, size_t *idx)
{
	uint64_t r = rnd(&w->rng);
	unsigned flags = (r & 3) == 0 ? ACHAN_SELECT_BIASED : 0;
	struct timespec dl;
	struct xsel x;
	int rc;

	w->selects++;
	*idx = n;
	switch (w->mode) {
	case M_BLOCK:
		if (((r >> 2) & 15) != 0) {
			rc = achan_select(cs, n, flags, idx);
		} else {
			dl = in_us(500);
			rc = achan_select_until(cs, n, flags, &dl, idx);
		}
		break;
	case M_TRY:
		rc = achan_select_try(cs, n, flags, idx);
		break;
	default:
		if (achan_select_init(&x.sel, cs, n, flags) != ACHAN_OK) {
			bad(P_SELECT, "select init");
			return -1;
		}
		x.idx = n;
		rc = drive(&w->fl, &w->rng, &x, xs_poll, xs_cancel);
		*idx = x.idx;
		w->cancelled += rc == ACHAN_CANCELLED;
		break;
	}
	if (rc == ACHAN_TIMEDOUT || rc == ACHAN_EMPTY || rc == ACHAN_CANCELLED)
		return X_AGAIN;
	if ((rc != ACHAN_OK && rc != ACHAN_CLOSED) || *idx >= n ||
	    cs[*idx].kind == ACHAN_SELECT_NONE) {
		if (rc >= 0)
			bad(P_SELECT, "select answered %s, index %zu of %zu",
			    achan_strerror(rc), *idx, n);
		return -1;
	}
	return rc;
}

/* The cases over A and B in a random order (send: *cur; receive: outs);
 * a channel that answered CLOSED is a NONE case.  cmap: their channels. */
static void
x_cases(struct xworker *w, struct achan_select_case *cs, int *cmap,
		const int *open, const struct msg *cur, struct msg *outs)
{
	int first = (int)(rnd(&w->rng) & 1);

	for (int k = 0; k < 2; k++) {
		int c = first ^ k;

		cmap[k] = c;
		if (!open[c])
			achan_select_case_none(&cs[k]);
		else if (cur != NULL)
			achan_select_case_chan_send(&cs[k], w->r->ch[c], cur);
		else
			achan_select_case_chan_recv(&cs[k], w->r->ch[c], &outs[k]);
	}
}

/* A plain send in w's mode until the value is in: OK, or CLOSED. */
static int
x_send(struct xworker *w, struct achan_chan *ch, const struct msg *m)
{
	struct achan_chan_send_future f;
	int rc;

	for (;;) {
		switch (w->mode) {
		case M_BLOCK:
			rc = achan_chan_send(ch, m);
			break;
		case M_TRY:
			while ((rc = achan_chan_try_send(ch, m)) == ACHAN_FULL)
				sched_yield();
			break;
		default:
			achan_chan_send_future_init(&f, ch, m);
			rc = drive(&w->fl, &w->rng, &f, s_poll, s_cancel);
			break;
		}
		if (rc != ACHAN_CANCELLED)
			return rc;
	}
}

static int
x_recv(struct xworker *w, struct achan_chan *ch, struct msg *m)
{
	struct achan_chan_recv_future f;
	int rc;

	for (;;) {
		switch (w->mode) {
		case M_BLOCK:
			rc = achan_chan_recv(ch, m);
			break;
		case M_TRY:
			while ((rc = achan_chan_try_recv(ch, m)) == ACHAN_EMPTY)
				sched_yield();
			break;
		default:
			achan_chan_recv_future_init(&f, ch, m);
			rc = drive(&w->fl, &w->rng, &f, r_poll, r_cancel);
			break;
		}
		if (rc != ACHAN_CANCELLED)
			return rc;
	}
}

/* Selects over {send A, send B} (or sends plain on channel id & 1) until
 * stopped or both are closed; a select that did not complete retries the
 * same value. */
static void *
x_producer(void *arg)
{
	struct xworker *w = arg;
	struct xrun *r = w->r;
	struct achan_select_case cs[2];
	int open[2] = { 1, 1 }, cmap[2], c, rc;
	uint64_t seq = 0;
	struct msg m;
	size_t idx;

	m.stamp = (uint64_t)w->id << 48;
	m.check = mix(m.stamp);
	while (open[0] || open[1]) {
		if ((seq & 63) == 0 &&
		    atomic_load_explicit(&r->stop, memory_order_relaxed))
			break;
		if (w->sel) {
			x_cases(w, cs, cmap, open, &m, NULL);
			rc = x_select(w, cs, 2, &idx);
			if (rc == X_AGAIN) {
				if (w->mode == M_TRY)
					sched_yield();
				continue;
			}
			if (rc < 0)
				break;
			c = cmap[idx];
			if (rc == ACHAN_CLOSED) {
				open[c] = 0;
				continue;
			}
		} else {
			c = w->id & 1;
			if (x_send(w, r->ch[c], &m) != ACHAN_OK)
				break;
		}
		w->count[c][0]++;
		w->hash[c][0] += mix(seq);
		seq++;
		m.stamp = (uint64_t)w->id << 48 | seq;
		m.check = mix(m.stamp);
	}
	return NULL;
}

/* Selects over {recv A, recv B} (or receives plain on chan) until every
 * channel it uses answered CLOSED. */
static void *
x_consumer(void *arg)
{
	struct xworker *w = arg;
	struct xrun *r = w->r;
	struct achan_select_case cs[2];
	struct msg outs[2], m;
	int open[2] = { 1, 1 }, cmap[2], c, rc;
	unsigned pid;
	uint64_t seq;
	size_t idx;

	if (!w->sel)
		open[w->chan ^ 1] = 0;
	while (open[0] || open[1]) {
		if (w->sel) {
			x_cases(w, cs, cmap, open, NULL, outs);
			rc = x_select(w, cs, 2, &idx);
			if (rc == X_AGAIN) {
				if (w->mode == M_TRY)
					sched_yield();
				continue;
			}
			if (rc < 0)
				break;
			c = cmap[idx];
			m = outs[idx];
		} else {
			c = w->chan;
			rc = x_recv(w, r->ch[c], &m);
		}
		if (rc == ACHAN_CLOSED) {
			open[c] = 0;
			continue;
		}
		if (rc != ACHAN_OK) {
			bad(P_SELECT, "recv: %s", achan_strerror(rc));
			break;
		}
		pid = (unsigned)(m.stamp >> 48);
		seq = m.stamp & 0xffffffffffffull;
		if (m.check != mix(m.stamp) || pid >= (unsigned)r->np) {
			bad(P_SELECT, "channel %c: corrupt value %016llx/%016llx",
			    "AB"[c], (unsigned long long)m.stamp,
			    (unsigned long long)m.check);
			continue;
		}
		if (seq < w->next[c][pid])
			bad(P_SELECT, "channel %c, producer %u: sequence %llu "
			    "after %llu (duplicate or out of order)", "AB"[c], pid,
			    (unsigned long long)seq,
			    (unsigned long long)w->next[c][pid] - 1);
		w->next[c][pid] = seq + 1;
		w->count[c][pid]++;
		w->hash[c][pid] += mix(seq);
	}
	return NULL;
}

static void
x_run(const struct xconf *cf, double secs, int k)
{
	struct xrun *r = calloc(1, sizeof(*r));
	struct xworker *pw = calloc(MAXT, sizeof(*pw));
	struct xworker *cw = calloc(MAXT, sizeof(*cw));
	size_t mincap = cf->cap[0] < cf->cap[1] ? cf->cap[0] : cf->cap[1];
	uint64_t total = 0, selects = 0, canc = 0;
	char modes[2 * MAXT + 2], caps[32];

	if (r == NULL || pw == NULL || cw == NULL) {
		fprintf(stderr, "achan-stress: out of memory\n");
		exit(2);
	}
	r->np = cf->np;
	for (int c = 0; c < 2; c++)
		if (achan_chan_create(&r->ch[c], sizeof(struct msg), cf->cap[c],
		    0) != ACHAN_OK)
			exit(2);
	for (int i = 0; i < cf->np; i++) {
		pw[i].r = r;
		pw[i].id = i;
		pw[i].sel = (i + k) % 4 != 3;	/* most producers select */
		pw[i].mode = pick_mode(i, k, 1, mincap);
		pw[i].rng = mix((uint64_t)(k * 64 + i + 77));
		flag_init(&pw[i].fl);
	}
	for (int j = 0; j < cf->nc; j++) {
		cw[j].r = r;
		cw[j].id = j;
		cw[j].sel = j != 2;		/* the third receives plain */
		cw[j].chan = (j + k) & 1;
		cw[j].mode = pick_mode(j, k, 0, mincap);
		cw[j].rng = mix((uint64_t)(k * 64 + j + 111));
		flag_init(&cw[j].fl);
	}
	for (int i = 0; i < cf->np; i++)
		pthread_create(&pw[i].t, NULL, x_producer, &pw[i]);
	for (int j = 0; j < cf->nc; j++)
		pthread_create(&cw[j].t, NULL, x_consumer, &cw[j]);
	if (cf->close_race) {
		sleep_us((long)(secs * 0.5e6));
		achan_chan_close(r->ch[0]);	/* send selects go on with B */
		sleep_us((long)(secs * 0.5e6));
	} else {
		sleep_us((long)(secs * 1e6));
	}
	atomic_store(&r->stop, 1);
	for (int i = 0; i < cf->np; i++)
		pthread_join(pw[i].t, NULL);
	achan_chan_close(r->ch[0]);
	achan_chan_close(r->ch[1]);
	for (int j = 0; j < cf->nc; j++)
		pthread_join(cw[j].t, NULL);

	for (int i = 0; i < cf->np; i++) {
		for (int c = 0; c < 2; c++) {
			uint64_t got = 0, h = 0;

			for (int j = 0; j < cf->nc; j++) {
				got += cw[j].count[c][i];
				h += cw[j].hash[c][i];
			}
			if (got != pw[i].count[c][0] || h != pw[i].hash[c][0])
				bad(P_SELECT, "%dx%d caps %zu/%zu: producer %d sent "
				    "%llu on %c, received %llu%s", cf->np, cf->nc,
				    cf->cap[0], cf->cap[1], i,
				    (unsigned long long)pw[i].count[c][0], "AB"[c],
				    (unsigned long long)got, got == pw[i].count[c][0] ?
				    " (same count, other values)" : "");
			total += pw[i].count[c][0];
		}
		selects += pw[i].selects;
		canc += pw[i].cancelled;
	}
	for (int j = 0; j < cf->nc; j++) {
		selects += cw[j].selects;
		canc += cw[j].cancelled;
	}
	for (int c = 0; c < 2; c++)
		if (achan_chan_destroy(r->ch[c]) != ACHAN_OK)
			bad(P_SELECT, "destroy (a select left registered?)");
	atomic_fetch_add(&moved[P_SELECT], total);
	atomic_fetch_add(&extra[P_SELECT], selects);
	for (int i = 0; i < cf->np; i++)
		modes[i] = (pw[i].sel ? "BTA" : "bta")[pw[i].mode];
	modes[cf->np] = '/';
	for (int j = 0; j < cf->nc; j++)
		modes[cf->np + 1 + j] = (cw[j].sel ? "BTA" : "bta")[cw[j].mode];
	modes[cf->np + 1 + cf->nc] = '\0';
	snprintf(caps, sizeof(caps), "%zu/%zu", cf->cap[0], cf->cap[1]);
	printf("  %-8s %dx%d cap %-6s %-6s %-18s %12llu msgs %11.0f/s "
	    "(%llu selects, %llu futures cancelled)\n", "select", cf->np,
	    cf->nc, caps, cf->close_race ? "close" : "", modes,
	    (unsigned long long)total, (double)total / secs,
	    (unsigned long long)selects, (unsigned long long)canc);
	fflush(stdout);
	free(r);
	free(pw);
	free(cw);
}

/* ===== main ============================================================== */

static void
watchdog(int sig)
{
	static const char msg[] = "\nachan-stress: watchdog: a run still blocked, "
	    "giving up (hang)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to report to */
	}
	_exit(2);
}

struct cconf {
	int np, nc;
	size_t cap;
	int discard;
};

static const struct cconf chan_confs[] = {
	{ 1, 1, 1, 0 }, { 1, 1, 128, 0 }, { 4, 4, 8, 0 }, { 2, 6, 1, 0 },
	{ 6, 2, 1024, 0 }, { 8, 8, 2, 0 },
};
static const struct cconf unbuf_confs[] = {
	{ 1, 1, 0, 0 }, { 4, 4, 0, 0 }, { 2, 3, 0, 0 },
};
static const struct cconf handle_confs[] = {
	{ 2, 2, 16, 0 }, { 3, 3, 4, 1 }, { 4, 4, 0, 0 }, { 2, 2, 1, 1 },
};
static const struct xconf select_confs[] = {
	{ 2, 2, { 1, 1 }, 0 }, { 4, 4, { 8, 8 }, 0 }, { 4, 3, { 0, 0 }, 0 },
	{ 3, 3, { 0, 16 }, 1 }, { 4, 4, { 1, 64 }, 1 }, { 2, 4, { 0, 0 }, 1 },
};

#define NCONF(a) ((int)(sizeof(a) / sizeof((a)[0])))

int
main(int argc, char **argv)
{
	const char *env = getenv("STRESS_SECONDS");
	double total = argc > 1 ? atof(argv[1]) : env != NULL ? atof(env) : 120;
	double t0 = now_s(), share;
	unsigned long long all = 0, vall = 0;
	struct sigaction sa;
	int k = 0;

	if (!(total > 0)) {
		fprintf(stderr, "usage: achan-stress [SECONDS]  (or STRESS_SECONDS)\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)(total * 3) + 300);
	printf("achan-stress: %.0f s over %d parts (modes: B blocking, T try, "
	    "A async future)\n", total, P_N);
	fflush(stdout);

	cur_part = P_CHAN;
	share = total * part_share[P_CHAN] / 100 / NCONF(chan_confs);
	for (int i = 0; i < NCONF(chan_confs); i++, k++)
		c_run(P_CHAN, chan_confs[i].np, chan_confs[i].nc,
		    chan_confs[i].cap, 0, share, k);
	cur_part = P_UNBUF;
	share = total * part_share[P_UNBUF] / 100 / NCONF(unbuf_confs);
	for (int i = 0; i < NCONF(unbuf_confs); i++, k++)
		c_run(P_UNBUF, unbuf_confs[i].np, unbuf_confs[i].nc, 0, 0,
		    share, k);
	cur_part = P_HANDLES;
	share = total * part_share[P_HANDLES] / 100 / NCONF(handle_confs);
	for (int i = 0; i < NCONF(handle_confs); i++, k++)
		c_run(P_HANDLES, handle_confs[i].np, handle_confs[i].nc,
		    handle_confs[i].cap, handle_confs[i].discard, share, k);
	cur_part = P_ONESHOT;
	share = total * part_share[P_ONESHOT] / 100 / 3;
	for (int i = 0; i < 3; i++, k++)
		o_run(share, k);
	cur_part = P_BCAST;
	share = total * part_share[P_BCAST] / 100 / 3;
	for (int i = 0; i < 3; i++, k++)
		b_run(share, k);
	cur_part = P_STATE;
	s_run(total * part_share[P_STATE] / 100, k++);
	cur_part = P_SELECT;
	share = total * part_share[P_SELECT] / 100 / NCONF(select_confs);
	for (int i = 0; i < NCONF(select_confs); i++, k++)
		x_run(&select_confs[i], share, k);

	printf("\nachan-stress summary (%.1f s)\n", now_s() - t0);
	printf("  %-8s %16s %-9s %12s\n", "part", "moved", "", "violations");
	for (int p = 0; p < P_N; p++) {
		unsigned long long m = atomic_load(&moved[p]);
		unsigned long long v = atomic_load(&viol[p]);

		printf("  %-8s %16llu %-9s %12llu", part_name[p], m, part_unit[p], v);
		if (p == P_HANDLES && atomic_load(&extra[p]))
			printf("   (+%llu destroyed by the last receiver)",
			    (unsigned long long)atomic_load(&extra[p]));
		if (p == P_STATE)
			printf("   (%llu reads)",
			    (unsigned long long)atomic_load(&extra[p]));
		if (p == P_SELECT)
			printf("   (%llu selects)",
			    (unsigned long long)atomic_load(&extra[p]));
		printf("\n");
		all += m;
		vall += v;
	}
	printf("  %-8s %16llu %-9s %12llu\n", "total", all, "", vall);
	printf("achan-stress: %s\n", vall == 0 ? "PASS (0 violations)" :
	    "FAIL");
	return vall == 0 ? 0 : 1;
}

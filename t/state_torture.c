/*
 * t/state_torture.c - one publisher, eight readers copying and borrowing as
 * fast as they can, and four waiting readers on one state channel, for
 * about ACHAN_TEST_SECONDS:
 *
 *   - every state's bytes are derived from its id (the publisher is the
 *     only sender, so it knows the next id), so a torn read, a stale read
 *     or a read of freed memory shows up as bytes that do not match the id
 *     returned with them;
 *   - each reader checks that the ids it sees strictly increase;
 *   - readers of four kinds: four try_recv copying as fast as they can,
 *     four borrowing and checking the bytes in place (sometimes holding the
 *     borrow a while, to stretch grace periods), two in blocking recv /
 *     recv_until, and two futures driven by a flag waker (which also checks
 *     the waker contract: at most one call per registration, none after
 *     poll returned done or cancel returned), cancelling at random;
 *   - the publisher sends in bursts with pauses, so the blocking and async
 *     readers really sleep and get woken;
 *   - at the end the publisher closes: every reader must have seen the last
 *     id (close keeps the value) and then CLOSED.
 *
 * A second, shorter phase has two publishers stamping (publisher, sequence)
 * into self-checking values: ids still strictly increase at every reader,
 * each publisher's sequence too, and the final id counts every send.
 *
 * Clean under TSan (which then checks the annotated grace period) and
 * ASan + UBSan (which check that no snapshot is read after its free and
 * nothing leaks).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "test_util.h"

#define NFAST 8			/* try_recv and borrow readers */
#define NREADERS (NFAST + 4)		/* + 2 blocking, 2 async */
#define NWORDS 32			/* 256-byte states */
#define WAKE_TIMEOUT_MS 10000		/* a wait this long is a lost wakeup */

enum mode { M_TRY, M_BORROW, M_BLOCK, M_ASYNC };
static const char *const mode_name[] = { "try", "borrow", "block", "async" };

struct state_val {
	uint64_t w[NWORDS];
};

#define MIX1 0x9e3779b97f4a7c15ull
#define MIX2 0xbf58476d1ce4e5b9ull

/* Phase 1: word 0 is the id, the others derive from it. */
static void
fill_id(struct state_val *v, uint64_t id)
{
	v->w[0] = id;
	for (int k = 1; k < NWORDS; k++)
		v->w[k] = (id * MIX1) ^ ((uint64_t)k * MIX2);
}

/* Phase 2: word 0 is the stamp (publisher << 32 | seq). */
static void
fill_stamp(struct state_val *v, uint64_t stamp)
{
	fill_id(v, stamp);
}

static int
check_words(const struct state_val *v)
{
	for (int k = 1; k < NWORDS; k++)
		if (v->w[k] != ((v->w[0] * MIX1) ^ ((uint64_t)k * MIX2)))
			return 0;
	return 1;
}

struct shared {
	struct achan_state *st;
	int phase;			/* 1: id-derived, 2: stamped */
	int npub;
	atomic_int go;
	atomic_ullong bad_value, bad_order, bad_rc, lost_wakes;
	atomic_ullong late_wakes, double_wakes, not_final;
	uint64_t final_id;		/* set before close */
};

/* A flag waker with contract checks (as in t/chan_stress.c). */
struct fwaker {
	atomic_uint v;
	atomic_int armed;
	atomic_int calls;
	struct shared *sh;
	struct achan_waker w;
};

static void
fw_wake(void *arg)
{
	struct fwaker *f = arg;

	if (!atomic_load(&f->armed))
		atomic_fetch_add(&f->sh->late_wakes, 1);
	if (atomic_fetch_add(&f->calls, 1) != 0)
		atomic_fetch_add(&f->sh->double_wakes, 1);
	atomic_store_explicit(&f->v, 1, memory_order_release);
	tu_futex_wake(&f->v);
}

struct reader {
	pthread_t t;
	struct shared *sh;
	enum mode mode;
	uint64_t rng;
	uint64_t last;			/* last id seen */
	uint64_t last_seq[2];		/* phase 2: per publisher, seq + 1 */
	uint64_t reads, pendings, cancels;
	struct fwaker fw;
};

static void
relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Check one delivery: bytes consistent with the id, ids increasing. */
static void
got(struct reader *r, const struct state_val *v, uint64_t id)
{
	struct shared *sh = r->sh;

	if (!check_words(v) || (sh->phase == 1 && v->w[0] != id))
		atomic_fetch_add(&sh->bad_value, 1);
	if (id <= r->last)
		atomic_fetch_add(&sh->bad_order, 1);
	if (sh->phase == 2) {
		uint64_t pub = v->w[0] >> 32, seq = v->w[0] & 0xffffffffu;

		if (pub >= 2 || seq + 1 <= r->last_seq[pub])
			atomic_fetch_add(&sh->bad_order, 1);
		else
			r->last_seq[pub] = seq + 1;
	}
	r->last = id;
	r->reads++;
}

static void
reader_try(struct reader *r)
{
	struct state_val v;
	uint64_t id;
	int rc;

	for (;;) {
		rc = achan_state_try_recv(r->sh->st, r->last, &v, &id);
		if (rc == ACHAN_OK)
			got(r, &v, id);
		else if (rc == ACHAN_CLOSED)
			return;
		else if (rc != ACHAN_EMPTY)
			atomic_fetch_add(&r->sh->bad_rc, 1);
		else if ((tu_rand(&r->rng) & 63) == 0)
			sched_yield();
	}
}

static void
reader_borrow(struct reader *r)
{
	struct achan_state_borrow b;
	const void *p;
	uint64_t id;
	int rc;

	for (;;) {
		rc = achan_state_borrow(r->sh->st, r->last, &b, &p, &id);
		if (rc == ACHAN_OK) {
			got(r, p, id);
			if ((tu_rand(&r->rng) & 15) == 0) {
				/* hold it a while, then look again: the
				 * bytes must not have changed */
				for (int i = 0; i < 200; i++)
					relax();
				if (!check_words(p) ||
				    (r->sh->phase == 1 &&
				    ((const struct state_val *)p)->w[0] != id))
					atomic_fetch_add(&r->sh->bad_value, 1);
			}
			if (achan_state_borrow_end(&b) != ACHAN_OK)
				atomic_fetch_add(&r->sh->bad_rc, 1);
		} else if (rc == ACHAN_CLOSED) {
			return;
		} else if (rc != ACHAN_EMPTY) {
			atomic_fetch_add(&r->sh->bad_rc, 1);
		} else if ((tu_rand(&r->rng) & 63) == 0) {
			sched_yield();
		}
	}
}

static void
reader_block(struct reader *r)
{
	struct state_val v;
	struct timespec dl;
	uint64_t id;
	int rc;

	for (;;) {
		if ((tu_rand(&r->rng) & 3) == 0) {
			dl = tu_add_ms(tu_now(), 1);
			rc = achan_state_recv_until(r->sh->st, r->last, &v, &id,
			    &dl);
		} else {
			rc = achan_state_recv(r->sh->st, r->last, &v, &id);
		}
		if (rc == ACHAN_OK)
			got(r, &v, id);
		else if (rc == ACHAN_CLOSED)
			return;
		else if (rc != ACHAN_TIMEDOUT)
			atomic_fetch_add(&r->sh->bad_rc, 1);
	}
}

static void
reader_async(struct reader *r)
{
	struct achan_state_recv_future f;
	struct fwaker *fw = &r->fw;
	struct state_val v;
	uint64_t id;
	int rc;

	for (;;) {
		achan_state_recv_future_init(&f, r->sh->st, r->last, &v, &id);
		atomic_store(&fw->v, 0);
		atomic_store(&fw->calls, 0);
		atomic_store(&fw->armed, 1);
		for (;;) {
			rc = achan_state_recv_poll(&f, &fw->w);
			if (rc != ACHAN_PENDING)
				break;
			r->pendings++;
			if ((tu_rand(&r->rng) & 7) == 0) {
				/* give up on this registration */
				rc = achan_state_recv_cancel(&f);
				r->cancels++;
				if (rc != ACHAN_CANCELLED)
					atomic_fetch_add(&r->sh->bad_rc, 1);
				rc = -1;
				break;
			}
			if (!tu_wait_word(&fw->v, WAKE_TIMEOUT_MS)) {
				atomic_fetch_add(&r->sh->lost_wakes, 1);
				achan_state_recv_cancel(&f);
				return;
			}
			/* the next registration may be woken again */
			atomic_store(&fw->v, 0);
			atomic_store(&fw->calls, 0);
		}
		atomic_store(&fw->armed, 0);
		if (rc == ACHAN_OK)
			got(r, &v, id);
		else if (rc == ACHAN_CLOSED)
			return;
		else if (rc != -1)
			atomic_fetch_add(&r->sh->bad_rc, 1);
	}
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&r->sh->go))
		sched_yield();
	switch (r->mode) {
	case M_TRY:
		reader_try(r);
		break;
	case M_BORROW:
		reader_borrow(r);
		break;
	case M_BLOCK:
		reader_block(r);
		break;
	case M_ASYNC:
		reader_async(r);
		break;
	}
	/* every reader drains until CLOSED: it must have seen the last id */
	if (r->last != r->sh->final_id)
		atomic_fetch_add(&r->sh->not_final, 1);
	return NULL;
}

/* --- publishers ------------------------------------------------------------ */

struct publisher {
	pthread_t t;
	struct shared *sh;
	int id;
	double end;
	uint64_t rng;
	uint64_t sent;
	int bad;
};

static double
now_s(void)
{
	struct timespec ts = tu_now();

	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Send in bursts of 1..256, then yield or sleep ~50 us now and then. */
static void
pause_maybe(struct publisher *p, uint64_t *burst)
{
	if (*burst > 0) {
		--*burst;
		return;
	}
	*burst = tu_rand(&p->rng) & 255;
	switch (tu_rand(&p->rng) & 3) {
	case 0: {
		struct timespec ts = { 0, 50000 };

		nanosleep(&ts, NULL);
		break;
	}
	case 1:
		sched_yield();
		break;
	default:
		break;
	}
}

static void *
publisher_main(void *arg)
{
	struct publisher *p = arg;
	struct shared *sh = p->sh;
	struct state_val v;
	uint64_t burst = 0, seq = 0;

	while (!atomic_load(&sh->go))
		sched_yield();
	while (now_s() < p->end) {
		if (sh->phase == 1)
			fill_id(&v, p->sent + 1);	/* the only sender */
		else
			fill_stamp(&v, ((uint64_t)p->id << 32) | seq++);
		if (achan_state_send(sh->st, &v) != ACHAN_OK) {
			p->bad++;
			break;
		}
		p->sent++;
		pause_maybe(p, &burst);
	}
	return NULL;
}

static void
run(int phase, int npub, double secs)
{
	struct shared sh;
	struct reader rd[NREADERS];
	struct publisher pub[2];
	uint64_t total = 0, reads[4] = { 0, 0, 0, 0 }, pendings = 0, cancels = 0;
	double end;
	int i;

	memset(&sh, 0, sizeof(sh));
	sh.phase = phase;
	sh.npub = npub;
	if (achan_state_create(&sh.st, sizeof(struct state_val), 0) != ACHAN_OK)
		bail_out("achan_state_create");
	for (i = 0; i < NREADERS; i++) {
		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].sh = &sh;
		rd[i].mode = i < NFAST / 2 ? M_TRY : i < NFAST ? M_BORROW :
		    i < NFAST + 2 ? M_BLOCK : M_ASYNC;
		rd[i].rng = 0x1234567ull * (uint64_t)(i + 1) + (uint64_t)phase;
		atomic_init(&rd[i].fw.v, 0);
		atomic_init(&rd[i].fw.armed, 0);
		atomic_init(&rd[i].fw.calls, 0);
		rd[i].fw.sh = &sh;
		rd[i].fw.w.wake = fw_wake;
		rd[i].fw.w.arg = &rd[i].fw;
		if (pthread_create(&rd[i].t, NULL, reader_main, &rd[i]) != 0)
			bail_out("pthread_create");
	}
	end = now_s() + secs;
	for (i = 0; i < npub; i++) {
		memset(&pub[i], 0, sizeof(pub[i]));
		pub[i].sh = &sh;
		pub[i].id = i;
		pub[i].end = end;
		pub[i].rng = 0xabcdefull + (uint64_t)i;
		if (pthread_create(&pub[i].t, NULL, publisher_main, &pub[i]) != 0)
			bail_out("pthread_create");
	}
	atomic_store(&sh.go, 1);
	for (i = 0; i < npub; i++) {
		pthread_join(pub[i].t, NULL);
		total += pub[i].sent;
		is_u(pub[i].bad, 0, "phase %d: publisher %d: every send OK", phase, i);
	}
	sh.final_id = achan_state_id(sh.st);
	is_u(sh.final_id, total, "phase %d: the final id counts every send (%llu)",
	    phase, (unsigned long long)total);
	/* final_id is written before the close, which every reader's CLOSED
	 * happens-after */
	achan_state_close(sh.st);
	for (i = 0; i < NREADERS; i++) {
		pthread_join(rd[i].t, NULL);
		reads[rd[i].mode] += rd[i].reads;
		pendings += rd[i].pendings;
		cancels += rd[i].cancels;
	}
	diag("phase %d: %d publisher(s), %llu states; reads: %s %llu, %s %llu, "
	    "%s %llu, %s %llu (async: %llu pending, %llu cancelled)",
	    phase, npub, (unsigned long long)total,
	    mode_name[M_TRY], (unsigned long long)reads[M_TRY],
	    mode_name[M_BORROW], (unsigned long long)reads[M_BORROW],
	    mode_name[M_BLOCK], (unsigned long long)reads[M_BLOCK],
	    mode_name[M_ASYNC], (unsigned long long)reads[M_ASYNC],
	    (unsigned long long)pendings, (unsigned long long)cancels);
	is_u(atomic_load(&sh.bad_value), 0,
	    "phase %d: every read internally consistent and matching its id", phase);
	is_u(atomic_load(&sh.bad_order), 0,
	    "phase %d: ids strictly increasing at every reader", phase);
	is_u(atomic_load(&sh.bad_rc), 0, "phase %d: no unexpected status", phase);
	is_u(atomic_load(&sh.lost_wakes), 0, "phase %d: no lost wakeup", phase);
	is_u(atomic_load(&sh.late_wakes), 0,
	    "phase %d: no wake after done or cancel", phase);
	is_u(atomic_load(&sh.double_wakes), 0,
	    "phase %d: at most one wake per registration", phase);
	is_u(atomic_load(&sh.not_final), 0,
	    "phase %d: every reader saw the last state, then CLOSED", phase);
	ok(reads[M_TRY] > 0 && reads[M_BORROW] > 0 && reads[M_BLOCK] > 0 &&
	    reads[M_ASYNC] > 0, "phase %d: every kind of reader read", phase);
	is_st(achan_state_destroy(sh.st), ACHAN_OK,
	    "phase %d: destroy (every snapshot reclaimed)", phase);
}

int
main(void)
{
	double secs = tap_test_seconds();

	tap_watchdog(60 + (unsigned)(secs * 3));
	run(1, 1, secs * 0.7);
	run(2, 2, secs * 0.3);
	return done_testing();
}

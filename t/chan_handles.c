/*
 * t/chan_handles.c - shared sender / receiver handles (achan_chan_pair):
 * one sender and one receiver to start with, clone / release counting,
 * release clearing the handle (a second release, or a clone of a released
 * handle, answers EINVAL), destroy / fini refused on a paired channel, the
 * last sender closing (blocked receivers and pending receive futures drain,
 * then get CLOSED), the last receiver closing and discarding what is
 * buffered through the element destructor (each value once; pending and
 * later sends fail with their values left to the caller), futures that
 * outlive every handle (they observe the close; the memory goes with the
 * last of them, by poll or by cancel), for the thread-safe and the local
 * flavour, bounded and unbuffered.  Then clone / release storms on 8 threads
 * while other threads send and receive through clones: every value sent is
 * received or destroyed exactly once, no early close, no early free, no leak.
 *
 * Memory: where the heap can be measured exactly (a sanitizer's allocator
 * statistics, or glibc's mallinfo2 for a channel big enough to be mmapped
 * under a fixed threshold) the test checks that the channel is still there
 * while a future holds it and gone once the last reference is dropped.  In
 * every build the program ends by returning from main, so LeakSanitizer
 * (--enable-asan) reports any channel that was never freed, and ASan / TSan
 * report any use after an early free.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>

#include "test_util.h"

/* --- heap accounting --------------------------------------------------------- */

/* Provided by ASan, TSan, LSan and MSan; absent (NULL) in a plain build. */
extern size_t __sanitizer_get_current_allocated_bytes(void)
	__attribute__((weak));

/* A bounded channel this big is mmapped by glibc (threshold fixed in main),
 * so its free shows at once in mallinfo2; tcache would hide a small one. */
#define BIG_CAP 16384

static int
heap_exact_small(void)
{
	return __sanitizer_get_current_allocated_bytes != NULL;
}

/* Bytes of heap in use now. */
static size_t
heap_bytes(void)
{
	if (__sanitizer_get_current_allocated_bytes != NULL)
		return __sanitizer_get_current_allocated_bytes();
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	{
		struct mallinfo2 mi = mallinfo2();
		return mi.uordblks + mi.hblkhd;
	}
#else
	return 0;
#endif
}

/* Can a channel of this capacity be seen coming and going? */
static int
heap_exact(size_t cap)
{
	if (heap_exact_small())
		return 1;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	return cap >= BIG_CAP;
#else
	(void)cap;
	return 0;
#endif
}

/*
 * Report "alive while held, freed at the end": h0 before the pair, h1 while
 * only a future holds it, h2 after the last reference went.
 */
static void
check_heap(size_t cap, size_t h0, size_t h1, size_t h2, const char *what)
{
	if (!heap_exact(cap)) {
		skip(2, "%s: heap not measurable exactly here (LSan covers it)",
		    what);
		return;
	}
	ok(h1 > h0, "%s: the channel is still allocated while the future holds it "
	    "(%zu -> %zu bytes)", what, h0, h1);
	if (!ok(h2 == h0, "%s: and freed once the last reference is gone", what))
		diag("    heap before pair %zu, while held %zu, after %zu", h0, h1,
		    h2);
}

/* --- the element destructor: counts every value, checks the argument ------ */

#define DV_MAX 1024
static int dtor_tag;
static atomic_int dtor_hits[DV_MAX];
static atomic_int dtor_calls;
static atomic_int dtor_bad;	/* value out of range or wrong arg */

static void
dtor_reset(void)
{
	for (int i = 0; i < DV_MAX; i++)
		atomic_store(&dtor_hits[i], 0);
	atomic_store(&dtor_calls, 0);
	atomic_store(&dtor_bad, 0);
}

static void
dtor_count(void *elem, void *arg)
{
	uint64_t v = u64v(elem);

	atomic_fetch_add(&dtor_calls, 1);
	if (arg != &dtor_tag || v >= DV_MAX)
		atomic_fetch_add(&dtor_bad, 1);
	else
		atomic_fetch_add(&dtor_hits[v], 1);
}

/* 1 if exactly the values lo..hi-1 were destroyed, each once. */
static int
dtor_exactly(uint64_t lo, uint64_t hi)
{
	int good = atomic_load(&dtor_bad) == 0 &&
	    atomic_load(&dtor_calls) == (int)(hi - lo);

	for (uint64_t v = 0; v < DV_MAX; v++)
		good &= atomic_load(&dtor_hits[v]) == (v >= lo && v < hi ? 1 : 0);
	if (!good) {
		diag("    destructor: %d calls, %d bad; expected %llu..%llu once each",
		    atomic_load(&dtor_calls), atomic_load(&dtor_bad),
		    (unsigned long long)lo, (unsigned long long)hi - 1);
		for (uint64_t v = 0; v < DV_MAX; v++)
			if (atomic_load(&dtor_hits[v]) != 0)
				diag("    value %llu destroyed %d time(s)",
				    (unsigned long long)v, atomic_load(&dtor_hits[v]));
	}
	return good;
}

/* --- helpers --------------------------------------------------------------- */

static const char *
flavour(unsigned flags)
{
	return flags & ACHAN_LOCAL ? "local" : "thread-safe";
}

static void
mkpair(struct achan_chan_sender *tx, struct achan_chan_receiver *rx,
		size_t cap, unsigned flags)
{
	if (achan_chan_pair(tx, rx, sizeof(uint64_t), cap, flags) != ACHAN_OK ||
	    achan_chan_sender_chan(tx) == NULL)
		bail_out("achan_chan_pair(cap %zu, flags %u) failed", cap, flags);
}

static struct achan_chan *
txc(const struct achan_chan_sender *tx)
{
	return achan_chan_sender_chan(tx);
}

static struct achan_chan *
rxc(const struct achan_chan_receiver *rx)
{
	return achan_chan_receiver_chan(rx);
}

/* --- 1. the pair, release clears, EINVAL on reuse --------------------------- */

static void
test_pair_basics(unsigned flags)
{
	const char *fl = flavour(flags);
	struct achan_chan_sender tx, tx2, stale;
	struct achan_chan_receiver rx, rx2;
	struct achan_chan *ch;
	uint64_t v = 5, out = 0;
	size_t h0, h2;

	/* bad arguments leave both handles cleared */
	memset(&tx, 0xa5, sizeof(tx));
	memset(&rx, 0xa5, sizeof(rx));
	is_st(achan_chan_pair(&tx, &rx, 8, 4, flags | 0x80u), ACHAN_EINVAL,
	    "%s: pair with unknown flags: EINVAL", fl);
	ok(txc(&tx) == NULL && rxc(&rx) == NULL,
	    "%s: ... and both handles are cleared", fl);
	memset(&tx, 0xa5, sizeof(tx));
	memset(&rx, 0xa5, sizeof(rx));
	is_st(achan_chan_pair(&tx, &rx, 8, ACHAN_CHAN_MAX_CAPACITY + 1, flags),
	    ACHAN_EINVAL, "%s: pair with capacity too big: EINVAL", fl);
	ok(txc(&tx) == NULL && rxc(&rx) == NULL,
	    "%s: ... handles cleared", fl);
	is_st(achan_chan_pair(NULL, &rx, 8, 4, flags), ACHAN_EINVAL,
	    "%s: pair with NULL sender: EINVAL", fl);
	is_st(achan_chan_pair(&tx, NULL, 8, 4, flags), ACHAN_EINVAL,
	    "%s: pair with NULL receiver: EINVAL", fl);

	h0 = heap_bytes();
	is_st(achan_chan_pair(&tx, &rx, sizeof(uint64_t), BIG_CAP, flags),
	    ACHAN_OK, "%s: pair", fl);
	ch = txc(&tx);
	ok(ch != NULL && ch == rxc(&rx),
	    "%s: both handles lead to the same channel", fl);
	is_u(achan_chan_capacity(ch), BIG_CAP, "%s: capacity", fl);
	is_u(achan_chan_elem_size(ch), sizeof(uint64_t), "%s: elem_size", fl);
	is_u(achan_chan_is_closed(ch), 0, "%s: open", fl);

	is_st(achan_chan_destroy(ch), ACHAN_EINVAL,
	    "%s: destroy on a paired channel: EINVAL", fl);
	is_st(achan_chan_fini(ch), ACHAN_EINVAL,
	    "%s: fini on a paired channel: EINVAL", fl);
	is_st(achan_chan_try_send(ch, &v), ACHAN_OK,
	    "%s: the channel still works after the refusals", fl);
	is_st(achan_chan_try_recv(ch, &out), ACHAN_OK, "%s: try_recv", fl);
	is_u(out, 5, "%s: the value", fl);

	/* NULL arguments */
	ok(achan_chan_sender_chan(NULL) == NULL &&
	    achan_chan_receiver_chan(NULL) == NULL,
	    "%s: *_chan(NULL) is NULL", fl);
	is_st(achan_chan_sender_release(NULL), ACHAN_EINVAL,
	    "%s: sender_release(NULL): EINVAL", fl);
	is_st(achan_chan_receiver_release(NULL), ACHAN_EINVAL,
	    "%s: receiver_release(NULL): EINVAL", fl);
	is_st(achan_chan_sender_clone(NULL, &tx2), ACHAN_EINVAL,
	    "%s: sender_clone from NULL: EINVAL", fl);
	is_st(achan_chan_sender_clone(&tx, NULL), ACHAN_EINVAL,
	    "%s: sender_clone into NULL: EINVAL", fl);
	is_st(achan_chan_receiver_clone(NULL, &rx2), ACHAN_EINVAL,
	    "%s: receiver_clone from NULL: EINVAL", fl);
	is_st(achan_chan_receiver_clone(&rx, NULL), ACHAN_EINVAL,
	    "%s: receiver_clone into NULL: EINVAL", fl);

	/* exactly one sender: releasing it closes the channel.  A copy made
	 * by plain assignment is not an owner. */
	stale = tx;
	is_st(achan_chan_sender_release(&tx), ACHAN_OK, "%s: release the sender", fl);
	ok(txc(&tx) == NULL, "%s: release cleared the sender handle", fl);
	is_u(achan_chan_is_closed(rxc(&rx)), 1,
	    "%s: the pair had one sender: its release closed the channel", fl);
	is_st(achan_chan_sender_release(&tx), ACHAN_EINVAL,
	    "%s: second release of the same sender variable: EINVAL", fl);
	memset(&tx2, 0xa5, sizeof(tx2));
	is_st(achan_chan_sender_clone(&tx, &tx2), ACHAN_EINVAL,
	    "%s: clone of a released sender: EINVAL", fl);
	ok(txc(&tx2) == NULL, "%s: ... and the clone target is cleared", fl);
	/* the sender count is 0 now (the receiver keeps the channel alive), so
	 * a clone through the stale copy must not resurrect it */
	is_st(achan_chan_sender_clone(&stale, &tx2), ACHAN_EINVAL,
	    "%s: clone through a plain copy once no sender is left: EINVAL", fl);
	is_st(achan_chan_sender_release(&stale), ACHAN_EINVAL,
	    "%s: release through a plain copy: EINVAL (count stays 0)", fl);
	is_u(achan_chan_is_closed(ch), 1, "%s: still closed", fl);

	/* exactly one receiver */
	is_st(achan_chan_receiver_release(&rx), ACHAN_OK,
	    "%s: release the receiver (last handle)", fl);
	ok(rxc(&rx) == NULL, "%s: release cleared the receiver handle", fl);
	h2 = heap_bytes();
	is_st(achan_chan_receiver_release(&rx), ACHAN_EINVAL,
	    "%s: second release of the same receiver variable: EINVAL", fl);
	memset(&rx2, 0xa5, sizeof(rx2));
	is_st(achan_chan_receiver_clone(&rx, &rx2), ACHAN_EINVAL,
	    "%s: clone of a released receiver: EINVAL", fl);
	ok(rxc(&rx2) == NULL, "%s: ... and the clone target is cleared", fl);
	if (heap_exact(BIG_CAP)) {
		if (!ok(h2 == h0, "%s: the last release freed the channel", fl))
			diag("    heap before %zu, after %zu", h0, h2);
	} else {
		skip(1, "%s: heap not measurable exactly here", fl);
	}
}

/* --- 2. counting: only the last of a role acts ------------------------------ */

static void
test_sender_counting(unsigned flags, size_t cap)
{
	const char *fl = flavour(flags);
	struct achan_chan_sender tx, tx2, tx3;
	struct achan_chan_receiver rx;
	struct achan_chan *ch;
	uint64_t v, out = 0;

	dtor_reset();
	mkpair(&tx, &rx, cap, flags);
	ch = rxc(&rx);
	achan_chan_set_elem_dtor(txc(&tx), dtor_count, &dtor_tag);
	is_st(achan_chan_sender_clone(&tx, &tx2), ACHAN_OK,
	    "%s cap %zu: clone sender", fl, cap);
	is_st(achan_chan_sender_clone(&tx2, &tx3), ACHAN_OK,
	    "%s cap %zu: clone the clone", fl, cap);
	ok(txc(&tx2) == ch && txc(&tx3) == ch,
	    "%s cap %zu: clones lead to the same channel", fl, cap);
	if (cap > 0) {
		v = 10;
		achan_chan_try_send(txc(&tx2), &v);
		v = 11;
		achan_chan_try_send(txc(&tx3), &v);
	}
	is_st(achan_chan_sender_release(&tx), ACHAN_OK, "%s cap %zu: release #1", fl, cap);
	is_st(achan_chan_sender_release(&tx3), ACHAN_OK, "%s cap %zu: release #3", fl, cap);
	is_u(achan_chan_is_closed(ch), 0,
	    "%s cap %zu: one sender left: still open", fl, cap);
	if (cap > 0) {
		v = 12;
		is_st(achan_chan_try_send(txc(&tx2), &v), ACHAN_OK,
		    "%s cap %zu: the remaining sender sends", fl, cap);
	} else {
		is_st(achan_chan_try_send(txc(&tx2), &v), ACHAN_FULL,
		    "%s cap %zu: the remaining sender: FULL (not CLOSED)", fl, cap);
	}
	is_st(achan_chan_sender_release(&tx2), ACHAN_OK,
	    "%s cap %zu: release the last sender", fl, cap);
	is_u(achan_chan_is_closed(ch), 1, "%s cap %zu: now closed", fl, cap);
	is_st(achan_chan_close(ch), ACHAN_ALREADY_CLOSED,
	    "%s cap %zu: close after it: ALREADY_CLOSED (the release closed it)",
	    fl, cap);
	if (cap > 0) {
		int good = 1;

		for (uint64_t i = 10; i <= 12; i++) {
			good &= achan_chan_try_recv(ch, &out) == ACHAN_OK && out == i;
		}
		ok(good, "%s cap %zu: the receiver drains 10, 11, 12 in order", fl, cap);
	} else {
		skip(1, "unbuffered: nothing to drain");
	}
	is_st(achan_chan_try_recv(ch, &out), ACHAN_CLOSED,
	    "%s cap %zu: then CLOSED", fl, cap);
	is_st(achan_chan_recv(ch, &out), ACHAN_CLOSED,
	    "%s cap %zu: blocking recv: CLOSED", fl, cap);
	is_u(atomic_load(&dtor_calls), 0,
	    "%s cap %zu: the last sender destroyed nothing", fl, cap);
	is_st(achan_chan_receiver_release(&rx), ACHAN_OK,
	    "%s cap %zu: release the receiver", fl, cap);
	is_u(atomic_load(&dtor_calls), 0,
	    "%s cap %zu: nothing was left to destroy", fl, cap);
}

static void
test_receiver_counting(unsigned flags)
{
	const char *fl = flavour(flags);
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx, rx2, rx3;
	struct achan_chan_send_future sf;
	struct rec_waker w;
	struct achan_chan *ch;
	uint64_t v, out = 0, late = 500;
	int good = 1;

	dtor_reset();
	mkpair(&tx, &rx, 8, flags);
	ch = txc(&tx);
	is_st(achan_chan_set_elem_dtor(txc(&tx), dtor_count, &dtor_tag), ACHAN_OK,
	    "%s: set the element destructor through the sender's channel", fl);
	is_st(achan_chan_receiver_clone(&rx, &rx2), ACHAN_OK, "%s: clone receiver", fl);
	is_st(achan_chan_receiver_clone(&rx2, &rx3), ACHAN_OK,
	    "%s: clone the clone", fl);
	ok(rxc(&rx2) == ch && rxc(&rx3) == ch, "%s: same channel", fl);
	for (v = 100; v < 105; v++)
		good &= achan_chan_try_send(ch, &v) == ACHAN_OK;
	ok(good, "%s: five values buffered", fl);
	is_st(achan_chan_try_recv(rxc(&rx3), &out), ACHAN_OK, "%s: receive one", fl);
	is_u(out, 100, "%s: the oldest", fl);
	is_st(achan_chan_receiver_release(&rx), ACHAN_OK, "%s: release receiver #1", fl);
	is_st(achan_chan_receiver_release(&rx3), ACHAN_OK, "%s: release receiver #3", fl);
	is_u(atomic_load(&dtor_calls), 0,
	    "%s: a receiver is left: nothing destroyed", fl);
	is_u(achan_chan_len(ch), 4, "%s: the values are still buffered", fl);
	is_u(achan_chan_is_closed(ch), 0, "%s: still open", fl);

	is_st(achan_chan_receiver_release(&rx2), ACHAN_OK,
	    "%s: release the last receiver", fl);
	ok(dtor_exactly(101, 105),
	    "%s: each buffered value (101..104) destroyed exactly once", fl);
	is_u(achan_chan_len(ch), 0, "%s: nothing buffered any more", fl);
	is_u(achan_chan_is_closed(ch), 1, "%s: closed", fl);
	is_st(achan_chan_try_send(ch, &late), ACHAN_CLOSED,
	    "%s: try_send after the last receiver: CLOSED", fl);
	is_st(achan_chan_send(ch, &late), ACHAN_CLOSED,
	    "%s: send after the last receiver: CLOSED", fl);
	rec_init(&w, 1, NULL);
	achan_chan_send_future_init(&sf, ch, &late);
	is_st(achan_chan_send_poll(&sf, &w.w), ACHAN_CLOSED,
	    "%s: send future after the last receiver: CLOSED", fl);
	is_u(atomic_load(&dtor_calls), 4,
	    "%s: refused sends leave their value with the caller", fl);
	is_u(late, 500, "%s: caller's value untouched", fl);
	is_st(achan_chan_sender_release(&tx), ACHAN_OK, "%s: release the sender", fl);
	is_u(atomic_load(&dtor_calls), 4,
	    "%s: freeing the channel destroyed nothing more", fl);
}

/* --- 3. last sender while receivers wait ------------------------------------ */

struct drain_thread {
	pthread_t t;
	struct achan_chan_receiver rx;	/* its own clone, released at the end */
	uint64_t got[64];
	int n;
	int final;
	int release_rc;
	atomic_int started;
	atomic_int done;
};

static void *
drain_main(void *arg)
{
	struct drain_thread *d = arg;
	struct achan_chan *ch = rxc(&d->rx);
	uint64_t v;
	int r;

	atomic_store(&d->started, 1);
	while ((r = achan_chan_recv(ch, &v)) == ACHAN_OK)
		if (d->n < 64)
			d->got[d->n++] = v;
	d->final = r;
	d->release_rc = achan_chan_receiver_release(&d->rx);
	atomic_store(&d->done, 1);
	return NULL;
}

static void
test_last_sender_blocked_receivers(size_t cap, uint64_t nvals)
{
	enum { NT = 3 };
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	struct drain_thread d[NT];
	int seen[64] = { 0 };
	int good_final = 1, good_order = 1, good_once = 1, total = 0;

	mkpair(&tx, &rx, cap, 0);
	for (int i = 0; i < NT; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].final = -1;
		if (achan_chan_receiver_clone(&rx, &d[i].rx) != ACHAN_OK)
			bail_out("receiver_clone");
		if (pthread_create(&d[i].t, NULL, drain_main, &d[i]) != 0)
			bail_out("pthread_create");
	}
	/* main gives up its receiver: the threads' clones keep the role */
	is_st(achan_chan_receiver_release(&rx), ACHAN_OK,
	    "cap %zu: main releases its receiver while the threads hold clones",
	    cap);
	for (int i = 0; i < NT; i++)
		while (!atomic_load(&d[i].started))
			sched_yield();
	tu_sleep_ms(50);	/* let them block in achan_chan_recv */
	for (uint64_t v = 0; v < nvals; v++)
		if (achan_chan_try_send(txc(&tx), &v) != ACHAN_OK)
			bail_out("try_send %llu", (unsigned long long)v);
	/* release at once: most values are still buffered */
	is_st(achan_chan_sender_release(&tx), ACHAN_OK,
	    "cap %zu: release the last sender with %llu value(s) just sent", cap,
	    (unsigned long long)nvals);
	{
		struct timespec end = tu_add_ms(tu_now(), 10000);
		int all = 0;

		while (!all && !tu_ts_ge(tu_now(), end)) {
			all = 1;
			for (int i = 0; i < NT; i++)
				all &= atomic_load(&d[i].done);
			if (!all)
				tu_sleep_ms(1);
		}
		if (!ok(all, "cap %zu: every blocked receiver returned", cap))
			bail_out("receivers still blocked after the last sender went");
	}
	for (int i = 0; i < NT; i++)
		pthread_join(d[i].t, NULL);
	for (int i = 0; i < NT; i++) {
		good_final &= d[i].final == ACHAN_CLOSED &&
		    d[i].release_rc == ACHAN_OK;
		for (int k = 0; k < d[i].n; k++) {
			if (d[i].got[k] < 64)
				good_once &= ++seen[d[i].got[k]] == 1;
			else
				good_once = 0;
			if (k > 0)
				good_order &= d[i].got[k] > d[i].got[k - 1];
		}
		total += d[i].n;
	}
	ok(good_final, "cap %zu: every blocked receiver woke and ended with CLOSED "
	    "(then released its clone)", cap);
	is_u(total, nvals, "cap %zu: the buffered values were all drained", cap);
	ok(good_once, "cap %zu: each value received exactly once", cap);
	ok(good_order, "cap %zu: each receiver saw increasing values", cap);
}

/* --- 4. last sender while receive futures pend ------------------------------ */

static void
test_last_sender_pending_futures(unsigned flags, size_t cap)
{
	const char *fl = flavour(flags);
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	struct achan_chan_recv_future f1, f2;
	struct rec_waker w1, w2;
	uint64_t o1 = 0, o2 = 0, v = 42;
	struct achan_chan *ch;

	mkpair(&tx, &rx, cap, flags);
	ch = rxc(&rx);
	rec_init(&w1, 1, NULL);
	rec_init(&w2, 2, NULL);
	achan_chan_recv_future_init(&f1, ch, &o1);
	achan_chan_recv_future_init(&f2, ch, &o2);
	is_st(achan_chan_recv_poll(&f1, &w1.w), ACHAN_PENDING,
	    "%s cap %zu: f1 pends", fl, cap);
	is_st(achan_chan_recv_poll(&f2, &w2.w), ACHAN_PENDING,
	    "%s cap %zu: f2 pends", fl, cap);
	is_st(achan_chan_try_send(txc(&tx), &v), ACHAN_OK,
	    "%s cap %zu: one value sent", fl, cap);
	is_u(rec_calls(&w1), 1, "%s cap %zu: it woke the oldest receiver", fl, cap);
	is_u(rec_calls(&w2), 0, "%s cap %zu: and only it", fl, cap);
	is_st(achan_chan_sender_release(&tx), ACHAN_OK,
	    "%s cap %zu: release the last sender", fl, cap);
	is_u(rec_calls(&w2), 1, "%s cap %zu: the close woke f2", fl, cap);
	is_u(rec_calls(&w1), 1, "%s cap %zu: f1's waker fired only once", fl, cap);
	if (cap > 0) {
		/* the value is still buffered: whoever polls first gets it */
		is_st(achan_chan_recv_poll(&f2, &w2.w), ACHAN_OK,
		    "%s cap %zu: f2 (woken by the close) drains the value", fl, cap);
		is_u(o2, 42, "%s cap %zu: the value", fl, cap);
		is_st(achan_chan_recv_poll(&f1, &w1.w), ACHAN_CLOSED,
		    "%s cap %zu: f1 then gets CLOSED", fl, cap);
	} else {
		/* unbuffered: the send put the value straight into f1 */
		is_st(achan_chan_recv_poll(&f2, &w2.w), ACHAN_CLOSED,
		    "%s cap %zu: f2 gets CLOSED", fl, cap);
		is_st(achan_chan_recv_poll(&f1, &w1.w), ACHAN_OK,
		    "%s cap %zu: f1 completes with the value handed to it", fl, cap);
		is_u(o1, 42, "%s cap %zu: the value", fl, cap);
	}
	is_st(achan_chan_try_recv(ch, &o1), ACHAN_CLOSED,
	    "%s cap %zu: drained and closed", fl, cap);
	is_st(achan_chan_receiver_release(&rx), ACHAN_OK,
	    "%s cap %zu: release the receiver", fl, cap);
}

/* --- 5. last receiver while send futures pend on a full channel ------------ */

static void
test_last_receiver_pending_senders(unsigned flags, size_t cap)
{
	const char *fl = flavour(flags);
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	struct achan_chan_send_future s1, s2;
	struct rec_waker w1, w2;
	uint64_t v, v1 = 201, v2 = 202;
	struct achan_chan *ch;
	int good = 1;

	dtor_reset();
	mkpair(&tx, &rx, cap, flags);
	ch = txc(&tx);
	achan_chan_set_elem_dtor(ch, dtor_count, &dtor_tag);
	for (v = 1; v <= cap; v++)
		good &= achan_chan_try_send(ch, &v) == ACHAN_OK;
	ok(good, "%s cap %zu: filled", fl, cap);
	rec_init(&w1, 1, NULL);
	rec_init(&w2, 2, NULL);
	achan_chan_send_future_init(&s1, ch, &v1);
	achan_chan_send_future_init(&s2, ch, &v2);
	is_st(achan_chan_send_poll(&s1, &w1.w), ACHAN_PENDING,
	    "%s cap %zu: send future 1 pends", fl, cap);
	is_st(achan_chan_send_poll(&s2, &w2.w), ACHAN_PENDING,
	    "%s cap %zu: send future 2 pends", fl, cap);
	is_st(achan_chan_receiver_release(&rx), ACHAN_OK,
	    "%s cap %zu: release the last receiver", fl, cap);
	ok(rec_calls(&w1) == 1 && rec_calls(&w2) == 1,
	    "%s cap %zu: both send futures were woken", fl, cap);
	is_st(achan_chan_send_poll(&s1, &w1.w), ACHAN_CLOSED,
	    "%s cap %zu: send future 1: CLOSED", fl, cap);
	is_st(achan_chan_send_poll(&s2, &w2.w), ACHAN_CLOSED,
	    "%s cap %zu: send future 2: CLOSED", fl, cap);
	is_st(achan_chan_send_cancel(&s1), ACHAN_CANCELLED,
	    "%s cap %zu: cancel after CLOSED: not transferred", fl, cap);
	ok(v1 == 201 && v2 == 202, "%s cap %zu: the values stay with the caller",
	    fl, cap);
	ok(dtor_exactly(1, cap + 1),
	    "%s cap %zu: only the buffered values were destroyed, once each", fl,
	    cap);
	is_st(achan_chan_sender_release(&tx), ACHAN_OK,
	    "%s cap %zu: release the sender (frees)", fl, cap);
	ok(dtor_exactly(1, cap + 1),
	    "%s cap %zu: the free destroyed nothing more", fl, cap);
}

/* A sender blocked on a full channel on another thread. */
static void
test_last_receiver_blocked_sender(size_t cap)
{
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	struct op_thread o;
	uint64_t v, blocked = 300;
	int good = 1;

	dtor_reset();
	mkpair(&tx, &rx, cap, 0);
	achan_chan_set_elem_dtor(txc(&tx), dtor_count, &dtor_tag);
	for (v = 1; v <= cap; v++)
		good &= achan_chan_try_send(txc(&tx), &v) == ACHAN_OK;
	ok(good, "cap %zu: filled", cap);
	op_start(&o, txc(&tx), TU_SEND, &blocked, sizeof(blocked), 0);
	op_settle(&o, 50);
	ok(!op_done(&o), "cap %zu: the sender thread blocks on the full channel", cap);
	is_st(achan_chan_receiver_release(&rx), ACHAN_OK,
	    "cap %zu: release the last receiver", cap);
	ok(op_wait_done(&o, 5000), "cap %zu: the blocked sender returned", cap);
	is_st(op_join(&o), ACHAN_CLOSED, "cap %zu: with CLOSED", cap);
	ok(dtor_exactly(1, cap + 1),
	    "cap %zu: its value (300) was not destroyed; the buffered ones were",
	    cap);
	is_st(achan_chan_sender_release(&tx), ACHAN_OK, "cap %zu: release the sender",
	    cap);
}

/* Blocked receivers, nothing buffered: all get CLOSED. */
static void
test_last_sender_blocked_recv_ops(size_t cap)
{
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	struct op_thread o[2];

	mkpair(&tx, &rx, cap, 0);
	for (int i = 0; i < 2; i++)
		op_start(&o[i], rxc(&rx), TU_RECV, NULL, 0, 0);
	for (int i = 0; i < 2; i++)
		op_settle(&o[i], 30);
	ok(!op_done(&o[0]) && !op_done(&o[1]), "cap %zu: two receivers block", cap);
	achan_chan_sender_release(&tx);
	ok(op_wait_done(&o[0], 5000) && op_wait_done(&o[1], 5000),
	    "cap %zu: releasing the last sender wakes both", cap);
	is_st(op_join(&o[0]), ACHAN_CLOSED, "cap %zu: receiver 1: CLOSED", cap);
	is_st(op_join(&o[1]), ACHAN_CLOSED, "cap %zu: receiver 2: CLOSED", cap);
	achan_chan_receiver_release(&rx);
}

/* --- 6. futures outliving their handles ------------------------------------- */

static void
test_future_outlives_handles(unsigned flags, size_t cap)
{
	const char *fl = flavour(flags);
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	struct achan_chan_recv_future f;
	struct rec_waker w;
	uint64_t out = 7;
	size_t h0, h1, h2;
	int r_release_tx, r_release_rx, calls_after_tx, r_poll, r_again, r_cancel;

	rec_init(&w, 1, NULL);
	h0 = heap_bytes();
	mkpair(&tx, &rx, cap, flags);
	achan_chan_recv_future_init(&f, rxc(&rx), &out);
	is_st(achan_chan_recv_poll(&f, &w.w), ACHAN_PENDING,
	    "%s cap %zu: receive future pends", fl, cap);
	r_release_tx = achan_chan_sender_release(&tx);
	calls_after_tx = rec_calls(&w);
	r_release_rx = achan_chan_receiver_release(&rx);
	h1 = heap_bytes();
	r_poll = achan_chan_recv_poll(&f, &w.w);
	h2 = heap_bytes();
	r_again = achan_chan_recv_poll(&f, &w.w);
	r_cancel = achan_chan_recv_cancel(&f);

	is_st(r_release_tx, ACHAN_OK, "%s cap %zu: release the sender", fl, cap);
	is_u(calls_after_tx, 1, "%s cap %zu: the close woke the future", fl, cap);
	is_st(r_release_rx, ACHAN_OK, "%s cap %zu: release the receiver (last handle)",
	    fl, cap);
	is_st(r_poll, ACHAN_CLOSED,
	    "%s cap %zu: the future, outliving every handle, polls CLOSED", fl, cap);
	is_u(out, 7, "%s cap %zu: nothing written to its buffer", fl, cap);
	is_st(r_again, ACHAN_EINVAL, "%s cap %zu: poll after CLOSED: EINVAL "
	    "(answered without the freed channel)", fl, cap);
	is_st(r_cancel, ACHAN_CANCELLED, "%s cap %zu: cancel after CLOSED: CANCELLED",
	    fl, cap);
	is_u(rec_calls(&w), 1, "%s cap %zu: waker fired once in all", fl, cap);
	check_heap(cap, h0, h1, h2, "future outlives handles");
}

/* A send future outliving its handles (full channel, receiver goes first). */
static void
test_send_future_outlives_handles(unsigned flags, size_t cap)
{
	const char *fl = flavour(flags);
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	struct achan_chan_send_future f;
	struct rec_waker w;
	uint64_t v, mine = 900;
	size_t h0, h1, h2;
	int r_poll;
	int good = 1;

	dtor_reset();
	rec_init(&w, 1, NULL);
	h0 = heap_bytes();
	mkpair(&tx, &rx, cap, flags);
	achan_chan_set_elem_dtor(txc(&tx), dtor_count, &dtor_tag);
	for (v = 1; v <= 3 && v <= cap; v++)
		good &= achan_chan_try_send(txc(&tx), &v) == ACHAN_OK;
	/* fill a big channel quickly with value 0 beyond the first three */
	v = 0;
	for (size_t i = 3; i < cap; i++)
		good &= achan_chan_try_send(txc(&tx), &v) == ACHAN_OK;
	ok(good, "%s cap %zu: filled", fl, cap);
	achan_chan_send_future_init(&f, txc(&tx), &mine);
	is_st(achan_chan_send_poll(&f, &w.w), ACHAN_PENDING,
	    "%s cap %zu: send future pends on the full channel", fl, cap);
	is_st(achan_chan_sender_release(&tx), ACHAN_OK,
	    "%s cap %zu: release the last sender while its future pends", fl, cap);
	is_u(rec_calls(&w), 1, "%s cap %zu: the close woke the pending send", fl,
	    cap);
	is_u(atomic_load(&dtor_calls), 0,
	    "%s cap %zu: the last sender destroyed nothing", fl, cap);
	achan_chan_receiver_release(&rx);
	h1 = heap_bytes();
	r_poll = achan_chan_send_poll(&f, &w.w);
	h2 = heap_bytes();
	is_st(r_poll, ACHAN_CLOSED,
	    "%s cap %zu: the send future outliving its handles: CLOSED", fl, cap);
	is_u(mine, 900, "%s cap %zu: its value stays with the caller", fl, cap);
	is_u(atomic_load(&dtor_calls), cap,
	    "%s cap %zu: the buffered values were destroyed, not the future's",
	    fl, cap);
	is_u(atomic_load(&dtor_hits[1]) + atomic_load(&dtor_hits[2]) +
	    atomic_load(&dtor_hits[3]), 3, "%s cap %zu: including 1, 2, 3", fl, cap);
	check_heap(cap, h0, h1, h2, "send future outlives handles");
}

/* Cancel of a pending future after every handle is gone frees the channel. */
static void
test_cancel_frees(unsigned flags, size_t cap, int woken)
{
	const char *fl = flavour(flags);
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	struct achan_chan_recv_future f;
	struct rec_waker w;
	uint64_t out = 7, v = 33;
	size_t h0, h1, h2;
	int r_cancel, r_again;

	dtor_reset();
	rec_init(&w, 1, NULL);
	h0 = heap_bytes();
	mkpair(&tx, &rx, cap, flags);
	achan_chan_set_elem_dtor(txc(&tx), dtor_count, &dtor_tag);
	achan_chan_recv_future_init(&f, rxc(&rx), &out);
	is_st(achan_chan_recv_poll(&f, &w.w), ACHAN_PENDING,
	    "%s cap %zu%s: receive future pends", fl, cap, woken ? " woken" : "");
	if (woken) {
		/* woken by a value that it never picks up */
		is_st(achan_chan_try_send(txc(&tx), &v), ACHAN_OK,
		    "%s cap %zu woken: a value arrives", fl, cap);
	}
	/* receiver first this time: the close discards */
	achan_chan_receiver_release(&rx);
	achan_chan_sender_release(&tx);
	h1 = heap_bytes();
	r_cancel = achan_chan_recv_cancel(&f);
	h2 = heap_bytes();
	r_again = achan_chan_recv_cancel(&f);
	if (woken && cap == 0) {
		is_st(r_cancel, ACHAN_OK, "%s cap 0 woken: cancel after every handle "
		    "is gone: OK (the value had been handed over)", fl);
		is_u(out, 33, "%s cap 0 woken: and it is in the buffer", fl);
		is_u(atomic_load(&dtor_calls), 0,
		    "%s cap 0 woken: it was not destroyed", fl);
	} else {
		is_st(r_cancel, ACHAN_CANCELLED, "%s cap %zu%s: cancel after every "
		    "handle is gone: CANCELLED", fl, cap, woken ? " woken" : "");
		is_u(out, 7, "%s cap %zu: nothing written", fl, cap);
		is_u(atomic_load(&dtor_calls), woken ? 1 : 0,
		    "%s cap %zu%s: the discard destroyed what was buffered", fl, cap,
		    woken ? " woken" : "");
	}
	is_st(r_again, woken && cap == 0 ? ACHAN_OK : ACHAN_CANCELLED,
	    "%s cap %zu: a second cancel answers the same, without the channel",
	    fl, cap);
	check_heap(cap, h0, h1, h2, "cancel frees");
}

/* --- 7. storms --------------------------------------------------------------- */

#define STORM_THREADS 8
#define STORM_SENDERS 2
#define STORM_RECEIVERS 2
#define STORM_HELD 8

enum { STORM_SENDERS_STOP, STORM_RECEIVERS_STOP };

struct storm {
	size_t cap;
	int mode;
	struct timespec end;
	struct timespec hard_end;	/* "hung" beyond this */
	atomic_ullong sent_n, sent_sum, sent_mix;
	atomic_ullong recv_n, recv_sum, recv_mix;
	atomic_ullong dtor_n, dtor_sum, dtor_mix;
	atomic_int violations;
	atomic_int early_close;
	atomic_int hung;
	atomic_ullong clones, releases, futures;
};

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static void
count_sent(struct storm *s, uint64_t v)
{
	atomic_fetch_add(&s->sent_n, 1);
	atomic_fetch_add(&s->sent_sum, v);
	atomic_fetch_add(&s->sent_mix, mix64(v));
}

static void
count_recv(struct storm *s, uint64_t v)
{
	atomic_fetch_add(&s->recv_n, 1);
	atomic_fetch_add(&s->recv_sum, v);
	atomic_fetch_add(&s->recv_mix, mix64(v));
}

static void
storm_dtor(void *elem, void *arg)
{
	struct storm *s = arg;
	uint64_t v = u64v(elem);

	atomic_fetch_add(&s->dtor_n, 1);
	atomic_fetch_add(&s->dtor_sum, v);
	atomic_fetch_add(&s->dtor_mix, mix64(v));
}

static void
violation(struct storm *s, atomic_int *which)
{
	atomic_fetch_add(which ? which : &s->violations, 1);
}

struct storm_worker {
	pthread_t t;
	struct storm *s;
	int id;
	uint64_t seed;
	uint64_t seq;
	struct achan_chan_sender tx;	/* handed over by main */
	struct achan_chan_receiver rx;
	atomic_int wakes;
	struct achan_waker waker;
};

static void
storm_wake(void *arg)
{
	struct storm_worker *w = arg;

	atomic_fetch_add(&w->wakes, 1);
}

static int
past(struct timespec end)
{
	return tu_ts_ge(tu_now(), end);
}

static uint64_t
storm_value(struct storm_worker *w)
{
	return ((uint64_t)(w->id + 1) << 40) | w->seq++;
}

/*
 * Receivers-leave mode: nobody receives after s->end; each holder of a
 * receiver waits (bounded) until the senders have refilled the buffer before
 * it lets go, so the last receiver release finds values to discard: at most
 * one receive per other thread can slip in after that, fewer than cap.
 */
static void
wait_full(struct storm *s, struct achan_chan *ch)
{
	struct timespec limit = tu_add_ms(tu_now(), 3000);

	while (s->cap > 0 && achan_chan_len(ch) < s->cap && !past(limit))
		tu_sleep_ms(1);
}

static void
release_tx(struct storm_worker *w, struct achan_chan_sender *h)
{
	if (achan_chan_sender_release(h) != ACHAN_OK || txc(h) != NULL)
		violation(w->s, NULL);
	atomic_fetch_add(&w->s->releases, 1);
}

static void
release_rx(struct storm_worker *w, struct achan_chan_receiver *h)
{
	if (achan_chan_receiver_release(h) != ACHAN_OK || rxc(h) != NULL)
		violation(w->s, NULL);
	atomic_fetch_add(&w->s->releases, 1);
}

/* Clone / release at random, keeping at least one of each role. */
static void *
storm_main(void *arg)
{
	struct storm_worker *w = arg;
	struct storm *s = w->s;
	struct achan_chan_sender tx[STORM_HELD];
	struct achan_chan_receiver rx[STORM_HELD];
	int ntx = 1, nrx = 1;
	struct achan_chan_recv_future rf;
	struct achan_chan_send_future sf;
	uint64_t v, out;
	int r, k;

	w->waker.wake = storm_wake;
	w->waker.arg = w;
	tx[0] = w->tx;	/* a move, not a clone: w->tx is not used again */
	rx[0] = w->rx;
	while (!past(s->end)) {
		uint64_t x = tu_rand(&w->seed);

		switch (x % 11) {
		case 0:
		case 1:
			if (ntx < STORM_HELD) {
				k = (int)((x >> 8) % (uint64_t)ntx);
				if (achan_chan_sender_clone(&tx[k], &tx[ntx]) != ACHAN_OK ||
				    txc(&tx[ntx]) != txc(&tx[k]))
					violation(s, NULL);
				else
					ntx++;
				atomic_fetch_add(&s->clones, 1);
			}
			break;
		case 2:
		case 3:
			if (ntx > 1) {
				k = (int)((x >> 8) % (uint64_t)ntx);
				release_tx(w, &tx[k]);
				tx[k] = tx[--ntx];
			}
			break;
		case 4:
		case 5:
			if (nrx < STORM_HELD) {
				k = (int)((x >> 8) % (uint64_t)nrx);
				if (achan_chan_receiver_clone(&rx[k], &rx[nrx]) != ACHAN_OK ||
				    rxc(&rx[nrx]) != rxc(&rx[k]))
					violation(s, NULL);
				else
					nrx++;
				atomic_fetch_add(&s->clones, 1);
			}
			break;
		case 6:
		case 7:
			if (nrx > 1) {
				k = (int)((x >> 8) % (uint64_t)nrx);
				release_rx(w, &rx[k]);
				rx[k] = rx[--nrx];
			}
			break;
		case 8:
			/* we hold a sender and a receiver: nobody may have
			 * closed the channel */
			if (achan_chan_is_closed(txc(&tx[0])))
				violation(s, &s->early_close);
			v = storm_value(w);
			r = achan_chan_try_send(txc(&tx[(x >> 8) % (uint64_t)ntx]), &v);
			if (r == ACHAN_OK)
				count_sent(s, v);
			else if (r != ACHAN_FULL)
				violation(s, &s->early_close);
			r = achan_chan_try_recv(rxc(&rx[(x >> 16) % (uint64_t)nrx]), &out);
			if (r == ACHAN_OK)
				count_recv(s, out);
			else if (r != ACHAN_EMPTY)
				violation(s, &s->early_close);
			break;
		case 9:
			/* a receive future that pends while we drop a receiver
			 * handle, then is cancelled */
			achan_chan_recv_future_init(&rf, rxc(&rx[0]), &out);
			r = achan_chan_recv_poll(&rf, &w->waker);
			if (r == ACHAN_OK) {
				count_recv(s, out);
				break;
			}
			if (r != ACHAN_PENDING) {
				violation(s, &s->early_close);
				break;
			}
			atomic_fetch_add(&s->futures, 1);
			if (nrx > 1) {
				release_rx(w, &rx[0]);
				rx[0] = rx[--nrx];
			}
			sched_yield();
			if (achan_chan_recv_cancel(&rf) == ACHAN_OK)
				count_recv(s, out);
			break;
		case 10:
			/* the same for a send future */
			v = storm_value(w);
			achan_chan_send_future_init(&sf, txc(&tx[0]), &v);
			r = achan_chan_send_poll(&sf, &w->waker);
			if (r == ACHAN_OK) {
				count_sent(s, v);
				break;
			}
			if (r != ACHAN_PENDING) {
				violation(s, &s->early_close);
				break;
			}
			atomic_fetch_add(&s->futures, 1);
			if (ntx > 1) {
				release_tx(w, &tx[0]);
				tx[0] = tx[--ntx];
			}
			sched_yield();
			if (achan_chan_send_cancel(&sf) == ACHAN_OK)
				count_sent(s, v);
			break;
		}
	}

	/* End: leave a future registered (a receive on the empty channel when
	 * the senders leave, a send on the full one when the receivers leave),
	 * drop every handle in random order (the future keeps the channel
	 * alive), then cancel it - which may be the very last reference. */
	{
		int registered = 0, recv_side = s->mode == STORM_SENDERS_STOP;

		if (!recv_side)
			wait_full(s, rxc(&rx[0]));
		for (int tries = 0; tries < 64; tries++) {
			if (recv_side) {
				achan_chan_recv_future_init(&rf, rxc(&rx[0]), &out);
				r = achan_chan_recv_poll(&rf, &w->waker);
			} else {
				v = storm_value(w);
				achan_chan_send_future_init(&sf, txc(&tx[0]), &v);
				r = achan_chan_send_poll(&sf, &w->waker);
			}
			if (r == ACHAN_OK) {
				if (recv_side)
					count_recv(s, out);
				else
					count_sent(s, v);
				continue;
			}
			registered = r == ACHAN_PENDING;
			if (r != ACHAN_PENDING)
				violation(s, &s->early_close);
			break;
		}
		while (ntx > 0 || nrx > 0) {
			uint64_t x = tu_rand(&w->seed);

			if (nrx == 0 || (ntx > 0 && (x & 1))) {
				k = (int)((x >> 8) % (uint64_t)ntx);
				release_tx(w, &tx[k]);
				tx[k] = tx[--ntx];
			} else {
				k = (int)((x >> 8) % (uint64_t)nrx);
				release_rx(w, &rx[k]);
				rx[k] = rx[--nrx];
			}
		}
		if (registered && recv_side &&
		    achan_chan_recv_cancel(&rf) == ACHAN_OK)
			count_recv(s, out);
		if (registered && !recv_side &&
		    achan_chan_send_cancel(&sf) == ACHAN_OK)
			count_sent(s, v);
	}
	return NULL;
}

struct storm_io {
	pthread_t t;
	struct storm *s;
	int id;
	uint64_t seq;
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	int final;
};

static void *
storm_sender_main(void *arg)
{
	struct storm_io *io = arg;
	struct storm *s = io->s;
	struct achan_chan *ch = txc(&io->tx);
	int r = ACHAN_OK;

	for (;;) {
		uint64_t v = ((uint64_t)(io->id + 100) << 40) | io->seq++;
		struct timespec dl = tu_add_ms(tu_now(), 20);

		if (s->mode == STORM_SENDERS_STOP && past(s->end))
			break;
		if (s->mode == STORM_RECEIVERS_STOP && past(s->hard_end)) {
			atomic_fetch_add(&s->hung, 1);
			break;
		}
		r = achan_chan_send_until(ch, &v, &dl);
		if (r == ACHAN_OK)
			count_sent(s, v);
		else if (r == ACHAN_CLOSED)
			break;
		else if (r != ACHAN_TIMEDOUT)
			violation(s, NULL);
	}
	/* only the receivers' going may close it before we let go */
	if (r == ACHAN_CLOSED && s->mode == STORM_SENDERS_STOP)
		violation(s, &s->early_close);
	io->final = r;
	if (achan_chan_sender_release(&io->tx) != ACHAN_OK)
		violation(s, NULL);
	return NULL;
}

static void *
storm_receiver_main(void *arg)
{
	struct storm_io *io = arg;
	struct storm *s = io->s;
	struct achan_chan *ch = rxc(&io->rx);
	uint64_t v;
	int r = ACHAN_OK;

	for (;;) {
		struct timespec dl = tu_add_ms(tu_now(), 20);

		if (s->mode == STORM_RECEIVERS_STOP && past(s->end))
			break;
		if (past(s->hard_end)) {
			atomic_fetch_add(&s->hung, 1);
			break;
		}
		r = achan_chan_recv_until(ch, &v, &dl);
		if (r == ACHAN_OK)
			count_recv(s, v);
		else if (r == ACHAN_CLOSED)
			break;
		else if (r != ACHAN_TIMEDOUT)
			violation(s, NULL);
	}
	if (r == ACHAN_CLOSED && s->mode == STORM_RECEIVERS_STOP)
		violation(s, &s->early_close);	/* we still held a receiver */
	if (s->mode == STORM_RECEIVERS_STOP)
		wait_full(s, ch);
	io->final = r;
	if (achan_chan_receiver_release(&io->rx) != ACHAN_OK)
		violation(s, NULL);
	return NULL;
}

static void
test_storm(size_t cap, int mode, double seconds, const char *what)
{
	struct storm *s = calloc(1, sizeof(*s));
	struct storm_worker *w = calloc(STORM_THREADS, sizeof(*w));
	struct storm_io snd[STORM_SENDERS], rcv[STORM_RECEIVERS];
	struct achan_chan_sender tx;
	struct achan_chan_receiver rx;
	int good_final = 1;

	if (s == NULL || w == NULL)
		bail_out("calloc");
	s->cap = cap;
	s->mode = mode;
	mkpair(&tx, &rx, cap, 0);
	achan_chan_set_elem_dtor(txc(&tx), storm_dtor, s);
	s->end = tu_add_ms(tu_now(), (long)(seconds * 1000.0));
	s->hard_end = tu_add_ms(s->end, 20000);
	for (int i = 0; i < STORM_THREADS; i++) {
		w[i].s = s;
		w[i].id = i;
		w[i].seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1) + cap + mode;
		if (achan_chan_sender_clone(&tx, &w[i].tx) != ACHAN_OK ||
		    achan_chan_receiver_clone(&rx, &w[i].rx) != ACHAN_OK)
			bail_out("clone for storm worker");
	}
	for (int i = 0; i < STORM_SENDERS; i++) {
		memset(&snd[i], 0, sizeof(snd[i]));
		snd[i].s = s;
		snd[i].id = i;
		if (achan_chan_sender_clone(&tx, &snd[i].tx) != ACHAN_OK)
			bail_out("clone for sender");
	}
	for (int i = 0; i < STORM_RECEIVERS; i++) {
		memset(&rcv[i], 0, sizeof(rcv[i]));
		rcv[i].s = s;
		rcv[i].id = i;
		if (achan_chan_receiver_clone(&rx, &rcv[i].rx) != ACHAN_OK)
			bail_out("clone for receiver");
	}
	/* main lets go at once: the last release happens on some thread */
	achan_chan_sender_release(&tx);
	achan_chan_receiver_release(&rx);
	for (int i = 0; i < STORM_THREADS; i++)
		if (pthread_create(&w[i].t, NULL, storm_main, &w[i]) != 0)
			bail_out("pthread_create");
	for (int i = 0; i < STORM_SENDERS; i++)
		if (pthread_create(&snd[i].t, NULL, storm_sender_main, &snd[i]) != 0)
			bail_out("pthread_create");
	for (int i = 0; i < STORM_RECEIVERS; i++)
		if (pthread_create(&rcv[i].t, NULL, storm_receiver_main, &rcv[i]) != 0)
			bail_out("pthread_create");
	for (int i = 0; i < STORM_THREADS; i++)
		pthread_join(w[i].t, NULL);
	for (int i = 0; i < STORM_SENDERS; i++) {
		pthread_join(snd[i].t, NULL);
		if (mode == STORM_RECEIVERS_STOP)
			good_final &= snd[i].final == ACHAN_CLOSED;
	}
	for (int i = 0; i < STORM_RECEIVERS; i++) {
		pthread_join(rcv[i].t, NULL);
		if (mode == STORM_SENDERS_STOP)
			good_final &= rcv[i].final == ACHAN_CLOSED;
	}

	unsigned long long sn = atomic_load(&s->sent_n), rn = atomic_load(&s->recv_n),
	    dn = atomic_load(&s->dtor_n);
	diag("%s: %llu clones, %llu releases, %llu futures parked, sent %llu, "
	    "received %llu, destroyed %llu", what,
	    (unsigned long long)atomic_load(&s->clones),
	    (unsigned long long)atomic_load(&s->releases),
	    (unsigned long long)atomic_load(&s->futures), sn, rn, dn);
	is_u(atomic_load(&s->violations), 0,
	    "%s: every clone / release / operation answered as expected", what);
	is_u(atomic_load(&s->early_close), 0,
	    "%s: never closed while a sender and a receiver were held", what);
	is_u(atomic_load(&s->hung), 0, "%s: nobody hung", what);
	ok(good_final, "%s: the close reached every %s (exactly one close, by the "
	    "last release)", what,
	    mode == STORM_SENDERS_STOP ? "receiver: CLOSED after draining" :
	    "sender: CLOSED");
	ok(sn > 0 && rn > 0, "%s: values flowed (%llu sent)", what, sn);
	if (!ok(sn == rn + dn && atomic_load(&s->sent_sum) ==
	    atomic_load(&s->recv_sum) + atomic_load(&s->dtor_sum) &&
	    atomic_load(&s->sent_mix) == atomic_load(&s->recv_mix) +
	    atomic_load(&s->dtor_mix),
	    "%s: everything sent was received or destroyed exactly once", what))
		diag("    sent %llu, received %llu, destroyed %llu", sn, rn, dn);
	if (mode == STORM_SENDERS_STOP)
		is_u(dn, 0, "%s: receivers drained everything: nothing destroyed",
		    what);
	else if (cap > 0)
		ok(dn > 0 && dn <= cap, "%s: the last receiver discarded what was "
		    "buffered (%llu of %zu) through the destructor", what, dn, cap);
	else
		is_u(dn, 0, "%s: unbuffered: nothing to destroy", what);
	free(w);
	free(s);
}

int
main(void)
{
	double secs = tap_test_seconds();

	tap_watchdog(30 + (unsigned)(4 * secs));
#if defined(__GLIBC__)
	/* a fixed threshold: big channels are mmapped, and freeing one does
	 * not raise the threshold for the next */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	dtor_reset();

	test_pair_basics(0);
	test_pair_basics(ACHAN_LOCAL);

	test_sender_counting(0, 4);
	test_sender_counting(ACHAN_LOCAL, 4);
	test_sender_counting(0, 0);
	test_sender_counting(ACHAN_LOCAL, 0);
	test_receiver_counting(0);
	test_receiver_counting(ACHAN_LOCAL);

	test_last_sender_blocked_receivers(16, 16);
	test_last_sender_blocked_receivers(4, 4);
	test_last_sender_blocked_recv_ops(8);
	test_last_sender_blocked_recv_ops(0);

	test_last_sender_pending_futures(0, 4);
	test_last_sender_pending_futures(ACHAN_LOCAL, 4);
	test_last_sender_pending_futures(0, 0);
	test_last_sender_pending_futures(ACHAN_LOCAL, 0);

	test_last_receiver_pending_senders(0, 2);
	test_last_receiver_pending_senders(ACHAN_LOCAL, 2);
	test_last_receiver_pending_senders(0, 0);
	test_last_receiver_pending_senders(ACHAN_LOCAL, 0);
	test_last_receiver_blocked_sender(3);
	test_last_receiver_blocked_sender(0);

	test_future_outlives_handles(0, BIG_CAP);
	test_future_outlives_handles(ACHAN_LOCAL, BIG_CAP);
	test_future_outlives_handles(0, 0);
	test_future_outlives_handles(ACHAN_LOCAL, 0);
	test_send_future_outlives_handles(0, 4);
	test_send_future_outlives_handles(ACHAN_LOCAL, BIG_CAP);

	test_cancel_frees(0, BIG_CAP, 0);
	test_cancel_frees(ACHAN_LOCAL, BIG_CAP, 0);
	test_cancel_frees(0, BIG_CAP, 1);
	test_cancel_frees(ACHAN_LOCAL, BIG_CAP, 1);
	test_cancel_frees(0, 0, 0);
	test_cancel_frees(ACHAN_LOCAL, 0, 0);
	test_cancel_frees(0, 0, 1);
	test_cancel_frees(ACHAN_LOCAL, 0, 1);

	test_storm(16, STORM_SENDERS_STOP, secs / 4, "storm cap 16, senders leave");
	test_storm(16, STORM_RECEIVERS_STOP, secs / 4, "storm cap 16, receivers leave");
	test_storm(0, STORM_SENDERS_STOP, secs / 4, "storm cap 0, senders leave");
	test_storm(0, STORM_RECEIVERS_STOP, secs / 4, "storm cap 0, receivers leave");
	return done_testing();
}

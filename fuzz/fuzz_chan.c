/*
 * fuzz/fuzz_chan.c - libFuzzer target: bounded (capacity 1..4) and
 * unbuffered channels against the reference model (ref_chan.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Input: one header byte, then one byte per operation.
 *
 *   header  bits 0-2  capacity (value % 5: 0 is unbuffered)
 *           bit  3    ACHAN_LOCAL
 *           bits 4-5  lifetime: 0 create/destroy, 1 init/fini in caller
 *                     memory, 2-3 a sender/receiver pair
 *           bits 6-7  element size (fz_elem_size: 8, 0, 24, 8)
 *
 *   op      low nibble: the operation, high nibble: its argument
 *            0 try_send            8 blocking recv (or recv_until)
 *            1 try_recv            9 clone a handle (role, from, to)
 *            2 send future poll   10 release a handle (role, which)
 *            3 recv future poll   11 destroy/fini while busy (EBUSY)
 *            4 send future cancel 12 bad arguments (EINVAL)
 *            5 recv future cancel 13 stream poll / cancel / next
 *            6 close              14 try_send then try_recv
 *            7 blocking send      15 poll the woken futures, in wake order
 *           14 with argument 8..15: a batch (argument & 7: try_send_many,
 *              try_send_all, try_recv_many, send_many, send_many_until,
 *              recv_many, recv_many_until, bad batch arguments); the
 *              next byte: bits 0-2 its size % 7, bit 3 NULL arrays for
 *              elem_size 0.  Argument 15 with a next byte >= 0x80 is a
 *              batch future instead (bfut_op: slot, send or recv many,
 *              poll or cancel, n or max 1..4)
 *           Future slots are 0..7; two streams.  A blocking call is made
 *           where it returns at once, or on a local channel (EDEADLK);
 *           otherwise its deadline twin with a past deadline (TIMEDOUT).
 *
 * Futures live in malloc'd memory from their first poll to their end, so
 * AddressSanitizer catches a library that touches one after poll answered
 * OK / CLOSED or cancel returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ref_chan.h"

#define NF REF_CHAN_FUTS
#define NS REF_CHAN_STREAMS
#define NH REF_CHAN_HANDLES

struct sfut {
	struct achan_chan_send_future f;
	unsigned char val[FZ_MAX_ELEM];
};

struct rfut {
	struct achan_chan_recv_future f;
	unsigned char out[FZ_MAX_ELEM];
};

struct strm {
	struct achan_chan_stream s;
	unsigned char out[FZ_MAX_ELEM];
};

static struct {
	struct ref_chan m;
	int local, paired, init;
	size_t esz;
	struct achan_chan *ch;		/* unpaired */
	void *mem;			/* init: the caller memory */
	struct achan_chan_sender tx[NH];
	struct achan_chan_receiver rx[NH];
	struct sfut *sf[NF];
	struct rfut *rf[NF];
	struct strm *st[NS];		/* from first use to the end */
	uint64_t next;			/* the last value sent */
	/* batch futures (op 14 arg 15, next byte >= 0x80), in the slots
	 * of the single ones: bs[i] / br[i] non-NULL while one lives */
	struct bsfut {
		struct achan_chan_send_many_future f;
		unsigned char val[6 * FZ_MAX_ELEM];
	} *bs[NF];
	struct brfut {
		struct achan_chan_recv_many_future f;
		unsigned char out[6 * FZ_MAX_ELEM];
	} *br[NF];
	unsigned timeouts;		/* blocking calls that timed out */
} S;

/*
 * A thread-safe blocking call that has to wait costs a spin, a futex wait
 * and a cancel (tens of microseconds): a few per input test that path, more
 * would only slow the campaign down.
 */
#define MAX_TIMEOUTS 2

/* waker slots: send future i is slot i, receive future i is slot NF + i;
 * stream j is receive future NF + j of the model, slot NF + NF + j */
#define RSLOT(i) (NF + (i))
#define SSLOT(j) (NF + NF + (j))

static void *
vbuf(unsigned char *b)
{
	return S.esz != 0 ? b : NULL;
}

/* The channel, through any live handle when paired; NULL if unusable. */
static struct achan_chan *
chan(void)
{
	unsigned i;

	if (!S.paired)
		return S.ch;
	for (i = 0; i < NH; i++) {
		if (achan_chan_sender_chan(&S.tx[i]) != NULL)
			return achan_chan_sender_chan(&S.tx[i]);
		if (achan_chan_receiver_chan(&S.rx[i]) != NULL)
			return achan_chan_receiver_chan(&S.rx[i]);
	}
	return NULL;
}

/* --- comparing everything observable --------------------------------------- */

/* A slot's code in the model's wake log: side << 8 | future. */
static unsigned
code_of(unsigned slot)
{
	return slot < NF ? slot : 1u << 8 | (slot - NF);
}

static void
compare(void)
{
	struct achan_chan *ch;
	unsigned i;

	for (i = 0; i < NF; i++)
		if (fz_wakes[i] != S.m.send[i].wakes)
			fz_fail("send future %u: woken %u times, model %u", i,
			    fz_wakes[i], S.m.send[i].wakes);
	for (i = 0; i < NF + NS; i++)
		if (fz_wakes[RSLOT(i)] != S.m.recv[i].wakes)
			fz_fail("recv future %u: woken %u times, model %u", i,
			    fz_wakes[RSLOT(i)], S.m.recv[i].wakes);
	fz_check_wake_order(code_of);
	FZ_EQ_U(fz_dtor_n, S.m.dtor.n, "destructor calls");
	for (i = 0; S.esz != 0 && i < fz_dtor_n; i++)
		FZ_EQ_U(fz_dtor_log[i], S.m.dtor.v[i], "destructor value");
	if (S.m.freed || !ref_chan_usable(&S.m))
		return;
	ch = chan();
	if (ch == NULL)
		fz_fail("no channel behind the live handles");
	FZ_EQ_U(achan_chan_len(ch), S.m.len, "len");
	FZ_EQ_U(achan_chan_is_closed(ch), S.m.closed, "is_closed");
	FZ_EQ_U(achan_chan_capacity(ch), S.m.cap, "capacity");
	FZ_EQ_U(achan_chan_elem_size(ch), S.esz, "elem_size");
}

/* --- futures ------------------------------------------------------------------ */

/* A finished future: poll answers EINVAL, cancel answers as it finished;
 * then its memory goes (ASan: nothing may touch it after this). */
static void
send_finished(unsigned i)
{
	struct sfut *sf = S.sf[i];
	struct achan_waker w = fz_dead_waker();

	FZ_EQ_ST(achan_chan_send_poll(&sf->f, &w),
	    ref_chan_send_poll(&S.m, i, 0), "send poll after finish");
	FZ_EQ_ST(achan_chan_send_cancel(&sf->f), ref_chan_send_cancel(&S.m, i),
	    "send cancel after finish");
	S.m.send[i].st = RF_FREE;
	free(sf);
	S.sf[i] = NULL;
}

static void
recv_finished(unsigned i)
{
	struct rfut *rf = S.rf[i];
	struct achan_waker w = fz_dead_waker();
	uint64_t v = 0;

	FZ_EQ_ST(achan_chan_recv_poll(&rf->f, &w),
	    ref_chan_recv_poll(&S.m, i, &v), "recv poll after finish");
	FZ_EQ_ST(achan_chan_recv_cancel(&rf->f),
	    ref_chan_recv_cancel(&S.m, i, &v), "recv cancel after finish");
	S.m.recv[i].st = RF_FREE;
	free(rf);
	S.rf[i] = NULL;
}

/* Start a future in slot i (the model's slot is FREE).  0 if the channel
 * cannot be used any more. */
static int
send_start(unsigned i)
{
	struct achan_chan *ch = chan();
	struct sfut *sf;

	if (ch == NULL)
		return 0;
	sf = calloc(1, sizeof(*sf));
	if (sf == NULL)
		abort();
	fz_encode(sf->val, S.esz, ++S.next);
	FZ_EQ_ST(achan_chan_send_future_init(&sf->f, ch, vbuf(sf->val)),
	    ACHAN_OK, "send future init");
	S.sf[i] = sf;
	fz_wakes[i] = 0;
	return 1;
}

static int
recv_start(unsigned i)
{
	struct achan_chan *ch = chan();
	struct rfut *rf;

	if (ch == NULL)
		return 0;
	rf = calloc(1, sizeof(*rf));
	if (rf == NULL)
		abort();
	FZ_EQ_ST(achan_chan_recv_future_init(&rf->f, ch, vbuf(rf->out)),
	    ACHAN_OK, "recv future init");
	S.rf[i] = rf;
	fz_wakes[RSLOT(i)] = 0;
	return 1;
}

static void bfut_op(unsigned b);

static void
send_poll(unsigned i)
{
	struct achan_waker w;
	int r, mr;

	if (S.bs[i] != NULL) {
		bfut_op(0x80 | i);
		return;
	}
	if (S.m.send[i].st == RF_FREE && !send_start(i))
		return;
	fz_op("send_poll", i, S.m.send[i].st == RF_FREE ? S.next : 0);
	w = fz_waker(i);
	r = achan_chan_send_poll(&S.sf[i]->f, &w);
	mr = ref_chan_send_poll(&S.m, i, S.next);
	FZ_EQ_ST(r, mr, "send poll");
	if (r != ACHAN_PENDING)
		send_finished(i);
}

static void
recv_poll(unsigned i)
{
	struct achan_waker w;
	uint64_t v = 0;
	int r, mr;

	if (S.br[i] != NULL) {
		bfut_op(0x88 | i);
		return;
	}
	if (S.m.recv[i].st == RF_FREE && !recv_start(i))
		return;
	fz_op("recv_poll", i, 0);
	w = fz_waker(RSLOT(i));
	r = achan_chan_recv_poll(&S.rf[i]->f, &w);
	mr = ref_chan_recv_poll(&S.m, i, &v);
	FZ_EQ_ST(r, mr, "recv poll");
	if (r == ACHAN_OK)
		fz_check_value(S.rf[i]->out, S.esz, v, "recv poll");
	if (r != ACHAN_PENDING)
		recv_finished(i);
}

static void
send_cancel(unsigned i)
{
	if (S.bs[i] != NULL) {
		bfut_op(0x90 | i);
		return;
	}
	if (S.m.send[i].st == RF_FREE && !send_start(i))
		return;
	fz_op("send_cancel", i, 0);
	FZ_EQ_ST(achan_chan_send_cancel(&S.sf[i]->f),
	    ref_chan_send_cancel(&S.m, i), "send cancel");
	if (S.m.send[i].st == RF_FREE)	/* a fresh future: now finished */
		S.m.send[i] = (struct ref_fut){ .st = RF_FINISHED,
		    .result = ACHAN_CANCELLED };
	send_finished(i);
}

static void
recv_cancel(unsigned i)
{
	uint64_t v = 0;
	int r;

	if (S.br[i] != NULL) {
		bfut_op(0x98 | i);
		return;
	}
	if (S.m.recv[i].st == RF_FREE && !recv_start(i))
		return;
	fz_op("recv_cancel", i, 0);
	r = achan_chan_recv_cancel(&S.rf[i]->f);
	FZ_EQ_ST(r, ref_chan_recv_cancel(&S.m, i, &v), "recv cancel");
	if (r == ACHAN_OK)
		fz_check_value(S.rf[i]->out, S.esz, v, "recv cancel");
	if (S.m.recv[i].st == RF_FREE)
		S.m.recv[i] = (struct ref_fut){ .st = RF_FINISHED,
		    .result = ACHAN_CANCELLED };
	recv_finished(i);
}

/* --- streams ------------------------------------------------------------------ */

/* Make stream j on first use.  0 if it cannot be made (no channel). */
static int
stream_have(unsigned j)
{
	struct achan_chan *ch;

	if (S.st[j] != NULL)
		return 1;
	ch = chan();
	if (ch == NULL || S.m.freed)
		return 0;
	S.st[j] = calloc(1, sizeof(*S.st[j]));
	if (S.st[j] == NULL)
		abort();
	fz_op("stream_init", j, 0);
	FZ_EQ_ST(achan_chan_stream_init(&S.st[j]->s, ch, vbuf(S.st[j]->out)),
	    ACHAN_OK, "stream init");
	return 1;
}

/* A stream reaches the channel unless it is fused; a waiting one holds a
 * registered future, which keeps the channel alive. */
static int
stream_may_poll(unsigned j)
{
	return S.m.stream[j] != RS_IDLE || (ref_chan_usable(&S.m) && !S.m.freed);
}

static void
stream_poll(unsigned j)
{
	struct achan_waker w;
	uint64_t v = 0;
	int r;

	if (!stream_have(j) || !stream_may_poll(j))
		return;
	if (S.m.stream[j] == RS_IDLE)
		fz_wakes[SSLOT(j)] = 0;	/* a new receive */
	fz_op("stream_poll", j, 0);
	w = fz_waker(SSLOT(j));
	r = achan_chan_stream_poll(&S.st[j]->s, &w);
	FZ_EQ_ST(r, ref_chan_stream_poll(&S.m, j, &v), "stream poll");
	if (r == ACHAN_OK)
		fz_check_value(S.st[j]->out, S.esz, v, "stream poll");
}

static void
stream_cancel(unsigned j)
{
	uint64_t v = 0;
	int r;

	if (!stream_have(j))
		return;
	fz_op("stream_cancel", j, 0);
	r = achan_chan_stream_cancel(&S.st[j]->s);
	FZ_EQ_ST(r, ref_chan_stream_cancel(&S.m, j, &v), "stream cancel");
	if (r == ACHAN_OK)
		fz_check_value(S.st[j]->out, S.esz, v, "stream cancel");
}

/* Blocking next: where it would wait, EDEADLK (local) or the deadline twin
 * with a past deadline (thread-safe: TIMEDOUT). */
static void
stream_next(unsigned j, int until)
{
	struct timespec dl = fz_past();
	uint64_t v = 0;
	int waits, r;

	if (!stream_have(j))
		return;
	if (S.m.stream[j] != RS_CLOSED && (!ref_chan_usable(&S.m) || S.m.freed))
		return;
	waits = ref_chan_stream_next_waits(&S.m, j);
	if (waits && !S.local && S.timeouts++ >= MAX_TIMEOUTS)
		return;
	if (waits && !S.local)
		until = 1;
	fz_op(until ? "stream_next_until(past)" : "stream_next", j, waits);
	r = until ? achan_chan_stream_next_until(&S.st[j]->s, &dl) :
	    achan_chan_stream_next(&S.st[j]->s);
	FZ_EQ_ST(r, ref_chan_stream_next(&S.m, j, &v, S.local), "stream next");
	if (r == ACHAN_OK)
		fz_check_value(S.st[j]->out, S.esz, v, "stream next");
}

static void
stream_op(unsigned arg)
{
	unsigned j = arg & 1;

	switch (arg >> 1) {
	case 4: stream_cancel(j); break;
	case 5: stream_next(j, 0); break;
	case 6: stream_next(j, 1); break;
	default: stream_poll(j); break;
	}
}

/* Poll the futures woken so far, in the order they were woken (an event
 * loop running its ready queue). */
static void
run_ready(void)
{
	unsigned ready[FZ_READY_MAX], n = fz_ready_n, k, s;

	memcpy(ready, fz_ready, n * sizeof(ready[0]));
	fz_ready_n = 0;
	for (k = 0; k < n; k++) {
		s = ready[k];
		if (s < NF) {
			if (ref_registered(&S.m.send[s]))
				send_poll(s);
		} else if (s >= SSLOT(0)) {
			if (S.m.stream[s - SSLOT(0)] == RS_WAITING)
				stream_poll(s - SSLOT(0));
		} else if (ref_registered(&S.m.recv[s - NF])) {
			recv_poll(s - NF);
		}
	}
}

/* From inside a wake: the woken future cannot be polled or cancelled there. */
static void
in_wake(unsigned slot)
{
	struct achan_waker w = fz_dead_waker();

	if (slot >= SSLOT(0)) {
		struct strm *st = S.st[slot - SSLOT(0)];

		if (st == NULL || S.m.stream[slot - SSLOT(0)] != RS_WAITING)
			fz_fail("stream %u woken, but it does not wait",
			    slot - SSLOT(0));
		FZ_EQ_ST(achan_chan_stream_poll(&st->s, &w), ACHAN_EINVAL,
		    "stream poll from its own wake");
		/* Found here (fuzz/crashes/chan-stream-cancel-in-wake): the
		 * cancel answered EINVAL but forgot the pending receive, so
		 * the next poll re-initialised a registered future whose
		 * registration was never counted off.  Fixed: the stream
		 * keeps waiting. */
		FZ_EQ_ST(achan_chan_stream_cancel(&st->s), ACHAN_EINVAL,
		    "stream cancel from its own wake");
		return;
	}
	if (slot < NF ? S.bs[slot] != NULL : S.br[slot - NF] != NULL) {
		size_t c;

		if (slot < NF) {
			FZ_EQ_ST(achan_chan_send_many_poll(&S.bs[slot]->f, &w,
			    &c), ACHAN_EINVAL, "send_many poll from its wake");
			FZ_EQ_ST(achan_chan_send_many_cancel(&S.bs[slot]->f,
			    &c), ACHAN_EINVAL, "send_many cancel from its wake");
		} else {
			FZ_EQ_ST(achan_chan_recv_many_poll(&S.br[slot - NF]->f,
			    &w, &c), ACHAN_EINVAL,
			    "recv_many poll from its wake");
			FZ_EQ_ST(achan_chan_recv_many_cancel(
			    &S.br[slot - NF]->f, &c), ACHAN_EINVAL,
			    "recv_many cancel from its wake");
		}
		return;
	}
	if (slot < NF ? S.sf[slot] == NULL : S.rf[slot - NF] == NULL)
		fz_fail("slot %u woken, but no future is registered there", slot);
	if (slot < NF) {
		FZ_EQ_ST(achan_chan_send_poll(&S.sf[slot]->f, &w), ACHAN_EINVAL,
		    "send poll from its own wake");
		FZ_EQ_ST(achan_chan_send_cancel(&S.sf[slot]->f), ACHAN_EINVAL,
		    "send cancel from its own wake");
	} else {
		FZ_EQ_ST(achan_chan_recv_poll(&S.rf[slot - NF]->f, &w),
		    ACHAN_EINVAL, "recv poll from its own wake");
		FZ_EQ_ST(achan_chan_recv_cancel(&S.rf[slot - NF]->f),
		    ACHAN_EINVAL, "recv cancel from its own wake");
	}
}

/* --- the other operations -------------------------------------------------------- */

static void
try_send(void)
{
	unsigned char val[FZ_MAX_ELEM];
	struct achan_chan *ch = chan();

	if (ch == NULL)
		return;
	fz_encode(val, S.esz, ++S.next);
	fz_op("try_send", S.next, 0);
	FZ_EQ_ST(achan_chan_try_send(ch, vbuf(val)),
	    ref_chan_try_send(&S.m, S.next), "try_send");
}

static void
try_recv(void)
{
	unsigned char out[FZ_MAX_ELEM];
	struct achan_chan *ch = chan();
	uint64_t v = 0;
	int r;

	if (ch == NULL)
		return;
	fz_op("try_recv", 0, 0);
	r = achan_chan_try_recv(ch, vbuf(out));
	FZ_EQ_ST(r, ref_chan_try_recv(&S.m, &v), "try_recv");
	if (r == ACHAN_OK)
		fz_check_value(out, S.esz, v, "try_recv");
}

/*
 * Blocking send: the plain call only where it returns at once (or on a
 * local channel, where it answers EDEADLK instead of waiting); otherwise the
 * deadline twin with a deadline already passed: ACHAN_TIMEDOUT, nothing
 * changed.  `until` picks the deadline twin where either would do.
 */
static void
block_send(int until)
{
	unsigned char val[FZ_MAX_ELEM];
	struct achan_chan *ch = chan();
	struct timespec dl = fz_past();
	int ready, r, mr;

	if (ch == NULL)
		return;
	ready = ref_chan_send_ready(&S.m);
	if (!ready && !S.local && S.timeouts++ >= MAX_TIMEOUTS)
		return;
	fz_encode(val, S.esz, ++S.next);
	fz_op(until ? "send_until(past)" : "send", S.next, ready);
	if (!ready && !S.local)
		until = 1;
	r = until ? achan_chan_send_until(ch, vbuf(val), &dl) :
	    achan_chan_send(ch, vbuf(val));
	if (ready)
		mr = ref_chan_try_send(&S.m, S.next);
	else
		mr = S.local ? ACHAN_EDEADLK : ACHAN_TIMEDOUT;
	FZ_EQ_ST(r, mr, "blocking send");
}

static void
block_recv(int until)
{
	unsigned char out[FZ_MAX_ELEM];
	struct achan_chan *ch = chan();
	struct timespec dl = fz_past();
	uint64_t v = 0;
	int ready, r, mr;

	if (ch == NULL)
		return;
	ready = ref_chan_recv_ready(&S.m);
	if (!ready && !S.local && S.timeouts++ >= MAX_TIMEOUTS)
		return;
	fz_op(until ? "recv_until(past)" : "recv", ready, 0);
	if (!ready && !S.local)
		until = 1;
	r = until ? achan_chan_recv_until(ch, vbuf(out), &dl) :
	    achan_chan_recv(ch, vbuf(out));
	if (ready)
		mr = ref_chan_try_recv(&S.m, &v);
	else
		mr = S.local ? ACHAN_EDEADLK : ACHAN_TIMEDOUT;
	FZ_EQ_ST(r, mr, "blocking recv");
	if (r == ACHAN_OK)
		fz_check_value(out, S.esz, v, "blocking recv");
}

/* --- batches ----------------------------------------------------------------------- */

#define MAX_BATCH 6

/* Values S.next + 1 .. S.next + n into vals; the first of them. */
static uint64_t
batch_values(unsigned char *vals, unsigned n)
{
	uint64_t first = S.next + 1;
	unsigned k;

	for (k = 0; k < n; k++)
		fz_encode(vals + k * S.esz, S.esz, ++S.next);
	return first;
}

/* With elem_size 0 the arrays may be NULL: pass NULL on odd inputs. */
static void *
barr(unsigned char *b, unsigned sel)
{
	return S.esz != 0 || (sel & 1) == 0 ? b : NULL;
}

static void
check_values(const unsigned char *out, const uint64_t *v, unsigned got,
		const char *what)
{
	unsigned k;

	for (k = 0; k < got; k++)
		fz_check_value(out + k * S.esz, S.esz, v[k], what);
}

static void
batch_try_send(unsigned n, int all, unsigned sel)
{
	unsigned char vals[MAX_BATCH * FZ_MAX_ELEM];
	struct achan_chan *ch = chan();
	size_t sent = 99;
	unsigned msent = 0;
	uint64_t first;
	int r;

	if (ch == NULL)
		return;
	first = batch_values(vals, n);
	fz_op(all ? "try_send_all" : "try_send_many", first, n);
	if (all) {
		FZ_EQ_ST(achan_chan_try_send_all(ch, barr(vals, sel), n),
		    ref_chan_try_send_all(&S.m, first, n), "try_send_all");
		return;
	}
	r = achan_chan_try_send_many(ch, barr(vals, sel), n, &sent);
	FZ_EQ_ST(r, ref_chan_try_send_many(&S.m, first, n, &msent),
	    "try_send_many");
	FZ_EQ_U(sent, msent, "try_send_many count");
}

static void
batch_try_recv(unsigned max, unsigned sel)
{
	unsigned char out[MAX_BATCH * FZ_MAX_ELEM];
	uint64_t v[MAX_BATCH];
	struct achan_chan *ch = chan();
	size_t got = 99;
	unsigned mgot = 0;
	int r;

	if (ch == NULL)
		return;
	fz_op("try_recv_many", max, 0);
	r = achan_chan_try_recv_many(ch, barr(out, sel), max, &got);
	FZ_EQ_ST(r, ref_chan_try_recv_many(&S.m, v, max, &mgot),
	    "try_recv_many");
	FZ_EQ_U(got, mgot, "try_recv_many count");
	check_values(out, v, mgot, "try_recv_many");
}

/* Blocking forms: made where they return at once, or on a local channel
 * (EDEADLK with the count so far); else the deadline twin with a past
 * deadline (TIMEDOUT), a few times per input. */
static void
batch_send(unsigned n, int until, unsigned sel)
{
	unsigned char vals[MAX_BATCH * FZ_MAX_ELEM];
	struct achan_chan *ch = chan();
	struct timespec dl = fz_past();
	size_t sent = 99;
	unsigned msent = 0;
	uint64_t first;
	int ready, r;

	if (ch == NULL)
		return;
	ready = ref_chan_send_many_ready(&S.m, n);
	if (!ready && !S.local && S.timeouts++ >= MAX_TIMEOUTS)
		return;
	if (!ready && !S.local)
		until = 1;
	first = batch_values(vals, n);
	fz_op(until ? "send_many_until(past)" : "send_many", first,
	    n | (unsigned)ready << 8);
	r = until ? achan_chan_send_many_until(ch, barr(vals, sel), n, &dl,
	    &sent) : achan_chan_send_many(ch, barr(vals, sel), n, &sent);
	FZ_EQ_ST(r, ref_chan_send_many(&S.m, first, n, &msent, S.local),
	    "send_many");
	FZ_EQ_U(sent, msent, "send_many count");
}

static void
batch_recv(unsigned max, int until, unsigned sel)
{
	unsigned char out[MAX_BATCH * FZ_MAX_ELEM];
	uint64_t v[MAX_BATCH];
	struct achan_chan *ch = chan();
	struct timespec dl = fz_past();
	size_t got = 99;
	unsigned mgot = 0;
	int ready, r;

	if (ch == NULL)
		return;
	ready = max == 0 || ref_chan_recv_ready(&S.m);
	if (!ready && !S.local && S.timeouts++ >= MAX_TIMEOUTS)
		return;
	if (!ready && !S.local)
		until = 1;
	fz_op(until ? "recv_many_until(past)" : "recv_many", max, ready);
	r = until ? achan_chan_recv_many_until(ch, barr(out, sel), max, &dl,
	    &got) : achan_chan_recv_many(ch, barr(out, sel), max, &got);
	FZ_EQ_ST(r, ref_chan_recv_many(&S.m, v, max, &mgot, S.local),
	    "recv_many");
	/* fuzz/crashes/chan-recv-many-closed-count (fixed): CLOSED with
	 * *got 1 on a closed, drained thread-safe channel */
	FZ_EQ_U(got, mgot, "recv_many count");
	check_values(out, v, mgot, "recv_many");
}

/* Bad batch arguments: ACHAN_EINVAL, nothing moved. */
static void
batch_bad(unsigned sel)
{
	unsigned char buf[MAX_BATCH * FZ_MAX_ELEM] = { 0 };
	struct achan_chan *ch = chan();
	struct timespec bad = { 0, 1000000000L };
	size_t c;

	if (ch == NULL)
		return;
	fz_op("batch_bad_args", sel, 0);
	FZ_EQ_ST(achan_chan_try_send_many(ch, buf, 1, NULL), ACHAN_EINVAL,
	    "try_send_many(NULL count)");
	FZ_EQ_ST(achan_chan_try_recv_many(ch, buf, 1, NULL), ACHAN_EINVAL,
	    "try_recv_many(NULL count)");
	FZ_EQ_ST(achan_chan_try_send_many(ch, buf, ACHAN_CHAN_MAX_BATCH + 1,
	    &c), ACHAN_EINVAL, "try_send_many(n too big)");
	FZ_EQ_ST(achan_chan_try_send_all(ch, buf, ACHAN_CHAN_MAX_BATCH + 1),
	    ACHAN_EINVAL, "try_send_all(n too big)");
	FZ_EQ_ST(achan_chan_recv_many_until(ch, buf, 1, &bad, &c),
	    ACHAN_EINVAL, "recv_many_until(bad timespec)");
	FZ_EQ_ST(achan_chan_send_many_until(ch, buf, 1, NULL, &c),
	    ACHAN_EINVAL, "send_many_until(NULL)");
	if (S.esz != 0) {
		FZ_EQ_ST(achan_chan_try_send_many(ch, NULL, 1, &c),
		    ACHAN_EINVAL, "try_send_many(NULL values)");
		FZ_EQ_ST(achan_chan_try_recv_many(ch, NULL, 1, &c),
		    ACHAN_EINVAL, "try_recv_many(NULL out)");
		FZ_EQ_ST(achan_chan_try_send_all(ch, NULL, 1), ACHAN_EINVAL,
		    "try_send_all(NULL values)");
	}
}

/* op 14 with arg >= 8: a batch; the next byte: bits 0-2 the size
 * (% (MAX_BATCH + 1)), bit 3 NULL arrays when elem_size is 0. */
static void
batch_op(unsigned arg, struct fz_in *in)
{
	unsigned b = fz_byte(in), n = (b & 7) % (MAX_BATCH + 1), sel = b >> 3;

	switch (arg & 7) {
	case 0: batch_try_send(n, 0, sel); break;
	case 1: batch_try_send(n, 1, sel); break;
	case 2: batch_try_recv(n, sel); break;
	case 3: batch_send(n, 0, sel); break;
	case 4: batch_send(n, 1, sel); break;
	case 5: batch_recv(n, 0, sel); break;
	case 6: batch_recv(n, 1, sel); break;
	default:
		if (b & 0x80)
			bfut_op(b);
		else
			batch_bad(sel);
		break;
	}
}

/*
 * A batch future (op 14 arg 15, next byte b >= 0x80): bits 0-2 the slot,
 * bit 3 receive, bit 4 cancel, bits 5-6 its size - 1 (n or max 1..4).
 * It takes the slot of the single future of its side; a slot holding a
 * single future is left alone.  Wakes are checked as for single futures.
 */
static void
bfut_op(unsigned b)
{
	unsigned i = b & 7, rx = (b >> 3) & 1, cn = (b >> 4) & 1;
	unsigned n = ((b >> 5) & 3) + 1, mc = 0, k;
	uint64_t mv[8];
	struct achan_waker w;
	struct achan_chan *ch;
	size_t c = 99;
	int r, mr;

	if (rx ? S.br[i] == NULL && S.m.recv[i].st != RF_FREE :
	    S.bs[i] == NULL && S.m.send[i].st != RF_FREE)
		return;
	if (rx ? S.br[i] == NULL : S.bs[i] == NULL) {
		ch = chan();
		if (ch == NULL)
			return;
		if (rx) {
			S.br[i] = calloc(1, sizeof(*S.br[i]));
			if (S.br[i] == NULL)
				abort();
			FZ_EQ_ST(achan_chan_recv_many_future_init(&S.br[i]->f,
			    ch, vbuf(S.br[i]->out), n), ACHAN_OK,
			    "recv_many future init");
			S.m.bmax[i] = n;
			fz_wakes[RSLOT(i)] = 0;
		} else {
			S.bs[i] = calloc(1, sizeof(*S.bs[i]));
			if (S.bs[i] == NULL)
				abort();
			S.m.bn[i] = n;
			S.m.send[i].value = S.next + 1;
			for (k = 0; k < n; k++)
				fz_encode(S.bs[i]->val + k * S.esz, S.esz,
				    ++S.next);
			FZ_EQ_ST(achan_chan_send_many_future_init(&S.bs[i]->f,
			    ch, vbuf(S.bs[i]->val), n), ACHAN_OK,
			    "send_many future init");
			fz_wakes[i] = 0;
		}
		if (cn) {
			/* never polled: CANCELLED, 0 */
			fz_op(rx ? "recv_many_cancel(fresh)" :
			    "send_many_cancel(fresh)", i, n);
			r = rx ? achan_chan_recv_many_cancel(&S.br[i]->f, &c) :
			    achan_chan_send_many_cancel(&S.bs[i]->f, &c);
			FZ_EQ_ST(r, ACHAN_CANCELLED, "fresh batch cancel");
			FZ_EQ_U(c, 0, "fresh batch cancel count");
			if (rx)
				S.m.recv[i].wakes = 0;
			else
				S.m.send[i].wakes = 0;
			if (rx) {
				free(S.br[i]);
				S.br[i] = NULL;
			} else {
				free(S.bs[i]);
				S.bs[i] = NULL;
			}
			return;
		}
	}
	if (!rx) {
		fz_op(cn ? "send_many_cancel" : "send_many_poll", i,
		    S.m.send[i].st == RF_FREE ? S.m.bn[i] : 0);
		w = fz_waker(i);
		if (cn) {
			r = achan_chan_send_many_cancel(&S.bs[i]->f, &c);
			mr = ref_chan_send_many_cancel(&S.m, i, &mc);
		} else {
			r = achan_chan_send_many_poll(&S.bs[i]->f, &w, &c);
			mr = ref_chan_send_many_poll(&S.m, i,
			    S.m.send[i].value, S.m.bn[i], &mc);
		}
		FZ_EQ_ST(r, mr, cn ? "send_many cancel" : "send_many poll");
		FZ_EQ_U(c, mc, "send_many count");
		if (r != ACHAN_PENDING) {
			FZ_EQ_ST(achan_chan_send_many_poll(&S.bs[i]->f, &w,
			    &c), ACHAN_EINVAL, "send_many poll after finish");
			FZ_EQ_ST(achan_chan_send_many_cancel(&S.bs[i]->f, &c),
			    S.m.send[i].result == ACHAN_OK ? ACHAN_OK :
			    ACHAN_CANCELLED, "send_many cancel after finish");
			S.m.send[i].st = RF_FREE;
			S.m.bsend[i] = 0;
			free(S.bs[i]);
			S.bs[i] = NULL;
		}
		return;
	}
	fz_op(cn ? "recv_many_cancel" : "recv_many_poll", i, S.m.bmax[i]);
	w = fz_waker(RSLOT(i));
	if (cn) {
		r = achan_chan_recv_many_cancel(&S.br[i]->f, &c);
		mr = ref_chan_recv_many_cancel(&S.m, i, &mc);
	} else {
		r = achan_chan_recv_many_poll(&S.br[i]->f, &w, &c);
		mr = ref_chan_recv_many_poll(&S.m, i, S.m.bmax[i], &mc);
	}
	FZ_EQ_ST(r, mr, cn ? "recv_many cancel" : "recv_many poll");
	FZ_EQ_U(c, mc, "recv_many count");
	for (k = 0; k < mc && r == ACHAN_OK; k++)
		mv[k] = S.m.bval[i][k];
	if (r == ACHAN_OK)
		check_values(S.br[i]->out, mv, mc, "recv_many future");
	if (r != ACHAN_PENDING) {
		FZ_EQ_ST(achan_chan_recv_many_poll(&S.br[i]->f, &w, &c),
		    ACHAN_EINVAL, "recv_many poll after finish");
		FZ_EQ_ST(achan_chan_recv_many_cancel(&S.br[i]->f, &c),
		    S.m.recv[i].result == ACHAN_OK ? ACHAN_OK :
		    ACHAN_CANCELLED, "recv_many cancel after finish");
		S.m.recv[i].st = RF_FREE;
		S.m.brecv[i] = 0;
		free(S.br[i]);
		S.br[i] = NULL;
	}
}

static void
do_close(void)
{
	struct achan_chan *ch = chan();

	if (ch == NULL)
		return;
	fz_op("close", 0, 0);
	FZ_EQ_ST(achan_chan_close(ch), ref_chan_close(&S.m), "close");
}

static void
handle_clone(int rx, unsigned arg)
{
	unsigned from = arg & 3, to = (from + 1 + (arg >> 2)) & 3;
	int r;

	if (!S.paired || from == to ||
	    (rx ? S.m.rx[to] : S.m.tx[to]) || S.m.freed)
		return;
	fz_op(rx ? "receiver_clone" : "sender_clone", from, to);
	r = rx ? achan_chan_receiver_clone(&S.rx[from], &S.rx[to]) :
	    achan_chan_sender_clone(&S.tx[from], &S.tx[to]);
	FZ_EQ_ST(r, ref_chan_clone(&S.m, rx, from, to), "clone");
	if (r != ACHAN_OK && (rx ? achan_chan_receiver_chan(&S.rx[to]) :
	    achan_chan_sender_chan(&S.tx[to])) != NULL)
		fz_fail("a failed clone left its output set");
}

static void
handle_release(int rx, unsigned h)
{
	int r;

	if (!S.paired || S.m.freed)
		return;
	fz_op(rx ? "receiver_release" : "sender_release", h, 0);
	r = rx ? achan_chan_receiver_release(&S.rx[h]) :
	    achan_chan_sender_release(&S.tx[h]);
	FZ_EQ_ST(r, ref_chan_release(&S.m, rx, h), "release");
	if ((rx ? achan_chan_receiver_chan(&S.rx[h]) :
	    achan_chan_sender_chan(&S.tx[h])) != NULL)
		fz_fail("release left the handle set");
}

/* destroy / fini while futures are registered: ACHAN_EBUSY, nothing done.
 * (Without registered futures it would succeed: that is the cleanup's.)
 * A paired channel refuses both: ACHAN_EINVAL. */
static void
destroy_busy(void)
{
	struct achan_chan *ch = chan();
	int r;

	if (ch == NULL)
		return;
	if (S.paired) {
		fz_op("destroy(paired)", 0, 0);
		FZ_EQ_ST(S.init ? achan_chan_fini(ch) : achan_chan_destroy(ch),
		    ACHAN_EINVAL, "destroy of a paired channel");
		return;
	}
	if (!ref_chan_busy(&S.m))
		return;
	fz_op("destroy(busy)", 0, 0);
	r = S.init ? achan_chan_fini(ch) : achan_chan_destroy(ch);
	FZ_EQ_ST(r, ref_chan_destroy(&S.m), "destroy with futures registered");
	/* the other kind's teardown refuses this channel */
	r = S.init ? achan_chan_destroy(ch) : achan_chan_fini(ch);
	FZ_EQ_ST(r, ACHAN_EINVAL, "teardown of the other kind");
}

/* Bad arguments: ACHAN_EINVAL and no effect. */
static void
bad_args(unsigned arg)
{
	struct achan_chan *ch = chan();
	struct timespec bad = { 0, 1000000000L };
	unsigned char buf[FZ_MAX_ELEM] = { 0 };
	struct achan_waker nowake = { NULL, NULL };
	unsigned i = arg & 7;

	if (ch == NULL)
		return;
	fz_op("bad_args", arg, 0);
	FZ_EQ_ST(achan_chan_send_until(ch, buf, NULL), ACHAN_EINVAL,
	    "send_until(NULL)");
	FZ_EQ_ST(achan_chan_recv_until(ch, buf, &bad), ACHAN_EINVAL,
	    "recv_until(bad timespec)");
	if (S.esz != 0) {
		FZ_EQ_ST(achan_chan_try_send(ch, NULL), ACHAN_EINVAL,
		    "try_send(NULL)");
		FZ_EQ_ST(achan_chan_try_recv(ch, NULL), ACHAN_EINVAL,
		    "try_recv(NULL)");
	}
	if (ref_registered(&S.m.send[i]) && S.bs[i] == NULL)
		FZ_EQ_ST(achan_chan_send_poll(&S.sf[i]->f, &nowake),
		    ACHAN_EINVAL, "send poll with a NULL wake");
	if (ref_registered(&S.m.recv[i]) && S.br[i] == NULL)
		FZ_EQ_ST(achan_chan_recv_poll(&S.rf[i]->f, NULL), ACHAN_EINVAL,
		    "recv poll with a NULL waker");
}

static void
run_op(unsigned b, struct fz_in *in)
{
	unsigned arg = b >> 4;

	switch (b & 15) {
	case 0: try_send(); break;
	case 1: try_recv(); break;
	case 2: send_poll(arg & 7); break;
	case 3: recv_poll(arg & 7); break;
	case 4: send_cancel(arg & 7); break;
	case 5: recv_cancel(arg & 7); break;
	case 6: do_close(); break;
	case 7: block_send(arg & 1); break;
	case 8: block_recv(arg & 1); break;
	case 9: handle_clone(arg & 1, arg >> 1); break;
	case 10: handle_release(arg & 1, (arg >> 1) & 3); break;
	case 11: destroy_busy(); break;
	case 12: bad_args(arg); break;
	case 13: stream_op(arg); break;
	case 14:
		if (arg >= 8)
			batch_op(arg, in);	/* reads one more byte */
		else {
			try_send();
			try_recv();
		}
		break;
	default: run_ready(); break;
	}
	compare();
}

/* --- one input --------------------------------------------------------------- */

static void
setup(unsigned hdr)
{
	unsigned cap = (hdr & 7) % 5, life = (hdr >> 4) & 3;
	unsigned flags;
	size_t need;

	memset(&S, 0, sizeof(S));
	fz_wakers_reset();
	fz_dtor_n = 0;
	S.local = (hdr >> 3) & 1;
	S.paired = life >= 2;
	S.init = life == 1;
	S.esz = fz_elem_size(hdr >> 6);
	fz_dtor_esz = S.esz;
	flags = S.local ? ACHAN_LOCAL : 0;
	ref_chan_init(&S.m, cap, S.paired);
	fz_op("setup", hdr, cap);
	if (S.paired) {
		FZ_EQ_ST(achan_chan_pair(&S.tx[0], &S.rx[0], S.esz, cap, flags),
		    ACHAN_OK, "pair");
		FZ_EQ_ST(achan_chan_set_elem_dtor(achan_chan_sender_chan(&S.tx[0]),
		    fz_dtor, fz_dtor_log), ACHAN_OK, "set_elem_dtor");
		return;
	}
	if (S.init) {
		need = achan_chan_memsize(S.esz, cap);
		S.mem = malloc(need);
		if (S.mem == NULL)
			abort();
		FZ_EQ_ST(achan_chan_init(S.mem, need, S.esz, cap, flags, &S.ch),
		    ACHAN_OK, "init");
	} else {
		FZ_EQ_ST(achan_chan_create(&S.ch, S.esz, cap, flags), ACHAN_OK,
		    "create");
	}
	FZ_EQ_ST(achan_chan_set_elem_dtor(S.ch, fz_dtor, fz_dtor_log),
	    ACHAN_OK, "set_elem_dtor");
}

/* Cancel what is registered, then release every handle or destroy. */
static void
teardown(void)
{
	unsigned i;

	for (i = 0; i < NF; i++) {
		if (ref_registered(&S.m.send[i]))
			send_cancel(i);
		if (ref_registered(&S.m.recv[i]))
			recv_cancel(i);
		compare();
	}
	for (i = 0; i < NS; i++) {
		if (S.m.stream[i] == RS_WAITING)
			stream_cancel(i);
		compare();
		free(S.st[i]);
		S.st[i] = NULL;
	}
	if (S.paired) {
		for (i = 0; i < NH; i++) {
			if (S.m.tx[i])
				handle_release(0, i);
			compare();
		}
		for (i = 0; i < NH; i++) {
			if (S.m.rx[i])
				handle_release(1, i);
			compare();
		}
		if (!S.m.freed)
			fz_fail("model: not freed after the last release");
		return;
	}
	fz_op("destroy", 0, 0);
	FZ_EQ_ST(S.init ? achan_chan_fini(S.ch) : achan_chan_destroy(S.ch),
	    ref_chan_destroy(&S.m), "destroy");
	S.ch = NULL;
	S.m.freed = 1;
	compare();
	free(S.mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fz_target target = {
		"chan", NULL, setup, run_op, teardown, in_wake
	};

	return fz_run(&target, data, size);
}

/*
 * fuzz/fuzz_oneshot.c - libFuzzer target: the oneshot and the oneshot
 * broadcast against the reference model (ref_once.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Input: one header byte, then one byte per operation.
 *
 *   header  bit  0    0 oneshot, 1 broadcast
 *           bit  1    ACHAN_LOCAL
 *           bits 2-3  lifetime: 0 create/destroy, 1 init/fini in caller
 *                     memory, 2-3 a sender/receiver pair
 *           bits 4-5  element size (fz_elem_size: 8, 0, 24, 8)
 *
 *   op      low nibble: the operation, high nibble: its argument
 *            0 send                 8 destroy/fini while busy (EBUSY)
 *            1 try_recv             9 bad arguments (EINVAL)
 *            2 future poll         10 poll two futures
 *            3 future cancel       11 poll, then send
 *            4 close               12 send
 *            5 blocking recv       13 future poll
 *            6 clone a handle      14-15 poll the woken futures, in wake
 *            7 release a handle          order
 *           Future slots are 0..7.  A blocking receive is made where it
 *           returns at once, or on a local object (EDEADLK); otherwise its
 *           deadline twin with a past deadline (TIMEDOUT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ref_once.h"

#define NF REF_ONCE_FUTS
#define NH REF_ONCE_HANDLES
#define MAX_TIMEOUTS 2	/* as in fuzz_chan.c */

struct ofut {
	union {
		struct achan_oneshot_recv_future o;
		struct achan_bcast_recv_future b;
	} f;
	unsigned char out[FZ_MAX_ELEM];
};

static struct {
	struct ref_once m;
	int bcast, local, paired, init;
	size_t esz;
	struct achan_oneshot *os;	/* unpaired */
	struct achan_bcast *bc;
	void *mem;
	struct achan_oneshot_sender otx;
	struct achan_oneshot_receiver orx[NH];
	struct achan_bcast_sender btx;
	struct achan_bcast_receiver brx[NH];
	struct ofut *f[NF];
	uint64_t next;
	unsigned timeouts;
} S;

static void *
vbuf(unsigned char *b)
{
	return S.esz != 0 ? b : NULL;
}

/* --- the two kinds behind one interface -------------------------------------- */

/* The object (a struct achan_oneshot * or struct achan_bcast *), through any
 * live handle when paired; NULL when it may not be used. */
static void *
obj(void)
{
	unsigned i;

	if (!S.paired)
		return S.bcast ? (void *)S.bc : (void *)S.os;
	if (S.bcast) {
		if (achan_bcast_sender_bcast(&S.btx) != NULL)
			return achan_bcast_sender_bcast(&S.btx);
		for (i = 0; i < NH; i++)
			if (achan_bcast_receiver_bcast(&S.brx[i]) != NULL)
				return achan_bcast_receiver_bcast(&S.brx[i]);
		return NULL;
	}
	if (achan_oneshot_sender_oneshot(&S.otx) != NULL)
		return achan_oneshot_sender_oneshot(&S.otx);
	for (i = 0; i < NH; i++)
		if (achan_oneshot_receiver_oneshot(&S.orx[i]) != NULL)
			return achan_oneshot_receiver_oneshot(&S.orx[i]);
	return NULL;
}

static int
k_send(void *o, const void *v)
{
	return S.bcast ? achan_bcast_send(o, v) : achan_oneshot_send(o, v);
}

static int
k_try_recv(void *o, void *out)
{
	return S.bcast ? achan_bcast_try_recv(o, out) :
	    achan_oneshot_try_recv(o, out);
}

static int
k_recv(void *o, void *out, const struct timespec *dl)
{
	if (dl != NULL)
		return S.bcast ? achan_bcast_recv_until(o, out, dl) :
		    achan_oneshot_recv_until(o, out, dl);
	return S.bcast ? achan_bcast_recv(o, out) : achan_oneshot_recv(o, out);
}

static int
k_close(void *o)
{
	return S.bcast ? achan_bcast_close(o) : achan_oneshot_close(o);
}

static int
k_is_closed(void *o)
{
	return S.bcast ? achan_bcast_is_closed(o) : achan_oneshot_is_closed(o);
}

static size_t
k_elem_size(void *o)
{
	return S.bcast ? achan_bcast_elem_size(o) :
	    achan_oneshot_elem_size(o);
}

static int
k_teardown(void *o, int init)
{
	if (S.bcast)
		return init ? achan_bcast_fini(o) : achan_bcast_destroy(o);
	return init ? achan_oneshot_fini(o) : achan_oneshot_destroy(o);
}

static int
k_fut_init(struct ofut *f, void *o)
{
	return S.bcast ? achan_bcast_recv_future_init(&f->f.b, o, vbuf(f->out)) :
	    achan_oneshot_recv_future_init(&f->f.o, o, vbuf(f->out));
}

static int
k_poll(struct ofut *f, const struct achan_waker *w)
{
	return S.bcast ? achan_bcast_recv_poll(&f->f.b, w) :
	    achan_oneshot_recv_poll(&f->f.o, w);
}

static int
k_cancel(struct ofut *f)
{
	return S.bcast ? achan_bcast_recv_cancel(&f->f.b) :
	    achan_oneshot_recv_cancel(&f->f.o);
}

static int
k_clone(int rx, unsigned from, unsigned to)
{
	if (S.bcast)
		return rx ? achan_bcast_receiver_clone(&S.brx[from], &S.brx[to]) :
		    achan_bcast_sender_clone(&S.btx, &S.btx);
	return rx ? achan_oneshot_receiver_clone(&S.orx[from], &S.orx[to]) :
	    achan_oneshot_sender_clone(&S.otx, &S.otx);
}

/* Is handle variable h of the role still set? */
static int
k_handle_set(int rx, unsigned h)
{
	if (S.bcast)
		return (rx ? (void *)achan_bcast_receiver_bcast(&S.brx[h]) :
		    (void *)achan_bcast_sender_bcast(&S.btx)) != NULL;
	return (rx ? (void *)achan_oneshot_receiver_oneshot(&S.orx[h]) :
	    (void *)achan_oneshot_sender_oneshot(&S.otx)) != NULL;
}

static int
k_release(int rx, unsigned h)
{
	if (S.bcast)
		return rx ? achan_bcast_receiver_release(&S.brx[h]) :
		    achan_bcast_sender_release(&S.btx);
	return rx ? achan_oneshot_receiver_release(&S.orx[h]) :
	    achan_oneshot_sender_release(&S.otx);
}

static unsigned
code_of(unsigned slot)
{
	return slot;
}

/* --- comparing ------------------------------------------------------------------ */

static void
compare(void)
{
	void *o;
	unsigned i;

	for (i = 0; i < NF; i++)
		if (fz_wakes[i] != S.m.fut[i].wakes)
			fz_fail("recv future %u: woken %u times, model %u", i,
			    fz_wakes[i], S.m.fut[i].wakes);
	fz_check_wake_order(code_of);
	FZ_EQ_U(fz_dtor_n, S.m.dtor.n, "destructor calls");
	for (i = 0; S.esz != 0 && i < fz_dtor_n; i++)
		FZ_EQ_U(fz_dtor_log[i], S.m.dtor.v[i], "destructor value");
	if (S.m.freed || !ref_once_usable(&S.m))
		return;
	o = obj();
	if (o == NULL)
		fz_fail("no object behind the live handles");
	FZ_EQ_U(k_is_closed(o), ref_once_is_closed(&S.m), "is_closed");
	FZ_EQ_U(k_elem_size(o), S.esz, "elem_size");
}

/* --- futures ------------------------------------------------------------------------ */

static void
finished(unsigned i)
{
	struct achan_waker w = fz_dead_waker();
	uint64_t v = 0;
	int r;

	FZ_EQ_ST(k_poll(S.f[i], &w), ref_once_poll(&S.m, i, &v),
	    "poll after finish");
	r = k_cancel(S.f[i]);
	FZ_EQ_ST(r, ref_once_cancel(&S.m, i, &v), "cancel after finish");
	if (r == ACHAN_OK)	/* the value stays the caller's, in out */
		fz_check_value(S.f[i]->out, S.esz, v, "cancel after finish");
	S.m.fut[i].st = RF_FREE;
	free(S.f[i]);
	S.f[i] = NULL;
}

static int
start(unsigned i)
{
	void *o = obj();

	if (o == NULL)
		return 0;
	S.f[i] = calloc(1, sizeof(*S.f[i]));
	if (S.f[i] == NULL)
		abort();
	FZ_EQ_ST(k_fut_init(S.f[i], o), ACHAN_OK, "future init");
	fz_wakes[i] = 0;
	return 1;
}

static void
poll_fut(unsigned i)
{
	struct achan_waker w;
	uint64_t v = 0;
	int r;

	if (S.m.fut[i].st == RF_FREE && !start(i))
		return;
	fz_op("poll", i, 0);
	w = fz_waker(i);
	r = k_poll(S.f[i], &w);
	FZ_EQ_ST(r, ref_once_poll(&S.m, i, &v), "poll");
	if (r == ACHAN_OK)
		fz_check_value(S.f[i]->out, S.esz, v, "poll");
	if (r != ACHAN_PENDING)
		finished(i);
}

static void
cancel_fut(unsigned i)
{
	uint64_t v = 0;

	if (S.m.fut[i].st == RF_FREE && !start(i))
		return;
	fz_op("cancel", i, 0);
	FZ_EQ_ST(k_cancel(S.f[i]), ref_once_cancel(&S.m, i, &v), "cancel");
	if (S.m.fut[i].st == RF_FREE)
		S.m.fut[i] = (struct ref_fut){ .st = RF_FINISHED,
		    .result = ACHAN_CANCELLED };
	finished(i);
}

static void
run_ready(void)
{
	unsigned ready[FZ_READY_MAX], n = fz_ready_n, k;

	memcpy(ready, fz_ready, n * sizeof(ready[0]));
	fz_ready_n = 0;
	for (k = 0; k < n; k++)
		if (ready[k] < NF && ref_registered(&S.m.fut[ready[k]]))
			poll_fut(ready[k]);
}

static void
in_wake(unsigned slot)
{
	struct achan_waker w = fz_dead_waker();
	unsigned char out[FZ_MAX_ELEM];
	void *o = obj();

	if (slot >= NF || S.f[slot] == NULL)
		fz_fail("slot %u woken, but no future is registered there", slot);
	FZ_EQ_ST(k_poll(S.f[slot], &w), ACHAN_EINVAL, "poll from its own wake");
	FZ_EQ_ST(k_cancel(S.f[slot]), ACHAN_EINVAL, "cancel from its own wake");
	/* "it may call anything else, including a try_recv on the same
	 * oneshot": a broadcast try_recv changes nothing, so the model
	 * needs no step for it.  Only the wakes of a send run with the
	 * value there. */
	if (S.bcast && o != NULL && S.m.value_state == RO_READY) {
		FZ_EQ_ST(k_try_recv(o, vbuf(out)), ACHAN_OK,
		    "try_recv from a wake");
		fz_check_value(out, S.esz, S.m.value, "try_recv from a wake");
	}
}

/* --- the other operations ----------------------------------------------------------- */

static void
do_send(void)
{
	unsigned char val[FZ_MAX_ELEM];
	void *o = obj();
	int mr;

	if (o == NULL)
		return;
	fz_encode(val, S.esz, ++S.next);
	fz_op("send", S.next, 0);
	/* the model first: in_wake looks at its value state */
	mr = ref_once_send(&S.m, S.next);
	FZ_EQ_ST(k_send(o, vbuf(val)), mr, "send");
}

static void
try_recv(void)
{
	unsigned char out[FZ_MAX_ELEM];
	void *o = obj();
	uint64_t v = 0;
	int r;

	if (o == NULL)
		return;
	fz_op("try_recv", 0, 0);
	r = k_try_recv(o, vbuf(out));
	FZ_EQ_ST(r, ref_once_try_recv(&S.m, &v), "try_recv");
	if (r == ACHAN_OK)
		fz_check_value(out, S.esz, v, "try_recv");
}

static void
block_recv(int until)
{
	unsigned char out[FZ_MAX_ELEM];
	struct timespec dl = fz_past();
	void *o = obj();
	uint64_t v = 0;
	int ready, r, mr;

	if (o == NULL)
		return;
	ready = ref_once_recv_ready(&S.m);
	if (!ready && !S.local && S.timeouts++ >= MAX_TIMEOUTS)
		return;
	fz_op(until ? "recv_until(past)" : "recv", ready, 0);
	if (!ready && !S.local)
		until = 1;
	r = k_recv(o, vbuf(out), until ? &dl : NULL);
	if (ready)
		mr = ref_once_try_recv(&S.m, &v);
	else
		mr = S.local ? ACHAN_EDEADLK : ACHAN_TIMEDOUT;
	FZ_EQ_ST(r, mr, "blocking recv");
	if (r == ACHAN_OK)
		fz_check_value(out, S.esz, v, "blocking recv");
}

static void
do_close(void)
{
	void *o = obj();
	int mr;

	if (o == NULL)
		return;
	fz_op("close", 0, 0);
	mr = ref_once_close(&S.m);
	FZ_EQ_ST(k_close(o), mr, "close");
}

static void
handle_clone(int rx, unsigned arg)
{
	unsigned from = arg & 3, to = (from + 1 + (arg >> 2)) & 3;
	int r;

	if (!S.paired || S.m.freed || (rx && S.m.rx[to]))
		return;
	if (!rx && !S.m.tx)
		return;	/* sender_clone(&tx, &tx) would clear the live one */
	fz_op(rx ? "receiver_clone" : "sender_clone", from, to);
	if (!rx) {
		/* always refused; the output (here: a scratch handle) is
		 * cleared */
		if (S.bcast) {
			struct achan_bcast_sender out = S.btx;

			r = achan_bcast_sender_clone(&S.btx, &out);
			if (achan_bcast_sender_bcast(&out) != NULL)
				fz_fail("a refused clone left its output set");
		} else {
			struct achan_oneshot_sender out = S.otx;

			r = achan_oneshot_sender_clone(&S.otx, &out);
			if (achan_oneshot_sender_oneshot(&out) != NULL)
				fz_fail("a refused clone left its output set");
		}
	} else {
		r = k_clone(1, from, to);
	}
	FZ_EQ_ST(r, ref_once_clone(&S.m, rx, from, to), "clone");
	if (r != ACHAN_OK && rx && k_handle_set(1, to))
		fz_fail("a refused clone left its output set");
}

static void
handle_release(int rx, unsigned h)
{
	int r, mr;

	if (!S.paired || S.m.freed)
		return;
	fz_op(rx ? "receiver_release" : "sender_release", h, 0);
	/* the model first: a wake run by the release looks at it */
	mr = ref_once_release(&S.m, rx, h);
	r = k_release(rx, h);
	FZ_EQ_ST(r, mr, "release");
	if (k_handle_set(rx, h))
		fz_fail("release left the handle set");
}

static void
destroy_busy(void)
{
	void *o = obj();

	if (o == NULL)
		return;
	if (S.paired) {
		fz_op("destroy(paired)", 0, 0);
		FZ_EQ_ST(k_teardown(o, S.init), ACHAN_EINVAL,
		    "destroy of a paired object");
		return;
	}
	if (!ref_once_busy(&S.m))
		return;
	fz_op("destroy(busy)", 0, 0);
	FZ_EQ_ST(k_teardown(o, S.init), ref_once_destroy(&S.m),
	    "destroy with futures registered");
	FZ_EQ_ST(k_teardown(o, !S.init), ACHAN_EINVAL,
	    "teardown of the other kind");
}

static void
bad_args(unsigned arg)
{
	struct timespec bad = { -1, 0 };
	unsigned char buf[FZ_MAX_ELEM] = { 0 };
	void *o = obj();
	unsigned i = arg & 7;

	if (o == NULL)
		return;
	fz_op("bad_args", arg, 0);
	FZ_EQ_ST(k_recv(o, buf, &bad), ACHAN_EINVAL, "recv_until(bad)");
	if (S.esz != 0) {
		FZ_EQ_ST(k_send(o, NULL), ACHAN_EINVAL, "send(NULL)");
		FZ_EQ_ST(k_try_recv(o, NULL), ACHAN_EINVAL, "try_recv(NULL)");
	}
	FZ_EQ_ST(k_send(NULL, buf), ACHAN_EINVAL, "send on NULL");
	if (ref_registered(&S.m.fut[i]))
		FZ_EQ_ST(k_poll(S.f[i], NULL), ACHAN_EINVAL,
		    "poll with a NULL waker");
}

static void
run_op(unsigned b, struct fz_in *in)
{
	unsigned arg = b >> 4;

	(void)in;	/* one byte per operation */
	switch (b & 15) {
	case 0: case 12: do_send(); break;
	case 1: try_recv(); break;
	case 2: case 13: poll_fut(arg & 7); break;
	case 3: cancel_fut(arg & 7); break;
	case 4: do_close(); break;
	case 5: block_recv(arg & 1); break;
	case 6: handle_clone(arg & 1, arg >> 1); break;
	case 7: handle_release(arg & 1, (arg >> 1) & 3); break;
	case 8: destroy_busy(); break;
	case 9: bad_args(arg); break;
	case 10: poll_fut(arg & 7); poll_fut((arg + 1) & 7); break;
	case 11: poll_fut(arg & 7); do_send(); break;
	default: run_ready(); break;
	}
	compare();
}

/* --- one input ------------------------------------------------------------------ */

static void
setup(unsigned hdr)
{
	unsigned life = (hdr >> 2) & 3, flags;
	size_t need;
	int r;

	memset(&S, 0, sizeof(S));
	fz_wakers_reset();
	fz_dtor_n = 0;
	S.bcast = hdr & 1;
	S.local = (hdr >> 1) & 1;
	S.paired = life >= 2;
	S.init = life == 1;
	S.esz = fz_elem_size(hdr >> 4);
	fz_dtor_esz = S.esz;
	flags = S.local ? ACHAN_LOCAL : 0;
	ref_once_init(&S.m, S.bcast, S.paired);
	fz_op("setup", hdr, 0);
	if (S.paired) {
		if (S.bcast) {
			FZ_EQ_ST(achan_bcast_pair(&S.btx, &S.brx[0], S.esz, flags),
			    ACHAN_OK, "pair");
			r = achan_bcast_set_elem_dtor(
			    achan_bcast_sender_bcast(&S.btx), fz_dtor,
			    fz_dtor_log);
		} else {
			FZ_EQ_ST(achan_oneshot_pair(&S.otx, &S.orx[0], S.esz,
			    flags), ACHAN_OK, "pair");
			r = achan_oneshot_set_elem_dtor(
			    achan_oneshot_sender_oneshot(&S.otx), fz_dtor,
			    fz_dtor_log);
		}
		FZ_EQ_ST(r, ACHAN_OK, "set_elem_dtor");
		return;
	}
	if (S.init) {
		need = S.bcast ? achan_bcast_memsize(S.esz) :
		    achan_oneshot_memsize(S.esz);
		S.mem = malloc(need);
		if (S.mem == NULL)
			abort();
		r = S.bcast ? achan_bcast_init(S.mem, need, S.esz, flags, &S.bc) :
		    achan_oneshot_init(S.mem, need, S.esz, flags, &S.os);
	} else {
		r = S.bcast ? achan_bcast_create(&S.bc, S.esz, flags) :
		    achan_oneshot_create(&S.os, S.esz, flags);
	}
	FZ_EQ_ST(r, ACHAN_OK, "create");
	r = S.bcast ? achan_bcast_set_elem_dtor(S.bc, fz_dtor, fz_dtor_log) :
	    achan_oneshot_set_elem_dtor(S.os, fz_dtor, fz_dtor_log);
	FZ_EQ_ST(r, ACHAN_OK, "set_elem_dtor");
}

static void
teardown(void)
{
	unsigned i;

	for (i = 0; i < NF; i++) {
		if (ref_registered(&S.m.fut[i]))
			cancel_fut(i);
		compare();
	}
	if (S.paired) {
		if (S.m.tx)
			handle_release(0, 0);
		compare();
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
	FZ_EQ_ST(k_teardown(obj(), S.init), ref_once_destroy(&S.m), "destroy");
	S.m.freed = 1;
	compare();
	free(S.mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fz_target target = {
		"oneshot", NULL, setup, run_op, teardown, in_wake
	};

	return fz_run(&target, data, size);
}

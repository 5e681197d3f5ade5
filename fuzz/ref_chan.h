/*
 * fuzz/ref_chan.h - reference model of a bounded (capacity 1..4) or
 * unbuffered (capacity 0) channel, single-threaded, written from
 * SEMANTICS.md ("Common", "Bounded / unbuffered channel", "Shared sender /
 * receiver handles").
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef ACHAN_FUZZ_REF_CHAN_H
#define ACHAN_FUZZ_REF_CHAN_H

#include "ref.h"

#define REF_CHAN_FUTS 8		/* futures per side */
#define REF_CHAN_STREAMS 2	/* receive streams */
#define REF_CHAN_MAXCAP 4
#define REF_CHAN_HANDLES 4	/* handle variables per role */
/* select cases (ref.h): send slots from REF_CHAN_SEND_CASE0, receive slots
 * from REF_CHAN_RECV_CASE0, REF_SEL_CASES each */
#define REF_CHAN_SEND_CASE0 REF_CHAN_FUTS
#define REF_CHAN_RECV_CASE0 (REF_CHAN_FUTS + REF_CHAN_STREAMS)

struct ref_chan {
	unsigned cap;
	int closed;
	uint64_t buf[REF_CHAN_MAXCAP];	/* buf[0] is the oldest */
	unsigned len;
	struct ref_queue sendq, recvq;
	struct ref_fut send[REF_CHAN_FUTS + REF_SEL_CASES];
	/* receive futures; then REF_CHAN_STREAMS for the streams, then the
	 * select cases */
	struct ref_fut recv[REF_CHAN_FUTS + REF_CHAN_STREAMS + REF_SEL_CASES];
	int stream[REF_CHAN_STREAMS];	/* RS_* */
	struct ref_dtor dtor;
	/* made as a pair: live handle variables per role */
	int paired;
	int tx[REF_CHAN_HANDLES], rx[REF_CHAN_HANDLES];
	int freed;	/* paired: the last handle and future are gone */
	/* batch futures in slots 0..REF_CHAN_FUTS-1: send-many (n values
	 * from send[i].value, bsent gone in), recv-many (up to bmax) */
	int bsend[REF_CHAN_FUTS], brecv[REF_CHAN_FUTS];
	unsigned bn[REF_CHAN_FUTS], bsent[REF_CHAN_FUTS];
	unsigned bmax[REF_CHAN_FUTS], bgot[REF_CHAN_FUTS];
	uint64_t bval[REF_CHAN_FUTS][8];
};

void ref_chan_init(struct ref_chan *m, unsigned cap, int paired);

int ref_chan_try_send(struct ref_chan *m, uint64_t v);
int ref_chan_try_recv(struct ref_chan *m, uint64_t *v);
/* Would a send / receive complete now (so a blocking call returns)? */
int ref_chan_send_ready(const struct ref_chan *m);
int ref_chan_recv_ready(const struct ref_chan *m);

/* poll: a FREE slot starts a new future (a send of v). */
int ref_chan_send_poll(struct ref_chan *m, unsigned i, uint64_t v);
int ref_chan_recv_poll(struct ref_chan *m, unsigned i, uint64_t *v);
/* cancel: ACHAN_OK (completed first; a receive's value in *v) or
 * ACHAN_CANCELLED.  A FREE slot is a fresh future: ACHAN_CANCELLED. */
int ref_chan_send_cancel(struct ref_chan *m, unsigned i);
int ref_chan_recv_cancel(struct ref_chan *m, unsigned i, uint64_t *v);

/*
 * Receive streams (chan.h, "stream receive"): a receive future renewed after
 * each value, fused once it answers ACHAN_CLOSED.  next is the blocking
 * form; next_waits says whether it would have to wait (then it answers
 * ACHAN_EDEADLK on a local channel, and its deadline twin ACHAN_TIMEDOUT).
 */
enum { RS_IDLE, RS_WAITING, RS_CLOSED };
int ref_chan_stream_poll(struct ref_chan *m, unsigned j, uint64_t *v);
int ref_chan_stream_cancel(struct ref_chan *m, unsigned j, uint64_t *v);
int ref_chan_stream_next_waits(const struct ref_chan *m, unsigned j);
int ref_chan_stream_next(struct ref_chan *m, unsigned j, uint64_t *v,
		int local);

/*
 * Batches (SEMANTICS.md "Batches"): "the same single operations in order".
 * Values first, first + 1, ...; *sent / *got count what moved, v[] gets
 * the values received.  n (max) 0 is ACHAN_OK with nothing moved.
 * send_many / recv_many are the blocking forms where they would wait:
 * ACHAN_EDEADLK (local) or ACHAN_TIMEDOUT (a deadline passed) with the
 * count so far.
 */
int ref_chan_try_send_many(struct ref_chan *m, uint64_t first, unsigned n,
		unsigned *sent);
int ref_chan_try_send_all(struct ref_chan *m, uint64_t first, unsigned n);
int ref_chan_try_recv_many(struct ref_chan *m, uint64_t *v, unsigned max,
		unsigned *got);
int ref_chan_send_many(struct ref_chan *m, uint64_t first, unsigned n,
		unsigned *sent, int local);
int ref_chan_recv_many(struct ref_chan *m, uint64_t *v, unsigned max,
		unsigned *got, int local);
/* Would send_many of n values return without waiting? */
int ref_chan_send_many_ready(const struct ref_chan *m, unsigned n);

/* Batch futures (chan.h "Batch futures"): n / max 1..6. */
int ref_chan_send_many_poll(struct ref_chan *m, unsigned i, uint64_t first,
		unsigned n, unsigned *sent);
int ref_chan_send_many_cancel(struct ref_chan *m, unsigned i,
		unsigned *sent);
int ref_chan_recv_many_poll(struct ref_chan *m, unsigned i, unsigned max,
		unsigned *got);
int ref_chan_recv_many_cancel(struct ref_chan *m, unsigned i, unsigned *got);

int ref_chan_close(struct ref_chan *m);
/* fini / destroy of an unpaired channel: ACHAN_EBUSY while futures are
 * registered, else ACHAN_OK (destructor on what is buffered). */
int ref_chan_destroy(struct ref_chan *m);
/* Are futures registered (so destroy would answer ACHAN_EBUSY)? */
int ref_chan_busy(const struct ref_chan *m);

/* Handles (paired only).  Clone from handle variable `from` into `to`. */
int ref_chan_clone(struct ref_chan *m, int rx, unsigned from, unsigned to);
int ref_chan_release(struct ref_chan *m, int rx, unsigned h);
/* May the channel be used (a handle is live, or it is not paired)? */
int ref_chan_usable(const struct ref_chan *m);

#endif /* ACHAN_FUZZ_REF_CHAN_H */

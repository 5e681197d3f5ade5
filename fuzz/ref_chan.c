/*
 * fuzz/ref_chan.c - reference model of the bounded and unbuffered channel
 * (ref_chan.h).  Each rule cites the line of SEMANTICS.md it implements.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "ref_chan.h"

void
ref_chan_init(struct ref_chan *m, unsigned cap, int paired)
{
	memset(m, 0, sizeof(*m));
	m->cap = cap;
	m->paired = paired;
	if (paired) {
		/* "A channel made as a pair starts with one sender and one
		 * receiver handle" */
		m->tx[0] = 1;
		m->rx[0] = 1;
	}
}

static unsigned
live(const int *h)
{
	unsigned i, n = 0;

	for (i = 0; i < REF_CHAN_HANDLES; i++)
		n += h[i] != 0;
	return n;
}

static unsigned
registered(const struct ref_chan *m)
{
	unsigned i, n = 0;

	for (i = 0; i < REF_CHAN_FUTS + REF_SEL_CASES; i++)
		n += ref_registered(&m->send[i]);
	for (i = 0; i < REF_CHAN_FUTS + REF_CHAN_STREAMS + REF_SEL_CASES; i++)
		n += ref_registered(&m->recv[i]);
	return n;
}

/* "Memory is freed when the last handle and the last future are gone." */
static void
check_free(struct ref_chan *m)
{
	if (m->paired && !m->freed && live(m->tx) == 0 && live(m->rx) == 0 &&
	    registered(m) == 0)
		m->freed = 1;
}

int
ref_chan_usable(const struct ref_chan *m)
{
	return !m->paired || live(m->tx) + live(m->rx) > 0;
}

/* --- the buffer ------------------------------------------------------------ */

/* "room in the buffer -> stored, and the oldest waiting receiver (if any) is
 * woken" - a wake is a hint ("Receiver wakeups are hints"). */
static void
store(struct ref_chan *m, uint64_t v)
{
	m->buf[m->len++] = v;
	if (m->recvq.n > 0)
		ref_wake(&m->recv[ref_q_pop(&m->recvq)], RF_NOTIFIED);
}

/*
 * "a slot freed by a receive goes to the oldest waiting sender - its value
 * moves into the buffer and its future completes (it is woken only to learn
 * so)".  A select case among them is completed only if its select's claim
 * is won (ref.h); a lost one is dropped and the room goes on; one whose
 * select is being polled keeps its place and the room goes to the next
 * (select.h: "a select that has completed elsewhere passes it on").
 * `self` (or -1): the sender serving, whose own value goes in without a
 * wake; 1 if it did.
 */
static int
serve_senders(struct ref_chan *m, int self)
{
	unsigned k = 0, s;
	int done = 0;

	while (k < m->sendq.n && m->len < m->cap) {
		s = m->sendq.slot[k];
		if (s < REF_CHAN_FUTS && m->bsend[s] &&
		    m->send[s].st == RF_QUEUED) {
			/* a batch sender keeps its place until its last
			 * value is in */
			uint64_t bv = m->send[s].value + m->bsent[s]++;
			if (m->bsent[s] == m->bn[s]) {
				(void)ref_q_take(&m->sendq, k);
				if ((int)s == self)
					done = 1;
				else
					ref_wake(&m->send[s], RF_DONE);
			}
			store(m, bv);
			continue;
		}
		if ((int)s == self) {
			(void)ref_q_take(&m->sendq, k);
			store(m, m->send[s].value);
			done = 1;
			continue;
		}
		switch (ref_claim(&m->send[s], 1)) {
		case REF_CLAIM_WON:
			(void)ref_q_take(&m->sendq, k);
			ref_wake(&m->send[s], RF_DONE);
			store(m, m->send[s].value);
			break;
		case REF_CLAIM_LOST:
			(void)ref_q_take(&m->sendq, k);
			m->send[s].st = RF_LOST;
			break;
		default:
			k++;
			break;
		}
	}
	return done;
}

/* Bounded: take the oldest value into *v (0 if there is none).  Room owed
 * to senders still waiting goes to them first ("their values count as
 * buffered"). */
static int
take(struct ref_chan *m, uint64_t *v)
{
	if (m->len == 0 && m->sendq.n > 0)
		(void)serve_senders(m, -1);
	if (m->len == 0)
		return 0;
	*v = m->buf[0];
	memmove(m->buf, m->buf + 1, (m->len - 1) * sizeof(m->buf[0]));
	m->len--;
	(void)serve_senders(m, -1);
	return 1;
}

/*
 * Unbuffered: the oldest waiter of q that may be met (a plain future, or a
 * select case whose claim is won), taken out of q; select cases that lost
 * are dropped on the way, those of a select being polled stay.  -1 if
 * there is none.  Without commit it only looks.
 */
static int
partner(struct ref_queue *q, struct ref_fut *side, int commit)
{
	unsigned k = 0, s;

	while (k < q->n) {
		s = q->slot[k];
		switch (ref_claim(&side[s], commit)) {
		case REF_CLAIM_WON:
			if (commit)
				(void)ref_q_take(q, k);
			return (int)s;
		case REF_CLAIM_LOST:
			if (!commit) {
				k++;
				break;
			}
			(void)ref_q_take(q, k);
			side[s].st = RF_LOST;
			break;
		default:
			k++;
			break;
		}
	}
	return -1;
}

/* Unbuffered: "a waiting receiver completes when a sender copies a value into
 * the receiver's future"; 0 if nobody may be met. */
static int
hand_to_receiver(struct ref_chan *m, uint64_t v)
{
	int r = partner(&m->recvq, m->recv, 1);

	if (r < 0)
		return 0;
	m->recv[r].value = v;
	ref_wake(&m->recv[r], RF_DONE);
	return 1;
}

/* Unbuffered: "A waiting sender completes when a receiver copies the value out
 * of the sender's future"; 0 if nobody may be met. */
static int
take_from_sender(struct ref_chan *m, uint64_t *v)
{
	int s = partner(&m->sendq, m->send, 1);
	unsigned k;

	if (s < 0)
		return 0;
	if (s < REF_CHAN_FUTS && m->bsend[s]) {
		*v = m->send[s].value + m->bsent[s]++;
		if (m->bsent[s] < m->bn[s]) {
			/* keeps its place: back at the front */
			ref_q_push(&m->sendq, (unsigned)s);
			for (k = m->sendq.n - 1; k > 0; k--)
				m->sendq.slot[k] = m->sendq.slot[k - 1];
			m->sendq.slot[0] = (unsigned)s;
		} else {
			ref_wake(&m->send[s], RF_DONE);
		}
		return 1;
	}
	ref_wake(&m->send[s], RF_DONE);
	*v = m->send[s].value;
	return 1;
}

/* --- non-waiting operations ---------------------------------------------------- */

int
ref_chan_try_send(struct ref_chan *m, uint64_t v)
{
	if (m->closed)
		return ACHAN_CLOSED;
	if (m->cap == 0) {
		/* "try_send succeeds if a receiver is waiting at that moment
		 * ... else ACHAN_FULL" */
		return hand_to_receiver(m, v) ? ACHAN_OK : ACHAN_FULL;
	}
	/* room owed to waiting senders is theirs first */
	if (m->sendq.n > 0 && m->len < m->cap)
		(void)serve_senders(m, -1);
	/* "try_send answers ACHAN_FULL while older senders wait" */
	if (m->sendq.n > 0 || m->len == m->cap)
		return ACHAN_FULL;
	store(m, v);
	return ACHAN_OK;
}

int
ref_chan_try_recv(struct ref_chan *m, uint64_t *v)
{
	int r = ACHAN_OK;

	/* "receive order: a buffered value, else a waiting sender's value,
	 * else ACHAN_CLOSED if closed" */
	if (m->cap > 0 ? take(m, v) : take_from_sender(m, v))
		;
	else
		r = m->closed ? ACHAN_CLOSED : ACHAN_EMPTY;
	check_free(m);
	return r;
}

int
ref_chan_send_ready(const struct ref_chan *m)
{
	if (m->closed)
		return 1;
	if (m->cap == 0)
		return partner((struct ref_queue *)&m->recvq,
		    (struct ref_fut *)m->recv, 0) >= 0;
	return m->sendq.n == 0 && m->len < m->cap;
}

int
ref_chan_recv_ready(const struct ref_chan *m)
{
	return m->len > 0 || m->closed || (m->cap == 0 &&
	    partner((struct ref_queue *)&m->sendq, (struct ref_fut *)m->send,
	    0) >= 0);
}

/* --- batches ---------------------------------------------------------------------- */

/* "A batch is the same single operations in order by one thread";
 * "try_send_many answers ACHAN_OK if at least one value went in,
 * ACHAN_FULL if none (also while an older sender waits)" */
int
ref_chan_try_send_many(struct ref_chan *m, uint64_t first, unsigned n,
		unsigned *sent)
{
	unsigned k;
	int r = ACHAN_OK;

	/* "n = 0 ... is ACHAN_OK with nothing moved, even on a closed
	 * channel" */
	for (k = 0; k < n; k++) {
		r = ref_chan_try_send(m, first + k);
		if (r != ACHAN_OK)
			break;
	}
	*sent = k;
	return k > 0 ? ACHAN_OK : r;
}

/* Unbuffered: receivers waiting that a sender may meet now. */
static unsigned
receivers_waiting(const struct ref_chan *m)
{
	unsigned k, n = 0;

	for (k = 0; k < m->recvq.n; k++)
		n += ref_claim((struct ref_fut *)&m->recv[m->recvq.slot[k]], 0)
		    == REF_CLAIM_WON;
	return n;
}

/* "the all-or-nothing form moves all or none" (chan.h: ACHAN_FULL with
 * fewer than n slots free, or older senders waiting; on an unbuffered
 * channel unless n receivers wait) */
int
ref_chan_try_send_all(struct ref_chan *m, uint64_t first, unsigned n)
{
	unsigned sent;

	if (n == 0)
		return ACHAN_OK;
	if (m->closed)
		return ACHAN_CLOSED;
	if (m->cap == 0) {
		if (receivers_waiting(m) < n)
			return ACHAN_FULL;
	} else {
		if (m->sendq.n > 0 && m->len < m->cap)
			(void)serve_senders(m, -1);
		if (m->sendq.n > 0 || m->cap - m->len < n)
			return ACHAN_FULL;
	}
	/* every value fits: the same sends in order */
	return ref_chan_try_send_many(m, first, n, &sent);
}

int
ref_chan_try_recv_many(struct ref_chan *m, uint64_t *v, unsigned max,
		unsigned *got)
{
	unsigned k;
	int r = ACHAN_OK;

	/* Bounded: the batch takes the values buffered when it starts (one
	 * claim of the ring), room owed to waiting senders served first; a
	 * waiting sender's value that moves in behind them stays in the
	 * channel (t/chan_batch.c allows it either in the batch or in the
	 * channel; the library keeps it in the channel). */
	if (m->cap > 0 && m->len == 0 && m->sendq.n > 0)
		(void)serve_senders(m, -1);
	if (m->cap > 0 && m->len > 0 && max > m->len)
		max = m->len;
	for (k = 0; k < max; k++) {
		r = ref_chan_try_recv(m, &v[k]);
		if (r != ACHAN_OK)
			break;
	}
	*got = k;
	return k > 0 ? ACHAN_OK : r;
}

int
ref_chan_send_many_ready(const struct ref_chan *m, unsigned n)
{
	if (n == 0 || m->closed)
		return 1;
	if (m->cap == 0)
		return receivers_waiting(m) >= n;
	return m->sendq.n == 0 && m->cap - m->len >= n;
}

/* "A blocking batch send that stops early answers ACHAN_CLOSED,
 * ACHAN_TIMEDOUT or ACHAN_EDEADLK with the count of what went in" */
int
ref_chan_send_many(struct ref_chan *m, uint64_t first, unsigned n,
		unsigned *sent, int local)
{
	unsigned k;
	int r;

	for (k = 0; k < n; k++) {
		if (!ref_chan_send_ready(m))
			break;
		r = ref_chan_try_send(m, first + k);
		if (r != ACHAN_OK) {
			*sent = k;
			return r;
		}
	}
	*sent = k;
	if (k == n)
		return ACHAN_OK;
	return local ? ACHAN_EDEADLK : ACHAN_TIMEDOUT;
}

/* "recv_many waits for at least one value and never waits to fill the
 * batch" */
int
ref_chan_recv_many(struct ref_chan *m, uint64_t *v, unsigned max,
		unsigned *got, int local)
{
	if (max == 0) {
		*got = 0;
		return ACHAN_OK;
	}
	if (!ref_chan_recv_ready(m)) {
		*got = 0;
		return local ? ACHAN_EDEADLK : ACHAN_TIMEDOUT;
	}
	return ref_chan_try_recv_many(m, v, max, got);
}

/* --- futures -------------------------------------------------------------------- */

/* A send attempted from scratch: complete, or register at the back. */
static int
send_attempt(struct ref_chan *m, unsigned i)
{
	struct ref_fut *f = &m->send[i];

	if (m->closed)
		return ref_finish(f, ACHAN_CLOSED);
	if (m->cap == 0 && hand_to_receiver(m, f->value))
		return ref_finish(f, ACHAN_OK);
	if (m->cap > 0 && m->sendq.n == 0 && m->len < m->cap) {
		store(m, f->value);
		return ref_finish(f, ACHAN_OK);
	}
	f->st = RF_QUEUED;
	ref_q_push(&m->sendq, i);
	/* registered at the back, it serves the queue, itself included */
	if (m->cap > 0 && serve_senders(m, (int)i))
		return ref_finish(f, ACHAN_OK);
	return ACHAN_PENDING;
}

int
ref_chan_send_poll(struct ref_chan *m, unsigned i, uint64_t v)
{
	struct ref_fut *f = &m->send[i];
	int r;

	switch (f->st) {
	case RF_FINISHED:
		/* "poll after ACHAN_OK/ACHAN_CLOSED is ... ACHAN_EINVAL" */
		return ACHAN_EINVAL;
	case RF_FREE:
		if (i < REF_CHAN_FUTS)
			m->bsend[i] = 0;
		f->value = v;
		f->wakes = 0;
		f->code = i;
		r = send_attempt(m, i);
		break;
	case RF_QUEUED:
		/* "Polling a registered future again re-attempts the
		 * operation; if it still cannot complete, the future keeps
		 * its place in the queue" - and senders are not overtaken:
		 * only the oldest may take room. */
		if (m->cap > 0 && serve_senders(m, (int)i)) {
			r = ref_finish(f, ACHAN_OK);
		} else if (m->cap == 0 && hand_to_receiver(m, f->value)) {
			ref_q_remove(&m->sendq, i);
			r = ref_finish(f, ACHAN_OK);
		} else {
			r = ACHAN_PENDING;
		}
		break;
	case RF_DONE:
		r = ref_finish(f, ACHAN_OK);
		break;
	case RF_CLOSED:
		r = ref_finish(f, ACHAN_CLOSED);
		break;
	default:	/* RF_NOTIFIED: a hint - try again from scratch */
		r = send_attempt(m, i);
		break;
	}
	check_free(m);
	return r;
}

/* A receive attempted from scratch: complete, or register at the back. */
static int
recv_attempt(struct ref_chan *m, unsigned i)
{
	struct ref_fut *f = &m->recv[i];

	if (m->cap > 0 ? take(m, &f->value) : take_from_sender(m, &f->value))
		return ref_finish(f, ACHAN_OK);
	if (m->closed)
		return ref_finish(f, ACHAN_CLOSED);
	/* "a woken receiver may find the value already taken by a newcomer;
	 * it then waits again at the back of the queue" */
	f->st = RF_QUEUED;
	ref_q_push(&m->recvq, i);
	return ACHAN_PENDING;
}

int
ref_chan_recv_poll(struct ref_chan *m, unsigned i, uint64_t *v)
{
	struct ref_fut *f = &m->recv[i];
	int r;

	switch (f->st) {
	case RF_FINISHED:
		return ACHAN_EINVAL;
	case RF_FREE:
		if (i < REF_CHAN_FUTS)
			m->brecv[i] = 0;
		f->wakes = 0;
		f->code = 1u << 8 | i;
		r = recv_attempt(m, i);
		break;
	case RF_QUEUED:
		/* re-attempt; if it cannot complete, keep the place */
		if (m->cap > 0 && m->len == 0 && m->sendq.n > 0)
			(void)serve_senders(m, -1);	/* room owed */
		if (m->cap > 0 && m->len > 0) {
			ref_q_remove(&m->recvq, i);
			r = recv_attempt(m, i);
		} else if (m->cap == 0 && take_from_sender(m, &f->value)) {
			ref_q_remove(&m->recvq, i);
			r = ref_finish(f, ACHAN_OK);
		} else {
			r = ACHAN_PENDING;
		}
		break;
	case RF_DONE:
		/* "A future completed this way answers ACHAN_OK on its next
		 * poll" */
		r = ref_finish(f, ACHAN_OK);
		break;
	default:
		/* NOTIFIED (a hint) or CLOSED ("receivers keep draining
		 * everything buffered ... then get ACHAN_CLOSED"): look
		 * again from scratch */
		r = recv_attempt(m, i);
		break;
	}
	if (r == ACHAN_OK)
		*v = f->value;
	check_free(m);
	return r;
}

/*
 * "cancel tells the caller whether the operation had already completed";
 * "cancelling one that was woken but not yet polled hands the wakeup to the
 * next-oldest receiver.  The same holds for senders waiting for room."
 */
static int
cancel(struct ref_chan *m, struct ref_fut *f, unsigned i, struct ref_queue *q,
		struct ref_fut *side)
{
	int r;

	switch (f->st) {
	case RF_FREE:
		return ACHAN_CANCELLED;
	case RF_FINISHED:
		return f->result == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED;
	case RF_QUEUED:
		ref_q_remove(q, i);
		r = ref_finish(f, ACHAN_CANCELLED);
		break;
	case RF_DONE:
		r = ref_finish(f, ACHAN_OK);
		break;
	case RF_NOTIFIED:
		if (q->n > 0)
			ref_wake(&side[ref_q_pop(q)], RF_NOTIFIED);
		r = ref_finish(f, ACHAN_CANCELLED);
		break;
	default:	/* RF_CLOSED, RF_LOST: no wakeup to hand on */
		r = ref_finish(f, ACHAN_CANCELLED);
		break;
	}
	check_free(m);
	return r;
}

int
ref_chan_send_cancel(struct ref_chan *m, unsigned i)
{
	return cancel(m, &m->send[i], i, &m->sendq, m->send);
}

int
ref_chan_recv_cancel(struct ref_chan *m, unsigned i, uint64_t *v)
{
	int r = cancel(m, &m->recv[i], i, &m->recvq, m->recv);

	if (r == ACHAN_OK)
		*v = m->recv[i].value;
	return r;
}

/* --- batch futures ------------------------------------------------------- */

static int
send_many_attempt(struct ref_chan *m, unsigned i)
{
	struct ref_fut *f = &m->send[i];

	if (m->closed)
		return ref_finish(f, ACHAN_CLOSED);
	if (m->cap == 0)
		while (m->bsent[i] < m->bn[i] &&
		    hand_to_receiver(m, f->value + m->bsent[i]))
			m->bsent[i]++;
	else if (m->sendq.n == 0)
		while (m->bsent[i] < m->bn[i] && m->len < m->cap)
			store(m, f->value + m->bsent[i]++);
	if (m->bsent[i] == m->bn[i])
		return ref_finish(f, ACHAN_OK);
	f->st = RF_QUEUED;
	ref_q_push(&m->sendq, i);
	if (m->cap > 0 && serve_senders(m, (int)i))
		return ref_finish(f, ACHAN_OK);
	return ACHAN_PENDING;
}

int
ref_chan_send_many_poll(struct ref_chan *m, unsigned i, uint64_t first,
		unsigned n, unsigned *sent)
{
	struct ref_fut *f = &m->send[i];
	int r;

	switch (f->st) {
	case RF_FINISHED:
		r = ACHAN_EINVAL;
		break;
	case RF_FREE:
		m->bsend[i] = 1;
		m->bn[i] = n;
		m->bsent[i] = 0;
		f->value = first;
		f->wakes = 0;
		f->code = i;
		r = send_many_attempt(m, i);
		break;
	case RF_QUEUED:
		if (m->cap > 0 && serve_senders(m, (int)i)) {
			r = ref_finish(f, ACHAN_OK);
			break;
		}
		if (m->cap == 0 && m->sendq.slot[0] == i)
			while (m->bsent[i] < m->bn[i] &&
			    hand_to_receiver(m, f->value + m->bsent[i]))
				m->bsent[i]++;
		if (m->bsent[i] == m->bn[i]) {
			ref_q_remove(&m->sendq, i);
			r = ref_finish(f, ACHAN_OK);
		} else {
			r = ACHAN_PENDING;
		}
		break;
	case RF_DONE:
		r = ref_finish(f, ACHAN_OK);
		break;
	case RF_CLOSED:
		r = ref_finish(f, ACHAN_CLOSED);
		break;
	default:
		r = send_many_attempt(m, i);
		break;
	}
	*sent = m->bsent[i];
	check_free(m);
	return r;
}

int
ref_chan_send_many_cancel(struct ref_chan *m, unsigned i, unsigned *sent)
{
	int r;

	if (m->send[i].st == RF_FREE) {
		*sent = 0;
		return ACHAN_CANCELLED;
	}
	r = cancel(m, &m->send[i], i, &m->sendq, m->send);
	*sent = m->bsent[i];
	if (r != ACHAN_OK && m->bsent[i] == m->bn[i])
		r = ACHAN_OK;
	if (r == ACHAN_OK && m->bsent[i] != m->bn[i])
		r = ACHAN_CANCELLED;
	return r;
}

static int
recv_many_attempt(struct ref_chan *m, unsigned i)
{
	struct ref_fut *f = &m->recv[i];

	(void)ref_chan_try_recv_many(m, m->bval[i], m->bmax[i], &m->bgot[i]);
	if (m->bgot[i] > 0)
		return ref_finish(f, ACHAN_OK);
	if (m->closed)
		return ref_finish(f, ACHAN_CLOSED);
	f->st = RF_QUEUED;
	ref_q_push(&m->recvq, i);
	return ACHAN_PENDING;
}

int
ref_chan_recv_many_poll(struct ref_chan *m, unsigned i, unsigned max,
		unsigned *got)
{
	struct ref_fut *f = &m->recv[i];
	int r;

	switch (f->st) {
	case RF_FINISHED:
		*got = 0;
		return ACHAN_EINVAL;
	case RF_FREE:
		m->brecv[i] = 1;
		m->bmax[i] = max;
		m->bgot[i] = 0;
		f->wakes = 0;
		f->code = 1u << 8 | i;
		r = recv_many_attempt(m, i);
		break;
	case RF_QUEUED:
		if (m->cap > 0 && m->len == 0 && m->sendq.n > 0)
			(void)serve_senders(m, -1);
		if (m->cap > 0 ? m->len > 0 : partner(&m->sendq, m->send, 0)
		    >= 0) {
			ref_q_remove(&m->recvq, i);
			r = recv_many_attempt(m, i);
		} else {
			r = ACHAN_PENDING;
		}
		break;
	case RF_DONE:
		m->bval[i][0] = f->value;
		m->bgot[i] = 1;
		r = ref_finish(f, ACHAN_OK);
		break;
	default:
		r = recv_many_attempt(m, i);
		break;
	}
	*got = r == ACHAN_OK ? m->bgot[i] : 0;
	check_free(m);
	return r;
}

int
ref_chan_recv_many_cancel(struct ref_chan *m, unsigned i, unsigned *got)
{
	int r;

	if (m->recv[i].st == RF_FREE) {
		*got = 0;
		return ACHAN_CANCELLED;
	}
	if (m->recv[i].st == RF_DONE) {
		m->bval[i][0] = m->recv[i].value;
		m->bgot[i] = 1;
	}
	r = cancel(m, &m->recv[i], i, &m->recvq, m->recv);
	*got = r == ACHAN_OK ? m->bgot[i] : 0;
	return r;
}

/* --- streams ----------------------------------------------------------------------- */

/* "yields values until the channel is closed and drained, then reports
 * ACHAN_CLOSED on every later call (fused)" */
int
ref_chan_stream_poll(struct ref_chan *m, unsigned j, uint64_t *v)
{
	unsigned i = REF_CHAN_FUTS + j;
	int r;

	if (m->stream[j] == RS_CLOSED)
		return ACHAN_CLOSED;
	r = ref_chan_recv_poll(m, i, v);
	if (r == ACHAN_PENDING) {
		m->stream[j] = RS_WAITING;
		return r;
	}
	/* a value: ready for the next one; CLOSED: fused */
	m->stream[j] = r == ACHAN_CLOSED ? RS_CLOSED : RS_IDLE;
	m->recv[i].st = RF_FREE;
	return r;
}

/* "Cancel a pending receive: ACHAN_OK if a value had arrived first, else
 * ACHAN_CANCELLED.  The stream stays usable" */
int
ref_chan_stream_cancel(struct ref_chan *m, unsigned j, uint64_t *v)
{
	unsigned i = REF_CHAN_FUTS + j;
	int r;

	if (m->stream[j] != RS_WAITING)
		return ACHAN_CANCELLED;
	r = ref_chan_recv_cancel(m, i, v);
	m->stream[j] = RS_IDLE;
	m->recv[i].st = RF_FREE;
	return r;
}

int
ref_chan_stream_next_waits(const struct ref_chan *m, unsigned j)
{
	if (m->stream[j] == RS_CLOSED)
		return 0;
	if (m->stream[j] == RS_WAITING &&
	    m->recv[REF_CHAN_FUTS + j].st == RF_DONE)
		return 0;
	return !ref_chan_recv_ready(m);
}

/* "A receive left pending by stream_poll is cancelled first (a value it
 * had already got is returned)" */
int
ref_chan_stream_next(struct ref_chan *m, unsigned j, uint64_t *v, int local)
{
	int r;

	if (m->stream[j] == RS_CLOSED)
		return ACHAN_CLOSED;
	if (m->stream[j] == RS_WAITING &&
	    ref_chan_stream_cancel(m, j, v) == ACHAN_OK)
		return ACHAN_OK;
	if (!ref_chan_recv_ready(m))
		return local ? ACHAN_EDEADLK : ACHAN_TIMEDOUT;
	r = ref_chan_try_recv(m, v);
	if (r == ACHAN_CLOSED)
		m->stream[j] = RS_CLOSED;
	return r;
}

/* --- close, destroy, handles ------------------------------------------------------ */

int
ref_chan_close(struct ref_chan *m)
{
	/* "close is idempotent; it returns ACHAN_NEWLY_CLOSED the first time
	 * and ACHAN_ALREADY_CLOSED after.  It wakes every waiter of both
	 * sides"; "pending sends fail" */
	int newly = !m->closed;

	/* room freed before the close still goes to the waiting senders */
	if (m->cap > 0 && m->sendq.n > 0 && m->len < m->cap)
		(void)serve_senders(m, -1);
	m->closed = 1;
	while (m->sendq.n > 0)
		ref_wake(&m->send[ref_q_pop(&m->sendq)], RF_CLOSED);
	while (m->recvq.n > 0)
		ref_wake(&m->recv[ref_q_pop(&m->recvq)], RF_CLOSED);
	return newly ? ACHAN_NEWLY_CLOSED : ACHAN_ALREADY_CLOSED;
}

static void
discard(struct ref_chan *m)
{
	unsigned i;

	for (i = 0; i < m->len; i++)
		ref_dtor(&m->dtor, m->buf[i]);
	m->len = 0;
}

int
ref_chan_busy(const struct ref_chan *m)
{
	return registered(m) > 0;
}

int
ref_chan_destroy(struct ref_chan *m)
{
	/* "Destroying an object while futures are still registered on it
	 * returns ACHAN_EBUSY and frees nothing"; the destructor frees items
	 * left inside */
	if (registered(m) > 0)
		return ACHAN_EBUSY;
	discard(m);
	return ACHAN_OK;
}

int
ref_chan_clone(struct ref_chan *m, int rx, unsigned from, unsigned to)
{
	int *h = rx ? m->rx : m->tx;

	if (!h[from])
		return ACHAN_EINVAL;
	h[to] = 1;
	return ACHAN_OK;
}

int
ref_chan_release(struct ref_chan *m, int rx, unsigned hv)
{
	int *h = rx ? m->rx : m->tx;

	if (!h[hv])
		return ACHAN_EINVAL;
	h[hv] = 0;
	if (live(h) == 0) {
		/* "Releasing the last sender closes the channel"; "Releasing
		 * the last receiver closes the channel and discards what is
		 * buffered (running the element destructor)" */
		(void)ref_chan_close(m);
		if (rx)
			discard(m);
	}
	check_free(m);
	return ACHAN_OK;
}

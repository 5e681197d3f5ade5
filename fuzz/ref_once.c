/*
 * fuzz/ref_once.c - reference model of the oneshot and the oneshot
 * broadcast (ref_once.h).  Each rule cites SEMANTICS.md.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "ref_once.h"

void
ref_once_init(struct ref_once *m, int bcast, int paired)
{
	memset(m, 0, sizeof(*m));
	m->bcast = bcast;
	m->paired = paired;
	if (paired) {
		m->tx = 1;
		m->rx[0] = 1;
	}
}

static unsigned
live_rx(const struct ref_once *m)
{
	unsigned i, n = 0;

	for (i = 0; i < REF_ONCE_HANDLES; i++)
		n += m->rx[i] != 0;
	return n;
}

int
ref_once_busy(const struct ref_once *m)
{
	unsigned i;

	for (i = 0; i < REF_ONCE_FUTS + REF_SEL_CASES; i++)
		if (ref_registered(&m->fut[i]))
			return 1;
	return 0;
}

/* A value sent and never taken goes to the destructor when the object goes
 * away (fini/destroy, or the free of a paired object). */
static void
dtor_if_ready(struct ref_once *m)
{
	if (m->value_state == RO_READY)
		ref_dtor(&m->dtor, m->value);
}

static void
check_free(struct ref_once *m)
{
	if (m->paired && !m->freed && !m->tx && live_rx(m) == 0 &&
	    !ref_once_busy(m)) {
		m->freed = 1;
		dtor_if_ready(m);
	}
}

int
ref_once_usable(const struct ref_once *m)
{
	return !m->paired || m->tx || live_rx(m) > 0;
}

/* "send and close wake all waiters" */
static void
wake_all(struct ref_once *m)
{
	while (m->q.n > 0)
		ref_wake(&m->fut[ref_q_pop(&m->q)], RF_NOTIFIED);
}

int
ref_once_send(struct ref_once *m, uint64_t v)
{
	/* "send succeeds once; a second send, or a send after close, ->
	 * ACHAN_CLOSED" */
	if (m->closed || m->value_state != RO_EMPTY)
		return ACHAN_CLOSED;
	m->value_state = RO_READY;
	m->value = v;
	wake_all(m);
	return ACHAN_OK;
}

int
ref_once_try_recv(struct ref_once *m, uint64_t *v)
{
	switch (m->value_state) {
	case RO_READY:
		/* oneshot: "receive takes the value: the first receiver
		 * wins"; broadcast: "receiving copies the value out and
		 * leaves it" */
		*v = m->value;
		if (!m->bcast)
			m->value_state = RO_TAKEN;
		return ACHAN_OK;
	case RO_TAKEN:
		/* "every other receiver ... gets ACHAN_CLOSED" */
		return ACHAN_CLOSED;
	default:
		/* "try_recv: ACHAN_OK, ACHAN_EMPTY (nothing yet),
		 * ACHAN_CLOSED" */
		return m->closed ? ACHAN_CLOSED : ACHAN_EMPTY;
	}
}

int
ref_once_recv_ready(const struct ref_once *m)
{
	return m->value_state != RO_EMPTY || m->closed;
}

int
ref_once_close(struct ref_once *m)
{
	int was = m->closed;

	m->closed = 1;
	if (was)
		return ACHAN_ALREADY_CLOSED;
	/* "close after send returns ACHAN_ALREADY_CLOSED and keeps the value
	 * receivable" */
	if (m->value_state != RO_EMPTY)
		return ACHAN_ALREADY_CLOSED;
	wake_all(m);
	return ACHAN_NEWLY_CLOSED;
}

int
ref_once_is_closed(const struct ref_once *m)
{
	/* oneshot.h: "1 once no send can succeed (closed, or a value was
	 * sent)" */
	return m->closed || m->value_state != RO_EMPTY;
}

int
ref_once_poll(struct ref_once *m, unsigned i, uint64_t *v)
{
	struct ref_fut *f = &m->fut[i];
	int r;

	switch (f->st) {
	case RF_FINISHED:
		return ACHAN_EINVAL;
	case RF_QUEUED:
		/* re-attempt; "if the value still is not there only the waker
		 * is replaced" */
		if (!ref_once_recv_ready(m))
			return ACHAN_PENDING;
		ref_q_remove(&m->q, i);
		break;
	case RF_FREE:
		f->wakes = 0;
		f->code = i;
		break;
	default:	/* NOTIFIED */
		break;
	}
	r = ref_once_try_recv(m, &f->value);
	if (r == ACHAN_EMPTY) {
		f->st = RF_QUEUED;
		ref_q_push(&m->q, i);
		return ACHAN_PENDING;
	}
	if (r == ACHAN_OK)
		*v = f->value;
	ref_finish(f, r);
	check_free(m);
	return r;
}

int
ref_once_cancel(struct ref_once *m, unsigned i, uint64_t *v)
{
	struct ref_fut *f = &m->fut[i];

	switch (f->st) {
	case RF_FREE:
		return ACHAN_CANCELLED;
	case RF_FINISHED:
		if (f->result == ACHAN_OK) {
			*v = f->value;
			return ACHAN_OK;
		}
		return ACHAN_CANCELLED;
	case RF_QUEUED:
		ref_q_remove(&m->q, i);
		break;
	default:
		/* NOTIFIED: every waiter was woken, there is no wakeup to
		 * hand on ("a cancelled future strands nobody") */
		break;
	}
	ref_finish(f, ACHAN_CANCELLED);
	check_free(m);
	return ACHAN_CANCELLED;
}

int
ref_once_destroy(struct ref_once *m)
{
	if (ref_once_busy(m))
		return ACHAN_EBUSY;
	dtor_if_ready(m);
	return ACHAN_OK;
}

int
ref_once_clone(struct ref_once *m, int rx, unsigned from, unsigned to)
{
	/* "one sender, one receiver, not clonable"; broadcast: "one sender,
	 * clonable receivers" */
	if (!rx || !m->bcast || !m->rx[from])
		return ACHAN_EINVAL;
	m->rx[to] = 1;
	return ACHAN_OK;
}

int
ref_once_release(struct ref_once *m, int rx, unsigned h)
{
	if (!rx) {
		if (!m->tx)
			return ACHAN_EINVAL;
		m->tx = 0;
		(void)ref_once_close(m);
	} else {
		if (!m->rx[h])
			return ACHAN_EINVAL;
		m->rx[h] = 0;
		if (live_rx(m) == 0) {
			/* "only releasing the last receiver closes the
			 * channel"; a oneshot's receiver release destroys a
			 * value nobody can take any more */
			(void)ref_once_close(m);
			if (!m->bcast && m->value_state == RO_READY) {
				ref_dtor(&m->dtor, m->value);
				m->value_state = RO_TAKEN;
			}
		}
	}
	check_free(m);
	return ACHAN_OK;
}

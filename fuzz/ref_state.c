/*
 * fuzz/ref_state.c - reference model of the state broadcast channel
 * (ref_state.h).  Each rule cites SEMANTICS.md.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>

#include "ref_state.h"

void
ref_state_init(struct ref_state *m, uint64_t start_id, int paired)
{
	memset(m, 0, sizeof(*m));
	/* "The channel starts at id 0 with no value" */
	m->id = start_id;
	m->paired = paired;
	if (paired) {
		m->tx[0] = 1;
		m->rx[0] = 1;
	}
}

static unsigned
live(const int *h)
{
	unsigned i, n = 0;

	for (i = 0; i < REF_STATE_HANDLES; i++)
		n += h[i] != 0;
	return n;
}

int
ref_state_busy(const struct ref_state *m)
{
	unsigned i;

	for (i = 0; i < REF_STATE_FUTS + REF_SEL_CASES; i++)
		if (ref_registered(&m->fut[i]))
			return 1;
	return 0;
}

static void
check_free(struct ref_state *m)
{
	if (m->paired && !m->freed && live(m->tx) == 0 && live(m->rx) == 0 &&
	    !ref_state_busy(m))
		m->freed = 1;
}

int
ref_state_usable(const struct ref_state *m)
{
	return !m->paired || live(m->tx) + live(m->rx) > 0;
}

/* "Each send ... wakes every waiter"; close "wakes every waiter" */
static void
wake_all(struct ref_state *m)
{
	while (m->q.n > 0)
		ref_wake(&m->fut[ref_q_pop(&m->q)], RF_NOTIFIED);
}

int
ref_state_close(struct ref_state *m)
{
	int newly = !m->closed;

	m->closed = 1;
	wake_all(m);
	return newly ? ACHAN_NEWLY_CLOSED : ACHAN_ALREADY_CLOSED;
}

int
ref_state_send(struct ref_state *m, uint64_t v)
{
	/* "send is rejected (ACHAN_CLOSED) when closed" */
	if (m->closed)
		return ACHAN_CLOSED;
	/* "a send that would pass UINT64_MAX is refused the same way and
	 * closes the channel" */
	if (m->id == UINT64_MAX) {
		(void)ref_state_close(m);
		return ACHAN_CLOSED;
	}
	/* "Each send replaces the value, increments the id and wakes every
	 * waiter" */
	m->id++;
	m->value = v;
	m->has = 1;
	wake_all(m);
	return ACHAN_OK;
}

int
ref_state_look(const struct ref_state *m, uint64_t after, uint64_t *v,
		uint64_t *id)
{
	/* "receive(after) is ready iff a value exists and after < current
	 * id"; "ACHAN_CLOSED comes only when closed and nothing newer
	 * exists" */
	if (m->has && after < m->id) {
		*v = m->value;
		*id = m->id;
		return ACHAN_OK;
	}
	return m->closed ? ACHAN_CLOSED : ACHAN_EMPTY;
}

int
ref_state_poll(struct ref_state *m, unsigned i, uint64_t after, uint64_t *v,
		uint64_t *id)
{
	struct ref_fut *f = &m->fut[i];
	int r;

	switch (f->st) {
	case RF_FINISHED:
		return ACHAN_EINVAL;
	case RF_FREE:
		f->after = after;
		f->wakes = 0;
		f->code = i;
		break;
	case RF_QUEUED:
		/* "Polling a registered future again looks again; if there
		 * is still nothing newer it keeps its place" */
		r = ref_state_look(m, f->after, v, id);
		if (r == ACHAN_EMPTY)
			return ACHAN_PENDING;
		ref_q_remove(&m->q, i);
		check_free(m);
		return ref_finish(f, r);
	default:	/* NOTIFIED: "a woken future copies the state current
			 * when it is polled" */
		break;
	}
	r = ref_state_look(m, f->after, v, id);
	if (r == ACHAN_EMPTY) {
		f->st = RF_QUEUED;
		ref_q_push(&m->q, i);
		return ACHAN_PENDING;
	}
	ref_finish(f, r);
	check_free(m);
	return r;
}

int
ref_state_cancel(struct ref_state *m, unsigned i)
{
	struct ref_fut *f = &m->fut[i];

	switch (f->st) {
	case RF_FREE:
		return ACHAN_CANCELLED;
	case RF_FINISHED:
		return f->result == ACHAN_OK ? ACHAN_OK : ACHAN_CANCELLED;
	case RF_QUEUED:
		ref_q_remove(&m->q, i);
		break;
	default:
		/* NOTIFIED: "since every send wakes every waiter, there is no
		 * wakeup to hand on" */
		break;
	}
	ref_finish(f, ACHAN_CANCELLED);
	check_free(m);
	return ACHAN_CANCELLED;
}

int
ref_state_destroy(struct ref_state *m)
{
	return ref_state_busy(m) ? ACHAN_EBUSY : ACHAN_OK;
}

int
ref_state_clone(struct ref_state *m, int rx, unsigned from, unsigned to)
{
	int *h = rx ? m->rx : m->tx;

	/* "Shared handles: clonable senders and receivers" */
	if (!h[from])
		return ACHAN_EINVAL;
	h[to] = 1;
	return ACHAN_OK;
}

int
ref_state_release(struct ref_state *m, int rx, unsigned hv)
{
	int *h = rx ? m->rx : m->tx;

	if (!h[hv])
		return ACHAN_EINVAL;
	h[hv] = 0;
	/* "the last sender released closes ...; the last receiver released
	 * closes (sends fail)" */
	if (live(h) == 0)
		(void)ref_state_close(m);
	check_free(m);
	return ACHAN_OK;
}

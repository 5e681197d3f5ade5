/*
 * bench/mutexq.c - the mutex + two condition variables baseline queue
 * (see mutexq.h).  Each send/recv locks the one mutex, waits on its
 * condition variable while it cannot proceed, moves one value, signals the
 * other side once and unlocks: the classic shape, deliberately unoptimised.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mutexq.h"

#include <stdlib.h>

int mutexq_init(struct mutexq *q, size_t cap)
{
	if (cap == 0)
		return -1;
	q->buf = malloc(cap * sizeof(*q->buf));
	if (q->buf == NULL)
		return -1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	q->cap = cap;
	q->head = 0;
	q->len = 0;
	q->closed = 0;
	return 0;
}

void mutexq_destroy(struct mutexq *q)
{
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_mutex_destroy(&q->mu);
	free(q->buf);
	q->buf = NULL;
}

int mutexq_send(struct mutexq *q, uint64_t v)
{
	size_t tail;

	pthread_mutex_lock(&q->mu);
	while (q->len == q->cap && !q->closed)
		pthread_cond_wait(&q->not_full, &q->mu);
	if (q->closed) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	tail = q->head + q->len;
	if (tail >= q->cap)
		tail -= q->cap;
	q->buf[tail] = v;
	q->len++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int mutexq_recv(struct mutexq *q, uint64_t *v)
{
	pthread_mutex_lock(&q->mu);
	while (q->len == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->mu);
	if (q->len == 0) {
		pthread_mutex_unlock(&q->mu);
		return 0;
	}
	*v = q->buf[q->head];
	if (++q->head == q->cap)
		q->head = 0;
	q->len--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	return 1;
}

void mutexq_close(struct mutexq *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

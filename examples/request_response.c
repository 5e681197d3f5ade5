/*
 * examples/request_response.c - worker threads answering requests, each
 * request carrying a oneshot for its reply.
 *
 *   4 client threads --requests (bounded channel, cap 16)--> 3 worker threads
 *   each request: { op, a, b, reply }  -->  the worker sends the answer on
 *                                           the request's own oneshot
 *
 * Part 1, the common case: the reply oneshot lives in the client's stack
 * frame (ACHAN_ONESHOT_MEMSIZE bytes; no allocation per request).  The
 * client waits for the reply with no deadline, so the two lifetimes nest:
 * once its receive has returned, the worker's send or close no longer
 * touches the oneshot and the client may fini it and reuse the memory.  A
 * worker reports an error (division by zero) by closing the oneshot instead
 * of sending: the client's receive answers ACHAN_CLOSED.
 *
 * Part 2, a client that gives up: with a deadline the lifetimes no longer
 * nest (the worker may answer after the client has left), so the reply
 * oneshot is made as a pair of handles.  The request carries the sender
 * handle; the client keeps the receiver.  After ACHAN_TIMEDOUT the client
 * releases its receiver, which closes the oneshot: the late answer is
 * refused (ACHAN_CLOSED), and the worker's release of the sender frees it.
 *
 * Checks: every answer is right, every error is reported, every slow call
 * ends either answered or timed out.  Exit status 0 on success.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <achan.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CLIENTS 4
#define WORKERS 3
#define CALLS 2000	/* per client */
#define SLOW_CALLS 4
#define SLOW_NS 20000000L	/* a slow request takes a worker 20 ms ... */
#define PATIENCE_NS 1000000L	/* ... and its client waits 1 ms */

enum op { OP_ADD, OP_DIV, OP_SLOW };

/* A request, copied by value through the channel. */
struct request {
	enum op op;
	uint64_t a, b;
	/* Where the answer goes: a oneshot in the client's frame (part 1) ... */
	struct achan_oneshot *reply;
	/* ... or, when reply is NULL, the sender handle of a paired oneshot
	 * (part 2).  Copying a handle does not clone it: the request moves
	 * it to the worker, which must release it. */
	struct achan_oneshot_sender reply_tx;
};

static struct achan_chan *requests;
static atomic_uint late_refused;	/* late answers that found the client gone */

/* --- the worker ------------------------------------------------------------ */

static void *work(void *arg)
{
	struct request req;

	(void)arg;
	/* Until the channel is closed and every request in it is answered. */
	while (achan_chan_recv(requests, &req) == ACHAN_OK) {
		if (req.op == OP_SLOW) {
			struct timespec slow = { 0, SLOW_NS };
			nanosleep(&slow, NULL);
		}
		struct achan_oneshot *os = req.reply ? req.reply :
		    achan_oneshot_sender_oneshot(&req.reply_tx);
		uint64_t answer = req.a + req.b;

		if (req.op == OP_DIV) {
			if (req.b == 0) {
				/* An error: close without a value. */
				achan_oneshot_close(os);
				continue;
			}
			answer = req.a / req.b;
		}
		/* Never waits.  ACHAN_CLOSED only if the client is gone. */
		if (achan_oneshot_send(os, &answer) == ACHAN_CLOSED)
			atomic_fetch_add(&late_refused, 1);
		if (!req.reply)
			achan_oneshot_sender_release(&req.reply_tx);
	}
	return NULL;
}

/* --- part 1: calls with the reply oneshot on the stack ---------------------- */

struct client {
	pthread_t thread;
	unsigned id;
	unsigned right, wrong, errors;
};

/* Send one request and wait for its answer.  ACHAN_OK (answer in *out) or
 * ACHAN_CLOSED (the worker reported an error, or the pool is shut down). */
static int call(enum op op, uint64_t a, uint64_t b, uint64_t *out)
{
	/* The whole oneshot: 128 + 8 bytes of stack, no malloc. */
	unsigned char mem[ACHAN_ONESHOT_MEMSIZE(sizeof(uint64_t))];
	struct request req = { .op = op, .a = a, .b = b };
	int r;

	if (achan_oneshot_init(mem, sizeof(mem), sizeof(uint64_t), 0,
	    &req.reply) != ACHAN_OK)
		return ACHAN_EINVAL;
	r = achan_chan_send(requests, &req);	/* the request holds the pointer */
	if (r == ACHAN_OK)
		r = achan_oneshot_recv(req.reply, out);
	/* The receive has returned (or the request never left): nobody else
	 * touches the oneshot now, so it may go with this stack frame. */
	achan_oneshot_fini(req.reply);
	return r;
}

static void *client(void *arg)
{
	struct client *c = arg;

	for (uint64_t i = 0; i < CALLS; i++) {
		uint64_t a = c->id * 1000000u + i, answer = 0;

		if (i % 100 == 99) {	/* now and then, a bad request */
			if (call(OP_DIV, a, 0, &answer) == ACHAN_CLOSED)
				c->errors++;
			else
				c->wrong++;
		} else if (i % 2) {
			if (call(OP_DIV, a, 7, &answer) == ACHAN_OK && answer == a / 7)
				c->right++;
			else
				c->wrong++;
		} else {
			if (call(OP_ADD, a, i, &answer) == ACHAN_OK && answer == a + i)
				c->right++;
			else
				c->wrong++;
		}
	}
	return NULL;
}

/* --- part 2: a call with a deadline, the reply oneshot as handles ----------- */

static int call_with_patience(uint64_t a, uint64_t b, uint64_t *out)
{
	struct achan_oneshot_sender tx;
	struct achan_oneshot_receiver rx;
	struct timespec deadline;
	int r;

	if (achan_oneshot_pair(&tx, &rx, sizeof(uint64_t), 0) != ACHAN_OK)
		return ACHAN_ENOMEM;
	struct request req = { .op = OP_SLOW, .a = a, .b = b, .reply = NULL,
	    .reply_tx = tx };	/* moves tx into the request */

	r = achan_chan_send(requests, &req);
	if (r != ACHAN_OK) {
		/* Not sent: the sender handle is still ours to release. */
		achan_oneshot_sender_release(&req.reply_tx);
		achan_oneshot_receiver_release(&rx);
		return r;
	}
	clock_gettime(ACHAN_CLOCK, &deadline);	/* deadlines: CLOCK_MONOTONIC */
	deadline.tv_nsec += PATIENCE_NS;
	if (deadline.tv_nsec >= 1000000000L) {	/* keep it normalised */
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	r = achan_oneshot_recv_until(achan_oneshot_receiver_oneshot(&rx), out,
	    &deadline);
	/* OK or TIMEDOUT alike: drop our end.  After a timeout this closes
	 * the oneshot, so the late answer is refused; the memory goes when
	 * the worker releases the sender too. */
	achan_oneshot_receiver_release(&rx);
	return r;
}

int main(void)
{
	pthread_t workers[WORKERS];
	struct client clients[CLIENTS];
	unsigned right = 0, wrong = 0, errors = 0, answered = 0, timed_out = 0;

	if (achan_chan_create(&requests, sizeof(struct request), 16, 0) != ACHAN_OK)
		return 1;
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&workers[i], NULL, work, NULL);

	for (unsigned i = 0; i < CLIENTS; i++) {
		clients[i] = (struct client){ .id = i };
		pthread_create(&clients[i].thread, NULL, client, &clients[i]);
	}
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(clients[i].thread, NULL);
		right += clients[i].right;
		wrong += clients[i].wrong;
		errors += clients[i].errors;
	}

	for (uint64_t i = 0; i < SLOW_CALLS; i++) {
		uint64_t answer = 0;
		int r = call_with_patience(i, 1, &answer);
		if (r == ACHAN_OK && answer == i + 1)
			answered++;	/* the worker was quicker than usual */
		else if (r == ACHAN_TIMEDOUT)
			timed_out++;
		else
			wrong++;
	}

	/* Shut the pool down: workers answer what is queued, then see CLOSED. */
	achan_chan_close(requests);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(workers[i], NULL);
	int destroyed = achan_chan_destroy(requests);

	unsigned want_errors = CLIENTS * (CALLS / 100);
	unsigned refused = atomic_load(&late_refused);
	printf("request_response: %u right answers, %u errors reported, "
	    "%u wrong; slow calls: %u answered, %u timed out, %u late answers "
	    "refused\n", right, errors, wrong, answered, timed_out, refused);
	/* A timed-out call's late answer is refused unless the worker sent it
	 * between the timeout and the release (then it is dropped unread). */
	if (wrong != 0 || errors != want_errors ||
	    right != CLIENTS * CALLS - want_errors ||
	    answered + timed_out != SLOW_CALLS || refused > timed_out ||
	    destroyed != ACHAN_OK) {
		fprintf(stderr, "request_response: FAILED\n");
		return 1;
	}
	return 0;
}

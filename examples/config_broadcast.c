/*
 * examples/config_broadcast.c - distributing configuration snapshots to
 * reader threads through a state broadcast channel, read in place.
 *
 * The publisher (main thread) sends a new configuration now and then; each
 * send replaces the state and gives it the next id (1, 2, 3, ...).  Reader
 * threads do not copy the 1 KiB configuration: they *borrow* the current
 * snapshot (achan_state_borrow), use it in place, and end the borrow.  A
 * borrowed snapshot never changes under the reader, whatever the publisher
 * sends meanwhile: it is an RCU read-side section, so the rules are those
 * of RCU - keep it short, don't block inside it.
 *
 * When nothing newer than the id it last saw exists, a reader sleeps until
 * the next send or the close with a wait-only receive - a NULL out, so
 * nothing is copied - and borrows again.  Readers see the latest state each
 * time they look; states sent in between are skipped, never half-seen.
 *
 * After the last configuration the publisher closes the channel.  Close
 * keeps the value: every reader still gets the last state, and only then
 * does the borrow answer ACHAN_CLOSED.
 *
 * Checks: every snapshot a reader borrows is whole (its checksum matches)
 * and newer than the one before, and every reader ends on the last one.
 * Exit status 0 on success.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <achan.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define READERS 3
#define CONFIGS 200
#define ROUTES 240

struct config {
	uint64_t generation;		/* the publisher's count: equals the state id */
	uint32_t max_conns;
	uint32_t timeout_ms;
	char backend[32];
	uint32_t route_weight[ROUTES];	/* the bulk that is not worth copying */
	uint64_t checksum;		/* over everything above */
};

static uint64_t config_checksum(const struct config *c)
{
	const unsigned char *p = (const unsigned char *)c;
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (size_t i = 0; i < offsetof(struct config, checksum); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static struct achan_state *st;

struct reader {
	pthread_t thread;
	uint64_t seen, borrows, waits, torn, backwards, last_generation;
	uint64_t lookups;
	int final;		/* the status that ended the loop */
};

static void *read_config(void *arg)
{
	struct reader *r = arg;
	struct achan_state_borrow b;
	const void *value;
	uint64_t id;
	int s;

	for (;;) {
		/* Anything newer than what we saw?  Never blocks. */
		s = achan_state_borrow(st, r->seen, &b, &value, &id);
		if (s == ACHAN_EMPTY) {
			/* Sleep until a state newer than r->seen exists or
			 * the channel closes; NULL out: copy nothing. */
			r->waits++;
			(void)achan_state_recv(st, r->seen, NULL, NULL);
			continue;
		}
		if (s != ACHAN_OK)
			break;	/* ACHAN_CLOSED: closed and nothing newer */

		/* In place: c points into the published snapshot.  Use it,
		 * don't keep the pointer, don't block. */
		const struct config *c = value;
		r->torn += c->checksum != config_checksum(c) ||
		    c->generation != id;
		r->backwards += id <= r->seen;
		for (unsigned k = 0; k < ROUTES; k += 16)	/* "route" a bit */
			r->lookups += c->route_weight[k] != 0;
		r->last_generation = c->generation;
		r->borrows++;
		achan_state_borrow_end(&b);	/* c is not valid any more */
		r->seen = id;
	}
	r->final = s;
	return NULL;
}

int main(void)
{
	static struct reader readers[READERS];
	static struct config cfg;
	struct timespec pause = { 0, 100000 };	/* 0.1 ms */
	int failed = 0;

	if (achan_state_create(&st, sizeof(struct config), 0) != ACHAN_OK)
		return 1;
	for (int i = 0; i < READERS; i++) {
		pthread_create(&readers[i].thread, NULL, read_config, &readers[i]);
	}

	for (uint64_t g = 1; g <= CONFIGS; g++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.generation = g;
		cfg.max_conns = 1000 + (uint32_t)g;
		cfg.timeout_ms = 250;
		snprintf(cfg.backend, sizeof(cfg.backend), "pool-%llu",
		    (unsigned long long)(g % 7));
		for (unsigned k = 0; k < ROUTES; k++)
			cfg.route_weight[k] = (uint32_t)(g * 31 + k) | 1;
		cfg.checksum = config_checksum(&cfg);
		/* Copies cfg into a new snapshot: cfg is ours again at once. */
		if (achan_state_send(st, &cfg) != ACHAN_OK)
			failed = 1;
		if (g % 10 == 0)
			nanosleep(&pause, NULL);	/* let readers catch up */
	}
	/* No more configurations.  Readers still get the last one. */
	achan_state_close(st);

	for (int i = 0; i < READERS; i++) {
		struct reader *r = &readers[i];
		pthread_join(r->thread, NULL);
		printf("config_broadcast: reader %d borrowed %llu of %d states, "
		    "slept %llu times, ended on generation %llu (%s)\n", i,
		    (unsigned long long)r->borrows, CONFIGS,
		    (unsigned long long)r->waits,
		    (unsigned long long)r->last_generation,
		    achan_strerror(r->final));
		if (r->torn || r->backwards || r->borrows == 0 ||
		    r->seen != CONFIGS || r->last_generation != CONFIGS ||
		    r->final != ACHAN_CLOSED)
			failed = 1;
	}
	if (achan_state_id(st) != CONFIGS)
		failed = 1;
	/* Waits for superseded snapshots to be freed (an RCU grace period). */
	if (achan_state_destroy(st) != ACHAN_OK)
		failed = 1;
	if (failed) {
		fprintf(stderr, "config_broadcast: FAILED\n");
		return 1;
	}
	return 0;
}

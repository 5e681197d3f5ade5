/* examples/stream.c - four producers, one consumer, every value checked.
 * The README's complete example.  SPDX-License-Identifier: BSD-2-Clause */
#include <achan.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define PRODUCERS 4
#define PER_PRODUCER 100000

static struct achan_chan *ch;
static pthread_t producers[PRODUCERS];

static void *produce(void *arg)
{
	uint64_t base = (uintptr_t)arg * PER_PRODUCER;

	for (uint64_t i = 0; i < PER_PRODUCER; i++) {
		uint64_t v = base + i;
		if (achan_chan_send(ch, &v) != ACHAN_OK)
			break;
	}
	return NULL;
}

/* Close once every producer is done, so that the consumer's loop ends. */
static void *close_when_done(void *arg)
{
	(void)arg;
	for (int p = 0; p < PRODUCERS; p++)
		pthread_join(producers[p], NULL);
	achan_chan_close(ch);
	return NULL;
}

int main(void)
{
	const uint64_t n_all = (uint64_t)PRODUCERS * PER_PRODUCER;
	uint64_t v, sum = 0, n = 0;
	pthread_t closer;

	if (achan_chan_create(&ch, sizeof(uint64_t), 1024, 0) != ACHAN_OK)
		return 1;
	for (uintptr_t p = 0; p < PRODUCERS; p++)
		pthread_create(&producers[p], NULL, produce, (void *)p);
	pthread_create(&closer, NULL, close_when_done, NULL);
	while (achan_chan_recv(ch, &v) == ACHAN_OK) {	/* until closed and drained */
		sum += v;
		n++;
	}
	pthread_join(closer, NULL);
	printf("%llu values, sum %llu (expected %llu)\n", (unsigned long long)n,
	    (unsigned long long)sum,
	    (unsigned long long)(n_all * (n_all - 1) / 2));
	return achan_chan_destroy(ch) == ACHAN_OK && n == n_all &&
	    sum == n_all * (n_all - 1) / 2 ? 0 : 1;
}

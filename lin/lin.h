/*
 * lin/lin.h - linearizability checks for achan: record short concurrent
 * histories and check each against a sequential specification.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A history is a list of completed operations, each with the thread that
 * ran it, its arguments, its result and two tickets: `inv`, taken just
 * before the call, and `res`, taken just after it returned, both from one
 * global seq_cst counter (lin_tick).  An operation a precedes b in real
 * time iff a.res < b.inv.  The history is linearizable iff some total order
 * of its operations respects that precedence and is accepted, step by step,
 * by the model (the sequential specification of the kind).
 *
 * The checker (lin_check.c) is Wing & Gong's search with Lowe's
 * memoisation: depth first, each step linearises one *minimal* operation
 * (invoked before every pending response), and a configuration - the set of
 * operations linearised so far plus the model state - that failed once is
 * never explored again.  Histories here have at most LIN_MAX_OPS
 * operations, so the set is a 64-bit mask and the model state a 64-bit
 * word.
 *
 * Rendezvous (the unbuffered channel) is not a sequential object: a send
 * and the receive that takes its value complete together.  Its model
 * linearises such a pair in one step, at a point where both are minimal
 * (lin_model.pair).
 */
#ifndef ACHAN_LIN_H
#define ACHAN_LIN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* operations per history: the concurrent part, the drain, and the
 * checker's second steps */
#define LIN_MAX_OPS     64
#define LIN_MAX_THREADS 4

/* Operation codes, shared by every model (each uses the ones it has). */
enum lin_opcode {
	LIN_TRY_SEND,	/* arg: value */
	LIN_SEND,	/* blocking; arg: value */
	LIN_SEND_UNTIL,	/* arg: value */
	LIN_TRY_RECV,	/* state: arg = after */
	LIN_RECV,	/* blocking; state: arg = after */
	LIN_RECV_UNTIL,	/* state: arg = after */
	LIN_CLOSE,
	/*
	 * Futures (channels).  Each thread owns at most one send future and
	 * one receive future of a history at a time.  A send future is named
	 * by its value (arg, a tag), a receive future by its thread.
	 */
	LIN_SEND_POLL,		/* first poll; arg: value.  OK, PENDING, CLOSED */
	LIN_SEND_REPOLL,	/* poll of a registered one.  OK, PENDING, CLOSED */
	LIN_SEND_CANCEL,	/* of a registered one.  OK (sent), CANCELLED */
	LIN_RECV_POLL,		/* first poll.  OK, PENDING, CLOSED */
	LIN_RECV_REPOLL,	/* poll of a registered one */
	LIN_RECV_CANCEL,	/* OK (a value had been put in it), CANCELLED */
	/*
	 * Select over two channels A and B (lin_model_select): arg is the
	 * send case's value for {send A arg, recv B}, 0 for {recv A, recv
	 * B}; the result is st, idx (the case completed: 0 = A, 1 = B) and
	 * val (a receive case's value).  Each thread owns at most one select
	 * future at a time, named by its thread (and its send case by its
	 * value).
	 */
	LIN_SEL_TRY,		/* achan_select_try: OK, CLOSED, EMPTY */
	LIN_SEL,		/* achan_select (blocking): OK, CLOSED */
	LIN_SEL_POLL,		/* init + first poll: OK, CLOSED, PENDING */
	LIN_SEL_REPOLL,		/* poll of the registered one */
	LIN_SEL_CANCEL,		/* OK (case idx had completed), CANCELLED */
	LIN_NOPS,
	/* internal to the checker: the second steps of two-step operations */
	LIN_PUBLISH = LIN_NOPS,	/* a send's value becomes visible */
	LIN_RELEASE,		/* a receive frees the room its value took */
	LIN_SERVE,		/* a receive hands room to a waiting sender */
	LIN_SENT,		/* a send poll's value is no longer waiting */
	/* select (split_select): the steps of one select operation, linearised
	 * before it (its own step is the last) */
	LIN_SEL_REG,		/* first poll / blocking: registers its cases */
	LIN_SEL_BEGIN,		/* re-poll: its owner starts polling */
	LIN_SEL_LOOK		/* LIN_SEL_LOOKS: case idx found not ready */
};

/* Flags of an operation in a plan (what the harness does around it). */
#define LIN_F_WAIT_OTHERS 0x1u	/* first wait (bounded) for the others */
#define LIN_F_DEADLINE_PAST 0x2u	/* timed op: deadline already passed */
#define LIN_F_SENDER_WAITS 0x4u	/* checker: overlaps a send that may wait */
#define LIN_F_CLEANUP 0x8u	/* futures: the thread's last cancel, run only
				 * if its future is still registered */
#define LIN_F_SKIP 0x10u	/* not run (a cleanup with nothing to do):
				 * dropped from the history before the check */
#define LIN_F_MAY_WAIT 0x20u	/* checker: a send poll answering OK that
				 * may register, then be served (LIN_SENT) */
#define LIN_F_BIASED 0x40u	/* select: ACHAN_SELECT_BIASED (the models
				 * accept any ready case either way) */

struct lin_op {
	/* the plan */
	uint8_t thread;
	uint8_t code;		/* enum lin_opcode */
	uint8_t flags;		/* LIN_F_* */
	uint8_t obj;		/* two-channel models: 0 = channel A, 1 = B */
	uint8_t idx;		/* select: the case completed (OK, CLOSED);
				 * LIN_SEL_LOOK: the case looked at */
	uint8_t of;		/* the checker's steps of a select: the code
				 * of the operation they belong to */
	uint16_t delay;		/* busy-wait before the call (pauses) */
	uint32_t deadline_us;	/* timed ops: deadline, from the call */
	uint64_t arg;		/* value sent; state receives: `after` */
	/* the outcome */
	int st;			/* status returned */
	uint64_t val;		/* value received (model tag, see below) */
	uint64_t id;		/* state id received */
	uint64_t inv, res;	/* tickets: before the call, after it */
};

/*
 * Values: every send of one history carries a distinct small tag (1..63),
 * so each receive maps to its send; 0 means "no value".  (The state model
 * also uses tag 0 for the value a reused channel held when the history
 * began.)
 */
struct lin_history {
	int n;
	uint64_t init;		/* model state before the first operation */
	struct lin_op ops[LIN_MAX_OPS];
};

/*
 * A sequential specification.  `step` applies one operation with its
 * recorded result to `state`: 1 and *next if the model allows that result
 * there, 0 if not, or LIN_NEEDS_PAIR if the operation can only complete
 * together with a partner (then `pair` decides for each candidate).
 */
#define LIN_NEEDS_PAIR 2
struct lin_model {
	const char *name;
	unsigned cap;		/* channel capacity, for the channel model */
	int (*step)(const struct lin_model *m, uint64_t state,
	    const struct lin_op *op, uint64_t *next);
	int (*pair)(const struct lin_model *m, uint64_t state,
	    const struct lin_op *a, const struct lin_op *b, uint64_t *next);
	/* Print a model state (for reports). */
	void (*show)(const struct lin_model *m, uint64_t state, char *buf,
	    size_t len);
	/*
	 * Two-step operations: each successful send takes effect in two
	 * atomic steps inside its interval - the send itself (a claim) and
	 * then a LIN_PUBLISH step the checker adds with the same interval and
	 * arg; with split_recv each successful receive likewise takes the
	 * value, then frees its room (LIN_RELEASE, arg = the value).  With
	 * split_wait every send that may wait (send, send_until), whatever
	 * its result, may be among the waiting senders anywhere inside its
	 * interval: the checker marks each try_send that overlaps such a
	 * send with LIN_F_SENDER_WAITS.  Models of what the library really
	 * does where an operation is claim + complete (see
	 * lin_model_oneshot_2step, lin_model_chan_2step).
	 */
	int split_send, split_recv, split_wait;
	/*
	 * Waiting senders may be overtaken (lin_model_chan_overtake): every
	 * receive that took a value gets a LIN_SERVE step, with the same
	 * interval, that moves the oldest waiting sender's value into free
	 * room, and sends may take free room while senders wait.
	 */
	int split_serve;
	/*
	 * A send poll answering OK may have waited inside its interval
	 * (split_poll): the checker flags it LIN_F_MAY_WAIT and adds a
	 * LIN_SENT step with the same interval and arg, linearised after
	 * the poll.  The model's step for the poll then either sends at once
	 * (where a poll could not answer PENDING) or registers the sender as
	 * a PENDING poll would; LIN_SENT accepts only once that sender is no
	 * longer waiting (a receive served it) and never changes the state.
	 * A blocking send does the same; so does the library's poll, which
	 * registers, then serves the queue with the lock dropped while a
	 * receive vacates the slot at the tail (lib/chan_impl.h,
	 * bounded_send_poll).
	 */
	int split_poll;
	/*
	 * Models with more than one possible next state (lin_model_select:
	 * a waiting select whose owner is polling may be passed over, or
	 * not).  If set, the checker calls it instead of step: it fills
	 * next[0..k) with the states op may lead to from state, k <=
	 * LIN_MAX_SUCC, and returns k (0: the model rejects op there).
	 */
	int (*succ)(const struct lin_model *m, uint64_t state,
	    const struct lin_op *op, uint64_t *next);
	/*
	 * Select (lin_model_select): the checker adds the steps of each
	 * select operation (LIN_SEL_REG / LIN_SEL_BEGIN where its cases
	 * wait in a queue; with LIN_SEL_LOOKS in split_select also a
	 * LIN_SEL_LOOK per case to an answer EMPTY or PENDING), each
	 * linearised before the operation's own step.  split_select: 1 |
	 * LIN_SEL_* flags.  cap_b: channel B's capacity (0: unbuffered);
	 * cap is channel A's.
	 */
	int split_select;
	unsigned cap_b;
	/*
	 * Optional: 1 if op, with its recorded result, leaves the state as
	 * it is wherever the model accepts it (a look, an EMPTY or FULL
	 * answer), or only widens what may follow it.  The search then
	 * takes such an operation, where it is minimal and accepted, as the
	 * only choice: an order that takes it later can take it there
	 * instead (it is minimal, and the operations it passes see the same
	 * states, or ones that allow what they did).
	 */
	int (*pure)(const struct lin_model *m, const struct lin_op *op);
};
#define LIN_MAX_SUCC 32

/* The models (lin_check.c). */
/*
 * Bounded channel of capacity cap (1..LIN_CHAN_MAX_CAP), with send and
 * receive futures.  A send-future poll that answers PENDING appends that
 * sender (its value) to the FIFO of waiting senders; a receive that frees a
 * slot moves the oldest waiting sender's value in at the same step, and
 * that sender is then complete (its re-poll or cancel answers OK); try_send
 * and a first poll answer FULL / PENDING while any sender waits; close fails
 * the waiting senders (re-poll CLOSED, cancel CANCELLED).  A first poll
 * answering OK either sent at once or waited inside its interval: it
 * registered where a poll would answer PENDING, and a receive served it
 * before it returned (split_poll).  A receive future answers PENDING where
 * there is nothing to take and reserves nothing (its cancel answers
 * CANCELLED).  The buffer and the waiting senders share the state word:
 * cap + waiting <= 9, waiting <= 7.
 */
#define LIN_CHAN_MAX_CAP 8
#define LIN_CHAN_MAX_SLOTS 9	/* buffered + waiting values */
#define LIN_CHAN_MAX_WAITING 7
void lin_model_chan(struct lin_model *m, unsigned cap);
/*
 * The same, where waiting senders may be overtaken (the C2 defect of issue
 * 14): the room a receive frees goes to the oldest waiting sender at some
 * point of that receive's interval (LIN_SERVE), and a send may take free
 * room while senders wait.  Only to tell that class of failure apart.
 */
void lin_model_chan_overtake(struct lin_model *m, unsigned cap);
/*
 * The bounded channel as implemented (a Vyukov ring): a send claims the
 * slot at the tail (its place in the FIFO order), then publishes the value;
 * a receive claims the published value at the head, then frees its slot.
 * In between, try_recv answers EMPTY while the slot at the head is claimed
 * but unpublished (even with later values published), and try_send FULL
 * while the slot at the tail is still being vacated (even with another
 * slot free) - results no single point in the operation's interval
 * explains (lin_chan reports such histories).  And try_send answers FULL
 * while any sender is registered as waiting (SEMANTICS.md: waiting senders
 * are not overtaken), even where the room it waited for is there for a
 * moment before the oldest waiting sender's value moves in.  Capacity 1..4.
 */
void lin_model_chan_2step(struct lin_model *m, unsigned cap);
extern const struct lin_model lin_model_unbuffered;
/*
 * The unbuffered channel in histories whose only waiting parties are
 * futures (try_send, try_recv, futures, close; no blocking calls): a
 * sequential object.  State: the FIFO of waiting send futures (values)
 * and that of receive futures (thread, and the value a sender put in, if
 * one did).  try_send hands its value to the oldest waiting receive future
 * (FULL if none), try_recv takes the oldest waiting sender's (EMPTY if
 * none); a poll meets the oldest waiting partner or registers (PENDING).
 * At most 4 of each kind.
 */
extern const struct lin_model lin_model_unbuffered_futures;
extern const struct lin_model lin_model_oneshot;
extern const struct lin_model lin_model_bcast;
/*
 * The oneshot kinds as implemented: a send claims the object (CAS EMPTY ->
 * WRITING), copies the value in, then publishes it (WRITING -> READY).  In
 * between, a competing send answers CLOSED and a close ALREADY_CLOSED, as
 * if the value were there, while receives still see nothing (try_recv
 * EMPTY).  That is not linearizable with one point per send (lin_oneshot
 * reports such histories); it is with the two steps.
 */
extern const struct lin_model lin_model_oneshot_2step;
extern const struct lin_model lin_model_bcast_2step;
extern const struct lin_model lin_model_state;
/*
 * Two channels, A (capacity cap, 1 or 2) and B (capacity cap_b: 1, or 0
 * for unbuffered, with A of capacity 1), with try_send, try_recv and close
 * on either (lin_op.obj), send futures on A (cap_b 1 only), and selects
 * over {recv A, recv B} and {send A v, recv B}: select_try, blocking, and
 * the select future (first poll, re-poll, cancel).  Exactly one case
 * completes, as its plain call would; a waiting select's send case waits
 * in A's FIFO of waiting senders (a receive that frees room serves it:
 * the select completes with case 0), its receive case on an unbuffered B
 * in B's FIFO of waiting receivers (a try_send meets it: case 1); receive
 * cases on bounded channels reserve nothing.  While a select's owner is
 * polling it (from the LIN_SEL_REG / LIN_SEL_BEGIN step of a poll or
 * blocking select to the operation's own step), others may pass over its
 * cases (select_claim.h: BUSY), or complete them (LIN_SEL_FIFO: never
 * pass over).  PENDING / EMPTY: no case ready - at one point, or with
 * LIN_SEL_LOOKS each case at a point of its own (LIN_SEL_LOOK: the
 * library looks at the cases one after the other).  lin/README.md,
 * "Select".  Every value that can wait in a queue of A
 * (a select's send case, a send future) is a tag t of thread t & 3; with
 * cap_b 0 at most 3 of A's waiting senders and 3 of B's waiting receivers
 * at a time, else 4 senders.
 */
#define LIN_SEL_LOOKS 2u	/* each case of EMPTY / PENDING looked at on its
				 * own (the model the programs judge by) */
#define LIN_SEL_FIFO 4u		/* servers never pass over a polling select
				 * (stricter than the library: to count) */
void lin_model_select(struct lin_model *m, unsigned cap, unsigned cap_b,
    unsigned flags);
uint64_t lin_select_state(const struct lin_model *m, unsigned alen,
    const uint64_t *atags, unsigned blen, uint64_t btag);

/* Model states the harness needs to build. */
uint64_t lin_chan_state(int closed, unsigned len, const uint64_t *tags);
#define LIN_ONESHOT_EMPTY  0u
#define LIN_ONESHOT_TAKEN  2u
#define LIN_ONESHOT_CLOSED 3u
uint64_t lin_state_state(int closed, uint64_t id, uint64_t tag);

/* Search statistics of one check. */
struct lin_stats {
	unsigned long steps;	/* model steps tried */
	unsigned long memo_hits;
	/* send polls answering OK that the witness found has waiting
	 * inside their interval (split_poll: registered, then served) */
	unsigned long polls_waited;
};

/*
 * Check one history.  Returns 1 if linearizable, 0 if not.  If order is
 * not NULL and the history is linearizable, order[0..n-1] receives one
 * witness order: indices into the history the search ran on,
 * lin_checked() - h itself, or for a model with second steps (split_*) a
 * copy of h with those steps appended (n > h->n).
 */
int lin_check(const struct lin_model *m, const struct lin_history *h,
    struct lin_stats *stats, int *order);
/* The history the last lin_check ran on (see above). */
const struct lin_history *lin_checked(void);
/* The operations of lin_checked() that must be linearised before its
 * operation i (a mask of indices): a second step's own operation, or the
 * steps of a select before the select's own step. */
uint64_t lin_checked_need(int i);

/* Print a history (one line per operation, in invocation order) through
 * diag(), with the model state it started from. */
void lin_print(const struct lin_model *m, const struct lin_history *h);

/* Names of op codes and statuses ("OK", "FULL", ...) for reports. */
const char *lin_opname(int code);
const char *lin_stname(int st);

/* --- the harness (lin_run.c) ---------------------------------------------- */

/* The global ticket clock: one seq_cst RMW per ticket. */
extern atomic_uint_fast64_t lin_clock;
static inline uint64_t
lin_tick(void)
{
	return atomic_fetch_add_explicit(&lin_clock, 1, memory_order_seq_cst);
}

/*
 * Run one operation of a plan on the calling thread: fills st, val, id and
 * takes op->inv / op->res around the call.  ctx is the driver's.
 */
typedef void (*lin_exec_fn)(void *ctx, int slot, struct lin_op *op);

/* Histories run back to back in one batch (slot 0..LIN_BATCH-1), each on
 * its own object: one wakeup of the pool per batch. */
#define LIN_BATCH 16

/*
 * A pool of LIN_MAX_THREADS - 1 worker threads, started once; the calling
 * (main) thread is thread 0 of every history.  lin_pool_run() runs the
 * histories hs[0..nb) one after the other: every thread waits at the start
 * line of each history until all have arrived, then runs its own
 * operations of it in array order (exec gets the history's slot).  Returns
 * when all are done.  Threads without operations just take part in the
 * start lines.
 */
void lin_pool_start(void);
void lin_pool_stop(void);
void lin_pool_run(struct lin_history *hs, int nb, lin_exec_fn exec, void *ctx);

/* xorshift64* generator of the main thread. */
uint64_t lin_rand(void);
static inline unsigned
lin_randn(unsigned n)
{
	return (unsigned)(lin_rand() % n);
}

/* An absolute CLOCK_MONOTONIC deadline `us` microseconds from now (or
 * 1 ms in the past with LIN_F_DEADLINE_PAST). */
struct timespec;
void lin_deadline(const struct lin_op *op, struct timespec *ts);

/* Seconds since an arbitrary origin (CLOCK_MONOTONIC). */
double lin_now(void);

/*
 * How many histories a program runs: $ACHAN_LIN_HISTORIES (a total the
 * program splits by its own weights) or `dflt`; sanitizer builds
 * (LIN_SANITIZED) default to dflt / 8.  (Each kind also runs at least its
 * share of ACHAN_TEST_SECONDS: lin_kind_run's min_seconds.)
 */
unsigned long lin_histories(unsigned long dflt);

/*
 * A random plan: 3 or 4 threads, 3 to 6 operations each, codes drawn with
 * `weights` (at most max_closes closes); sends, and every send-future
 * operation (a planned re-poll or cancel may find no future registered and
 * start one), get tags 1, 2, ... as arg.
 * Codes in the `blocking` bitmask become their _UNTIL form on thread 0
 * (it must never block: it frees the others) and everywhere unless
 * allow_blocking.  Returns 1 if a blocking operation remains: the caller
 * then appends an operation on thread 0, flagged LIN_F_WAIT_OTHERS, that
 * frees every blocked thread (a close).
 */
int lin_plan_random(struct lin_history *h, const unsigned weights[LIN_NOPS],
    unsigned blocking, int allow_blocking, unsigned max_closes);
void lin_plan_append(struct lin_history *h, unsigned thread, int code,
    uint64_t arg, unsigned flags);

/* Assign random delays and deadlines to the operations of a plan. */
void lin_jitter(struct lin_history *h);
/* Shorter delays only (histories without blocking or timed calls): the
 * threads' operations overlap more, at a fraction of the cost. */
void lin_jitter_light(struct lin_history *h);

/*
 * One kind under test: how to build, run and complete its histories, the
 * model they are checked against, and the results (lin_kind_run).
 */
struct lin_kind {
	const char *name;
	const struct lin_model *model;
	/*
	 * Optional: what the library is known to do instead (a two-step
	 * model).  A history the model rejects and `weak` accepts is counted
	 * in weak_only and fails too, unless $ACHAN_LIN_STRICT is 0 (then
	 * it is only reported).  A history both reject is not linearizable in any sense
	 * we know, and fails.
	 */
	const struct lin_model *weak;
	void *ctx;
	/* build the plan and the object of a slot; h->init is the model's
	 * start */
	void (*plan)(void *ctx, int slot, struct lin_history *h);
	lin_exec_fn exec;
	/* main thread, after the concurrent part: append drain operations
	 * (run with lin_exec_main(k, ...)), tear down; ctx is k->ctx */
	void (*finish)(struct lin_kind *k, int slot, struct lin_history *h);
	/* results */
	unsigned long histories, bad, ops, weak_only;
	unsigned long first_bad;	/* 1-based index of the first bad one */
	double seconds, check_seconds;
	unsigned long max_steps;
	unsigned long polls_waited;	/* lin_stats.polls_waited, summed */
	/* histories linearizable only because such a poll waited (not
	 * with one point per send poll) */
	unsigned long polls_waited_only;
	unsigned long status_count[LIN_NOPS][16];
};

/* Run op (appended by finish) on the main thread, with tickets. */
void lin_exec_main(struct lin_kind *k, int slot, struct lin_history *h,
    struct lin_op op);

/* Run histories of k until `count` are done and `min_seconds` passed, or
 * `stop_after_bad` non-linearizable ones were found (0: count them all,
 * printing at most 3); then report them (lin_kind_report). */
void lin_kind_run(struct lin_kind *k, unsigned long count, double min_seconds,
    unsigned long stop_after_bad);

/* 0 if $ACHAN_LIN_STRICT is 0: weak_only histories are only reported. */
int lin_strict(void);

/* diag() the counts and timing of a finished kind. */
void lin_kind_report(const struct lin_kind *k);

/* One result the histories of a kind should have exercised. */
struct lin_saw {
	const struct lin_kind *kind;
	int code;	/* enum lin_opcode */
	int st;		/* the status it answered */
};

/* 1 if every result in want[0..n) came up in some history of its kind;
 * each one that did not is named in a diag(). */
int lin_kind_saw_all(const struct lin_saw *want, size_t n);

#endif /* ACHAN_LIN_H */

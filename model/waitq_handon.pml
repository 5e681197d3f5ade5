/*
 * model/waitq_handon.pml - cancelling a woken receive future hands its
 * wakeup on (lib/waitq_impl.h: achan__future_cancel with hand_on, and
 * achan__waitq_wake_one; lib/chan_impl.h: wake_receiver_if_waiting,
 * bounded_recv_poll).
 *
 * A sender puts one value in the ring and wakes the oldest waiting receiver
 * (a hint, not a reservation).  Receiver 0 may, at any point, be cancelled
 * instead of polling again; receiver 1 waits normally.  Everything happens
 * under the queue lock or as an RMW, so the model is sequentially
 * consistent (the store-buffer subtleties of registration are checked in
 * chan_recv_wakeup.pml).  Property (monitor): once the sender and receiver 0
 * are gone, receiver 1 never sleeps without a pending wake while the value
 * is still in the ring.
 *
 * Broken twin (the check must fail):
 *   -DNO_HANDON   cancel drops a wakeup the future had received but not
 *                 acted on
 */
#define QUEUED 1
#define NOTIFIED 2
#define IDLE 0

byte items = 0;
byte q[2];
byte qn = 0;
byte st[2];		/* waiter state: IDLE / QUEUED / NOTIFIED */
bool sleeping1 = 0;	/* receiver 1 is parked */
byte gone = 0;		/* sender and receiver 0 finished */

inline q_remove(r)
{
	if
	:: qn == 2 && q[0] == r -> q[0] = q[1]; qn--
	:: qn == 2 && q[1] == r -> qn--
	:: qn == 1 && q[0] == r -> qn--
	:: else -> skip
	fi
}

inline wake_head()
{
	if
	:: qn > 0 -> w = q[0]; q_remove(w); st[w] = NOTIFIED
	:: else -> skip
	fi
}

/* poll: take the value, or (re)register; res 1 took it, 0 registered */
inline poll(r, res)
{
	atomic {
		if
		:: items > 0 -> items--; res = 1;
			if
			:: st[r] == QUEUED -> q_remove(r)
			:: else -> skip
			fi;
			st[r] = IDLE
		:: else -> res = 0;
			if
			:: st[r] != QUEUED -> q[qn] = r; qn++; st[r] = QUEUED
			:: else -> skip
			fi
		fi
	}
}

proctype sender()
{
	byte w;

	atomic { items++; wake_head() };
	atomic { gone++ }
}

proctype receiver0()
{
	byte w, res;

	poll(0, res);
	do
	:: res == 1 -> break
	:: res == 0 && st[0] == NOTIFIED -> poll(0, res)	/* woken: poll */
	:: res == 0 ->						/* cancel */
		atomic {
			if
			:: st[0] == QUEUED -> q_remove(0); st[0] = IDLE
			:: st[0] == NOTIFIED ->
				st[0] = IDLE;
#ifndef NO_HANDON
				wake_head()			/* hand on */
#endif
			:: else -> skip
			fi
		};
		break
	od;
	atomic { gone++ }
}

proctype receiver1()
{
	byte res;

	poll(1, res);
	do
	:: res == 1 -> break
	:: else ->
		/* parked: a valid end once nothing is left for it (the
		 * monitor flags the other case) */
		sleeping1 = 1;
end_park:	atomic { st[1] == NOTIFIED -> sleeping1 = 0 };
		poll(1, res)
	od
}

proctype monitor()
{
end:	atomic {
		gone == 2 && sleeping1 && st[1] != NOTIFIED && items > 0 ->
		assert(0)
	}
}

init
{
	atomic {
		run monitor();
		run receiver0();
		run receiver1();
		run sender()
	}
}

/*
 * model/parker.pml - the per-thread futex parker of blocking calls
 * (lib/parker.c: achan__park, achan__parker_notify / achan__parker_kick,
 * and the wake loop in lib/waitq_impl.h, achan__wakelist_run, which ends the
 * wake/teardown handshake between notify and kick).
 *
 * The parker word: EMPTY -> PARKED (park, CAS) -> NOTIFIED (wake, XCHG);
 * a wake that lands first leaves NOTIFIED and park returns without
 * sleeping.  futex_wait(addr, v) sleeps only if *addr == v, atomically with
 * the check, and may return spuriously; futex_wake wakes the sleepers.
 *
 * Configuration: one waiter that blocks for NW wakes, one waker that issues
 * NW wakes, each only after the waiter has consumed the previous one (a
 * blocking call registers again only after its previous wake).  Property:
 * no invalid end state (the waiter never sleeps through a wake).  All
 * operations are RMWs or happen under them, so no store buffers are needed.
 *
 * Broken twins (the check must fail):
 *   -DWAKE_LOAD_STORE  the waker reads the word, then stores NOTIFIED (not
 *                      one XCHG): a park between the two is missed
 *   -DPARK_NO_CAS      the waiter stores PARKED blindly instead of CAS from
 *                      EMPTY, overwriting a NOTIFIED that came first
 */
#define EMPTY 0
#define NOTIFIED 1
#define PARKED 2
#define NW 2

byte word = EMPTY;
byte sleeping = 0;	/* threads inside futex_wait */
bool kicked = 0;	/* a futex_wake since the last futex_wait started */
byte consumed = 0;	/* wakes the waiter has taken */
byte spurious = 1;	/* futex_wait may return early, but not forever */

proctype waiter()
{
	byte old;

	do
	:: consumed == NW -> break
	:: else ->
		/* spin a while: consume a wake if one is there */
		if
		:: atomic { word == NOTIFIED -> word = EMPTY; consumed++ }
		   -> goto next
		:: skip
		fi;
#ifdef PARK_NO_CAS
		word = PARKED;
#else
		atomic {
			if
			:: word == EMPTY -> word = PARKED
			:: else -> word = EMPTY; consumed++; goto next	/* a wake came first */
			fi
		}
#endif
		/* futex_wait(&word, PARKED), looping on spurious returns */
		do
		:: atomic {
			if
			:: word != PARKED -> break		/* EAGAIN or woken */
			:: else -> sleeping++; kicked = 0
			fi
		   };
		   if					/* sleep until futex_wake, */
		   :: atomic { kicked -> sleeping-- }
		   :: atomic { spurious > 0 ->		/* or return spuriously */
				spurious--; sleeping-- }
		   fi
		od;
		atomic {
			if
			:: word == NOTIFIED -> word = EMPTY; consumed++
			:: else -> skip		/* spurious: park again */
			fi
		};
next:		skip
	od
}

proctype waker()
{
	byte i = 0, old;

	do
	:: i == NW -> break
	:: else ->
		/* the next registration: the previous wake was consumed */
		consumed == i;
#ifdef WAKE_LOAD_STORE
		old = word;
		word = NOTIFIED;
#else
		atomic { old = word; word = NOTIFIED }		/* XCHG */
#endif
		/* here the handshake ends (W2), then the kick */
		if
		:: old == PARKED -> atomic { kicked = 1 }	/* futex_wake */
		:: else -> skip
		fi;
		i++
	od
}

init
{
	atomic {
		run waiter();
		run waker()
	}
}
